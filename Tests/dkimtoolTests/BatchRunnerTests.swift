import Foundation
import Testing
@testable import dkimtool

/// ``BatchRunner``: every job runs once, results come back in input order, at most `width` jobs run at once;
/// and `dkimtool sign --output-dir` over many files through it.
@Suite struct BatchRunnerTests {
    /// Counts jobs running at the same time and the most seen.
    final class Gauge: @unchecked Sendable {
        private let lock = NSLock()
        private var running = 0
        private(set) var peak = 0

        func enter() { lock.withLock { running += 1; peak = max(peak, running) } }
        func leave() { lock.withLock { running -= 1 } }
    }

    @Test(arguments: [1, 2, 3, 8])
    func resultsInInputOrderWithinWidth(width: Int) async {
        let gauge = Gauge()
        var delivered: [Int] = []
        // Later jobs finish first (shorter sleeps), so delivery order is not completion order.
        await BatchRunner(width: width).run(count: 40, work: { index in
            gauge.enter()
            try? await Task.sleep(nanoseconds: UInt64((40 - index) % 7) * 300_000)
            gauge.leave()
            return index * index
        }, deliver: { index, square in
            #expect(square == index * index)
            delivered.append(index)
        })
        #expect(delivered == Array(0..<40))
        #expect(gauge.peak <= width)
        #expect(gauge.peak >= 1)
    }

    /// A slow first job does not stop the others: they finish while it runs (up to the window), and results still
    /// come out in input order. Job 0 waits until every other job has finished, or gives up after 300 s; with a
    /// window narrower than the batch the others never finish and it gives up. The deadline is long because the
    /// other suites running in parallel can hold the cooperative pool's threads for tens of seconds; the test
    /// passes as soon as the others are done.
    @Test func slowJobDoesNotStopTheOthers() async {
        let runner = BatchRunner(width: 2)
        let count = 40
        #expect(runner.window >= count)
        let finished = Gauge()
        var delivered: [Int] = []
        var othersDoneFirst = false
        await runner.run(count: count, work: { index -> Bool in
            guard index == 0 else {
                finished.enter()
                return true
            }
            let deadline = ContinuousClock.now + .seconds(300)
            while finished.peak < count - 1, ContinuousClock.now < deadline {
                try? await Task.sleep(nanoseconds: 1_000_000)
            }
            return finished.peak == count - 1
        }, deliver: { index, result in
            if index == 0 { othersDoneFirst = result }
            delivered.append(index)
        })
        #expect(othersDoneFirst)
        #expect(delivered == Array(0..<count))
    }

    @Test func emptyBatchDeliversNothing() async {
        var calls = 0
        await BatchRunner(width: 2).run(count: 0, work: { $0 }, deliver: { _, _ in calls += 1 })
        #expect(calls == 0)
    }

    @Test func activeCoresIsPositive() {
        #expect(BatchRunner.activeCores >= 1)
        #expect(BatchRunner(width: 0).width == 1)
    }

    /// 30 messages signed with two jobs: every output verifies; a missing input is reported in its place.
    @Test func signOutputDirectoryInParallel() throws {
        let directory = try CLI.temporaryDirectory()
        let key = CLI.vectorKey("rsa2048-pkcs8.pem")
        let output = directory.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        var inputs: [String] = []
        for index in 0..<30 {
            let path = directory.appendingPathComponent("m\(index).eml").path
            let text = "From: a@example.com\r\nSubject: message \(index)\r\n\r\nbody \(index)\r\n"
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            inputs.append(path)
        }
        inputs.insert(directory.appendingPathComponent("missing.eml").path, at: 7)
        let result = try CLI.run(["sign", "--domain", "example.com", "--selector", "mail", "--key", key,
                                  "--output-dir", output.path, "--jobs", "2", "--now", "1700000000"] + inputs)
        #expect(result.status == 66)
        #expect(result.stderr.contains("missing.eml"))
        let derived = try CLI.run(["record", "--key", key, "--format", "json"])
        let value = try #require(
            (try JSONSerialization.jsonObject(with: Data(derived.stdout.utf8)) as? [String: Any])?["value"] as? String)
        let records = directory.appendingPathComponent("records").path
        try Data("mail._domainkey.example.com \(value)\n".utf8).write(to: URL(fileURLWithPath: records))
        let signed = (0..<30).map { output.appendingPathComponent("m\($0).eml").path }
        let verified = try CLI.run(["verify", "--txt-records", records, "--now", "1700000000"] + signed)
        #expect(verified.status == 0)
        #expect(verified.stdout.components(separatedBy: ": pass\n").count == 31)
    }

    /// A directory argument signs the regular files directly in it, in byte order of names, skipping hidden
    /// files and subdirectories; without --output-dir it is refused, and an empty one is named in a warning.
    @Test func signOutputDirectoryFromADirectory() throws {
        let directory = try CLI.temporaryDirectory()
        let key = CLI.vectorKey("rsa2048-pkcs8.pem")
        let input = directory.appendingPathComponent("in")
        let output = directory.appendingPathComponent("out")
        let empty = directory.appendingPathComponent("empty")
        for folder in [input, output, empty, input.appendingPathComponent("sub")] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        let names = ["b.eml", "a.eml", "10.eml", ".hidden.eml", "sub/nested.eml"]
        for name in names {
            let text = "From: a@example.com\r\nSubject: \(name)\r\n\r\nbody\r\n"
            try Data(text.utf8).write(to: input.appendingPathComponent(name))
        }
        let sign = ["sign", "--domain", "example.com", "--selector", "mail", "--key", key, "--now", "1700000000"]
        let result = try CLI.run(sign + ["--output-dir", output.path, input.path])
        #expect(result.status == 0, "\(result.stderr)")
        let written = try FileManager.default.contentsOfDirectory(atPath: output.path).sorted()
        #expect(written == ["10.eml", "a.eml", "b.eml"])
        for name in written {
            let signed = try String(contentsOf: output.appendingPathComponent(name), encoding: .utf8)
            #expect(signed.hasPrefix("DKIM-Signature: "))
            #expect(signed.hasSuffix("Subject: \(name)\r\n\r\nbody\r\n"))
            // Written unnamed (O_TMPFILE) or under a temporary name, then linked: the mode is set explicitly.
            let attributes = try FileManager.default.attributesOfItem(atPath: output.appendingPathComponent(name).path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o644)
        }

        let refused = try CLI.run(sign + ["--output", output.appendingPathComponent("x").path, input.path])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("is a directory"))

        let nothing = try CLI.run(sign + ["--output-dir", output.path, empty.path])
        #expect(nothing.status == 0)
        #expect(nothing.stderr.contains("holds no files to sign"))
    }
}
