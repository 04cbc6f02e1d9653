import Testing
@testable import DKIMCore

/// SHA-256 known answers (FIPS 180-2 Appendix B examples, and `openssl dgst -sha256`), streaming and copy-on-write.
@Suite struct CryptoSHA256Tests {
    static let vectors: [(String, String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ]

    @Test(arguments: vectors)
    func knownAnswers(input: String, hex: String) {
        #expect(SHA256.hash(Array(input.utf8)) == CryptoVectors.hex(hex))
        // The generic Sequence path (non-contiguous) must agree.
        #expect(SHA256.hash(input.utf8.lazy.map { $0 }) == CryptoVectors.hex(hex))
    }

    @Test func matchesOpenSSLDgst() throws {
        #expect(SHA256.hash(try CryptoVectors.bytes("message.txt")) == (try CryptoVectors.bytes("message.sha256")))
    }

    @Test func everySplitGivesTheSameDigest() throws {
        let message = try CryptoVectors.bytes("message.txt")
        let expected = try CryptoVectors.bytes("message.sha256")
        for split in 0...message.count {
            var hasher = SHA256()
            hasher.update(message[..<split])
            let rest = Array(message[split...])
            rest.withUnsafeBytes { hasher.write($0) }
            #expect(hasher.finalize() == expected, "split at \(split)")
        }
    }

    @Test func copiesAreIndependent() {
        var prefix = SHA256()
        prefix.update(Array("ab".utf8))
        var copy = prefix
        copy.update(Array("c".utf8))
        prefix.update(Array("x".utf8))
        #expect(copy.finalize() == SHA256.hash(Array("abc".utf8)))
        #expect(prefix.finalize() == SHA256.hash(Array("abx".utf8)))
    }

    @Test func finalizingACopyLeavesTheOriginalUsable() {
        var hasher = SHA256()
        hasher.update(Array("a".utf8))
        let snapshot = hasher
        #expect(snapshot.finalize() == SHA256.hash(Array("a".utf8)))
        hasher.update(Array("bc".utf8))
        #expect(hasher.finalize() == CryptoVectors.hex(Self.vectors[1].1))
    }

    @Test func finalizingInPlaceGivesTheKnownAnswer() {
        var hasher = SHA256()
        hasher.update(Array("ab".utf8))
        hasher.update(Array("c".utf8))
        #expect(hasher.finalizeInPlace() == CryptoVectors.hex(Self.vectors[1].1))
    }

    @Test func finalizingInPlaceLeavesASharingCopyUsable() {
        // The two share one OpenSSL context until one changes: finishing in place must not finish the other's.
        var hasher = SHA256()
        hasher.update(Array("ab".utf8))
        var copy = hasher
        #expect(hasher.finalizeInPlace() == SHA256.hash(Array("ab".utf8)))
        copy.update(Array("c".utf8))
        #expect(copy.finalizeInPlace() == CryptoVectors.hex(Self.vectors[1].1))
    }

    @Test func longInputThroughTheChunkedPath() {
        // One million 'a' (FIPS 180-2 §B.3).
        let input = repeatElement(UInt8(ascii: "a"), count: 1_000_000)
        #expect(
            SHA256.hash(input)
                == CryptoVectors.hex("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        )
    }
}
