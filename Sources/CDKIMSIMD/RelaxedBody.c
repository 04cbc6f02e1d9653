#include "CDKIMSIMD.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

int cdkim_relaxed_body_windows_available(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    // CPUID.1:ECX bit 27 OSXSAVE (XGETBV usable), bit 23 POPCNT.
    if (!(ecx & (1u << 27)) || !(ecx & (1u << 23))) return 0;
    unsigned int low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    // XCR0: SSE (bit 1), AVX (2), opmask (5), ZMM_Hi256 (6), Hi16_ZMM (7) state saved by the OS.
    if ((low & 0xE6u) != 0xE6u) return 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    // CPUID.7.0:EBX bit 3 BMI1, bit 8 BMI2, bit 16 AVX512F, bit 30 AVX512BW; ECX bit 6 AVX512_VBMI2.
    const unsigned int needed = (1u << 3) | (1u << 8) | (1u << 16) | (1u << 30);
    return (ebx & needed) == needed && (ecx & (1u << 6)) != 0;
}

/// One 64-byte window per step, all lanes at once, with a fixed stride (no step waits for the one before it,
/// except for one bit: whether the window before ended inside a WSP run):
/// - `wsp`: SP or HTAB lanes; `crlf`: a CR whose next byte is LF; `after`: lanes whose previous byte is WSP.
/// - `ends`: the lane after each run that starts in this window and ends in it (adding a run's lowest bit
///   carries through the run to the lane after it).
/// - The k-th such run starts at the k-th bit of `starts` and ends at the k-th bit of `ends`: `pext` picks the
///   runs followed by CR LF, `pdep` puts that choice back on their starts, and `ends - starts` of the chosen
///   runs is exactly their lanes.
/// - Dropped: WSP after WSP (a run becomes its first byte, written as SP) and every lane of a run before CR LF
///   (WSP at the end of a line goes). The kept lanes are packed with one byte compression.
/// - A run that goes on past the window keeps its first byte as SP for now; when the next window shows the run
///   ends at CR LF, that SP (the last byte written) is taken back.
__attribute__((target("avx512f,avx512bw,avx512vbmi2,bmi,bmi2,popcnt")))
static size_t relaxed_windows_avx512(const uint8_t *input, size_t index, size_t end, uint8_t *output,
                                     size_t *used, size_t capacity) {
    const __m512i space = _mm512_set1_epi8(0x20);
    const __m512i tab = _mm512_set1_epi8(0x09);
    const __m512i cr = _mm512_set1_epi8(0x0D);
    const __m512i lf = _mm512_set1_epi8(0x0A);
    size_t written = *used;
    const uint8_t before = input[index - 1];
    uint64_t carry = (before == 0x20 || before == 0x09) ? 1 : 0;
    while (end - index >= 65 && capacity - written >= 64) {
        const __m512i current = _mm512_loadu_si512((const void *)(input + index));
        const __m512i next = _mm512_loadu_si512((const void *)(input + index + 1));
        const uint64_t tabs = _mm512_cmpeq_epi8_mask(current, tab);
        const uint64_t wsp = _mm512_cmpeq_epi8_mask(current, space) | tabs;
        const uint64_t crlf = _mm512_cmpeq_epi8_mask(current, cr) & _mm512_cmpeq_epi8_mask(next, lf);
        const uint64_t after = (wsp << 1) | carry;
        const uint64_t starts = wsp & ~after;
        const uint64_t ends = (wsp + starts) & ~wsp;
        const uint64_t trailingEnds = ends & crlf;
        const uint64_t trailingStarts = _pdep_u64(_pext_u64(crlf, ends), starts);
        const uint64_t dropped = (wsp & after) | (trailingEnds - trailingStarts);
        // The run going on from the window before ends at the lowest non-WSP lane (none: it goes on further).
        const uint64_t firstContent = ~wsp & (wsp + 1);
        written -= (size_t)(carry & ((firstContent & crlf) != 0));
        const __m512i values = _mm512_mask_mov_epi8(current, tabs, space);
        _mm512_storeu_si512((void *)(output + written), _mm512_maskz_compress_epi8(~dropped, values));
        written += (size_t)__builtin_popcountll(~dropped);
        carry = wsp >> 63;
        index += 64;
    }
    *used = written;
    return index;
}

size_t cdkim_relaxed_body_windows(const uint8_t *input, size_t index, size_t end, uint8_t *output, size_t *used,
                                  size_t capacity) {
    return relaxed_windows_avx512(input, index, end, output, used, capacity);
}

#else

int cdkim_relaxed_body_windows_available(void) { return 0; }

size_t cdkim_relaxed_body_windows(const uint8_t *input, size_t index, size_t end, uint8_t *output, size_t *used,
                                  size_t capacity) {
    (void)input; (void)end; (void)output; (void)used; (void)capacity;
    return index;
}

#endif
