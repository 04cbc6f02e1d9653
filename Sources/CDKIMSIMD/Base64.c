#include "CDKIMSIMD.h"

#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

int cdkim_base64_kernel(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return CDKIM_BASE64_NONE;
    // CPUID.1:ECX bit 27 OSXSAVE (XGETBV usable), bit 28 AVX.
    if (!(ecx & (1u << 27)) || !(ecx & (1u << 28))) return CDKIM_BASE64_NONE;
    unsigned int low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    // XCR0: SSE (bit 1) and AVX (bit 2) state saved by the OS.
    if ((low & 0x6u) != 0x6u) return CDKIM_BASE64_NONE;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return CDKIM_BASE64_NONE;
    // CPUID.7.0:EBX bit 5 AVX2.
    return (ebx & (1u << 5)) != 0 ? CDKIM_BASE64_AVX2 : CDKIM_BASE64_NONE;
}

/// Copies the bytes above SP of `input[*index ..< limit + 31]` to `output + *written` one 32-byte window at a
/// time, skipping runs of SP, HTAB, CR and LF; each window stores all 32 bytes, of which the ones before the first
/// white space count. Steps while `*index < limit`. Returns 0 when a window holds a byte below 0x21 that is not
/// folding white space, else 1.
__attribute__((target("avx2")))
static int gather_windows_avx2(const uint8_t *input, size_t *index, size_t limit, uint8_t *output,
                               size_t *written) {
    const __m256i space = _mm256_set1_epi8(0x20);
    const __m256i whiteTable = _mm256_setr_epi8(
        0x20, -1, -1, -1, -1, -1, -1, -1, -1, 0x09, 0x0A, -1, -1, 0x0D, -1, -1,
        0x20, -1, -1, -1, -1, -1, -1, -1, -1, 0x09, 0x0A, -1, -1, 0x0D, -1, -1);
    size_t i = *index, o = *written;
    while (i < limit) {
        const __m256i window = _mm256_loadu_si256((const __m256i *)(input + i));
        _mm256_storeu_si256((__m256i *)(output + o), window);
        // Bytes at most SP: the minimum with SP is the byte itself.
        const uint32_t low = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(window, space),
                                                                               window));
        if (low == 0) {
            i += 32;
            o += 32;
            continue;
        }
        // White space by its low nibble: the table holds SP, HTAB, LF and CR at theirs (0, 9, A, D), 0xFF elsewhere,
        // and a byte is white space when it equals its entry.
        const uint32_t white = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_shuffle_epi8(whiteTable, window),
                                                                                 window));
        if ((low & ~white) != 0) {
            *index = i;
            *written = o;
            return 0;
        }
        // The run of white space from the first one; lanes past the window read as not white, so it stops there.
        const unsigned first = (unsigned)__builtin_ctz(low);
        const unsigned run = (unsigned)__builtin_ctzll(~((uint64_t)white >> first));
        o += first;
        i += first + run;
    }
    *index = i;
    *written = o;
    return 1;
}

__attribute__((target("avx2")))
static size_t gather_avx2(const uint8_t *input, size_t length, uint8_t *output) {
    size_t index = 0, written = 0;
    if (length >= 32) {
        if (!gather_windows_avx2(input, &index, length - 31, output, &written)) return SIZE_MAX;
    }
    if (index >= length) return written;
    const size_t rest = length - index;
    if (length >= 32 && written >= 32) {
        // The last 32 bytes of the input, of which the last `rest` are still to come: when they hold no white
        // space, the window is stored so that they land at `output + written`, and the 32 bytes before, which it
        // covers in part, are put back.
        const __m256i last = _mm256_loadu_si256((const __m256i *)(input + length - 32));
        const __m256i space = _mm256_set1_epi8(0x20);
        const uint32_t low = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(last, space), last));
        if ((low >> (32 - rest)) == 0) {
            const __m256i before = _mm256_loadu_si256((const __m256i *)(output + written - 32));
            _mm256_storeu_si256((__m256i *)(output + written + rest - 32), last);
            _mm256_storeu_si256((__m256i *)(output + written - 32), before);
            return written + rest;
        }
    }
    // Else they go through one more window copied to the stack, followed by SP, which is skipped: when the input
    // has 32 bytes, its last 32 bytes are stored so that the rest lands at `tail + 32`.
    uint8_t tail[96];
    if (length >= 32) {
        _mm256_storeu_si256((__m256i *)(tail + rest), _mm256_loadu_si256((const __m256i *)(input + length - 32)));
    } else {
        memcpy(tail + 32, input + index, rest);
    }
    _mm256_storeu_si256((__m256i *)(tail + 32 + rest), _mm256_set1_epi8(0x20));
    size_t tailIndex = 0;
    if (!gather_windows_avx2(tail + 32, &tailIndex, rest, output, &written)) return SIZE_MAX;
    return written;
}

/// Six-bit values of 32 base64 characters, and `*fault` non-zero in the lanes of characters outside the alphabet
/// (RFC 4648 §4, `=` included).
///
/// Validity comes from two nibble tables: `low[c & 15] & high[c >> 4]` is zero exactly for the alphabet. Each
/// high nibble that holds characters gets a bit naming the low nibbles it does not hold: 2 holds B (`+`) and
/// F (`/`), 3 holds 0-9, 4 and 6 hold 1-F, 5 and 7 hold 0-A; bit 0 is set in every low entry, for the high
/// nibbles that hold none. The value is the character plus an offset chosen by its high nibble, with `/` moved
/// to a slot of its own (index 1) by subtracting one when it matches.
__attribute__((target("avx2"), always_inline))
static inline __m256i values_avx2(__m256i characters, __m256i *fault) {
    const __m256i lowTable = _mm256_setr_epi8(
        0x0B, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x07, 0x15, 0x17, 0x17, 0x17, 0x15,
        0x0B, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x07, 0x15, 0x17, 0x17, 0x17, 0x15);
    const __m256i highTable = _mm256_setr_epi8(
        0x01, 0x01, 0x02, 0x04, 0x08, 0x10, 0x08, 0x10, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
        0x01, 0x01, 0x02, 0x04, 0x08, 0x10, 0x08, 0x10, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01);
    // '/' +16 at 1, '+' +19 at 2, digits +4 at 3, upper case -65 at 4 and 5, lower case -71 at 6 and 7.
    const __m256i offsetTable = _mm256_setr_epi8(
        0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
    const __m256i nibble = _mm256_set1_epi8(0x0F);
    const __m256i high = _mm256_and_si256(_mm256_srli_epi32(characters, 4), nibble);
    const __m256i low = _mm256_and_si256(characters, nibble);
    *fault = _mm256_and_si256(_mm256_shuffle_epi8(lowTable, low), _mm256_shuffle_epi8(highTable, high));
    const __m256i slot = _mm256_add_epi8(high, _mm256_cmpeq_epi8(characters, _mm256_set1_epi8('/')));
    return _mm256_add_epi8(characters, _mm256_shuffle_epi8(offsetTable, slot));
}

/// The 24 bytes of 32 six-bit values, in the low 24 bytes: pairs joined into 12 bits, pairs of those into 24
/// (the first character highest), each lane's three bytes taken big-endian, then the lanes' twelve joined (the
/// last eight bytes repeat the first: anything but zeros, which the compiler would blend in with an extra step).
__attribute__((target("avx2"), always_inline))
static inline __m256i pack_avx2(__m256i values) {
    const __m256i pairs = _mm256_maddubs_epi16(values, _mm256_set1_epi32(0x01400140));
    const __m256i quads = _mm256_madd_epi16(pairs, _mm256_set1_epi32(0x00011000));
    const __m256i bytes = _mm256_shuffle_epi8(quads, _mm256_setr_epi8(
        2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,
        2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1));
    return _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 0, 0));
}

__attribute__((target("avx2")))
static size_t decode_avx2(uint8_t *characters, size_t count, uint8_t *output) {
    // The last block is filled up with 'A' (value 0): its extra bytes are written but not counted.
    _mm256_storeu_si256((__m256i *)(characters + count), _mm256_set1_epi8('A'));
    for (size_t read = 0, written = 0; read < count; read += 32, written += 24) {
        // Loaded before the store below, which may reach into these characters when decoding in place.
        const __m256i block = _mm256_loadu_si256((const __m256i *)(characters + read));
        __m256i fault;
        const __m256i values = values_avx2(block, &fault);
        // One test per block; the lane is worked out only for a faulty one.
        if (!_mm256_testz_si256(fault, fault)) {
            const uint32_t valid = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(fault, _mm256_setzero_si256()));
            return read + (size_t)__builtin_ctz(~valid);
        }
        _mm256_storeu_si256((__m256i *)(output + written), pack_avx2(values));
    }
    return count;
}

size_t cdkim_base64_gather(int kernel, const uint8_t *input, size_t length, uint8_t *output) {
    switch (kernel) {
    case CDKIM_BASE64_AVX2: return gather_avx2(input, length, output);
    default: return SIZE_MAX;
    }
}

size_t cdkim_base64_decode(int kernel, uint8_t *characters, size_t count, uint8_t *output) {
    switch (kernel) {
    case CDKIM_BASE64_AVX2: return decode_avx2(characters, count, output);
    default: return 0;
    }
}

#else

int cdkim_base64_kernel(void) { return CDKIM_BASE64_NONE; }

size_t cdkim_base64_gather(int kernel, const uint8_t *input, size_t length, uint8_t *output) {
    (void)kernel; (void)input; (void)length; (void)output;
    return SIZE_MAX;
}

size_t cdkim_base64_decode(int kernel, uint8_t *characters, size_t count, uint8_t *output) {
    (void)kernel; (void)characters; (void)count; (void)output;
    return 0;
}

#endif
