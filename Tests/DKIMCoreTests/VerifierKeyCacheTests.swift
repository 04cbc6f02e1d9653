import Testing
@testable import DKIMCore

/// The verifier's key cache (``DKIMKeyCache``) changes no result: an answer the resolver hands back again is
/// reused, a changed answer is seen at once, and every report equals the one made without a cache.
@Suite struct VerifierKeyCacheTests {
    static let name = "brisbane._domainkey.football.example.com"
    /// RFC 8463 Appendix A.2, the Ed25519 key of the first signature of `rfc8463/signed.eml`.
    static let key = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="

    /// A resolver whose answer for ``name`` the test replaces between verifications.
    final class SwitchingResolver: DKIMKeyResolver {
        let base: MemoryResolver
        let current: LockedValue<TXTLookupResult>

        init(_ answer: TXTLookupResult) throws {
            base = try VerifierTests.rfc8463Resolver()
            current = LockedValue(answer)
        }

        func set(_ answer: TXTLookupResult) { current.withLock { $0 = answer } }

        func lookupTXT(_ name: String) async -> TXTLookupResult {
            name == VerifierKeyCacheTests.name ? current.withLock { $0 } : await base.lookupTXT(name)
        }
    }

    static func answer(_ strings: String...) -> TXTLookupResult {
        .records([DNSTXTRecord(strings: strings.map { Array($0.utf8) })])
    }

    /// Everything a report shows for the first signature.
    static func report(_ outcome: MessageVerification) -> String {
        let item = outcome.signatures[0]
        return "\(item.result) \(item.reason?.rawValue ?? "-") \(item.explanation) \(item.keyBits ?? 0) "
            + "\(item.testing) \(item.warnings.map(\.code)) \(item.algorithm ?? "-") \(item.signaturePrefix ?? "-")"
    }

    static func verifier(_ resolver: some DKIMKeyResolver, cached: Bool) -> DKIMVerifier {
        var options = VerifyOptions(resolver: resolver, clock: { 1_700_000_000 })
        if !cached { options.keyCache = nil }
        return DKIMVerifier(options: options)
    }

    @Test func sameAnswerIsReusedAndAChangedAnswerIsSeen() async throws {
        let message = try Vectors.bytes("rfc8463/signed.eml")
        let valid = Self.answer(Self.key)
        let resolver = try SwitchingResolver(valid)
        let verifier = Self.verifier(resolver, cached: true)
        var reasons: [VerificationReason?] = []
        func step(_ answer: TXTLookupResult) async throws {
            resolver.set(answer)
            reasons.append(try await verifier.verify(message: message).signatures[0].reason)
        }
        try await step(valid)
        try await step(valid)  // the same array again
        try await step(Self.answer("v=DKIM1; k=ed25519; p="))
        try await step(Self.answer(Self.key))  // the same bytes in a new array
        // The key with its last base64 character changed: the signature no longer verifies with it.
        try await step(Self.answer("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURk="))
        try await step(valid)
        #expect(reasons == [nil, nil, .keyRevoked, nil, .signatureMismatch, nil])
        // Three records at this name and the RSA record of the second signature.
        #expect(verifier.options.keyCache?.count == 4)
    }

    @Test(arguments: [
        [key],
        [String(key.prefix(30)), String(key.dropFirst(30))],
        ["v=DKIM1; k=ed25519; t=y; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="],
        ["v=DKIM1; k=ed25519; t=s:y; h=SHA256; s=EMAIL; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="],
        ["v=DKIM1; k=ed25519; p="],
        ["v=DKIM1; k=ed25519; h=sha1; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="],
        ["v=DKIM1; k=ed25519; s=chat; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="],
        ["v=DKIM1; k=rsa; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="],
        ["v=DKIM1; k=ed25519; p=AAAA"],
        ["k=foo; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="],
        ["v=DKIM2; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="],
    ])
    func cachedReportsEqualUncachedOnes(strings: [String]) async throws {
        let message = try Vectors.bytes("rfc8463/signed.eml")
        let answer = TXTLookupResult.records([DNSTXTRecord(strings: strings.map { Array($0.utf8) })])
        let uncached = Self.report(try await Self.verifier(try SwitchingResolver(answer), cached: false)
            .verify(message: message))
        let cachedVerifier = Self.verifier(try SwitchingResolver(answer), cached: true)
        // The first verification fills the cache, the second is answered from it.
        for _ in 0..<2 {
            #expect(Self.report(try await cachedVerifier.verify(message: message)) == uncached)
        }
    }

    /// RFC 6376 §3.6.2.1: the key is looked up at `selector._domainkey.domain`, U-labels kept (RFC 8616 §4).
    @Test func keyNameJoinsSelectorAndDomain() {
        #expect(DKIMVerifier.keyName(selector: "brisbane", domain: "football.example.com") == Self.name)
        #expect(DKIMVerifier.keyName(selector: "sél.2026", domain: "exämple.com") == "sél.2026._domainkey.exämple.com")
        #expect(DKIMVerifier.concatenated("", "", "") == "")
    }
}
