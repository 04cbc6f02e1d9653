import CDKIMResolv
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Looks up records (TXT for DKIM; A, AAAA, MX, PTR, TXT for SPF) in the real DNS through the C resolver
/// (glibc libresolv).
///
/// The query is built by `res_nmkquery` with a per-call resolver state; sending, retrying and
/// parsing are done here so that ``Options/timeout`` bounds the whole lookup (glibc's own retry
/// schedule can run past any timeout it is given). A UDP answer with the TC bit set is asked
/// again over TCP (RFC 1035 §4.2.2, RFC 7766 §5).
///
/// Outcome mapping (RFC 6376 §6.1.2):
/// - NOERROR with TXT records at the name (after CNAMEs in the answer) → ``TXTLookupResult/records(_:)``
/// - NXDOMAIN, or NOERROR without a TXT record (NODATA) → ``TXTLookupResult/notFound``
/// - SERVFAIL, REFUSED (from every server), no answer within the timeout, network errors →
///   ``TXTLookupResult/temporaryFailure(_:)``
/// - FORMERR, NOTIMP, any other rcode, a malformed answer, or an invalid query name →
///   ``TXTLookupResult/permanentFailure(_:)``: asking again will not give a different answer.
///
/// The blocking socket work runs on a Dispatch queue, never on Swift's cooperative thread pool.
/// - Warning: plain DNS is neither authenticated nor encrypted; an on-path attacker can forge key records.
public struct SystemDNSResolver: DKIMKeyResolver, DNSQuerying {
    /// How lookups are performed.
    public struct Options: Sendable, Hashable {
        /// The total time budget for one lookup in seconds, including every retry and the TCP fallback.
        public var timeout: Double
        /// How many times each name server is asked over UDP before giving up (1 to 10).
        public var attempts: Int
        /// Servers to ask instead of those in `/etc/resolv.conf`; empty means the system's.
        public var nameservers: [DNSNameserver]

        /// Creates options; the defaults are a 5 s budget, 2 attempts, the system's name servers.
        public init(timeout: Double = 5, attempts: Int = 2, nameservers: [DNSNameserver] = []) {
            self.timeout = timeout
            self.attempts = attempts
            self.nameservers = nameservers
        }
    }

    /// The largest accepted ``Options/attempts``.
    public static let maxAttempts = 10
    /// The largest accepted ``Options/timeout``, in seconds.
    public static let maxTimeout = 600.0

    /// The options in force.
    public let options: Options

    /// Creates a resolver after checking `options`.
    ///
    /// - Parameter options: timeout, attempts and name server override.
    /// - Throws: ``DKIMError`` `.invalidOption` when the timeout is not in (0, 600] or attempts not in 1...10.
    public init(options: Options = Options()) throws {
        guard options.timeout.isFinite, options.timeout > 0, options.timeout <= Self.maxTimeout else {
            throw DKIMError(.invalidOption,
                            "DNS timeout must be more than 0 and at most \(Int(Self.maxTimeout)) seconds.")
        }
        guard (1...Self.maxAttempts).contains(options.attempts) else {
            throw DKIMError(.invalidOption, "DNS attempts must be from 1 to \(Self.maxAttempts).")
        }
        self.options = options
    }

    /// Creates a resolver that asks one name server given as `HOST[:PORT]` (the `--nameserver` option).
    ///
    /// - Parameters:
    ///   - nameserver: e.g. `127.0.0.1:5353`, `[::1]:5353`, `2001:db8::53`.
    ///   - timeout: the total budget for one lookup in seconds.
    /// - Throws: ``DKIMError`` `.invalidOption` when the server or timeout is invalid.
    public init(nameserver: String, timeout: Double = 5) throws {
        try self.init(options: Options(timeout: timeout, nameservers: [DNSNameserver(parsing: nameserver)]))
    }

    /// Looks up the TXT records at `name`; see the type's documentation for the outcome mapping.
    public func lookupTXT(_ name: String) async -> TXTLookupResult {
        TXTLookupResult(await query(name, type: .txt))
    }

    /// Looks up the records of `type` at `name`, telling NXDOMAIN (``DNSQueryResult/nameNotFound``) from
    /// NODATA (``DNSQueryResult/noData``); failures map as for ``lookupTXT(_:)``.
    ///
    /// - Parameters:
    ///   - name: the name to look up; a trailing dot is ignored, case does not matter.
    ///   - type: the record type wanted.
    public func query(_ name: String, type: DNSRecordType) async -> DNSQueryResult {
        let normalized: String
        switch DNSName.normalize(name) {
        case .success(let value): normalized = value
        case .failure(let error): return .permanentFailure(error.sentence)
        }
        let options = options
        // The budget starts now, so time spent waiting for a thread counts against the timeout too.
        let deadline = DNSExchange.monotonicNow() + options.timeout
        // A private serial queue per lookup runs on an overcommitting Dispatch thread: a lookup blocked in
        // poll(2) neither holds a cooperative-pool thread nor waits behind other blocked lookups (the global
        // concurrent queues run only as many threads as there are cores).
        return await withCheckedContinuation { continuation in
            DispatchQueue(label: "DKIMCore.SystemDNSResolver.lookup").async {
                continuation.resume(returning: DNSExchange.query(normalized, type: type, options: options,
                                                                 deadline: deadline))
            }
        }
    }
}

/// The blocking part of ``SystemDNSResolver``: query building, UDP/TCP exchange, outcome mapping.
enum DNSExchange {
    /// A socket address to send to, with a printable form for failure reasons.
    struct Server {
        var storage: sockaddr_storage
        var length: socklen_t
        var label: String
    }

    enum Outcome {
        case response([UInt8])
        case timedOut
        case failed(String)
    }

    /// RFC 1035 §2.3.4: a UDP message is at most 512 octets without EDNS; TCP messages at most 65535.
    static let maxMessage = 65_535

    /// A TXT lookup in the DKIM view (NXDOMAIN and NODATA are both "not found").
    static func lookup(_ name: String, options: SystemDNSResolver.Options, deadline: Double) -> TXTLookupResult {
        TXTLookupResult(query(name, type: .txt, options: options, deadline: deadline))
    }

    static func query(_ name: String, type: DNSRecordType, options: SystemDNSResolver.Options,
                      deadline: Double) -> DNSQueryResult {
        let servers: [Server]
        switch resolveServers(options.nameservers) {
        case .success(let list): servers = list
        case .failure(let error): return .temporaryFailure(error.sentence)
        }
        var query = [UInt8](repeating: 0, count: 512)
        let queryLength = makeQuery(name, type: type, into: &query)
        guard queryLength > DNSResponse.headerLength else {
            return .permanentFailure("The name \"\(name)\" could not be encoded as a DNS query.")
        }
        query.removeSubrange(Int(queryLength)...)

        var lastFailure = "No DNS server answered within \(options.timeout) seconds."
        var refusedBy = Set<Int>()  // servers that answered SERVFAIL/REFUSED are not asked again
        let tries = options.attempts * servers.count
        for attempt in 0..<tries {
            let index = attempt % servers.count
            if refusedBy.contains(index) {
                if refusedBy.count == servers.count { break }
                continue
            }
            let server = servers[index]
            let remaining = deadline - monotonicNow()
            if remaining <= 0 { break }
            // Share what is left of the budget between the tries still to come.
            let slice = remaining / Double(tries - attempt)
            var outcome = udpExchange(query, server: server, deadline: monotonicNow() + slice)
            if case .response(let bytes) = outcome, isTruncated(bytes) {
                outcome = tcpExchange(query, server: server, deadline: deadline)
            }
            switch outcome {
            case .timedOut:
                lastFailure = "DNS query for \(name) to \(server.label) timed out."
            case .failed(let reason):
                lastFailure = "DNS query for \(name) to \(server.label) failed: \(Sentence.closed(reason))"
            case .response(let bytes):
                // RFC 6376 §6.1.2: only a key record that does not exist is a permanent failure. A broken answer,
                // or an error code other than NXDOMAIN, says nothing about the record: try the next server, and
                // fail temporarily at the end (RFC 7208 §5 treats them as temperror too).
                let response: DNSResponse
                do {
                    response = try DNSResponse(parsing: bytes, queryName: name, type: type)
                } catch {
                    lastFailure = "Malformed DNS answer for \(name) from \(server.label): \(error.sentence)"
                    continue
                }
                switch response.rcode {
                case DNSResponse.RCode.noError:
                    if response.truncated {
                        lastFailure = "DNS answer for \(name) from \(server.label) is truncated even over TCP."
                        continue
                    }
                    return response.records.isEmpty ? .noData : .answers(response.records)
                case DNSResponse.RCode.nameError:
                    return .nameNotFound
                case DNSResponse.RCode.serverFailure:
                    lastFailure = "DNS server \(server.label) answered SERVFAIL for \(name)."
                    refusedBy.insert(index)
                case DNSResponse.RCode.refused:
                    lastFailure = "DNS server \(server.label) answered REFUSED for \(name)."
                    refusedBy.insert(index)
                case DNSResponse.RCode.formatError:
                    lastFailure = "DNS server \(server.label) answered FORMERR for \(name)."
                    refusedBy.insert(index)
                case DNSResponse.RCode.notImp:
                    lastFailure = "DNS server \(server.label) answered NOTIMP for \(name)."
                    refusedBy.insert(index)
                default:
                    lastFailure = "DNS server \(server.label) answered rcode \(response.rcode) for \(name)."
                    refusedBy.insert(index)
                }
            }
        }
        return .temporaryFailure(lastFailure)
    }

    /// Builds a `type`/IN query for `name` with `res_nmkquery` into `buffer`; returns its length or -1.
    static func makeQuery(_ name: String, type: DNSRecordType = .txt, into buffer: inout [UInt8]) -> Int {
        Int(cdkim_make_query(name, Int32(type.wireType), &buffer, Int32(buffer.count)))
    }

    static func isTruncated(_ message: [UInt8]) -> Bool {
        message.count >= DNSResponse.headerLength && message[2] & 0x02 != 0
    }

    struct SetupError: Error {
        let sentence: String
    }

    static func resolveServers(_ overrides: [DNSNameserver]) -> Result<[Server], SetupError> {
        var servers: [Server] = []
        if overrides.isEmpty {
            var storage = [sockaddr_storage](repeating: sockaddr_storage(), count: Int(MAXNS))
            let count = cdkim_system_nameservers(&storage, Int32(storage.count))
            guard count > 0 else {
                return .failure(SetupError(sentence: "No DNS server is configured in /etc/resolv.conf."))
            }
            for address in storage.prefix(Int(count)) {
                servers.append(Server(storage: address, length: cdkim_sockaddr_length([address]),
                                      label: format(address)))
            }
        } else {
            for nameserver in overrides {
                var storage = sockaddr_storage()
                var length: socklen_t = 0
                guard cdkim_make_sockaddr(nameserver.address, nameserver.port, &storage, &length) == 0 else {
                    return .failure(SetupError(sentence: "Nameserver \(nameserver) is not an address literal."))
                }
                servers.append(Server(storage: storage, length: length, label: nameserver.description))
            }
        }
        return .success(servers)
    }

    static func format(_ address: sockaddr_storage) -> String {
        var text = [CChar](repeating: 0, count: 80)
        guard cdkim_format_sockaddr([address], &text, text.count) == 0 else { return "(unknown address)" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Sockets

    static func monotonicNow() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// Milliseconds until `deadline`, for poll(2); 0 when it has passed.
    static func millisecondsUntil(_ deadline: Double) -> Int32 {
        let remaining = (deadline - monotonicNow()) * 1000
        if remaining <= 0 { return 0 }
        return Int32(min(remaining.rounded(.up), Double(Int32.max)))
    }

    static func errnoSentence(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    static func withSocketAddress<T>(_ server: Server, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        var storage = server.storage
        return withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, server.length) }
        }
    }

    /// Waits until `fd` is ready for `events` or the deadline passes. Returns false on timeout.
    static func wait(_ fd: Int32, _ events: Int16, until deadline: Double) -> Result<Bool, SetupError> {
        while true {
            var pollfd = Glibc.pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&pollfd, 1, millisecondsUntil(deadline))
            if ready > 0 { return .success(true) }
            if ready == 0 { return .success(false) }
            if errno == EINTR { continue }
            return .failure(SetupError(sentence: errnoSentence(errno)))
        }
    }

    static func udpExchange(_ query: [UInt8], server: Server, deadline: Double) -> Outcome {
        let fd = socket(Int32(server.storage.ss_family), Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failed("cannot open a UDP socket: \(errnoSentence(errno))") }
        defer { close(fd) }
        // A connected UDP socket only receives datagrams from the server, and reports ICMP errors.
        let connected = withSocketAddress(server) { connect(fd, $0, $1) }
        guard connected == 0 else { return .failed(errnoSentence(errno)) }
        let sent = query.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == query.count else { return .failed("send: \(errnoSentence(errno))") }
        let expectedID = DNSResponse.peekID(query)
        var buffer = [UInt8](repeating: 0, count: maxMessage)
        while true {
            switch wait(fd, Int16(POLLIN), until: deadline) {
            case .failure(let error): return .failed(error.sentence)
            case .success(false): return .timedOut
            case .success(true): break
            }
            let received = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if received < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return .failed(errnoSentence(errno))
            }
            let message = Array(buffer.prefix(received))
            // A datagram that is not the answer to this query (stale or spoofed) is ignored, not trusted: its ID,
            // its QR bit and its question must all match (RFC 5452 §3).
            guard DNSResponse.peekID(message) == expectedID, message[2] & 0x80 != 0,
                  repeatsQuestion(of: query, in: message) else { continue }
            return .response(message)
        }
    }

    /// Whether `message` holds one question, and it is `query`'s: the same name (ASCII case aside, RFC 4343
    /// §3), type and class. `query` is what ``makeQuery(_:type:into:)`` built: header, name, type, class.
    static func repeatsQuestion(of query: [UInt8], in message: [UInt8]) -> Bool {
        let header = DNSResponse.headerLength
        guard message.count >= query.count, query.count > header + 4, message[4] == 0, message[5] == 1 else {
            return false
        }
        let typeAndClass = query.count - 4
        for index in header..<typeAndClass where ASCII.lowercased(message[index]) != ASCII.lowercased(query[index]) {
            return false
        }
        return message[typeAndClass..<query.count].elementsEqual(query[typeAndClass...])
    }

    static func tcpExchange(_ query: [UInt8], server: Server, deadline: Double) -> Outcome {
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        let fd = socket(Int32(server.storage.ss_family), type, 0)
        guard fd >= 0 else { return .failed("cannot open a TCP socket: \(errnoSentence(errno))") }
        defer { close(fd) }
        let connected = withSocketAddress(server) { connect(fd, $0, $1) }
        if connected != 0 {
            guard errno == EINPROGRESS else { return .failed("TCP connect: \(errnoSentence(errno))") }
            switch wait(fd, Int16(POLLOUT), until: deadline) {
            case .failure(let error): return .failed(error.sentence)
            case .success(false): return .timedOut
            case .success(true): break
            }
            var socketError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &length) == 0, socketError == 0 else {
                return .failed("TCP connect: \(errnoSentence(socketError))")
            }
        }
        // RFC 1035 §4.2.2: over TCP each message is preceded by its two-octet length.
        let framed = [UInt8(query.count >> 8), UInt8(query.count & 0xFF)] + query
        var written = 0
        while written < framed.count {
            let count = framed[written...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count > 0 {
                written += count
                continue
            }
            guard count < 0, errno == EAGAIN || errno == EINTR else {
                return .failed("TCP send: \(errnoSentence(errno))")
            }
            switch wait(fd, Int16(POLLOUT), until: deadline) {
            case .failure(let error): return .failed(error.sentence)
            case .success(false): return .timedOut
            case .success(true): break
            }
        }
        var lengthPrefix: [UInt8] = []
        switch readExactly(fd, 2, into: &lengthPrefix, until: deadline) {
        case .some(let failure): return failure
        case .none: break
        }
        let length = Int(lengthPrefix[0]) << 8 | Int(lengthPrefix[1])
        guard length >= DNSResponse.headerLength else { return .failed("TCP answer is too short") }
        var message: [UInt8] = []
        if let failure = readExactly(fd, length, into: &message, until: deadline) { return failure }
        guard DNSResponse.peekID(message) == DNSResponse.peekID(query) else {
            return .failed("TCP answer has a foreign ID")
        }
        return .response(message)
    }

    /// Reads exactly `count` bytes; returns nil on success or the outcome to report.
    static func readExactly(_ fd: Int32, _ count: Int, into output: inout [UInt8], until deadline: Double) -> Outcome? {
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let received = buffer[filled...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if received > 0 {
                filled += received
                continue
            }
            if received == 0 { return .failed("the server closed the TCP connection early") }
            guard errno == EAGAIN || errno == EINTR else { return .failed("TCP receive: \(errnoSentence(errno))") }
            switch wait(fd, Int16(POLLIN), until: deadline) {
            case .failure(let error): return .failed(error.sentence)
            case .success(false): return .timedOut
            case .success(true): break
            }
        }
        output = buffer
        return nil
    }
}
