import Foundation
import Testing
@testable import DKIMCore

/// Replies that do not answer the question asked are ignored, not trusted (RFC 5452 §3), and a broken or odd
/// reply is a temporary failure, not proof that the key record does not exist (RFC 6376 §6.1.2). dnsmasq cannot
/// send such replies, so a small UDP responder on 127.0.0.1 plays the server here.
@Suite struct DNSMismatchedAnswerTests {
    static func query(_ name: String) -> [UInt8] {
        var query = [UInt8](repeating: 0, count: 512)
        let length = DNSExchange.makeQuery(name, type: .txt, into: &query)
        return Array(query.prefix(length))
    }

    /// `query`'s header as a reply (QR set, the given counts) followed by `question`.
    static func reply(to query: [UInt8], question: [UInt8], answers: UInt8 = 0, rcode: UInt8 = 0) -> [UInt8] {
        var header = Array(query.prefix(DNSResponse.headerLength))
        header[2] |= 0x80
        header[3] = (header[3] & 0xF0) | rcode
        header[4] = 0
        header[5] = 1
        header[6] = 0
        header[7] = answers
        return header + question
    }

    static func question(of query: [UInt8]) -> [UInt8] { Array(query[DNSResponse.headerLength...]) }

    /// One TXT record (one string) for the name of the question (a pointer to offset 12).
    static func txtAnswer(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        let length = bytes.count + 1
        return [0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 60, UInt8(length >> 8), UInt8(length & 0xFF), UInt8(bytes.count)]
            + bytes
    }

    @Test func questionMustBeTheOneAsked() {
        let asked = Self.query("s.example")
        let right = Self.reply(to: asked, question: Self.question(of: asked))
        #expect(DNSExchange.repeatsQuestion(of: asked, in: right))
        #expect(DNSExchange.repeatsQuestion(of: asked, in: Self.reply(to: asked, question: Self.question(of:
            Self.query("S.EXAMPLE")))))
        #expect(!DNSExchange.repeatsQuestion(of: asked, in: Self.reply(to: asked, question: Self.question(of:
            Self.query("t.example")))))
        var otherType = right
        otherType[otherType.count - 3] = 1   // type A
        #expect(!DNSExchange.repeatsQuestion(of: asked, in: otherType))
        var twoQuestions = right
        twoQuestions[5] = 2
        #expect(!DNSExchange.repeatsQuestion(of: asked, in: twoQuestions))
        #expect(!DNSExchange.repeatsQuestion(of: asked, in: Array(right.prefix(DNSResponse.headerLength))))
    }

    /// Runs a UDP server on 127.0.0.1 for `queries` queries, sending `replies(query)` in order to each; returns
    /// its port.
    static func serve(queries: Int = 1, _ replies: @escaping @Sendable ([UInt8]) -> [[UInt8]]) throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(fd >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        try #require(bound == 0)
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
        }
        let port = UInt16(bigEndian: address.sin_port)
        // The server thread ends after three idle seconds, whether or not every query it waits for came.
        var idle = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, socklen_t(MemoryLayout<timeval>.size))
        Thread.detachNewThread {
            defer { close(fd) }
            var buffer = [UInt8](repeating: 0, count: 512)
            for _ in 0..<queries {
                var peer = sockaddr_storage()
                var peerLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
                let received = withUnsafeMutablePointer(to: &peer) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        recvfrom(fd, &buffer, buffer.count, 0, $0, &peerLength)
                    }
                }
                guard received > 0 else { return }
                for reply in replies(Array(buffer.prefix(received))) {
                    _ = withUnsafePointer(to: &peer) { pointer in
                        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            sendto(fd, reply, reply.count, 0, $0, peerLength)
                        }
                    }
                }
            }
            Thread.sleep(forTimeInterval: 0.5)   // keep the port until the client is done
        }
        return port
    }

    @Test func answerAfterOneToAnotherQuestionIsTaken() async throws {
        let port = try Self.serve { query in
            [Self.reply(to: query, question: Self.question(of: Self.query("other.example"))),
             Array(query.prefix(DNSResponse.headerLength)),
             Self.reply(to: query, question: Self.question(of: query), answers: 1) + Self.txtAnswer("v=DKIM1; p=")]
        }
        let resolver = try SystemDNSResolver(nameserver: "127.0.0.1:\(port)", timeout: 2)
        guard case .records(let records) = await resolver.lookupTXT("s.example") else {
            Issue.record("the answer after the one to another question was not taken")
            return
        }
        #expect(records.map(\.strings) == [[Array("v=DKIM1; p=".utf8)]])
    }

    /// The reason of the temporary failure a lookup of `s.example` through the server at `port` ends in, or nil
    /// (an issue recorded) when it ends otherwise.
    static func temporaryFailure(port: UInt16, timeout: Double) async throws -> String? {
        let resolver = try SystemDNSResolver(nameserver: "127.0.0.1:\(port)", timeout: timeout)
        let result = await resolver.lookupTXT("s.example")
        guard case .temporaryFailure(let reason) = result else {
            Issue.record("expected a temporary failure, got \(result)")
            return nil
        }
        return reason
    }

    @Test func onlyAnswersToAnotherQuestionAreATimeout() async throws {
        let port = try Self.serve { query in
            [Self.reply(to: query, question: Self.question(of: Self.query("other.example")))]
        }
        let reason = try await Self.temporaryFailure(port: port, timeout: 0.5)
        #expect(reason?.contains("timed out") == true)
    }

    /// FORMERR, NOTIMP and unknown codes, and a reply that does not parse: temporary, not "no key record".
    @Test(arguments: [UInt8(1), 4, 9])
    func oddCodesAreTemporary(rcode: UInt8) async throws {
        let port = try Self.serve(queries: 8) { query in
            [Self.reply(to: query, question: Self.question(of: query), rcode: rcode)]
        }
        let reason = try await Self.temporaryFailure(port: port, timeout: 1)
        #expect(reason?.contains("answered") == true, "rcode \(rcode)")
    }

    @Test func unparsableReplyIsTemporary() async throws {
        let port = try Self.serve(queries: 8) { query in
            // Claims one answer that is not there.
            [Self.reply(to: query, question: Self.question(of: query), answers: 1)]
        }
        let reason = try await Self.temporaryFailure(port: port, timeout: 1)
        #expect(reason?.hasPrefix("Malformed DNS answer") == true)
    }
}
