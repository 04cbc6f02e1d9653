import Foundation

/// Process helpers for the command tests: exit status, output, files and openssl.
enum CLI {
    struct Result {
        var status: Int32
        var stdoutBytes: [UInt8]
        var stderr: String
        var stdout: String { String(decoding: stdoutBytes, as: UTF8.self) }
    }

    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `dkimtool` built next to this test binary (or, failing that, in `.build/debug`); nil when none is built.
    static var builtExecutable: URL? {
        let candidates = [
            CommandLine.arguments.first.map { URL(fileURLWithPath: $0).deletingLastPathComponent() },
            Bundle.main.executableURL?.deletingLastPathComponent(),
            Bundle.main.bundleURL.deletingLastPathComponent(),
            packageRoot.appendingPathComponent(".build/debug"),
        ]
        return candidates.compactMap { $0?.appendingPathComponent("dkimtool") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// The `dkimtool` to run; a missing build shows up as the failure of running it.
    static var executable: URL {
        builtExecutable ?? packageRoot.appendingPathComponent(".build/debug/dkimtool")
    }

    static func run(_ arguments: [String], stdin: String? = nil) throws -> Result {
        try runProgram(executable, arguments, stdin: stdin.map { Array($0.utf8) })
    }

    static func run(_ arguments: [String], stdinBytes: [UInt8]) throws -> Result {
        try runProgram(executable, arguments, stdin: stdinBytes)
    }

    static func runProgram(_ program: URL, _ arguments: [String], stdin: [UInt8]? = nil) throws -> Result {
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
        if let stdin { input.fileHandleForWriting.write(Data(stdin)) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try errHandle.close()
        let errData = try Data(contentsOf: errURL)
        return Result(
            status: process.terminationStatus,
            stdoutBytes: Array(outData),
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
