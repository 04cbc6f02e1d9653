import Foundation
import Testing
@testable import dkimtool

/// `dkimtool bench`: every requested cell is printed with a rate and a limit, and `--corpus` writes what the peer
/// script needs. No figure is compared with a threshold: timing is the benchmark's business, not the tests'.
@Suite struct BenchCommandTests {
    @Test func jsonCellsAndCorpus() throws {
        let corpus = try CLI.temporaryDirectory().appendingPathComponent("corpus")
        let result = try CLI.run(["bench", "--sizes", "2k", "--canonicalizations", "simple/simple",
                                  "--seconds", "0.01", "--rounds", "3", "--format", "json", "--corpus", corpus.path])
        #expect(result.status == 0)
        let objects = try result.stdout.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        #expect(objects.first?["openssl"] != nil)
        let cells = objects.dropFirst()
        #expect(cells.count == 4)  // sign and verify × rsa-sha256 and ed25519-sha256
        for cell in cells {
            #expect((cell["msgsPerSecond"] as? Double ?? 0) > 0)
            #expect((cell["limit"] as? Double ?? 0) > 0)
            // The median of three paired rounds' fractions: positive and finite.
            let fraction = cell["fraction"] as? Double ?? 0
            #expect(fraction > 0 && fraction.isFinite)
            #expect(cell["c"] as? String == "simple/simple")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: corpus.path)
        for name in ["msg-2000.eml", "rsa.private", "ed.private", "txt-records",
                     "signed-rsa-relaxed-relaxed-2000.eml", "signed-ed-simple-simple-2000.eml"] {
            #expect(files.contains(name), "\(name) missing")
        }
        // The corpus verifies with the records written beside it.
        let verified = try CLI.run(["verify", "--txt-records", corpus.appendingPathComponent("txt-records").path,
                                    "--now", "1700000000",
                                    corpus.appendingPathComponent("signed-ed-simple-simple-2000.eml").path])
        #expect(verified.status == 0)
    }

    /// A round's slices add up: each run counts at least one operation and at least its stretch of time, and the
    /// rate is the sum of the counts over the sum of the times.
    @Test func tallyAddsUpSlices() throws {
        var tally = BenchTimer.Tally()
        var calls = 0
        tally.run(for: 0.002) { calls += 1 }
        let first = tally
        #expect(first.count == calls && first.count >= 1)
        #expect(first.elapsed >= 0.002)
        tally.run(for: 0.002) { calls += 1 }
        #expect(tally.count == calls && tally.count > first.count)
        #expect(tally.elapsed >= first.elapsed + 0.002)
        #expect(tally.rate == Double(tally.count) / tally.elapsed)
        #expect(BenchTimer.Tally().rate == 0)

        struct Stop: Error {}
        var failing = BenchTimer.Tally()
        #expect(throws: Stop.self) { try failing.run(for: 1) { throw Stop() } }
    }

    @Test func refusesBadSizes() throws {
        let result = try CLI.run(["bench", "--sizes", "two"])
        #expect(result.status == 64)
    }
}
