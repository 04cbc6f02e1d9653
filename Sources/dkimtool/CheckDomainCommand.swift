import ArgumentParser
import DKIMCore
import MailAuthRecords

/// `dkimtool check-domain`: why does mail from this domain bounce at Gmail or Yahoo?
struct CheckDomainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-domain",
        abstract: "Audit a domain's DKIM, SPF, DMARC and MX records (and a sending IP's reverse DNS) for delivery.",
        discussion: """
            Prints a checklist, problems that block delivery to Gmail and Yahoo first: each failed item says \
            what is wrong, which requirement it breaks, and the exact DNS record to publish. Without --selector, \
            common selector names are probed (default, mail, dkim, selector1, selector2, google, k1, k2, s1, s2, \
            smtp, key1, dkim1, email, mx, mta, zoho, everlytickey1). With --key, the DKIM record to publish is \
            derived from the private key. With --ip, SPF is evaluated for that sending address and its reverse \
            DNS (PTR) and forward confirmation are checked. The checks need real DNS (MX, A, PTR), so \
            --txt-records is not accepted here. Exit status: 0 nothing blocks delivery; 1 something blocks \
            delivery; 75 a DNS lookup failed temporarily (and nothing else blocks); 64 usage error; 65/66 the \
            --key file is malformed/unreadable.
            """
    )

    @Argument(help: "The domain mail is sent from (the part after @ in From).")
    var domain: String

    @Option(name: .customLong("selector"),
            help: "A DKIM selector the domain signs with (repeatable); default: probe common selector names.")
    var selectors: [String] = []

    @Option(help: "The DKIM private key the domain signs with (PEM or DER, PKCS#1 or PKCS#8).")
    var key: String?

    @Option(help: ArgumentHelp("The sending server's IP address: evaluate SPF for it and check its reverse DNS.",
                               valueName: "ADDR"))
    var ip: String?

    @Option(help: ArgumentHelp("The sending server's HELO/EHLO name (default: the domain).", valueName: "NAME"))
    var helo: String?

    @Option(help: ArgumentHelp("Ask this DNS server instead of the system's.", valueName: "HOST[:PORT]"))
    var nameserver: String?

    @Option(help: "DNS timeout in seconds for one lookup, retries included.")
    var timeout: Double = 5

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func validate() throws {
        guard DNSName.isValid(DNSName.normalized(domain)) else {
            throw ValidationError("'\(Console.printable(domain))' is not a valid domain name.")
        }
        for selector in selectors where !DNSName.isValid(selector) {
            throw ValidationError("'\(Console.printable(selector))' is not a valid selector.")
        }
        if let ip, SPFIPAddress(ip) == nil {
            throw ValidationError("'\(Console.printable(ip))' is not an IPv4 or IPv6 address.")
        }
        if let helo, !DNSName.isValid(DNSName.normalized(helo)) {
            throw ValidationError("'\(Console.printable(helo))' is not a valid HELO name.")
        }
        guard timeout > 0, timeout <= 60 else { throw ValidationError("--timeout must be between 0 and 60 seconds.") }
    }

    func run() async throws {
        let privateKey = try key.map { try InputFile.privateKey(at: $0) }
        let resolver: SystemDNSResolver
        do {
            let nameservers = try nameserver.map { [try DNSNameserver(parsing: $0)] } ?? []
            resolver = try SystemDNSResolver(options: SystemDNSResolver.Options(timeout: timeout,
                                                                               nameservers: nameservers))
        } catch let error as DKIMError {
            throw Console.fail(error.reason, SysExit.usage)
        }
        let options = DomainAuditOptions(
            selectors: selectors, privateKey: privateKey, sendingAddress: ip.flatMap(SPFIPAddress.init),
            helo: helo.map(DNSName.normalized))
        let report = await DomainAudit.run(domain: DNSName.normalized(domain), options: options, resolver: resolver)
        switch format {
        case .text: Console.out(DomainReportText.render(report))
        case .json: Console.out(try Console.json(DomainReportJSON(report)))
        }
        if report.blocksDelivery { throw SysExit.notPassed }
        if report.hasTemporaryFailure { throw SysExit.temporaryFailure }
    }
}

/// The text checklist: one line per item, then indented explanation and fix lines for what needs doing.
enum DomainReportText {
    static func marker(_ item: DomainAuditItem) -> String {
        switch item.status {
        case .fail: "[FAIL]"
        case .warning: "[WARN]"
        case .pass: "[ OK ]"
        case .info: "[INFO]"
        case .temporaryFailure: "[TEMP]"
        }
    }

    static func render(_ report: DomainAuditReport) -> String {
        let indent = "       "
        var lines: [String] = []
        for item in report.items {
            lines.append(marker(item) + " " + Console.printable(item.message))
            guard item.status != .pass else { continue }
            if item.status == .fail || item.status == .warning, let found = item.found {
                lines.append(indent + "Found: " + Console.printable(found))
            }
            if let requirement = item.requirement {
                lines.append(indent + "Why it matters: " + Console.printable(requirement))
            }
            guard let fix = item.fix else { continue }
            lines.append(indent + (item.status == .info ? "Tip: " : "Fix: ") + Console.printable(fix.action))
            if let name = fix.recordName, let type = fix.recordType, let value = fix.recordValue {
                lines.append(indent + "  Name:  " + Console.printable(name))
                lines.append(indent + "  Type:  " + Console.printable(type))
                lines.append(indent + "  Value: " + Console.printable(value))
                if type == "TXT", fix.recordStrings.count > 1 {
                    lines.append(indent + "  Zone-file form (strings of at most 255 characters):")
                    let quoted = fix.recordStrings.map { "\"" + Console.printable($0) + "\"" }
                    lines.append(indent + "    \(Console.printable(name)). IN TXT ( " + quoted[0])
                    for string in quoted.dropFirst().dropLast() { lines.append(indent + "        " + string) }
                    lines.append(indent + "        " + (quoted.last ?? "") + " )")
                }
            }
        }
        let blocking = report.items.filter(\.blocking).count
        let temporary = report.items.filter { $0.status == .temporaryFailure }.count
        let warnings = report.items.filter { $0.status == .warning }.count
        lines.append("")
        if blocking > 0 {
            lines.append("Result: \(blocking) problem\(blocking == 1 ? "" : "s") block\(blocking == 1 ? "s" : "") "
                         + "delivery of mail from \(report.domain); fix the [FAIL] items above, from the top.")
        } else if temporary > 0 {
            lines.append("Result: nothing found blocks delivery, but \(temporary) check\(temporary == 1 ? "" : "s") "
                         + "failed temporarily; run again later.")
        } else {
            lines.append("Result: nothing blocks delivery of mail from \(report.domain)"
                         + (warnings > 0 ? " (\(warnings) warning\(warnings == 1 ? "" : "s") worth fixing)." : "."))
        }
        if report.probedSelectors {
            lines.append("DKIM selectors were probed by common names; give --selector NAME to check yours.")
        }
        return lines.joined(separator: "\n")
    }
}

/// `--format json`: one object with the items.
struct DomainReportJSON: Encodable {
    struct Fix: Encodable {
        var action: String
        var recordName: String?
        var recordType: String?
        var recordValue: String?
        var recordStrings: [String]
        var zoneFile: String?
    }

    struct Item: Encodable {
        var id: String
        var area: String
        var status: String
        var blocking: Bool
        var message: String
        var requirement: String?
        var name: String?
        var found: String?
        var fix: Fix?
    }

    var domain: String
    var result: String
    var selectorsProbed: Bool
    var items: [Item]

    init(_ report: DomainAuditReport) {
        let clean = Console.printable
        domain = report.domain
        result = report.blocksDelivery ? "blocked" : report.hasTemporaryFailure ? "temporary-failure" : "pass"
        selectorsProbed = report.probedSelectors
        items = report.items.map { item in
            Item(id: item.id, area: item.area.rawValue, status: item.status.rawValue, blocking: item.blocking,
                 message: clean(item.message), requirement: item.requirement.map(clean), name: item.name.map(clean),
                 found: item.found.map(clean),
                 fix: item.fix.map { fix in
                     Fix(action: clean(fix.action), recordName: fix.recordName.map(clean),
                         recordType: fix.recordType, recordValue: fix.recordValue.map(clean),
                         recordStrings: fix.recordStrings.map(clean), zoneFile: fix.zoneFileLine.map(clean))
                 })
        }
    }
}
