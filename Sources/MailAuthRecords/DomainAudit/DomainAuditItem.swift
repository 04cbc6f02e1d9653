/// The part of a domain's mail setup a checklist item is about.
public enum DomainAuditArea: String, Sendable, Hashable, CaseIterable {
    /// DKIM key records (`selector._domainkey.domain`, RFC 6376).
    case dkim
    /// The SPF record (RFC 7208) and, with a sending address, its evaluation.
    case spf
    /// The DMARC record (`_dmarc.domain`, RFC 9989).
    case dmarc
    /// The domain's mail exchangers (MX, RFC 5321 §5).
    case mx
    /// The sending address's reverse DNS (PTR) and its forward confirmation.
    case ptr

    /// Checklist order among items of the same status: DKIM first.
    var rank: Int {
        switch self {
        case .dkim: 0
        case .spf: 1
        case .dmarc: 2
        case .ptr: 3
        case .mx: 4
        }
    }
}

/// The outcome of one checklist item.
public enum DomainAuditStatus: String, Sendable, Hashable, CaseIterable {
    /// Right as it is.
    case pass
    /// Wrong; ``DomainAuditItem/blocking`` says whether it stops delivery.
    case fail
    /// Worth fixing; delivery is not blocked by it.
    case warning
    /// For information.
    case info
    /// A DNS lookup failed temporarily, so this item could not be checked; run the audit again later.
    case temporaryFailure = "temporary-failure"

    /// Checklist order of non-blocking items: temporary failures, then warnings, info, passes.
    var rank: Int {
        switch self {
        case .fail: 0
        case .temporaryFailure: 1
        case .warning: 2
        case .info: 3
        case .pass: 4
        }
    }
}

/// What to do about an item: an action in words and, when a DNS record fixes it, the record itself.
public struct DomainAuditFix: Sendable, Hashable {
    /// The action, in plain words (e.g. "Publish this TXT record at mail._domainkey.example.com.").
    public let action: String
    /// The owner name of the record to publish, when the fix is a record; fully qualified, no trailing dot.
    public let recordName: String?
    /// The record type to publish (`TXT`), when the fix is a record.
    public let recordType: String?
    /// The record value as one line, the form DNS web panels ask for.
    public let recordValue: String?
    /// A TXT value split into DNS character-strings of at most 255 octets (RFC 1035 §3.3), for zone files;
    /// empty for other record types.
    public let recordStrings: [String]

    /// Creates a fix.
    ///
    /// - Parameters:
    ///   - action: what to do, in words.
    ///   - recordName: the owner name of a record to publish.
    ///   - recordType: its type, normally `TXT`.
    ///   - recordValue: its value as one line.
    ///   - recordStrings: a TXT value split in ≤ 255-octet strings; computed from `recordValue` when empty.
    public init(
        action: String, recordName: String? = nil, recordType: String? = nil, recordValue: String? = nil,
        recordStrings: [String] = []
    ) {
        self.action = action
        self.recordName = recordName
        self.recordType = recordType
        self.recordValue = recordValue
        if recordType == "TXT", recordStrings.isEmpty {
            self.recordStrings = recordValue.map(Self.split) ?? []
        } else {
            self.recordStrings = recordStrings
        }
    }

    /// A fix that publishes the TXT record `value` at `name`.
    ///
    /// - Parameters:
    ///   - name: the owner name.
    ///   - value: the value as one line.
    ///   - strings: the value in ≤ 255-octet strings, when a better split than a plain cut is known.
    ///   - action: the words before the record; default "Publish this TXT record at NAME".
    public static func publishTXT(
        name: String, value: String, strings: [String] = [], action: String? = nil
    ) -> DomainAuditFix {
        DomainAuditFix(action: action ?? "Publish this TXT record at \(name).", recordName: name,
                       recordType: "TXT", recordValue: value, recordStrings: strings)
    }

    /// The record as a zone-file line with an absolute owner name: `NAME. IN TXT ( "…" "…" )`, or
    /// `NAME. IN A 192.0.2.1` for an address; nil without a record.
    public var zoneFileLine: String? {
        guard let recordName, let recordType, let recordValue else { return nil }
        guard recordType == "TXT" else { return "\(recordName). IN \(recordType) \(recordValue)" }
        let quoted = recordStrings.map { string -> String in
            var escaped = ""
            for character in string {
                // RFC 1035 §5.1: `"` and `\` inside a quoted string are escaped.
                if character == "\"" || character == "\\" { escaped.append("\\") }
                escaped.append(character)
            }
            return "\"\(escaped)\""
        }
        return "\(recordName). IN \(recordType) ( " + quoted.joined(separator: " ") + " )"
    }

    /// Cuts `value` every 255 octets (the values here are ASCII; a cut inside a UTF-8 sequence is avoided).
    static func split(_ value: String) -> [String] {
        var strings: [String] = []
        var current = ""
        var length = 0
        for character in value {
            let size = character.utf8.count
            if length + size > 255, !current.isEmpty {
                strings.append(current)
                current = ""
                length = 0
            }
            current.append(character)
            length += size
        }
        if !current.isEmpty || strings.isEmpty { strings.append(current) }
        return strings
    }
}

/// One line of the domain checklist.
public struct DomainAuditItem: Sendable, Hashable {
    /// A stable identifier, e.g. `dkim-missing`, `spf-too-many-lookups`, `dmarc-p-missing` (see ``DomainAudit``).
    public let id: String
    /// The part of the setup concerned.
    public let area: DomainAuditArea
    /// The outcome.
    public let status: DomainAuditStatus
    /// Whether this item stops delivery to Gmail or Yahoo (for all senders or for bulk senders) until fixed.
    public let blocking: Bool
    /// What was found, in plain words.
    public let message: String
    /// The mailbox-provider requirement or standard this item breaks; nil when it breaks none.
    public let requirement: String?
    /// What to do; nil when nothing needs doing.
    public let fix: DomainAuditFix?
    /// The DNS name the item is about (e.g. `mail._domainkey.example.com`), when one is.
    public let name: String?
    /// The record found at ``name``, as published, when one was.
    public let found: String?

    /// Creates an item.
    ///
    /// - Parameters:
    ///   - id: the stable identifier.
    ///   - area: the part of the setup.
    ///   - status: the outcome.
    ///   - blocking: whether it stops delivery; only meaningful with ``DomainAuditStatus/fail``.
    ///   - message: what was found.
    ///   - requirement: the requirement it breaks.
    ///   - fix: what to do.
    ///   - name: the DNS name concerned.
    ///   - found: the record found there.
    public init(
        id: String, area: DomainAuditArea, status: DomainAuditStatus, blocking: Bool, message: String,
        requirement: String? = nil, fix: DomainAuditFix? = nil, name: String? = nil, found: String? = nil
    ) {
        self.id = id
        self.area = area
        self.status = status
        self.blocking = blocking
        self.message = message
        self.requirement = requirement
        self.fix = fix
        self.name = name
        self.found = found
    }
}

/// Requirements items cite, in plain words.
public enum DomainAuditRequirement {
    /// Gmail and Yahoo, all senders: SPF or DKIM must pass for the From domain.
    public static let spfOrDKIM =
        "Gmail and Yahoo: all senders need SPF or DKIM passing for the From domain."
    /// Gmail and Yahoo, bulk senders: DKIM and SPF and a DMARC record.
    public static let bulkSenders =
        "Bulk senders (5,000+ messages a day to Gmail): DKIM and SPF both, and a DMARC record with at least p=none."
    /// Gmail and Yahoo, bulk senders: DKIM must pass, aligned with the From domain.
    public static let bulkDKIM =
        "Bulk senders (5,000+ messages a day to Gmail): mail must carry a DKIM signature that passes for the "
        + "From domain."
    /// Gmail and Yahoo, bulk senders: a DMARC record.
    public static let bulkDMARC =
        "Bulk senders (5,000+ messages a day to Gmail): a DMARC record with at least p=none at _dmarc.<domain>."
    /// Gmail, all senders: forward-confirmed reverse DNS.
    public static let reverseDNS =
        "Gmail: all senders need a sending IP address with a PTR (reverse DNS) name that resolves back to it."
    /// RFC 7208 §4.6.4 / §3.2: SPF results must be computable.
    public static let spfValid =
        "RFC 7208: an SPF record that cannot be evaluated (permerror) counts as no SPF at all."
    /// RFC 8301 §3.2: RSA keys of at least 1024 bits, 2048 recommended.
    public static let keySize =
        "RFC 8301 §3.2: verifiers reject RSA keys under 1024 bits; signers should use 2048 bits."
}
