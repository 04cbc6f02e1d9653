import Foundation
import Testing
@testable import DKIMCore

/// One case of `TestVectors/hostile/`: a message and its exact expected outcome.
struct HostileCase: Sendable, CustomTestStringConvertible {
    struct Verdict: Sendable, Equatable {
        var result: String
        var reason: String?
    }

    var file: String
    var description: String
    /// The DKIMError code expected when the message cannot be read; nil when it must verify to a result.
    var error: String?
    var result: String?
    var signatures: [Verdict]

    var testDescription: String { file }
}

/// Runs every case of the hostile corpus (`TestVectors/hostile/expected.json`, made by `generate.py`).
@Suite struct HostileCorpusTests {
    struct Corpus: Sendable {
        var now: Int64
        var cases: [HostileCase]
    }

    static func load() throws -> Corpus {
        let data = Data(try Vectors.bytes("hostile/expected.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let now = try #require(root["now"] as? Int)
        let entries = try #require(root["cases"] as? [[String: Any]])
        let cases = try entries.map { entry in
            let signatures = (entry["signatures"] as? [[String: Any]] ?? []).map { item in
                HostileCase.Verdict(result: item["result"] as? String ?? "?", reason: item["reason"] as? String)
            }
            return HostileCase(file: try #require(entry["file"] as? String),
                               description: entry["description"] as? String ?? "",
                               error: entry["error"] as? String, result: entry["result"] as? String,
                               signatures: signatures)
        }
        return Corpus(now: Int64(now), cases: cases)
    }

    static let corpus = (try? load()) ?? Corpus(now: 0, cases: [])

    /// Cases too large to commit (over 2 MiB), built here with the same bytes `generate.py` writes.
    static let generatedAtTestTime: [String: @Sendable () -> [UInt8]] = [
        "header-one-million-fields.eml": {
            Array([[UInt8]](repeating: Array("A:\r\n".utf8), count: 1_000_000).joined()) + Array("\r\n".utf8)
        },
        "header-no-empty-line-2mib.eml": {
            Array("Subject: ".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 2 << 20)
        },
    ]

    static func message(_ file: String) throws -> [UInt8] {
        try generatedAtTestTime[file]?() ?? Vectors.bytes("hostile/" + file)
    }

    static func verifier(now: Int64) throws -> DKIMVerifier {
        let records = Vectors.root.appendingPathComponent("hostile/txt-records").path
        let resolver = try TXTRecordFileResolver(contentsOfFile: records)
        return DKIMVerifier(options: VerifyOptions(resolver: resolver, clock: { now }))
    }

    @Test func corpusHasAtLeastOneHundredCases() throws {
        let corpus = try Self.load()
        #expect(corpus.cases.count >= 100)
        #expect(Set(corpus.cases.map(\.file)).count == corpus.cases.count)
        // Every .eml in the folder has an expectation, and every expectation a file.
        let folder = Vectors.root.appendingPathComponent("hostile").path
        let files = try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { $0.hasSuffix(".eml") }
        #expect(Set(files).union(Self.generatedAtTestTime.keys) == Set(corpus.cases.map(\.file)))
    }

    /// The exact bytes go to the verifier: no line-ending normalisation, so bare CR/LF cases stay hostile.
    @Test(arguments: corpus.cases) func caseHasItsExpectedOutcome(_ item: HostileCase) async throws {
        let message = try Self.message(item.file)
        let verifier = try Self.verifier(now: Self.corpus.now)
        if let error = item.error {
            let thrown = await #expect(throws: DKIMError.self) { try await verifier.verify(message: message) }
            #expect(thrown?.code.rawValue == error, "\(item.description): \(thrown?.reason ?? "")")
            return
        }
        let outcome = try await verifier.verify(message: message)
        #expect(outcome.result.rawValue == item.result, "\(item.description)")
        let got = outcome.signatures.map {
            HostileCase.Verdict(result: $0.result.rawValue, reason: $0.reason?.rawValue)
        }
        #expect(got == item.signatures, "\(item.description): \(outcome.signatures.map(\.explanation))")
        #expect(outcome.signatures.map(\.index) == Array(outcome.signatures.indices))
    }
}
