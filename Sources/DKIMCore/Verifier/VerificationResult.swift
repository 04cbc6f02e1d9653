/// A DKIM result value as used in Authentication-Results (RFC 8601 §2.7.1).
public enum DKIMResult: String, Sendable, Hashable, CaseIterable {
    /// The message was not signed (message-level only).
    case none
    /// The signature verified.
    case pass
    /// The signature was acceptable but did not verify (body or header hash mismatch).
    case fail
    /// The signature could not be processed for a reason that is not an error (e.g. not checked: over the limit).
    case neutral
    /// The signature verified or could be verified, but local policy does not accept it.
    case policy
    /// A temporary failure, usually DNS; retrying later may succeed.
    case temperror
    /// A permanent error: a malformed signature or key record, a missing or revoked key, a forbidden algorithm.
    case permerror
}

/// Why a signature got its result: a stable, machine-readable code.
///
/// The raw values are part of the CLI's JSON output and do not change once released.
public struct VerificationReason: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The code as printed, e.g. `body-hash-mismatch`.
    public let rawValue: String
    /// Creates a reason from its printed code.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// The code as printed.
    public var description: String { rawValue }

    /// The canonicalized body does not hash to `bh=` (RFC 6376 §6.1.3).
    public static let bodyHashMismatch = Self(rawValue: "body-hash-mismatch")
    /// The `b=` signature does not verify with the published key (RFC 6376 §6.1.3).
    public static let signatureMismatch = Self(rawValue: "signature-mismatch")
    /// The DKIM-Signature field could not be parsed or breaks a rule of RFC 6376 §3.5 / §6.1.1.
    public static let malformedSignature = Self(rawValue: "malformed-signature")
    /// `h=` does not include From (RFC 6376 §6.1.1).
    public static let fromNotSigned = Self(rawValue: "from-not-signed")
    /// The `i=` domain is not `d=` or a subdomain of it (RFC 6376 §6.1.1).
    public static let identityOutsideDomain = Self(rawValue: "identity-outside-domain")
    /// `a=rsa-sha1`: forbidden for verifiers by RFC 8301 §3.1.
    public static let algorithmForbidden = Self(rawValue: "algorithm-forbidden")
    /// `a=` names an algorithm this library does not implement (RFC 6376 §6.1.1).
    public static let algorithmUnsupported = Self(rawValue: "algorithm-unsupported")
    /// `x=` is in the past (RFC 6376 §3.5, §6.1.1).
    public static let signatureExpired = Self(rawValue: "signature-expired")
    /// `t=` is in the future beyond the allowed clock skew (RFC 6376 §3.5).
    public static let timestampInFuture = Self(rawValue: "timestamp-in-future")
    /// `l=` is larger than the canonicalized body.
    public static let bodyLengthExceedsBody = Self(rawValue: "body-length-exceeds-body")
    /// The verifier policy refuses signatures with `l=`.
    public static let bodyLengthRefused = Self(rawValue: "body-length-refused")
    /// No key record at `selector._domainkey.domain` (NXDOMAIN or no TXT; RFC 6376 §6.1.2).
    public static let keyNotFound = Self(rawValue: "key-not-found")
    /// The TXT record(s) at the key name are not a usable DKIM key record (RFC 6376 §3.6.1, §6.1.2).
    public static let keyMalformed = Self(rawValue: "key-malformed")
    /// More than one TXT record at the key name parses as a DKIM key (RFC 6376 §3.6.2.2).
    public static let keyAmbiguous = Self(rawValue: "key-ambiguous")
    /// The key record has an empty `p=`: the key was revoked (RFC 6376 §3.6.1).
    public static let keyRevoked = Self(rawValue: "key-revoked")
    /// RSA key under the minimum size (1024 bits by RFC 8301 §3.2, or the configured minimum).
    public static let keyTooSmall = Self(rawValue: "key-too-small")
    /// RSA key over 8192 bits: refused as a CPU-exhaustion risk.
    public static let keyTooLarge = Self(rawValue: "key-too-large")
    /// The key record's `k=` does not match the signature's `a=` (RFC 6376 §6.1.2).
    public static let keyTypeMismatch = Self(rawValue: "key-type-mismatch")
    /// The key record's `h=` does not allow the signature's hash (RFC 6376 §6.1.2).
    public static let keyHashMismatch = Self(rawValue: "key-hash-not-allowed")
    /// The key record's `s=` does not include `email` or `*` (RFC 6376 §3.6.1).
    public static let keyServiceMismatch = Self(rawValue: "key-service-not-email")
    /// The key record has `t=s` but `i=` is in a subdomain of `d=` (RFC 6376 §3.6.1).
    public static let keyStrictIdentity = Self(rawValue: "key-strict-identity")
    /// The DNS lookup timed out or the server failed (SERVFAIL, REFUSED): retry later.
    public static let dnsTemporaryFailure = Self(rawValue: "dns-temporary-failure")
    /// The DNS lookup failed permanently (malformed answer, bad name).
    public static let dnsPermanentFailure = Self(rawValue: "dns-permanent-failure")
    /// The signature field, its `h=`, or the key's TXT records are over a bound of ``DKIMLimits``.
    public static let limitExceeded = Self(rawValue: "limit-exceeded")
    /// The signature was not evaluated because the message has more than the configured number of signatures.
    public static let notChecked = Self(rawValue: "not-checked")
}

/// A warning that does not change a signature's result but that an administrator should see.
public struct VerificationWarning: Hashable, Sendable, CustomStringConvertible {
    /// A stable code, e.g. `key-under-2048-bits`, `body-length-unsigned-content`, `from-not-oversigned`, `testing-key`.
    public let code: String
    /// A human sentence.
    public let message: String

    /// Creates a warning from its code and sentence.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// The sentence.
    public var description: String { message }
}

/// The outcome of verifying one DKIM-Signature field.
public struct SignatureVerification: Sendable {
    /// The position of the field among the message's DKIM-Signature fields, top-down, from 0.
    public let index: Int
    /// The result (RFC 8601 §2.7.1).
    public let result: DKIMResult
    /// Why; nil for a pass without remarks.
    public let reason: VerificationReason?
    /// A human sentence explaining the result.
    public let explanation: String
    /// The parsed signature, when the field could be parsed.
    public let signature: DKIMSignature?
    /// `d=` as written, when it could be read (even from a malformed field).
    public let domain: String?
    /// `s=` as written, when it could be read.
    public let selector: String?
    /// `a=` as written, when it could be read.
    public let algorithm: String?
    /// The first characters of `b=` (RFC 6008 `header.b`), when it could be read.
    public let signaturePrefix: String?
    /// The size of the public key in bits, when the key was fetched and parsed.
    public let keyBits: Int?
    /// The key record carries `t=y` (testing mode).
    public let testing: Bool
    /// Remarks that do not change the result.
    public let warnings: [VerificationWarning]
}

/// The outcome of verifying every DKIM-Signature of one message.
public struct MessageVerification: Sendable {
    /// One entry per DKIM-Signature field, top-down, including those not checked.
    public let signatures: [SignatureVerification]

    /// The message verdict (RFC 6376 §4.2: one passing signature suffices):
    /// pass if any passes; else temperror if any is temporary; else fail if any fails;
    /// else permerror if any; else policy, neutral; none when the message has no signature.
    public var result: DKIMResult {
        let results = Set(signatures.map(\.result))
        for candidate in [DKIMResult.pass, .temperror, .fail, .permerror, .policy, .neutral] where results.contains(candidate) {
            return candidate
        }
        return .none
    }

    /// Creates a message verification from per-signature results.
    public init(signatures: [SignatureVerification]) {
        self.signatures = signatures
    }
}
