import Testing
@testable import DKIMCore

/// ``SignedHeaderListCache`` returns the parse of exactly the bytes asked for, parses each distinct list once,
/// keeps no failure and stays bounded; a verifier using it reports what a fresh parse gives.
@Suite struct SignedHeaderListCacheTests {
    /// Counts the parses the cache asks for.
    final class Counter: @unchecked Sendable {
        var parses = 0
    }

    static func parse(_ text: String, cache: SignedHeaderListCache, counter: Counter) throws(DKIMError)
        -> SignedHeaderListCache.Entry {
        let field = Array("x; h=\(text)".utf8)
        let value = field[5...]
        return try cache.list(value) { () throws(DKIMError) -> SignedHeaderListCache.Entry in
            counter.parses += 1
            let signature = try DKIMSignature(parsing: Array(
                "v=1; a=rsa-sha256; d=example.com; s=s; bh=AAAA; b=AAAA; h=\(text)".utf8))
            return SignedHeaderNames(names: signature.signedHeaders,
                                     fromCount: signature.signedHeaders.count { $0.lowercased() == "from" })
        }
    }

    @Test func sameBytesParseOnceAndOtherBytesAfresh() throws {
        let cache = SignedHeaderListCache()
        let counter = Counter()
        let first = try Self.parse("From:to:subject", cache: cache, counter: counter)
        let again = try Self.parse("From:to:subject", cache: cache, counter: counter)
        #expect(counter.parses == 1)
        #expect(first.names == ["From", "to", "subject"] && again.names == first.names && again.fromCount == 1)
        // Differing only in case or folding white space: other bytes, parsed afresh and kept as written.
        let folded = try Self.parse("from:to:\r\n subject", cache: cache, counter: counter)
        #expect(counter.parses == 2)
        #expect(folded.names == ["from", "to", "subject"])
        let shorter = try Self.parse("From:to", cache: cache, counter: counter)
        #expect(counter.parses == 3 && shorter.names == ["From", "to"])
    }

    /// The entry used last is compared first; lists taking turns are found in the table, each as its own bytes.
    @Test func listsTakingTurnsAreEachFoundAsTheirOwn() throws {
        let cache = SignedHeaderListCache()
        let counter = Counter()
        let lists = ["From:To:Subject", "from:date", "From:To:Subject:Date", "from:date"]
        for round in 0..<3 {
            for text in lists {
                let entry = try Self.parse(text, cache: cache, counter: counter)
                #expect(entry.names == text.split(separator: ":").map(String.init), "round \(round), \(text)")
                #expect(entry.fromCount == 1)
            }
        }
        #expect(counter.parses == 3)
        // Same length as the list used last, other bytes: parsed afresh.
        let sameLength = try Self.parse("from:dame", cache: cache, counter: counter)
        #expect(sameLength.names == ["from", "dame"] && counter.parses == 4)
    }

    @Test func failuresAreNotKeptAndTheTableIsBounded() throws {
        let cache = SignedHeaderListCache()
        let counter = Counter()
        for _ in 0..<2 {
            #expect(throws: DKIMError.self) { _ = try Self.parse("from::to", cache: cache, counter: counter) }
        }
        #expect(counter.parses == 2)
        for index in 0...SignedHeaderListCache.maxEntries {
            _ = try Self.parse("from:x-\(index)", cache: cache, counter: counter)
        }
        // The table was emptied when full, so the first list is parsed again; the last one is still kept.
        _ = try Self.parse("from:x-0", cache: cache, counter: counter)
        _ = try Self.parse("from:x-\(SignedHeaderListCache.maxEntries)", cache: cache, counter: counter)
        #expect(counter.parses == 2 + SignedHeaderListCache.maxEntries + 2)
    }

    /// One verifier, two messages signed with different `h=`: the second is judged on its own list.
    @Test func aVerifierJudgesEachListOnItsOwn() async throws {
        let message = try Vectors.bytes("rfc8463/signed.eml")
        let verifier = DKIMVerifier(options: VerifyOptions(resolver: try VerifierTests.rfc8463Resolver(),
                                                           clock: { 1_700_000_000 }))
        let first = try await verifier.verify(message: message)
        #expect(first.signatures.map(\.result) == [.pass, .pass])
        // The same message with From taken out of both h= lists (RFC 8463 A.3 writes them
        // "from : to : subject : date : message-id : from : subject : date"): h= must cover From (RFC 6376 §5.4).
        let text = String(decoding: message, as: UTF8.self)
        let changed = text.replacingOccurrences(of: "from : ", with: "")
        #expect(changed.components(separatedBy: "from : ").count == 1 && changed != text)
        let second = try await verifier.verify(message: Array(changed.utf8))
        #expect(second.signatures.map(\.reason) == [.fromNotSigned, .fromNotSigned])
        let third = try await verifier.verify(message: message)
        #expect(third.signatures.map { $0.signature?.signedHeaders }
                == first.signatures.map { $0.signature?.signedHeaders })
    }
}
