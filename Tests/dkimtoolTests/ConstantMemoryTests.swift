import Foundation
import Testing

/// Issue #6: signing and verifying a 1 GiB message streams from disk. The message is generated here (not
/// committed); `dkimtool sign` and `dkimtool verify` run as child processes whose peak resident memory must stay
/// under 64 MB. The bound is on memory, not time.
@Suite struct ConstantMemoryTests {
    static let messageBytes = 1 << 30
    static let peakLimitKilobytes = 64 * 1024

    /// Runs the built `dkimtool` with standard output and error discarded, returning its exit status and peak
    /// resident set size in KiB (Linux `ru_maxrss`).
    ///
    /// Measured by a small Python parent (`RUSAGE_CHILDREN` after waiting), not by spawning from this process:
    /// Linux keeps the address space's high-water mark at `exec`, and a child spawned straight from the test
    /// process (hundreds of MB with every suite loaded) would start with that mark. The Python parent's own
    /// ~15 MB is included the same way, so the figure errs high.
    static func runMeasuringPeak(_ arguments: [String]) throws -> (status: Int32, peakKilobytes: Int) {
        let script = """
            import resource, subprocess, sys
            status = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
            print(status, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
            """
        let result = try CLI.runProgram(URL(fileURLWithPath: "/usr/bin/python3"),
                                        ["-c", script, CLI.executable.path] + arguments)
        let fields = result.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Int($0) }
        try #require(fields.count == 2, "unexpected measurement output: \(result.stdout) \(result.stderr)")
        return (Int32(fields[0]), fields[1])
    }

    /// A header, then text lines with double spaces and trailing white space up to `messageBytes`, written a
    /// mebibyte at a time.
    static func writeMessage(to url: URL) throws {
        let header = "From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: a large message\r\n"
            + "Date: Sat, 28 Nov 2026 10:00:00 +0000\r\nMessage-ID: <big@example.com>\r\n\r\n"
        let line = Array("the quarterly figures and the  plan for next week are attached \t \r\n".utf8)
        var block: [UInt8] = []
        while block.count + line.count <= 1 << 20 { block += line }
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.write(contentsOf: Data(header.utf8))
        var written = header.utf8.count
        let data = Data(block)
        while written + block.count <= messageBytes {
            try handle.write(contentsOf: data)
            written += block.count
        }
    }

    @Test func signAndVerifyOneGibibyteInConstantMemory() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let message = directory.appendingPathComponent("big.eml")
        let signed = directory.appendingPathComponent("big.signed.eml")
        try Self.writeMessage(to: message)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: message.path)[.size] as? Int)
        #expect(size > Self.messageBytes - (1 << 20))

        let key = CLI.vectorKey("rsa2048-pkcs8.pem")
        let sign = try Self.runMeasuringPeak(["sign", "--domain", "example.com", "--selector", "mail",
                                              "--key", key, "--output", signed.path, message.path])
        #expect(sign.status == 0)
        #expect(sign.peakKilobytes < Self.peakLimitKilobytes, "sign peak RSS \(sign.peakKilobytes) KiB")
        // The output is the new field followed by the input, unchanged: only the field's bytes are added.
        let signedSize = try #require(try FileManager.default.attributesOfItem(atPath: signed.path)[.size] as? Int)
        #expect(signedSize > size && signedSize < size + 2_000)
        let head = try FileHandle(forReadingFrom: signed)
        let first = try head.read(upToCount: 15) ?? Data()
        try head.close()
        #expect(String(decoding: first, as: UTF8.self) == "DKIM-Signature:")
        try FileManager.default.removeItem(at: message)

        let derived = try CLI.run(["record", "--key", key, "--format", "json"])
        let value = try #require(
            (try JSONSerialization.jsonObject(with: Data(derived.stdout.utf8)) as? [String: Any])?["value"] as? String)
        let records = directory.appendingPathComponent("records")
        try Data("mail._domainkey.example.com \(value)\n".utf8).write(to: records)
        let verify = try Self.runMeasuringPeak(["verify", "--txt-records", records.path, signed.path])
        #expect(verify.status == 0, "verify did not pass")
        #expect(verify.peakKilobytes < Self.peakLimitKilobytes, "verify peak RSS \(verify.peakKilobytes) KiB")
    }
}
