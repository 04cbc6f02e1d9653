import DKIMCore

/// The qualifier in front of a mechanism (RFC 7208 §4.6.2): the result when the mechanism matches.
public enum SPFQualifier: String, Sendable, Hashable {
    /// `+` (the default): the host is authorised.
    case pass = "+"
    /// `-`: the host is explicitly not authorised.
    case fail = "-"
    /// `~`: probably not authorised (a weak fail).
    case softfail = "~"
    /// `?`: no assertion.
    case neutral = "?"
}

/// One SPF mechanism (RFC 7208 §5) with its arguments as written.
///
/// Domain arguments are domain-specs (§7.1): they may hold macros and are expanded at evaluation time.
/// A CIDR length is nil when the record gives none (the whole address is compared).
public enum SPFMechanism: Sendable, Hashable {
    /// `all` (§5.1): always matches.
    case all
    /// `include:<domain-spec>` (§5.2): matches when the included domain's policy passes.
    case include(domain: String)
    /// `a[:<domain-spec>][/<ip4-cidr>][//<ip6-cidr>]` (§5.3).
    case a(domain: String?, ipv4Prefix: Int?, ipv6Prefix: Int?)
    /// `mx[:<domain-spec>][/<ip4-cidr>][//<ip6-cidr>]` (§5.4).
    case mx(domain: String?, ipv4Prefix: Int?, ipv6Prefix: Int?)
    /// `ptr[:<domain-spec>]` (§5.5); RFC 7208 asks senders not to use it.
    case ptr(domain: String?)
    /// `ip4:<ip4-network>[/<ip4-cidr>]` (§5.6); `address` is 4 octets.
    case ip4(address: [UInt8], prefix: Int?)
    /// `ip6:<ip6-network>[/<ip6-cidr>]` (§5.6); `address` is 16 octets.
    case ip6(address: [UInt8], prefix: Int?)
    /// `exists:<domain-spec>` (§5.7): matches when the expanded name has an A record.
    case exists(domain: String)

    /// Whether evaluating this mechanism queries DNS and counts toward the limit of 10 (§4.6.4).
    public var countsTowardDNSLimit: Bool {
        switch self {
        case .include, .a, .mx, .ptr, .exists: true
        case .all, .ip4, .ip6: false
        }
    }
}

/// A qualifier and a mechanism: one directive of a record (RFC 7208 §4.6.1).
public struct SPFDirective: Sendable, Hashable {
    /// The result when the mechanism matches.
    public var qualifier: SPFQualifier
    /// The mechanism.
    public var mechanism: SPFMechanism
    /// The term as written in the record, for messages.
    public var text: String

    /// Creates a directive.
    public init(qualifier: SPFQualifier, mechanism: SPFMechanism, text: String) {
        self.qualifier = qualifier
        self.mechanism = mechanism
        self.text = text
    }
}

/// A modifier the evaluator does not know (RFC 7208 §6: ignored, but its syntax must be valid).
public struct SPFModifier: Sendable, Hashable {
    /// The modifier name, lowercased.
    public var name: String
    /// The value (a macro-string), as written.
    public var value: String

    /// Creates a modifier.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A syntax error in an SPF record (RFC 7208 §4.6: the whole record is then a `permerror`).
public struct SPFSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The offending term as written (possibly empty when the record as a whole is wrong).
    public let term: String
    /// A human sentence naming the problem and the term.
    public let reason: String

    /// Creates an error.
    public init(term: String, reason: String) {
        self.term = term
        self.reason = reason
    }

    /// The reason.
    public var description: String { reason }
}

/// A parsed `v=spf1` record (RFC 7208 §4.5, §12).
public struct SPFRecord: Sendable, Hashable {
    /// The directives in record order.
    public var directives: [SPFDirective]
    /// `redirect=<domain-spec>` (§6.1).
    public var redirect: String?
    /// `exp=<domain-spec>` (§6.2): where the explanation for a `fail` is published.
    public var explanation: String?
    /// Other modifiers, ignored by evaluation (§6).
    public var unknownModifiers: [SPFModifier]

    /// Whether `text` starts with the version section `v=spf1` followed by a space or nothing (§4.5).
    public static func isSPFRecord(_ text: [UInt8]) -> Bool {
        let version = Array("v=spf1".utf8)
        guard text.count >= version.count else { return false }
        // §12: ABNF literal strings are case-insensitive (RFC 5234 §2.3).
        // Lowercasing letters only: OR-ing 0x20 into every byte made "v\u{1D}spf1" (0x1D | 0x20 is "=") a version.
        guard zip(text.prefix(version.count), version).allSatisfy({ ASCII.lowercased($0) == $1 }) else { return false }
        return text.count == version.count || text[version.count] == 0x20
    }

    /// Parses one record (its TXT strings already joined, RFC 7208 §3.3).
    ///
    /// - Parameter bytes: the record, starting with `v=spf1`.
    /// - Throws: ``SPFSyntaxError`` naming the first offending term (§4.6: any syntax error is a `permerror`).
    public init(parsing bytes: [UInt8]) throws(SPFSyntaxError) {
        guard Self.isSPFRecord(bytes) else {
            throw SPFSyntaxError(term: "", reason: "The record does not start with \"v=spf1\".")
        }
        var directives: [SPFDirective] = []
        var redirect: String?
        var explanation: String?
        var modifiers: [SPFModifier] = []
        // §12 terms = *( 1*SP ( directive / modifier ) ); trailing spaces are allowed (§4.6.1).
        let terms = bytes.dropFirst(6).split(separator: 0x20, omittingEmptySubsequences: true)
        for term in terms {
            let text = Self.display(term)
            if let modifier = try Self.parseModifier(term, text: text) {
                switch modifier.name {
                case "redirect":
                    // §6: redirect and exp each appear at most once.
                    guard redirect == nil else {
                        throw SPFSyntaxError(term: text, reason: "\"redirect\" appears more than once (\(text)).")
                    }
                    redirect = modifier.value
                case "exp":
                    guard explanation == nil else {
                        throw SPFSyntaxError(term: text, reason: "\"exp\" appears more than once (\(text)).")
                    }
                    explanation = modifier.value
                default:
                    modifiers.append(modifier)
                }
            } else {
                directives.append(try Self.parseDirective(term, text: text))
            }
        }
        self.directives = directives
        self.redirect = redirect
        self.explanation = explanation
        self.unknownModifiers = modifiers
    }

    /// Parses text; non-ASCII input is a syntax error.
    ///
    /// - Throws: ``SPFSyntaxError``.
    public init(parsing text: String) throws(SPFSyntaxError) {
        try self.init(parsing: Array(text.utf8))
    }

    /// The term as text for messages: printable ASCII kept, anything else shown as `\xNN`.
    static func display(_ term: ArraySlice<UInt8>) -> String {
        var text = ""
        for byte in term {
            if byte >= 0x20 && byte < 0x7F {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                text += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return text
    }


    /// §12 modifier = name "=" macro-string, name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ); nil if not one.
    static func parseModifier(_ term: ArraySlice<UInt8>, text: String) throws(SPFSyntaxError) -> SPFModifier? {
        let nameBytes = term.prefix {
            ASCII.isAlnum($0) || $0 == ASCII.hyphen || $0 == ASCII.underscore || $0 == ASCII.period
        }
        guard let first = nameBytes.first, ASCII.isAlpha(first), nameBytes.endIndex < term.endIndex,
              term[nameBytes.endIndex] == ASCII.equals else { return nil }
        let name = String(decoding: nameBytes.map { ASCII.lowercased($0) }, as: UTF8.self)
        let value = term[(nameBytes.endIndex + 1)...]
        if name == "redirect" || name == "exp" {
            if let error = SPFMacro.checkDomainSpec(value) {
                throw SPFSyntaxError(term: text, reason: Sentence.closed("The domain in \"\(text)\" \(error.reason)"))
            }
        } else if case .failure(let error) = SPFMacro.parse(value) {
            throw SPFSyntaxError(term: text,
                                 reason: Sentence.closed("The value of modifier \"\(text)\" \(error.reason)"))
        }
        return SPFModifier(name: name, value: String(decoding: value, as: UTF8.self))
    }

    /// §12 directive = [ qualifier ] mechanism.
    static func parseDirective(_ term: ArraySlice<UInt8>, text: String) throws(SPFSyntaxError) -> SPFDirective {
        var rest = term
        var qualifier = SPFQualifier.pass
        if let first = rest.first, let explicit = SPFQualifier(rawValue: String(Unicode.Scalar(first))) {
            qualifier = explicit
            rest = rest.dropFirst()
        }
        let nameBytes = rest.prefix(while: ASCII.isAlnum)
        let name = String(decoding: nameBytes.map { $0 | 0x20 }, as: UTF8.self)
        let argument = rest[nameBytes.endIndex...]
        let mechanism: SPFMechanism
        func fail(_ reason: String) -> SPFSyntaxError {
            SPFSyntaxError(term: text, reason: "\"\(text)\": \(Sentence.closed(reason))")
        }
        switch name {
        case "all":
            guard argument.isEmpty else { throw fail("\"all\" takes no argument") }
            mechanism = .all
        case "include", "exists":
            guard argument.first == ASCII.colon else { throw fail("\"\(name)\" needs \":\" and a domain") }
            let domain = argument.dropFirst()
            if let error = SPFMacro.checkDomainSpec(domain) { throw fail("the domain \(error.reason)") }
            let value = String(decoding: domain, as: UTF8.self)
            mechanism = name == "include" ? .include(domain: value) : .exists(domain: value)
        case "a", "mx":
            let (domain, v4, v6) = try parseDomainAndCIDR(argument, fail: fail)
            mechanism = name == "a" ? .a(domain: domain, ipv4Prefix: v4, ipv6Prefix: v6)
                : .mx(domain: domain, ipv4Prefix: v4, ipv6Prefix: v6)
        case "ptr":
            if argument.isEmpty {
                mechanism = .ptr(domain: nil)
            } else {
                guard argument.first == ASCII.colon else { throw fail("\"ptr\" takes only \":\" and a domain") }
                let domain = argument.dropFirst()
                if let error = SPFMacro.checkDomainSpec(domain) { throw fail("the domain \(error.reason)") }
                mechanism = .ptr(domain: String(decoding: domain, as: UTF8.self))
            }
        case "ip4", "ip6":
            guard argument.first == ASCII.colon else { throw fail("\"\(name)\" needs \":\" and an address") }
            let value = argument.dropFirst()
            let slash = value.firstIndex(of: ASCII.slash) ?? value.endIndex
            let maximum = name == "ip4" ? 32 : 128
            var prefix: Int?
            if slash < value.endIndex {
                prefix = try parseCIDR(value[(slash + 1)...], maximum: maximum, fail: fail)
            }
            if name == "ip4" {
                guard let address = SPFIPAddress.parseIPv4(value[..<slash]) else {
                    throw fail("not an IPv4 address")
                }
                mechanism = .ip4(address: address, prefix: prefix)
            } else {
                guard let address = SPFIPAddress.parseIPv6(value[..<slash]) else {
                    throw fail("not an IPv6 address")
                }
                mechanism = .ip6(address: address, prefix: prefix)
            }
        default:
            throw fail(nameBytes.isEmpty ? "not a mechanism or modifier" : "unknown mechanism \"\(name)\"")
        }
        return SPFDirective(qualifier: qualifier, mechanism: mechanism, text: text)
    }

    /// `[":" domain-spec] [dual-cidr-length]` of `a` and `mx` (§5.3, §5.4, §12).
    static func parseDomainAndCIDR(_ argument: ArraySlice<UInt8>, fail: (String) -> SPFSyntaxError)
        throws(SPFSyntaxError) -> (String?, Int?, Int?)
    {
        var rest = argument
        var domain: String?
        var cidrStart = rest.endIndex
        if rest.first == ASCII.colon {
            rest = rest.dropFirst()
            // A domain-spec may itself contain "/" (a macro-literal): the CIDR suffix is the first "/" after
            // which only "/" and digits follow (§12 dual-cidr-length).
            var index = rest.startIndex
            while index < rest.endIndex {
                if rest[index] == ASCII.slash, rest[index...].allSatisfy({ $0 == ASCII.slash || ASCII.isDigit($0) }) {
                    break
                }
                index += 1
            }
            cidrStart = index
            let spec = rest[..<index]
            if let error = SPFMacro.checkDomainSpec(spec) { throw fail("the domain \(error.reason)") }
            domain = String(decoding: spec, as: UTF8.self)
        } else if rest.first == ASCII.slash {
            cidrStart = rest.startIndex
        } else if !rest.isEmpty {
            throw fail("unexpected text after the mechanism name")
        }
        let cidr = argument[cidrStart...]
        guard !cidr.isEmpty else { return (domain, nil, nil) }
        // dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ]
        var v4: Int?
        var v6: Int?
        let body = cidr.dropFirst()
        if body.first == ASCII.slash {
            v6 = try parseCIDR(body.dropFirst(), maximum: 128, fail: fail)
        } else if let slash = body.firstIndex(of: ASCII.slash) {
            v4 = try parseCIDR(body[..<slash], maximum: 32, fail: fail)
            let after = body[(slash + 1)...]
            guard after.first == ASCII.slash else { throw fail("an IPv6 prefix length must follow \"//\"") }
            v6 = try parseCIDR(after.dropFirst(), maximum: 128, fail: fail)
        } else {
            v4 = try parseCIDR(body, maximum: 32, fail: fail)
        }
        return (domain, v4, v6)
    }

    /// §12 ip4-cidr-length / ip6-cidr-length: decimal without leading zeros, at most `maximum`.
    static func parseCIDR(_ digits: ArraySlice<UInt8>, maximum: Int, fail: (String) -> SPFSyntaxError)
        throws(SPFSyntaxError) -> Int
    {
        guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy(ASCII.isDigit),
              !(digits.count > 1 && digits.first == ASCII.zero) else {
            throw fail("a prefix length must be a number without leading zeros")
        }
        let value = digits.reduce(0) { $0 * 10 + Int($1 - ASCII.zero) }
        guard value <= maximum else { throw fail("the prefix length \(value) is more than \(maximum)") }
        return value
    }
}

/// The outcome of picking the SPF record among a domain's TXT records (RFC 7208 §4.5).
public enum SPFRecordSelection: Sendable, Hashable {
    /// No TXT record starts with `v=spf1`: the result is `none`.
    case none
    /// Exactly one record, parsed.
    case record(SPFRecord, text: String)
    /// More than one `v=spf1` record (`permerror`), with how many.
    case multiple(count: Int)
    /// The one `v=spf1` record has a syntax error (`permerror`).
    case syntaxError(SPFSyntaxError, text: String)

    /// Selects and parses the record among `records` (each record's strings joined, §3.3).
    ///
    /// - Parameter records: every TXT record at the domain.
    public static func select(from records: [DNSTXTRecord]) -> SPFRecordSelection {
        let candidates = records.map(\.joined).filter(SPFRecord.isSPFRecord)
        guard let only = candidates.first else { return .none }
        guard candidates.count == 1 else { return .multiple(count: candidates.count) }
        let text = SPFRecord.display(only[...])
        do {
            return .record(try SPFRecord(parsing: only), text: text)
        } catch {
            return .syntaxError(error, text: text)
        }
    }
}
