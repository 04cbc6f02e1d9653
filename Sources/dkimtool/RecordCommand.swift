#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import DKIMCore

/// `dkimtool record`: parse and lint a key record, or derive the record for a private key (ARCHITECTURE.md §5).
struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Parse and lint a DKIM key record, or derive the record for an existing private key.",
        discussion: """
            Give the TXT value (all strings joined, without quotes; '-' reads it from standard input), or \
            --key FILE to print the record that publishes that key. Exit status 65 when the record is \
            malformed or its key cannot be used; a revoked key (empty p=) is reported, with status 0.
            """
    )

    @Argument(help: "The TXT record value, e.g. 'v=DKIM1; k=rsa; p=MIIB...'; '-' reads standard input.")
    var value: String?

    @Option(help: "A private key file (PEM or DER, PKCS#1 or PKCS#8) to derive the record from.")
    var key: String?

    @Option(help: "The selector, for the zone-file line.")
    var selector: String?

    @Option(help: "The domain, for the record name (needs --selector).")
    var domain: String?

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func validate() throws {
        guard (value == nil) != (key == nil) else {
            throw ValidationError("Give either a TXT value or --key FILE, not both and not neither.")
        }
        if domain != nil, selector == nil {
            throw ValidationError("--domain needs --selector.")
        }
        if let selector, !DNSName.isValid(selector) {
            throw ValidationError("'\(selector)' is not a valid selector.")
        }
        if let domain, !DNSName.isValid(DNSName.normalized(domain)) {
            throw ValidationError("'\(domain)' is not a valid domain name.")
        }
    }

    func run() throws {
        if let key {
            let privateKey = try InputFile.privateKey(at: key)
            let record: DKIMKeyRecord
            do {
                record = try DKIMKeyRecord(publicKey: privateKey.publicKey)
            } catch let error as DKIMError {
                throw Console.fail(error.reason, SysExit.malformedInput)
            }
            let warnings = record.lint()
            try report(record: record, status: "derived", keyBits: privateKey.bits, warnings: warnings, error: nil)
            return
        }

        let bytes = try valueBytes()
        let warnings = DKIMKeyRecord.lint(value: bytes)
        let record: DKIMKeyRecord
        do {
            record = try DKIMKeyRecord(parsing: bytes)
        } catch let error as DKIMError {
            try report(record: nil, status: "malformed", keyBits: nil, warnings: warnings, error: error)
            throw SysExit.malformedInput
        }
        if record.isRevoked {
            try report(record: record, status: "revoked", keyBits: nil, warnings: warnings, error: nil)
            return
        }
        do {
            let publicKey = try record.publicKey()
            try report(record: record, status: "valid", keyBits: publicKey.bits, warnings: warnings, error: nil)
        } catch let error as DKIMError {
            try report(record: record, status: "unusable", keyBits: nil, warnings: warnings, error: error)
            throw SysExit.malformedInput
        }
    }

    /// The value argument, or standard input for `-` (one trailing line break removed).
    private func valueBytes() throws -> [UInt8] {
        guard value == "-" else { return Array((value ?? "").utf8) }
        var bytes = try MessageReader.readAll("-")
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        return bytes
    }

    private func report(
        record: DKIMKeyRecord?,
        status: String,
        keyBits: Int?,
        warnings: [KeyRecordWarning],
        error: DKIMError?
    ) throws {
        if let error { Console.error(error.reason) }
        for warning in warnings { Console.warning("[\(warning.code)] \(warning.message)") }
        let domain = self.domain.map(DNSName.normalized)
        let recordName = selector.flatMap { selector in domain.map { "\(selector)._domainkey.\($0)" } }
        let zone = selector.flatMap { record?.zoneFileRecord(selector: $0, domain: domain) }

        switch format {
        case .json:
            Console.out(try Console.json(RecordJSON(
                status: status, record: record, keyBits: keyBits, recordName: recordName, zoneFile: zone,
                warnings: warnings.map(WarningJSON.init),
                error: error.map { ErrorJSON(code: $0.code.rawValue, message: $0.reason) }
            )))
        case .text:
            Console.out("status:   \(status)")
            guard let record else { return }
            let keyDescription: String
            switch (record.isRevoked, keyBits) {
            case (true, _): keyDescription = "revoked (empty p=)"
            case (false, let bits?): keyDescription = "\(record.keyTypeName), \(bits) bits"
            case (false, nil): keyDescription = "\(record.keyTypeName), unusable"
            }
            Console.out("key:      \(keyDescription)")
            Console.out("hashes:   \(record.hashAlgorithms?.joined(separator: ":") ?? "any")")
            Console.out("services: \(record.serviceTypes.joined(separator: ":"))")
            Console.out("flags:    \(record.flags.isEmpty ? "none" : record.flags.joined(separator: ":"))")
            if let notes = record.notes { Console.out("notes:    \(notes)") }
            if let recordName { Console.out("name:     \(recordName)") }
            Console.out("value:    \(record.oneLineValue)")
            if let zone { Console.out(zone) }
        }
    }
}

/// `record --format json`: one object.
struct RecordJSON: Encodable {
    var status: String
    var keyType: String?
    var keyBits: Int?
    var version: String?
    var hashAlgorithms: [String]?
    var serviceTypes: [String]?
    var flags: [String]?
    var testing: Bool?
    var notes: String?
    var value: String?
    var txtStrings: [String]?
    var recordName: String?
    var zoneFile: String?
    var warnings: [WarningJSON]
    var error: ErrorJSON?

    init(
        status: String, record: DKIMKeyRecord?, keyBits: Int?, recordName: String?, zoneFile: String?,
        warnings: [WarningJSON], error: ErrorJSON?
    ) {
        self.status = status
        self.keyType = record?.keyTypeName
        self.keyBits = keyBits
        self.version = record?.version
        self.hashAlgorithms = record?.hashAlgorithms
        self.serviceTypes = record?.serviceTypes
        self.flags = record?.flags
        self.testing = record?.isTesting
        self.notes = record?.notes
        self.value = record?.oneLineValue
        self.txtStrings = record?.txtStrings()
        self.recordName = recordName
        self.zoneFile = zoneFile
        self.warnings = warnings
        self.error = error
    }
}

/// An error in JSON output.
struct ErrorJSON: Encodable {
    var code: String
    var message: String
}
