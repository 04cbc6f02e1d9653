import DKIMCore
import Foundation
import Testing

/// `dkimtool record`, run as a process (ARCHITECTURE.md §5).
@Suite struct RecordCommandTests {
    static func opensslBase64(_ name: String) throws -> String {
        try String(contentsOfFile: CLI.vectorKey(name), encoding: .utf8)
    }

    @Test(arguments: ["v=DKIM1; k=rsa; p=", "v=DKIM1; k=ed25519; p="])
    func revokedKeyIsReported(value: String) throws {
        let result = try CLI.run(["record", value])
        #expect(result.status == 0)
        #expect(CLI.field("status", in: result.stdout) == "revoked")
        #expect(result.stderr.contains("revoked"))
    }

    @Test func validRecordReportsKey() throws {
        let b64 = try Self.opensslBase64("rsa2048-pkcs8.spki.b64")
        let result = try CLI.run([
            "record", "v=DKIM1; k=rsa; p=\(b64)", "--selector", "mail", "--domain", "example.com",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(CLI.field("status", in: result.stdout) == "valid")
        #expect(CLI.field("key", in: result.stdout) == "rsa, 2048 bits")
        #expect(CLI.field("name", in: result.stdout) == "mail._domainkey.example.com")
        #expect(result.stdout.contains("mail._domainkey.example.com. IN TXT ( \"v=DKIM1; k=rsa; \""))
        // One long unsplit string is worth a warning, on stderr.
        #expect(result.stderr.contains("unsplit-long-string"))
    }

    @Test(arguments: [
        ("v=DKIM1; k=rsa; p=AAAA; p=AAAA", "more than once"),
        ("v=DKIM1; k=rsa; p=AB$CD", "base64"),
        ("v=DKIM1; k=rsa", "p="),
        ("k=rsa; v=DKIM1; p=", "first"),
    ])
    func malformedRecordExits65NamingTheFault(value: String, fault: String) throws {
        let result = try CLI.run(["record", value])
        #expect(result.status == 65)
        #expect(result.stderr.contains(fault), "\(result.stderr)")
        #expect(CLI.field("status", in: result.stdout) == "malformed")
    }

    @Test func unusableKeyExits65() throws {
        let result = try CLI.run(["record", "v=DKIM1; k=rsa; p=AAAA"])
        #expect(result.status == 65)
        #expect(CLI.field("status", in: result.stdout) == "unusable")
    }

    /// The record derived from an openssl-made key carries exactly openssl's SPKI, base64 by `openssl base64`.
    @Test(arguments: ["rsa2048-pkcs8.pem", "rsa2048-pkcs1.pem", "rsa2048-pkcs8.der", "rsa2048-pkcs1.der"])
    func recordFromPrivateKeyFile(name: String) throws {
        let spkiName = name.hasPrefix("rsa2048-pkcs1") ? "rsa2048-pkcs1.spki.der" : "rsa2048-pkcs8.spki.b64"
        let result = try CLI.run(["record", "--key", CLI.vectorKey(name), "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let value = try #require(json["value"] as? String)
        #expect(json["status"] as? String == "derived")
        #expect(json["keyBits"] as? Int == 2048)
        if spkiName.hasSuffix(".b64") {
            #expect(value == "v=DKIM1; k=rsa; p=" + (try Self.opensslBase64(spkiName)))
        } else {
            let der = [UInt8](try Data(contentsOf: URL(fileURLWithPath: CLI.vectorKey(spkiName))))
            #expect(try DKIMKeyRecord(parsing: value).publicKeyData == der)
        }
        #expect(!result.stdout.contains("PRIVATE"))
    }

    @Test func ed25519KeyFileGivesRawKey() throws {
        let result = try CLI.run(["record", "--key", CLI.vectorKey("ed25519-pkcs8.pem")])
        #expect(result.status == 0)
        let expected = "v=DKIM1; k=ed25519; p=" + (try Self.opensslBase64("ed25519.raw.b64"))
        #expect(CLI.field("value", in: result.stdout) == expected)
    }

    @Test func valueFromStandardInput() throws {
        let result = try CLI.run(["record", "-", "--format", "json"], stdin: "v=DKIM1; k=rsa; p=\n")
        #expect(result.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["status"] as? String == "revoked")
    }

    @Test func malformedJSONCarriesTheError() throws {
        let result = try CLI.run(["record", "v=DKIM1; p=\"AAAA\"", "--format", "json"])
        #expect(result.status == 65)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let error = try #require(json["error"] as? [String: Any])
        #expect(error["code"] as? String == "malformed-key-record")
        let warnings = try #require(json["warnings"] as? [[String: Any]])
        #expect(warnings.contains { $0["code"] as? String == "quotes-in-value" })
    }

    @Test func fileErrors() throws {
        #expect(try CLI.run(["record", "--key", "/nonexistent/key.pem"]).status == 66)
        #expect(try CLI.run(["record", "--key", CLI.vectorKey("message.txt")]).status == 65)
        #expect(try CLI.run(["record", "--key", CLI.vectorKey("rsa512-pkcs8.pem")]).status == 65)
    }

    @Test(arguments: [
        [String](),
        ["v=DKIM1; p=", "--key", "x.pem"],
        ["v=DKIM1; p=", "--domain", "example.com"],
        ["v=DKIM1; p=", "--format", "xml"],
    ])
    func usageErrorsExit64(arguments: [String]) throws {
        #expect(try CLI.run(["record"] + arguments).status == 64)
    }
}
