import Testing
@testable import DKIMCore

@Suite struct CanonicalizationBodyTests {
    static let names = ["empty", "crlf-only", "blank-lines", "wsp-lines", "trailing-wsp-lines", "no-final-crlf",
                        "no-final-crlf-trailing-wsp", "only-wsp-no-crlf", "internal-blank-lines",
                        "leading-blank-lines", "rfc6376-3.4.5", "mixed-wsp", "bare-cr-lf", "cr-at-end", "utf8",
                        "random-1", "random-2", "many-trailing-blank-lines", "blank-runs", "long-line"]
    static let cases = names.flatMap { name in CanonicalizationAlgorithm.allCases.map { (name, $0) } }

    static func vector(_ name: String, _ algorithm: CanonicalizationAlgorithm) throws -> (input: [UInt8],
                                                                                         expected: [UInt8]) {
        (try MessageVectors.bytes("canonicalization/\(name).body"),
         try MessageVectors.bytes("canonicalization/\(name).\(algorithm.rawValue)"))
    }

    /// Feeds `chunks` through a fresh canonicalizer into a byte sink.
    static func stream(_ chunks: [ArraySlice<UInt8>], _ algorithm: CanonicalizationAlgorithm,
                       limit: Int? = nil) throws -> (output: [UInt8], canonicalizer: BodyCanonicalizer) {
        var canonicalizer = BodyCanonicalizer(algorithm, limit: limit)
        var sink: [UInt8] = []
        for chunk in chunks {
            try canonicalizer.feed(chunk, into: &sink)
        }
        try canonicalizer.finish(into: &sink)
        return (sink, canonicalizer)
    }

    @Test(arguments: cases)
    func oneShotMatchesThePythonModel(_ name: String, _ algorithm: CanonicalizationAlgorithm) throws {
        let (input, expected) = try Self.vector(name, algorithm)
        #expect(Canonicalization.canonicalizeBody(input, algorithm) == expected)
        #expect(Canonicalization.canonicalizeBody(input[...], algorithm) == expected)
        let streamed = try Self.stream([input[...]], algorithm)
        #expect(streamed.canonicalizer.canonicalLength == expected.count)
        #expect(streamed.canonicalizer.emittedLength == expected.count)
    }

    @Test func rfc6376Section345Example() {
        // RFC 6376 §3.4.5, written out from the RFC text.
        let body = Array(" C \r\nD \t E\r\n\r\n\r\n".utf8)
        #expect(Canonicalization.canonicalizeBody(body, .relaxed) == Array(" C\r\nD E\r\n".utf8))
        #expect(Canonicalization.canonicalizeBody(body, .simple) == Array(" C \r\nD \t E\r\n".utf8))
    }

    @Test func emptyBodies() {
        // RFC 6376 §3.4.3 / §3.4.4 (erratum 1376): simple gives CRLF, whose SHA-256 is
        // frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=; relaxed gives nothing, whose SHA-256 is
        // 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU= (both checked with python hashlib, see sha256.txt).
        for body in ["", "\r\n", "\r\n\r\n\r\n"] {
            #expect(Canonicalization.canonicalizeBody(Array(body.utf8), .simple) == [ASCII.cr, ASCII.lf])
            #expect(Canonicalization.canonicalizeBody(Array(body.utf8), .relaxed) == [])
        }
        #expect(Canonicalization.canonicalizeBody(Array(" \t\r\n \r\n".utf8), .relaxed) == [])
        #expect(Canonicalization.canonicalizeBody(Array(" \t\r\n \r\n".utf8), .simple) == Array(" \t\r\n \r\n".utf8))
    }

    @Test(arguments: cases)
    func everyTwoWaySplitMatchesOneShot(_ name: String, _ algorithm: CanonicalizationAlgorithm) throws {
        let (input, expected) = try Self.vector(name, algorithm)
        let splits = input.count <= 4096 ? Array(0...input.count) : Array(stride(from: 0, through: input.count,
                                                                                   by: 997)) + [input.count - 1]
        for split in splits {
            let output = try Self.stream([input[..<split], input[split...]], algorithm).output
            #expect(output == expected, "\(name) split at \(split)")
        }
    }

    @Test(arguments: cases)
    func randomThreeWaySplitsAndSingleBytesMatchOneShot(_ name: String, _ algorithm: CanonicalizationAlgorithm)
        throws {
        let (input, expected) = try Self.vector(name, algorithm)
        var generator = SplitMix64(seed: UInt64(input.count) &* 31 &+ UInt64(name.utf8.count))
        for _ in 0..<200 {
            let a = Int(generator.next() % UInt64(input.count + 1))
            let b = Int(generator.next() % UInt64(input.count + 1))
            let (low, high) = (min(a, b), max(a, b))
            let output = try Self.stream([input[..<low], input[low..<high], input[high...]], algorithm).output
            #expect(output == expected, "\(name) split at \(low), \(high)")
        }
        let bytes = input.indices.map { input[$0..<($0 + 1)] }
        #expect(try Self.stream(bytes, algorithm).output == expected, "\(name) byte by byte")
    }

    @Test(arguments: cases)
    func limitCountsCanonicalOctets(_ name: String, _ algorithm: CanonicalizationAlgorithm) throws {
        let (input, expected) = try Self.vector(name, algorithm)
        for limit in Set([0, 1, 2, 3, expected.count / 2, expected.count - 1, expected.count, expected.count + 7])
        where limit >= 0 {
            let cut = Array(expected.prefix(limit))
            #expect(Canonicalization.canonicalizeBody(input, algorithm, limit: limit) == cut)
            let half = input.count / 2
            let streamed = try Self.stream([input[..<half], input[half...]], algorithm, limit: limit)
            #expect(streamed.output == cut, "\(name) limit \(limit)")
            #expect(streamed.canonicalizer.canonicalLength == expected.count)
            #expect(streamed.canonicalizer.emittedLength == min(limit, expected.count))
        }
    }

    @Test func limitExamples() throws {
        // l=5 over relaxed "a  b \r\n\r\nc\r\n" (canonical "a b\r\n\r\nc\r\n", 10 octets) signs "a b\r\n".
        let body = Array("a  b \r\n\r\nc\r\n".utf8)
        #expect(Canonicalization.canonicalizeBody(body, .relaxed, limit: 5) == Array("a b\r\n".utf8))
        let streamed = try Self.stream([body[...]], .relaxed, limit: 5)
        #expect(streamed.canonicalizer.canonicalLength == 10)
        #expect(streamed.canonicalizer.emittedLength == 5)
        #expect(Canonicalization.canonicalizeBody(body, .relaxed, limit: -3) == [])
    }

    @Test func manyBlankLinesAreCountedNotBuffered() throws {
        // A million empty lines, then content: all of them are written once the content proves them inner.
        var canonicalizer = BodyCanonicalizer(.relaxed)
        var sink: [UInt8] = []
        let blanks = [UInt8](repeating: 0, count: 2_000_000).indices.map { $0 % 2 == 0 ? ASCII.cr : ASCII.lf }
        try canonicalizer.feed(blanks, into: &sink)
        #expect(sink.isEmpty)
        try canonicalizer.feed(Array("x".utf8), into: &sink)
        try canonicalizer.finish(into: &sink)
        #expect(sink == blanks + Array("x\r\n".utf8))
        #expect(canonicalizer.canonicalLength == 2_000_003)
    }

    @Test func misuseAfterFinish() throws {
        var canonicalizer = BodyCanonicalizer(.simple)
        var sink: [UInt8] = []
        try canonicalizer.finish(into: &sink)
        #expect(canonicalizer.isFinished)
        #expect(throws: DKIMError(.misuse, "")) { try canonicalizer.feed([1], into: &sink) }
        #expect(throws: DKIMError(.misuse, "")) { try canonicalizer.finish(into: &sink) }
        #expect(sink == [ASCII.cr, ASCII.lf])
    }
}

/// A small seeded generator (SplitMix64) so random splits and inputs are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
