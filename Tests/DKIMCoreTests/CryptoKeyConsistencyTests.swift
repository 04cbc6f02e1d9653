import Foundation
import Testing
@testable import DKIMCore

/// A private key whose parts do not belong together is refused at import (`openssl pkey -check` agrees).
@Suite struct CryptoKeyConsistencyTests {
    /// The PEM with one base64 line of the body reversed: still base64 and still DER, but n ≠ p·q.
    static func damagedPEM(line: Int) throws -> String {
        var lines = try Vectors.text("keys/rsa2048-pkcs8.pem").split(separator: "\n", omittingEmptySubsequences: false)
        lines[line] = Substring(String(lines[line].reversed()))
        return lines.joined(separator: "\n")
    }

    @Test func intactKeysStillLoad() throws {
        _ = try DKIMPrivateKey(pemRepresentation: try Vectors.text("keys/rsa2048-pkcs8.pem"))
        _ = try DKIMPrivateKey(pemRepresentation: try Vectors.text("keys/ed25519-pkcs8.pem"))
        _ = try DKIMPrivateKey(derRepresentation: try Vectors.bytes("keys/rsa2048-pkcs1.der"))
    }

    /// Line 3 lies inside the modulus; `openssl pkey -check` says "n does not equal p q".
    @Test func damagedModulusIsRefused() throws {
        let pem = try Self.damagedPEM(line: 3)
        #expect(throws: DKIMError(.malformedKey, "")) { try DKIMPrivateKey(pemRepresentation: pem) }
    }
}
