/// The `h=` lists of signatures already parsed, by their exact bytes, shared by the verifications of a verifier.
///
/// A signer writes the same `h=` for every message it signs, and splitting it makes a String per name
/// (RFC 6376 §3.5: `h=` is a colon-separated list of header field names): about a sixth of the instructions of a
/// small verification outside the signature check. The parse is a function of the bytes alone (folding
/// white space included), so an entry found by equal bytes is the parse of those bytes. Only lists that parsed
/// are kept; at ``maxEntries`` lists the table is emptied, so memory stays bounded whatever the input.
final class SignedHeaderListCache: Sendable {
    /// The parsed list: the names as written and how many of them are From.
    typealias Entry = (names: [String], fromCount: Int)

    /// The most lists kept at once.
    static let maxEntries = 256

    private struct Table {
        var entries: [HashedBytes: Entry] = [:]
        /// The entry found or added last, compared before the table is searched: mail from one signer repeats
        /// its `h=`, and comparing the bytes once costs far less than hashing them and probing the table.
        var last: (key: HashedBytes, entry: Entry)?
    }

    private let table = LockedValue(Table())

    /// The list parsed from `value`, from the table or from `parse` (whose result is then kept).
    /// - Parameters:
    ///   - value: the `h=` value as written.
    ///   - parse: parses `value`; its error is thrown as it is, and nothing is kept.
    func list(_ value: ArraySlice<UInt8>, parse: () throws(DKIMError) -> Entry) throws(DKIMError) -> Entry {
        let key = HashedBytes(slice: value)
        let known = table.withLock { table -> Entry? in
            if let last = table.last, last.key == key { return last.entry }
            guard let index = table.entries.index(forKey: key) else { return nil }
            let found = table.entries[index]
            table.last = (found.key, found.value)
            return found.value
        }
        if let known { return known }
        let parsed = try parse()
        // Kept in an array of its own: a slice would keep the whole header section it came from.
        let owned = key.owned
        table.withLock { table in
            if table.entries.count >= Self.maxEntries { table.entries.removeAll() }
            table.entries[owned] = parsed
            table.last = (owned, parsed)
        }
        return parsed
    }
}
