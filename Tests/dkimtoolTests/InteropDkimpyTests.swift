import Foundation
import Testing

// Interop with dkimpy (issue #3 point 6, issue #4), through the CLI contract of ARCHITECTURE.md §5.
//
// Direction 1: `dkimtool sign` signs every message shape; dkimpy must verify 100 % of them.
// Direction 2: dkimpy signs every shape; `dkimtool verify` must pass them and fail tampered copies with the
// right reason.
//
// Keys come from TestVectors/interop/txt-records on both sides: no DNS query is ever sent.
// The Python side lives in Tests/interop/ (proven on its own by `python3 Tests/interop/selfcheck.py`, dkimpy on
// both sides). python3 with the packages of Tests/interop/requirements.txt is required: scripts/install-deps
// installs them. When they are missing these tests fail, they never skip.

@Suite("Interop with dkimpy", .serialized)
struct InteropDkimpyTests {
    @Test("dkimpy verifies every message dkimtool signs")
    func dkimpyVerifiesDkimtoolSignatures() throws {
        let harness = try InteropHarness()
        defer { harness.cleanUp() }
        let dkimtool = try harness.dkimtool()
        // Plus the edge shape with CRs that no LF follows in body lines: dkimpy, like us, reads them as data of
        // their lines (RFC 6376 §3.4.3, §3.4.4), so it must verify what we sign over them.
        let loneCR = InteropHarness.root.appendingPathComponent("TestVectors/interop/edge-shapes/lone-cr-in-body.eml")
        let inputs = try harness.shapesWithBigOne() + [loneCR]
        try #require(inputs.count >= 20, "expected at least 18 committed shapes, the 5 MB one and lone-cr-in-body")

        var problems: [String] = []
        var signed: [(path: String, algorithm: String)] = []
        for key in InteropHarness.keys {
            for canonicalization in InteropHarness.canonicalizations {
                let outDir = try harness.makeDirectory("sign/\(key.selector)-\(canonicalization.replacingSlash)")
                for input in inputs {
                    let output = outDir.appendingPathComponent(input.lastPathComponent)
                    let run = try harness.run(dkimtool, [
                        "sign", "--domain", "example.com", "--selector", key.selector, "--key", key.path,
                        "--canonicalization", canonicalization, "--now", "1700000000",
                        "--output", output.path, input.path,
                    ])
                    let label = "\(key.algorithm) \(canonicalization) \(input.lastPathComponent)"
                    guard run.status == 0 else {
                        problems.append("\(label): dkimtool sign exited \(run.status): \(run.stderrText)")
                        continue
                    }
                    let original = try [UInt8](Data(contentsOf: input))
                    let written = try [UInt8](Data(contentsOf: output))
                    let fieldLength = InteropHarness.firstFieldLength(written)
                    let fieldName = Array("dkim-signature:".utf8)
                    if written.count < fieldName.count
                        || written[0..<fieldName.count].map(InteropHarness.lowercased) != fieldName {
                        problems.append("\(label): output does not start with a DKIM-Signature field")
                    }
                    // The signer must leave every octet after its new field alone (ARCHITECTURE.md §3).
                    if Array(written[fieldLength...]) != original {
                        problems.append("\(label): output minus the DKIM-Signature field differs from the input")
                    }
                    signed.append((output.path, key.algorithm))
                }
            }
        }

        let verdicts = try harness.dkimpyVerify(signed.map(\.path))
        var verified = 0
        for (path, algorithm) in signed {
            guard let verdict = verdicts[path] else {
                problems.append("\(path): no line from dkimpy_verify.py")
                continue
            }
            if verdict.passed && verdict.algorithms == [algorithm] {
                verified += 1
            } else if verdict.passed {
                problems.append("\(path): signed with \(verdict.algorithms), expected \(algorithm)")
            } else {
                problems.append("\(path): dkimpy: \(verdict.errors.joined(separator: " | "))")
            }
        }
        let expected = inputs.count * InteropHarness.keys.count * InteropHarness.canonicalizations.count
        print("dkimpy verified \(verified)/\(expected) messages signed by dkimtool")
        #expect(verified == expected, "dkimpy verified \(verified)/\(expected)")
        let noProblems = problems.isEmpty
        #expect(noProblems, "\(problems.count) problems, first ones:\n\(InteropHarness.summary(problems))")
    }

    @Test("dkimtool verify passes dkimpy signatures and fails tampered copies with the right reason")
    func dkimtoolVerifiesDkimpySignatures() throws {
        let harness = try InteropHarness()
        defer { harness.cleanUp() }
        let dkimtool = try harness.dkimtool()
        let inputs = try harness.shapesWithBigOne()

        var good: [String] = []
        var tampered: [(path: String, reason: String)] = []
        for key in InteropHarness.keys {
            for canonicalization in InteropHarness.canonicalizations {
                for withLength in [false, true] {
                    let name = "\(key.selector)-\(canonicalization.replacingSlash)\(withLength ? "-l" : "")"
                    let outDir = try harness.makeDirectory("dkimpy/\(name)")
                    // dkimpy treats bare LF as CRLF when it signs, so the shapes are made CRLF first: the
                    // written message is then exactly the one dkimpy signed.
                    var arguments = [
                        harness.script("dkimpy_sign.py"), "--key", key.path, "--domain", "example.com",
                        "--selector", key.selector, "--algorithm", key.algorithm,
                        "--canonicalization", canonicalization, "--now", "1700000000", "--normalize-crlf",
                        "--out-dir", outDir.path,
                    ]
                    if withLength { arguments.append("--length") }
                    let run = try harness.python(arguments + inputs.map(\.path))
                    try #require(run.status == 0, "dkimpy_sign.py failed (\(name)): \(run.stderrText)")
                    for input in inputs {
                        let signedURL = outDir.appendingPathComponent(input.lastPathComponent)
                        good.append(signedURL.path)
                        let bytes = try [UInt8](Data(contentsOf: signedURL))
                        for copy in try InteropHarness.tamperedCopies(bytes) {
                            let base = signedURL.deletingPathExtension().path
                            let path = "\(base).\(copy.kind).eml"
                            try Data(copy.bytes).write(to: URL(fileURLWithPath: path))
                            tampered.append((path, copy.expectedReason))
                        }
                    }
                }
            }
        }

        var problems: [String] = []
        let goodReports = try harness.dkimtoolVerify(dkimtool, good, problems: &problems)
        var passed = 0
        for path in good {
            guard let report = goodReports[path] else { continue }
            if report.result == "pass" && report.signatureResults == ["pass"] {
                passed += 1
            } else {
                problems.append("\(path): \(report.result) \(report.signatureResults) \(report.reasons)")
            }
        }
        print("dkimtool verified \(passed)/\(good.count) messages signed by dkimpy")
        #expect(passed == good.count, "dkimtool verified \(passed)/\(good.count) dkimpy-signed messages")

        let badReports = try harness.dkimtoolVerify(dkimtool, tampered.map(\.path), problems: &problems)
        var rejected = 0
        for (path, reason) in tampered {
            guard let report = badReports[path] else { continue }
            if report.result == "fail" && report.reasons == [reason] {
                rejected += 1
            } else {
                problems.append("\(path): expected fail/\(reason), got \(report.result) \(report.reasons)")
            }
        }
        print("dkimtool rejected \(rejected)/\(tampered.count) tampered copies with the expected reason")
        #expect(rejected == tampered.count, "dkimtool rejected \(rejected)/\(tampered.count) tampered copies")
        let noProblems = problems.isEmpty
        #expect(noProblems, "\(problems.count) problems, first ones:\n\(InteropHarness.summary(problems))")
    }

    @Test("dkimtool sign refuses a message without From")
    func signRefusesMessageWithoutFrom() throws {
        let harness = try InteropHarness(requirePython: false)
        defer { harness.cleanUp() }
        let dkimtool = try harness.dkimtool()
        let input = InteropHarness.root.appendingPathComponent("TestVectors/interop/error-shapes/no-from.eml")
        let output = try harness.makeDirectory("no-from").appendingPathComponent("signed.eml")
        let key = InteropHarness.keys[0]
        let run = try harness.run(dkimtool, [
            "sign", "--domain", "example.com", "--selector", key.selector, "--key", key.path,
            "--output", output.path, input.path,
        ])
        // RFC 6376 §5.4: From MUST be signed, so there is nothing valid to write; sysexits 65 = bad input data.
        #expect(run.status == 65, "dkimtool sign exited \(run.status) on a message without From")
        #expect(!FileManager.default.fileExists(atPath: output.path), "no output may be written")
    }
}

// MARK: - Harness

/// Paths, processes and byte helpers for the interop tests; mirrors Tests/interop/tamper.py.
private struct InteropHarness {
    struct Key {
        let algorithm: String
        let selector: String
        let path: String
    }

    struct Output {
        let status: Int32
        let stdout: Data
        let stderr: Data

        var stderrText: String { String(decoding: stderr.prefix(2000), as: UTF8.self) }

        var lines: [Data] { stdout.split(separator: 0x0A).map { Data($0) } }
    }

    struct DkimpyVerdict {
        let passed: Bool
        let algorithms: [String]
        let errors: [String]
    }

    struct DkimtoolReport {
        let result: String
        let signatureResults: [String]
        let reasons: [String]
    }

    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // dkimtoolTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    static let keys = [
        Key(algorithm: "rsa-sha256", selector: "rsa", path: root.appendingPathComponent(
            "TestVectors/keys/interop-rsa2048.pem").path),
        Key(algorithm: "ed25519-sha256", selector: "ed", path: root.appendingPathComponent(
            "TestVectors/keys/interop-ed25519.pem").path),
    ]

    static let canonicalizations = ["simple/simple", "simple/relaxed", "relaxed/simple", "relaxed/relaxed"]

    static let installHint = "run scripts/install-deps (it installs python3 and Tests/interop/requirements.txt)"

    let scratch: URL
    let txtRecords: String

    init(requirePython: Bool = true) throws {
        scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("dkimtool-interop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        txtRecords = Self.root.appendingPathComponent("TestVectors/interop/txt-records").path
        guard requirePython else { return }
        let probe = try run(URL(fileURLWithPath: "/usr/bin/env"), [
            "python3", "-c", "import dkim, nacl, dns, cryptography; print(dkim.__file__)",
        ])
        if probe.status != 0 {
            cleanUp()
            let message = "python3 with dkimpy, PyNaCl, dnspython and cryptography is required: \(Self.installHint). "
                + "Probe exited \(probe.status): \(probe.stderrText)"
            Issue.record(Comment(rawValue: message))
            throw HarnessError.missingPython
        }
    }

    enum HarnessError: Error {
        case missingPython
        case missingDkimtool
        case cannotCreateScratchFile
    }

    func cleanUp() {
        try? FileManager.default.removeItem(at: scratch)
    }

    /// The `dkimtool` executable built next to the test bundle by `swift build` / `swift test`.
    func dkimtool() throws -> URL {
        // DKIMTOOL=/path overrides the search (used to prove this harness with Tests/interop/dkimpy_as_dkimtool.py).
        if let override = ProcessInfo.processInfo.environment["DKIMTOOL"] {
            if FileManager.default.isExecutableFile(atPath: override) {
                return URL(fileURLWithPath: override)
            }
            Issue.record("DKIMTOOL=\(override) is not an executable file")
            throw HarnessError.missingDkimtool
        }
        if let tool = CLI.builtExecutable { return tool }
        Issue.record("dkimtool executable not found next to the tests or in .build/debug; run `swift build` first")
        throw HarnessError.missingDkimtool
    }

    func script(_ name: String) -> String {
        Self.root.appendingPathComponent("Tests/interop/\(name)").path
    }

    func makeDirectory(_ relative: String) throws -> URL {
        let url = scratch.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The committed shapes plus the 5 MB one, generated into the scratch directory.
    func shapesWithBigOne() throws -> [URL] {
        let shapes = Self.root.appendingPathComponent("TestVectors/interop/shapes")
        var inputs = try FileManager.default.contentsOfDirectory(at: shapes, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "eml" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let bigDir = try makeDirectory("big")
        let made = try python([script("make_shapes.py"), "--big", bigDir.path])
        try #require(made.status == 0, "make_shapes.py --big failed: \(made.stderrText)")
        inputs.append(bigDir.appendingPathComponent("big-5mb.eml"))
        return inputs
    }

    func python(_ arguments: [String]) throws -> Output {
        try run(URL(fileURLWithPath: "/usr/bin/env"), ["python3"] + arguments)
    }

    /// Runs a process with stdout/stderr going to files (no pipe can fill up and stall it).
    func run(_ executable: URL, _ arguments: [String]) throws -> Output {
        let id = UUID().uuidString
        let outURL = scratch.appendingPathComponent("stdout-\(id)")
        let errURL = scratch.appendingPathComponent("stderr-\(id)")
        guard FileManager.default.createFile(atPath: outURL.path, contents: nil),
              FileManager.default.createFile(atPath: errURL.path, contents: nil) else {
            throw HarnessError.cannotCreateScratchFile
        }
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = outHandle
        process.standardError = errHandle
        try process.run()
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        return Output(status: process.terminationStatus, stdout: try Data(contentsOf: outURL),
                      stderr: try Data(contentsOf: errURL))
    }

    /// Runs Tests/interop/dkimpy_verify.py --json over `paths`; one verdict per file.
    func dkimpyVerify(_ paths: [String]) throws -> [String: DkimpyVerdict] {
        var verdicts: [String: DkimpyVerdict] = [:]
        for batch in stride(from: 0, to: paths.count, by: 200).map({ Array(paths[$0..<min($0 + 200, paths.count)]) }) {
            let run = try python([script("dkimpy_verify.py"), "--txt-records", txtRecords, "--json"] + batch)
            try #require(run.status == 0 || run.status == 1, "dkimpy_verify.py exited \(run.status): \(run.stderrText)")
            for line in run.lines {
                let object = try #require(try JSONSerialization.jsonObject(with: line) as? [String: Any])
                let file = try #require(object["file"] as? String)
                let signatures = object["signatures"] as? [[String: Any]] ?? []
                verdicts[file] = DkimpyVerdict(
                    passed: object["pass"] as? Bool == true,
                    algorithms: signatures.map { $0["algorithm"] as? String ?? "?" },
                    errors: signatures.compactMap { $0["error"] as? String })
            }
        }
        return verdicts
    }

    /// Runs `dkimtool verify --format json` over `paths` (JSON Lines, one object per message, in argument order).
    func dkimtoolVerify(_ tool: URL, _ paths: [String], problems: inout [String]) throws -> [String: DkimtoolReport] {
        var reports: [String: DkimtoolReport] = [:]
        for batch in stride(from: 0, to: paths.count, by: 200).map({ Array(paths[$0..<min($0 + 200, paths.count)]) }) {
            let run = try self.run(tool, [
                "verify", "--format", "json", "--txt-records", txtRecords, "--now", "1700000100",
            ] + batch)
            guard run.status == 0 || run.status == 1 else {
                problems.append("dkimtool verify exited \(run.status): \(run.stderrText)")
                continue
            }
            let lines = run.lines.filter { !$0.isEmpty }
            guard lines.count == batch.count else {
                problems.append("dkimtool verify printed \(lines.count) lines for \(batch.count) messages")
                continue
            }
            for (index, line) in lines.enumerated() {
                guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any] else {
                    problems.append("dkimtool verify printed a line that is not a JSON object")
                    continue
                }
                let file = object["file"] as? String
                let key = file.flatMap { batch.contains($0) ? $0 : nil } ?? batch[index]
                let signatures = object["signatures"] as? [[String: Any]] ?? []
                reports[key] = DkimtoolReport(
                    result: object["result"] as? String ?? "?",
                    signatureResults: signatures.map { $0["result"] as? String ?? "?" },
                    reasons: signatures.map { $0["reason"] as? String ?? "null" })
            }
        }
        return reports
    }

    // MARK: Bytes (mirror of Tests/interop/tamper.py)

    static func summary(_ problems: [String]) -> String {
        problems.prefix(15).joined(separator: "\n")
    }

    static func lowercased(_ byte: UInt8) -> UInt8 {
        (0x41...0x5A).contains(byte) ? byte + 0x20 : byte
    }

    /// Octets of the first header field: its line and every continuation line (starting with SP or HTAB).
    static func firstFieldLength(_ data: [UInt8]) -> Int {
        guard var end = data.firstIndex(of: 0x0A) else { return data.count }
        end += 1
        while end < data.count, data[end] == 0x20 || data[end] == 0x09 {
            guard let next = data[end...].firstIndex(of: 0x0A) else { return data.count }
            end = next + 1
        }
        return end
    }

    static func find(_ pattern: [UInt8], in data: [UInt8]) -> Int? {
        guard data.count >= pattern.count else { return nil }
        for start in 0...(data.count - pattern.count) where data[start..<start + pattern.count].elementsEqual(pattern) {
            return start
        }
        return nil
    }

    /// The `l=` value of the first field (the DKIM-Signature), if any. Test-side parsing of dkimpy's output only.
    static func signedLength(_ data: [UInt8]) -> Int? {
        let field = String(decoding: data[0..<firstFieldLength(data)], as: UTF8.self)
        guard let colon = field.firstIndex(of: ":") else { return nil }
        for tag in field[field.index(after: colon)...].split(separator: ";") {
            let compact = tag.filter { !" \t\r\n".contains($0) }
            if compact.hasPrefix("l=") { return Int(compact.dropFirst(2)) }
        }
        return nil
    }

    struct Tampered {
        let kind: String
        let bytes: [UInt8]
        let expectedReason: String
    }

    /// Tampered copies of a CRLF message whose first field is dkimpy's DKIM-Signature.
    static func tamperedCopies(_ data: [UInt8]) throws -> [Tampered] {
        var copies: [Tampered] = []
        // Body: "X" becomes the first body octet, so the body hash differs (RFC 6376 §6.1.3). With l=0 no body
        // octet is signed and the change is out of the signature's reach by design (§3.5 l=, §8.2): skipped.
        if signedLength(data) != 0 {
            var body = data
            if let separator = find([0x0D, 0x0A, 0x0D, 0x0A], in: data) {
                body.insert(0x58, at: separator + 4)
            } else {
                body += [0x0D, 0x0A, 0x58, 0x0D, 0x0A]
            }
            copies.append(Tampered(kind: "body", bytes: body, expectedReason: "body-hash-mismatch"))
        }
        // Subject: dkimpy signs every Subject instance; "X" after the colon changes the signed header data while
        // the body hash still matches, so the signature itself fails (§6.1.3 step 4).
        let subjectName = Array("\nSubject:".utf8)
        let subjectAt = try #require(find(subjectName, in: data), "shape without Subject")
        var subject = data
        subject.insert(0x58, at: subjectAt + subjectName.count)
        copies.append(Tampered(kind: "subject", bytes: subject, expectedReason: "signature-mismatch"))
        // Extra From prepended: dkimpy lists `from` in h= once more than the message has (its default "frozen"
        // header). At signing the extra `from` selected no field and hashed as the null string (§5.4.2); a
        // verifier selects instances bottom-up (§5.4.2), so that `from` now selects the prepended field. The body
        // hash matches and the header hash differs: the signature fails, reason signature-mismatch. This is the
        // insertion §5.4 lets a signer detect by naming a field more often than it occurs (threat: §8.15); were
        // From named only once, the bottom-up choice would still pick the original From and the copy would pass.
        copies.append(Tampered(kind: "from", bytes: Array("From: Mallory <mallory@example.net>\r\n".utf8) + data,
                               expectedReason: "signature-mismatch"))
        return copies
    }
}

private extension String {
    var replacingSlash: String { replacingOccurrences(of: "/", with: "-") }
}
