/// One header field of a message, kept exactly as it appears on the wire.
///
/// The field's bytes are kept whole, folding included, because `simple` header canonicalization
/// (RFC 6376 §3.4.1) signs them unchanged and `relaxed` (§3.4.2) needs the original white space to unfold.
public struct HeaderField: Sendable, Equatable {
    /// The field name as written in the message, case kept, without the colon and without any white space
    /// the obsolete syntax allows before the colon (RFC 5322 §4.5.8, `obs-optional`).
    ///
    /// Made from ``raw`` on each use: a field keeps one array, not three (allocation was a fifth of the cost of
    /// verifying a small message).
    public var name: [UInt8] { Array(raw[0..<nameEnd]) }
    /// The whole field exactly as in the message: name, colon, value with every fold, and the terminating CRLF.
    ///
    /// The CRLF is missing only when the field is the last line of a message that ends without one.
    public let raw: [UInt8]
    /// The field name lowercased (ASCII only); header field names are case-insensitive (RFC 5322 §1.2.2).
    ///
    /// Made from ``raw`` on each use, like ``name``.
    public var lowercasedName: String {
        String(decoding: raw[0..<nameEnd].map(ASCII.lowercased), as: UTF8.self)
    }
    /// The offset in ``raw`` of the colon that ends the name.
    public let colonIndex: Int
    /// The length of the name at the start of ``raw``.
    let nameEnd: Int

    /// Parses one header field from its raw bytes.
    ///
    /// The bytes must be `name *WSP ":" value`, optionally ending with CRLF; internal CRLFs must be folds
    /// (followed by WSP). This is how a signer builds the `DKIM-Signature` field it is about to canonicalize.
    /// - Parameter raw: the field bytes, as they would appear in a message.
    /// - Throws: ``DKIMError/Code/malformedMessage`` when the bytes are not one header field.
    public init(raw: [UInt8]) throws {
        let fields = try HeaderSectionParser.parse(raw[...], firstLineNumber: 1)
        guard fields.count == 1 else {
            throw DKIMError(.malformedMessage, "expected one header field, found \(fields.count)")
        }
        self = fields[0]
    }

    /// Builds a field from bytes the header parser has already validated.
    init(validatedRaw raw: [UInt8], nameEnd: Int, colonIndex: Int) {
        self.raw = raw
        self.nameEnd = nameEnd
        self.colonIndex = colonIndex
    }

    /// The field value: every byte after the colon, folds included, without the terminating CRLF.
    public var value: ArraySlice<UInt8> {
        var end = raw.endIndex
        if raw.count >= colonIndex + 3, raw[end - 2] == ASCII.cr, raw[end - 1] == ASCII.lf {
            end -= 2
        }
        return raw[(colonIndex + 1)..<end]
    }

    /// Whether the field is named `name`, compared case-insensitively over ASCII only.
    ///
    /// ASCII-only folding matters: Unicode lowercasing maps e.g. U+212A KELVIN SIGN to "k", which would let a
    /// non-ASCII name in `h=` select an ASCII header field.
    /// - Parameter name: a field name, for example from a signature's `h=` tag.
    public func hasName(_ name: String) -> Bool {
        Self.withNameBytes(name) { hasName(caseInsensitive: $0) }
    }

    /// Whether the field is named `name`, given as UTF-8 bytes in any ASCII case (see ``withNameBytes(_:_:)``).
    ///
    /// The loops that compare many fields with one name read the name's bytes once and compare in place: a
    /// lowercased copy per name was an allocation per `h=` entry and verification.
    @inline(__always)
    func hasName(caseInsensitive name: UnsafeBufferPointer<UInt8>) -> Bool {
        guard nameEnd == name.count else { return false }
        return raw.withUnsafeBufferPointer { bytes in
            Self.namesMatch(bytes.baseAddress.unsafelyUnwrapped, name.baseAddress.unsafelyUnwrapped, count: nameEnd)
        }
    }

    /// The ``HeaderSelection/nameKey(length:first:last:)`` of the field's name.
    var nameKey: UInt32 {
        guard nameEnd > 0 else { return HeaderSelection.nameKey(length: 0, first: 0, last: 0) }
        return HeaderSelection.nameKey(length: nameEnd, first: raw[0], last: raw[nameEnd - 1])
    }

    /// Whether the `count` bytes at `a` and at `b` are equal after ``ASCII/lowercased(_:)``.
    ///
    /// Equal bytes pass at once; two bytes differing only in bit 0x20 are the two cases of one letter when that
    /// bit set makes a lowercase letter. Cheaper than lowercasing both bytes, which a name comparison mostly does
    /// for nothing (a name is usually written with the same bytes, or differs in its initials only).
    @inline(__always)
    static func namesMatch(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, count: Int) -> Bool {
        var index = 0
        while index < count {
            let left = a[index]
            let difference = left ^ b[index]
            if difference != 0 {
                guard difference == 0x20, (left | 0x20) &- ASCII.lowerA < 26 else { return false }
            }
            index &+= 1
        }
        return true
    }
    /// Runs `body` with the UTF-8 bytes of `name` (in place for native and small strings).
    ///
    /// Through the UTF-8 view, which reads a native or small string where it is: `withUTF8` is mutating, and the
    /// copy it needs cost a retain and a release per name (two per `h=` entry and verification).
    @inline(__always)
    static func withNameBytes<R>(_ name: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = name.utf8.withContiguousStorageIfAvailable(body) { return result }
        var name = name  // a bridged string: made native first
        return name.withUTF8(body)
    }

    /// Lowercases the ASCII letters of `name` and leaves every other byte alone.
    static func asciiLowercased(_ name: String) -> String {
        // Names are usually lowercase already (the default lists are): then the String itself is the answer.
        guard name.utf8.contains(where: { $0 >= ASCII.upperA && $0 <= ASCII.upperZ }) else { return name }
        return String(decoding: name.utf8.map(ASCII.lowercased), as: UTF8.self)
    }
}
