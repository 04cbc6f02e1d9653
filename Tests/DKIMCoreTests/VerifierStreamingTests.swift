import Testing
@testable import DKIMCore

/// ``VerificationStream`` gives the results of the one-shot verifier, whatever the chunking, and
/// ``DKIMKeyCache`` reuses parsed records and decoded keys.
@Suite struct VerifierStreamingTests {
    static func verifier(_ resolver: some DKIMKeyResolver) -> DKIMVerifier {
        DKIMVerifier(options: VerifyOptions(resolver: resolver, clock: { 1_700_000_000 }))
    }

    static func streamed(_ message: [UInt8], splits: [Int], verifier: DKIMVerifier) async throws
        -> MessageVerification {
        var stream = verifier.makeStream()
        var start = 0
        for end in splits + [message.count] where end >= start {
            try stream.update(Array(message[start..<end]))
            start = end
        }
        return try await stream.finish()
    }

    /// The comparable part of a result: verdict, reason and warnings per signature.
    static func summary(_ outcome: MessageVerification) -> [String] {
        outcome.signatures.map { item in
            "\(item.result.rawValue) \(item.reason?.rawValue ?? "-") \(item.warnings.map(\.code))"
        }
    }

    /// RFC 8463 Appendix A.3, split in two at every byte: both signatures pass, exactly as one-shot.
    @Test func rfc8463SplitAtEveryByte() async throws {
        let message = try Vectors.bytes("rfc8463/signed.eml")
        let verifier = Self.verifier(try VerifierTests.rfc8463Resolver())
        let expected = Self.summary(try await verifier.verify(message: message))
        #expect(expected.count == 2)
        #expect(expected.allSatisfy { $0.hasPrefix("pass") })
        for split in 0...message.count {
            let outcome = try await Self.streamed(message, splits: [split], verifier: verifier)
            #expect(Self.summary(outcome) == expected, "split at \(split)")
        }
    }

    /// Byte-at-a-time feeding and a changed body: the stream reports the body-hash mismatch too.
    @Test func tamperedBodyFailsWhenStreamed() async throws {
        let original = try Vectors.text("rfc8463/signed.eml")
        let tampered = Array(original.replacingOccurrences(of: "We lost the game", with: "We won the game").utf8)
        let verifier = Self.verifier(try VerifierTests.rfc8463Resolver())
        let outcome = try await Self.streamed(tampered, splits: Array(0..<tampered.count), verifier: verifier)
        #expect(outcome.result == .fail)
        #expect(outcome.signatures.map(\.reason) == [.bodyHashMismatch, .bodyHashMismatch])
    }

    /// Signatures with different c= and l= each get their own body hash from the one pass over the body.
    @Test(arguments: [1, 3, 1000, 1 << 20])
    func distinctBodyHashesFromOnePass(chunk: Int) async throws {
        let key = try DKIMPrivateKey.generate(.ed25519)
        var body = ""
        for line in 0..<400 { body += "line \(line)  with  spaces \t\r\n" + (line % 9 == 0 ? "\r\n" : "") }
        var message = Array(("From: a@example.com\r\nTo: b@example.org\r\nSubject: streaming\r\n\r\n" + body).utf8)
        for (canonicalization, length) in [(Canonicalization.simple, false), (.relaxed, false), (.relaxed, true)] {
            var options = SignOptions(domain: "example.com", selector: "s", key: key)
            options.canonicalization = canonicalization
            options.includeBodyLength = length
            options.clock = { 1_700_000_000 }
            message = try DKIMSigner(options: options).sign(message: message)
        }
        message += Array("appended after l=\r\n".utf8)
        let record = try DKIMKeyRecord(publicKey: key.publicKey).oneLineValue
        let verifier = Self.verifier(MemoryResolver(["s._domainkey.example.com": [record]]))
        let oneShot = try await verifier.verify(message: message)
        let splits = Array(stride(from: chunk, to: message.count, by: chunk))
        let streamed = try await Self.streamed(message, splits: splits, verifier: verifier)
        // Top-down: the l= signature passes (the appended line is unsigned), the other two fail.
        #expect(oneShot.signatures.map(\.reason) == [nil, .bodyHashMismatch, .bodyHashMismatch])
        #expect(Self.summary(streamed) == Self.summary(oneShot))
    }

    /// A message without the empty line is all header: the stream treats the body as empty, as one-shot does.
    @Test func headerOnlyMessage() async throws {
        let message = try Vectors.bytes("rfc8463/signed.eml")
        guard let end = HeaderSectionParser.emptyLineOffset(in: message[...], searchingFrom: 0) else {
            Issue.record("the vector has a body")
            return
        }
        let headerOnly = Array(message[..<(end + 2)])
        let verifier = Self.verifier(try VerifierTests.rfc8463Resolver())
        let oneShot = try await verifier.verify(message: headerOnly)
        let streamed = try await Self.streamed(headerOnly, splits: [], verifier: verifier)
        #expect(Self.summary(streamed) == Self.summary(oneShot))
        #expect(oneShot.result == .fail)
    }

    @Test func misuseAfterFinishThrows() async throws {
        var stream = Self.verifier(MemoryResolver([:])).makeStream()
        try stream.update(Array("From: a@example.com\r\n\r\nbody\r\n".utf8))
        let outcome = try await stream.finish()
        #expect(outcome.result == .none)
        #expect(throws: DKIMError.self) { try stream.update([65]) }
        await #expect(throws: DKIMError.self) { _ = try await stream.finish() }
    }

    @Test func keyCacheReusesRecordsAndKeys() throws {
        let cache = DKIMKeyCache(maxEntries: 2)
        let records = try Vectors.text("rfc8463/txt-records").split(separator: "\n").filter { !$0.hasPrefix("#") }
            .map { Array($0.split(separator: " ", maxSplits: 1)[1].utf8) }
        #expect(records.count == 2)
        let first = try cache.record(parsing: records[0])
        #expect(try cache.record(parsing: records[0]) == first)
        #expect(cache.count == 1)
        let key = try cache.publicKey(of: first)
        #expect(try cache.publicKey(of: first) == key)
        #expect(key == (try first.publicKey()))
        _ = try cache.record(parsing: records[1])
        #expect(cache.count == 2)
        // A third record empties the full cache before it is kept: the size stays bounded.
        _ = try cache.record(parsing: Array("v=DKIM1; k=ed25519; p=".utf8))
        #expect(cache.count == 1)
        #expect(throws: DKIMError.self) { _ = try cache.record(parsing: Array("v=DKIM2; p=".utf8)) }
    }
}
