import Foundation
import Testing

/// `dkimtool verify` over the hostile corpus: JSON stays valid JSON and text stays one line per item, whatever
/// bytes the messages hold.
@Suite struct HostileOutputCommandTests {
    static let folder = CLI.packageRoot.appendingPathComponent("TestVectors/hostile")

    static func corpus() throws -> (now: Int, files: [String]) {
        let data = try Data(contentsOf: folder.appendingPathComponent("expected.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try #require(root["cases"] as? [[String: Any]])
        // The two over-2-MiB header cases are built by the core tests, not committed; they are errors, not output.
        let files = cases.compactMap { $0["file"] as? String }.map { folder.appendingPathComponent($0).path }
            .filter { FileManager.default.fileExists(atPath: $0) }
        return (try #require(root["now"] as? Int), files)
    }

    static func verify(_ format: String) throws -> (CLI.Result, [String]) {
        let (now, files) = try corpus()
        let result = try CLI.run(["verify", "--format", format, "--now", String(now), "--authserv-id", "mx.test",
                                  "--no-summary", "--txt-records", folder.appendingPathComponent("txt-records").path]
                                 + files)
        return (result, files)
    }

    /// Scalars that could end a line or reorder the terminal display.
    static func hasUnsafeScalar(_ text: Substring) -> Bool {
        text.unicodeScalars.contains { scalar in
            let value = scalar.value
            return (value < 0x20 && value != 0x09) || value == 0x7F || (0x80..<0xA0).contains(value)
                || (0x2028...0x202E).contains(value) || (0x2066...0x2069).contains(value)
        }
    }

    @Test func jsonIsOneValidObjectPerReadableMessage() throws {
        let (result, files) = try Self.verify("json")
        #expect(result.status == 65)  // some messages are unreadable on purpose
        let lines = result.stdoutBytes.split(separator: 10)
        let errors = result.stderr.split(separator: "\n")
        #expect(lines.count + errors.count == files.count)
        var seen: [String] = []
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            let file = try #require(object["file"] as? String)
            seen.append(file)
            let signatures = try #require(object["signatures"] as? [[String: Any]])
            let results = signatures.compactMap { $0["result"] as? String }
            #expect(results.count == signatures.count)
            let authres = try #require(object["authenticationResults"] as? String)
            #expect(!authres.contains("\r") && !authres.contains("\n"))
            // One "dkim=" per signature: hostile values never add a resinfo (they are quoted, "=" included).
            let methods = authres.split(separator: ";").filter { $0.trimmingCharacters(in: .whitespaces)
                .hasPrefix("dkim=") }
            #expect(methods.count == max(1, signatures.count), "\(file): \(authres)")
        }
        #expect(Set(seen).isSubset(of: Set(files)))
        #expect(seen.count >= 100)
    }

    @Test func textHasOneLinePerItemAndNoControlCharacters() throws {
        let (json, _) = try Self.verify("json")
        var expectedSignatures: [String: Int] = [:]
        for line in json.stdoutBytes.split(separator: 10) {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            expectedSignatures[try #require(object["file"] as? String)] = (object["signatures"] as? [Any])?.count
        }
        let (text, _) = try Self.verify("text")
        var current: String?
        var counted: [String: Int] = [:]
        for line in text.stdout.split(separator: "\n") {
            #expect(!Self.hasUnsafeScalar(line), "\(line)")
            if !line.hasPrefix(" ") {
                current = expectedSignatures.keys.first { line.hasPrefix($0 + ": ") }
                #expect(current != nil, "unexpected line: \(line)")
                if let current { counted[current] = 0 }
            } else if line.hasPrefix("  signature "), let current {
                counted[current, default: 0] += 1
            }
        }
        #expect(counted == expectedSignatures)
        for line in text.stderr.split(separator: "\n") {
            #expect(!Self.hasUnsafeScalar(line), "\(line)")
        }
    }
}
