import Testing
@testable import DKIMCore

@Suite struct VerifierTests {
    static func rfc8463Resolver() throws -> MemoryResolver {
        var records: [String: [String]] = [:]
        for line in try Vectors.text("rfc8463/txt-records").split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ", maxSplits: 1)
            records[String(parts[0])] = [String(parts[1])]
        }
        return MemoryResolver(records)
    }

    /// A resolver serving the record of the Ed25519 test key (`keys/ed25519-pkcs8.pem`) at
    /// `mail._domainkey.example.com`, where `SignerTests.options` signs.
    static func ed25519TestKeyResolver() throws -> MemoryResolver {
        let key = try DKIMPrivateKey(pemRepresentation: Vectors.text("keys/ed25519-pkcs8.pem"))
        let record = try DKIMKeyRecord(publicKey: key.publicKey).oneLineValue
        return MemoryResolver(["mail._domainkey.example.com": [record]])
    }

    static func verify(_ message: [UInt8], resolver: some DKIMKeyResolver,
                       now: Int64 = 1_700_000_000) async throws -> MessageVerification {
        try await DKIMVerifier(options: VerifyOptions(resolver: resolver, clock: { now })).verify(message: message)
    }

    /// RFC 8463 Appendix A.3: both signatures verify with the A.2 key records.
    @Test func rfc8463SignaturesPass() async throws {
        let outcome = try await Self.verify(Vectors.bytes("rfc8463/signed.eml"), resolver: Self.rfc8463Resolver())
        #expect(outcome.result == .pass)
        #expect(outcome.signatures.map(\.result) == [.pass, .pass])
        #expect(outcome.signatures.map(\.algorithm) == ["ed25519-sha256", "rsa-sha256"])
        // The RSA key of RFC 8463 A.2 has 1024 bits: accepted by RFC 8301 §3.2, with a warning.
        #expect(outcome.signatures[1].keyBits == 1024)
        #expect(outcome.signatures[1].warnings.contains { $0.code == "key-under-2048-bits" })
    }

    @Test func bareLFCopyPassesAfterNormalisation() async throws {
        let crlf = try Vectors.bytes("rfc8463/signed.eml")
        let lf = crlf.split(separator: 13, omittingEmptySubsequences: false).joined()
        let outcome = try await Self.verify(LineEndings.normalizeToCRLF(Array(lf)), resolver: Self.rfc8463Resolver())
        #expect(outcome.result == .pass)
    }

    @Test func tamperedBodyAndHeaderFail() async throws {
        let original = try Vectors.text("rfc8463/signed.eml")
        let body = original.replacingOccurrences(of: "We lost the game", with: "We won the game")
        var outcome = try await Self.verify(Array(body.utf8), resolver: Self.rfc8463Resolver())
        #expect(outcome.result == .fail)
        #expect(outcome.signatures.map(\.reason) == [.bodyHashMismatch, .bodyHashMismatch])

        let header = original.replacingOccurrences(of: "Is dinner ready?", with: "Is lunch ready?")
        outcome = try await Self.verify(Array(header.utf8), resolver: Self.rfc8463Resolver())
        #expect(outcome.signatures.map(\.reason) == [.signatureMismatch, .signatureMismatch])

        // RFC 8463 signs From twice (h=from:...:from): a prepended From breaks the signature (§5.4.2, §8.15).
        let prepended = "From: Mallory <m@evil.example>\r\n" + original
        outcome = try await Self.verify(Array(prepended.utf8), resolver: Self.rfc8463Resolver())
        #expect(outcome.result == .fail)
    }

    @Test func dnsOutcomesMapToResults() async throws {
        let message = try Vectors.bytes("rfc8463/signed.eml")
        var results = try Self.rfc8463Resolver().answers
        results["brisbane._domainkey.football.example.com"] = .temporaryFailure("timed out")
        results["test._domainkey.football.example.com"] = .notFound
        let outcome = try await Self.verify(message, resolver: MemoryResolver(results: results))
        #expect(outcome.signatures.map(\.result) == [.temperror, .permerror])
        #expect(outcome.signatures.map(\.reason) == [.dnsTemporaryFailure, .keyNotFound])
        #expect(outcome.result == .temperror)
        #expect(outcome.signatures[1].explanation.contains("test._domainkey.football.example.com"))
    }

    @Test(arguments: [
        ("v=DKIM1; k=ed25519; p=", VerificationReason.keyRevoked),
        ("v=DKIM1; k=rsa; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", .keyTypeMismatch),
        ("v=DKIM1; k=ed25519; h=sha1; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", .keyHashMismatch),
        ("v=DKIM1; k=ed25519; s=chat; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", .keyServiceMismatch),
        ("v=DKIM2; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", .keyMalformed),
        ("k=foo; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", .keyMalformed),
    ])
    func keyRecordFaultsArePermanentErrors(record: String, reason: VerificationReason) async throws {
        var results = try Self.rfc8463Resolver().answers
        results["brisbane._domainkey.football.example.com"] = .records([DNSTXTRecord(strings: [Array(record.utf8)])])
        let outcome = try await Self.verify(Vectors.bytes("rfc8463/signed.eml"), resolver: MemoryResolver(results: results))
        #expect(outcome.signatures[0].result == .permerror)
        #expect(outcome.signatures[0].reason == reason)
        #expect(outcome.result == .pass)  // the RSA signature still passes: one is enough (RFC 6376 §4.2)
    }

    @Test func severalTXTRecordsUseTheOneKeyRecord() async throws {
        var results = try Self.rfc8463Resolver().answers
        let key = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
        results["brisbane._domainkey.football.example.com"] = .records([
            DNSTXTRecord(strings: [Array("v=spf1 -all".utf8)]),
            DNSTXTRecord(strings: [Array(key.prefix(30).utf8), Array(key.dropFirst(30).utf8)]),
        ])
        var outcome = try await Self.verify(Vectors.bytes("rfc8463/signed.eml"), resolver: MemoryResolver(results: results))
        #expect(outcome.signatures[0].result == .pass)

        // The same key record twice, split into strings differently: one key, nothing ambiguous (RFC 6376 §6.1.2
        // lets a verifier pick one of several records).
        results["brisbane._domainkey.football.example.com"] = .records([
            DNSTXTRecord(strings: [Array(key.utf8)]),
            DNSTXTRecord(strings: [Array(key.prefix(10).utf8), Array(key.dropFirst(10).utf8)]),
        ])
        outcome = try await Self.verify(Vectors.bytes("rfc8463/signed.eml"), resolver: MemoryResolver(results: results))
        #expect(outcome.signatures[0].result == .pass)

        // The key pasted into two TXT records instead of one record of two strings: unusable, and said so. Cut at
        // 40 the first part is no key record; at 42 it is one, with a p= of 15 bytes instead of 32.
        for cut in [40, 42] {
            results["brisbane._domainkey.football.example.com"] = .records([
                DNSTXTRecord(strings: [Array(key.prefix(cut).utf8)]),
                DNSTXTRecord(strings: [Array(key.dropFirst(cut).utf8)]),
            ])
            outcome = try await Self.verify(Vectors.bytes("rfc8463/signed.eml"),
                                            resolver: MemoryResolver(results: results))
            #expect(outcome.signatures[0].reason == .keyMalformed, "cut at \(cut)")
            #expect(outcome.signatures[0].explanation.contains("published as 2 separate TXT records"),
                    "cut at \(cut): \(outcome.signatures[0].explanation)")
        }

        // Two different key records: which one the signer meant is unknown (RFC 6376 §3.6.2.2: undefined).
        let other = "v=DKIM1; k=ed25519; p=" + Base64.encode([UInt8](repeating: 7, count: 32))
        results["brisbane._domainkey.football.example.com"] = .records([
            DNSTXTRecord(strings: [Array(key.utf8)]), DNSTXTRecord(strings: [Array(other.utf8)]),
        ])
        outcome = try await Self.verify(Vectors.bytes("rfc8463/signed.eml"), resolver: MemoryResolver(results: results))
        #expect(outcome.signatures[0].reason == .keyAmbiguous)
    }

    @Test func expiredAndFutureSignatures() async throws {
        let message = try Vectors.text("rfc8463/signed.eml")
            .replacingOccurrences(of: "t=1528637909;", with: "t=1528637909; x=1528637999;")
        let outcome = try await Self.verify(Array(message.utf8), resolver: Self.rfc8463Resolver())
        // The x= insertion also breaks the signature, but expiry is checked first (RFC 6376 §6.1.1).
        #expect(outcome.signatures.map(\.reason) == [.signatureExpired, .signatureExpired])

        let early = try await Self.verify(Vectors.bytes("rfc8463/signed.eml"), resolver: Self.rfc8463Resolver(),
                                          now: 1_528_637_909 - 3600)
        #expect(early.signatures.map(\.reason) == [.timestampInFuture, .timestampInFuture])
    }

    @Test func unsignedMessageIsNone() async throws {
        let outcome = try await Self.verify(Vectors.bytes("rfc8463/message.eml"), resolver: MemoryResolver([:]))
        #expect(outcome.result == .none)
        #expect(AuthenticationResults.payload(for: outcome, authservID: "mx.example.net") == "mx.example.net; dkim=none")
    }

    @Test func signaturesBeyondTheLimitAreNotChecked() async throws {
        let outcome = try await DKIMVerifier(options: {
            var options = VerifyOptions(resolver: try Self.rfc8463Resolver(), clock: { 1_700_000_000 })
            options.maxSignatures = 1
            return options
        }()).verify(message: Vectors.bytes("rfc8463/signed.eml"))
        #expect(outcome.signatures.map(\.result) == [.pass, .neutral])
        #expect(outcome.signatures[1].reason == .notChecked)
    }

    @Test func signAndVerifyRoundTripWithBodyLength() async throws {
        var options = try SignerTests.options("keys/ed25519-pkcs8.pem")
        options.includeBodyLength = true
        let signed = try DKIMSigner(options: options).sign(message: SignerTests.message)
        let resolver = try Self.ed25519TestKeyResolver()
        var outcome = try await Self.verify(signed, resolver: resolver)
        #expect(outcome.result == .pass)

        // Content appended after the l= count still passes, with a warning naming the unsigned octets.
        outcome = try await Self.verify(signed + Array("Appended.\r\n".utf8), resolver: resolver)
        #expect(outcome.result == .pass)
        let warning = try #require(outcome.signatures[0].warnings.first { $0.code == "body-length-unsigned-content" })
        // Relaxed: the signed body is "Hello.\r\n" (8 octets); the new canonical body keeps the two blank lines
        // that are no longer trailing, so 2 + 2 + 11 = 15 octets are unsigned.
        #expect(warning.message.contains("15 body octets"))
    }
}

@Suite struct AuthenticationResultsTests {
    @Test func hostileValuesAreQuoted() {
        #expect(AuthenticationResults.value("example.com") == "example.com")
        #expect(AuthenticationResults.value("a;b") == "\"a;b\"")
        #expect(AuthenticationResults.quoted("x\"y\\z\r\nw\u{e9}") == "\"x\\\"y\\\\z??w?\"")   // one ? a character
        #expect(AuthenticationResults.domainValue("evil.com; dkim=pass") == "\"evil.com; dkim=pass\"")
        #expect(AuthenticationResults.identityValue("@example.com") == "@example.com")
        #expect(AuthenticationResults.identityValue("a b@example.com") == "\"a b@example.com\"")
        #expect(AuthenticationResults.identityValue("a..b@example.com") == "\"a..b@example.com\"")   // not a dot-atom
        #expect(AuthenticationResults.identityValue("a.b@example.com") == "a.b@example.com")
    }
}

@Suite struct VerifierKeySizeAndSigningTests {
    @Test(arguments: [
        ("keys/rsa512.spki.b64", VerificationReason.keyTooSmall),          // RFC 8301 §3.2
        ("keys/rsa9000-synthetic.spki.b64", VerificationReason.keyTooLarge),
    ])
    func rsaKeySizesOutsideTheBoundsArePermanentErrors(path: String, reason: VerificationReason) async throws {
        let p = try Vectors.text(path).trimmingCharacters(in: .whitespacesAndNewlines)
        var results = try VerifierTests.rfc8463Resolver().answers
        results["test._domainkey.football.example.com"] = .records([DNSTXTRecord(strings: [Array("v=DKIM1; k=rsa; p=\(p)".utf8)])])
        let outcome = try await VerifierTests.verify(Vectors.bytes("rfc8463/signed.eml"),
                                                     resolver: MemoryResolver(results: results))
        #expect(outcome.signatures[1].result == .permerror)
        #expect(outcome.signatures[1].reason == reason)
    }

    @Test func minimumKeyBitsOptionRaisesTheFloor() async throws {
        var options = VerifyOptions(resolver: try VerifierTests.rfc8463Resolver(), clock: { 1_700_000_000 })
        options.minimumKeyBits = 2048
        let outcome = try await DKIMVerifier(options: options).verify(message: Vectors.bytes("rfc8463/signed.eml"))
        #expect(outcome.signatures.map(\.reason) == [nil, .keyTooSmall])
    }

    /// Signing an already signed message with a second key adds a second valid signature (RSA then Ed25519).
    @Test func twoSignaturesFromTwoKeysBothVerify() async throws {
        let rsa = try DKIMPrivateKey(pemRepresentation: Vectors.text("keys/rsa2048-pkcs8.pem"))
        let ed = try DKIMPrivateKey(pemRepresentation: Vectors.text("keys/ed25519-pkcs8.pem"))
        var first = SignOptions(domain: "example.com", selector: "rsa", key: rsa)
        first.clock = { 1_700_000_000 }
        var second = SignOptions(domain: "example.com", selector: "ed", key: ed)
        second.clock = { 1_700_000_000 }
        let once = try DKIMSigner(options: first).sign(message: SignerTests.message)
        let twice = try DKIMSigner(options: second).sign(message: once)
        let resolver = MemoryResolver([
            "rsa._domainkey.example.com": [try DKIMKeyRecord(publicKey: rsa.publicKey).oneLineValue],
            "ed._domainkey.example.com": [try DKIMKeyRecord(publicKey: ed.publicKey).oneLineValue],
        ])
        let outcome = try await VerifierTests.verify(twice, resolver: resolver)
        #expect(outcome.signatures.map(\.result) == [.pass, .pass])
        #expect(outcome.signatures.map(\.algorithm) == ["ed25519-sha256", "rsa-sha256"])
    }
}

@Suite struct SignatureBlankingTests {
    /// RFC 6376 §3.7: b= is deleted with all surrounding white space, so white space around the value (as some
    /// signers write it, or as a relay may refold it) does not change the signed data, even with simple.
    @Test(arguments: [Canonicalization.simple, .relaxed])
    func whitespaceAroundTheBValueIsNotSigned(_ canonicalization: Canonicalization) async throws {
        var options = try SignerTests.options("keys/ed25519-pkcs8.pem")
        options.canonicalization = canonicalization
        let key = options.key
        let signed = String(decoding: try DKIMSigner(options: options).sign(message: SignerTests.message),
                            as: UTF8.self)
        let resolver = MemoryResolver(["mail._domainkey.example.com": [try DKIMKeyRecord(publicKey: key.publicKey).oneLineValue]])
        for variant in ["b= ", "b=\r\n\t", "b=  \r\n "] {
            let changed = signed.replacingOccurrences(of: "; b=", with: "; " + variant)
            #expect(changed != signed)
            let outcome = try await VerifierTests.verify(Array(changed.utf8), resolver: resolver)
            #expect(outcome.result == .pass, "\(canonicalization) \(variant.debugDescription)")
        }
    }

    @Test func widening() {
        let value: ArraySlice<UInt8> = Array(" a=1; b= \r\n xyz \t; c=2".utf8)[...]
        #expect(HeaderHash.widenedOverWhitespace(12..<15, in: value) == 8..<17)
        let atEnd: ArraySlice<UInt8> = Array("a=1; b=xyz  ".utf8)[...]
        #expect(HeaderHash.widenedOverWhitespace(7..<10, in: atEnd) == 7..<12)
    }
}
