import Foundation
import Testing
import DNSTestServer

/// `dkimtool check-domain` against a real dnsmasq on 127.0.0.1: one zone per fault of issue #9, and a correct one.
@Suite("dkimtool check-domain through a real DNS server")
struct CheckDomainTests {
    static let rsa2048 = (try? TestKeyRecords.publicKeyValue("test-rsa2048")) ?? ""
    /// `p=` of the TEST-ONLY 1024-bit key, as `openssl pkey -pubout | openssl base64 -A` printed it.
    static let rsa1024 = ((try? String(contentsOf: TestKeyRecords.vectors.appendingPathComponent(
        "keys/rsa1024.spki.b64"), encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    /// The record `test-rsa2048.private` needs, from the openssl-made `p=` (not from our own output).
    static let expectedDKIMValue = "v=DKIM1; k=rsa; p=" + rsa2048

    /// A correct domain: SPF with -all, DMARC p=reject with reports to itself, a 2048-bit key at `mail`, an MX.
    static func correct(
        _ domain: String, spf: [String]? = nil, dmarc: String? = nil, dkim: [String]? = nil
    ) -> [(name: String, strings: [String])] {
        var records: [(name: String, strings: [String])] = [
            (domain, [spf?.first ?? "v=spf1 mx ip4:192.0.2.10 -all"]),
            ("_dmarc.\(domain)", [dmarc ?? "v=DMARC1; p=reject; rua=mailto:dmarc@\(domain)"]),
        ]
        for extra in (spf ?? []).dropFirst() { records.append((domain, [extra])) }
        if let dkim {
            if !dkim.isEmpty { records.append(("mail._domainkey.\(domain)", dkim)) }
        } else {
            records.append(("mail._domainkey.\(domain)", TestKeyRecords.rsaRecord(rsa2048)))
        }
        return records
    }

    /// Every zone of the suite in one server.
    static func fixture() throws -> DNSServerFixture {
        var records: [(name: String, strings: [String])] = []
        // (a) the seed case: SPF and DMARC present, mail._domainkey missing.
        records += correct("seed.example", dkim: [])
        // (b) 11 DNS-querying terms through includes: 2 includes + 5 + 4 a: terms.
        records += correct("lookups.example",
                           spf: ["v=spf1 include:i1.lookups.example include:i2.lookups.example -all"])
        records.append(("i1.lookups.example", ["v=spf1 a:h1.example a:h2.example a:h3.example a:h4.example "
                                               + "a:h5.example ~all"]))
        records.append(("i2.lookups.example", ["v=spf1 a:h6.example a:h7.example a:h8.example a:h9.example ~all"]))
        // (c) two SPF records.
        records += correct("twospf.example", spf: ["v=spf1 mx -all", "v=spf1 ip4:192.0.2.10 -all"])
        // (d) +all.
        records += correct("passall.example", spf: ["v=spf1 mx +all"])
        // (e) DMARC without p=.
        records += correct("nop.example", dmarc: "v=DMARC1; rua=mailto:dmarc@nop.example")
        // (f) rua= to another organization that publishes no authorization record...
        records += correct("extrua.example", dmarc: "v=DMARC1; p=reject; rua=mailto:reports@other.example")
        // ...and one to an organization that does.
        records += correct("authrua.example", dmarc: "v=DMARC1; p=reject; rua=mailto:reports@other.example")
        records.append(("authrua.example._report._dmarc.other.example", ["v=DMARC1;"]))
        // (g) a 1024-bit key.
        records += correct("weak.example", dkim: TestKeyRecords.rsaRecord(rsa1024))
        // (h) a correct domain, and one whose DMARC lookup fails (SERVFAIL).
        records += correct("good.example")
        records += correct("tempfail.example").filter { $0.name != "_dmarc.tempfail.example" }

        let domains = ["seed", "lookups", "twospf", "passall", "nop", "extrua", "authrua", "weak", "good", "tempfail"]
        return try DNSServerFixture(
            records: records,
            servfail: ["_dmarc.tempfail.example"],
            addresses: domains.map { ("mx.\($0).example", "192.0.2.25") } + [("mail.good.example", "192.0.2.10")],
            mailExchangers: domains.map { ("\($0).example", "mx.\($0).example", 10) })
    }

    static func check(_ server: DNSServerFixture, _ arguments: [String]) throws -> CLI.Result {
        try CLI.run(["check-domain", "--nameserver", server.nameserver, "--timeout", "3"] + arguments)
    }

    /// The items of `--format json` output.
    static func items(_ result: CLI.Result) throws -> [[String: Any]] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdoutBytes)) as? [String: Any],
                                  "\(result.stdout)")
        return try #require(object["items"] as? [[String: Any]])
    }

    static func item(_ id: String, in items: [[String: Any]]) -> [String: Any]? {
        items.first { $0["id"] as? String == id }
    }

    static func fixValue(_ item: [String: Any]?) -> String? {
        (item?["fix"] as? [String: Any])?["recordValue"] as? String
    }

    static func blockingIDs(_ items: [[String: Any]]) -> [String] {
        items.filter { $0["blocking"] as? Bool == true }.compactMap { $0["id"] as? String }
    }

    @Test("seed case: the first line names the missing mail._domainkey record and the record from --key follows")
    func seedCaseWithKey() throws {
        let server = try Self.fixture()
        let result = try Self.check(server, ["seed.example", "--selector", "mail",
                                             "--key", CLI.vectorKey("test-rsa2048.private")])
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let first = try #require(lines.first)
        #expect(first.hasPrefix("[FAIL]"), "\(first)")
        #expect(first.contains("mail._domainkey.seed.example"), "\(first)")
        #expect(lines.dropFirst().prefix(12).contains { $0.contains("Value: " + Self.expectedDKIMValue) },
                "\(result.stdout)")
        #expect(result.stdout.contains("Why it matters: Gmail and Yahoo"))
        // The zone-file form: strings of at most 255 characters that join to the value.
        let quoted = CLI.quotedStrings(result.stdout.components(separatedBy: "Zone-file form").dropFirst().first?
            .components(separatedBy: "\n[").first ?? "")
        #expect(!quoted.isEmpty && quoted.allSatisfy { $0.utf8.count <= 255 })
        #expect(quoted.joined() == Self.expectedDKIMValue)
        // SPF, DMARC and MX pass: DKIM is the only thing blocking.
        #expect(result.stdout.contains("[ OK ] seed.example publishes a valid SPF record"))
        #expect(result.stdout.contains("[ OK ] _dmarc.seed.example publishes a valid DMARC record"))
        #expect(lines.filter { $0.hasPrefix("[FAIL]") }.count == 1, "\(result.stdout)")

        let json = try Self.items(try Self.check(server, ["seed.example", "--selector", "mail", "--format", "json",
                                                          "--key", CLI.vectorKey("test-rsa2048.private")]))
        #expect(json.first?["id"] as? String == "dkim-missing")
        #expect(Self.blockingIDs(json) == ["dkim-missing"])
        let fix = try #require(json.first?["fix"] as? [String: Any])
        #expect(fix["recordName"] as? String == "mail._domainkey.seed.example")
        #expect(fix["recordValue"] as? String == Self.expectedDKIMValue)
        #expect((fix["recordStrings"] as? [String])?.joined() == Self.expectedDKIMValue)
    }

    @Test("seed case without --key: the fix says how to make the record")
    func seedCaseWithoutKey() throws {
        let server = try Self.fixture()
        let result = try Self.check(server, ["seed.example", "--selector", "mail"])
        #expect(result.status == 1)
        let first = result.stdout.prefix { $0 != "\n" }
        #expect(first.hasPrefix("[FAIL]") && first.contains("mail._domainkey.seed.example"), "\(first)")
        #expect(result.stdout.contains("dkimtool keygen --domain seed.example --selector mail"), "\(result.stdout)")
    }

    @Test("without --selector the probe finds no selector on the seed domain, and finds mail on the good one")
    func probe() throws {
        let server = try Self.fixture()
        let seed = try Self.check(server, ["seed.example", "--format", "json"])
        #expect(seed.status == 1)
        let seedItems = try Self.items(seed)
        #expect(seedItems.first?["id"] as? String == "dkim-none-found")
        let good = try Self.check(server, ["good.example", "--format", "json"])
        #expect(good.status == 0, "\(good.stdout)")
        let ok = Self.item("dkim-ok", in: try Self.items(good))
        #expect(ok?["name"] as? String == "mail._domainkey.good.example")
    }

    @Test("(b) 11 DNS lookups through includes")
    func tooManyLookups() throws {
        let server = try Self.fixture()
        let result = try Self.check(server, ["lookups.example", "--selector", "mail", "--format", "json"])
        #expect(result.status == 1)
        let items = try Self.items(result)
        #expect(Self.blockingIDs(items) == ["spf-too-many-lookups"])
        let item = Self.item("spf-too-many-lookups", in: items)
        #expect((item?["message"] as? String)?.contains("11") == true)
        let action = (item?["fix"] as? [String: Any])?["action"] as? String ?? ""
        #expect(action.contains("i2.lookups.example: a:h9.example"), "\(action)")
    }

    @Test("(c) two SPF records: one merged record is the fix")
    func twoSPFRecords() throws {
        let server = try Self.fixture()
        let result = try Self.check(server, ["twospf.example", "--selector", "mail", "--format", "json"])
        #expect(result.status == 1)
        let items = try Self.items(result)
        #expect(Self.blockingIDs(items) == ["spf-multiple"])
        let value = Self.fixValue(Self.item("spf-multiple", in: items))
        #expect(value == "v=spf1 mx ip4:192.0.2.10 -all" || value == "v=spf1 ip4:192.0.2.10 mx -all", "\(value ?? "")")
    }

    @Test("(d) +all: the fix is the same record ending in ~all")
    func passAll() throws {
        let server = try Self.fixture()
        let result = try Self.check(server, ["passall.example", "--selector", "mail", "--format", "json"])
        #expect(result.status == 1)
        let items = try Self.items(result)
        #expect(Self.blockingIDs(items) == ["spf-pass-all"])
        #expect(Self.fixValue(Self.item("spf-pass-all", in: items)) == "v=spf1 mx ~all")
    }

    @Test("(e) DMARC without p=: the fix adds p=none and keeps rua")
    func dmarcPolicyMissing() throws {
        let server = try Self.fixture()
        let result = try Self.check(server, ["nop.example", "--selector", "mail", "--format", "json"])
        #expect(result.status == 1)
        let items = try Self.items(result)
        #expect(Self.blockingIDs(items) == ["dmarc-p-missing"])
        let item = Self.item("dmarc-p-missing", in: items)
        #expect((item?["fix"] as? [String: Any])?["recordName"] as? String == "_dmarc.nop.example")
        #expect(Self.fixValue(item) == "v=DMARC1; p=none; rua=mailto:dmarc@nop.example")
    }

    @Test("(f) rua= to another domain without its authorization record; with it, no finding")
    func externalReportDestination() throws {
        let server = try Self.fixture()
        let result = try Self.check(server, ["extrua.example", "--selector", "mail", "--format", "json"])
        // A warning: reports are lost, delivery is not blocked.
        #expect(result.status == 0, "\(result.stdout)")
        let items = try Self.items(result)
        let item = try #require(Self.item("dmarc-destination-unauthorized", in: items))
        #expect(item["status"] as? String == "warning")
        let fix = try #require(item["fix"] as? [String: Any])
        #expect(fix["recordName"] as? String == "extrua.example._report._dmarc.other.example")
        #expect(fix["recordValue"] as? String == "v=DMARC1;")
        #expect((fix["action"] as? String)?.contains("v=DMARC1; p=reject; rua=mailto:dmarc-reports@extrua.example")
                == true)

        let authorized = try Self.items(try Self.check(server, ["authrua.example", "--selector", "mail",
                                                                "--format", "json"]))
        #expect(Self.item("dmarc-destination-unauthorized", in: authorized) == nil)
        #expect(Self.item("dmarc-ok", in: authorized) != nil)
    }

    @Test("(g) a 1024-bit DKIM key: a warning with the way to a 2048-bit key")
    func weakKey() throws {
        let server = try Self.fixture()
        let result = try Self.check(server, ["weak.example", "--selector", "mail", "--format", "json"])
        #expect(result.status == 0, "\(result.stdout)")
        let items = try Self.items(result)
        let item = try #require(Self.item("dkim-key-under-2048-bits", in: items))
        #expect(item["status"] as? String == "warning")
        #expect((item["message"] as? String)?.contains("1024") == true)
        let action = (item["fix"] as? [String: Any])?["action"] as? String ?? ""
        #expect(action.contains("dkimtool keygen --domain weak.example") && action.contains("--bits 2048"))
        let text = try Self.check(server, ["weak.example", "--selector", "mail"])
        #expect(text.stdout.hasPrefix("[WARN]"), "\(text.stdout)")
    }

    @Test("(h) a correct domain: every item passes, exit 0")
    func correctDomain() throws {
        let server = try Self.fixture()
        let result = try Self.check(server, ["good.example", "--selector", "mail",
                                             "--key", CLI.vectorKey("test-rsa2048.private"), "--format", "json"])
        #expect(result.status == 0, "\(result.stdout)")
        let items = try Self.items(result)
        #expect(items.allSatisfy { $0["status"] as? String == "pass" }, "\(result.stdout)")
        #expect(Set(items.compactMap { $0["area"] as? String }) == ["dkim", "spf", "dmarc", "mx"])
        let text = try Self.check(server, ["good.example", "--selector", "mail"])
        #expect(text.status == 0)
        #expect(text.stdout.split(separator: "\n").filter { $0.hasPrefix("[") }.allSatisfy { $0.hasPrefix("[ OK ]") },
                "\(text.stdout)")
    }

    @Test("--ip: SPF passes for the listed ip4 with forward-confirmed reverse DNS, fails for another address")
    func sendingAddress() throws {
        let server = try Self.fixture()
        let listed = try Self.check(server, ["good.example", "--selector", "mail", "--ip", "192.0.2.10",
                                             "--format", "json"])
        #expect(listed.status == 0, "\(listed.stdout)")
        let listedItems = try Self.items(listed)
        #expect(Self.item("spf-ip-pass", in: listedItems) != nil)
        #expect(Self.item("ptr-ok", in: listedItems)?["found"] as? String == "mail.good.example")

        let other = try Self.check(server, ["good.example", "--selector", "mail", "--ip", "192.0.2.99",
                                            "--format", "json"])
        #expect(other.status == 1)
        let otherItems = try Self.items(other)
        #expect(Self.blockingIDs(otherItems) == ["spf-ip-fail", "ptr-missing"])
        #expect(Self.fixValue(Self.item("spf-ip-fail", in: otherItems))
                == "v=spf1 ip4:192.0.2.99 mx ip4:192.0.2.10 -all")
    }

    @Test("a DMARC lookup that fails temporarily, with nothing else blocking, exits 75")
    func temporaryFailure() throws {
        let server = try Self.fixture()
        let result = try Self.check(server, ["tempfail.example", "--selector", "mail"])
        #expect(result.status == 75, "\(result.stdout)")
        #expect(result.stdout.contains("[TEMP]"))
    }

    @Test("usage errors exit 64; a missing or malformed --key exits 66/65")
    func usageAndKeyErrors() throws {
        #expect(try CLI.run(["check-domain", "good.example", "--txt-records", "/dev/null"]).status == 64)
        #expect(try CLI.run(["check-domain", "good.example", "--ip", "192.0.2"]).status == 64)
        #expect(try CLI.run(["check-domain", "not a domain"]).status == 64)
        #expect(try CLI.run(["check-domain", "good.example", "--selector", "a/b"]).status == 64)
        #expect(try CLI.run(["check-domain", "good.example", "--key", "/nonexistent/key.pem"]).status == 66)
        #expect(try CLI.run(["check-domain", "good.example", "--key", CLI.vectorKey("message.txt")]).status == 65)
    }
}
