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
}
