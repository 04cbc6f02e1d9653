import DKIMCore
import DNSTestServer
import Testing
@testable import MailAuthRecords

/// The check-domain audit and external report destinations (draft-ietf-dmarc-aggregate-reporting §3, DMARCbis-41
/// Appendix B.2.3).
@Suite("DMARC: audit and external destinations")
struct DMARCAuditTests {
    private func audit(_ domain: String, _ records: [String: [String]]) async -> DMARCReport {
        await DMARCAudit.run(domain: domain, resolver: StaticKeyResolver(records: records))
    }

    private func codes(_ report: DMARCReport) -> [String] { report.findings.map(\.code) }

    @Test func missingRecordIsBlockingWithSuggestion() async {
        let report = await audit("Example.COM.", [:])
        #expect(report.domain == "example.com")
        #expect(codes(report) == ["dmarc-missing"])
        #expect(!report.passes)
        #expect(report.suggestedRecordName == "_dmarc.example.com")
        #expect(report.suggestedRecord == "v=DMARC1; p=none; rua=mailto:dmarc-reports@example.com")
        // The suggestion parses cleanly.
        #expect((try? DMARCRecord(parsing: Array(report.suggestedRecord.utf8)))?.issues == [])
    }

    @Test func policyNoneIsInfoAndPasses() async {
        let report = await audit("example.com", ["_dmarc.example.com": ["v=DMARC1; p=none; rua=mailto:d@example.com"]])
        #expect(report.passes)
        #expect(codes(report) == ["dmarc-policy-none"])
        #expect(report.recordText == "v=DMARC1; p=none; rua=mailto:d@example.com")
        #expect(report.organizationalDomain == "example.com")
    }

    @Test func rejectWithoutRUA() async {
        let report = await audit("example.com", ["_dmarc.example.com": ["v=DMARC1; p=reject"]])
        #expect(report.passes)
        #expect(codes(report) == ["dmarc-no-rua"])
        #expect(report.suggestedRecord == "v=DMARC1; p=reject; rua=mailto:dmarc-reports@example.com")
    }

    @Test func versionNotFirstIsBlocking() async {
        let report = await audit("example.com", ["_dmarc.example.com": ["p=reject; v=DMARC1"]])
        #expect(codes(report) == ["dmarc-version-not-first", "dmarc-missing"])
        #expect(report.findings[0].tag == "v")
    }

    @Test func multipleRecordsIsBlocking() async {
        let report = await audit("example.com",
                                 ["_dmarc.example.com": ["v=DMARC1; p=none", "v=DMARC1; p=reject"]])
        #expect(codes(report) == ["dmarc-multiple-records", "dmarc-missing"])
    }

    @Test func duplicateTagIsBlockingAndNamed() async {
        let report = await audit("example.com", ["_dmarc.example.com": ["v=DMARC1; p=none; p=reject"]])
        #expect(codes(report).first == "dmarc-invalid-record")
        #expect(report.findings.first?.tag == "p")
    }

    @Test func missingAndBadPolicy() async {
        let missing = await audit("example.com", ["_dmarc.example.com": ["v=DMARC1; rua=mailto:d@example.com"]])
        #expect(codes(missing) == ["dmarc-p-missing"])
        #expect(missing.suggestedRecord == "v=DMARC1; p=none; rua=mailto:d@example.com")
        let bad = await audit("example.com", ["_dmarc.example.com": ["v=DMARC1; p=rejected"]])
        #expect(codes(bad).first == "dmarc-p-invalid")
        #expect(bad.findings.first?.message.contains("p=rejected") == true)
    }

    @Test func legacyTagsAndOrder() async {
        let report = await audit("example.com", [
            "_dmarc.example.com": ["v=DMARC1; rua=mailto:d@example.com; p=quarantine; pct=25; ri=3600"],
        ])
        #expect(report.passes)
        #expect(codes(report) == ["dmarc-p-not-second", "dmarc-legacy-tag", "dmarc-legacy-tag"])
        #expect(report.suggestedRecord == "v=DMARC1; p=quarantine; rua=mailto:d@example.com")
    }

    @Test func badURIIsWarning() async {
        let report = await audit("example.com", ["_dmarc.example.com": ["v=DMARC1; p=reject; rua=d@example.com"]])
        #expect(codes(report) == ["dmarc-uri-invalid", "dmarc-no-rua"])
        #expect(report.findings[0].tag == "rua")
    }

    @Test func subdomainInheritsOrgRecord() async {
        let report = await audit("news.example.com", ["_dmarc.example.com": ["v=DMARC1; p=reject; sp=quarantine"]])
        #expect(report.passes)
        #expect(report.policyDomain == "example.com")
        #expect(report.discovery?.appliedPolicy == .quarantine)
        #expect(codes(report).contains("dmarc-inherited"))
    }

    @Test func temporaryFailureIsNotMissing() async {
        let report = await DMARCAudit.run(domain: "example.com", resolver: StaticKeyResolver([
            "_dmarc.example.com": .temporaryFailure("SERVFAIL"),
        ]))
        #expect(report.hasTemporaryFailure)
        #expect(codes(report) == ["dmarc-dns-failure"])
    }

    @Test(arguments: ["", "exa mple.com", "bad..example", "ex\u{0}ample.com", "bücher.example",
                      String(repeating: "a", count: 300)])
    func invalidDomains(_ domain: String) async {
        let report = await audit(domain, [:])
        #expect(codes(report) == ["dmarc-invalid-domain"])
    }

    // MARK: External destinations

    private static let thirdParty = [
        "_dmarc.example.com": ["v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com; "
            + "ruf=mailto:auth-reports@thirdparty.example.net"],
    ]

    @Test func authorizationNameFromAppendixB23() {
        #expect(DMARCExternalDestinations.authorizationName(policyDomain: "example.com",
                                                            destinationHost: "thirdparty.example.net")
            == "example.com._report._dmarc.thirdparty.example.net")
    }

    /// Appendix B.2.3: the third party publishes "v=DMARC1;" at example.com._report._dmarc.thirdparty.example.net.
    @Test func authorizedThirdParty() async {
        var records = Self.thirdParty
        records["example.com._report._dmarc.thirdparty.example.net"] = ["v=DMARC1;"]
        let report = await audit("example.com", records)
        #expect(report.destinations.map(\.status) == [.sameOrganization, .authorized])
        #expect(!codes(report).contains("dmarc-destination-unauthorized"))
    }

    @Test func unauthorizedThirdParty() async {
        var records = Self.thirdParty
        records["example.com._report._dmarc.thirdparty.example.net"] = ["not dmarc"]
        let report = await audit("example.com", records)
        #expect(report.destinations.map(\.status) == [.sameOrganization, .unauthorized])
        #expect(codes(report).contains("dmarc-destination-unauthorized"))
        #expect(!report.suggestedRecord.contains("thirdparty"))
    }

    @Test func destinationTemporaryFailure() async {
        var table = Self.thirdParty.mapValues { TXTLookupResult.records($0.map {
            DNSTXTRecord(strings: [Array($0.utf8)]) }) }
        table["example.com._report._dmarc.thirdparty.example.net"] = .temporaryFailure("timeout")
        let report = await DMARCAudit.run(domain: "example.com", resolver: StaticKeyResolver(table))
        #expect(report.destinations.last?.status == .temporaryFailure("timeout"))
        #expect(report.hasTemporaryFailure)
    }

    /// The destination's Organizational Domain comes from its own tree walk: a psd=n record makes
    /// reports.example.com its own organization, so it needs authorization.
    @Test func destinationOrgDomainUsesTreeWalk() async {
        let report = await audit("example.com", [
            "_dmarc.example.com": ["v=DMARC1; p=none; rua=mailto:a@reports.example.com"],
            "_dmarc.reports.example.com": ["v=DMARC1; p=none; psd=n"],
        ])
        #expect(report.destinations.first?.status == .unauthorized)
        #expect(report.destinations.first?.authorizationName == "example.com._report._dmarc.reports.example.com")
    }

    // MARK: Real DNS

    /// Through dnsmasq and the system resolver: a subdomain, the org record, a third-party destination.
    @Test func auditOverRealDNS() async throws {
        let server = try DNSServerFixture(
            records: [
                ("_dmarc.example.test", ["v=DMARC1; p=quarantine; ", "rua=mailto:d@example.test;",
                                         " ruf=mailto:f@reports.example.net"]),
                ("_dmarc.example.test", ["google-site-verification=xyz"]),
                ("example.test._report._dmarc.reports.example.net", ["v=DMARC1;"]),
            ],
            servfail: ["_dmarc.broken.test"]
        )
        let resolver = try SystemDNSResolver(nameserver: server.nameserver, timeout: 2)
        let report = await DMARCAudit.run(domain: "mail.example.test", resolver: resolver)
        #expect(report.policyDomain == "example.test")
        #expect(report.organizationalDomain == "example.test")
        #expect(report.record?.policy == .quarantine)
        #expect(report.destinations.map(\.status) == [.sameOrganization, .authorized])
        #expect(report.passes)
        let broken = await DMARCAudit.run(domain: "broken.test", resolver: resolver)
        #expect(broken.hasTemporaryFailure)
        #expect(!codes(broken).contains("dmarc-missing"))
    }
}
