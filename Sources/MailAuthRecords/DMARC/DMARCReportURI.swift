import DKIMCore

/// A mailbox named by a `mailto:` reporting URI (RFC 6068 `addr-spec`, percent-decoded).
public struct DMARCMailbox: Sendable, Hashable, CustomStringConvertible {
    /// The local part, as decoded (a dot-atom or a quoted string with its quotes).
    public let localPart: String
    /// The domain, lowercased, without a trailing dot.
    public let domain: String

    /// `local@domain`.
    public var description: String { "\(localPart)@\(domain)" }
}

/// One DMARC reporting URI from `rua=` or `ruf=` (draft-ietf-dmarc-dmarcbis-41 §4.6, §4.8 `dmarc-uri`).
public struct DMARCReportURI: Sendable, Hashable, CustomStringConvertible {
    /// The URI as written, without the obsolete size suffix.
    public let uri: String
    /// The scheme, lowercased (`mailto`, `https`, …).
    public let scheme: String
    /// The mailbox, for a `mailto:` URI.
    public let mailbox: DMARCMailbox?
    /// The host of the URI's authority (a `mailto:` URI's mailbox domain), lowercased; the "destination host" of
    /// draft-ietf-dmarc-aggregate-reporting §3.
    public let host: String?
    /// The obsolete size limit as written after `!` (e.g. `10m`), which reporters ignore (§4.8 `obs-dmarc-uri`).
    public let obsoleteSizeLimit: String?

    /// `uri`, with `!size` when one was given.
    public var description: String { obsoleteSizeLimit.map { "\(uri)!\($0)" } ?? uri }

    /// Whether mail receivers are required to support the scheme: §4.7 makes only `mailto:` mandatory.
    public var isMailto: Bool { scheme == "mailto" }

    /// Parses one URI of a `dmarc-urilist` (surrounding white space already removed).
    ///
    /// - Parameter bytes: the URI, optionally followed by `!` and a size (`obs-dmarc-report-size`).
    /// - Returns: the URI, or a sentence saying what is wrong with it.
    static func parse(_ bytes: ArraySlice<UInt8>) -> Result<DMARCReportURI, DMARCURIError> {
        guard !bytes.isEmpty else { return .failure(.init("an empty URI")) }
        var body = bytes
        var sizeLimit: String?
        // §4.8: "!" inside a URI MUST be percent-encoded, so a raw "!" starts the obsolete size suffix.
        if let bang = bytes.firstIndex(of: ASCII.exclamation) {
            let size = bytes[bytes.index(after: bang)...]
            guard isObsoleteSize(size) else {
                return .failure(.init("the text after \"!\" is not a size such as 10m"))
            }
            sizeLimit = String(decoding: size, as: UTF8.self)
            body = bytes[bytes.startIndex..<bang]
        }
        guard let colon = body.firstIndex(of: ASCII.colon) else {
            return .failure(.init("it has no scheme (e.g. mailto:)"))
        }
        let scheme = body[body.startIndex..<colon]
        // RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
        guard let first = scheme.first, ASCII.isAlpha(first),
              scheme.allSatisfy({ ASCII.isAlpha($0) || ASCII.isDigit($0) || $0 == 0x2B || $0 == 0x2D
                  || $0 == ASCII.period })
        else { return .failure(.init("its scheme is not a valid URI scheme")) }
        let rest = body[body.index(after: colon)...]
        guard !rest.isEmpty else { return .failure(.init("nothing follows the scheme")) }
        if let problem = uriCharacterProblem(rest) { return .failure(.init(problem)) }
        let schemeText = DMARCByte.lowercaseString(scheme)
        let uriText = String(decoding: body, as: UTF8.self)
        if schemeText == "mailto" {
            switch parseMailto(rest) {
            case .success(let mailbox):
                return .success(DMARCReportURI(uri: uriText, scheme: schemeText, mailbox: mailbox,
                                               host: mailbox.domain, obsoleteSizeLimit: sizeLimit))
            case .failure(let error):
                return .failure(error)
            }
        }
        return .success(DMARCReportURI(uri: uriText, scheme: schemeText, mailbox: nil,
                                       host: authorityHost(rest), obsoleteSizeLimit: sizeLimit))
    }

    /// `obs-dmarc-report-size = "!" 1*DIGIT [ "k" / "m" / "g" / "t" ]` (after the "!").
    private static func isObsoleteSize(_ size: ArraySlice<UInt8>) -> Bool {
        var digits = size
        if let last = size.last, !ASCII.isDigit(last) {
            guard [0x6B, 0x6D, 0x67, 0x74].contains(ASCII.lowercased(last)) else { return false }
            digits = size.dropLast()
        }
        return !digits.isEmpty && digits.allSatisfy(ASCII.isDigit)
    }

    /// RFC 3986 §2: unreserved, reserved and `%HH` only; §4.8 of the DMARC draft: no raw "," or "!".
    private static func uriCharacterProblem(_ rest: ArraySlice<UInt8>) -> String? {
        let allowed = Set(Array("-._~:/?#[]@$&'()*+;=".utf8))
        var index = rest.startIndex
        while index < rest.endIndex {
            let byte = rest[index]
            if byte == ASCII.percent {
                let first = rest.index(after: index)
                guard first < rest.endIndex, rest.index(after: first) < rest.endIndex,
                      DMARCByte.isHexDigit(rest[first]), DMARCByte.isHexDigit(rest[rest.index(after: first)])
                else { return "it has a \"%\" not followed by two hexadecimal digits" }
                index = rest.index(first, offsetBy: 2)
                continue
            }
            guard ASCII.isAlpha(byte) || ASCII.isDigit(byte) || allowed.contains(byte) else {
                return "it contains the character \(RecordText.printable([byte])), which a URI must percent-encode"
            }
            index = rest.index(after: index)
        }
        return nil
    }

    /// RFC 6068 §2: `mailto:` then one `addr-spec` (DMARC forbids the raw "," of a list), optional `?hfields`.
    private static func parseMailto(_ rest: ArraySlice<UInt8>) -> Result<DMARCMailbox, DMARCURIError> {
        let to = rest[rest.startIndex..<(rest.firstIndex(of: ASCII.question) ?? rest.endIndex)]
        var decoded: [UInt8] = []
        var index = to.startIndex
        while index < to.endIndex {
            if to[index] == ASCII.percent {
                // Checked by uriCharacterProblem: two hex digits follow.
                let high = DMARCByte.hexValue(to[to.index(after: index)]) ?? 0
                let low = DMARCByte.hexValue(to[to.index(index, offsetBy: 2)]) ?? 0
                decoded.append(high << 4 | low)
                index = to.index(index, offsetBy: 3)
            } else {
                decoded.append(to[index])
                index = to.index(after: index)
            }
        }
        // Spaces survive only inside a quoted local part; isLocalPart and the domain check reject them elsewhere.
        guard decoded.allSatisfy({ $0 >= ASCII.space && $0 < ASCII.delete }) else {
            return .failure(.init("its address contains control or non-ASCII characters"))
        }
        guard let at = decoded.lastIndex(of: ASCII.at) else {
            return .failure(.init("it has no \"@\" in the address"))
        }
        let local = decoded[decoded.startIndex..<at]
        let domain = decoded[decoded.index(after: at)...]
        guard isLocalPart(local) else {
            let shown = RecordText.printable(local)
            return .failure(.init("the local part \"\(shown)\" is not a valid addr-spec local part"))
        }
        guard let domainName = DMARCDomainName.normalize(domain) else {
            return .failure(.init("\"\(RecordText.printable(domain))\" is not a valid domain name"))
        }
        return .success(DMARCMailbox(localPart: String(decoding: local, as: UTF8.self), domain: domainName))
    }

    /// RFC 5322 §3.4.1 `local-part`: a dot-atom, or a quoted string (checked for balanced quoting only).
    private static func isLocalPart(_ local: ArraySlice<UInt8>) -> Bool {
        guard !local.isEmpty else { return false }
        if local.first == ASCII.doubleQuote {
            guard local.count >= 2, local.last == ASCII.doubleQuote else { return false }
            var escaped = false
            for byte in local.dropFirst().dropLast() {
                if escaped { escaped = false; continue }
                if byte == ASCII.backslash { escaped = true; continue }
                if byte == ASCII.doubleQuote { return false }
            }
            return !escaped
        }
        // atext (RFC 5322 §3.2.3) and single dots between atoms.
        let atextSpecials = Set(Array("!#$%&'*+-/=?^_`{|}~".utf8))
        var previousDot = true
        for byte in local {
            if byte == ASCII.period {
                if previousDot { return false }
                previousDot = true
            } else if ASCII.isAlpha(byte) || ASCII.isDigit(byte) || atextSpecials.contains(byte) {
                previousDot = false
            } else {
                return false
            }
        }
        return !previousDot
    }

    /// The host of `//authority`, lowercased, userinfo and port removed; nil without an authority.
    private static func authorityHost(_ rest: ArraySlice<UInt8>) -> String? {
        guard rest.starts(with: [ASCII.slash, ASCII.slash]) else { return nil }
        let afterSlashes = rest.dropFirst(2)
        let end = afterSlashes.firstIndex { $0 == ASCII.slash || $0 == ASCII.question || $0 == ASCII.hash }
            ?? afterSlashes.endIndex
        var authority = afterSlashes[afterSlashes.startIndex..<end]
        if let at = authority.lastIndex(of: ASCII.at) { authority = authority[authority.index(after: at)...] }
        if authority.first == ASCII.openBracket {
            guard let close = authority.firstIndex(of: ASCII.closeBracket) else { return nil }
            return DMARCByte.lowercaseString(authority[authority.startIndex...close])
        }
        if let colon = authority.firstIndex(of: ASCII.colon) { authority = authority[authority.startIndex..<colon] }
        return DMARCDomainName.normalize(authority)
    }
}

/// Why one reporting URI could not be used: a sentence for the lint message.
struct DMARCURIError: Error, Sendable, Hashable {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

/// Domain names as DMARC uses them: ASCII (A-labels), compared lowercased, no trailing dot.
enum DMARCDomainName {
    /// RFC 1034 §3.1 / RFC 1123 §2.1 host names, plus `_` (used in DNS names such as `_report._dmarc`):
    /// labels of 1–63 letters, digits, hyphens or underscores, not starting or ending with a hyphen; at most
    /// 253 octets. Returns the lowercased name without a trailing dot, or nil.
    static func normalize<C: Collection<UInt8>>(_ bytes: C) -> String? {
        var name = Array(bytes)
        if name.last == ASCII.period { name.removeLast() }
        guard !name.isEmpty, name.count <= 253 else { return nil }
        for label in name.split(separator: ASCII.period, omittingEmptySubsequences: false) {
            guard !label.isEmpty, label.count <= 63,
                  label.first != ASCII.hyphen, label.last != ASCII.hyphen,
                  label.allSatisfy({ ASCII.isAlpha($0) || ASCII.isDigit($0) || $0 == ASCII.hyphen
                      || $0 == ASCII.underscore })
            else { return nil }
        }
        return DMARCByte.lowercaseString(name)
    }

    /// The labels of a normalized name, left to right.
    static func labels(_ name: String) -> [Substring] {
        name.split(separator: ".", omittingEmptySubsequences: false)
    }

    /// The rightmost `count` labels of `name`.
    static func suffix(_ name: String, labels count: Int) -> String {
        labels(name).suffix(count).joined(separator: ".")
    }
}
