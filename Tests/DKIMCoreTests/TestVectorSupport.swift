import Foundation
@testable import DKIMCore

/// Reads exact-byte vectors under `TestVectors/`.
enum Vectors {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("TestVectors")

    static func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(path)))
    }

    static func text(_ path: String) throws -> String {
        String(decoding: try bytes(path), as: UTF8.self)
    }
}

/// An in-memory resolver for unit tests: name → TXT records (each a list of strings).
struct MemoryResolver: DKIMKeyResolver {
    var answers: [String: TXTLookupResult]

    init(_ records: [String: [String]]) {
        answers = records.mapValues { .records($0.map { DNSTXTRecord(strings: [Array($0.utf8)]) }) }
    }

    init(results: [String: TXTLookupResult]) {
        answers = results
    }

    func lookupTXT(_ name: String) async -> TXTLookupResult {
        answers[name.lowercased()] ?? .notFound
    }
}
