import Foundation
import Testing
import DKIMCore

/// The Mail::DKIM test corpus (`TestVectors/mail-dkim/`) and its expectations by RFC 6376, RFC 8301 and RFC 8463.
///
/// The verdicts in `expected.json` were decided from facts computed outside this library (Python hashlib and
/// `cryptography`, dkimpy as a second opinion) and the RFC rules cited in each entry's `why`; see
/// `TestVectors/mail-dkim/README.md`. They are not copied from this verifier's output.
enum MailDKIMCorpus {
    /// `expected.json`: the clock and, per message file, the message verdict and one entry per DKIM-Signature.
    struct Expectations: Decodable {
        struct Signature: Decodable {
            let index: Int
            let result: String
            let reason: String?
            let why: String
        }

        struct Message: Decodable {
            let result: String
            let signatures: [Signature]
        }

        let now: Int64
        let messages: [String: Message]
    }

    static let directory = Vectors.root.appendingPathComponent("mail-dkim")

    /// The message file names, sorted; empty when the directory cannot be listed (``MailDKIMCorpusTests``
    /// then fails its completeness test rather than silently running nothing).
    static let messageNames: [String] = {
        let path = directory.appendingPathComponent("messages").path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { $0.hasSuffix(".txt") }.sorted()
    }()

    static func expectations() throws -> Expectations {
        let data = try Data(contentsOf: directory.appendingPathComponent("expected.json"))
        return try JSONDecoder().decode(Expectations.self, from: data)
    }

    static func message(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent("messages").appendingPathComponent(name)))
    }

    static func resolver() throws -> TXTRecordFileResolver {
        try TXTRecordFileResolver(contentsOfFile: directory.appendingPathComponent("FAKE_DNS.dat").path)
    }
}

@Suite struct MailDKIMCorpusTests {
    @Test func corpusAndExpectationsCoverTheSameMessages() throws {
        let expectations = try MailDKIMCorpus.expectations()
        #expect(MailDKIMCorpus.messageNames.count == 79)
        #expect(Set(expectations.messages.keys) == Set(MailDKIMCorpus.messageNames))
        for (name, message) in expectations.messages {
            #expect(message.signatures.map(\.index) == Array(message.signatures.indices), "\(name)")
        }
    }

    /// The message verdicts in the JSON follow from its signature results (RFC 6376 §4.2 and ARCHITECTURE §4:
    /// any pass; else temperror; else fail; else permerror; else none), and every non-pass result has a reason.
    @Test func expectedMessageVerdictsFollowFromSignatureResults() throws {
        let expectations = try MailDKIMCorpus.expectations()
        for (name, message) in expectations.messages {
            let results = Set(message.signatures.map(\.result))
            let verdict = ["pass", "temperror", "fail", "permerror"].first(where: results.contains) ?? "none"
            #expect(message.result == verdict, "\(name)")
            for signature in message.signatures {
                #expect((signature.result == "pass") == (signature.reason == nil), "\(name) \(signature.index)")
            }
        }
    }

    /// Verifies one message (line endings normalised first, RFC 6376 §5.3) against FAKE_DNS.dat at the JSON's
    /// clock, and compares the message verdict and each signature's result and reason with `expected.json`.
    @Test(arguments: MailDKIMCorpus.messageNames)
    func verdictMatchesTheRFCExpectation(_ name: String) async throws {
        let expectations = try MailDKIMCorpus.expectations()
        let expected = try #require(expectations.messages[name], "\(name) has no entry in expected.json")
        let message = LineEndings.normalizeToCRLF(try MailDKIMCorpus.message(name))
        let now = expectations.now
        let verifier = DKIMVerifier(options: VerifyOptions(resolver: try MailDKIMCorpus.resolver(), clock: { now }))

        let outcome = try await verifier.verify(message: message)

        #expect(outcome.result.rawValue == expected.result, "\(name): message verdict")
        try #require(outcome.signatures.count == expected.signatures.count, "\(name): number of DKIM-Signature fields")
        for (actual, wanted) in zip(outcome.signatures, expected.signatures) {
            let context = "\(name) signature \(wanted.index): expected because \(wanted.why)"
            #expect(actual.result.rawValue == wanted.result, "\(context)")
            #expect(actual.reason?.rawValue == wanted.reason, "\(context)")
        }
    }
}
