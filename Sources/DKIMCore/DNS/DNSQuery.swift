/// A DNS resource record type a ``DNSQuerying`` resolver can be asked for (RFC 1035 §3.2.2, RFC 3596 §2.1).
public enum DNSRecordType: Sendable, Hashable {
    /// `A` (type 1): an IPv4 address.
    case a
    /// `AAAA` (type 28, RFC 3596): an IPv6 address.
    case aaaa
    /// `MX` (type 15): a mail exchange with its preference.
    case mx
    /// `PTR` (type 12): a domain name pointer, used for reverse lookups.
    case ptr
    /// `TXT` (type 16): one or more character-strings.
    case txt

    /// The TYPE value on the wire.
    var wireType: UInt16 {
        switch self {
        case .a: 1
        case .aaaa: 28
        case .mx: 15
        case .ptr: 12
        case .txt: 16
        }
    }
}

/// The data of one resource record, decoded from its RDATA.
public enum DNSRecordData: Sendable, Hashable {
    /// An IPv4 address: exactly 4 octets, network order (RFC 1035 §3.4.1).
    case a([UInt8])
    /// An IPv6 address: exactly 16 octets, network order (RFC 3596 §2.2).
    case aaaa([UInt8])
    /// A mail exchange (RFC 1035 §3.3.9); `exchange` is lowercased, without the trailing dot.
    case mx(preference: UInt16, exchange: String)
    /// A domain name pointer (RFC 1035 §3.3.12), lowercased, without the trailing dot.
    case ptr(String)
    /// A text record with its character-strings (RFC 1035 §3.3.14).
    case txt(DNSTXTRecord)
}

/// The outcome of asking for the records of one type at one name.
public enum DNSQueryResult: Sendable, Hashable {
    /// At least one record of the asked type, at the name or at the end of a CNAME chain in the answer.
    case answers([DNSRecordData])
    /// NOERROR without a record of that type (NODATA): the name exists.
    case noData
    /// NXDOMAIN (RFC 1035 §4.1.1 RCODE 3): the name does not exist.
    case nameNotFound
    /// Timeout, SERVFAIL, REFUSED or a network error: worth retrying later.
    case temporaryFailure(String)
    /// Any failure that retrying will not cure: FORMERR, NOTIMP, a malformed answer, an invalid name.
    case permanentFailure(String)
}

/// Looks up resource records of the common types; SPF (RFC 7208) and DMARC evaluation are built on it.
///
/// Implementations: ``SystemDNSResolver`` (real DNS) and ``StaticDNSResolver`` (in memory).
public protocol DNSQuerying: Sendable {
    /// Returns the records of `type` at `name` (a domain name; a trailing dot is ignored, case does not matter).
    ///
    /// - Parameters:
    ///   - name: the name to look up, e.g. `example.com` or `4.3.2.1.in-addr.arpa`.
    ///   - type: the record type wanted.
    func query(_ name: String, type: DNSRecordType) async -> DNSQueryResult
}
