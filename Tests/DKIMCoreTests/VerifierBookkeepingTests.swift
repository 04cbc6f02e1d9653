import Testing
@testable import DKIMCore

/// The verifier's per-message helpers: finding the DKIM-Signature fields and counting From fields by words, the key
/// name kept for the last `s=`/`d=`, and the `b=` prefix of a report; each against the plain way of doing it.
@Suite struct VerifierBookkeepingTests {
    /// Header sections whose names have the lengths and bytes the word comparisons look at: every case of the
    /// two names, one byte off in each position, and the byte that differs from `-` only in its 0x20 bit.
    static let names: [String] = {
        var names = ["DKIM-Signature", "dkim-signature", "DKIM-SIGNATURE", "dKiM-sIgNaTuRe", "DKIM_Signature",
                     "DKIM.Signature", "DKIM-Signatures", "DKIM-Signatur", "X-DKIM-Signature", "From", "from", "FROM",
                     "fRoM", "Fro", "Frome", "Date", "Fr0m", "Grom", "Content-Type", "Received"]
        // Each byte of both names replaced by its neighbours.
        for name in ["DKIM-Signature", "from"] {
            let bytes = Array(name.utf8)
            for index in bytes.indices {
                for delta in [-1, 1, 0x20] {
                    var changed = bytes
                    changed[index] = UInt8(truncatingIfNeeded: Int(bytes[index]) + delta)
                    if ASCII.isFieldNameChar(changed[index]) { names.append(String(decoding: changed, as: UTF8.self)) }
                }
            }
        }
        return names
    }()

    static func table(_ names: [String]) throws -> HeaderTable {
        let text = names.map { "\($0): value\r\n" }.joined() + "\r\nbody\r\n"
        return try HeaderTable(parsing: Array(text.utf8), limits: .standard)
    }

    @Test func signatureFieldsAreFoundAsByNameComparison() throws {
        // Every name once, then rotations, so matches fall at every position and next to each other.
        for shift in 0..<Self.names.count {
            let names = Array(Self.names[shift...] + Self.names[..<shift]) + ["DKIM-Signature"]
            let table = try Self.table(names)
            var found: [Int] = []
            var index = DKIMVerifier.nextSignatureField(in: table, from: 0)
            while index < table.count {
                found.append(index)
                index = DKIMVerifier.nextSignatureField(in: table, from: index + 1)
            }
            let expected = names.indices.filter { names[$0].lowercased() == "dkim-signature" }
            #expect(found == expected)
            #expect(found == table.indices(named: DKIMSignature.fieldName))
            #expect(DKIMVerifier.fromFieldCount(in: table) == names.count { $0.lowercased() == "from" })
        }
    }

    @Test func noFieldsAtAll() throws {
        let table = try HeaderTable(parsing: Array("\r\nbody".utf8), limits: .standard)
        #expect(DKIMVerifier.nextSignatureField(in: table, from: 0) == 0)
        #expect(DKIMVerifier.fromFieldCount(in: table) == 0)
    }

    @Test func keyNamesFollowTheirSelectorAndDomain() {
        let cache = KeyNameCache()
        let pairs = [("s1", "example.com"), ("s1", "example.com"), ("s2", "example.com"), ("s2", "example.org"),
                     ("a-rather-long-selector-name", "mail.subdomain.example.com"), ("s\u{E9}l", "example.com"),
                     ("se\u{301}l", "example.com"), ("se\u{301}l", "example.com"), ("", "")]
        for (selector, domain) in pairs {
            let (keyName, sentence) = cache.names(selector: selector, domain: domain)
            // Compared as bytes: the precomposed and decomposed selectors are equal Strings but other DNS names.
            #expect(Array(keyName.utf8) == Array((selector + "._domainkey." + domain).utf8))
            #expect(Array(sentence.utf8) == Array("The signature verified with the key at \(keyName).".utf8))
        }
        #expect(KeyNameCache.sameBytes("s\u{E9}l", "s\u{E9}l"))
        #expect(!KeyNameCache.sameBytes("s\u{E9}l", "se\u{301}l"))
        #expect(!KeyNameCache.sameBytes("ab", "abc"))
        #expect(KeyNameCache.sameBytes("", ""))
    }

    @Test(arguments: ["AbCdEfGhIj", "AbCdEfGh", "AbC", "", "Ab\r\n CdEfGhIj", "AbCdEfG\r\n\th", " \tAbCdEfGhIj",
                      "Ab Cd Ef Gh", "\u{E9}\u{E9}\u{E9}\u{E9}\u{E9}", "AbCdEfG\u{E9}x"])
    func signaturePrefixIsTheFirstEightCharacters(_ text: String) {
        let value = Array(text.utf8)[...]
        let expected = value.filter { !(ASCII.isWSP($0) || $0 == ASCII.cr || $0 == ASCII.lf) }.prefix(8)
        // Eight bytes, decoded as UTF-8 with repair (a character cut at the eighth byte is replaced).
        #expect(PartialSignature.prefix(of: value) == String(decoding: Array(expected), as: UTF8.self))
    }
}
