/// The hash of the signed header data, shared by the signer and the verifier so both compute it one way.
///
/// RFC 6376 §3.7 and §5.4.2: the header fields named in `h=`, each instance chosen bottom-up and canonicalized,
/// followed by the DKIM-Signature field itself with an empty `b=` value, canonicalized, without its final CRLF.
enum HeaderHash {
    /// Computes the SHA-256 of the signed header data.
    ///
    /// - Parameters:
    ///   - signedNames: the `h=` names in order (repeats select further instances; names with no instance left
    ///     contribute nothing, which is how oversigning works).
    ///   - headers: the message's header fields the names are chosen from.
    ///   - excluded: the index in `headers` of the signature field itself when it is one of them (a verifier's
    ///     case): it is never selected, as it did not exist when the signer chose the instances.
    ///   - signatureField: the DKIM-Signature field being made or checked.
    ///   - blanking: the range of the `b=` value in `signatureField.raw`, removed before canonicalization;
    ///     nil when the value is already empty.
    ///   - algorithm: the header canonicalization.
    /// - Returns: the 32-octet digest that RSA signs with PKCS#1 v1.5 and Ed25519 signs as its message (RFC 8463 §3).
    static func digest(signedNames: [String], headers: [HeaderField], excluding excluded: Int? = nil,
                       signatureField: HeaderField, blanking: Range<Int>?,
                       algorithm: CanonicalizationAlgorithm) -> [UInt8] {
        let selected = HeaderSelection.selectIndices(signedNames, from: headers, excluding: excluded)
        // One buffer, sized once and written in place: canonical fields are never longer than their bound.
        var capacity = Canonicalization.canonicalHeaderBound(signatureField)
        for index in selected { if let index { capacity += Canonicalization.canonicalHeaderBound(headers[index]) } }
        // Only value bytes and the folding white space around them go: the name and the colon stay where they
        // were, and no line break is left without the white space that continues it.
        let removed = blanking.map { widenedOverWhitespace($0, in: signatureField.value) } ?? 0..<0
        let data = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            let base = buffer.baseAddress.unsafelyUnwrapped
            var used = 0
            for index in selected {
                guard let index else { continue }
                let field = headers[index]
                used += field.raw.withUnsafeBufferPointer { raw in
                    Canonicalization.writeCanonicalHeader(raw, nameEnd: field.nameEnd, colonIndex: field.colonIndex,
                                                          removing: 0..<0, algorithm, to: base + used)
                }
            }
            used += signatureField.raw.withUnsafeBufferPointer { raw in
                Canonicalization.writeCanonicalHeader(raw, nameEnd: signatureField.nameEnd,
                                                      colonIndex: signatureField.colonIndex, removing: removed,
                                                      algorithm, to: base + used)
            }
            // RFC 6376 §3.7: the signature field itself goes in without its trailing CRLF.
            initialized = used - 2
        }
        return SHA256.hash(data)
    }

    /// RFC 6376 §3.7: the `b=` value is deleted "including all surrounding whitespace", so the range of the value
    /// grows over the folding white space on both sides, up to the `=` before it and the `;` (or the end of the
    /// field value) after it.
    static func widenedOverWhitespace(_ range: Range<Int>, in value: ArraySlice<UInt8>) -> Range<Int> {
        func isFWS(_ byte: UInt8) -> Bool { ASCII.isWSP(byte) || byte == ASCII.cr || byte == ASCII.lf }
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower > value.startIndex, isFWS(value[lower - 1]) { lower -= 1 }
        while upper < value.endIndex, isFWS(value[upper]) { upper += 1 }
        return lower..<upper
    }
}
