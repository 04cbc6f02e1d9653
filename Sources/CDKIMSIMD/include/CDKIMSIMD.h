#ifndef CDKIMSIMD_H
#define CDKIMSIMD_H

#include <stddef.h>
#include <stdint.h>

/// Vector kernels for DKIMCore's byte loops, chosen at run time by what the CPU offers. Each kernel has a portable
/// Swift implementation in DKIMCore that gives the same output; a kernel only makes it faster.

/// Whether this CPU (and the operating system) can run `cdkim_relaxed_body_windows`: x86-64 with AVX-512 BW and
/// VBMI2 (byte compression), BMI1 and BMI2, and the AVX-512 register state enabled. 0 elsewhere.
int cdkim_relaxed_body_windows_available(void);

/// Relaxed body canonicalization (RFC 6376 §3.4.4) of a stretch inside a line, 64 input bytes per step.
///
/// The caller guarantees: `input[index - 1]` is readable, and when it is SP or HTAB, the SP written for its run is
/// the last byte at `output[*used - 1]` (the run's first byte; a run before CR LF takes it back); `input[end - 1]`
/// is neither SP, HTAB, CR nor LF (so every WSP run in the stretch ends before `end`); no line in the stretch is
/// trailing. Each step reads `input[index ..< index + 65]` and writes 64 bytes at `output + *used`, of which the
/// canonical ones count; `*used` may first go back by one (the SP taken back).
///
/// Steps while `index + 65 <= end` and `capacity - *used >= 64`. Returns the new `index` and sets `*used` to the
/// end of the canonical octets written; the guarantee about `input[index - 1]` holds again on return. Call it only
/// where `cdkim_relaxed_body_windows_available()` returned 1.
size_t cdkim_relaxed_body_windows(const uint8_t *input, size_t index, size_t end, uint8_t *output, size_t *used,
                                  size_t capacity);

#endif
