/// A DKIM key type: the values of the key record's `k=` tag (RFC 6376 §3.6.1, RFC 8463 §4).
public enum DKIMKeyType: String, Sendable, CaseIterable {
    /// RSA (`k=rsa`), used with `a=rsa-sha256` (RFC 6376 §3.3.1, RFC 8301).
    case rsa
    /// Ed25519 (`k=ed25519`), used with `a=ed25519-sha256` (RFC 8463 §3).
    case ed25519
}

/// RSA modulus bounds shared by import, generation and the verifier (RFC 8301 §3.2).
public enum DKIMKeySize {
    /// The smallest RSA key DKIM may sign or verify with: 1024 bits (RFC 8301 §3.2).
    public static let minimumRSABits = 1024
    /// The RSA size signers are told to use: 2048 bits (RFC 8301 §3.2 "SHOULD").
    public static let recommendedRSABits = 2048
    /// The largest RSA key accepted: 8192 bits, bounding the CPU one verification can cost.
    public static let maximumRSABits = 8192
    /// The length of an Ed25519 public key, raw, in bytes (RFC 8032 §5.1.5).
    public static let ed25519PublicKeyBytes = 32
    /// The length of an Ed25519 private key seed, raw, in bytes (RFC 8032 §5.1.5).
    public static let ed25519PrivateKeyBytes = 32
    /// The nominal size reported for Ed25519 keys.
    public static let ed25519Bits = 256
    /// Longest DER accepted for a public key before OpenSSL sees it: an 8192-bit SPKI is about 1060 bytes.
    static let maximumPublicKeyDERBytes = 4096
}
