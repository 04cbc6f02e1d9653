#include "CDKIMSIMD.h"

#include <string.h>

#if defined(__x86_64__)
#include <emmintrin.h>
#endif

// Relaxed header canonicalization (RFC 6376 §3.4.2) of one whole field per call. The Swift loop it replaces on
// x86-64 (Canonicalization.portableRelaxedHeader, which stays the reference and the code elsewhere) went through
// the value eight bytes at a time, and its per-run bookkeeping and byte-wise tails cost more than the copying
// on fields of 20 to 80 octets. Here runs are copied 16 bytes at a time (SSE2 is part of x86-64, so no CPU check)
// and a run's last few bytes are found with one overlapping 16-byte load rather than byte by byte.
//
// Writing rule (what makes whole-block stores safe): the output never runs ahead of the input (the name and the
// colon go over the name and the colon, one SP over a WSP run), and a block is stored at output offset o <= i
// only when the 16 input bytes at i lie within the field, so every store ends within the field's raw length,
// which the caller's buffer holds (with the name, a colon and a CRLF more).

#if defined(__x86_64__)
/// Bit k set when byte k of `block` is at most SP (a control byte or SP), and, in `*spaces`, when it is SP.
static inline unsigned int low_bytes(__m128i block, unsigned int *spaces) {
    const __m128i space = _mm_set1_epi8(0x20);
    *spaces = (unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(block, space));
    return (unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(block, space), block));
}

/// The length of the run the masks describe, looking at the first `limit` bytes (at most 16): it stops at the
/// first byte at most SP, unless that byte is SP and the byte after it, within `limit`, is above SP (§3.4.2 keeps
/// a lone SP between value bytes). At `limit == 16` the block's last byte stops the run when it is SP, as its
/// successor is not in the masks.
static inline size_t run_in_masks(unsigned int low, unsigned int spaces, size_t limit) {
    low |= 1u << limit;
    spaces &= (1u << limit) - 1u;
    const unsigned int stops = low & ~(spaces & ~(low >> 1));
    return (size_t)__builtin_ctz(stops);
}

/// Copies `count` (below 16) bytes with at most two overlapping loads and stores of one width.
static inline void copy_short(uint8_t *out, const uint8_t *in, size_t count) {
    if (count >= 8) {
        uint64_t head, tail;
        memcpy(&head, in, 8);
        memcpy(&tail, in + count - 8, 8);
        memcpy(out, &head, 8);
        memcpy(out + count - 8, &tail, 8);
    } else if (count >= 4) {
        uint32_t head, tail;
        memcpy(&head, in, 4);
        memcpy(&tail, in + count - 4, 4);
        memcpy(out, &head, 4);
        memcpy(out + count - 4, &tail, 4);
    } else if (count >= 2) {
        uint16_t head, tail;
        memcpy(&head, in, 2);
        memcpy(&tail, in + count - 2, 2);
        memcpy(out, &head, 2);
        memcpy(out + count - 2, &tail, 2);
    } else if (count == 1) {
        out[0] = in[0];
    }
}
#endif

/// Copies the run at `raw[index]` (a byte above SP) that relaxed canonicalization keeps as it is: bytes above SP
/// and lone SPs between them, up to `end` at most. Returns how many bytes it copied (at least one).
static inline size_t copy_run(const uint8_t *raw, size_t count, size_t index, size_t end, uint8_t *out) {
    const uint8_t *in = raw + index;
    const size_t available = end - index;
    size_t copied = 0;
#if defined(__x86_64__)
    unsigned int spaces;
    // 32 bytes a step (two blocks, one test): a run's SPs and its end are seen in one 32-bit mask.
    while (copied + 32 <= available) {
        const __m128i first = _mm_loadu_si128((const __m128i *)(in + copied));
        const __m128i second = _mm_loadu_si128((const __m128i *)(in + copied + 16));
        _mm_storeu_si128((__m128i *)(out + copied), first);
        _mm_storeu_si128((__m128i *)(out + copied + 16), second);
        unsigned int spaces_high;
        const unsigned int low = low_bytes(first, &spaces) | low_bytes(second, &spaces_high) << 16;
        spaces |= spaces_high << 16;
        const unsigned int stops = low & ~(spaces & ~((low >> 1) | 0x80000000u));
        if (stops != 0) return copied + (size_t)__builtin_ctz(stops);
        copied += 32;
    }
    if (copied + 16 <= available) {
        const __m128i block = _mm_loadu_si128((const __m128i *)(in + copied));
        _mm_storeu_si128((__m128i *)(out + copied), block);
        const unsigned int low = low_bytes(block, &spaces);
        const unsigned int stops = low & ~(spaces & ~((low >> 1) | 0x8000u));
        if (stops != 0) return copied + (size_t)__builtin_ctz(stops);
        copied += 16;
    }
    const size_t left = available - copied;
    if (left == 0) return copied;
    const size_t at = index + copied;
    if (at + 16 <= count) {
        // The block runs past `end` but not past the field: stored whole (see the writing rule above).
        const __m128i block = _mm_loadu_si128((const __m128i *)(raw + at));
        _mm_storeu_si128((__m128i *)(out + copied), block);
        const unsigned int low = low_bytes(block, &spaces);
        return copied + run_in_masks(low, spaces, left);
    }
    if (count >= 16) {
        // The field's last 16 bytes, the masks shifted to start at `at`; only the run's bytes are written.
        const size_t shift = at - (count - 16);
        const __m128i block = _mm_loadu_si128((const __m128i *)(raw + count - 16));
        const unsigned int low = low_bytes(block, &spaces) >> shift;
        const size_t run = run_in_masks(low, spaces >> shift, left);
        copy_short(out + copied, in + copied, run);
        return copied + run;
    }
#endif
    while (copied < available) {
        const uint8_t byte = in[copied];
        if (byte <= 0x20) {
            if (byte != 0x20 || copied + 1 >= available || in[copied + 1] <= 0x20) break;
        }
        out[copied] = byte;
        copied++;
    }
    return copied;
}

size_t cdkim_relaxed_header(const uint8_t *raw, size_t count, size_t name_end, size_t colon, size_t gap_start,
                            size_t gap_end, uint8_t *out) {
    const int has_gap = gap_start != SIZE_MAX;
    const int ends_with_crlf = count >= 2 && raw[count - 2] == 0x0D && raw[count - 1] == 0x0A
        && (!has_gap || gap_end <= count - 2);
    // Step 1: the name lowercased (ASCII letters only); step 5: no WSP before the colon (the name has none).
    size_t cursor = 0;
#if defined(__x86_64__)
    while (cursor < name_end && cursor + 16 <= count) {
        const __m128i block = _mm_loadu_si128((const __m128i *)(raw + cursor));
        // "A" + 0x3F is -128 as a signed byte and "Z" + 0x3F is -103: only capitals land below -102.
        const __m128i shifted = _mm_add_epi8(block, _mm_set1_epi8(0x3F));
        const __m128i upper = _mm_cmplt_epi8(shifted, _mm_set1_epi8(-102));
        _mm_storeu_si128((__m128i *)(out + cursor), _mm_or_si128(block, _mm_and_si128(upper, _mm_set1_epi8(0x20))));
        cursor += 16;
    }
#endif
    for (; cursor < name_end; cursor++) {
        const uint8_t byte = raw[cursor];
        out[cursor] = (byte >= 0x41 && byte <= 0x5A) ? (uint8_t)(byte | 0x20) : byte;
    }
    cursor = name_end;
    out[cursor++] = 0x3A;
    const size_t value_end = ends_with_crlf ? count - 2 : count;
    // The removed bytes (a verifier's `b=` value, RFC 6376 §3.7) split the value in two parts, walked by the one
    // loop below; a CR just before them is not unfolded with an LF after them.
    size_t index = colon + 1;
    size_t end = value_end;
    size_t resume = value_end;
    if (has_gap && gap_start >= index && gap_start < value_end) {
        end = gap_start;
        resume = gap_end;
    }
    int pending = 0;  // a WSP run seen since the last value byte, after one (so an SP is due before the next)
    int wrote = 0;    // a value byte written
    for (;;) {
        while (index < end) {
            const uint8_t byte = raw[index];
            if (byte > 0x20) {
                // Step 3: one SP for the WSP run between value bytes; steps 4 and 5 drop the runs at either
                // end, by writing the SP only here.
                if (pending) out[cursor++] = 0x20;
                pending = 0;
                wrote = 1;
                const size_t copied = copy_run(raw, count, index, end, out + cursor);
                cursor += copied;
                index += copied;
                continue;
            }
            if (byte == 0x20 || byte == 0x09) {
                pending = wrote;
            } else if (byte == 0x0D && index + 1 < end && raw[index + 1] == 0x0A) {
                // Step 2: unfold (the CRLF of a fold goes; the WSP after it joins the run).
                index++;
            } else {
                // Other control bytes are value bytes.
                if (pending) out[cursor++] = 0x20;
                pending = 0;
                wrote = 1;
                out[cursor++] = byte;
            }
            index++;
        }
        if (end == value_end) break;
        index = resume;
        end = value_end;
    }
    out[cursor] = 0x0D;
    out[cursor + 1] = 0x0A;
    return cursor + 2;
}
