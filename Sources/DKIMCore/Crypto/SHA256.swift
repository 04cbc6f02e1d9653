import CDKIMOpenSSL

/// Streaming SHA-256 (FIPS 180-4), the hash of `rsa-sha256` and `ed25519-sha256` (RFC 6376 §3.3, RFC 8463 §3).
///
/// A value type: copying a hasher forks it (copy-on-write; the OpenSSL context is duplicated only when a shared
/// copy is about to change), so one prefix can be hashed once and finished in several ways. It is a ``ByteSink``,
/// so the body canonicalizer can write straight into it.
///
/// Traps only if OpenSSL cannot allocate or initialise a digest context (out of memory, or an OpenSSL
/// configuration without SHA-256), the same way Swift traps when an allocation fails.
public struct SHA256: Sendable, ByteSink {
    /// The digest length: 32 bytes.
    public static let byteCount = 32

    private var storage: DigestContext

    /// Creates a hasher with nothing hashed yet.
    public init() {
        storage = DigestContext()
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
        if !chunk.isEmpty { update(chunk) }
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
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        if !isKnownUniquelyReferenced(&storage) {
            storage = storage.copy()
        }
        storage.update(base, bytes.count)
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
        if !isKnownUniquelyReferenced(&storage) {
            storage = storage.copy()
        }
        return storage.finish()
    }

    /// Finishes the hash of a hasher held in a variable or stored property, without copying it first.
    ///
    /// ``finalize()`` consumes its hasher, so calling it on a stored property (or any variable that is used
    /// again) finishes a copy: while both copies share the OpenSSL context, that duplicates the context
    /// (an allocation, a copy of the state and a free, about a thousand instructions). This finishes the shared
    /// context in place when this hasher holds the only reference. The hasher must not be updated or finished
    /// again afterwards (it traps if it is).
    /// - Returns: The SHA-256 digest.
    mutating func finalizeInPlace() -> [UInt8] {
        if !isKnownUniquelyReferenced(&storage) {
            storage = storage.copy()
        }
        return storage.finish()
    }

    /// Hashes a whole byte sequence at once.
    /// - Parameter bytes: The bytes to hash.
    /// - Returns: The 32-byte SHA-256 digest.
    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }
}

/// OpenSSL's SHA-256 implementation, fetched from the default provider once for the process.
///
/// `EVP_DigestInit_ex` given `EVP_sha256()` looks the implementation up in the provider store on every call
/// (a property query under a lock, about a third of the cost of hashing a small header section); an explicitly
/// fetched `EVP_MD` skips that. The fetched method is immutable and OpenSSL allows sharing it between threads;
/// it is kept for the life of the process.
private struct FetchedSHA256: @unchecked Sendable {
    let method: OpaquePointer?

    static let shared = FetchedSHA256(method: EVP_MD_fetch(nil, "SHA256", nil))
}

/// Owns one `EVP_MD_CTX` set up for SHA-256.
///
/// `@unchecked Sendable`: ``SHA256`` mutates the context only when it holds the sole reference.
private final class DigestContext: @unchecked Sendable {
    private let context: OpaquePointer
    /// Set by ``finish()``: `EVP_DigestUpdate` on a finished SHA-256 context would hash on from a cleared state
    /// rather than fail, so a use after the digest was read is caught here.
    private var finished = false

    init() {
        guard let context = EVP_MD_CTX_new() else {
            preconditionFailure("OpenSSL could not allocate a digest context (out of memory)")
        }
        // The legacy handle still works when the fetch failed (an unusual provider configuration).
        let method = FetchedSHA256.shared.method ?? EVP_sha256()
        guard EVP_DigestInit_ex(context, method, nil) == 1 else {
            EVP_MD_CTX_free(context)
            preconditionFailure("OpenSSL could not initialise SHA-256")
        }
        self.context = context
    }

    private init(copying other: OpaquePointer) {
        guard let context = EVP_MD_CTX_new() else {
            preconditionFailure("OpenSSL could not allocate a digest context (out of memory)")
        }
        guard EVP_MD_CTX_copy_ex(context, other) == 1 else {
            EVP_MD_CTX_free(context)
            preconditionFailure("OpenSSL could not copy a SHA-256 context (out of memory)")
        }
        self.context = context
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    func copy() -> DigestContext {
        precondition(!finished, "a finished SHA-256 hasher was copied to be used again")
        return DigestContext(copying: context)
    }

    func update(_ bytes: UnsafeRawPointer, _ count: Int) {
        precondition(!finished, "a SHA-256 hasher was updated after its digest was read")
        // EVP_DigestUpdate fails only on a context that was never initialised, which init() rules out.
        guard EVP_DigestUpdate(context, bytes, count) == 1 else {
            preconditionFailure("EVP_DigestUpdate failed on an initialised SHA-256 context")
        }
    }

    func finish() -> [UInt8] {
        precondition(!finished, "a SHA-256 hasher was finished twice")
        finished = true
        // Written on the stack, then copied into an array: `[UInt8](repeating:count:)` allocates through the
        // stdlib's unspecialised path, which looks the storage type's metadata up at run time on every call.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: SHA256.byteCount) { buffer in
            var length: UInt32 = 0
            guard EVP_DigestFinal_ex(context, buffer.baseAddress, &length) == 1, Int(length) == SHA256.byteCount
            else {
                preconditionFailure("EVP_DigestFinal_ex failed on an initialised SHA-256 context")
            }
            return Array(buffer)
        }
    }
}
