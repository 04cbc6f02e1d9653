import DKIMCore

/// How much a finding matters for delivery to Gmail and Yahoo.
public enum DMARCFindingSeverity: String, Sendable, Hashable, Comparable {
    /// The domain does not meet the bulk-sender DMARC requirement until this is fixed.
    case blocking
    /// Worth fixing; delivery is not blocked by it.
    case warning
    /// For information.
    case info

    private var rank: Int {
        switch self {
        case .blocking: return 0
        case .warning: return 1
        case .info: return 2
        }
    }

    /// Blocking sorts first.
    public static func < (lhs: DMARCFindingSeverity, rhs: DMARCFindingSeverity) -> Bool { lhs.rank < rhs.rank }
}

/// One result of a DMARC audit.
public struct DMARCFinding: Sendable, Hashable {
    /// A stable identifier, e.g. `dmarc-missing` (see ``DMARCAudit`` for the list).
    public let code: String
    /// How much it matters.
    public let severity: DMARCFindingSeverity
    /// A plain-words explanation.
    public let message: String
    /// The tag concerned, when one is.
    public let tag: String?

    /// Creates a finding.
    public init(code: String, severity: DMARCFindingSeverity, message: String, tag: String? = nil) {
        self.code = code
        self.severity = severity
        self.message = message
        self.tag = tag
    }
}

/// The DMARC part of a domain audit.
public struct DMARCReport: Sendable, Hashable {
    /// The domain audited, normalized (or as given when it is not a valid domain name).
    public let domain: String
    /// Policy discovery for the domain; nil when the domain name is invalid.
    public let discovery: DMARCPolicyDiscovery?
    /// The applicable record; nil when none.
    public var record: DMARCRecord? { discovery?.record }
    /// The record's text as published; nil when none.
    public let recordText: String?
    /// Where the applicable record was found; nil when none.
    public var policyDomain: String? { discovery?.policyDomain }
    /// The domain's Organizational Domain (§4.10.2); nil when the domain name is invalid.
    public var organizationalDomain: String? { discovery?.organizationalDomain }
    /// The `rua=`/`ruf=` destination checks.
    public let destinations: [DMARCDestinationCheck]
    /// The findings, blocking first.
    public let findings: [DMARCFinding]
    /// Whether a DNS failure left the audit incomplete (the CLI exits 75 on it).
    public let hasTemporaryFailure: Bool
    /// The name to publish the suggested record at: `_dmarc.<domain>`.
    public let suggestedRecordName: String
    /// A correct record to publish (see ``DMARCAudit/suggestedRecord(domain:existing:destinations:reportAddress:)``).
    public let suggestedRecord: String

    /// Whether nothing blocks delivery.
    public var passes: Bool { !findings.contains { $0.severity == .blocking } }
}

/// The DMARC audit behind `dkimtool check-domain`.
///
/// Finding codes (stable): `dmarc-invalid-domain`, `dmarc-dns-failure`, `dmarc-missing`, `dmarc-multiple-records`,
/// `dmarc-invalid-record` (duplicate tag, bad `v=` value), `dmarc-version-not-first`, `dmarc-p-missing`,
/// `dmarc-p-invalid`, `dmarc-sp-np-invalid`, `dmarc-p-not-second`, `dmarc-invalid-value`, `dmarc-malformed-tag`,
/// `dmarc-uri-invalid`, `dmarc-uri-unsupported-scheme`, `dmarc-uri-size-limit`, `dmarc-legacy-tag`,
/// `dmarc-unknown-tag`, `dmarc-fo-without-ruf`, `dmarc-destination-unauthorized`,
/// `dmarc-destination-temporary-failure`, `dmarc-policy-none`, `dmarc-testing`, `dmarc-no-rua`,
/// `dmarc-inherited`. No finding at all means a valid, enforcing record with reports.
public enum DMARCAudit {
    /// Audits the DMARC setup of `domain` as an Author Domain.
    ///
    /// - Parameters:
    ///   - domain: the domain mail is sent from (the RFC5322.From domain).
    ///   - resolver: answers the TXT queries (at most 8 for the walk, plus destination checks).
    /// - Returns: the findings, the record found, the Organizational Domain and a record to publish.
    public static func run(domain: String, resolver: some DKIMKeyResolver) async -> DMARCReport {
        guard let name = DMARCDomainName.normalize(domain.utf8) else {
            let shown = RecordText.printable(domain.utf8)
            return DMARCReport(
                domain: shown, discovery: nil, recordText: nil, destinations: [],
                findings: [DMARCFinding(code: "dmarc-invalid-domain", severity: .blocking, message:
                    "\"\(shown)\" is not a valid domain name (ASCII labels of letters, digits and hyphens; "
                    + "convert an internationalized name to its xn-- form).")],
                hasTemporaryFailure: false, suggestedRecordName: "_dmarc.\(shown)",
                suggestedRecord: suggestedRecord(domain: shown))
        }
        let discovery = await DMARCPolicyDiscovery.discover(authorDomain: name, resolver: resolver)
        var findings: [DMARCFinding] = []
        var temporary = false

        if let failure = discovery.walk.failure {
            temporary = true
            findings.append(DMARCFinding(code: "dmarc-dns-failure", severity: .warning, message:
                "The DNS query for \(failure.queryName) failed (\(failureText(failure.lookup))); the DMARC result "
                + "may be incomplete. Try again later."))
        }
        // The domain's own _dmarc name: faults there are what the owner must fix, even when a parent record applies.
        if let own = discovery.walk.steps.first {
            findings += nameFindings(own)
        }
        var recordText: String?
        var destinations: [DMARCDestinationCheck] = []
        if let policyDomain = discovery.policyDomain, let record = discovery.record {
            if policyDomain != name, let step = discovery.walk.steps.first(where: { $0.domain == policyDomain }) {
                findings.append(DMARCFinding(code: "dmarc-inherited", severity: .info, message:
                    "\(name) has no DMARC record of its own; the record at \(step.queryName) applies to it "
                    + "(through sp= or p=)."))
            }
            if case .record(_, let text) = discovery.walk.steps.first(where: { $0.domain == policyDomain })?.lookup {
                recordText = text
                findings += orderFindings(text)
            }
            findings += recordFindings(record, scope: discovery.scope)
            let organization = policyDomain == name ? discovery.organizationalDomain
                : await DMARCTreeWalk.run(from: policyDomain, resolver: resolver).organizationalDomain
            destinations = await DMARCExternalDestinations.check(
                record: record, policyDomain: policyDomain, policyOrganizationalDomain: organization,
                resolver: resolver)
            for check in destinations {
                switch check.status {
                case .unauthorized:
                    findings.append(DMARCFinding(code: "dmarc-destination-unauthorized", severity: .warning, message:
                        "Reports to \(check.uri.uri) (\(check.tag)=) go outside \(organization), and "
                        + "\(check.authorizationName ?? "the destination") has no v=DMARC1 record accepting them, "
                        + "so receivers will not send those reports. Ask the destination to publish "
                        + "\"v=DMARC1;\" there, or remove the address.", tag: check.tag))
                case .temporaryFailure(let message):
                    temporary = true
                    findings.append(DMARCFinding(code: "dmarc-destination-temporary-failure", severity: .warning,
                        message: "Could not check whether \(check.uri.uri) accepts reports for \(policyDomain): "
                            + "\(message).", tag: check.tag))
                case .noHost:
                    findings.append(DMARCFinding(code: "dmarc-uri-invalid", severity: .warning, message:
                        "\(check.tag) URI \(check.uri.uri) names no host, so it cannot be used.", tag: check.tag))
                case .sameOrganization, .authorized:
                    break
                }
            }
        } else if !(discovery.walk.failure.map { $0 == discovery.walk.steps.first } ?? false) {
            findings.append(DMARCFinding(code: "dmarc-missing", severity: .blocking, message:
                "No DMARC record applies to \(name): none at _dmarc.\(name) nor at its Organizational Domain. "
                + "Gmail and Yahoo require one from bulk senders; publish the suggested record."))
        }
        let ordered = findings.enumerated().sorted {
            ($0.element.severity, $0.offset) < ($1.element.severity, $1.offset)
        }.map(\.element)
        let ownRecord = discovery.policyDomain == name ? discovery.record : nil
        return DMARCReport(
            domain: name, discovery: discovery, recordText: recordText, destinations: destinations,
            findings: ordered, hasTemporaryFailure: temporary, suggestedRecordName: "_dmarc.\(name)",
            suggestedRecord: suggestedRecord(domain: name, existing: ownRecord, destinations: destinations))
    }

    /// A record to publish at `_dmarc.<domain>`.
    ///
    /// Without an existing record: `v=DMARC1; p=none; rua=mailto:dmarc-reports@<domain>` (Monitoring Mode with
    /// aggregate reports, §5.1.4). With one, its valid settings are kept in canonical order (`v`, `p` second for
    /// RFC 7489 receivers), a missing or invalid `p` becomes `none`, and invalid, legacy and unknown tags, URIs
    /// with an unsupported scheme and destinations found unauthorized are left out.
    ///
    /// - Parameters:
    ///   - domain: the domain the record is for.
    ///   - existing: the record published now, if any.
    ///   - destinations: destination checks of `existing` (unauthorized URIs are dropped).
    ///   - reportAddress: the mailbox for aggregate reports when none is kept; default `dmarc-reports@<domain>`.
    public static func suggestedRecord(
        domain: String,
        existing: DMARCRecord? = nil,
        destinations: [DMARCDestinationCheck] = [],
        reportAddress: String? = nil
    ) -> String {
        let fallbackRUA = "mailto:" + (reportAddress ?? "dmarc-reports@\(domain)")
        guard let existing else { return "v=DMARC1; p=none; rua=\(fallbackRUA)" }
        func kept(_ uris: [DMARCReportURI], _ tag: String) -> [String] {
            uris.filter { uri in
                uri.isMailto && !destinations.contains { $0.tag == tag && $0.uri == uri && $0.status == .unauthorized }
            }.map(\.uri)
        }
        var parts = ["v=DMARC1", "p=\((existing.policy ?? .none).rawValue)"]
        if !existing.hasInvalidSubdomainPolicy {
            if let sp = existing.subdomainPolicy { parts.append("sp=\(sp.rawValue)") }
            if let np = existing.nonExistentSubdomainPolicy { parts.append("np=\(np.rawValue)") }
        }
        if existing.dkimAlignment == .strict { parts.append("adkim=s") }
        if existing.spfAlignment == .strict { parts.append("aspf=s") }
        if existing.psd != .unknown { parts.append("psd=\(existing.psd.rawValue)") }
        if existing.testing { parts.append("t=y") }
        let rua = kept(existing.aggregateReportURIs, "rua")
        parts.append("rua=" + (rua.isEmpty ? fallbackRUA : rua.joined(separator: ",")))
        let ruf = kept(existing.failureReportURIs, "ruf")
        if !ruf.isEmpty {
            parts.append("ruf=" + ruf.joined(separator: ","))
            if existing.failureOptions != [.allFail] {
                parts.append("fo=" + existing.failureOptions.map(\.rawValue).joined(separator: ":"))
            }
        }
        return parts.joined(separator: "; ")
    }

    // MARK: Findings

    private static func failureText(_ lookup: DMARCLookup) -> String {
        switch lookup {
        case .temporaryFailure(let message), .permanentFailure(let message): return message
        default: return "no answer"
        }
    }

    /// Faults at one `_dmarc` name: several records, an invalid record, a near miss.
    private static func nameFindings(_ step: DMARCTreeWalk.Step) -> [DMARCFinding] {
        switch step.lookup {
        case .multipleRecords(let texts):
            return [DMARCFinding(code: "dmarc-multiple-records", severity: .blocking, message:
                "\(step.queryName) has \(texts.count) DMARC records; receivers discard them all (RFC 9989 §4.10) "
                + "and treat the name as having none. Keep exactly one.")]
        case .invalidRecord(let error, _):
            return [DMARCFinding(code: "dmarc-invalid-record", severity: .blocking,
                                 message: "The record at \(step.queryName) is ignored by receivers: \(error.reason)",
                                 tag: error.tag)]
        case .noRecord(let other):
            // A TXT record that mentions v=DMARC1 without starting with it: a DMARC record gone wrong.
            for text in other where text.lowercased().contains("dmarc1") {
                do {
                    _ = try DMARCRecord(parsing: Array(text.utf8))
                } catch where error.code == .versionNotFirst || error.code == .versionWrongValue {
                    return [DMARCFinding(code: error.code == .versionNotFirst ? "dmarc-version-not-first"
                                             : "dmarc-invalid-record",
                                         severity: .blocking,
                                         message: "The TXT record \"\(text)\" at \(step.queryName) is not a DMARC "
                                             + "record: \(error.reason) It must begin exactly with \"v=DMARC1;\".",
                                         tag: "v")]
                } catch {
                    continue
                }
            }
            return []
        default:
            return []
        }
    }

    /// RFC 7489 §6.4's grammar put `p` right after `v`; receivers still on RFC 7489 may insist on it.
    private static func orderFindings(_ text: String) -> [DMARCFinding] {
        let parts = DMARCTagScanner.scan(ArraySlice(text.utf8))
        guard parts.count >= 2, parts.contains(where: { $0.name == "p" }), parts[1].name != "p" else { return [] }
        return [DMARCFinding(code: "dmarc-p-not-second", severity: .warning, message:
            "p= is not the second tag. RFC 9989 allows any order after v=DMARC1, but RFC 7489 required p= right "
            + "after v=; put it second for older receivers.", tag: "p")]
    }

    private static func recordFindings(_ record: DMARCRecord, scope: DMARCPolicyScope) -> [DMARCFinding] {
        var findings: [DMARCFinding] = []
        for issue in record.issues {
            switch issue.kind {
            case .missingPolicy:
                findings.append(DMARCFinding(code: "dmarc-p-missing", severity: .blocking, message:
                    issue.message + " Add p=none (or quarantine/reject).", tag: "p"))
            case .invalidValue where issue.tag == "p":
                findings.append(DMARCFinding(code: "dmarc-p-invalid", severity: .blocking, message:
                    issue.message + " Without a valid p=, RFC 9989 receivers apply p=none only if rua= is valid "
                    + "(§4.10.1) and RFC 7489 receivers ignore the record.", tag: "p"))
            case .invalidValue where issue.tag == "sp" || issue.tag == "np":
                let ignored = record.effectivePolicy(for: scope) == nil
                findings.append(DMARCFinding(code: "dmarc-sp-np-invalid", severity: ignored ? .blocking : .warning,
                    message: issue.message + (ignored
                        ? " With no valid rua= either, receivers apply no DMARC processing (§4.10.1)."
                        : " Receivers therefore act as if the record said p=none (§4.10.1)."), tag: issue.tag))
            case .invalidValue:
                findings.append(DMARCFinding(code: "dmarc-invalid-value", severity: .warning, message: issue.message,
                                             tag: issue.tag))
            case .malformedTag:
                findings.append(DMARCFinding(code: "dmarc-malformed-tag", severity: .warning, message: issue.message,
                                             tag: issue.tag))
            case .invalidURI:
                findings.append(DMARCFinding(code: "dmarc-uri-invalid", severity: .warning, message:
                    issue.message + " Receivers skip it.", tag: issue.tag))
            case .unsupportedURIScheme:
                findings.append(DMARCFinding(code: "dmarc-uri-unsupported-scheme", severity: .warning,
                                             message: issue.message, tag: issue.tag))
            case .obsoleteSizeLimit:
                findings.append(DMARCFinding(code: "dmarc-uri-size-limit", severity: .info, message: issue.message,
                                             tag: issue.tag))
            case .legacyTag:
                findings.append(DMARCFinding(code: "dmarc-legacy-tag", severity: .info, message: issue.message
                    + (issue.tag == "pct" ? " Use t=y instead of pct=0 for testing (Appendix A.6)." : ""),
                    tag: issue.tag))
            case .unknownTag:
                findings.append(DMARCFinding(code: "dmarc-unknown-tag", severity: .info, message: issue.message,
                                             tag: issue.tag))
            case .failureOptionsWithoutRUF:
                findings.append(DMARCFinding(code: "dmarc-fo-without-ruf", severity: .info, message: issue.message,
                                             tag: "fo"))
            }
        }
        if record.policy == DMARCPolicy.none {
            findings.append(DMARCFinding(code: "dmarc-policy-none", severity: .info, message:
                "p=none meets the Gmail/Yahoo bulk-sender minimum, but asks receivers for no enforcement: spoofed "
                + "mail is still delivered. Move to p=quarantine, then p=reject, once reports show your mail passes.",
                tag: "p"))
        }
        if record.testing {
            findings.append(DMARCFinding(code: "dmarc-testing", severity: .info, message:
                "t=y asks receivers to apply one level less than the policy (testing mode, §4.7).", tag: "t"))
        }
        if record.aggregateReportURIs.isEmpty {
            findings.append(DMARCFinding(code: "dmarc-no-rua", severity: .info, message:
                "No usable rua= address: you will get no aggregate reports to see who sends as your domain.",
                tag: "rua"))
        }
        return findings
    }
}
