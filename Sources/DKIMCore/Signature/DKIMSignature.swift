#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A DKIM-Signature header field (RFC 6376 §3.5): parsed, validated and ready to serialise.
///
/// Parsing enforces the syntax of RFC 6376 §3.5 and the checks of §6.1.1 that need neither DNS nor a clock:
/// required tags, `v=1`, domain and selector syntax, `h=` covering From, `i=` inside `d=`, `x=` after `t=`,
/// `q=` offering `dns/txt`, and base64 in `b=` / `bh=`. Unknown tags are kept in ``tags`` and otherwise
/// ignored (§3.2). The time checks live in ``validate(now:clockSkew:)``, because the clock is injected.
///
/// Domains (`d=`, the domain of `i=`) and the selector are kept as written; compare them without regard
/// to ASCII case. Equality (`==`) compares the model properties only, not ``tags`` or
/// ``signatureValueRange``, which describe the bytes a value was parsed from.
public struct DKIMSignature: Sendable, Equatable {
    /// The field name, `DKIM-Signature` (RFC 6376 §3.5).
    public static let fieldName = "DKIM-Signature"

    /// The `t=` clock-skew allowance ``validate(now:clockSkew:)`` uses by default: 300 seconds, so a signer
    /// whose clock runs up to five minutes fast is not rejected.
    public static let defaultClockSkew: Int64 = 300

    /// `v=`, the version; always 1 (RFC 6376 §3.5).
    public var version: Int
    /// `a=`, the signing algorithm (RFC 6376 §3.5, RFC 8463).
    public var algorithm: SignatureAlgorithm
    /// `b=`, the signature, base64-decoded; empty only in the form a signer hashes (RFC 6376 §3.7).
    public var signature: [UInt8]
    /// `bh=`, the hash of the canonicalized body, base64-decoded (RFC 6376 §3.7).
    public var bodyHash: [UInt8]
    /// `c=`, the header and body canonicalizations; `simple/simple` when the tag is absent (RFC 6376 §3.5).
    public var canonicalization: Canonicalization
    /// `d=`, the signing domain identifier (SDID), as written; compare without regard to ASCII case.
    public var domain: String
    /// `h=`, the names of the signed header fields as written, in order, repeats kept (RFC 6376 §3.5).
    public var signedHeaders: [String]
    /// `i=`, the agent or user identifier (AUID), decoded from DKIM-Quoted-Printable; nil when absent.
    public var identity: String?
    /// `l=`, the number of canonicalized body octets signed; nil when the whole body is signed.
    ///
    /// - Warning: a signature with `l=` leaves content after that length unsigned (RFC 6376 §8.2).
    public var bodyLength: Int?
    /// `q=`, the key query methods as written; `["dns/txt"]` when the tag is absent (RFC 6376 §3.5).
    public var queryMethods: [String]
    /// `s=`, the selector, as written.
    public var selector: String
    /// `t=`, the signature timestamp in seconds since the Unix epoch; nil when absent.
    public var timestamp: Int64?
    /// `x=`, the signature expiration in seconds since the Unix epoch; nil when absent.
    public var expiration: Int64?
    /// `z=`, the copied header fields (`name:value`, decoded); nil when absent. Diagnostic only.
    public var copiedHeaders: [[UInt8]]?
    /// Every tag as parsed, unknown tags included, with value ranges in the parsed input.
    ///
    /// For a value made with the memberwise initializer, the tags of the field ``headerField(foldingAt:)``
    /// produced at that moment. Not updated when a property changes.
    public var tags: TagList
    /// The range of the `b=` value in the parsed input, for blanking `b=` by offset (RFC 6376 §3.7).
    ///
    /// For a value made with the memberwise initializer, the range in the bytes ``headerField(foldingAt:)``
    /// returned at that moment (width 78). Not updated when a property changes.
    public var signatureValueRange: Range<Int>
    /// `h=` as parsed, with its names laid out for the verifier's header selection; nil for a value not made by
    /// parsing. Like ``tags``, not updated when ``signedHeaders`` changes: the verifier reads it from the value it
    /// parsed.
    var signedHeaderNames: SignedHeaderNames?

    /// How many names in `h=` are From (ignoring ASCII case), as parsed; nil for a value not made by parsing.
    var signedFromCount: Int? { signedHeaderNames?.fromCount }

    /// The identity a verifier reports: `i=` when present, else `@` followed by `d=` (RFC 6376 §3.5).
    public var effectiveIdentity: String { identity ?? "@" + domain }

    // MARK: Parsing

    /// Parses the value of a DKIM-Signature header field.
    ///
    /// - Parameter fieldValue: the bytes after the colon, folding included, without the final CRLF. Pass a
    ///   slice of the raw field so that ``signatureValueRange`` and ``tags`` ranges index the raw field.
    /// - Throws: ``DKIMError`` with code `malformed-signature` and a sentence naming the tag and the fault.
    public init(parsing fieldValue: ArraySlice<UInt8>) throws(DKIMError) {
        try self.init(parsing: fieldValue, allowingEmptySignature: false)
    }

    /// Parses the value of a DKIM-Signature header field held in an array (see the `ArraySlice` variant).
    ///
    /// - Parameter fieldValue: the bytes after the colon, without the final CRLF.
    /// - Throws: ``DKIMError`` with code `malformed-signature`.
    public init(parsing fieldValue: [UInt8]) throws(DKIMError) {
        try self.init(parsing: fieldValue[...], allowingEmptySignature: false)
    }

    /// - Parameter signedHeaderLists: `h=` lists parsed before, looked up by their bytes; nil parses `h=`.
    init(parsing fieldValue: ArraySlice<UInt8>, allowingEmptySignature: Bool,
         signedHeaderLists: SignedHeaderListCache? = nil) throws(DKIMError) {
        self = try Self.parse(fieldValue, allowingEmptySignature: allowingEmptySignature,
                              signedHeaderLists: signedHeaderLists)
    }

    /// The parse of ``init(parsing:)-(ArraySlice<UInt8>)``, as a function returning the value; the initializers
    /// and the verifier call it.
    static func parse(_ fieldValue: ArraySlice<UInt8>, allowingEmptySignature: Bool,
                      signedHeaderLists: SignedHeaderListCache? = nil) throws(DKIMError) -> DKIMSignature {
        let tags: TagList
        do {
            tags = try TagList(parsing: fieldValue)
        } catch {
            throw Self.malformed("the tag list is malformed: \(error.reason)")
        }
        // Every property is worked out into a local, and the value is made once at the end. The tags are read
        // through a span, whose elements are borrowed in place, and each check is given the value bytes: a tag
        // copied out of the array for a check retained the field's storage and the name, and released them after.
        let list = tags.tags.span
        // One pass over the tags, comparing packed names (TagList.nameKey), instead of a lookup per tag: tags
        // are unique (TagList rejects duplicates), so each slot is the tag's only occurrence.
        var vAt = -1, aAt = -1, bAt = -1, bhAt = -1, cAt = -1, dAt = -1, hAt = -1
        var iAt = -1, lAt = -1, qAt = -1, sAt = -1, tAt = -1, xAt = -1, zAt = -1
        for index in list.indices {
            switch list[index].nameKey {
            case TagList.Key.v: vAt = index
            case TagList.Key.a: aAt = index
            case TagList.Key.b: bAt = index
            case TagList.Key.bh: bhAt = index
            case TagList.Key.c: cAt = index
            case TagList.Key.d: dAt = index
            case TagList.Key.h: hAt = index
            case TagList.Key.i: iAt = index
            case TagList.Key.l: lAt = index
            case TagList.Key.q: qAt = index
            case TagList.Key.s: sAt = index
            case TagList.Key.t: tAt = index
            case TagList.Key.x: xAt = index
            case TagList.Key.z: zAt = index
            default: break
            }
        }
        // RFC 6376 §6.1.1: a signature lacking a required tag MUST be ignored (PERMFAIL).
        // Checked in this order, so the first missing one is named.
        @inline(__always)
        func required(_ index: Int, _ name: String) throws(DKIMError) -> Int {
            guard index >= 0 else {
                throw Self.malformed("the required tag \(name)= is missing (RFC 6376 §3.5)")
            }
            return index
        }
        let v = try required(vAt, "v"), a = try required(aAt, "a"), b = try required(bAt, "b")
        let bh = try required(bhAt, "bh"), d = try required(dAt, "d"), h = try required(hAt, "h")
        let s = try required(sAt, "s")

        // v= MUST be "1" (RFC 6376 §3.5; §6.1.1: any other version is incompatible).
        guard Self.spells(list[v].value, "1") else {
            throw Self.malformed("v=\(list[v].stringValue) is not the supported version 1 (RFC 6376 §3.5)")
        }

        let algorithm = try Self.algorithm(list[a].value)

        let signature = try Self.base64(list[b].value, name: "b", allowingEmpty: allowingEmptySignature)
        let bodyHash = try Self.base64(list[bh].value, name: "bh", allowingEmpty: false)
        let signatureValueRange = list[b].valueRange

        let canonicalization = cAt >= 0 ? try Self.canonicalization(list[cAt].value) : .simple

        // d= domain-name = sub-domain 1*("." sub-domain) (RFC 6376 §3.5), U-labels allowed (RFC 8616 §4).
        let domain = try Self.domainName(list[d].value, tag: "d", minimumLabels: 2)
        // s= selector = sub-domain *("." sub-domain) (RFC 6376 §3.1).
        let selector = try Self.domainName(list[s].value, tag: "s", minimumLabels: 1)

        // h= hdr-name *( [FWS] ":" [FWS] hdr-name ) (RFC 6376 §3.5). Parsed only when the cache does not hold
        // the list; through the array, as a span cannot be captured.
        func parseSignedHeaders() throws(DKIMError) -> SignedHeaderListCache.Entry {
            let (items, found) = try Self.colonList(tags.tags[h].value, name: "h", validatingFieldNames: true,
                                                    lookingFor: "from")
            return SignedHeaderNames(names: items, fromCount: found)
        }
        let signedHeaderList: SignedHeaderListCache.Entry
        if let signedHeaderLists {
            signedHeaderList = try signedHeaderLists.list(list[h].value, parse: parseSignedHeaders)
        } else {
            signedHeaderList = try parseSignedHeaders()
        }
        let signedHeaders = signedHeaderList.names
        // RFC 6376 §5.4: the From header field MUST be signed; §6.1.1 lets verifiers reject signatures
        // without it.
        guard signedHeaderList.fromCount > 0 else {
            throw DKIMError(.fromNotSigned, "h= does not include the From header field (RFC 6376 §5.4, §6.1.1)")
        }

        let identity = iAt >= 0 ? try Self.identity(list[iAt].value, domain: domain) : nil

        // l= 1*76DIGIT (RFC 6376 §3.5); values beyond Int are refused rather than truncated.
        let bodyLength = lAt >= 0
            ? try Self.number(list[lAt].value, name: "l", maximumDigits: 76, as: Int.self) : nil

        let queryMethods = qAt >= 0 ? try Self.queryMethods(list[qAt].value) : Self.defaultQueryMethods

        // t= and x= are 1*12DIGIT (RFC 6376 §3.5).
        let timestamp = tAt >= 0
            ? try Self.number(list[tAt].value, name: "t", maximumDigits: 12, as: Int64.self) : nil
        let expiration = xAt >= 0
            ? try Self.number(list[xAt].value, name: "x", maximumDigits: 12, as: Int64.self) : nil
        if let timestamp, let expiration, expiration <= timestamp {
            // RFC 6376 §3.5: "the value of the "x=" tag MUST be greater than the value of the "t=" tag".
            throw Self.malformed("x=\(expiration) is not after t=\(timestamp) (RFC 6376 §3.5)")
        }

        let copiedHeaders = zAt >= 0 ? try Self.copiedHeaderFields(list[zAt].value) : nil

        return DKIMSignature(
            version: 1, algorithm: algorithm, signature: signature, bodyHash: bodyHash,
            canonicalization: canonicalization, domain: domain, signedHeaders: signedHeaders, identity: identity,
            bodyLength: bodyLength, queryMethods: queryMethods, selector: selector, timestamp: timestamp,
            expiration: expiration, copiedHeaders: copiedHeaders, tags: tags, signatureValueRange: signatureValueRange,
            signedHeaderNames: signedHeaderList)
    }

    // MARK: Memberwise initializer

    /// Creates a signature from its parts, for a signer, and checks them with the same rules as parsing.
    ///
    /// The value is rendered with ``headerField(foldingAt:)`` and parsed back; it must come back unchanged.
    /// Leave `signature` empty to obtain the form whose canonicalization is signed, then set it.
    ///
    /// - Parameters: one per property; see each property for the tag it stands for.
    /// - Throws: ``DKIMError`` with code `invalid-option` when a part breaks an RFC 6376 §3.5 rule (e.g. `i=`
    ///   outside `d=`, `h=` without From, `x=` not after `t=`) or cannot be written as a tag value.
    public init(
        version: Int = 1,
        algorithm: SignatureAlgorithm,
        signature: [UInt8] = [],
        bodyHash: [UInt8],
        canonicalization: Canonicalization,
        domain: String,
        signedHeaders: [String],
        identity: String? = nil,
        bodyLength: Int? = nil,
        queryMethods: [String] = ["dns/txt"],
        selector: String,
        timestamp: Int64? = nil,
        expiration: Int64? = nil,
        copiedHeaders: [[UInt8]]? = nil
    ) throws(DKIMError) {
        let placeholder: TagList
        do { placeholder = try TagList(parsing: [UInt8]()) } catch { throw Self.invalid(error.reason) }
        let draft = DKIMSignature(
            version: version, algorithm: algorithm, signature: signature, bodyHash: bodyHash,
            canonicalization: canonicalization, domain: domain, signedHeaders: signedHeaders, identity: identity,
            bodyLength: bodyLength, queryMethods: queryMethods, selector: selector, timestamp: timestamp,
            expiration: expiration, copiedHeaders: copiedHeaders, tags: placeholder, signatureValueRange: 0..<0)
        let field = draft.headerField()
        let parsed: DKIMSignature
        do {
            // The value lies between "DKIM-Signature:" and the final CRLF.
            let value = field[Self.fieldPrefix.count..<(field.count - ASCII.crlf.count)]
            parsed = try DKIMSignature(parsing: value, allowingEmptySignature: true)
        } catch {
            throw Self.invalid(error.reason)
        }
        guard parsed == draft else {
            throw Self.invalid("a value cannot be written as a DKIM-Signature tag without changing its meaning")
        }
        self = parsed
    }

    /// Creates a signature from parts a signer has already checked, without rendering it and parsing it back.
    ///
    /// ``DKIMSigner`` runs the validating initialiser once, when it is created, over its options (domain,
    /// selector, identity, `h=`, canonicalization, algorithm); the parts that change from message to message
    /// (`bh=`, `l=`, `t=`, `x=`, the default `h=`) are well formed by construction, and ``SigningStream`` checks
    /// `t=` and `x=` against the RFC 6376 §3.5 rules itself. ``tags`` is empty and ``signatureValueRange`` is
    /// `0..<0`: the value is only rendered, never blanked.
    init(
        checkedForSigning algorithm: SignatureAlgorithm, bodyHash: [UInt8], canonicalization: Canonicalization,
        domain: String, signedHeaders: [String], identity: String?, bodyLength: Int?, selector: String,
        timestamp: Int64?, expiration: Int64?
    ) {
        self.init(
            version: 1, algorithm: algorithm, signature: [], bodyHash: bodyHash, canonicalization: canonicalization,
            domain: domain, signedHeaders: signedHeaders, identity: identity, bodyLength: bodyLength,
            queryMethods: Self.defaultQueryMethods, selector: selector, timestamp: timestamp, expiration: expiration,
            copiedHeaders: nil, tags: TagList(), signatureValueRange: 0..<0)
    }

    private init(
        version: Int, algorithm: SignatureAlgorithm, signature: [UInt8], bodyHash: [UInt8],
        canonicalization: Canonicalization, domain: String, signedHeaders: [String], identity: String?,
        bodyLength: Int?, queryMethods: [String], selector: String, timestamp: Int64?, expiration: Int64?,
        copiedHeaders: [[UInt8]]?, tags: TagList, signatureValueRange: Range<Int>,
        signedHeaderNames: SignedHeaderNames? = nil
    ) {
        self.version = version
        self.algorithm = algorithm
        self.signature = signature
        self.bodyHash = bodyHash
        self.canonicalization = canonicalization
        self.domain = domain
        self.signedHeaders = signedHeaders
        self.identity = identity
        self.bodyLength = bodyLength
        self.queryMethods = queryMethods
        self.selector = selector
        self.timestamp = timestamp
        self.expiration = expiration
        self.copiedHeaders = copiedHeaders
        self.tags = tags
        self.signatureValueRange = signatureValueRange
        self.signedHeaderNames = signedHeaderNames
    }

    // MARK: Time checks

    /// Checks `x=` and `t=` against the verification time (RFC 6376 §3.5, §6.1.1).
    ///
    /// A signature is expired when `x=` is before `now` (no allowance: `x=` is the signer's own limit).
    /// A timestamp is in the future when `t=` is after `now + clockSkew`.
    ///
    /// - Parameters:
    ///   - now: the verification time, in seconds since the Unix epoch (injected, never read here).
    ///   - clockSkew: how far `t=` may lie ahead of `now`; negative values count as 0.
    /// - Returns: the problem, or nil when the signature is acceptable at `now`.
    public func validate(now: Int64, clockSkew: Int64 = DKIMSignature.defaultClockSkew) -> SignatureTimeProblem? {
        if let expiration, expiration < now {
            return .expired(expiration: expiration, now: now)
        }
        if let timestamp {
            let (limit, overflow) = now.addingReportingOverflow(max(0, clockSkew))
            if !overflow && timestamp > limit {
                return .timestampInFuture(timestamp: timestamp, now: now)
            }
        }
        return nil
    }

    // MARK: Equality

    /// Compares the model properties; ``tags`` and ``signatureValueRange`` are ignored.
    public static func == (lhs: DKIMSignature, rhs: DKIMSignature) -> Bool {
        lhs.version == rhs.version && lhs.algorithm == rhs.algorithm && lhs.signature == rhs.signature
            && lhs.bodyHash == rhs.bodyHash && lhs.canonicalization == rhs.canonicalization
            && lhs.domain == rhs.domain && lhs.signedHeaders == rhs.signedHeaders && lhs.identity == rhs.identity
            && lhs.bodyLength == rhs.bodyLength && lhs.queryMethods == rhs.queryMethods
            && lhs.selector == rhs.selector && lhs.timestamp == rhs.timestamp && lhs.expiration == rhs.expiration
            && lhs.copiedHeaders == rhs.copiedHeaders
    }
}

// MARK: - Value parsers

extension DKIMSignature {
    static let fieldPrefix: [UInt8] = Array((fieldName + ":").utf8)

    static func malformed(_ reason: String) -> DKIMError { DKIMError(.malformedSignature, reason) }
    static func invalid(_ reason: String) -> DKIMError { DKIMError(.invalidOption, reason) }

    /// A tag value as written, for a message (invalid UTF-8 is replaced), as ``TagList/Tag/stringValue``.
    private static func shown(_ value: ArraySlice<UInt8>) -> String { String(decoding: value, as: UTF8.self) }

    /// `q=` when the tag is absent (RFC 6376 §3.5): one array for every parse, not a new one each time.
    static let defaultQueryMethods = ["dns/txt"]

    /// Whether `value` is exactly `literal`'s bytes (case included): one comparison of the bytes.
    private static func spells(_ value: ArraySlice<UInt8>, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard value.count == count else { return false }
        return value.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress else { return count == 0 }
            return memcmp(base, literal.utf8Start, count) == 0
        }
    }

    /// a= the signing algorithm (RFC 6376 §3.5, RFC 8463 §3).
    ///
    /// Inlined into the parse, as are ``canonicalization(_:)`` and ``base64(_:name:allowingEmpty:)``: a call with a
    /// tag value borrowed from the tag list retained and released the field's storage around it.
    @inline(__always)
    private static func algorithm(_ value: ArraySlice<UInt8>) throws(DKIMError) -> SignatureAlgorithm {
        // The names as signers write them, compared whole first: printable ASCII, so the checks below pass them,
        // and SignatureAlgorithm(tagBytes:) gives the same case.
        if spells(value, "rsa-sha256") { return .rsaSHA256 }
        if spells(value, "ed25519-sha256") { return .ed25519SHA256 }
        try requireASCII(value, name: "a")
        guard !value.isEmpty else { throw malformed("a= is empty (RFC 6376 §3.5)") }
        return SignatureAlgorithm(tagBytes: value)
    }

    /// c= header/body canonicalizations (RFC 6376 §3.5).
    @inline(__always)
    private static func canonicalization(_ value: ArraySlice<UInt8>) throws(DKIMError) -> Canonicalization {
        // The four full forms as signers write them, compared whole first: printable ASCII, so the checks below
        // pass them, and Canonicalization(tagBytes:) gives the same pair.
        if spells(value, "relaxed/relaxed") { return Canonicalization(header: .relaxed, body: .relaxed) }
        if spells(value, "relaxed/simple") { return Canonicalization(header: .relaxed, body: .simple) }
        if spells(value, "simple/simple") { return Canonicalization(header: .simple, body: .simple) }
        if spells(value, "simple/relaxed") { return Canonicalization(header: .simple, body: .relaxed) }
        try requireASCII(value, name: "c")
        guard let canonicalization = Canonicalization(tagBytes: value) else {
            throw malformed("c=\(shown(value)) is not simple or relaxed, alone or as header/body (RFC 6376 §3.5)")
        }
        return canonicalization
    }

    /// q= the query methods, which must offer dns/txt (RFC 6376 §3.5).
    private static func queryMethods(_ value: ArraySlice<UInt8>) throws(DKIMError) -> [String] {
        // Matched without regard to ASCII case, as before (RFC 5234 §2.3 literals).
        let (methods, offersDNS) = try colonList(value, name: "q", validatingFieldNames: false, lookingFor: "dns/txt")
        // RFC 6376 §3.5: dns/txt is the only defined method; a verifier cannot fetch a key otherwise.
        guard offersDNS > 0 else {
            throw malformed("q=\(shown(value)) does not offer the dns/txt query method (RFC 6376 §3.5)")
        }
        return methods
    }

    /// Refuses a value that is not printable ASCII (no white space, as tag values are trimmed).
    private static func requireASCII(_ value: ArraySlice<UInt8>, name: String) throws(DKIMError) {
        guard value.allSatisfy({ $0 > ASCII.space && $0 < ASCII.delete }) else {
            throw malformed("\(name)=\(shown(value)) must be printable ASCII without white space")
        }
    }

    /// base64string = ALPHADIGITPS *([FWS] ALPHADIGITPS) (RFC 6376 §2.4): at least one character.
    @inline(__always)
    private static func base64(_ value: ArraySlice<UInt8>, name: String,
                               allowingEmpty: Bool) throws(DKIMError) -> [UInt8] {
        if value.isEmpty {
            guard allowingEmpty else { throw malformed("\(name)= is empty (RFC 6376 §3.5)") }
            return []
        }
        let bytes: [UInt8]
        do {
            bytes = try Base64.decode(value)
        } catch {
            throw malformed("\(name)= is not valid base64: \(error)")
        }
        guard !bytes.isEmpty || allowingEmpty else { throw malformed("\(name)= is empty (RFC 6376 §3.5)") }
        return bytes
    }

    /// A domain name or selector: labels of 1...63 octets separated by dots, 253 octets at most.
    ///
    /// An ASCII label is an RFC 5321 sub-domain (letters, digits, inner hyphens). A label holding bytes of
    /// 0x80 and above is taken as a U-label (RFC 8616 §4 allows them in `d=`, `s=` and `i=`): it must be
    /// UTF-8, may hold letters, digits and hyphens beside, and must not start or end with a hyphen.
    /// IDNA validity of U-labels is not checked; resolving the key needs the A-label form.
    static func domainName(_ bytes: [UInt8], tag: String, minimumLabels: Int) throws(DKIMError) -> String {
        try domainName(bytes[...], tag: tag, minimumLabels: minimumLabels)
    }

    /// The slice variant of ``domainName(_:tag:minimumLabels:)``: no copy of the value, labels walked in place,
    /// and the value as written decoded for a message only when one is thrown.
    static func domainName(_ bytes: ArraySlice<UInt8>, tag: String, minimumLabels: Int) throws(DKIMError) -> String {
        func shown() -> String { String(decoding: bytes, as: UTF8.self) }
        guard !bytes.isEmpty else { throw malformed("\(tag)= is empty (RFC 6376 §3.5)") }
        guard bytes.count <= 253 else { throw malformed("\(tag)= is longer than 253 octets (RFC 1035 §2.3.4)") }
        // One pass over the bytes: whether all are ASCII, the number of labels, and the first faulty label (a
        // length outside 1...63 or a byte outside the label alphabet, or a hyphen at an end). The faults are
        // then reported in the order of the rules: UTF-8, the label count, then that label.
        enum LabelFault { case length, alphabet }
        var allASCII = true
        var labelCount = 1
        var fault: LabelFault?
        bytes.withUnsafeBufferPointer { buffer in
            var labelStart = 0
            var labelAllowed = true
            for index in 0...buffer.count {
                guard index < buffer.count, buffer[index] != ASCII.period else {
                    if fault == nil {
                        let length = index &- labelStart
                        if !(1...63).contains(length) {
                            fault = .length
                        } else if !labelAllowed || buffer[labelStart] == ASCII.hyphen
                                    || buffer[index &- 1] == ASCII.hyphen {
                            fault = .alphabet
                        }
                    }
                    if index < buffer.count { labelCount &+= 1 }
                    labelStart = index &+ 1
                    labelAllowed = true
                    continue
                }
                let byte = buffer[index]
                if byte >= 0x80 {
                    allASCII = false
                } else if !(ASCII.isAlnum(byte) || byte == ASCII.hyphen) {
                    labelAllowed = false
                }
            }
        }
        // An ASCII value (the usual case) is valid UTF-8 as it stands; String(validating:) is generic in the
        // standard library and costs a metadata lookup per call, so it is kept for values with higher bytes.
        let text: String
        if allASCII {
            text = String(decoding: bytes, as: UTF8.self)
        } else if let validated = String(validating: bytes, as: UTF8.self) {
            text = validated
        } else {
            throw malformed("\(tag)= is not valid UTF-8 (RFC 8616 §4)")
        }
        guard labelCount >= minimumLabels else {
            throw malformed("\(tag)=\(shown()) needs at least \(minimumLabels) labels (RFC 6376 §3.5 domain-name)")
        }
        switch fault {
        case .length:
            throw malformed("\(tag)=\(shown()) has a label that is empty or longer than 63 octets"
                            + " (RFC 1035 §2.3.4)")
        case .alphabet:
            throw malformed("\(tag)=\(shown()) is not a valid domain name: labels hold letters, digits and"
                            + " inner hyphens (RFC 5321 §4.1.2)")
        case nil:
            break
        }
        return text
    }

    /// A colon-separated list with FWS allowed around each colon (`h=`, `q=`); items must not be empty.
    ///
    /// - Parameter target: a lowercase ASCII name to look for among the items, ignoring ASCII case.
    /// - Returns: the items as written, and how many of them are `target`.
    private static func colonList(
        _ value: ArraySlice<UInt8>, name: String, validatingFieldNames: Bool, lookingFor target: StaticString
    ) throws(DKIMError) -> (items: [String], found: Int) {
        guard !value.isEmpty else { throw malformed("\(name)= is empty (RFC 6376 §3.5)") }
        // Sized once: growing the array one doubling at a time was six allocations for a usual h= list.
        var items: [String] = []
        var found = 0
        // Through a buffer pointer, each item in one forward scan: FWS, a run of field-name characters, FWS, then
        // a colon or the end. Anything else is an invalid item, whose bounds are then found for the message.
        let failure: (item: Range<Int>, empty: Bool)? = value.withUnsafeBufferPointer { bytes in
            let count = bytes.count
            var colons = 1
            for byte in bytes { colons &+= byte == ASCII.colon ? 1 : 0 }
            items.reserveCapacity(colons)
            var index = 0
            while true {
                while index < count, isFWS(bytes[index]) { index &+= 1 }
                let first = index
                // hdr-name = field-name: printable ASCII except ':' (RFC 5322 §3.6.8); q= methods likewise.
                while index < count, ASCII.isFieldNameChar(bytes[index]) { index &+= 1 }
                let last = index
                while index < count, isFWS(bytes[index]) { index &+= 1 }
                if index < count, bytes[index] != ASCII.colon {
                    // Inner FWS or a byte outside field-name: the item runs to the next colon, FWS trimmed.
                    while index < count, bytes[index] != ASCII.colon { index &+= 1 }
                    var end = index
                    while end > first, isFWS(bytes[end &- 1]) { end &-= 1 }
                    return (first..<end, false)
                }
                guard first < last else { return (first..<last, true) }
                let item = UnsafeBufferPointer(rebasing: bytes[first..<last])
                if ASCII.equalsIgnoringCase(item, target) { found &+= 1 }
                items.append(String(decoding: item, as: UTF8.self))
                if index == count { return nil }
                index &+= 1  // the colon
            }
        }
        if let failure {
            guard !failure.empty else {
                throw malformed("\(name)=\(shown(value)) has an empty item between colons (RFC 6376 §3.5)")
            }
            let what = validatingFieldNames ? "header field name" : "query method"
            let base = value.startIndex
            let item = value[(base + failure.item.lowerBound)..<(base + failure.item.upperBound)]
            throw malformed("\(name)= holds an invalid \(what) \"\(String(decoding: item, as: UTF8.self))\""
                            + " (RFC 6376 §3.5)")
        }
        return (items, found)
    }

    @inline(__always)
    private static func isFWS(_ byte: UInt8) -> Bool {
        ASCII.isWSP(byte) || byte == ASCII.cr || byte == ASCII.lf
    }

    /// i= [ Local-part ] "@" domain-name, DKIM-Quoted-Printable (RFC 6376 §3.5); the domain MUST be `d=` or
    /// one of its subdomains. The local part may be empty and is not otherwise checked.
    private static func identity(_ value: ArraySlice<UInt8>, domain: String) throws(DKIMError) -> String {
        let decoded: [UInt8]
        do {
            decoded = try DKIMQuotedPrintable.decode(value)
        } catch {
            throw malformed("i= is not valid DKIM-Quoted-Printable: \(error) (RFC 6376 §2.11)")
        }
        guard let text = String(validating: decoded, as: UTF8.self) else {
            throw malformed("i= is not valid UTF-8 once decoded (RFC 8616 §4)")
        }
        guard let at = decoded.lastIndex(of: ASCII.at) else {
            throw malformed("i=\(text) has no '@' before its domain (RFC 6376 §3.5)")
        }
        let identityDomain = try domainName(decoded[(at + 1)...], tag: "i", minimumLabels: 2)
        guard isSameOrSubdomain(identityDomain, of: domain) else {
            throw DKIMError(.identityOutsideDomain,
                            "i=\(text) is not in d=\(domain) or one of its subdomains (RFC 6376 §3.5, §6.1.1)")
        }
        return text
    }

    /// True when `name` equals `domain` or ends with "." + `domain`, ignoring ASCII case.
    static func isSameOrSubdomain(_ name: String, of domain: String) -> Bool {
        let name = Array(name.utf8).map(ASCII.lowercased)
        let domain = Array(domain.utf8).map(ASCII.lowercased)
        if name == domain { return true }
        return name.count > domain.count && name.suffix(domain.count).elementsEqual(domain)
            && name[name.count - domain.count - 1] == ASCII.period
    }

    /// 1*N DIGIT, overflow-checked.
    private static func number<T: FixedWidthInteger>(
        _ value: ArraySlice<UInt8>, name: String, maximumDigits: Int, as type: T.Type
    ) throws(DKIMError) -> T {
        // Up to 18 digits (any t=, x= or usual l=) cannot overflow 64 bits: read in one pass without checked steps,
        // then narrowed exactly, which fails where the checked steps below would overflow. Anything else (empty,
        // a byte that is no digit, longer) goes through the rules below, for their message.
        let quick = value.withUnsafeBufferPointer { bytes -> UInt64? in
            guard !bytes.isEmpty, bytes.count <= 18, bytes.count <= maximumDigits else { return nil }
            var result: UInt64 = 0
            for byte in bytes {
                let digit = byte &- ASCII.zero
                guard digit < 10 else { return nil }
                result = result &* 10 &+ UInt64(digit)
            }
            return result
        }
        if let quick {
            guard let result = T(exactly: quick) else { throw malformed("\(name)=\(shown(value)) is too large") }
            return result
        }
        guard !value.isEmpty, value.allSatisfy(ASCII.isDigit) else {
            throw malformed("\(name)=\(shown(value)) is not a decimal number (RFC 6376 §3.5)")
        }
        guard value.count <= maximumDigits else {
            throw malformed("\(name)= has more than \(maximumDigits) digits (RFC 6376 §3.5)")
        }
        var result: T = 0
        for digit in value {
            let (shifted, overflow1) = result.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = shifted.addingReportingOverflow(T(digit - ASCII.zero))
            guard !overflow1, !overflow2 else {
                throw malformed("\(name)=\(shown(value)) is too large")
            }
            result = sum
        }
        return result
    }

    /// z= sig-z-tag-copy *( "|" [FWS] sig-z-tag-copy ); copy = hdr-name [FWS] ":" qp-hdr-value (RFC 6376 §3.5).
    private static func copiedHeaderFields(_ value: ArraySlice<UInt8>) throws(DKIMError) -> [[UInt8]] {
        guard !value.isEmpty else { throw malformed("z= is empty (RFC 6376 §3.5)") }
        var fields: [[UInt8]] = []
        for piece in value.split(separator: ASCII.pipe, omittingEmptySubsequences: false) {
            let decoded: [UInt8]
            do {
                decoded = try DKIMQuotedPrintable.decode(piece)
            } catch {
                throw malformed("z= is not valid DKIM-Quoted-Printable: \(error) (RFC 6376 §2.11)")
            }
            guard let colon = decoded.firstIndex(of: ASCII.colon), colon > 0,
                  decoded[..<colon].allSatisfy(ASCII.isFieldNameChar) else {
                throw malformed("z= holds an entry that is not \"name:value\" (RFC 6376 §3.5)")
            }
            fields.append(decoded)
        }
        return fields
    }
}
