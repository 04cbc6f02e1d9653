// MailAuthRecords: the sender-policy records a DKIM deployment sits next to — SPF (RFC 7208) and
// DMARC (RFC 9989) — parsed, linted and evaluated over DKIMCore's DNS resolver (`DNSQuerying`).
import DKIMCore

/// Record text shown to people: DNS data is attacker-controlled, so no byte reaches a message unescaped.
enum RecordText {
    /// Text for messages: printable ASCII other than `\` kept, every other byte written `\xNN` (so the text is
    /// unambiguous), cut after `limit` bytes.
    static func printable<C: Collection<UInt8>>(_ bytes: C, limit: Int = 80) -> String {
        var out = ""
        var count = 0
        for byte in bytes {
            if count == limit {
                out += "…"
                break
            }
            count += 1
            if byte >= ASCII.space && byte < ASCII.delete && byte != ASCII.backslash {
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
}
