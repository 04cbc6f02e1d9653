#include "CDKIMSIMD.h"
#include "LineBreak.h"

#if defined(__x86_64__)
#include <emmintrin.h>
#endif

// The header parser's usual lines in one call: a Swift loop spent a call for the line search, a name scan and an
// array append on every one of the ~26 lines of a usual message. Anything unusual is left to the Swift parser,
// which names the fault, so this code only has to recognise the well-formed case exactly.

// ftext (RFC 5322 §3.6.8): printable US-ASCII except the colon.
static inline int is_ftext(uint8_t byte) { return byte >= 0x21 && byte <= 0x7E && byte != ':'; }

static inline size_t name_end(const uint8_t *bytes, size_t index, size_t end) {
#if defined(__x86_64__)
    // Signed compares: bytes from 0x80 up are negative, so "above 0x20 and below 0x7F" is exactly 0x21 to 0x7E.
    const __m128i space = _mm_set1_epi8(0x20);
    const __m128i delete = _mm_set1_epi8(0x7F);
    const __m128i colon = _mm_set1_epi8(':');
    while (index + 16 <= end) {
        const __m128i block = _mm_loadu_si128((const __m128i *)(bytes + index));
        const __m128i ok = _mm_andnot_si128(_mm_cmpeq_epi8(block, colon),
                                            _mm_and_si128(_mm_cmpgt_epi8(block, space), _mm_cmplt_epi8(block, delete)));
        const unsigned int stops = (unsigned int)_mm_movemask_epi8(ok) ^ 0xFFFFu;
        if (stops != 0) return index + (size_t)__builtin_ctz(stops);
        index += 16;
    }
#endif
    while (index < end && is_ftext(bytes[index])) index++;
    return index;
}

size_t cdkim_header_scan(const uint8_t *bytes, size_t end, intptr_t bias, cdkim_header_scan_state *state,
                         size_t limit, intptr_t *spans, size_t capacity) {
    size_t index = state->index;
    size_t lines = 0;
    size_t written = 0;
    intptr_t field_start = state->field_start;
    size_t field_name_end = state->name_end;
    size_t field_colon = state->colon;
    // At most this many spans may be closed here: the buffer's room, and one fewer than the fields still allowed
    // (the line that would open one more is left to the caller, which reports the limit).
    const size_t most = capacity < limit ? capacity : limit;
    while (index < end) {
        const size_t line_end = cdkim_line_break(bytes, index, end);
        // A line must end in CRLF and hold something (RFC 5322 §2.1, §2.2).
        if (line_end + 1 >= end || line_end == index || bytes[line_end] != '\r' || bytes[line_end + 1] != '\n') {
            break;
        }
        const uint8_t first = bytes[index];
        if (first == ' ' || first == '\t') {
            // A fold continues the field above (RFC 5322 §2.2.3).
            if (field_start < 0) break;
        } else {
            // A closed field must fit, and one more must stay allowed after it.
            if (written + (field_start >= 0) >= most) break;
            // field-name = 1*ftext (§3.6.8), WSP before the colon (obs-optional, §4.5.8), the colon.
            const size_t name = name_end(bytes, index, line_end);
            size_t at = name;
            while (at < line_end && (bytes[at] == ' ' || bytes[at] == '\t')) at++;
            if (name == index || at == line_end || bytes[at] != ':') break;
            if (field_start >= 0) {
                intptr_t *span = spans + 4 * written;
                span[0] = bias + field_start;
                span[1] = bias + (intptr_t)field_name_end;
                span[2] = bias + (intptr_t)field_colon;
                span[3] = bias + (intptr_t)index;
                written++;
            }
            field_start = (intptr_t)index;
            field_name_end = name;
            field_colon = at;
        }
        index = line_end + 2;
        lines++;
    }
    state->index = index;
    state->lines = lines;
    state->field_start = field_start;
    state->name_end = field_name_end;
    state->colon = field_colon;
    return written;
}
