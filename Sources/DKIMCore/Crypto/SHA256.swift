import CDKIMOpenSSL

/// Streaming SHA-256 (FIPS 180-4), the hash of `rsa-sha256` and `ed25519-sha256` (RFC 6376 §3.3, RFC 8463 §3).
///
/// A value type holding OpenSSL's SHA-256 state (`SHA256_CTX`, a plain C struct of about a hundred bytes) inline:
/// a hasher allocates nothing, an update is one call into OpenSSL, and copying a hasher forks it (the copy is the
/// whole state), so one prefix can be hashed once and finished in several ways. It is a ``ByteSink``, so the body
/// canonicalizer can write straight into it.
///
/// It uses OpenSSL's low-level `SHA256_Init` / `SHA256_Update` / `SHA256_Final` rather than the `EVP_Digest*`
/// interface. Those run the same compression function as the default provider's SHA-256 (the same
/// `sha256_block_data_order` code with its SHA-NI / AVX2 paths), without what EVP adds for each hash: a context
/// allocation, a provider context allocation, and their frees. A verification makes two hashers, so that is most
/// of what hashing a small message costs outside the compression function.
///
/// - Warning: The low-level functions bypass OpenSSL's provider layer. An OpenSSL configured to use only a FIPS
///   provider (or any other provider) is not consulted for SHA-256: this type always runs libcrypto's built-in
///   implementation. The RSA and Ed25519 operations still go through EVP and the configured providers.
///
/// Traps if a finished hasher is updated or finished again (including a copy made after finishing in place).
public struct SHA256: Sendable, ByteSink {
    /// The digest length: 32 bytes.
    public static let byteCount = 32

    private var context = SHA256_CTX()
    /// Set once the digest was read: `SHA256_Final` leaves a cleared context that would hash on from a zero state
    /// rather than fail, so a use after finishing is caught here.
    private var finished = false

    /// Creates a hasher with nothing hashed yet.
    public init() {
        // SHA256_Init only stores the initial hash value; it cannot fail, but its result is checked all the same.
        guard cdkim_SHA256_Init(&context) == 1 else {
            preconditionFailure("SHA256_Init failed")
        }
    }

    /// Appends bytes to the hashed input.
    ///
    /// Contiguous collections are hashed in place; other sequences are copied in 4 KiB chunks.
    /// - Parameter bytes: The bytes to hash.
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            update(UnsafeRawBufferPointer(buffer))
        }
        if done != nil { return }
        var chunk: [UInt8] = []
        chunk.reserveCapacity(4096)
        for byte in bytes {
            chunk.append(byte)
            if chunk.count == 4096 {
                update(chunk)
                chunk.removeAll(keepingCapacity: true)
            }
        }
        // Reached even for an empty sequence, so that a finished hasher traps here too.
        update(chunk)
    }

    /// Appends the bytes of an array to the hashed input.
    /// - Parameter bytes: The bytes to hash.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Appends the bytes of an array slice to the hashed input.
    /// - Parameter bytes: The bytes to hash.
    public mutating func update(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Appends raw bytes to the hashed input.
    /// - Parameter bytes: The bytes to hash.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(!finished, "a SHA-256 hasher was updated after its digest was read")
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        // SHA256_Update fails only on a length overflow of the 64-bit bit counter (2^61 bytes), out of reach.
        guard cdkim_SHA256_Update(&context, base, bytes.count) == 1 else {
            preconditionFailure("SHA256_Update failed")
        }
    }

    /// Appends raw bytes to the hashed input (``ByteSink`` conformance).
    /// - Parameter bytes: The bytes to hash.
    public mutating func write(_ bytes: UnsafeRawBufferPointer) {
        update(bytes)
    }

    /// Finishes the hash and returns the 32-byte digest.
    ///
    /// Consumes the hasher; to keep hashing after reading a digest, finalize a copy (`var copy = hasher`),
    /// which leaves the original untouched.
    /// - Returns: The SHA-256 digest.
    public consuming func finalize() -> [UInt8] {
        finish()
    }

    /// Finishes the hash of a hasher held in a variable or stored property, without copying it first.
    ///
    /// ``finalize()`` consumes its hasher, so calling it on a stored property finishes a copy of the state (a
    /// copy of about a hundred bytes); this finishes the state where it is. The hasher must not be updated or
    /// finished again afterwards (it traps if it is); copies made before this call are unaffected.
    /// - Returns: The SHA-256 digest.
    mutating func finalizeInPlace() -> [UInt8] {
        finish()
    }

    /// As ``finalizeInPlace()``, the digest held inline rather than in an array: a digest only compared (the body
    /// hash against `bh=`) then needs no allocation.
    /// - Returns: The SHA-256 digest.
    mutating func finalizeInPlaceInline() -> SHA256Digest {
        precondition(!finished, "a SHA-256 hasher was finished twice")
        finished = true
        var digest = SHA256Digest()
        withUnsafeMutableBytes(of: &digest.words) { buffer in
            // SHA256_Final cannot fail on an initialised context; its result is checked all the same.
            guard cdkim_SHA256_Final(buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), &context) == 1 else {
                preconditionFailure("SHA256_Final failed")
            }
        }
        return digest
    }

    /// Hashes a whole byte sequence at once.
    /// - Parameter bytes: The bytes to hash.
    /// - Returns: The 32-byte SHA-256 digest.
    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    private mutating func finish() -> [UInt8] {
        precondition(!finished, "a SHA-256 hasher was finished twice")
        finished = true
        // Written on the stack, then copied into the array (its one allocation): `[UInt8](repeating:count:)`
        // allocates through the stdlib's unspecialised path, which looks the storage type's metadata up at run time
        // on every call.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: SHA256.byteCount) { buffer in
            // SHA256_Final cannot fail on an initialised context; its result is checked all the same.
            guard cdkim_SHA256_Final(buffer.baseAddress, &context) == 1 else {
                preconditionFailure("SHA256_Final failed")
            }
            return Array(buffer)
        }
    }
}

/// A SHA-256 digest held inline, as four words in the digest's byte order.
struct SHA256Digest: Sendable {
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    /// The 32 digest bytes.
    var bytes: [UInt8] {
        withUnsafeBytes(of: words) { Array($0) }
    }

    /// Whether `other` is this digest, in time that depends only on `other.count`, not on the bytes (as
    /// ``constantTimeEquals(_:_:)``): every word is compared and the differences are combined before one test.
    func constantTimeEquals(_ other: [UInt8]) -> Bool {
        guard other.count == SHA256.byteCount else { return false }
        return other.withUnsafeBytes { raw in
            let a = raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self) ^ words.0
            let b = raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self) ^ words.1
            let c = raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self) ^ words.2
            let d = raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self) ^ words.3
            return (a | b | c | d) == 0
        }
    }
}
