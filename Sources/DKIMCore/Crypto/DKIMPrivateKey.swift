/// A private key that signs DKIM messages: RSA (1024–8192 bits) or Ed25519.
///
/// Imports PEM or DER in PKCS#8 (`BEGIN PRIVATE KEY`) or, for RSA, PKCS#1 (`BEGIN RSA PRIVATE KEY`);
/// exports PKCS#8 PEM. RSA keys under 1024 bits are refused (RFC 8301 §3.2), as are keys over 8192 bits.
///
/// `description`, `debugDescription` and the reflection mirror name only the type and size, so printing a key
/// never prints key material.
public struct DKIMPrivateKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let backing: EVPKey

    /// The key type, as carried in the record's `k=` tag.
    public let type: DKIMKeyType
    /// The RSA modulus length in bits; 256 for Ed25519.
    public let bits: Int
    /// The public half of this key.
    public let publicKey: DKIMPublicKey
    /// The key as unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), with a trailing newline.
    ///
    /// - Warning: This is secret key material. Write it only to a file created with mode 0600; never log it.
    public let pemRepresentation: String

    /// Imports a PEM private key: PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`).
    ///
    /// Text before the PEM block is skipped. Encrypted keys are refused (no passphrase is ever asked for).
    /// - Parameter pemRepresentation: The PEM text.
    /// - Throws: ``DKIMError`` `.malformedKey` for unreadable input, `.unsupportedKey` for a key that is neither
    ///   RSA nor Ed25519, `.keyTooSmall` / `.keyTooLarge` for RSA outside 1024–8192 bits.
    public init(pemRepresentation: String) throws {
        try self.init(backing: EVPKey.privateKey(pem: pemRepresentation))
    }

    /// Imports a DER private key: PKCS#8 PrivateKeyInfo, or PKCS#1 RSAPrivateKey.
    ///
    /// - Parameter derRepresentation: The DER bytes; nothing may follow the structure.
    /// - Throws: ``DKIMError``, as for ``init(pemRepresentation:)``.
    public init(derRepresentation: [UInt8]) throws {
        try self.init(backing: EVPKey.privateKey(der: derRepresentation))
    }

    /// Imports an Ed25519 private key from its 32-byte seed (RFC 8032 §5.1.5), as RFC 8463 Appendix A prints it.
    ///
    /// - Parameter ed25519RawRepresentation: The 32-byte private key seed.
    /// - Throws: ``DKIMError`` `.malformedKey` unless it is exactly 32 bytes.
    public init(ed25519RawRepresentation: [UInt8]) throws {
        try self.init(backing: EVPKey.ed25519PrivateKey(raw: ed25519RawRepresentation))
    }

    /// Generates a new key.
    ///
    /// - Parameters:
    ///   - type: RSA or Ed25519.
    ///   - bits: The RSA modulus length, 1024–8192 (default 2048, RFC 8301 §3.2); ignored for Ed25519.
    /// - Returns: The new key.
    /// - Throws: ``DKIMError`` `.keyTooSmall` / `.keyTooLarge` for an RSA size out of range, `.cryptoFailure`
    ///   if OpenSSL fails.
    /// - Warning: 1024-bit RSA is allowed for old DNS panels, but RFC 8301 §3.2 asks signers for at least 2048.
    public static func generate(
        _ type: DKIMKeyType,
        bits: Int = DKIMKeySize.recommendedRSABits
    ) throws -> DKIMPrivateKey {
        switch type {
        case .rsa:
            try checkRSASize(bits)
            return try DKIMPrivateKey(backing: EVPKey.generateRSA(bits: bits))
        case .ed25519:
            return try DKIMPrivateKey(backing: EVPKey.generateEd25519())
        }
    }

    init(backing: EVPKey) throws {
        guard let type = backing.keyType else {
            throw DKIMError(
                .unsupportedKey,
                "The private key is \(backing.algorithmName); DKIM signs with RSA or Ed25519 only."
            )
        }
        let bits: Int
        switch type {
        case .rsa:
            bits = backing.rsaBits
            try Self.checkRSASize(bits)
        case .ed25519:
            bits = DKIMKeySize.ed25519Bits
        }
        self.backing = backing
        self.type = type
        self.bits = bits
        self.publicKey = try DKIMPublicKey(publicHalfOf: backing, type: type, bits: bits)
        self.pemRepresentation = try backing.pkcs8PEM()
    }

    /// RFC 8301 §3.2: signers MUST use at least 1024 bits; the upper bound keeps verification affordable.
    static func checkRSASize(_ bits: Int) throws {
        guard bits >= DKIMKeySize.minimumRSABits else {
            throw DKIMError(
                .keyTooSmall,
                "The RSA key has \(bits) bits; DKIM requires at least \(DKIMKeySize.minimumRSABits) "
                    + "(RFC 8301 §3.2) and \(DKIMKeySize.recommendedRSABits) is recommended."
            )
        }
        guard bits <= DKIMKeySize.maximumRSABits else {
            throw DKIMError(
                .keyTooLarge,
                "The RSA key has \(bits) bits; at most \(DKIMKeySize.maximumRSABits) are accepted."
            )
        }
    }

    /// Signs a SHA-256 digest of the canonicalized header data (RFC 6376 §3.7).
    ///
    /// - `rsa-sha256`: RSASSA-PKCS1-v1_5 with the SHA-256 DigestInfo around `digest`
    ///   (RFC 8017 §8.2, RFC 6376 §3.3.1).
    /// - `ed25519-sha256`: PureEdDSA over the 32 digest bytes themselves (RFC 8463 §3).
    /// - Parameter digest: The 32-byte SHA-256 digest.
    /// - Returns: The signature (`b=` before base64).
    /// - Throws: ``DKIMError`` `.invalidOption` if `digest` is not 32 bytes, `.cryptoFailure` if OpenSSL fails.
    public func signature(forDigest digest: [UInt8]) throws -> [UInt8] {
        guard digest.count == SHA256.byteCount else {
            throw DKIMError(.invalidOption, "A SHA-256 digest is 32 bytes; \(digest.count) were given.")
        }
        switch type {
        case .rsa: return try backing.rsaSign(digest: digest)
        case .ed25519: return try backing.ed25519Sign(message: digest)
        }
    }

    /// PureEdDSA over arbitrary bytes, for the RFC 8032 known-answer tests; DKIM itself signs only digests.
    func ed25519Signature(forMessage message: [UInt8]) throws -> [UInt8] {
        guard type == .ed25519 else {
            throw DKIMError(.misuse, "Not an Ed25519 key.")
        }
        return try backing.ed25519Sign(message: message)
    }

    /// A summary naming the type and size only.
    public var description: String { "DKIMPrivateKey(\(type.rawValue), \(bits) bits)" }
    /// A summary naming the type and size only.
    public var debugDescription: String { description }
    /// A mirror without key material.
    public var customMirror: Mirror {
        Mirror(self, children: ["type": type, "bits": bits], displayStyle: .struct)
    }
}
