import Testing
@testable import DKIMCore

@Suite struct MessageLineEndingsTests {
    static let names = ["lf-only", "cr-only", "mixed"]

    @Test(arguments: names)
    func normalizesLikeThePythonModel(_ name: String) throws {
        let input = try MessageVectors.bytes("messages/\(name).eml")
        let expected = try MessageVectors.bytes("messages/\(name).crlf.eml")
        #expect(LineEndings.normalizeToCRLF(input) == expected)
        #expect(LineEndings.detect(expected) == .crlf)
        // Streaming: every two-way split gives the same bytes.
        for split in 0...input.count {
            var normalizer = LineEndings.Normalizer()
            let output = normalizer.normalize(Array(input[..<split])) + normalizer.normalize(Array(input[split...]))
            #expect(output == expected, "split at \(split)")
        }
    }

    @Test func crAtChunkEndThenLFIsOneCRLF() {
        var normalizer = LineEndings.Normalizer()
        var out: [UInt8] = []
        for chunk in ["a\r", "\nb\r", "\r", "c\n", "\n"] {
            Array(chunk.utf8).withUnsafeBytes { normalizer.normalize($0, into: &out) }
        }
        #expect(out == Array("a\r\nb\r\n\r\nc\r\n\r\n".utf8))
    }

    @Test func leavesCRLFUntouched() {
        let text = Array("A: 1\r\n\r\nbody\r\n".utf8)
        #expect(LineEndings.normalizeToCRLF(text) == text)
        #expect(LineEndings.normalizeToCRLF([]) == [])
        #expect(LineEndings.normalizeToCRLF(Array("\n\r".utf8)) == Array("\r\n\r\n".utf8))
    }

    @Test(arguments: [
        ("a\r\nb\r\n", LineEndings.Style.crlf), ("a\nb\n", .lf), ("a\rb\r", .cr), ("a\r\nb\n", .mixed),
        ("a\rb\n", .mixed), ("abc", .none), ("", .none), ("\n\r", .mixed), ("x\r", .cr),
    ])
    func detectsStyles(_ text: String, _ style: LineEndings.Style) {
        #expect(LineEndings.detect(Array(text.utf8)) == style)
    }
}
