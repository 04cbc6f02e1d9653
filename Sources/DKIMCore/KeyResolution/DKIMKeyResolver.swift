/// One DNS TXT resource record: its character-strings in order.
///
/// RFC 6376 §3.6.2.2: a key record split into several strings is read as their concatenation;
/// the strings are kept apart too, so a linter can say how a record was split.
public struct DNSTXTRecord: Sendable, Hashable {
    /// The character-strings of the record, each at most 255 octets on the wire.
    public var strings: [[UInt8]]

    /// Creates a record from its character-strings.
    public init(strings: [[UInt8]]) { self.strings = strings }

    /// All strings joined without separators (RFC 6376 §3.6.2.2).
    public var joined: [UInt8] { strings.flatMap { $0 } }
}

/// The outcome of looking up the TXT records at one name.
public enum TXTLookupResult: Sendable, Hashable {
    /// The name has TXT records (one or more).
    case records([DNSTXTRecord])
    /// NXDOMAIN, or the name exists with no TXT record: a permanent failure for DKIM (RFC 6376 §6.1.2).
    case notFound
    /// Timeout, SERVFAIL, REFUSED, network error: worth retrying later (`temperror`).
    case temporaryFailure(String)
    /// Any other failure that retrying will not cure (e.g. a malformed answer).
    case permanentFailure(String)
}

/// Looks up TXT records; the verifier asks it for `selector._domainkey.domain`.
///
/// Implementations: ``SystemDNSResolver`` (libresolv, real DNS), ``TXTRecordFileResolver``
/// (a `NAME VALUE` file), ``StaticKeyResolver`` (in memory, for tests and embedding), and
/// ``CachingKeyResolver`` (a TTL cache in front of any of them).
public protocol DKIMKeyResolver: Sendable {
    /// Returns the TXT records at `name` (a fully qualified domain name without the trailing dot).
    func lookupTXT(_ name: String) async -> TXTLookupResult
}
