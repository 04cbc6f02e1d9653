import Foundation
import Testing
@testable import DKIMCore

@Suite struct SignerKnownAnswerTests {
    /// RFC 8463 Appendix A: the A.3 signature fields with b= emptied, over the A.1 message, signed with the A.2
    /// keys, give exactly the A.3 b= values (both algorithms are deterministic), and the A.1 body gives its bh=.
    @Test(arguments: [
        ("signatures/rfc8463-a3-ed25519.txt", "rfc8463/ed25519-private.pem"),
        ("signatures/rfc8463-a3-rsa.txt", "rfc8463/rsa-private.pem"),
    ])
    func reproducesRFC8463Signatures(signaturePath: String, keyPath: String) throws {
        let message = try MessageParts(parsing: Vectors.bytes("rfc8463/message.eml"))
        let field = try HeaderField(raw: Vectors.bytes(signaturePath))
        let signature = try DKIMSignature(parsing: field.value)
        let key = try DKIMPrivateKey(pemRepresentation: Vectors.text(keyPath))

        var canonicalizer = BodyCanonicalizer(signature.canonicalization.body)
        var hasher = SHA256()
        try canonicalizer.feed(message.body, into: &hasher)
        try canonicalizer.finish(into: &hasher)
        #expect(hasher.finalize() == signature.bodyHash)

        let digest = HeaderHash.digest(signedNames: signature.signedHeaders, headers: message.headers,
                                           signatureField: field, blanking: signature.signatureValueRange,
                                           algorithm: signature.canonicalization.header)
        #expect(try key.signature(forDigest: digest) == signature.signature)
        #expect(key.publicKey.isValidSignature(signature.signature, forDigest: digest))
    }
}

@Suite struct SignerTests {
    static let message = Array((
        "From: Joe <joe@example.com>\r\nTo: a@example.net\r\nSubject: hi\r\nSubject: again\r\n"
        + "Date: Fri, 11 Jul 2003 21:00:37 -0700\r\nX-Other: x\r\n\r\nHello.\r\n\r\n\r\n").utf8)

    static func options(_ keyPath: String = "keys/rsa2048-pkcs8.pem") throws -> SignOptions {
        var options = SignOptions(domain: "example.com", selector: "mail",
                                  key: try DKIMPrivateKey(pemRepresentation: Vectors.text(keyPath)))
        options.clock = { 1_700_000_000 }
        return options
    }

    @Test func defaultHeaderListSignsEachInstanceAndOversignsSingletons() throws {
        let field = try DKIMSigner(options: Self.options()).signatureField(for: Self.message)
        let signature = try DKIMSignature(parsing: HeaderField(raw: field).value)
        #expect(signature.signedHeaders == ["from", "subject", "subject", "date", "to",
                                            "from", "to", "subject", "date"])
        #expect(signature.timestamp == 1_700_000_000)
        #expect(signature.canonicalization == .relaxed)
        #expect(signature.algorithm == .rsaSHA256)
    }

    /// The default oversigning list is answered from the counts of the default names; the same list built anew,
    /// and a list with a name outside the defaults, are looked for among the fields, with the same rules.
    @Test func oversigningListsGiveTheirNamesInTheirOrder() throws {
        #expect(SigningStream.defaultOversignedIndices?.count == SignOptions.defaultOversignedHeaders.count)
        var options = try Self.options()
        options.oversignedHeaders = SignOptions.defaultOversignedHeaders.map { String($0.reversed().reversed()) }
        let rebuilt = try DKIMSigner(options: options).signatureField(for: Self.message)
        #expect(try DKIMSignature(parsing: HeaderField(raw: rebuilt).value).signedHeaders
                == ["from", "subject", "subject", "date", "to", "from", "to", "subject", "date"])
        options.oversignedHeaders = ["X-Other", "Reply-To", "From"]
        let custom = try DKIMSigner(options: options).signatureField(for: Self.message)
        #expect(try DKIMSignature(parsing: HeaderField(raw: custom).value).signedHeaders
                == ["from", "subject", "subject", "date", "to", "x-other", "from"])
    }

    @Test func signingAddsOnlyTheField() throws {
        let signer = try DKIMSigner(options: Self.options())
        let field = try signer.signatureField(for: Self.message)
        #expect(try signer.sign(message: Self.message) == field + Self.message)
        #expect(field.suffix(2) == [13, 10])
        // Every line of the field is at most 78 columns (RFC 5322 §2.1.1 recommends 78).
        for line in field.split(separator: 10) { #expect(line.count <= 79) }
    }

    @Test(arguments: [1, 2, 3, 7, 64, 1000])
    func streamingMatchesOneShotAtEveryChunking(chunkSize: Int) throws {
        for keyPath in ["keys/rsa2048-pkcs8.pem", "keys/ed25519-pkcs8.pem"] {
            var options = try Self.options(keyPath)
            options.includeBodyLength = true
            let signer = try DKIMSigner(options: options)
            let oneShot = try signer.signatureField(for: Self.message)
            var stream = signer.makeStream()
            var offset = 0
            while offset < Self.message.count {
                let end = min(offset + chunkSize, Self.message.count)
                try stream.update(Array(Self.message[offset..<end]))
                offset = end
            }
            #expect(try stream.finish() == oneShot)
        }
    }

    @Test func refusesAMessageWithoutFrom() throws {
        let signer = try DKIMSigner(options: Self.options())
        #expect(throws: DKIMError(.missingFrom, "")) {
            try signer.signatureField(for: Array("To: a@example.net\r\n\r\nbody\r\n".utf8))
        }
    }

    @Test(arguments: ["user@evil.com", "@notexample.com", "@example.com.evil", "nodomain"])
    func refusesAnIdentityOutsideTheDomain(_ identity: String) throws {
        var options = try Self.options()
        options.identity = identity
        #expect(throws: DKIMError(.invalidOption, "")) { try DKIMSigner(options: options) }
    }

    /// t= and x= are 1*12DIGIT with x= after t= (RFC 6376 §3.5); a clock outside that range is refused per message.
    @Test(arguments: [Int64(-1), 1_000_000_000_000])
    func refusesATimestampThatCannotBeWritten(_ now: Int64) throws {
        var options = try Self.options()
        options.includeTimestamp = true
        options.clock = { now }
        let signer = try DKIMSigner(options: options)
        #expect(throws: DKIMError(.invalidOption, "")) { try signer.signatureField(for: Self.message) }
    }

    @Test(arguments: ["user@example.com", "@example.com", "@mail.example.com", "@MAIL.Example.COM"])
    func acceptsAnIdentityInTheDomain(_ identity: String) throws {
        var options = try Self.options()
        options.identity = identity
        let field = try DKIMSigner(options: options).signatureField(for: Self.message)
        #expect(try DKIMSignature(parsing: HeaderField(raw: field).value).identity == identity)
    }

    @Test func streamRejectsUseAfterFinish() throws {
        var stream = try DKIMSigner(options: Self.options()).makeStream()
        try stream.update(Self.message)
        _ = try stream.finish()
        #expect(throws: DKIMError(.misuse, "")) { try stream.update(Self.message) }
    }
}

/// The streaming signer and the one-shot signer agree on every interop message shape, at several chunkings,
/// for both canonicalizations of the body.
@Suite struct SignerStreamingTests {
    static let shapes: [String] = {
        let directory = Vectors.root.appendingPathComponent("interop/shapes").path
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }()

    @Test func thereAreShapes() {
        #expect(Self.shapes.count >= 18)
    }

    @Test(arguments: shapes)
    func streamingEqualsOneShot(_ name: String) throws {
        let message = LineEndings.normalizeToCRLF(try Vectors.bytes("interop/shapes/" + name))
        for canonicalization in [Canonicalization.relaxed, .simple] {
            var options = try SignerTests.options("keys/ed25519-pkcs8.pem")
            options.canonicalization = canonicalization
            options.includeBodyLength = true
            let signer = try DKIMSigner(options: options)
            let oneShot = try signer.signatureField(for: message)
            for chunkSize in [1, 2, 3, 5, 13, 64, 4096] {
                var stream = signer.makeStream()
                var offset = 0
                while offset < message.count {
                    let end = min(offset + chunkSize, message.count)
                    try stream.update(Array(message[offset..<end]))
                    offset = end
                }
                #expect(try stream.finish() == oneShot, "\(name) \(canonicalization) chunk \(chunkSize)")
            }
        }
    }
}
