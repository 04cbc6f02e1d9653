#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What can be read from a DKIM-Signature field even when it does not parse as a valid signature:
/// enough to name the domain and selector in a report.
struct PartialSignature {
    let domain: String?
    let selector: String?
    let algorithm: String?
    let signaturePrefix: String?

    /// A field that was not read at all (over a size bound): nothing is known about it.
    static let unread = PartialSignature(domain: nil, selector: nil, algorithm: nil, signaturePrefix: nil)

    private init(domain: String?, selector: String?, algorithm: String?, signaturePrefix: String?) {
        self.domain = domain
        self.selector = selector
        self.algorithm = algorithm
        self.signaturePrefix = signaturePrefix
    }

    init(field: HeaderField) {
        self.init(tags: try? TagList(parsing: field.value))
    }

    /// The same from a tag list already parsed (a valid signature's ``DKIMSignature/tags``).
    init(tags: TagList?) {
        domain = tags?["d"]?.stringValue
        selector = tags?["s"]?.stringValue
        algorithm = tags?["a"]?.stringValue
        signaturePrefix = tags?["b"].map { Self.prefix(of: $0.value) }
    }

    /// RFC 6008 §4: `header.b` carries at least the first eight characters of `b=`.
    /// - Parameter value: the `b=` value as written, folding white space included (skipped here).
    static func prefix(of value: ArraySlice<UInt8>) -> String {
        // Only the first eight characters are needed, gathered in place: no array of them is made.
        value.withUnsafeBufferPointer { bytes in
            // The usual case, eight characters before any folding white space (a byte below 0x21 in a value),
            // is judged as one word.
            if bytes.count >= 8, let base = bytes.baseAddress {
                let word = UnsafeRawPointer(base).loadUnaligned(as: UInt64.self)
                let ones: UInt64 = 0x0101_0101_0101_0101
                if (word &- ones &* 0x21) & ~word & (ones &* 0x80) == 0 {
                    return String(decoding: UnsafeBufferPointer(start: base, count: 8), as: UTF8.self)
                }
            }
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 8) { characters in
                var count = 0
                for byte in bytes where !(ASCII.isWSP(byte) || byte == ASCII.cr || byte == ASCII.lf) {
                    characters[count] = byte
                    count &+= 1
                    if count == 8 { break }
                }
                return String(decoding: UnsafeBufferPointer(rebasing: characters[..<count]), as: UTF8.self)
            }
        }
    }

    /// Maps a parse failure to its reason code (RFC 6376 §6.1.1); the parser stops at the first fault.
    func classify(_ error: DKIMError) -> (VerificationReason, String) {
        switch error.code {
        case .fromNotSigned:
            (.fromNotSigned, "The signature does not cover the From field: \(error.reason)")
        case .limitExceeded:
            (.limitExceeded, "The DKIM-Signature field is over a resource bound: \(error.reason)")
        case .identityOutsideDomain:
            (.identityOutsideDomain, "The signing identity is outside the signing domain: \(error.reason)")
        default:
            (.malformedSignature, "The DKIM-Signature field is malformed: \(error.reason)")
        }
    }

    func result(index: Int, _ result: DKIMResult, _ reason: VerificationReason, _ explanation: String)
        -> SignatureVerification {
        SignatureVerification(index: index, result: result, reason: reason, explanation: explanation,
                              signature: nil, domain: domain, selector: selector, algorithm: algorithm,
                              signaturePrefix: signaturePrefix, keyBits: nil, testing: false, warnings: [])
    }
}

/// The key name (`selector._domainkey.domain`, RFC 6376 §3.6.2.1) and the pass sentence of the last (`s=`, `d=`)
/// verified, shared by the copies of a verifier.
///
/// Mail from one signer repeats its `s=` and `d=`, and both Strings are too long to be small Strings: made afresh,
/// they were two allocations per verification. The last pair is kept, compared by its exact UTF-8 bytes (String
/// `==` would also match canonically equivalent spellings, which name a different DNS name).
final class KeyNameCache: Sendable {
    private struct Entry {
        let selector: String
        let domain: String
        let keyName: String
        let passSentence: String
    }

    private let last = LockedValue<Entry?>(nil)

    /// The key name for `selector` and `domain` and the sentence of a signature that passed with it.
    func names(selector: String, domain: String) -> (keyName: String, passSentence: String) {
        let known = last.withLock { entry -> (String, String)? in
            guard let entry, Self.sameBytes(entry.selector, selector), Self.sameBytes(entry.domain, domain) else {
                return nil
            }
            return (entry.keyName, entry.passSentence)
        }
        if let known { return known }
        let keyName = DKIMVerifier.keyName(selector: selector, domain: domain)
        let passSentence = DKIMVerifier.passSentence(keyName: keyName)
        last.withLock { entry in
            entry = Entry(selector: selector, domain: domain, keyName: keyName, passSentence: passSentence)
        }
        return (keyName, passSentence)
    }

    /// Whether two Strings hold the same UTF-8 bytes.
    static func sameBytes(_ left: String, _ right: String) -> Bool {
        HeaderField.withNameBytes(left) { a in
            HeaderField.withNameBytes(right) { b in
                guard a.count == b.count, let left = a.baseAddress, let right = b.baseAddress else {
                    return a.count == b.count
                }
                return memcmp(left, right, a.count) == 0
            }
        }
    }
}

/// Collects what is learnt about one signature on the way to its result.
///
/// The signature itself is not kept: ``finish(_:_:_:_:)`` is given it, so the result holds the only copy.
struct Report {
    let index: Int
    /// `a=` as written.
    let algorithm: String?
    /// The first characters of `b=`.
    let signaturePrefix: String?
    var keyBits: Int?
    var testing = false
    var warnings: [VerificationWarning] = []

    /// The parts a report shows for a signature that parsed: `d=` and `s=` come from the signature itself, so
    /// only `a=` as written and the `b=` prefix are read from its tags (the tags were parsed once already).
    ///
    /// The signature is borrowed: taken as it was, the caller copied the whole value for the call and destroyed
    /// the copy after it (a retain and a release per property).
    init(index: Int, reportingFor signature: borrowing DKIMSignature) {
        self.index = index
        var algorithm: String?
        var signaturePrefix: String?
        // Through a span, whose elements are borrowed in place: a tag copied out of the array retained the
        // field's storage and the name, and released them after.
        let tags = signature.tags.tags.span
        for index in tags.indices {
            let key = tags[index].nameKey
            if key == TagList.Key.a {
                // The name as written; a known algorithm written as its name is its literal, not a new String.
                let known = signature.algorithm.tagValue
                let same = HeaderField.withNameBytes(known) { literal in
                    tags[index].value.withUnsafeBufferPointer { value in
                        guard value.count == literal.count, let left = value.baseAddress,
                              let right = literal.baseAddress else { return value.count == literal.count }
                        return memcmp(left, right, value.count) == 0
                    }
                }
                algorithm = same ? known : tags[index].stringValue
            } else if key == TagList.Key.b {
                signaturePrefix = PartialSignature.prefix(of: tags[index].value)
            }
        }
        self.algorithm = algorithm
        self.signaturePrefix = signaturePrefix
    }

    mutating func warn(_ code: String, _ message: String) {
        warnings.append(VerificationWarning(code: code, message: message))
    }

    /// The result, holding the signature and the report's parts: both are consumed, so they move into it rather
    /// than being copied (a retain per property) and then destroyed with the caller's frame.
    consuming func finish(_ result: DKIMResult, _ reason: VerificationReason?, _ explanation: String,
                          _ signature: consuming DKIMSignature) -> SignatureVerification {
        let domain = signature.domain, selector = signature.selector
        return SignatureVerification(index: index, result: result, reason: reason, explanation: explanation,
                                     signature: signature, domain: domain, selector: selector,
                                     algorithm: algorithm, signaturePrefix: signaturePrefix,
                                     keyBits: keyBits, testing: testing, warnings: warnings)
    }
}

/// Each distinct (body canonicalization, `l=`) body hash is computed once per message.
///
/// One-shot verification computes each hash from the body slice when first asked; streaming verification
/// computes them while the body arrives (``BodyHashCache/Streaming``) and hands over the finished entries.
struct BodyHashCache {
    struct Entry {
        /// SHA-256 of the canonicalized body, truncated to `l=` when given; inline, as it is only compared.
        let digest: SHA256Digest
        /// Octets of the whole canonicalized body, whatever `l=` says.
        let totalLength: Int
    }

    struct Key: Hashable {
        let algorithm: CanonicalizationAlgorithm
        let limit: Int?
    }

    /// The body, or nil when the entries were computed while streaming.
    let body: ArraySlice<UInt8>?
    /// The first hash computed, held inline: most messages carry one signature, or several with one key, and an
    /// array for it was an allocation a message.
    private var first: (key: Key, entry: Entry)?
    /// The others, searched in order: a message has a few distinct keys at most (one per verified signature,
    /// bounded by ``VerifyOptions/maxSignatures``), and a Dictionary cost a storage allocation and two SipHash runs
    /// a message.
    private var entries: [(key: Key, entry: Entry)]

    init(body: ArraySlice<UInt8>) {
        self.body = body
        self.entries = []
    }

    init(computed entries: [(key: Key, entry: Entry)]) {
        self.body = nil
        self.entries = entries
    }

    mutating func hash(canonicalization algorithm: CanonicalizationAlgorithm, limit: Int?) -> Entry {
        let key = Key(algorithm: algorithm, limit: limit)
        if let first, first.key == key { return first.entry }
        if let found = entries.first(where: { $0.key == key }) { return found.entry }
        // Streaming computes every key a verifiable signature needs; were one missing, hashing an empty body
        // gives a digest that cannot match bh=, so the signature fails rather than passes.
        var computing = Streaming(key, bufferCapacity: body.map { $0.count + 16 })
        if let body {
            body.withUnsafeBytes { computing.feed($0) }
        }
        let entry = computing.finish()
        if first == nil { first = (key, entry) } else { entries.append((key, entry)) }
        return entry
    }

    /// One body hash computed as the body streams past.
    struct Streaming {
        let key: Key
        private var canonicalizer: BodyCanonicalizer
        private var hasher = SHA256()

        /// - Parameters:
        ///   - key: the canonicalization and `l=`.
        ///   - bufferCapacity: the body size when known, so a small body does not get a 64 KiB buffer.
        init(_ key: Key, bufferCapacity: Int? = nil) {
            self.key = key
            self.canonicalizer = BodyCanonicalizer(key.algorithm, limit: key.limit, bufferCapacity: bufferCapacity)
        }

        mutating func feed(_ chunk: UnsafeRawBufferPointer) {
            canonicalizer.process(chunk, into: &hasher)
        }

        mutating func finish() -> Entry {
            canonicalizer.complete(into: &hasher)
            // In place: finalize() would finish a copy of the stored hasher (a copy of its whole state).
            let digest = hasher.finalizeInPlaceInline()
            return Entry(digest: digest, totalLength: canonicalizer.canonicalLength)
        }
    }
}
