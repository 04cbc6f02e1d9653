import DKIMCore
import Foundation
import Testing

/// `dkimtool keygen`, run as a process (ARCHITECTURE.md §5).
@Suite struct KeygenCommandTests {
    @Test func rsaKeygenWritesKeyAndRecord() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try CLI.run([
            "keygen", "--domain", "example.com", "--selector", "mail", "--output-dir", directory.path,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(CLI.field("name", in: result.stdout) == "mail._domainkey.example.com")
        let value = try #require(CLI.field("value", in: result.stdout))
        #expect(value.hasPrefix("v=DKIM1; k=rsa; p="))
        #expect(!result.stdout.contains("PRIVATE KEY") && !result.stderr.contains("PRIVATE KEY"))

        let privateURL = directory.appendingPathComponent("mail.private")
        #expect(try CLI.permissions(privateURL) == 0o600)
        let pem = try String(contentsOf: privateURL, encoding: .utf8)
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let key = try DKIMPrivateKey(pemRepresentation: pem)
        #expect(key.type == .rsa && key.bits == 2048)

        // Every quoted string of mail.txt is at most 255 octets and they join to the printed value.
        let zone = try String(contentsOf: directory.appendingPathComponent("mail.txt"), encoding: .utf8)
        #expect(zone.hasPrefix("mail._domainkey IN TXT ( \"v=DKIM1; k=rsa; \""))
        let strings = CLI.quotedStrings(zone)
        #expect(strings.count >= 2)
        #expect(strings.allSatisfy { $0.utf8.count <= 255 })
        #expect(strings.joined() == value)

        // p= is exactly the key's SPKI DER.
        let record = try DKIMKeyRecord(parsing: value)
        #expect(record.publicKeyData == key.publicKey.derRepresentation)
    }

    /// p= must equal what `openssl pkey -pubout -outform DER` prints, and openssl must accept the key file.
    @Test(arguments: ["rsa", "ed25519"])
    func publishedKeyMatchesOpenSSL(algorithm: String) throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try CLI.run([
            "keygen", "--domain", "example.org", "--selector", "s1", "--algorithm", algorithm,
            "--output-dir", directory.path, "--format", "json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        )
        let value = try #require(json["value"] as? String)
        #expect(json["recordName"] as? String == "s1._domainkey.example.org")
        #expect(json["algorithm"] as? String == algorithm)
        let privatePath = directory.appendingPathComponent("s1.private").path
        let check = try CLI.runProgram(CLI.openssl, ["pkey", "-in", privatePath, "-noout"])
        #expect(check.status == 0, "\(check.stderr)")
        let derPath = directory.appendingPathComponent("pub.der").path
        let export = try CLI.runProgram(
            CLI.openssl, ["pkey", "-in", privatePath, "-pubout", "-outform", "DER", "-out", derPath]
        )
        #expect(export.status == 0)
        let opensslDER = [UInt8](try Data(contentsOf: URL(fileURLWithPath: derPath)))
        let record = try DKIMKeyRecord(parsing: value)
        if algorithm == "rsa" {
            #expect(value.hasPrefix("v=DKIM1; k=rsa; p="))
            #expect(record.publicKeyData == opensslDER)
        } else {
            #expect(value.hasPrefix("v=DKIM1; k=ed25519; p="))
            // RFC 8463 §4: the 32 raw key bytes, which end the 44-byte Ed25519 SPKI (RFC 8410 §4).
            #expect(record.publicKeyData.count == 32)
            #expect(record.publicKeyData == Array(opensslDER.suffix(32)))
        }
        let strings = try #require(json["txtStrings"] as? [String])
        #expect(strings.joined() == value)
    }

    @Test func refusesToOverwriteWithoutForce() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let arguments = ["keygen", "--domain", "example.com", "--selector", "mail", "--algorithm", "ed25519",
                         "--output-dir", directory.path]
        #expect(try CLI.run(arguments).status == 0)
        let privateURL = directory.appendingPathComponent("mail.private")
        let before = try Data(contentsOf: privateURL)
        let again = try CLI.run(arguments)
        #expect(again.status == 73)
        #expect(again.stderr.contains("--force"))
        #expect(try Data(contentsOf: privateURL) == before)

        let forced = try CLI.run(arguments + ["--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try Data(contentsOf: privateURL) != before)
        #expect(try CLI.permissions(privateURL) == 0o600)
        // No temporary files are left behind.
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(names == ["mail.private", "mail.txt"])
    }

    @Test func refusesWhenOnlyTheRecordFileExists() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("old".utf8).write(to: directory.appendingPathComponent("mail.txt"))
        let result = try CLI.run(["keygen", "--domain", "example.com", "--selector", "mail",
                                  "--algorithm", "ed25519", "--output-dir", directory.path])
        #expect(result.status == 73)
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("mail.private").path))
    }

    @Test func weakKeyWarnsOnStderr() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try CLI.run(["keygen", "--domain", "example.com", "--selector", "old", "--bits", "1024",
                                  "--output-dir", directory.path])
        #expect(result.status == 0)
        #expect(result.stderr.contains("warning") && result.stderr.contains("2048"))
        #expect(!result.stdout.contains("warning"))
    }

    @Test(arguments: [
        ["--bits", "512"],
        ["--bits", "8193"],
        ["--algorithm", "ed25519", "--bits", "2048"],
        ["--algorithm", "dsa"],
    ])
    func usageErrorsExit64(extra: [String]) throws {
        let result = try CLI.run(["keygen", "--domain", "example.com", "--selector", "mail",
                                  "--output-dir", "/nonexistent"] + extra)
        #expect(result.status == 64, "\(result.stderr)")
    }

    @Test(arguments: ["../evil", "a/b", ".hidden", "-x", ""])
    func unsafeSelectorsAreRefused(selector: String) throws {
        let result = try CLI.run(["keygen", "--domain", "example.com", "--selector=\(selector)",
                                  "--output-dir", "/nonexistent"])
        #expect(result.status == 64)
    }

    @Test func missingOutputDirectoryIsCreatedPrivate() throws {
        let parent = try CLI.temporaryDirectory()
        let directory = parent.appendingPathComponent("keys")
        let result = try CLI.run(["keygen", "--domain", "example.com", "--selector", "mail", "--algorithm", "ed25519",
                                  "--output-dir", directory.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try CLI.permissions(directory) == 0o700)
        #expect(try CLI.permissions(directory.appendingPathComponent("mail.private")) == 0o600)
    }

    @Test func missingOutputDirectoryExits73() throws {
        let result = try CLI.run(["keygen", "--domain", "example.com", "--selector", "mail", "--algorithm", "ed25519",
                                  "--output-dir", "/nonexistent/dir"])
        #expect(result.status == 73)
    }

    @Test func versionFlag() throws {
        let result = try CLI.run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == DKIMCore.version)
    }
}
