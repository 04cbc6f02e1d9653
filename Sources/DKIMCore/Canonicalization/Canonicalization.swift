/// A canonicalization algorithm for the header or the body (RFC 6376 §3.4).
public enum CanonicalizationAlgorithm: String, Sendable, Hashable, CaseIterable {
    /// `simple`: tolerates almost no change (RFC 6376 §3.4.1, §3.4.3).
    case simple
    /// `relaxed`: tolerates white-space changes and header re-folding (RFC 6376 §3.4.2, §3.4.4).
    case relaxed
}

/// The `c=` tag of a signature: one algorithm for the header, one for the body (RFC 6376 §3.5).
public struct Canonicalization: Sendable, Hashable, CustomStringConvertible {
    /// The header canonicalization algorithm.
    public var header: CanonicalizationAlgorithm
    /// The body canonicalization algorithm.
    public var body: CanonicalizationAlgorithm

    /// Creates a canonicalization; the defaults are those of a signature without `c=` (`simple/simple`, §3.5).
    /// - Parameters:
    ///   - header: the header algorithm.
    ///   - body: the body algorithm.
    public init(header: CanonicalizationAlgorithm = .simple, body: CanonicalizationAlgorithm = .simple) {
        self.header = header
        self.body = body
    }

    /// Parses a `c=` tag value such as `relaxed/simple` (RFC 6376 §3.5).
    ///
    /// `header` alone means `header/simple`. Names are matched ignoring ASCII case (ABNF strings are
    /// case-insensitive, RFC 5234 §2.3), with no white space.
    /// A signature without `c=` uses ``init(header:body:)`` with its defaults instead.
    /// - Parameter tagValue: the value of `c=`.
    /// - Returns: nil when either name is not `simple` or `relaxed`, or the value has more than one `/`.
    public init?(tagValue: String) {
        let parts = tagValue.utf8.split(separator: ASCII.slash, maxSplits: 2, omittingEmptySubsequences: false)
        func algorithm(_ name: Substring.UTF8View.SubSequence) -> CanonicalizationAlgorithm? {
            CanonicalizationAlgorithm(rawValue: String(decoding: name.map(ASCII.lowercased), as: UTF8.self))
        }
        guard parts.count == 1 || parts.count == 2, let header = algorithm(parts[0]) else {
            return nil
        }
        var body = CanonicalizationAlgorithm.simple
        if parts.count == 2 {
            guard let named = algorithm(parts[1]) else {
                return nil
            }
            body = named
        }
        self.init(header: header, body: body)
    }

    /// `simple/simple`, the value implied by a missing `c=` (RFC 6376 §3.5).
    public static let simple = Canonicalization(header: .simple, body: .simple)
    /// `relaxed/relaxed`, the usual choice for signing: it survives common re-folding and white-space changes.
    public static let relaxed = Canonicalization(header: .relaxed, body: .relaxed)

    /// The `c=` value, always in the full `header/body` form.
    public var tagValue: String { "\(header.rawValue)/\(body.rawValue)" }

    /// The `c=` value.
    public var description: String { tagValue }
}

// MARK: - Header fields

extension Canonicalization {
    /// Canonicalizes one header field, the result ending in CRLF (RFC 6376 §3.4.1, §3.4.2).
    ///
    /// `simple` returns the field's bytes unchanged. `relaxed` lowercases the name, unfolds, turns each WSP run
    /// into one SP, and deletes WSP at the end of the value and around the colon.
    /// In both, a field lacking its CRLF (only possible as the last line of a message that does not end in CRLF)
    /// gets one, so that fields can be concatenated for the signed data.
    /// - Parameters:
    ///   - field: the header field as parsed from the message.
    ///   - algorithm: the header canonicalization.
    /// - Returns: the canonical bytes, ending in CRLF.
    public static func canonicalizeHeader(_ field: HeaderField, _ algorithm: CanonicalizationAlgorithm) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(field.raw.count + 2)
        appendCanonicalHeader(field, algorithm, to: &output)
        return output
    }

    /// Canonicalizes the `DKIM-Signature` field for the signed data: as ``canonicalizeHeader(_:_:)`` but without
    /// the trailing CRLF (RFC 6376 §3.7).
    ///
    /// The caller first removes the `b=` value (keeping `b=` itself), as §3.7 requires.
    /// - Parameters:
    ///   - field: the `DKIM-Signature` field with its `b=` value empty.
    ///   - algorithm: the header canonicalization.
    /// - Returns: the canonical bytes, without a trailing CRLF.
    public static func canonicalizeSignatureHeader(_ field: HeaderField,
                                                   _ algorithm: CanonicalizationAlgorithm) -> [UInt8] {
        var output = canonicalizeHeader(field, algorithm)
        output.removeLast(2)
        return output
    }

    /// Appends the canonical form of `field` (ending in CRLF) to `output`; see ``canonicalizeHeader(_:_:)``.
    /// - Parameters:
    ///   - field: the header field.
    ///   - algorithm: the header canonicalization.
    ///   - output: the buffer to append to.
    public static func appendCanonicalHeader(_ field: HeaderField, _ algorithm: CanonicalizationAlgorithm,
                                             to output: inout [UInt8]) {
        let raw = field.raw
        let endsWithCRLF = raw.count >= 2 && raw[raw.count - 2] == ASCII.cr && raw[raw.count - 1] == ASCII.lf
        switch algorithm {
        case .simple:
            // §3.4.1: the field exactly as in the message.
            output.append(contentsOf: raw)
            if !endsWithCRLF { output.append(contentsOf: ASCII.crlf) }
        case .relaxed:
            // Written through a buffer pointer into room made up front (the canonical field is never longer than
            // name, colon, raw bytes and CRLF), then cut to length: appending byte by byte was most of the cost.
            let start = output.count
            let room = field.nameEnd + 1 + raw.count + 2
            output.append(contentsOf: repeatElement(0, count: room))
            let written = output.withUnsafeMutableBufferPointer { out in
                raw.withUnsafeBufferPointer { input in
                    var cursor = start
                    // §3.4.2 step 1: lowercase the name; step 5: no WSP before the colon (the parsed name has none).
                    for index in 0..<field.nameEnd {
                        out[cursor] = ASCII.lowercased(input[index])
                        cursor += 1
                    }
                    out[cursor] = ASCII.colon
                    cursor += 1
                    let valueEnd = endsWithCRLF ? input.count - 2 : input.count
                    var pendingSpace = false
                    var wroteValue = false
                    var index = field.colonIndex + 1
                    while index < valueEnd {
                        let byte = input[index]
                        if ASCII.isWSP(byte) {
                            // Step 3: a WSP run, folds included, becomes one SP, written only if more value
                            // follows (step 4 drops trailing WSP; step 5 drops WSP right after the colon).
                            pendingSpace = true
                        } else if byte == ASCII.cr, index + 1 < valueEnd, input[index + 1] == ASCII.lf {
                            // Step 2: unfold by deleting the CRLF of each fold; the WSP after it joins the run.
                            index += 1
                        } else {
                            if pendingSpace && wroteValue {
                                out[cursor] = ASCII.space
                                cursor += 1
                            }
                            pendingSpace = false
                            wroteValue = true
                            out[cursor] = byte
                            cursor += 1
                        }
                        index += 1
                    }
                    out[cursor] = ASCII.cr
                    out[cursor + 1] = ASCII.lf
                    return cursor + 2
                }
            }
            output.removeLast(start + room - written)
        }
    }
}
