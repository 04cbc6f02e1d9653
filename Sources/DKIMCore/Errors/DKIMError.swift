/// The one error type of DKIMCore: caller misuse and unreadable input.
///
/// A signature that does not verify is *not* an error; it is a ``SignatureVerification`` result.
/// Errors compare equal on ``code`` only, so tests and callers can match them without
/// depending on the wording of ``reason``.
public struct DKIMError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable, machine-readable error code.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code as printed, e.g. `malformed-key`.
        public let rawValue: String
        /// Creates a code from its printed form.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The code as printed.
        public var description: String { rawValue }

        /// A private or public key could not be decoded (bad PEM, DER, base64 or key type).
        public static let malformedKey = Code(rawValue: "malformed-key")
        /// The key is of a type DKIM cannot use (e.g. EC P-256, DSA).
        public static let unsupportedKey = Code(rawValue: "unsupported-key")
        /// An RSA key is smaller than 1024 bits (RFC 8301 §3.2).
        public static let keyTooSmall = Code(rawValue: "key-too-small")
        /// An RSA key is larger than 8192 bits (CPU-exhaustion bound).
        public static let keyTooLarge = Code(rawValue: "key-too-large")
        /// A DKIM key record (RFC 6376 §3.6.1) could not be parsed.
        public static let malformedKeyRecord = Code(rawValue: "malformed-key-record")
        /// A tag=value list (RFC 6376 §3.2) could not be parsed.
        public static let malformedTagList = Code(rawValue: "malformed-tag-list")
        /// A DKIM-Signature field (RFC 6376 §3.5) could not be parsed or is invalid.
        public static let malformedSignature = Code(rawValue: "malformed-signature")
        /// A DKIM-Signature's `h=` does not name From (RFC 6376 §5.4, §6.1.1); a kind of malformed signature.
        public static let fromNotSigned = Code(rawValue: "from-not-signed")
        /// A DKIM-Signature's `i=` is not in `d=` or a subdomain of it (RFC 6376 §3.5); a kind of malformed signature.
        public static let identityOutsideDomain = Code(rawValue: "identity-outside-domain")
        /// The message could not be split into header fields and body.
        public static let malformedMessage = Code(rawValue: "malformed-message")
        /// The message has no From header field, which every DKIM signature must cover (RFC 6376 §5.4).
        public static let missingFrom = Code(rawValue: "missing-from")
        /// A signing or verifying option is invalid (e.g. `i=` outside `d=`).
        public static let invalidOption = Code(rawValue: "invalid-option")
        /// An input exceeds a documented resource bound.
        public static let limitExceeded = Code(rawValue: "limit-exceeded")
        /// OpenSSL reported a failure that is not attributable to the input.
        public static let cryptoFailure = Code(rawValue: "crypto-failure")
        /// A DNS lookup could not be performed (resolver set-up, bad name).
        public static let dnsFailure = Code(rawValue: "dns-failure")
        /// An input file is not in its documented format (e.g. a `--txt-records` file); the reason names the line.
        public static let malformedInput = Code(rawValue: "malformed-input")
        /// An input file is missing or cannot be read (the CLI maps it to exit 66).
        public static let unreadableInput = Code(rawValue: "unreadable-input")
        /// A streaming API was used out of order.
        public static let misuse = Code(rawValue: "misuse")
    }

    /// The stable code; equality and hashing use it alone.
    public let code: Code
    /// A human sentence naming what is wrong.
    public let reason: String

    /// Creates an error with a code and a human-readable reason.
    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    /// The human reason.
    public var description: String { reason }

    /// Errors are equal when their codes are, whatever the wording of the reason.
    public static func == (lhs: DKIMError, rhs: DKIMError) -> Bool { lhs.code == rhs.code }
    /// Hashes the code only, consistent with ``==(_:_:)``.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}

/// Reasons built around other reasons.
package enum Sentence {
    /// `text` with a closing period, unless it already ends with one: a nested reason is often a whole sentence.
    package static func closed(_ text: String) -> String {
        text.hasSuffix(".") ? text : text + "."
    }
}
