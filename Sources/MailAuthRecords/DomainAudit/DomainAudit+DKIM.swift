import DKIMCore

extension DomainAudit {
    /// The DKIM items and the selector checks behind them.
    struct DKIMPart {
        var items: [DomainAuditItem] = []
        var checks: [DKIMSelectorCheck] = []
    }

    /// Findings of the key-record lint that do not stop verification: the record works, it should be improved.
    private static let warningCodes: Set<String> = [
        KeyRecordWarning.Code.keyUnder2048Bits.rawValue, KeyRecordWarning.Code.unsplitLongString.rawValue,
        KeyRecordWarning.Code.testingFlag.rawValue, KeyRecordWarning.Code.whitespaceInKey.rawValue,
    ]

    static func dkimItems(
        domain: String, options: DomainAuditOptions, resolver: some DKIMKeyResolver
    ) async -> (DKIMPart, Bool) {
        let probing = options.selectors.isEmpty
        let selectors = probing ? commonSelectors : options.selectors
        // Without a given selector the key cannot be attributed to one, so it is compared after the probe.
        let key = probing ? nil : options.privateKey
        var checks: [DKIMSelectorCheck] = []
        await withTaskGroup(of: (Int, DKIMSelectorCheck).self) { group in
            for (index, selector) in selectors.enumerated() {
                group.addTask {
                    (index, await DKIMSelectorCheck.run(selector: selector, domain: domain, resolver: resolver,
                                                        privateKey: key))
                }
            }
            var found: [(Int, DKIMSelectorCheck)] = []
            for await result in group { found.append(result) }
            checks = found.sorted { $0.0 < $1.0 }.map(\.1)
        }
        var part = DKIMPart()
        if probing {
            let published = checks.filter { !$0.faults.contains { $0.code == "no-record" } }
            part.checks = published
            for check in published where check.status != .temporaryFailure {
                part.items += selectorItems(check, selector: selectorName(check.name, domain: domain),
                                            domain: domain, privateKey: nil)
            }
            let usable = published.filter { $0.status == .ok }
            if let privateKey = options.privateKey, !usable.isEmpty,
               !usable.contains(where: { $0.publishedKey == privateKey.publicKey }) {
                let name = "\(suggestedSelector)._domainkey.\(domain)"
                part.items.append(DomainAuditItem(
                    id: "dkim-key-not-published", area: .dkim, status: .fail, blocking: true,
                    message: "None of the DKIM selectors found ("
                        + usable.map { selectorName($0.name, domain: domain) }.joined(separator: ", ")
                        + ") publishes the public half of the given private key; mail signed with it fails DKIM.",
                    requirement: DomainAuditRequirement.spfOrDKIM + " " + DomainAuditRequirement.bulkDKIM,
                    fix: publishFix(name: name, selector: suggestedSelector, domain: domain,
                                    privateKey: privateKey, configure: true),
                    name: name))
            }
            if published.isEmpty || published.allSatisfy({ $0.status == .temporaryFailure }) {
                if let failed = checks.first(where: { $0.status == .temporaryFailure }) {
                    part.items.append(temporaryItem(failed))
                } else {
                    let name = "\(suggestedSelector)._domainkey.\(domain)"
                    part.items.append(DomainAuditItem(
                        id: "dkim-none-found", area: .dkim, status: .fail, blocking: true,
                        message: "No DKIM key record found for \(domain) under the common selectors ("
                            + commonSelectors.joined(separator: ", ") + "). If your mail server signs with another "
                            + "selector, run the check again with --selector NAME.",
                        requirement: DomainAuditRequirement.spfOrDKIM + " " + DomainAuditRequirement.bulkDKIM,
                        fix: publishFix(name: name, selector: suggestedSelector, domain: domain,
                                        privateKey: options.privateKey, configure: true),
                        name: name))
                }
            } else {
                for check in published where check.status == .temporaryFailure {
                    part.items.append(temporaryItem(check))
                }
            }
        } else {
            part.checks = checks
            for (selector, check) in zip(selectors, checks) {
                if check.status == .temporaryFailure {
                    part.items.append(temporaryItem(check))
                } else {
                    part.items += selectorItems(check, selector: selector, domain: domain,
                                                privateKey: options.privateKey)
                }
            }
        }
        return (part, probing)
    }

    private static func selectorName(_ name: String, domain: String) -> String {
        String(name.prefix(while: { $0 != "." }))
    }

    private static func temporaryItem(_ check: DKIMSelectorCheck) -> DomainAuditItem {
        DomainAuditItem(
            id: "dkim-dns-temporary-failure", area: .dkim, status: .temporaryFailure, blocking: false,
            message: check.faults.first?.message ?? "The lookup of \(check.name) failed temporarily.",
            fix: DomainAuditFix(action: "Run the check again later; if it keeps failing, check your DNS servers."),
            name: check.name)
    }

    /// The record to publish for `privateKey`, or how to make one.
    static func publishFix(
        name: String, selector: String, domain: String, privateKey: DKIMPrivateKey?, configure: Bool = false
    ) -> DomainAuditFix {
        if let privateKey, let record = try? DKIMKeyRecord(publicKey: privateKey.publicKey) {
            let action = "Publish this TXT record at \(name) (one record; its value may be split into strings "
                + "of at most 255 characters, which receivers join)."
                + (configure ? " Then make sure your mail server signs with selector \(selector) and this key." : "")
            return .publishTXT(name: name, value: record.oneLineValue, strings: record.txtStrings(), action: action)
        }
        return DomainAuditFix(action:
            "If your mail server already signs with selector \(selector), publish the public half of its key: "
            + "`dkimtool record --key FILE` prints the record (or run this check with --key FILE). Otherwise run "
            + "`dkimtool keygen --domain \(domain) --selector \(selector)`, publish the TXT record it prints at "
            + "\(name), and configure your mail server to sign with the new private key.")
    }

    /// The items of one selector that was looked up (not a temporary failure).
    private static func selectorItems(
        _ check: DKIMSelectorCheck, selector: String, domain: String, privateKey: DKIMPrivateKey?
    ) -> [DomainAuditItem] {
        let name = check.name
        let requirement = DomainAuditRequirement.spfOrDKIM + " " + DomainAuditRequirement.bulkDKIM
        var items: [DomainAuditItem] = []
        for fault in check.faults {
            let id = "dkim-" + fault.code
            switch fault.code {
            case "no-record":
                items.append(DomainAuditItem(
                    id: "dkim-missing", area: .dkim, status: .fail, blocking: true,
                    message: "No DKIM key record at \(name): receivers cannot verify the signatures made with "
                        + "selector \(selector), so DKIM fails for every message signed with it.",
                    requirement: requirement,
                    fix: publishFix(name: name, selector: selector, domain: domain, privateKey: privateKey),
                    name: name))
            case "several-key-records":
                items.append(DomainAuditItem(
                    id: id, area: .dkim, status: .fail, blocking: true, message: fault.message,
                    requirement: requirement,
                    fix: privateKey == nil
                        ? DomainAuditFix(action: "Delete every TXT record at \(name) except the one whose key your "
                            + "mail server signs with.")
                        : publishFix(name: name, selector: selector, domain: domain, privateKey: privateKey),
                    name: name))
            case "split-into-records":
                items.append(DomainAuditItem(
                    id: id, area: .dkim, status: .fail, blocking: true, message: fault.message,
                    requirement: requirement,
                    fix: privateKey == nil
                        ? DomainAuditFix(action: "Delete the TXT records at \(name) and publish one record whose "
                            + "value is the pieces joined in order (a DNS panel takes it as one line).")
                        : publishFix(name: name, selector: selector, domain: domain, privateKey: privateKey),
                    name: name))
            default:
                let warning = warningCodes.contains(fault.code)
                items.append(DomainAuditItem(
                    id: id, area: .dkim, status: warning ? .warning : .fail, blocking: !warning,
                    message: "\(name): " + fault.message,
                    requirement: requirement,
                    fix: fix(code: fault.code, name: name, selector: selector, domain: domain,
                             privateKey: privateKey, record: check.record),
                    name: name, found: check.record))
            }
        }
        for warning in check.warnings {
            items.append(DomainAuditItem(
                id: "dkim-" + warning.code, area: .dkim, status: .warning, blocking: false,
                message: "\(name): " + warning.message,
                requirement: warning.code == KeyRecordWarning.Code.keyUnder2048Bits.rawValue
                    ? DomainAuditRequirement.keySize : nil,
                fix: fix(code: warning.code, name: name, selector: selector, domain: domain, privateKey: privateKey,
                         record: check.record),
                name: name, found: check.record))
        }
        if check.status == .ok {
            let key = [check.keyBits.map { "\($0)-bit" }, check.keyType].compactMap { $0 }.joined(separator: " ")
            let match = check.matchesPrivateKey == true ? ", the public half of the given private key" : ""
            items.append(DomainAuditItem(
                id: "dkim-ok", area: .dkim, status: .pass, blocking: false,
                message: "\(name) publishes a valid \(key) DKIM key\(match).", name: name, found: check.record))
        }
        return items
    }

    /// The fix for a lint finding.
    private static func fix(
        code: String, name: String, selector: String, domain: String, privateKey: DKIMPrivateKey?, record: String?
    ) -> DomainAuditFix {
        switch code {
        case KeyRecordWarning.Code.testingFlag.rawValue:
            if let record, let parsed = try? DKIMKeyRecord(parsing: Array(record.utf8)),
               let key = try? parsed.publicKey(),
               let fixed = try? DKIMKeyRecord(publicKey: key, hashAlgorithms: parsed.hashAlgorithms,
                                              serviceTypes: parsed.serviceTypes,
                                              flags: parsed.flags.filter { $0.lowercased() != "y" }) {
                return .publishTXT(name: name, value: fixed.oneLineValue, strings: fixed.txtStrings(), action:
                    "Once signing works, replace the record at \(name) with this one (t=y removed).")
            }
            return DomainAuditFix(action: "Remove t=y from the record at \(name) once signing works.")
        case KeyRecordWarning.Code.whitespaceInKey.rawValue, KeyRecordWarning.Code.quotesInValue.rawValue:
            if privateKey != nil {
                return publishFix(name: name, selector: selector, domain: domain, privateKey: privateKey)
            }
            return DomainAuditFix(action: "Republish the record at \(name) as the exact value `dkimtool record "
                + "--key FILE` prints for your signing key: no quotes, no spaces inside p=.")
        case KeyRecordWarning.Code.keyUnder2048Bits.rawValue, KeyRecordWarning.Code.keyTooSmall.rawValue:
            let newSelector = selector == suggestedSelector ? "\(selector)2048" : suggestedSelector
            return DomainAuditFix(action: "Make a 2048-bit key under a new selector: `dkimtool keygen --domain "
                + "\(domain) --selector \(newSelector) --bits 2048`, publish the record it prints, switch your "
                + "mail server to the new key and selector, and after a few days delete \(name).")
        default:
            return publishFix(name: name, selector: selector, domain: domain, privateKey: privateKey)
        }
    }
}
