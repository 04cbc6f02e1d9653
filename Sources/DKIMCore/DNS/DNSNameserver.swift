import CDKIMResolv

/// A DNS server to send queries to: an IPv4 or IPv6 address literal and a port.
///
/// Parsed from the `--nameserver HOST[:PORT]` spelling: `192.0.2.1`, `192.0.2.1:5353`, `2001:db8::1`,
/// `[2001:db8::1]`, `[2001:db8::1]:5353`. Host names are refused: resolving the resolver's own address
/// through DNS would make the override depend on the DNS it is meant to replace.
public struct DNSNameserver: Sendable, Hashable, CustomStringConvertible {
    /// The standard DNS port (RFC 1035 §4.2).
    public static let defaultPort: UInt16 = 53

    /// The address literal, as given (IPv6 without brackets).
    public let address: String
    /// The UDP and TCP port.
    public let port: UInt16

    /// Creates a name server from an address literal and a port.
    ///
    /// - Parameters:
    ///   - address: an IPv4 dotted-quad or IPv6 literal, without brackets.
    ///   - port: the port, 1 to 65535.
    /// - Throws: ``DKIMError`` `.invalidOption` when `address` is not an IP literal or `port` is 0.
    public init(address: String, port: UInt16 = DNSNameserver.defaultPort) throws {
        guard port != 0 else {
            throw DKIMError(.invalidOption, "Nameserver port 0 is not a usable port; give 1 to 65535.")
        }
        guard Self.isAddressLiteral(address) else {
            throw DKIMError(.invalidOption,
                            "Nameserver \"\(address)\" is not an IPv4 or IPv6 address literal "
                                + "(host names are not accepted).")
        }
        self.address = address
        self.port = port
    }

    /// Parses `HOST[:PORT]`, where HOST is an IPv4 literal, an IPv6 literal, or a bracketed IPv6 literal.
    ///
    /// A bare IPv6 literal (two or more colons, no brackets) takes no port; write `[ADDR]:PORT` for one.
    /// - Parameter text: the option value, e.g. `127.0.0.1:5353` or `[::1]:5353`.
    /// - Throws: ``DKIMError`` `.invalidOption` naming what is wrong.
    public init(parsing text: String) throws {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else {
            throw DKIMError(.invalidOption, "Nameserver is empty; expected HOST[:PORT], e.g. 127.0.0.1:5353.")
        }
        var host: ArraySlice<UInt8>
        var portText: ArraySlice<UInt8>?
        if bytes[0] == ASCII.openBracket {
            guard let close = bytes.firstIndex(of: ASCII.closeBracket) else {
                throw DKIMError(.invalidOption, "Nameserver \"\(text)\" has \"[\" without a closing \"]\".")
            }
            host = bytes[1..<close]
            let rest = bytes[(close + 1)...]
            if !rest.isEmpty {
                guard rest.first == ASCII.colon else {
                    throw DKIMError(.invalidOption,
                                    "Nameserver \"\(text)\" has text after \"]\" that is not \":PORT\".")
                }
                portText = rest.dropFirst()
            }
            guard host.contains(ASCII.colon) else {
                throw DKIMError(.invalidOption, "Nameserver \"\(text)\": brackets are only for IPv6 addresses.")
            }
        } else {
            let colons = bytes.lazy.filter { $0 == ASCII.colon }.count
            if colons == 1, let colon = bytes.firstIndex(of: ASCII.colon) {
                host = bytes[..<colon]
                portText = bytes[(colon + 1)...]
            } else {
                host = bytes[...]
            }
        }
        var port = Self.defaultPort
        if let portText {
            guard let parsed = Self.parsePort(portText) else {
                throw DKIMError(.invalidOption,
                                "Nameserver \"\(text)\" has an invalid port; give a number from 1 to 65535.")
            }
            port = parsed
        }
        try self.init(address: String(decoding: host, as: UTF8.self), port: port)
    }

    /// `ADDR:PORT` for IPv4, `[ADDR]:PORT` for IPv6.
    public var description: String {
        address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
    }

    /// Decimal digits only, no sign, 1...65535, overflow-checked.
    private static func parsePort(_ digits: ArraySlice<UInt8>) -> UInt16? {
        guard !digits.isEmpty, digits.count <= 5 else { return nil }
        var value: UInt32 = 0
        for byte in digits {
            guard ASCII.isDigit(byte) else { return nil }
            value = value * 10 + UInt32(byte - ASCII.zero)
        }
        guard value >= 1, value <= UInt32(UInt16.max) else { return nil }
        return UInt16(value)
    }

    private static func isAddressLiteral(_ address: String) -> Bool {
        var storage = sockaddr_storage()
        var length: socklen_t = 0
        return cdkim_make_sockaddr(address, 0, &storage, &length) == 0
    }
}
