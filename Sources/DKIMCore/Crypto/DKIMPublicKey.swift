/// A public key that verifies DKIM signatures: RSA or Ed25519.
///
/// Imports what real `p=` values carry: a SubjectPublicKeyInfo (RFC 6376 §3.6.1), a bare PKCS#1 RSAPublicKey
/// (published by some tools), or the 32 raw bytes of an Ed25519 key (RFC 8463 §4).
///
/// Key-size policy: the initialisers refuse RSA keys over 8192 bits (decoding and verifying with an unbounded
/// key costs unbounded CPU) but do **not** refuse small keys, so a verifier can report `key-too-small` as a
/// result. Check ``bits`` against ``DKIMKeySize/minimumRSABits`` before trusting a verification.
public struct DKIMPublicKey: Sendable, Hashable {
    let backing: EVPKey

    /// The key type, as carried in the record's `k=` tag.
    public let type: DKIMKeyType
    /// The RSA modulus length in bits; 256 for Ed25519.
    public let bits: Int
    /// The SubjectPublicKeyInfo DER (RFC 5280 §4.1.2.7) of the key.
    public let derRepresentation: [UInt8]
    /// The bytes the key record's `p=` carries (RFC 6376 §3.6.1, RFC 8463 §4): the SPKI DER for RSA,
    /// the 32 raw bytes for Ed25519.
    public let keyRecordData: [UInt8]

    /// Imports a DER public key: SubjectPublicKeyInfo (RSA or Ed25519), or a bare PKCS#1 RSAPublicKey.
    ///
    /// - Parameter derRepresentation: The DER bytes; nothing may follow the structure.
    /// - Throws: ``DKIMError`` `.malformedKey`, `.unsupportedKey` (e.g. an EC key), or `.keyTooLarge` for RSA
    ///   over 8192 bits. Small RSA keys are accepted; see the type's discussion.
    public init(derRepresentation: [UInt8]) throws {
        try self.init(backing: EVPKey.publicKey(der: derRepresentation))
    }

    /// Imports an Ed25519 public key from its 32 raw bytes (RFC 8032 §5.1.5).
    ///
    /// - Parameter ed25519RawRepresentation: Exactly 32 bytes.
    /// - Throws: ``DKIMError`` `.malformedKey` for any other length or an invalid point encoding.
    public init(ed25519RawRepresentation: [UInt8]) throws {
        try self.init(backing: EVPKey.ed25519PublicKey(raw: ed25519RawRepresentation))
    }

    /// Imports the decoded `p=` value of a key record for the record's `k=` type.
    ///
    /// - Parameters:
    ///   - keyRecordData: The base64-decoded `p=` (not empty: an empty `p=` means the key is revoked).
    ///   - type: The record's `k=`: `.rsa` reads an SPKI or PKCS#1 RSAPublicKey and requires it to be RSA;
    ///     `.ed25519` reads exactly 32 raw bytes (RFC 8463 §4).
    /// - Throws: ``DKIMError`` `.malformedKey` if the bytes are not a key of that type, `.keyTooLarge` for RSA
    ///   over 8192 bits. Small RSA keys are accepted so the verifier can report them.
    public init(keyRecordData: [UInt8], type: DKIMKeyType) throws {
        switch type {
        case .rsa:
            try self.init(derRepresentation: keyRecordData)
            guard self.type == .rsa else {
                throw DKIMError(.malformedKey, "The record says k=rsa but p= holds an \(self.type.rawValue) key.")
            }
        case .ed25519:
            try self.init(ed25519RawRepresentation: keyRecordData)
        }
    }

    init(backing: EVPKey) throws {
        guard let type = backing.keyType else {
            throw DKIMError(
                .unsupportedKey,
                "The public key is \(backing.algorithmName); DKIM verifies with RSA or Ed25519 only."
            )
        }
        let bits: Int
        switch type {
        case .rsa:
            bits = backing.rsaBits
            guard bits <= DKIMKeySize.maximumRSABits else {
                throw DKIMError(
                    .keyTooLarge,
                    "The RSA public key has \(bits) bits; at most \(DKIMKeySize.maximumRSABits) are accepted."
                )
            }
        case .ed25519:
            bits = DKIMKeySize.ed25519Bits
        }
        // A decoded public key is used as OpenSSL decoded it, and its SPKI is OpenSSL's encoding of that key (a
        // bare PKCS#1 RSAPublicKey becomes an SPKI).
        try self.init(backing: backing, subjectPublicKeyInfo: backing.subjectPublicKeyInfo(), type: type, bits: bits)
    }

    /// The public half of a private key, as a separate, public-only OpenSSL key built from the key's numbers.
    init(publicHalfOf privateKey: EVPKey, type: DKIMKeyType, bits: Int) throws {
        let (backing, spki) = try privateKey.publicHalf(type: type)
        try self.init(backing: backing, subjectPublicKeyInfo: spki, type: type, bits: bits)
    }

    private init(backing: EVPKey, subjectPublicKeyInfo spki: [UInt8], type: DKIMKeyType, bits: Int) throws {
        self.backing = backing
        self.type = type
        self.bits = bits
        self.derRepresentation = spki
        switch type {
        case .rsa: self.keyRecordData = spki
        case .ed25519: self.keyRecordData = try backing.rawPublicKey()
        }
    }

    /// Checks a DKIM signature over a SHA-256 digest of the canonicalized header data.
    ///
    /// The algorithms are those of ``DKIMPrivateKey/signature(forDigest:)``. Returns `false` (never throws) for a
    /// wrong signature, a signature of the wrong length, or a digest that is not 32 bytes.
    /// - Parameters:
    ///   - signature: The decoded `b=` value.
    ///   - digest: The 32-byte SHA-256 digest.
    /// - Returns: `true` only if the signature is valid for `digest` under this key.
    /// - Warning: This does not apply the key-size policy; check ``bits`` first.
    public func isValidSignature(_ signature: [UInt8], forDigest digest: [UInt8]) -> Bool {
        guard digest.count == SHA256.byteCount else { return false }
        switch type {
        case .rsa: return backing.rsaVerify(signature: signature, digest: digest)
        case .ed25519: return backing.ed25519Verify(signature: signature, message: digest)
        }
    }

    /// ``isValidSignature(_:forDigest:)`` over a digest held inline: an RSA check reads its bytes in place, with
    /// no array made for them.
    func isValidSignature(_ signature: [UInt8], forDigest digest: SHA256Digest) -> Bool {
        switch type {
        case .rsa:
            return withUnsafeBytes(of: digest.words) { raw in
                backing.rsaVerify(signature: signature, digest: raw.assumingMemoryBound(to: UInt8.self))
            }
        case .ed25519: return backing.ed25519Verify(signature: signature, message: digest.bytes)
        }
    }

    /// PureEdDSA verification over arbitrary bytes, for the RFC 8032 known-answer tests.
    func isValidEd25519Signature(_ signature: [UInt8], forMessage message: [UInt8]) -> Bool {
        type == .ed25519 && backing.ed25519Verify(signature: signature, message: message)
    }

    /// Keys are equal when their type and SubjectPublicKeyInfo DER are equal.
    public static func == (lhs: DKIMPublicKey, rhs: DKIMPublicKey) -> Bool {
        lhs.type == rhs.type && lhs.derRepresentation == rhs.derRepresentation
    }

    /// Hashes the type and SubjectPublicKeyInfo DER, consistently with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(type)
        hasher.combine(derRepresentation)
    }
}
