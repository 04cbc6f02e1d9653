/// An in-memory DNS zone for tests and embedding: answers ``DNSQuerying`` and ``DKIMKeyResolver`` questions.
///
/// Names are compared case-insensitively with a trailing dot ignored. A name listed in `records` exists:
/// asking it for a type it has no record of is ``DNSQueryResult/noData``; a name not listed anywhere is
/// ``DNSQueryResult/nameNotFound``. Names in `timeouts` or `serverFailures` answer every question with
/// ``DNSQueryResult/temporaryFailure(_:)``.
public struct StaticDNSResolver: DNSQuerying, DKIMKeyResolver {
    private let zone: [String: [DNSRecordData]]
    private let timeouts: Set<String>
    private let serverFailures: Set<String>

    /// Creates a zone.
    ///
    /// - Parameters:
    ///   - records: name → its records (of any types, in answer order); an empty list makes a name that exists
    ///     with no records. Names differing only in case or a trailing dot are merged.
    ///   - timeouts: names whose lookups time out.
    ///   - serverFailures: names whose lookups get SERVFAIL.
    public init(_ records: [String: [DNSRecordData]], timeouts: Set<String> = [], serverFailures: Set<String> = []) {
        var zone: [String: [DNSRecordData]] = [:]
        for name in records.keys.sorted() {
            zone[Self.key(name), default: []].append(contentsOf: records[name] ?? [])
        }
        self.zone = zone
        self.timeouts = Set(timeouts.map(Self.key))
        self.serverFailures = Set(serverFailures.map(Self.key))
    }

    /// Returns the zone's records of `type` at `name`; see the type's documentation for the outcome mapping.
    public func query(_ name: String, type: DNSRecordType) async -> DNSQueryResult {
        let key = Self.key(name)
        if timeouts.contains(key) { return .temporaryFailure("DNS query for \(key) timed out.") }
        if serverFailures.contains(key) { return .temporaryFailure("DNS server answered SERVFAIL for \(key).") }
        guard let records = zone[key] else { return .nameNotFound }
        let matching = records.filter { $0.recordType == type }
        return matching.isEmpty ? .noData : .answers(matching)
    }

    /// Returns the TXT records at `name`, mapped as ``SystemDNSResolver/lookupTXT(_:)`` maps them.
    public func lookupTXT(_ name: String) async -> TXTLookupResult {
        TXTLookupResult(await query(name, type: .txt))
    }

    static func key(_ name: String) -> String {
        var bytes = Array(name.utf8)
        if bytes.last == ASCII.period { bytes.removeLast() }
        return String(decoding: bytes.map(ASCII.lowercased), as: UTF8.self)
    }
}

extension DNSRecordData {
    /// The type of this record.
    var recordType: DNSRecordType {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .mx: .mx
        case .ptr: .ptr
        case .txt: .txt
        }
    }
}

extension TXTLookupResult {
    /// The DKIM view of a TXT query (RFC 6376 §6.1.2): NXDOMAIN and NODATA are both "not found".
    init(_ result: DNSQueryResult) {
        switch result {
        case .answers(let records):
            let txt = records.compactMap { record -> DNSTXTRecord? in
                if case .txt(let value) = record { return value }
                return nil
            }
            self = txt.isEmpty ? .notFound : .records(txt)
        case .noData, .nameNotFound: self = .notFound
        case .temporaryFailure(let reason): self = .temporaryFailure(reason)
        case .permanentFailure(let reason): self = .permanentFailure(reason)
        }
    }
}
