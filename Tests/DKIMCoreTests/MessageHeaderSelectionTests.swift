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

    @Test func namesCompareOverASCIIOnly() throws {
        // U+212A KELVIN SIGN lowercases to "k" in Unicode; it must not select anything.
        let field = try HeaderField(raw: Array("K: v\r\n".utf8))
        #expect(HeaderSelection.select(["\u{212A}", "k"], from: [field]).map(text) == [nil, "K: v\r\n"])
        #expect(HeaderSelection.select([], from: [field]).isEmpty)
        #expect(HeaderSelection.select(["k"], from: []) == [nil])
    }
}
