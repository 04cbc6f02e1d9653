/// A parsed RFC 6376 §3.2 tag list (`tag=value; tag=value; ...`), as in DKIM-Signature fields and key records.
///
/// The parser keeps the tags in order and remembers where each value lies in the input, so a verifier
/// can blank `b=` by offset rather than by pattern matching. It rejects a tag that appears twice
/// (RFC 6376 §3.2: "Tags with duplicate names MUST NOT occur within a single tag-list") and keeps
/// unknown tags, which consumers ignore.
public struct TagList: Sendable, Equatable {
    /// One `name=value` pair.
    public struct Tag: Sendable, Equatable {
        /// The tag name, case-sensitive (RFC 6376 §3.2).
        public let name: String
        /// The value with leading and trailing folding white space removed; inner FWS is kept.
        public let value: ArraySlice<UInt8>
        /// Where ``value`` lies in the parsed input, in the input's own indices.
        /// Empty (`start == end`) for an empty value, positioned where the value would be.
        public var valueRange: Range<Int> { value.startIndex..<value.endIndex }

        /// The value as a String (bytes are decoded as UTF-8; invalid sequences are replaced).
        public var stringValue: String { String(decoding: value, as: UTF8.self) }

        /// The value with every folding white space byte (SP, HTAB, CR, LF) removed,
        /// as needed for `b=`, `bh=`, `p=` and `h=` (RFC 6376 §3.5: FWS is ignored in these values).
        public var valueWithoutWhitespace: [UInt8] {
            value.filter { !(ASCII.isWSP($0) || $0 == ASCII.cr || $0 == ASCII.lf) }
        }

        /// ``name`` packed into one word (see ``TagList/nameKey(_:)``), so lookups and the duplicate check compare
        /// one integer, not two Strings; 0 for a name too long to pack.
        let nameKey: UInt64

        init(name: String, nameKey: UInt64, value: ArraySlice<UInt8>) {
            self.name = name
            self.nameKey = nameKey
            self.value = value
        }
    }

    /// A tag name of up to seven bytes packed into a word, its length in the top byte (so no two names share a
    /// key); 0 for a longer name, which is then compared as a String. Every tag DKIM defines has one or two.
    static func nameKey(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var key: UInt64 = 0
        var count: UInt64 = 0
        for byte in bytes {
            guard count < 7 else { return 0 }
            key |= UInt64(byte) << (count &* 8)
            count &+= 1
        }
        return key | count << 56
    }

    /// The tags in the order they appear.
    public let tags: [Tag]

    /// An empty list, for a signature built by a signer rather than parsed.
    init() {
        self.tags = []
    }

    /// The first tag with this name, or nil.
    public subscript(name: String) -> Tag? {
        let key = Self.nameKey(name.utf8)
        if key != 0 { return tags.first { $0.nameKey == key } }
        return tags.first { $0.name == name }
    }

    /// Parses a tag list.
    ///
    /// - Parameter input: the bytes of the list, e.g. the value of a DKIM-Signature field after the colon
    ///   (folding included), or the joined strings of a key record. Ranges in the result use `input`'s indices.
    /// - Throws: ``DKIMError`` with code `malformed-tag-list`, naming the offending tag or byte.
    public init(parsing input: ArraySlice<UInt8>) throws(DKIMError) {
        var tags: [Tag] = []
        // Room for the tags of a usual signature (about a dozen) in one allocation instead of five doublings.
        tags.reserveCapacity(Self.expectedTagCount)
        // The whole list is read through one buffer pointer: every byte without a check against the slice's
        // bounds, and no call per fold or value run with the slice passed along.
        let failure = input.withUnsafeBufferPointer { bytes -> DKIMError? in
            do throws(DKIMError) {
                try Self.parse(bytes, of: input, into: &tags)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
        self.tags = tags
    }

    /// The parse of ``init(parsing:)-(ArraySlice<UInt8>)`` over `input`'s bytes; offsets in `bytes` are offsets
    /// from `input.startIndex`, and each value is sliced from `input`.
    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>, of input: ArraySlice<UInt8>,
                              into tags: inout [Tag]) throws(DKIMError) {
        guard let start = bytes.baseAddress else { return }
        let base = UnsafeRawPointer(start)
        let count = bytes.count
        var seen = Set<String>()
        // The single-letter names and `bh` already seen, one bit each (see ``letterBit(_:)``): the duplicate check
        // for every tag DKIM defines is one test, not a comparison with each earlier tag.
        var seenLetters: UInt64 = 0
        var position = 0

        func fail(_ reason: String) -> DKIMError { DKIMError(.malformedTagList, reason) }

        while position < count {
            // Most tag names and values have no white space around them, and the call is then saved.
            if isFWSByte(bytes[position]) { position = try skipShortFWS(bytes, from: position) }
            if position == count { break }
            let first = bytes[position]
            // An empty tag-spec (";;" or a trailing ";" followed by FWS) is tolerated, as common verifiers do.
            if first == ASCII.semicolon {
                position &+= 1
                continue
            }
            // tag-name = ALPHA *ALNUMPUNC (RFC 6376 §3.2)
            let nameStart = position
            guard ASCII.isAlpha(first) else {
                throw fail("expected a tag name at offset \(position), found \(Self.describe(first))")
            }
            // The packed name (``nameKey(_:)``) is gathered with the scan, not in a second pass over the bytes.
            var packed = UInt64(first)
            var length: UInt64 = 1
            position &+= 1
            while position < count {
                let byte = bytes[position]
                guard ASCII.isAlnum(byte) || byte == ASCII.underscore else { break }
                if length < 7 { packed |= UInt64(byte) << (length &* 8) }
                length &+= 1
                position &+= 1
            }
            let key = length <= 7 ? packed | length << 56 : 0
            let name = Self.definedName(key)
                ?? String(decoding: UnsafeBufferPointer(rebasing: bytes[nameStart..<position]), as: UTF8.self)
            if position < count, isFWSByte(bytes[position]) { position = try skipShortFWS(bytes, from: position) }
            guard position < count, bytes[position] == ASCII.equals else {
                throw fail("tag \"\(name)\" has no \"=\"")
            }
            position &+= 1
            if position < count, isFWSByte(bytes[position]) { position = try skipShortFWS(bytes, from: position) }

            // tag-value = [ tval *( 1*(WSP / FWS) tval ) ]; tval = 1*VALCHAR; VALCHAR = %x21-3A / %x3C-7E.
            // Bytes >= 0x80 are accepted too: RFC 8616 §4 allows UTF-8 in DKIM tag values.
            let valueStart = position
            var valueEnd = position
            while position < count {
                var byte = bytes[position]
                if byte > ASCII.space, byte != ASCII.semicolon, byte != ASCII.delete {
                    // A run of VALCHARs: to the first SP, control byte, DEL or ';', sixteen bytes at a time
                    // (`b=` alone is hundreds of bytes per signature).
                    position = ByteScan.firstNonValueByte(in: base, from: position &+ 1, end: count)
                    valueEnd = position
                    if position == count { break }
                    byte = bytes[position]
                }
                if byte == ASCII.semicolon { break }
                if isFWSByte(byte) {
                    position = try skipShortFWS(bytes, from: position)
                    continue
                }
                throw fail("tag \"\(name)\" contains \(Self.describe(byte)), which is not allowed in a tag value")
            }
            // One bit for a defined name; a linear scan for the other names of short lists; a set once a (hostile)
            // list grows long.
            let duplicate: Bool
            if tags.count < Self.linearDuplicateCheckLimit {
                let bit = Self.letterBit(key)
                if bit != 0 {
                    duplicate = seenLetters & bit != 0
                    seenLetters |= bit
                } else {
                    duplicate = key != 0 ? tags.contains { $0.nameKey == key } : tags.contains { $0.name == name }
                }
            } else {
                if seen.isEmpty { seen = Set(tags.map(\.name)) }
                duplicate = !seen.insert(name).inserted
            }
            guard !duplicate else {
                throw fail("tag \"\(name)\" appears more than once (RFC 6376 §3.2 forbids duplicate tags)")
            }
            let valueRange = (input.startIndex &+ valueStart)..<(input.startIndex &+ valueEnd)
            tags.append(Tag(name: name, nameKey: key, value: input[valueRange]))
            if position < count { position &+= 1 }  // the ';'
        }
    }

    /// A bit of its own for each packed name (``nameKey(_:)``) of one ASCII letter (a-z: bits 0-25, A-Z: bits
    /// 32-57) and for `bh` (bit 26); 0 for any other name, whose duplicates are found by comparing names.
    @inline(__always)
    static func letterBit(_ key: UInt64) -> UInt64 {
        if key &>> 56 == 1 {
            // A one-byte name is a letter (tag-name starts with ALPHA): its low five bits are 1...26, and the
            // 0x20 bit tells lowercase from uppercase.
            let letter = key & 0xFF
            return 1 &<< ((letter & 0x1F) &- 1 &+ (~letter & 0x20))
        }
        return key == Key.bh ? 1 &<< 26 : 0
    }

    @inline(__always)
    private static func isFWSByte(_ byte: UInt8) -> Bool {
        ASCII.isWSP(byte) || byte == ASCII.cr || byte == ASCII.lf
    }

    /// The capacity a parse starts with: a DKIM-Signature usually has 10 to 13 tags, a key record 2 to 4.
    private static let expectedTagCount = 16

    /// Up to this many tags, duplicates are found by comparing names one by one (cheaper than hashing them).
    private static let linearDuplicateCheckLimit = 32

    /// Parses a tag list held in an array.
    public init(parsing input: [UInt8]) throws(DKIMError) {
        try self.init(parsing: input[...])
    }

    /// The packed names (``nameKey(_:)``: the bytes from the low end, the length in the top byte) of the tags
    /// RFC 6376 defines for signatures (§3.5) and key records (§3.6.1), written out so a switch compares
    /// constants.
    enum Key {
        static let a: UInt64 = 1 << 56 | 0x61
        static let b: UInt64 = 1 << 56 | 0x62
        static let bh: UInt64 = 2 << 56 | 0x68_62
        static let c: UInt64 = 1 << 56 | 0x63
        static let d: UInt64 = 1 << 56 | 0x64
        static let h: UInt64 = 1 << 56 | 0x68
        static let i: UInt64 = 1 << 56 | 0x69
        static let k: UInt64 = 1 << 56 | 0x6B
        static let l: UInt64 = 1 << 56 | 0x6C
        static let n: UInt64 = 1 << 56 | 0x6E
        static let p: UInt64 = 1 << 56 | 0x70
        static let q: UInt64 = 1 << 56 | 0x71
        static let s: UInt64 = 1 << 56 | 0x73
        static let t: UInt64 = 1 << 56 | 0x74
        static let v: UInt64 = 1 << 56 | 0x76
        static let x: UInt64 = 1 << 56 | 0x78
        static let z: UInt64 = 1 << 56 | 0x7A
    }

    /// The defined tag names (``Key``) as string literals, by packed name, so a parse makes no String for them.
    @inline(__always)
    static func definedName(_ key: UInt64) -> String? {
        // One-byte names by their byte (a jump table), then the one two-byte name.
        if key &>> 56 == 1 {
            switch UInt8(truncatingIfNeeded: key) {
            case UInt8(ascii: "a"): return "a"
            case UInt8(ascii: "b"): return "b"
            case UInt8(ascii: "c"): return "c"
            case UInt8(ascii: "d"): return "d"
            case UInt8(ascii: "h"): return "h"
            case UInt8(ascii: "i"): return "i"
            case UInt8(ascii: "k"): return "k"
            case UInt8(ascii: "l"): return "l"
            case UInt8(ascii: "n"): return "n"
            case UInt8(ascii: "p"): return "p"
            case UInt8(ascii: "q"): return "q"
            case UInt8(ascii: "s"): return "s"
            case UInt8(ascii: "t"): return "t"
            case UInt8(ascii: "v"): return "v"
            case UInt8(ascii: "x"): return "x"
            case UInt8(ascii: "z"): return "z"
            default: return nil
            }
        }
        return key == Key.bh ? "bh" : nil
    }

    /// ``skipFWS(_:from:)`` for a position holding a FWS byte, with the usual forms taken inline: one WSP (between
    /// tags) or a fold, CRLF and one WSP; the call is made only when more white space follows, or for a CR or LF
    /// that is not such a fold (which skipFWS accepts or refuses with its message).
    @inline(__always)
    private static func skipShortFWS(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) throws(DKIMError) -> Int {
        let end = bytes.count
        var position = start
        let byte = bytes[position]
        if ASCII.isWSP(byte) {
            position &+= 1
        } else if byte == ASCII.cr, position &+ 2 < end, bytes[position &+ 1] == ASCII.lf,
                  ASCII.isWSP(bytes[position &+ 2]) {
            position &+= 3
        }
        if position < end, isFWSByte(bytes[position]) { return try skipFWS(bytes, from: position) }
        return position
    }

    /// Skips FWS = [*WSP CRLF] 1*WSP (RFC 5322 §3.2.2 as used by RFC 6376 §2.8); a line break must be
    /// followed by white space, or the field would have ended there.
    private static func skipFWS(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) throws(DKIMError) -> Int {
        var position = start
        let end = bytes.count
        while position < end {
            let byte = bytes[position]
            if ASCII.isWSP(byte) {
                position &+= 1
            } else if byte == ASCII.cr || byte == ASCII.lf {
                // Accept CRLF (and a bare LF, for tag lists from LF-only sources) only when WSP follows.
                var next = position &+ 1
                if byte == ASCII.cr {
                    guard next < end, bytes[next] == ASCII.lf else {
                        throw DKIMError(.malformedTagList, "a bare CR at offset \(position)")
                    }
                    next &+= 1
                }
                guard next < end, ASCII.isWSP(bytes[next]) else {
                    throw DKIMError(.malformedTagList,
                                    "a line break at offset \(position) is not followed by white space")
                }
                position = next
            } else {
                break
            }
        }
        return position
    }

    static func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16, uppercase: true)
    }
}
