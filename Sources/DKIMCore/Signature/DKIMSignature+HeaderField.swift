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
        var column = output.count
        for tag in renderedTags() {
            guard let first = tag.units.first else { continue }
            if column + 1 + max(first.count, tag.minimumFirstWidth) > width {
                output.append(contentsOf: ASCII.crlf)
                column = 0
            }
            output.append(ASCII.space)
            output.append(contentsOf: first)
            column += 1 + first.count
            for unit in tag.units.dropFirst() {
                if column + unit.count > width {
                    output.append(contentsOf: ASCII.crlf)
                    output.append(ASCII.space)
                    column = 1
                }
                output.append(contentsOf: unit)
                column += unit.count
            }
        }
        output.append(contentsOf: ASCII.crlf)
        return output
    }

    /// One tag, cut into the pieces between which a fold is allowed; the separator `;` is included.
    private struct RenderedTag {
        var units: [[UInt8]]
        /// The room the first unit needs on its line, when more than its own length.
        var minimumFirstWidth = 0
    }

    private func renderedTags() -> [RenderedTag] {
        func whole(_ name: String, _ value: [UInt8]) -> RenderedTag {
            RenderedTag(units: [Array((name + "=").utf8) + value + [ASCII.semicolon]])
        }
        func text(_ name: String, _ value: String) -> RenderedTag { whole(name, Array(value.utf8)) }

        var tags: [RenderedTag] = [
            text("v", String(version)),
            text("a", algorithm.tagValue),
            text("c", canonicalization.tagValue),
            text("d", domain),
            text("s", selector),
        ]
        if let identity { tags.append(whole("i", DKIMQuotedPrintable.encode(identity.utf8))) }
        if queryMethods != ["dns/txt"] { tags.append(text("q", queryMethods.joined(separator: ":"))) }
        if let bodyLength { tags.append(text("l", String(bodyLength))) }
        if let timestamp { tags.append(text("t", String(timestamp))) }
        if let expiration { tags.append(text("x", String(expiration))) }

        // h=: a fold may follow any ':' (RFC 6376 §3.5: hdr-name *( [FWS] ":" [FWS] hdr-name )).
        var headerUnits = signedHeaders.map { Array($0.utf8) + [ASCII.colon] }
        if headerUnits.isEmpty { headerUnits = [[ASCII.colon]] }
        headerUnits[0] = Array("h=".utf8) + headerUnits[0]
        headerUnits[headerUnits.count - 1][headerUnits[headerUnits.count - 1].count - 1] = ASCII.semicolon
        tags.append(RenderedTag(units: headerUnits))

        if let copiedHeaders { tags.append(RenderedTag(units: Self.copiedHeaderUnits(copiedHeaders))) }

        // bh= and b=: FWS may appear between any two base64 characters (RFC 6376 §3.5).
        var bodyHashUnits = Array(Base64.encode(bodyHash).utf8).map { [$0] }
        bodyHashUnits.append([ASCII.semicolon])
        bodyHashUnits[0] = Array("bh=".utf8) + bodyHashUnits[0]
        tags.append(RenderedTag(units: bodyHashUnits.count > 1 ? Self.merge(bodyHashUnits) : bodyHashUnits))

        // b= is last and has no ';' after it, so filling it in changes nothing before it. The first
        // character stays on the line of "b=" (room for it is reserved), so no FWS precedes the value.
        var signatureUnits = Array(Base64.encode(signature).utf8).map { [$0] }
        if signatureUnits.isEmpty { signatureUnits = [[]] }
        signatureUnits[0] = Array("b=".utf8) + signatureUnits[0]
        tags.append(RenderedTag(units: signatureUnits, minimumFirstWidth: 3))
        return tags
    }

    /// Joins a trailing ';' to the last base64 character, so a fold never separates them.
    private static func merge(_ units: [[UInt8]]) -> [[UInt8]] {
        var units = units
        let separator = units.removeLast()
        units[units.count - 1] += separator
        return units
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
