#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import DKIMCore

/// `dkimtool sign`: prepend a DKIM-Signature to messages.
struct SignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign messages: write each with a DKIM-Signature field prepended.",
        discussion: """
            The message is signed as it will travel (CRLF line endings, RFC 6376 §5.3); the output is the input \
            unchanged with the new field prepended in the input's own line-ending style.
            """
    )

    @Option(help: "The signing domain (d=).")
    var domain: String

    @Option(help: "The selector (s=); the key is published at SELECTOR._domainkey.DOMAIN.")
    var selector: String

    @Option(help: "The private key file (PEM or DER, PKCS#1 or PKCS#8, RSA or Ed25519).")
    var key: String

    @Option(help: ArgumentHelp("The exact h= list, colon-separated; repeats allowed. Disables automatic oversigning.",
                               valueName: "h1:h2:..."))
    var headers: String?

    @Option(help: ArgumentHelp("Fields to oversign (listed once more than present).", valueName: "h1:h2:..."))
    var oversign: String?

    @Option(help: ArgumentHelp("header/body canonicalization.", valueName: "relaxed/relaxed"))
    var canonicalization: String = "relaxed/relaxed"

    @Option(help: "rsa-sha256 or ed25519-sha256; must match the key (the key decides by default).")
    var algorithm: String?

    @Option(help: "The identity (i=), e.g. user@DOMAIN or @sub.DOMAIN.")
    var identity: String?

    @Flag(inversion: .prefixedNo, help: "Add the signing time (t=).")
    var timestamp = true

    @Option(name: .customLong("expire-after"), help: "Add an expiry (x=) this many seconds after signing.")
    var expireAfter: Int64?

    @Flag(name: .customLong("body-length"), help: "Add l= (the signed body length). Lets anyone append content.")
    var bodyLength = false

    @Option(help: ArgumentHelp("Signing time in seconds since the epoch, for reproducible output.", valueName: "EPOCH"))
    var now: Int64?

    @Option(name: .shortAndLong, help: "Write the signed message here (one input only).")
    var output: String?

    @Option(name: .customLong("output-dir"), help: "Write each signed message into this directory, same file name.")
    var outputDir: String?

    @Flag(help: "Replace existing output files.")
    var force = false

    @Option(help: "With --output-dir: messages signed at once (default: one per active core).")
    var jobs: Int?

    @Argument(help: ArgumentHelp("Messages to sign; - or nothing for standard input. With --output-dir, a directory "
                                 + "signs each regular file directly in it (a batch of any size without a long "
                                 + "command line).", valueName: "files"))
    var files: [String] = []

    func validate() throws {
        if files.count > 1, outputDir == nil {
            throw ValidationError("Several input files need --output-dir.")
        }
        if output != nil, outputDir != nil {
            throw ValidationError("Use --output or --output-dir, not both.")
        }
        if outputDir != nil, files.isEmpty || files.contains("-") {
            throw ValidationError("--output-dir needs named input files, not standard input.")
        }
        guard Canonicalization(tagValue: canonicalization) != nil else {
            throw ValidationError("--canonicalization must be simple or relaxed for header and body, "
                                  + "e.g. relaxed/relaxed (got \"\(canonicalization)\").")
        }
        if let jobs, jobs < 1 || jobs > 1024 {
            throw ValidationError("--jobs must be between 1 and 1024.")
        }
        if let algorithm, !["rsa-sha256", "ed25519-sha256"].contains(algorithm) {
            throw ValidationError(
                "--algorithm must be rsa-sha256 or ed25519-sha256 (rsa-sha1 is forbidden by RFC 8301).")
        }
    }

    func run() async throws {
        let inputs = files.isEmpty ? ["-"] : try SignJob.expand(files, intoDirectory: outputDir != nil)
        let signer = try makeSigner()
        let job = SignJob(inputs: inputs, outputDir: outputDir, output: output, overwrite: force, signer: signer)
        var worst: ExitCode?
        // Each message is signed on its own core; diagnostics come out in the order of the inputs.
        await BatchRunner(width: inputs.count == 1 ? 1 : jobs).run(count: inputs.count, work: job.run,
                                                                    deliver: { index, outcome in
            if case .failure(let error) = outcome {
                Console.report(error, context: inputs[index])
                worst = worst ?? SysExit.code(for: error)
            }
        })
        if let worst { throw worst }
    }

    private func makeSigner() throws -> DKIMSigner {
        let privateKey = try InputFile.privateKey(at: key)
        let keyAlgorithm = privateKey.type == .ed25519 ? "ed25519-sha256" : "rsa-sha256"
        if let algorithm, algorithm != keyAlgorithm {
            throw Console.fail("--algorithm \(algorithm) does not match the key in \(key), which is \(keyAlgorithm).",
                               SysExit.usage)
        }
        var options = SignOptions(domain: domain, selector: selector, key: privateKey)
        if let headers { options.signedHeaders = headers.split(separator: ":").map(String.init) }
        if let oversign { options.oversignedHeaders = oversign.split(separator: ":").map(String.init) }
        if let parsed = Canonicalization(tagValue: canonicalization) { options.canonicalization = parsed }
        options.identity = identity
        options.includeTimestamp = timestamp
        if let now { options.clock = { now } }
        options.expiresAfter = expireAfter
        options.includeBodyLength = bodyLength
        do {
            return try DKIMSigner(options: options)
        } catch let error as DKIMError {
            throw Console.fail(error.reason, SysExit.usage)
        }
    }

}

/// One `sign` invocation's jobs: input `index` signed into its destination.
///
/// A nonisolated method, not a closure written inside `run()`: such a closure may inherit the main actor's
/// isolation, and every job would then hop back to the main thread and run one at a time.
struct SignJob: Sendable {
    let inputs: [String]
    let outputDir: String?
    let output: String?
    let overwrite: Bool
    let signer: DKIMSigner

    nonisolated func run(_ index: Int) async -> Result<Void, any Error> {
        let input = inputs[index]
        return Result {
            let destination = outputDir.map { MailStore.join($0, MailStore.split(input).name) } ?? output
            try MessageSigning.sign(input: input, output: destination, overwrite: overwrite, with: signer)
        }
    }

    /// The files to sign: each argument as given, except that a directory (allowed only with `--output-dir`)
    /// stands for the regular files directly in it, hidden ones and subdirectories skipped, in byte order of
    /// their names. Not recursive: every output keeps its file name in one directory, so two inputs never
    /// land on the same name unless two arguments do.
    static func expand(_ arguments: [String], intoDirectory: Bool) throws -> [String] {
        var inputs: [String] = []
        for argument in arguments {
            guard argument != "-", MailStore.isDirectory(argument, followLinks: true) else {
                inputs.append(argument)   // a file, or a path whose error the job reports in its place
                continue
            }
            guard intoDirectory else {
                throw Console.fail("\(argument) is a directory; signing the files in it needs --output-dir.",
                                   SysExit.usage)
            }
            let entries: [MailStore.Entry]
            do {
                entries = try MailStore.sortedEntries(in: argument)
            } catch {
                throw Console.fail("cannot read directory \(argument)", SysExit.inputMissing)
            }
            let before = inputs.count
            for entry in entries where !entry.name.hasPrefix(".") {
                let path = MailStore.join(argument, entry.name)
                // The listing's type spares a stat per file (the serial start of a batch); links and unknown
                // types are followed with stat, as before.
                if entry.type == UInt8(DT_REG) {
                    inputs.append(path)
                } else if entry.type == UInt8(DT_LNK) || entry.type == UInt8(DT_UNKNOWN) {
                    var status = stat()
                    if stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG { inputs.append(path) }
                }
            }
            if inputs.count == before { Console.warning("\(argument) holds no files to sign.") }
        }
        return inputs
    }
}

/// The sign of one file. A file of at most ``wholeReadLimit`` bytes is read once and its bytes are both signed and
/// copied; a larger one streams: read once to sign, once more to copy, so memory stays flat.
enum MessageSigning {
    /// The largest file read whole: small enough that the jobs of a batch hold little, large enough for nearly
    /// every message (the second pass cost a batch of 2 KB messages six system calls per message).
    static let wholeReadLimit = 1 << 20

    static func sign(input: String, output: String?, overwrite: Bool, with signer: DKIMSigner) throws {
        // Standard input cannot be read twice: spool it to a private temporary file first.
        let spool = input == "-" ? try Spool(copying: "-") : nil
        let source = spool?.path ?? input
        if let output, sameFile(output, source) {
            throw Console.fail("the output \(output) is the input; write the signed message elsewhere", SysExit.usage)
        }

        // RFC 6376 §5.3: sign the message as it travels, with CRLF line endings.
        var stream = signer.makeStream()
        var normalizer = LineEndings.Normalizer()
        var style: LineEndings.Style?
        func feed(_ chunk: UnsafeRawBufferPointer) throws {
            var normalized: [UInt8] = []
            normalized.reserveCapacity(chunk.count + chunk.count / 16)
            normalizer.normalize(chunk, into: &normalized)
            // The new field takes the line ends of the first chunk that has any, as the normalizer read them.
            if style == nil || style == LineEndings.Style.none { style = normalizer.lineEnds }
            try stream.update(normalized)
        }
        let reader = try MessageReader(path: source)
        var whole: [UInt8]?
        if let size = reader.regularFileSize, size <= wholeReadLimit {
            let bytes = try reader.readAll()
            try bytes.withUnsafeBytes { try feed($0) }
            whole = bytes
        } else {
            try reader.forEachChunk { try feed($0) }
        }
        let field = convert(try stream.finish(), to: style ?? .crlf)

        // The output is the field in the input's own line-ending style, then the input's bytes unchanged.
        var destination = try MessageWriter(path: output, overwrite: overwrite)
        if let whole {
            try destination.write(field, whole)
        } else {
            try destination.write(field)
            let copy = try MessageReader(path: source)
            try copy.forEachChunk { try destination.write($0) }
        }
        try destination.commit()
    }

    /// Rewrites the CRLF line endings of the new field to the input's style.
    static func convert(_ field: [UInt8], to style: LineEndings.Style) -> [UInt8] {
        switch style {
        case .lf: field.filter { $0 != 13 }
        case .cr: field.filter { $0 != 10 }
        case .crlf, .mixed, .none: field
        }
    }

    private static func sameFile(_ first: String, _ second: String) -> Bool {
        var a = stat(), b = stat()
        guard stat(first, &a) == 0, stat(second, &b) == 0 else { return false }
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino
    }
}

/// Standard input copied to a private temporary file (mode 0600), removed when done.
final class Spool {
    let path: String

    init(copying input: String) throws {
        var template = Array("/tmp/dkimtool-stdin-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return -1 }
            return mkstemp(base)
        }
        guard descriptor >= 0 else { throw FileIOError.output("a temporary file for standard input") }
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        close(descriptor)
        var writer = try MessageWriter(path: path, overwrite: true, mode: 0o600)
        let reader = try MessageReader(path: input)
        try reader.forEachChunk { try writer.write($0) }
        try writer.commit()
    }

    deinit {
        unlink(path)
    }
}
