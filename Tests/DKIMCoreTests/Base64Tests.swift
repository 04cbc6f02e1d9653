import Foundation
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

    // MARK: The vector kernel against the portable loops

    /// Every way through the decoder this CPU runs: the portable Swift loops (0) and each kernel up to the best.
    static let kernels = Array(0...Base64.vectorKernel)

    /// The outcome of decoding `bytes` with `kernel`, through the buffer path ``Base64.decode(_:)`` takes.
    static func decode(_ bytes: [UInt8], kernel: Int32) -> Result<[UInt8], Base64.DecodeFailure> {
        bytes.withUnsafeBufferPointer { Base64.decode(buffer: $0, kernel: kernel) }
    }

    /// The whole-quantum path alone, without the byte-by-byte fallback that would hide its mistakes: it must give
    /// every well-formed value (and nil only for the others).
    static func decodeGathered(_ bytes: [UInt8], kernel: Int32) -> [UInt8]? {
        bytes.withUnsafeBufferPointer { Base64.decodeGathered($0, kernel: kernel) }
    }

    /// The outcome of the element-by-element decoder, which shares no code with the buffer paths.
    static func decodeGeneric(_ bytes: [UInt8]) -> Result<[UInt8], Base64.DecodeFailure> {
        Result { () throws(Base64.DecodeFailure) -> [UInt8] in try Base64.decode(bytes.lazy.map { $0 }) }
    }

    /// Foundation's decoder on the text without folding white space (it accepts none): an independent oracle.
    static func foundation(_ bytes: [UInt8]) -> [UInt8]? {
        let characters = bytes.filter { ![ASCII.space, ASCII.tab, ASCII.cr, ASCII.lf].contains($0) }
        return Data(base64Encoded: Data(characters)).map { Array($0) }
    }

    /// `text` folded as a signer folds `b=`: CRLF and `fold` every `width` characters, the first line shorter.
    static func folded(_ text: [UInt8], width: Int, first: Int, fold: [UInt8] = Array("\r\n\t".utf8)) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        var line = first
        while index < text.count {
            let end = min(text.count, index + line)
            out += text[index..<end]
            if end < text.count { out += fold }
            index = end
            line = width
        }
        return out
    }

    static let encodedLengths = Array(0...200) + [343, 344, 345, 392, 699, 700, 701]

    // Random bytes of every length, encoded, unfolded and folded: every kernel gives them back, as Foundation does.
    @Test(arguments: kernels)
    func decodesRandomValuesOfEveryLength(kernel: Int32) throws {
        var generator = SplitMix64(seed: 0x6B65_726E_656C_0001)
        for encodedLength in Self.encodedLengths {
            let plainLength = encodedLength / 4 * 3
            for _ in 0..<4 {
                let plain = (0..<plainLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let text = Array(Base64.encode(plain).utf8)
                #expect(Self.foundation(text) == plain)
                let width = Int.random(in: 1...80, using: &generator)
                let first = Int.random(in: 1...80, using: &generator)
                for variant in [text, Self.folded(text, width: width, first: first),
                                Self.folded(text, width: 76, first: 62, fold: Array("\r\n ".utf8)),
                                Self.folded(text, width: 3, first: 1, fold: Array("  \r\n\t\t ".utf8))] {
                    let decoded = try Self.decode(variant, kernel: kernel).get()
                    #expect(decoded == plain, "kernel \(kernel), length \(encodedLength), width \(width)")
                    if !variant.isEmpty {
                        #expect(Self.decodeGathered(variant, kernel: kernel) == plain, "kernel \(kernel)")
                    }
                }
            }
        }
    }

    // Hostile text: alphabet, padding, folding white space and stray bytes mixed in random runs. Every kernel gives
    // the outcome (bytes or the same failure) of the element-by-element decoder, and Foundation agrees on success.
    @Test(arguments: kernels)
    func agreesWithThePortableDecoderOnHostileText(kernel: Int32) {
        var generator = SplitMix64(seed: 0x6B65_726E_656C_0002 &+ UInt64(kernel))
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        let white: [UInt8] = [ASCII.space, ASCII.tab, ASCII.cr, ASCII.lf]
        for round in 0..<6000 {
            let length = round < 3000 ? Int.random(in: 0...80, using: &generator)
                                      : Int.random(in: 0...800, using: &generator)
            // Mostly alphabet; the odds of the rest vary per round so that some inputs are valid and others not.
            let whiteOdds = Int.random(in: 0...40, using: &generator)
            let strayOdds = Int.random(in: 0...3, using: &generator) == 0 ? 1 : 0
            var text: [UInt8] = []
            while text.count < length {
                let pick = Int.random(in: 0..<1000, using: &generator)
                if pick < strayOdds {
                    text.append(UInt8.random(in: 0...255, using: &generator))
                } else if pick < strayOdds + whiteOdds {
                    // Runs of white space, sometimes longer than a 32-byte window.
                    let run = Int.random(in: 1...(pick % 7 == 0 ? 70 : 3), using: &generator)
                    for _ in 0..<run { text.append(white[Int.random(in: 0..<4, using: &generator)]) }
                } else {
                    text.append(alphabet[Int.random(in: 0..<64, using: &generator)])
                }
            }
            // Padding at the end in some rounds (right or wrong), elsewhere in a few.
            switch Int.random(in: 0..<8, using: &generator) {
            case 0: text.append(ASCII.equals)
            case 1: text += [ASCII.equals, ASCII.equals]
            case 2 where !text.isEmpty: text[Int.random(in: 0..<text.count, using: &generator)] = ASCII.equals
            case 3: text.removeLast(min(text.count, 4 - (text.count % 4 == 0 ? 4 : text.count % 4)))
            default: break
            }
            let expected = Self.decodeGeneric(text)
            let outcome = Self.decode(text, kernel: kernel)
            #expect(outcome == expected, "kernel \(kernel), text \(text)")
            if case .success(let bytes) = expected, !text.isEmpty {
                #expect(Self.decodeGathered(text, kernel: kernel) == bytes, "kernel \(kernel), text \(text)")
            }
            if case .success(let bytes) = outcome, let oracle = Self.foundation(text) {
                #expect(bytes == oracle)
            }
        }
    }

    // Every byte outside the alphabet and folding white space, at each kind of place in a folded 344-character
    // value (first window, window edges, after a fold, the part after the last whole window, the last quantum):
    // every kernel names it at its own offset, or (for '=') reports what the element-by-element decoder reports.
    @Test(arguments: kernels)
    func namesEveryStrayByteAtEveryKindOfPlace(kernel: Int32) {
        var generator = SplitMix64(seed: 0x6B65_726E_656C_0003)
        let plain = (0..<258).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let text = Self.folded(Array(Base64.encode(plain).utf8), width: 76, first: 60, fold: Array("\r\n ".utf8))
        let places = Set([0, 1, 3, 30, 31, 32, 33, 59, 60, 61, 62, 63, 64, 65, 95, 96, 200, 300, text.count - 40,
                          text.count - 33, text.count - 32, text.count - 31, text.count - 20, text.count - 5,
                          text.count - 4, text.count - 3, text.count - 2, text.count - 1])
        let white: Set<UInt8> = [ASCII.space, ASCII.tab, ASCII.cr, ASCII.lf]
        let alphabet = Set(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8))
        for byte in (0...255).map({ UInt8($0) }) where !white.contains(byte) && !alphabet.contains(byte) {
            for place in places.sorted() where !white.contains(text[place]) {
                var bytes = text
                bytes[place] = byte
                let outcome = Self.decode(bytes, kernel: kernel)
                if byte == ASCII.equals {
                    #expect(outcome == Self.decodeGeneric(bytes), "kernel \(kernel), '=' at \(place)")
                } else {
                    #expect(outcome == .failure(.invalidCharacter(byte: byte, offset: place)),
                            "kernel \(kernel), byte \(byte) at \(place)")
                }
            }
        }
    }

    // Every byte value in every lane of a 32-character window: the kernel's nibble tables accept exactly the
    // alphabet, and give each character its value (checked through Foundation).
    @Test(arguments: kernels)
    func classifiesEveryByteInEveryLane(kernel: Int32) throws {
        let valid = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        let white: Set<UInt8> = [ASCII.space, ASCII.tab, ASCII.cr, ASCII.lf]
        for lane in 0..<32 {
            for byte in (0...255).map({ UInt8($0) }) where !white.contains(byte) {
                var text = (0..<64).map { valid[($0 * 7 + lane) % 64] }
                text[lane] = byte
                let outcome = Self.decode(text, kernel: kernel)
                if valid.contains(byte) {
                    let oracle = try #require(Self.foundation(text))
                    #expect(outcome == .success(oracle), "byte \(byte) in lane \(lane)")
                } else {
                    #expect(outcome == Self.decodeGeneric(text), "byte \(byte) in lane \(lane)")
                }
            }
        }
    }

    // Padding right and wrong after a prefix long enough for the kernel, with folds around the last quantum.
    @Test(arguments: kernels)
    func handlesPaddingAfterWholeWindows(kernel: Int32) throws {
        let endings = ["Zg==", "Zm8=", "Zm9v", "Zh==", "Zm9=", "Zg=", "Zg===", "Z===", "Zm9v=", "=Zg=", "Zg=A",
                       "Z=g=", "Zm=v", "====", "Zg==Zg==", "Zm9v===="]
        for prefixLength in [0, 28, 32, 36, 60, 64, 92, 340] {
            let prefix = String(repeating: "QUJD", count: prefixLength / 4)
            for ending in endings {
                for fold in ["", " ", "\r\n\t"] {
                    let text = Array((prefix + fold + ending).utf8)
                    let outcome = Self.decode(text, kernel: kernel)
                    let expected = Self.decodeGeneric(text)
                    #expect(outcome == expected, "kernel \(kernel), \(prefixLength) + \(ending)")
                    if case .success(let bytes) = expected, !text.isEmpty {
                        #expect(Self.decodeGathered(text, kernel: kernel) == bytes)
                    }
                    if case .success(let bytes) = outcome, let oracle = Self.foundation(text) {
                        #expect(bytes == oracle)
                    }
                }
            }
        }
    }
}
