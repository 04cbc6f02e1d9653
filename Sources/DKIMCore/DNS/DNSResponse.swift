/// A parsed DNS response to one query (RFC 1035 §4.1), reduced to the records of the asked type.
///
/// The parser is total: every length is checked against the message, compression pointers must
/// point backwards (so they cannot loop), and any inconsistency is a ``DNSResponse/ParseError``.
struct DNSResponse: Sendable {
    /// RFC 1035 §4.1.1 RCODE values the resolver distinguishes.
    enum RCode {
        static let noError: UInt8 = 0
        static let formatError: UInt8 = 1
        static let serverFailure: UInt8 = 2
        static let nameError: UInt8 = 3
        static let notImp: UInt8 = 4
        static let refused: UInt8 = 5
    }

    /// RFC 1035 §3.2.2 / §3.2.4 TYPE and CLASS values.
    enum RRType {
        static let cname: UInt16 = 5
        static let classIN: UInt16 = 1
    }

    /// A malformed message, as a sentence.
    struct ParseError: Error, Sendable {
        let sentence: String
        init(_ sentence: String) { self.sentence = sentence }
    }

    static let headerLength = 12
    /// RFC 1035 §4.1.4: at most this many compression pointers are followed in one name.
    static let maxPointerHops = 64
    /// CNAME chains longer than this inside one answer are refused.
    static let maxCNAMEHops = 8

    let id: UInt16
    let isResponse: Bool
    let opcode: UInt8
    let truncated: Bool
    let rcode: UInt8
    /// The records of the asked type at the query name, after following CNAMEs inside the answer section.
    /// Empty when the answer is truncated (the caller retries over TCP) or the rcode is not NOERROR.
    let records: [DNSRecordData]

    /// Reads only the 16-bit ID, for matching a datagram to its query.
    static func peekID(_ message: [UInt8]) -> UInt16? {
        guard message.count >= headerLength else { return nil }
        return UInt16(message[0]) << 8 | UInt16(message[1])
    }

    /// Parses `message`, a response to a `type`/IN query for `queryName` (lowercased, no trailing dot).
    init(parsing message: [UInt8], queryName: String, type queryType: DNSRecordType = .txt) throws(ParseError) {
        var reader = Reader(message: message)
        let id = try reader.u16()
        let flags = try reader.u16()
        let questionCount = try reader.u16()
        let answerCount = try reader.u16()
        _ = try reader.u16()  // NSCOUNT: authority records are not needed
        _ = try reader.u16()  // ARCOUNT
        self.id = id
        isResponse = flags & 0x8000 != 0
        opcode = UInt8((flags >> 11) & 0x0F)
        truncated = flags & 0x0200 != 0
        rcode = UInt8(flags & 0x000F)

        let wanted = Array(queryName.utf8)
        guard questionCount == 1 else {
            throw ParseError("The response has \(questionCount) questions instead of 1.")
        }
        let questionName = try reader.name()
        let questionType = try reader.u16()
        let questionClass = try reader.u16()
        guard questionName == wanted, questionType == queryType.wireType, questionClass == RRType.classIN else {
            throw ParseError("The response answers a different question than the one asked.")
        }
        guard !truncated, rcode == RCode.noError else {
            records = []
            return
        }

        var cnames: [[UInt8]: [UInt8]] = [:]
        var found: [(owner: [UInt8], record: DNSRecordData)] = []
        for _ in 0..<answerCount {
            let owner = try reader.name()
            let type = try reader.u16()
            let rrClass = try reader.u16()
            _ = try reader.u32()  // TTL: the caching resolver uses its own
            let rdLength = Int(try reader.u16())
            let rdStart = reader.offset
            let (rdEnd, overflow) = rdStart.addingReportingOverflow(rdLength)
            guard !overflow, rdEnd <= message.count else {
                throw ParseError("A resource record's data runs past the end of the message.")
            }
            if rrClass == RRType.classIN && type == RRType.cname {
                let target = try reader.name()
                guard reader.offset == rdEnd else { throw ParseError("A CNAME record has trailing bytes.") }
                cnames[owner] = target
            } else if rrClass == RRType.classIN && type == queryType.wireType {
                found.append((owner, try Self.recordData(queryType, in: &reader, end: rdEnd)))
            }
            reader.offset = rdEnd
        }

        // RFC 1034 §3.6.2: the answer may carry the CNAME chain followed by the records at its end.
        var target = wanted
        var hops = 0
        while let next = cnames[target] {
            hops += 1
            guard hops <= Self.maxCNAMEHops else { throw ParseError("The answer's CNAME chain is too long or loops.") }
            target = next
        }
        records = found.filter { $0.owner == target }.map(\.record)
    }

    /// Decodes the RDATA of one record of `type`, which runs from the reader's offset to `end`.
    static func recordData(_ type: DNSRecordType, in reader: inout Reader, end: Int) throws(ParseError)
        -> DNSRecordData
    {
        let start = reader.offset
        switch type {
        case .a:
            // RFC 1035 §3.4.1: a 32-bit Internet address.
            guard end - start == 4 else { throw ParseError("An A record's data is not 4 octets long.") }
            return .a(Array(reader.message[start..<end]))
        case .aaaa:
            // RFC 3596 §2.2: a 128-bit IPv6 address.
            guard end - start == 16 else { throw ParseError("An AAAA record's data is not 16 octets long.") }
            return .aaaa(Array(reader.message[start..<end]))
        case .mx:
            // RFC 1035 §3.3.9: a 16-bit PREFERENCE, then EXCHANGE, a possibly compressed domain name.
            guard end - start >= 3 else { throw ParseError("An MX record's data is too short.") }
            let preference = try reader.u16()
            let exchange = try reader.name()
            guard reader.offset == end else { throw ParseError("An MX record's exchange does not fill its data.") }
            return .mx(preference: preference, exchange: try text(exchange, what: "An MX exchange"))
        case .ptr:
            // RFC 1035 §3.3.12: PTRDNAME, a possibly compressed domain name.
            let target = try reader.name()
            guard reader.offset == end else { throw ParseError("A PTR record's name does not fill its data.") }
            return .ptr(try text(target, what: "A PTR name"))
        case .txt:
            return .txt(try txtStrings(reader.message[start..<end]))
        }
    }

    /// A decoded name as text: only printable ASCII other than space and backslash is accepted.
    static func text(_ name: [UInt8], what: String) throws(ParseError) -> String {
        guard name.allSatisfy({ $0 > ASCII.space && $0 < ASCII.delete && $0 != ASCII.backslash }) else {
            throw ParseError("\(what) contains a byte that is not printable ASCII.")
        }
        return String(decoding: name, as: UTF8.self)
    }

    /// RFC 1035 §3.3.14: TXT-DATA is one or more <character-string>s, each a length octet and that many octets.
    static func txtStrings(_ data: ArraySlice<UInt8>) throws(ParseError) -> DNSTXTRecord {
        guard !data.isEmpty else { throw ParseError("A TXT record has no character-string.") }
        var strings: [[UInt8]] = []
        var index = data.startIndex
        while index < data.endIndex {
            let length = Int(data[index])
            let start = index + 1
            guard start + length <= data.endIndex else {
                throw ParseError("A TXT character-string runs past the end of its record.")
            }
            strings.append(Array(data[start..<(start + length)]))
            index = start + length
        }
        return DNSTXTRecord(strings: strings)
    }

    /// A cursor over the message.
    struct Reader {
        let message: [UInt8]
        var offset = 0

        mutating func u16() throws(ParseError) -> UInt16 {
            guard offset + 2 <= message.count else { throw ParseError("The message ends in the middle of a field.") }
            defer { offset += 2 }
            return UInt16(message[offset]) << 8 | UInt16(message[offset + 1])
        }

        mutating func u32() throws(ParseError) -> UInt32 {
            let high = try u16()
            let low = try u16()
            return UInt32(high) << 16 | UInt32(low)
        }

        /// Reads a possibly compressed name (RFC 1035 §4.1.4), returned lowercased with dots, no trailing dot.
        mutating func name() throws(ParseError) -> [UInt8] {
            var result: [UInt8] = []
            var position = offset
            var resumeAt: Int?
            var hops = 0
            while true {
                guard position < message.count else { throw ParseError("A name runs past the end of the message.") }
                let length = message[position]
                if length & 0xC0 == 0xC0 {
                    guard position + 1 < message.count else { throw ParseError("A compression pointer is cut off.") }
                    let pointer = Int(length & 0x3F) << 8 | Int(message[position + 1])
                    guard pointer < position else {
                        throw ParseError("A compression pointer does not point backwards.")
                    }
                    hops += 1
                    guard hops <= DNSResponse.maxPointerHops else { throw ParseError("A name has too many pointers.") }
                    if resumeAt == nil { resumeAt = position + 2 }
                    position = pointer
                    continue
                }
                guard length & 0xC0 == 0 else { throw ParseError("A name uses a reserved label type.") }
                position += 1
                if length == 0 { break }
                let end = position + Int(length)
                guard end <= message.count else { throw ParseError("A label runs past the end of the message.") }
                if !result.isEmpty { result.append(ASCII.period) }
                result.append(contentsOf: message[position..<end].map(ASCII.lowercased))
                guard result.count <= 255 else { throw ParseError("A name is longer than 255 octets.") }
                position = end
            }
            offset = resumeAt ?? position
            return result
        }
    }
}
