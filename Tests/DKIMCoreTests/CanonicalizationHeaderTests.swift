import Foundation
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

    /// RFC 6376 §3.7, written out literally: delete the `b=` value and the white space around it, then apply
    /// §3.4.1 (bytes kept) or §3.4.2 (lowercase the name; unfold; WSP runs to one SP; no WSP at the ends of the
    /// value or around the colon), then drop the final CRLF.
    static func blankedModel(_ raw: String, _ algorithm: CanonicalizationAlgorithm) -> [UInt8] {
        var bytes = Array(raw.utf8)
        let valueStart = bytes.firstRange(of: Array("b=".utf8)).map { $0.upperBound } ?? 0
        var valueEnd = valueStart
        while valueEnd < bytes.count, bytes[valueEnd] != UInt8(ascii: ";") { valueEnd += 1 }
        if valueEnd == bytes.count, bytes.count >= 2, bytes[bytes.count - 2] == 13, bytes[bytes.count - 1] == 10 {
            valueEnd -= 2  // the field's own CRLF is not part of the value
        }
        bytes.removeSubrange(valueStart..<valueEnd)
        if !(bytes.count >= 2 && bytes[bytes.count - 2] == 13 && bytes[bytes.count - 1] == 10) { bytes += [13, 10] }
        bytes.removeLast(2)
        guard algorithm == .relaxed else { return bytes }
        let colon = bytes.firstIndex(of: UInt8(ascii: ":"))!
        let name = String(decoding: bytes[..<colon], as: UTF8.self).lowercased().trimmingCharacters(in: .whitespaces)
        var value = String(decoding: bytes[(colon + 1)...], as: UTF8.self).replacingOccurrences(of: "\r\n", with: "")
        value = value.replacingOccurrences(of: "\t", with: " ")
        while value.contains("  ") { value = value.replacingOccurrences(of: "  ", with: " ") }
        return Array((name + ":" + value.trimmingCharacters(in: .whitespaces)).utf8)
    }

    @Test(arguments: [
        "DKIM-Signature: v=1; b=abcd; d=example.com\r\n",
        "DKIM-Signature: v=1; d=example.com; b=ab\r\n\tcd\r\n",                 // b= last, folded inside
        "DKIM-Signature: v=1; b=\r\n\tabcd\r\n\t; d=example.com\r\n",        // folds around the value
        "DKIM-Signature: v=1; b= abcd  ;h=from\r\n",
        "DKIM-Signature: v=1; d=example.com; b=abcd",                             // unterminated last line
        "DKIM-Signature: v=1; d=example.com; b=abcd;",
        "DKIM-Signature:b=abcd; v=1\r\n",
        "DKIM-Signature: v=1;  x=1;\tb=ab cd\t ;\r\n t=2 \r\n",
    ])
    func blankingInPlaceMatchesTheRFCModel(_ raw: String) throws {
        // The digest is over exactly the signature field when h= selects nothing.
        let field = try HeaderField(raw: Array(raw.utf8))
        let signature = try TagList(parsing: field.value)
        let blanking = try #require(signature["b"]).valueRange
        for algorithm in CanonicalizationAlgorithm.allCases {
            let digest = HeaderHash.digest(signedNames: [], headers: [], signatureField: field, blanking: blanking,
                                               algorithm: algorithm)
            #expect(digest == SHA256.hash(Self.blankedModel(raw, algorithm)), "\(algorithm) \(raw.debugDescription)")
        }
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
