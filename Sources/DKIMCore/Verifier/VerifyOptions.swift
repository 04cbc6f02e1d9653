/// Options for ``DKIMVerifier``.
public struct VerifyOptions: Sendable {
    /// What to do with signatures that carry `l=` (a body length limit, RFC 6376 §3.5).
    public enum BodyLengthPolicy: Sendable, Hashable {
        /// Verify them, with a warning stating how many body octets are not covered.
        case accept
        /// Give them `policy` with reason `body-length-refused`: content can be appended after the signed part.
        case refuse
    }

    /// Where key records come from.
    public var resolver: any DKIMKeyResolver
    /// The clock, in seconds since the epoch; injected so tests and `--now` are reproducible.
    public var clock: @Sendable () -> Int64
    /// At most this many DKIM-Signature fields are evaluated, top-down; the rest are reported as not checked.
    ///
    /// The same value as ``DKIMLimits/maximumSignatures`` in ``limits``.
    public var maxSignatures: Int {
        get { limits.maximumSignatures }
        set { limits.maximumSignatures = newValue }
    }
    /// The resource bounds applied to each message (``DKIMLimits/standard`` by default).
    public var limits: DKIMLimits
    /// RSA keys smaller than this are refused with `key-too-small`. RFC 8301 §3.2 sets 1024 as the floor;
    /// a lower value is raised to 1024.
    public var minimumKeyBits: Int
    /// A `t=` this many seconds in the future is still accepted (clocks differ; RFC 6376 §3.5 lets verifiers
    /// ignore signatures with future timestamps).
    public var clockSkew: Int64
    /// How to treat `l=`.
    public var bodyLengthPolicy: BodyLengthPolicy
    /// Parsed key records and decoded keys kept across messages (the resolver is still asked every time);
    /// nil parses and decodes every record afresh. Copies of these options share the cache.
    public var keyCache: DKIMKeyCache?

    /// Creates options with the defaults: ``DKIMLimits/standard`` (10 signatures and the other bounds), a 1024-bit
    /// minimum, 300 s clock skew, `l=` accepted, a fresh ``DKIMKeyCache``.
    ///
    /// - Parameters:
    ///   - resolver: where key records come from, e.g. ``SystemDNSResolver``.
    ///   - clock: seconds since the epoch; defaults to the system clock.
    public init(resolver: any DKIMKeyResolver, clock: (@Sendable () -> Int64)? = nil) {
        self.resolver = resolver
        self.clock = clock ?? { SystemClock.now() }
        self.limits = .standard
        self.minimumKeyBits = 1024
        self.clockSkew = 300
        self.bodyLengthPolicy = .accept
        self.keyCache = DKIMKeyCache()
    }
}
