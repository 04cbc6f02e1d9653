import DKIMCore

/// SPF macro strings (RFC 7208 §7): syntax checking at parse time and expansion at evaluation time.
enum SPFMacro {
    /// One piece of a macro string.
    enum Part: Equatable {
        case literal([UInt8])
        /// `%{` letter transformers delimiters `}` (§7.1); `letter` is lowercased, `escape` when it was uppercase.
        case expand(letter: UInt8, escape: Bool, keep: Int?, reverse: Bool, delimiters: [UInt8])
    }

    /// §7.1 macro-letter, plus the three letters only allowed in an explanation (§7.2: c r t).
    static let domainLetters: Set<UInt8> = Set("slodiphv".utf8)
    static let explanationLetters: Set<UInt8> = Set("slodiphvcrt".utf8)
    /// §7.1 delimiter.
    static let delimiters: Set<UInt8> = Set(".-+,/_=".utf8)

    /// Parses a macro-string (§7.1); in an explain-string (`explanation`) spaces are literals and c r t allowed.
    static func parse(_ text: ArraySlice<UInt8>, explanation: Bool = false) -> Result<[Part], SPFMacroError> {
        var parts: [Part] = []
        var literal: [UInt8] = []
        var index = text.startIndex
        let letters = explanation ? explanationLetters : domainLetters
        while index < text.endIndex {
            let byte = text[index]
            if byte != ASCII.percent {
                // §7.1 macro-literal = %x21-24 / %x26-7E; explain-string adds SP.
                guard (byte >= 0x21 && byte <= 0x7E) || (explanation && byte == 0x20) else {
                    return .failure(SPFMacroError(reason: "contains a byte that is not a visible ASCII character"))
                }
                literal.append(byte)
                index += 1
                continue
            }
            guard index + 1 < text.endIndex else {
                return .failure(SPFMacroError(reason: "ends with a lone \"%\""))
            }
            let next = text[index + 1]
            switch next {
            case ASCII.percent: literal.append(ASCII.percent); index += 2; continue          // "%%"
            case ASCII.underscore: literal.append(0x20); index += 2; continue          // "%_" a space
            case ASCII.hyphen: literal += Array("%20".utf8); index += 2; continue  // "%-" a URL-encoded space
            case ASCII.openBrace: break
            default: return .failure(SPFMacroError(reason: "has \"%\" not followed by \"{\", \"%\", \"_\" or \"-\""))
            }
            guard let close = text[(index + 2)...].firstIndex(of: ASCII.closeBrace) else {
                return .failure(SPFMacroError(reason: "has an unterminated \"%{\""))
            }
            var body = text[(index + 2)..<close]
            guard let rawLetter = body.first else { return .failure(SPFMacroError(reason: "has an empty \"%{}\"")) }
            let letter = rawLetter | 0x20
            guard letters.contains(letter), (rawLetter >= 0x41 && rawLetter <= 0x5A) || rawLetter >= 0x61 else {
                let shown = SPFRecord.display([rawLetter][...])
                return .failure(SPFMacroError(reason: "uses the unknown macro letter \"\(shown)\""))
            }
            body = body.dropFirst()
            var keep: Int?
            let digits = body.prefix { ASCII.isDigit($0) }
            if !digits.isEmpty {
                var value = 0
                for digit in digits {
                    let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
                    let (sum, overflow2) = times.addingReportingOverflow(Int(digit - ASCII.zero))
                    // Anything past 128 keeps every part of a name anyway; clamp instead of overflowing.
                    value = overflow1 || overflow2 ? Int.max : min(sum, 1_000)
                }
                // §7.3: the DIGIT transformer counts right-hand parts; zero parts cannot be meant.
                guard value > 0 else { return .failure(SPFMacroError(reason: "keeps zero parts (\"0\" transformer)")) }
                keep = value
                body = body.dropFirst(digits.count)
            }
            var reverse = false
            if body.first == 0x72 || body.first == 0x52 {
                reverse = true
                body = body.dropFirst()
            }
            guard body.allSatisfy(delimiters.contains) else {
                return .failure(SPFMacroError(reason: "has an invalid transformer or delimiter in \"%{...}\""))
            }
            if !literal.isEmpty { parts.append(.literal(literal)); literal = [] }
            parts.append(.expand(letter: letter, escape: rawLetter < 0x61, keep: keep, reverse: reverse,
                                 delimiters: Array(body)))
            index = close + 1
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        return .success(parts)
    }

    /// Checks a domain-spec (§7.1): a macro-string whose end is a macro-expand or "." toplabel ["."].
    static func checkDomainSpec(_ text: ArraySlice<UInt8>) -> SPFMacroError? {
        guard !text.isEmpty else { return SPFMacroError(reason: "is empty") }
        let parts: [Part]
        switch parse(text) {
        case .success(let value): parts = value
        case .failure(let error): return error
        }
        guard case .literal(var tail) = parts.last else { return nil }  // ends with %{...}
        // "%%", "%_" and "%-" are macro-expands too, but they were folded into the literal; look at the raw text.
        if text.count >= 2, text[text.endIndex - 2] == ASCII.percent { return nil }
        if tail.last == ASCII.period { tail.removeLast() }
        guard let dot = tail.lastIndex(of: ASCII.period) else {
            // The label may start after a macro (e.g. "%{d}.com" has tail ".com"; "%{d}com" has no dot).
            return SPFMacroError(reason: "does not end with a top-level label after a \".\"")
        }
        let label = tail[(dot + 1)...]
        let shown = SPFRecord.display(label)
        guard isTopLabel(label) else {
            return SPFMacroError(reason: "ends with \"\(shown)\", which is not a valid top-level label")
        }
        return nil
    }

    /// §7.1 toplabel: letters, digits and inner hyphens, not all digits.
    static func isTopLabel(_ label: ArraySlice<UInt8>) -> Bool {
        guard let first = label.first, let last = label.last, first != ASCII.hyphen, last != ASCII.hyphen else {
            return false
        }
        guard label.allSatisfy({ ASCII.isAlnum($0) || $0 == ASCII.hyphen }) else { return false }
        return label.contains { !ASCII.isDigit($0) }
    }

    /// The values the macro letters expand to (§7.3).
    struct Context {
        var sender: [UInt8]
        var localPart: [UInt8]
        var senderDomain: [UInt8]
        var domain: [UInt8]
        var ip: SPFIPAddress
        var helo: [UInt8]
        var receivingHost: [UInt8]
        var timestamp: Int64
        /// `p`, looked up lazily by the evaluator (it costs DNS queries).
        var validatedName: [UInt8]?
    }

    /// Whether `parts` use the macro `letter` (lowercase).
    static func uses(_ letter: UInt8, _ parts: [Part]) -> Bool {
        parts.contains { part in
            if case .expand(let used, _, _, _, _) = part { return used == letter }
            return false
        }
    }

    /// Expands parsed parts; `p` must have been filled in when the parts use it.
    static func expand(_ parts: [Part], _ context: Context) -> [UInt8] {
        var output: [UInt8] = []
        for part in parts {
            switch part {
            case .literal(let bytes):
                output += bytes
            case .expand(let letter, let escape, let keep, let reverse, let delimiters):
                var value = letterValue(letter, context)
                if keep != nil || reverse || !delimiters.isEmpty {
                    value = transform(value, keep: keep, reverse: reverse, delimiters: delimiters)
                }
                output += escape ? urlEscape(value) : value
            }
        }
        return output
    }

    static func letterValue(_ letter: UInt8, _ context: Context) -> [UInt8] {
        switch letter {
        case UInt8(ascii: "s"): return context.sender
        case UInt8(ascii: "l"): return context.localPart
        case UInt8(ascii: "o"): return context.senderDomain
        case UInt8(ascii: "d"): return context.domain
        case UInt8(ascii: "h"): return context.helo
        case UInt8(ascii: "r"): return context.receivingHost
        case UInt8(ascii: "t"): return Array(String(context.timestamp).utf8)
        case UInt8(ascii: "v"): return Array((context.ip.isIPv4 ? "in-addr" : "ip6").utf8)
        case UInt8(ascii: "c"): return Array(context.ip.description.utf8)
        case UInt8(ascii: "p"): return context.validatedName ?? Array("unknown".utf8)
        case UInt8(ascii: "i"):
            // §7.3: IPv4 as a dotted quad; IPv6 as 32 dot-separated nibbles.
            if context.ip.isIPv4 { return Array(context.ip.description.utf8) }
            let hex = Array("0123456789abcdef".utf8)
            var nibbles: [UInt8] = []
            for octet in context.ip.octets {
                if !nibbles.isEmpty { nibbles.append(ASCII.period) }
                nibbles += [hex[Int(octet >> 4)], ASCII.period, hex[Int(octet & 0x0F)]]
            }
            return nibbles
        default: return []
        }
    }

    /// §7.3: split on the delimiters (default "."), reverse if asked, keep the rightmost `keep` parts, join with ".".
    static func transform(_ value: [UInt8], keep: Int?, reverse: Bool, delimiters: [UInt8]) -> [UInt8] {
        let splitters = delimiters.isEmpty ? [UInt8(ASCII.period)] : delimiters
        var parts = value.split(omittingEmptySubsequences: false, whereSeparator: splitters.contains).map(Array.init)
        if reverse { parts.reverse() }
        if let keep, keep < parts.count { parts = Array(parts.suffix(keep)) }
        return Array(parts.joined(separator: [ASCII.period]))
    }

    /// §7.3: uppercase macro letters are URL-escaped (RFC 3986 unreserved characters stay as they are).
    static func urlEscape(_ value: [UInt8]) -> [UInt8] {
        let hex = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        for byte in value {
            let lower = byte | 0x20
            let unreserved = (lower >= 0x61 && lower <= 0x7A) || ASCII.isDigit(byte)
                || byte == ASCII.hyphen || byte == ASCII.period || byte == ASCII.underscore || byte == 0x7E
            if unreserved {
                output.append(byte)
            } else {
                output += [ASCII.percent, hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return output
    }
}

/// Why a macro string is malformed, as the end of a sentence.
struct SPFMacroError: Error, Equatable {
    let reason: String
}
