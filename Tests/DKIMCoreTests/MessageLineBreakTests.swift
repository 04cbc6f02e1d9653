import CDKIMSIMD
import Testing
@testable import DKIMCore

/// The header parser's scans: the C line search and the portable `memchr` pair give the same offset, and the
/// word-wise field-name scan stops where a byte-wise one does.
@Suite struct MessageLineBreakTests {
    /// Random buffers with few to many CR, LF and CRLF bytes, every start and end inside them (so every position of
    /// a break within a 16- or 32-byte block, and every tail length, is met); also a buffer with no break at all.
    @Test func kernelMatchesThePortableSearch() {
        var random = SplitMix64(seed: 0x11E_B4EA)
        var checked = 0
        for round in 0..<60 {
            let length = Int(random.next() % 140)
            let density = UInt64(round % 4 == 0 ? 1000 : 3 + round % 40)
            let bytes: [UInt8] = (0..<length).map { _ in
                let roll = random.next()
                if roll % density == 0 { return roll & 0x100 == 0 ? 13 : 10 }
                return UInt8(truncatingIfNeeded: roll >> 16)
            }
            bytes.withUnsafeBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                for from in 0...length {
                    for end in from...length {
                        let expected = HeaderSectionParser.portableLineBreak(in: base, from: from, end: end)
                        let found = cdkim_first_line_break(base, from, end)
                        #expect(found == expected, "\(bytes) \(from) \(end)")
                        checked += 1
                    }
                }
            }
        }
        #expect(checked > 100_000)
    }

    /// The parser's own search, through the kernel on x86-64, finds the bytes that end each line.
    @Test(arguments: [("ab\r\ncd", 0, 2), ("abc", 0, 3), ("\n", 0, 0), ("x\ry\n", 2, 3),
                      (String(repeating: "v", count: 40) + "\r\n", 3, 40)])
    func findsTheFirstBreak(_ text: String, _ from: Int, _ expected: Int) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBufferPointer { buffer in
            #expect(HeaderSectionParser.firstLineBreak(in: buffer.baseAddress!, from: from, end: bytes.count)
                    == expected)
        }
    }

    /// Every byte value at every position of a run of ftext, with random ftext or random bytes around it, and
    /// every end: the scan stops at the first byte outside ftext, as the byte rule says.
    @Test func fieldNameScanMatchesTheByteRule() {
        var random = SplitMix64(seed: 0xF7E7_0001)
        let ftext: [UInt8] = Array(33...57) + Array(59...126)
        for round in 0..<4 {
            for position in 0..<20 {
                for byte in UInt8.min...UInt8.max {
                    var bytes = (0..<20).map { _ in
                        round == 3 ? UInt8(truncatingIfNeeded: random.next()) : ftext[Int(random.next() % 93)]
                    }
                    bytes[position] = byte
                    bytes.withUnsafeBufferPointer { buffer in
                        let from = Int(random.next() % 4)
                        let end = from + Int(random.next() % UInt64(21 - from))
                        var expected = from
                        while expected < end, ASCII.isFieldNameChar(bytes[expected]) { expected += 1 }
                        #expect(HeaderSectionParser.fieldNameEnd(in: buffer.baseAddress!, from: from, end: end)
                                == expected, "\(bytes) \(from) \(end)")
                    }
                }
            }
        }
    }
}
