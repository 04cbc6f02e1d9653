import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real DNS server (dnsmasq) on 127.0.0.1 at a free port, serving the records it is given.
///
/// Reusable by any test that needs DNS:
/// ```swift
/// let server = try DNSServerFixture(records: [("s._domainkey.example.com", ["v=DKIM1; p=..."])])
/// let resolver = try SystemDNSResolver(nameserver: server.nameserver, timeout: 2)
/// ```
/// - `records`: each `(name, strings)` is one TXT record of those character-strings (each ≤ 255 printable
///   bytes, no `"`, `\` or `,`);
///   repeat a name for several records. Names not listed answer NXDOMAIN (`--local=/./`).
/// - `nodata`: names that exist (an A record) but have no TXT record: NOERROR with an empty answer.
/// - `cnames`: `alias` answers with a CNAME to `target` (a name given in `records`) plus the target's records.
/// - `servfail`: names answered SERVFAIL. They are forwarded to a second dnsmasq that serves unsigned data,
///   while the front server validates DNSSEC for them with the root trust anchor, so the answer is BOGUS
///   and the client sees a genuine SERVFAIL (dnsmasq has no direct way to answer SERVFAIL).
/// - `blackhole`: names that never get an answer: forwarded to a UDP socket this fixture binds and never reads.
/// - `addresses`: `(name, address)` A or AAAA records (`--host-record`; dnsmasq adds the matching PTR record).
/// - `mailExchangers`: `(name, exchange, preference)` MX records (`--mx-host`).
/// - `pointers`: `(name, target)` PTR records (`--ptr-record`), e.g. `("4.3.2.1.in-addr.arpa", "host.example")`.
///
/// The servers are stopped by PID in ``stop()`` and `deinit`. When dnsmasq is not installed, the
/// initialiser throws an error telling to run `scripts/install-deps`: DNS tests fail, they never skip.
public final class DNSServerFixture: @unchecked Sendable {
    public struct FixtureError: Error, CustomStringConvertible {
        public let description: String
    }

    /// `127.0.0.1:PORT`, the value for `--nameserver`.
    public let nameserver: String
    /// The port the front server listens on (UDP and TCP).
    public let port: UInt16

    private var processes: [Child] = []
    private var blackholeSocket: Int32 = -1
    private let directory: URL
    private let lock = NSLock()

    /// The KSK-2017 root trust anchor (DS record data), so the front server can validate DNSSEC.
    private static let rootTrustAnchor = "20326,8,2,E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D"

    /// Starts the servers; throws when dnsmasq is missing, the input cannot be served, or startup fails.
    public init(
        records: [(name: String, strings: [String])],
        nodata: [String] = [],
        cnames: [(alias: String, target: String)] = [],
        servfail: [String] = [],
        blackhole: [String] = [],
        addresses: [(name: String, address: String)] = [],
        mailExchangers: [(name: String, exchange: String, preference: UInt16)] = [],
        pointers: [(name: String, target: String)] = []
    ) throws {
        let binary = try Self.findDnsmasq()
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("dkim-dns-fixture-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)

        var frontArguments: [String] = []
        for (name, strings) in records {
            try Self.checkName(name)
            guard !strings.isEmpty else { throw FixtureError(description: "record \(name) has no string") }
            for string in strings {
                guard string.utf8.count <= 255,
                      string.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C && $0 != 0x2C })
                else {
                    throw FixtureError(description:
                        "TXT string for \(name) must be ≤ 255 printable bytes without '\"', '\\' or ','")
                }
            }
            // Passed without a shell: dnsmasq splits the strings at commas and keeps each byte-exact
            // (leading and trailing spaces included); quotes would be kept literally.
            frontArguments.append("--txt-record=\(name)," + strings.joined(separator: ","))
        }
        for name in nodata {
            try Self.checkName(name)
            frontArguments.append("--host-record=\(name),127.0.0.2")
        }
        for (name, address) in addresses {
            try Self.checkName(name)
            try Self.checkName(address)
            frontArguments.append("--host-record=\(name),\(address)")
        }
        for (name, exchange, preference) in mailExchangers {
            try Self.checkName(name)
            try Self.checkName(exchange)
            frontArguments.append("--mx-host=\(name),\(exchange),\(preference)")
        }
        for (name, target) in pointers {
            try Self.checkName(name)
            try Self.checkName(target)
            frontArguments.append("--ptr-record=\(name),\(target)")
        }
        for (alias, target) in cnames {
            try Self.checkName(alias)
            try Self.checkName(target)
            frontArguments.append("--cname=\(alias),\(target)")
        }

        var started: [Child] = []
        var blackholeFD: Int32 = -1
        var frontPort: UInt16 = 0
        do {
            if !blackhole.isEmpty {
                let (fd, blackholePort) = try Self.bindSilentUDPSocket()
                blackholeFD = fd
                for name in blackhole {
                    try Self.checkName(name)
                    frontArguments.append("--server=/\(name)/127.0.0.1#\(blackholePort)")
                }
            }
            if !servfail.isEmpty {
                var upstreamArguments: [String] = []
                for name in servfail {
                    try Self.checkName(name)
                    upstreamArguments.append("--txt-record=\(name),unsigned")
                }
                let (upstream, upstreamPort) = try Self.launch(
                    binary, upstreamArguments, log: "upstream", in: directory)
                started.append(upstream)
                frontArguments.append("--dnssec")
                frontArguments.append("--trust-anchor=.,\(Self.rootTrustAnchor)")
                for name in servfail {
                    frontArguments.append("--server=/\(name)/127.0.0.1#\(upstreamPort)")
                    frontArguments.append("--trust-anchor=\(name),\(Self.rootTrustAnchor)")
                }
            }
            let (front, listening) = try Self.launch(binary, frontArguments, log: "front", in: directory)
            started.append(front)
            frontPort = listening
        } catch {
            for process in started { Self.terminate(process) }
            if blackholeFD >= 0 { close(blackholeFD) }
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        processes = started
        blackholeSocket = blackholeFD
        port = frontPort
        nameserver = "127.0.0.1:\(frontPort)"
    }

    deinit { stop() }

    /// Stops the servers (SIGTERM by PID, then SIGKILL if needed) and closes the blackhole socket.
    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        for process in processes { Self.terminate(process) }
        processes = []
        if blackholeSocket >= 0 {
            close(blackholeSocket)
            blackholeSocket = -1
        }
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: Helpers

    static func findDnsmasq() throws -> String {
        let candidates = ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq", "/sbin/dnsmasq"]
            + (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/dnsmasq" }
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
            return found
        }
        throw FixtureError(description:
            "dnsmasq is not installed, so the DNS tests cannot run: run scripts/install-deps (as root) first.")
    }

    private static func checkName(_ name: String) throws {
        guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x2C && $0 != 0x2F && $0 != 0x23 })
        else { throw FixtureError(description: "fixture name \"\(name)\" is not a plain DNS name") }
    }

    /// A started server process, reaped by ``terminate(_:)``.
    final class Child: @unchecked Sendable {
        let pid: pid_t
        private(set) var reaped = false
        init(pid: pid_t) { self.pid = pid }

        var isRunning: Bool {
            guard !reaped else { return false }
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid || (result < 0 && errno == ECHILD) { reaped = true }
            return !reaped
        }

        func reap() {
            var status: Int32 = 0
            while !reaped {
                let result = waitpid(pid, &status, 0)
                if result == pid || (result < 0 && errno != EINTR) { reaped = true }
            }
        }
    }

    /// Starts dnsmasq on a free port; retries with another port when the chosen one was taken meanwhile.
    private static func launch(_ binary: String, _ extra: [String], log: String, in directory: URL) throws
        -> (Child, UInt16)
    {
        var lastError = "no attempt"
        for attempt in 0..<5 {
            let port = try freePort()
            let logPath = directory.appendingPathComponent("\(log)-\(attempt).log").path
            let arguments = [
                binary, "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--no-poll",
                "--port=\(port)", "--listen-address=127.0.0.1", "--bind-interfaces", "--pid-file=",
                "--log-facility=-", "--local=/./",
            ] + extra
            let child = try spawn(arguments, logPath: logPath)
            if waitUntilListening(port: port, child: child, seconds: 5) {
                return (child, port)
            }
            terminate(child)
            lastError = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "(no log)"
        }
        throw FixtureError(description: "dnsmasq did not start: \(lastError)")
    }

    /// posix_spawn with default signal dispositions and an empty signal mask: threads of the test process
    /// block most signals, and a child inheriting that mask would never act on SIGTERM.
    private static func spawn(_ arguments: [String], logPath: String) throws -> Child {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGPIPE, SIGUSR1, SIGUSR2, SIGALRM] {
            sigaddset(&defaults, signal)
        }
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, arguments[0], &actions, &attributes, &argv, environ)
        guard result == 0 else {
            throw FixtureError(description: "cannot start \(arguments[0]): \(String(cString: strerror(result)))")
        }
        return Child(pid: pid)
    }

    /// SIGTERM by PID, then SIGKILL after 3 s; always reaps the child.
    private static func terminate(_ child: Child) {
        guard child.isRunning else { return }
        kill(child.pid, SIGTERM)
        let deadline = Date().addingTimeInterval(3)
        while child.isRunning && Date() < deadline { usleep(10_000) }
        if child.isRunning {
            kill(child.pid, SIGKILL)
            child.reap()
        }
    }

    /// Picks a port that is free for both UDP and TCP on 127.0.0.1 right now.
    private static func freePort() throws -> UInt16 {
        for _ in 0..<20 {
            let (udp, port) = try bindSocket(type: Int32(SOCK_DGRAM.rawValue), port: 0)
            defer { close(udp) }
            if let (tcp, _) = try? bindSocket(type: Int32(SOCK_STREAM.rawValue), port: port) {
                close(tcp)
                return port
            }
        }
        throw FixtureError(description: "no free port on 127.0.0.1")
    }

    private static func bindSilentUDPSocket() throws -> (Int32, UInt16) {
        try bindSocket(type: Int32(SOCK_DGRAM.rawValue), port: 0)
    }

    private static func bindSocket(type: Int32, port: UInt16) throws -> (Int32, UInt16) {
        let fd = socket(AF_INET, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw FixtureError(description: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw FixtureError(description: "bind: \(reason)")
        }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else {
            close(fd)
            throw FixtureError(description: "getsockname failed")
        }
        return (fd, UInt16(bigEndian: address.sin_port))
    }

    /// Polls a TCP connect to the port until it succeeds, the process exits, or time runs out.
    private static func waitUntilListening(port: UInt16, child: Child, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            guard child.isRunning else { return false }
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            if fd >= 0 {
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = port.bigEndian
                address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                close(fd)
                if connected == 0 { return true }
            }
            usleep(20_000)
        }
        return false
    }
}
