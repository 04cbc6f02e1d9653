/// SubjectPublicKeyInfo DER (RFC 5280 §4.1.2.7) of the two DKIM key types, written from the key's numbers.
///
/// OpenSSL's encoder would write the same bytes, but in a process's first use it builds its tables of encoders,
/// and the decoder that turned the bytes back into a key did the same: together ~0.6 ms of every private key
/// import, which is serial time before a batch's first message.
enum SubjectPublicKeyInfo {
    /// `SEQUENCE { OID rsaEncryption (1.2.840.113549.1.1.1), NULL }` (RFC 3279 §2.3.1).
    private static let rsaAlgorithm: [UInt8] = [
        0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01, 0x05, 0x00,
    ]

    /// Everything before the 32 key bytes: `SEQUENCE { SEQUENCE { OID id-Ed25519 (1.3.101.112) }, BIT STRING }`
    /// (RFC 8410 §4; the example of its §10.1).
    private static let ed25519Prefix: [UInt8] = [
        0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00,
    ]

    /// An RSA public key: the RSAPublicKey `SEQUENCE { modulus, publicExponent }` (RFC 8017 Appendix A.1.1) in
    /// the BIT STRING of an rsaEncryption SubjectPublicKeyInfo.
    /// - Parameters:
    ///   - modulus: n, big-endian, without leading zero bytes.
    ///   - exponent: e, big-endian, without leading zero bytes.
    static func rsa(modulus: [UInt8], exponent: [UInt8]) -> [UInt8] {
        let publicKey = tagged(0x30, integer(modulus) + integer(exponent))
        return tagged(0x30, rsaAlgorithm + tagged(0x03, [0x00] + publicKey))  // BIT STRING: no unused bits
    }

    /// An Ed25519 public key from its 32 bytes.
    static func ed25519(_ raw: [UInt8]) -> [UInt8] {
        ed25519Prefix + raw
    }

    /// A DER INTEGER of a non-negative number: a zero byte first when the top bit is set, so it is not negative
    /// (X.690 §8.3), and zero as one zero byte.
    private static func integer(_ magnitude: [UInt8]) -> [UInt8] {
        let digits = magnitude.drop { $0 == 0 }
        guard let first = digits.first else { return [0x02, 0x01, 0x00] }
        return tagged(0x02, first & 0x80 != 0 ? [0x00] + digits : Array(digits))
    }

    /// Tag, DER length (X.690 §8.1.3: short form under 128, else the count of length bytes, then the length), and
    /// contents.
    private static func tagged(_ tag: UInt8, _ contents: [UInt8]) -> [UInt8] {
        var length: [UInt8] = []
        var remaining = contents.count
        if remaining < 0x80 {
            length = [UInt8(remaining)]
        } else {
            while remaining > 0 {
                length.insert(UInt8(truncatingIfNeeded: remaining), at: 0)
                remaining >>= 8
            }
            length.insert(0x80 | UInt8(length.count), at: 0)
        }
        return [tag] + length + contents
    }
}
