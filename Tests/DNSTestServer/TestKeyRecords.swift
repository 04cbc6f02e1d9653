import Foundation

/// Key records of the TEST-ONLY keys under `TestVectors/keys/`, for the DNS tests of both test targets.
public enum TestKeyRecords {
    /// The repository's `TestVectors/` directory, from this file's path.
    public static let vectors = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("TestVectors")

    /// The key's `p=` as the openssl CLI printed it (`TestVectors/keys/NAME.p.txt`).
    public static func publicKeyValue(_ name: String) throws -> String {
        try String(contentsOf: vectors.appendingPathComponent("keys/\(name).p.txt"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Splits `text` into strings of at most `size` bytes (the texts here are ASCII), as a DNS TXT record
    /// carries a long value.
    public static func chunks(_ text: String, _ size: Int) -> [String] {
        var result: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            result.append(String(rest.prefix(size)))
            rest = rest.dropFirst(size)
        }
        return result
    }

    /// An RSA key record split as a zone file would: the tags, then `p=` in strings of at most `size` bytes.
    public static func rsaRecord(_ p: String, stringSize: Int = 250) -> [String] {
        ["v=DKIM1; k=rsa; "] + chunks("p=" + p, stringSize)
    }
}
