import DKIMCore
import Foundation
import MailAuthRecords
import Testing

/// The RFC 7208 test suite (openspf.org release 2014.04, shipped with pyspf 2.0.14), converted to JSON by
/// TestVectors/spf/convert.py, run against ``StaticDNSResolver``.
@Suite("SPF: the RFC 7208 test suite")
struct SPFSuiteTests {
    struct Suite: Decodable {
        let scenarios: [Scenario]
    }

    struct Scenario: Decodable {
        let description: String
        let zone: [String: [Record]]
        let timeouts: [String: [String]]
        let tests: [Case]
    }

    struct Record: Decodable {
        let type: String
        let value: String?
        let preference: UInt16?
        let exchange: String?
        let strings: [[UInt8?]]?
    }

    struct Case: Decodable {
        let name: String
        let spec: String
        let helo: String
        let host: String
        let mailfrom: String
        let results: [String]
        let explanation: String?
    }

    /// A zone where some names time out for the types they have no record of (the suite's `TIMEOUT`).
    struct Zone: DNSQuerying {
        let base: StaticDNSResolver
        let timeouts: [String: Set<String>]

        func query(_ name: String, type: DNSRecordType) async -> DNSQueryResult {
            var key = name.lowercased()
            if key.hasSuffix(".") { key.removeLast() }
            if let answering = timeouts[key], !answering.contains(Self.label(type)) {
                return .temporaryFailure("DNS timeout")
            }
            return await base.query(name, type: type)
        }

        static func label(_ type: DNSRecordType) -> String {
            switch type {
            case .a: "A"
            case .aaaa: "AAAA"
            case .mx: "MX"
            case .ptr: "PTR"
            case .txt: "TXT"
            }
        }
    }

    static func load() throws -> Suite {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("TestVectors/spf/rfc7208-tests.json")
        return try JSONDecoder().decode(Suite.self, from: Data(contentsOf: url))
    }

    static func zone(_ scenario: Scenario) -> Zone {
        var records: [String: [DNSRecordData]] = [:]
        for (name, entries) in scenario.zone {
            records[name] = entries.compactMap { entry -> DNSRecordData? in
                switch entry.type {
                case "A": return entry.value.flatMap(SPFIPAddress.init).map { .a($0.octets) }
                case "AAAA": return entry.value.flatMap(SPFIPAddress.init).map {
                    $0.isIPv4 ? .aaaa([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + $0.octets) : .aaaa($0.octets)
                }
                case "MX": return .mx(preference: entry.preference ?? 0, exchange: entry.exchange ?? "")
                case "PTR": return entry.value.map { .ptr($0) }
                case "TXT": return .txt(DNSTXTRecord(strings: (entry.strings ?? []).map { $0.map { $0 ?? 0x3F } }))
                default: return nil
                }
            }
        }
        return Zone(base: StaticDNSResolver(records), timeouts: scenario.timeouts.mapValues(Set.init))
    }

    @Test func suitePasses() async throws {
        let suite = try Self.load()
        var passed = 0
        var total = 0
        var failures: [String] = []
        for scenario in suite.scenarios {
            let checker = SPFChecker(resolver: Self.zone(scenario),
                                     options: .init(receivingHost: "unknown", defaultExplanation: "DEFAULT"))
            for test in scenario.tests {
                total += 1
                guard let ip = SPFIPAddress(test.host) else {
                    failures.append("\(test.name) (\(test.spec)): client address \(test.host) does not parse")
                    continue
                }
                let outcome = await checker.check(ip: ip, mailFrom: test.mailfrom, helo: test.helo)
                var problem: String?
                if !test.results.contains(outcome.result.rawValue) {
                    problem = "got \(outcome.result.rawValue), want \(test.results.joined(separator: "|")): "
                        + outcome.reason
                } else if let wanted = test.explanation, outcome.result == .fail, outcome.explanation != wanted {
                    problem = "explanation \"\(outcome.explanation ?? "nil")\", want \"\(wanted)\""
                }
                if let problem {
                    failures.append("\(test.name) (\(scenario.description), \(test.spec)): \(problem)")
                } else {
                    passed += 1
                }
            }
        }
        print("RFC 7208 suite: \(passed) of \(total) cases pass")
        for failure in failures { print("  FAIL \(failure)") }
        #expect(total == 203)
        #expect(Double(passed) >= 0.95 * Double(total), "only \(passed) of \(total) pass: \(failures)")
    }
}
