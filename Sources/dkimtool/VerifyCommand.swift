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

    @Option(help: "Messages verified at once (default: the number of cores this process may run on).")
    var jobs: Int?

    @Argument(help: "Message files, directories (Maildir included) or mbox files; - or nothing for standard input.")
    var files: [String] = []

    func validate() throws {
        guard minKeyBits >= 1024, minKeyBits <= 8192 else {
            throw ValidationError("--min-key-bits must be between 1024 and 8192.")
        }
        guard maxSignatures >= 1 else { throw ValidationError("--max-signatures must be at least 1.") }
        if let jobs, jobs < 1 || jobs > 1024 {
            throw ValidationError("--jobs must be between 1 and 1024.")
        }
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
        // Messages are verified on every core; results are printed and counted in the order of the inputs.
        let feed = VerifyFeed(inputs: inputs, forceMbox: mbox)
        let job = VerifyJob(verifier: batch.verifier, format: format, authservID: batch.authservID)
        await BatchRunner(width: jobs).run(next: feed.next, work: job.run) { outcome in
            switch outcome.result {
            case .success(let verified):
                batch.show(verified.verification, line: verified.line)
            case .failure(let error):
                batch.failed(error, identity: outcome.identity)
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

    /// One message's result as printed: a text block or a JSON line.
    static func line(for outcome: MessageVerification, identity: MessageIdentity, format: OutputFormat,
                     authservID: String) throws -> String {
        switch format {
        case .text: VerificationText.render(outcome, file: identity.display, authservID: authservID)
        case .json: try Console.json(VerifiedMessageJSON(outcome, identity: identity))
        }
    }

    /// Prints one message's result, as rendered by its job (``line(for:identity:format:authservID:)``), and
    /// counts it.
    mutating func show(_ outcome: MessageVerification, line: String) {
        tally.add(outcome.result)
        summary.add(outcome)
        progress.clear()
        Console.out(line)
        progress.advance()
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
        guard let head = try? MboxSplitter.head(of: path) else { return false }
        return MboxSplitter.looksLikeMbox(head)
    }
}

/// One unit of work of `verify`, in the order of the inputs.
enum VerifyItem: Sendable {
    /// A file holding one message, streamed from disk by the job.
    case file(String)
    /// Standard input holding one message: its first chunk, already read; the job reads the rest.
    case standardInput(first: [UInt8])
    /// A message split out of an mbox.
    case message([UInt8], MessageIdentity)
    /// An input that could not be read or split.
    case failure(any Error, MessageIdentity?)
}

/// The result of one ``VerifyItem``, with the identity to print it under.
struct VerifyOutcome: Sendable {
    var identity: MessageIdentity?
    /// The verification and its printed form, made by the job (in parallel) rather than by the printer.
    var result: Result<(verification: MessageVerification, line: String), any Error>
}

/// Verifies one ``VerifyItem``; the work of one core in a batch.
///
/// A nonisolated method, not a closure written inside `run()`: such a closure may inherit the main actor's
/// isolation, and every job would then hop back to the main thread and run one at a time.
struct VerifyJob: Sendable {
    /// One verifier for the whole batch: its options' key cache is shared by every message.
    let verifier: DKIMVerifier
    /// How results are printed; each job renders its own.
    let format: OutputFormat
    let authservID: String

    nonisolated func run(_ item: VerifyItem) async -> VerifyOutcome {
        let (identity, verified) = await verify(item)
        let shown = identity ?? MessageIdentity(path: "-")
        return VerifyOutcome(identity: identity, result: Result {
            let verification = try verified.get()
            return (verification, try VerifyBatch.line(for: verification, identity: shown, format: format,
                                                       authservID: authservID))
        })
    }

    private func verify(_ item: VerifyItem) async -> (MessageIdentity?, Result<MessageVerification, any Error>) {
        switch item {
        case .file(let path):
            let identity = MessageIdentity(path: path)
            do {
                // Streamed: memory stays flat whatever the file size.
                return (identity, .success(try await MessageVerifying.verify(path: path, with: verifier)))
            } catch {
                return (identity, .failure(error))
            }
        case .standardInput(let first):
            let identity = MessageIdentity(path: "-")
            do {
                var reader = try ChunkReader(path: "-")
                return (identity, .success(try await verifyStreaming(first: first, rest: &reader)))
            } catch {
                return (identity, .failure(error))
            }
        case .message(let bytes, let identity):
            do {
                // RFC 6376 §5.3: a saved file may use local line endings; verify its CRLF form.
                let verification = try await verifier.verify(message: LineEndings.normalizeToCRLF(bytes))
                return (identity, .success(verification))
            } catch {
                return (identity, .failure(error))
            }
        case .failure(let error, let identity):
            return (identity, .failure(error))
        }
    }

    /// Verifies one message read in chunks (the first already read).
    private func verifyStreaming(first: [UInt8], rest reader: inout ChunkReader) async throws -> MessageVerification {
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
        return try await stream.finish()
    }
}

/// The inputs of one `verify` run turned into ``VerifyItem``s on demand, in order.
///
/// A file holding one message becomes one item that its job reads from disk. An mbox is read here, a chunk at a
/// time, and split into one item per message; the batch runner asks for items only when a job can start, so
/// an mbox of any size is never held whole.
final class VerifyFeed {
    /// An mbox being split.
    private final class OpenMbox {
        let path: String
        var reader: ChunkReader
        var splitter = MboxSplitter()

        init(path: String, reader: consuming ChunkReader) {
            self.path = path
            self.reader = reader
        }
    }

    private let inputs: [MailStore.Input]
    private let forceMbox: Bool
    private var position = 0
    private var queue: [VerifyItem] = []
    private var queueStart = 0
    private var mbox: OpenMbox?
    private var standardInputTaken = false

    init(inputs: [MailStore.Input], forceMbox: Bool) {
        self.inputs = inputs
        self.forceMbox = forceMbox
    }

    /// The next item, or nil when every input is done.
    func next() -> VerifyItem? {
        while true {
            if queueStart < queue.count {
                let item = queue[queueStart]
                queueStart += 1
                if queueStart == queue.count {
                    queue.removeAll(keepingCapacity: true)
                    queueStart = 0
                }
                return item
            }
            if let open = mbox {
                readMore(open)
                continue
            }
            guard position < inputs.count else { return nil }
            let input = inputs[position]
            position += 1
            switch input {
            case .unreadable(_, let message):
                return .failure(FileIOError(kind: .input, description: message), nil)
            case .file(let path):
                if let item = start(path) { return item }
            }
        }
    }

    /// Starts reading the input `path`: an item for a one-message file, or nil when it is an mbox now open.
    private func start(_ path: String) -> VerifyItem? {
        let identity = MessageIdentity(path: path)
        do {
            if path == "-" {
                // Standard input can be read once: a later "-" reads its end, an empty message, as before.
                guard !standardInputTaken else { return .message([], identity) }
                standardInputTaken = true
                var reader = try ChunkReader(path: path)
                let first = try reader.next() ?? []
                guard forceMbox || MboxSplitter.looksLikeMbox(first) else { return .standardInput(first: first) }
                try Self.checkMbox(first)
                let open = OpenMbox(path: path, reader: reader)
                mbox = open
                split(first, of: open)
                return nil
            }
            // Only the first bytes decide whether a file is an mbox; a one-message file is read by its job.
            let head = try MboxSplitter.head(of: path)
            guard forceMbox || MboxSplitter.looksLikeMbox(head) else { return .file(path) }
            try Self.checkMbox(head)
            mbox = OpenMbox(path: path, reader: try ChunkReader(path: path))
            return nil
        } catch {
            return .failure(error, identity)
        }
    }

    /// Reads the next chunk of the open mbox into the queue; closes it at the end or on an error.
    private func readMore(_ open: OpenMbox) {
        do {
            if let chunk = try open.reader.next() {
                split(chunk, of: open)
                return
            }
            for message in open.splitter.finish() {
                queue.append(.message(message.bytes, Self.identity(of: message, in: open.path)))
            }
        } catch {
            queue.append(.failure(error, MessageIdentity(path: open.path)))
        }
        mbox = nil
    }

    private func split(_ chunk: [UInt8], of open: OpenMbox) {
        for message in open.splitter.feed(chunk) {
            queue.append(.message(message.bytes, Self.identity(of: message, in: open.path)))
        }
    }

    private static func identity(of message: MboxSplitter.Message, in path: String) -> MessageIdentity {
        MessageIdentity(path: path, message: message.number, offset: message.offset)
    }

    /// An input read as an mbox must start with a `From ` line; an empty file is an mbox of no messages.
    private static func checkMbox(_ head: [UInt8]) throws {
        guard head.isEmpty || MboxSplitter.looksLikeMbox(head) else {
            throw MboxError(description: "not an mbox: the first line is not a From line")
        }
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
        // A field long enough to be folded (RFC 5322 §2.1.1) shows each continuation on a line indented further.
        let field = AuthenticationResults.headerField(for: outcome, authservID: authservID)
        let folds = field.split(separator: "\r\n\t", omittingEmptySubsequences: false)
        lines.append("  " + folds.joined(separator: "\n    "))
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
