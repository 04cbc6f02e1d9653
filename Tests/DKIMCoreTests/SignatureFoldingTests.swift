import Testing
@testable import DKIMCore

@Suite struct SignatureFoldingTests {
    static let crlf: [UInt8] = [0x0D, 0x0A]

    /// Deterministic, non-constant bytes standing in for a signature or hash.
    static func bytes(_ count: Int, seed: UInt8 = 7) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
    }

    static func headerNames(_ count: Int) -> [String] {
        ["From"] + (1..<max(count, 1)).map { "X-Header-Field-\($0)" }
    }

    static func makeSignature(
        headers: Int = 6, signatureBytes: Int = 256, extras: Bool = false, selector: String = "sel2024.eu"
    ) throws -> DKIMSignature {
        try DKIMSignature(
            algorithm: .rsaSHA256, signature: bytes(signatureBytes), bodyHash: bytes(32, seed: 3),
            canonicalization: .relaxed, domain: "mail.example.com", signedHeaders: headerNames(headers),
            identity: extras ? "j;o e|x@news.mail.example.com" : nil, bodyLength: extras ? 1234 : nil,
            queryMethods: extras ? ["dns/txt", "x-other/q"] : ["dns/txt"], selector: selector,
            timestamp: extras ? 1_700_000_000 : nil, expiration: extras ? 1_700_086_400 : nil,
            copiedHeaders: extras ? [Array("From:Joe | Q <joe@example.com>; x".utf8),
                                     Array("Subject:\(String(repeating: "long subject ", count: 12))".utf8)] : nil)
    }

    static func lines(_ field: [UInt8]) -> [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        while index + 1 < field.count {
            if field[index] == 0x0D && field[index + 1] == 0x0A {
                result.append(field[start..<index])
                start = index + 2
                index += 2
            } else {
                index += 1
            }
        }
        return result
    }

    /// Checks the shape of a rendered field: CRLF only as line ends, continuation lines start with one SP,
    /// no line ends in white space, every line fits `width`; returns the parsed value.
    static func checkShape(_ field: [UInt8], width: Int = 78,
                           sourceLocation: SourceLocation = #_sourceLocation) throws -> DKIMSignature {
        #expect(field.starts(with: Array("DKIM-Signature: v=1; ".utf8)), sourceLocation: sourceLocation)
        #expect(field.suffix(2).elementsEqual(crlf), sourceLocation: sourceLocation)
        let lines = lines(field)
        #expect(lines.map(\.count).reduce(0, +) + 2 * lines.count == field.count, "stray CR or LF",
                sourceLocation: sourceLocation)
        for (number, line) in lines.enumerated() {
            #expect(line.count <= width, "line \(number) has \(line.count) octets", sourceLocation: sourceLocation)
            #expect(line.last != 0x20 && line.last != 0x09, sourceLocation: sourceLocation)
            #expect(!line.contains(0x0D) && !line.contains(0x0A), sourceLocation: sourceLocation)
            if number > 0 {
                #expect(line.first == 0x20 && line.dropFirst().first != 0x20, sourceLocation: sourceLocation)
            }
        }
        let colon = try #require(field.firstIndex(of: UInt8(ascii: ":")))
        return try DKIMSignature(parsing: field[(colon + 1)..<(field.count - 2)])
    }

    @Test(arguments: [1, 5, 12, 40], [false, true])
    func roundTripsAndFitsInSeventyEightColumns(headers: Int, extras: Bool) throws {
        let signature = try Self.makeSignature(headers: headers, extras: extras)
        let parsed = try Self.checkShape(signature.headerField())
        #expect(parsed == signature)
    }

    @Test(arguments: [128, 256, 512, 1024])
    func foldsLargeSignatures(bytes: Int) throws {
        // 512 octets: an RSA-4096 signature; 1024 octets: RSA-8192.
        let signature = try Self.makeSignature(headers: 30, signatureBytes: bytes)
        let field = signature.headerField()
        let parsed = try Self.checkShape(field)
        #expect(parsed.signature == Self.bytes(bytes))
        #expect(parsed == signature)
    }

    @Test(arguments: [40, 60, 100])
    func honoursOtherWidths(width: Int) throws {
        let signature = try Self.makeSignature(headers: 20, signatureBytes: 512, extras: true)
        #expect(try Self.checkShape(signature.headerField(foldingAt: width), width: width) == signature)
    }

    @Test func writesTagsInTheDocumentedOrder() throws {
        let signature = try Self.makeSignature(headers: 2, extras: true)
        let text = String(decoding: signature.headerField(foldingAt: 10_000), as: UTF8.self)
        let names = text.dropFirst("DKIM-Signature:".count).split(separator: ";")
            .map { $0.trimmingPrefix(" ").prefix { $0 != "=" } }
        #expect(names == ["v", "a", "c", "d", "s", "i", "q", "l", "t", "x", "h", "z", "bh", "b"])
        #expect(text.hasSuffix("\r\n"))
        #expect(!text.dropLast(2).contains("\r\n"))
    }

    @Test func omitsDefaultsAndUnsetTags() throws {
        let signature = try Self.makeSignature(headers: 1)
        let text = String(decoding: signature.headerField(foldingAt: 10_000), as: UTF8.self)
        #expect(text.hasPrefix("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=mail.example.com;"
            + " s=sel2024.eu; h=From; bh="))
        #expect(!text.contains("q=") && !text.contains(" i=") && !text.contains(" t=") && !text.contains(" z="))
    }

    @Test func neverBreaksUnbreakableValues() throws {
        let signature = try Self.makeSignature(headers: 25, signatureBytes: 512, extras: true)
        for width in [30, 50, 78] {
            let field = signature.headerField(foldingAt: width)
            for piece in ["a=rsa-sha256;", "c=relaxed/relaxed;", "d=mail.example.com;", "s=sel2024.eu;",
                          "t=1700000000;", "x=1700086400;", "l=1234;", "q=dns/txt:x-other/q;",
                          "i=j=3Bo=20e|x@news.mail.example.com;"] {
                #expect(field.firstRange(of: Array(piece.utf8)) != nil, "\(piece) broken at width \(width)")
            }
        }
    }

    @Test func breaksHeaderListsOnlyAfterColons() throws {
        let signature = try Self.makeSignature(headers: 40)
        let field = signature.headerField()
        let h = try #require(signature.tags["h"])
        let value = field[h.valueRange]
        var sawFold = false
        for index in value.indices where value[index] == 0x0D {
            sawFold = true
            #expect(value[index - 1] == UInt8(ascii: ":"))
        }
        #expect(sawFold)
    }

    /// The signer hashes the field with an empty b=; the verifier blanks the b= value by offset.
    /// Both must obtain the same bytes, wherever b= falls on its line: the selector length moves it
    /// one column at a time, through every position of the line.
    @Test(arguments: 1...63, [1, 3])
    func theEmptySignatureFormIsTheFilledFormWithoutTheBValue(selectorLength: Int, headers: Int) throws {
        let selector = String(repeating: "s", count: selectorLength)
        var signature = try Self.makeSignature(headers: headers, signatureBytes: 0, selector: selector)
        let unsigned = signature.headerField()
        signature.signature = Self.bytes(256)
        let signed = signature.headerField()
        let parsed = try Self.checkShape(signed)
        let range = parsed.signatureValueRange
        #expect(range.upperBound == signed.count - 2)
        let blanked = Array(signed[..<range.lowerBound]) + Array(signed[range.upperBound...])
        #expect(blanked == unsigned)
        #expect(signed.starts(with: unsigned.dropLast(2)))
        #expect(Array(signed[range.lowerBound - 2..<range.lowerBound]) == Array("b=".utf8))
    }

    @Test func theMemberwiseRangeIndexesTheRenderedField() throws {
        let signature = try Self.makeSignature(headers: 9, signatureBytes: 512)
        let field = signature.headerField()
        #expect(try Base64.decode(field[signature.signatureValueRange]) == signature.signature)
    }

    @Test func reparsesTheRFC8463Signature() throws {
        let (_, value) = try loadSignatureVector("rfc8463-a3-ed25519.txt")
        let original = try DKIMSignature(parsing: value)
        let field = original.headerField()
        #expect(try Self.checkShape(field) == original)
        #expect(field.firstRange(of: Array("h=from:to:subject:date:message-id:from:subject:date;".utf8)) != nil)
    }

    // MARK: The memberwise initializer validates

    @Test func rejectsAnIdentityOutsideTheDomain() {
        #expect(throws: DKIMError(.invalidOption, "")) {
            try DKIMSignature(algorithm: .rsaSHA256, bodyHash: Self.bytes(32), canonicalization: .relaxed,
                              domain: "example.com", signedHeaders: ["From"], identity: "@evilexample.com",
                              selector: "s")
        }
    }

    @Test func rejectsAHeaderListWithoutFrom() {
        #expect(throws: DKIMError(.invalidOption, "")) {
            try DKIMSignature(algorithm: .rsaSHA256, bodyHash: Self.bytes(32), canonicalization: .relaxed,
                              domain: "example.com", signedHeaders: ["To"], selector: "s")
        }
    }

    @Test func rejectsExpirationBeforeTimestamp() {
        #expect(throws: DKIMError(.invalidOption, "")) {
            try DKIMSignature(algorithm: .rsaSHA256, bodyHash: Self.bytes(32), canonicalization: .relaxed,
                              domain: "example.com", signedHeaders: ["From"], selector: "s",
                              timestamp: 100, expiration: 100)
        }
    }

    @Test(arguments: ["exa;mple.com", "example.com; s=x", "example..com", "example.com\r\n"])
    func rejectsDomainsThatCannotBeWritten(_ domain: String) {
        #expect(throws: DKIMError(.invalidOption, "")) {
            try DKIMSignature(algorithm: .rsaSHA256, bodyHash: Self.bytes(32), canonicalization: .relaxed,
                              domain: domain, signedHeaders: ["From"], selector: "s")
        }
    }

    @Test(arguments: [["From", "to:cc"], ["From", ""], ["From", "Sub ject"]])
    func rejectsHeaderNamesThatCannotBeWritten(_ names: [String]) {
        #expect(throws: DKIMError(.invalidOption, "")) {
            try DKIMSignature(algorithm: .rsaSHA256, bodyHash: Self.bytes(32), canonicalization: .relaxed,
                              domain: "example.com", signedHeaders: names, selector: "s")
        }
    }

    @Test func rejectsAnOtherAlgorithmSpelledLikeAKnownOne() {
        #expect(throws: DKIMError(.invalidOption, "")) {
            try DKIMSignature(algorithm: .other("RSA-SHA256"), bodyHash: Self.bytes(32), canonicalization: .relaxed,
                              domain: "example.com", signedHeaders: ["From"], selector: "s")
        }
    }

    @Test func canonicalizationTagValues() {
        #expect(Canonicalization(header: .relaxed, body: .simple).tagValue == "relaxed/simple")
        #expect(Canonicalization(tagValue: "relaxed/nofws") == nil)
        #expect(Canonicalization(tagValue: "simple") == .simple)
        #expect(Canonicalization(tagValue: "Relaxed/SIMPLE") == Canonicalization(header: .relaxed, body: .simple))
        #expect(SignatureAlgorithm(tagValue: "ed25519-sha256").tagValue == "ed25519-sha256")
    }
}
