import Testing
@testable import DKIMCore

@Suite struct CanonicalizationHeaderTests {
    @Test(arguments: MessageVectors.messageNames)
    func matchesThePythonModel(_ name: String) throws {
        let parts = try MessageParts(parsing: try MessageVectors.bytes("messages/\(name).eml"))
        for algorithm in CanonicalizationAlgorithm.allCases {
            let expected = try MessageVectors.bytes("messages/\(name).headers.\(algorithm.rawValue)")
            #expect(parts.headers.flatMap { Canonicalization.canonicalizeHeader($0, algorithm) } == expected)
        }
    }

    @Test func rfc6376Section345Example() throws {
        // RFC 6376 §3.4.5, written out from the RFC text.
        let parts = try MessageParts(parsing: Array("A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n".utf8))
        let relaxed = parts.headers.flatMap { Canonicalization.canonicalizeHeader($0, .relaxed) }
        #expect(relaxed == Array("a:X\r\nb:Y Z\r\n".utf8))
        let simple = parts.headers.flatMap { Canonicalization.canonicalizeHeader($0, .simple) }
        #expect(simple == Array("A: X\r\nB : Y\t\r\n\tZ  \r\n".utf8))
    }

    @Test(arguments: [
        ("Subject:\r\n\tfoo\r\n", "subject:foo\r\n"),                       // folded right after the colon
        ("From:a@example.com\r\n", "from:a@example.com\r\n"),               // no space after the colon
        ("X-Tabs:\ta\t\t b \t\r\n", "x-tabs:a b\r\n"),
        ("X-Empty:\r\n", "x-empty:\r\n"),
        ("X-Blank:   \r\n \r\n", "x-blank:\r\n"),
        ("Subject: Grüße  aus\r\n Köln\r\n", "subject:Grüße aus Köln\r\n"), // 8-bit bytes kept (RFC 6532)
        ("MiXeD-Case: KeepValueCase\r\n", "mixed-case:KeepValueCase\r\n"),
        ("To  : b\r\n", "to:b\r\n"),
        ("Last: no crlf", "last:no crlf\r\n"),
    ])
    func relaxedRules(_ raw: String, _ expected: String) throws {
        let field = try HeaderField(raw: Array(raw.utf8))
        #expect(Canonicalization.canonicalizeHeader(field, .relaxed) == Array(expected.utf8))
    }

    @Test func simpleKeepsBytesAndAddsMissingCRLF() throws {
        let folded = try HeaderField(raw: Array("Subject:\r\n\tfoo  \r\n".utf8))
        #expect(Canonicalization.canonicalizeHeader(folded, .simple) == Array("Subject:\r\n\tfoo  \r\n".utf8))
        let unterminated = try HeaderField(raw: Array("Last: x".utf8))
        #expect(Canonicalization.canonicalizeHeader(unterminated, .simple) == Array("Last: x\r\n".utf8))
    }

    @Test func signatureFieldHasNoTrailingCRLF() throws {
        // RFC 6376 §3.7: the DKIM-Signature field is hashed without its final CRLF.
        let field = try HeaderField(raw: Array("DKIM-Signature: v=1; a=rsa-sha256;\r\n\tb=\r\n".utf8))
        #expect(Canonicalization.canonicalizeSignatureHeader(field, .relaxed)
            == Array("dkim-signature:v=1; a=rsa-sha256; b=".utf8))
        #expect(Canonicalization.canonicalizeSignatureHeader(field, .simple)
            == Array("DKIM-Signature: v=1; a=rsa-sha256;\r\n\tb=".utf8))
    }
}

@Suite struct CanonicalizationTagTests {
    @Test(arguments: [
        ("relaxed/relaxed", CanonicalizationAlgorithm.relaxed, CanonicalizationAlgorithm.relaxed),
        ("relaxed/simple", .relaxed, .simple), ("simple/relaxed", .simple, .relaxed),
        ("simple/simple", .simple, .simple),
        ("relaxed", .relaxed, .simple), ("simple", .simple, .simple),   // RFC 6376 §3.5: body part defaults
        ("Relaxed", .relaxed, .simple), ("relaxed/Simple", .relaxed, .simple),  // RFC 5234 §2.3: case-insensitive
    ])
    func parses(_ value: String, _ header: CanonicalizationAlgorithm, _ body: CanonicalizationAlgorithm) throws {
        let parsed = try #require(Canonicalization(tagValue: value))
        #expect(parsed == Canonicalization(header: header, body: body))
        #expect(parsed.tagValue == "\(header.rawValue)/\(body.rawValue)")
    }

    @Test(arguments: ["", "relaxed/", "/relaxed", "relaxed/simple/simple", "relaxed /simple",
                      "nofws", "relaxed/nofws", " relaxed"])
    func rejects(_ value: String) {
        #expect(Canonicalization(tagValue: value) == nil)
    }

    @Test func missingTagMeansSimpleSimple() {
        #expect(Canonicalization() == Canonicalization(header: .simple, body: .simple))
        #expect(Canonicalization().tagValue == "simple/simple")
    }
}
