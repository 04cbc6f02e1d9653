import Foundation
import Testing
import DNSTestServer

/// Issue #4 "must show" points for the built `dkimtool`: `verify` and `testkey` with `--nameserver` against a
/// real dnsmasq on 127.0.0.1 (Tests/DNSTestServer).
@Suite("dkimtool verify/testkey through a real DNS server")
struct VerifyDNSCommandTests {
    static let domain = "example.com"
    static let now = "1700000000"
    static let timeout = 2.0

    static let message = "From: Joe SixPack <joe@example.com>\r\nTo: Suzie Q <suzie@example.net>\r\n"
        + "Subject: Is dinner ready?\r\nDate: Fri, 11 Jul 2003 21:00:37 -0700\r\n\r\nHi.\r\n\r\nJoe.\r\n"

    static func name(_ selector: String) -> String { "\(selector)._domainkey.\(domain)" }


    /// One DNS server holding every case.
    static func fixture() throws -> DNSServerFixture {
        let rsa2048 = try TestKeyRecords.publicKeyValue("test-rsa2048")
        // A key pasted with a space inside p= (legal base64 with FWS, but a paste accident to report).
        let spaced = String(rsa2048.prefix(4)) + " " + String(rsa2048.dropFirst(4))
        var records: [(name: String, strings: [String])] = [
            (name("rsa2048"), TestKeyRecords.rsaRecord(rsa2048)),
            (name("rsa4096"), TestKeyRecords.rsaRecord(try TestKeyRecords.publicKeyValue("test-rsa4096"))),
            (name("spaced"), TestKeyRecords.rsaRecord(spaced)),
        ]
        let rfc8463 = try String(contentsOfFile: CLI.packageRoot.appendingPathComponent(
            "TestVectors/rfc8463/txt-records").path, encoding: .utf8)
        for line in rfc8463.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { continue }
            records.append((String(parts[0]), TestKeyRecords.chunks(String(parts[1]), 255)))
        }
        return try DNSServerFixture(records: records, servfail: [name("broken")], blackhole: [name("silent")])
    }

    /// Signs ``message`` with `dkimtool sign` and writes it to a new file; returns its path.
    static func signedFile(selector: String, key: String, in directory: URL) throws -> String {
        let signed = try CLI.run(["sign", "--domain", domain, "--selector", selector,
                                  "--key", CLI.vectorKey("\(key).private"), "--now", now, "-"], stdin: message)
        try #require(signed.status == 0, "\(signed.stderr)")
        let url = directory.appendingPathComponent("\(selector).eml")
        try Data(signed.stdoutBytes).write(to: url)
        return url.path
    }

    static func verify(_ file: String, through server: DNSServerFixture, _ extra: [String] = []) throws -> CLI.Result {
        try CLI.run(["verify", "--nameserver", server.nameserver, "--timeout", "\(Int(timeout))", "--now", now]
                    + extra + [file])
    }

    /// Runs `body` on a thread of its own and measures its wall time there: a test blocked in a child process
    /// would otherwise hold one of the few cooperative-pool threads the other tests of the process need.
    static func timedOffPool(_ body: @escaping @Sendable () throws -> CLI.Result) async throws
        -> (CLI.Result, Duration)
    {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                let clock = ContinuousClock()
                let start = clock.now
                do {
                    let result = try body()
                    continuation.resume(returning: (result, start.duration(to: clock.now)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.start()
        }
    }

    // MARK: verify

    @Test func passingSignatureExitsZero() throws {
        let server = try Self.fixture()
        defer { server.stop() }
        let directory = try CLI.temporaryDirectory()
        let file = try Self.signedFile(selector: "rsa2048", key: "test-rsa2048", in: directory)
        let result = try Self.verify(file, through: server)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("signature 1: pass d=example.com s=rsa2048 a=rsa-sha256"), "\(result.stdout)")
    }

    @Test func neverAnsweringNameExits75WithinTimeoutPlusOneSecond() async throws {
        let server = try Self.fixture()
        defer { server.stop() }
        let directory = try CLI.temporaryDirectory()
        let file = try Self.signedFile(selector: "silent", key: "test-rsa2048", in: directory)

        let (result, elapsed) = try await Self.timedOffPool { try Self.verify(file, through: server) }
        print("VerifyDNSCommand: dkimtool verify, never-answering name (--timeout 2) took \(elapsed) wall time")

        #expect(result.status == 75, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("\(file): temperror"), "\(result.stdout)")
        #expect(result.stdout.contains("signature 1: temperror (dns-temporary-failure)"), "\(result.stdout)")
        #expect(result.stdout.contains("dkim=temperror"), "\(result.stdout)")
        #expect(!result.stdout.contains(".."), "a nested reason ends the sentence once: \(result.stdout)")
        #expect(elapsed < .seconds(Self.timeout + 1))
        #expect(elapsed > .seconds(Self.timeout / 2))
    }

    @Test func servfailExits75() throws {
        let server = try Self.fixture()
        defer { server.stop() }
        let directory = try CLI.temporaryDirectory()
        let file = try Self.signedFile(selector: "broken", key: "test-rsa2048", in: directory)
        let result = try Self.verify(file, through: server)
        #expect(result.status == 75, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("signature 1: temperror (dns-temporary-failure)"), "\(result.stdout)")
        #expect(!result.stdout.contains(".."), "a nested reason ends the sentence once: \(result.stdout)")
    }

    @Test func nxdomainExits1AndNamesTheRecord() throws {
        let server = try Self.fixture()
        defer { server.stop() }
        let directory = try CLI.temporaryDirectory()
        let file = try Self.signedFile(selector: "sel", key: "test-rsa2048", in: directory)
        let result = try Self.verify(file, through: server)
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("signature 1: permerror (key-not-found)"), "\(result.stdout)")
        #expect(result.stdout.contains("sel._domainkey.example.com"), "\(result.stdout)")
    }

    /// RFC 8463 Appendix A.3: both signatures pass through DNS and offline from the same records.
    @Test func rfc8463PassesThroughDNSAndOffline() throws {
        let server = try Self.fixture()
        defer { server.stop() }
        let file = CLI.packageRoot.appendingPathComponent("TestVectors/rfc8463/signed.eml").path
        let records = CLI.packageRoot.appendingPathComponent("TestVectors/rfc8463/txt-records").path
        let throughDNS = try Self.verify(file, through: server)
        let offline = try CLI.run(["verify", "--txt-records", records, file])
        for result in [throughDNS, offline] {
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("signature 1: pass d=football.example.com s=brisbane a=ed25519-sha256"),
                    "\(result.stdout)")
            #expect(result.stdout.contains("signature 2: pass d=football.example.com s=test a=rsa-sha256"),
                    "\(result.stdout)")
        }
    }

    @Test func jsonThroughDNSReportsTheSplitKeySize() throws {
        let server = try Self.fixture()
        defer { server.stop() }
        let directory = try CLI.temporaryDirectory()
        let file = try Self.signedFile(selector: "rsa4096", key: "test-rsa4096", in: directory)
        let result = try Self.verify(file, through: server, ["--format", "json"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["result"] as? String == "pass")
        let signatures = try #require(object["signatures"] as? [[String: Any]])
        #expect(signatures.count == 1)
        #expect(signatures.first?["result"] as? String == "pass")
        #expect(signatures.first?["selector"] as? String == "rsa4096")
        #expect(signatures.first?["keyBits"] as? Int == 4096)
    }

    // MARK: testkey

    /// Runs `testkey --format json` and returns the exit status and the fault codes.
    static func testkey(_ selector: String, key: String?, through server: DNSServerFixture) throws
        -> (status: Int32, faults: [String], output: String)
    {
        var arguments = ["testkey", "--domain", domain, "--selector", selector,
                         "--nameserver", server.nameserver, "--timeout", "\(Int(timeout))", "--format", "json"]
        if let key { arguments += ["--key", CLI.vectorKey("\(key).private")] }
        let result = try CLI.run(arguments)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let faults = (object?["faults"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        return (result.status, faults, result.stdout + result.stderr)
    }

    @Test func testkeyFindsEachFaultThroughDNS() throws {
        let server = try Self.fixture()
        defer { server.stop() }

        var check = try Self.testkey("rsa2048", key: "test-rsa2048", through: server)
        #expect(check.status == 0, "\(check.output)")
        #expect(check.faults == [], "\(check.output)")
        #expect(check.output.contains("\"matchesPrivateKey\":true"), "\(check.output)")

        check = try Self.testkey("rsa2048", key: "test-rsa4096", through: server)
        #expect(check.status == 1, "\(check.output)")
        #expect(check.faults == ["key-differs"], "\(check.output)")

        check = try Self.testkey("absent", key: "test-rsa2048", through: server)
        #expect(check.status == 1, "\(check.output)")
        #expect(check.faults == ["no-record"], "\(check.output)")
        #expect(check.output.contains("absent._domainkey.example.com"), "\(check.output)")

        // The spaced record still holds the right key: white space is the only fault.
        check = try Self.testkey("spaced", key: "test-rsa2048", through: server)
        #expect(check.status == 1, "\(check.output)")
        #expect(check.faults == ["whitespace-in-key"], "\(check.output)")

        check = try Self.testkey("broken", key: nil, through: server)
        #expect(check.status == 75, "\(check.output)")
        #expect(check.faults == ["dns-temporary-failure"], "\(check.output)")
    }

    /// The text form gives each fault its own message.
    @Test func testkeyTextNamesEachFault() throws {
        let server = try Self.fixture()
        defer { server.stop() }
        var messages: [String] = []
        for (selector, key) in [("rsa2048", "test-rsa4096"), ("absent", "test-rsa2048"), ("spaced", "test-rsa2048")] {
            let result = try CLI.run(["testkey", "--domain", Self.domain, "--selector", selector,
                                      "--key", CLI.vectorKey("\(key).private"), "--nameserver", server.nameserver])
            #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
            let faults = result.stdout.split(separator: "\n").filter { $0.contains("fault (") }
            #expect(faults.count == 1, "\(result.stdout)")
            messages += faults.map(String.init)
        }
        #expect(messages.count == 3)
        #expect(Set(messages).count == 3)
        #expect(messages.first?.contains("fault (key-differs)") == true)
        #expect(messages.dropFirst().first?.contains("fault (no-record)") == true)
        #expect(messages.last?.contains("fault (whitespace-in-key)") == true)
    }
}
