import Foundation
import Testing
@testable import DKIMCore

/// A small RFC 8601 §2.2 reader, written for these tests: it splits an Authentication-Results payload into the
/// authserv-id and its resinfo clauses, honouring quoted-strings (RFC 5322 §3.2.4) and nested comments (§3.2.2).
enum AuthResReader {
    struct Resinfo: Equatable {
        var method: String
        var result: String
        /// reason and property values, unquoted, by name (`reason`, `header.d`, ...), in order.
        var properties: [(String, String)]

        static func == (lhs: Resinfo, rhs: Resinfo) -> Bool {
            lhs.method == rhs.method && lhs.result == rhs.result
                && lhs.properties.map(\.0) == rhs.properties.map(\.0)
                && lhs.properties.map(\.1) == rhs.properties.map(\.1)
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    enum Token: Equatable {
        case atom(String)
        case quoted(String)
        case semicolon
        case equals
    }

    /// Lexes the payload; comments are dropped. Any byte outside printable ASCII and SP/HTAB is an error.
    static func tokens(_ text: String) throws -> [Token] {
        let bytes = Array(text.utf8)
        var tokens: [Token] = []
        var index = 0
        func fail(_ why: String) -> Failure { Failure(description: "\(why) at \(index) in \(text.debugDescription)") }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case 0x20, 0x09:
                index += 1
            case UInt8(ascii: ";"):
                tokens.append(.semicolon); index += 1
            case UInt8(ascii: "="):
                tokens.append(.equals); index += 1
            case UInt8(ascii: "\""):
                index += 1
                var value: [UInt8] = []
                while true {
                    guard index < bytes.count else { throw fail("unterminated quoted-string") }
                    let inner = bytes[index]
                    if inner == UInt8(ascii: "\"") { index += 1; break }
                    if inner == UInt8(ascii: "\\") {
                        guard index + 1 < bytes.count else { throw fail("dangling backslash") }
                        value.append(bytes[index + 1]); index += 2; continue
                    }
                    guard inner >= 0x20, inner < 0x7F else { throw fail("byte \(inner) in a quoted-string") }
                    value.append(inner); index += 1
                }
                tokens.append(.quoted(String(decoding: value, as: UTF8.self)))
            case UInt8(ascii: "("):
                var depth = 0
                repeat {
                    guard index < bytes.count else { throw fail("unterminated comment") }
                    let inner = bytes[index]
                    if inner == UInt8(ascii: "\\") { index += 2; continue }
                    if inner == UInt8(ascii: "(") { depth += 1 }
                    if inner == UInt8(ascii: ")") { depth -= 1 }
                    guard inner >= 0x20, inner < 0x7F else { throw fail("byte \(inner) in a comment") }
                    index += 1
                } while depth > 0
            default:
                guard byte > 0x20, byte < 0x7F, byte != UInt8(ascii: ")"), byte != UInt8(ascii: "\\") else {
                    throw fail("byte \(byte) outside a quoted-string")
                }
                var atom: [UInt8] = []
                while index < bytes.count, bytes[index] > 0x20, bytes[index] < 0x7F,
                      !";=\"()\\".utf8.contains(bytes[index]) {
                    atom.append(bytes[index]); index += 1
                }
                tokens.append(.atom(String(decoding: atom, as: UTF8.self)))
            }
        }
        return tokens
    }

    /// Parses `authserv-id *(";" method "=" result [reason] *propspec)`.
    static func parse(_ payload: String) throws -> (authservID: String, resinfos: [Resinfo]) {
        var tokens = try tokens(payload)[...]
        func value() throws -> String {
            switch tokens.popFirst() {
            case .atom(let text)?, .quoted(let text)?: return text
            default: throw Failure(description: "expected a value in \(payload.debugDescription)")
            }
        }
        let authservID = try value()
        var resinfos: [Resinfo] = []
        while let next = tokens.popFirst() {
            guard next == .semicolon else { throw Failure(description: "expected ';' in \(payload.debugDescription)") }
            guard case .atom(let method)? = tokens.popFirst(), tokens.popFirst() == .equals,
                  case .atom(let result)? = tokens.popFirst() else {
                throw Failure(description: "expected method=result in \(payload.debugDescription)")
            }
            var properties: [(String, String)] = []
            while let first = tokens.first, first != .semicolon {
                guard case .atom(let name)? = tokens.popFirst(), tokens.popFirst() == .equals else {
                    throw Failure(description: "expected name= in \(payload.debugDescription)")
                }
                properties.append((name, try value()))
            }
            resinfos.append(Resinfo(method: method, result: result, properties: properties))
        }
        return (authservID, resinfos)
    }
}

@Suite struct AuthenticationResultsInjectionTests {
    static let hostile = [
        "evil.example; dkim=pass header.d=bank.example", "evil.example\r\nX-Injected: yes", "ex(ample).com",
        "ex)ample", "ex\"ample.com", "ex\\ample", "exämple.com", "\u{2028}evil", "\u{0}", "", " ", ";", "(", "\"",
        "header.d=bank.example", "a=b", String(repeating: "x", count: 1000), "évil.例え.jp", "\u{202E}moc.live",
    ]

    static func signature(identity: String?) throws -> DKIMSignature {
        var parsed = try DKIMSignature(parsing: Array(
            "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA".utf8))
        parsed.identity = identity
        return parsed
    }

    static func verification(_ text: String, result: DKIMResult = .permerror) throws -> SignatureVerification {
        SignatureVerification(index: 0, result: result, reason: .malformedSignature, explanation: text,
                              signature: try signature(identity: text + "@" + text), domain: text, selector: text,
                              algorithm: text, signaturePrefix: text, keyBits: nil, testing: false, warnings: [])
    }

    @Test(arguments: hostile) func hostileValuesStayInsideTheirProperty(_ text: String) throws {
        let signatures = [try Self.verification(text), try Self.verification(text, result: .fail)]
        let field = AuthenticationResults.headerField(for: MessageVerification(signatures: signatures),
                                                      authservID: "mx.example.net")
        // Folded only where allowed (CRLF then a tab, RFC 5322 §2.2.3), and never a line over 998 octets (§2.1.1).
        let lines = field.split(separator: "\r\n\t", omittingEmptySubsequences: false)
        #expect(lines.allSatisfy { $0.utf8.count <= 998 }, "\(lines.map(\.utf8.count))")
        let header = lines.joined(separator: " ")
        #expect(!header.utf8.contains(13) && !header.utf8.contains(10))
        #expect(header.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F })
        let payload = String(header.dropFirst("Authentication-Results:".count))
        let parsed = try AuthResReader.parse(payload)
        #expect(parsed.authservID == "mx.example.net")
        #expect(parsed.resinfos.count == signatures.count)
        #expect(parsed.resinfos.map(\.result) == ["permerror", "fail"])
        for resinfo in parsed.resinfos {
            #expect(resinfo.method == "dkim")
            let names = ["reason", "header.d", "header.i", "header.s", "header.a", "header.b"]
            #expect(resinfo.properties.map(\.0) == names)
            // What went in as printable ASCII comes out unchanged once unquoted, up to 512 octets; beyond, cut.
            if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }), !text.isEmpty {
                #expect(resinfo.properties[1].1 == (text.count <= 512 ? text : text.prefix(512) + "..."))
                let identity = text + "@" + text
                #expect(resinfo.properties[2].1 == (identity.count <= 512 ? identity : identity.prefix(512) + "..."))
            }
        }
    }

    /// Every message of the hostile corpus: the A-R field has one resinfo per signature and re-parses.
    @Test func hostileCorpusGivesWellFormedHeaders() async throws {
        let corpus = try HostileCorpusTests.load()
        let verifier = try HostileCorpusTests.verifier(now: corpus.now)
        var checked = 0
        for item in corpus.cases where item.error == nil {
            let outcome = try await verifier.verify(message: try Vectors.bytes("hostile/" + item.file))
            let payload = AuthenticationResults.payload(for: outcome, authservID: "mx.example.net")
            #expect(payload.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }, "\(item.file)")
            let parsed = try AuthResReader.parse(payload)
            #expect(parsed.resinfos.count == max(1, outcome.signatures.count), "\(item.file)")
            #expect(parsed.resinfos.map(\.result) == (outcome.signatures.isEmpty ? ["none"]
                : outcome.signatures.map(\.result.rawValue)), "\(item.file)")
            checked += 1
        }
        #expect(checked >= 100)
    }

    /// Ten signatures make a field of more than 998 octets: it is folded after each resinfo, and unfolds to the
    /// one-line payload.
    @Test func longFieldIsFoldedBetweenResinfos() throws {
        let signatures = try (0..<10).map { _ in
            try Self.verification("a-signing-domain-of-a-reasonable-length.example", result: .fail)
        }
        let outcome = MessageVerification(signatures: signatures)
        let field = AuthenticationResults.headerField(for: outcome, authservID: "mx.example.net")
        let lines = field.split(separator: "\r\n\t", omittingEmptySubsequences: false)
        #expect(lines.count == 11)
        #expect(lines.allSatisfy { $0.utf8.count <= 998 })
        #expect(lines.joined(separator: " ") == "Authentication-Results: "
            + AuthenticationResults.payload(for: outcome, authservID: "mx.example.net"))
        let short = AuthenticationResults.headerField(for: MessageVerification(signatures: [signatures[0]]),
                                                      authservID: "mx.example.net")
        #expect(!short.contains("\r\n"))
    }

    @Test func readerRejectsAnInjectedResinfo() throws {
        // The reader must be able to see an injection: a raw ';' in a value makes an extra resinfo.
        let parsed = try AuthResReader.parse("mx; dkim=fail header.d=evil.example; dkim=pass header.d=bank.example")
        #expect(parsed.resinfos.count == 2)
        #expect(throws: AuthResReader.Failure.self) { try AuthResReader.parse("mx; dkim=pass header.d=\"a\r\nb\"") }
    }
}
