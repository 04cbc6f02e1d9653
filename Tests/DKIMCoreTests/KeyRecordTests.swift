import Testing
@testable import DKIMCore

/// RFC 6376 §3.6.1 key records: parsing, lint and rendering. Keys are openssl-made (TestVectors/keys), and their
/// base64 (`*.b64`) was written by `openssl base64 -A`, not by our encoder.
@Suite struct KeyRecordTests {
    static func b64(_ name: String) -> String {
        (try? CryptoVectors.text(name)) ?? ""
    }

    static let rsa2048 = b64("rsa2048-pkcs8.spki.b64")
    static let rsa1024 = b64("rsa1024.spki.b64")
    static let rsa512 = b64("rsa512.spki.b64")
    static let rsaPKCS1 = b64("rsa2048-pkcs8.rsapublickey.b64")
    static let ed25519Raw = b64("ed25519.raw.b64")
    static let ed25519SPKI = b64("ed25519.spki.b64")

    @Test func vectorsLoaded() {
        #expect(Self.rsa2048.count == 392 && Self.ed25519Raw.count == 44)
    }

    // MARK: Valid records

    @Test func typicalRSARecord() throws {
        let record = try DKIMKeyRecord(parsing: "v=DKIM1; k=rsa; p=\(Self.rsa2048)")
        #expect(record.version == "DKIM1")
        #expect(record.keyType == .rsa)
        #expect(record.hashAlgorithms == nil)
        #expect(record.serviceTypes == ["*"])
        #expect(record.flags.isEmpty)
        #expect(!record.isRevoked && !record.isTesting && !record.requiresStrictIdentity)
        #expect(record.publicKeyData == (try CryptoVectors.bytes("rsa2048-pkcs8.spki.der")))
        let key = try record.publicKey()
        #expect(key.bits == 2048)
        #expect(record.lint().isEmpty)
        #expect(DKIMKeyRecord.lint(value: Array("v=DKIM1; k=rsa; p=\(Self.rsa2048)".utf8)).map(\.code)
            == [.unsplitLongString])
    }

    @Test func defaultsWhenTagsAreAbsent() throws {
        let record = try DKIMKeyRecord(parsing: "p=\(Self.rsa2048)")
        #expect(record.version == nil)
        #expect(record.keyTypeName == "rsa" && record.keyType == .rsa)
        #expect(record.allowsHashAlgorithm("sha256") && record.allowsHashAlgorithm("sha1"))
        #expect(record.appliesToEmail)
    }

    @Test func barePKCS1RSAPublicKeyInP() throws {
        let record = try DKIMKeyRecord(parsing: "v=DKIM1; p=\(Self.rsaPKCS1)")
        #expect(try record.publicKey().derRepresentation == (try CryptoVectors.bytes("rsa2048-pkcs8.spki.der")))
    }

    @Test func ed25519Record() throws {
        let record = try DKIMKeyRecord(parsing: "v=DKIM1; k=ed25519; p=\(Self.ed25519Raw)")
        #expect(record.keyType == .ed25519)
        let key = try record.publicKey()
        #expect(key.derRepresentation == (try CryptoVectors.bytes("ed25519.spki.der")))
    }

    @Test(arguments: ["v=DKIM1; k=rsa; p=", "v=DKIM1; p=", "p=", "p= ;", "v=DKIM1; k=ed25519; p=\r\n\t"])
    func revokedKey(value: String) throws {
        let record = try DKIMKeyRecord(parsing: value)
        #expect(record.isRevoked)
        #expect(record.lint().map(\.code) == [.keyRevoked])
        #expect(throws: DKIMError(.malformedKeyRecord, "")) { try record.publicKey() }
    }

    @Test func allTagsFoldingAndUnknownTags() throws {
        let value = "v=DKIM1; h=sha1 : sha256:x-future; k=rsa; n=Hello=20admin; s=email:*:x-other; t=y:s:z;"
            + " x_unknown=whatever; p=\(Self.rsa2048.prefix(100))\r\n\t\(Self.rsa2048.dropFirst(100)) ;"
        let record = try DKIMKeyRecord(parsing: value)
        #expect(record.hashAlgorithms == ["sha1", "sha256", "x-future"])
        #expect(record.allowsHashAlgorithm("sha256") && !record.allowsHashAlgorithm("sha512"))
        #expect(record.notes == "Hello=20admin")
        #expect(record.serviceTypes == ["email", "*", "x-other"])
        #expect(record.flags == ["y", "s", "z"])
        #expect(record.isTesting && record.requiresStrictIdentity)
        #expect(try record.publicKey().bits == 2048)
    }

    @Test func unknownKeyTypeParsesButCannotBeUsed() throws {
        let record = try DKIMKeyRecord(parsing: "v=DKIM1; k=dsa; p=\(Self.rsa2048)")
        #expect(record.keyType == nil && record.keyTypeName == "dsa")
        #expect(throws: DKIMError(.unsupportedKey, "")) { try record.publicKey() }
        #expect(record.lint().map(\.code) == [.unknownKeyType])
        // RFC 5234 §2.3: the quoted names of k=, h=, s= and t= are case-insensitive.
        let upper = try DKIMKeyRecord(parsing: "k=RSA; h=SHA256; s=Email; t=Y:S; p=\(Self.rsa2048)")
        #expect(upper.keyType == .rsa && upper.allowsHashAlgorithm("sha256"))
        #expect(upper.appliesToEmail && upper.isTesting && upper.requiresStrictIdentity)
        #expect(upper.lint().map(\.code) == [.testingFlag])
    }

    // MARK: Invalid records

    @Test(arguments: [
        ("v=DKIM1; p=\(rsa2048); p=\(rsa2048)", "more than once"),
        ("v=DKIM1; k=rsa; p=MIIB$AAA", "base64"),
        ("v=DKIM1; k=rsa; p=abc", "base64"),
        ("v=DKIM1; k=rsa; p=ab=c", "base64"),
        ("v=DKIM1; k=rsa", "no p="),
        ("", "no p="),
        ("k=rsa; v=DKIM1; p=", "first"),
        ("v=DKIM2; p=", "not DKIM1"),
        ("v=dkim1; p=", "not DKIM1"),
        ("v=; p=", "not DKIM1"),
        ("v=DKIM1; h=; p=", "h="),
        ("v=DKIM1; h=sha256::sha1; p=", "h="),
        ("v=DKIM1; t=y:; p=", "t="),
        ("v=DKIM1; s=em ail; p=", "s="),
        ("v=DKIM1; k=; p=", "k="),
        ("v=DKIM1; k=-rsa; p=", "k="),
        ("v=DKIM1; k=rsa; p=\"\(rsa2048.prefix(40))\" \"\(rsa2048.dropFirst(40))\"", "quote"),
        ("v=DKIM1 k=rsa; p=", "not DKIM1"),
        ("v=DKIM1; =rsa; p=", "tag"),
    ])
    func malformedRecords(value: String, fault: String) {
        do {
            _ = try DKIMKeyRecord(parsing: value)
            Issue.record("parsed a malformed record: \(value)")
        } catch let error as DKIMError {
            #expect(error.code == .malformedKeyRecord)
            #expect(error.reason.contains(fault), "\(error.reason)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    // MARK: Lint

    @Test(arguments: [
        ("v=DKIM1; k=rsa; p=\(rsa1024)", KeyRecordWarning.Code.keyUnder2048Bits),
        ("v=DKIM1; k=rsa; p=\(rsa512)", .keyTooSmall),
        ("v=DKIM1; k=ed25519; t=y; p=\(ed25519Raw)", .testingFlag),
        ("v=DKIM1; k=rsa; h=sha1; p=\(rsa1024)", .sha1Only),
        ("v=DKIM1; p=\(ed25519Raw)", .keyTypeMismatch),
        ("v=DKIM1; k=rsa; p=\(ed25519SPKI)", .keyTypeMismatch),
        ("v=DKIM1; k=ed25519; p=\(ed25519SPKI)", .keyTypeMismatch),
        ("v=DKIM1; k=ed25519; p=\(rsa1024)", .keyTypeMismatch),
        ("v=DKIM1; k=rsa; p=AAAA", .unreadableKey),
        ("v=DKIM1; k=ed25519; s=tlsrpt; p=\(ed25519Raw)", .notForEmail),
        ("v=DKIM1; k=ed25519; p=\(ed25519Raw.prefix(20)) \(ed25519Raw.dropFirst(20))", .whitespaceInKey),
        ("\"v=DKIM1; k=ed25519; p=\(ed25519Raw)\"", .quotesInValue),
        ("v=DKIM1; k=rsa; p=\(rsa2048)", .unsplitLongString),
        ("v=DKIM1;; k=ed25519; p=\(ed25519Raw)", .emptyTag),
        ("v=DKIM1; k=ed25519; ; p=\(ed25519Raw)", .emptyTag),
        ("; v=DKIM1; k=ed25519; p=\(ed25519Raw)", .emptyTag),
        ("v=DKIM1; k=ed25519; p=\(ed25519Raw);;", .emptyTag),
        ("v=DKIM1; k=ED25519; p=\(ed25519Raw)", .upperCaseValue),
        ("v=DKIM1; k=ed25519; s=Email; p=\(ed25519Raw)", .upperCaseValue),
        ("v=DKIM1; k=rsa; h=SHA256; p=\(rsa1024)", .upperCaseValue),
        ("v=DKIM1; k=ed25519; t=Y; p=\(ed25519Raw)", .upperCaseValue),
    ])
    func lintFindsTheProblem(value: String, code: KeyRecordWarning.Code) {
        let warnings = DKIMKeyRecord.lint(value: Array(value.utf8))
        #expect(warnings.map(\.code).contains(code), "\(warnings)")
        #expect(warnings.allSatisfy { !$0.message.isEmpty })
    }

    @Test func lintOfACleanRecordSplitIntoStrings() throws {
        let record = try DKIMKeyRecord(parsing: "v=DKIM1; k=rsa; p=\(Self.rsa2048)")
        let strings = record.txtStrings().map { Array($0.utf8) }
        #expect(DKIMKeyRecord.lint(value: strings.flatMap { $0 }, strings: strings).isEmpty)
        let ed = "v=DKIM1; k=ed25519; p=\(Self.ed25519Raw)"
        #expect(DKIMKeyRecord.lint(value: Array(ed.utf8)).isEmpty)
        // One closing semicolon, with or without white space after it, is allowed (RFC 6376 §3.2 `[ ";" ]`).
        #expect(DKIMKeyRecord.lint(value: Array((ed + ";").utf8)).isEmpty)
        #expect(DKIMKeyRecord.lint(value: Array((ed + "; ").utf8)).isEmpty)
        // The verifier still accepts a record with an empty tag, as Mail::DKIM does; the lint is the advice.
        let doubled = try DKIMKeyRecord(parsing: "v=DKIM1;; k=ed25519; p=\(Self.ed25519Raw)")
        #expect(doubled.keyType == .ed25519)
    }

    // MARK: Rendering

    static func renderedRecords() throws -> [DKIMKeyRecord] {
        [
            try DKIMKeyRecord(parsing: "v=DKIM1; k=rsa; p=\(rsa2048)"),
            try DKIMKeyRecord(parsing: "v=DKIM1; k=ed25519; p=\(ed25519Raw)"),
            try DKIMKeyRecord(parsing: "v=DKIM1; k=rsa; p="),
            try DKIMKeyRecord(
                parsing: "v=DKIM1; h=sha256; s=email; t=y:s; n=\(String(repeating: "x", count: 300)); p=\(rsa2048)"
            ),
        ]
    }

    @Test func txtStringsAreShortAndJoinToTheOneLineValue() throws {
        for record in try Self.renderedRecords() {
            let strings = record.txtStrings()
            #expect(strings.allSatisfy { $0.utf8.count <= 255 && !$0.isEmpty })
            #expect(strings.joined() == record.oneLineValue)
            #expect(strings.first?.hasPrefix("v=DKIM1; ") == true)
            #expect(strings.contains { $0.hasPrefix("p=") })
            // The rendering parses back to the same record.
            #expect(try DKIMKeyRecord(parsing: record.oneLineValue) == record)
        }
    }

    @Test func rsaRecordSplitsAsArchitectureShows() throws {
        let record = try DKIMKeyRecord(parsing: "v=DKIM1; k=rsa; p=\(Self.rsa2048)")
        #expect(record.oneLineValue == "v=DKIM1; k=rsa; p=\(Self.rsa2048)")
        let strings = record.txtStrings()
        #expect(strings.count == 3)
        #expect(strings[0] == "v=DKIM1; k=rsa; ")
        #expect(strings[1] == "p=" + Self.rsa2048.prefix(253))
        #expect(strings[2] == String(Self.rsa2048.dropFirst(253)))
    }

    @Test func zoneFileRecordQuotesEachString() throws {
        for record in try Self.renderedRecords() {
            let zone = record.zoneFileRecord(selector: "mail")
            #expect(zone.hasPrefix("mail._domainkey IN TXT ( \"v=DKIM1; "))
            #expect(zone.hasSuffix("\" )"))
            let quoted = Self.quotedStrings(zone)
            #expect(quoted == record.txtStrings())
            #expect(quoted.allSatisfy { $0.utf8.count <= 255 })
            #expect(quoted.joined() == record.oneLineValue)
        }
        let record = try DKIMKeyRecord(parsing: "p=")
        #expect(record.zoneFileRecord(selector: "s1", domain: "example.com")
            == "s1._domainkey.example.com. IN TXT ( \"v=DKIM1; k=rsa; \"\n\t\"p=\" )")
    }

    /// The contents of every "..." in zone-file text (no escapes occur in these records).
    static func quotedStrings(_ text: String) -> [String] {
        text.split(separator: "\"", omittingEmptySubsequences: false).enumerated()
            .filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    // MARK: Derivation from a key

    @Test(arguments: [DKIMKeyType.rsa, .ed25519])
    func keygenRecordParseGivesTheSamePublicKey(type: DKIMKeyType) throws {
        let key = try DKIMPrivateKey.generate(type)
        let record = try DKIMKeyRecord(publicKey: key.publicKey)
        #expect(record.keyType == type)
        let parsed = try DKIMKeyRecord(parsing: record.oneLineValue)
        #expect(parsed == record)
        #expect(try parsed.publicKey() == key.publicKey)
        if type == .ed25519 { #expect(parsed.publicKeyData.count == 32) }
    }

    @Test func recordFromCommittedKeysMatchesOpenSSLBase64() throws {
        let key = try DKIMPrivateKey(pemRepresentation: CryptoVectors.text("rsa2048-pkcs8.pem"))
        #expect(try DKIMKeyRecord(publicKey: key.publicKey).oneLineValue == "v=DKIM1; k=rsa; p=\(Self.rsa2048)")
        let ed = try DKIMPrivateKey(pemRepresentation: CryptoVectors.text("ed25519-pkcs8.pem"))
        #expect(try DKIMKeyRecord(publicKey: ed.publicKey).oneLineValue == "v=DKIM1; k=ed25519; p=\(Self.ed25519Raw)")
    }

    @Test func builderRejectsUnwritableValues() throws {
        let key = try DKIMPublicKey(ed25519RawRepresentation: [UInt8](repeating: 7, count: 32))
        #expect(throws: DKIMError(.invalidOption, "")) { try DKIMKeyRecord(publicKey: key, flags: ["y;"]) }
        #expect(throws: DKIMError(.invalidOption, "")) { try DKIMKeyRecord(publicKey: key, notes: "a; b") }
        #expect(throws: DKIMError(.invalidOption, "")) { try DKIMKeyRecord(publicKey: key, hashAlgorithms: []) }
        let testing = try DKIMKeyRecord(publicKey: key, hashAlgorithms: ["sha256"], flags: ["y"])
        #expect(testing.oneLineValue.hasPrefix("v=DKIM1; h=sha256; k=ed25519; t=y; p="))
    }
}
