// DMARC tag-value lists over bytes. Source text: draft-ietf-dmarc-dmarcbis-41 (April 2025), the final draft
// that became RFC 9989; section numbers below are that draft's (the RFC keeps them).

/// The ASCII bytes the DMARC parsers name, each named once (DKIMCore's `ASCII` is internal to that module).
enum DMARCByte {
    static let tab: UInt8 = 0x09
    static let space: UInt8 = 0x20
    static let exclamation: UInt8 = 0x21
    static let doubleQuote: UInt8 = 0x22
    static let hash: UInt8 = 0x23
    static let percent: UInt8 = 0x25
    static let comma: UInt8 = 0x2C
    static let hyphen: UInt8 = 0x2D
    static let period: UInt8 = 0x2E
    static let slash: UInt8 = 0x2F
    static let zero: UInt8 = 0x30
    static let one: UInt8 = 0x31
    static let nine: UInt8 = 0x39
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let equals: UInt8 = 0x3D
    static let question: UInt8 = 0x3F
    static let at: UInt8 = 0x40
    static let upperA: UInt8 = 0x41
    static let upperF: UInt8 = 0x46
    static let upperZ: UInt8 = 0x5A
    static let openBracket: UInt8 = 0x5B
    static let backslash: UInt8 = 0x5C
    static let closeBracket: UInt8 = 0x5D
    static let underscore: UInt8 = 0x5F
    static let lowerA: UInt8 = 0x61
    static let lowerF: UInt8 = 0x66
    static let lowerZ: UInt8 = 0x7A
    static let tilde: UInt8 = 0x7E
    static let delete: UInt8 = 0x7F

    static func isWSP(_ byte: UInt8) -> Bool { byte == space || byte == tab }
    static func isAlpha(_ byte: UInt8) -> Bool {
        (byte >= upperA && byte <= upperZ) || (byte >= lowerA && byte <= lowerZ)
    }
    static func isDigit(_ byte: UInt8) -> Bool { byte >= zero && byte <= nine }
    static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= upperA && byte <= upperF) || (byte >= lowerA && byte <= lowerF)
    }
    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= upperA && byte <= upperZ ? byte + (lowerA - upperA) : byte
    }
    static func hexValue(_ byte: UInt8) -> UInt8? {
        if isDigit(byte) { return byte - zero }
        if byte >= upperA && byte <= upperF { return byte - upperA + 10 }
        if byte >= lowerA && byte <= lowerF { return byte - lowerA + 10 }
        return nil
    }

    /// `dmarc-value = %x20-3A / %x3C-7E` (§4.8): printing characters and space, semicolon excluded.
    static func isValueByte(_ byte: UInt8) -> Bool {
        byte >= space && byte <= tilde && byte != semicolon
    }

    /// Lowercased ASCII text of `bytes`; only called on bytes already checked to be ASCII.
    static func lowercaseString<C: Collection<UInt8>>(_ bytes: C) -> String {
        String(decoding: bytes.map(lowercased), as: UTF8.self)
    }

    /// Text for messages: printable ASCII kept, every other byte written `\xNN`, cut after `limit` bytes.
    static func printable<C: Collection<UInt8>>(_ bytes: C, limit: Int = 80) -> String {
        var out = ""
        var count = 0
        for byte in bytes {
            if count == limit {
                out += "…"
                break
            }
            count += 1
            if byte >= space && byte < delete && byte != backslash {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let digits = Array("0123456789ABCDEF".unicodeScalars)
                out += "\\x"
                out.unicodeScalars.append(digits[Int(byte >> 4)])
                out.unicodeScalars.append(digits[Int(byte & 0x0F)])
            }
        }
        return out
    }

    static func trimWSP(_ slice: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var result = slice
        while let first = result.first, isWSP(first) { result = result.dropFirst() }
        while let last = result.last, isWSP(last) { result = result.dropLast() }
        return result
    }

    static func equalsIgnoringCase<C: Collection<UInt8>>(_ bytes: C, _ literal: String) -> Bool {
        bytes.count == literal.utf8.count && zip(bytes, literal.utf8).allSatisfy { lowercased($0) == lowercased($1) }
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
            let end = bytes[start...].firstIndex(of: DMARCByte.semicolon) ?? bytes.endIndex
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
        let end = bytes.firstIndex(of: DMARCByte.semicolon) ?? bytes.endIndex
        return scanPart(bytes[bytes.startIndex..<end], trimLeading: false)
    }

    private static func scanPart(_ part: ArraySlice<UInt8>, trimLeading: Bool = true) -> DMARCScannedTag {
        let trimmed = trimLeading ? DMARCByte.trimWSP(part) : trimTrailing(part)
        guard let equals = trimmed.firstIndex(of: DMARCByte.equals) else {
            return DMARCScannedTag(name: "", rawName: trimmed, value: trimmed[trimmed.endIndex...], wellFormed: false)
        }
        let rawName = trimTrailing(trimmed[trimmed.startIndex..<equals])
        let value = DMARCByte.trimWSP(trimmed[trimmed.index(after: equals)...])
        let nameOK = !rawName.isEmpty && rawName.allSatisfy(DMARCByte.isAlpha)
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
        while let last = result.last, DMARCByte.isWSP(last) { result = result.dropLast() }
        return result
    }
}
