/// The resource bounds DKIMCore applies to hostile input, in one place.
///
/// Each bound keeps the work and memory one message can cost linear in its size and small in absolute terms.
/// Exceeding a message-level bound throws ``DKIMError`` with code ``DKIMError/Code/limitExceeded``; exceeding a
/// signature-level bound gives that signature `permerror` with reason ``VerificationReason/limitExceeded`` (or
/// the more specific reason named below) while the other signatures are still verified.
///
/// | bound | default | outcome when exceeded |
/// |---|---|---|
/// | ``maximumHeaderSectionOctets`` | 1 MiB | `limit-exceeded` error for the message |
/// | ``maximumHeaderFields`` | 10,000 | `limit-exceeded` error for the message |
/// | ``maximumSignatures`` | 10 | later signatures `neutral`, reason `not-checked` |
/// | ``maximumSignatureFieldOctets`` | 64 KiB | that signature `permerror`, `limit-exceeded` |
/// | ``maximumSignedHeaderNames`` | 256 names in `h=` | that signature `permerror`, `limit-exceeded` |
/// | ``maximumTXTRecordOctets`` | 8 KiB per TXT record | that signature `permerror`, `limit-exceeded` |
/// | ``maximumTXTRecords`` | 16 TXT records at a name | that signature `permerror`, `limit-exceeded` |
/// | RSA key size (``DKIMKeySize/maximumRSABits``) | 8192 bits | `permerror`, `key-too-large` |
/// | `t=` / `x=` | 12 digits (RFC 6376 §3.5) | `permerror`, `malformed-signature` |
/// | `l=` | at most the canonical body length | `permerror`, `body-length-exceeds-body` |
///
/// The body has no bound of its own: it is canonicalized and hashed in one linear pass per distinct
/// (body canonicalization, `l=`) pair, so at most `2 × maximumSignatures` passes.
public struct DKIMLimits: Sendable, Hashable {
    /// The largest header section, in octets, including the empty line that ends it.
    public var maximumHeaderSectionOctets: Int
    /// The most header fields a message may have.
    public var maximumHeaderFields: Int
    /// At most this many DKIM-Signature fields are evaluated, top-down; the rest are reported as not checked.
    public var maximumSignatures: Int
    /// The largest DKIM-Signature field, in octets, name and folding included.
    public var maximumSignatureFieldOctets: Int
    /// The most names a signature's `h=` may list (repeats for oversigning included).
    public var maximumSignedHeaderNames: Int
    /// The largest TXT record, in octets, with its strings joined (RFC 6376 §3.6.2.2).
    public var maximumTXTRecordOctets: Int
    /// The most TXT records the key name may have.
    public var maximumTXTRecords: Int

    /// The defaults listed in the type's table.
    public static let standard = DKIMLimits(
        maximumHeaderSectionOctets: 1 << 20, maximumHeaderFields: 10_000, maximumSignatures: 10,
        maximumSignatureFieldOctets: 64 << 10, maximumSignedHeaderNames: 256, maximumTXTRecordOctets: 8 << 10,
        maximumTXTRecords: 16)

    /// Creates a set of limits; each value must be at least 1 to accept anything.
    /// - Parameters: one per property; see each property.
    public init(maximumHeaderSectionOctets: Int, maximumHeaderFields: Int, maximumSignatures: Int,
                maximumSignatureFieldOctets: Int, maximumSignedHeaderNames: Int, maximumTXTRecordOctets: Int,
                maximumTXTRecords: Int) {
        self.maximumHeaderSectionOctets = maximumHeaderSectionOctets
        self.maximumHeaderFields = maximumHeaderFields
        self.maximumSignatures = maximumSignatures
        self.maximumSignatureFieldOctets = maximumSignatureFieldOctets
        self.maximumSignedHeaderNames = maximumSignedHeaderNames
        self.maximumTXTRecordOctets = maximumTXTRecordOctets
        self.maximumTXTRecords = maximumTXTRecords
    }
}

extension DKIMLimits {
    /// What makes a TXT answer at a key name exceed the bounds: too many records, or a record too large.
    package enum TXTAnswerExcess: Equatable {
        /// More than ``DKIMLimits/maximumTXTRecords`` records; the count.
        case records(Int)
        /// A record over ``DKIMLimits/maximumTXTRecordOctets``, strings joined; its size.
        case octets(Int)
    }

    /// The first bound `records` exceeds, or nil: the check the verifier applies before reading any record, and
    /// that `testkey` and `check-domain` report, so the two never disagree.
    package func excess(of records: [DNSTXTRecord]) -> TXTAnswerExcess? {
        if records.count > maximumTXTRecords { return .records(records.count) }
        for record in records {
            let size = record.strings.reduce(0) { $0 + $1.count }
            if size > maximumTXTRecordOctets { return .octets(size) }
        }
        return nil
    }
}

