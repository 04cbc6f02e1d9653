import Foundation
import Testing
import DKIMCore

/// Frozen messages signed by the peers of the interop matrix (dkimpy, Mail::DKIM, OpenDKIM), as exact bytes in
/// `TestVectors/peers/<peer>/`, with their key records (`TestVectors/peers/txt-records`) and expected verdicts
/// (`TestVectors/peers/expected.json`). They run without any peer installed.
///
/// The expectations come from how each file was made (`Tests/interop/make_peer_vectors.py`): an untampered shape
/// must pass; a tampered or policy case has the verdict `Tests/interop/cases.py` derives from the RFC section
/// named in the entry's `source`. They are not copied from this verifier's output.
enum PeerVectors {
    struct Expectations: Decodable {
        struct Signature: Decodable {
            let result: String
            let reason: String?
            let warning: String?
        }

        struct Vector: Decodable {
            let result: String
            let signatures: [Signature]
            let source: String
        }

        let now: Int64
        let peers: [String: String]
        let vectors: [String: Vector]
    }

    static let directory = Vectors.root.appendingPathComponent("peers")

    /// `<peer>/<file>.eml` for every file on disk, sorted; empty when the directory cannot be listed (the
    /// coverage test then fails rather than running nothing).
    static let names: [String] = {
        var names: [String] = []
        for peer in ["dkimpy", "mail-dkim", "opendkim"] {
            let path = directory.appendingPathComponent(peer).path
            let files = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            names += files.filter { $0.hasSuffix(".eml") }.map { "\(peer)/\($0)" }
        }
        return names.sorted()
    }()

    static func expectations() throws -> Expectations {
        let data = try Data(contentsOf: directory.appendingPathComponent("expected.json"))
        return try JSONDecoder().decode(Expectations.self, from: data)
    }

    static func resolver() throws -> TXTRecordFileResolver {
        try TXTRecordFileResolver(contentsOfFile: directory.appendingPathComponent("txt-records").path)
    }
}

@Suite struct PeerVectorTests {
    @Test func atLeast200VectorsFromEveryPeerAllWithExpectations() throws {
        let expectations = try PeerVectors.expectations()
        #expect(PeerVectors.names.count >= 200)
        #expect(Set(expectations.vectors.keys) == Set(PeerVectors.names))
        for peer in ["dkimpy", "mail-dkim", "opendkim"] {
            #expect(PeerVectors.names.count { $0.hasPrefix(peer + "/") } >= 60, "\(peer)")
            #expect(expectations.peers[peer] != nil, "\(peer) version")
        }
        // Tampered and policy cases are part of the set, not only passing messages.
        #expect(expectations.vectors.values.count { $0.result != "pass" } >= 30)
    }

    /// Verifies one peer-signed message offline at the JSON's clock and compares the message verdict and each
    /// signature's result, reason and (where given) warning with `expected.json`.
    @Test(arguments: PeerVectors.names)
    func verdictMatchesExpectation(_ name: String) async throws {
        let expectations = try PeerVectors.expectations()
        let expected = try #require(expectations.vectors[name], "\(name) has no entry in expected.json")
        let message = [UInt8](try Data(contentsOf: PeerVectors.directory.appendingPathComponent(name)))
        let now = expectations.now
        let verifier = DKIMVerifier(options: VerifyOptions(resolver: try PeerVectors.resolver(), clock: { now }))

        let outcome = try await verifier.verify(message: message)

        let context = "\(name) (\(expected.source))"
        #expect(outcome.result.rawValue == expected.result, "\(context): message verdict")
        try #require(outcome.signatures.count == expected.signatures.count, "\(context): number of signatures")
        for (actual, wanted) in zip(outcome.signatures, expected.signatures) {
            #expect(actual.result.rawValue == wanted.result, "\(context)")
            #expect(actual.reason?.rawValue == wanted.reason, "\(context)")
            if let warning = wanted.warning {
                #expect(actual.warnings.contains { $0.code == warning }, "\(context): warning \(warning)")
            }
        }
    }
}
