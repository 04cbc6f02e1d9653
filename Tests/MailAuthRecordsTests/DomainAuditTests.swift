import DKIMCore
import DNSTestServer
import Foundation
import Testing
@testable import MailAuthRecords

/// The check-domain audit: item ids, order, blocking, fixes; in memory and through a real dnsmasq.
@Suite("DomainAudit: the check-domain checklist")
struct DomainAuditTests {
    static let rsa2048 = (try? TestKeyRecords.publicKeyValue("test-rsa2048")) ?? ""
    static let rsa1024 = ((try? String(contentsOf: TestKeyRecords.vectors.appendingPathComponent(
        "keys/rsa1024.spki.b64"), encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)

    static func txt(_ strings: String...) -> DNSRecordData {
        .txt(DNSTXTRecord(strings: strings.map { Array($0.utf8) }))
    }

    /// A correct example.com in memory; `overrides` replace (or, with an empty list, delete) names.
    static func zone(_ overrides: [String: [DNSRecordData]] = [:]) -> [String: [DNSRecordData]] {
        var zone: [String: [DNSRecordData]] = [
            "example.com": [txt("v=spf1 mx ip4:192.0.2.10 -all"), .mx(preference: 10, exchange: "mx.example.com")],
            "mx.example.com": [.a([192, 0, 2, 25])],
            "_dmarc.example.com": [txt("v=DMARC1; p=reject; rua=mailto:dmarc@example.com")],
            "mail._domainkey.example.com": [.txt(DNSTXTRecord(
                strings: TestKeyRecords.rsaRecord(rsa2048).map { Array($0.utf8) }))],
        ]
        for (name, records) in overrides { zone[name] = records.isEmpty ? nil : records }
        return zone
    }

    static func audit(
        _ overrides: [String: [DNSRecordData]] = [:], selectors: [String] = ["mail"], ip: String? = nil,
        key: DKIMPrivateKey? = nil, timeouts: Set<String> = []
    ) async -> DomainAuditReport {
        let resolver = StaticDNSResolver(zone(overrides), timeouts: timeouts)
        let options = DomainAuditOptions(selectors: selectors, privateKey: key,
                                         sendingAddress: ip.flatMap(SPFIPAddress.init))
        return await DomainAudit.run(domain: "Example.COM.", options: options, resolver: resolver)
    }

    static func ids(_ report: DomainAuditReport) -> [String] { report.items.map(\.id) }

    static func testKey() throws -> DKIMPrivateKey {
        try DKIMPrivateKey(pemRepresentation: String(contentsOf: TestKeyRecords.vectors.appendingPathComponent(
            "keys/test-rsa2048.private"), encoding: .utf8))
    }

    @Test func correctDomainPassesEveryItem() async throws {
        let report = await Self.audit(key: try Self.testKey())
        #expect(report.domain == "example.com")
        #expect(Self.ids(report) == ["dkim-ok", "spf-ok", "dmarc-ok", "mx-ok"])
        #expect(report.items.allSatisfy { $0.status == .pass && !$0.blocking && $0.fix == nil })
        #expect(report.passes)
        #expect(report.selectorChecks.first?.matchesPrivateKey == true)
    }

    @Test func blockingItemsComeFirstDKIMFirst() async {
        // MX missing (no MX, no address), DMARC missing, SPF missing, DKIM missing: all blocking.
        let report = await Self.audit(["example.com": [], "_dmarc.example.com": [],
                                       "mail._domainkey.example.com": []])
        #expect(Self.ids(report) == ["dkim-missing", "spf-missing", "dmarc-missing", "mx-domain-not-found"])
        #expect(report.items.allSatisfy { $0.blocking })
        #expect(report.blocksDelivery)
        // Without --key the DKIM fix says how to make a record.
        #expect(report.items[0].fix?.recordValue == nil)
        #expect(report.items[0].fix?.action.contains("dkimtool keygen --domain example.com --selector mail") == true)
        #expect(report.items[1].fix?.recordValue == "v=spf1 mx ~all")
        #expect(report.items[2].fix?.recordName == "_dmarc.example.com")
    }

    @Test func missingSelectorWithKeyGivesTheRecordSplitIn255OctetStrings() async throws {
        let report = await Self.audit(["mail._domainkey.example.com": []], key: try Self.testKey())
        let first = try #require(report.items.first)
        #expect(first.id == "dkim-missing" && first.blocking && first.area == .dkim)
        #expect(first.message.contains("mail._domainkey.example.com"))
        #expect(first.requirement?.contains("Gmail and Yahoo") == true)
        let fix = try #require(first.fix)
        #expect(fix.recordName == "mail._domainkey.example.com")
        #expect(fix.recordType == "TXT")
        // The value from openssl's p= for this key, not from our own rendering.
        #expect(fix.recordValue == "v=DKIM1; k=rsa; p=" + Self.rsa2048)
        #expect(fix.recordStrings.count > 1 && fix.recordStrings.allSatisfy { $0.utf8.count <= 255 })
        #expect(fix.recordStrings.joined() == fix.recordValue)
        #expect(fix.zoneFileLine?.hasPrefix("mail._domainkey.example.com. IN TXT ( \"v=DKIM1; k=rsa; \" \"p=") == true)
    }

    @Test func keyFaults() async throws {
        let revoked = await Self.audit(["mail._domainkey.example.com": [Self.txt("v=DKIM1; k=rsa; p=")]])
        #expect(revoked.items.first?.id == "dkim-key-revoked")
        #expect(revoked.items.first?.blocking == true)

        let weak = await Self.audit(["mail._domainkey.example.com": [Self.txt("v=DKIM1; k=rsa; p=" + Self.rsa1024)]])
        let weakItem = try #require(weak.items.first { $0.id == "dkim-key-under-2048-bits" })
        #expect(weakItem.status == .warning && !weakItem.blocking)
        #expect(weakItem.requirement == DomainAuditRequirement.keySize)
        #expect(!weak.blocksDelivery)

        let testing = await Self.audit(["mail._domainkey.example.com": [.txt(DNSTXTRecord(strings:
            (["v=DKIM1; k=rsa; t=y; "] + TestKeyRecords.chunks("p=" + Self.rsa2048, 250)).map { Array($0.utf8) }))]])
        let testingItem = try #require(testing.items.first { $0.id == "dkim-testing-flag" })
        #expect(testingItem.status == .warning)
        #expect(testingItem.fix?.recordValue == "v=DKIM1; k=rsa; p=" + Self.rsa2048)

        // What the verifier refuses is not reported as fine: a 9,000-octet record beside the key, or 17 records.
        let junk = DNSTXTRecord(strings: Array(repeating: Array(String(repeating: "x", count: 250).utf8), count: 36))
        let key = DNSTXTRecord(strings: (["v=DKIM1; k=rsa; "] + TestKeyRecords.chunks("p=" + Self.rsa2048, 250))
            .map { Array($0.utf8) })
        let oversized = await Self.audit(["mail._domainkey.example.com": [.txt(key), .txt(junk)]])
        #expect(oversized.items.first { $0.id == "dkim-limit-exceeded" }?.blocking == true)
        let many = await Self.audit(["mail._domainkey.example.com": [.txt(key)]
            + (0..<16).map { .txt(DNSTXTRecord(strings: [Array("note \($0)".utf8)])) }])
        #expect(many.items.first { $0.id == "dkim-limit-exceeded" }?.message.contains("17 TXT records") == true)

        // An empty tag (";;"): a warning, since most verifiers read the record anyway; dkimpy does not.
        let doubled = await Self.audit(["mail._domainkey.example.com": [.txt(DNSTXTRecord(strings:
            (["v=DKIM1;; k=rsa; "] + TestKeyRecords.chunks("p=" + Self.rsa2048, 250)).map { Array($0.utf8) }))]])
        let doubledItem = try #require(doubled.items.first { $0.id == "dkim-empty-tag" })
        #expect(doubledItem.status == .warning && !doubledItem.blocking)
        #expect(doubledItem.message.contains("semicolon"))
        #expect(!doubled.blocksDelivery)

        let other = await Self.audit(["mail._domainkey.example.com": [Self.txt("v=DKIM1; k=rsa; p=" + Self.rsa1024)]],
                                     key: try Self.testKey())
        let differs = try #require(other.items.first)
        #expect(differs.id == "dkim-key-differs" && differs.blocking)
        #expect(differs.fix?.recordValue == "v=DKIM1; k=rsa; p=" + Self.rsa2048)
    }

    @Test func probeFindsPublishedSelectorsAndComparesTheKey() async throws {
        let found = await Self.audit(selectors: [])
        #expect(found.probedSelectors)
        #expect(Self.ids(found).first == "dkim-ok")
        #expect(found.selectorChecks.map(\.name) == ["mail._domainkey.example.com"])

        let none = await Self.audit(["mail._domainkey.example.com": []], selectors: [])
        #expect(none.items.first?.id == "dkim-none-found")
        #expect(none.items.first?.message.contains("selector1") == true)

        let wrongKey = await Self.audit(["google._domainkey.example.com": [Self.txt("v=DKIM1; k=rsa; p="
                                                                                    + Self.rsa1024)],
                                         "mail._domainkey.example.com": []],
                                        selectors: [], key: try Self.testKey())
        #expect(wrongKey.items.first?.id == "dkim-key-not-published")
        #expect(wrongKey.items.first?.fix?.recordName == "mail._domainkey.example.com")
    }

    @Test func findingsAboutAnIncludedRecordDoNotShowTheTopRecord() async {
        let report = await Self.audit([
            "example.com": [Self.txt("v=spf1 include:spf.example.com ?all"),
                            .mx(preference: 10, exchange: "mx.example.com")],
            "spf.example.com": [Self.txt("v=spf1 ptr -all")],
        ])
        let ptr = report.items.first { $0.id == "spf-ptr" }
        #expect(ptr?.message.contains("spf.example.com") == true)
        #expect(ptr?.found == nil)
        let neutral = report.items.first { $0.id == "spf-neutral-all" }
        #expect(neutral?.found == "v=spf1 include:spf.example.com ?all")
    }

    @Test func temporaryFailuresDoNotBlock() async {
        let report = await Self.audit(timeouts: ["mail._domainkey.example.com"])
        #expect(report.items.first?.id == "dkim-dns-temporary-failure")
        #expect(report.items.first?.status == .temporaryFailure)
        #expect(!report.blocksDelivery && report.hasTemporaryFailure && !report.passes)
    }

    @Test func mailExchangers() async {
        let null = await Self.audit(["example.com": [Self.txt("v=spf1 mx -all"), .mx(preference: 0, exchange: "")]])
        #expect(null.items.first?.id == "mx-null")
        #expect(null.blocksDelivery)
        let implicit = await Self.audit(["example.com": [Self.txt("v=spf1 a -all"), .a([192, 0, 2, 10])]])
        let item = implicit.items.first { $0.id == "mx-missing" }
        #expect(item?.status == .warning && item?.blocking == false)
        let nothing = await Self.audit(["example.com": [Self.txt("v=spf1 ip4:192.0.2.10 -all")]])
        #expect(nothing.items.first { $0.id == "mx-missing" }?.blocking == true)
    }

    @Test func sendingAddressSPFAndReverseDNS() async {
        let ptr: [String: [DNSRecordData]] = [
            "10.2.0.192.in-addr.arpa": [.ptr("mail.example.com")], "mail.example.com": [.a([192, 0, 2, 10])],
            "99.2.0.192.in-addr.arpa": [.ptr("unconfirmed.example.net")],
        ]
        let pass = await Self.audit(ptr, ip: "192.0.2.10")
        #expect(Self.ids(pass).contains("spf-ip-pass") && Self.ids(pass).contains("ptr-ok"))
        #expect(pass.passes)

        let fail = await Self.audit(ptr, ip: "192.0.2.99")
        #expect(fail.items.filter { $0.blocking }.map(\.id) == ["spf-ip-fail", "ptr-not-confirmed"])
        #expect(fail.items.first?.fix?.recordValue == "v=spf1 ip4:192.0.2.99 mx ip4:192.0.2.10 -all")
        let confirm = fail.items.first { $0.id == "ptr-not-confirmed" }
        #expect(confirm?.fix?.recordName == "unconfirmed.example.net")
        #expect(confirm?.fix?.zoneFileLine == "unconfirmed.example.net. IN A 192.0.2.99")

        let missing = await Self.audit(ip: "192.0.2.10")
        #expect(missing.items.first { $0.id == "ptr-missing" }?.requirement == DomainAuditRequirement.reverseDNS)
    }

    @Test func ipv6ReverseNameFromRFC3596() async {
        // RFC 3596 §2.5: the example address 4321:0:1:2:3:4:567:89ab and its IP6.ARPA name.
        let reverse = "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa"
        let address: [UInt8] = [0x43, 0x21, 0, 0, 0, 1, 0, 2, 0, 3, 0, 4, 0x05, 0x67, 0x89, 0xAB]
        let report = await Self.audit([reverse: [.ptr("v6.example.com")], "v6.example.com": [.aaaa(address)]],
                                      ip: "4321:0:1:2:3:4:567:89ab")
        #expect(report.items.contains { $0.id == "ptr-ok" && $0.found == "v6.example.com" })
    }

    @Test func fixSplitsLongValuesAndEscapesZoneFileText() {
        let long = String(repeating: "a", count: 300)
        let fix = DomainAuditFix.publishTXT(name: "x.example.com", value: long)
        #expect(fix.recordStrings.map(\.count) == [255, 45])
        let quoted = DomainAuditFix.publishTXT(name: "x.example.com", value: "a\"b\\c")
        #expect(quoted.zoneFileLine == "x.example.com. IN TXT ( \"a\\\"b\\\\c\" )")
    }

    @Test func invalidDomainIsOneBlockingItem() async {
        let report = await DomainAudit.run(domain: "not a domain", resolver: StaticDNSResolver([:]))
        #expect(Self.ids(report) == ["domain-invalid"])
        #expect(report.blocksDelivery)
    }

    @Test func seedCaseThroughRealDNS() async throws {
        let server = try DNSServerFixture(
            records: [("seed.example", ["v=spf1 mx -all"]),
                      ("_dmarc.seed.example", ["v=DMARC1; p=none; rua=mailto:dmarc@seed.example"])],
            addresses: [("mx.seed.example", "192.0.2.25")],
            mailExchangers: [("seed.example", "mx.seed.example", 10)])
        let resolver = try SystemDNSResolver(nameserver: server.nameserver, timeout: 3)
        let report = await DomainAudit.run(
            domain: "seed.example", options: DomainAuditOptions(selectors: ["mail"], privateKey: try Self.testKey()),
            resolver: resolver)
        #expect(Self.ids(report) == ["dkim-missing", "dmarc-policy-none", "spf-ok", "dmarc-ok", "mx-ok"])
        #expect(report.items.first?.fix?.recordValue == "v=DKIM1; k=rsa; p=" + Self.rsa2048)
        #expect(report.blocksDelivery)
    }
}
