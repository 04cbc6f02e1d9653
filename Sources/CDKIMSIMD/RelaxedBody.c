#include "CDKIMSIMD.h"

#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

int cdkim_relaxed_body_kernel(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return CDKIM_RELAXED_BODY_NONE;
    // Vendor "AuthenticAMD" in EBX, EDX, ECX.
    const int amd = ebx == 0x68747541u && edx == 0x69746E65u && ecx == 0x444D4163u;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return CDKIM_RELAXED_BODY_NONE;
    // Family: base (bits 8-11) plus extended (bits 20-27) when the base is 0xF. AMD's Zen 1 and 2 are 0x17 and
    // run pext and pdep in microcode (tens to hundreds of cycles); Zen 3 (0x19) and later in hardware.
    unsigned int family = (eax >> 8) & 0xFu;
    if (family == 0xFu) family += (eax >> 20) & 0xFFu;
    // CPUID.1:ECX bit 27 OSXSAVE (XGETBV usable), bit 23 POPCNT.
    if (!(ecx & (1u << 27)) || !(ecx & (1u << 23))) return CDKIM_RELAXED_BODY_NONE;
    unsigned int low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return CDKIM_RELAXED_BODY_NONE;
    // CPUID.7.0:EBX bit 3 BMI1, bit 5 AVX2, bit 8 BMI2, bit 16 AVX512F, bit 30 AVX512BW; ECX bit 6 AVX512_VBMI2.
    const unsigned int bmi = (1u << 3) | (1u << 8);
    if ((ebx & bmi) != bmi || (amd && family < 0x19u)) return CDKIM_RELAXED_BODY_NONE;
    // XCR0: SSE (bit 1), AVX (2) state saved by the OS; for AVX-512 also opmask (5), ZMM_Hi256 (6), Hi16_ZMM (7).
    const unsigned int avx512 = (1u << 16) | (1u << 30);
    if ((low & 0xE6u) == 0xE6u && (ebx & avx512) == avx512 && (ecx & (1u << 6)) != 0) {
        return CDKIM_RELAXED_BODY_AVX512;
    }
    if ((low & 0x6u) == 0x6u && (ebx & (1u << 5)) != 0) return CDKIM_RELAXED_BODY_AVX2;
    return CDKIM_RELAXED_BODY_NONE;
}

/// The lanes of one window that relaxed canonicalization drops, from its bit masks (bit k is byte k):
/// - `wsp`: SP or HTAB; `crlf`: a CR whose next byte is LF; `carry`: the byte before the window is WSP.
/// - `after`: lanes whose previous byte is WSP. `ends`: the lane after each run that starts in this window and
///   ends in it (adding a run's lowest bit carries through the run to the lane after it).
/// - The k-th such run starts at the k-th bit of `starts` and ends at the k-th bit of `ends`: `pext` picks the
///   runs followed by CR LF, `pdep` puts that choice back on their starts, and `ends - starts` of the chosen
///   runs is exactly their lanes.
/// - Dropped: WSP after WSP (a run becomes its first byte, written as SP) and every lane of a run before CR LF
///   (WSP at the end of a line goes). A run that goes on past the window keeps its first byte for now.
/// `*takeBack` is 1 when the run going on from the window before ends at CR LF in this one: the SP written for it
/// (the last byte written) goes.
__attribute__((target("bmi,bmi2"), always_inline))
static inline uint64_t dropped_lanes(uint64_t wsp, uint64_t crlf, uint64_t carry, size_t *takeBack) {
    const uint64_t after = (wsp << 1) | carry;
    const uint64_t starts = wsp & ~after;
    const uint64_t ends = (wsp + starts) & ~wsp;
    const uint64_t trailingStarts = _pdep_u64(_pext_u64(crlf, ends), starts);
    // The run going on from the window before ends at the lowest non-WSP lane (none: it goes on further).
    const uint64_t firstContent = ~wsp & (wsp + 1);
    *takeBack = (size_t)(carry & ((firstContent & crlf) != 0));
    return (wsp & after) | ((ends & crlf) - trailingStarts);
}

/// 1 when the byte before the window at `index` is SP or HTAB (its run goes on into the window), else 0.
static inline uint64_t wsp_before(const uint8_t *input, size_t index) {
    const uint8_t before = input[index - 1];
    return (before == 0x20 || before == 0x09) ? 1 : 0;
}

/// One 64-byte window per step with a fixed stride (no step waits for the one before it, except for one bit:
/// whether the window before ended inside a WSP run); the kept lanes are packed with one byte compression.
__attribute__((target("avx512f,avx512bw,avx512vbmi2,bmi,bmi2,popcnt")))
static size_t relaxed_windows_avx512(const uint8_t *input, size_t index, size_t end, uint8_t *output,
                                     size_t *used, size_t capacity) {
    const __m512i space = _mm512_set1_epi8(0x20);
    const __m512i tab = _mm512_set1_epi8(0x09);
    const __m512i cr = _mm512_set1_epi8(0x0D);
    const __m512i lf = _mm512_set1_epi8(0x0A);
    size_t written = *used;
    uint64_t carry = wsp_before(input, index);
    while (end - index >= 65 && capacity - written >= 64) {
        const __m512i current = _mm512_loadu_si512((const void *)(input + index));
        const __m512i next = _mm512_loadu_si512((const void *)(input + index + 1));
        const uint64_t tabs = _mm512_cmpeq_epi8_mask(current, tab);
        const uint64_t wsp = _mm512_cmpeq_epi8_mask(current, space) | tabs;
        const uint64_t crlf = _mm512_cmpeq_epi8_mask(current, cr) & _mm512_cmpeq_epi8_mask(next, lf);
        size_t takeBack;
        const uint64_t keep = ~dropped_lanes(wsp, crlf, carry, &takeBack);
        written -= takeBack;
        const __m512i values = _mm512_mask_mov_epi8(current, tabs, space);
        _mm512_storeu_si512((void *)(output + written), _mm512_maskz_compress_epi8(keep, values));
        written += (size_t)__builtin_popcountll(keep);
        carry = wsp >> 63;
        index += 64;
    }
    *used = written;
    return index;
}

/// The lanes of a 32-byte vector equal to `byte`, as bits.
__attribute__((target("avx2"), always_inline))
static inline uint64_t lanes_avx2(__m256i vector, __m256i byte) {
    return (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(vector, byte));
}

/// The 32 bits of `bits` as 32 bytes, 0xFF where the bit is set: each byte lane takes its byte of the mask and
/// tests its own bit.
__attribute__((target("avx2"), always_inline))
static inline __m256i widen_avx2(uint32_t bits) {
    const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits),
        _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                         2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
    const __m256i select = _mm256_set1_epi64x((long long)0x8040201008040201u);
    return _mm256_cmpeq_epi8(_mm256_and_si256(spread, select), select);
}

/// The same windows with AVX2 masks; the kept bytes of each eight are packed by `pext` (with the keep bits
/// widened to bytes) and stored eight at a time, overlapping.
__attribute__((target("avx2,bmi,bmi2,popcnt")))
static size_t relaxed_windows_avx2(const uint8_t *input, size_t index, size_t end, uint8_t *output,
                                   size_t *used, size_t capacity) {
    const __m256i space = _mm256_set1_epi8(0x20);
    const __m256i tab = _mm256_set1_epi8(0x09);
    const __m256i cr = _mm256_set1_epi8(0x0D);
    const __m256i lf = _mm256_set1_epi8(0x0A);
    size_t written = *used;
    uint64_t carry = wsp_before(input, index);
    while (end - index >= 65 && capacity - written >= 64) {
        const __m256i low = _mm256_loadu_si256((const __m256i *)(input + index));
        const __m256i high = _mm256_loadu_si256((const __m256i *)(input + index + 32));
        const uint64_t tabs = lanes_avx2(low, tab) | lanes_avx2(high, tab) << 32;
        const uint64_t wsp = tabs | lanes_avx2(low, space) | lanes_avx2(high, space) << 32;
        const uint64_t lfs = (lanes_avx2(low, lf) | lanes_avx2(high, lf) << 32) >> 1
            | (uint64_t)(input[index + 64] == 0x0A) << 63;
        const uint64_t crlf = (lanes_avx2(low, cr) | lanes_avx2(high, cr) << 32) & lfs;
        size_t takeBack;
        const uint64_t keep = ~dropped_lanes(wsp, crlf, carry, &takeBack);
        written -= takeBack;
        uint64_t words[8], masks[8];
        _mm256_storeu_si256((__m256i *)words, _mm256_blendv_epi8(low, space, _mm256_cmpeq_epi8(low, tab)));
        _mm256_storeu_si256((__m256i *)(words + 4), _mm256_blendv_epi8(high, space, _mm256_cmpeq_epi8(high, tab)));
        _mm256_storeu_si256((__m256i *)masks, widen_avx2((uint32_t)keep));
        _mm256_storeu_si256((__m256i *)(masks + 4), widen_avx2((uint32_t)(keep >> 32)));
        for (int group = 0; group < 8; group++) {
            const uint64_t packed = _pext_u64(words[group], masks[group]);
            memcpy(output + written, &packed, 8);
            written += (size_t)__builtin_popcountll((keep >> (8 * group)) & 0xFFu);
        }
        carry = wsp >> 63;
        index += 64;
    }
    *used = written;
    return index;
}

size_t cdkim_relaxed_body_windows(int kernel, const uint8_t *input, size_t index, size_t end, uint8_t *output,
                                  size_t *used, size_t capacity) {
    switch (kernel) {
    case CDKIM_RELAXED_BODY_AVX512: return relaxed_windows_avx512(input, index, end, output, used, capacity);
    case CDKIM_RELAXED_BODY_AVX2: return relaxed_windows_avx2(input, index, end, output, used, capacity);
    default: return index;
    }
}

#else

int cdkim_relaxed_body_kernel(void) { return CDKIM_RELAXED_BODY_NONE; }

size_t cdkim_relaxed_body_windows(int kernel, const uint8_t *input, size_t index, size_t end, uint8_t *output,
                                  size_t *used, size_t capacity) {
    (void)kernel; (void)input; (void)end; (void)output; (void)used; (void)capacity;
    return index;
}

#endif
