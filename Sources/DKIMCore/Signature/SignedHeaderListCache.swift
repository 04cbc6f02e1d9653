/// The `h=` lists of signatures already parsed, by their exact bytes, shared by the verifications of a verifier.
///
/// A signer writes the same `h=` for every message it signs, and splitting it makes a String per name
/// (RFC 6376 §3.5: `h=` is a colon-separated list of header field names): about a sixth of the instructions of a
/// small verification outside the signature check. The parse is a function of the bytes alone (folding
/// white space included), so an entry found by equal bytes is the parse of those bytes. Only lists that parsed
/// are kept; at ``maxEntries`` lists the table is emptied, so memory stays bounded whatever the input.
final class SignedHeaderListCache: Sendable {
    /// The parsed list: the names as written, how many of them are From, and the names' bytes for the selection.
    typealias Entry = SignedHeaderNames

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

/// A parsed `h=` list (RFC 6376 §3.5), with the names also laid out for the verifier's header selection.
///
/// The selection compares each name with the message's field names on every verification; reading a name from its
/// String cost a pass over its UTF-8 per name and verification. The list is parsed once per distinct `h=` bytes
/// (``SignedHeaderListCache``), so the names are lowercased over ASCII once, here, each with its
/// ``HeaderSelection/nameKey(length:first:last:)``, into one buffer this object owns: read through a stored pointer,
/// it costs no reference counting (three arrays in the object cost a retain and a release each per read).
/// `@unchecked Sendable`: the buffer is written only in `init` and freed only in `deinit`.
final class SignedHeaderNames: @unchecked Sendable {
    /// The names as written, in order, repeats kept.
    let names: [String]
    /// How many names are From, ignoring ASCII case.
    let fromCount: Int
    /// How many names there are.
    let count: Int
    /// `count` keys (0 for an empty name, which no field has), then `count + 1` starts: name `i` is the bytes
    /// from `starts[i]` to `starts[i + 1]` of ``bytes``.
    let layout: UnsafeMutablePointer<UInt32>
    /// The names lowercased over ASCII, one after another.
    let bytes: UnsafeMutablePointer<UInt8>

    /// Lays out `names`, of which `fromCount` are From.
    init(names: [String], fromCount: Int) {
        self.names = names
        self.fromCount = fromCount
        count = names.count
        var total = 0
        for name in names { total += name.utf8.count }
        layout = .allocate(capacity: 2 * names.count + 1)
        bytes = .allocate(capacity: max(total, 1))
        var end = 0
        layout[names.count] = 0
        for (position, name) in names.enumerated() {
            HeaderField.withNameBytes(name) { nameBytes in
                for byte in nameBytes {
                    bytes[end] = ASCII.lowercased(byte)
                    end += 1
                }
                if let first = nameBytes.first, let last = nameBytes.last {
                    layout[position] = HeaderSelection.nameKey(length: nameBytes.count, first: first, last: last)
                } else {
                    layout[position] = 0
                }
            }
            layout[names.count + position + 1] = UInt32(truncatingIfNeeded: end)
        }
    }

    deinit {
        layout.deallocate()
        bytes.deallocate()
    }

    /// Name `position`'s ``HeaderSelection/nameKey(length:first:last:)``.
    @inline(__always)
    func key(_ position: Int) -> UInt32 { layout[position] }

    /// Name `position`, lowercased over ASCII.
    @inline(__always)
    func name(_ position: Int) -> UnsafeBufferPointer<UInt8> {
        let start = Int(truncatingIfNeeded: layout[count &+ position])
        let end = Int(truncatingIfNeeded: layout[count &+ position &+ 1])
        return UnsafeBufferPointer(start: bytes + start, count: end &- start)
    }
}
