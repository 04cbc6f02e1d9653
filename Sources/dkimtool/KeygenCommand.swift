#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import DKIMCore

/// `dkimtool keygen`: a new key pair, its private key file and the DNS record to publish (ARCHITECTURE.md §5).
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Generate a DKIM key pair and the DNS TXT record that publishes it.",
        discussion: """
            Writes DIR/SELECTOR.private (PKCS#8 PEM, created with mode 0600) and DIR/SELECTOR.txt (a zone-file \
            record whose strings are at most 255 octets), then prints the record name and the one-line value \
            to publish. Existing files are never overwritten without --force.
            """
    )

    @Option(help: "The signing domain (d=), e.g. example.com.")
    var domain: String

    @Option(help: "The selector (s=), e.g. mail; also the base name of the files written.")
    var selector: String

    @Option(help: "The key type: rsa or ed25519.")
    var algorithm: KeyAlgorithm = .rsa

    @Option(help: "The RSA key size in bits, 1024–8192 (default 2048; 1024 only for DNS panels that need it).")
    var bits: Int?

    @Option(name: .customLong("output-dir"), help: "The directory to write the files into.")
    var outputDirectory: String = "."

    @Flag(help: "Replace existing SELECTOR.private and SELECTOR.txt files.")
    var force = false

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func validate() throws {
        guard DNSName.isValid(DNSName.normalized(domain)) else {
            throw ValidationError("'\(domain)' is not a valid domain name.")
        }
        guard DNSName.isValid(selector) else {
            throw ValidationError("'\(selector)' is not a valid selector (letters, digits, '-', labels split by '.').")
        }
        if let bits {
            guard algorithm.keyType == .rsa else {
                throw ValidationError("--bits applies to RSA keys only; Ed25519 keys have a fixed size.")
            }
            guard (DKIMKeySize.minimumRSABits...DKIMKeySize.maximumRSABits).contains(bits) else {
                throw ValidationError(
                    "--bits must be between \(DKIMKeySize.minimumRSABits) and \(DKIMKeySize.maximumRSABits) "
                        + "(RFC 8301 §3.2 forbids smaller keys)."
                )
            }
        }
    }

    func run() throws {
        let domain = DNSName.normalized(self.domain)
        let bits = self.bits ?? DKIMKeySize.recommendedRSABits
        let privatePath = MailStore.join(outputDirectory, "\(selector).private")
        let recordPath = MailStore.join(outputDirectory, "\(selector).txt")

        // A missing output directory is created private (0700): it is about to hold a private key.
        if !OutputFile.exists(outputDirectory) {
            guard mkdir(outputDirectory, 0o700) == 0 else {
                throw Console.fail("cannot create the directory \(outputDirectory): \(OutputFile.errnoDescription())",
                                   SysExit.cannotCreateOutput)
            }
        }
        if !force {
            for path in [privatePath, recordPath] where OutputFile.exists(path) {
                throw Console.fail("\(path) already exists; use --force to replace it", SysExit.cannotCreateOutput)
            }
        }
        if algorithm.keyType == .rsa, bits < DKIMKeySize.recommendedRSABits {
            Console.warning(
                "a \(bits)-bit RSA key is weak; RFC 8301 §3.2 asks for at least \(DKIMKeySize.recommendedRSABits) "
                    + "bits. Use it only if your DNS provider cannot publish a longer record."
            )
        }

        let key: DKIMPrivateKey
        let record: DKIMKeyRecord
        do {
            key = try DKIMPrivateKey.generate(algorithm.keyType, bits: bits)
            record = try DKIMKeyRecord(publicKey: key.publicKey)
        } catch let error as DKIMError {
            throw Console.fail("key generation failed: \(error.reason)", SysExit.internalFailure)
        }

        let zone = record.zoneFileRecord(selector: selector) + "  ; DKIM key \(selector) for \(domain)\n"
        do {
            try OutputFile.write(Array(key.pemRepresentation.utf8), to: privatePath, mode: 0o600, replacing: force)
        } catch let failure as OutputFile.Failure {
            throw Console.fail(failure.message, SysExit.cannotCreateOutput)
        }
        do {
            try OutputFile.write(Array(zone.utf8), to: recordPath, mode: 0o644, replacing: force)
        } catch let failure as OutputFile.Failure {
            // Without --force the key file is new: remove it so a retry starts clean.
            if !force { unlink(privatePath) }
            throw Console.fail(failure.message, SysExit.cannotCreateOutput)
        }

        let recordName = "\(selector)._domainkey.\(domain)"
        switch format {
        case .text:
            Console.out("private key: \(privatePath) (mode 0600, keep it secret)")
            Console.out("zone file:   \(recordPath)")
            Console.out("name:        \(recordName)")
            Console.out("type:        TXT")
            Console.out("value:       \(record.oneLineValue)")
        case .json:
            Console.out(try Console.json(KeygenJSON(
                domain: domain, selector: selector, algorithm: key.type.rawValue, bits: key.bits,
                privateKeyFile: privatePath, recordFile: recordPath, recordName: recordName,
                value: record.oneLineValue, txtStrings: record.txtStrings()
            )))
        }
    }
}

/// `keygen --format json`: one object.
struct KeygenJSON: Encodable {
    var domain: String
    var selector: String
    var algorithm: String
    var bits: Int
    var privateKeyFile: String
    var recordFile: String
    var recordName: String
    var value: String
    var txtStrings: [String]
}

/// `--algorithm rsa|ed25519`.
enum KeyAlgorithm: String, ExpressibleByArgument, CaseIterable {
    case rsa
    case ed25519

    var keyType: DKIMKeyType {
        switch self {
        case .rsa: .rsa
        case .ed25519: .ed25519
        }
    }
}
