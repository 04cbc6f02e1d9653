import Foundation

/// Process helpers for the keygen and record command tests: exit status, text output, files and openssl.
enum CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `dkimtool` built next to this test binary (or, failing that, in `.build/debug`).
    static var executable: URL {
        let candidates = [
            Bundle.main.executableURL?.deletingLastPathComponent().appendingPathComponent("dkimtool"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("dkimtool"),
            packageRoot.appendingPathComponent(".build/debug/dkimtool"),
        ]
        for case let candidate? in candidates where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate
        }
        return packageRoot.appendingPathComponent(".build/debug/dkimtool")
    }

    static func run(_ arguments: [String], stdin: String? = nil) throws -> Result {
        try runProgram(executable, arguments, stdin: stdin)
    }

    static func runProgram(_ program: URL, _ arguments: [String], stdin: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = program
        process.arguments = arguments
        // stderr goes to a file so neither pipe can fill up and block the child while we read the other.
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("dkimtool-stderr-\(UUID())")
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errURL) }
        let errHandle = try FileHandle(forWritingTo: errURL)
        let out = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = errHandle
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try errHandle.close()
        let errData = try Data(contentsOf: errURL)
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self)
        )
    }

    /// A fresh, empty directory under the system temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("dkimtool-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static let openssl = URL(fileURLWithPath: "/usr/bin/openssl")
    static var hasOpenSSL: Bool { FileManager.default.isExecutableFile(atPath: openssl.path) }

    /// The contents of every "..." in zone-file text (keygen output needs no escapes).
    static func quotedStrings(_ text: String) -> [String] {
        text.split(separator: "\"", omittingEmptySubsequences: false).enumerated()
            .filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    /// The value after `label:` on a line of text output.
    static func field(_ label: String, in text: String) -> String? {
        for line in text.split(separator: "\n") where line.hasPrefix(label + ":") {
            return line.dropFirst(label.count + 1).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    static func permissions(_ url: URL) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    static func vectorKey(_ name: String) -> String {
        packageRoot.appendingPathComponent("TestVectors/keys/\(name)").path
    }
}
