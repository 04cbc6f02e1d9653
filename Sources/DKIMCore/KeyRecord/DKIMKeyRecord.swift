/// A DKIM public key record: the TXT value at `selector._domainkey.domain` (RFC 6376 §3.6.1).
///
/// Parsing is strict: the tag list must be well formed with no duplicate tags (RFC 6376 §3.2), `v=` if present
/// must be the first tag and exactly `DKIM1`, `p=` is required and must be valid base64 (folding white space
/// allowed), and the list tags `h=`, `s=`, `t=` must be colon-separated tokens. Unknown tags are ignored, and so
/// are unknown values inside `h=`, `s=` and `t=` (they are kept, and the queries below disregard them).
///
/// Unknown key types: RFC 6376 §3.6.1 says "Unrecognized key types MUST be ignored", and §6.1.2 makes a key whose
/// type does not fit the signature a permanent failure. Such a record therefore *parses* (it is not malformed;
/// ``keyTypeName`` keeps the raw `k=` and ``keyType`` is `nil`), but ``publicKey()`` throws `.unsupportedKey`,
/// so a verifier reports `permerror` for that signature.
public struct DKIMKeyRecord: Sendable, Equatable {
    /// The record version, `v=`: `"DKIM1"`, or `nil` when the tag is absent (it defaults to DKIM1).
    public let version: String?
    /// The acceptable hash algorithms, `h=` (e.g. `["sha256"]`); `nil` when absent, meaning any.
    public let hashAlgorithms: [String]?
    /// The key type exactly as written in `k=` (default `"rsa"`). Case-sensitive (RFC 6376 §3.2).
    public let keyTypeName: String
    /// Notes for humans, `n=` (a qp-section, kept as written); `nil` when absent.
    public let notes: String?
    /// The decoded public-key data, `p=`: SPKI (or PKCS#1) DER for RSA, 32 raw bytes for Ed25519.
    /// Empty means the key has been revoked (RFC 6376 §3.6.1).
    public let publicKeyData: [UInt8]
    /// The service types, `s=` (default `["*"]`).
    public let serviceTypes: [String]
    /// The flags, `t=` (default none): `y` testing, `s` strict identity; unknown flags are kept and ignored.
    public let flags: [String]

    /// The key type, or `nil` when ``keyTypeName`` is not one DKIM defines (RFC 6376 §3.6.1, RFC 8463 §4).
    ///
    /// The names of `k=`, `h=`, `s=` and `t=` are ABNF quoted strings, which are case-insensitive
    /// (RFC 5234 §2.3), so `k=RSA` is `rsa`. Only `v=DKIM1` is spelled with case-sensitive `%x` values.
    public var keyType: DKIMKeyType? { DKIMKeyType(rawValue: Self.lowercased(keyTypeName)) }
    /// Whether the key is revoked: `p=` is empty (RFC 6376 §3.6.1).
    public var isRevoked: Bool { publicKeyData.isEmpty }
    /// Whether `t=y` is set: the domain is testing DKIM, and verifiers should not treat failures differently
    /// from unsigned mail (RFC 6376 §3.6.1).
    public var isTesting: Bool { flags.contains { Self.lowercased($0) == Self.testingFlag } }
    /// Whether `t=s` is set: the `i=` domain must equal `d=`, not be a subdomain (RFC 6376 §3.6.1).
    public var requiresStrictIdentity: Bool { flags.contains { Self.lowercased($0) == Self.strictFlag } }
    /// Whether the record applies to email: `s=` lists `*` or `email` (RFC 6376 §3.6.1).
    public var appliesToEmail: Bool { serviceTypes.contains { $0 == "*" || Self.lowercased($0) == "email" } }

    /// Whether the record allows a hash algorithm, e.g. `"sha256"`: true when `h=` is absent or lists it.
    /// - Parameter hashAlgorithm: The hash part of the signature's `a=` tag.
    /// - Returns: `true` if signatures using `hashAlgorithm` may use this key (RFC 6376 §3.6.1, §6.1.2).
    public func allowsHashAlgorithm(_ hashAlgorithm: String) -> Bool {
        hashAlgorithms?.contains { Self.lowercased($0) == Self.lowercased(hashAlgorithm) } ?? true
    }

    /// ASCII lowercasing, for the case-insensitive names of RFC 5234 §2.3.
    static func lowercased(_ name: String) -> String {
        String(decoding: name.utf8.map(ASCII.lowercased), as: UTF8.self)
    }

    static let testingFlag = "y"
    static let strictFlag = "s"
    static let currentVersion = "DKIM1"

    /// Parses a key record.
    ///
    /// - Parameter value: The record's TXT strings joined without separators (RFC 6376 §3.6.2.2).
    /// - Throws: ``DKIMError`` `.malformedKeyRecord` (or `.malformedTagList`) naming the fault.
    public init(parsing value: [UInt8]) throws {
        let list: TagList
        do {
            list = try TagList(parsing: value)
        } catch {
            throw DKIMError(.malformedKeyRecord,
                            "The key record is not a valid tag list: \(Sentence.closed(error.reason))")
        }

        // RFC 6376 §3.6.1: v= "MUST be the first tag in the record"; any value but DKIM1 means discard.
        if let versionTag = list["v"] {
            guard list.tags.first?.name == "v" else {
                throw DKIMError(.malformedKeyRecord, "v= must be the first tag of a key record (RFC 6376 §3.6.1).")
            }
            guard Array(versionTag.value) == Array(Self.currentVersion.utf8) else {
                throw DKIMError(
                    .malformedKeyRecord,
                    "v=\(versionTag.stringValue) is not DKIM1; such records must be discarded (RFC 6376 §3.6.1)."
                )
            }
            version = Self.currentVersion
        } else {
            version = nil
        }

        hashAlgorithms = try list["h"].map { try Self.tokenList($0.value, tag: "h") }

        if let keyTag = list["k"] {
            let name = String(decoding: keyTag.value, as: UTF8.self)
            guard KeyRecordToken.isHyphenatedWord(keyTag.value) else {
                throw DKIMError(.malformedKeyRecord, "k=\(name) is not a key type name (RFC 6376 §3.6.1).")
            }
            keyTypeName = name
        } else {
            keyTypeName = DKIMKeyType.rsa.rawValue
        }

        notes = list["n"].map { $0.stringValue }

        guard let keyTag = list["p"] else {
            throw DKIMError(.malformedKeyRecord, "The key record has no p= tag, which is required (RFC 6376 §3.6.1).")
        }
        do {
            publicKeyData = try Base64.decode(keyTag.value)
        } catch {
            var reason = "p= is not valid base64: \(error.description)."
            if keyTag.value.contains(ASCII.doubleQuote) {
                reason += " The value contains quote characters: it looks pasted from a zone file in pieces;"
                    + " remove the quotes and join the strings."
            }
            throw DKIMError(.malformedKeyRecord, reason)
        }

        serviceTypes = try list["s"].map { try Self.tokenList($0.value, tag: "s", allowStar: true) } ?? ["*"]
        flags = try list["t"].map { try Self.tokenList($0.value, tag: "t") } ?? []
    }

    /// Parses a key record held in a string.
    /// - Parameter value: The joined TXT value.
    /// - Throws: ``DKIMError`` as ``init(parsing:)-([UInt8])``.
    public init(parsing value: String) throws {
        try self.init(parsing: Array(value.utf8))
    }

    /// Builds the record that publishes a public key.
    ///
    /// - Parameters:
    ///   - publicKey: The key; `p=` carries its ``DKIMPublicKey/keyRecordData``.
    ///   - hashAlgorithms: `h=`, or `nil` to allow any.
    ///   - serviceTypes: `s=`; the default `["*"]` is not written out.
    ///   - flags: `t=` flags, e.g. `["y"]` while testing.
    ///   - notes: `n=`, printable ASCII without `;` (RFC 6376 §3.6.1 qp-section).
    /// - Throws: ``DKIMError`` `.invalidOption` if a token or the notes cannot be written into a record.
    public init(
        publicKey: DKIMPublicKey,
        hashAlgorithms: [String]? = nil,
        serviceTypes: [String] = ["*"],
        flags: [String] = [],
        notes: String? = nil
    ) throws {
        for (tag, tokens, allowStar) in [
            ("h", hashAlgorithms ?? [], false), ("s", serviceTypes, true), ("t", flags, false),
        ] {
            for token in tokens where !KeyRecordToken.isToken(Array(token.utf8), allowStar: allowStar) {
                throw DKIMError(.invalidOption, "\"\(token)\" cannot be written into \(tag)= of a key record.")
            }
        }
        if hashAlgorithms?.isEmpty == true || serviceTypes.isEmpty {
            throw DKIMError(.invalidOption, "h= and s= need at least one value when given.")
        }
        if let notes, !notes.utf8.allSatisfy({ $0 > ASCII.space && $0 < ASCII.delete && $0 != ASCII.semicolon }) {
            throw DKIMError(.invalidOption, "n= must be printable ASCII without spaces or ';' (a qp-section).")
        }
        self.version = Self.currentVersion
        self.hashAlgorithms = hashAlgorithms
        self.keyTypeName = publicKey.type.rawValue
        self.notes = notes
        self.publicKeyData = publicKey.keyRecordData
        self.serviceTypes = serviceTypes
        self.flags = flags
    }

    /// Decodes `p=` as a key of type `k=`.
    ///
    /// Small RSA keys are returned, not refused, so the verifier can report `key-too-small` (see ``DKIMPublicKey``).
    /// - Returns: The public key.
    /// - Throws: ``DKIMError`` `.malformedKeyRecord` for a revoked key, `.unsupportedKey` for an unknown `k=`,
    ///   `.malformedKey` / `.keyTooLarge` from ``DKIMPublicKey/init(keyRecordData:type:)``.
    public func publicKey() throws -> DKIMPublicKey {
        guard let type = keyType else {
            throw DKIMError(
                .unsupportedKey,
                "k=\(keyTypeName) is not a key type this verifier knows (rsa, ed25519); the record cannot be used."
            )
        }
        guard !isRevoked else {
            throw DKIMError(.malformedKeyRecord, "The key has been revoked (empty p=, RFC 6376 §3.6.1).")
        }
        return try DKIMPublicKey(keyRecordData: publicKeyData, type: type)
    }

    /// Splits a colon-separated list (`h=`, `s=`, `t=`), FWS allowed around the colons (RFC 6376 §3.6.1 ABNF).
    private static func tokenList(_ value: ArraySlice<UInt8>, tag: String, allowStar: Bool = false) throws -> [String] {
        var tokens: [String] = []
        for piece in value.split(separator: ASCII.colon, omittingEmptySubsequences: false) {
            let token = KeyRecordToken.trimmingFWS(piece)
            guard KeyRecordToken.isToken(token, allowStar: allowStar) else {
                let shown = String(decoding: value, as: UTF8.self)
                throw DKIMError(
                    .malformedKeyRecord,
                    "\(tag)=\(shown) is not a colon-separated list of names (RFC 6376 §3.6.1)."
                )
            }
            tokens.append(String(decoding: token, as: UTF8.self))
        }
        return tokens
    }
}

/// The token grammar of key record lists.
enum KeyRecordToken {
    /// hyphenated-word = ALPHA [ *(ALPHA / DIGIT / "-") (ALPHA / DIGIT) ] (RFC 6376 §2.10).
    static func isHyphenatedWord(_ bytes: some BidirectionalCollection<UInt8>) -> Bool {
        guard let first = bytes.first, ASCII.isAlpha(first), let last = bytes.last, ASCII.isAlnum(last) else {
            return false
        }
        return bytes.allSatisfy { ASCII.isAlnum($0) || $0 == ASCII.hyphen }
    }

    /// A list element: a hyphenated-word, or `*` where `s=` allows it.
    static func isToken(_ bytes: some BidirectionalCollection<UInt8>, allowStar: Bool) -> Bool {
        if allowStar, bytes.count == 1, bytes.first == ASCII.asterisk { return true }
        return isHyphenatedWord(bytes)
    }

    static func isFWS(_ byte: UInt8) -> Bool {
        ASCII.isWSP(byte) || byte == ASCII.cr || byte == ASCII.lf
    }

    static func trimmingFWS(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = bytes
        while let first = slice.first, isFWS(first) { slice = slice.dropFirst() }
        while let last = slice.last, isFWS(last) { slice = slice.dropLast() }
        return slice
    }
}

extension DKIMKeyRecord {
    /// The key record that several TXT records make when joined, or nil for one record or a join that does not
    /// parse: the sign of a key pasted into one TXT record per 255-octet piece instead of one record of several
    /// strings (RFC 6376 §3.6.2.2), which `verify`, `testkey` and `check-domain` name as such.
    package init?(joiningRecords records: [DNSTXTRecord]) {
        guard records.count > 1, let joined = try? DKIMKeyRecord(parsing: records.flatMap(\.joined)) else {
            return nil
        }
        self = joined
    }
}

