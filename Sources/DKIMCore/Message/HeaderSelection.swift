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
            select(names, count: fields.count, excluding: excluded, nameKey: { fields[$0].nameKey },
                   hasName: { fields[$0].hasName(caseInsensitive: $1) },
                   lowercasedName: { fields[$0].lowercasedName },
                   found: { selected.append($0) })
        }
        return selected
    }

    /// The selection of ``selectIndices(_:from:)`` over any `count` fields, top first, read through closures
    /// (so ``HeaderField`` arrays and the verifier's ``HeaderTable`` share it); each name's choice, in `h=` order,
    /// goes to `found`.
    /// - Parameters:
    ///   - nameKey: field `i`'s ``nameKey(length:first:last:)``.
    ///   - hasName: whether field `i` is named by the given UTF-8 bytes, compared over ASCII case.
    ///   - lowercasedName: field `i`'s name lowercased over ASCII (for inputs too large to scan).
    @inline(__always)
    static func select(_ names: [String], count: Int, excluding excluded: Int?, nameKey: (Int) -> UInt32,
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
        withFieldKeys(count: count, excluding: excluded, nameKey: nameKey) { keys, buckets in
            for name in names {
                let index = HeaderField.withNameBytes(name) { nameBytes -> Int? in
                    // No field has an empty name.
                    guard let first = nameBytes.first, let last = nameBytes.last else { return nil }
                    let key = Self.nameKey(length: nameBytes.count, first: first, last: last)
                    return take(key: key, nameBytes: nameBytes, count: count, keys: keys, buckets: buckets,
                                hasName: hasName)
                }
                found(index)
            }
        }
    }

    /// The selection of ``select(_:count:excluding:nameKey:hasName:lowercasedName:found:)`` for an `h=` list laid
    /// out when it was parsed: the names' lowercased bytes and keys are read as they are, no String is touched.
    @inline(__always)
    static func select(_ names: SignedHeaderNames, count: Int, excluding excluded: Int?,
                       nameKey: (Int) -> UInt32, hasName: (Int, UnsafeBufferPointer<UInt8>) -> Bool,
                       lowercasedName: (Int) -> String, found: (Int?) -> Void) {
        let nameCount = names.count
        guard nameCount * count <= scanLimit else {
            var remaining: [String: [Int]] = [:]
            for index in 0..<count where index != excluded {
                remaining[lowercasedName(index), default: []].append(index)
            }
            for position in 0..<nameCount {
                // Already lowercased.
                found(remaining[String(decoding: names.name(position), as: UTF8.self)]?.popLast())
            }
            return
        }
        withFieldKeys(count: count, excluding: excluded, nameKey: nameKey) { keys, buckets in
            for position in 0..<nameCount {
                let key = names.key(position)
                // No field has an empty name (its key is 0, that of a taken field).
                guard key != 0 else {
                    found(nil)
                    continue
                }
                found(take(key: key, nameBytes: names.name(position), count: count, keys: keys, buckets: buckets,
                           hasName: hasName))
            }
        }
    }

    /// Runs `body` with the fields' keys and bucket counts, for ``take(key:nameBytes:count:keys:buckets:hasName:)``.
    ///
    /// One key per field, read once (on the stack when small): most (name, field) pairs differ in length or first
    /// or last letter, so a name's bottom-up scan compares one word per field, and names only where the keys agree.
    /// A taken field's key becomes 0, which no name's key is. `keys[0]` holds the name's own key while it is
    /// scanned, so the scan needs no bounds test; field `i`'s key is at `i + 1`.
    /// A count of the untaken fields per bucket of keys answers a name with no instance left (an oversigned one,
    /// the usual case once its instances are taken) without a scan.
    @inline(__always)
    private static func withFieldKeys(
        count: Int, excluding excluded: Int?, nameKey: (Int) -> UInt32,
        _ body: (UnsafeMutableBufferPointer<UInt32>, UnsafeMutableBufferPointer<UInt32>) -> Void
    ) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: count + 1 + bucketCount) { storage in
            let keys = UnsafeMutableBufferPointer(rebasing: storage[0..<(count + 1)])
            let buckets = UnsafeMutableBufferPointer(rebasing: storage[(count + 1)...])
            buckets.initialize(repeating: 0)
            for index in 0..<count {
                let key = nameKey(index)
                keys[index &+ 1] = key
                buckets[bucket(key)] &+= 1
            }
            if let excluded, excluded >= 0, excluded < count {
                buckets[bucket(keys[excluded &+ 1])] &-= 1
                keys[excluded &+ 1] = 0
            }
            body(keys, buckets)
        }
    }

    /// The bottom-most untaken field named `nameBytes` (whose key is `key`, not 0), marked taken; nil when none is.
    @inline(__always)
    private static func take(key: UInt32, nameBytes: UnsafeBufferPointer<UInt8>, count: Int,
                             keys: UnsafeMutableBufferPointer<UInt32>, buckets: UnsafeMutableBufferPointer<UInt32>,
                             hasName: (Int, UnsafeBufferPointer<UInt8>) -> Bool) -> Int? {
        let slot = bucket(key)
        guard buckets[slot] != 0 else { return nil }
        keys[0] = key
        var index = count
        while true {
            while keys[index] != key { index &-= 1 }
            guard index > 0 else { return nil }
            if hasName(index &- 1, nameBytes) {
                keys[index] = 0
                buckets[slot] &-= 1
                return index &- 1
            }
            index &-= 1
        }
    }

    /// How many buckets ``select(_:count:excluding:nameKey:hasName:lowercasedName:found:)`` counts fields in.
    private static let bucketCount = 32

    /// The bucket of a ``nameKey(length:first:last:)``: its top five bits after a multiplicative mix.
    @inline(__always)
    private static func bucket(_ key: UInt32) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B1) >> 27)
    }

    /// A prefilter for comparing field names over ASCII case: names equal over ASCII case have equal keys. The
    /// top bit is always set (0 marks a taken field); then the length's low 15 bits, and the first and last bytes
    /// with bit 0x20 set (equal for the two cases of a letter).
    @inline(__always)
    static func nameKey(length: Int, first: UInt8, last: UInt8) -> UInt32 {
        0x8000_0000 | (UInt32(truncatingIfNeeded: length) & 0x7FFF) << 16 | UInt32(first | 0x20) << 8
            | UInt32(last | 0x20)
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
