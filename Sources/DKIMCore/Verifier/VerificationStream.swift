/// A verification in progress over a message given in chunks (see ``DKIMVerifier/makeStream()``).
///
/// The header section is kept (up to ``maximumHeaderSectionSize``); once it is complete, the DKIM-Signature
/// fields are read to learn which body hashes are needed, and each later body byte goes through one
/// ``BodyCanonicalizer`` and SHA-256 per distinct (body canonicalization, `l=`) (RFC 6376 §6.1.3). Nothing of
/// the body is kept, so a message of any size verifies in constant memory. The result is the same as
/// ``DKIMVerifier/verify(message:)`` on the whole message.
///
/// The input must use CRLF line endings (RFC 6376 §5.3; see ``LineEndings/Normalizer``).
public struct VerificationStream: Sendable {
    /// The most header bytes a stream ever accepts; the verifier's ``VerifyOptions/limits`` bound it further
    /// (``DKIMLimits/maximumHeaderSectionOctets``, 1 MiB by default), exactly as for ``DKIMVerifier/verify(message:)``.
    public static let maximumHeaderSectionSize = SigningStream.maximumHeaderSectionSize

    private let verifier: DKIMVerifier
    private var header: HeaderSectionReader
    private var bodies: [BodyHashCache.Streaming] = []
    private var finished = false

    init(verifier: DKIMVerifier) {
        self.verifier = verifier
        let limits = verifier.options.limits
        header = HeaderSectionReader(
            maximumHeaderLength: min(limits.maximumHeaderSectionOctets, Self.maximumHeaderSectionSize),
            maximumHeaderFields: limits.maximumHeaderFields)
    }

    /// Feeds the next bytes of the message.
    ///
    /// - Parameter chunk: the next bytes, of any size; boundaries may fall anywhere.
    /// - Throws: ``DKIMError`` with `malformed-message` for a bad header section, `limit-exceeded` when it is
    ///   over the verifier's limits, or `misuse` after ``finish()``.
    public mutating func update(_ chunk: UnsafeRawBufferPointer) throws {
        guard !finished else { throw DKIMError(.misuse, "update(_:) was called after finish().") }
        if header.headers != nil {
            feedBody(chunk)
        } else if let bodyStart = try header.feed(chunk) {
            startBody(header.headers ?? [])
            feedBody(UnsafeRawBufferPointer(rebasing: chunk[bodyStart...]))
        }
    }

    /// Feeds the next bytes of the message; see ``update(_:)-(UnsafeRawBufferPointer)``.
    /// - Parameter chunk: the next bytes.
    /// - Throws: as ``update(_:)-(UnsafeRawBufferPointer)``.
    public mutating func update(_ chunk: [UInt8]) throws {
        try chunk.withUnsafeBytes { try update($0) }
    }

    /// Ends the message and verifies every signature.
    ///
    /// - Returns: one result per DKIM-Signature field, top-down, as ``DKIMVerifier/verify(message:)``.
    /// - Throws: ``DKIMError`` with `malformed-message` when the header section cannot be parsed, or `misuse`
    ///   when called twice.
    public mutating func finish() async throws -> MessageVerification {
        guard !finished else { throw DKIMError(.misuse, "finish() was called twice.") }
        finished = true
        let headers: [HeaderField]
        if let complete = header.headers {
            headers = complete
        } else {
            // No empty line: the whole message is header and the body is empty.
            headers = try header.finish()
            startBody(headers)
        }
        var entries: [(key: BodyHashCache.Key, entry: BodyHashCache.Entry)] = []
        for index in bodies.indices {
            entries.append((bodies[index].key, bodies[index].finish()))
        }
        bodies = []
        var cache = BodyHashCache(computed: entries)
        return await verifier.verify(headers: headers, bodyHashes: &cache)
    }

    /// Sets up one body hash per distinct (c=, l=) among the signatures that will be checked.
    private mutating func startBody(_ headers: [HeaderField]) {
        var keys: [BodyHashCache.Key] = []
        let fields = DKIMVerifier.signatureFieldIndices(in: headers).prefix(verifier.options.maxSignatures)
        for index in fields {
            // A field that does not parse is reported by verify(headers:) and needs no body hash.
            guard let signature = try? DKIMSignature(parsing: headers[index].value) else { continue }
            let key = BodyHashCache.Key(algorithm: signature.canonicalization.body, limit: signature.bodyLength)
            if !keys.contains(key) { keys.append(key) }
        }
        bodies = keys.map { BodyHashCache.Streaming($0) }
    }

    private mutating func feedBody(_ chunk: UnsafeRawBufferPointer) {
        for index in bodies.indices {
            bodies[index].feed(chunk)
        }
    }
}
