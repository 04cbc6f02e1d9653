/// Searches for a few byte values eight bytes at a time (SWAR), for the scans on the per-message hot paths.
enum ByteScan {
    /// The offset of the first byte in `[from, end)` equal to `a`, `b` or `c`, or `end` when there is none.
    /// Pass a value twice to look for two.
    ///
    /// Each word is XORed with each value repeated, so a matching byte becomes zero; `(x - 0x01…) & ~x & 0x80…`
    /// marks the zero bytes. A mark can be wrong only above a true zero byte, so the lowest mark is exact, also
    /// after OR-ing the marks of the three values.
    @inline(__always)
    static func first(of a: UInt8, _ b: UInt8, _ c: UInt8, in base: UnsafeRawPointer, from: Int, end: Int) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let patternA = ones &* UInt64(a), patternB = ones &* UInt64(b), patternC = ones &* UInt64(c)
        @inline(__always) func zeroMarks(_ x: UInt64) -> UInt64 { (x &- ones) & ~x }
        var index = from
        while index &+ 8 <= end {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            let marks = (zeroMarks(word ^ patternA) | zeroMarks(word ^ patternB) | zeroMarks(word ^ patternC)) & highs
            if marks != 0 { return index &+ marks.trailingZeroBitCount / 8 }
            index &+= 8
        }
        while index < end {
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            if byte == a || byte == b || byte == c { return index }
            index &+= 1
        }
        return end
    }

    /// The offset of the first byte in `[from, end)` below `bound` (at most 0x80) or equal to `a` or `b`, or `end`.
    ///
    /// `(x - bound…) & ~x & 0x80…` marks the bytes below `bound` (bytes of 0x80 and above are never marked), again
    /// exact at the lowest mark.
    @inline(__always)
    static func first(below bound: UInt8, or a: UInt8, _ b: UInt8, in base: UnsafeRawPointer, from: Int,
                      end: Int) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let bounds = ones &* UInt64(bound), patternA = ones &* UInt64(a), patternB = ones &* UInt64(b)
        @inline(__always) func zeroMarks(_ x: UInt64) -> UInt64 { (x &- ones) & ~x }
        var index = from
        while index &+ 8 <= end {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            let marks = ((word &- bounds) & ~word | zeroMarks(word ^ patternA) | zeroMarks(word ^ patternB)) & highs
            if marks != 0 { return index &+ marks.trailingZeroBitCount / 8 }
            index &+= 8
        }
        while index < end {
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            if byte < bound || byte == a || byte == b { return index }
            index &+= 1
        }
        return end
    }
}
