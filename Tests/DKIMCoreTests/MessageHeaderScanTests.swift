import CDKIMSIMD
import Testing
@testable import DKIMCore

/// The header parser with its C line kernel (`cdkim_header_scan`) gives the same fields, empty-line offset and
/// errors (code, text, line number) as the Swift code alone, on usual, random and hostile header sections.
@Suite struct MessageHeaderScanTests {
    /// The kernel writes each span as four Ints; the Swift struct must lie out the same way.
    @Test func spanIsFourIntsInOrder() {
        typealias Span = HeaderSectionParser.Span
        #expect(MemoryLayout<Span>.size == 4 * MemoryLayout<Int>.size)
        #expect(MemoryLayout<Span>.stride == 4 * MemoryLayout<Int>.size)
        #expect(MemoryLayout<Span>.offset(of: \Span.start) == 0)
        #expect(MemoryLayout<Span>.offset(of: \Span.nameEnd) == MemoryLayout<Int>.size)
        #expect(MemoryLayout<Span>.offset(of: \Span.colon) == 2 * MemoryLayout<Int>.size)
        #expect(MemoryLayout<Span>.offset(of: \Span.end) == 3 * MemoryLayout<Int>.size)
    }

    /// What one parse gives: the spans and the empty line, or the error.
    private struct Outcome: Equatable {
        var spans: [HeaderSectionParser.Span]
        var emptyLine: Int?
        var error: DKIMError?
    }

    private static func outcome(_ section: ArraySlice<UInt8>, firstLineNumber: Int, maximumFields: Int,
                                stoppingAtEmptyLine: Bool, usingKernel: Bool) -> Outcome {
        var spans: [HeaderSectionParser.Span] = []
        do {
            let emptyLine = try HeaderSectionParser.scan(section, firstLineNumber: firstLineNumber,
                                                         maximumFields: maximumFields,
                                                         stoppingAtEmptyLine: stoppingAtEmptyLine,
                                                         usingKernel: usingKernel, into: &spans)
            return Outcome(spans: spans, emptyLine: emptyLine, error: nil)
        } catch let error as DKIMError {
            return Outcome(spans: spans, emptyLine: nil, error: error)
        } catch {
            Issue.record("not a DKIMError: \(error)")
            return Outcome(spans: [], emptyLine: nil, error: nil)
        }
    }

    /// Both paths over `bytes` at a few slice offsets, both entry modes and field limits around the field count;
    /// returns how many comparisons were made.
    @discardableResult
    private static func compare(_ bytes: [UInt8], fieldCount: Int) -> Int {
        var compared = 0
        let limits = Set([0, 1, 2, max(0, fieldCount - 1), fieldCount, fieldCount + 1, 31, 32, 33, 64, Int.max])
        for lead in [0, 3] {
            let padded = Array(repeating: UInt8(ascii: "x"), count: lead) + bytes
            let section = padded[lead...]
            for stopping in [true, false] {
                for limit in limits {
                    let kernel = outcome(section, firstLineNumber: 1 + lead, maximumFields: limit,
                                         stoppingAtEmptyLine: stopping, usingKernel: true)
                    let portable = outcome(section, firstLineNumber: 1 + lead, maximumFields: limit,
                                           stoppingAtEmptyLine: stopping, usingKernel: false)
                    #expect(kernel == portable, "\(bytes) limit \(limit) stopping \(stopping)")
                    compared += 1
                }
            }
        }
        return compared
    }

    /// A usual header: the spans are the fields, and the kernel path and the Swift path agree on them.
    @Test func usualHeader() throws {
        let text = "From: a@example.com\r\nTo: b@example.org\r\nSubject: hello\r\n\tworld\r\n"
            + "Received: from x\r\n by y\r\n\twith z\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nbody\r\n"
        let bytes = Array(text.utf8)
        let result = Self.outcome(bytes[...], firstLineNumber: 1, maximumFields: 100, stoppingAtEmptyLine: true,
                                  usingKernel: true)
        #expect(result.error == nil)
        #expect(result.spans.count == 5)
        let names = result.spans.map { String(decoding: bytes[$0.start..<$0.nameEnd], as: UTF8.self) }
        #expect(names == ["From", "To", "Subject", "Received", "Date"])
        let emptyLine = try #require(result.emptyLine)
        #expect(Array(bytes[emptyLine...].prefix(6)) == Array("\r\nbody".utf8))
        #expect(result.spans.last?.end == emptyLine)
        Self.compare(bytes, fieldCount: 5)
    }

    /// Hostile sections built by hand: each irregular line at the start, in the middle and at the end of a run.
    @Test(arguments: [
        "\r\n", " x\r\nA: b\r\n\r\n", "\tx\r\n", "A: b\r\n\r\n", "A: b", "A: b\r", "A: b\n", "A: b\rc\r\n\r\n",
        "A: b\nc\r\n\r\n", "A: b\r\n\r", "A: b\r\n\n", ": b\r\n\r\n", " : b\r\n", "A : b\r\n\t: c\r\n\r\n",
        "A\t \t: b\r\n\r\n", "A b: c\r\n\r\n", "A\u{7F}: b\r\n\r\n", "Ä: b\r\n\r\n", "A\0: b\r\n\r\n",
        "A: \0\r\n\r\n", "no colon\r\n\r\n", "A: b\r\nno colon\r\n\r\n", "A: b\r\n\r\n\r\n", "A:\r\n\r\n",
        "A:b\r\nB:c\r\n", "A:b\r\nB:c\r\n \r\n", "A:b\r\n\r\nB:c\r\n", "A:b\r\n \r\n\t\r\n\r\n",
        "\u{0}\r\n", "A:b\r\n\r\r\n", "A:b\r\n\n\r\n", "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa :b\r\n\r\n",
        "Aaaaaaaaaaaaaaaa:b\r\nBbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\u{80}:b\r\n\r\n",
    ])
    func hostileSection(_ text: String) {
        let bytes = Array(text.utf8)
        Self.compare(bytes, fieldCount: bytes.filter { $0 == UInt8(ascii: ":") }.count)
    }

    /// Sections of 0 to 80 fields (the kernel's buffer holds 32), with the limit at, below and above the count.
    @Test func fieldCountsAroundTheLimits() {
        for count in 0...80 {
            var text = ""
            for index in 0..<count {
                text += "F\(index): v\r\n"
                if index % 3 == 1 { text += "\tfold\r\n" }
            }
            let bytes = Array((text + "\r\nbody").utf8)
            Self.compare(bytes, fieldCount: count)
            Self.compare(Array(text.utf8), fieldCount: count)
            Self.compare(Array(text.utf8.dropLast(2)), fieldCount: count)
        }
    }

    /// Random sections from well-formed and broken lines of random lengths (long lines too), with random bytes
    /// of every value in names and values.
    @Test func randomSections() {
        var random = SplitMix64(seed: 0x5CA_4E3D)
        var compared = 0
        for _ in 0..<3000 {
            var bytes: [UInt8] = []
            var fields = 0
            let lines = Int(random.next() % 45)
            for _ in 0..<lines {
                let roll = random.next() % 100
                let nameLength = Int(random.next() % (roll < 5 ? 70 : 24))
                var name: [UInt8] = (0..<nameLength).map { _ in UInt8(33 + random.next() % 94) }.filter { $0 != 58 }
                if random.next() % 25 == 0, !name.isEmpty {
                    name[Int(random.next() % UInt64(name.count))] = UInt8(truncatingIfNeeded: random.next())
                }
                let valueLength = Int(random.next() % (roll < 10 ? 300 : 60))
                let value: [UInt8] = (0..<valueLength).map { _ in
                    let byte = UInt8(truncatingIfNeeded: random.next())
                    return random.next() % 40 == 0 ? byte : UInt8(32 + byte % 95)
                }
                switch roll {
                case 0..<60:
                    bytes += name + (random.next() % 5 == 0 ? [32, 9] : []) + [58] + value
                    fields += 1
                case 60..<85:
                    bytes += [random.next() % 2 == 0 ? 32 : 9] + value
                case 85..<88:
                    bytes += []
                case 88..<92:
                    bytes += value
                default:
                    bytes += name + [58] + value + [random.next() % 2 == 0 ? 13 : 10] + value
                }
                let ending = random.next() % 60
                bytes += ending == 0 ? [13] : ending == 1 ? [10] : ending == 2 ? [] : [13, 10]
            }
            if random.next() % 3 != 0 { bytes += [13, 10] + Array("body\r\n".utf8) }
            compared += Self.compare(bytes, fieldCount: fields)
        }
        #expect(compared > 50_000)
    }

    /// Through the public entry point as well: the kernel is on there, and the fields are the message's.
    @Test func messagePartsUseTheKernel() throws {
        let text = (0..<40).map { "X-F\($0): \(String(repeating: "v", count: $0))\r\n" }.joined() + "\r\nbody"
        let parts = try MessageParts(parsing: Array(text.utf8))
        #expect(parts.headers.count == 40)
        #expect(parts.headers.map { String(decoding: $0.raw, as: UTF8.self) }
                == (0..<40).map { "X-F\($0): \(String(repeating: "v", count: $0))\r\n" })
        #expect(Array(parts.body) == Array("body".utf8))
    }
}
