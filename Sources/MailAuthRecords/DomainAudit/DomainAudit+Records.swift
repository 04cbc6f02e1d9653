import DKIMCore

// MARK: DMARC

extension DomainAudit {
    /// DMARC findings as checklist items; a `dmarc-ok` pass when nothing needs doing.
    static func dmarcItems(_ report: DMARCReport) -> [DomainAuditItem] {
        let publish = DomainAuditFix.publishTXT(
            name: report.suggestedRecordName, value: report.suggestedRecord,
            action: "Publish this TXT record at \(report.suggestedRecordName) (replacing any DMARC record there).")
        var items: [DomainAuditItem] = []
        for finding in report.findings {
            let temporary = finding.code == "dmarc-dns-failure" || finding.code == "dmarc-destination-temporary-failure"
            let status: DomainAuditStatus
            switch finding.severity {
            case _ where temporary: status = .temporaryFailure
            case .blocking: status = .fail
            case .warning: status = .warning
            case .info: status = .info
            }
            var fix: DomainAuditFix? = status == .info ? nil : publish
            var requirement: String? = status == .fail ? DomainAuditRequirement.bulkDMARC : nil
            switch finding.code {
            case _ where temporary:
                fix = DomainAuditFix(action: "Run the check again later; if it keeps failing, check your DNS servers.")
            case "dmarc-destination-unauthorized":
                requirement = "RFC 9989 §3.3: reports go to another organization only if it publishes an "
                    + "authorization record."
                if let check = report.destinations.first(where: {
                    $0.status == .unauthorized && finding.message.contains($0.uri.uri)
                }), let authorization = check.authorizationName {
                    fix = .publishTXT(name: authorization, value: "v=DMARC1;", action:
                        "Ask the administrator of \(check.destinationOrganizationalDomain ?? "the destination") to "
                        + "publish this TXT record at \(authorization), which accepts reports for "
                        + "\(report.domain). Or drop the address: publish at \(report.suggestedRecordName) the "
                        + "record \"\(report.suggestedRecord)\".")
                }
            case "dmarc-policy-none":
                fix = DomainAuditFix(action: "When the aggregate reports show your own mail passing, publish "
                    + "p=quarantine, later p=reject, at \(report.suggestedRecordName).")
            default:
                break
            }
            items.append(DomainAuditItem(
                id: finding.code, area: .dmarc, status: status, blocking: status == .fail,
                message: finding.message, requirement: requirement, fix: fix,
                name: report.suggestedRecordName, found: report.recordText))
        }
        if report.record != nil, !items.contains(where: { $0.status != .info && $0.status != .pass }) {
            items.insert(DomainAuditItem(
                id: "dmarc-ok", area: .dmarc, status: .pass, blocking: false,
                message: "\(report.policyDomain.map { "_dmarc.\($0)" } ?? report.suggestedRecordName) publishes a "
                    + "valid DMARC record" + (report.record?.policy.map { " (p=\($0.rawValue))" } ?? "") + ".",
                name: report.policyDomain.map { "_dmarc.\($0)" }, found: report.recordText), at: 0)
        }
        return items
    }
}

// MARK: MX

extension DomainAudit {
    static func mxItems(domain: String, resolver: some DNSQuerying) async -> [DomainAuditItem] {
        let requirement = "RFC 5321 §5.1: receivers check that the sender's domain can receive mail (bounces, "
            + "replies); many reject mail from a domain without MX or address records."
        let publishMX = DomainAuditFix(action: "Publish an MX record naming the server that receives your mail, "
            + "e.g. \(domain). MX 10 mail.\(domain).")
        switch await resolver.query(domain, type: .mx) {
        case .answers(let records):
            let exchanges = records.compactMap { record -> (UInt16, String)? in
                if case .mx(let preference, let exchange) = record { return (preference, exchange) }
                return nil
            }.sorted { $0 < $1 }
            // RFC 7505 §3: a single MX with an empty exchange (".") says the domain accepts no mail.
            if exchanges.count == 1, exchanges[0].1.isEmpty {
                return [DomainAuditItem(
                    id: "mx-null", area: .mx, status: .fail, blocking: true,
                    message: "\(domain) publishes a null MX (\"0 .\"): it declares that it receives no mail, and "
                        + "receivers may reject mail from it (RFC 7505 §4.2).",
                    requirement: requirement,
                    fix: DomainAuditFix(action: "Replace the null MX of \(domain) with the MX record of the server "
                        + "that receives your mail, e.g. \(domain). MX 10 mail.\(domain)."), name: domain)]
            }
            let list = exchanges.map { "\($0.1) (\($0.0))" }.joined(separator: ", ")
            return [DomainAuditItem(id: "mx-ok", area: .mx, status: .pass, blocking: false,
                                    message: "\(domain) receives mail at \(list).", name: domain)]
        case .noData:
            switch await addressLookup(domain, resolver: resolver) {
            case .some(true):
                return [DomainAuditItem(
                    id: "mx-missing", area: .mx, status: .warning, blocking: false,
                    message: "\(domain) has no MX record; mail to it goes to its address record (RFC 5321 §5.1), "
                        + "which works only if that host runs a mail server.",
                    requirement: requirement,
                    fix: publishMX, name: domain)]
            case .some(false):
                return [DomainAuditItem(
                    id: "mx-missing", area: .mx, status: .fail, blocking: true,
                    message: "\(domain) has neither an MX nor an address record: it cannot receive bounces or "
                        + "replies, and receivers reject mail from such domains.",
                    requirement: requirement,
                    fix: publishMX, name: domain)]
            case .none:
                return [mxTemporary(domain)]
            }
        case .nameNotFound:
            return [DomainAuditItem(
                id: "mx-domain-not-found", area: .mx, status: .fail, blocking: true,
                message: "\(domain) does not exist in DNS (NXDOMAIN): receivers reject mail from it.",
                requirement: requirement,
                fix: DomainAuditFix(action: "Check the domain's spelling and that its zone is delegated to your DNS "
                    + "provider (its NS records at the registrar)."), name: domain)]
        case .temporaryFailure:
            return [mxTemporary(domain)]
        case .permanentFailure(let why):
            return [DomainAuditItem(
                id: "mx-dns-failure", area: .mx, status: .warning, blocking: false,
                message: "The MX lookup of \(domain) failed: \(why)", requirement: requirement,
                fix: DomainAuditFix(action: "Check the domain's DNS servers answer MX queries correctly."),
                name: domain)]
        }
    }

    private static func mxTemporary(_ domain: String) -> DomainAuditItem {
        DomainAuditItem(id: "mx-dns-temporary-failure", area: .mx, status: .temporaryFailure, blocking: false,
                        message: "The MX lookup of \(domain) failed temporarily.",
                        fix: DomainAuditFix(action: "Run the check again later."), name: domain)
    }

    /// Whether `name` has an A or AAAA record; nil on a temporary failure.
    private static func addressLookup(_ name: String, resolver: some DNSQuerying) async -> Bool? {
        var temporary = false
        for type in [DNSRecordType.a, .aaaa] {
            switch await resolver.query(name, type: type) {
            case .answers(let records) where !records.isEmpty: return true
            case .temporaryFailure: temporary = true
            default: continue
            }
        }
        return temporary ? nil : false
    }
}

// MARK: PTR

extension DomainAudit {
    /// The reverse lookup name of an address (RFC 1035 §3.5 `in-addr.arpa`, RFC 3596 §2.5 `ip6.arpa`).
    static func reverseName(_ octets: [UInt8]) -> String {
        if octets.count == 4 {
            return octets.reversed().map { String($0) }.joined(separator: ".") + ".in-addr.arpa"
        }
        var nibbles: [String] = []
        for octet in octets.reversed() {
            nibbles.append(String(octet & 0x0F, radix: 16))
            nibbles.append(String(octet >> 4, radix: 16))
        }
        return nibbles.joined(separator: ".") + ".ip6.arpa"
    }

    /// The address in text (dotted quad, or full IPv6 groups without compression).
    static func addressText(_ octets: [UInt8]) -> String {
        if octets.count == 4 { return octets.map { String($0) }.joined(separator: ".") }
        return stride(from: 0, to: octets.count, by: 2).map {
            String(UInt16(octets[$0]) << 8 | UInt16(octets[$0 + 1]), radix: 16)
        }.joined(separator: ":")
    }

    static func ptrItems(
        address: [UInt8]?, helo: String?, domain: String, resolver: some DNSQuerying
    ) async -> [DomainAuditItem] {
        guard let address, address.count == 4 || address.count == 16 else { return [] }
        let ip = addressText(address)
        let reverse = reverseName(address)
        let type: DNSRecordType = address.count == 4 ? .a : .aaaa
        let suggestedHost = helo ?? "mail.\(domain)"
        let missingFix = DomainAuditFix(
            action: "Ask whoever runs \(ip) (your hosting provider or ISP; only they can change its reverse DNS) to "
                + "set its PTR record to \(suggestedHost), and publish this address record so the name resolves "
                + "back to \(ip). Use the same name as your server's HELO.",
            recordName: suggestedHost, recordType: type == .a ? "A" : "AAAA", recordValue: ip)
        func temporary(_ what: String) -> DomainAuditItem {
            DomainAuditItem(id: "ptr-dns-temporary-failure", area: .ptr, status: .temporaryFailure, blocking: false,
                            message: "The lookup of \(what) failed temporarily.",
                            fix: DomainAuditFix(action: "Run the check again later."), name: reverse)
        }
        let names: [String]
        switch await resolver.query(reverse, type: .ptr) {
        case .answers(let records):
            names = records.compactMap { record -> String? in
                if case .ptr(let name) = record { return name }
                return nil
            }
        case .noData, .nameNotFound, .permanentFailure:
            names = []
        case .temporaryFailure:
            return [temporary(reverse)]
        }
        guard !names.isEmpty else {
            return [DomainAuditItem(
                id: "ptr-missing", area: .ptr, status: .fail, blocking: true,
                message: "The sending address \(ip) has no reverse DNS (no PTR record at \(reverse)).",
                requirement: DomainAuditRequirement.reverseDNS, fix: missingFix, name: reverse)]
        }
        // Forward confirmation: one of the PTR names (at most 10, as RFC 7208 §5.5 limits) resolves back to the IP.
        var sawTemporary = false
        for name in names.prefix(10) {
            switch await resolver.query(name, type: type) {
            case .answers(let records):
                let matches = records.contains { record in
                    switch record {
                    case .a(let octets), .aaaa(let octets): return octets == address
                    default: return false
                    }
                }
                if matches {
                    return [DomainAuditItem(
                        id: "ptr-ok", area: .ptr, status: .pass, blocking: false,
                        message: "\(ip) has reverse DNS \(name), which resolves back to \(ip).", name: reverse,
                        found: name)]
                }
            case .temporaryFailure:
                sawTemporary = true
            default:
                continue
            }
        }
        if sawTemporary { return [temporary("the PTR names of \(ip)")] }
        let shown = names.prefix(10).joined(separator: ", ")
        return [DomainAuditItem(
            id: "ptr-not-confirmed", area: .ptr, status: .fail, blocking: true,
            message: "The reverse DNS of \(ip) is \(shown), but no such name resolves back to \(ip) "
                + "(no forward confirmation).",
            requirement: DomainAuditRequirement.reverseDNS,
            fix: DomainAuditFix(
                action: "Publish this address record for \(names[0]) so the name resolves back to \(ip) (or have "
                    + "the PTR of \(ip) changed to a name that does).",
                recordName: names[0], recordType: type == .a ? "A" : "AAAA", recordValue: ip),
            name: reverse, found: shown)]
    }
}
