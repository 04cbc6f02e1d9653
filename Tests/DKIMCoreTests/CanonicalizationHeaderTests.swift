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

    /// RFC 6376 §3.4.2 step by step over bytes: lowercase the name; delete every CRLF (the only ones inside a
    /// parsed field are folds); each WSP run becomes one SP; no WSP at the ends of the value; CRLF at the end.
    static func relaxedModel(_ field: HeaderField) -> [UInt8] {
        let name = field.raw[..<field.nameEnd].map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
        var unfolded: [UInt8] = []
        var index = field.value.startIndex
        while index < field.value.endIndex {
            if field.value[index] == 13, index + 1 < field.value.endIndex, field.value[index + 1] == 10 {
                index += 2
                continue
            }
            unfolded.append(field.value[index])
            index += 1
        }
        var value: [UInt8] = []
        for byte in unfolded {
            let isWSP = byte == 32 || byte == 9
            if isWSP {
                if value.last != 32 { value.append(32) }
            } else {
                value.append(byte)
            }
        }
        while value.first == 32 { value.removeFirst() }
        while value.last == 32 { value.removeLast() }
        return name + [58] + value + [13, 10]
    }

    /// Value runs of every length from 0 to 40 (the copy takes eight bytes at a time), with 8-bit bytes, DEL and
    /// control bytes (value bytes too), WSP runs and folds between them; also through the header digest.
    @Test func relaxedRunsOfEveryLengthMatchTheModel() throws {
        var random = SplitMix64(seed: 0x4EAD_E125)
        let valueBytes: [UInt8] = Array(33...126) + [0x7F, 0x80, 0xC3, 0xA9, 0xFF, 0x01, 0x1F, 0x0B]
        for round in 0..<400 {
            var raw = Array("X-Run-\(round % 3) \t:".utf8)
            for _ in 0..<Int(random.next() % 6) {
                switch random.next() % 4 {
                case 0: raw += [32]
                case 1: raw += [9, 32, 9]
                case 2: raw += [13, 10, 9]
                default: raw += [13, 10, 32, 32]
                }
                let length = Int(random.next() % 41)
                for _ in 0..<length { raw.append(valueBytes[Int(random.next() % UInt64(valueBytes.count))]) }
            }
            if random.next() % 4 != 0 { raw += [13, 10] }
            let field = try HeaderField(raw: raw)
            let expected = Self.relaxedModel(field)
            #expect(Canonicalization.canonicalizeHeader(field, .relaxed) == expected, "\(raw)")
            let signature = try HeaderField(raw: Array("DKIM-Signature: v=1\r\n".utf8))
            let digest = HeaderHash.digest(signedNames: ["x-run-\(round % 3)"], headers: [field],
                                           signatureField: signature, blanking: nil, algorithm: .relaxed)
            #expect(digest == SHA256.hash(expected + Array("dkim-signature:v=1".utf8)))
        }
        // A run of every length up to 24 ended by each kind of white space, so that the SP that ends or continues
        // it falls on every position of an eight-byte word (a lone SP before a value byte stays; one before other
        // white space, a fold or the end does not).
        let tails = [" ", " \r\n\t", " \tx", "  x", " \r\n\tx", " x", " !", "\t", " \u{01}", " a b c d e f g h i"]
        for length in 0...24 {
            for tail in tails {
                for lead in ["", " ", "  ", "\r\n "] {
                    let value = String((0..<length).map { Character(UnicodeScalar(UInt8(97 + $0 % 26))) })
                    let field = try HeaderField(raw: Array(("X:\(lead)\(value)\(tail)\r\n").utf8))
                    #expect(Canonicalization.canonicalizeHeader(field, .relaxed) == Self.relaxedModel(field),
                            "\(lead.debugDescription) \(length) \(tail.debugDescription)")
                }
            }
        }
    }

    /// The word-wise lowercasing agrees with ``ASCII/lowercased(_:)`` for every byte value in every lane, with
    /// random neighbours (a carry or borrow between lanes would show).
    @Test func wordLowercasingMatchesTheByteRule() {
        var random = SplitMix64(seed: 0x10CA_5E00)
        for lane in 0..<8 {
            for byte in UInt8.min...UInt8.max {
                var bytes = (0..<8).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                bytes[lane] = byte
                let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                let lowered = withUnsafeBytes(of: Canonicalization.lowercasedWord(word)) { Array($0) }
                #expect(lowered == bytes.map(ASCII.lowercased), "\(bytes)")
            }
        }
    }

    /// Names of every length from 1 to 30 over all of ftext in both cases, with values short and long (the
    /// name is lowercased eight bytes at a time while eight raw bytes remain).
    @Test func relaxedNamesOfEveryLengthMatchTheModel() throws {
        var random = SplitMix64(seed: 0x4A3E_0001)
        let nameBytes: [UInt8] = Array(33...57) + Array(59...126)
        for length in 1...30 {
            for value in ["", "x", " a", "ab\r\n c", " v  w\t"] {
                for terminator in ["\r\n", ""] {
                    let name = (0..<length).map { _ in nameBytes[Int(random.next() % UInt64(nameBytes.count))] }
                    let field = try HeaderField(raw: name + Array(":\(value)\(terminator)".utf8))
                    #expect(Canonicalization.canonicalizeHeader(field, .relaxed) == Self.relaxedModel(field),
                            "\(name) \(value.debugDescription)")
                }
            }
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
