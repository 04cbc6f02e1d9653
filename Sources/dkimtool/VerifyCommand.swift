import ArgumentParser
import DKIMCore

/// `dkimtool verify`: a per-signature verdict for saved messages.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify every DKIM signature of saved messages, Maildirs and mbox files.",
        discussion: """
            Arguments may be message files (.eml; bare-LF files accepted), directories (walked recursively; in a \
            Maildir only cur/, new/ and .Folder subfolders), or mbox files (detected by a first line starting \
            with "From ", or all files with --mbox; mboxrd ">From " quoting is undone). Each message keeps a stable \
            identity: its path, or for an mbox path#N@offset (JSON: "file", "message", "offset"). Prints one \
            verdict per message: in text, a line per signature and the Authentication-Results line; in JSON, one \
            object per message per line. A summary (verdicts, signing domains, top failure reasons) follows in \
            text when more than one message was verified, and with --summary also as a last JSON object. Exit \
            status, the worst over all messages: 0 every message passed; 1 a message did not pass; 75 the only \
            failures were temporary (DNS); 65 a message could not be parsed; 66 an input is missing or \
            unreadable; 64 usage error.
            """
    )

    @OptionGroup var keySource: KeySourceOptions

    @Option(help: "Output format: text or json (JSON Lines, one object per message).")
    var format: OutputFormat = .text

    @Option(name: .customLong("authserv-id"), help: "The authserv-id of the Authentication-Results line.")
    var authservID: String?

    @Option(help: ArgumentHelp("Verify as if the time were this (seconds since the epoch).", valueName: "EPOCH"))
    var now: Int64?

    @Option(name: .customLong("min-key-bits"), help: "Refuse RSA keys smaller than this (at least 1024, RFC 8301).")
    var minKeyBits: Int = 1024

    @Option(name: .customLong("max-signatures"), help: "Evaluate at most this many signatures per message.")
    var maxSignatures: Int = 10

    @Flag(help: "Read every input file as an mbox (files starting with a From line are read as mboxes anyway).")
    var mbox = false

    @Flag(inversion: .prefixedNo,
          help: "Print a summary at the end (default: in text output when more than one message was verified).")
    var summary: Bool?

    @Flag(inversion: .prefixedNo,
          help: "Show a progress line on standard error (default: when it is a terminal and the output is text).")
    var progress: Bool?

    @Argument(help: "Message files, directories (Maildir included) or mbox files; - or nothing for standard input.")
    var files: [String] = []

    func validate() throws {
        guard minKeyBits >= 1024, minKeyBits <= 8192 else {
            throw ValidationError("--min-key-bits must be between 1024 and 8192.")
        }
        guard maxSignatures >= 1 else { throw ValidationError("--max-signatures must be at least 1.") }
    }

    func run() async throws {
        var options = VerifyOptions(resolver: try keySource.makeResolver())
        if let now { options.clock = { now } }
        options.minimumKeyBits = minKeyBits
        options.maxSignatures = maxSignatures

        let inputs = MailStore.expand(files.isEmpty ? ["-"] : files)
        let showProgress = progress ?? (format == .text && VerifyProgress.standardErrorIsTerminal)
        var batch = VerifyBatch(
            verifier: DKIMVerifier(options: options), format: format,
            authservID: authservID ?? Console.hostName(), forceMbox: mbox,
            progress: VerifyProgress(enabled: showProgress))
        if showProgress { batch.progress.total = VerifyBatch.countMessages(inputs, forceMbox: mbox) }
        for input in inputs {
            switch input {
            case .file(let path):
                await batch.verifyFile(path)
            case .unreadable(_, let message):
                batch.failed(FileIOError(kind: .input, description: message), identity: nil)
            }
        }
        batch.progress.finish()
        if summary ?? (format == .text && batch.summary.messages > 1) {
            switch format {
            case .text: Console.out(batch.summary.text())
            case .json: Console.out(try Console.json(VerifySummaryJSON(summary: batch.summary)))
            }
        }
        if let status = batch.tally.exitCode { throw status }
    }
}

/// The state of one `verify` run over all its inputs: verifier, counts, summary, progress.
struct VerifyBatch {
    let verifier: DKIMVerifier
    let format: OutputFormat
    let authservID: String
    let forceMbox: Bool
    var progress: VerifyProgress
    var tally = VerdictTally()
    var summary = VerifySummary()

    init(verifier: DKIMVerifier, format: OutputFormat, authservID: String, forceMbox: Bool,
         progress: VerifyProgress) {
        self.verifier = verifier
        self.format = format
        self.authservID = authservID
        self.forceMbox = forceMbox
        self.progress = progress
    }

    /// Verifies the message or the mbox at `path`; an mbox streams, one message at a time.
    mutating func verifyFile(_ path: String) async {
        do {
            var reader = try ChunkReader(path: path)
            let first = try reader.next() ?? []
            guard forceMbox || MboxSplitter.looksLikeMbox(first) else {
                // One message: streamed through the verifier, so memory stays flat whatever its size.
                try await verifyStreaming(first: first, rest: &reader, identity: MessageIdentity(path: path))
                return
            }
            // An empty file given with --mbox is an mbox of no messages.
            guard first.isEmpty || MboxSplitter.looksLikeMbox(first) else {
                throw MboxError(description: "not an mbox: the first line is not a From line")
            }
            var splitter = MboxSplitter()
            var chunk: [UInt8]? = first
            while let bytes = chunk {
                for message in splitter.feed(bytes) {
                    await verify(message.bytes, identity: MessageIdentity(
                        path: path, message: message.number, offset: message.offset))
                }
                chunk = try reader.next()
            }
            for message in splitter.finish() {
                await verify(message.bytes, identity: MessageIdentity(
                    path: path, message: message.number, offset: message.offset))
            }
        } catch {
            failed(error, identity: MessageIdentity(path: path))
        }
    }

    /// Verifies one message read in chunks (the first already read) and prints its result.
    mutating func verifyStreaming(first: [UInt8], rest reader: inout ChunkReader,
                                  identity: MessageIdentity) async throws {
        do {
            // RFC 6376 §5.3: a saved file may use local line endings; verify its CRLF form.
            var stream = verifier.makeStream()
            var normalizer = LineEndings.Normalizer()
            var crlf: [UInt8] = []
            var chunk: [UInt8]? = first
            while let bytes = chunk {
                crlf.removeAll(keepingCapacity: true)
                bytes.withUnsafeBytes { normalizer.normalize($0, into: &crlf) }
                try stream.update(crlf)
                chunk = try reader.next()
            }
            show(try await stream.finish(), identity: identity)
        } catch let error as DKIMError {
            failed(error, identity: identity)
        }
    }

    /// Verifies one message and prints its result.
    mutating func verify(_ message: [UInt8], identity: MessageIdentity) async {
        do {
            // RFC 6376 §5.3: a saved file may use local line endings; verify its CRLF form.
            show(try await verifier.verify(message: LineEndings.normalizeToCRLF(message)), identity: identity)
        } catch {
            failed(error, identity: identity)
        }
    }

    /// Prints one message's result and counts it.
    mutating func show(_ outcome: MessageVerification, identity: MessageIdentity) {
        do {
            let line = switch format {
            case .text: VerificationText.render(outcome, file: identity.display, authservID: authservID)
            case .json: try Console.json(VerifiedMessageJSON(outcome, identity: identity))
            }
            tally.add(outcome.result)
            summary.add(outcome)
            progress.clear()
            Console.out(line)
            progress.advance()
        } catch {
            failed(error, identity: identity)
        }
    }

    /// Reports an input or message that could not be verified.
    mutating func failed(_ error: any Error, identity: MessageIdentity?) {
        progress.clear()
        Console.report(error, context: identity?.display ?? "")
        tally.add(error)
        summary.add(error)
        progress.advance()
    }

    /// The number of messages the inputs hold (mboxes are counted), or nil when standard input is one of them.
    static func countMessages(_ inputs: [MailStore.Input], forceMbox: Bool) -> Int? {
        var total = 0
        for input in inputs {
            guard case .file(let path) = input else {
                total += 1
                continue
            }
            if path == "-" { return nil }
            total += isMbox(path, forceMbox: forceMbox) ? ((try? MboxSplitter.countMessages(path: path)) ?? 1) : 1
        }
        return total
    }

    private static func isMbox(_ path: String, forceMbox: Bool) -> Bool {
        guard !forceMbox else { return true }
        guard var reader = try? ChunkReader(path: path), let first = try? reader.next() else { return false }
        return MboxSplitter.looksLikeMbox(first)
    }
}

/// An input given as an mbox that is not one.
struct MboxError: Error, CustomStringConvertible {
    let description: String
}

/// The exit status of a batch: the most serious outcome wins.
struct VerdictTally {
    private var unreadable = false
    private var malformed = false
    private var failed = false
    private var temporary = false

    mutating func add(_ result: DKIMResult) {
        switch result {
        case .pass: break
        case .temperror: temporary = true
        default: failed = true
        }
    }

    mutating func add(_ error: any Error) {
        if SysExit.code(for: error) == SysExit.inputMissing { unreadable = true } else { malformed = true }
    }

    var exitCode: ExitCode? {
        if unreadable { return SysExit.inputMissing }
        if malformed { return SysExit.malformedInput }
        if failed { return SysExit.notPassed }
        if temporary { return SysExit.temporaryFailure }
        return nil
    }
}

/// The text form: a verdict line, a line per signature with its reason, warnings, the Authentication-Results line.
enum VerificationText {
    static func render(_ outcome: MessageVerification, file: String, authservID: String) -> String {
        var lines = ["\(Console.printable(file)): \(outcome.result.rawValue)"]
        if outcome.signatures.isEmpty {
            lines.append("  no DKIM-Signature field")
        }
        for signature in outcome.signatures {
            var words = ["  signature \(signature.index + 1): \(signature.result.rawValue)"]
            if let reason = signature.reason { words.append("(\(reason.rawValue))") }
            if let domain = signature.domain { words.append("d=" + Console.printable(domain)) }
            if let selector = signature.selector { words.append("s=" + Console.printable(selector)) }
            if let algorithm = signature.algorithm { words.append("a=" + Console.printable(algorithm)) }
            lines.append(words.joined(separator: " "))
            lines.append("    " + Console.printable(signature.explanation))
            for warning in signature.warnings {
                lines.append("    warning: " + Console.printable(warning.message))
            }
        }
        lines.append("  " + AuthenticationResults.headerField(for: outcome, authservID: authservID))
        return lines.joined(separator: "\n")
    }
}

/// The JSON of one verified message (ARCHITECTURE.md §6).
struct VerifiedMessageJSON: Encodable {
    struct Signature: Encodable {
        var index: Int
        var result: String
        var reason: String?
        var explanation: String
        var domain: String?
        var selector: String?
        var algorithm: String?
        var canonicalization: String?
        var identity: String?
        var signedHeaders: [String]?
        var bodyLength: Int?
        var timestamp: Int64?
        var expiration: Int64?
        var keyBits: Int?
        var testing: Bool
        var warnings: [WarningJSON]

        // Optional fields are written as null rather than left out, so every object has the same keys.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(index, forKey: .index)
            try container.encode(result, forKey: .result)
            try container.encode(reason, forKey: .reason)
            try container.encode(explanation, forKey: .explanation)
            try container.encode(domain, forKey: .domain)
            try container.encode(selector, forKey: .selector)
            try container.encode(algorithm, forKey: .algorithm)
            try container.encode(canonicalization, forKey: .canonicalization)
            try container.encode(identity, forKey: .identity)
            try container.encode(signedHeaders, forKey: .signedHeaders)
            try container.encode(bodyLength, forKey: .bodyLength)
            try container.encode(timestamp, forKey: .timestamp)
            try container.encode(expiration, forKey: .expiration)
            try container.encode(keyBits, forKey: .keyBits)
            try container.encode(testing, forKey: .testing)
            try container.encode(warnings, forKey: .warnings)
        }

        private enum CodingKeys: String, CodingKey {
            case index, result, reason, explanation, domain, selector, algorithm, canonicalization, identity
            case signedHeaders, bodyLength, timestamp, expiration, keyBits, testing, warnings
        }
    }

    /// The path (`-` for standard input).
    var file: String
    /// For a message of an mbox: its 1-based number and the byte offset of its `From ` line; absent otherwise.
    var message: Int?
    var offset: Int?
    var result: String
    var signatures: [Signature]
    var authenticationResults: String

    init(_ outcome: MessageVerification, identity: MessageIdentity) {
        file = identity.path
        message = identity.message
        offset = identity.offset
        result = outcome.result.rawValue
        authenticationResults = AuthenticationResults.results(for: outcome)
        signatures = outcome.signatures.map { item in
            let parsed = item.signature
            return Signature(
                index: item.index, result: item.result.rawValue, reason: item.reason?.rawValue,
                explanation: item.explanation, domain: item.domain, selector: item.selector,
                algorithm: item.algorithm, canonicalization: parsed?.canonicalization.tagValue,
                identity: parsed?.effectiveIdentity, signedHeaders: parsed?.signedHeaders.map { $0.lowercased() },
                bodyLength: parsed?.bodyLength, timestamp: parsed?.timestamp, expiration: parsed?.expiration,
                keyBits: item.keyBits, testing: item.testing,
                warnings: item.warnings.map { WarningJSON(code: $0.code, message: $0.message) })
        }
    }
}
