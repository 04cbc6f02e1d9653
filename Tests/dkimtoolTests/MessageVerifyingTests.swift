import DKIMCore
import Foundation
import Testing
@testable import dkimtool

/// Streaming verification of a file (`MessageVerifying`) gives the verdict of verifying the whole file in memory,
/// for CRLF, bare-LF and mbox-saved files; `EnvelopeLineFilter` drops only a leading `From ` line, across chunks.
@Suite struct MessageVerifyingTests {
    static let key = CLI.vectorKey("rsa2048-pkcs8.pem")

    static func signed(_ text: String) throws -> [UInt8] {
        let pem = try String(contentsOfFile: key, encoding: .utf8)
        let privateKey = try DKIMPrivateKey(pemRepresentation: pem)
        var options = SignOptions(domain: "example.com", selector: "mail", key: privateKey)
        options.clock = { 1_700_000_000 }
        return try DKIMSigner(options: options).sign(message: Array(text.utf8))
    }

    static func verifier() throws -> DKIMVerifier {
        let pem = try String(contentsOfFile: key, encoding: .utf8)
        let record = try DKIMKeyRecord(publicKey: try DKIMPrivateKey(pemRepresentation: pem).publicKey).oneLineValue
        return DKIMVerifier(options: VerifyOptions(resolver: StaticKeyResolver(records: [
            "mail._domainkey.example.com": [record],
        ]), clock: { 1_700_000_000 }))
    }

    static func filtered(_ bytes: [UInt8], splitAt split: Int) -> [UInt8] {
        var filter = EnvelopeLineFilter()
        var output: [UInt8] = []
        for part in [bytes[..<split], bytes[split...]] {
            Array(part).withUnsafeBytes { filter.filter($0) { output += $0 } }
        }
        filter.finish { output += $0 }
        return output
    }

    @Test func envelopeLineDroppedAtEverySplit() {
        let message = Array("From: a@example.com\r\n\r\nbody\r\n".utf8)
        let saved = Array("From alice@example.com Sat Nov 28 10:00:00 2026\n".utf8) + message
        for split in 0...saved.count {
            #expect(Self.filtered(saved, splitAt: split) == message, "split at \(split)")
        }
        // "From:" is a header field, not an envelope line; short inputs are kept whole.
        for kept in [message, Array("Fro".utf8), Array("X: y\r\n".utf8), []] {
            for split in 0...kept.count {
                #expect(Self.filtered(kept, splitAt: split) == kept)
            }
        }
    }

    @Test(arguments: ["crlf", "lf", "mbox"])
    func fileVerdictMatchesInMemory(style: String) async throws {
        var bytes = try Self.signed("From: a@example.com\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nbody  \r\n\r\n")
        if style != "crlf" { bytes = bytes.filter { $0 != 13 } }
        if style == "mbox" { bytes = Array("From a@example.com Sat Nov 28 10:00:00 2026\n".utf8) + bytes }
        let path = try CLI.temporaryDirectory().appendingPathComponent("m.eml").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let outcome = try await MessageVerifying.verify(path: path, with: try Self.verifier())
        #expect(outcome.result == .pass)
        // The in-memory path: envelope line dropped, CRLF normalisation, one-shot verify.
        var plain = bytes
        if plain.starts(with: Array("From ".utf8)), let newline = plain.firstIndex(of: 10) {
            plain = Array(plain[(newline + 1)...])
        }
        let inMemory = try await Self.verifier().verify(message: LineEndings.normalizeToCRLF(plain))
        #expect(outcome.signatures.map(\.result) == inMemory.signatures.map(\.result))
    }

    @Test func missingFileThrows() async throws {
        await #expect(throws: FileIOError.self) {
            _ = try await MessageVerifying.verify(path: "/nonexistent/m.eml", with: try Self.verifier())
        }
    }
}
