#ifndef CDKIMSIMD_LINE_BREAK_H
#define CDKIMSIMD_LINE_BREAK_H

#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__)
#include <emmintrin.h>
#endif

// The search for the first CR or LF of a header line, shared by cdkim_first_line_break (HeaderLines.c, one line
// for the Swift parser) and cdkim_header_scan (HeaderScan.c, a run of lines): SSE2, part of x86-64, so no CPU
// check; a byte loop elsewhere. Reads only bytes[index ..< end]; returns end when there is none.
static inline size_t cdkim_line_break(const uint8_t *bytes, size_t index, size_t end) {
#if defined(__x86_64__)
    const __m128i cr = _mm_set1_epi8('\r');
    const __m128i lf = _mm_set1_epi8('\n');
    // 32 bytes a step (two blocks, one test): header lines are mostly 40 to 80 octets.
    while (index + 32 <= end) {
        const __m128i low = _mm_loadu_si128((const __m128i *)(bytes + index));
        const __m128i high = _mm_loadu_si128((const __m128i *)(bytes + index + 16));
        const unsigned int found =
            (unsigned int)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(low, cr), _mm_cmpeq_epi8(low, lf)))
            | (unsigned int)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(high, cr), _mm_cmpeq_epi8(high, lf)))
                << 16;
        if (found != 0) return index + (size_t)__builtin_ctz(found);
        index += 32;
    }
    while (index + 16 <= end) {
        const __m128i block = _mm_loadu_si128((const __m128i *)(bytes + index));
        const unsigned int found =
            (unsigned int)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(block, cr), _mm_cmpeq_epi8(block, lf)));
        if (found != 0) return index + (size_t)__builtin_ctz(found);
        index += 16;
    }
#endif
    for (; index < end; index++) {
        if (bytes[index] == '\r' || bytes[index] == '\n') return index;
    }
    return end;
}

#endif
