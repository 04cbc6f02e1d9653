import Testing
@testable import DKIMCore

/// The `from-not-oversigned` warning counts From in `h=` as parsed (``DKIMSignature/signedFromCount``).
@Suite struct VerifierOversigningTests {
    static func outcome(signedHeaders: [String]) async throws -> SignatureVerification {
        var options = try SignerTests.options("keys/ed25519-pkcs8.pem")
        options.signedHeaders = signedHeaders
        let signed = try DKIMSigner(options: options).sign(message: SignerTests.message)
        return try await VerifierTests.verify(signed, resolver: VerifierTests.ed25519TestKeyResolver())
            .signatures[0]
    }

    @Test(arguments: [
        (["from", "to", "subject"], true),
        (["From", "to", "subject"], true),
        (["from", "to", "FROM"], false),
        (["from", "from", "from", "to"], false),
    ])
    func fromOversigning(signedHeaders: [String], warned: Bool) async throws {
        let result = try await Self.outcome(signedHeaders: signedHeaders)
        #expect(result.result == .pass)
        #expect(result.explanation == "The signature verified with the key at mail._domainkey.example.com.")
        #expect(result.warnings.contains { $0.code == "from-not-oversigned" } == warned)
        #expect(result.signature?.signedFromCount == signedHeaders.count { $0.lowercased() == "from" })
    }
}
