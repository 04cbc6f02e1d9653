/// Advice about a key record that parses but may not do what its administrator wants.
public struct KeyRecordWarning: Sendable, Hashable, CustomStringConvertible {
    /// A stable, machine-readable warning code.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code as printed, e.g. `key-under-2048-bits`.
        public let rawValue: String
        /// Creates a code from its printed form.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The code as printed.
        public var description: String { rawValue }

        /// The RSA key is under 1024 bits: verifiers must fail every signature (RFC 8301 §3.2).
        public static let keyTooSmall = Code(rawValue: "key-too-small")
        /// The RSA key is under 2048 bits, the size RFC 8301 §3.2 asks signers for.
        public static let keyUnder2048Bits = Code(rawValue: "key-under-2048-bits")
        /// `t=y` is set: receivers treat the domain as testing DKIM (RFC 6376 §3.6.1).
        public static let testingFlag = Code(rawValue: "testing-flag")
        /// `h=` does not allow sha256; only rsa-sha1 could use the key, and verifiers refuse it (RFC 8301 §3.1).
        public static let sha1Only = Code(rawValue: "sha1-only")
        /// `k=` does not match the kind of key in `p=`.
        public static let keyTypeMismatch = Code(rawValue: "key-type-mismatch")
        /// `k=` names a key type DKIM does not define; verifiers ignore the record (RFC 6376 §3.6.1).
        public static let unknownKeyType = Code(rawValue: "unknown-key-type")
        /// `p=` decodes but is not a usable public key.
        public static let unreadableKey = Code(rawValue: "unreadable-key")
        /// `p=` contains white space: legal, but usually the sign of a value pasted in pieces.
        public static let whitespaceInKey = Code(rawValue: "whitespace-in-key")
        /// The value contains `"`: a zone-file record pasted with its quotes.
        public static let quotesInValue = Code(rawValue: "quotes-in-value")
        /// A single string is longer than 255 octets and must be split to be published (RFC 1035 §3.3).
        public static let unsplitLongString = Code(rawValue: "unsplit-long-string")
        /// `s=` lists neither `email` nor `*`: mail verifiers ignore the record (RFC 6376 §3.6.1).
        public static let notForEmail = Code(rawValue: "not-for-email")
        /// `p=` is empty: the key is revoked and every signature with it fails (RFC 6376 §3.6.1).
        public static let keyRevoked = Code(rawValue: "key-revoked")
        /// An empty tag (`;;`, or a `;` first): RFC 6376 §3.2's tag-list has none. Tolerated here and by
        /// Mail::DKIM; dkimpy refuses the record.
        public static let emptyTag = Code(rawValue: "empty-tag")
        /// `k=`, `h=`, `s=` or `t=` has upper-case letters: read here as RFC 5234 §2.3 allows, but RFC 6376 §3.2
        /// makes values case-sensitive, and dkimpy and Mail::DKIM then ignore the record.
        public static let upperCaseValue = Code(rawValue: "upper-case-value")
    }

    /// The stable code.
    public let code: Code
    /// A sentence telling the administrator what is wrong and what to do.
    public let message: String

    /// Creates a warning.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}

extension DKIMKeyRecord {
    /// Lints a key record value as published: what a careful administrator would want to be told.
    ///
    /// Works on values that do not parse too (it then reports only what the raw bytes show, such as quotes);
    /// the parse error itself comes from ``init(parsing:)-([UInt8])``.
    /// - Parameters:
    ///   - value: The joined TXT value.
    ///   - strings: The TXT character-strings as they will be published, if known; a single value given as
    ///     one string longer than 255 octets is reported.
    /// - Returns: The warnings, in a stable order.
    public static func lint(value: [UInt8], strings: [[UInt8]]? = nil) -> [KeyRecordWarning] {
        var warnings: [KeyRecordWarning] = []
        if value.contains(ASCII.doubleQuote) {
            warnings.append(KeyRecordWarning(
                .quotesInValue,
                "The value contains quote characters; it looks copied from a zone file. "
                    + "Publish the text between the quotes, joined, without the quotes."
            ))
        }
        for string in strings ?? [value] where string.count > maximumTXTStringLength {
            warnings.append(KeyRecordWarning(
                .unsplitLongString,
                "A string of \(string.count) octets exceeds the 255-octet limit of one DNS TXT string; unless your "
                    + "DNS provider splits long values itself, publish it as several quoted strings (zone-file form)."
            ))
            break
        }
        if hasEmptyTag(value) {
            warnings.append(KeyRecordWarning(
                .emptyTag,
                "The value has an empty tag (two semicolons with nothing between them, or a semicolon first), "
                    + "which RFC 6376 §3.2 does not allow; some verifiers, such as dkimpy, then ignore the whole "
                    + "record. Remove the extra semicolon."
            ))
        }
        let list = try? TagList(parsing: value)
        if let key = list?["p"], key.value.contains(where: KeyRecordToken.isFWS) {
            warnings.append(KeyRecordWarning(
                .whitespaceInKey,
                "p= contains white space. Verifiers skip it, but it usually means the key was pasted in pieces; "
                    + "check that no piece is missing."
            ))
        }
        let upperCase = ["k", "h", "s", "t"].compactMap { name in list?[name] }
            .filter { tag in tag.value.contains { $0 >= ASCII.upperA && $0 <= ASCII.upperZ } }
        if !upperCase.isEmpty {
            let written = upperCase.map { "\($0.name)=\($0.stringValue)" }.joined(separator: ", ")
            warnings.append(KeyRecordWarning(
                .upperCaseValue,
                "\(written) has upper-case letters. dkimtool reads them case-insensitively, but RFC 6376 §3.2 makes "
                    + "tag values case-sensitive, and verifiers such as dkimpy and Mail::DKIM then ignore the record. "
                    + "Write the values in lower case."
            ))
        }
        if let record = try? DKIMKeyRecord(parsing: value) {
            warnings += record.lint()
        }
        return warnings
    }

    /// Whether a `;` of `value` ends an empty tag-spec: nothing but white space since the start or the `;` before
    /// (RFC 6376 §3.2: `tag-list = tag-spec *( ";" tag-spec ) [ ";" ]`; only the last `;` may close nothing).
    /// Tag values cannot hold `;` (VALCHAR), so every `;` separates tags.
    static func hasEmptyTag(_ value: [UInt8]) -> Bool {
        var emptySinceSeparator = true
        for byte in value {
            if byte == ASCII.semicolon {
                if emptySinceSeparator { return true }
                emptySinceSeparator = true
            } else if !KeyRecordToken.isFWS(byte) {
                emptySinceSeparator = false
            }
        }
        return false
    }

    /// Lints the parsed record: revoked or unusable key, weak key, testing flag, hash and service restrictions.
    /// - Returns: The warnings, in a stable order.
    public func lint() -> [KeyRecordWarning] {
        var warnings: [KeyRecordWarning] = []
        if isRevoked {
            warnings.append(KeyRecordWarning(
                .keyRevoked, "p= is empty: the key is revoked and every signature made with it fails."
            ))
        } else if keyType == nil {
            warnings.append(KeyRecordWarning(
                .unknownKeyType,
                "k=\(keyTypeName) is not a DKIM key type (rsa or ed25519); verifiers ignore this record."))
        } else {
            warnings += keyWarnings()
        }
        if isTesting {
            warnings.append(KeyRecordWarning(
                .testingFlag,
                "t=y is set: receivers treat this domain as testing DKIM. Remove it once signing works."
            ))
        }
        if let hashAlgorithms, !allowsHashAlgorithm("sha256") {
            warnings.append(KeyRecordWarning(
                .sha1Only,
                "h=\(hashAlgorithms.joined(separator: ":")) does not allow sha256; rsa-sha1 signatures are "
                    + "refused by verifiers (RFC 8301 §3.1), so no signature can use this key. "
                    + "Use h=sha256 or drop h=."
            ))
        }
        if !appliesToEmail {
            warnings.append(KeyRecordWarning(
                .notForEmail,
                "s=\(serviceTypes.joined(separator: ":")) lists neither email nor *; mail verifiers ignore the record."
            ))
        }
        return warnings
    }

    private func keyWarnings() -> [KeyRecordWarning] {
        do {
            let key = try publicKey()
            guard key.type == .rsa else { return [] }
            if key.bits < DKIMKeySize.minimumRSABits {
                return [KeyRecordWarning(
                    .keyTooSmall,
                    "The RSA key has \(key.bits) bits; verifiers must reject keys under 1024 bits (RFC 8301 §3.2). "
                        + "Generate a 2048-bit key."
                )]
            }
            if key.bits < DKIMKeySize.recommendedRSABits {
                return [KeyRecordWarning(
                    .keyUnder2048Bits,
                    "The RSA key has \(key.bits) bits; RFC 8301 §3.2 asks for at least 2048. Plan a key rollover."
                )]
            }
            return []
        } catch {
            if let mismatch = keyTypeMismatch() { return [mismatch] }
            let reason = (error as? DKIMError)?.reason ?? "\(error)"
            return [KeyRecordWarning(.unreadableKey, "p= is not a usable \(keyTypeName) public key: \(reason)")]
        }
    }

    /// Explains a `p=` that holds the other kind of key than `k=` says.
    private func keyTypeMismatch() -> KeyRecordWarning? {
        switch keyType {
        case .rsa:
            if publicKeyData.count == DKIMKeySize.ed25519PublicKeyBytes {
                return KeyRecordWarning(
                    .keyTypeMismatch,
                    "p= holds 32 bytes, the size of a raw Ed25519 key, but k=rsa (the default); "
                        + "add k=ed25519 (RFC 8463 §4)."
                )
            }
            if let key = try? DKIMPublicKey(derRepresentation: publicKeyData), key.type == .ed25519 {
                return KeyRecordWarning(
                    .keyTypeMismatch,
                    "p= holds an Ed25519 key but k=rsa; use k=ed25519 and publish the 32 raw key bytes (RFC 8463 §4)."
                )
            }
        case .ed25519:
            if let key = try? DKIMPublicKey(derRepresentation: publicKeyData) {
                let advice = key.type == .ed25519
                    ? "publish only the 32 raw key bytes, not the SubjectPublicKeyInfo (RFC 8463 §4)"
                    : "use k=rsa for an RSA key"
                return KeyRecordWarning(
                    .keyTypeMismatch, "p= holds an \(key.type.rawValue) key in DER but k=ed25519; \(advice)."
                )
            }
        case nil:
            break
        }
        return nil
    }
}
