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
        let tags = try? TagList(parsing: field.value)
        domain = tags?["d"]?.stringValue
        selector = tags?["s"]?.stringValue
        algorithm = tags?["a"]?.stringValue
        signaturePrefix = tags?["b"].map { Self.prefix(of: $0.valueWithoutWhitespace) }
    }

    /// RFC 6008 §4: `header.b` carries at least the first eight characters of `b=`.
    static func prefix(of base64: [UInt8]) -> String {
        String(decoding: base64.prefix(8), as: UTF8.self)
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

/// Collects what is learnt about one signature on the way to its result.
struct Report {
    let index: Int
    let signature: DKIMSignature
    let partial: PartialSignature
    var keyBits: Int?
    var testing = false
    var warnings: [VerificationWarning] = []

    init(index: Int, signature: DKIMSignature, partial: PartialSignature) {
        self.index = index
        self.signature = signature
        self.partial = partial
    }

    mutating func warn(_ code: String, _ message: String) {
        warnings.append(VerificationWarning(code: code, message: message))
    }

    func finish(_ result: DKIMResult, _ reason: VerificationReason?, _ explanation: String) -> SignatureVerification {
        SignatureVerification(index: index, result: result, reason: reason, explanation: explanation,
                              signature: signature, domain: signature.domain, selector: signature.selector,
                              algorithm: partial.algorithm, signaturePrefix: partial.signaturePrefix,
                              keyBits: keyBits, testing: testing, warnings: warnings)
    }
}

/// Each distinct (body canonicalization, `l=`) body hash is computed once per message.
struct BodyHashCache {
    struct Entry {
        /// SHA-256 of the canonicalized body, truncated to `l=` when given.
        let digest: [UInt8]
        /// Octets of the whole canonicalized body, whatever `l=` says.
        let totalLength: Int
    }

    private struct Key: Hashable {
        let algorithm: CanonicalizationAlgorithm
        let limit: Int?
    }

    let body: ArraySlice<UInt8>
    private var entries: [Key: Entry] = [:]

    init(body: ArraySlice<UInt8>) {
        self.body = body
    }

    mutating func hash(canonicalization algorithm: CanonicalizationAlgorithm, limit: Int?) -> Entry {
        let key = Key(algorithm: algorithm, limit: limit)
        if let entry = entries[key] { return entry }
        var canonicalizer = BodyCanonicalizer(algorithm, limit: limit)
        var hasher = SHA256()
        // A fresh canonicalizer fed once and finished once cannot be misused, so these calls do not throw.
        try? canonicalizer.feed(body, into: &hasher)
        try? canonicalizer.finish(into: &hasher)
        let entry = Entry(digest: hasher.finalize(), totalLength: canonicalizer.canonicalLength)
        entries[key] = entry
        return entry
    }
}
