#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Parsed key records and decoded public keys, shared by the verifications of a batch.
///
/// Decoding an RSA public key through OpenSSL 3 costs far more than verifying a signature with it (hundreds of
/// microseconds against tens), and a batch of mail usually carries a handful of (domain, selector) pairs. The
/// verifier still asks its resolver for every signature, so a changed DNS answer is seen at once; only the work
/// of turning the same record bytes into a key is skipped. Entries are keyed by the exact TXT record bytes
/// (RFC 6376 §3.6.2.2: the joined strings), so a record that changes is parsed afresh.
///
/// Only successes are kept; a malformed record is parsed (and refused) every time. When ``maxEntries`` records
/// are held the cache is emptied, so memory stays bounded whatever the input.
///
/// A reference type so that copies of ``VerifyOptions`` and concurrent verifications share one cache; it is
/// `Sendable` because every access goes through a mutex.
public final class DKIMKeyCache: Sendable {
    /// The default bound on the number of records kept.
    public static let defaultMaxEntries = 1024

    /// The most records (and as many keys) kept at once.
    public let maxEntries: Int

    private struct KeyName: Hashable {
        let type: DKIMKeyType
        let data: HashedBytes
    }

    /// A parsed record with what a verifier reads from it, worked out once per distinct record and kept with it:
    /// `k=`, `t=`, `h=` and `s=` are Strings, and asking them each verification lowercased a String per name.
    /// Immutable, and a class so that handing it out of the table is one reference, not a copy of every field.
    final class Resolved: Sendable {
        let record: DKIMKeyRecord
        /// ``DKIMKeyRecord/keyType``.
        let keyType: DKIMKeyType?
        /// ``DKIMKeyRecord/isTesting`` (`t=y`).
        let isTesting: Bool
        /// ``DKIMKeyRecord/allowsHashAlgorithm(_:)`` for `sha256`.
        let allowsSHA256: Bool
        /// ``DKIMKeyRecord/appliesToEmail``.
        let appliesToEmail: Bool
        /// ``DKIMKeyRecord/requiresStrictIdentity`` (`t=s`).
        let requiresStrictIdentity: Bool
        /// ``DKIMKeyRecord/isRevoked`` (empty `p=`).
        let isRevoked: Bool
        /// The decoded key when the record has one that decodes; nil otherwise (the verifier then decodes it and
        /// reports the error in its own order of checks).
        let key: DKIMPublicKey?

        init(_ record: DKIMKeyRecord, key: DKIMPublicKey?) {
            self.record = record
            self.keyType = record.keyType
            self.isTesting = record.isTesting
            self.allowsSHA256 = record.allowsHashAlgorithm("sha256")
            self.appliesToEmail = record.appliesToEmail
            self.requiresStrictIdentity = record.requiresStrictIdentity
            self.isRevoked = record.isRevoked
            self.key = key
        }
    }

    private struct Tables {
        var records: [HashedBytes: Resolved] = [:]
        var keys: [KeyName: DKIMPublicKey] = [:]
        /// Lookup answers already resolved, by the address of the answer's array storage, with the answer kept.
        ///
        /// A resolver that answers from a table (``StaticKeyResolver``, ``TXTRecordFileResolver``) or from its
        /// own cache (``CachingKeyResolver``) hands back the same array each time, so its record is found without
        /// joining, hashing and comparing the record bytes. Keeping the array keeps its storage alive, so the
        /// address cannot be reused for another array while the entry exists, and storage shared with the cache
        /// is never changed in place (a change copies it first): the same address is the same answer.
        var answers: [UnsafeRawPointer: (answer: [DNSTXTRecord], resolved: Resolved)] = [:]
        /// The answer found or added last, compared before the table is hashed: a batch asks for one key again
        /// and again. It keeps its own array, so its address stays its own.
        var lastAnswer: (answer: [DNSTXTRecord], resolved: Resolved)?
    }

    /// The most answers kept by address. A resolver that builds a new array per lookup (``SystemDNSResolver``)
    /// adds one that is never found again, so the bound is small: a few dozen kept records, and such a resolver's
    /// records are still found by their bytes.
    static let maxAnswers = 64

    private let tables = LockedValue(Tables())

    /// Creates an empty cache.
    /// - Parameter maxEntries: the most records kept; values below 1 count as 1.
    public init(maxEntries: Int = DKIMKeyCache.defaultMaxEntries) {
        self.maxEntries = max(1, maxEntries)
    }

    /// The number of records held now.
    public var count: Int {
        tables.withLock { $0.records.count }
    }

    /// Parses a key record, or returns the earlier parse of the same bytes.
    /// - Parameter bytes: the TXT record, its strings joined.
    /// - Returns: the parsed record.
    /// - Throws: as ``DKIMKeyRecord/init(parsing:)-([UInt8])``.
    public func record(parsing bytes: [UInt8]) throws -> DKIMKeyRecord {
        try resolved(parsing: bytes).record
    }

    /// ``record(parsing:)`` with what the verifier reads from the record and its decoded key (when it decodes).
    private func resolved(parsing bytes: [UInt8]) throws -> Resolved {
        let name = HashedBytes(bytes)
        if let known = tables.withLock({ $0.records[name] }) { return known }
        let parsed = try DKIMKeyRecord(parsing: bytes)
        // Decoded now, once per record; a record whose key does not decode keeps nil, and the verifier decodes it
        // again after its other checks, as without a cache, so its report is the same.
        let resolved = Resolved(parsed, key: try? publicKey(of: parsed))
        tables.withLock { tables in
            if tables.records.count >= maxEntries {
                tables.records.removeAll()
                tables.answers.removeAll()
            }
            tables.records[name] = resolved
        }
        return resolved
    }

    /// The record of a lookup answer holding exactly one TXT record (RFC 6376 §3.6.2.2: its strings joined).
    ///
    /// - Parameter answer: the records of one lookup; must hold one record.
    /// - Returns: the parsed record with what the verifier reads from it.
    /// - Throws: as ``DKIMKeyRecord/init(parsing:)-([UInt8])``.
    func resolved(answer: [DNSTXTRecord]) throws -> Resolved {
        let address = answer.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
        if let address, let known = tables.withLock({ tables -> Resolved? in
            if let last = tables.lastAnswer,
               last.answer.withUnsafeBufferPointer({ UnsafeRawPointer($0.baseAddress) }) == address {
                return last.resolved
            }
            guard let found = tables.answers[address] else { return nil }
            tables.lastAnswer = found
            return found.resolved
        }) {
            return known
        }
        let strings = answer[0].strings
        // One string (a short record) is its own joined form; only a split record is copied.
        let resolved = try resolved(parsing: strings.count == 1 ? strings[0] : answer[0].joined)
        if let address {
            tables.withLock { tables in
                if tables.answers.count >= Self.maxAnswers { tables.answers.removeAll() }
                tables.answers[address] = (answer, resolved)
                tables.lastAnswer = (answer, resolved)
            }
        }
        return resolved
    }

    /// Decodes a record's public key, or returns the earlier decoding of the same `k=` and `p=`.
    /// - Parameter record: a parsed record.
    /// - Returns: the public key.
    /// - Throws: as ``DKIMKeyRecord/publicKey()``.
    public func publicKey(of record: DKIMKeyRecord) throws -> DKIMPublicKey {
        guard let type = record.keyType else { return try record.publicKey() }
        let name = KeyName(type: type, data: HashedBytes(record.publicKeyData))
        if let known = tables.withLock({ $0.keys[name] }) { return known }
        let key = try record.publicKey()
        tables.withLock { tables in
            if tables.keys.count >= maxEntries { tables.keys.removeAll() }
            tables.keys[name] = key
        }
        return key
    }
}

/// Bytes hashed eight at a time into one word, which goes to the (seeded) `Hasher` with the length.
///
/// `[UInt8]`'s own `hash(into:)` feeds the hasher one element at a time, and even one `combine(bytes:)` of a
/// 400-octet record ran SipHash over every byte: two lookups per verification cost as much as parsing the
/// signature. The word mix is not collision-resistant against chosen input, so a hostile set of values
/// could share a bucket; every table keyed by it is bounded and equality still compares every byte,
/// so that costs time proportional to the bound, never a wrong entry.
struct HashedBytes: Hashable {
    let value: ArraySlice<UInt8>

    init(_ value: [UInt8]) { self.value = value[...] }

    /// A key for a lookup; stored keys hold their own bytes (see ``owned``), not a slice of a larger array.
    init(slice value: ArraySlice<UInt8>) { self.value = value }

    /// The same bytes in an array of their own, to be kept in a table without keeping the array they came from.
    var owned: HashedBytes { HashedBytes(Array(value)) }

    func hash(into hasher: inout Hasher) {
        hasher.combine(value.count)
        hasher.combine(value.withUnsafeBytes(Self.mix))
    }

    /// One `memcmp`: the array's own `==` compares element by element.
    static func == (left: HashedBytes, right: HashedBytes) -> Bool {
        guard left.value.count == right.value.count else { return false }
        return left.value.withUnsafeBytes { a in
            right.value.withUnsafeBytes { b in
                a.isEmpty || memcmp(a.baseAddress.unsafelyUnwrapped, b.baseAddress.unsafelyUnwrapped, a.count) == 0
            }
        }
    }

    /// A multiply-xorshift mix of the bytes, eight at a time, the last partial word zero-padded.
    private static func mix(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15
        var state: UInt64 = 0
        var offset = 0
        while offset + 8 <= bytes.count {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            state = (state ^ word) &* multiplier
            state ^= state >> 29
            offset += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while offset < bytes.count {
            tail |= UInt64(bytes[offset]) << shift
            shift += 8
            offset += 1
        }
        state = (state ^ tail) &* multiplier
        return state ^ (state >> 29)
    }
}

