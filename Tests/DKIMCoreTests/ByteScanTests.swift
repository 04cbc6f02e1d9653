import Testing
@testable import DKIMCore

/// `ByteScan` reads eight bytes at a time; each search must give exactly what a byte-by-byte loop gives, for a
/// match at any position of a word, several matches in one word, and bytes of 0x80 and above around them.
@Suite struct ByteScanTests {
    /// Inputs mixing the searched values with every byte class around them: control bytes, SP, printable ASCII,
    /// DEL and bytes of 0x80 and above (which must never count as "below 0x21").
    static func inputs() -> [[UInt8]] {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        let palette: [UInt8] = [0x00, 0x09, 0x0A, 0x0D, 0x20, 0x21, 0x3A, 0x3B, 0x41, 0x61, 0x7E, 0x7F, 0x80, 0xC3,
                                0xFF]
        var result: [[UInt8]] = []
        for length in 0..<40 {
            for _ in 0..<25 {
                // Mostly one printable byte, so matches are sparse and fall at every offset.
                result.append((0..<length).map { _ in
                    next() % 6 == 0 ? palette[Int(next() % UInt64(palette.count))] : UInt8(0x41 + next() % 26)
                })
            }
        }
        return result
    }

    @Test func firstOfThreeValuesMatchesAByteLoop() {
        for input in Self.inputs() {
            for from in 0...input.count {
                let expected = input[from...].firstIndex { $0 == 0x0D || $0 == 0x0A || $0 == 0x3B } ?? input.count
                let found = input.withUnsafeBytes { buffer in
                    ByteScan.first(of: 0x0D, 0x0A, 0x3B, in: buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!,
                                   from: from, end: input.count)
                }
                #expect(found == expected, "\(input) from \(from)")
            }
        }
    }

    @Test func firstBelowABoundOrTwoValuesMatchesAByteLoop() {
        for input in Self.inputs() {
            for from in 0...input.count {
                let expected = input[from...].firstIndex { $0 < 0x21 || $0 == 0x3B || $0 == 0x7F } ?? input.count
                let found = input.withUnsafeBytes { buffer in
                    ByteScan.first(below: 0x21, or: 0x3B, 0x7F,
                                   in: buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, from: from,
                                   end: input.count)
                }
                #expect(found == expected, "\(input) from \(from)")
            }
        }
    }

    /// The sixteen-byte scan of tag values, on inputs long enough for several blocks, from every start.
    @Test func firstNonValueByteMatchesAByteLoop() {
        var inputs = Self.inputs()
        // Longer runs: blocks of sixteen before the last few bytes, a stop in every lane.
        for (index, input) in Self.inputs().enumerated() where index % 7 == 0 {
            inputs.append(input + Array(repeating: 0x41, count: index % 23) + input)
        }
        for input in inputs {
            for from in 0...input.count {
                let expected = input[from...].firstIndex { $0 < 0x21 || $0 == 0x3B || $0 == 0x7F } ?? input.count
                let found = input.withUnsafeBytes { buffer in
                    ByteScan.firstNonValueByte(in: buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, from: from,
                                               end: input.count)
                }
                #expect(found == expected, "\(input) from \(from)")
            }
        }
    }
}
