import Foundation
import Testing
@testable import DKIMCore
import DNSTestServer

private func strings(_ result: TXTLookupResult) -> [[String]]? {
    guard case .records(let records) = result else { return nil }
    return records.map { $0.strings.map { String(decoding: $0, as: UTF8.self) } }
}

/// The system resolver against a real dnsmasq on 127.0.0.1 (see Support/DNSServerFixture.swift).
@Suite("KeyResolution: system resolver against a real DNS server")
struct KeyResolutionDNSTests {
    static let zone = "_domainkey.example.test"

    struct Keys {
        let rsa2048: [String]
        let rsa4096: [String]
        let ed25519: [String]
    }

    private func keys() throws -> Keys {
        Keys(
            rsa2048: TestKeyRecords.rsaRecord(try TestKeyRecords.publicKeyValue("test-rsa2048"), stringSize: 255),
            rsa4096: TestKeyRecords.rsaRecord(try TestKeyRecords.publicKeyValue("test-rsa4096")),
            ed25519: ["v=DKIM1; k=ed25519; p=" + (try TestKeyRecords.publicKeyValue("test-ed25519"))]
        )
    }

    private func fixture(_ keys: Keys) throws -> DNSServerFixture {
        try DNSServerFixture(
            records: [
                ("rsa2048.\(Self.zone)", keys.rsa2048),
                ("rsa4096.\(Self.zone)", keys.rsa4096),
                ("ed25519.\(Self.zone)", keys.ed25519),
                ("revoked.\(Self.zone)", ["v=DKIM1; k=rsa; p="]),
                ("two.\(Self.zone)", ["v=DKIM1; p=first"]),
                ("two.\(Self.zone)", ["v=DKIM1; ", "p=second"]),
            ],
            nodata: ["host.\(Self.zone)"],
            cnames: [("alias.\(Self.zone)", "ed25519.\(Self.zone)")],
            servfail: ["broken.\(Self.zone)"],
            blackhole: ["silent.\(Self.zone)"]
        )
    }

    private func resolver(_ server: DNSServerFixture, timeout: Double = 2) throws -> SystemDNSResolver {
        try SystemDNSResolver(nameserver: server.nameserver, timeout: timeout)
    }

    @Test func keyRecordsComeBackWithTheirStrings() async throws {
        let keys = try keys()
        let server = try fixture(keys)
        let dns = try resolver(server)
        #expect(strings(await dns.lookupTXT("rsa2048.\(Self.zone)")) == [keys.rsa2048])
        #expect(strings(await dns.lookupTXT("ED25519.\(Self.zone).")) == [keys.ed25519])
        #expect(strings(await dns.lookupTXT("revoked.\(Self.zone)")) == [["v=DKIM1; k=rsa; p="]])
    }

    /// The 4096-bit record does not fit 512 octets: UDP comes back truncated, TCP brings all of it.
    @Test func largeRecordNeedsTCPFallback() async throws {
        let keys = try keys()
        let server = try fixture(keys)
        let name = "rsa4096.\(Self.zone)"

        // Over UDP alone, the server sets TC and leaves the answer out.
        let servers = try #require(try? DNSExchange.resolveServers([DNSNameserver(parsing: server.nameserver)]).get())
        var query = [UInt8](repeating: 0, count: 512)
        let length = cdkimMakeQuery(name, &query)
        #expect(length > 12)
        query.removeSubrange(length...)
        guard case .response(let udp) = DNSExchange.udpExchange(query, server: servers[0],
                                                                  deadline: DNSExchange.monotonicNow() + 2) else {
            Issue.record("no UDP answer")
            return
        }
        #expect(DNSExchange.isTruncated(udp))
        #expect(try DNSResponse(parsing: udp, queryName: name).records.isEmpty)

        // The resolver retries over TCP and gets every string, in order.
        let result = await (try resolver(server)).lookupTXT(name)
        #expect(strings(result) == [keys.rsa4096])
        guard case .records(let records) = result else { return }
        #expect(records[0].strings.count == 4)
        let expected = "v=DKIM1; k=rsa; p=" + (try TestKeyRecords.publicKeyValue("test-rsa4096"))
        #expect(String(decoding: records[0].joined, as: UTF8.self) == expected)
        #expect(records[0].joined.count > 512)
    }

    @Test func twoRecordsAtOneName() async throws {
        let server = try fixture(try keys())
        let result = await (try resolver(server)).lookupTXT("two.\(Self.zone)")
        let found = try #require(strings(result))
        // DNS does not promise an order between records of one RRset.
        #expect(Set(found) == [["v=DKIM1; p=first"], ["v=DKIM1; ", "p=second"]])
    }

    @Test func nxdomainAndNodataAreNotFound() async throws {
        let server = try fixture(try keys())
        let dns = try resolver(server)
        #expect(await dns.lookupTXT("missing.\(Self.zone)") == .notFound)
        #expect(await dns.lookupTXT("host.\(Self.zone)") == .notFound)
    }

    @Test func servfailIsTemporary() async throws {
        let server = try fixture(try keys())
        let name = "broken.\(Self.zone)"

        // What the server really answers: rcode 2 (SERVFAIL).
        let servers = try #require(try? DNSExchange.resolveServers([DNSNameserver(parsing: server.nameserver)]).get())
        var query = [UInt8](repeating: 0, count: 512)
        query.removeSubrange(cdkimMakeQuery(name, &query)...)
        guard case .response(let bytes) = DNSExchange.udpExchange(query, server: servers[0],
                                                                    deadline: DNSExchange.monotonicNow() + 2) else {
            Issue.record("no answer for the SERVFAIL name")
            return
        }
        let rcode = try DNSResponse(parsing: bytes, queryName: name).rcode
        print("KeyResolution: rcode observed for the SERVFAIL name: \(rcode)")
        #expect(rcode == DNSResponse.RCode.serverFailure)

        guard case .temporaryFailure(let reason) = await (try resolver(server)).lookupTXT(name) else {
            Issue.record("SERVFAIL must be a temporary failure")
            return
        }
        #expect(reason.contains("SERVFAIL"))
    }

    @Test func neverAnsweringServerTimesOutWithinBudget() async throws {
        let server = try fixture(try keys())
        let options = SystemDNSResolver.Options(
            timeout: 2, attempts: 3, nameservers: [try DNSNameserver(parsing: server.nameserver)])
        // The resolver's own work, timed on this thread: the budget covers every retry (timeout + 1 s at most).
        let start = DNSExchange.monotonicNow()
        let direct = DNSExchange.lookup("silent.\(Self.zone)", options: options, deadline: start + options.timeout)
        let elapsed = DNSExchange.monotonicNow() - start
        print("KeyResolution: never-answering lookup (timeout 2 s, 3 attempts) took \(elapsed) s")
        guard case .temporaryFailure(let reason) = direct else {
            Issue.record("expected a temporary failure, got \(direct)")
            return
        }
        #expect(reason.contains("timed out"))
        #expect(elapsed < 3.0)
        #expect(elapsed > 1.5)

        // Through the async API, on an executor of its own (see DedicatedExecutor), within the same budget.
        let dns = try SystemDNSResolver(options: options)
        let (result, asyncElapsed) = await withTaskExecutorPreference(DedicatedExecutor()) {
            let start = DNSExchange.monotonicNow()
            let result = await dns.lookupTXT("silent.\(Self.zone)")
            return (result, DNSExchange.monotonicNow() - start)
        }
        guard case .temporaryFailure = result else {
            Issue.record("expected a temporary failure, got \(result)")
            return
        }
        #expect(asyncElapsed < 3.0)
    }

    @Test func closedPortIsTemporaryAndQuick() async throws {
        // Bind-and-close finds a port nobody listens on; ICMP port-unreachable ends the wait early.
        let server = try fixture(try keys())
        server.stop()
        let dns = try resolver(server)
        let (result, elapsed) = await withTaskExecutorPreference(DedicatedExecutor()) {
            let start = DNSExchange.monotonicNow()
            let result = await dns.lookupTXT("rsa2048.\(Self.zone)")
            return (result, DNSExchange.monotonicNow() - start)
        }
        guard case .temporaryFailure = result else {
            Issue.record("expected a temporary failure, got \(result)")
            return
        }
        // ICMP port-unreachable ends the wait before the 2 s timeout.
        #expect(elapsed < 2.5)
    }

    @Test func cnameInTheAnswerIsFollowed() async throws {
        let keys = try keys()
        let server = try fixture(keys)
        #expect(strings(await (try resolver(server)).lookupTXT("alias.\(Self.zone)")) == [keys.ed25519])
    }

    @Test func systemNameserversComeFromResolvConf() throws {
        // glibc falls back to 127.0.0.1 when /etc/resolv.conf names none, so there is always one.
        let servers = try DNSExchange.resolveServers([]).get()
        #expect(!servers.isEmpty)
        #expect(servers.allSatisfy { $0.label.contains(":") && $0.length > 0 })
    }

    @Test func ipv6NameserverWithNothingListeningIsTemporary() async throws {
        let dns = try SystemDNSResolver(nameserver: "[::1]:9", timeout: 1)
        guard case .temporaryFailure(let reason) = await dns.lookupTXT("x.\(Self.zone)") else {
            Issue.record("expected a temporary failure")
            return
        }
        #expect(reason.contains("[::1]:9"))
    }

    @Test func concurrentLookupsDoNotBlockEachOther() async throws {
        let keys = try keys()
        let server = try fixture(keys)
        let dns = try resolver(server)
        // Ten silent lookups at once plus one normal: all finish within one timeout, not ten. Timed on an executor
        // of its own (see DedicatedExecutor); the child tasks inherit it.
        let elapsed = try await withTaskExecutorPreference(DedicatedExecutor()) {
            let start = DNSExchange.monotonicNow()
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        if case .temporaryFailure = await dns.lookupTXT("silent.\(Self.zone)") { return true }
                        return false
                    }
                }
                group.addTask { strings(await dns.lookupTXT("ed25519.\(Self.zone)")) == [keys.ed25519] }
                for try await ok in group { #expect(ok) }
            }
            return DNSExchange.monotonicNow() - start
        }
        #expect(elapsed < 4)
    }
}

/// res_nmkquery through the shim, returning the query length.
private func cdkimMakeQuery(_ name: String, _ buffer: inout [UInt8]) -> Int {
    Int(DNSExchange.makeQuery(name, into: &buffer))
}
