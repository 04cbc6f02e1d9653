import Testing
@testable import DKIMCore

/// SHA-256 known answers (FIPS 180-2 Appendix B examples, and `openssl dgst -sha256`), streaming and forking copies.
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

    @Test(arguments: vectors)
    func inlineDigestKnownAnswers(input: String, hex: String) {
        var hasher = SHA256()
        hasher.update(Array(input.utf8))
        let digest = hasher.finalizeInPlaceInline()
        let expected = CryptoVectors.hex(hex)
        #expect(digest.bytes == expected)
        #expect(digest.constantTimeEquals(expected))
        // Any one byte changed, in any position, or a length other than 32, is unequal.
        for position in expected.indices {
            for flip: UInt8 in [0x01, 0x80, 0xFF] {
                var changed = expected
                changed[position] ^= flip
                #expect(!digest.constantTimeEquals(changed), "byte \(position) ^ \(flip)")
            }
        }
        #expect(!digest.constantTimeEquals(Array(expected.dropLast())))
        #expect(!digest.constantTimeEquals(expected + [0]))
        #expect(!digest.constantTimeEquals([]))
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
        // A copy holds its own state: finishing the original in place must not finish the copy.
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

    @Test func oneMillionAInUnevenChunks() {
        // FIPS 180-4 / NIST CAVS example: one million 'a'. Chunk sizes straddle the 64-byte block in every way
        // (within a block, exactly one, across one, several at once) and go through all three update entry points.
        let expected = CryptoVectors.hex("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        let input = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        let sizes = [1, 63, 64, 65, 0, 127, 129, 3, 4097, 55, 56, 57, 1000]
        var hasher = SHA256()
        var offset = 0
        var turn = 0
        while offset < input.count {
            let end = min(offset + sizes[turn % sizes.count], input.count)
            switch turn % 3 {
            case 0: hasher.update(input[offset..<end])
            case 1: hasher.update(Array(input[offset..<end]))
            default: input[offset..<end].withUnsafeBytes { hasher.write($0) }
            }
            offset = end
            turn += 1
        }
        #expect(hasher.finalize() == expected)
    }

    @Test func forkAfterABlockAndABufferedTail() {
        // 100 'a' = one compressed block and 36 buffered bytes, so the fork has to carry both.
        // Expected digests of the whole inputs from `openssl dgst -sha256` (OpenSSL 3.0) and python3
        // hashlib.sha256, which agree.
        let hexOfPrefix = "2816597888e4a0d3a36b82b83316ab32680eb8f00f8cd3b904d681246d285a0e"
        let hexOfShort = "251e31a2cd375c0b3cfd51e598b2495943c106f756eb3f5e914abdef8712072d"
        let hexOfLong = "83c15401719a4334944b281ff1f6503d8950332579cd419cd2a64f7a15177892"
        var prefix = SHA256()
        prefix.update([UInt8](repeating: UInt8(ascii: "a"), count: 100))
        var short = prefix
        var long = prefix
        short.update([UInt8](repeating: UInt8(ascii: "b"), count: 30))
        long.update([UInt8](repeating: UInt8(ascii: "c"), count: 200))
        #expect(long.finalize() == CryptoVectors.hex(hexOfLong))
        #expect(short.finalize() == CryptoVectors.hex(hexOfShort))
        #expect(prefix.finalize() == CryptoVectors.hex(hexOfPrefix))
    }

    @Test func emptyUpdatesChangeNothing() {
        // Empty buffers of every kind, before, between and after real input (including a buffer with no base
        // address): the digest is still that of "abc" (FIPS 180-2 §B.1).
        var hasher = SHA256()
        hasher.update([UInt8]())
        hasher.write(UnsafeRawBufferPointer(start: nil, count: 0))
        hasher.update(Array("ab".utf8))
        hasher.update(ArraySlice<UInt8>())
        hasher.update(EmptyCollection<UInt8>())
        hasher.update(Array("c".utf8))
        hasher.update("".utf8.lazy.map { $0 })
        #expect(hasher.finalize() == CryptoVectors.hex(Self.vectors[1].1))
    }

    @Test func nonContiguousSequenceAcrossChunks() {
        // 10,000 bytes (i mod 251), generated lazily so they go through the 4 KiB chunk copy more than twice.
        // Expected digest from python3 hashlib.sha256(bytes(i % 251 for i in range(10000))) and `openssl dgst -sha256`
        // of the same bytes.
        let input = (0..<10_000).lazy.map { UInt8($0 % 251) }
        let expected = CryptoVectors.hex("0cd0bf930677960951dda8588edcb6b293c0c3b26ef3ba72cddff4ddfc6822c7")
        #expect(SHA256.hash(input) == expected)
        var hasher = SHA256()
        hasher.update(input.prefix(5000))
        hasher.update(input.dropFirst(5000))
        #expect(hasher.finalize() == expected)
    }

    @Test func updatingAFinishedHasherTraps() async {
        await #expect(processExitsWith: .failure) {
            var hasher = SHA256()
            hasher.update(Array("abc".utf8))
            _ = hasher.finalizeInPlace()
            hasher.update(Array("d".utf8))
        }
    }

    @Test func aCopyOfAFinishedHasherTraps() async {
        await #expect(processExitsWith: .failure) {
            var hasher = SHA256()
            _ = hasher.finalizeInPlace()
            let copy = hasher
            _ = copy.finalize()
        }
    }

    @Test func anEmptyUpdateOfAFinishedHasherTraps() async {
        await #expect(processExitsWith: .failure) {
            var hasher = SHA256()
            _ = hasher.finalizeInPlace()
            hasher.update([UInt8]())
        }
    }
}
