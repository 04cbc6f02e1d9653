// A synchronous driver for `valgrind --tool=callgrind` (which cannot run the async `dkimtool`: it crashes in
// libdispatch's main-thread handling). Built and run by Benchmarks/callgrind.sh against the release objects of
// DKIMCore; reads the corpus that `dkimtool bench --corpus DIR` writes.
//
// Usage: harness DIR sign|verify|limit rsa|ed relaxed-relaxed|simple-simple SIZE COUNT
import DKIMCore
import Foundation

let arguments = CommandLine.arguments
guard arguments.count == 7, let size = Int(arguments[5]), let count = Int(arguments[6]) else {
    FileHandle.standardError.write(Data("usage: harness DIR sign|verify rsa|ed CANON SIZE COUNT\n".utf8))
    exit(64)
}
let directory = arguments[1], operation = arguments[2], selector = arguments[3], canonicalization = arguments[4]

func bytes(_ path: String) -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write(Data("cannot read \(path)\n".utf8))
        exit(66)
    }
    return [UInt8](data)
}

func run() async throws -> String {
    if operation == "limit" {
        // What the bench calls the limit's public-key part: one verification of a ready digest with a ready key,
        // plus SHA-256 over SIZE bytes in one update.
        let pem = String(decoding: bytes("\(directory)/\(selector).private"), as: UTF8.self)
        let key = try DKIMPrivateKey(pemRepresentation: pem)
        let message = bytes("\(directory)/msg-\(size).eml")
        let digest = SHA256.hash(message)
        let signature = try key.signature(forDigest: digest)
        let publicKey = key.publicKey
        var passed = 0
        for _ in 0..<count {
            if publicKey.isValidSignature(signature, forDigest: SHA256.hash(message)) { passed += 1 }
        }
        return "verified \(passed) digests"
    }
    if operation == "sign" {
        let pem = String(decoding: bytes("\(directory)/\(selector).private"), as: UTF8.self)
        var options = SignOptions(domain: "example.com", selector: selector,
                                  key: try DKIMPrivateKey(pemRepresentation: pem))
        guard let parsed = Canonicalization(tagValue: canonicalization.replacingOccurrences(of: "-", with: "/")) else {
            return "bad canonicalization"
        }
        options.canonicalization = parsed
        let signer = try DKIMSigner(options: options)
        let message = bytes("\(directory)/msg-\(size).eml")
        var total = 0
        for _ in 0..<count { total &+= try signer.signatureField(for: message).count }
        return "signed \(count), \(total) bytes of fields"
    }
    var options = VerifyOptions(resolver: try TXTRecordFileResolver(contentsOfFile: "\(directory)/txt-records"),
                                clock: { 1_700_000_000 })
    options.maxSignatures = 10
    let verifier = DKIMVerifier(options: options)
    let message = bytes("\(directory)/signed-\(selector)-\(canonicalization)-\(size).eml")
    // One verification outside the count: the key cache is warm, as in a batch.
    let first = try await verifier.verify(message: message)
    guard first.result == .pass else { return "did not pass: \(first.signatures.first?.explanation ?? "")" }
    for _ in 0..<count { _ = try await verifier.verify(message: message) }
    return "verified \(count)"
}

let done = DispatchSemaphore(value: 0)
nonisolated(unsafe) var report = ""
Task.detached {
    do { report = try await run() } catch { report = "error: \(error)" }
    done.signal()
}
done.wait()
print(report)
