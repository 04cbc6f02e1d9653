extension DKIMSignature {
    /// Renders the complete header field, folded, ending with CRLF.
    ///
    /// Tags appear in this fixed order: `v a c d s i q l t x h z bh b`, where `i`, `l`, `t`, `x` and `z`
    /// appear only when set and `q` only when it differs from the default `dns/txt`. `c=` is always written
    /// in its two-part form. Tags are separated by `"; "`; a line is folded (CRLF + one SP) between tags,
    /// inside `h=` only after a `:`, inside `bh=` and `b=` between any two base64 characters, and inside
    /// `z=` between encoded characters (RFC 6376 §3.5 allows FWS at each of those places). No other value is
    /// ever broken, so a line exceeds `width` only when one such value does not fit on a line by itself.
    ///
    /// `b=` comes last and its first character always sits on the line of `b=`, so the field rendered with
    /// an empty ``signature`` is, byte for byte, this field with the `b=` value removed: the input a signer
    /// hashes equals what a verifier obtains by blanking ``signatureValueRange`` (RFC 6376 §3.7).
    ///
    /// - Parameter width: the maximum line length in octets, CRLF excluded; 78 by default (RFC 5322 §2.1.1).
    /// - Returns: `DKIM-Signature: v=1; ...; b=...` followed by CRLF. The signer hashes it without the
    ///   final CRLF; the CLI converts line endings for LF-only files.
    public func headerField(foldingAt width: Int = 78) -> [UInt8] {
        unsignedRendering(foldingAt: width).completed(signature: signature)
    }

    /// The field rendered up to and including `b=`, with no `b=` value and no final CRLF, ready to be
    /// completed with a signature.
    ///
    /// A signer hashes ``UnsignedRendering/bytes`` (RFC 6376 §3.7: the field with an empty `b=`), then
    /// ``UnsignedRendering/completed(signature:)`` gives exactly ``headerField(foldingAt:)`` with the signature
    /// filled in, without rendering the tags again: `b=` is last, and the room its first character needs is
    /// reserved in both cases, so everything before the value is the same.
    func unsignedRendering(foldingAt width: Int = 78) -> UnsignedRendering {
        var writer = FoldedFieldWriter(prefix: Self.fieldPrefix, width: width, capacity: 512 + 2 * 344)
        writer.whole("v", utf8: String(version))
        writer.whole("a", utf8: algorithm.tagValue)
        writer.whole("c", utf8: canonicalization.tagValue)
        writer.whole("d", utf8: domain)
        writer.whole("s", utf8: selector)
        if let identity { writer.whole("i", DKIMQuotedPrintable.encode(identity.utf8)) }
        if queryMethods != ["dns/txt"] { writer.whole("q", queryMethods.joined(separator: ":").utf8) }
        if let bodyLength { writer.whole("l", utf8: String(bodyLength)) }
        if let timestamp { writer.whole("t", utf8: String(timestamp)) }
        if let expiration { writer.whole("x", utf8: String(expiration)) }

        // h=: a fold may follow any ':' (RFC 6376 §3.5: hdr-name *( [FWS] ":" [FWS] hdr-name )).
        for (index, name) in signedHeaders.enumerated() {
            let length = name.utf8.count + 1
            if index == 0 {
                writer.startTag(firstUnitLength: 2 + length)
                writer.append(UInt8(ascii: "h"))
                writer.append(ASCII.equals)
            } else {
                writer.startUnit(length: length)
            }
            writer.append(utf8: name)
            writer.append(index == signedHeaders.count - 1 ? ASCII.semicolon : ASCII.colon)
        }
        if signedHeaders.isEmpty { writer.whole("h", EmptyCollection()) }

        if let copiedHeaders {
            for (index, unit) in Self.copiedHeaderUnits(copiedHeaders).enumerated() {
                if index == 0 { writer.startTag(firstUnitLength: unit.count) } else { writer.startUnit(length: unit.count) }
                writer.append(unit)
            }
        }

        // bh= and b=: FWS may appear between any two base64 characters (RFC 6376 §3.5); the ';' after bh= is
        // joined to its last character, so a fold never separates them.
        var encoded: [UInt8] = []
        encoded.reserveCapacity(344)
        bodyHash.withUnsafeBufferPointer { Base64.append(encoding: $0, to: &encoded) }
        writer.base64("bh", encoded)

        // b= is last and has no ';' after it, so filling it in changes nothing before it. The first character
        // stays on the line of "b=" (room for it is reserved), so no FWS precedes the value.
        writer.startTag(firstUnitLength: 2, minimumWidth: 3)
        writer.append(UInt8(ascii: "b"))
        writer.append(ASCII.equals)
        return UnsignedRendering(writer: writer)
    }

    /// The field without its `b=` value; see ``unsignedRendering(foldingAt:)``.
    struct UnsignedRendering {
        fileprivate var writer: FoldedFieldWriter

        /// The field with an empty `b=` value, without the final CRLF.
        var bytes: [UInt8] { writer.output }

        /// The whole field with `signature` as the `b=` value, folded, ending with CRLF.
        func completed(signature: [UInt8]) -> [UInt8] {
            var writer = writer
            var encoded: [UInt8] = []
            encoded.reserveCapacity((signature.count + 2) / 3 * 4)
            signature.withUnsafeBufferPointer { Base64.append(encoding: $0, to: &encoded) }
            if let first = encoded.first {
                // The first character's room was reserved with `b=`.
                writer.append(first)
                writer.column += 1
                writer.foldingSingles(encoded[1...])
            }
            writer.output.append(contentsOf: ASCII.crlf)
            return writer.output
        }
    }

    /// z=: each copy is "name:" (never broken) then its encoded value, one fold point per encoded
    /// character (dkim-quoted-printable allows FWS anywhere, RFC 6376 §2.11); '|' ends each copy but the last.
    private static func copiedHeaderUnits(_ copies: [[UInt8]]) -> [[UInt8]] {
        var units: [[UInt8]] = []
        for (index, copy) in copies.enumerated() {
            let colon = copy.firstIndex(of: ASCII.colon) ?? copy.endIndex
            let name = DKIMQuotedPrintable.encode(copy[..<colon], escapingPipe: true)
            let lead = index == 0 ? Array("z=".utf8) : []
            var entry: [[UInt8]] = [lead + name + (colon < copy.endIndex ? [ASCII.colon] : [])]
            if colon < copy.endIndex {
                let encoded = DKIMQuotedPrintable.encode(copy[(colon + 1)...], escapingPipe: true)
                var position = 0
                while position < encoded.count {
                    let length = encoded[position] == ASCII.equals ? 3 : 1
                    entry.append(Array(encoded[position..<min(position + length, encoded.count)]))
                    position += length
                }
            }
            entry[entry.count - 1].append(index == copies.count - 1 ? ASCII.semicolon : ASCII.pipe)
            units += entry
        }
        if units.isEmpty { units = [Array("z=;".utf8)] }
        return units
    }
}

/// Writes a folded header field: units that are never broken, with a fold (CRLF SP) before a unit that would
/// pass the width, and one SP before each tag.
private struct FoldedFieldWriter {
    var output: [UInt8]
    var column: Int
    let width: Int

    init(prefix: [UInt8], width: Int, capacity: Int) {
        output = prefix
        output.reserveCapacity(capacity)
        column = prefix.count
        self.width = width
    }

    /// Starts a tag whose first unit is `length` octets, on a new line when it (or `minimumWidth`) does not fit
    /// after the SP that separates tags; the caller appends exactly `length` octets.
    mutating func startTag(firstUnitLength length: Int, minimumWidth: Int = 0) {
        if column + 1 + max(length, minimumWidth) > width {
            output.append(contentsOf: ASCII.crlf)
            column = 0
        }
        output.append(ASCII.space)
        column += 1 + length
    }

    /// Starts a further unit of `length` octets, after a fold when it does not fit; the caller appends it.
    mutating func startUnit(length: Int) {
        if column + length > width {
            output.append(contentsOf: ASCII.crlf)
            output.append(ASCII.space)
            column = 1
        }
        column += length
    }

    mutating func append(_ byte: UInt8) { output.append(byte) }

    mutating func append(_ bytes: some Collection<UInt8>) { output.append(contentsOf: bytes) }

    /// Appends the UTF-8 of `text` as one copy (appending a `String.UTF8View` goes byte by byte).
    mutating func append(utf8 text: String) {
        var text = text
        text.withUTF8 { output.append(contentsOf: $0) }
    }

    /// ``whole(_:_:)`` with the value's UTF-8 copied at once.
    mutating func whole(_ name: StaticString, utf8 value: String) {
        var value = value
        value.withUTF8 { whole(name, $0) }
    }

    /// A tag that is one unit: `name=value;`.
    mutating func whole(_ name: StaticString, _ value: some Collection<UInt8>) {
        startTag(firstUnitLength: name.utf8CodeUnitCount + value.count + 2)
        name.withUTF8Buffer { output.append(contentsOf: $0) }
        output.append(ASCII.equals)
        output.append(contentsOf: value)
        output.append(ASCII.semicolon)
    }

    /// `name=` then base64 text and `;`, with a fold allowed between any two characters; the first character
    /// stays with `name=` and the `;` with the last character.
    mutating func base64(_ name: StaticString, _ text: [UInt8]) {
        guard text.count > 1 else {
            whole(name, text)
            return
        }
        startTag(firstUnitLength: name.utf8CodeUnitCount + 2)
        name.withUTF8Buffer { output.append(contentsOf: $0) }
        output.append(ASCII.equals)
        output.append(text[0])
        foldingSingles(text[1..<(text.count - 1)])
        startUnit(length: 2)
        output.append(text[text.count - 1])
        output.append(ASCII.semicolon)
    }

    /// Characters that are each a unit of one octet, as many per line as fit.
    mutating func foldingSingles(_ text: ArraySlice<UInt8>) {
        var index = text.startIndex
        while index < text.endIndex {
            if column + 1 > width {
                output.append(contentsOf: ASCII.crlf)
                output.append(ASCII.space)
                column = 1
            }
            let take = max(1, min(width - column, text.endIndex - index))
            output.append(contentsOf: text[index..<(index + take)])
            column += take
            index += take
        }
    }
}
