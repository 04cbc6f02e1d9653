#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import DKIMCore

/// `dkimtool bench`: signing and verification throughput next to what OpenSSL allows on this machine.
///
/// Everything is measured in one process and one run: first OpenSSL's own rates (a public-key operation with a
/// ready key, SHA-256 with 16 KiB updates), then each cell. A cell's limit is one public-key operation plus one
/// SHA-256 pass over the message: `1 / (1/ops + bytes/sha256)`. Each cell runs `--rounds` rounds; in a round the
/// limit's parts (OpenSSL's rates) and the cell take turns in short slices, and give one fraction; the median
/// fraction is reported, so a neighbour's burst of work on a shared machine does not decide the figure.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure sign and verify throughput against OpenSSL's own rates on this machine.",
        discussion: """
            Prints, per cell (operation, algorithm, canonicalization, message size), messages per second, MB/s and \
            the fraction of the limit 1 / (1/ops + bytes/sha256), with ops and sha256 measured in the same run: \
            in each round the limit and the cell take turns in short slices, and the fraction shown is the median \
            of the rounds' fractions (msgs/s is the best round, limit/s the median; the first line gives the \
            rates measured at the start). \
            --corpus DIR also writes the messages, keys and key records so other implementations can be timed \
            on the same bytes (Benchmarks/peers.py). --stream-file FILE signs and verifies one file streaming from \
            disk and prints the peak resident memory.
            """
    )

    @Option(help: ArgumentHelp("Message sizes in bytes (k and m suffixes allowed).", valueName: "2k,20k,..."))
    var sizes: String = "2k,20k,200k,2m"

    @Option(help: ArgumentHelp("Canonicalizations to measure.", valueName: "relaxed/relaxed,simple/simple"))
    var canonicalizations: String = "relaxed/relaxed,simple/simple"

    @Option(help: "Seconds per round of each cell.")
    var seconds: Double = 0.2

    @Option(help: "Rounds per cell (the limit and the cell in turns); the median fraction is reported.")
    var rounds: Int = 5

    @Option(help: "Output format: text or json (one object per cell per line).")
    var format: OutputFormat = .text

    @Option(help: ArgumentHelp("Also write the messages, keys and TXT records into DIR.", valueName: "DIR"))
    var corpus: String?

    @Option(name: .customLong("stream-file"),
            help: ArgumentHelp("Sign and verify FILE streaming from disk; print time and peak RSS.", valueName: "FILE"))
    var streamFile: String?

    @Option(name: .customLong("stream-mode"), help: "With --stream-file: sign or verify (verify needs a signed file).")
    var streamMode: String = "sign"

    @Option(help: ArgumentHelp("With --stream-file sign: the private key.", valueName: "FILE"))
    var key: String?

    @Option(name: .customLong("txt-records"),
            help: ArgumentHelp("With --stream-file verify: the key records.", valueName: "FILE"))
    var txtRecords: String?

    @Option(help: ArgumentHelp("Operations to measure.", valueName: "sign,verify"))
    var operations: String = "sign,verify"

    @Option(help: ArgumentHelp("Algorithms to measure.", valueName: "rsa-sha256,ed25519-sha256"))
    var algorithms: String = "rsa-sha256,ed25519-sha256"

    @Flag(help: "Also time the steps of one 2 KB verification and signature (where the time goes).")
    var breakdown = false

    func validate() throws {
        guard seconds > 0, seconds <= 60 else { throw ValidationError("--seconds must be in (0, 60].") }
        guard (1...50).contains(rounds) else { throw ValidationError("--rounds must be 1 to 50.") }
        guard BenchMessages.parseSizes(sizes) != nil else {
            throw ValidationError("--sizes must be a comma-separated list of byte counts, e.g. 2k,20k,200k,2m.")
        }
        for name in canonicalizations.split(separator: ",") where Canonicalization(tagValue: String(name)) == nil {
            throw ValidationError("--canonicalizations: \"\(name)\" is not header/body, e.g. relaxed/relaxed.")
        }
        guard ["sign", "verify"].contains(streamMode) else { throw ValidationError("--stream-mode: sign or verify.") }
    }

    func run() async throws {
        if let streamFile {
            try await StreamBench.run(file: streamFile, mode: streamMode, key: key, txtRecords: txtRecords)
            return
        }
        let setup = try BenchSetup.make()
        let timer = BenchTimer(seconds: seconds, rounds: rounds)
        let limits = try BenchLimits.measure(setup, timer)
        print(limits.describe(format: format))
        let sizeList = BenchMessages.parseSizes(sizes) ?? []
        let canonicalizationList = canonicalizations.split(separator: ",").compactMap {
            Canonicalization(tagValue: String($0))
        }
        if breakdown { try await BenchBreakdown.run(setup, timer) }
        if let corpus { try BenchCorpus.write(to: corpus, setup: setup, sizes: sizeList) }
        if format == .text { print(BenchCell.header) }
        for canonicalization in canonicalizationList {
            for operation in BenchCell.Operation.allCases where operations.contains(operation.rawValue) {
                for algorithm in BenchKey.allCases where algorithms.contains(algorithm.rawValue) {
                    for size in sizeList {
                        let cell = try await BenchCell.measure(operation, algorithm, canonicalization, size,
                                                               setup: setup, timer: timer)
                        print(format == .text ? cell.textLine : cell.jsonLine)
                    }
                }
            }
        }
    }
}

// MARK: - Setup

/// The two algorithms of the table.
enum BenchKey: String, CaseIterable {
    case rsa = "rsa-sha256"
    case ed25519 = "ed25519-sha256"
}

/// Keys, their records and a resolver serving them, made once per run.
struct BenchSetup {
    static let domain = "example.com"
    let keys: [BenchKey: DKIMPrivateKey]
    let records: [BenchKey: String]

    static func selector(_ key: BenchKey) -> String { key == .rsa ? "rsa" : "ed" }

    static func make() throws -> BenchSetup {
        var keys: [BenchKey: DKIMPrivateKey] = [:]
        var records: [BenchKey: String] = [:]
        keys[.rsa] = try DKIMPrivateKey.generate(.rsa, bits: 2048)
        keys[.ed25519] = try DKIMPrivateKey.generate(.ed25519)
        for (name, key) in keys {
            records[name] = try DKIMKeyRecord(publicKey: key.publicKey).oneLineValue
        }
        return BenchSetup(keys: keys, records: records)
    }

    func key(_ name: BenchKey) throws -> DKIMPrivateKey {
        guard let key = keys[name] else { throw Console.fail("no \(name.rawValue) key", SysExit.software) }
        return key
    }

    func resolver() -> StaticKeyResolver {
        var table: [String: [String]] = [:]
        for (name, record) in records {
            table[Self.selector(name) + "._domainkey." + Self.domain] = [record]
        }
        return StaticKeyResolver(records: table)
    }

    func signer(_ name: BenchKey, _ canonicalization: Canonicalization) throws -> DKIMSigner {
        var options = SignOptions(domain: Self.domain, selector: Self.selector(name), key: try key(name))
        options.canonicalization = canonicalization
        options.clock = { 1_700_000_000 }
        return try DKIMSigner(options: options)
    }
}

extension SysExit {
    /// EX_SOFTWARE: an internal error of the benchmark itself.
    static let software = ExitCode(70)
}

/// Runs an operation for a fixed time, several rounds, and keeps the best rate.
struct BenchTimer {
    let seconds: Double
    let rounds: Int

    /// Operations per second: the best of ``rounds`` rounds of at least ``seconds`` each.
    func rate(_ operation: () throws -> Void) rethrows -> Double {
        var best = 0.0
        for _ in 0..<rounds {
            var tally = Tally()
            try tally.run(for: seconds, operation)
            best = max(best, tally.rate)
        }
        return best
    }

    /// The same for an async operation.
    func rate(_ operation: () async throws -> Void) async rethrows -> Double {
        var best = 0.0
        for _ in 0..<rounds {
            var tally = Tally()
            try await tally.run(for: seconds, operation)
            best = max(best, tally.rate)
        }
        return best
    }

    /// Operations counted over several timed stretches: the interleaved slices of a bench round.
    struct Tally {
        var count = 0
        var elapsed = 0.0

        /// Operations per second over every stretch so far.
        var rate: Double { elapsed > 0 ? Double(count) / elapsed : 0 }

        /// Runs `operation` for at least `seconds` and adds the count and the time.
        mutating func run(for seconds: Double, _ operation: () throws -> Void) rethrows {
            let clock = ContinuousClock()
            let start = clock.now
            var done = 0
            var passed = 0.0
            repeat {
                try operation()
                done += 1
                if done & 3 == 0 || passed == 0 { passed = BenchTimer.seconds(clock.now - start) }
            } while passed < seconds
            count += done
            elapsed += BenchTimer.seconds(clock.now - start)
        }

        /// The same for an async operation.
        mutating func run(for seconds: Double, _ operation: () async throws -> Void) async rethrows {
            let clock = ContinuousClock()
            let start = clock.now
            var done = 0
            var passed = 0.0
            repeat {
                try await operation()
                done += 1
                if done & 3 == 0 || passed == 0 { passed = BenchTimer.seconds(clock.now - start) }
            } while passed < seconds
            count += done
            elapsed += BenchTimer.seconds(clock.now - start)
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}

// MARK: - Limits

/// OpenSSL's own rates on this machine, measured through DKIMCore's Crypto layer with ready keys.
struct BenchLimits {
    var signOps: [BenchKey: Double] = [:]
    var verifyOps: [BenchKey: Double] = [:]
    /// SHA-256 bytes per second with 16 KiB updates.
    var sha256: Double = 0

    static func measure(_ setup: BenchSetup, _ timer: BenchTimer) throws -> BenchLimits {
        var limits = BenchLimits()
        let digest = SHA256.hash(Array("benchmark".utf8))
        for name in BenchKey.allCases {
            let key = try setup.key(name)
            let signature = try key.signature(forDigest: digest)
            let publicKey = key.publicKey
            guard publicKey.isValidSignature(signature, forDigest: digest) else {
                throw Console.fail("the \(name.rawValue) self-check failed", SysExit.software)
            }
            limits.signOps[name] = try timer.rate { _ = try key.signature(forDigest: digest) }
            limits.verifyOps[name] = timer.rate {
                if !publicKey.isValidSignature(signature, forDigest: digest) { preconditionFailure("verify") }
            }
        }
        let block = [UInt8](repeating: 0x61, count: sha256Update)
        let calls = timer.rate { hashOneCall(block) }
        limits.sha256 = calls * Double(sha256UpdatesPerCall * sha256Update)
        return limits
    }

    /// SHA-256's rate is measured with updates of this many bytes (16 KiB, as issue #6 defines the limit)...
    static let sha256Update = 16 * 1024
    /// ...this many to a timed call (1 MiB).
    static let sha256UpdatesPerCall = 64

    /// One timed call of the SHA-256 measurement: ``sha256UpdatesPerCall`` updates of `block`, then the digest.
    static func hashOneCall(_ block: [UInt8]) {
        var hasher = SHA256()
        block.withUnsafeBytes { buffer in
            for _ in 0..<sha256UpdatesPerCall { hasher.update(buffer) }
        }
        _ = hasher.finalize()
    }

    /// Messages per second allowed by one public-key operation plus one SHA-256 pass over `bytes`.
    func limit(_ operation: BenchCell.Operation, _ key: BenchKey, bytes: Int) -> Double {
        let ops = (operation == .sign ? signOps[key] : verifyOps[key]) ?? 1
        return 1 / (1 / ops + Double(bytes) / sha256)
    }

    func describe(format: OutputFormat) -> String {
        func rate(_ value: Double?) -> String { Self.format(value ?? 0, decimals: 0) }
        switch format {
        case .json:
            return """
                {"openssl":{"rsaSign":\(rate(signOps[.rsa])),"rsaVerify":\(rate(verifyOps[.rsa])),\
                "ed25519Sign":\(rate(signOps[.ed25519])),"ed25519Verify":\(rate(verifyOps[.ed25519])),\
                "sha256MBps":\(Self.format(sha256 / 1e6, decimals: 1))},\
                "relaxedBodyVectorKernel":\(BodyCanonicalizer.vectorKernelName.map { "\"\($0)\"" } ?? "null")}
                """
        case .text:
            return """
                OpenSSL on this machine (one core, ready key): RSA-2048 sign \(rate(signOps[.rsa]))/s, \
                verify \(rate(verifyOps[.rsa]))/s; Ed25519 sign \(rate(signOps[.ed25519]))/s, \
                verify \(rate(verifyOps[.ed25519]))/s; SHA-256 \(Self.format(sha256 / 1e6, decimals: 0)) MB/s \
                (16 KiB updates)
                Relaxed body canonicalization: \(BodyCanonicalizer.vectorKernelName.map { "the \($0) vector kernel" }
                    ?? "Swift (this CPU has neither AVX-512 VBMI2 nor AVX2 with a fast BMI2)")
                """
        }
    }

    static func format(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        if decimals == 0 { return String(Int(rounded)) }
        let whole = Int(rounded)
        let fraction = Int(((rounded - Double(whole)) * scale).rounded())
        let digits = String(fraction)
        return "\(whole)." + String(repeating: "0", count: max(0, decimals - digits.count)) + digits
    }
}

// MARK: - Cells

/// One measured cell of the table.
struct BenchCell {
    enum Operation: String, CaseIterable {
        case sign, verify
    }

    let operation: Operation
    let key: BenchKey
    let canonicalization: Canonicalization
    let bytes: Int
    /// The best round's rate: the same figure as the peers' (Benchmarks/peers.py times them best of rounds).
    let messagesPerSecond: Double
    /// The median of the rounds' limits.
    let limit: Double
    /// The median of the rounds' fractions (each round's rate over the limit measured right before it).
    let fraction: Double

    static let header = "op      algorithm       c                size   msgs/s      MB/s    limit/s  of limit"

    /// Measures a cell in ``BenchTimer/rounds`` interleaved rounds: the machine's load changes from one moment to
    /// the next, so within each round the limit's two parts (this operation with a ready key, and SHA-256) and the
    /// cell take turns in ``slicesPerRound`` short slices, and each side's rate is its count over its time summed
    /// over the slices. A neighbour's burst then falls on both sides alike, where with one stretch each (the
    /// method up to the eighth pass) it could fall on one side only. The cell's fraction is the median of the
    /// rounds' fractions, its limit the median limit, and its rate the best round's (the statistic the peer
    /// comparison uses for every implementation).
    static func measure(_ operation: Operation, _ key: BenchKey, _ canonicalization: Canonicalization, _ size: Int,
                        setup: BenchSetup, timer: BenchTimer) async throws -> BenchCell {
        let message = BenchMessages.message(size: size)
        let signer = try setup.signer(key, canonicalization)
        let privateKey = try setup.key(key)
        let publicKey = privateKey.publicKey
        let digest = SHA256.hash(Array("benchmark".utf8))
        let readySignature = try privateKey.signature(forDigest: digest)
        let block = [UInt8](repeating: 0x61, count: BenchLimits.sha256Update)
        let slice = timer.seconds / Double(slicesPerRound)
        var rates: [Double] = []
        var limits: [Double] = []
        var fractions: [Double] = []

        // The limit's public-key operation, as BenchLimits measures it.
        func limitOperation() throws {
            switch operation {
            case .sign:
                _ = try privateKey.signature(forDigest: digest)
            case .verify:
                if !publicKey.isValidSignature(readySignature, forDigest: digest) { preconditionFailure("verify") }
            }
        }
        func record(_ ops: BenchTimer.Tally, _ hashing: BenchTimer.Tally, _ cell: BenchTimer.Tally) {
            let bytesPerSecond = hashing.rate * Double(BenchLimits.sha256Update * BenchLimits.sha256UpdatesPerCall)
            let limit = 1 / (1 / ops.rate + Double(message.count) / bytesPerSecond)
            rates.append(cell.rate)
            limits.append(limit)
            fractions.append(cell.rate / limit)
        }

        switch operation {
        case .sign:
            for _ in 0..<timer.rounds {
                var ops = BenchTimer.Tally(), hashing = BenchTimer.Tally(), cell = BenchTimer.Tally()
                for _ in 0..<slicesPerRound {
                    try ops.run(for: slice, limitOperation)
                    hashing.run(for: slice) { BenchLimits.hashOneCall(block) }
                    try cell.run(for: slice) { _ = try signer.signatureField(for: message) }
                }
                record(ops, hashing, cell)
            }
        case .verify:
            let signed = try signer.sign(message: message)
            var options = VerifyOptions(resolver: setup.resolver(), clock: { 1_700_000_000 })
            options.maxSignatures = 10
            let verifier = DKIMVerifier(options: options)
            let check = try await verifier.verify(message: signed)
            guard check.result == .pass else {
                throw Console.fail("the benchmark message did not verify: \(check.signatures.first?.explanation ?? "")",
                                   SysExit.software)
            }
            for _ in 0..<timer.rounds {
                var ops = BenchTimer.Tally(), hashing = BenchTimer.Tally(), cell = BenchTimer.Tally()
                for _ in 0..<slicesPerRound {
                    try ops.run(for: slice, limitOperation)
                    hashing.run(for: slice) { BenchLimits.hashOneCall(block) }
                    try await cell.run(for: slice) { _ = try await verifier.verify(message: signed) }
                }
                record(ops, hashing, cell)
            }
        }
        return BenchCell(operation: operation, key: key, canonicalization: canonicalization, bytes: message.count,
                         messagesPerSecond: rates.max() ?? 0, limit: median(limits), fraction: median(fractions))
    }

    /// Turns per round: each side runs `--seconds / slicesPerRound` at a time (20 ms at the default 0.2 s), long
    /// enough for at least a few operations of the slowest cell (2 MB).
    static let slicesPerRound = 10

    /// The middle value (the mean of the two middle values for an even count); 0 for none.
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    private func padded(_ text: String, _ width: Int, right: Bool = false) -> String {
        let pad = String(repeating: " ", count: max(0, width - text.count))
        return right ? pad + text : text + pad
    }

    var textLine: String {
        let megabytes = messagesPerSecond * Double(bytes) / 1e6
        return padded(operation.rawValue, 8) + padded(key.rawValue, 16) + padded(canonicalization.tagValue, 16)
            + padded(String(bytes), 8, right: true)
            + padded(BenchLimits.format(messagesPerSecond, decimals: 0), 9, right: true)
            + padded(BenchLimits.format(megabytes, decimals: 1), 10, right: true)
            + padded(BenchLimits.format(limit, decimals: 0), 11, right: true)
            + padded(BenchLimits.format(fraction * 100, decimals: 1) + " %", 10, right: true)
    }

    var jsonLine: String {
        """
        {"op":"\(operation.rawValue)","algorithm":"\(key.rawValue)","c":"\(canonicalization.tagValue)",\
        "bytes":\(bytes),"msgsPerSecond":\(BenchLimits.format(messagesPerSecond, decimals: 1)),\
        "MBps":\(BenchLimits.format(messagesPerSecond * Double(bytes) / 1e6, decimals: 2)),\
        "limit":\(BenchLimits.format(limit, decimals: 1)),"fraction":\(BenchLimits.format(fraction, decimals: 4))}
        """
    }
}

// MARK: - Messages

/// Deterministic test messages: realistic header fields and a text body with some trailing white space.
enum BenchMessages {
    /// The bytes the generator writes besides words (DKIMCore's ASCII table is internal to the library).
    enum Byte {
        static let tab: UInt8 = 0x09
        static let lf: UInt8 = 0x0A
        static let cr: UInt8 = 0x0D
        static let space: UInt8 = 0x20
    }

    static func parseSizes(_ text: String) -> [Int]? {
        var sizes: [Int] = []
        for item in text.split(separator: ",") {
            var digits = Substring(item.lowercased())
            var scale = 1
            if digits.hasSuffix("k") { scale = 1000; digits = digits.dropLast() }
            else if digits.hasSuffix("m") { scale = 1_000_000; digits = digits.dropLast() }
            guard let value = Int(digits), value > 0, value <= 1_000_000_000 / scale else { return nil }
            sizes.append(value * scale)
        }
        return sizes.isEmpty ? nil : sizes
    }

    static let header: [UInt8] = Array("""
        Received: from mail-out.example.com (mail-out.example.com [192.0.2.25])\r
        \tby mx.example.net (Postfix) with ESMTPS id 4Qx7Lm2Zp9z9sVb\r
        \tfor <bob@example.net>; Sat, 28 Nov 2026 10:00:01 +0000 (UTC)\r
        Received: from [10.0.0.7] (client.example.com [198.51.100.7])\r
        \tby mail-out.example.com (Postfix) with ESMTPSA id 0D5F83F1A2\r
        \tfor <bob@example.net>; Sat, 28 Nov 2026 10:00:00 +0000 (UTC)\r
        From: Alice Example <alice@example.com>\r
        To: Bob Example <bob@example.net>\r
        Cc: carol@example.org,\r
        \tdave@example.org\r
        Subject: Quarterly figures and the  plan for next week\r
        Date: Sat, 28 Nov 2026 10:00:00 +0000\r
        Message-ID: <20261128100000.4Qx7Lm2Zp9@mail-out.example.com>\r
        MIME-Version: 1.0\r
        Content-Type: text/plain; charset=utf-8; format=flowed\r
        Content-Transfer-Encoding: 8bit\r
        \r

        """.utf8)

    static let words: [[UInt8]] = [
        "the", "figures", "for", "quarter", "are", "attached", "and", "we", "should", "review", "them", "before",
        "meeting", "on", "Monday", "please", "send", "comments", "budget", "plan", "delivery", "mail", "server",
        "signature", "domain", "record", "thanks", "regards", "numbers", "growth", "team", "customer", "report",
    ].map { Array($0.utf8) }

    /// A message of about `size` bytes (header included), CRLF line endings.
    static func message(size: Int) -> [UInt8] {
        var bytes = header
        bytes.reserveCapacity(size + 100)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Int(state % UInt64(bound))
        }
        var line = 0
        while bytes.count < size - 2 {
            line += 1
            if line % 12 == 0 {
                bytes += [Byte.cr, Byte.lf]  // paragraph break
                continue
            }
            var length = 0
            let target = 50 + next(26)
            while length < target {
                if length > 0 {
                    bytes.append(Byte.space)
                    if next(40) == 0 { bytes.append(Byte.space) }  // a double space inside a line
                    length += 1
                }
                let word = words[next(words.count)]
                bytes += word
                length += word.count
            }
            if line % 7 == 0 { bytes += [Byte.space, Byte.space, Byte.tab] }  // trailing white space
            else if line % 5 == 0 { bytes.append(Byte.space) }
            bytes += [Byte.cr, Byte.lf]
        }
        return bytes
    }
}

/// The messages, keys and records written for other implementations (Benchmarks/peers.py).
enum BenchCorpus {
    static func write(to directory: String, setup: BenchSetup, sizes: [Int]) throws {
        if mkdir(directory, 0o755) != 0, errno != EEXIST { throw FileIOError.output(directory) }
        var records = ""
        for name in BenchKey.allCases {
            let key = try setup.key(name)
            let selector = BenchSetup.selector(name)
            try OutputFile.write(Array(key.pemRepresentation.utf8), to: "\(directory)/\(selector).private",
                                 mode: 0o600, replacing: true)
            records += "\(selector)._domainkey.\(BenchSetup.domain) \(setup.records[name] ?? "")\n"
            for size in sizes {
                let message = BenchMessages.message(size: size)
                try OutputFile.write(message, to: "\(directory)/msg-\(size).eml", mode: 0o644, replacing: true)
                for canonicalization in ["relaxed/relaxed", "simple/simple"] {
                    guard let parsed = Canonicalization(tagValue: canonicalization) else { continue }
                    let signed = try setup.signer(name, parsed).sign(message: message)
                    let tag = canonicalization.replacingSlash
                    try OutputFile.write(signed, to: "\(directory)/signed-\(selector)-\(tag)-\(size).eml",
                                         mode: 0o644, replacing: true)
                }
            }
        }
        try OutputFile.write(Array(records.utf8), to: "\(directory)/txt-records", mode: 0o644, replacing: true)
    }
}

extension String {
    /// `relaxed/simple` → `relaxed-simple`, for file names.
    fileprivate var replacingSlash: String { String(map { $0 == "/" ? "-" : $0 }) }
}

// MARK: - Streaming a large file

/// Signs or verifies one file streaming from disk and reports the wall time and the peak resident memory.
enum StreamBench {
    static func run(file: String, mode: String, key: String?, txtRecords: String?) async throws {
        let clock = ContinuousClock()
        let start = clock.now
        var summary: String
        if mode == "sign" {
            guard let key else { throw ValidationError("--stream-file with sign needs --key.") }
            let privateKey = try InputFile.privateKey(at: key)
            let signer = try DKIMSigner(options: SignOptions(domain: BenchSetup.domain, selector: "bench",
                                                             key: privateKey))
            var stream = signer.makeStream()
            let reader = try MessageReader(path: file)
            try reader.forEachChunk { try stream.update($0) }
            let field = try stream.finish()
            summary = "signed (\(field.count)-byte field)"
        } else {
            guard let txtRecords else { throw ValidationError("--stream-file with verify needs --txt-records.") }
            let verifier = DKIMVerifier(options: VerifyOptions(resolver: try TXTRecordFileResolver(
                contentsOfFile: txtRecords)))
            // The path `verify` takes for a file: envelope line, line endings, VerificationStream.
            let outcome = try await MessageVerifying.verify(path: file, with: verifier)
            summary = "verified: \(outcome.result.rawValue)"
        }
        let elapsed = BenchTimer.seconds(clock.now - start)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        var info = stat()
        let size = stat(file, &info) == 0 ? Int(info.st_size) : 0
        print("\(mode) \(file): \(summary); \(size) bytes in \(BenchLimits.format(elapsed, decimals: 2)) s "
              + "(\(BenchLimits.format(Double(size) / elapsed / 1e6, decimals: 0)) MB/s), "
              + "peak RSS \(usage.ru_maxrss / 1024) MB")
    }
}

// MARK: - Breakdown

/// Times the steps of one small verification and signature on their own, to show where per-message time goes.
enum BenchBreakdown {
    static func run(_ setup: BenchSetup, _ timer: BenchTimer) async throws {
        let message = BenchMessages.message(size: 2000)
        let signer = try setup.signer(.rsa, .relaxed)
        let signed = try signer.sign(message: message)
        let record = Array((setup.records[.rsa] ?? "").utf8)
        let parts = try MessageParts(parsing: signed)
        guard let field = parts.headers.first(where: { $0.hasName("dkim-signature") }) else { return }
        let keyData = try setup.key(.rsa).publicKey.derRepresentation
        var steps: [(String, Double)] = []
        steps.append(("MessageParts(parsing:) 2 KB", try timer.rate { _ = try MessageParts(parsing: signed) }))
        steps.append(("DKIMSignature(parsing:)", try timer.rate { _ = try DKIMSignature(parsing: field.value) }))
        steps.append(("DKIMKeyRecord(parsing:)", try timer.rate { _ = try DKIMKeyRecord(parsing: record) }))
        steps.append(("DKIMPublicKey(derRepresentation:) RSA", try timer.rate {
            _ = try DKIMPublicKey(derRepresentation: keyData)
        }))
        steps.append(("SHA256() + 64 bytes + finalize", timer.rate {
            var hasher = SHA256()
            hasher.update(keyData.prefix(64))
            _ = hasher.finalize()
        }))
        steps.append(("canonicalizeBody relaxed 2 KB", timer.rate {
            _ = Canonicalization.canonicalizeBody(parts.body, .relaxed)
        }))
        let edKey = try setup.key(.ed25519)
        let digest = SHA256.hash(message)
        steps.append(("Ed25519 signature(forDigest:)", try timer.rate { _ = try edKey.signature(forDigest: digest) }))
        steps.append(("SHA256.hash 2 KB", timer.rate { _ = SHA256.hash(message) }))
        let edSigner = try setup.signer(.ed25519, .relaxed)
        steps.append(("Ed25519 signer.signatureField 2 KB", try timer.rate {
            _ = try edSigner.signatureField(for: message)
        }))
        steps.append(("DKIMSignature(algorithm:...) init", try timer.rate {
            _ = try DKIMSignature(algorithm: .ed25519SHA256, bodyHash: digest, canonicalization: .relaxed,
                                  domain: "example.com", signedHeaders: ["from", "to", "subject", "date"],
                                  selector: "ed", timestamp: 1_700_000_000)
        }))
        steps.append(("Ed25519 signer stream, no finish", try timer.rate {
            var stream = edSigner.makeStream()
            try stream.update(message)
        }))
        steps.append(("signer.signatureField 2 KB", try timer.rate { _ = try signer.signatureField(for: message) }))
        let verifier = DKIMVerifier(options: VerifyOptions(resolver: setup.resolver(), clock: { 1_700_000_000 }))
        steps.append(("verifier.verify 2 KB", try await timer.rate { _ = try await verifier.verify(message: signed) }))
        for (name, rate) in steps {
            print("  \(name): \(BenchLimits.format(1e6 / rate, decimals: 1)) µs")
        }
    }
}
