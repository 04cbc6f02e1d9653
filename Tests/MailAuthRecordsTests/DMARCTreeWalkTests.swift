import DKIMCore
import Testing
@testable import MailAuthRecords

/// A resolver that records the names asked, in order.
private actor RecordingResolver: DKIMKeyResolver {
    let inner: StaticKeyResolver
    private(set) var asked: [String] = []
    init(_ inner: StaticKeyResolver) { self.inner = inner }
    func lookupTXT(_ name: String) async -> TXTLookupResult {
        asked.append(name)
        return await inner.lookupTXT(name)
    }
}

/// The DNS Tree Walk, policy discovery and Organizational Domain (draft-ietf-dmarc-dmarcbis-41 §4.10, §4.10.1,
/// §4.10.2 and Appendix B.4, as in RFC 9989).
@Suite("DMARC: DNS tree walk and policy discovery")
struct DMARCTreeWalkTests {
    /// §4.10's illustration: exactly these eight queries for a thirteen-label Author Domain.
    @Test func rfcEightQueryExample() {
        #expect(DMARCTreeWalk.targets(from: "a.b.c.d.e.f.g.h.i.j.mail.example.com").map { "_dmarc." + $0 } == [
            "_dmarc.a.b.c.d.e.f.g.h.i.j.mail.example.com",
            "_dmarc.g.h.i.j.mail.example.com",
            "_dmarc.h.i.j.mail.example.com",
            "_dmarc.i.j.mail.example.com",
            "_dmarc.j.mail.example.com",
            "_dmarc.mail.example.com",
            "_dmarc.example.com",
            "_dmarc.com",
        ])
    }

    /// §5.1.8's list for "mail.a.b.c.d.e.f.g.example.com" (ten labels).
    @Test func rfcSection518Example() {
        #expect(DMARCTreeWalk.targets(from: "mail.a.b.c.d.e.f.g.example.com") == [
            "mail.a.b.c.d.e.f.g.example.com", "c.d.e.f.g.example.com", "d.e.f.g.example.com", "e.f.g.example.com",
            "f.g.example.com", "g.example.com", "example.com", "com",
        ])
    }

    @Test(arguments: [(1, 1), (3, 3), (7, 7), (8, 8), (9, 8), (30, 8)])
    func queryCountIsBounded(_ labels: Int, _ queries: Int) {
        let domain = (1...labels).map { "l\($0)" }.joined(separator: ".")
        #expect(DMARCTreeWalk.targets(from: domain).count == queries)
    }

    @Test func walkStopsAtPSDFlagAndQueriesInOrder() async {
        let resolver = RecordingResolver(StaticKeyResolver(records: [
            "_dmarc.mail.example.com": ["v=DMARC1; p=none; psd=n"],
            "_dmarc.example.com": ["v=DMARC1; p=reject"],
        ]))
        let walk = await DMARCTreeWalk.run(from: "a.mail.example.com", resolver: resolver)
        #expect(await resolver.asked == ["_dmarc.a.mail.example.com", "_dmarc.mail.example.com"])
        #expect(walk.organizationalDomain == "mail.example.com")
    }

    /// §4.10.2's first example: records at mail.example.com and example.com → example.com.
    @Test func fewestLabelsWins() async {
        let discovery = await DMARCPolicyDiscovery.discover(authorDomain: "a.mail.example.com", resolver:
            StaticKeyResolver(records: [
                "_dmarc.mail.example.com": ["v=DMARC1; p=quarantine"],
                "_dmarc.example.com": ["v=DMARC1; p=reject; sp=none"],
            ]))
        #expect(discovery.organizationalDomain == "example.com")
        #expect(discovery.policyDomain == "example.com")
        #expect(discovery.scope == .existingSubdomain)
        #expect(discovery.appliedPolicy == DMARCPolicy.none)
    }

    /// §4.10.2's last example: only _dmarc.com with psd=y → example.com; the PSD record applies (§4.10.1).
    @Test func psdRecordGivesOrgDomainOneBelow() async {
        let discovery = await DMARCPolicyDiscovery.discover(authorDomain: "a.mail.example.com", resolver:
            StaticKeyResolver(records: ["_dmarc.com": ["v=DMARC1; p=reject; psd=y"]]))
        #expect(discovery.organizationalDomain == "example.com")
        #expect(discovery.policyDomain == "com")
        #expect(discovery.appliedPolicy == .reject)
    }

    /// An Organizational Domain with its own record under a PSD: its record, not the PSD's, applies.
    @Test func orgRecordBeatsPSDRecord() async {
        let discovery = await DMARCPolicyDiscovery.discover(authorDomain: "mail.example.com", resolver:
            StaticKeyResolver(records: [
                "_dmarc.example.com": ["v=DMARC1; p=quarantine"],
                "_dmarc.com": ["v=DMARC1; p=reject; psd=y"],
            ]))
        #expect(discovery.organizationalDomain == "example.com")
        #expect(discovery.policyDomain == "example.com")
    }

    /// §4.10.1: the Author Domain's own record applies first; a psd=y there does not move the org domain below.
    @Test func authorDomainRecordApplies() async {
        let discovery = await DMARCPolicyDiscovery.discover(authorDomain: "example.com", resolver:
            StaticKeyResolver(records: ["_dmarc.example.com": ["v=DMARC1; p=reject; psd=y"]]))
        #expect(discovery.policyDomain == "example.com")
        #expect(discovery.organizationalDomain == "example.com")
        #expect(discovery.scope == .policyDomain)
    }

    @Test func noRecordsAnywhere() async {
        let discovery = await DMARCPolicyDiscovery.discover(authorDomain: "x.example.com",
                                                            resolver: StaticKeyResolver([:]))
        #expect(discovery.policyDomain == nil && discovery.record == nil)
        #expect(discovery.organizationalDomain == "x.example.com")
        #expect(discovery.walk.steps.count == 3)
    }

    /// §4.10 step 2: several DMARC records at one name are all discarded; the walk goes on.
    @Test func multipleRecordsAreDiscarded() async {
        let discovery = await DMARCPolicyDiscovery.discover(authorDomain: "mail.example.com", resolver:
            StaticKeyResolver(records: [
                "_dmarc.mail.example.com": ["v=DMARC1; p=none", "v=DMARC1; p=reject"],
                "_dmarc.example.com": ["v=DMARC1; p=quarantine"],
            ]))
        guard case .multipleRecords(let texts) = discovery.walk.steps[0].lookup else {
            Issue.record("expected multiple records")
            return
        }
        #expect(texts.count == 2)
        #expect(discovery.policyDomain == "example.com")
    }

    /// Non-DMARC TXT records at _dmarc are ignored; strings of one record are joined (§4.5).
    @Test func otherTXTIgnoredAndStringsJoined() async {
        let resolver = StaticKeyResolver([
            "_dmarc.example.com": .records([
                DNSTXTRecord(strings: [Array("google-site-verification=abc".utf8)]),
                DNSTXTRecord(strings: [Array("v=DMARC1; p=none; ".utf8), Array("rua=mailto:d@example.com".utf8)]),
            ]),
        ])
        let discovery = await DMARCPolicyDiscovery.discover(authorDomain: "example.com", resolver: resolver)
        #expect(discovery.record?.aggregateReportURIs.count == 1)
    }

    /// A temporary failure is not absence: the walk stops and says so.
    @Test func temporaryFailureStopsTheWalk() async {
        let resolver = RecordingResolver(StaticKeyResolver([
            "_dmarc.mail.example.com": .temporaryFailure("timeout"),
            "_dmarc.example.com": .records([DNSTXTRecord(strings: [Array("v=DMARC1; p=reject".utf8)])]),
        ]))
        let discovery = await DMARCPolicyDiscovery.discover(authorDomain: "a.mail.example.com", resolver: resolver)
        #expect(discovery.walk.failure?.domain == "mail.example.com")
        #expect(discovery.record == nil)
        #expect(await resolver.asked.count == 2)
    }

    @Test func invalidRecordIsNotARecord() async {
        let discovery = await DMARCPolicyDiscovery.discover(authorDomain: "mail.example.com", resolver:
            StaticKeyResolver(records: [
                "_dmarc.mail.example.com": ["v=DMARC1; p=none; p=none"],
                "_dmarc.example.com": ["v=DMARC1; p=reject"],
            ]))
        guard case .invalidRecord(let error, _) = discovery.walk.steps[0].lookup else {
            Issue.record("expected an invalid record")
            return
        }
        #expect(error.code == .duplicateTag)
        #expect(discovery.policyDomain == "example.com")
    }

    /// Appendix B.4.2-like deep walk: the 8-label shortcut skips the middle names.
    @Test func deepWalkSkipsMiddleLabels() async {
        let resolver = RecordingResolver(StaticKeyResolver(records: [
            "_dmarc.b.c.d.e.f.g.example.com": ["v=DMARC1; p=reject; psd=n"],
            "_dmarc.example.com": ["v=DMARC1; p=none"],
        ]))
        let walk = await DMARCTreeWalk.run(from: "mail.a.b.c.d.e.f.g.example.com", resolver: resolver)
        #expect(await !resolver.asked.contains("_dmarc.b.c.d.e.f.g.example.com"))
        #expect(walk.organizationalDomain == "example.com")
    }
}
