import Foundation
import Testing

/// `dkimtool sign`, `verify` and `testkey` against an offline key record file.
@Suite struct SignVerifyCommandTests {
    let directory: URL
    let key = CLI.vectorKey("rsa2048-pkcs8.pem")
    let records: String

    init() throws {
        directory = try CLI.temporaryDirectory()
        let derived = try CLI.run(["record", "--key", key, "--format", "json"])
        let value = try #require(
            (try JSONSerialization.jsonObject(with: Data(derived.stdout.utf8)) as? [String: Any])?["value"] as? String)
        records = directory.appendingPathComponent("records").path
        let lines = "mail._domainkey.example.com \(value)\nslow._domainkey.example.com ~~\n"
        try Data(lines.utf8).write(to: URL(fileURLWithPath: records))
    }

    func write(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    static let lfMessage = "From: Joe <joe@example.com>\nTo: a@example.net\nSubject: test\n\nHello  \n\n"

    @Test func bareLFFileIsSignedInItsOwnStyleAndVerifies() throws {
        let input = try write("lf.eml", Self.lfMessage)
        let output = directory.appendingPathComponent("signed.eml").path
        let signed = try CLI.run(["sign", "--domain", "example.com", "--selector", "mail", "--key", key,
                                  "--now", "1700000000", "--output", output, input])
        #expect(signed.status == 0, "\(signed.stderr)")
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: output)))
        #expect(!bytes.contains(13), "the added field uses the input's bare-LF style")
        #expect(bytes.starts(with: Array("DKIM-Signature: ".utf8)))
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasSuffix(Self.lfMessage))
        // Only the one field was added: the rest after it is the input.
        let fieldEnd = try #require(text.range(of: "\nFrom: Joe"))
        #expect(String(text[fieldEnd.upperBound...]) == String(Self.lfMessage.dropFirst("From: Joe".count)))

        let verified = try CLI.run(["verify", "--txt-records", records, "--now", "1700000000", output])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(verified.stdout.contains("signature 1: pass d=example.com s=mail a=rsa-sha256"))
        #expect(verified.stdout.contains("Authentication-Results: "))
    }

    /// A bare-LF file with a CR inside a body line: the CR is data (RFC 6376 §3.4.3, `LineEndings`), so the
    /// file's line ends are still bare LF and the new field is written in that style; the message verifies.
    @Test func bareLFFileWithALoneCRKeepsItsStyle() throws {
        let message = "From: Joe <joe@example.com>\nTo: a@example.net\nSubject: cr\n\nline one\rstill one\n"
        let input = try write("lf-cr.eml", message)
        let output = directory.appendingPathComponent("signed-cr.eml").path
        let signed = try CLI.run(["sign", "--domain", "example.com", "--selector", "mail", "--key", key,
                                  "--now", "1700000000", "--output", output, input])
        #expect(signed.status == 0, "\(signed.stderr)")
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: output)), as: UTF8.self)
        let field = try #require(text.components(separatedBy: "\nFrom: Joe").first)
        #expect(!field.contains("\r"), "the added field uses the input's bare-LF style")
        #expect(text.hasSuffix(message))
        let verified = try CLI.run(["verify", "--txt-records", records, "--now", "1700000000", output])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
    }

    /// A file of at most 1 MiB is read once and its bytes signed and copied; one byte more and it streams in two
    /// passes. On both sides of that line the output is the new field followed by the input, byte for byte, and
    /// verifies.
    @Test(arguments: [(1 << 20) - 1, 1 << 20, (1 << 20) + 1, (2 << 20) + 7])
    func filesEitherSideOfTheWholeReadLimitAreCopiedExactly(size: Int) throws {
        var message = Array("From: Joe <joe@example.com>\r\nTo: a@example.net\r\nSubject: size \(size)\r\n\r\n".utf8)
        let line = Array("The quick brown fox jumps over the lazy dog, again and again.  \r\n".utf8)
        while message.count + line.count <= size { message += line }
        message += [UInt8](repeating: UInt8(ascii: "x"), count: size - message.count)
        #expect(message.count == size)
        let input = directory.appendingPathComponent("size-\(size).eml")
        try Data(message).write(to: input)
        let output = directory.appendingPathComponent("size-\(size).signed.eml").path
        let signed = try CLI.run(["sign", "--domain", "example.com", "--selector", "mail", "--key", key,
                                  "--now", "1700000000", "--output", output, input.path])
        #expect(signed.status == 0, "\(signed.stderr)")
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: output)))
        #expect(bytes.starts(with: Array("DKIM-Signature: ".utf8)))
        #expect(bytes.count > message.count)
        #expect(Array(bytes.suffix(message.count)) == message)
        let added = String(decoding: bytes.prefix(bytes.count - message.count), as: UTF8.self)
        #expect(added.components(separatedBy: "DKIM-Signature:").count == 2, "exactly one field was added")
        let verified = try CLI.run(["verify", "--txt-records", records, "--now", "1700000000", output])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
    }

    @Test func standardInputToStandardOutput() throws {
        let signed = try CLI.run(["sign", "--domain", "example.com", "--selector", "mail", "--key", key, "-"],
                                 stdin: Self.lfMessage)
        #expect(signed.status == 0)
        #expect(signed.stdout.hasPrefix("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;"))
        #expect(signed.stdout.hasSuffix(Self.lfMessage))
        let verified = try CLI.run(["verify", "--txt-records", records, "--format", "json", "-"],
                                   stdinBytes: signed.stdoutBytes)
        #expect(verified.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(verified.stdout.utf8)) as? [String: Any])
        #expect(object["result"] as? String == "pass")
        #expect(object["file"] as? String == "-")
        let signatures = try #require(object["signatures"] as? [[String: Any]])
        #expect(signatures.first?["keyBits"] as? Int == 2048)
        #expect(signatures.first?["signedHeaders"] as? [String] == ["from", "subject", "to", "from", "to", "subject"])
    }

    @Test func existingOutputIsNotOverwrittenWithoutForce() throws {
        let input = try write("in.eml", Self.lfMessage)
        let output = try write("out.eml", "precious")
        let refused = try CLI.run(["sign", "--domain", "example.com", "--selector", "mail", "--key", key,
                                   "--output", output, input])
        #expect(refused.status == 73)
        #expect(refused.stderr.contains("already exists"))
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "precious")
        let forced = try CLI.run(["sign", "--domain", "example.com", "--selector", "mail", "--key", key,
                                  "--output", output, "--force", input])
        #expect(forced.status == 0)
        #expect(try String(contentsOfFile: output, encoding: .utf8).hasSuffix(Self.lfMessage))
    }

    @Test func severalFilesIntoAnOutputDirectory() throws {
        let first = try write("a.eml", Self.lfMessage)
        let second = try write("b.eml", Self.lfMessage.replacingOccurrences(of: "test", with: "second"))
        let outputs = directory.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)
        let signed = try CLI.run(["sign", "--domain", "example.com", "--selector", "mail", "--key", key,
                                  "--output-dir", outputs.path, first, second])
        #expect(signed.status == 0)
        let verified = try CLI.run(["verify", "--txt-records", records, outputs.appendingPathComponent("a.eml").path,
                                    outputs.appendingPathComponent("b.eml").path])
        #expect(verified.status == 0)
        #expect(verified.stdout.components(separatedBy: ": pass\n").count == 3)
    }

    @Test(arguments: [
        (["--key", "/nonexistent/key.pem"], Int32(66), "cannot read"),
        (["--key", "SELF"], Int32(65), "private key"),
        (["--identity", "joe@evil.example"], Int32(64), "outside the signing domain"),
        (["--algorithm", "ed25519-sha256"], Int32(64), "does not match the key"),
        (["--canonicalization", "nofws/simple"], Int32(64), "canonicalization"),
    ])
    func signErrorsNameTheFault(extra: [String], status: Int32, message: String) throws {
        let input = try write("m.eml", Self.lfMessage)
        var arguments = ["sign", "--domain", "example.com", "--selector", "mail"]
        if !extra.contains("--key") { arguments += ["--key", key] }
        arguments += extra.map { $0 == "SELF" ? input : $0 }
        arguments.append(input)
        let result = try CLI.run(arguments)
        #expect(result.status == status, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test func verifyExitCodes() throws {
        let input = try write("m.eml", Self.lfMessage)
        let signed = try CLI.run(["sign", "--domain", "example.com", "--selector", "mail", "--key", key, input])
        let tampered = try write("t.eml", signed.stdout.replacingOccurrences(of: "Hello", with: "Jello"))
        var result = try CLI.run(["verify", "--txt-records", records, tampered])
        #expect(result.status == 1)
        #expect(result.stdout.contains("fail (body-hash-mismatch)"))

        result = try CLI.run(["verify", "--txt-records", records, directory.appendingPathComponent("none").path])
        #expect(result.status == 66)

        let slow = try write("slow.eml", signed.stdout.replacingOccurrences(of: "s=mail", with: "s=slow"))
        result = try CLI.run(["verify", "--txt-records", records, slow])
        #expect(result.status == 75)
        #expect(result.stdout.contains("temperror (dns-temporary-failure)"))

        let unsigned = try write("u.eml", Self.lfMessage)
        result = try CLI.run(["verify", "--txt-records", records, unsigned])
        #expect(result.status == 1)
        #expect(result.stdout.contains("dkim=none"))
    }

    @Test func savedMessageWithAnMboxEnvelopeLineVerifies() throws {
        let input = try write("m.eml", Self.lfMessage)
        let signed = try CLI.run(["sign", "--domain", "example.com", "--selector", "mail", "--key", key, input])
        let saved = try write("saved.eml", "From joe@example.com Sat Nov 28 10:00:00 2026\n" + signed.stdout)
        let result = try CLI.run(["verify", "--txt-records", records, saved])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }

    @Test func jsonIsValidForHostileInput() throws {
        let hostile = "DKIM-Signature: v=1; a=rsa-sha256; d=\"ev\u{1}il\\\";\n s=x\u{7f}; h=from; bh=AAAA; b=AAAA\n"
            + Self.lfMessage
        let input = try write("hostile.eml", hostile)
        let result = try CLI.run(["verify", "--txt-records", records, "--format", "json", input])
        #expect(result.status == 1)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(object?["result"] as? String == "permerror")
        let ar = try #require(object?["authenticationResults"] as? String)
        #expect(!ar.contains("\u{1}") && !ar.contains("\n"))
    }

    @Test func testkeyFindsEachFault() throws {
        let other = CLI.vectorKey("ed25519-pkcs8.pem")
        var result = try CLI.run(["testkey", "--domain", "example.com", "--selector", "mail",
                                  "--txt-records", records, "--key", key])
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.contains("matches the private key: yes"))

        result = try CLI.run(["testkey", "--domain", "example.com", "--selector", "mail",
                              "--txt-records", records, "--key", other])
        #expect(result.status == 1)
        #expect(result.stdout.contains("key-differs"))

        result = try CLI.run(["testkey", "--domain", "example.com", "--selector", "missing", "--txt-records", records])
        #expect(result.status == 1)
        #expect(result.stdout.contains("no-record"))

        let spaced = try String(contentsOfFile: records, encoding: .utf8).replacingOccurrences(of: "p=MIIB", with: "p=MII B")
        let spacedPath = try write("spaced", spaced)
        result = try CLI.run(["testkey", "--domain", "example.com", "--selector", "mail", "--txt-records", spacedPath])
        #expect(result.status == 1)
        #expect(result.stdout.contains("whitespace-in-key"))

        result = try CLI.run(["testkey", "--domain", "example.com", "--selector", "slow", "--txt-records", records])
        #expect(result.status == 75)
    }
}
