import Testing
@testable import DKIMCore
import DNSTestServer

/// ``SystemDNSResolver/query(_:type:)`` for each record type against a real dnsmasq on 127.0.0.1.
@Suite("DNS: typed queries against a real DNS server")
struct DNSQueryDNSTests {
    private func fixture() throws -> DNSServerFixture {
        try DNSServerFixture(
            records: [("example.test", ["v=spf1 mx -all"]), ("txt-only.example.test", ["hello", "world"])],
            cnames: [("alias.example.test", "host.example.test")],
            servfail: ["broken.example.test"],
            addresses: [("host.example.test", "192.0.2.10"), ("host.example.test", "2001:db8::10"),
                        ("mx1.example.test", "192.0.2.25")],
            mailExchangers: [("example.test", "mx1.example.test", 10), ("example.test", "mx2.example.test", 20)],
            pointers: [("7.100.51.198.in-addr.arpa", "reverse.example.test")]
        )
    }

    @Test func eachTypeComesBack() async throws {
        let server = try fixture()
        let dns = try SystemDNSResolver(nameserver: server.nameserver, timeout: 3)
        #expect(await dns.query("host.example.test", type: .a) == .answers([.a([192, 0, 2, 10])]))
        #expect(await dns.query("HOST.example.test.", type: .aaaa)
            == .answers([.aaaa([0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [0x10])]))
        guard case .answers(let mx) = await dns.query("example.test", type: .mx) else {
            Issue.record("no MX answer")
            return
        }
        #expect(Set(mx) == [.mx(preference: 10, exchange: "mx1.example.test"),
                            .mx(preference: 20, exchange: "mx2.example.test")])
        #expect(await dns.query("7.100.51.198.in-addr.arpa", type: .ptr) == .answers([.ptr("reverse.example.test")]))
        #expect(await dns.query("txt-only.example.test", type: .txt)
            == .answers([.txt(DNSTXTRecord(strings: [Array("hello".utf8), Array("world".utf8)]))]))
    }

    /// dnsmasq's --host-record also serves the reverse (PTR) name of the address.
    @Test func hostRecordHasItsReverseName() async throws {
        let server = try fixture()
        let dns = try SystemDNSResolver(nameserver: server.nameserver, timeout: 3)
        #expect(await dns.query("10.2.0.192.in-addr.arpa", type: .ptr) == .answers([.ptr("host.example.test")]))
    }

    @Test func cnameIsFollowed() async throws {
        let server = try fixture()
        let dns = try SystemDNSResolver(nameserver: server.nameserver, timeout: 3)
        #expect(await dns.query("alias.example.test", type: .a) == .answers([.a([192, 0, 2, 10])]))
    }

    @Test func nxdomainIsNotNoData() async throws {
        let server = try fixture()
        let dns = try SystemDNSResolver(nameserver: server.nameserver, timeout: 3)
        #expect(await dns.query("missing.example.test", type: .a) == .nameNotFound)
        #expect(await dns.query("missing.example.test", type: .mx) == .nameNotFound)
        #expect(await dns.query("host.example.test", type: .mx) == .noData)
        #expect(await dns.query("host.example.test", type: .txt) == .noData)
        #expect(await dns.lookupTXT("host.example.test") == .notFound)
    }

    @Test func serverFailureIsTemporary() async throws {
        let server = try fixture()
        let dns = try SystemDNSResolver(nameserver: server.nameserver, timeout: 3)
        guard case .temporaryFailure = await dns.query("broken.example.test", type: .txt) else {
            Issue.record("SERVFAIL must be a temporary failure")
            return
        }
    }
}
