#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// Issue #6: signing and verifying a 1 GiB message streams from disk. The message is generated here (not
/// committed); `dkimtool sign` and `dkimtool verify` run as child processes whose peak resident memory is read
/// from `wait4(2)`, and must stay under 64 MB. The bound is on memory, not time.
@Suite struct ConstantMemoryTests {
    static let messageBytes = 1 << 30
    static let peakLimitKilobytes = 64 * 1024

    /// Runs the built `dkimtool` with standard output and error discarded, returning its exit status and peak
    /// resident set size in KiB (Linux `ru_maxrss`).
    static func runMeasuringPeak(_ arguments: [String]) throws -> (status: Int32, peakKilobytes: Int) {
        let program = CLI.executable.path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = ([program] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, program, &actions, nil, argv, environ)
        try #require(spawned == 0, "posix_spawn \(program) failed: \(spawned)")
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 {
            try #require(errno == EINTR, "wait4 failed: \(errno)")
        }
        // WIFEXITED / WEXITSTATUS: the low seven bits are zero for a normal exit, the status is the next byte.
        let exitStatus: Int32 = status & 0x7F == 0 ? (status >> 8) & 0xFF : -1
        return (exitStatus, usage.ru_maxrss)
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
