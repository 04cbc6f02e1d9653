import ArgumentParser
import DKIMCore
import MailAuthRecords

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

/// The findings of `testkey` for one record name, as printed: a view of the library's ``DKIMSelectorCheck``.
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

    static func check(_ lookup: TXTLookupResult, name: String, privateKey: DKIMPrivateKey?) -> KeyRecordCheck {
        KeyRecordCheck(DKIMSelectorCheck.check(lookup, name: name, privateKey: privateKey))
    }

    init(_ check: DKIMSelectorCheck) {
        name = check.name
        switch check.status {
        case .ok: status = .ok
        case .faulty: status = .faulty
        case .temporaryFailure: status = .temporaryFailure
        }
        record = check.record
        keyType = check.keyType
        keyBits = check.keyBits
        matchesPrivateKey = check.matchesPrivateKey
        faults = check.faults.map { Finding(code: $0.code, message: $0.message) }
        warnings = check.warnings.map { Finding(code: $0.code, message: $0.message) }
    }

    var text: String {
        var lines = ["\(name): " + (status == .ok ? "ok" : status == .faulty ? "FAULTY" : "temporary failure")]
        if let record { lines.append("  record: " + Console.printable(record)) }
        if let keyType {
            lines.append("  key: " + [keyType, keyBits.map { "\($0) bits" }].compactMap { $0 }.joined(separator: ", "))
        }
        if let matchesPrivateKey { lines.append("  matches the private key: " + (matchesPrivateKey ? "yes" : "NO")) }
        for fault in faults { lines.append("  fault (\(fault.code)): " + Console.printable(fault.message)) }
        for warning in warnings { lines.append("  warning (\(warning.code)): " + Console.printable(warning.message)) }
        return lines.joined(separator: "\n")
    }
}
