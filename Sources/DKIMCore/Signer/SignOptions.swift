/// What ``DKIMSigner`` signs with and how.
public struct SignOptions: Sendable {
    /// `d=`: the signing domain, whose DNS holds the key record (RFC 6376 §3.5).
    public var domain: String
    /// `s=`: the selector; the key record lives at `selector._domainkey.domain`.
    public var selector: String
    /// The private key; the algorithm follows it (RSA → rsa-sha256, Ed25519 → ed25519-sha256, RFC 8463).
    public var key: DKIMPrivateKey
    /// The exact `h=` list, repeats allowed; when set, no automatic oversigning is added.
    /// When nil, the fields of ``defaultSignedHeaders`` present in the message are signed (each instance),
    /// and ``oversignedHeaders`` that are present get one extra entry.
    public var signedHeaders: [String]?
    /// Field names listed once more than they occur, so a prepended copy breaks the signature (RFC 6376 §8.15).
    public var oversignedHeaders: [String]
    /// `c=`; relaxed/relaxed unless set.
    public var canonicalization: Canonicalization
    /// `i=`: the agent or user identifier; must be `domain` or a subdomain of it, with an optional local part.
    public var identity: String?
    /// Add `t=` (the signing time). On by default.
    public var includeTimestamp: Bool
    /// The clock for `t=` and `x=`, in seconds since the epoch.
    public var clock: @Sendable () -> Int64
    /// Add `x=` this many seconds after the signing time.
    public var expiresAfter: Int64?
    /// Add `l=` (the canonical body length).
    ///
    /// - Warning: with `l=`, anyone can append content to the message without breaking the signature.
    public var includeBodyLength: Bool

    /// The fields signed by default when present: the RFC 6376 §5.4.1 list plus the MIME fields whose change
    /// would alter how the body is shown.
    public static let defaultSignedHeaders: [String] = [
        "from", "reply-to", "subject", "date", "to", "cc",
        "resent-date", "resent-from", "resent-to", "resent-cc",
        "in-reply-to", "references", "message-id",
        "mime-version", "content-type", "content-transfer-encoding",
        "list-id", "list-help", "list-unsubscribe", "list-subscribe", "list-post", "list-owner", "list-archive",
    ]

    /// From plus the fields that may occur at most once (RFC 5322 §3.6) and are signed by default.
    public static let defaultOversignedHeaders: [String] = [
        "from", "to", "cc", "subject", "date", "reply-to", "message-id", "mime-version", "content-type",
    ]

    /// Creates options with the defaults: relaxed/relaxed, `t=` on, no `x=`, no `l=`, default header lists.
    public init(domain: String, selector: String, key: DKIMPrivateKey) {
        self.domain = domain
        self.selector = selector
        self.key = key
        self.signedHeaders = nil
        self.oversignedHeaders = Self.defaultOversignedHeaders
        self.canonicalization = .relaxed
        self.identity = nil
        self.includeTimestamp = true
        self.clock = { SystemClock.now() }
        self.expiresAfter = nil
        self.includeBodyLength = false
    }
}
