#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import ArgumentParser
import DKIMCore

extension SysExit {
    /// A message did not pass verification, or a checked record has a fault.
    static let notPassed = ExitCode(1)
    /// EX_USAGE: a usage error found after argument parsing (e.g. an option the library refused).
    static let usage = ExitCode(64)
    /// EX_TEMPFAIL: a temporary failure, usually DNS; retrying later may succeed.
    static let temporaryFailure = ExitCode(75)

    /// The sysexits code for an error that reached a command.
    static func code(for error: any Error) -> ExitCode {
        switch error {
        case let error as ExitCode: error
        case let error as FileIOError: error.kind == .input ? inputMissing : cannotCreateOutput
        case let error as DKIMError where error.code == .invalidOption: usage
        default: malformedInput
        }
    }
}

extension Console {
    /// Reports an error about `context` (usually a file) on standard error; exit codes already printed are silent.
    static func report(_ error: any Error, context: String) {
        switch error {
        case is ExitCode: break
        case let error as FileIOError: Console.error(printable(error.description))
        case let error as DKIMError: Console.error("\(printable(context)): \(printable(error.reason))")
        default: Console.error("\(printable(context)): \(printable(String(describing: error)))")
        }
    }

    /// Replaces control characters, so text from a message cannot move the cursor or forge output lines.
    ///
    /// Besides the C0/C1 controls and DEL, the Unicode line and paragraph separators (U+2028, U+2029, which some
    /// tools treat as line ends) and the bidirectional formatting characters (U+200E/F, U+202A–U+202E,
    /// U+2066–U+2069, which reorder what a terminal shows) are replaced too.
    static func printable(_ text: String) -> String {
        // The common case, printable ASCII only, is returned as it is without building a new string.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            isUnsafe(scalar.value) ? "?" : scalar
        }))
    }

    private static func isUnsafe(_ value: UInt32) -> Bool {
        value < 0x20 || value == 0x7F || (0x80..<0xA0).contains(value) || value == 0x200E || value == 0x200F
            || (0x2028...0x202E).contains(value) || (0x2066...0x2069).contains(value)
    }

    /// This host's name, the default authserv-id (RFC 8601 §2.5).
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Where key records come from: `--txt-records FILE` (offline), or DNS (optionally `--nameserver`).
struct KeySourceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Ask this DNS server instead of the system's.", valueName: "HOST[:PORT]"))
    var nameserver: String?

    @Option(name: .customLong("txt-records"),
            help: ArgumentHelp("Read key records from FILE (lines of NAME VALUE) instead of DNS.", valueName: "FILE"))
    var txtRecords: String?

    @Option(help: "DNS timeout in seconds for one lookup, retries included.")
    var timeout: Double = 5

    func validate() throws {
        if nameserver != nil, txtRecords != nil {
            throw ValidationError("Use --nameserver or --txt-records, not both.")
        }
        guard timeout > 0, timeout <= 60 else { throw ValidationError("--timeout must be between 0 and 60 seconds.") }
    }

    /// The resolver the options ask for; DNS answers are cached for the process (batches hit the same keys).
    func makeResolver() throws -> any DKIMKeyResolver {
        if let txtRecords {
            do {
                return try TXTRecordFileResolver(contentsOfFile: txtRecords)
            } catch let error as DKIMError {
                let status = error.code == .unreadableInput ? SysExit.inputMissing : SysExit.malformedInput
                throw Console.fail(error.reason, status)
            }
        }
        do {
            let nameservers = try nameserver.map { [try DNSNameserver(parsing: $0)] } ?? []
            let options = SystemDNSResolver.Options(timeout: timeout, nameservers: nameservers)
            return try CachingKeyResolver(wrapping: try SystemDNSResolver(options: options))
        } catch let error as DKIMError {
            throw Console.fail(error.reason, SysExit.usage)
        }
    }
}

extension WarningJSON {
    init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}
