import DKIMCore

extension DomainAudit {
    /// SPF lint findings (``SPFLint``) and, with a sending address, its `check_host()` result as checklist items.
    static func spfItems(
        domain: String, address: SPFIPAddress?, helo: String?, resolver: some DNSQuerying
    ) async -> [DomainAuditItem] {
        async let lintReport = SPFLint.analyze(domain: domain, resolver: resolver)
        async let evaluation = evaluate(address, domain: domain, helo: helo, resolver: resolver)
        let report = await lintReport
        var items = await lintItems(report, domain: domain, address: address, resolver: resolver)
        if let address, let result = await evaluation {
            items += evaluationItems(result, address: address, domain: domain, record: report.record,
                                     hasRecordFault: items.contains { $0.blocking })
        }
        return items
    }

    /// `check_host()` for `address` with MAIL FROM `postmaster@domain` (RFC 7208 §4); nil without an address.
    private static func evaluate(
        _ address: SPFIPAddress?, domain: String, helo: String?, resolver: some DNSQuerying
    ) async -> SPFEvaluation? {
        guard let address else { return nil }
        return await SPFChecker(resolver: resolver).checkHost(
            ip: address, domain: domain, sender: "postmaster@\(domain)", helo: helo ?? domain)
    }

    /// The `ip4:`/`ip6:` term authorizing `address`.
    private static func ipTerm(_ address: SPFIPAddress) -> String {
        (address.isIPv4 ? "ip4:" : "ip6:") + address.description
    }

    /// The terms of an SPF record after `v=spf1` (split at spaces, RFC 7208 §4.6.1).
    private static func terms(_ record: String) -> [String] {
        Array(record.split(separator: " ").dropFirst().map(String.init))
    }

    /// A record for a domain that has none: its MX hosts, the sending address when known, and `~all`.
    private static func newRecord(address: SPFIPAddress?) -> String {
        (["v=spf1", "mx"] + (address.map { [ipTerm($0)] } ?? []) + ["~all"]).joined(separator: " ")
    }

    /// `record` with every `all` term given the qualifier `qualifier` (or `all` appended when there is none).
    private static func withAll(_ record: String, qualifier: String) -> String {
        var parts = terms(record).filter { term in
            !["all", "+all", "?all", "-all", "~all"].contains(term.lowercased())
        }
        // RFC 7208 §5.1: mechanisms after "all" are never tested, so "all" goes after the last mechanism,
        // before the modifiers.
        let firstModifier = parts.firstIndex { $0.contains("=") } ?? parts.endIndex
        parts.insert(qualifier + "all", at: firstModifier)
        return (["v=spf1"] + parts).joined(separator: " ")
    }

    private static func lintItems(
        _ report: SPFReport, domain: String, address: SPFIPAddress?, resolver: some DNSQuerying
    ) async -> [DomainAuditItem] {
        let requirement = DomainAuditRequirement.spfOrDKIM + " " + DomainAuditRequirement.bulkSenders
        var items: [DomainAuditItem] = []
        let topRecordCodes: Set<String> = ["spf-pass-all", "spf-neutral-all", "spf-no-all", "spf-too-many-lookups"]
        for finding in report.findings {
            var status: DomainAuditStatus
            switch finding.severity {
            case .error: status = .fail
            case .warning: status = .warning
            case .info: status = .info
            }
            var fix: DomainAuditFix?
            var itemRequirement: String? = status == .fail ? requirement : nil
            switch finding.code {
            case "spf-missing":
                fix = .publishTXT(name: domain, value: newRecord(address: address), action:
                    "Publish this TXT record at \(domain), adding an ip4:/ip6: or include: term for every other "
                    + "server or service that sends mail as \(domain).")
            case "spf-multiple":
                itemRequirement = DomainAuditRequirement.spfValid + " " + requirement
                fix = await mergedRecordFix(domain: domain, resolver: resolver)
            case "spf-pass-all":
                itemRequirement = "SPF must list only your own servers: with +all anyone passes SPF, and DMARC, as "
                    + domain + "."
                fix = report.record.map { record in
                    .publishTXT(name: domain, value: withAll(record, qualifier: "~"), action:
                        "Replace the SPF record at \(domain) with this one (~all instead of +all).")
                }
            case "spf-neutral-all", "spf-no-all":
                fix = report.record.map { record in
                    .publishTXT(name: domain, value: withAll(record, qualifier: "~"), action:
                        "Replace the SPF record at \(domain) with this one (ending in ~all, or -all once you are "
                        + "sure it lists every sender).")
                }
            case "spf-too-many-lookups":
                itemRequirement = DomainAuditRequirement.spfValid + " " + requirement
                fix = DomainAuditFix(action:
                    "Bring the DNS-querying terms down to 10: remove include:, a, mx or exists terms of services "
                    + "you no longer use, or replace them with the ip4:/ip6: ranges they stand for. The "
                    + "\(report.dnsLookupCount) counted terms: " + report.lookupChain.joined(separator: "; ") + ".")
            case "spf-include-missing", "spf-loop", "spf-syntax":
                itemRequirement = DomainAuditRequirement.spfValid + " " + requirement
                fix = DomainAuditFix(action: "Correct or remove the term named above in the SPF record at "
                    + "\(domain); until then receivers get permerror, which counts as no SPF.")
            case "spf-ptr":
                fix = DomainAuditFix(action: "Replace the ptr term with ip4:/ip6: terms (or a, mx) for the "
                    + "servers it was meant to cover.")
            case "spf-dns-error":
                status = .temporaryFailure
                itemRequirement = nil
                fix = DomainAuditFix(action: "Run the check again later; if it keeps failing, check your DNS "
                    + "servers.")
            default:
                break
            }
            items.append(DomainAuditItem(
                id: finding.code, area: .spf, status: status, blocking: status == .fail, message: finding.message,
                requirement: itemRequirement, fix: fix, name: domain,
                // Findings about an included record (ptr, syntax, missing include) name that record's domain in
                // their message; the top record is shown only with the findings that are about it.
                found: topRecordCodes.contains(finding.code) ? report.record : nil))
        }
        if let record = report.record, !items.contains(where: { $0.status != .info }) {
            items.insert(DomainAuditItem(
                id: "spf-ok", area: .spf, status: .pass, blocking: false,
                message: "\(domain) publishes a valid SPF record using \(report.dnsLookupCount) of "
                    + "\(SPFChecker.maxDNSLookups) DNS lookups.",
                name: domain, found: record), at: 0)
        }
        return items
    }

    /// One record merging the terms of several `v=spf1` records, `all` last (RFC 7208 §4.5 allows one).
    private static func mergedRecordFix(domain: String, resolver: some DNSQuerying) async -> DomainAuditFix {
        let action = "Delete the SPF records at \(domain) and publish this single record, which merges their terms; "
            + "check that it lists every server that sends your mail."
        guard case .answers(let answers) = await resolver.query(domain, type: .txt) else {
            return DomainAuditFix(action: "Merge the SPF records at \(domain) into one record starting with v=spf1.")
        }
        var merged: [String] = []
        var all: String?
        var modifiers: [String] = []
        for case .txt(let record) in answers where SPFRecord.isSPFRecord(record.joined) {
            guard let parsed = try? SPFRecord(parsing: record.joined) else { continue }
            for directive in parsed.directives {
                if case .all = directive.mechanism {
                    all = all ?? directive.text
                } else if !merged.contains(directive.text) {
                    merged.append(directive.text)
                }
            }
            if let redirect = parsed.redirect, modifiers.isEmpty { modifiers.append("redirect=\(redirect)") }
        }
        // A redirect is only followed when there is no "all" (RFC 7208 §6.1); keep one of the two.
        let tail = all.map { [$0 == "all" || $0 == "+all" ? "~all" : $0] } ?? (modifiers.isEmpty ? ["~all"] : modifiers)
        let value = (["v=spf1"] + merged + tail).joined(separator: " ")
        return .publishTXT(name: domain, value: value, action: action)
    }

    private static func evaluationItems(
        _ evaluation: SPFEvaluation, address: SPFIPAddress, domain: String, record: String?, hasRecordFault: Bool
    ) -> [DomainAuditItem] {
        let ip = address.description
        let requirement = DomainAuditRequirement.spfOrDKIM + " " + DomainAuditRequirement.bulkSenders
        switch evaluation.result {
        case .pass:
            return [DomainAuditItem(
                id: "spf-ip-pass", area: .spf, status: .pass, blocking: false,
                message: "SPF passes for mail from \(ip) as \(domain): \(evaluation.reason)", name: domain,
                found: record)]
        case .fail, .softfail, .neutral:
            let fix: DomainAuditFix
            if let record {
                var parts = terms(record)
                parts.insert(ipTerm(address), at: 0)
                fix = .publishTXT(name: domain, value: (["v=spf1"] + parts).joined(separator: " "), action:
                    "If \(ip) is your mail server, replace the SPF record at \(domain) with this one, which "
                    + "authorizes it.")
            } else {
                fix = DomainAuditFix(action: "Authorize \(ip) in the SPF record of \(domain).")
            }
            return [DomainAuditItem(
                id: "spf-ip-\(evaluation.result.rawValue)", area: .spf, status: .fail, blocking: true,
                message: "SPF gives \(evaluation.result.rawValue) for mail from \(ip) as \(domain): the record does "
                    + "not authorize this address (\(evaluation.reason)).",
                requirement: requirement, fix: fix, name: domain, found: record)]
        case .none:
            // spf-missing already says so, with its fix.
            return []
        case .permerror:
            return [DomainAuditItem(
                id: "spf-ip-permerror", area: .spf, status: .fail, blocking: true,
                message: "SPF evaluation for \(ip) ends in permerror: \(evaluation.reason)",
                requirement: DomainAuditRequirement.spfValid,
                fix: hasRecordFault ? DomainAuditFix(action: "Fix the SPF record faults listed above.")
                    : DomainAuditFix(action: "Correct the SPF record at \(domain) (and those it includes)."),
                name: domain, found: record)]
        case .temperror:
            return [DomainAuditItem(
                id: "spf-ip-temperror", area: .spf, status: .temporaryFailure, blocking: false,
                message: "SPF evaluation for \(ip) failed temporarily: \(evaluation.reason)",
                fix: DomainAuditFix(action: "Run the check again later."), name: domain, found: record)]
        }
    }
}
