import Foundation
import Testing

/// Private key files: a warning for group/other permissions, and key material never printed.
@Suite struct KeyHygieneCommandTests {
    /// Copies the test key into a fresh directory with the given mode.
    static func keyCopy(mode: Int) throws -> URL {
        let directory = try CLI.temporaryDirectory()
        let url = directory.appendingPathComponent("mail.private")
        try Data(contentsOf: URL(fileURLWithPath: CLI.vectorKey("rsa2048-pkcs8.pem"))).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
        return url
    }

    /// The base64 lines of a PEM file: the key material itself.
    static func pemBodyLines(_ url: URL) throws -> [String] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
            .filter { !$0.hasPrefix("-----") && $0.count >= 16 }.map(String.init)
    }

    static func commands(key: String) -> [[String]] {
        [["record", "--key", key],
         ["sign", "--domain", "example.com", "--selector", "mail", "--key", key, "-"],
         ["testkey", "--domain", "example.com", "--selector", "mail", "--key", key, "--txt-records", "/dev/null"]]
    }

    @Test(arguments: [0o644, 0o640, 0o604, 0o660, 0o666])
    func keyOpenToOthersIsWarnedAbout(mode: Int) throws {
        let key = try Self.keyCopy(mode: mode)
        for arguments in Self.commands(key: key.path) {
            let result = try CLI.run(arguments, stdin: "From: a@example.com\r\n\r\nbody\r\n")
            #expect(result.stderr.contains("warning: \(key.path) has mode \(String(mode, radix: 8))"),
                    "\(arguments[0]): \(result.stderr)")
            #expect(result.stderr.contains("chmod 600 \(key.path)"), "\(arguments[0])")
        }
    }

    @Test(arguments: [0o600, 0o400])
    func privateKeyHasNoWarning(mode: Int) throws {
        let key = try Self.keyCopy(mode: mode)
        for arguments in Self.commands(key: key.path) {
            let result = try CLI.run(arguments, stdin: "From: a@example.com\r\n\r\nbody\r\n")
            #expect(!result.stderr.contains("chmod"), "\(arguments[0]): \(result.stderr)")
        }
    }

    @Test func keyMaterialIsNeverPrinted() throws {
        let key = try Self.keyCopy(mode: 0o644)
        let secret = try Self.pemBodyLines(key)
        #expect(secret.count > 10)
        var outputs: [CLI.Result] = []
        for arguments in Self.commands(key: key.path) {
            outputs.append(try CLI.run(arguments, stdin: "From: a@example.com\r\n\r\nbody\r\n"))
        }
        // A damaged key file: the error must not quote it either.
        let damaged = key.deletingLastPathComponent().appendingPathComponent("damaged.private")
        var text = try String(contentsOf: key, encoding: .utf8)
        // Reverse a line of the modulus: still DER, but the key is inconsistent and refused.
        text = text.replacingOccurrences(of: secret[2], with: String(secret[2].reversed()))
        try text.write(to: damaged, atomically: true, encoding: .utf8)
        let damagedResult = try CLI.run(["record", "--key", damaged.path])
        #expect(damagedResult.status != 0)
        outputs.append(damagedResult)

        let directory = try CLI.temporaryDirectory()
        let keygen = try CLI.run(["keygen", "--domain", "example.com", "--selector", "fresh",
                                  "--output-dir", directory.path])
        #expect(keygen.status == 0, "\(keygen.stderr)")
        let generated = try Self.pemBodyLines(directory.appendingPathComponent("fresh.private"))
        for output in outputs + [keygen] {
            for line in secret + generated + text.split(separator: "\n").map(String.init) where line.count >= 16
                && !line.hasPrefix("-----") {
                #expect(!output.stdout.contains(line) && !output.stderr.contains(line))
            }
        }
    }
}
