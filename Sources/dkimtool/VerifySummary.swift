import DKIMCore

/// The summary of a `verify` batch: message verdicts, signatures per signing domain, top failure reasons.
///
/// Nothing in it depends on timing or order of arrival, so two runs over the same messages (an mbox and the
/// Maildir holding the same messages, say) give the same summary.
struct VerifySummary: Encodable {
    /// Messages verified plus messages that could not be read or parsed.
    var messages = 0
    /// Messages per verdict (RFC 8601 §2.7.1 values, `none` for unsigned).
    var verdicts: [String: Int] = [:]
    /// Inputs that were missing or unreadable (exit 66) and messages that could not be parsed (exit 65).
    var unreadable = 0
    var malformed = 0
    /// For each signing domain (`d=`, lowercased; `-` when unreadable), its signatures per result.
    var domains: [String: [String: Int]] = [:]
    /// Reason codes of signatures that did not pass, most frequent first (ties by name), at most ten.
    var topFailureReasons: [ReasonCount] {
        failureReasons.map { ReasonCount(reason: $0.key, count: $0.value) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.reason < $1.reason }
            .prefix(Self.topReasons).map { $0 }
    }

    private var failureReasons: [String: Int] = [:]

    static let topReasons = 10

    struct ReasonCount: Encodable, Equatable {
        var reason: String
        var count: Int
    }

    mutating func add(_ outcome: MessageVerification) {
        messages += 1
        verdicts[outcome.result.rawValue, default: 0] += 1
        for signature in outcome.signatures {
            let domain = signature.domain.map { Console.printable($0.lowercased()) } ?? "-"
            domains[domain, default: [:]][signature.result.rawValue, default: 0] += 1
            if signature.result != .pass {
                failureReasons[signature.reason?.rawValue ?? signature.result.rawValue, default: 0] += 1
            }
        }
    }

    mutating func add(_ error: any Error) {
        messages += 1
        if SysExit.code(for: error) == SysExit.inputMissing { unreadable += 1 } else { malformed += 1 }
    }

    /// The text form, printed after the per-message lines.
    func text() -> String {
        var lines = ["summary: \(messages) message\(messages == 1 ? "" : "s")"]
        var counts = DKIMResult.allCases.compactMap { result in
            verdicts[result.rawValue].map { "\(result.rawValue) \($0)" }
        }
        if unreadable > 0 { counts.append("unreadable \(unreadable)") }
        if malformed > 0 { counts.append("malformed \(malformed)") }
        lines.append("  verdicts: " + (counts.isEmpty ? "-" : counts.joined(separator: ", ")))
        for domain in domains.keys.sorted() {
            let perResult = DKIMResult.allCases.compactMap { result in
                domains[domain]?[result.rawValue].map { "\(result.rawValue) \($0)" }
            }
            lines.append("  domain \(domain): " + perResult.joined(separator: ", "))
        }
        for item in topFailureReasons {
            lines.append("  reason \(item.reason): \(item.count)")
        }
        return lines.joined(separator: "\n")
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(messages, forKey: .messages)
        try container.encode(verdicts, forKey: .verdicts)
        try container.encode(unreadable, forKey: .unreadable)
        try container.encode(malformed, forKey: .malformed)
        try container.encode(domains, forKey: .domains)
        try container.encode(topFailureReasons, forKey: .topFailureReasons)
    }

    private enum CodingKeys: String, CodingKey {
        case messages, verdicts, unreadable, malformed, domains, topFailureReasons
    }
}

/// The last JSON line of `verify --format json --summary`: `{"summary": {...}}`.
struct VerifySummaryJSON: Encodable {
    var summary: VerifySummary
}
