import Testing
@testable import DKIMCore

@Suite struct MessageHeaderSelectionTests {
    /// Headers, top first: Received one, From, Received two, SUBJECT s1, subject s2, received three.
    func headers() throws -> [HeaderField] {
        try MessageParts(parsing: try MessageVectors.bytes("messages/duplicates.eml")).headers
    }

    func text(_ field: HeaderField?) -> String? {
        field.map { String(decoding: $0.raw, as: UTF8.self) }
    }

    @Test func takesInstancesBottomUp() throws {
        // RFC 6376 §5.4.2: repeated names in h= take instances from the bottom up.
        let picked = HeaderSelection.select(["received", "Received", "RECEIVED"], from: try headers())
        #expect(picked.map(text) == ["received: three\r\n", "Received: two\r\n", "Received: one\r\n"])
    }

    @Test func moreNamesThanInstancesGiveNil() throws {
        let names = ["subject", "From", "from", "Subject", "subject", "To"]
        let picked = HeaderSelection.select(names, from: try headers())
        #expect(picked.map(text) == ["subject: s2\r\n", "From: a@example.com\r\n", nil, "SUBJECT: s1\r\n", nil, nil])
        #expect(HeaderSelection.selectIndices(["from", "from", "subject"], from: try headers()) == [1, nil, 4])
    }

    @Test(arguments: 0..<6)
    func anExcludedFieldIsAsIfAbsent(_ excluded: Int) throws {
        // The DKIM-Signature field under verification did not exist when the signer chose the instances: selecting
        // with it excluded equals selecting from the list without it (indices mapped back).
        let all = try headers()
        var without = all
        without.remove(at: excluded)
        let names = ["received", "subject", "from", "received", "Subject", "received", "received", "x"]
        let model = HeaderSelection.selectIndices(names, from: without).map { $0.map { $0 >= excluded ? $0 + 1 : $0 } }
        #expect(HeaderSelection.selectIndices(names, from: all, excluding: excluded) == model)
        #expect(!HeaderSelection.selectIndices(names, from: all, excluding: excluded).contains(excluded))
    }

    /// RFC 6376 §5.4.2 written out: for each name, the bottom-most field not yet taken whose name equals it over
    /// ASCII case.
    static func model(_ names: [String], _ fields: [HeaderField], excluding excluded: Int?) -> [Int?] {
        var taken = Set<Int>(excluded.map { [$0] } ?? [])
        func lower(_ bytes: some Sequence<UInt8>) -> [UInt8] { bytes.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 } }
        return names.map { name in
            let index = fields.indices.reversed().first { !taken.contains($0) && lower(fields[$0].name)
                == lower(name.utf8) }
            if let index { taken.insert(index) }
            return index
        }
    }

    /// Names of six to nine octets, case variants, names that are prefixes of each other,
    /// the empty name and non-ASCII names, in random lists against random fields.
    @Test func randomListsMatchTheModel() throws {
        let pool = ["from", "FROM", "subject", "Subject", "subjects", "subjec", "message-id", "Message-ID",
                    "message-ie", "x-seven", "X-Seven", "x-sevem", "x-eight1", "x-eight2", "", "k", "\u{212A}",
                    "grüße", "content-transfer-encoding", "content-transfer-encodinG"]
        let fieldNames = pool.filter { !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 33 && $0 <= 126 } }
        var random = SplitMix64(seed: 0x5E1E_C7ED)
        for _ in 0..<300 {
            func pick(_ count: Int) -> Int { Int(random.next() % UInt64(count)) }
            let fields = try (0..<pick(14)).map { _ in
                try HeaderField(raw: Array((fieldNames[pick(fieldNames.count)] + ": v\r\n").utf8))
            }
            let names = (0..<pick(12)).map { _ in pool[pick(pool.count)] }
            let excluded: Int? = fields.isEmpty || pick(2) == 0 ? nil : pick(fields.count)
            #expect(HeaderSelection.selectIndices(names, from: fields, excluding: excluded)
                    == Self.model(names, fields, excluding: excluded), "\(names) \(fields.map(\.lowercasedName))")
        }
    }

    @Test func namesCompareOverASCIIOnly() throws {
        // U+212A KELVIN SIGN lowercases to "k" in Unicode; it must not select anything.
        let field = try HeaderField(raw: Array("K: v\r\n".utf8))
        #expect(HeaderSelection.select(["\u{212A}", "k"], from: [field]).map(text) == [nil, "K: v\r\n"])
        #expect(HeaderSelection.select([], from: [field]).isEmpty)
        #expect(HeaderSelection.select(["k"], from: []) == [nil])
    }

    /// The byte test the name comparisons use agrees with lowercasing both bytes, on every pair of bytes, and
    /// names that agree have equal selection keys (the prefilter never hides a match).
    @Test func byteComparisonMatchesLowercasing() {
        var pairs = 0
        for left in UInt8.min...UInt8.max {
            for right in UInt8.min...UInt8.max {
                let expected = ASCII.lowercased(left) == ASCII.lowercased(right)
                let matched = [left].withUnsafeBufferPointer { a in
                    [right].withUnsafeBufferPointer { b in
                        HeaderField.namesMatch(a.baseAddress!, b.baseAddress!, count: 1)
                    }
                }
                #expect(matched == expected, "\(left) \(right)")
                if expected {
                    pairs += 1
                    #expect(HeaderSelection.nameKey(length: 3, first: left, last: 0x41)
                            == HeaderSelection.nameKey(length: 3, first: right, last: 0x41))
                    #expect(HeaderSelection.nameKey(length: 9, first: 0x61, last: left)
                            == HeaderSelection.nameKey(length: 9, first: 0x61, last: right))
                }
            }
        }
        #expect(pairs == 256 + 2 * 26)
        #expect(HeaderSelection.nameKey(length: 0, first: 0, last: 0) != 0)
    }

    /// The name comparison agrees with lowercasing every byte, for names of every length from 1 to 30, with case
    /// flips and one differing byte anywhere (a letter's other case, a non-letter 0x20 apart, any byte).
    @Test func nameComparisonMatchesLowercasing() {
        var random = SplitMix64(seed: 0x4A3E_5E1E)
        let nameBytes: [UInt8] = Array(33...57) + Array(59...126)
        for length in 1...30 {
            for _ in 0..<40 {
                let left = (0..<length).map { _ in nameBytes[Int(random.next() % UInt64(nameBytes.count))] }
                var right = left.map { byte in random.next() % 3 == 0 ? byte ^ 0x20 : byte }
                if random.next() % 2 == 0 {
                    let position = Int(random.next() % UInt64(length))
                    right[position] = random.next() % 2 == 0
                        ? right[position] ^ 0x20 : UInt8(truncatingIfNeeded: random.next())
                }
                let expected = left.map(ASCII.lowercased) == right.map(ASCII.lowercased)
                let matched = left.withUnsafeBufferPointer { a in
                    right.withUnsafeBufferPointer { b in
                        HeaderField.namesMatch(a.baseAddress!, b.baseAddress!, count: length)
                    }
                }
                #expect(matched == expected, "\(left) \(right)")
            }
        }
    }
}
