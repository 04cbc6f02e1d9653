import Foundation
import Testing
@testable import DKIMCore

/// Reads a file under TestVectors/ as exact bytes.
private func vector(_ path: String) throws -> [UInt8] {
    try Vectors.bytes(path)
}

private func record(_ strings: String...) -> DNSTXTRecord {
    DNSTXTRecord(strings: strings.map { Array($0.utf8) })
}

@Suite("KeyResolution: TXT records file")
struct KeyResolutionFileTests {
    private func resolver(_ text: String) throws -> TXTRecordFileResolver {
        try TXTRecordFileResolver(bytes: Array(text.utf8))
    }

    @Test func bareValueIsOneRecordTrimmed() async throws {
        let r = try resolver("a._domainkey.example.com \t v=DKIM1; p=abc \t\n")
        #expect(await r.lookupTXT("a._domainkey.example.com") == .records([record("v=DKIM1; p=abc")]))
    }

    @Test func quotedStringsAreKeptApartAndJoined() async throws {
        let r = try resolver("s.example.com \"v=DKIM1; k=rsa; \" \"p=MIIB\"\"QAB\"\n")
        let result = await r.lookupTXT("s.example.com")
        #expect(result == .records([record("v=DKIM1; k=rsa; ", "p=MIIB", "QAB")]))
        guard case .records(let records) = result else { return }
        #expect(records[0].joined == Array("v=DKIM1; k=rsa; p=MIIBQAB".utf8))
    }

    @Test(arguments: [
        (#"n "a\"b""#, [UInt8]("a\"b".utf8)),
        (#"n "a\\b""#, [UInt8]("a\\b".utf8)),
        (#"n "\065\000\255""#, [0x41, 0x00, 0xFF]),
        (#"n "\;x""#, [UInt8](";x".utf8)),
        (#"n """#, []),
    ])
    func escapes(line: String, expected: [UInt8]) async throws {
        let r = try resolver(line)
        #expect(await r.lookupTXT("n") == .records([DNSTXTRecord(strings: [expected])]))
    }

    @Test func commentsBlankLinesAndCRLF() async throws {
        let r = try resolver("# comment\r\n\r\n   \n  # indented comment\nx.example v=1\r\n")
        #expect(await r.lookupTXT("x.example") == .records([record("v=1")]))
        #expect(await r.lookupTXT("#") == .notFound)
    }

    @Test func duplicateNamesGiveSeveralRecordsInOrder() async throws {
        let r = try resolver("d.example one\nD.EXAMPLE. \"two\" \"2\"\n")
        #expect(await r.lookupTXT("d.example") == .records([record("one"), record("two", "2")]))
    }

    @Test func namesAreCaseInsensitiveAndTrailingDotIgnored() async throws {
        let r = try resolver("Sel._DomainKey.Example.COM. v=DKIM1\n")
        #expect(await r.lookupTXT("sel._domainkey.example.com") == .records([record("v=DKIM1")]))
        #expect(await r.lookupTXT("SEL._domainkey.example.com.") == .records([record("v=DKIM1")]))
        #expect(await r.lookupTXT("other.example.com") == .notFound)
    }

    @Test func tildesMeanTemporaryFailureAndNXDOMAINMeansNotFound() async throws {
        let r = try resolver("t.example ~~\nu.example ~~Query timed out~~\nn.example NXDOMAIN\n")
        #expect(await r.lookupTXT("t.example") == .temporaryFailure("Simulated temporary DNS failure."))
        #expect(await r.lookupTXT("u.example") == .temporaryFailure("Query timed out"))
        #expect(await r.lookupTXT("n.example") == .notFound)
    }

    @Test func longBareValueIsSplitIntoStringsOf255() async throws {
        let value = String(repeating: "a", count: 600)
        let r = try resolver("long.example \(value)\n")
        guard case .records(let records) = await r.lookupTXT("long.example") else {
            Issue.record("expected records")
            return
        }
        #expect(records[0].strings.map(\.count) == [255, 255, 90])
        #expect(records[0].joined == Array(value.utf8))
    }

    @Test(arguments: [
        ("ok v\nbad.example \"unterminated\n", 2, "unterminated"),
        ("\n\nname-only\n", 3, "no value"),
        ("name   \t\n", 1, "no value"),
        ("n \"a\" b\n", 1, "outside double quotes"),
        ("n \"a\"b\n", 1, "right after a closing quote"),
        ("n \"a\\12\"\n", 1, "three digits"),
        ("n \"\\256\"\n", 1, "above 255"),
        ("n \"\(String(repeating: "x", count: 256))\"\n", 1, "256 octets"),
        ("a..b v\n", 1, "empty label"),
        ("t.example ~~\nt.example v\n", 2, "earlier line marks as failing"),
        ("t.example v\nt.example ~~x~~\n", 2, "already defines"),
    ])
    func malformedLinesNameTheLine(text: String, line: Int, fragment: String) throws {
        let error = #expect(throws: DKIMError.self) { try TXTRecordFileResolver(bytes: Array(text.utf8)) }
        #expect(error?.code == .malformedInput)
        #expect(error?.reason.contains("line \(line):") == true, "\(error?.reason ?? "")")
        #expect(error?.reason.contains(fragment) == true, "\(error?.reason ?? "")")
    }

    @Test func unreadableFileIsAClearError() throws {
        let error = #expect(throws: DKIMError.self) {
            try TXTRecordFileResolver(contentsOfFile: "/nonexistent/dir/records.txt")
        }
        #expect(error?.code == .unreadableInput)
        #expect(error?.reason.contains("/nonexistent/dir/records.txt") == true)
    }

    @Test func loadsFromPath() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("txt-\(UUID().uuidString)").path
        try Data("p.example \"v=DKIM1; \" \"p=\"\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try TXTRecordFileResolver(contentsOfFile: path)
        #expect(await r.lookupTXT("p.example") == .records([record("v=DKIM1; ", "p=")]))
    }

    /// The Mail::DKIM test corpus file (TestVectors/mail-dkim/FAKE_DNS.dat) loads, with its conventions.
    @Test func loadsMailDKIMFakeDNS() async throws {
        let r = try TXTRecordFileResolver(bytes: try vector("mail-dkim/FAKE_DNS.dat"))
        #expect(await r.lookupTXT("testrevoked._domainkey.messiah.edu") == .records([record("k=rsa; t=y; p=")]))
        #expect(await r.lookupTXT("nonexistent._domainkey.messiah.edu") == .notFound)
        #expect(await r.lookupTXT("test3._domainkey.blackhole.messiah.edu") == .temporaryFailure("Query timed out"))
        #expect(await r.lookupTXT("test3._domainkey.blackhole2.messiah.edu") == .temporaryFailure("SERVFAIL"))
        #expect(await r.lookupTXT("2023-05-ed25519-empty._domainkey.wander.science") == .records([record("")]))
        #expect(await r.lookupTXT("2023-05-ed25519._domainkey.wander.science")
            == .records([record("v=DKIM1; k=ed25519; p=pP+YUyRjAvKha4Oc49KAY703oLUS1NLMEuGD3IHMKww=")]))
        let test2 = await r.lookupTXT("test2._domainkey.messiah.edu")
        guard case .records(let records) = test2 else {
            Issue.record("test2 should have a record")
            return
        }
        #expect(records.count == 1)
        #expect(String(decoding: records[0].joined, as: UTF8.self).hasSuffix("AwEAAQ== ;"))
    }
}

@Suite("KeyResolution: static resolver and names")
struct KeyResolutionStaticTests {
    @Test func staticResolverAnswersFromItsTable() async {
        let r = StaticKeyResolver([
            "A.Example.": .records([record("x")]),
            "t.example": .temporaryFailure("down"),
        ])
        #expect(await r.lookupTXT("a.example") == .records([record("x")]))
        #expect(await r.lookupTXT("t.example") == .temporaryFailure("down"))
        #expect(await r.lookupTXT("missing.example") == .notFound)
        let simple = StaticKeyResolver(records: ["s.example": ["v=DKIM1; p=", "second"]])
        #expect(await simple.lookupTXT("s.example") == .records([record("v=DKIM1; p="), record("second")]))
    }

    @Test(arguments: [
        "", ".", "a..b", ".a", "a b.example", "a\u{0}b", "tab\there", "back\\slash.example", "é.example",
        String(repeating: "a", count: 64) + ".example",
        Array(repeating: String(repeating: "a", count: 63), count: 4).joined(separator: "."),  // 255 chars
    ])
    func systemResolverRefusesInvalidNames(name: String) async throws {
        let resolver = try SystemDNSResolver(nameserver: "127.0.0.1:9", timeout: 1)
        guard case .permanentFailure(let reason) = await resolver.lookupTXT(name) else {
            Issue.record("expected a permanent failure for \(name.debugDescription)")
            return
        }
        #expect(reason.hasPrefix("The DNS name"))
    }

    @Test func longestValidNameIsAccepted() {
        // 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 characters (RFC 1035 §2.3.4).
        let name = [63, 63, 63, 61].map { String(repeating: "a", count: $0) }.joined(separator: ".")
        #expect(name.count == 253)
        #expect((try? DNSName.normalize(name + ".").get()) == name)
    }

    @Test(arguments: [
        ("127.0.0.1", "127.0.0.1", 53),
        ("127.0.0.1:5353", "127.0.0.1", 5353),
        ("::1", "::1", 53),
        ("2001:db8::53", "2001:db8::53", 53),
        ("[::1]", "::1", 53),
        ("[2001:db8::53]:65535", "2001:db8::53", 65535),
    ] as [(String, String, UInt16)])
    func nameserverParses(text: String, address: String, port: UInt16) throws {
        let server = try DNSNameserver(parsing: text)
        #expect(server.address == address)
        #expect(server.port == port)
    }

    @Test(arguments: [
        "", "localhost", "dns.example.com:53", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:53x",
        "127.0.0.1:+53", "256.1.1.1", "1.2.3", "[::1", "[::1]53", "[127.0.0.1]:53", "::1:53:", "[]:53",
        "127.0.0.1:99999999999999999999", " 127.0.0.1", "fe80::1%eth0",
    ])
    func badNameserverIsInvalidOption(text: String) {
        let error = #expect(throws: DKIMError.self) { try SystemDNSResolver(nameserver: text) }
        #expect(error?.code == .invalidOption)
        #expect(error?.reason.isEmpty == false)
    }

    @Test(arguments: [0.0, -1, .infinity, .nan, 601])
    func badTimeoutIsInvalidOption(timeout: Double) {
        #expect(throws: DKIMError(.invalidOption, "")) {
            try SystemDNSResolver(options: .init(timeout: timeout))
        }
    }

    @Test(arguments: [0, 11, -3])
    func badAttemptsIsInvalidOption(attempts: Int) {
        #expect(throws: DKIMError(.invalidOption, "")) {
            try SystemDNSResolver(options: .init(attempts: attempts))
        }
    }
}

@Suite("KeyResolution: DNS response parser")
struct KeyResolutionResponseTests {
    /// Encodes a name as RFC 1035 §3.1 labels.
    private func encode(_ name: String) -> [UInt8] {
        name.split(separator: ".").flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) } + [0]
    }

    private func header(id: UInt16 = 0x1234, flags: UInt16 = 0x8180, answers: UInt16) -> [UInt8] {
        [UInt8(id >> 8), UInt8(id & 0xFF), UInt8(flags >> 8), UInt8(flags & 0xFF), 0, 1, 0, UInt8(answers), 0, 0, 0, 0]
    }

    private func rr(_ owner: [UInt8], type: UInt16, _ data: [UInt8]) -> [UInt8] {
        owner + [0, UInt8(type), 0, 1, 0, 0, 0x0E, 0x10, UInt8(data.count >> 8), UInt8(data.count & 0xFF)] + data
    }

    /// Question for `s.example` TXT IN; its name starts at offset 12, the target of pointer 0xC00C.
    private var question: [UInt8] { encode("s.example") + [0, 16, 0, 1] }

    @Test func followsCNAMEAndCompressionPointers() throws {
        // s.example CNAME t.example (written as "t" + pointer to "example" at offset 14); t.example TXT "ab" "c".
        let cnameData: [UInt8] = [1, UInt8(ascii: "t"), 0xC0, 14]
        let tOffset = 12 + question.count + 2 + 10  // where the CNAME's rdata (the "t" label) starts
        let message = header(answers: 3) + question
            + rr([0xC0, 12], type: 5, cnameData)
            + rr([0xC0, UInt8(tOffset)], type: 16, [2, 0x61, 0x62, 1, 0x63])
            + rr([0xC0, 12], type: 1, [127, 0, 0, 1])
        let response = try DNSResponse(parsing: message, queryName: "s.example")
        #expect(response.rcode == 0)
        #expect(response.records == [.txt(record("ab", "c"))])
    }

    @Test func recordsAtOtherNamesAreIgnored() throws {
        let message = header(answers: 1) + question + rr(encode("other.example"), type: 16, [1, 0x78])
        #expect(try DNSResponse(parsing: message, queryName: "s.example").records.isEmpty)
    }

    @Test(arguments: [
        ("forward pointer", 0),
        ("txt overrun", 1),
        ("rdlength overrun", 2),
        ("wrong question", 3),
        ("empty txt", 4),
        ("cut header", 5),
    ])
    func malformedMessagesAreRejected(label: String, variant: Int) {
        let message: [UInt8]
        switch variant {
        case 0: message = header(answers: 1) + question + rr([0xC0, 200], type: 16, [1, 0x78])
        case 1: message = header(answers: 1) + question + rr([0xC0, 12], type: 16, [5, 0x78])
        case 2: message = header(answers: 1) + question + [0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 0, 0, 9, 1]
        case 3: message = header(answers: 0) + encode("x.example") + [0, 16, 0, 1]
        case 4: message = header(answers: 1) + question + rr([0xC0, 12], type: 16, [])
        default: message = Array(header(answers: 0).prefix(7))
        }
        #expect(throws: DNSResponse.ParseError.self, "\(label)") {
            try DNSResponse(parsing: message, queryName: "s.example")
        }
    }
}

/// A resolver that answers after 50 ms, counting calls.
private actor SlowResolver: DKIMKeyResolver {
    var calls = 0
    let answer: TXTLookupResult
    init(answer: TXTLookupResult) { self.answer = answer }
    func lookupTXT(_ name: String) async -> TXTLookupResult {
        calls += 1
        try? await Task.sleep(for: .milliseconds(50))
        return answer
    }
}

/// A resolver that counts calls and answers from a script.
private actor CountingResolver: DKIMKeyResolver {
    var calls = 0
    var answer: TXTLookupResult
    init(_ answer: TXTLookupResult) { self.answer = answer }
    func set(_ new: TXTLookupResult) { answer = new }
    func lookupTXT(_ name: String) async -> TXTLookupResult {
        calls += 1
        return answer
    }
}

/// A clock the test moves by hand.
private final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 1000.0
    var now: Double { lock.withLock { value } }
    func advance(_ seconds: Double) { lock.withLock { value += seconds } }
}

@Suite("KeyResolution: caching resolver")
struct KeyResolutionCacheTests {
    @Test(arguments: [TXTLookupResult.records([record("v=DKIM1; p=x")]), .notFound])
    func cachesAnswersUntilTTLExpires(answer: TXTLookupResult) async throws {
        let base = CountingResolver(answer)
        let clock = ManualClock()
        let cache = try CachingKeyResolver(wrapping: base, ttl: 300, clock: { clock.now })
        #expect(await cache.lookupTXT("S.example") == answer)
        #expect(await cache.lookupTXT("s.example.") == answer)
        #expect(await base.calls == 1)
        clock.advance(299.9)
        #expect(await cache.lookupTXT("s.example") == answer)
        #expect(await base.calls == 1)
        await base.set(.records([record("new")]))
        clock.advance(0.1)
        #expect(await cache.lookupTXT("s.example") == .records([record("new")]))
        #expect(await base.calls == 2)
    }

    /// A failure is kept for `failureTTL` (RFC 2308 §7.1), so a batch naming one unreachable key waits once.
    @Test(arguments: [TXTLookupResult.temporaryFailure("SERVFAIL"), .permanentFailure("malformed")])
    func keepsFailuresForTheFailureTTL(answer: TXTLookupResult) async throws {
        let base = CountingResolver(answer)
        let clock = ManualClock()
        let cache = try CachingKeyResolver(wrapping: base, ttl: 300, failureTTL: 60, clock: { clock.now })
        #expect(await cache.lookupTXT("f.example") == answer)
        #expect(await cache.lookupTXT("F.example.") == answer)
        #expect(await base.calls == 1)
        clock.advance(59.9)
        #expect(await cache.lookupTXT("f.example") == answer)
        #expect(await base.calls == 1)
        clock.advance(0.1)
        #expect(await cache.lookupTXT("f.example") == answer)
        #expect(await base.calls == 2)

        let uncached = try CachingKeyResolver(wrapping: base, ttl: 300, failureTTL: 0, clock: { clock.now })
        _ = await uncached.lookupTXT("f.example")
        _ = await uncached.lookupTXT("f.example")
        #expect(await base.calls == 4)
        #expect(await uncached.count == 0)
        #expect(try CachingKeyResolver(wrapping: base).failureTTL == CachingKeyResolver.defaultFailureTTL)
        #expect(try CachingKeyResolver(wrapping: base, ttl: 10).failureTTL == 10)
    }

    /// Lookups of one name that overlap share one query: 50 jobs waiting on a slow (or silent) server make one
    /// (those that start after it answered find its failure cached).
    @Test func overlappingLookupsShareOneQuery() async throws {
        let base = SlowResolver(answer: .temporaryFailure("timed out"))
        let cache = try CachingKeyResolver(wrapping: base, ttl: 300, failureTTL: 60)
        await withTaskGroup(of: TXTLookupResult.self) { group in
            for _ in 0..<50 { group.addTask { await cache.lookupTXT("slow.example") } }
            for await result in group { #expect(result == .temporaryFailure("timed out")) }
        }
        #expect(await base.calls == 1)
    }

    @Test func evictsOldestBeyondMaxEntries() async throws {
        let base = CountingResolver(.notFound)
        let cache = try CachingKeyResolver(wrapping: base, maxEntries: 3, clock: { 0 })
        for name in ["a", "b", "c", "d"] { _ = await cache.lookupTXT(name) }
        #expect(await cache.count == 3)
        #expect(await base.calls == 4)
        _ = await cache.lookupTXT("d")
        _ = await cache.lookupTXT("b")
        #expect(await base.calls == 4)
        _ = await cache.lookupTXT("a")  // evicted first
        #expect(await base.calls == 5)
    }

    /// The verifier takes a fresh cached answer without an async call (``ImmediateKeyResolver``): nothing before
    /// the first lookup, the cached answer under any spelling of the name while fresh, nothing after the TTL; a
    /// failure, kept for the failure TTL, too.
    @Test func immediateAnswerIsTheFreshCachedOne() async throws {
        let base = CountingResolver(.records([record("v=DKIM1; p=x")]))
        let clock = ManualClock()
        let cache = try CachingKeyResolver(wrapping: base, ttl: 300, clock: { clock.now })
        #expect(cache.immediateTXT("s.example") == nil)
        _ = await cache.lookupTXT("s.example")
        #expect(cache.immediateTXT("S.Example.") == .records([record("v=DKIM1; p=x")]))
        #expect(cache.immediateTXT("t.example") == nil)
        clock.advance(300)
        #expect(cache.immediateTXT("s.example") == nil)
        #expect(await base.calls == 1)

        let failing = try CachingKeyResolver(wrapping: CountingResolver(.temporaryFailure("SERVFAIL")), clock: { 0 })
        _ = await failing.lookupTXT("f.example")
        #expect(failing.immediateTXT("f.example") == .temporaryFailure("SERVFAIL"))
        #expect(DKIMVerifier(options: VerifyOptions(resolver: cache)).immediateResolver != nil)
    }

    @Test func concurrentLookupsDoNotCrash() async throws {
        let base = CountingResolver(.records([record("x")]))
        let cache = try CachingKeyResolver(wrapping: base, maxEntries: 50)
        await withTaskGroup(of: TXTLookupResult.self) { group in
            for index in 0..<400 {
                group.addTask { await cache.lookupTXT("n\(index % 80).example") }
            }
            for await result in group { #expect(result == .records([record("x")])) }
        }
        #expect(await cache.count <= 50)
    }

    @Test func rejectsBadSettings() {
        #expect(throws: DKIMError(.invalidOption, "")) {
            try CachingKeyResolver(wrapping: StaticKeyResolver([:]), ttl: -1)
        }
        #expect(throws: DKIMError(.invalidOption, "")) {
            try CachingKeyResolver(wrapping: StaticKeyResolver([:]), maxEntries: 0)
        }
        #expect(throws: DKIMError(.invalidOption, "")) {
            try CachingKeyResolver(wrapping: StaticKeyResolver([:]), ttl: 300, failureTTL: 301)
        }
    }
}

/// The byte table the fixed-table resolvers search first gives the Dictionary's answer for every name: in lookup
/// form or not, ASCII or not, present or not, including keys that only canonical equivalence matches.
@Suite struct KeyResolutionAnswerTableTests {
    static let keys = ["a._domainkey.example.com", "b._domainkey.example.com", "x", "exactly8", "sixteen-bytes-ok",
                       "s\u{E9}l._domainkey.example.com", "k.example"]

    static func dictionary(_ keys: [String]) -> [String: TXTLookupResult] {
        var table: [String: TXTLookupResult] = [:]
        for (index, key) in keys.enumerated() {
            table[key] = .records([DNSTXTRecord(strings: [[UInt8(truncatingIfNeeded: index)]])])
        }
        return table
    }

    @Test(arguments: [
        "a._domainkey.example.com", "b._domainkey.example.com", "c._domainkey.example.com", "x", "y", "exactly8",
        "exactly9x", "sixteen-bytes-ok", "sixteen-bytes-no", "A._domainkey.example.com", "a._domainkey.example.com.",
        "s\u{E9}l._domainkey.example.com", "se\u{301}l._domainkey.example.com", "", ".", "k.example", "K.example",
        "\u{212A}.example", "a._domainkey.example.co", "a._domainkey.example.comm",
    ])
    func answersAsTheDictionary(_ name: String) async {
        for keys in [Self.keys, Self.keys.filter { $0.utf8.allSatisfy { $0 < 0x80 } }, ["\u{212A}.example"], []] {
            let table = Self.dictionary(keys)
            let answers = TXTAnswerTable(table)
            let expected = table[StaticKeyResolver.key(name)]
            // Where the byte table answers, it must be the Dictionary's answer.
            if let answer = answers.lookup(name) { #expect(answer == expected, "\(keys) \(name)") }
            let resolver = StaticKeyResolver(table)
            #expect(await resolver.lookupTXT(name) == (expected ?? .notFound), "\(keys) \(name)")
        }
    }

    /// The usual lookup, an ASCII lowercase name, is answered by the byte table, found or not.
    @Test func lowercaseASCIINamesAreAnsweredByTheTable() {
        let answers = TXTAnswerTable(Self.dictionary(Self.keys.filter { $0.utf8.allSatisfy { $0 < 0x80 } }))
        #expect(answers.lookup("a._domainkey.example.com") != nil)
        #expect(answers.lookup("missing._domainkey.example.com") != nil)
        #expect(answers.lookup("Missing._domainkey.example.com") == nil)
    }

    /// Many keys (the table grows and probes collide) are each found, and names one byte off are not.
    @Test func manyKeysAreEachFound() {
        let keys = (0..<300).map { "s\($0)._domainkey.d\($0 % 17).example" }
        let answers = TXTAnswerTable(Self.dictionary(keys))
        for (index, key) in keys.enumerated() {
            let expected = TXTLookupResult.records([DNSTXTRecord(strings: [[UInt8(truncatingIfNeeded: index)]])])
            #expect(answers.lookup(key) == .some(expected))
            #expect(answers.lookup(key + "x") == .some(nil))
        }
    }
}

/// The verifier asks in-memory resolvers without an async call (``ImmediateKeyResolver``): their immediate answer
/// must be the one `lookupTXT` gives, for every form of name (the caching resolver's is tested with the cache).
@Suite("KeyResolution: immediate answers")
struct KeyResolutionImmediateTests {
    static let names = [
        "a.example", "A.EXAMPLE", "a.example.", "t.example", "missing.example", "", ".", "caf\u{E9}.example",
        "sel._domainkey.example.com", "SEL._DomainKey.Example.COM.",
    ]

    @Test(arguments: names)
    func staticResolverImmediateIsLookup(name: String) async throws {
        let r = StaticKeyResolver([
            "A.Example.": .records([record("x")]),
            "t.example": .temporaryFailure("down"),
            "sel._domainkey.example.com": .records([record("v=DKIM1; ", "p=")]),
            "caf\u{E9}.example": .permanentFailure("bad"),
        ])
        let immediate = try #require(r.immediateTXT(name))
        #expect(immediate == (await r.lookupTXT(name)))
    }

    @Test(arguments: names)
    func fileResolverImmediateIsLookup(name: String) async throws {
        let r = try TXTRecordFileResolver(bytes: Array(
            "A.Example. x\nt.example ~~down~~\nsel._domainkey.example.com \"v=DKIM1; \" \"p=\"\n".utf8))
        let immediate = try #require(r.immediateTXT(name))
        #expect(immediate == (await r.lookupTXT(name)))
    }

    @Test func knownAnswers() throws {
        let r = try TXTRecordFileResolver(bytes: Array("A.Example. x\n".utf8))
        #expect(r.immediateTXT("a.example.") == .records([record("x")]))
        #expect(r.immediateTXT("b.example") == .notFound)
    }

    @Test func verifierAsksOnlyInMemoryResolversImmediately() throws {
        let file = try TXTRecordFileResolver(bytes: Array("a.example x\n".utf8))
        #expect(DKIMVerifier(options: VerifyOptions(resolver: file)).immediateResolver != nil)
        #expect(DKIMVerifier(options: VerifyOptions(resolver: StaticKeyResolver([:]))).immediateResolver != nil)
        #expect(DKIMVerifier(options: VerifyOptions(resolver: MemoryResolver([:]))).immediateResolver == nil)
    }
}
