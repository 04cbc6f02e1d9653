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
        // Only value bytes and the folding white space around them go: the name and the colon stay where they
        // were, and no line break is left without the white space that continues it.
        let removed = blanking.map { widenedOverWhitespace($0, in: signatureField.value) } ?? 0..<0
        var result: [UInt8] = []
        headers.withUnsafeBufferPointer { fields in
            digest(nameCount: signedNames.count,
                   select: { found in
                       HeaderSelection.select(signedNames, count: fields.count, excluding: excluded,
                                              nameKey: { fields[$0].nameKey },
                                              hasName: { fields[$0].hasName(caseInsensitive: $1) },
                                              lowercasedName: { fields[$0].lowercasedName }, found: found)
                   },
                   bound: { Canonicalization.canonicalHeaderBound(fields[$0]) },
                   write: { index, out in
                       let field = fields[index]
                       return field.raw.withUnsafeBufferPointer { raw in
                           Canonicalization.writeCanonicalHeader(raw, nameEnd: field.nameEnd,
                                                                 colonIndex: field.colonIndex, removing: 0..<0,
                                                                 algorithm, to: out)
                       }
                   },
                   signatureBound: Canonicalization.canonicalHeaderBound(signatureField),
                   writeSignature: { out in
                       signatureField.raw.withUnsafeBufferPointer { raw in
                           Canonicalization.writeCanonicalHeader(raw, nameEnd: signatureField.nameEnd,
                                                                 colonIndex: signatureField.colonIndex,
                                                                 removing: removed, algorithm, to: out)
                       }
                   },
                   finish: { result = $0.finalizeInPlace() })
        }
        return result
    }

    /// The verifier's digest: as ``digest(signedNames:headers:excluding:signatureField:blanking:algorithm:)``, the
    /// fields read in place in the table's bytes, over an `h=` list laid out when it was parsed (no name String is
    /// read), held inline rather than in an array.
    static func digest(signedNames: SignedHeaderNames, table: HeaderTable, excluding excluded: Int?,
                       signatureField: HeaderField, blanking: Range<Int>?,
                       algorithm: CanonicalizationAlgorithm) -> SHA256Digest {
        var result = SHA256Digest()
        let removed = blanking.map { widenedOverWhitespace($0, in: signatureField.value) } ?? 0..<0
        table.withFields { fields in
            signatureField.raw.withUnsafeBufferPointer { signatureRaw in
                digest(nameCount: signedNames.count,
                       select: { found in
                           HeaderSelection.select(signedNames, count: fields.count, excluding: excluded,
                                                  nameKey: { fields.nameKey($0) }, hasName: { fields.hasName($0, $1) },
                                                  lowercasedName: { fields.lowercasedName($0) }, found: found)
                       },
                       bound: { index in
                           let span = fields.spans[index]
                           return Canonicalization.canonicalHeaderBound(nameLength: span.nameEnd - span.start,
                                                                        rawCount: span.end - span.start)
                       },
                       write: { index, out in
                           let span = fields.spans[index]
                           return Canonicalization.writeCanonicalHeader(fields.raw(index),
                                                                        nameEnd: span.nameEnd - span.start,
                                                                        colonIndex: span.colon - span.start,
                                                                        removing: 0..<0, algorithm, to: out)
                       },
                       signatureBound: Canonicalization.canonicalHeaderBound(signatureField),
                       writeSignature: { out in
                           Canonicalization.writeCanonicalHeader(signatureRaw, nameEnd: signatureField.nameEnd,
                                                                 colonIndex: signatureField.colonIndex,
                                                                 removing: removed, algorithm, to: out)
                       },
                       finish: { result = $0.finalizeInPlaceInline() })
            }
        }
        return result
    }

    /// The selection, canonicalization and hash shared by both digests, over fields read through closures.
    /// - Parameters:
    ///   - nameCount: how many names `h=` lists (at most that many fields are chosen).
    ///   - select: runs the selection, giving each name's choice in `h=` order to its argument.
    ///   - bound: at least the canonical length of field `i` (``Canonicalization/canonicalHeaderBound(_:)``).
    ///   - write: writes the canonical form of field `i`, ending in CRLF, and returns its length.
    ///   - writeSignature: the same for the signature field with its `b=` value removed.
    ///   - finish: reads the digest out of the hasher.
    @inline(__always)
    private static func digest(nameCount: Int, select: ((Int?) -> Void) -> Void, bound: (Int) -> Int,
                               write: (Int, UnsafeMutablePointer<UInt8>) -> Int, signatureBound: Int,
                               writeSignature: (UnsafeMutablePointer<UInt8>) -> Int, finish: (inout SHA256) -> Void) {
        // The chosen indices and the signed data live in temporary buffers: no array is made for either.
        withUnsafeTemporaryAllocation(of: Int.self, capacity: nameCount) { selected in
            var chosen = 0
            select { index in
                // A name with no instance left contributes nothing (RFC 6376 §5.4.2).
                if let index {
                    selected[chosen] = index
                    chosen += 1
                }
            }
            // One buffer, sized once and written in place: canonical fields are never longer than their bound.
            var capacity = signatureBound
            for position in 0..<chosen { capacity += bound(selected[position]) }
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
                let base = buffer.baseAddress.unsafelyUnwrapped
                var used = 0
                for position in 0..<chosen {
                    used += write(selected[position], base + used)
                }
                used += writeSignature(base + used)
                // RFC 6376 §3.7: the signature field itself goes in without its trailing CRLF.
                var hasher = SHA256()
                hasher.update(UnsafeRawBufferPointer(start: base, count: used - 2))
                finish(&hasher)
            }
        }
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

