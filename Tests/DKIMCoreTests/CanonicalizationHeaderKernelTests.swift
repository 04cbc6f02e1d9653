import CDKIMSIMD
import Testing
@testable import DKIMCore

/// The C relaxed header kernel (`cdkim_relaxed_header`, used on x86-64) gives the same bytes as the portable Swift
/// loop, on random and hostile fields, with and without a removed range, and writes nothing past its bound.
@Suite struct CanonicalizationHeaderKernelTests {
    /// A field of `length` random bytes, drawn mostly from white space, folds and line-break bytes when `texture`
    /// is small, mostly from value bytes when it is large.
    static func field(_ random: inout SplitMix64, length: Int, texture: UInt64) -> [UInt8] {
        var bytes: [UInt8] = []
        while bytes.count < length {
            let roll = random.next()
            switch roll % (6 + texture) {
            case 0: bytes += [32]
            case 1: bytes += [9]
            case 2: bytes += [13, 10]
            case 3: bytes += [13, 10, roll & 0x100 == 0 ? 32 : 9]
            case 4: bytes += [roll & 0x100 == 0 ? 13 : 10]  // a bare CR or LF: a value byte
            case 5: bytes += [UInt8(truncatingIfNeeded: roll >> 24)]  // any byte: controls, DEL, 8-bit
            default: bytes += [UInt8(truncatingIfNeeded: 33 + (roll >> 8) % 94)]
            }
        }
        return Array(bytes.prefix(length))
    }

    /// Runs both on `raw` and compares the outputs, and checks that neither writes past the bound.
    static func compare(_ raw: [UInt8], nameEnd: Int, colon: Int, removing removed: Range<Int>) {
        let bound = Canonicalization.canonicalHeaderBound(nameLength: nameEnd, rawCount: raw.count)
        let canary: UInt8 = 0xA5
        func run(_ body: (UnsafeBufferPointer<UInt8>, UnsafeMutablePointer<UInt8>) -> Int) -> [UInt8] {
            var out = [UInt8](repeating: canary, count: bound + 32)
            let written = raw.withUnsafeBufferPointer { input in
                out.withUnsafeMutableBufferPointer { body(input, $0.baseAddress.unsafelyUnwrapped) }
            }
            #expect(written <= bound)
            #expect(out[bound...].allSatisfy { $0 == canary }, "wrote past the bound: \(raw)")
            return Array(out[..<written])
        }
        let portable = run { input, out in
            Canonicalization.portableRelaxedHeader(input, nameEnd: nameEnd, colonIndex: colon, removing: removed,
                                                   to: out)
        }
        let none = Int(bitPattern: UInt.max)
        let kernel = run { input, out in
            cdkim_relaxed_header(input.baseAddress.unsafelyUnwrapped, input.count, nameEnd, colon,
                                 removed.isEmpty ? none : removed.lowerBound,
                                 removed.isEmpty ? none : removed.upperBound, out)
        }
        #expect(kernel == portable, "\(raw) name \(nameEnd) colon \(colon) removing \(removed)")
    }

    /// Random fields of 1 to 120 bytes with every texture, random name lengths (in both cases, past 16 bytes too)
    /// and colon positions, each with no removal and with random removals inside the value.
    @Test(arguments: [0, 1, 3, 8, 30, 200] as [UInt64])
    func kernelMatchesThePortableLoop(texture: UInt64) {
        var random = SplitMix64(seed: 0x4EAD_C0DE + texture)
        for _ in 0..<1500 {
            let length = 1 + Int(random.next() % 120)
            var raw = Self.field(&random, length: length, texture: texture)
            let nameEnd = Int(random.next() % UInt64(min(length, 24)))
            let colon = nameEnd + Int(random.next() % UInt64(min(length - nameEnd, 3)))
            for index in 0..<nameEnd {
                raw[index] = UInt8(truncatingIfNeeded: 0x41 + random.next() % 58)  // "A" to "z" and between
            }
            if random.next() % 3 != 0 && length >= 2 {
                raw[length - 2] = 13
                raw[length - 1] = 10
            }
            Self.compare(raw, nameEnd: nameEnd, colon: colon, removing: 0..<0)
            for _ in 0..<3 {
                let lower = colon + 1 + Int(random.next() % UInt64(length - colon))
                let upper = lower + Int(random.next() % UInt64(length - lower + 1))
                Self.compare(raw, nameEnd: nameEnd, colon: colon, removing: lower..<upper)
            }
        }
    }

    /// Runs of every length up to 40 ending in each kind of white space, placed at every offset from the colon,
    /// so that a run's end falls on every lane of a 16-byte block and every distance from the field's end.
    @Test func everyRunEndAndOffset() {
        let tails: [[UInt8]] = [[], [32], [32, 32], [9], [32, 120], [32, 32, 120], [13, 10, 9, 120], [13, 10],
                                [32, 13, 10], [13], [10, 120], [32, 1, 120], [0x7F, 32, 0x80]]
        for lead in 0..<18 {
            for length in 0...40 {
                for tail in tails {
                    for ending in [[13, 10], []] as [[UInt8]] {
                        let value = (0..<length).map { UInt8(97 + $0 % 26) }
                        let raw = Array("X-Ab:".utf8) + [UInt8](repeating: 32, count: lead % 3)
                            + [UInt8](repeating: 120, count: lead) + value + tail + ending
                        Self.compare(raw, nameEnd: 4, colon: 4, removing: 0..<0)
                        // The b= blanking of a verifier: the value's middle removed, at every length.
                        let middle = 5 + lead
                        Self.compare(raw, nameEnd: 4, colon: 4, removing: middle..<min(raw.count, middle + length))
                    }
                }
            }
        }
    }

    /// Hostile shapes: nothing but white space, folds or line breaks; a lone CR before the removal and an LF
    /// after it; a removal reaching into or past the CRLF; an empty name; a name of 40 bytes.
    @Test func hostileFields() {
        let fields: [(String, Int, Int, Range<Int>)] = [
            ("X:" + String(repeating: " ", count: 70) + "\r\n", 1, 1, 0..<0),
            ("X:" + String(repeating: "\r\n\t", count: 30), 1, 1, 0..<0),
            ("X:" + String(repeating: "\r", count: 33) + "\r\n", 1, 1, 0..<0),
            ("X:" + String(repeating: "\n", count: 33), 1, 1, 0..<0),
            ("X:a\r\nb", 1, 1, 4..<5),
            ("X:a\r b=xyz; c\r\n", 1, 1, 6..<9),
            ("X:a b=xyz\r\n", 1, 1, 6..<11),
            ("X:a b=xyz\r\n", 1, 1, 6..<10),
            ("X: a b=xyz \r\n", 1, 1, 4..<6),
            (":value\r\n", 0, 0, 0..<0),
            (String(repeating: "Ab", count: 20) + " \t : V\r\n", 40, 43, 0..<0),
            ("X:", 1, 1, 0..<0),
            ("X:\r\n", 1, 1, 0..<0),
        ]
        for (text, nameEnd, colon, removed) in fields {
            Self.compare(Array(text.utf8), nameEnd: nameEnd, colon: colon, removing: removed)
        }
    }
}
