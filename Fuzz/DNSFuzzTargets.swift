// Fuzz targets for the inputs that arrive from DNS: wire-format answers, SPF records and policies, DMARC records and
// the DMARC tree walk. Dispatched from FuzzTargets.swift; built by Fuzz/build.

#if canImport(Glibc)
import Glibc
#endif
@testable import DKIMCore
@testable import MailAuthRecords

extension FuzzTargets {
    static let recordTypes: [DNSRecordType] = [.a, .aaaa, .mx, .ptr, .txt]

    /// `DNSResponse(parsing:queryName:type:)`: byte 0 picks the type (bits 0–2) and whether the query name comes from
    /// the input (bit 3: byte 1 is its length, then the name) or is `example.com`; the rest is the message. A parsed
    /// answer must hold only records of the asked type with well-formed data, and its records, encoded again into a
    /// fresh answer, must parse back to the same records.
    static func dnsResponse(_ input: [UInt8]) {
        guard let first = input.first else { return }
        let type = recordTypes[Int(first & 7) % recordTypes.count]
        var rest = input[1...]
        var queryName = "example.com"
        if first & 8 != 0, let length = rest.first {
            let nameEnd = min(rest.startIndex + 1 + Int(length), rest.endIndex)
            let bytes = rest[(rest.startIndex + 1)..<nameEnd].map(ASCII.lowercased)
            queryName = String(decoding: bytes.filter { $0 > 0x20 && $0 < 0x7F }, as: UTF8.self)
            rest = rest[nameEnd...]
        }
        let message = Array(rest)
        guard let response = try? DNSResponse(parsing: message, queryName: queryName, type: type) else { return }
        check(DNSResponse.peekID(message) == response.id, "peekID disagrees with the parsed ID")
        if response.truncated || response.rcode != DNSResponse.RCode.noError {
            check(response.records.isEmpty, "records kept from a truncated or failed answer")
        }
        for record in response.records {
            check(record.recordType == type, "a record of another type than asked")
            switch record {
            case .a(let octets): check(octets.count == 4, "A record of \(octets.count) octets")
            case .aaaa(let octets): check(octets.count == 16, "AAAA record of \(octets.count) octets")
            case .mx(_, let name), .ptr(let name):
                check(name.utf8.count <= 255, "name longer than 255 octets")
                check(name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && !($0 >= 0x41 && $0 <= 0x5A) },
                      "name not lowercase printable ASCII")
            case .txt(let txt): check(txt.strings.allSatisfy { $0.count <= 255 }, "character-string over 255")
            }
        }
        // Round trip: the records, encoded without compression into a new answer, parse back unchanged.
        guard let question = wireName(queryName) else { return }
        var answer: [UInt8] = [0x12, 0x34, 0x81, 0x80, 0, 1]
        answer += u16(response.records.count) + [0, 0, 0, 0] + question + u16(Int(type.wireType)) + [0, 1]
        for record in response.records {
            guard let data = rdata(record) else { return }
            answer += [0xC0, 0x0C] + u16(Int(type.wireType)) + [0, 1, 0, 0, 0x0E, 0x10] + u16(data.count) + data
        }
        do {
            let again = try DNSResponse(parsing: answer, queryName: queryName, type: type)
            check(again.records == response.records, "re-encoded records parse differently")
        } catch {
            check(false, "re-encoded answer does not parse: \(error.sentence)")
        }
    }

    static func u16(_ value: Int) -> [UInt8] {
        [UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    /// A name in wire form (RFC 1035 §3.1), or nil when it has an empty or over-long label.
    static func wireName(_ name: String) -> [UInt8]? {
        var wire: [UInt8] = []
        if !name.isEmpty {
            for label in Array(name.utf8).split(separator: ASCII.period, omittingEmptySubsequences: false) {
                guard !label.isEmpty, label.count <= 63 else { return nil }
                wire += [UInt8(label.count)] + label
            }
        }
        return wire + [0]
    }

    static func rdata(_ record: DNSRecordData) -> [UInt8]? {
        switch record {
        case .a(let octets), .aaaa(let octets): return octets
        case .mx(let preference, let exchange): return wireName(exchange).map { u16(Int(preference)) + $0 }
        case .ptr(let name): return wireName(name)
        case .txt(let txt): return txt.strings.flatMap { [UInt8($0.count)] + $0 }
        }
    }

    /// Splits `bytes` at `separator`, keeping empty pieces.
    static func pieces(_ bytes: ArraySlice<UInt8>, _ separator: UInt8) -> [ArraySlice<UInt8>] {
        bytes.split(separator: separator, maxSplits: 64, omittingEmptySubsequences: false)
    }

    /// The TXT records of one zone entry: 0xFE separates records, 0xFD the character-strings of a record.
    static func txtRecords(_ bytes: ArraySlice<UInt8>) -> [DNSRecordData] {
        pieces(bytes, 0xFE).map { .txt(DNSTXTRecord(strings: pieces($0, 0xFD).map(Array.init))) }
    }

    /// The names of the SPF zone whose TXT records come from the input, in order after byte 0.
    static let spfNames = ["example.com", "a.example", "b.example", "c.example", "d.example", "mx.example.com"]

    /// SPF: `SPFRecord(parsing:)` on each piece, then `check_host()` and the linter over a zone built from the input.
    /// Byte 0 holds flags (bit 0: IPv6 client; bit 1: a.example times out; bit 2: b.example answers SERVFAIL; bit 3:
    /// empty MAIL FROM). The rest, split at 0xFF, gives the TXT records of ``spfNames``; the zone also has fixed
    /// A, AAAA, MX and PTR data. The result must stay within the §4.6.4 lookup limit (the term that passes it
    /// is counted, so 11 at most) and only a `fail` carries an explanation.
    static func spf(_ input: [UInt8]) {
        guard let flags = input.first else { return }
        let parts = pieces(input[1...], 0xFF)
        for part in parts {
            if let record = try? SPFRecord(parsing: Array(part)) {
                _ = record.directives.filter(\.mechanism.countsTowardDNSLimit).count
            }
        }
        var zone: [String: [DNSRecordData]] = [
            "example.com": [.a([192, 0, 2, 1]), .aaaa(v6(1)), .mx(preference: 10, exchange: "mx.example.com")],
            "a.example": [.a([192, 0, 2, 10]), .a([198, 51, 100, 7])],
            "b.example": [.mx(preference: 10, exchange: "a.example"), .mx(preference: 20, exchange: "mx.example.com")],
            "c.example": [.aaaa(v6(2)), .aaaa(v6(7))],
            "d.example": [],
            "mx.example.com": [.a([198, 51, 100, 7]), .aaaa(v6(7))],
            "7.100.51.198.in-addr.arpa": [.ptr("mx.example.com"), .ptr("a.example")],
            reverseV6(v6(7)): [.ptr("c.example"), .ptr("mx.example.com")],
        ]
        for (name, part) in zip(spfNames, parts) {
            zone[name, default: []] += txtRecords(part)
        }
        let resolver = StaticDNSResolver(zone, timeouts: flags & 2 != 0 ? ["a.example"] : [],
                                         serverFailures: flags & 4 != 0 ? ["b.example"] : [])
        let ip = SPFIPAddress(octets: flags & 1 == 0 ? [198, 51, 100, 7] : v6(7))
        let mailFrom = flags & 8 == 0 ? "user@example.com" : ""
        let options = SPFChecker.Options(receivingHost: "mx.fuzz.example", clock: { 1_700_000_000 })
        let checker = SPFChecker(resolver: resolver, options: options)
        guard let (evaluation, report) = runAsync({
            (await checker.check(ip: ip, mailFrom: mailFrom, helo: "example.com"),
             await SPFLint.analyze(domain: "example.com", resolver: resolver))
        }) else { return }
        check(evaluation.dnsLookups >= 0 && evaluation.dnsLookups <= SPFChecker.maxDNSLookups + 1,
              "\(evaluation.dnsLookups) DNS-querying terms evaluated")
        check(evaluation.explanation == nil || evaluation.result == .fail, "an explanation without fail")
        check(SPFResult(rawValue: evaluation.result.rawValue) == evaluation.result, "result outside the seven")
        // The chain lists every DNS-querying term of every record followed (at most SPFLint.maxRecords records,
        // each taken from the input), so it is bounded by the records times the input's length.
        check(report.dnsLookupCount == report.lookupChain.count, "lookup count and chain disagree")
        check(report.lookupChain.count <= (SPFLint.maxRecords + 1) * input.count,
              "lint chain of \(report.lookupChain.count) terms from \(input.count) input bytes")
    }

    static func v6(_ last: UInt8) -> [UInt8] { [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [last] }

    static func reverseV6(_ octets: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        let nibbles = octets.reversed().flatMap { [digits[Int($0 & 15)], digits[Int($0 >> 4)]] }
        return nibbles.map(String.init).joined(separator: ".") + ".ip6.arpa"
    }

    /// The names of the DMARC zone whose TXT records come from the input, in order after byte 0. The author domain
    /// is mail.sub.example.com; its reports may go to example.net, whose authorisation records are here too.
    static let dmarcNames = [
        "_dmarc.mail.sub.example.com", "_dmarc.sub.example.com", "_dmarc.example.com", "_dmarc.com",
        "_dmarc.reports.example.net", "_dmarc.example.net", "example.com._report._dmarc.reports.example.net",
        "sub.example.com._report._dmarc.reports.example.net", "mail.sub.example.com._report._dmarc.example.net",
    ]

    /// DMARC: `DMARCRecord(parsing:)` on each piece, then the audit of mail.sub.example.com over a zone built from
    /// the input. Byte 0 holds flags (bit 0: _dmarc.example.com times out; bit 1: the first authorisation name
    /// answers SERVFAIL); the rest, split at 0xFF, gives the TXT records of ``dmarcNames``. The record the audit
    /// suggests must itself parse as a DMARC record keeping the policy.
    static func dmarc(_ input: [UInt8]) {
        guard let flags = input.first else { return }
        let parts = pieces(input[1...], 0xFF)
        for part in parts {
            guard let record = try? DMARCRecord(parsing: part) else { continue }
            for scope in [DMARCPolicyScope.policyDomain, .existingSubdomain, .nonExistentSubdomain] {
                _ = record.effectivePolicy(for: scope)
            }
            checkSuggestion(DMARCAudit.suggestedRecord(domain: "example.com", existing: record), record)
        }
        var zone: [String: [DNSRecordData]] = ["mail.sub.example.com": [], "reports.example.net": []]
        for (name, part) in zip(dmarcNames, parts) {
            zone[name, default: []] += txtRecords(part)
        }
        let resolver = StaticDNSResolver(zone, timeouts: flags & 1 != 0 ? ["_dmarc.example.com"] : [],
                                         serverFailures: flags & 2 != 0 ? [dmarcNames[6]] : [])
        guard let report = runAsync({ await DMARCAudit.run(domain: "mail.sub.example.com", resolver: resolver) })
        else { return }
        check(report.discovery.map { $0.walk.steps.count <= 8 } ?? false, "a tree walk of more than 8 steps")
        check(report.passes == !report.findings.contains { $0.severity == .blocking }, "passes disagrees")
        let suggested = report.suggestedRecord
        if let record = report.record, report.policyDomain == "mail.sub.example.com" {
            checkSuggestion(suggested, record)
        } else {
            check((try? DMARCRecord(parsing: Array(suggested.utf8))) != nil, "suggested record does not parse")
        }
    }

    static func checkSuggestion(_ suggested: String, _ existing: DMARCRecord) {
        guard let again = try? DMARCRecord(parsing: Array(suggested.utf8)) else {
            check(false, "suggested record does not parse: \(suggested)")
            return
        }
        check(again.policy == (existing.policy ?? DMARCPolicy.none), "suggested record changes p=: \(suggested)")
    }
}
