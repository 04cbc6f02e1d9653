import DKIMCore
import Testing
@testable import MailAuthRecords

@Suite("SPF: record syntax (RFC 7208 §4.5, §12)")
struct SPFRecordTests {
    @Test func everyMechanismAndModifierParses() throws {
        let record = try SPFRecord(parsing: "v=spf1 +all -include:_spf.example.com ~a a:mail.example.com/24//64 "
            + "mx/30 ?ptr ptr:example.org ip4:192.0.2.0/24 ip6:2001:db8::/32 exists:%{ir}.bl.example.net "
            + "redirect=_spf.example.net exp=explain.%{d} foo=bar  ")
        #expect(record.directives.map(\.mechanism) == [
            .all, .include(domain: "_spf.example.com"), .a(domain: nil, ipv4Prefix: nil, ipv6Prefix: nil),
            .a(domain: "mail.example.com", ipv4Prefix: 24, ipv6Prefix: 64),
            .mx(domain: nil, ipv4Prefix: 30, ipv6Prefix: nil), .ptr(domain: nil), .ptr(domain: "example.org"),
            .ip4(address: [192, 0, 2, 0], prefix: 24),
            .ip6(address: [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 12), prefix: 32),
            .exists(domain: "%{ir}.bl.example.net"),
        ])
        #expect(record.directives.map(\.qualifier) == [.pass, .fail, .softfail, .pass, .pass, .neutral, .pass,
                                                       .pass, .pass, .pass])
        #expect(record.redirect == "_spf.example.net")
        #expect(record.explanation == "explain.%{d}")
        #expect(record.unknownModifiers == [SPFModifier(name: "foo", value: "bar")])
    }

    @Test(arguments: [
        ("v=spf1 redirect=a.example redirect=b.example", "redirect=b.example"),
        ("v=spf1 exp=a.example exp=b.example", "exp=b.example"),
        ("v=spf1 ip4:192.0.2.0/33", "ip4:192.0.2.0/33"),
        ("v=spf1 ip4:192.0.2.0/024", "ip4:192.0.2.0/024"),
        ("v=spf1 ip6:2001:db8::/129", "ip6:2001:db8::/129"),
        ("v=spf1 ip4:192.0.2", "ip4:192.0.2"),
        ("v=spf1 a:example.com/24//", "a:example.com/24//"),
        ("v=spf1 include", "include"),
        ("v=spf1 include:", "include:"),
        ("v=spf1 a:example.-com", "a:example.-com"),
        ("v=spf1 a:example.123", "a:example.123"),
        ("v=spf1 -all:foo", "-all:foo"),
        ("v=spf1 frobnicate", "frobnicate"),
        ("v=spf1 exists:%{x}.example.com", "exists:%{x}.example.com"),
        ("v=spf1 a:\u{00E9}.example.com", "a:\\xC3\\xA9.example.com"),
    ])
    func syntaxErrorsNameTheTerm(text: String, term: String) {
        #expect(throws: SPFSyntaxError.self) { try SPFRecord(parsing: text) }
        do {
            _ = try SPFRecord(parsing: text)
        } catch {
            #expect(error.term == term)
            #expect(error.reason.contains(term))
        }
    }

    @Test func selectionNeedsExactlyOneRecord() throws {
        func txt(_ text: String) -> DNSTXTRecord { DNSTXTRecord(strings: [Array(text.utf8)]) }
        #expect(SPFRecordSelection.select(from: [txt("v=spf10 -all"), txt("hello")]) == .none)
        #expect(SPFRecordSelection.select(from: [txt("v=spf1 -all"), txt("V=SPF1 +all")]) == .multiple(count: 2))
        // Only letters compare without case: a control byte is not "=" ("v\u{1D}spf1": 0x1D | 0x20 is "=").
        #expect(!SPFRecord.isSPFRecord(Array("v\u{1D}spf1 +all".utf8)))
        #expect(!SPFRecord.isSPFRecord(Array("v=spf\u{11} +all".utf8)))
        #expect(SPFRecord.isSPFRecord(Array("V=Spf1 -all".utf8)))
        guard case .record = SPFRecordSelection.select(from: [txt("v=spf1 -all"), txt("v\u{1D}spf1 +all")]) else {
            Issue.record("a record that only looks like v=spf1 with a control byte is not a second SPF record")
            return
        }
        guard case .record(let record, _) = SPFRecordSelection.select(
            from: [DNSTXTRecord(strings: [Array("v=spf1 ip4:".utf8), Array("192.0.2.1 -all".utf8)])]) else {
            Issue.record("strings of one record are joined (RFC 7208 §3.3)")
            return
        }
        #expect(record.directives.count == 2)
    }

    /// Totality: every prefix of a long record parses or throws.
    @Test func everyPrefixIsHandled() {
        let text = Array(("v=spf1 a:%{l1r-}.x.example.com/24//64 ip6:::ffff:1.2.3.4/96 exp=%{d}.example "
            + "redirect=x.y").utf8)
        for end in 0...text.count { _ = try? SPFRecord(parsing: Array(text.prefix(end))) }
        for index in text.indices {
            var bytes = text
            bytes[index] = 0x25
            _ = try? SPFRecord(parsing: bytes)
        }
    }

    @Test func addressesParse() {
        #expect(SPFIPAddress("::ffff:192.0.2.1")?.octets == [192, 0, 2, 1])
        #expect(SPFIPAddress("2001:db8::cb01")?.description == "2001:db8::cb01")
        #expect(SPFIPAddress("2001:db8:0:0:1:0:0:1")?.description == "2001:db8::1:0:0:1")
        for bad in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.1.1.1", "1::2::3", ":::", "12345::", "g::1"] {
            #expect(SPFIPAddress(bad) == nil, "\(bad)")
        }
    }
}
