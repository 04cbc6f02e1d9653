import Foundation
import Testing
@testable import DKIMCore

/// Every bound of ``DKIMLimits`` (and the fixed bounds it documents) exceeded once, with its documented outcome.
@Suite struct LimitsTests {
    static let domain = "example.com"
    static let selector = "sel"
    static let keyName = "sel._domainkey.example.com"
    static let now: Int64 = 1_700_000_000

    static func keyRecord() throws -> String {
        let spki = try Vectors.text("keys/rsa2048-pkcs8.spki.b64").filter { !$0.isWhitespace }
        return "v=DKIM1; k=rsa; p=" + spki
    }

    static func signer() throws -> DKIMSigner {
        let key = try DKIMPrivateKey(pemRepresentation: try Vectors.text("keys/rsa2048-pkcs8.pem"))
        var options = SignOptions(domain: domain, selector: selector, key: key)
        options.clock = { now }
        return try DKIMSigner(options: options)
    }

    static func sign(_ message: String) throws -> [UInt8] {
        try signer().sign(message: Array(message.utf8))
    }

    static func verify(_ message: [UInt8], records: [String: TXTLookupResult]? = nil,
                       limits: DKIMLimits = .standard) async throws -> MessageVerification {
        let table = try records ?? [keyName: .records([DNSTXTRecord(strings: [Array(keyRecord().utf8)])])]
        var options = VerifyOptions(resolver: StaticKeyResolver(table), clock: { now })
        options.limits = limits
        return try await DKIMVerifier(options: options).verify(message: message)
    }

    static let plain = "From: a@example.com\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nHello.\r\n"

    // MARK: Message-level bounds

    @Test func headerSectionOverOneMebibyteIsRefused() async throws {
        let filler = "X-Filler: " + String(repeating: "a", count: 1000) + "\r\n"
        let count = DKIMLimits.standard.maximumHeaderSectionOctets / filler.utf8.count + 1
        let message = Array((String(repeating: filler, count: count) + Self.plain).utf8)
        #expect(throws: DKIMError(.limitExceeded, "")) { try MessageParts(parsing: message) }
        await #expect(throws: DKIMError(.limitExceeded, "")) { try await Self.verify(message) }
        // Just under the bound parses.
        let under = Array((String(repeating: filler, count: count - 2) + Self.plain).utf8)
        #expect(try MessageParts(parsing: under).headers.count == count - 2 + 3)
    }

    @Test func headerWithoutEmptyLineOverTheBoundIsRefused() throws {
        let message = [UInt8]("X: ".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 1 << 20)
        #expect(throws: DKIMError(.limitExceeded, "")) { try MessageParts(parsing: message) }
    }

    @Test func tooManyHeaderFieldsAreRefused() throws {
        let maximum = DKIMLimits.standard.maximumHeaderFields
        let atLimit = Array((String(repeating: "A: b\r\n", count: maximum) + "\r\nbody\r\n").utf8)
        #expect(try MessageParts(parsing: atLimit).headers.count == maximum)
        let over = Array((String(repeating: "A: b\r\n", count: maximum + 1) + "\r\nbody\r\n").utf8)
        #expect(throws: DKIMError(.limitExceeded, "")) { try MessageParts(parsing: over) }
        var reader = HeaderSectionReader()
        #expect(throws: DKIMError(.limitExceeded, "")) { _ = try reader.feed(over) }
    }

    @Test func oneMillionFieldHeaderIsRefused() async throws {
        let message = Array((String(repeating: "A:\r\n", count: 1_000_000) + "\r\n").utf8)
        await #expect(throws: DKIMError(.limitExceeded, "")) { try await Self.verify(message) }
        // With the bounds lifted, the parser still reads it (in linear time) and finds every field.
        var lifted = DKIMLimits.standard
        lifted.maximumHeaderSectionOctets = Int.max
        lifted.maximumHeaderFields = Int.max
        #expect(try MessageParts(parsing: message, limits: lifted).headers.count == 1_000_000)
    }

    @Test func hundredMegabyteHeaderLineIsRefused() async throws {
        var message = [UInt8]("Subject: ".utf8)
        message += [UInt8](repeating: UInt8(ascii: "x"), count: 100 << 20)
        message += Array("\r\n\r\nbody\r\n".utf8)
        await #expect(throws: DKIMError(.limitExceeded, "")) { try await Self.verify(message) }
    }

    // MARK: Large but legal input: linear work, correct verdict

    @Test func hundredMegabyteBodyLineVerifies() async throws {
        var body = [UInt8](repeating: UInt8(ascii: "y"), count: 100 << 20)
        body += Array("\r\n".utf8)
        let header = Array("From: a@example.com\r\nSubject: big\r\n\r\n".utf8)
        let signed = try Self.signer().sign(message: header + body)
        let outcome = try await Self.verify(signed)
        #expect(outcome.result == .pass)
    }

    @Test func fieldFoldedOneHundredThousandTimesVerifies() async throws {
        let folded = "Subject: start" + String(repeating: "\r\n x", count: 100_000) + "\r\n"
        let signed = try Self.sign("From: a@example.com\r\n" + folded + "\r\nbody\r\n")
        #expect(try await Self.verify(signed).result == .pass)
        // Changing one fold (not just its white space) breaks the signature.
        var tampered = signed
        let position = try #require(tampered.lastIndex(of: UInt8(ascii: "x")))
        tampered[position] = UInt8(ascii: "z")
        #expect(try await Self.verify(tampered).signatures.map(\.reason) == [.signatureMismatch])
    }

    // MARK: Signature-level bounds

    @Test func signaturesBeyondTheLimitAreNotChecked() async throws {
        let signed = try Self.sign(Self.plain)
        let field = Array(signed.prefix(signed.count - Self.plain.utf8.count))
        let message = Array([[UInt8]](repeating: field, count: 50).joined()) + signed
        let outcome = try await Self.verify(message)
        #expect(outcome.signatures.count == 51)
        #expect(outcome.signatures.prefix(10).allSatisfy { $0.result == .pass })
        #expect(outcome.signatures.dropFirst(10).allSatisfy { $0.result == .neutral && $0.reason == .notChecked })
        #expect(outcome.result == .pass)
    }

    @Test func oversizedSignatureFieldIsPermerrorAndTheGoodOneStillPasses() async throws {
        let signed = try Self.sign(Self.plain)
        let huge = "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA; z="
            + String(repeating: "x", count: 100 * 1024) + "\r\n"
        let outcome = try await Self.verify(Array(huge.utf8) + signed)
        #expect(outcome.signatures.map(\.result) == [.permerror, .pass])
        #expect(outcome.signatures[0].reason == .limitExceeded)
        #expect(outcome.signatures[0].domain == nil)
        #expect(outcome.result == .pass)
    }

    @Test func tooManySignedHeaderNamesIsPermerror() async throws {
        let names = Array(repeating: "from", count: DKIMLimits.standard.maximumSignedHeaderNames + 1)
        let field = "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=\(names.joined(separator: ":"));"
            + " bh=AAAA; b=AAAA\r\n"
        let outcome = try await Self.verify(Array((field + Self.plain).utf8))
        #expect(outcome.signatures.map(\.reason) == [.limitExceeded])
        #expect(outcome.result == .permerror)
    }

    @Test func oversizedTXTRecordIsPermerror() async throws {
        let signed = try Self.sign(Self.plain)
        let record = try Self.keyRecord() + "; n=" + String(repeating: "x", count: 8 << 10)
        let outcome = try await Self.verify(signed, records: [
            Self.keyName: .records([DNSTXTRecord(strings: [Array(record.utf8)])]),
        ])
        #expect(outcome.signatures.map(\.reason) == [.limitExceeded])
    }

    @Test func tooManyTXTRecordsIsPermerror() async throws {
        let signed = try Self.sign(Self.plain)
        let other = DNSTXTRecord(strings: [Array("not a key".utf8)])
        let key = DNSTXTRecord(strings: [Array(try Self.keyRecord().utf8)])
        let count = DKIMLimits.standard.maximumTXTRecords
        var outcome = try await Self.verify(signed, records: [
            Self.keyName: .records(Array(repeating: other, count: count - 1) + [key]),
        ])
        #expect(outcome.result == .pass)
        outcome = try await Self.verify(signed, records: [
            Self.keyName: .records(Array(repeating: other, count: count) + [key]),
        ])
        #expect(outcome.signatures.map(\.reason) == [.limitExceeded])
    }

    @Test func rsaKeyOver8192BitsIsRefused() async throws {
        let signed = try Self.sign(Self.plain)
        let spki = try Vectors.text("keys/rsa9000-synthetic.spki.b64").filter { !$0.isWhitespace }
        let outcome = try await Self.verify(signed, records: [
            Self.keyName: .records([DNSTXTRecord(strings: [Array("v=DKIM1; k=rsa; p=\(spki)".utf8)])]),
        ])
        #expect(outcome.signatures.map(\.reason) == [.keyTooLarge])
    }

    // MARK: Fixed syntactic bounds

    @Test func bodyLengthLargerThanTheBodyIsPermerror() async throws {
        let key = try DKIMPrivateKey(pemRepresentation: try Vectors.text("keys/rsa2048-pkcs8.pem"))
        var options = SignOptions(domain: Self.domain, selector: Self.selector, key: key)
        options.includeBodyLength = true
        options.clock = { Self.now }
        let signed = try DKIMSigner(options: options).sign(message: Array(Self.plain.utf8))
        let text = String(decoding: signed, as: UTF8.self)
        let grown = text.replacingOccurrences(of: "l=8;", with: "l=9;")
        #expect(grown != text)
        #expect(try await Self.verify(Array(grown.utf8)).signatures.map(\.reason) == [.bodyLengthExceedsBody])
        let huge = text.replacingOccurrences(of: "l=8;", with: "l=" + String(repeating: "9", count: 76) + ";")
        #expect(try await Self.verify(Array(huge.utf8)).signatures.map(\.reason) == [.malformedSignature])
    }

    static let badTimes = [
        "t=1234567890123", "x=1234567890123", "t=-1", "x=-5", "t=99999999999999999999999",
        "t=1e9", "x=", "t=12 34",
    ]

    @Test(arguments: badTimes) func timeOverflowIsMalformed(tag: String) async throws {
        let field = "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA; \(tag)\r\n"
        let outcome = try await Self.verify(Array((field + Self.plain).utf8))
        #expect(outcome.signatures.map(\.reason) == [.malformedSignature])
    }

    static let garbage: [[UInt8]] = [
        Array("b=AA!A".utf8), Array("b=A===".utf8), Array("bh=@@@@".utf8), Array("b=AAAA=AAA".utf8),
        Array("b=AA".utf8) + [0] + Array("AA".utf8), Array("d=exa".utf8) + [0xFF, 0xFE] + Array("mple.com".utf8),
        Array("d=example.com".utf8) + [0], Array("s=".utf8) + [0xC3, 0x28],
    ]

    @Test(arguments: garbage) func garbageAndNULAndInvalidUTF8AreMalformed(tag: [UInt8]) async throws {
        let name = String(decoding: tag.prefix { $0 != UInt8(ascii: "=") }, as: UTF8.self)
        var tags: [String: [UInt8]] = [:]
        for (key, value) in ["v": "1", "a": "rsa-sha256", "d": "example.com", "s": "sel", "h": "from",
                             "bh": "AAAA", "b": "AAAA"] {
            tags[key] = Array("\(key)=\(value)".utf8)
        }
        tags[name] = tag
        let field = Array("DKIM-Signature: ".utf8) + Array(tags.keys.sorted().compactMap { tags[$0] }
            .joined(separator: Array("; ".utf8))) + Array("\r\n".utf8)
        let outcome = try await Self.verify(field + Array(Self.plain.utf8))
        #expect(outcome.signatures.map(\.result) == [.permerror])
        #expect(outcome.signatures.map(\.reason) == [.malformedSignature])
    }

    @Test func nulInAFieldNameIsAMalformedMessage() async throws {
        let message = Array("From: a@example.com\r\nX-".utf8) + [0] + Array(": v\r\n\r\nbody\r\n".utf8)
        await #expect(throws: DKIMError(.malformedMessage, "")) { try await Self.verify(message) }
    }

    @Test func nulAndInvalidUTF8InTheBodyAndValuesStillVerify() async throws {
        let message = Array("From: a@example.com\r\nSubject: \u{1}".utf8) + [0xFF, 0xC3]
            + Array("\r\n\r\nbo".utf8) + [0, 0xFE] + Array("dy\r\n".utf8)
        let signed = try Self.signer().sign(message: message)
        #expect(try await Self.verify(signed).result == .pass)
    }
}
