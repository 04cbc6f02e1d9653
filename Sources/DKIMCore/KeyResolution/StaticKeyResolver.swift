/// An in-memory resolver: a fixed table from name to lookup result, for tests and embedding.
///
/// Names are compared case-insensitively with a trailing dot ignored; a name not in the table is
/// ``TXTLookupResult/notFound``.
public struct StaticKeyResolver: DKIMKeyResolver, ImmediateKeyResolver {
    private let table: [String: TXTLookupResult]
    /// The same table, searched by the bytes of a name already in lookup form.
    private let answers: TXTAnswerTable

    /// Creates a resolver answering from `results`.
    ///
    /// - Parameter results: name → result; when two names differ only in case or a trailing dot,
    ///   the one that sorts last wins.
    public init(_ results: [String: TXTLookupResult]) {
        var table: [String: TXTLookupResult] = [:]
        for name in results.keys.sorted() {
            table[Self.key(name)] = results[name]
        }
        self.table = table
        self.answers = TXTAnswerTable(table)
    }

    /// Creates a resolver where each name has one TXT record per string given (each a single character-string).
    ///
    /// - Parameter records: name → TXT values, e.g. `["s._domainkey.example.com": ["v=DKIM1; p=..."]]`.
    public init(records: [String: [String]]) {
        self.init(records.mapValues { values in
            .records(values.map { DNSTXTRecord(strings: [Array($0.utf8)]) })
        })
    }

    /// Returns the table's result for `name`, or ``TXTLookupResult/notFound``.
    public func lookupTXT(_ name: String) async -> TXTLookupResult {
        answer(for: name)
    }

    func immediateTXT(_ name: String) -> TXTLookupResult? {
        answer(for: name)
    }

    /// The table's answer for `name` (the byte table first, the Dictionary for any other form of the name); also
    /// what ``TXTRecordFileResolver`` answers from.
    func answer(for name: String) -> TXTLookupResult {
        if let answer = answers.lookup(name) { return answer ?? .notFound }
        return table[Self.key(name)] ?? .notFound
    }

    static func key(_ name: String) -> String {
        // A name already in the table's form (no uppercase, no trailing dot: what the verifier asks for when
        // d= and s= are written in lowercase) is its own key; only another is copied and lowercased.
        let normalized = HeaderField.withNameBytes(name) { bytes in
            // Through the contiguous UTF-8, in place: iterating `String.UTF8View` costs an index step per byte, and
            // `withUTF8` (mutating) a copy of the String, a retain and a release.
            bytes.last != ASCII.period && !bytes.contains { $0 >= ASCII.upperA && $0 <= ASCII.upperZ }
        }
        if normalized { return name }
        var bytes = Array(name.utf8)
        if bytes.last == ASCII.period { bytes.removeLast() }
        return String(decoding: bytes.map(ASCII.lowercased), as: UTF8.self)
    }
}
