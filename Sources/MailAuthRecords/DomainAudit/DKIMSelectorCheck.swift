import DKIMCore

/// The check of one published DKIM key record (`selector._domainkey.domain`): is it there, is it right,
/// and does it match a private key?
///
/// Shared by `dkimtool testkey` and ``DomainAudit``. Finding codes (stable): `no-record`,
/// `dns-temporary-failure`, `dns-failure`, `several-key-records`, `split-into-records`, `malformed-record`,
/// `key-differs`, and every `KeyRecordWarning.Code` of the record lint (`key-revoked`, `key-too-small`,
/// `key-under-2048-bits`, `testing-flag`, `whitespace-in-key`, …).
public struct DKIMSelectorCheck: Sendable, Hashable {
    /// The verdict on the record.
    public enum Status: String, Sendable, Hashable {
        /// The record is usable (warnings may remain).
        case ok
        /// At least one fault: verifiers will not accept signatures under this selector as intended.
        case faulty
        /// The lookup failed temporarily; nothing is known.
        case temporaryFailure = "temporary-failure"
    }

    /// One thing found about the record.
    public struct Finding: Sendable, Hashable {
        /// A stable identifier, e.g. `no-record` or `key-revoked`.
        public let code: String
        /// A plain-words sentence saying what is wrong and what to do.
        public let message: String

        /// Creates a finding.
        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    /// The name looked up: `selector._domainkey.domain`.
    public let name: String
    /// The verdict.
    public private(set) var status: Status
    /// The published value (the record's strings joined), when one key record was found.
    public private(set) var record: String?
    /// The record's `k=` value, when one key record was found.
    public private(set) var keyType: String?
    /// The size of the published key in bits, when it could be read.
    public private(set) var keyBits: Int?
    /// The published key read as a key, when it could be.
    public private(set) var publishedKey: DKIMPublicKey?
    /// Whether the published key is the public half of the private key given; nil without one.
    public private(set) var matchesPrivateKey: Bool?
    /// The faults, in the order found.
    public private(set) var faults: [Finding]
    /// The warnings: worth fixing, the record still works.
    public private(set) var warnings: [Finding]

    /// Lint codes that only warn; every other lint finding is a fault. An empty tag and upper-case values only
    /// warn: the record works at verifiers that read them leniently (ours), though strict ones ignore it.
    private static let warningCodes: Set<KeyRecordWarning.Code> = [
        .keyUnder2048Bits, .unsplitLongString, .emptyTag, .upperCaseValue,
    ]

    /// Looks up `selector._domainkey.domain` and checks the answer (see ``check(_:name:privateKey:)``).
    ///
    /// - Parameters:
    ///   - selector: the selector (`s=` of the signatures).
    ///   - domain: the signing domain (`d=`), normalized (lowercase, no trailing dot).
    ///   - resolver: answers the TXT query.
    ///   - privateKey: the private key the record should publish, if known.
    public static func run(
        selector: String, domain: String, resolver: some DKIMKeyResolver, privateKey: DKIMPrivateKey? = nil
    ) async -> DKIMSelectorCheck {
        let name = selector + "._domainkey." + domain
        return check(await resolver.lookupTXT(name), name: name, privateKey: privateKey)
    }

    /// Checks the answer of a TXT lookup at `name`: exactly one parseable key record (RFC 6376 §3.6.2.2), linted,
    /// and, with `privateKey`, the same key.
    ///
    /// - Parameters:
    ///   - lookup: the TXT lookup result for `name`.
    ///   - name: the record name, for the messages.
    ///   - privateKey: the private key the record should publish, if known; its record is suggested in the
    ///     messages of `no-record` and `key-differs`.
    public static func check(
        _ lookup: TXTLookupResult, name: String, privateKey: DKIMPrivateKey?
    ) -> DKIMSelectorCheck {
        var check = DKIMSelectorCheck(name: name, status: .ok, faults: [], warnings: [])
        let publishAdvice = privateKey.flatMap { key in
            (try? DKIMKeyRecord(publicKey: key.publicKey)).map { " Publish: \($0.oneLineValue)" }
        } ?? " Publish the record `dkimtool keygen` or `dkimtool record --key` prints."

        let records: [DNSTXTRecord]
        switch lookup {
        case .records(let found):
            records = found
        case .notFound:
            check.fault("no-record", "There is no TXT record at \(name)." + publishAdvice)
            return check
        case .temporaryFailure(let why):
            check.status = .temporaryFailure
            check.faults.append(Finding(code: "dns-temporary-failure",
                                        message: "The lookup of \(name) failed temporarily: "
                                            + "\(Sentence.closed(why)) Try again."))
            return check
        case .permanentFailure(let why):
            check.fault("dns-failure", "The lookup of \(name) failed: \(Sentence.closed(why))")
            return check
        }

        // The bounds a verifier reading mail from anyone applies to the answer (DKIMLimits, README "Limits"): a
        // record past them is refused by `dkimtool verify` even when the key record itself is fine.
        let limits = DKIMLimits.standard
        switch limits.excess(of: records) {
        case .records(let count)?:
            check.fault("limit-exceeded", "\(name) has \(count) TXT records; verifiers bound the answer they "
                        + "read (dkimtool: \(limits.maximumTXTRecords)), so publish only the key record there.")
            return check
        case .octets(let size)?:
            check.fault("limit-exceeded", "A TXT record at \(name) has \(size) octets; verifiers bound the records "
                        + "they read (dkimtool: \(limits.maximumTXTRecordOctets)), so shorten or remove it.")
            return check
        case nil:
            break
        }

        // RFC 6376 §3.6.2.2: the strings of one record are joined; exactly one record must be a key record.
        var parsed: [(DNSTXTRecord, DKIMKeyRecord)] = []
        var parseErrors: [String] = []
        for record in records {
            do {
                parsed.append((record, try DKIMKeyRecord(parsing: record.joined)))
            } catch {
                parseErrors.append((error as? DKIMError)?.reason ?? "\(error)")
            }
        }
        if parsed.count > 1 {
            check.fault("several-key-records", "\(parsed.count) TXT records at \(name) are DKIM key records; verifiers "
                        + "need exactly one (RFC 6376 §3.6.2.2). Delete all but the current one.")
            return check
        }
        if DKIMKeyRecord(joiningRecords: records)?.publicKeyData.isEmpty == false,
           parsed.first.map({ (try? $0.1.publicKey()) == nil }) ?? true {
            check.fault("split-into-records", "The key record at \(name) was published as \(records.count) separate "
                        + "TXT records; it must be ONE record whose value is split into several strings.")
            return check
        }
        guard let (record, keyRecord) = parsed.first else {
            let detail = parseErrors.first.map { ": \($0)" } ?? ""
            check.fault("malformed-record",
                        Sentence.closed("The TXT record at \(name) is not a valid DKIM key record\(detail)"))
            return check
        }
        check.record = String(decoding: record.joined, as: UTF8.self)
        check.keyType = keyRecord.keyTypeName
        for warning in DKIMKeyRecord.lint(value: record.joined, strings: record.strings) {
            if warningCodes.contains(warning.code) {
                check.warnings.append(Finding(code: warning.code.rawValue, message: warning.message))
            } else {
                check.fault(warning.code.rawValue, warning.message)
            }
        }
        if let publicKey = try? keyRecord.publicKey() {
            check.publishedKey = publicKey
            check.keyBits = publicKey.bits
            if let privateKey {
                let matches = publicKey == privateKey.publicKey
                check.matchesPrivateKey = matches
                if !matches {
                    check.fault("key-differs", "The key published at \(name) is not the public half of the private "
                                + "key; signatures made with it will fail." + publishAdvice)
                }
            }
        }
        return check
    }

    private mutating func fault(_ code: String, _ message: String) {
        faults.append(Finding(code: code, message: message))
        status = .faulty
    }
}
