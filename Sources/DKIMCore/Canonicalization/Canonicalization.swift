import CDKIMSIMD

/// A canonicalization algorithm for the header or the body (RFC 6376 §3.4).
public enum CanonicalizationAlgorithm: String, Sendable, Hashable, CaseIterable {
    /// `simple`: tolerates almost no change (RFC 6376 §3.4.1, §3.4.3).
    case simple
    /// `relaxed`: tolerates white-space changes and header re-folding (RFC 6376 §3.4.2, §3.4.4).
    case relaxed
}

/// The `c=` tag of a signature: one algorithm for the header, one for the body (RFC 6376 §3.5).
public struct Canonicalization: Sendable, Hashable, CustomStringConvertible {
    /// The header canonicalization algorithm.
    public var header: CanonicalizationAlgorithm
    /// The body canonicalization algorithm.
    public var body: CanonicalizationAlgorithm

    /// Creates a canonicalization; the defaults are those of a signature without `c=` (`simple/simple`, §3.5).
    /// - Parameters:
    ///   - header: the header algorithm.
    ///   - body: the body algorithm.
    public init(header: CanonicalizationAlgorithm = .simple, body: CanonicalizationAlgorithm = .simple) {
        self.header = header
        self.body = body
    }

    /// Parses a `c=` tag value such as `relaxed/simple` (RFC 6376 §3.5).
    ///
    /// `header` alone means `header/simple`. Names are matched ignoring ASCII case (ABNF strings are
    /// case-insensitive, RFC 5234 §2.3), with no white space.
    /// A signature without `c=` uses ``init(header:body:)`` with its defaults instead.
    /// - Parameter tagValue: the value of `c=`.
    /// - Returns: nil when either name is not `simple` or `relaxed`, or the value has more than one `/`.
    public init?(tagValue: String) {
        self.init(tagBytes: Array(tagValue.utf8)[...])
    }

    /// Parses a `c=` tag value given as bytes, with the rules of ``init(tagValue:)``; no String is made.
    init?(tagBytes: ArraySlice<UInt8>) {
        func algorithm(_ name: ArraySlice<UInt8>) -> CanonicalizationAlgorithm? {
            if ASCII.equalsIgnoringCase(name, "relaxed") { return .relaxed }
            if ASCII.equalsIgnoringCase(name, "simple") { return .simple }
            return nil
        }
        guard let slash = tagBytes.firstIndex(of: ASCII.slash) else {
            guard let header = algorithm(tagBytes) else { return nil }
            self.init(header: header, body: .simple)
            return
        }
        guard let header = algorithm(tagBytes[..<slash]), let body = algorithm(tagBytes[(slash + 1)...]) else {
            return nil  // a second '/' makes the body part no algorithm name
        }
        self.init(header: header, body: body)
    }

    /// `simple/simple`, the value implied by a missing `c=` (RFC 6376 §3.5).
    public static let simple = Canonicalization(header: .simple, body: .simple)
    /// `relaxed/relaxed`, the usual choice for signing: it survives common re-folding and white-space changes.
    public static let relaxed = Canonicalization(header: .relaxed, body: .relaxed)

    /// The `c=` value, always in the full `header/body` form.
    public var tagValue: String { "\(header.rawValue)/\(body.rawValue)" }

    /// The `c=` value.
    public var description: String { tagValue }
}

// MARK: - Header fields

extension Canonicalization {
    /// Canonicalizes one header field, the result ending in CRLF (RFC 6376 §3.4.1, §3.4.2).
    ///
    /// `simple` returns the field's bytes unchanged. `relaxed` lowercases the name, unfolds, turns each WSP run
    /// into one SP, and deletes WSP at the end of the value and around the colon.
    /// In both, a field lacking its CRLF (only possible as the last line of a message that does not end in CRLF)
    /// gets one, so that fields can be concatenated for the signed data.
    /// - Parameters:
    ///   - field: the header field as parsed from the message.
    ///   - algorithm: the header canonicalization.
    /// - Returns: the canonical bytes, ending in CRLF.
    public static func canonicalizeHeader(_ field: HeaderField, _ algorithm: CanonicalizationAlgorithm) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(field.raw.count + 2)
        appendCanonicalHeader(field, algorithm, to: &output)
        return output
    }

    /// Canonicalizes the `DKIM-Signature` field for the signed data: as ``canonicalizeHeader(_:_:)`` but without
    /// the trailing CRLF (RFC 6376 §3.7).
    ///
    /// The caller first removes the `b=` value (keeping `b=` itself), as §3.7 requires.
    /// - Parameters:
    ///   - field: the `DKIM-Signature` field with its `b=` value empty.
    ///   - algorithm: the header canonicalization.
    /// - Returns: the canonical bytes, without a trailing CRLF.
    public static func canonicalizeSignatureHeader(_ field: HeaderField,
                                                   _ algorithm: CanonicalizationAlgorithm) -> [UInt8] {
        var output = canonicalizeHeader(field, algorithm)
        output.removeLast(2)
        return output
    }

    /// Appends the canonical form of `field` (ending in CRLF) to `output`; see ``canonicalizeHeader(_:_:)``.
    /// - Parameters:
    ///   - field: the header field.
    ///   - algorithm: the header canonicalization.
    ///   - output: the buffer to append to.
    public static func appendCanonicalHeader(_ field: HeaderField, _ algorithm: CanonicalizationAlgorithm,
                                             to output: inout [UInt8]) {
        let room = canonicalHeaderBound(field)
        field.raw.withUnsafeBufferPointer { raw in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: room) { scratch in
                let count = writeCanonicalHeader(raw, nameEnd: field.nameEnd, colonIndex: field.colonIndex,
                                                 removing: 0..<0, algorithm, to: scratch.baseAddress.unsafelyUnwrapped)
                output.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[0..<count]))
            }
        }
    }

    /// The most octets the canonical form of `field` can take: name, colon, every raw byte and a CRLF.
    static func canonicalHeaderBound(_ field: HeaderField) -> Int {
        canonicalHeaderBound(nameLength: field.nameEnd, rawCount: field.raw.count)
    }

    /// ``canonicalHeaderBound(_:)`` of a field whose name has `nameLength` octets and which has `rawCount` in all.
    @inline(__always)
    static func canonicalHeaderBound(nameLength: Int, rawCount: Int) -> Int {
        nameLength + 1 + rawCount + 2
    }

    /// Copies the run at the start of `source` that relaxed canonicalization keeps as it is: value bytes (above
    /// SP), and single SPs between them (RFC 6376 §3.4.2 turns a WSP run into one SP, so a lone SP followed by a
    /// value byte stays). At most `count` bytes; returns how many it copied.
    ///
    /// Eight bytes at a time: `(x - 0x21…) & ~x & 0x80…` marks the bytes below 0x21 (every one; a mark can be
    /// wrong only above a true one, as on a 0x21 after an SP). Of the bytes below 0x21 only SP has bit 5 set, so
    /// `x << 2` tells a marked SP from the other marked bytes. A marked byte ends the run unless it is an SP whose
    /// next byte is unmarked (so truly a value byte); the last byte of a word ends it if marked, as its next byte
    /// is in the next word. Wrong marks only end a run early, where the byte-wise code takes over.
    ///
    /// A word is stored whole even when the run ends inside it: the bytes after the run are overwritten later,
    /// and they stay within the field's bound: the output never runs ahead of the input (the name and colon are
    /// written over the name and colon, one SP over a run of WSP), so a word stored at output offset
    /// `cursor <= index` ends before `index + 8 <= count`, the field's raw length.
    @inline(__always)
    private static func copyValueRun(from source: UnsafePointer<UInt8>, count: Int,
                                     to out: UnsafeMutablePointer<UInt8>) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let below = ones &* UInt64(ASCII.space + 1)
        let highs: UInt64 = 0x8080_8080_8080_8080
        var copied = 0
        while copied &+ 8 <= count {
            let loaded = UnsafeRawPointer(source + copied).loadUnaligned(as: UInt64.self)
            UnsafeMutableRawPointer(out + copied).storeBytes(of: loaded, as: UInt64.self)
            let word = UInt64(littleEndian: loaded)
            let low = (word &- below) & ~word & highs
            let nextLow = low >> 8 | highs << 56
            let stops = low & ~(word << 2 & ~nextLow)
            if stops != 0 { return copied &+ stops.trailingZeroBitCount / 8 }
            copied &+= 8
        }
        while copied < count {
            let byte = source[copied]
            if byte <= ASCII.space {
                guard byte == ASCII.space, copied &+ 1 < count, source[copied &+ 1] > ASCII.space else { break }
            }
            out[copied] = byte
            copied &+= 1
        }
        return copied
    }

    /// The eight bytes of `word` each as ``ASCII/lowercased(_:)`` makes it: the ASCII letters A to Z get bit 0x20,
    /// every other byte (those above 0x7F included) stays.
    ///
    /// Per byte: with `t` its low seven bits, `t + 0x3F` sets bit 7 from "A" up and `t + 0x25` from "[" up, with
    /// no carry into the next byte; a byte with its own bit 7 set is not ASCII. Bit 7 of the upper-case marks,
    /// shifted right by two, is the 0x20 to add.
    @inline(__always)
    static func lowercasedWord(_ word: UInt64) -> UInt64 {
        let highs: UInt64 = 0x8080_8080_8080_8080
        let low7 = word & ~highs
        let fromA = low7 &+ 0x3F3F_3F3F_3F3F_3F3F
        let pastZ = low7 &+ 0x2525_2525_2525_2525
        let upper = fromA & ~pastZ & ~word & highs
        return word | upper >> 2
    }

    /// Writes the canonical form of a field (RFC 6376 §3.4.1, §3.4.2), ending in CRLF, at `out`, leaving out the
    /// raw bytes in `removed` (the `b=` value a verifier blanks with the white space around it, §3.7: it lies
    /// inside the value, right after the tag's `=`, never after a CR). Returns the count written, at most
    /// ``canonicalHeaderBound(_:)``.
    ///
    /// Through pointers, with runs of value bytes copied in an inner loop: byte-by-byte appends to an array
    /// were most of the cost of hashing the header of a small message.
    static func writeCanonicalHeader(_ raw: UnsafeBufferPointer<UInt8>, nameEnd: Int, colonIndex: Int,
                                     removing removed: Range<Int>, _ algorithm: CanonicalizationAlgorithm,
                                     to out: UnsafeMutablePointer<UInt8>) -> Int {
        var cursor = 0
        switch algorithm {
        case .simple:
            let count = raw.count
            // The field ends in CRLF unless it is the unterminated last line of a message. A removal reaching into
            // the last two bytes leaves a byte that is not a CR (see above) before them, so no CRLF then.
            let endsWithCRLF = count >= 2 && raw[count - 2] == ASCII.cr && raw[count - 1] == ASCII.lf
                && (removed.isEmpty || removed.upperBound <= count - 2)
            // §3.4.1: the field exactly as in the message.
            let head = removed.isEmpty ? count : removed.lowerBound
            out.update(from: raw.baseAddress.unsafelyUnwrapped, count: head)
            cursor = head
            if !removed.isEmpty, removed.upperBound < count {
                (out + cursor).update(from: raw.baseAddress.unsafelyUnwrapped + removed.upperBound,
                                      count: count - removed.upperBound)
                cursor += count - removed.upperBound
            }
            if !endsWithCRLF {
                out[cursor] = ASCII.cr
                out[cursor + 1] = ASCII.lf
                cursor += 2
            }
        case .relaxed:
            cursor = relaxedHeader(raw, nameEnd: nameEnd, colonIndex: colonIndex, removing: removed, to: out)
        }
        return cursor
    }

    /// The `relaxed` case of ``writeCanonicalHeader(_:nameEnd:colonIndex:removing:_:to:)``: on x86-64 one C call
    /// for the whole field (`cdkim_relaxed_header`, 16 bytes a step, with no byte loop at the end of each run),
    /// elsewhere ``portableRelaxedHeader(_:nameEnd:colonIndex:removing:to:)``; both give the same bytes.
    @inline(__always)
    static func relaxedHeader(_ raw: UnsafeBufferPointer<UInt8>, nameEnd: Int, colonIndex: Int,
                              removing removed: Range<Int>, to out: UnsafeMutablePointer<UInt8>) -> Int {
        #if arch(x86_64)
        // An empty removal is none: SIZE_MAX on the C side.
        let none = Int(bitPattern: UInt.max)
        return cdkim_relaxed_header(raw.baseAddress.unsafelyUnwrapped, raw.count, nameEnd, colonIndex,
                                    removed.isEmpty ? none : removed.lowerBound,
                                    removed.isEmpty ? none : removed.upperBound, out)
        #else
        return portableRelaxedHeader(raw, nameEnd: nameEnd, colonIndex: colonIndex, removing: removed, to: out)
        #endif
    }

    /// Relaxed header canonicalization (RFC 6376 §3.4.2) in Swift: the reference the C kernel is tested against,
    /// and the code on other architectures. The contract of the relaxed case of
    /// ``writeCanonicalHeader(_:nameEnd:colonIndex:removing:_:to:)``.
    static func portableRelaxedHeader(_ raw: UnsafeBufferPointer<UInt8>, nameEnd: Int, colonIndex: Int,
                                      removing removed: Range<Int>, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let count = raw.count
        let endsWithCRLF = count >= 2 && raw[count - 2] == ASCII.cr && raw[count - 1] == ASCII.lf
            && (removed.isEmpty || removed.upperBound <= count - 2)
        var cursor = 0
        // §3.4.2 step 1: lowercase the name; step 5: no WSP before the colon (the parsed name has none).
        // Eight bytes at a time while eight raw bytes remain; bytes stored past the name are written over
        // later (the colon, then the value, never ahead of the input) and stay within the bound.
        let source = raw.baseAddress.unsafelyUnwrapped
        while cursor < nameEnd {
            if cursor &+ 8 <= count {
                let word = UnsafeRawPointer(source + cursor).loadUnaligned(as: UInt64.self)
                UnsafeMutableRawPointer(out + cursor).storeBytes(of: lowercasedWord(word), as: UInt64.self)
                cursor &+= 8
            } else {
                out[cursor] = ASCII.lowercased(source[cursor])
                cursor &+= 1
            }
        }
        cursor = nameEnd
        out[cursor] = ASCII.colon
        cursor += 1
        let valueEnd = endsWithCRLF ? count - 2 : count
        // The removed bytes are skipped when the scan reaches them; an empty range is never reached.
        let gapStart = removed.isEmpty ? Int.max : removed.lowerBound
        let gapEnd = removed.upperBound
        var pendingSpace = false
        var wroteValue = false
        var index = colonIndex + 1
        while index < valueEnd {
            if index == gapStart {
                index = gapEnd
                continue
            }
            let byte = raw[index]
            if byte > ASCII.space {
                // Value bytes: one SP first if a WSP run separates them from earlier value bytes (step 3;
                // step 4 drops trailing WSP and step 5 WSP right after the colon, by writing it only here).
                if pendingSpace && wroteValue {
                    out[cursor] = ASCII.space
                    cursor += 1
                }
                pendingSpace = false
                wroteValue = true
                let runEnd = Swift.min(valueEnd, gapStart > index ? gapStart : valueEnd)
                let copied = copyValueRun(from: raw.baseAddress.unsafelyUnwrapped + index, count: runEnd - index,
                                          to: out + cursor)
                cursor += copied
                index += copied
                continue
            }
            if ASCII.isWSP(byte) {
                // Step 3: a WSP run, folds included, becomes one SP, written only if more value follows.
                pendingSpace = true
            } else if byte == ASCII.cr, index + 1 < valueEnd, index + 1 != gapStart, raw[index + 1] == ASCII.lf {
                // Step 2: unfold by deleting the CRLF of each fold; the WSP after it joins the run.
                index += 1
            } else {
                // Other control bytes are value bytes.
                if pendingSpace && wroteValue {
                    out[cursor] = ASCII.space
                    cursor += 1
                }
                pendingSpace = false
                wroteValue = true
                out[cursor] = byte
                cursor += 1
            }
            index += 1
        }
        out[cursor] = ASCII.cr
        out[cursor + 1] = ASCII.lf
        return cursor + 2
    }
}

