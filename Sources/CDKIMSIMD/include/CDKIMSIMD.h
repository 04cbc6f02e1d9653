#ifndef CDKIMSIMD_H
#define CDKIMSIMD_H

#include <stddef.h>
#include <stdint.h>

/// Vector kernels for DKIMCore's byte loops, chosen at run time by what the CPU offers. Each kernel has a portable
/// Swift implementation in DKIMCore that gives the same output; a kernel only makes it faster.

/// The relaxed body kernels, best last; `cdkim_relaxed_body_kernel()` returns the best one this CPU runs.
enum {
    /// None: the CPU is not x86-64, or lacks what the kernels below need.
    CDKIM_RELAXED_BODY_NONE = 0,
    /// AVX2 for the masks, BMI2 `pext` packing eight bytes at a time (Intel since Haswell, AMD since Zen 3; AMD
    /// before Zen 3 runs `pext` in microcode, so it gets none).
    CDKIM_RELAXED_BODY_AVX2 = 1,
    /// AVX-512 BW masks and VBMI2 byte compression of a whole window (Intel since Ice Lake, AMD since Zen 4).
    CDKIM_RELAXED_BODY_AVX512 = 2,
};

/// The best relaxed body kernel this CPU and operating system run (the register state enabled); detected with
/// CPUID and XGETBV on every call, so callers keep the answer.
int cdkim_relaxed_body_kernel(void);

/// Relaxed body canonicalization (RFC 6376 §3.4.4) of a stretch inside a line, 64 input bytes per step, with the
/// kernel `kernel` (at most what `cdkim_relaxed_body_kernel()` returned; NONE does nothing).
///
/// The caller guarantees: `input[index - 1]` is readable, and when it is SP or HTAB, the SP written for its run is
/// the last byte at `output[*used - 1]` (the run's first byte; a run before CR LF takes it back); `input[end - 1]`
/// is neither SP, HTAB, CR nor LF (so every WSP run in the stretch ends before `end`); no line in the stretch is
/// trailing. Each step reads `input[index ..< index + 65]` and writes up to 64 bytes at `output + *used`, of which
/// the canonical ones count; `*used` may first go back by one (the SP taken back).
///
/// Steps while `index + 65 <= end` and `capacity - *used >= 64`. Returns the new `index` and sets `*used` to the
/// end of the canonical octets written; the guarantee about `input[index - 1]` holds again on return.
size_t cdkim_relaxed_body_windows(int kernel, const uint8_t *input, size_t index, size_t end, uint8_t *output,
                                  size_t *used, size_t capacity);

/// Base64 decoding (DKIM's `b=`, `bh=` and `p=`) kernels; `cdkim_base64_kernel()` returns the best one this CPU runs.
enum {
    /// None: the CPU is not x86-64, or lacks AVX2.
    CDKIM_BASE64_NONE = 0,
    /// AVX2: 32 bytes per step.
    CDKIM_BASE64_AVX2 = 1,
};

/// The best base64 kernel this CPU and operating system run; detected with CPUID and XGETBV on every call, so
/// callers keep the answer.
int cdkim_base64_kernel(void);

/// Copies the bytes of `input[0 ..< length]` other than SP, HTAB, CR and LF (folding white space, RFC 6376 §2.4)
/// to `output`, in order, with the kernel `kernel`. Writes up to `length + 32` bytes at `output`, of which the
/// returned number count. Returns SIZE_MAX when the input holds a byte below 0x21 that is not one of those four
/// (not base64 either way), or when `kernel` is NONE.
size_t cdkim_base64_gather(int kernel, const uint8_t *input, size_t length, uint8_t *output);

/// Decodes `characters[0 ..< count]` (`count` a multiple of 4, no padding) into `count / 4 * 3` bytes at `output`,
/// which may be `characters` itself (in place), with the kernel `kernel`. Writes `characters[count ..< count + 32]`
/// and up to 32 bytes beyond the decoded ones. Returns `count`, or the offset of the first character outside the
/// base64 alphabet (RFC 4648 §4; `=` included), before which the output is decoded; 0 when `kernel` is NONE.
size_t cdkim_base64_decode(int kernel, uint8_t *characters, size_t count, uint8_t *output);

/// The offset of the first CR or LF in `bytes[from ..< end]`, or `end` when there is none (the header parser's
/// line search; SSE2 on x86-64, a byte loop elsewhere). Reads only `bytes[from ..< end]`.
size_t cdkim_first_line_break(const uint8_t *bytes, size_t from, size_t end);

/// Relaxed header canonicalization (RFC 6376 §3.4.2) of the field `raw[0 ..< count]`: the name `raw[0 ..< name_end]`
/// lowercased over ASCII, a colon, the value after `raw[colon]` unfolded with each WSP run as one SP and none at
/// either end, and a CRLF. The bytes `raw[gap_start ..< gap_end]` inside the value are left out (`gap_start`
/// SIZE_MAX for none). Writes at most `name_end + 1 + count + 2` bytes at `output` (which must not overlap `raw`),
/// and returns how many of them are the canonical field; reads only `raw[0 ..< count]`. Same output as DKIMCore's
/// portable Swift loop; SSE2 on x86-64, byte loops elsewhere.
size_t cdkim_relaxed_header(const uint8_t *raw, size_t count, size_t name_end, size_t colon, size_t gap_start,
                            size_t gap_end, uint8_t *output);

/// Where the header scan (`cdkim_header_scan`) stands: the next line to read and the field still open. Offsets
/// are into the scanned bytes, without the bias.
typedef struct {
    /// The start of the next line to read.
    size_t index;
    /// Out: how many lines the call read.
    size_t lines;
    /// The start of the open field (not yet closed by the next field line), or -1 for none.
    intptr_t field_start;
    /// The end of the open field's name.
    size_t name_end;
    /// The open field's colon.
    size_t colon;
} cdkim_header_scan_state;

/// Reads the well-formed header lines of `bytes[state->index ..< end]` in a row, as DKIMCore's header parser
/// does: each must end in CRLF and be a fold (SP or HTAB first, with a field open) or a field line (1*ftext,
/// optional WSP, a colon). Stops before any other line (empty, bare CR or LF, no CRLF, a name the fast check
/// rejects), and before a field line when closing the open field would make `capacity` spans or `limit` closed
/// fields. Writes each field closed on the way as four intptr_t (start, name end, colon, end; each plus `bias`)
/// at `spans`, updates `state` (lines read, next line, open field) and returns how many spans it wrote. Reads
/// only `bytes[state->index ..< end]`. SSE2 on x86-64, byte loops elsewhere.
size_t cdkim_header_scan(const uint8_t *bytes, size_t end, intptr_t bias, cdkim_header_scan_state *state,
                         size_t limit, intptr_t *spans, size_t capacity);

#endif
