import Testing
@testable import DKIMCore

@Suite struct QuotedPrintableTests {
    private func decode(_ text: String) throws -> [UInt8] { try DKIMQuotedPrintable.decode(Array(text.utf8)) }
    private func encode(_ text: String, pipe: Bool = false) -> String {
        String(decoding: DKIMQuotedPrintable.encode(Array(text.utf8), escapingPipe: pipe), as: UTF8.self)
    }

    // The z= example of RFC 6376 §3.5: each copied field in its encoded and plain forms.
    static let rfc6376Copies: [(String, String)] = [
        ("From:foo@eng.example.net", "From:foo@eng.example.net"),
        ("To:joe@example.com", "To:joe@example.com"),
        ("Subject:demo=20run", "Subject:demo run"),
        ("Date:July=205,=202005=203:44:08=20PM=20-0700", "Date:July 5, 2005 3:44:08 PM -0700"),
    ]

    @Test(arguments: rfc6376Copies)
    func decodesAndEncodesTheRFC6376Example(encoded: String, plain: String) throws {
        #expect(try decode(encoded) == Array(plain.utf8))
        #expect(encode(plain, pipe: true) == encoded)
    }

    @Test func ignoresFoldingWhiteSpace() throws {
        // RFC 6376 §2.11: white space in the encoded string carries no meaning.
        #expect(try decode("Subject:demo\r\n =20 run") == Array("Subject:demo run".utf8))
        #expect(try decode("\t@eng. example.net ") == Array("@eng.example.net".utf8))
    }

    @Test func acceptsLowerCaseHexadecimal() throws {
        #expect(try decode("a=3bb=3Dc=7c") == Array("a;b=c|".utf8))
    }

    @Test func passesUTF8Through() throws {
        // RFC 8616 §4 admits UTF-8 in dkim-safe-char.
        #expect(try decode("j\u{F6}rg@example.com") == Array("j\u{F6}rg@example.com".utf8))
    }

    @Test(arguments: [("abc=", 3), ("=4", 0), ("x=G0", 1), ("=4 1", 0), ("==41", 0)])
    func rejectsBadEscapes(text: String, offset: Int) {
        #expect(throws: DKIMQuotedPrintable.DecodeFailure.badEscape(offset: offset)) { try decode(text) }
    }

    @Test(arguments: [("a;b", UInt8(ascii: ";"), 1), ("\u{1}", 0x01, 0), ("ab\u{7F}", 0x7F, 2)])
    func rejectsBytesThatMustBeEscaped(text: String, byte: UInt8, offset: Int) {
        #expect(throws: DKIMQuotedPrintable.DecodeFailure.invalidCharacter(byte: byte, offset: offset)) {
            try decode(text)
        }
    }

    @Test func escapesEverythingOutsideDkimSafeChar() {
        let input: [UInt8] = [0x3B, 0x3D, 0x20, 0x09, 0x0D, 0x0A, 0x00, 0x7F, 0xC3, 0xB6]
        let expected = "=3B=3D=20=09=0D=0A=00=7F=C3=B6"
        #expect(String(decoding: DKIMQuotedPrintable.encode(input), as: UTF8.self) == expected)
        #expect(encode("a-Z:0<>~!@") == "a-Z:0<>~!@")
    }

    @Test func escapesPipeOnlyForCopiedHeaders() {
        // RFC 6376 §3.5: qp-hdr-value is dkim-quoted-printable "with '|' encoded".
        #expect(encode("a|b") == "a|b")
        #expect(encode("a|b", pipe: true) == "a=7Cb")
    }

    @Test(arguments: [false, true])
    func roundTripsEveryByte(pipe: Bool) throws {
        let all = (0...255).map { UInt8($0) }
        let encoded = DKIMQuotedPrintable.encode(all, escapingPipe: pipe)
        #expect(encoded.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ";") })
        #expect(try DKIMQuotedPrintable.decode(encoded) == all)
    }
}
