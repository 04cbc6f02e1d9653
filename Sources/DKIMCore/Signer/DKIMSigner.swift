/// Signs messages with DKIM (RFC 6376 §5; Ed25519 per RFC 8463).
///
/// The signer never changes the message: it returns a DKIM-Signature field to prepend. Big messages stream:
/// ``makeStream()`` takes the message in chunks of any size and holds only the header section in memory.
///
/// ```swift
/// let key = try DKIMPrivateKey(pemRepresentation: pem)
/// let signer = try DKIMSigner(options: SignOptions(domain: "example.com", selector: "mail", key: key))
/// let signed = try signer.sign(message: bytes)   // the field followed by the unchanged message
/// ```
public struct DKIMSigner: Sendable {
    /// The options this signer applies.
    public let options: SignOptions

    /// Creates a signer after checking the options.
    ///
    /// - Throws: ``DKIMError`` with `invalid-option` when the domain or selector is not a valid DNS name,
    ///   the identity is outside the domain, or the `h=` list lacks From.
    public init(options: SignOptions) throws {
        try SignerValidation.validate(options)
        try SignerValidation.validateRendering(options)
        self.options = options
    }

    /// Computes the DKIM-Signature field for a message.
    ///
    /// - Parameter message: the message with CRLF line endings (RFC 6376 §5.3; see ``LineEndings``).
    /// - Returns: the whole field, folded, with CRLF line endings and a final CRLF, ready to prepend.
    /// - Throws: ``DKIMError`` with `missing-from` when the message has no From field, or `malformed-message`.
    public func signatureField(for message: [UInt8]) throws -> [UInt8] {
        var stream = makeStream()
        try stream.update(message)
        return try stream.finish()
    }

    /// Signs a message: returns the DKIM-Signature field followed by the message bytes, unchanged.
    public func sign(message: [UInt8]) throws -> [UInt8] {
        try signatureField(for: message) + message
    }

    /// Starts a streaming signature: feed the message with ``SigningStream/update(_:)-([UInt8])``, then call
    /// ``SigningStream/finish()``.
    public func makeStream() -> SigningStream {
        SigningStream(options: options)
    }
}

/// A signature in progress over a message given in chunks.
///
/// The header section is kept (it is needed at the end); body bytes go straight through the body
/// canonicalizer into SHA-256 and are not kept, so memory does not grow with the body.
public struct SigningStream: Sendable {
    /// The most header bytes accepted before the blank line that ends the header section.
    public static let maximumHeaderSectionSize = 4 << 20

    private let options: SignOptions
    private var header = HeaderSectionReader(maximumHeaderLength: maximumHeaderSectionSize)
    private var body: BodyCanonicalizer
    private var bodyHasher = SHA256()
    private var finished = false

    init(options: SignOptions) {
        self.options = options
        self.body = BodyCanonicalizer(options.canonicalization.body, limit: nil)
    }

    /// Feeds the next bytes of the message (CRLF line endings).
    ///
    /// - Throws: ``DKIMError`` with `limit-exceeded` when the header section exceeds
    ///   ``maximumHeaderSectionSize``, or `misuse` after ``finish()``.
    public mutating func update(_ chunk: UnsafeRawBufferPointer) throws {
        guard !finished else { throw DKIMError(.misuse, "update(_:) was called after finish().") }
        if header.headers != nil {
            try body.feed(chunk, into: &bodyHasher)
        } else if let bodyStart = try header.feed(chunk) {
            try body.feed(UnsafeRawBufferPointer(rebasing: chunk[bodyStart...]), into: &bodyHasher)
        }
    }

    /// Feeds the next bytes of the message (CRLF line endings).
    public mutating func update(_ chunk: [UInt8]) throws {
        try chunk.withUnsafeBytes { (buffer) throws in try update(buffer) }
    }

    /// Ends the message and returns the DKIM-Signature field (CRLF line endings, final CRLF included).
    ///
    /// - Throws: ``DKIMError`` with `missing-from`, `malformed-message`, or `crypto-failure`.
    public mutating func finish() throws -> [UInt8] {
        guard !finished else { throw DKIMError(.misuse, "finish() was called twice.") }
        finished = true
        try body.finish(into: &bodyHasher)
        let bodyHash = bodyHasher.finalize()
        let headers = try header.headers ?? header.finish()

        let hasFrom = headers.withUnsafeBufferPointer { fields in
            HeaderField.withNameBytes("from") { from in fields.contains { $0.hasName(caseInsensitive: from) } }
        }
        guard hasFrom else {
            throw DKIMError(.missingFrom, "The message has no From header field; DKIM signatures must cover From "
                                          + "(RFC 6376 §5.4).")
        }
        let signedNames = options.signedHeaders
            ?? Self.defaultHeaderList(for: headers, oversigning: options.oversignedHeaders)

        let now = options.clock()
        let timestamp: Int64? = options.includeTimestamp ? now : nil
        let expiration = options.expiresAfter.map { (timestamp ?? now) + $0 }
        try SignerValidation.validateTimes(timestamp: timestamp, expiration: expiration)
        // The options were rendered and parsed back once, when the signer was made; here the field is built
        // from them and this message's bh=, l=, t=, x= and h= without another round trip.
        let signature = DKIMSignature(
            checkedForSigning: options.key.type == .ed25519 ? .ed25519SHA256 : .rsaSHA256,
            bodyHash: bodyHash,
            canonicalization: options.canonicalization,
            domain: options.domain,
            signedHeaders: signedNames,
            identity: options.identity,
            bodyLength: options.includeBodyLength ? body.canonicalLength : nil,
            selector: options.selector,
            timestamp: timestamp,
            expiration: expiration
        )

        // RFC 6376 §5.4.2 / §3.7: the selected fields, then this field with an empty b= and no final CRLF.
        // Rendered once: the field with an empty b= is hashed, then completed with the signature.
        let unsigned = signature.unsignedRendering()
        let nameEnd = DKIMSignature.fieldName.utf8.count
        let digest = HeaderHash.digest(signedNames: signedNames, headers: headers,
                                           signatureField: HeaderField(validatedRaw: unsigned.bytes + ASCII.crlf,
                                                                       nameEnd: nameEnd, colonIndex: nameEnd),
                                           blanking: nil, algorithm: options.canonicalization.header)
        let value: [UInt8]
        do {
            value = try options.key.signature(forDigest: digest)
        } catch {
            throw DKIMError(.cryptoFailure, "Signing failed: \(error)")
        }
        return unsigned.completed(signature: value)
    }

    /// The default `h=`: every instance of each default field present, From always, then one more entry for
    /// each present field that is oversigned (RFC 6376 §5.4.2, §8.15).
    static func defaultHeaderList(for headers: [HeaderField], oversigning: [String]) -> [String] {
        let defaultCount = SignOptions.defaultSignedHeaders.count
        // The counts live in a temporary buffer: `[Int](repeating:count:)` allocated through the stdlib's
        // unspecialised path, which looks the storage type up at run time on every call.
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: defaultCount) { counts in
            counts.initialize(repeating: 0)
            // One pass over the fields, each compared by length first with the lowercased default names (no
            // dictionary of hashed strings, no allocation per name): linear in the number of fields.
            // Through buffer pointers, so neither a field nor a default name is copied (and retained) per
            // comparison; each field is compared only with the default names of its length.
            Self.defaultNameBytes.withUnsafeBufferPointer { defaults in
                Self.defaultNamesByLength.withUnsafeBufferPointer { byLength in
                    headers.withUnsafeBufferPointer { fields in
                        for field in fields where field.nameEnd < byLength.count {
                            for index in byLength[field.nameEnd]
                            where defaults[index].withUnsafeBufferPointer({ field.hasName(caseInsensitive: $0) }) {
                                counts[index] += 1
                                break
                            }
                        }
                    }
                }
            }
            var names: [String] = []
            names.reserveCapacity(headers.count + oversigning.count)
            let defaultNames = SignOptions.defaultSignedHeaders
            for index in 0..<defaultCount {
                for _ in 0..<counts[index] { names.append(defaultNames[index]) }
            }
            // Array `==` compares the storage first, so options left at their default (which hold the default list
            // itself) cost one pointer comparison here.
            if let indices = Self.defaultOversignedIndices, oversigning == SignOptions.defaultOversignedHeaders {
                // The usual list: every name in it is a default name, counted above (RFC 6376 §8.15 oversigning
                // of the fields that occur at most once, From first).
                for index in indices where counts[index] > 0 {
                    names.append(defaultNames[index])
                }
                return names
            }
            headers.withUnsafeBufferPointer { fields in
                for name in oversigning {
                    let present = HeaderField.withNameBytes(name) { nameBytes in
                        fields.contains { $0.hasName(caseInsensitive: nameBytes) }
                    }
                    if present { names.append(HeaderField.asciiLowercased(name)) }
                }
            }
            return names
        }
    }

    /// For each name of ``SignOptions/defaultOversignedHeaders``, its index in ``SignOptions/defaultSignedHeaders``;
    /// nil if one of them is not a default signed name (then each is looked for among the fields).
    static let defaultOversignedIndices: [Int]? = {
        let indices = SignOptions.defaultOversignedHeaders.map { SignOptions.defaultSignedHeaders.firstIndex(of: $0) }
        return indices.contains(nil) ? nil : indices.compactMap { $0 }
    }()

    /// ``SignOptions/defaultSignedHeaders`` as bytes, in the same order.
    private static let defaultNameBytes: [[UInt8]] = SignOptions.defaultSignedHeaders.map { Array($0.utf8) }

    /// For each name length, the indices in ``defaultNameBytes`` of the names that long.
    private static let defaultNamesByLength: [[Int]] = {
        var table = [[Int]](repeating: [], count: (defaultNameBytes.map(\.count).max() ?? 0) + 1)
        for (index, name) in defaultNameBytes.enumerated() { table[name.count].append(index) }
        return table
    }()
}
