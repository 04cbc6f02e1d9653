extension DKIMKeyRecord {
    /// The longest character-string a DNS TXT record can hold: 255 octets (RFC 1035 §3.3).
    public static let maximumTXTStringLength = 255

    /// The record as one line, the form DNS web panels ask for: `v=DKIM1; k=rsa; p=...`.
    ///
    /// The value is rendered from the model: `v=DKIM1` and `k=` always, `h=`, `s=` (unless `*`), `t=` and `n=` when
    /// set, then `p=` last. Unknown tags of a parsed record are not carried over.
    public var oneLineValue: String {
        String(decoding: headTags.joined() + keyTag, as: UTF8.self)
    }

    /// The record split into DNS character-strings of at most 255 octets each (RFC 1035 §3.3).
    ///
    /// Verifiers join the strings without separators (RFC 6376 §3.6.2.2), so the concatenation equals
    /// ``oneLineValue``. The tags before `p=` form the first string(s), broken only between tags when they fit,
    /// and `p=` starts a new string; its base64 is then cut every 255 octets, which is harmless because base64
    /// has no structure a split could break.
    /// - Returns: The strings, unquoted.
    public func txtStrings() -> [String] {
        var strings: [[UInt8]] = []
        var current: [UInt8] = []
        for piece in headTags {
            if current.count + piece.count > Self.maximumTXTStringLength, !current.isEmpty {
                strings.append(current)
                current = []
            }
            current += piece
            while current.count > Self.maximumTXTStringLength {
                strings.append(Array(current.prefix(Self.maximumTXTStringLength)))
                current.removeFirst(Self.maximumTXTStringLength)
            }
        }
        if !current.isEmpty { strings.append(current) }
        var key = keyTag[...]
        while !key.isEmpty {
            strings.append(Array(key.prefix(Self.maximumTXTStringLength)))
            key = key.dropFirst(Self.maximumTXTStringLength)
        }
        return strings.map { String(decoding: $0, as: UTF8.self) }
    }

    /// The record as a zone-file line: `SELECTOR._domainkey IN TXT ( "v=DKIM1; k=rsa; " "p=..." ... )`.
    ///
    /// Each quoted string is one of ``txtStrings()`` (at most 255 octets); `"` and `\` inside a string are escaped
    /// as RFC 1035 §5.1 requires. Strings after the first go on their own indented lines.
    /// - Parameters:
    ///   - selector: The selector (`s=` of the signatures).
    ///   - domain: The signing domain; when given, the owner name is absolute (`mail._domainkey.example.com.`),
    ///     otherwise it is relative to the zone's origin (`mail._domainkey`).
    /// - Returns: The record, without a trailing newline.
    public func zoneFileRecord(selector: String, domain: String? = nil) -> String {
        let owner = domain.map { "\(selector)._domainkey.\($0)." } ?? "\(selector)._domainkey"
        let quoted = txtStrings().map { string -> String in
            var escaped = ""
            for character in string {
                if character == "\"" || character == "\\" { escaped.append("\\") }
                escaped.append(character)
            }
            return "\"\(escaped)\""
        }
        return "\(owner) IN TXT ( " + quoted.joined(separator: "\n\t") + " )"
    }

    /// `tag=value; ` for every tag before `p=`.
    private var headTags: [[UInt8]] {
        var tags: [String] = ["v=\(Self.currentVersion)"]
        if let hashAlgorithms { tags.append("h=" + hashAlgorithms.joined(separator: ":")) }
        tags.append("k=\(keyTypeName)")
        if serviceTypes != ["*"] { tags.append("s=" + serviceTypes.joined(separator: ":")) }
        if !flags.isEmpty { tags.append("t=" + flags.joined(separator: ":")) }
        if let notes { tags.append("n=\(notes)") }
        return tags.map { Array("\($0); ".utf8) }
    }

    /// `p=` and the base64 key (empty when revoked).
    private var keyTag: [UInt8] {
        Array("p=\(Base64.encode(publicKeyData))".utf8)
    }
}
