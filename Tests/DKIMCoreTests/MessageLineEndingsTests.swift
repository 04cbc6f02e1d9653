import Testing
@testable import DKIMCore

@Suite struct MessageLineEndingsTests {
    static let names = ["lf-only", "cr-only", "mixed"]

    @Test(arguments: names)
    func normalizesLikeThePythonModel(_ name: String) throws {
        let input = try MessageVectors.bytes("messages/\(name).eml")
        let expected = try MessageVectors.bytes("messages/\(name).crlf.eml")
        #expect(LineEndings.normalizeToCRLF(input) == expected)
        // `mixed` starts with CRLF, so its CRs that no LF follows stay data.
        #expect(LineEndings.detect(expected) == (name == "mixed" ? .mixed : .crlf))
        // Streaming: every two-way split gives the same bytes.
        for split in 0...input.count {
            var normalizer = LineEndings.Normalizer()
            let output = normalizer.normalize(Array(input[..<split])) + normalizer.normalize(Array(input[split...]))
            #expect(output == expected, "split at \(split)")
        }
    }

    @Test func crAtChunkEndThenLFIsOneCRLF() {
        // CRLF first: bare LFs become CRLF, and the CRs no LF follows ("b\r\r") are data.
        var normalizer = LineEndings.Normalizer()
        var out: [UInt8] = []
        for chunk in ["a\r", "\nb\r", "\r", "c\n", "\n"] {
            Array(chunk.utf8).withUnsafeBytes { normalizer.normalize($0, into: &out) }
        }
        #expect(out == Array("a\r\nb\r\rc\r\n\r\n".utf8))
        // A bare CR first (a classic Mac OS file): every CR is a line end, also one split from its LF.
        normalizer = LineEndings.Normalizer()
        out = []
        for chunk in ["a\r", "b\r", "\nc\n", "\r"] {
            Array(chunk.utf8).withUnsafeBytes { normalizer.normalize($0, into: &out) }
        }
        #expect(out == Array("a\r\nb\r\nc\r\n\r\n".utf8))
    }

    @Test func leavesCRLFUntouched() {
        let text = Array("A: 1\r\n\r\nbody\r\n".utf8)
        #expect(LineEndings.normalizeToCRLF(text) == text)
        #expect(LineEndings.normalizeToCRLF([]) == [])
        #expect(LineEndings.normalizeToCRLF(Array("\n\r".utf8)) == Array("\r\n\r".utf8))
        #expect(LineEndings.normalizeToCRLF(Array("\r\n".utf8)) == Array("\r\n".utf8))
        #expect(LineEndings.normalizeToCRLF(Array("x\r".utf8)) == Array("x\r".utf8))
    }

    /// A CR inside a line of a wire-form (CRLF) or Unix (LF) message is data, as RFC 6376 §3.4.3/§3.4.4 read the
    /// CRLF-delimited lines: a message signed over such a line verifies from its saved copy, in either form.
    @Test func loneCRInALineIsData() {
        let wire = Array("From: a@example.com\r\nSubject: x\r\n\r\nline1\rstill line1\r\nend\r\r\n".utf8)
        #expect(LineEndings.normalizeToCRLF(wire) == wire)
        let unix = Array("From: a@example.com\nSubject: x\n\nline1\rstill line1\nend\r\n".utf8)
        #expect(LineEndings.normalizeToCRLF(unix)
            == Array("From: a@example.com\r\nSubject: x\r\n\r\nline1\rstill line1\r\nend\r\n".utf8))
    }

    @Test(arguments: [
        ("a\r\nb\r\n", LineEndings.Style.crlf), ("a\nb\n", .lf), ("a\rb\r", .cr), ("a\r\nb\n", .mixed),
        ("a\rb\n", .mixed), ("abc", .none), ("", .none), ("\n\r", .mixed), ("x\r", .cr),
    ])
    func detectsStyles(_ text: String, _ style: LineEndings.Style) {
        #expect(LineEndings.detect(Array(text.utf8)) == style)
    }

    /// RFC 6376 §5.3 as a literal model. The first line end decides: a CR followed by a byte other than LF means
    /// bare-CR line ends, and then every CRLF, bare CR and bare LF becomes one CRLF; otherwise only each LF without
    /// a CR before it becomes CRLF.
    static func modelCRLF(_ bytes: [UInt8]) -> [UInt8] {
        var bareCRLineEnds = false
        if let first = bytes.firstIndex(where: { $0 == 13 || $0 == 10 }) {
            bareCRLineEnds = bytes[first] == 13 && first + 1 < bytes.count && bytes[first + 1] != 10
        }
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if bareCRLineEnds, byte == 13 || byte == 10 {
                if byte == 13, index < bytes.count, bytes[index] == 10 { index += 1 }
                output += [13, 10]
            } else if byte == 10, index < 2 || bytes[index - 2] != 13 {
                output += [13, 10]
            } else {
                output.append(byte)
            }
        }
        return output
    }

    /// Whether `output` is `input` with only a CR before some LFs or an LF after some CRs inserted (or an LF
    /// dropped after a CR that already got one), i.e. the conversion touched line ends and nothing else.
    static func withoutInsertedBytes(_ output: [UInt8], _ input: [UInt8]) -> Bool {
        output.filter { $0 != 13 && $0 != 10 } == input.filter { $0 != 13 && $0 != 10 }
    }

    /// The style by the definitions: a CR followed by an LF is a CRLF; any other CR or LF is bare.
    static func modelStyle(_ bytes: [UInt8]) -> LineEndings.Style {
        modelStyle(bytes, bareCRCounts: { _ in true })
    }

    /// The line ends the normalizer reports (``LineEndings/Normalizer/lineEnds``): as ``modelStyle(_:)``, except
    /// that a bare CR counts only in a text whose first line end is one, and only when a byte follows it.
    static func modelLineEnds(_ bytes: [UInt8]) -> LineEndings.Style {
        var bareCRLineEnds = false
        if let first = bytes.firstIndex(where: { $0 == 13 || $0 == 10 }) {
            bareCRLineEnds = bytes[first] == 13 && first + 1 < bytes.count && bytes[first + 1] != 10
        }
        return modelStyle(bytes, bareCRCounts: { index in bareCRLineEnds && index + 1 < bytes.count })
    }

    static func modelStyle(_ bytes: [UInt8], bareCRCounts: (Int) -> Bool) -> LineEndings.Style {
        var crlf = false, bareLF = false, bareCR = false
        var index = 0
        while index < bytes.count {
            if bytes[index] == 13, index + 1 < bytes.count, bytes[index + 1] == 10 {
                crlf = true
                index += 2
                continue
            }
            if bytes[index] == 13, bareCRCounts(index) { bareCR = true }
            if bytes[index] == 10 { bareLF = true }
            index += 1
        }
        switch (crlf, bareLF, bareCR) {
        case (false, false, false): return .none
        case (true, false, false): return .crlf
        case (false, true, false): return .lf
        case (false, false, true): return .cr
        default: return .mixed
        }
    }

    /// Random texts over {a, CR, LF} cut into random chunks (empty ones included): the streaming normalizer, the
    /// one-shot form and both forms of detection (contiguous memory and a plain collection) agree with the models.
    @Test func randomTextsInRandomChunksMatchTheModels() {
        var random = SplitMix64(seed: 0x6C696E65)
        let alphabet: [UInt8] = [0x61, 13, 10]
        for _ in 0..<4_000 {
            let length = Int.random(in: 0...24, using: &random)
            let text = (0..<length).map { _ in alphabet.randomElement(using: &random)! }
            let expected = Self.modelCRLF(text)
            #expect(LineEndings.normalizeToCRLF(text) == expected, "\(text)")
            var normalizer = LineEndings.Normalizer()
            var streamed: [UInt8] = []
            var start = 0
            while start < text.count {
                let end = min(text.count, start + Int.random(in: 0...5, using: &random))
                text[start..<end].withUnsafeBytes { normalizer.normalize($0, into: &streamed) }
                start = end
            }
            #expect(streamed == expected, "\(text)")
            #expect(normalizer.lineEnds == Self.modelLineEnds(text), "\(text)")
            let style = Self.modelStyle(text)
            #expect(LineEndings.detect(text) == style, "\(text)")
            #expect(LineEndings.detect(text.lazy.map { $0 }) == style, "\(text)")
            // Only line ends are changed: without the CRs it added, the output is the input.
            #expect(Self.withoutInsertedBytes(expected, text), "\(text)")
        }
    }

    /// A chunk that is already CRLF reaches the sink in one write (no per-line copies).
    @Test func crlfChunkIsOneWrite() {
        struct CountingSink: ByteSink {
            var writes = 0
            var bytes: [UInt8] = []
            mutating func write(_ chunk: UnsafeRawBufferPointer) {
                writes += 1
                bytes += chunk
            }
        }
        let text = Array("A: 1\r\nB: 2\r\n\r\nbody line\r\nmore\r\n".utf8)
        var sink = CountingSink()
        var normalizer = LineEndings.Normalizer()
        text.withUnsafeBytes { normalizer.normalize($0, into: &sink) }
        #expect(sink.writes == 1)
        #expect(sink.bytes == text)
    }
}
