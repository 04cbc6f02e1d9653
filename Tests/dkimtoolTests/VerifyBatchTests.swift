import DKIMCore
import Foundation
import Testing

/// `dkimtool verify` over many messages runs them on every core (`--jobs`) and prints exactly what one job at a
/// time prints: the same lines, in the order of the inputs, the same summary and exit status.
@Suite struct VerifyBatchTests {
    /// A directory of 40 files (passing, failing, malformed), an mbox of 30 messages, and a missing path.
    struct Batch {
        let directory: URL
        let records: String
        let arguments: [String]
        /// The identities the output must show, in order.
        let identities: [String]

        init() throws {
            directory = try CLI.temporaryDirectory()
            let keyPath = CLI.vectorKey("ed25519-pkcs8.pem")
            let pem = try Data(contentsOf: URL(fileURLWithPath: keyPath))
            let key = try DKIMPrivateKey(pemRepresentation: String(decoding: pem, as: UTF8.self))
            let derived = try CLI.run(["record", "--key", keyPath, "--format", "json"])
            let value = try #require((try JSONSerialization.jsonObject(with: Data(derived.stdout.utf8))
                as? [String: Any])?["value"] as? String)
            records = directory.appendingPathComponent("records").path
            try Data("mail._domainkey.example.com \(value)\n".utf8).write(to: URL(fileURLWithPath: records))
            var options = SignOptions(domain: "example.com", selector: "mail", key: key)
            options.clock = { 1_700_000_000 }
            let signer = try DKIMSigner(options: options)

            func message(_ index: Int) throws -> [UInt8] {
                // Sizes differ a lot, so jobs finish out of order.
                let body = String(repeating: "line \(index) of the body  \r\n", count: (index * 37) % 400 + 1)
                let text = "From: a@example.com\r\nTo: b@example.net\r\nSubject: message \(index)\r\n\r\n" + body
                var signed = try signer.sign(message: Array(text.utf8))
                if index % 6 == 1 { signed += Array("tampered\r\n".utf8) }
                if index % 13 == 5, index < 40 { signed = Array("no header section at all".utf8) }
                return signed
            }

            let folder = directory.appendingPathComponent("store")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var identities: [String] = []
            for index in 0..<40 {
                let name = "m\(String(repeating: "0", count: 2 - String(index).count))\(index).eml"
                try Data(try message(index)).write(to: folder.appendingPathComponent(name))
                identities.append(folder.appendingPathComponent(name).path)
            }
            var mbox: [UInt8] = []
            var offsets: [Int] = []
            for index in 40..<70 {
                offsets.append(mbox.count)
                mbox += Array("From sender@example.com Sat Nov 28 10:00:00 2026\n".utf8)
                mbox += try message(index).filter { $0 != 13 } + [10]
            }
            let mboxPath = directory.appendingPathComponent("all.mbox").path
            try Data(mbox).write(to: URL(fileURLWithPath: mboxPath))
            let missing = directory.appendingPathComponent("missing.eml").path
            arguments = ["verify", "--txt-records", records, "--now", "1700000100", folder.path, missing, mboxPath]
            for (number, offset) in offsets.enumerated() { identities.append("\(mboxPath)#\(number + 1)@\(offset)") }
            self.identities = identities
        }
    }

    @Test(arguments: ["text", "json"])
    func oneJobAndTwoJobsPrintTheSameInInputOrder(format: String) throws {
        let batch = try Batch()
        let common = batch.arguments + ["--format", format, "--summary"]
        let one = try CLI.run(common + ["--jobs", "1"])
        let two = try CLI.run(common + ["--jobs", "2"])
        let four = try CLI.run(common + ["--jobs", "4"])
        #expect(one.status == 66, "\(one.stderr)")   // the missing file is the worst outcome
        #expect(two.stdout == one.stdout)
        #expect(four.stdout == one.stdout)
        #expect(two.stderr == one.stderr)
        #expect(two.status == one.status && four.status == one.status)

        // The verdicts come in the order of the inputs; the malformed ones are reported on stderr, also in order.
        let printed: [String]
        if format == "json" {
            printed = try one.stdout.split(separator: "\n").compactMap { line -> String? in
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                guard let file = object["file"] as? String else { return nil }   // the summary object
                guard let number = object["message"] as? Int, let offset = object["offset"] as? Int else { return file }
                return "\(file)#\(number)@\(offset)"
            }
        } else {
            printed = one.stdout.split(separator: "\n").compactMap { line -> String? in
                guard !line.hasPrefix(" "), let colon = line.range(of: ": ", options: .backwards) else { return nil }
                let identity = String(line[..<colon.lowerBound])
                return identity.hasPrefix("/") ? identity : nil
            }
        }
        let malformed = Set(one.stderr.split(separator: "\n").compactMap { line in
            batch.identities.first { line.contains($0 + ":") || line.hasSuffix($0) }
        })
        #expect(!malformed.isEmpty)
        #expect(printed == batch.identities.filter { !malformed.contains($0) })
        #expect(printed.count > 50)
    }

    @Test func jobsOutOfRangeIsAUsageError() throws {
        let zero = try CLI.run(["verify", "--jobs", "0", "/dev/null"])
        #expect(zero.status == 64)
        #expect(zero.stderr.contains("--jobs"))
    }
}
