// dkim-verify: verifies messages with the system DNS resolver and prints an Authentication-Results line each.
//
//     dkim-verify signed.eml other.eml        (or a message on standard input)
//     dkim-verify --nameserver 127.0.0.1:5353 signed.eml
//
// The messages are verified concurrently in a task group: DKIMVerifier is Sendable and verify(message:) is
// async, so it fits structured concurrency as it is. Exit status 0 when every message passed, 1 otherwise.
import DKIMCore
import Foundation

struct Checked: Sendable {
    var name: String
    var headerField: String
    var passed: Bool
}

@main
struct DKIMVerify {
    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        var options = SystemDNSResolver.Options()
        if arguments.first == "--nameserver", arguments.count >= 2 {
            do {
                options.nameservers = [try DNSNameserver(parsing: arguments[1])]
            } catch {
                fail("bad --nameserver \(arguments[1]): \(error)")
            }
            arguments.removeFirst(2)
        }
        let names = arguments.isEmpty ? ["-"] : arguments
        do {
            // One cache for the batch: messages from one sender share a key record.
            let resolver = try CachingKeyResolver(wrapping: try SystemDNSResolver(options: options))
            let verifier = DKIMVerifier(options: VerifyOptions(resolver: resolver))
            let authservID = ProcessInfo.processInfo.hostName
            let results = try await withThrowingTaskGroup(of: (Int, Checked).self) { group in
                for (index, name) in names.enumerated() {
                    let message = try read(name)
                    group.addTask {
                        let outcome = try await verifier.verify(message: LineEndings.normalizeToCRLF(message))
                        let field = AuthenticationResults.headerField(for: outcome, authservID: authservID)
                        return (index, Checked(name: name, headerField: field, passed: outcome.result == .pass))
                    }
                }
                var collected: [(Int, Checked)] = []
                for try await result in group { collected.append(result) }
                return collected.sorted { $0.0 < $1.0 }.map(\.1)
            }
            for result in results {
                print(names.count > 1 ? "\(result.name): \(result.headerField)" : result.headerField)
            }
            exit(results.allSatisfy(\.passed) ? 0 : 1)
        } catch let error as DKIMError {
            fail("\(error.code): \(error.reason)")
        } catch {
            fail("\(error)")
        }
    }

    static func read(_ name: String) throws -> [UInt8] {
        if name == "-" { return [UInt8](FileHandle.standardInput.readDataToEndOfFile()) }
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: name)))
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("dkim-verify: \(message)\n".utf8))
        exit(65)
    }
}
