// dkim-sign: reads a message on standard input, writes it signed to standard output.
//
//     dkim-sign --domain example.com --selector mail --key mail.private < message.eml > signed.eml
import DKIMCore
import Foundation

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("dkim-sign: \(message)\n".utf8))
    exit(64)
}

/// `--name value` pairs from the command line.
func options(_ arguments: [String]) -> [String: String] {
    var result: [String: String] = [:]
    var index = arguments.startIndex
    while index < arguments.endIndex {
        let name = arguments[index]
        guard name.hasPrefix("--"), index + 1 < arguments.endIndex else { fail("unexpected argument \(name)") }
        result[String(name.dropFirst(2))] = arguments[index + 1]
        index += 2
    }
    return result
}

let given = options(Array(CommandLine.arguments.dropFirst()))
guard let domain = given["domain"], let selector = given["selector"], let keyPath = given["key"] else {
    fail("usage: dkim-sign --domain DOMAIN --selector SELECTOR --key KEYFILE < message > signed")
}

do {
    let pem = try String(contentsOfFile: keyPath, encoding: .utf8)
    let key = try DKIMPrivateKey(pemRepresentation: pem)
    let signer = try DKIMSigner(options: SignOptions(domain: domain, selector: selector, key: key))
    let message = [UInt8](FileHandle.standardInput.readDataToEndOfFile())
    // RFC 6376 §5.3: sign the CRLF form; a file saved with bare LF line ends is converted first.
    let signed = try signer.sign(message: LineEndings.normalizeToCRLF(message))
    FileHandle.standardOutput.write(Data(signed))
} catch let error as DKIMError {
    // A stable code for programs, a sentence for people.
    FileHandle.standardError.write(Data("dkim-sign: \(error.code): \(error.reason)\n".utf8))
    exit(65)
} catch {
    FileHandle.standardError.write(Data("dkim-sign: \(error)\n".utf8))
    exit(66)
}
