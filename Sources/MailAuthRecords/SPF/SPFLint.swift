import DKIMCore

/// One problem or remark about a domain's SPF policy.
public struct SPFFinding: Sendable, Hashable {
    /// How much a finding matters.
    public enum Severity: String, Sendable, Hashable {
        /// Receivers will get `permerror`/`none`, or the policy authorises everyone.
        case error
        /// Works, but is weak, slow or discouraged.
        case warning
        /// Worth knowing; nothing to fix.
        case info
    }

    /// A stable machine-readable code, e.g. `spf-too-many-lookups`.
    public var code: String
    /// How much it matters.
    public var severity: Severity
    /// A human sentence, naming the domain and term concerned.
    public var message: String

    /// Creates a finding.
    public init(code: String, severity: Severity, message: String) {
        self.code = code
        self.severity = severity
        self.message = message
    }
}

/// What ``SPFLint/analyze(domain:resolver:)`` found.
public struct SPFReport: Sendable, Hashable {
    /// The domain analysed.
    public var domain: String
    /// The domain's own SPF record as published (nil when there is none or it could not be fetched).
    public var record: String?
    /// The DNS-querying terms counted through every include and redirect (RFC 7208 §4.6.4 allows 10).
    public var dnsLookupCount: Int
    /// Each counted term as `domain: term`, in evaluation order, so the count can be checked by hand.
    public var lookupChain: [String]
    /// Problems and remarks, most severe first.
    public var findings: [SPFFinding]
}

/// Static analysis of a domain's SPF policy, for `dkimtool check-domain`: it follows include and redirect
/// without an IP address to evaluate, so every branch is counted.
public enum SPFLint {
    /// The most records followed through include/redirect (guards against loops and huge trees).
    public static let maxRecords = 30

    /// Fetches `domain`'s SPF record and those it includes or redirects to, and reports problems.
    ///
    /// Codes: `spf-missing`, `spf-multiple`, `spf-syntax`, `spf-dns-error`, `spf-pass-all` (`+all`),
    /// `spf-neutral-all` (`?all`), `spf-no-all` (neither `all` nor `redirect`), `spf-ptr`, `spf-too-many-lookups`,
    /// `spf-include-missing`, `spf-macro-target` (a target with macros cannot be followed statically),
    /// `spf-loop`.
    /// - Parameters:
    ///   - domain: the domain to analyse.
    ///   - resolver: answers the TXT queries.
    public static func analyze(domain: String, resolver: any DNSQuerying) async -> SPFReport {
        var walk = Walk()
        let top = await walk.visit(domain, path: [], resolver: resolver, isTop: true)
        var findings = walk.findings
        if walk.chain.count > SPFChecker.maxDNSLookups {
            findings.append(SPFFinding(
                code: "spf-too-many-lookups", severity: .error,
                message: "The policy of \(domain) needs \(walk.chain.count) DNS-querying terms; RFC 7208 §4.6.4 "
                    + "allows \(SPFChecker.maxDNSLookups), so receivers return permerror."))
        }
        let order: [SPFFinding.Severity: Int] = [.error: 0, .warning: 1, .info: 2]
        findings = findings.enumerated().sorted {
            (order[$0.element.severity] ?? 3, $0.offset) < (order[$1.element.severity] ?? 3, $1.offset)
        }.map(\.element)
        return SPFReport(domain: domain, record: top, dnsLookupCount: walk.chain.count, lookupChain: walk.chain,
                         findings: findings)
    }

    struct Walk {
        var chain: [String] = []
        var findings: [SPFFinding] = []
        var visited = 0

        /// Visits one domain's record; returns its text.
        mutating func visit(_ domain: String, path: [String], resolver: any DNSQuerying, isTop: Bool) async
            -> String?
        {
            let key = domain.lowercased()
            guard !path.contains(key) else {
                findings.append(SPFFinding(code: "spf-loop", severity: .error,
                                           message: "\(domain) includes or redirects to itself through "
                                               + (path + [key]).joined(separator: " → ") + "."))
                return nil
            }
            visited += 1
            guard visited <= SPFLint.maxRecords else { return nil }
            let records: [DNSTXTRecord]
            switch await resolver.query(domain, type: .txt) {
            case .answers(let answers):
                records = answers.compactMap { if case .txt(let record) = $0 { record } else { nil } }
            case .noData, .nameNotFound:
                records = []
            case .temporaryFailure(let reason), .permanentFailure(let reason):
                findings.append(SPFFinding(code: "spf-dns-error", severity: .warning,
                                           message: "The TXT records of \(domain) could not be fetched: \(reason)"))
                return nil
            }
            let record: SPFRecord
            let text: String
            switch SPFRecordSelection.select(from: records) {
            case .none:
                findings.append(isTop
                    ? SPFFinding(code: "spf-missing", severity: .error, message: "\(domain) has no SPF record.")
                    : SPFFinding(code: "spf-include-missing", severity: .error,
                                 message: "\(domain), reached from \(path.last ?? ""), has no SPF record: "
                                     + "receivers return permerror (RFC 7208 §5.2, §6.1)."))
                return nil
            case .multiple(let count):
                findings.append(SPFFinding(code: "spf-multiple", severity: .error,
                                           message: "\(domain) publishes \(count) SPF records; RFC 7208 §4.5 "
                                               + "requires exactly one (receivers return permerror)."))
                return nil
            case .syntaxError(let error, _):
                findings.append(SPFFinding(code: "spf-syntax", severity: .error,
                                           message: "The SPF record of \(domain) is invalid: \(error.reason)"))
                return nil
            case .record(let parsed, let recordText):
                record = parsed
                text = recordText
            }
            var hasAll = false
            for directive in record.directives {
                if directive.mechanism.countsTowardDNSLimit { chain.append("\(domain): \(directive.text)") }
                switch directive.mechanism {
                case .all:
                    hasAll = true
                    if isTop && directive.qualifier == .pass {
                        findings.append(SPFFinding(code: "spf-pass-all", severity: .error,
                                                   message: "\(domain) ends with \"\(directive.text)\": every host "
                                                       + "on the Internet may send as \(domain)."))
                    } else if isTop && directive.qualifier == .neutral {
                        findings.append(SPFFinding(code: "spf-neutral-all", severity: .warning,
                                                   message: "\(domain) ends with \"?all\": unlisted hosts get "
                                                       + "neutral, which protects nothing."))
                    }
                case .ptr:
                    findings.append(SPFFinding(code: "spf-ptr", severity: .warning,
                                               message: "\(domain) uses \"\(directive.text)\"; RFC 7208 §5.5 says "
                                                   + "not to: it is slow and unreliable."))
                case .include(let target):
                    await follow(target, from: domain, path: path + [key], resolver: resolver)
                default:
                    break
                }
            }
            if let redirect = record.redirect, !hasAll {
                chain.append("\(domain): redirect=\(redirect)")
                await follow(redirect, from: domain, path: path + [key], resolver: resolver)
            }
            if isTop && !hasAll && record.redirect == nil {
                findings.append(SPFFinding(code: "spf-no-all", severity: .warning,
                                           message: "The SPF record of \(domain) has neither \"all\" nor "
                                               + "\"redirect\": unlisted hosts get neutral."))
            }
            return text
        }

        mutating func follow(_ target: String, from domain: String, path: [String], resolver: any DNSQuerying)
            async
        {
            guard !target.contains("%") else {
                findings.append(SPFFinding(code: "spf-macro-target", severity: .info,
                                           message: "\(domain) refers to \"\(target)\", which uses macros; its "
                                               + "lookups are not counted."))
                return
            }
            _ = await visit(target, path: path, resolver: resolver, isTop: false)
        }
    }
}
