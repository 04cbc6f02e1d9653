/// Verifies every DKIM-Signature of a message (RFC 6376 §6).
///
/// A signature that fails is a result, not an error: ``verify(message:)`` throws only when the message
/// itself cannot be read. Each signature gets a ``SignatureVerification`` with a result, a stable reason
/// code and a sentence; the message verdict follows RFC 6376 §4.2 (one passing signature suffices).
///
/// ```swift
/// let verifier = DKIMVerifier(options: VerifyOptions(resolver: SystemDNSResolver()))
/// let outcome = try await verifier.verify(message: bytes)
/// print(AuthenticationResults.headerField(for: outcome, authservID: "mx.example.net"))
/// ```
public struct DKIMVerifier: Sendable {
    /// The options this verifier applies.
    public let options: VerifyOptions

    /// `h=` lists already parsed, shared by the copies of this verifier.
    let signedHeaderLists = SignedHeaderListCache()

    /// The key name and pass sentence of the last (`s=`, `d=`), shared by the copies of this verifier.
    let keyNames = KeyNameCache()

    /// The resolver of ``options`` when it answers from memory, asked without an async call.
    let immediateResolver: (any ImmediateKeyResolver)?

    /// Creates a verifier.
    public init(options: VerifyOptions) {
        self.options = options
        self.immediateResolver = options.resolver as? any ImmediateKeyResolver
    }

    /// Verifies a message.
    ///
    /// - Parameter message: the message with CRLF line endings (use ``LineEndings/normalizeToCRLF(_:)`` on
    ///   files saved with bare LF, RFC 6376 §5.3).
    /// - Returns: one result per DKIM-Signature field, top-down.
    /// - Throws: ``DKIMError`` with `malformed-message` when the header section cannot be parsed, with
    ///   `limit-exceeded` when it is over a bound of ``VerifyOptions/limits``.
    public func verify(message: [UInt8]) async throws -> MessageVerification {
        // The fields are read in place in `message` (HeaderTable), not copied into HeaderField arrays.
        let parsed = try HeaderTable(parsing: message, limits: options.limits)
        var bodyHashes = BodyHashCache(body: parsed.body)
        return await verify(headers: parsed, bodyHashes: &bodyHashes)
    }

    /// Starts a streaming verification: feed the message with
    /// ``VerificationStream/update(_:)-(UnsafeRawBufferPointer)``, then call ``VerificationStream/finish()``.
    ///
    /// Only the header section is kept; the body goes through one canonicalizer and hash per distinct
    /// (body canonicalization, `l=`) of the signatures as it arrives, so memory does not grow with the body.
    /// - Returns: a stream that gives the same results as ``verify(message:)`` on the whole message.
    public func makeStream() -> VerificationStream {
        VerificationStream(verifier: self)
    }

    /// Verifies the DKIM-Signature fields of `headers`, with body hashes from `bodyHashes`.
    func verify(headers: [HeaderField], bodyHashes: inout BodyHashCache) async -> MessageVerification {
        await verify(headers: HeaderTable(fields: headers), bodyHashes: &bodyHashes)
    }

    /// Verifies the DKIM-Signature fields of `headers`, with body hashes from `bodyHashes`.
    ///
    /// Inlined, as is ``verifySignature(at:index:in:bodyHashes:now:)``: each nested async frame cost an executor
    /// switch on entry and after return and a task-stack allocation (about 270 instructions per verification).
    @inline(__always)
    func verify(headers: HeaderTable, bodyHashes: inout BodyHashCache) async -> MessageVerification {
        let now = options.clock()
        var results: [SignatureVerification] = []
        // The DKIM-Signature fields top-down, found as the loop reaches them: no array of their positions.
        var position = 0
        var fieldIndex = Self.nextSignatureField(in: headers, from: 0)
        while fieldIndex < headers.count {
            if position >= options.maxSignatures {
                let field = headers[fieldIndex]
                let partial = field.raw.count <= options.limits.maximumSignatureFieldOctets
                    ? PartialSignature(field: field) : .unread
                results.append(partial.result(index: position, .neutral, .notChecked,
                    "Not checked: the message has more than \(options.maxSignatures) DKIM signatures."))
            } else {
                let outcome = await verifySignature(at: fieldIndex, index: position, in: headers,
                                                    bodyHashes: &bodyHashes, now: now)
                results.append(outcome)
            }
            position &+= 1
            fieldIndex = Self.nextSignatureField(in: headers, from: fieldIndex &+ 1)
        }
        return MessageVerification(signatures: results)
    }

    /// The position of the first DKIM-Signature field at or after `start`, or `headers.count` when there is none;
    /// the name is compared over ASCII case, as ``HeaderTable/indices(named:)`` compares it.
    ///
    /// A name of the right length is compared as two overlapping words with the 0x20 bit of every byte set: for a
    /// letter that bit is the only difference between its cases, and the one other byte, `-`, is checked alone.
    static func nextSignatureField(in headers: HeaderTable, from start: Int) -> Int {
        let lowercased: StaticString = "dkim-signature"
        let length = lowercased.utf8CodeUnitCount
        let name = UnsafeRawPointer(lowercased.utf8Start)
        let head = UInt64(littleEndian: name.loadUnaligned(as: UInt64.self))
        let tail = UInt64(littleEndian: name.loadUnaligned(fromByteOffset: length &- 8, as: UInt64.self))
        let caseBits: UInt64 = 0x2020_2020_2020_2020
        return headers.withFields { fields in
            guard let base = fields.base else { return fields.count }
            var index = start
            while index < fields.count {
                let span = fields.spans[index]
                if span.nameEnd &- span.start == length {
                    let field = UnsafeRawPointer(base + span.start)
                    if UInt64(littleEndian: field.loadUnaligned(as: UInt64.self)) | caseBits == head,
                       UInt64(littleEndian: field.loadUnaligned(fromByteOffset: length &- 8, as: UInt64.self))
                        | caseBits == tail,
                       field.load(fromByteOffset: 4, as: UInt8.self) == ASCII.hyphen {
                        return index
                    }
                }
                index &+= 1
            }
            return index
        }
    }

    /// The positions of the DKIM-Signature fields, top-down.
    static func signatureFieldIndices(in headers: [HeaderField]) -> [Int] {
        // Through a buffer pointer: the fields are compared in place, not copied (and retained) one by one.
        headers.withUnsafeBufferPointer { fields in
            HeaderField.withNameBytes(DKIMSignature.fieldName) { name in
                fields.indices.filter { fields[$0].hasName(caseInsensitive: name) }
            }
        }
    }

    // MARK: One signature

    @inline(__always)
    private func verifySignature(at fieldIndex: Int, index: Int, in headers: HeaderTable,
                                 bodyHashes: inout BodyHashCache, now: Int64) async -> SignatureVerification {
        let field = headers[fieldIndex]
        let limits = options.limits
        guard field.raw.count <= limits.maximumSignatureFieldOctets else {
            // Not even the tag list is read: a field over the bound is refused before any work on it.
            return PartialSignature.unread.result(index: index, .permerror, .limitExceeded,
                "The DKIM-Signature field has \(field.raw.count) octets; more than "
                + "\(limits.maximumSignatureFieldOctets) are refused.")
        }

        // RFC 6376 §6.1.1: validate the signature field; any fault is a permanent error for this signature.
        let signature: DKIMSignature
        do {
            signature = try DKIMSignature.parse(field.value, allowingEmptySignature: false,
                                                signedHeaderLists: signedHeaderLists)
        } catch {
            let partial = PartialSignature(field: field)
            let (reason, sentence) = partial.classify(error)
            return partial.result(index: index, .permerror, reason, sentence)
        }
        var report = Report(index: index, reportingFor: signature)
        guard signature.signedHeaders.count <= limits.maximumSignedHeaderNames else {
            return report.finish(.permerror, .limitExceeded,
                "h= lists \(signature.signedHeaders.count) header field names; more than "
                + "\(limits.maximumSignedHeaderNames) are refused.", consume signature)
        }

        switch signature.algorithm {
        case .rsaSHA256, .ed25519SHA256:
            break
        case .rsaSHA1:
            // RFC 8301 §3.1: verifiers MUST NOT consider rsa-sha1 signatures valid.
            return report.finish(.permerror, .algorithmForbidden,
                                 "rsa-sha1 signatures are not accepted (RFC 8301 §3.1).", consume signature)
        case .other(let name):
            return report.finish(.permerror, .algorithmUnsupported,
                                 "The signing algorithm \"\(name)\" is not supported.", consume signature)
        }
        if let expiration = signature.expiration, expiration < now {
            // RFC 6376 §6.1.1: a verifier may treat an expired signature as PERMFAIL (signature expired).
            return report.finish(.permerror, .signatureExpired,
                                 "The signature expired at \(expiration) (x=); it is now \(now).",
                                 consume signature)
        }
        if let timestamp = signature.timestamp, timestamp > now &+ options.clockSkew {
            return report.finish(.permerror, .timestampInFuture,
                                 "The signature timestamp \(timestamp) (t=) is in the future (now \(now)).",
                                 consume signature)
        }
        if signature.bodyLength != nil, options.bodyLengthPolicy == .refuse {
            return report.finish(.policy, .bodyLengthRefused,
                                 "The signature covers only part of the body (l=) and local policy refuses that.",
                                 consume signature)
        }

        // RFC 6376 §6.1.2: fetch and check the public key.
        let (keyName, passSentence) = keyNames.names(selector: signature.selector, domain: signature.domain)
        let answer: TXTLookupResult
        if let immediate = immediateResolver?.immediateTXT(keyName) {
            answer = immediate
        } else {
            answer = await options.resolver.lookupTXT(keyName)
        }
        let key: DKIMPublicKey
        switch checkKey(answer, named: keyName, for: signature, report: &report) {
        case .success(let fetched):
            key = fetched
        case .failure(let failure):
            return report.finish(failure.result, failure.reason, failure.explanation, consume signature)
        }

        // RFC 6376 §6.1.3: body hash first, then the header hash and signature.
        let bodyHash = bodyHashes.hash(canonicalization: signature.canonicalization.body, limit: signature.bodyLength)
        if let limit = signature.bodyLength {
            if limit > bodyHash.totalLength {
                return report.finish(.permerror, .bodyLengthExceedsBody,
                    "l=\(limit) is larger than the canonicalized body (\(bodyHash.totalLength) octets).",
                    consume signature)
            }
            let unsigned = bodyHash.totalLength - limit
            if unsigned > 0 {
                report.warn("body-length-unsigned-content",
                            "l= leaves \(unsigned) body octets unsigned: content can be appended without breaking the signature.")
            }
        }
        guard bodyHash.digest.constantTimeEquals(signature.bodyHash) else {
            return report.finish(.fail, .bodyHashMismatch,
                                 "The body hash does not match bh=: the body was changed after signing.",
                                 consume signature)
        }
        let digest = headerDigest(for: signature, field: field, fieldIndex: fieldIndex, in: headers)
        guard key.isValidSignature(signature.signature, forDigest: digest) else {
            return report.finish(.fail, .signatureMismatch,
                "The signature does not verify with the key at \(keyName): a signed header field was changed, "
                + "or the key does not match the one that signed.", consume signature)
        }
        if !Self.isOversigned("from", in: signature, headers: headers) {
            report.warn("from-not-oversigned",
                        "From is not oversigned: a second From field could be added without breaking the signature.")
        }
        return report.finish(.pass, nil, passSentence, consume signature)
    }

    /// `h=` names From more often than the message has From fields, so an added From would break the signature.
    static func isOversigned(_ name: String, in signature: DKIMSignature, headers: HeaderTable) -> Bool {
        // Compared as bytes in place: `String.lowercased()` allocated a String per h= name on every verification.
        return HeaderField.withNameBytes(name) { nameBytes in
            // From as counted by the parse (no pass over the names); any other name, or a value not parsed here,
            // is counted now.
            let parsedCount = name == "from" ? signature.signedFromCount : nil
            let signedCount = parsedCount ?? signature.signedHeaders.count { signed in
                // The length first: most names in h= differ from this one in length, and it needs no copy.
                signed.utf8.count == nameBytes.count && HeaderField.withNameBytes(signed) { signedBytes in
                    signedBytes.count == nameBytes.count
                        && zip(signedBytes, nameBytes).allSatisfy { ASCII.lowercased($0) == ASCII.lowercased($1) }
                }
            }
            let presentCount = name == "from" ? Self.fromFieldCount(in: headers) : headers.count(named: nameBytes)
            return signedCount > presentCount
        }
    }

    /// How many fields are named From, in any ASCII case: a four-byte name compared as one word with the 0x20 bit
    /// of every byte set (the only difference between the cases of a letter, and `from` is all letters).
    static func fromFieldCount(in headers: HeaderTable) -> Int {
        let lowercased: StaticString = "from"
        let from = UInt32(littleEndian: UnsafeRawPointer(lowercased.utf8Start).loadUnaligned(as: UInt32.self))
        return headers.withFields { fields in
            guard let base = fields.base else { return 0 }
            var count = 0
            for span in fields.spans where span.nameEnd &- span.start == 4 {
                let name = UInt32(littleEndian: UnsafeRawPointer(base + span.start).loadUnaligned(as: UInt32.self))
                if name | 0x2020_2020 == from { count &+= 1 }
            }
            return count
        }
    }

    /// The SHA-256 of the signed header data (RFC 6376 §3.7, §5.4.2).
    private func headerDigest(for signature: DKIMSignature, field: HeaderField, fieldIndex: Int,
                              in headers: HeaderTable) -> SHA256Digest {
        // The field under verification did not exist when the signer chose header instances.
        // A parsed signature has its h= laid out; one made otherwise gets the layout here (the digest reads no
        // From count).
        let names = signature.signedHeaderNames ?? SignedHeaderNames(names: signature.signedHeaders, fromCount: 0)
        return HeaderHash.digest(signedNames: names, table: headers, excluding: fieldIndex,
                                 signatureField: field, blanking: signature.signatureValueRange,
                                 algorithm: signature.canonicalization.header)
    }

    // MARK: Key

    private struct Failure: Error {
        let result: DKIMResult
        let reason: VerificationReason
        let explanation: String
    }

    /// The sentence of a passing signature whose key is at `keyName`.
    static func passSentence(keyName: String) -> String {
        concatenated("The signature verified with the key at ", keyName, ".")
    }

    /// `selector._domainkey.domain` (RFC 6376 §3.6.2.1), built in one allocation.
    static func keyName(selector: String, domain: String) -> String {
        concatenated(selector, "._domainkey.", domain)
    }

    /// Three Strings joined, their UTF-8 copied into one buffer and made a String once: appending to a String
    /// grows and checks it per part, and interpolation more so. The parts are read in place
    /// (``HeaderField/withNameBytes(_:_:)``): `withUTF8` is mutating, and the copies it needs cost a retain and a
    /// release per part.
    static func concatenated(_ first: String, _ second: String, _ third: String) -> String {
        HeaderField.withNameBytes(first) { a in
            HeaderField.withNameBytes(second) { b in
                HeaderField.withNameBytes(third) { c in
                    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: a.count + b.count + c.count) { out in
                        var end = out.initialize(fromContentsOf: a)
                        end = UnsafeMutableBufferPointer(rebasing: out[end...]).initialize(fromContentsOf: b) + end
                        end = UnsafeMutableBufferPointer(rebasing: out[end...]).initialize(fromContentsOf: c) + end
                        return String(decoding: UnsafeBufferPointer(rebasing: out[..<end]), as: UTF8.self)
                    }
                }
            }
        }
    }

    /// Checks the resolver's answer for `keyName` and decodes the key (RFC 6376 §6.1.2); synchronous, so the
    /// only suspension of a verification is the lookup itself.
    private func checkKey(_ answer: TXTLookupResult, named keyName: String, for signature: DKIMSignature,
                          report: inout Report) -> Result<DKIMPublicKey, Failure> {
        let records: [DNSTXTRecord]
        switch answer {
        case .records(let found):
            records = found
        case .notFound:
            return .failure(Failure(result: .permerror, reason: .keyNotFound,
                                    explanation: "No DKIM key record at \(keyName)."))
        case .temporaryFailure(let why):
            return .failure(Failure(result: .temperror, reason: .dnsTemporaryFailure,
                                    explanation: "The DNS lookup of \(keyName) failed temporarily: "
                                        + Sentence.closed(why)))
        case .permanentFailure(let why):
            return .failure(Failure(result: .permerror, reason: .dnsPermanentFailure,
                                    explanation: "The DNS lookup of \(keyName) failed: \(Sentence.closed(why))"))
        }

        let limits = options.limits
        switch limits.excess(of: records) {
        case .records(let count)?:
            return .failure(Failure(result: .permerror, reason: .limitExceeded,
                explanation: "\(keyName) has \(count) TXT records; more than \(limits.maximumTXTRecords) are refused."))
        case .octets(let size)?:
            return .failure(Failure(result: .permerror, reason: .limitExceeded,
                explanation: "A TXT record at \(keyName) has \(size) octets; "
                    + "more than \(limits.maximumTXTRecordOctets) are refused."))
        case nil:
            break
        }
        // RFC 6376 §3.6.2.2: the strings of one record are joined; of several records, use the one key record.
        let resolved: DKIMKeyCache.Resolved
        switch Self.parseKeyRecords(records, cache: options.keyCache) {
        case .success(let found):
            resolved = found
        case .failure(.ambiguous(let count)):
            return .failure(Failure(result: .permerror, reason: .keyAmbiguous,
                explanation: "\(count) TXT records at \(keyName) are DKIM key records; there must be one."))
        case .failure(.noKeyRecord(let firstError)):
            let detail = firstError.map { ": \($0.reason)" } ?? ""
            return .failure(Failure(result: .permerror, reason: .keyMalformed,
                explanation: Self.splitRecordsExplanation(records, keyName: keyName)
                    ?? Sentence.closed("The TXT record at \(keyName) is not a valid DKIM key record\(detail)")))
        }
        // The record is read through `resolved` where a message needs it, not copied out (a retain per field).
        if resolved.isTesting {
            report.testing = true
            report.warn("testing-key", "The key record at \(keyName) has t=y (testing mode).")
        }
        if resolved.isRevoked {
            return .failure(Failure(result: .permerror, reason: .keyRevoked,
                                    explanation: "The key at \(keyName) has been revoked (empty p=)."))
        }
        // RFC 6376 §6.1.2: k= must match the signature algorithm, h= must allow its hash, s= must allow email.
        let expectedType: DKIMKeyType = signature.algorithm == .ed25519SHA256 ? .ed25519 : .rsa
        guard let keyType = resolved.keyType else {
            // RFC 6376 §3.6.1: an unrecognized k= makes the key unusable.
            return .failure(Failure(result: .permerror, reason: .keyMalformed,
                explanation: "The key at \(keyName) has an unknown key type k=\(resolved.record.keyTypeName)."))
        }
        guard keyType == expectedType else {
            return .failure(Failure(result: .permerror, reason: .keyTypeMismatch,
                explanation: "The key at \(keyName) is k=\(resolved.record.keyTypeName) but the signature uses "
                    + "\(signature.algorithm)."))
        }
        if !resolved.allowsSHA256, let hashes = resolved.record.hashAlgorithms {
            return .failure(Failure(result: .permerror, reason: .keyHashMismatch,
                explanation: "The key at \(keyName) allows only h=\(hashes.joined(separator: ":")), not sha256."))
        }
        guard resolved.appliesToEmail else {
            return .failure(Failure(result: .permerror, reason: .keyServiceMismatch,
                explanation: "The key at \(keyName) is not for email "
                    + "(s=\(resolved.record.serviceTypes.joined(separator: ":")))."))
        }
        if resolved.requiresStrictIdentity, !Self.identityDomainEqualsDomain(signature) {
            // RFC 6376 §3.6.1 t=s: the i= domain must equal d=, not be a subdomain of it.
            return .failure(Failure(result: .permerror, reason: .keyStrictIdentity,
                explanation: "The key at \(keyName) has t=s, so i= must be exactly in \(signature.domain)."))
        }
        let key: DKIMPublicKey
        do {
            if let decoded = resolved.key {
                key = decoded
            } else {
                key = try options.keyCache?.publicKey(of: resolved.record) ?? resolved.record.publicKey()
            }
        } catch let error as DKIMError where error.code == .keyTooLarge {
            return .failure(Failure(result: .permerror, reason: .keyTooLarge, explanation: error.reason))
        } catch {
            return .failure(Failure(result: .permerror, reason: .keyMalformed,
                explanation: Self.splitRecordsExplanation(records, keyName: keyName)
                    ?? Sentence.closed("The key at \(keyName) cannot be read: \(error)")))
        }
        report.keyBits = key.bits
        if key.type == .rsa {
            let floor = max(options.minimumKeyBits, 1024)  // RFC 8301 §3.2
            guard key.bits >= floor else {
                return .failure(Failure(result: .permerror, reason: .keyTooSmall,
                    explanation: "The key at \(keyName) has \(key.bits) bits; at least \(floor) are required (RFC 8301 §3.2)."))
            }
            guard key.bits <= DKIMKeySize.maximumRSABits else {
                return .failure(Failure(result: .permerror, reason: .keyTooLarge,
                    explanation: "The key at \(keyName) has \(key.bits) bits; more than "
                        + "\(DKIMKeySize.maximumRSABits) are refused."))
            }
            if key.bits < 2048 {
                report.warn("key-under-2048-bits",
                            "The key at \(keyName) has \(key.bits) bits; 2048 or more is recommended (RFC 8301 §3.2).")
            }
        }
        return .success(key)
    }

    private enum KeyRecordFailure: Error {
        /// More than one of the records parses as a key record.
        case ambiguous(Int)
        /// None does; the first parse error, if any.
        case noKeyRecord(DKIMError?)
    }

    /// Parses the TXT records of an answer and returns the one DKIM key record (RFC 6376 §3.6.2.2).
    private static func parseKeyRecords(_ records: [DNSTXTRecord], cache: DKIMKeyCache?)
        -> Result<DKIMKeyCache.Resolved, KeyRecordFailure> {
        func described(_ error: any Error) -> DKIMError {
            (error as? DKIMError) ?? DKIMError(.malformedKeyRecord, "\(error)")
        }
        if records.count == 1, let cache {
            // The usual answer, one record: found by the answer itself when the resolver hands back the same one.
            do {
                return .success(try cache.resolved(answer: records))
            } catch {
                return .failure(.noKeyRecord(described(error)))
            }
        }
        var parsed: DKIMKeyCache.Resolved?
        // The values of the key records found, joined: the same record published twice (split into strings
        // differently, say) is one key, so nothing is ambiguous about it; two different ones are.
        var values: [[UInt8]] = []
        var firstError: DKIMError?
        for record in records {
            do {
                let bytes = record.joined
                let one = try cache?.record(parsing: bytes) ?? DKIMKeyRecord(parsing: bytes)
                if !values.contains(bytes) { values.append(bytes) }
                if parsed == nil { parsed = DKIMKeyCache.Resolved(one, key: nil) }
            } catch {
                firstError = firstError ?? described(error)
            }
        }
        guard values.count <= 1 else { return .failure(.ambiguous(values.count)) }
        guard let parsed else { return .failure(.noKeyRecord(firstError)) }
        return .success(parsed)
    }

    /// When a key record was published as several TXT records (a DNS panel's 255-octet fields filled one by one)
    /// and only their concatenation is a usable key, the sentence that says so; the key stays unusable, since the
    /// order of records in an answer is not defined (RFC 6376 §3.6.2.2: one record, split into strings).
    private static func splitRecordsExplanation(_ records: [DNSTXTRecord], keyName: String) -> String? {
        guard let joined = DKIMKeyRecord(joiningRecords: records), (try? joined.publicKey()) != nil else { return nil }
        return "The key at \(keyName) was published as \(records.count) separate TXT records; it must be ONE record "
            + "whose value is split into several strings (RFC 6376 §3.6.2.2)."
    }

    private static func identityDomainEqualsDomain(_ signature: DKIMSignature) -> Bool {
        guard let identity = signature.identity else { return true }  // default i= is "@" + d
        guard let at = identity.lastIndex(of: "@") else { return false }
        return identity[identity.index(after: at)...].lowercased() == signature.domain.lowercased()
    }
}
