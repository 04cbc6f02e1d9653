/// A message's header fields as offsets into the message's own bytes: the verifier's view of a header section.
///
/// ``MessageParts`` hands out each ``HeaderField`` with its own copy of its bytes (``HeaderField/raw`` is an
/// array). Verification only reads the fields in place, so the table keeps one reference to the message and four
/// offsets a field: no allocation, copy or reference count per field (an array per field, its release and its
/// retains were 6 % of the instructions DKIMCore spent outside OpenSSL verifying a 2 KB message). The fields are
/// found by the same parser, with the same rules, limits and errors as ``MessageParts/init(parsing:limits:)``.
struct HeaderTable: Sendable {
    typealias Span = HeaderSectionParser.Span

    /// The bytes the spans point into: the whole message, or the header section alone.
    let bytes: [UInt8]
    /// The fields in message order, top first.
    let spans: [Span]
    /// The body: every byte after the empty line (empty when there is none).
    let body: ArraySlice<UInt8>

    /// Splits a CRLF message into header fields and body, exactly as ``MessageParts/init(parsing:limits:)``.
    /// - Throws: as ``MessageParts/init(parsing:limits:)``.
    init(parsing message: [UInt8], limits: DKIMLimits) throws {
        let parsed = try MessageParts.spans(of: message, limits: limits)
        spans = parsed.spans
        bytes = message
        body = parsed.body
    }

    /// A table over fields already parsed (a stream's), their bytes laid end to end; the body is empty.
    init(fields: [HeaderField]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(fields.reduce(0) { $0 + $1.raw.count })
        var spans: [Span] = []
        spans.reserveCapacity(fields.count)
        for field in fields {
            let start = bytes.count
            bytes.append(contentsOf: field.raw)
            spans.append(Span(start: start, nameEnd: start + field.nameEnd, colon: start + field.colonIndex,
                              end: bytes.count))
        }
        self.bytes = bytes
        self.spans = spans
        self.body = bytes[bytes.endIndex...]
    }

    /// The number of fields.
    var count: Int { spans.count }

    /// The field at `index` (top first), as a ``HeaderField`` with its own copy of its bytes.
    ///
    /// The verifier copies only the DKIM-Signature fields it reads this way, so that the parsed signature's tag
    /// values and ranges (``DKIMSignature/signatureValueRange``) index the field, as they did when every field
    /// was a ``HeaderField``, and a result does not keep the whole message alive.
    subscript(index: Int) -> HeaderField {
        let span = spans[index]
        return HeaderField(validatedRaw: Array(bytes[span.start..<span.end]), nameEnd: span.nameEnd - span.start,
                           colonIndex: span.colon - span.start)
    }

    /// The positions of the fields named `name` (compared over ASCII case), top-down.
    func indices(named name: String) -> [Int] {
        withFields { fields in
            HeaderField.withNameBytes(name) { nameBytes in
                (0..<fields.count).filter { fields.hasName($0, nameBytes) }
            }
        }
    }

    /// How many fields are named `name`, given as UTF-8 bytes in any ASCII case.
    func count(named name: UnsafeBufferPointer<UInt8>) -> Int {
        withFields { fields in
            (0..<fields.count).count { fields.hasName($0, name) }
        }
    }

    /// Runs `body` with the fields seen through pointers, valid only inside `body`.
    @inline(__always)
    func withFields<R>(_ body: (Fields) -> R) -> R {
        bytes.withUnsafeBufferPointer { bytes in
            spans.withUnsafeBufferPointer { spans in
                body(Fields(base: bytes.baseAddress, spans: spans))
            }
        }
    }

    /// The fields through pointers: nothing is retained or bounds-checked twice per comparison.
    struct Fields {
        /// The table's bytes; nil only when there are none (and so no fields).
        let base: UnsafePointer<UInt8>?
        /// The fields' spans.
        let spans: UnsafeBufferPointer<Span>

        /// The number of fields.
        var count: Int { spans.count }

        /// The bytes of the field at `index`, as ``HeaderField/raw``.
        @inline(__always)
        func raw(_ index: Int) -> UnsafeBufferPointer<UInt8> {
            let span = spans[index]
            return UnsafeBufferPointer(start: base.unsafelyUnwrapped + span.start, count: span.end - span.start)
        }

        /// Whether the field at `index` is named `name`, given as UTF-8 bytes in any ASCII case; ASCII-only
        /// folding, as ``HeaderField/hasName(_:)``.
        @inline(__always)
        func hasName(_ index: Int, _ name: UnsafeBufferPointer<UInt8>) -> Bool {
            let span = spans[index]
            guard span.nameEnd - span.start == name.count, let base else { return false }
            return HeaderField.namesMatch(base + span.start, name.baseAddress.unsafelyUnwrapped, count: name.count)
        }

        /// The ``HeaderSelection/nameKey(length:first:last:)`` of the field at `index`'s name (never empty).
        @inline(__always)
        func nameKey(_ index: Int) -> UInt32 {
            let span = spans[index]
            let field = base.unsafelyUnwrapped
            return HeaderSelection.nameKey(length: span.nameEnd - span.start, first: field[span.start],
                                           last: field[span.nameEnd - 1])
        }

        /// The name of the field at `index`, lowercased over ASCII (as ``HeaderField/lowercasedName``).
        func lowercasedName(_ index: Int) -> String {
            let span = spans[index]
            let name = UnsafeBufferPointer(start: base.unsafelyUnwrapped + span.start, count: span.nameEnd - span.start)
            return String(decoding: name.map(ASCII.lowercased), as: UTF8.self)
        }
    }
}
