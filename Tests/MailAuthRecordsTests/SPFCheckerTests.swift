import DKIMCore
import DNSTestServer
import Testing
@testable import MailAuthRecords

private func txt(_ text: String) -> DNSRecordData { .txt(DNSTXTRecord(strings: [Array(text.utf8)])) }

@Suite("SPF: check_host() (RFC 7208 §4, §5)")
struct SPFCheckerTests {
    static let ip = SPFIPAddress("192.0.2.10")!

    func check(_ zone: [String: [DNSRecordData]], ip: SPFIPAddress = ip, from: String = "user@example.com",
               timeouts: Set<String> = []) async -> SPFEvaluation {
        let checker = SPFChecker(resolver: StaticDNSResolver(zone, timeouts: timeouts))
        return await checker.check(ip: ip, mailFrom: from, helo: "mail.example.com")
    }

    @Test func includeAndRedirectRecurse() async {
        let zone: [String: [DNSRecordData]] = [
            "example.com": [txt("v=spf1 include:a.example.net redirect=b.example.net")],
            "a.example.net": [txt("v=spf1 ip4:198.51.100.0/24 -all")],
            "b.example.net": [txt("v=spf1 ip4:192.0.2.0/28 -all")],
        ]
        let pass = await check(zone)
        #expect(pass.result == .pass)
        #expect(pass.dnsLookups == 2)
        #expect(await check(zone, ip: SPFIPAddress("203.0.113.1")!).result == .fail)
        // An IPv4-mapped IPv6 client is evaluated as IPv4 (RFC 7208 §5).
        #expect(await check(zone, ip: SPFIPAddress("::ffff:192.0.2.10")!).result == .pass)
    }

    @Test func elevenLookupsArePermerror() async {
        var zone: [String: [DNSRecordData]] = [
            "example.com": [txt("v=spf1 " + (1...11).map { "include:i\($0).example.net" }.joined(separator: " "))],
        ]
        for index in 1...11 { zone["i\(index).example.net"] = [txt("v=spf1 -all")] }
        #expect(await check(zone).result == .permerror)
        zone["example.com"] = [txt("v=spf1 " + (1...10).map { "include:i\($0).example.net" }.joined(separator: " "))]
        #expect(await check(zone).result == .neutral)
    }

    @Test func threeVoidLookupsArePermerror() async {
        let zone: [String: [DNSRecordData]] = [
            "example.com": [txt("v=spf1 a:n1.example.com a:n2.example.com a:n3.example.com -all")],
        ]
        #expect(await check(zone).result == .permerror)
        let two: [String: [DNSRecordData]] = ["example.com": [txt("v=spf1 a:n1.example.com a:n2.example.com -all")]]
        #expect(await check(two).result == .fail)
    }

    @Test func elevenMXNamesArePermerror() async {
        let exchanges = (1...11).map { DNSRecordData.mx(preference: UInt16($0), exchange: "mx\($0).example.com") }
        let zone: [String: [DNSRecordData]] = ["example.com": [txt("v=spf1 mx -all")] + exchanges]
        #expect(await check(zone).result == .permerror)
        let ten: [String: [DNSRecordData]] = [
            "example.com": [txt("v=spf1 mx -all")] + exchanges.prefix(10),
            "mx10.example.com": [.a([192, 0, 2, 10])],
        ]
        #expect(await check(ten).result == .pass)
    }

    @Test func dnsTimeoutIsTemperror() async {
        let zone: [String: [DNSRecordData]] = ["example.com": [txt("v=spf1 a:slow.example.com -all")]]
        #expect(await check(zone, timeouts: ["slow.example.com"]).result == .temperror)
        #expect(await check([:], timeouts: ["example.com"]).result == .temperror)
    }

    @Test func explanationOnFail() async {
        let zone: [String: [DNSRecordData]] = [
            "example.com": [txt("v=spf1 -all exp=why.example.com")],
            "why.example.com": [txt("%{i} may not send for %{d} (%{c})")],
        ]
        let outcome = await check(zone)
        #expect(outcome.result == .fail)
        #expect(outcome.explanation == "192.0.2.10 may not send for example.com (192.0.2.10)")
    }

    @Test func noRecordIsNoneAndNullSenderUsesHELO() async {
        #expect(await check([:]).result == .none)
        let zone: [String: [DNSRecordData]] = ["mail.example.com": [txt("v=spf1 a -all"), .a([192, 0, 2, 10])]]
        #expect(await check(zone, from: "").result == .pass)
    }

    @Test func ptrValidatesTheReverseName() async {
        let zone: [String: [DNSRecordData]] = [
            "example.com": [txt("v=spf1 ptr -all")],
            "10.2.0.192.in-addr.arpa": [.ptr("host.example.com"), .ptr("forged.example.com")],
            "host.example.com": [.a([192, 0, 2, 10])],
        ]
        #expect(await check(zone).result == .pass)
    }

    /// check_host() over the real resolver and a dnsmasq serving TXT, MX and A records.
    @Test func realDNS() async throws {
        let server = try DNSServerFixture(
            records: [("example.test", ["v=spf1 mx include:spf.example.test -all"]),
                      ("spf.example.test", ["v=spf1 ip4:198.51.100.0/24 ~all"])],
            addresses: [("mx1.example.test", "192.0.2.25")],
            mailExchangers: [("example.test", "mx1.example.test", 10)])
        let checker = SPFChecker(resolver: try SystemDNSResolver(nameserver: server.nameserver, timeout: 3))
        #expect(await checker.check(ip: SPFIPAddress("192.0.2.25")!, mailFrom: "a@example.test", helo: "x.test")
            .result == .pass)
        #expect(await checker.check(ip: SPFIPAddress("198.51.100.7")!, mailFrom: "a@example.test", helo: "x.test")
            .result == .pass)
        #expect(await checker.check(ip: SPFIPAddress("203.0.113.7")!, mailFrom: "a@example.test", helo: "x.test")
            .result == .fail)
    }
}

@Suite("SPF: lint for check-domain")
struct SPFLintTests {
    @Test func countsThroughIncludesAndFlagsProblems() async {
        let zone = StaticDNSResolver([
            "example.com": [txt("v=spf1 a mx ptr include:a.example.net redirect=r.example.net")],
            "a.example.net": [txt("v=spf1 include:b.example.net exists:%{i}.x.example.net ?all")],
            "b.example.net": [txt("v=spf1 a:x.example.net a:y.example.net -all")],
            "r.example.net": [txt("v=spf1 mx mx mx mx -all")],
        ])
        let report = await SPFLint.analyze(domain: "example.com", resolver: zone)
        // example.com: a mx ptr include redirect (5); a.example.net: include exists (2); b: 2; r: 4 → 13.
        #expect(report.dnsLookupCount == 13)
        #expect(report.lookupChain.first == "example.com: a")
        let codes = Set(report.findings.map(\.code))
        #expect(codes == ["spf-too-many-lookups", "spf-ptr"])
        #expect(report.findings.first?.severity == .error)
    }

    @Test(arguments: [
        ("v=spf1 +all", "spf-pass-all"), ("v=spf1 ?all", "spf-neutral-all"), ("v=spf1 a", "spf-no-all"),
        ("v=spf1 a:", "spf-syntax"), ("v=spf1 include:none.example.net -all", "spf-include-missing"),
        ("v=spf1 include:example.com -all", "spf-loop"),
    ])
    func findings(record: String, code: String) async {
        let report = await SPFLint.analyze(domain: "example.com",
                                           resolver: StaticDNSResolver(["example.com": [txt(record)]]))
        #expect(report.findings.map(\.code).contains(code), "\(report.findings)")
    }

    @Test func missingAndMultiple() async {
        let none = await SPFLint.analyze(domain: "example.com", resolver: StaticDNSResolver([:]))
        #expect(none.findings.map(\.code) == ["spf-missing"])
        let two = await SPFLint.analyze(domain: "example.com", resolver: StaticDNSResolver(
            ["example.com": [txt("v=spf1 -all"), txt("v=spf1 +all")]]))
        #expect(two.findings.map(\.code) == ["spf-multiple"])
    }
}
