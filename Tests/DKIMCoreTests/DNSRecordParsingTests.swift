import Testing
@testable import DKIMCore

/// Hand-built DNS messages in the RFC 1035 §4.1 layout (header, question, answers) for the RDATA decoders.
private enum Wire {
    /// `www.example.com` style text → length-prefixed labels and the root label (RFC 1035 §3.1).
    static func name(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        for label in text.split(separator: ".") {
            bytes.append(UInt8(label.utf8.count))
            bytes += Array(label.utf8)
        }
        return bytes + [0]
    }

    static func u16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }

    /// One resource record (RFC 1035 §4.1.3); `owner` is raw (labels or a pointer).
    static func record(owner: [UInt8], type: UInt16, rdata: [UInt8], rdLength: UInt16? = nil) -> [UInt8] {
        owner + u16(type) + u16(1) + [0, 0, 0x0E, 0x10] + u16(rdLength ?? UInt16(rdata.count)) + rdata
    }

    /// A response (ID 0x1234, QR RD RA, `rcode`) to one question `qname`/`qtype`/IN with `answers`.
    static func response(qname: String, qtype: UInt16, rcode: UInt8 = 0, answers: [[UInt8]]) -> [UInt8] {
        let header = [0x12, 0x34, 0x81, 0x80 | rcode] + u16(1) + u16(UInt16(answers.count)) + u16(0) + u16(0)
        return header + name(qname) + u16(qtype) + u16(1) + answers.flatMap { $0 }
    }

    /// A compression pointer to offset 12, where the question name starts (RFC 1035 §4.1.4).
    static let questionPointer: [UInt8] = [0xC0, 0x0C]
}

@Suite("DNS: RDATA of A, AAAA, MX, PTR, TXT from wire messages")
struct DNSRecordParsingTests {
    @Test func aRecordIsFourOctets() throws {
        let message = Wire.response(qname: "example.com", qtype: 1, answers: [
            Wire.record(owner: Wire.questionPointer, type: 1, rdata: [192, 0, 2, 1]),
            Wire.record(owner: Wire.questionPointer, type: 1, rdata: [198, 51, 100, 7]),
        ])
        let response = try DNSResponse(parsing: message, queryName: "example.com", type: .a)
        #expect(response.records == [.a([192, 0, 2, 1]), .a([198, 51, 100, 7])])
    }

    /// RFC 3596 §2.2: 2001:db8::1 in network byte order.
    @Test func aaaaRecordIsSixteenOctets() throws {
        let address: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [1]
        let message = Wire.response(qname: "example.com", qtype: 28, answers: [
            Wire.record(owner: Wire.questionPointer, type: 28, rdata: address),
        ])
        #expect(try DNSResponse(parsing: message, queryName: "example.com", type: .aaaa).records == [.aaaa(address)])
    }

    @Test(arguments: [(1 as UInt16, DNSRecordType.a, 3), (1, .a, 5), (28, .aaaa, 4), (28, .aaaa, 17)])
    func addressOfWrongLengthIsRejected(type: UInt16, recordType: DNSRecordType, length: Int) {
        let message = Wire.response(qname: "example.com", qtype: type, answers: [
            Wire.record(owner: Wire.questionPointer, type: type, rdata: [UInt8](repeating: 1, count: length)),
        ])
        #expect(throws: DNSResponse.ParseError.self) {
            try DNSResponse(parsing: message, queryName: "example.com", type: recordType)
        }
    }

    /// RFC 1035 §3.3.9: PREFERENCE then EXCHANGE; here the exchange is `MAIL` + a pointer to `example.com`.
    @Test func mxRecordWithCompressedExchange() throws {
        let message = Wire.response(qname: "example.com", qtype: 15, answers: [
            Wire.record(owner: Wire.questionPointer, type: 15,
                        rdata: Wire.u16(10) + [4] + Array("MAIL".utf8) + Wire.questionPointer),
            Wire.record(owner: Wire.questionPointer, type: 15, rdata: Wire.u16(20) + Wire.name("mx2.example.net")),
        ])
        let response = try DNSResponse(parsing: message, queryName: "example.com", type: .mx)
        #expect(response.records == [.mx(preference: 10, exchange: "mail.example.com"),
                                     .mx(preference: 20, exchange: "mx2.example.net")])
    }

    /// RFC 7505: a null MX has the root as exchange.
    @Test func nullMXHasAnEmptyExchange() throws {
        let message = Wire.response(qname: "example.com", qtype: 15, answers: [
            Wire.record(owner: Wire.questionPointer, type: 15, rdata: Wire.u16(0) + [0]),
        ])
        #expect(try DNSResponse(parsing: message, queryName: "example.com", type: .mx).records
            == [.mx(preference: 0, exchange: "")])
    }

    /// RFC 1035 §3.3.12: PTRDNAME; the owner is the question name, the target partly compressed.
    @Test func ptrRecordWithCompressedName() throws {
        let qname = "1.2.0.192.in-addr.arpa"
        let message = Wire.response(qname: qname, qtype: 12, answers: [
            Wire.record(owner: Wire.questionPointer, type: 12,
                        rdata: [4] + Array("Host".utf8) + Wire.name("example.org")),
        ])
        #expect(try DNSResponse(parsing: message, queryName: qname, type: .ptr).records == [.ptr("host.example.org")])
    }

    @Test func mxOrPtrNameMustFillItsData() {
        // The exchange name ends one octet before RDLENGTH says.
        let longer = Wire.response(qname: "example.com", qtype: 15, answers: [
            Wire.record(owner: Wire.questionPointer, type: 15, rdata: Wire.u16(10) + Wire.name("mx.example") + [0]),
        ])
        // RDLENGTH stops in the middle of the name.
        let shorter = Wire.response(qname: "example.com", qtype: 12, answers: [
            Wire.record(owner: Wire.questionPointer, type: 12, rdata: Wire.name("host.example"), rdLength: 4),
        ])
        #expect(throws: DNSResponse.ParseError.self) {
            try DNSResponse(parsing: longer, queryName: "example.com", type: .mx)
        }
        #expect(throws: DNSResponse.ParseError.self) {
            try DNSResponse(parsing: shorter, queryName: "example.com", type: .ptr)
        }
    }

    @Test func forwardPointerInExchangeIsRejected() {
        let message = Wire.response(qname: "example.com", qtype: 15, answers: [
            Wire.record(owner: Wire.questionPointer, type: 15, rdata: Wire.u16(10) + [0xC0, 0xFF]),
        ])
        #expect(throws: DNSResponse.ParseError.self) {
            try DNSResponse(parsing: message, queryName: "example.com", type: .mx)
        }
    }

    /// RFC 1034 §3.6.2: the CNAME is followed inside the answer; records at other owners are not taken.
    @Test func cnameChainIsFollowedAndOtherTypesIgnored() throws {
        let message = Wire.response(qname: "www.example.com", qtype: 1, answers: [
            Wire.record(owner: Wire.questionPointer, type: 5, rdata: Wire.name("web.example.net")),
            Wire.record(owner: Wire.name("web.example.net"), type: 16, rdata: [2] + Array("hi".utf8)),
            Wire.record(owner: Wire.name("web.example.net"), type: 1, rdata: [203, 0, 113, 9]),
            Wire.record(owner: Wire.name("other.example.net"), type: 1, rdata: [203, 0, 113, 10]),
        ])
        #expect(try DNSResponse(parsing: message, queryName: "www.example.com", type: .a).records
            == [.a([203, 0, 113, 9])])
    }

    @Test func questionOfAnotherTypeIsRejected() {
        let message = Wire.response(qname: "example.com", qtype: 16, answers: [])
        #expect(throws: DNSResponse.ParseError.self) {
            try DNSResponse(parsing: message, queryName: "example.com", type: .mx)
        }
    }

    @Test func nameErrorKeepsItsRcode() throws {
        let response = try DNSResponse(parsing: Wire.response(qname: "gone.example", qtype: 15, rcode: 3, answers: []),
                                       queryName: "gone.example", type: .mx)
        #expect(response.rcode == DNSResponse.RCode.nameError)
        #expect(response.records.isEmpty)
    }

    /// Totality: every prefix and every single-byte corruption of a valid message parses or throws, never traps.
    @Test(arguments: [DNSRecordType.a, .aaaa, .mx, .ptr, .txt])
    func everyPrefixAndCorruptionIsHandled(type: DNSRecordType) {
        let message = Wire.response(qname: "example.com", qtype: type.wireType, answers: [
            Wire.record(owner: Wire.questionPointer, type: 15,
                        rdata: Wire.u16(10) + [4] + Array("mail".utf8) + [0xC0, 12]),
            Wire.record(owner: Wire.questionPointer, type: type.wireType, rdata: [1, 2, 3, 4]),
        ])
        for end in 0...message.count {
            _ = try? DNSResponse(parsing: Array(message.prefix(end)), queryName: "example.com", type: type)
        }
        for index in message.indices {
            for value: UInt8 in [0x00, 0x3F, 0xC0, 0xFF] {
                var corrupted = message
                corrupted[index] = value
                _ = try? DNSResponse(parsing: corrupted, queryName: "example.com", type: type)
            }
        }
    }
}

@Suite("DNS: StaticDNSResolver")
struct StaticDNSResolverTests {
    let zone = StaticDNSResolver([
        "Example.COM.": [.a([192, 0, 2, 1]), .mx(preference: 5, exchange: "mx.example.com"),
                         .txt(DNSTXTRecord(strings: [Array("v=spf1 -all".utf8)]))],
        "empty.example.com": [],
    ], timeouts: ["slow.example.com"], serverFailures: ["BROKEN.example.com"])

    @Test func answersByTypeAndCaseInsensitively() async {
        #expect(await zone.query("example.com", type: .a) == .answers([.a([192, 0, 2, 1])]))
        #expect(await zone.query("EXAMPLE.com.", type: .mx)
            == .answers([.mx(preference: 5, exchange: "mx.example.com")]))
        #expect(await zone.lookupTXT("example.com") == .records([DNSTXTRecord(strings: [Array("v=spf1 -all".utf8)])]))
    }

    @Test func noDataIsNotNameNotFound() async {
        #expect(await zone.query("example.com", type: .aaaa) == .noData)
        #expect(await zone.query("empty.example.com", type: .txt) == .noData)
        #expect(await zone.query("missing.example.com", type: .a) == .nameNotFound)
        #expect(await zone.lookupTXT("missing.example.com") == .notFound)
    }

    @Test func failuresAreTemporary() async {
        guard case .temporaryFailure = await zone.query("slow.example.com", type: .a) else {
            Issue.record("timeout must be a temporary failure")
            return
        }
        guard case .temporaryFailure = await zone.lookupTXT("broken.example.com") else {
            Issue.record("SERVFAIL must be a temporary failure")
            return
        }
    }
}
