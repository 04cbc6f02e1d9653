#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The answers of a resolver that answers from a fixed table (``StaticKeyResolver``, ``TXTRecordFileResolver``),
/// found by the bytes of the name asked for.
///
/// The resolvers key a Dictionary by the name in its lookup form (``StaticKeyResolver/key(_:)``: ASCII letters
/// lowercased, no final dot), and hashing a String there (SipHash over the name, and the check for uppercase
/// before it) was the largest part of a lookup. A name already in that form and all ASCII, as the verifier asks
/// when `s=` and `d=` are written in lowercase, is found here instead in one pass over its words (the form checked
/// and the name hashed together), one probe and one `memcmp`. For such a name and ASCII keys, equal bytes is
/// exactly String equality; every other case (an uppercase letter, a final dot, a byte of 0x80 or above, or a miss
/// when some key is not ASCII, which String comparison could still match by canonical equivalence) goes to the
/// Dictionary, so the answer is always the Dictionary's.
///
/// The table never changes once built, so its unseeded hash cannot be steered by the names looked up later: how
/// far a probe runs depends only on the names in the table, and each probe compares every byte.
struct TXTAnswerTable: Sendable {
    /// The keys' bytes, one after another; key `i` is `bytes[starts[i]..<starts[i + 1]]`.
    private let bytes: [UInt8]
    private let starts: [Int]
    private let results: [TXTLookupResult]
    /// Open addressing, at most half full: an index into `results`, or -1 for an empty slot.
    private let slots: [Int]
    /// Whether some key holds a byte of 0x80 or above.
    private let hasNonASCIIKey: Bool

    /// Builds the table of `table`, whose keys are in lookup form.
    init(_ table: [String: TXTLookupResult]) {
        var bytes: [UInt8] = []
        var starts: [Int] = [0]
        var results: [TXTLookupResult] = []
        for (name, result) in table {
            bytes.append(contentsOf: name.utf8)
            starts.append(bytes.count)
            results.append(result)
        }
        var size = 8
        while size < 2 * results.count { size *= 2 }
        var slots = [Int](repeating: -1, count: size)
        bytes.withUnsafeBufferPointer { all in
            for index in results.indices {
                let key = UnsafeBufferPointer(rebasing: all[starts[index]..<starts[index + 1]])
                // Keys in lookup form hash as they are; any other (none, from the resolvers) is never probed for.
                guard let hash = Self.formAndHash(key) else { continue }
                var slot = Int(truncatingIfNeeded: hash) & (size - 1)
                while slots[slot] >= 0 { slot = (slot + 1) & (size - 1) }
                slots[slot] = index
            }
        }
        self.bytes = bytes
        self.starts = starts
        self.results = results
        self.slots = slots
        self.hasNonASCIIKey = bytes.contains { $0 >= 0x80 }
    }

    /// What the table holds for `name`: `.some(result)` when that is the Dictionary's answer (nil inside for no
    /// entry), or nil when the Dictionary must be asked.
    func lookup(_ name: String) -> TXTLookupResult?? {
        HeaderField.withNameBytes(name) { name -> TXTLookupResult?? in
            guard let hash = Self.formAndHash(name) else { return nil }
            let mask = slots.count &- 1
            var slot = Int(truncatingIfNeeded: hash) & mask
            return bytes.withUnsafeBufferPointer { all -> TXTLookupResult?? in
                while true {
                    let index = slots[slot]
                    if index < 0 { return hasNonASCIIKey ? nil : .some(nil) }
                    let start = starts[index], count = starts[index &+ 1] &- start
                    if count == name.count,
                       count == 0 || memcmp(all.baseAddress.unsafelyUnwrapped + start,
                                            name.baseAddress.unsafelyUnwrapped, count) == 0 {
                        return .some(results[index])
                    }
                    slot = (slot &+ 1) & mask
                }
            }
        }
    }

    /// The hash of a name in lookup form that is all ASCII, or nil for any other name: one pass over eight-byte
    /// words (the last one zero-padded), each checked for a byte of 0x80 or above or an uppercase letter, and
    /// mixed into the hash (multiply and xorshift, then the length).
    @inline(__always)
    static func formAndHash(_ name: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard let base = name.baseAddress, !name.isEmpty, name[name.count &- 1] != ASCII.period else { return nil }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs = ones &* 0x80
        let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15
        var state: UInt64 = 0
        var offset = 0
        // For bytes below 0x80 no sum carries out of its byte: the high bit of `x + (0x80 - 0x41)` marks bytes of at
        // least 0x41, that of `x + (0x80 - 0x5B)` bytes of at least 0x5B. A byte of 0x80 or above is marked by
        // itself, whatever the sums then do.
        @inline(__always)
        func isLookupForm(_ word: UInt64) -> Bool {
            let atLeastA = word &+ ones &* UInt64(0x80 &- ASCII.upperA)
            let pastZ = word &+ ones &* UInt64(0x80 &- ASCII.upperZ &- 1)
            return (word | (atLeastA & ~pastZ)) & highs == 0
        }
        while offset &+ 8 <= name.count {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self))
            guard isLookupForm(word) else { return nil }
            state = (state ^ word) &* multiplier
            state ^= state &>> 29
            offset &+= 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while offset < name.count {
            tail |= UInt64(base[offset]) &<< shift
            shift &+= 8
            offset &+= 1
        }
        guard isLookupForm(tail) else { return nil }
        state = (state ^ tail ^ UInt64(name.count) &<< 56) &* multiplier
        return state ^ (state &>> 29)
    }
}
