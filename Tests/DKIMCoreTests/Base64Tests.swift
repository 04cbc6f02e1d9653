import Testing
@testable import DKIMCore

@Suite struct Base64Tests {
    // RFC 4648 §10 test vectors.
    static let rfc4648: [(String, String)] = [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ]

    @Test(arguments: rfc4648)
    func encodesAndDecodesRFC4648Vectors(plain: String, encoded: String) throws {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(try Base64.decode(Array(encoded.utf8)) == Array(plain.utf8))
    }

    @Test func skipsFoldingWhiteSpace() throws {
        #expect(try Base64.decode(Array("Zm9v\r\n\tYm Fy".utf8)) == Array("foobar".utf8))
        #expect(try Base64.decode(Array(" Zg = = ".utf8)) == Array("f".utf8))
    }

    @Test(arguments: ["Zm9", "Zg=", "Zg===", "Z===", "Zm9v=", "Zg==Zg==", "=Zg="])
    func rejectsBadPadding(_ text: String) {
        #expect(throws: Base64.DecodeFailure.badPadding) { try Base64.decode(Array(text.utf8)) }
    }

    @Test func namesTheInvalidCharacter() {
        #expect(throws: Base64.DecodeFailure.invalidCharacter(byte: UInt8(ascii: "\""), offset: 4)) {
            try Base64.decode(Array("Zm9v\"YmFy".utf8))
        }
        #expect(throws: Base64.DecodeFailure.invalidCharacter(byte: UInt8(ascii: "-"), offset: 1)) {
            try Base64.decode(Array("Z-9v".utf8))
        }
    }

    @Test func roundTripsAllByteValues() throws {
        let bytes = (0...255).map { UInt8($0) }
        for length in 0...bytes.count {
            let slice = Array(bytes.prefix(length))
            #expect(try Base64.decode(Array(Base64.encode(slice).utf8)) == slice)
        }
    }

    // Known answers from python3's base64.b64encode: bytes 0..<40, bytes 200...255, and an ASCII phrase.
    static let python: [([UInt8], String)] = [
        (Array(0..<40), "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJw=="),
        (Array(200...255), "yMnKy8zNzs/Q0dLT1NXW19jZ2tvc3d7f4OHi4+Tl5ufo6err7O3u7/Dx8vP09fb3+Pn6+/z9/v8="),
        (Array("DKIM-Signature folding".utf8), "REtJTS1TaWduYXR1cmUgZm9sZGluZw=="),
    ]

    static var knownAnswers: [([UInt8], String)] {
        rfc4648.map { (Array($0.0.utf8), $0.1) } + python
    }

    static let folds = [" ", "\t", "\r\n ", "\r\n\t", "  \r\n\t "]

    /// `text` with `fold` inserted before the character at `position`.
    static func inserting(_ fold: String, into text: String, at position: Int) -> [UInt8] {
        var bytes = Array(text.utf8)
        bytes.insert(contentsOf: Array(fold.utf8), at: position)
        return bytes
    }

    // The whole-quantum decoder gathers the characters past folding white space first: a fold in any position,
    // one or two of them, must give the known answer.
    @Test func decodesKnownAnswersWithFoldingWhiteSpaceInEveryPosition() throws {
        for (plain, encoded) in Self.knownAnswers {
            for fold in Self.folds {
                for position in 0...encoded.utf8.count {
                    let once = Self.inserting(fold, into: encoded, at: position)
                    #expect(try Base64.decode(once) == plain, "fold \(Array(fold.utf8)) at \(position) of \(encoded)")
                    // A second fold, SP, after the first one or at the start.
                    var twice = once
                    twice.insert(ASCII.space, at: position / 2)
                    #expect(try Base64.decode(twice) == plain)
                    #expect(try Base64.decode(twice[...]) == plain)
                }
            }
        }
    }

    // A stray byte anywhere, with folds before and after it, is reported at its own offset in the input.
    @Test(arguments: [UInt8(ascii: "-"), UInt8(ascii: "\""), UInt8(ascii: "_"), 0x00, 0x0B, 0x0C, 0x7F, 0x80, 0xFF])
    func namesAStrayByteInEveryPosition(stray: UInt8) {
        for (_, encoded) in Self.python {
            let characters = Array(encoded.utf8)
            for position in characters.indices where characters[position] != ASCII.equals {
                var bytes = characters
                bytes[position] = stray
                // A fold three characters before (when there is room) and one right after the stray byte.
                bytes.insert(contentsOf: Array("\r\n ".utf8), at: position + 1)
                let before = max(0, position - 3)
                bytes.insert(contentsOf: Array("\r\n\t".utf8), at: before)
                let offset = position + 3
                #expect(throws: Base64.DecodeFailure.invalidCharacter(byte: stray, offset: offset)) {
                    try Base64.decode(bytes)
                }
            }
        }
    }

    // Padding that is wrong, short or misplaced, with a fold in every position: still bad padding.
    @Test(arguments: ["Zm9", "Zg=", "Zg===", "Z===", "Zm9v=", "Zg==Zg==", "=Zg=", "Zm9vY", "Zm9vYg=", "Zm9vYmE==",
                      "Zm=9v", "Zm9v====", "Zm9vYmFyZg", "Zm9vYmFy=", "Zm9=vYmFy"])
    func rejectsBadPaddingWithFoldsInEveryPosition(_ text: String) {
        for fold in Self.folds {
            for position in 0...text.utf8.count {
                #expect(throws: Base64.DecodeFailure.badPadding) {
                    try Base64.decode(Self.inserting(fold, into: text, at: position))
                }
            }
        }
    }

    // Only SP, HTAB, CR and LF are skipped; white space and padding alone decode to nothing.
    @Test func decodesWhiteSpaceAloneToNothing() throws {
        #expect(try Base64.decode(Array(" \t\r\n".utf8)) == [])
        #expect(throws: Base64.DecodeFailure.invalidCharacter(byte: 0x0B, offset: 4)) {
            try Base64.decode(Array("Zm9v\u{0B}YmFy".utf8))
        }
    }
}
