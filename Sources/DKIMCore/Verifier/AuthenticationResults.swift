/// Renders Authentication-Results (RFC 8601) for DKIM results.
///
/// Every value taken from the message (domain, selector, identity, `b=`) or from our own reason text is
/// written either as a token or as a quoted-string with `"` and `\` escaped and every control or
/// non-ASCII byte replaced, so a hostile signature cannot end the field, start a new resinfo (`;`),
/// open a comment or inject a property.
public enum AuthenticationResults {
    /// The payload of an Authentication-Results field (without the `Authentication-Results:` name).
    ///
    /// - Parameters:
    ///   - verification: the message's per-signature results.
    ///   - authservID: the authentication service identifier, normally the verifying host's name (RFC 8601 §2.5).
    /// - Returns: e.g. `mx.example.net; dkim=pass header.d=example.com header.s=mail header.a=rsa-sha256 header.b=AbCdEf12`;
    ///   `authserv-id; dkim=none` for an unsigned message (RFC 8601 §2.7.1).
    public static func payload(for verification: MessageVerification, authservID: String) -> String {
        value(authservID) + "; " + results(for: verification)
    }

    /// The `dkim=` results alone, separated by "; " (the payload without the authserv-id).
    public static func results(for verification: MessageVerification) -> String {
        guard !verification.signatures.isEmpty else { return "dkim=none" }
        return verification.signatures.map(resinfo).joined(separator: "; ")
    }

    /// The whole header field, `Authentication-Results: ...`, without a trailing CRLF.
    ///
    /// On one line when that line is at most 998 octets; longer (many signatures, long values), it is folded
    /// (CRLF and a tab) after each resinfo's `;` and, where a resinfo alone is still too long, before its
    /// properties, so that no line exceeds the limit of RFC 5322 §2.1.1 (RFC 8601 §2.2 allows FWS there).
    public static func headerField(for verification: MessageVerification, authservID: String) -> String {
        let line = "Authentication-Results: " + payload(for: verification, authservID: authservID)
        guard line.utf8.count > maximumLineOctets else { return line }
        let head = "Authentication-Results: " + value(authservID) + ";"
        let resinfos = verification.signatures.isEmpty ? [["dkim=none"]] : verification.signatures.map(words)
        var lines = [head]
        for (index, words) in resinfos.enumerated() {
            let separator = index == resinfos.count - 1 ? "" : ";"
            let whole = "\t" + words.joined(separator: " ") + separator
            if whole.utf8.count <= maximumLineOctets {
                lines.append(whole)
            } else {
                // One property a line: each is at most a name and a capped value (``maximumValueOctets``).
                lines += words.enumerated().map { "\t" + $1 + ($0 == words.count - 1 ? separator : "") }
            }
        }
        return lines.joined(separator: "\r\n")
    }

    /// RFC 5322 §2.1.1: a line is at most 998 octets, CRLF excluded.
    static let maximumLineOctets = 998
    /// The most octets of one value kept from the message or a reason; a longer one is cut and ends in `...`,
    /// so that every property fits on a line of its own.
    static let maximumValueOctets = 512

    /// One `dkim=` resinfo (RFC 8601 §2.2, properties from §2.7.1 and RFC 6008 for `header.b`).
    static func resinfo(_ signature: SignatureVerification) -> String {
        words(signature).joined(separator: " ")
    }

    /// The `dkim=` result and each property of one resinfo: the places where the field may be folded.
    static func words(_ signature: SignatureVerification) -> [String] {
        var words = ["dkim=" + signature.result.rawValue]
        if let reason = signature.reason, signature.result != .pass {
            // Our sentences cite "RFC 6376 §3.5"; the field is ASCII, so the sign is spelled out.
            let explanation = signature.explanation.split(separator: "§", omittingEmptySubsequences: false)
                .joined(separator: "section ")
            words.append("reason=" + quoted(reason.rawValue + ": " + explanation))
        }
        if let domain = signature.domain { words.append("header.d=" + domainValue(domain)) }
        if let identity = signature.signature?.identity { words.append("header.i=" + identityValue(identity)) }
        if let selector = signature.selector { words.append("header.s=" + value(selector)) }
        if let algorithm = signature.algorithm { words.append("header.a=" + value(algorithm)) }
        if let prefix = signature.signaturePrefix { words.append("header.b=" + value(prefix)) }
        return words
    }

    // MARK: RFC 2045 value = token / quoted-string

    private static let tspecials = Set("()<>@,;:\\\"/[]?=".utf8)

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        byte > ASCII.space && byte < ASCII.delete && !tspecials.contains(byte)
    }

    /// A token when every byte is a token byte (and it is not over ``maximumValueOctets``), else a quoted-string.
    static func value(_ text: String) -> String {
        let bytes = Array(text.utf8)
        if !bytes.isEmpty, bytes.count <= maximumValueOctets, bytes.allSatisfy(isTokenByte) { return text }
        return quoted(text)
    }

    /// A quoted-string (RFC 5322 §3.2.4): `"` and `\` escaped; CR, LF, other controls and each non-ASCII
    /// character replaced by one `?` so that nothing can break out of the field; cut after ``maximumValueOctets``
    /// octets, with `...`.
    static func quoted(_ text: String) -> String {
        var output: [UInt8] = [ASCII.doubleQuote]
        var kept = 0
        for scalar in text.unicodeScalars {
            if kept >= maximumValueOctets {
                output += Array("...".utf8)
                break
            }
            kept += 1
            switch scalar.value {
            case UInt32(ASCII.doubleQuote), UInt32(ASCII.backslash):
                output.append(ASCII.backslash)
                output.append(UInt8(scalar.value))
            case UInt32(ASCII.space)...0x7E:
                output.append(UInt8(scalar.value))
            default:
                output.append(UInt8(ascii: "?"))
            }
        }
        output.append(ASCII.doubleQuote)
        return String(decoding: output, as: UTF8.self)
    }

    /// A domain-name when `text` is a plain LDH domain, else a quoted-string.
    static func domainValue(_ text: String) -> String {
        isPlainDomain(text) ? text : quoted(text)
    }

    /// `[local-part] "@" domain-name` when both parts are plain, else a quoted-string (RFC 8601 §2.2 pvalue).
    static func identityValue(_ text: String) -> String {
        guard let at = text.utf8.lastIndex(of: ASCII.at) else { return quoted(text) }
        let local = text.utf8[..<at]
        let domain = String(decoding: text.utf8[text.utf8.index(after: at)...], as: UTF8.self)
        // dot-atom-text (RFC 5322 §3.2.3): atext runs joined by single dots.
        let localIsDotAtom = local.allSatisfy { isAtext($0) || $0 == ASCII.period }
            && local.first != ASCII.period && local.last != ASCII.period
            && !zip(local, local.dropFirst()).contains { $0 == ASCII.period && $1 == ASCII.period }
        return localIsDotAtom && isPlainDomain(domain) ? text : quoted(text)
    }

    private static func isAtext(_ byte: UInt8) -> Bool {
        // atext (RFC 5322 §3.2.3): ALPHA / DIGIT / "!#$%&'*+-/=?^_`{|}~"
        ASCII.isAlnum(byte) || Set("!#$%&'*+-/=?^_`{|}~".utf8).contains(byte)
    }

    private static func isPlainDomain(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 253 else { return false }
        return bytes.split(separator: ASCII.period, omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.first != ASCII.hyphen && label.last != ASCII.hyphen
                && label.allSatisfy { ASCII.isAlnum($0) || $0 == ASCII.hyphen || $0 == ASCII.underscore }
        }
    }
}
