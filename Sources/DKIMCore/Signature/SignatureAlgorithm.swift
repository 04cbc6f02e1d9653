/// The signing algorithm named by `a=` (RFC 6376 §3.5, RFC 8463 §3).
public enum SignatureAlgorithm: Sendable, Hashable, CustomStringConvertible {
    /// `rsa-sha256`: RSASSA-PKCS1-v1_5 over SHA-256 (RFC 6376 §3.3.1).
    case rsaSHA256
    /// `ed25519-sha256`: Ed25519 over the SHA-256 of the signed data (RFC 8463 §3).
    case ed25519SHA256
    /// `rsa-sha1`: parsed so a verifier can report it; RFC 8301 §3.1 forbids signing or verifying with it.
    ///
    /// - Warning: never verify a signature with this algorithm as passing; report `algorithm-forbidden`.
    case rsaSHA1
    /// Any other value, kept as written; a verifier treats it as unknown (RFC 6376 §6.1.1).
    case other(String)

    /// Interprets an `a=` value. Names are matched without regard to ASCII case, as ABNF literals are
    /// (RFC 5234 §2.3); an unknown name is kept as written in ``other(_:)``.
    ///
    /// - Parameter tagValue: the value of the `a=` tag.
    public init(tagValue: String) {
        switch tagValue.lowercased() {
        case "rsa-sha256": self = .rsaSHA256
        case "ed25519-sha256": self = .ed25519SHA256
        case "rsa-sha1": self = .rsaSHA1
        default: self = .other(tagValue)
        }
    }

    /// Interprets an `a=` value given as bytes (printable ASCII, as the parser has checked), with the rules of
    /// ``init(tagValue:)``; a String is made only for an unknown name.
    init(tagBytes: ArraySlice<UInt8>) {
        if ASCII.equalsIgnoringCase(tagBytes, "rsa-sha256") {
            self = .rsaSHA256
        } else if ASCII.equalsIgnoringCase(tagBytes, "ed25519-sha256") {
            self = .ed25519SHA256
        } else if ASCII.equalsIgnoringCase(tagBytes, "rsa-sha1") {
            self = .rsaSHA1
        } else {
            self = .other(String(decoding: tagBytes, as: UTF8.self))
        }
    }

    /// The `a=` value: `rsa-sha256`, `ed25519-sha256`, `rsa-sha1`, or the unknown name as written.
    public var tagValue: String {
        switch self {
        case .rsaSHA256: return "rsa-sha256"
        case .ed25519SHA256: return "ed25519-sha256"
        case .rsaSHA1: return "rsa-sha1"
        case .other(let name): return name
        }
    }

    /// The `a=` value, as ``tagValue``.
    public var description: String { tagValue }
}
