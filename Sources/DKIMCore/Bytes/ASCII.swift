/// Every ASCII byte the parsers name, named once (STYLE habit 2).
///
/// `package`: the MailAuthRecords parsers (SPF, DMARC) of this package use the same table; clients do not see it.
package enum ASCII {
    package static let nul: UInt8 = 0x00
    package static let tab: UInt8 = 0x09
    package static let lf: UInt8 = 0x0A
    package static let cr: UInt8 = 0x0D
    package static let space: UInt8 = 0x20
    package static let exclamation: UInt8 = 0x21
    package static let doubleQuote: UInt8 = 0x22
    package static let hash: UInt8 = 0x23
    package static let percent: UInt8 = 0x25
    package static let openParen: UInt8 = 0x28
    package static let closeParen: UInt8 = 0x29
    package static let asterisk: UInt8 = 0x2A
    package static let plus: UInt8 = 0x2B
    package static let comma: UInt8 = 0x2C
    package static let hyphen: UInt8 = 0x2D
    package static let period: UInt8 = 0x2E
    package static let slash: UInt8 = 0x2F
    package static let zero: UInt8 = 0x30
    package static let nine: UInt8 = 0x39
    package static let colon: UInt8 = 0x3A
    package static let semicolon: UInt8 = 0x3B
    package static let lessThan: UInt8 = 0x3C
    package static let equals: UInt8 = 0x3D
    package static let greaterThan: UInt8 = 0x3E
    package static let question: UInt8 = 0x3F
    package static let at: UInt8 = 0x40
    package static let upperA: UInt8 = 0x41
    package static let upperF: UInt8 = 0x46
    package static let upperZ: UInt8 = 0x5A
    package static let openBracket: UInt8 = 0x5B
    package static let backslash: UInt8 = 0x5C
    package static let closeBracket: UInt8 = 0x5D
    package static let underscore: UInt8 = 0x5F
    package static let lowerA: UInt8 = 0x61
    package static let lowerF: UInt8 = 0x66
    package static let lowerZ: UInt8 = 0x7A
    package static let openBrace: UInt8 = 0x7B
    package static let pipe: UInt8 = 0x7C
    package static let closeBrace: UInt8 = 0x7D
    package static let tilde: UInt8 = 0x7E
    package static let delete: UInt8 = 0x7F

    package static let crlf: [UInt8] = [cr, lf]

    /// WSP = SP / HTAB (RFC 5234 §B.1).
    @inline(__always) package static func isWSP(_ b: UInt8) -> Bool { b == space || b == tab }
    @inline(__always) package static func isDigit(_ b: UInt8) -> Bool { b >= zero && b <= nine }
    @inline(__always) package static func isAlpha(_ b: UInt8) -> Bool {
        (b >= upperA && b <= upperZ) || (b >= lowerA && b <= lowerZ)
    }
    @inline(__always) package static func isAlnum(_ b: UInt8) -> Bool { isAlpha(b) || isDigit(b) }
    /// ftext: printable US-ASCII except ":" (RFC 5322 §3.6.8).
    @inline(__always) package static func isFieldNameChar(_ b: UInt8) -> Bool {
        b >= 33 && b <= 126 && b != colon
    }
    @inline(__always) package static func lowercased(_ b: UInt8) -> UInt8 {
        (b >= upperA && b <= upperZ) ? b | 0x20 : b
    }
    /// Whether `bytes` spell `lowercase` (given in lowercase) ignoring ASCII case only, without making a String.
    package static func equalsIgnoringCase(_ bytes: some Collection<UInt8>, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        return zip(bytes, expected).allSatisfy { lowercased($0) == $1 }
    }
}
