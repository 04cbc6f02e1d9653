import ArgumentParser
import DKIMCore

/// `dkimtool testkey`: is the published key record right, and does it match the private key?
struct TestkeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "testkey",
        abstract: "Fetch the published DKIM key record, lint it, and check it matches a private key.",
        discussion: """
            Looks up SELECTOR._domainkey.DOMAIN and reports each fault with its fix: no record, several key \
            records, a record split into several TXT records, a malformed or revoked record, a key pasted with \
            white space, t=y left on, a key under 1024 bits, and (with --key) a published key that differs from \
            the private key. Exit status: 0 all is right; 1 a fault was found; 75 the DNS lookup failed \
            temporarily; 65/66 the --key file is malformed/unreadable.
            """
    )

    @Option(help: "The signing domain (d=).")
    var domain: String

    @Option(help: "The selector (s=).")
    var selector: String

    @Option(help: "The private key the record should publish (PEM or DER, PKCS#1 or PKCS#8).")
    var key: String?

    @OptionGroup var keySource: KeySourceOptions

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func validate() throws {
        guard DNSName.isValid(DNSName.normalized(domain)) else {
            throw ValidationError("'\(domain)' is not a valid domain name.")
        }
        guard DNSName.isValid(selector) else { throw ValidationError("'\(selector)' is not a valid selector.") }
    }

    func run() async throws {
        let privateKey = try key.map { try InputFile.privateKey(at: $0) }
        let name = selector + "._domainkey." + DNSName.normalized(domain)
        let lookup = await (try keySource.makeResolver()).lookupTXT(name)
        let report = KeyRecordCheck.check(lookup, name: name, privateKey: privateKey)
        switch format {
        case .text: Console.out(report.text)
        case .json: Console.out(try Console.json(report))
        }
        switch report.status {
        case .ok: return
        case .temporaryFailure: throw SysExit.temporaryFailure
        case .faulty: throw SysExit.notPassed
        }
    }
}

/// The findings of `testkey` for one record name.
struct KeyRecordCheck: Encodable {
    enum Status: String, Encodable { case ok, faulty, temporaryFailure = "temporary-failure" }

    struct Finding: Encodable {
        var code: String
        var message: String
    }

    var name: String
    var status: Status
    var record: String?
    var keyType: String?
    var keyBits: Int?
    var matchesPrivateKey: Bool?
    var faults: [Finding]
    var warnings: [Finding]

    /// Lint codes that only warn; every other lint finding is a fault for `testkey`.
    private static let warningCodes: Set<KeyRecordWarning.Code> = [.keyUnder2048Bits, .unsplitLongString]

    static func check(_ lookup: TXTLookupResult, name: String, privateKey: DKIMPrivateKey?) -> KeyRecordCheck {
        var check = KeyRecordCheck(name: name, status: .ok, faults: [], warnings: [])
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
                                        message: "The lookup of \(name) failed temporarily: \(why). Try again."))
            return check
        case .permanentFailure(let why):
            check.fault("dns-failure", "The lookup of \(name) failed: \(why).")
            return check
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
        if records.count > 1, (try? DKIMKeyRecord(parsing: records.flatMap(\.joined)))?.publicKeyData.isEmpty == false,
           parsed.first.map({ (try? $0.1.publicKey()) == nil }) ?? true {
            check.fault("split-into-records", "The key record at \(name) was published as \(records.count) separate "
                        + "TXT records; it must be ONE record whose value is split into several strings.")
            return check
        }
        guard let (record, keyRecord) = parsed.first else {
            let detail = parseErrors.first.map { ": \($0)" } ?? ""
            check.fault("malformed-record", "The TXT record at \(name) is not a valid DKIM key record\(detail).")
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

    var text: String {
        var lines = ["\(name): " + (status == .ok ? "ok" : status == .faulty ? "FAULTY" : "temporary failure")]
        if let record { lines.append("  record: " + Console.printable(record)) }
        if let keyType { lines.append("  key: " + [keyType, keyBits.map { "\($0) bits" }].compactMap { $0 }.joined(separator: ", ")) }
        if let matchesPrivateKey { lines.append("  matches the private key: " + (matchesPrivateKey ? "yes" : "NO")) }
        for fault in faults { lines.append("  fault (\(fault.code)): " + Console.printable(fault.message)) }
        for warning in warnings { lines.append("  warning (\(warning.code)): " + Console.printable(warning.message)) }
        return lines.joined(separator: "\n")
    }
}
