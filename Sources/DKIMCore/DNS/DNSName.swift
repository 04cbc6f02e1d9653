/// Validation and normalisation of the domain names the resolvers are asked for.
///
/// RFC 1035 §2.3.4: a name is at most 255 octets on the wire, which is 253 characters in text form
/// without the trailing dot; each label is 1 to 63 octets. DKIM names (`selector._domainkey.domain`,
/// RFC 6376 §3.6.2.1) contain underscores, so the host-name letter-digit-hyphen rule is not applied;
/// only bytes that cannot be meant (controls, space, non-ASCII, the zone-file escape `\`) are refused.
enum DNSName {
    /// The longest name in text form, without the trailing dot (RFC 1035 §2.3.4).
    static let maxLength = 253
    /// The longest label (RFC 1035 §2.3.4).
    static let maxLabelLength = 63

    /// Returns the name lowercased and without one trailing dot, or a sentence saying why it is not a valid name.
    static func normalize(_ name: String) -> Result<String, NameError> {
        var bytes = Array(name.utf8)
        if bytes.last == ASCII.period { bytes.removeLast() }
        if bytes.isEmpty {
            return .failure(NameError("The DNS name is empty."))
        }
        if bytes.count > maxLength {
            return .failure(NameError(
                "The DNS name is \(bytes.count) characters long; at most \(maxLength) are allowed."))
        }
        var labelLength = 0
        for byte in bytes {
            if byte == ASCII.period {
                if labelLength == 0 {
                    return .failure(NameError("The DNS name \"\(name)\" has an empty label."))
                }
                labelLength = 0
                continue
            }
            if byte <= ASCII.space || byte >= ASCII.delete || byte == ASCII.backslash {
                return .failure(NameError(
                    "The DNS name \"\(name)\" contains a space, control, backslash or non-ASCII byte."))
            }
            labelLength += 1
            if labelLength > maxLabelLength {
                return .failure(NameError(
                    "The DNS name \"\(name)\" has a label longer than \(maxLabelLength) characters."))
            }
        }
        if labelLength == 0 {
            return .failure(NameError("The DNS name \"\(name)\" has an empty label."))
        }
        return .success(String(decoding: bytes.map(ASCII.lowercased), as: UTF8.self))
    }

    /// Why a name was refused, as a human sentence.
    struct NameError: Error, Sendable {
        let sentence: String
        init(_ sentence: String) { self.sentence = sentence }
    }
}
