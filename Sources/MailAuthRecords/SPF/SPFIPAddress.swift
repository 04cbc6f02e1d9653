import DKIMCore

/// An IPv4 or IPv6 address as SPF compares it (RFC 7208 §5: `<ip>`).
///
/// RFC 7208 §5 asks that an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, RFC 4291 §2.5.5.2) be evaluated
/// as the IPv4 address it carries, so parsing one gives an IPv4 address.

public struct SPFIPAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address in network order: 4 octets for IPv4, 16 for IPv6.
    public let octets: [UInt8]

    /// Whether this is an IPv4 address.
    public var isIPv4: Bool { octets.count == 4 }

    /// Parses a dotted-quad IPv4 address or an RFC 4291 §2.2 text IPv6 address; nil when it is neither.
    ///
    /// - Parameter text: e.g. `192.0.2.1`, `2001:db8::1`, `::ffff:192.0.2.1`.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        if let v4 = Self.parseIPv4(bytes[...]) {
            octets = v4
        } else if let v6 = Self.parseIPv6(bytes[...]) {
            let mappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]
            octets = Array(v6.prefix(12)) == mappedPrefix ? Array(v6.suffix(4)) : v6
        } else {
            return nil
        }
    }

    init(octets: [UInt8]) { self.octets = octets }

    /// The address in text: dotted quad, or the RFC 5952 §4 canonical IPv6 form (as the `c` macro wants).
    public var description: String {
        if isIPv4 { return octets.map { String($0) }.joined(separator: ".") }
        var groups: [UInt16] = []
        for index in stride(from: 0, to: 16, by: 2) {
            groups.append(UInt16(octets[index]) << 8 | UInt16(octets[index + 1]))
        }
        // RFC 5952 §4.2: the longest run (≥ 2) of zero groups, the first one on a tie, becomes "::".
        var bestStart = -1
        var bestLength = 1
        var index = 0
        while index < 8 {
            if groups[index] == 0 {
                var end = index
                while end < 8 && groups[end] == 0 { end += 1 }
                if end - index > bestLength {
                    bestStart = index
                    bestLength = end - index
                }
                index = end
            } else {
                index += 1
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        if bestStart < 0 { return hex.joined(separator: ":") }
        let head = hex[..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }

    /// Whether the first `prefix` bits of this address and `other` agree (both of the same family).
    func matches(_ other: [UInt8], prefix: Int) -> Bool {
        guard other.count == octets.count, prefix >= 0, prefix <= octets.count * 8 else { return false }
        var remaining = prefix
        for index in octets.indices where remaining > 0 {
            let bits = min(remaining, 8)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if octets[index] & mask != other[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// RFC 7208 §5.6 (ip4-network, dec-octet of RFC 3986): four decimal octets without leading zeros.
    static func parseIPv4(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        var result: [UInt8] = []
        var current = text
        while true {
            let digits = current.prefix { ASCII.isDigit($0) }
            guard !digits.isEmpty, digits.count <= 3, !(digits.count > 1 && digits.first == ASCII.zero) else {
                return nil
            }
            var value = 0
            for digit in digits { value = value * 10 + Int(digit - ASCII.zero) }
            guard value <= 255 else { return nil }
            result.append(UInt8(value))
            current = current.dropFirst(digits.count)
            if result.count == 4 { return current.isEmpty ? result : nil }
            guard current.first == ASCII.period else { return nil }
            current = current.dropFirst()
        }
    }

    /// RFC 4291 §2.2: up to 8 groups of 1 to 4 hex digits, one `::`, an optional trailing dotted quad.
    static func parseIPv6(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        guard text.count >= 2, text.count <= 45 else { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawDoubleColon = false
        var current = text
        if current.starts(with: [ASCII.colon, ASCII.colon]) {
            sawDoubleColon = true
            current = current.dropFirst(2)
            if current.isEmpty { return [UInt8](repeating: 0, count: 16) }
        } else if current.first == ASCII.colon {
            return nil
        }
        while true {
            // A trailing IPv4 part counts as two groups.
            if !current.contains(ASCII.colon), current.contains(ASCII.period) {
                guard let v4 = parseIPv4(current) else { return nil }
                let groups = [UInt16(v4[0]) << 8 | UInt16(v4[1]), UInt16(v4[2]) << 8 | UInt16(v4[3])]
                if sawDoubleColon { tail += groups } else { head += groups }
                break
            }
            let digits = current.prefix { ASCIIHex.value($0) != nil }
            guard !digits.isEmpty, digits.count <= 4 else { return nil }
            var value: UInt16 = 0
            for digit in digits { value = value << 4 | UInt16(ASCIIHex.value(digit) ?? 0) }
            if sawDoubleColon { tail.append(value) } else { head.append(value) }
            current = current.dropFirst(digits.count)
            if current.isEmpty { break }
            guard current.first == ASCII.colon else { return nil }
            current = current.dropFirst()
            if current.first == ASCII.colon {
                guard !sawDoubleColon else { return nil }
                sawDoubleColon = true
                current = current.dropFirst()
                if current.isEmpty { break }
            } else if current.isEmpty {
                return nil
            }
        }
        let total = head.count + tail.count
        if sawDoubleColon {
            guard total <= 7 else { return nil }
        } else {
            guard total == 8 else { return nil }
        }
        let groups = head + [UInt16](repeating: 0, count: 8 - total) + tail
        return groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
}

/// Hexadecimal digit values.
enum ASCIIHex {
    static func value(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - ASCII.zero
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}
