/// Picks the header field instances a signature's `h=` list covers (RFC 6376 §5.4.2).
public enum HeaderSelection {
    /// Selects, for each name in `h=` order, the bottom-most instance of that name not yet selected.
    ///
    /// RFC 6376 §5.4.2: when a name appears several times in `h=`, the instances are taken from the bottom of
    /// the header up. A name with no instance left selects nothing (`nil`): it contributes the null string to
    /// the signed data, which is how oversigning keeps a later-added field from verifying.
    /// - Parameters:
    ///   - names: the field names of `h=`, in order; compared case-insensitively over ASCII.
    ///   - headers: the message's header fields, top first.
    /// - Returns: one entry per name: the index into `headers` of the selected instance, or nil.
    public static func selectIndices(_ names: [String], from headers: [HeaderField]) -> [Int?] {
        selectIndices(names, from: headers, excluding: nil)
    }

    /// ``selectIndices(_:from:)`` over `headers` without the field at `excluded`, the DKIM-Signature field under
    /// verification, which did not exist when the signer chose the instances (so it is never selected, and a
    /// second instance of its name above it is found as if it were absent). Indices still refer to `headers`.
    static func selectIndices(_ names: [String], from headers: [HeaderField], excluding excluded: Int?) -> [Int?] {
        if names.count * headers.count <= scanLimit {
            return scanSelect(names, from: headers, excluding: excluded)
        }
        var remaining: [String: [Int]] = [:]
        for (index, field) in headers.enumerated() where index != excluded {
            remaining[field.lowercasedName, default: []].append(index)
        }
        return names.map { name in
            remaining[HeaderField.asciiLowercased(name)]?.popLast()
        }
    }

    /// Up to this many (name, field) comparisons, a scan per name beats building a dictionary of index arrays
    /// (a typical message: 15 names, 20 fields); beyond it the dictionary keeps hostile input linear.
    static let scanLimit = 4096

    /// ``selectIndices(_:from:)`` by scanning the fields bottom-up for each name; no allocation per field.
    static func scanSelect(_ names: [String], from headers: [HeaderField], excluding excluded: Int?) -> [Int?] {
        var selected: [Int?] = []
        selected.reserveCapacity(names.count)
        // The marks live in a temporary buffer (on the stack when small): `[Bool](repeating:count:)` allocated
        // through the stdlib's unspecialised path, which looks the storage type up at run time on every call.
        withUnsafeTemporaryAllocation(of: Bool.self, capacity: headers.count) { taken in
            taken.initialize(repeating: false)
            if let excluded, taken.indices.contains(excluded) { taken[excluded] = true }
            // Through a buffer pointer: the fields are borrowed in place, not copied (and retained) per comparison.
            headers.withUnsafeBufferPointer { fields in
                for name in names {
                    // The name's bytes are read once per name, then compared with the fields in place.
                    let found: Int? = HeaderField.withNameBytes(name) { nameBytes in
                        var index = fields.count
                        while index > 0 {
                            index -= 1
                            if !taken[index], fields[index].hasName(caseInsensitive: nameBytes) {
                                taken[index] = true
                                return index
                            }
                        }
                        return nil
                    }
                    selected.append(found)
                }
            }
        }
        return selected
    }

    /// Selects, for each name in `h=` order, the bottom-most instance of that name not yet selected.
    ///
    /// The same as ``selectIndices(_:from:)``, returning the fields themselves.
    /// - Parameters:
    ///   - names: the field names of `h=`, in order; compared case-insensitively over ASCII.
    ///   - headers: the message's header fields, top first.
    /// - Returns: one entry per name: the selected field, or nil when no instance is left.
    public static func select(_ names: [String], from headers: [HeaderField]) -> [HeaderField?] {
        selectIndices(names, from: headers).map { index in index.map { headers[$0] } }
    }
}
