import ArgumentParser
import DKIMCore

/// `dkimtool verify`: a per-signature verdict for saved messages.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify every DKIM signature of saved messages (.eml; bare-LF files accepted).",
        discussion: """
            Prints one verdict per message: in text, a line per signature and the Authentication-Results line; \
            in JSON, one object per message per line. Exit status: 0 every message passed; 1 a message did not \
            pass; 75 the only failures were temporary (DNS); 65 a message could not be parsed; 66 an input is \
            missing or unreadable; 64 usage error.
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

    @Argument(help: "Message files; - or nothing for standard input.")
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
        let verifier = DKIMVerifier(options: options)
        let authservID = self.authservID ?? Console.hostName()

        var tally = VerdictTally()
        for path in files.isEmpty ? ["-"] : files {
            do {
                // RFC 6376 §5.3: a saved file may use local line endings; verify its CRLF form.
                let message = LineEndings.normalizeToCRLF(Self.droppingEnvelopeLine(try MessageReader.readAll(path)))
                let outcome = try await verifier.verify(message: message)
                tally.add(outcome.result)
                switch format {
                case .text: Console.out(VerificationText.render(outcome, file: path, authservID: authservID))
                case .json: Console.out(try Console.json(VerifiedMessageJSON(outcome, file: path)))
                }
            } catch {
                Console.report(error, context: path)
                tally.add(error)
            }
        }
        if let status = tally.exitCode { throw status }
    }
}

extension VerifyCommand {
    /// Mail clients (Thunderbird, mutt) save messages with the mbox envelope line `From sender date` first
    /// (RFC 4155); it is not a header field and was not signed, so it is set aside before verifying.
    static func droppingEnvelopeLine(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.starts(with: Array("From ".utf8)), let newline = bytes.firstIndex(of: 10) else { return bytes }
        return Array(bytes[(newline + 1)...])
    }
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

    var file: String
    var result: String
    var signatures: [Signature]
    var authenticationResults: String

    init(_ outcome: MessageVerification, file: String) {
        self.file = file
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
