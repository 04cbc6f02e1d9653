import Foundation

/// Reads the committed test keys and signatures under `TestVectors/keys/` (exact bytes, via `#filePath`).
enum CryptoVectors {
    static let directory = Vectors.root.appendingPathComponent("keys")

    static func bytes(_ name: String) throws -> [UInt8] {
        try Vectors.bytes("keys/" + name)
    }

    static func text(_ name: String) throws -> String {
        try Vectors.text("keys/" + name)
    }

    static func hex(_ string: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = string.startIndex
        while index < string.endIndex {
            let next = string.index(index, offsetBy: 2)
            if let byte = UInt8(string[index..<next], radix: 16) { result.append(byte) }
            index = next
        }
        return result
    }
}
