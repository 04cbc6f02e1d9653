/// DKIM-Quoted-Printable (RFC 6376 §2.11), the encoding of the `i=` and `z=` tag values.
///
/// It differs from MIME quoted-printable (RFC 2045): folding white space carries no meaning and is
/// dropped when decoding, `;` must be escaped (it ends a tag), and there are no soft line breaks.
/// Do not use it for message bodies.
public enum DKIMQuotedPrintable {
    /// Why a DKIM-Quoted-Printable value could not be decoded.
    public enum DecodeFailure: Error, Sendable, Equatable, CustomStringConvertible {
        /// An `=` at this offset is not followed by two hexadecimal digits.
        case badEscape(offset: Int)
        /// A byte that is neither a dkim-safe-char, an escape nor folding white space, at this offset.
        case invalidCharacter(byte: UInt8, offset: Int)

        /// A human sentence naming the fault.
        public var description: String {
            switch self {
            case .badEscape(let offset):
                return "the '=' at offset \(offset) is not followed by two hexadecimal digits"
            case .invalidCharacter(let byte, let offset):
                return "\(TagList.describe(byte)) at offset \(offset) must be written as =XX"
            }
        }
    }

    /// Decodes a DKIM-Quoted-Printable value.
    ///
    /// Folding white space (SP, HTAB, CR, LF) is skipped (RFC 6376 §2.11: "any whitespace in the string
    /// MUST be ignored"). `=XX` accepts upper- and lower-case hexadecimal digits, as common verifiers do,
    /// although RFC 2045 writes them in upper case. Bytes of 0x80 and above pass through unchanged:
    /// RFC 8616 §4 adds UTF-8 to dkim-safe-char in internationalized messages.
    ///
    /// - Parameter text: the encoded value, e.g. the bytes of an `i=` tag value.
    /// - Returns: the decoded bytes.
    /// - Throws: ``DecodeFailure`` naming the first bad escape or forbidden byte.
    public static func decode(_ text: some Collection<UInt8>) throws(DecodeFailure) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.count)
        var iterator = text.enumerated().makeIterator()
        while let (offset, byte) = iterator.next() {
            if ASCII.isWSP(byte) || byte == ASCII.cr || byte == ASCII.lf { continue }
            if byte == ASCII.equals {
                guard let (_, high) = iterator.next(), let highValue = hexValue(high),
                      let (_, low) = iterator.next(), let lowValue = hexValue(low) else {
                    throw .badEscape(offset: offset)
                }
                output.append(highValue << 4 | lowValue)
                continue
            }
            guard isSafe(byte) || byte >= 0x80 else { throw .invalidCharacter(byte: byte, offset: offset) }
            output.append(byte)
        }
        return output
    }

    /// Encodes bytes as DKIM-Quoted-Printable, escaping everything outside dkim-safe-char as `=XX`.
    ///
    /// `;`, `=`, white space, CR, LF, control bytes and every byte of 0x80 or above are escaped, so the
    /// result is plain ASCII that fits any tag value.
    ///
    /// - Parameters:
    ///   - bytes: the plain bytes, e.g. an identity or a copied header field.
    ///   - escapingPipe: also escape `|`, as `z=` requires (RFC 6376 §3.5 qp-hdr-value: "with '|' encoded").
    /// - Returns: the encoded bytes; upper-case hexadecimal digits.
    public static func encode(_ bytes: some Collection<UInt8>, escapingPipe: Bool = false) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        for byte in bytes {
            if isSafe(byte) && !(escapingPipe && byte == ASCII.pipe) {
                output.append(byte)
            } else {
                output.append(ASCII.equals)
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return output
    }

    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// dkim-safe-char = %x21-3A / %x3C / %x3E-7E (RFC 6376 §2.11).
    private static func isSafe(_ byte: UInt8) -> Bool {
        (byte >= ASCII.exclamation && byte <= ASCII.colon) || byte == ASCII.lessThan
            || (byte >= ASCII.greaterThan && byte <= ASCII.tilde)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case ASCII.zero...ASCII.nine: return byte - ASCII.zero
        case ASCII.upperA...ASCII.upperF: return byte - ASCII.upperA + 10
        case ASCII.lowerA...ASCII.lowerF: return byte - ASCII.lowerA + 10
        default: return nil
        }
    }
}
