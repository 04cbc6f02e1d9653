import DKIMCore

/// An SPF result (RFC 7208 §2.6).
public enum SPFResult: String, Sendable, Hashable {
    /// No SPF record, or no valid domain to check (§2.6.1).
    case none
    /// The policy makes no assertion about the host (§2.6.2).
    case neutral
    /// The host is authorised (§2.6.3).
    case pass
    /// The host is not authorised (§2.6.4).
    case fail
    /// Probably not authorised (§2.6.5).
    case softfail
    /// A transient DNS error; try again later (§2.6.6).
    case temperror
    /// The published records cannot be interpreted correctly (§2.6.7).
    case permerror
}

/// The outcome of one `check_host()` evaluation.
public struct SPFEvaluation: Sendable, Hashable {
    /// The result.
    public var result: SPFResult
    /// A human sentence saying why (the matching term, the error, or that nothing matched).
    public var reason: String
    /// For `fail`: the `exp=` explanation (§6.2), or the default explanation of the options.
    public var explanation: String?
    /// How many DNS-querying terms were evaluated (§4.6.4 limits it to 10).
    public var dnsLookups: Int
}

/// Evaluates SPF policies: the `check_host()` function of RFC 7208 §4 over a DKIMCore `DNSQuerying` resolver.
///
/// - Warning: plain DNS is not authenticated; a forged answer can turn any result into `pass`.
public struct SPFChecker: Sendable {
    /// Knobs of the evaluation.
    public struct Options: Sendable {
        /// The receiving host's domain, the `r` macro of explanations (§7.3); "unknown" by default.
        public var receivingHost: String
        /// The explanation of a `fail` without a usable `exp=` (§6.2); none by default.
        public var defaultExplanation: String?
        /// Seconds since the epoch, the `t` macro of explanations (§7.3); the system clock by default.
        public var clock: @Sendable () -> Int64

        /// Creates options.
        public init(receivingHost: String = "unknown", defaultExplanation: String? = nil,
                    clock: @escaping @Sendable () -> Int64 = SystemClock.now) {
            self.receivingHost = receivingHost
            self.defaultExplanation = defaultExplanation
            self.clock = clock
        }
    }

    /// §4.6.4: at most 10 terms that cause DNS queries.
    public static let maxDNSLookups = 10
    /// §4.6.4: at most 2 lookups that return no records (NXDOMAIN or NODATA).
    public static let maxVoidLookups = 2
    /// §4.6.4: at most 10 MX names and 10 PTR names are looked at per mechanism.
    public static let maxNamesPerMechanism = 10

    /// The resolver every lookup goes through.
    public let resolver: any DNSQuerying
    /// The options in force.
    public let options: Options

    /// Creates a checker.
    ///
    /// - Parameters:
    ///   - resolver: answers the A, AAAA, MX, PTR and TXT queries.
    ///   - options: receiving host, default explanation, clock.
    public init(resolver: any DNSQuerying, options: Options = Options()) {
        self.resolver = resolver
        self.options = options
    }

    /// Checks an SMTP client the way a receiver does: the MAIL FROM identity, or `postmaster@HELO` when the
    /// reverse-path is empty (RFC 7208 §2.4).
    ///
    /// - Parameters:
    ///   - ip: the SMTP client's address.
    ///   - mailFrom: the MAIL FROM address without angle brackets; empty for a null reverse-path.
    ///   - helo: the HELO/EHLO domain.
    public func check(ip: SPFIPAddress, mailFrom: String, helo: String) async -> SPFEvaluation {
        let sender = mailFrom.isEmpty ? "postmaster@" + helo : mailFrom
        let bytes = Array(sender.utf8)
        let domain = bytes.lastIndex(of: ASCII.at).map { String(decoding: bytes[($0 + 1)...], as: UTF8.self) } ?? sender
        return await checkHost(ip: ip, domain: domain, sender: sender, helo: helo)
    }

    /// `check_host(<ip>, <domain>, <sender>)` (RFC 7208 §4).
    ///
    /// - Parameters:
    ///   - ip: the SMTP client's address.
    ///   - domain: the domain whose policy is evaluated.
    ///   - sender: the MAIL FROM or `postmaster@HELO` identity; a missing local-part reads as `postmaster` (§4.3).
    ///   - helo: the HELO/EHLO domain, the `h` macro.
    public func checkHost(ip: SPFIPAddress, domain: String, sender: String, helo: String) async -> SPFEvaluation {
        var senderBytes = Array(sender.utf8)
        var localPart: [UInt8]
        var senderDomain: [UInt8]
        if let at = senderBytes.lastIndex(of: ASCII.at) {
            localPart = Array(senderBytes[..<at])
            senderDomain = Array(senderBytes[(at + 1)...])
        } else {
            localPart = []
            senderDomain = senderBytes
        }
        // §4.3: an empty local-part reads as "postmaster".
        if localPart.isEmpty {
            localPart = Array("postmaster".utf8)
            senderBytes = localPart + [ASCII.at] + senderDomain
        }
        var context = SPFMacro.Context(
            sender: senderBytes, localPart: localPart, senderDomain: senderDomain, domain: Array(domain.utf8),
            ip: ip, helo: Array(helo.utf8), receivingHost: Array(options.receivingHost.utf8),
            timestamp: options.clock(), validatedName: nil)
        var state = State()
        let outcome = await evaluate(domain: Array(domain.utf8), context: &context, state: &state)
        return SPFEvaluation(result: outcome.result, reason: outcome.reason, explanation: outcome.explanation,
                             dnsLookups: state.dnsLookups)
    }

    // MARK: Evaluation

    struct State {
        var dnsLookups = 0
        var voidLookups = 0
    }

    struct Outcome {
        var result: SPFResult
        var reason: String
        var explanation: String?
    }

    /// Thrown inside an evaluation to end it with temperror or permerror.
    struct Abort: Error {
        var result: SPFResult
        var reason: String
    }

    /// §4.3: a domain must be a multi-label name, labels 1 to 63 octets, at most 253 octets in all.
    static func isValidDomain(_ name: [UInt8]) -> Bool {
        var bytes = name
        if bytes.last == ASCII.period { bytes.removeLast() }
        guard !bytes.isEmpty, bytes.count <= 253, bytes.contains(ASCII.period) else { return false }
        for label in bytes.split(separator: ASCII.period, omittingEmptySubsequences: false) {
            guard !label.isEmpty, label.count <= 63 else { return false }
        }
        return true
    }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// check_host() for one domain: §4.3 to §4.7.
    func evaluate(domain: [UInt8], context: inout SPFMacro.Context, state: inout State) async -> Outcome {
        let name = Self.text(domain)
        guard Self.isValidDomain(domain) else {
            return Outcome(result: .none, reason: "\"\(name)\" is not a valid domain name (RFC 7208 §4.3).")
        }
        context.domain = domain
        // §4.4: the TXT records of the domain.
        let records: [DNSTXTRecord]
        switch await resolver.query(name, type: .txt) {
        case .answers(let answers):
            records = answers.compactMap { if case .txt(let record) = $0 { record } else { nil } }
        case .noData, .nameNotFound:
            return Outcome(result: .none, reason: "\(name) has no SPF record.")
        case .temporaryFailure(let reason):
            return Outcome(result: .temperror, reason: "The SPF record of \(name) could not be fetched: \(reason)")
        case .permanentFailure(let reason):
            // §4.4: a DNS error other than a timeout or SERVFAIL is still "temperror".
            return Outcome(result: .temperror, reason: "The SPF record of \(name) could not be fetched: \(reason)")
        }
        let record: SPFRecord
        switch SPFRecordSelection.select(from: records) {
        case .none:
            return Outcome(result: .none, reason: "\(name) has no SPF record.")
        case .multiple(let count):
            return Outcome(result: .permerror, reason: "\(name) publishes \(count) SPF records (RFC 7208 §4.5).")
        case .syntaxError(let error, _):
            return Outcome(result: .permerror, reason: "The SPF record of \(name) is invalid: \(error.reason)")
        case .record(let parsed, _):
            record = parsed
        }

        do {
            for directive in record.directives {
                if directive.mechanism.countsTowardDNSLimit { try count(&state) }
                guard try await matches(directive.mechanism, context: &context, state: &state) else { continue }
                let result: SPFResult = switch directive.qualifier {
                case .pass: .pass
                case .fail: .fail
                case .softfail: .softfail
                case .neutral: .neutral
                }
                var explanation: String?
                if result == .fail {
                    explanation = await explain(record, context: &context) ?? options.defaultExplanation
                }
                return Outcome(result: result, reason: "\(name) matched \"\(directive.text)\".",
                               explanation: explanation)
            }
            // §6.1: redirect applies when no mechanism matched (and it is ignored next to "all", §5.1).
            if let redirect = record.redirect, !record.directives.contains(where: { $0.mechanism == .all }) {
                try count(&state)
                let target = try await expandDomain(redirect, context: &context)
                var inner = await evaluate(domain: target, context: &context, state: &state)
                context.domain = domain
                if inner.result == .none {
                    inner = Outcome(result: .permerror,
                                    reason: "redirect=\(Self.text(target)) has no SPF record (RFC 7208 §6.1).")
                }
                return inner
            }
            return Outcome(result: .neutral, reason: "Nothing in the SPF record of \(name) matched (RFC 7208 §4.7).")
        } catch {
            return Outcome(result: error.result, reason: error.reason)
        }
    }

    func count(_ state: inout State) throws(Abort) {
        state.dnsLookups += 1
        guard state.dnsLookups <= Self.maxDNSLookups else {
            throw Abort(result: .permerror,
                        reason: "More than \(Self.maxDNSLookups) DNS-querying terms (RFC 7208 §4.6.4).")
        }
    }

    func countVoid(_ state: inout State) throws(Abort) {
        state.voidLookups += 1
        guard state.voidLookups <= Self.maxVoidLookups else {
            throw Abort(result: .permerror, reason: "More than \(Self.maxVoidLookups) DNS lookups returned nothing "
                        + "(RFC 7208 §4.6.4).")
        }
    }

    /// Expands a domain-spec (§7.3) and shortens it to 253 octets by dropping labels on the left (§7.3).
    func expandDomain(_ spec: String, context: inout SPFMacro.Context) async throws(Abort) -> [UInt8] {
        guard case .success(let parts) = SPFMacro.parse(Array(spec.utf8)[...]) else {
            throw Abort(result: .permerror, reason: "The domain-spec \"\(spec)\" is invalid.")
        }
        if SPFMacro.uses(UInt8(ascii: "p"), parts), context.validatedName == nil {
            context.validatedName = await validatedName(context.ip, domain: context.domain)
        }
        var expanded = SPFMacro.expand(parts, context)
        if expanded.last == ASCII.period { expanded.removeLast() }
        while expanded.count > 253, let dot = expanded.firstIndex(of: ASCII.period) {
            expanded.removeSubrange(...dot)
        }
        return expanded
    }

    func matches(_ mechanism: SPFMechanism, context: inout SPFMacro.Context, state: inout State)
        async throws(Abort) -> Bool
    {
        let ip = context.ip
        switch mechanism {
        case .all:
            return true
        case .ip4(let address, let prefix):
            return ip.isIPv4 && ip.matches(address, prefix: prefix ?? 32)
        case .ip6(let address, let prefix):
            return !ip.isIPv4 && ip.matches(address, prefix: prefix ?? 128)
        case .include(let spec):
            // §5.2: the included policy's result decides whether this mechanism matches.
            let target = try await expandDomain(spec, context: &context)
            let saved = context.domain
            let inner = await evaluate(domain: target, context: &context, state: &state)
            context.domain = saved
            switch inner.result {
            case .pass: return true
            case .fail, .softfail, .neutral: return false
            case .temperror: throw Abort(result: .temperror, reason: inner.reason)
            case .permerror: throw Abort(result: .permerror, reason: inner.reason)
            case .none:
                throw Abort(result: .permerror,
                            reason: "include:\(Self.text(target)) has no SPF record (RFC 7208 §5.2).")
            }
        case .a(let spec, let v4, let v6):
            let target = try await targetName(spec, context: &context)
            return try await addressMatch(target, v4: v4, v6: v6, ip: ip, state: &state, countsVoid: true)
        case .mx(let spec, let v4, let v6):
            let target = try await targetName(spec, context: &context)
            let exchanges: [String]
            switch await resolver.query(Self.text(target), type: .mx) {
            case .answers(let records):
                exchanges = records.compactMap { if case .mx(_, let exchange) = $0 { exchange } else { nil } }
            case .noData, .nameNotFound:
                try countVoid(&state)
                return false
            case .temporaryFailure(let reason), .permanentFailure(let reason):
                throw Abort(result: .temperror, reason: "MX lookup of \(Self.text(target)) failed: \(reason)")
            }
            // §4.6.4: more than 10 MX names is a permerror.
            guard exchanges.count <= Self.maxNamesPerMechanism else {
                throw Abort(result: .permerror, reason: "\(Self.text(target)) has more than "
                            + "\(Self.maxNamesPerMechanism) MX records (RFC 7208 §4.6.4).")
            }
            for exchange in exchanges where !exchange.isEmpty {
                if try await addressMatch(Array(exchange.utf8), v4: v4, v6: v6, ip: ip, state: &state,
                                          countsVoid: false) {
                    return true
                }
            }
            return false
        case .ptr(let spec):
            let target = try await targetName(spec, context: &context)
            let names = await validatedNames(ip)
            let wanted = target.map(ASCII.lowercased)
            return names.contains { Self.isSubdomain($0, of: wanted) }
        case .exists(let spec):
            let target = try await expandDomain(spec, context: &context)
            // §5.7: always an A query, whatever the client's address family.
            switch await resolver.query(Self.text(target), type: .a) {
            case .answers(let records): return !records.isEmpty
            case .noData, .nameNotFound:
                try countVoid(&state)
                return false
            case .temporaryFailure(let reason), .permanentFailure(let reason):
                throw Abort(result: .temperror, reason: "exists lookup of \(Self.text(target)) failed: \(reason)")
            }
        }
    }

    /// The expanded domain-spec, or the current domain when the mechanism has none.
    func targetName(_ spec: String?, context: inout SPFMacro.Context) async throws(Abort) -> [UInt8] {
        guard let spec else { return context.domain }
        return try await expandDomain(spec, context: &context)
    }

    /// Whether `name` is `parent` or a name under it (both lowercased).
    static func isSubdomain(_ name: [UInt8], of parent: [UInt8]) -> Bool {
        if name == parent { return true }
        guard name.count > parent.count else { return false }
        return name[name.count - parent.count - 1] == ASCII.period && Array(name.suffix(parent.count)) == parent
    }


    /// §5.3: the A or AAAA records of `name` (by the client's family) compared under the CIDR length.
    func addressMatch(_ name: [UInt8], v4: Int?, v6: Int?, ip: SPFIPAddress, state: inout State, countsVoid: Bool)
        async throws(Abort) -> Bool
    {
        guard Self.isValidDomain(name) else {
            // §4.3 applies to target names too: a malformed name cannot have addresses.
            if countsVoid { try countVoid(&state) }
            return false
        }
        switch await resolver.query(Self.text(name), type: ip.isIPv4 ? .a : .aaaa) {
        case .answers(let records):
            let prefix = ip.isIPv4 ? (v4 ?? 32) : (v6 ?? 128)
            return records.contains { record in
                switch record {
                case .a(let octets), .aaaa(let octets): ip.matches(octets, prefix: prefix)
                default: false
                }
            }
        case .noData, .nameNotFound:
            if countsVoid { try countVoid(&state) }
            return false
        case .temporaryFailure(let reason), .permanentFailure(let reason):
            throw Abort(result: .temperror, reason: "Address lookup of \(Self.text(name)) failed: \(reason)")
        }
    }

    /// §5.5: the PTR names of `ip` whose own A/AAAA records include `ip` (at most 10 names are looked at).
    func validatedNames(_ ip: SPFIPAddress) async -> [[UInt8]] {
        var reverse = SPFMacro.letterValue(UInt8(ascii: "i"), SPFMacro.Context(
            sender: [], localPart: [], senderDomain: [], domain: [], ip: ip, helo: [], receivingHost: [],
            timestamp: 0))
        reverse = SPFMacro.transform(reverse, keep: nil, reverse: true, delimiters: [])
        reverse += Array((ip.isIPv4 ? ".in-addr.arpa" : ".ip6.arpa").utf8)
        guard case .answers(let records) = await resolver.query(Self.text(reverse), type: .ptr) else { return [] }
        var validated: [[UInt8]] = []
        for record in records.prefix(Self.maxNamesPerMechanism) {
            guard case .ptr(let name) = record else { continue }
            var bytes = Array(name.utf8).map(ASCII.lowercased)
            if bytes.last == ASCII.period { bytes.removeLast() }
            guard Self.isValidDomain(bytes) else { continue }
            // §5.5: a DNS error on one name skips that name.
            guard case .answers(let addresses) = await resolver.query(name, type: ip.isIPv4 ? .a : .aaaa) else {
                continue
            }
            if addresses.contains(where: { record in
                switch record {
                case .a(let octets), .aaaa(let octets): octets == ip.octets
                default: false
                }
            }) {
                validated.append(bytes)
            }
        }
        return validated
    }

    /// The `p` macro (§7.3): a validated name equal to or under `domain` if there is one, else the first, else nil.
    func validatedName(_ ip: SPFIPAddress, domain: [UInt8]) async -> [UInt8]? {
        let names = await validatedNames(ip)
        let wanted = domain.map(ASCII.lowercased)
        return names.first { Self.isSubdomain($0, of: wanted) } ?? names.first
    }

    /// §6.2: the explanation of a `fail`, or nil when there is none or it cannot be used.
    func explain(_ record: SPFRecord, context: inout SPFMacro.Context) async -> String? {
        guard let spec = record.explanation,
              let target = try? await expandDomain(spec, context: &context),
              Self.isValidDomain(target),
              case .answers(let answers) = await resolver.query(Self.text(target), type: .txt) else { return nil }
        let texts = answers.compactMap { if case .txt(let record) = $0 { record.joined } else { nil } }
        guard texts.count == 1, let text = texts.first,
              case .success(let parts) = SPFMacro.parse(text[...], explanation: true) else { return nil }
        if SPFMacro.uses(UInt8(ascii: "p"), parts), context.validatedName == nil {
            context.validatedName = await validatedName(context.ip, domain: context.domain)
        }
        let expanded = SPFMacro.expand(parts, context)
        guard expanded.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
        return Self.text(expanded)
    }
}
