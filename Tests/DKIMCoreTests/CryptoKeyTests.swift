import Foundation
import Testing
@testable import DKIMCore

/// Key import and export against files made by the openssl CLI (TestVectors/keys, see TestVectors/README.md).
@Suite struct CryptoKeyTests {
    @Test(arguments: ["rsa2048-pkcs8.pem", "rsa2048-pkcs1.pem"])
    func importsRSAPrivateKeyPEM(name: String) throws {
        let key = try DKIMPrivateKey(pemRepresentation: CryptoVectors.text(name))
        #expect(key.type == .rsa)
        #expect(key.bits == 2048)
        #expect(key.pemRepresentation.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
    }

    /// The public half must equal what `openssl pkey -pubout -outform DER` printed for the same file.
    @Test(arguments: [
        ("rsa2048-pkcs8.pem", "rsa2048-pkcs8.spki.der"),
        ("rsa2048-pkcs1.pem", "rsa2048-pkcs1.spki.der"),
        ("ed25519-pkcs8.pem", "ed25519.spki.der"),
    ])
    func publicHalfMatchesOpenSSL(privateName: String, spkiName: String) throws {
        let key = try DKIMPrivateKey(pemRepresentation: CryptoVectors.text(privateName))
        #expect(key.publicKey.derRepresentation == (try CryptoVectors.bytes(spkiName)))
    }

    /// The public half is written from the key's numbers, not by OpenSSL's encoder: for keys the openssl CLI makes
    /// here, of sizes whose DER lengths take one or two bytes and whose modulus does or does not start with a set
    /// bit, and exponents of one to five bytes (one with its top bit set, so its INTEGER needs a leading zero), it
    /// must equal `openssl pkey -pubout -outform DER`, and the public key must verify the private key's signature.
    @Test(arguments: [(1024, "3"), (1031, "65537"), (2048, "2147483649"), (3072, "4294967297"), (4096, "65537")])
    func publicHalfOfGeneratedKeysMatchesOpenSSL(bits: Int, exponent: String) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spki-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyPath = directory.appendingPathComponent("key.pem").path
        let spkiPath = directory.appendingPathComponent("key.spki.der").path
        try Self.openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:\(bits)",
                          "-pkeyopt", "rsa_keygen_pubexp:\(exponent)", "-out", keyPath])
        try Self.openssl(["pkey", "-in", keyPath, "-pubout", "-outform", "DER", "-out", spkiPath])
        let key = try DKIMPrivateKey(pemRepresentation: String(contentsOfFile: keyPath, encoding: .utf8))
        let expected = try Array(Data(contentsOf: URL(fileURLWithPath: spkiPath)))
        #expect(key.bits == bits)
        #expect(key.publicKey.derRepresentation == expected)
        #expect(key.publicKey.keyRecordData == expected)
        #expect(try DKIMPublicKey(derRepresentation: expected) == key.publicKey)
        let digest = SHA256.hash(Array("public half \(bits)".utf8))
        #expect(key.publicKey.isValidSignature(try key.signature(forDigest: digest), forDigest: digest))
    }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "openssl \(arguments.joined(separator: " "))")
    }

    @Test(arguments: [
        ("rsa2048-pkcs8.der", "rsa2048-pkcs8.spki.der"),
        ("rsa2048-pkcs1.der", "rsa2048-pkcs1.spki.der"),
        ("ed25519-pkcs8.der", "ed25519.spki.der"),
    ])
    func importsPrivateKeyDER(privateName: String, spkiName: String) throws {
        let key = try DKIMPrivateKey(derRepresentation: CryptoVectors.bytes(privateName))
        #expect(key.publicKey.derRepresentation == (try CryptoVectors.bytes(spkiName)))
    }

    @Test func pkcs8ExportRoundTripsAndMatchesOpenSSL() throws {
        // openssl genpkey wrote PKCS#8 PEM; our export of the same key must be byte-identical.
        let original = try CryptoVectors.text("rsa2048-pkcs8.pem")
        let key = try DKIMPrivateKey(pemRepresentation: original)
        #expect(key.pemRepresentation == original)
        let ed = try CryptoVectors.text("ed25519-pkcs8.pem")
        #expect(try DKIMPrivateKey(pemRepresentation: ed).pemRepresentation == ed)
    }

    @Test func pkcs1PEMExportsAsPKCS8() throws {
        let key = try DKIMPrivateKey(pemRepresentation: CryptoVectors.text("rsa2048-pkcs1.pem"))
        let again = try DKIMPrivateKey(pemRepresentation: key.pemRepresentation)
        #expect(again.publicKey == key.publicKey)
        #expect(!key.pemRepresentation.contains("RSA PRIVATE KEY"))
    }

    @Test func importsSPKIAndBarePKCS1PublicKeys() throws {
        let spki = try CryptoVectors.bytes("rsa2048-pkcs8.spki.der")
        let fromSPKI = try DKIMPublicKey(derRepresentation: spki)
        let fromPKCS1 = try DKIMPublicKey(derRepresentation: CryptoVectors.bytes("rsa2048-pkcs8.rsapublickey.der"))
        #expect(fromSPKI.type == .rsa && fromSPKI.bits == 2048)
        #expect(fromPKCS1 == fromSPKI)
        #expect(fromPKCS1.derRepresentation == spki)
        #expect(fromSPKI.keyRecordData == spki)
        #expect(try DKIMPublicKey(keyRecordData: spki, type: .rsa) == fromSPKI)
    }

    @Test func ed25519PublicKeyIsThe32RawBytesInKeyRecords() throws {
        let spki = try CryptoVectors.bytes("ed25519.spki.der")
        let key = try DKIMPublicKey(derRepresentation: spki)
        #expect(key.type == .ed25519 && key.bits == 256)
        // RFC 8410 §4: the SPKI for Ed25519 is a 12-byte header followed by the 32 raw key bytes.
        #expect(key.keyRecordData == Array(spki.suffix(32)))
        #expect(try DKIMPublicKey(ed25519RawRepresentation: Array(spki.suffix(32))) == key)
        #expect(try DKIMPublicKey(keyRecordData: Array(spki.suffix(32)), type: .ed25519) == key)
    }

    @Test func rejectsWrongKeyRecordData() throws {
        let spki = try CryptoVectors.bytes("ed25519.spki.der")
        // k=ed25519 must be exactly 32 raw bytes (RFC 8463 §4), not an SPKI.
        #expect(throws: DKIMError(.malformedKey, "")) { try DKIMPublicKey(keyRecordData: spki, type: .ed25519) }
        // k=rsa with an Ed25519 SPKI in p= is a mismatch.
        #expect(throws: DKIMError(.malformedKey, "")) { try DKIMPublicKey(keyRecordData: spki, type: .rsa) }
        #expect(throws: DKIMError(.malformedKey, "")) {
            try DKIMPublicKey(ed25519RawRepresentation: [UInt8](repeating: 1, count: 31))
        }
    }

    @Test func rejectsTrailingBytesAndGarbage() throws {
        let spki = try CryptoVectors.bytes("rsa2048-pkcs8.spki.der")
        #expect(throws: DKIMError(.malformedKey, "")) { try DKIMPublicKey(derRepresentation: spki + [0]) }
        #expect(throws: DKIMError(.malformedKey, "")) { try DKIMPublicKey(derRepresentation: Array(spki.dropLast())) }
        #expect(throws: DKIMError(.malformedKey, "")) { try DKIMPublicKey(derRepresentation: []) }
        let der = try CryptoVectors.bytes("rsa2048-pkcs8.der")
        #expect(throws: DKIMError(.malformedKey, "")) { try DKIMPrivateKey(derRepresentation: der + [0]) }
        #expect(throws: DKIMError(.malformedKey, "")) { try DKIMPrivateKey(pemRepresentation: "not a key") }
        #expect(throws: DKIMError(.malformedKey, "")) { try DKIMPrivateKey(pemRepresentation: "") }
        // A public key is not a private key.
        #expect(throws: DKIMError(.malformedKey, "")) {
            try DKIMPrivateKey(pemRepresentation: CryptoVectors.text("rsa2048-pkcs8.pub.pem"))
        }
    }

    @Test func refusesEncryptedKeyWithoutPrompting() throws {
        let pem = try CryptoVectors.text("rsa1024-encrypted.pem")
        #expect(throws: DKIMError(.malformedKey, "")) { try DKIMPrivateKey(pemRepresentation: pem) }
    }

    @Test func refusesNonDKIMKeyTypes() throws {
        #expect(throws: DKIMError(.unsupportedKey, "")) {
            try DKIMPrivateKey(pemRepresentation: CryptoVectors.text("ec-p256-pkcs8.pem"))
        }
        #expect(throws: DKIMError(.unsupportedKey, "")) {
            try DKIMPublicKey(derRepresentation: CryptoVectors.bytes("ec-p256.spki.der"))
        }
    }

    @Test func keySizePolicy() throws {
        // RFC 8301 §3.2: a signing key under 1024 bits is refused...
        #expect(throws: DKIMError(.keyTooSmall, "")) {
            try DKIMPrivateKey(pemRepresentation: CryptoVectors.text("rsa512-pkcs8.pem"))
        }
        // ...but a public key of 512 bits loads, so the verifier can report key-too-small as a result.
        let small = try DKIMPublicKey(derRepresentation: CryptoVectors.bytes("rsa512.spki.der"))
        #expect(small.bits == 512)
        // 1024 is the floor and is allowed.
        #expect(try DKIMPrivateKey(pemRepresentation: CryptoVectors.text("rsa1024-pkcs8.pem")).bits == 1024)
        #expect(throws: DKIMError(.keyTooSmall, "")) { try DKIMPrivateKey.generate(.rsa, bits: 1023) }
        #expect(throws: DKIMError(.keyTooLarge, "")) { try DKIMPrivateKey.generate(.rsa, bits: 8193) }
        #expect(throws: DKIMError(.keyTooLarge, "")) {
            try DKIMPublicKey(derRepresentation: [UInt8](repeating: 0x30, count: 5000))
        }
    }

    @Test(arguments: [DKIMKeyType.rsa, .ed25519])
    func generatedKeysRoundTrip(type: DKIMKeyType) throws {
        let key = try DKIMPrivateKey.generate(type, bits: 1024)
        #expect(key.type == type)
        #expect(key.bits == (type == .rsa ? 1024 : 256))
        let reimported = try DKIMPrivateKey(pemRepresentation: key.pemRepresentation)
        #expect(reimported.publicKey == key.publicKey)
        #expect(try DKIMPublicKey(keyRecordData: key.publicKey.keyRecordData, type: type) == key.publicKey)
        #expect(key.publicKey.keyRecordData.count == (type == .rsa ? key.publicKey.derRepresentation.count : 32))
    }

    @Test func printingAKeyShowsNoKeyMaterial() throws {
        let key = try DKIMPrivateKey(pemRepresentation: CryptoVectors.text("ed25519-pkcs8.pem"))
        #expect(String(describing: key) == "DKIMPrivateKey(ed25519, 256 bits)")
        #expect(!String(reflecting: key).contains("BEGIN"))
        var dumped = ""
        dump(key, to: &dumped)
        #expect(!dumped.contains("BEGIN"))
    }

    @Test func constantTimeEquality() {
        #expect(constantTimeEquals([], []))
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(!constantTimeEquals([0], []))
    }
}
