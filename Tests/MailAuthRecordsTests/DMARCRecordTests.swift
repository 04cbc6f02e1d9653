import Testing
@testable import MailAuthRecords

/// DMARC record parsing. Vectors are the records of draft-ietf-dmarc-dmarcbis-41 Appendix B.2 (RFC 9989 keeps
/// them), with the zone-file strings joined as §4.5 requires.
@Suite("DMARC: record parsing")
struct DMARCRecordTests {
    private func parse(_ text: String) throws -> DMARCRecord {
        try DMARCRecord(parsing: Array(text.utf8))
    }

    private func error(_ text: String) -> DMARCRecordError? {
        do {
            _ = try DMARCRecord(parsing: Array(text.utf8))
            return nil
        } catch {
            return error
        }
    }

    /// Appendix B.2.1: "v=DMARC1; p=none; " "rua=mailto:dmarc-feedback@example.com".
    @Test func appendixB21MonitoringMode() throws {
        let record = try parse("v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com")
        #expect(record.policy == DMARCPolicy.none)
        #expect(record.aggregateReportURIs.map(\.uri) == ["mailto:dmarc-feedback@example.com"])
        #expect(record.aggregateReportURIs.first?.mailbox == DMARCMailbox(localPart: "dmarc-feedback",
                                                                          domain: "example.com"))
        #expect(record.issues.isEmpty)
        #expect(record.dkimAlignment == .relaxed && record.spfAlignment == .relaxed)
        #expect(record.psd == .unknown && !record.testing && record.failureOptions == [.allFail])
    }

    /// Appendix B.2.3: failure reports to a third party.
    @Test func appendixB23ThirdPartyRUF() throws {
        let record = try parse("v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com; "
            + "ruf=mailto:auth-reports@thirdparty.example.net")
        #expect(record.failureReportURIs.map(\.host) == ["thirdparty.example.net"])
    }

    /// Appendix B.2.5: two rua URIs (strings joined without a space after the comma) and t=y.
    @Test func appendixB25SubdomainTestingTwoURIs() throws {
        let record = try parse("v=DMARC1; p=quarantine; rua=mailto:dmarc-feedback@example.com,"
            + "mailto:tld-test@thirdparty.example.net; t=y")
        #expect(record.policy == .quarantine)
        #expect(record.testing)
        #expect(record.aggregateReportURIs.map(\.host) == ["example.com", "thirdparty.example.net"])
        #expect(record.effectivePolicy(for: .policyDomain) == .quarantine)
    }

    /// Appendix B.3.1's record (whitespace kept as a one-line value).
    @Test func appendixB31ReceiverExample() throws {
        let record = try parse("v=DMARC1; p=reject; aspf=r; rua=mailto:dmarc-feedback@example.com")
        #expect(record.policy == .reject && record.spfAlignment == .relaxed)
    }

    /// The B.2.3 third-party authorization record "v=DMARC1;" is a DMARC record (no p: missing-policy issue).
    @Test func bareVersionRecord() throws {
        #expect(DMARCRecord.isDMARCRecord(Array("v=DMARC1;".utf8)))
        let record = try parse("v=DMARC1;")
        #expect(record.policy == nil)
        #expect(record.issues.map(\.kind) == [.missingPolicy])
        // §4.10.1: no valid p and no valid rua → no DMARC processing.
        #expect(record.effectivePolicy(for: .policyDomain) == nil)
    }

    /// §4.10.1: a missing or invalid p with a valid rua acts as p=none.
    @Test(arguments: ["v=DMARC1; rua=mailto:d@example.com", "v=DMARC1; p=bogus; rua=mailto:d@example.com",
                      "v=DMARC1; p=reject; sp=nope; rua=mailto:d@example.com"])
    func missingOrInvalidPolicyWithRUAIsNone(_ text: String) throws {
        #expect(try parse(text).effectivePolicy(for: .policyDomain) == DMARCPolicy.none)
    }

    @Test(arguments: ["v=DMARC1; p=bogus", "v=DMARC1; p=reject; np=x", "v=DMARC1; p=bogus; rua=bad"])
    func invalidPolicyWithoutValidRUAIsNoProcessing(_ text: String) throws {
        #expect(try parse(text).effectivePolicy(for: .policyDomain) == nil)
    }

    @Test func subdomainPolicies() throws {
        let record = try parse("v=DMARC1; p=reject; sp=quarantine; np=none")
        #expect(record.effectivePolicy(for: .existingSubdomain) == .quarantine)
        #expect(record.effectivePolicy(for: .nonExistentSubdomain) == DMARCPolicy.none)
        let plain = try parse("v=DMARC1; p=reject")
        #expect(plain.effectivePolicy(for: .nonExistentSubdomain) == .reject)
    }

    /// Tag names and keyword values are ABNF literals, so case-insensitive (RFC 5234 §2.3); DMARC1 is %s"".
    @Test func caseRules() throws {
        let record = try parse("V=DMARC1; P=Reject; ADKIM=S; Psd=N; fo=D:1")
        #expect(record.policy == .reject && record.dkimAlignment == .strict && record.psd == .no)
        #expect(record.failureOptions == [.dkim, .anyFail])
        #expect(error("v=dmarc1; p=none")?.code == .versionWrongValue)
    }

    @Test(arguments: [
        ("p=none; v=DMARC1", DMARCRecordError.Code.versionNotFirst),
        (" v=DMARC1; p=none", .versionNotFirst),
        ("p=none", .versionMissing),
        ("v=DMARC2; p=none", .versionWrongValue),
        ("v=spf1 -all", .versionWrongValue),
        ("spf1=x; DMARC1=v", .versionMissing),
        ("", .empty),
        ("v=DMARC1; p=none; p=reject", .duplicateTag),
        ("v=DMARC1; p=none; RUA=mailto:a@b.example; rua=mailto:c@d.example", .duplicateTag),
        ("v=DMARC1; v=DMARC1; p=none", .duplicateTag),
    ])
    func recordLevelErrors(_ text: String, _ code: DMARCRecordError.Code) {
        #expect(error(text)?.code == code)
    }

    @Test func duplicateNamesTheTag() {
        let failure = error("v=DMARC1; p=none; rua=mailto:a@b.example; rua=mailto:c@d.example")
        #expect(failure?.tag == "rua")
        #expect(failure?.reason.contains("\"rua\"") == true)
    }

    @Test func legacyTagsAreIssuesNotErrors() throws {
        let record = try parse("v=DMARC1; p=reject; pct=50; rf=afrf; ri=86400")
        #expect(record.policy == .reject)
        #expect(record.issues.filter { $0.kind == .legacyTag }.map(\.tag) == ["pct", "rf", "ri"])
    }

    @Test func unknownTagsIgnored() throws {
        let record = try parse("v=DMARC1; p=none; foo=bar")
        #expect(record.issues.map(\.kind) == [.unknownTag])
        #expect(record.tags.map(\.name) == ["v", "p", "foo"])
    }

    @Test(arguments: [
        ("adkim=x", "adkim"), ("aspf=relaxed", "aspf"), ("t=yes", "t"), ("psd=maybe", "psd"),
        ("fo=0:1", "fo"), ("fo=d:d", "fo"), ("fo=x", "fo"), ("fo=", "fo"),
    ])
    func invalidValuesNameTheTag(_ tag: String, _ name: String) throws {
        let record = try parse("v=DMARC1; p=none; ruf=mailto:f@example.com; " + tag)
        let issue = try #require(record.issues.first)
        #expect(issue.tag == name)
        #expect(issue.message.contains(name))
    }

    @Test(arguments: [
        "mailto:", "mailto:no-at-sign", "mailto:a@", "mailto:a@-bad-.example", "mailto:a..b@example.com",
        "mailto:a b@example.com", "dmarc@example.com", "mailto:a@example.com!big", "mailto:a@exa%2",
        "mailto:a%00@example.com", "1mailto:a@example.com",
    ])
    func invalidURIs(_ uri: String) throws {
        let record = try parse("v=DMARC1; p=none; rua=" + uri)
        #expect(record.aggregateReportURIs.isEmpty)
        #expect(record.issues.contains { $0.kind == .invalidURI && $0.tag == "rua" })
    }

    @Test func uriDetails() throws {
        let record = try parse("v=DMARC1; p=none; rua = mailto:d@Example.COM!10m , https://R.example.net/x ,"
            + "mailto:%22a%20b%22@example.org")
        #expect(record.aggregateReportURIs.map(\.host) == ["example.com", "r.example.net", "example.org"])
        #expect(record.aggregateReportURIs.first?.obsoleteSizeLimit == "10m")
        #expect(record.aggregateReportURIs.last?.mailbox?.localPart == "\"a b\"")
        #expect(record.issues.map(\.kind) == [.obsoleteSizeLimit, .unsupportedURIScheme])
    }

    @Test func foWithoutRUF() throws {
        #expect(try parse("v=DMARC1; p=none; fo=1").issues.map(\.kind) == [.failureOptionsWithoutRUF])
    }

    // MARK: Hostile input

    @Test func nulAndNonASCIIInValuesAreMalformedTags() throws {
        let bytes: [UInt8] = Array("v=DMARC1; p=re".utf8) + [0x00] + Array("ject; rua=mailto:d@exämple.com".utf8)
        let record = try DMARCRecord(parsing: bytes)
        #expect(record.policy == nil)
        #expect(record.issues.filter { $0.kind == .malformedTag }.map(\.tag) == ["p", "rua"])
        #expect(record.issues.first?.message.contains("\\x00") == false) // the name is shown, not the value
        #expect(record.tags[1].value == "re\\x00ject")
    }

    @Test func malformedPartsAreIgnored() throws {
        let record = try parse("v=DMARC1;; p=none; junk; 9x=1; =v;")
        #expect(record.policy == DMARCPolicy.none)
        #expect(record.issues.filter { $0.kind == .malformedTag }.count == 3)
    }

    @Test func hugeRecordsAreLinearAndBounded() throws {
        let many = "v=DMARC1; p=none; " + (0..<5000).map { "x\(String(repeating: "a", count: $0 % 7 + 1))=1" }
            .joined(separator: "; ")
        // Tag names repeat (xa, xaa, …): the whole record is invalid.
        #expect(error(many)?.code == .duplicateTag)
        let long = "v=DMARC1; p=none; rua=mailto:" + String(repeating: "a", count: 60_000) + "@example.com"
        #expect(try parse(long).issues.isEmpty)
        #expect(error("v=DMARC1; p=none; " + String(repeating: "z", count: 70_000))?.code == .tooLong)
        let uris = (0..<2000).map { "mailto:r\($0)@example.com" }.joined(separator: ",")
        #expect(try parse("v=DMARC1; p=none; rua=" + uris).aggregateReportURIs.count == 2000)
    }

    @Test func binaryGarbageNeverTraps() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2000 {
            var bytes = Array("v=DMARC1;".utf8)
            for _ in 0..<Int(state % 64) {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                bytes.append(UInt8(truncatingIfNeeded: state >> 56))
            }
            _ = try? DMARCRecord(parsing: bytes)
        }
    }
}
