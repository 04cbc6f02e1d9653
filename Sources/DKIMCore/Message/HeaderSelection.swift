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
        var selected: [Int?] = []
        selected.reserveCapacity(names.count)
        // Through a buffer pointer: the fields are borrowed in place, not copied (and retained) per comparison.
        headers.withUnsafeBufferPointer { fields in
            select(names, count: fields.count, excluding: excluded,
                   hasName: { fields[$0].hasName(caseInsensitive: $1) },
                   lowercasedName: { fields[$0].lowercasedName },
                   found: { selected.append($0) })
        }
        return selected
    }

    /// The selection of ``selectIndices(_:from:)`` over any `count` fields, top first, read through two closures
    /// (so ``HeaderField`` arrays and the verifier's ``HeaderTable`` share it); each name's choice, in `h=` order,
    /// goes to `found`.
    /// - Parameters:
    ///   - hasName: whether field `i` is named by the given UTF-8 bytes, compared over ASCII case.
    ///   - lowercasedName: field `i`'s name lowercased over ASCII (for inputs too large to scan).
    @inline(__always)
    static func select(_ names: [String], count: Int, excluding excluded: Int?,
                       hasName: (Int, UnsafeBufferPointer<UInt8>) -> Bool, lowercasedName: (Int) -> String,
                       found: (Int?) -> Void) {
        guard names.count * count <= scanLimit else {
            var remaining: [String: [Int]] = [:]
            for index in 0..<count where index != excluded {
                remaining[lowercasedName(index), default: []].append(index)
            }
            for name in names {
                found(remaining[HeaderField.asciiLowercased(name)]?.popLast())
            }
            return
        }
        // The marks live in a temporary buffer (on the stack when small): `[Bool](repeating:count:)` allocated
        // through the stdlib's unspecialised path, which looks the storage type up at run time on every call.
        withUnsafeTemporaryAllocation(of: Bool.self, capacity: count) { taken in
            taken.initialize(repeating: false)
            if let excluded, taken.indices.contains(excluded) { taken[excluded] = true }
            for name in names {
                // The name's bytes are read once per name, then compared with the fields in place, bottom-up.
                let index: Int? = HeaderField.withNameBytes(name) { nameBytes in
                    var index = count
                    while index > 0 {
                        index -= 1
                        if !taken[index], hasName(index, nameBytes) {
                            taken[index] = true
                            return index
                        }
                    }
                    return nil
                }
                found(index)
            }
        }
    }

    /// Up to this many (name, field) comparisons, a scan per name beats building a dictionary of index arrays
    /// (a typical message: 15 names, 20 fields); beyond it the dictionary keeps hostile input linear.
    static let scanLimit = 4096

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
