// DMARC tag-value lists over bytes. Source text: draft-ietf-dmarc-dmarcbis-41 (April 2025), the final draft
// that became RFC 9989; section numbers below are that draft's (the RFC keeps them).

import DKIMCore

/// Byte helpers of the DMARC parsers; the byte names themselves are DKIMCore's `ASCII` table (package-visible).
enum DMARCByte {
    static func isHexDigit(_ byte: UInt8) -> Bool {
        ASCII.isDigit(byte) || (ASCII.lowercased(byte) >= ASCII.lowerA && ASCII.lowercased(byte) <= ASCII.lowerF)
    }
    static func hexValue(_ byte: UInt8) -> UInt8? {
        if ASCII.isDigit(byte) { return byte - ASCII.zero }
        if byte >= ASCII.upperA && byte <= ASCII.upperF { return byte - ASCII.upperA + 10 }
        if byte >= ASCII.lowerA && byte <= ASCII.lowerF { return byte - ASCII.lowerA + 10 }
        return nil
    }

    /// `dmarc-value = %x20-3A / %x3C-7E` (§4.8): printing characters and ASCII.space, ASCII.semicolon excluded.
    static func isValueByte(_ byte: UInt8) -> Bool {
        byte >= ASCII.space && byte <= ASCII.tilde && byte != ASCII.semicolon
    }

    /// Lowercased ASCII text of `bytes`; only called on bytes already checked to be ASCII.
    static func lowercaseString<C: Collection<UInt8>>(_ bytes: C) -> String {
        String(decoding: bytes.map(ASCII.lowercased), as: UTF8.self)
    }

    static func trimWSP(_ slice: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var result = slice
        while let first = result.first, ASCII.isWSP(first) { result = result.dropFirst() }
        while let last = result.last, ASCII.isWSP(last) { result = result.dropLast() }
        return result
    }

    static func equalsIgnoringCase<C: Collection<UInt8>>(_ bytes: C, _ literal: String) -> Bool {
        bytes.count == literal.utf8.count
            && zip(bytes, literal.utf8).allSatisfy { ASCII.lowercased($0) == ASCII.lowercased($1) }
    }
}

/// One `;`-separated part of a DMARC tag list, as scanned (§4.8 `dmarc-record`).
struct DMARCScannedTag: Sendable, Hashable {
    /// The tag name, lowercased; empty when the part has no `=` or the name is not `1*ALPHA`.
    var name: String
    /// The name bytes as written (for messages).
    var rawName: ArraySlice<UInt8>
    /// The value with surrounding white space removed.
    var value: ArraySlice<UInt8>
    /// Whether the part is `1*ALPHA equals 1*dmarc-value`.
    var wellFormed: Bool
}

/// Splits a DMARC record into its tags (§4.8): `dmarc-sep = *WSP ";" *WSP`, `equals = *WSP "=" *WSP`.
///
/// Parts that are empty (`;;`, or the optional trailing `;`) are skipped. The tag-name literals of §4.8 are ABNF
/// strings and so case-insensitive (RFC 5234 §2.3); names are returned lowercased.
enum DMARCTagScanner {
    static func scan(_ bytes: ArraySlice<UInt8>) -> [DMARCScannedTag] {
        var tags: [DMARCScannedTag] = []
        var start = bytes.startIndex
        while start <= bytes.endIndex {
            let end = bytes[start...].firstIndex(of: ASCII.semicolon) ?? bytes.endIndex
            let part = bytes[start..<end]
            if !DMARCByte.trimWSP(part).isEmpty {
                tags.append(scanPart(part))
            }
            if end == bytes.endIndex { break }
            start = bytes.index(after: end)
        }
        return tags
    }

    /// Scans the first part only, untrimmed at its start: §4.7 `v` must open the record.
    static func firstPart(_ bytes: ArraySlice<UInt8>) -> DMARCScannedTag {
        let end = bytes.firstIndex(of: ASCII.semicolon) ?? bytes.endIndex
        return scanPart(bytes[bytes.startIndex..<end], trimLeading: false)
    }

    private static func scanPart(_ part: ArraySlice<UInt8>, trimLeading: Bool = true) -> DMARCScannedTag {
        let trimmed = trimLeading ? DMARCByte.trimWSP(part) : trimTrailing(part)
        guard let equals = trimmed.firstIndex(of: ASCII.equals) else {
            return DMARCScannedTag(name: "", rawName: trimmed, value: trimmed[trimmed.endIndex...], wellFormed: false)
        }
        let rawName = trimTrailing(trimmed[trimmed.startIndex..<equals])
        let value = DMARCByte.trimWSP(trimmed[trimmed.index(after: equals)...])
        let nameOK = !rawName.isEmpty && rawName.allSatisfy(ASCII.isAlpha)
        let valueOK = !value.isEmpty && value.allSatisfy(DMARCByte.isValueByte)
        return DMARCScannedTag(
            name: nameOK ? DMARCByte.lowercaseString(rawName) : "",
            rawName: rawName,
            value: value,
            wellFormed: nameOK && valueOK
        )
    }

    private static func trimTrailing(_ slice: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var result = slice
        while let last = result.last, ASCII.isWSP(last) { result = result.dropLast() }
        return result
    }
}
