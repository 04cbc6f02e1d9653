import DKIMCore

// The DNS Tree Walk of RFC 9989 §4.10, read from draft-ietf-dmarc-dmarcbis-41 (the final draft, same numbering):
// §4.10 (the walk and its eight-query limit), §4.10.1 (policy discovery), §4.10.2 (Organizational Domain).

/// What one `_dmarc.<domain>` TXT query found.
public enum DMARCLookup: Sendable, Hashable {
    /// Exactly one TXT record starts with `v=DMARC1` and it parses; `text` is its value.
    case record(DMARCRecord, text: String)
    /// No TXT record starts with `v=DMARC1` (NXDOMAIN, no TXT, or only other TXT records, kept in `otherTXT`).
    case noRecord(otherTXT: [String])
    /// Several records start with `v=DMARC1`: §4.10 step 2 discards them all.
    case multipleRecords([String])
    /// One record starts with `v=DMARC1` but is invalid as a whole (a duplicated tag).
    case invalidRecord(DMARCRecordError, text: String)
    /// Timeout, SERVFAIL and the like: no conclusion can be drawn (§4.10.1 leaves the handling to the receiver).
    case temporaryFailure(String)
    /// A failure that retrying will not cure (e.g. a malformed DNS answer).
    case permanentFailure(String)

    /// The valid DMARC Policy Record found, if any.
    public var record: DMARCRecord? {
        if case .record(let record, _) = self { return record }
        return nil
    }

    /// Whether the query failed (temporarily or permanently) rather than answering.
    public var isFailure: Bool {
        switch self {
        case .temporaryFailure, .permanentFailure: return true
        default: return false
        }
    }

    /// Classifies the TXT records of one `_dmarc` name (§4.10 step 2: records not starting with `v=DMARC1` are
    /// discarded; several DMARC records are all discarded). Strings of each record are joined (§4.5).
    public init(_ result: TXTLookupResult) {
        switch result {
        case .notFound:
            self = .noRecord(otherTXT: [])
        case .temporaryFailure(let message):
            self = .temporaryFailure(message)
        case .permanentFailure(let message):
            self = .permanentFailure(message)
        case .records(let records):
            var dmarc: [[UInt8]] = []
            var other: [String] = []
            for record in records {
                let joined = record.joined
                if DMARCRecord.isDMARCRecord(joined) {
                    dmarc.append(joined)
                } else {
                    other.append(RecordText.printable(joined, limit: DMARCRecord.maximumLength))
                }
            }
            switch dmarc.count {
            case 0:
                self = .noRecord(otherTXT: other)
            case 1:
                let text = RecordText.printable(dmarc[0], limit: DMARCRecord.maximumLength)
                do {
                    self = .record(try DMARCRecord(parsing: dmarc[0]), text: text)
                } catch {
                    self = .invalidRecord(error, text: text)
                }
            default:
                self = .multipleRecords(dmarc.map { RecordText.printable($0, limit: DMARCRecord.maximumLength) })
            }
        }
    }
}

/// A DNS Tree Walk (§4.10): the `_dmarc` queries from a starting domain up towards the root, at most eight.
public struct DMARCTreeWalk: Sendable, Hashable {
    /// One query of the walk.
    public struct Step: Sendable, Hashable {
        /// The domain whose record was asked for.
        public let domain: String
        /// What the query found.
        public let lookup: DMARCLookup

        /// Creates a step: the lookup made for `domain`.
        public init(domain: String, lookup: DMARCLookup) {
            self.domain = domain
            self.lookup = lookup
        }

        /// `_dmarc.<domain>`, the name queried.
        public var queryName: String { "_dmarc." + domain }
    }

    /// The starting domain, lowercased.
    public let start: String
    /// The queries made, in order. The walk stops early at a record with `psd=y` or `psd=n` (§4.10 steps 2, 6)
    /// and at the first DNS failure.
    public let steps: [Step]

    /// The domains a full walk from `domain` queries, in order (§4.10 steps 3–7): the domain itself; then, when it
    /// has eight labels or more, its rightmost seven labels, otherwise its parent; then one label fewer each time
    /// down to the top-level domain.
    ///
    /// - Parameter domain: a normalized domain name (lowercase, no trailing dot).
    public static func targets(from domain: String) -> [String] {
        let labels = DMARCDomainName.labels(domain)
        guard !labels.isEmpty else { return [] }
        var targets = [domain]
        var count = labels.count >= 8 ? 7 : labels.count - 1
        while count >= 1 {
            targets.append(DMARCDomainName.suffix(domain, labels: count))
            count -= 1
        }
        return targets
    }

    /// Walks from `domain`, querying `resolver` for each target in turn.
    ///
    /// - Parameters:
    ///   - domain: the starting domain; must already be a valid name (see ``DMARCAudit``).
    ///   - resolver: answers the TXT queries.
    public static func run(from domain: String, resolver: some DKIMKeyResolver) async -> DMARCTreeWalk {
        var steps: [Step] = []
        for target in targets(from: domain) {
            let lookup = DMARCLookup(await resolver.lookupTXT("_dmarc." + target))
            steps.append(Step(domain: target, lookup: lookup))
            if lookup.isFailure { break }
            if let record = lookup.record, record.psd != .unknown { break }
        }
        return DMARCTreeWalk(start: domain, steps: steps)
    }

    /// Creates a walk from steps already made (for tests and for callers with their own DNS loop).
    public init(start: String, steps: [Step]) {
        self.start = start
        self.steps = steps
    }

    /// The first step whose query failed; when set, the walk stopped there and its conclusions are provisional.
    public var failure: Step? { steps.first { $0.lookup.isFailure } }

    /// The Organizational Domain of ``start`` (§4.10.2): looking at the valid records from the longest name to
    /// the shortest, a record with `psd=n` names itself; a record with `psd=y` (other than the starting
    /// domain's) names the domain one label below it; otherwise the record at the name with the fewest labels.
    /// Without any valid record, the starting domain is its own Organizational Domain.
    public var organizationalDomain: String {
        let found = steps.filter { $0.lookup.record != nil }
        for step in found {
            guard let record = step.lookup.record else { continue }
            if record.psd == .no { return step.domain }
            if record.psd == .yes, step.domain != start {
                let below = DMARCDomainName.labels(step.domain).count + 1
                return DMARCDomainName.suffix(start, labels: below)
            }
        }
        // The walk goes from the most labels to the fewest, so the last record found has the fewest.
        return found.last?.domain ?? start
    }

    /// The valid record published at `domain`, if the walk queried it and found one.
    public func record(at domain: String) -> DMARCRecord? {
        steps.first { $0.domain == domain }?.lookup.record
    }
}

/// The DMARC Policy Record that applies to an Author Domain and where it was found (§4.10.1).
public struct DMARCPolicyDiscovery: Sendable, Hashable {
    /// The Author Domain, lowercased.
    public let authorDomain: String
    /// The walk from the Author Domain (its first step is the Author Domain's own `_dmarc` query).
    public let walk: DMARCTreeWalk
    /// The Organizational Domain of the Author Domain (§4.10.2).
    public let organizationalDomain: String
    /// The DMARC Policy Domain: where the applicable record was found (Author Domain, Organizational Domain or
    /// Public Suffix Domain, in that preference, §4.10.1); nil when none applies.
    public let policyDomain: String?
    /// The applicable record; nil when none applies.
    public let record: DMARCRecord?

    /// Selects the applicable record from a finished walk (§4.10.1).
    public init(walk: DMARCTreeWalk) {
        self.walk = walk
        authorDomain = walk.start
        organizationalDomain = walk.organizationalDomain
        var candidates = [walk.start, organizationalDomain]
        // The Public Suffix Domain: the record found with psd=y, above the Organizational Domain.
        if let psdStep = walk.steps.first(where: { $0.lookup.record?.psd == .yes && $0.domain != walk.start }) {
            candidates.append(psdStep.domain)
        }
        let chosen = candidates.first { walk.record(at: $0) != nil }
        policyDomain = chosen
        record = chosen.flatMap { walk.record(at: $0) }
    }

    /// Walks the DNS from `authorDomain` and selects the applicable record.
    ///
    /// - Parameters:
    ///   - authorDomain: a normalized domain name (lowercase, no trailing dot).
    ///   - resolver: answers the TXT queries.
    public static func discover(authorDomain: String, resolver: some DKIMKeyResolver) async
        -> DMARCPolicyDiscovery
    {
        DMARCPolicyDiscovery(walk: await DMARCTreeWalk.run(from: authorDomain, resolver: resolver))
    }

    /// Which policy tag applies to the Author Domain (§4.10.1), assuming it exists when it is a subdomain.
    public var scope: DMARCPolicyScope {
        policyDomain == authorDomain ? .policyDomain : .existingSubdomain
    }

    /// The policy a receiver applies to mail from the (existing) Author Domain, or nil for no DMARC processing.
    public var appliedPolicy: DMARCPolicy? { record?.effectivePolicy(for: scope) }
}
