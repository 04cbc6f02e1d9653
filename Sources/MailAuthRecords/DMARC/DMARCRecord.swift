// DMARC Policy Records (RFC 9989). The text used is draft-ietf-dmarc-dmarcbis-41 (April 2025), the last draft
// before RFC 9989, which keeps its section numbers: §4.7 (tags), §4.8 (formal definition), §4.10.1 (p rules).

import DKIMCore

/// A Domain Owner Assessment Policy: the `p=`, `sp=` and `np=` values (§4.7, `dmarc-request` in §4.8).
public enum DMARCPolicy: String, Sendable, Hashable, CaseIterable {
    /// No expression of preference (Monitoring Mode).
    case none
    /// Failing mail is suspicious.
    case quarantine
    /// Failing mail is not valid use of the domain.
    case reject
}

/// Identifier Alignment mode: `adkim=` and `aspf=` (§4.7, `dmarc-rors`).
public enum DMARCAlignmentMode: String, Sendable, Hashable, CaseIterable {
    /// `r`: the Organizational Domains match (the default).
    case relaxed = "r"
    /// `s`: the domains are identical.
    case strict = "s"
}

/// The `psd=` flag (§4.7, `dmarc-psd`).
public enum DMARCPSDFlag: String, Sendable, Hashable, CaseIterable {
    /// `y`: the domain is a Public Suffix Domain.
    case yes = "y"
    /// `n`: not a PSD; the domain is the Organizational Domain for itself and its subdomains.
    case no = "n"
    /// `u`: unknown (the default); the DNS Tree Walk decides.
    case unknown = "u"
}

/// One failure-reporting option of `fo=` (§4.7, `dmarc-fo`).
public enum DMARCFailureOption: String, Sendable, Hashable, CaseIterable {
    /// `0`: report when all mechanisms fail to produce an aligned pass (the default).
    case allFail = "0"
    /// `1`: report when any mechanism fails to produce an aligned pass.
    case anyFail = "1"
    /// `d`: report DKIM signatures that failed, aligned or not.
    case dkim = "d"
    /// `s`: report SPF failures, aligned or not.
    case spf = "s"
}

/// Which policy tag a message's Author Domain falls under (§4.10.1).
public enum DMARCPolicyScope: Sendable, Hashable {
    /// The Author Domain is the policy domain: `p=`.
    case policyDomain
    /// An existing subdomain of the policy domain: `sp=`, else `p=`.
    case existingSubdomain
    /// A non-existent subdomain (§3.2.13): `np=`, else `sp=`, else `p=`.
    case nonExistentSubdomain
}

/// One tag of a record as published: the name (lowercased) and the value (white space around it removed).
public struct DMARCTag: Sendable, Hashable {
    /// The tag name, lowercased (tag names are case-insensitive ABNF literals).
    public let name: String
    /// The value as written; bytes outside printable ASCII are shown as `\xNN`.
    public let value: String
}

/// Why a TXT record is not a usable DMARC Policy Record at all: receivers ignore the whole record.
public struct DMARCRecordError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable machine-readable reasons.
    public enum Code: String, Sendable, Hashable {
        /// No bytes.
        case empty = "empty-record"
        /// Longer than a DNS message can carry (65,535 octets).
        case tooLong = "record-too-long"
        /// No `v=` tag: not a DMARC record (§4.7 `v`).
        case versionMissing = "version-missing"
        /// A `v=` tag exists but is not the first tag (§4.7 `v`: "MUST be the first tag").
        case versionNotFirst = "version-not-first"
        /// The first tag is `v` but its value is not exactly `DMARC1` (case-sensitive, §4.8 `dmarc-version`).
        case versionWrongValue = "version-wrong-value"
        /// A tag name occurs twice (RFC 6376 §3.2, whose tag-value syntax §4.7 adopts: the list is invalid).
        case duplicateTag = "duplicate-tag"
    }

    /// The reason, stable for scripts and tests.
    public let code: Code
    /// The tag at fault (`v`, or the duplicated tag), when one is.
    public let tag: String?
    /// A sentence for people.
    public let reason: String

    /// `reason`.
    public var description: String { reason }
}

/// A fault in one tag of an otherwise valid record: the receiver ignores the tag's value or uses its default
/// (§4.8: "Syntax errors in the remainder of the record MUST be discarded in favor of default values").
public struct DMARCRecordIssue: Sendable, Hashable, CustomStringConvertible {
    /// Stable machine-readable kinds.
    public enum Kind: String, Sendable, Hashable {
        /// The part is not `1*ALPHA "=" 1*dmarc-value` (no `=`, empty value, control or non-ASCII bytes).
        case malformedTag = "malformed-tag"
        /// `p=` is absent.
        case missingPolicy = "missing-policy"
        /// A known tag has a value outside its grammar (§4.8, table 2).
        case invalidValue = "invalid-value"
        /// A URI in `rua=`/`ruf=` is not a valid URI or `mailto:` address.
        case invalidURI = "invalid-uri"
        /// A valid URI whose scheme receivers need not support (§4.7: only `mailto:` is mandatory).
        case unsupportedURIScheme = "unsupported-uri-scheme"
        /// A URI carries the obsolete `!size` suffix, which reporters ignore (§4.8 `obs-dmarc-uri`).
        case obsoleteSizeLimit = "obsolete-size-limit"
        /// `pct`, `rf` or `ri`: RFC 7489 tags removed by RFC 9989 (Appendix C.5.2).
        case legacyTag = "legacy-tag"
        /// A tag RFC 9989 does not define; ignored (§4.7: "unknown tags MUST be ignored").
        case unknownTag = "unknown-tag"
        /// `fo=` without `ruf=`: its content is ignored (§4.7 `fo`).
        case failureOptionsWithoutRUF = "fo-without-ruf"
    }

    /// What is wrong.
    public let kind: Kind
    /// The tag concerned, lowercased.
    public let tag: String
    /// A sentence for people, naming the tag.
    public let message: String

    /// `message`.
    public var description: String { message }
}

/// A parsed DMARC Policy Record (draft-ietf-dmarc-dmarcbis-41 §4.7–§4.8, RFC 9989).
///
/// Parsing is total: a record that is not DMARC at all (no leading `v=DMARC1`, a duplicated tag) throws
/// ``DMARCRecordError``; every other fault is an ``DMARCRecordIssue`` and the tag keeps its default, as receivers
/// do (§4.8).
public struct DMARCRecord: Sendable, Hashable {
    /// `p=` (nil when absent or invalid; see ``effectivePolicy(for:)``).
    public var policy: DMARCPolicy?
    /// `sp=` when present and valid.
    public var subdomainPolicy: DMARCPolicy?
    /// `np=` when present and valid.
    public var nonExistentSubdomainPolicy: DMARCPolicy?
    /// `adkim=`, default relaxed.
    public var dkimAlignment: DMARCAlignmentMode = .relaxed
    /// `aspf=`, default relaxed.
    public var spfAlignment: DMARCAlignmentMode = .relaxed
    /// `fo=`, default `[.allFail]`.
    public var failureOptions: [DMARCFailureOption] = [.allFail]
    /// `psd=`, default `.unknown`.
    public var psd: DMARCPSDFlag = .unknown
    /// `t=y` (testing mode); default false.
    public var testing: Bool = false
    /// The syntactically valid URIs of `rua=`, in order.
    public var aggregateReportURIs: [DMARCReportURI] = []
    /// The syntactically valid URIs of `ruf=`, in order.
    public var failureReportURIs: [DMARCReportURI] = []
    /// Every tag as published, in order (`v` first).
    public var tags: [DMARCTag] = []
    /// Faults in single tags, in record order.
    public var issues: [DMARCRecordIssue] = []
    /// Whether `p=` was present but `sp=` or `np=` held an invalid value (§4.10.1 treats that like a bad `p`).
    public var hasInvalidSubdomainPolicy: Bool = false

    /// The largest record accepted: a DNS message (and so a TXT record) cannot be longer.
    public static let maximumLength = 65_535

    /// Parses a TXT record's value (its strings already joined, §4.5).
    ///
    /// - Parameter bytes: the record, e.g. `v=DMARC1; p=none; rua=mailto:d@example.com`.
    /// - Throws: ``DMARCRecordError`` when receivers must ignore the whole record.
    public init<C: Collection<UInt8>>(parsing bytes: C) throws(DMARCRecordError) {
        let record = ArraySlice(bytes)
        guard !record.isEmpty else {
            throw DMARCRecordError(code: .empty, tag: nil, reason: "The record is empty.")
        }
        guard record.count <= Self.maximumLength else {
            throw DMARCRecordError(code: .tooLong, tag: nil,
                                   reason: "The record is \(record.count) bytes, more than a DNS answer can hold.")
        }
        try Self.checkVersion(record)
        let scanned = DMARCTagScanner.scan(record)
        var seen: Set<String> = []
        for tag in scanned where !tag.name.isEmpty {
            guard seen.insert(tag.name).inserted else {
                throw DMARCRecordError(code: .duplicateTag, tag: tag.name,
                                       reason: "The tag \"\(tag.name)\" appears more than once, so the whole record "
                                           + "is invalid (RFC 6376 §3.2).")
            }
        }
        for tag in scanned {
            tags.append(DMARCTag(name: tag.name.isEmpty ? RecordText.printable(tag.rawName) : tag.name,
                                 value: RecordText.printable(tag.value, limit: Self.maximumLength)))
            guard tag.wellFormed else {
                let shown = RecordText.printable(tag.rawName)
                let why = tag.name.isEmpty ? "is not a tag of the form name=value (a name of letters, then \"=\")"
                    : "has an empty value or one with control or non-ASCII characters"
                issues.append(DMARCRecordIssue(kind: .malformedTag, tag: tag.name.isEmpty ? shown : tag.name,
                                               message: "The part \"\(shown)\" \(why); receivers ignore it."))
                continue
            }
            apply(tag)
        }
        if !seen.contains("p") {
            issues.append(DMARCRecordIssue(kind: .missingPolicy, tag: "p", message:
                "The record has no p= tag. RFC 9989 receivers then act as if p=none only when rua= holds a valid "
                + "URI (§4.10.1); RFC 7489 receivers ignore the whole record."))
        }
        if seen.contains("fo"), failureReportURIs.isEmpty {
            issues.append(DMARCRecordIssue(kind: .failureOptionsWithoutRUF, tag: "fo", message:
                "fo= is ignored because the record has no usable ruf= (§4.7)."))
        }
    }

    /// Whether `bytes` starts with the `v=DMARC1` tag, the test §4.10 step 2 applies to each TXT record found.
    public static func isDMARCRecord<C: Collection<UInt8>>(_ bytes: C) -> Bool {
        let first = DMARCTagScanner.firstPart(ArraySlice(bytes))
        return first.name == "v" && first.wellFormed && first.value.elementsEqual("DMARC1".utf8)
    }

    /// The policy §4.10.1 has a receiver apply for `scope`, or nil when it applies no DMARC processing.
    ///
    /// Without a valid `p=`, or with an invalid `sp=`/`np=`, a record with at least one syntactically valid
    /// `rua=` URI acts as `p=none`; otherwise DMARC does not apply (§4.10.1). §4.7 `p` says a missing `p` reads as
    /// `p=none` without that condition; the stricter §4.10.1 rule is the one implemented.
    public func effectivePolicy(for scope: DMARCPolicyScope) -> DMARCPolicy? {
        guard let policy, !hasInvalidSubdomainPolicy else {
            return aggregateReportURIs.isEmpty ? nil : DMARCPolicy.none
        }
        switch scope {
        case .policyDomain: return policy
        case .existingSubdomain: return subdomainPolicy ?? policy
        case .nonExistentSubdomain: return nonExistentSubdomainPolicy ?? subdomainPolicy ?? policy
        }
    }

    // MARK: Parsing

    private static func checkVersion(_ record: ArraySlice<UInt8>) throws(DMARCRecordError) {
        let first = DMARCTagScanner.firstPart(record)
        if first.name == "v" {
            guard first.wellFormed, first.value.elementsEqual("DMARC1".utf8) else {
                throw DMARCRecordError(code: .versionWrongValue, tag: "v", reason:
                    "The v= tag is \"\(RecordText.printable(first.value))\", not exactly \"DMARC1\" (case-sensitive, "
                    + "§4.7); receivers ignore the record.")
            }
            return
        }
        if DMARCTagScanner.scan(record).contains(where: { $0.name == "v" }) {
            throw DMARCRecordError(code: .versionNotFirst, tag: "v", reason:
                "The record does not start with v=DMARC1 (§4.7: v MUST be the first tag, nothing before it); "
                + "receivers ignore the record.")
        }
        throw DMARCRecordError(code: .versionMissing, tag: "v",
                               reason: "The record has no v=DMARC1 tag, so it is not a DMARC record.")
    }

    private mutating func apply(_ tag: DMARCScannedTag) {
        let value = tag.value
        switch tag.name {
        case "v":
            break
        case "p", "sp", "np":
            guard let parsed = Self.keyword(value, DMARCPolicy.allCases) else {
                invalid(tag, "must be none, quarantine or reject")
                if tag.name != "p" { hasInvalidSubdomainPolicy = true }
                return
            }
            switch tag.name {
            case "p": policy = parsed
            case "sp": subdomainPolicy = parsed
            default: nonExistentSubdomainPolicy = parsed
            }
        case "adkim", "aspf":
            guard let parsed = Self.keyword(value, DMARCAlignmentMode.allCases) else {
                return invalid(tag, "must be r (relaxed) or s (strict); the default r applies")
            }
            if tag.name == "adkim" { dkimAlignment = parsed } else { spfAlignment = parsed }
        case "psd":
            guard let parsed = Self.keyword(value, DMARCPSDFlag.allCases) else {
                return invalid(tag, "must be y, n or u; the default u applies")
            }
            psd = parsed
        case "t":
            guard let parsed = Self.keyword(value, ["y", "n"]) else {
                return invalid(tag, "must be y or n; the default n applies")
            }
            testing = parsed == "y"
        case "fo":
            guard let options = Self.failureOptions(value) else {
                return invalid(tag, "must be 0 or 1 and/or d, s separated by colons, each at most once, "
                               + "0 and 1 not both; the default 0 applies")
            }
            failureOptions = options
        case "rua", "ruf":
            let uris = parseURIList(tag)
            if tag.name == "rua" { aggregateReportURIs = uris } else { failureReportURIs = uris }
        case "pct", "rf", "ri":
            issues.append(DMARCRecordIssue(kind: .legacyTag, tag: tag.name, message:
                "\(tag.name)=\(RecordText.printable(value)) is an RFC 7489 tag that RFC 9989 removed "
                + "(Appendix C.5.2); RFC 9989 receivers ignore it."))
        default:
            issues.append(DMARCRecordIssue(kind: .unknownTag, tag: tag.name, message:
                "\(tag.name)= is not a DMARC tag; receivers ignore it (§4.7)."))
        }
    }

    private mutating func invalid(_ tag: DMARCScannedTag, _ rule: String) {
        issues.append(DMARCRecordIssue(kind: .invalidValue, tag: tag.name, message:
            "\(tag.name)=\(RecordText.printable(tag.value)) is invalid: \(tag.name) \(rule)."))
    }

    /// `dmarc-urilist` (§4.8): URIs separated by `*WSP "," *WSP`; each bad URI is an issue and is left out.
    private mutating func parseURIList(_ tag: DMARCScannedTag) -> [DMARCReportURI] {
        var uris: [DMARCReportURI] = []
        for part in tag.value.split(separator: ASCII.comma, omittingEmptySubsequences: false) {
            let text = DMARCByte.trimWSP(part)
            switch DMARCReportURI.parse(text) {
            case .success(let uri):
                uris.append(uri)
                if !uri.isMailto {
                    issues.append(DMARCRecordIssue(kind: .unsupportedURIScheme, tag: tag.name, message:
                        "\(tag.name) URI \"\(uri.uri)\" uses the \(uri.scheme): scheme; receivers are only required "
                        + "to support mailto: (§4.7) and ignore schemes they do not support."))
                }
                if let size = uri.obsoleteSizeLimit {
                    issues.append(DMARCRecordIssue(kind: .obsoleteSizeLimit, tag: tag.name, message:
                        "\(tag.name) URI \"\(uri.uri)\" has the size limit !\(size), obsolete syntax that RFC 9989 "
                        + "reporters ignore (§4.8)."))
                }
            case .failure(let error):
                issues.append(DMARCRecordIssue(kind: .invalidURI, tag: tag.name, message:
                    "\(tag.name) URI \"\(RecordText.printable(text))\" is invalid: \(Sentence.closed(error.reason))"))
            }
        }
        return uris
    }

    private static func keyword<T: RawRepresentable>(_ value: ArraySlice<UInt8>, _ cases: [T]) -> T?
    where T.RawValue == String {
        cases.first { DMARCByte.equalsIgnoringCase(value, $0.rawValue) }
    }

    private static func keyword(_ value: ArraySlice<UInt8>, _ words: [String]) -> String? {
        words.first { DMARCByte.equalsIgnoringCase(value, $0) }
    }

    /// `dmarc-fo` (§4.8): tokens 0, 1, d, s joined by ":"; 0 and 1 exclusive; d and s at most once each.
    private static func failureOptions(_ value: ArraySlice<UInt8>) -> [DMARCFailureOption]? {
        var options: [DMARCFailureOption] = []
        for token in value.split(separator: ASCII.colon, omittingEmptySubsequences: false) {
            guard let option = keyword(token, DMARCFailureOption.allCases), !options.contains(option) else {
                return nil
            }
            options.append(option)
        }
        if options.contains(.allFail) && options.contains(.anyFail) { return nil }
        return options
    }
}
