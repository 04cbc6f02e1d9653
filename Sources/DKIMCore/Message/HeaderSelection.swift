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
        var remaining: [String: [Int]] = [:]
        for (index, field) in headers.enumerated() {
            remaining[field.lowercasedName, default: []].append(index)
        }
        return names.map { name in
            remaining[HeaderField.asciiLowercased(name)]?.popLast()
        }
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
