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
        var output = Self.fieldPrefix
        output.reserveCapacity(512 + signature.count * 2)
        var column = output.count
        for tag in renderedTags() {
            let bytes = tag.bytes
            guard !bytes.isEmpty else { continue }
            let firstEnd = tag.foldPoints.first ?? bytes.count
            if column + 1 + max(firstEnd, tag.minimumFirstWidth) > width {
                output.append(contentsOf: ASCII.crlf)
                column = 0
            }
            output.append(ASCII.space)
            output.append(contentsOf: bytes[..<firstEnd])
            column += 1 + firstEnd
            var unitStart = firstEnd
            if let lastUnit = tag.lastUnitOfSingles {
                // Base64: one-byte units up to the last one, so a line takes as many as fit in one append.
                while unitStart < bytes.count {
                    let length = unitStart >= lastUnit ? bytes.count - unitStart : 1
                    if column + length > width {
                        output.append(contentsOf: ASCII.crlf)
                        output.append(ASCII.space)
                        column = 1
                    }
                    let take = unitStart >= lastUnit ? length : max(1, min(width - column, lastUnit - unitStart))
                    output.append(contentsOf: bytes[unitStart..<(unitStart + take)])
                    column += take
                    unitStart += take
                }
                continue
            }
            var point = 1
            while unitStart < bytes.count {
                let unitEnd = point < tag.foldPoints.count ? tag.foldPoints[point] : bytes.count
                point += 1
                let length = unitEnd - unitStart
                if column + length > width {
                    output.append(contentsOf: ASCII.crlf)
                    output.append(ASCII.space)
                    column = 1
                }
                output.append(contentsOf: bytes[unitStart..<unitEnd])
                column += length
                unitStart = unitEnd
            }
        }
        output.append(contentsOf: ASCII.crlf)
        return output
    }

    /// One tag with the places where a fold is allowed; the separator `;` is included.
    ///
    /// Held as one byte array and the offsets between units, not one array per unit: signing renders the field
    /// three times. Base64 values, where a fold may fall between any two characters, are not listed point by
    /// point (`b=` alone has hundreds) but marked by ``lastUnitOfSingles``.
    private struct RenderedTag {
        /// The tag, `name=value;`.
        var bytes: [UInt8]
        /// Offsets into ``bytes`` where a unit ends and a fold may be inserted, ascending, inside the bytes.
        var foldPoints: [Int] = []
        /// The room the first unit needs on its line, when more than its own length.
        var minimumFirstWidth = 0
        /// For base64 text: every byte from the first fold point up to this offset is a unit of its own, and this
        /// offset starts the last unit (``foldPoints`` then holds only the first fold point). Nil otherwise.
        var lastUnitOfSingles: Int?

        init(bytes: [UInt8], foldPoints: [Int] = [], minimumFirstWidth: Int = 0) {
            self.bytes = bytes
            self.foldPoints = foldPoints
            self.minimumFirstWidth = minimumFirstWidth
        }

        /// A tag from its units, each a piece between two fold points.
        init(units: [[UInt8]], minimumFirstWidth: Int = 0) {
            bytes = units.flatMap { $0 }
            var end = 0
            for unit in units.dropLast() {
                end += unit.count
                foldPoints.append(end)
            }
            self.minimumFirstWidth = minimumFirstWidth
        }

        /// `name=` then base64 text with a fold point between any two characters, after the first one.
        init(base64 name: String, _ text: String, terminator: UInt8?, minimumFirstWidth: Int = 0) {
            let prefix = Array((name + "=").utf8)
            bytes = prefix + Array(text.utf8)
            if let terminator { bytes.append(terminator) }
            let characters = text.utf8.count
            // Units: prefix + first character, then one character each; the terminator joins the last.
            if characters > 1 {
                foldPoints = [prefix.count + 1]
                lastUnitOfSingles = prefix.count + characters - 1
            }
            self.minimumFirstWidth = minimumFirstWidth
        }
    }

    private func renderedTags() -> [RenderedTag] {
        func whole(_ name: String, _ value: [UInt8]) -> RenderedTag {
            RenderedTag(bytes: Array((name + "=").utf8) + value + [ASCII.semicolon])
        }
        func text(_ name: String, _ value: String) -> RenderedTag { whole(name, Array(value.utf8)) }

        var tags: [RenderedTag] = [
            text("v", String(version)),
            text("a", algorithm.tagValue),
            text("c", canonicalization.tagValue),
            text("d", domain),
            text("s", selector),
        ]
        tags.reserveCapacity(14)
        if let identity { tags.append(whole("i", DKIMQuotedPrintable.encode(identity.utf8))) }
        if queryMethods != ["dns/txt"] { tags.append(text("q", queryMethods.joined(separator: ":"))) }
        if let bodyLength { tags.append(text("l", String(bodyLength))) }
        if let timestamp { tags.append(text("t", String(timestamp))) }
        if let expiration { tags.append(text("x", String(expiration))) }

        // h=: a fold may follow any ':' (RFC 6376 §3.5: hdr-name *( [FWS] ":" [FWS] hdr-name )).
        var headerBytes = Array("h=".utf8)
        var headerFolds: [Int] = []
        for (index, name) in signedHeaders.enumerated() {
            headerBytes += name.utf8
            if index < signedHeaders.count - 1 {
                headerBytes.append(ASCII.colon)
                headerFolds.append(headerBytes.count)
            }
        }
        headerBytes.append(ASCII.semicolon)
        tags.append(RenderedTag(bytes: headerBytes, foldPoints: headerFolds))

        if let copiedHeaders { tags.append(RenderedTag(units: Self.copiedHeaderUnits(copiedHeaders))) }

        // bh= and b=: FWS may appear between any two base64 characters (RFC 6376 §3.5); the ';' after bh= is
        // joined to its last character, so a fold never separates them.
        tags.append(RenderedTag(base64: "bh", Base64.encode(bodyHash), terminator: ASCII.semicolon))

        // b= is last and has no ';' after it, so filling it in changes nothing before it. The first
        // character stays on the line of "b=" (room for it is reserved), so no FWS precedes the value.
        tags.append(RenderedTag(base64: "b", Base64.encode(signature), terminator: nil, minimumFirstWidth: 3))
        return tags
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
