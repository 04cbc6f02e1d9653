import Testing
@testable import MailAuthRecords

/// RFC 7208 §7.4: the examples, with sender strong-bad@email.example.com and IP 192.0.2.3 / 2001:db8::cb01.
@Suite("SPF: macro expansion (RFC 7208 §7)")
struct SPFMacroTests {
    static func context(_ ip: String) -> SPFMacro.Context {
        SPFMacro.Context(
            sender: Array("strong-bad@email.example.com".utf8), localPart: Array("strong-bad".utf8),
            senderDomain: Array("email.example.com".utf8), domain: Array("email.example.com".utf8),
            ip: SPFIPAddress(ip)!, helo: Array("mx.example.org".utf8), receivingHost: Array("unknown".utf8),
            timestamp: 1_700_000_000, validatedName: nil)
    }

    static func expand(_ macro: String, ip: String = "192.0.2.3", explanation: Bool = false) -> String? {
        guard case .success(let parts) = SPFMacro.parse(Array(macro.utf8)[...], explanation: explanation) else {
            return nil
        }
        return String(decoding: SPFMacro.expand(parts, context(ip)), as: UTF8.self)
    }

    @Test(arguments: [
        ("%{s}", "strong-bad@email.example.com"), ("%{o}", "email.example.com"), ("%{d}", "email.example.com"),
        ("%{d4}", "email.example.com"), ("%{d3}", "email.example.com"), ("%{d2}", "example.com"),
        ("%{d1}", "com"), ("%{dr}", "com.example.email"), ("%{d2r}", "example.email"), ("%{l}", "strong-bad"),
        ("%{l-}", "strong.bad"), ("%{lr}", "strong-bad"), ("%{lr-}", "bad.strong"), ("%{l1r-}", "strong"),
        ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
        ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
        ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
        ("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"),
        ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
    ])
    func rfcExamplesIPv4(macro: String, expected: String) {
        #expect(Self.expand(macro) == expected)
    }

    @Test func rfcExampleIPv6() {
        #expect(Self.expand("%{ir}.%{v}._spf.%{d2}", ip: "2001:db8::cb01")
            == "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com")
    }

    /// §7.1: %% %_ %-; §7.3: uppercase letters are URL-escaped.
    @Test func escapesAndURLEncoding() {
        #expect(Self.expand("a%%b%_c%-d") == "a%b c%20d")
        #expect(Self.expand("%{S}") == "strong-bad%40email.example.com")
        #expect(Self.expand("%{c} %{r} %{t}", ip: "2001:db8::cb01", explanation: true)
            == "2001:db8::cb01 unknown 1700000000")
        #expect(Self.expand("%{p}") == "unknown")
    }

    @Test(arguments: ["%", "%{", "%{x}", "%{d0}", "%{d2rx}", "%a", "%{c}", "%{t}", "a b", "%{}"])
    func malformedMacrosAreRejected(macro: String) {
        #expect(Self.expand(macro) == nil)
    }

    @Test func hugeDigitTransformerDoesNotOverflow() {
        #expect(Self.expand("%{d99999999999999999999999999}") == "email.example.com")
    }
}
