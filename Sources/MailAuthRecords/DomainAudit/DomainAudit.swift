import DKIMCore

/// The result of auditing one domain: an ordered checklist.
public struct DomainAuditReport: Sendable, Hashable {
    /// The domain audited, normalized (lowercase, no trailing dot).
    public let domain: String
    /// The checklist: blocking items first (DKIM first among them), then temporary failures, warnings, information
    /// and passes; within a status DKIM, SPF, DMARC, PTR, MX.
    public let items: [DomainAuditItem]
    /// The DKIM selector checks behind the DKIM items (the selectors given, or those the probe found).
    public let selectorChecks: [DKIMSelectorCheck]
    /// Whether the selectors were probed (none were given).
    public let probedSelectors: Bool
    /// The DMARC audit behind the DMARC items; nil when the domain name is invalid.
    public let dmarc: DMARCReport?

    /// Whether at least one item stops delivery.
    public var blocksDelivery: Bool { items.contains { $0.blocking } }
    /// Whether a DNS lookup failed temporarily, leaving an item unchecked.
    public var hasTemporaryFailure: Bool { items.contains { $0.status == .temporaryFailure } }
    /// Whether nothing blocks delivery and nothing was left unchecked.
    public var passes: Bool { !blocksDelivery && !hasTemporaryFailure }

    /// Creates a report, ordering `items` as ``items`` documents.
    ///
    /// - Parameters:
    ///   - domain: the domain audited.
    ///   - items: the items in any order; the order among equals is kept.
    ///   - selectorChecks: the DKIM selector checks.
    ///   - probedSelectors: whether the selectors were probed.
    ///   - dmarc: the DMARC audit.
    public init(
        domain: String, items: [DomainAuditItem], selectorChecks: [DKIMSelectorCheck] = [],
        probedSelectors: Bool = false, dmarc: DMARCReport? = nil
    ) {
        self.domain = domain
        self.items = items.enumerated().sorted { lhs, rhs in
            let left = (lhs.element.blocking ? 0 : 1, lhs.element.status.rank, lhs.element.area.rank, lhs.offset)
            let right = (rhs.element.blocking ? 0 : 1, rhs.element.status.rank, rhs.element.area.rank, rhs.offset)
            return left < right
        }.map(\.element)
        self.selectorChecks = selectorChecks
        self.probedSelectors = probedSelectors
        self.dmarc = dmarc
    }
}

/// What ``DomainAudit`` checks besides the domain's own records.
public struct DomainAuditOptions: Sendable {
    /// The DKIM selectors the domain signs with; empty to probe ``DomainAudit/commonSelectors``.
    public var selectors: [String]
    /// The private key the domain signs with: its record is the fix for a missing or wrong key record, and the
    /// published keys are compared with it.
    public var privateKey: DKIMPrivateKey?
    /// The sending server's address: enables the SPF evaluation and the PTR checks.
    public var sendingAddress: SPFIPAddress?
    /// The sending server's HELO/EHLO name; default: the domain.
    public var helo: String?

    /// Creates options.
    ///
    /// - Parameters:
    ///   - selectors: the selectors to check; empty to probe common names.
    ///   - privateKey: the signing key, if known.
    ///   - sendingAddress: the sending server's IPv4 or IPv6 address.
    ///   - helo: the sending server's HELO name.
    public init(
        selectors: [String] = [], privateKey: DKIMPrivateKey? = nil, sendingAddress: SPFIPAddress? = nil,
        helo: String? = nil
    ) {
        self.selectors = selectors
        self.privateKey = privateKey
        self.sendingAddress = sendingAddress
        self.helo = helo
    }
}

/// The deliverability audit behind `dkimtool check-domain`: MX, SPF, DMARC and DKIM records of a domain and,
/// with a sending address, its reverse DNS, as one checklist with a fix for each fault.
///
/// Item ids (stable):
/// - DKIM: `dkim-ok`, `dkim-missing` (a given selector has no record), `dkim-none-found` (the probe found no
///   selector), `dkim-key-not-published` (no probed selector publishes `--key`), `dkim-dns-temporary-failure`,
///   and `dkim-` + a ``DKIMSelectorCheck`` code (`dkim-key-revoked`, `dkim-key-too-small`,
///   `dkim-key-under-2048-bits`, `dkim-testing-flag`, `dkim-key-differs`, `dkim-malformed-record`, …).
/// - SPF: `spf-ok` and the ``SPFLint`` finding codes (`spf-missing`, `spf-multiple`, `spf-pass-all`,
///   `spf-too-many-lookups`, …); with a sending address `spf-ip-pass`, `spf-ip-fail`, `spf-ip-softfail`,
///   `spf-ip-neutral`, `spf-ip-permerror`, `spf-ip-temperror`.
/// - DMARC: `dmarc-ok` and the ``DMARCAudit`` finding codes.
/// - MX: `mx-ok`, `mx-missing`, `mx-null`, `mx-domain-not-found`, `mx-dns-failure`, `mx-dns-temporary-failure`.
/// - PTR (with a sending address): `ptr-ok`, `ptr-missing`, `ptr-not-confirmed`, `ptr-dns-temporary-failure`.
///
/// Blocking means: Gmail or Yahoo reject or fail the mail (for all senders, or for bulk senders) until it is fixed.
///
/// - Warning: plain DNS is not authenticated; the audit shows what this resolver was told.
public enum DomainAudit {
    /// The selectors probed when none are given: the defaults of common mail servers and providers.
    ///
    /// `default` (cPanel, OpenDKIM guides), `mail` (Plesk, many guides; `dkimtool keygen` examples), `dkim`,
    /// `selector1`/`selector2` (Microsoft 365), `google` (Google Workspace), `k1`/`k2` (Mailchimp, Mailgun),
    /// `s1`/`s2` (SendGrid), `smtp`, `key1`, `dkim1`, `email`, `mx`, `mta`, `zoho` (Zoho Mail),
    /// `everlytickey1` (Everlytic). A probe cannot prove a selector absent: a domain signing under another name
    /// must be audited with that selector given.
    public static let commonSelectors = [
        "default", "mail", "dkim", "selector1", "selector2", "google", "k1", "k2", "s1", "s2", "smtp", "key1",
        "dkim1", "email", "mx", "mta", "zoho", "everlytickey1",
    ]

    /// The selector a fix suggests when none was given and the probe found none.
    public static let suggestedSelector = "mail"

    /// Audits `domain`.
    ///
    /// - Parameters:
    ///   - domain: the domain mail is sent from (the From domain); a trailing dot and case are ignored.
    ///   - options: selectors, private key, sending address, HELO name.
    ///   - resolver: answers the A, AAAA, MX, PTR and TXT queries.
    /// - Returns: the checklist.
    public static func run(
        domain: String, options: DomainAuditOptions = DomainAuditOptions(),
        resolver: some DNSQuerying & DKIMKeyResolver
    ) async -> DomainAuditReport {
        guard let name = DMARCDomainName.normalize(domain.utf8) else {
            let shown = RecordText.printable(domain.utf8)
            return DomainAuditReport(domain: shown, items: [DomainAuditItem(
                id: "domain-invalid", area: .mx, status: .fail, blocking: true,
                message: "\"\(shown)\" is not a valid domain name (ASCII labels of letters, digits and hyphens; "
                    + "convert an internationalized name to its xn-- form).",
                fix: DomainAuditFix(action: "Give the domain that appears after @ in your From address."))])
        }
        async let dkim = dkimItems(domain: name, options: options, resolver: resolver)
        async let dmarcReport = DMARCAudit.run(domain: name, resolver: resolver)
        async let spf = spfItems(domain: name, address: options.sendingAddress, helo: options.helo,
                                 resolver: resolver)
        async let mx = mxItems(domain: name, resolver: resolver)
        async let ptr = ptrItems(address: options.sendingAddress?.octets, helo: options.helo, domain: name,
                                 resolver: resolver)
        let (dkimPart, probed) = await dkim
        let dmarc = await dmarcReport
        let items = dkimPart.items + (await spf) + dmarcItems(dmarc) + (await mx) + (await ptr)
        return DomainAuditReport(domain: name, items: items, selectorChecks: dkimPart.checks, probedSelectors: probed,
                                 dmarc: dmarc)
    }
}
