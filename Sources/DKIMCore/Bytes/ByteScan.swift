/// Searches for a few byte values eight bytes at a time (SWAR), for the scans on the per-message hot paths.
enum ByteScan {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// `(x - 0x01…) & ~x` has the high bit set in each zero byte of `x` (and possibly above one, never below).
    @inline(__always)
    private static func zeroMarks(_ x: UInt64) -> UInt64 { (x &- ones) & ~x }

    /// The offset of the first byte in `[from, end)` equal to `a`, `b` or `c`, or `end` when there is none.
    /// Pass a value twice to look for two.
    ///
    /// Each word is XORed with each value repeated, so a matching byte becomes zero; `(x - 0x01…) & ~x & 0x80…`
    /// marks the zero bytes. A mark can be wrong only above a true zero byte, so the lowest mark is exact, also
    /// after OR-ing the marks of the three values.
    @inline(__always)
    static func first(of a: UInt8, _ b: UInt8, _ c: UInt8, in base: UnsafeRawPointer, from: Int, end: Int) -> Int {
        let patternA = ones &* UInt64(a), patternB = ones &* UInt64(b), patternC = ones &* UInt64(c)
        return firstMarked(in: base, from: from, end: end,
                           marks: { word in
                               (zeroMarks(word ^ patternA) | zeroMarks(word ^ patternB) | zeroMarks(word ^ patternC))
                                   & highs
                           },
                           matches: { byte in byte == a || byte == b || byte == c })
    }

    /// The offset of the first byte in `[from, end)` below `bound` (at most 0x80) or equal to `a` or `b`, or `end`.
    ///
    /// `(x - bound…) & ~x & 0x80…` marks the bytes below `bound` (bytes of 0x80 and above are never marked), again
    /// exact at the lowest mark.
    @inline(__always)
    static func first(below bound: UInt8, or a: UInt8, _ b: UInt8, in base: UnsafeRawPointer, from: Int,
                      end: Int) -> Int {
        let bounds = ones &* UInt64(bound), patternA = ones &* UInt64(a), patternB = ones &* UInt64(b)
        return firstMarked(in: base, from: from, end: end,
                           marks: { word in
                               ((word &- bounds) & ~word | zeroMarks(word ^ patternA) | zeroMarks(word ^ patternB))
                                   & highs
                           },
                           matches: { byte in byte < bound || byte == a || byte == b })
    }

    /// The offset of the first byte in `[from, end)` that ends a run of tag-value characters (at most 0x20, `;` or
    /// DEL; RFC 6376 §3.2 VALCHAR, and bytes of 0x80 and above, RFC 8616 §4), or `end`: sixteen bytes per step,
    /// then ``first(below:or:_:in:from:end:)`` for the last few.
    ///
    /// The lane masks are read as two words (0xFF per marked byte): the lowest set byte is the first match.
    @inline(__always)
    static func firstNonValueByte(in base: UnsafeRawPointer, from: Int, end: Int) -> Int {
        typealias Block = SIMD16<UInt8>
        var index = from
        while index &+ 16 <= end {
            let block = base.loadUnaligned(fromByteOffset: index, as: Block.self)
            let marked = (block .<= Block(repeating: ASCII.space)) .| (block .== Block(repeating: ASCII.semicolon))
                .| (block .== Block(repeating: ASCII.delete))
            let words = unsafeBitCast(marked, to: SIMD2<UInt64>.self)
            if words[0] | words[1] != 0 {
                return index &+ (words[0] != 0
                    ? words[0].trailingZeroBitCount &>> 3 : 8 &+ words[1].trailingZeroBitCount &>> 3)
            }
            index &+= 16
        }
        return first(below: ASCII.space &+ 1, or: ASCII.semicolon, ASCII.delete, in: base, from: index, end: end)
    }

    /// The scan both searches share: `marks` judges eight bytes at once (high bit per byte, exact at the lowest
    /// mark), `matches` the bytes of the last partial word one by one.
    @inline(__always)
    private static func firstMarked(in base: UnsafeRawPointer, from: Int, end: Int, marks: (UInt64) -> UInt64,
                                    matches: (UInt8) -> Bool) -> Int {
        var index = from
        while index &+ 8 <= end {
            let found = marks(UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self)))
            if found != 0 { return index &+ found.trailingZeroBitCount / 8 }
            index &+= 8
        }
        while index < end {
            if matches(base.load(fromByteOffset: index, as: UInt8.self)) { return index }
            index &+= 1
        }
        return end
    }
}
