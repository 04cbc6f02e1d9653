import Testing
@testable import DKIMCore

/// Known-answer tests for the two DKIM signature algorithms.
@Suite struct CryptoSignatureTests {
    // RFC 8032 §7.1, TEST 1 (empty message).
    static let rfc8032Secret = CryptoVectors.hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    static let rfc8032Public = CryptoVectors.hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    static let rfc8032Signature = CryptoVectors.hex(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
            + "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )

    @Test func ed25519RFC8032Test1() throws {
        let key = try DKIMPrivateKey(ed25519RawRepresentation: Self.rfc8032Secret)
        #expect(key.publicKey.keyRecordData == Self.rfc8032Public)
        #expect(try key.ed25519Signature(forMessage: []) == Self.rfc8032Signature)
        let publicKey = try DKIMPublicKey(ed25519RawRepresentation: Self.rfc8032Public)
        #expect(publicKey.isValidEd25519Signature(Self.rfc8032Signature, forMessage: []))
        var tampered = Self.rfc8032Signature
        tampered[0] ^= 1
        #expect(!publicKey.isValidEd25519Signature(tampered, forMessage: []))
        #expect(!publicKey.isValidEd25519Signature(Self.rfc8032Signature, forMessage: [0]))
    }

    /// `openssl dgst -sha256 -sign` is RSASSA-PKCS1-v1_5, which is deterministic: our bytes must match exactly.
    @Test func rsaSHA256MatchesOpenSSLDgst() throws {
        let key = try DKIMPrivateKey(pemRepresentation: CryptoVectors.text("rsa2048-pkcs8.pem"))
        let digest = SHA256.hash(try CryptoVectors.bytes("message.txt"))
        let expected = try CryptoVectors.bytes("message.rsa2048-pkcs8.sha256.sig")
        #expect(try key.signature(forDigest: digest) == expected)
        #expect(key.publicKey.isValidSignature(expected, forDigest: digest))
        // The verifier's path: the digest held inline, read in place.
        var hasher = SHA256()
        hasher.update(try CryptoVectors.bytes("message.txt"))
        let inline = hasher.finalizeInPlaceInline()
        #expect(key.publicKey.isValidSignature(expected, forDigest: inline))
        var tampered = expected
        tampered[100] ^= 1
        #expect(!key.publicKey.isValidSignature(tampered, forDigest: inline))
    }

    /// RSA verification reuses prepared contexts from a per-key pool: one key shared by many concurrent tasks,
    /// with valid and tampered signatures interleaved, still gives every task its own correct answer (the
    /// signature is the openssl CLI's, as above), and a failed verification leaves no broken context behind.
    @Test func rsaVerificationWithOneKeyFromManyTasks() async throws {
        let key = try DKIMPrivateKey(pemRepresentation: CryptoVectors.text("rsa2048-pkcs8.pem"))
        let publicKey = key.publicKey
        let digest = SHA256.hash(try CryptoVectors.bytes("message.txt"))
        let good = try CryptoVectors.bytes("message.rsa2048-pkcs8.sha256.sig")
        var bad = good
        bad[17] ^= 0x40
        let tamperedSignature = bad
        let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
            for index in 0..<200 {
                group.addTask {
                    (index, publicKey.isValidSignature(index % 3 == 0 ? tamperedSignature : good, forDigest: digest))
                }
            }
            var all: [Int: Bool] = [:]
            for await (index, valid) in group { all[index] = valid }
            return all
        }
        #expect(outcomes.count == 200)
        for (index, valid) in outcomes { #expect(valid == (index % 3 != 0), "task \(index)") }
        #expect(!publicKey.isValidSignature(good, forDigest: SHA256.hash([0x61])))
        #expect(publicKey.isValidSignature(good, forDigest: digest))
    }

    /// RSA signing also reuses prepared contexts from a per-key pool. PKCS#1 v1.5 signatures are deterministic, so
    /// every task that signs the vector's digest must get the openssl CLI's signature byte for byte, however the
    /// contexts moved between tasks; the tasks signing other digests must get signatures that verify.
    @Test func rsaSigningWithOneKeyFromManyTasks() async throws {
        let key = try DKIMPrivateKey(pemRepresentation: CryptoVectors.text("rsa2048-pkcs8.pem"))
        let digest = SHA256.hash(try CryptoVectors.bytes("message.txt"))
        let expected = try CryptoVectors.bytes("message.rsa2048-pkcs8.sha256.sig")
        let outcomes = try await withThrowingTaskGroup(of: (Int, [UInt8], [UInt8]).self) { group in
            for index in 0..<120 {
                group.addTask {
                    let signed = index % 2 == 0 ? digest : SHA256.hash(Array("message \(index)".utf8))
                    return (index, signed, try key.signature(forDigest: signed))
                }
            }
            var all: [Int: ([UInt8], [UInt8])] = [:]
            for try await (index, signed, signature) in group { all[index] = (signed, signature) }
            return all
        }
        #expect(outcomes.count == 120)
        for (index, (signed, signature)) in outcomes {
            if index % 2 == 0 {
                #expect(signature == expected, "task \(index)")
            } else {
                #expect(signature.count == 256 && signature != expected, "task \(index)")
                #expect(key.publicKey.isValidSignature(signature, forDigest: signed), "task \(index)")
            }
        }
    }

    /// `openssl pkeyutl -sign -rawin` over the 32 digest bytes: the RFC 8463 §3 ed25519-sha256 construction.
    @Test func ed25519SHA256MatchesOpenSSLPkeyutl() throws {
        let key = try DKIMPrivateKey(pemRepresentation: CryptoVectors.text("ed25519-pkcs8.pem"))
        let digest = SHA256.hash(try CryptoVectors.bytes("message.txt"))
        #expect(digest == (try CryptoVectors.bytes("message.sha256")))
        let expected = try CryptoVectors.bytes("message.sha256.ed25519.sig")
        #expect(try key.signature(forDigest: digest) == expected)
        let publicKey = try DKIMPublicKey(derRepresentation: CryptoVectors.bytes("ed25519.spki.der"))
        #expect(publicKey.isValidSignature(expected, forDigest: digest))
        var hasher = SHA256()
        hasher.update(try CryptoVectors.bytes("message.txt"))
        let inline = hasher.finalizeInPlaceInline()
        #expect(publicKey.isValidSignature(expected, forDigest: inline))
        #expect(!publicKey.isValidSignature(Array(expected.reversed()), forDigest: inline))
    }

    @Test(arguments: ["rsa2048-pkcs8.pem", "ed25519-pkcs8.pem"])
    func verifyRejectsTamperingAndWrongLengths(name: String) throws {
        let key = try DKIMPrivateKey(pemRepresentation: CryptoVectors.text(name))
        let digest = SHA256.hash(Array("header data".utf8))
        let signature = try key.signature(forDigest: digest)
        #expect(key.publicKey.isValidSignature(signature, forDigest: digest))
        var flipped = signature
        flipped[flipped.count / 2] ^= 0x80
        #expect(!key.publicKey.isValidSignature(flipped, forDigest: digest))
        var otherDigest = digest
        otherDigest[31] ^= 1
        #expect(!key.publicKey.isValidSignature(signature, forDigest: otherDigest))
        #expect(!key.publicKey.isValidSignature(Array(signature.dropLast()), forDigest: digest))
        #expect(!key.publicKey.isValidSignature([], forDigest: digest))
        #expect(!key.publicKey.isValidSignature(signature, forDigest: Array(digest.dropLast())))
        #expect(throws: DKIMError(.invalidOption, "")) { try key.signature(forDigest: [1, 2, 3]) }
    }

    @Test func wrongKeyDoesNotVerify() throws {
        let signer = try DKIMPrivateKey(pemRepresentation: CryptoVectors.text("rsa2048-pkcs8.pem"))
        let other = try DKIMPrivateKey(pemRepresentation: CryptoVectors.text("rsa2048-pkcs1.pem"))
        let digest = SHA256.hash(Array("x".utf8))
        let signature = try signer.signature(forDigest: digest)
        #expect(!other.publicKey.isValidSignature(signature, forDigest: digest))
        let ed = try DKIMPrivateKey(pemRepresentation: CryptoVectors.text("ed25519-pkcs8.pem"))
        #expect(!ed.publicKey.isValidSignature(signature, forDigest: digest))
    }
}
