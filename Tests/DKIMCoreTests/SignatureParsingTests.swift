import Foundation
import Testing
@testable import DKIMCore

/// Reads a stored DKIM-Signature field and returns its bytes and the slice after the colon, without the CRLF.
func loadSignatureVector(_ name: String) throws -> (field: [UInt8], value: ArraySlice<UInt8>) {
    let field = try Vectors.bytes("signatures/\(name)")
    let colon = try #require(field.firstIndex(of: UInt8(ascii: ":")))
    #expect(field.suffix(2) == [0x0D, 0x0A])
    return (field, field[(colon + 1)..<(field.count - 2)])
}

@Suite struct SignatureParsingTests {
    private func parse(_ text: String) throws -> DKIMSignature { try DKIMSignature(parsing: Array(text.utf8)) }

    /// A minimal valid value; `replacing` swaps or removes (nil) one tag.
    private func value(_ changes: [String: String?] = [:], extra: String = "") -> String {
        var tags: [(String, String)] = [
            ("v", "1"), ("a", "rsa-sha256"), ("d", "example.com"), ("s", "sel"), ("h", "from:to"),
            ("bh", "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8="), ("b", "AAAA"),
        ]
        for (name, replacement) in changes {
            if let index = tags.firstIndex(where: { $0.0 == name }) {
                if let replacement { tags[index].1 = replacement } else { tags.remove(at: index) }
            } else if let replacement {
                tags.append((name, replacement))
            }
        }
        return tags.map { "\($0.0)=\($0.1)" }.joined(separator: "; ") + extra
    }

    private func expectMalformed(_ text: String, mentioning fragment: String, code: DKIMError.Code = .malformedSignature,
                                 sourceLocation: SourceLocation = #_sourceLocation) {
        let error = #expect(throws: DKIMError(code, ""), sourceLocation: sourceLocation) {
            try parse(text)
        }
        #expect(error?.reason.contains(fragment) == true, "\(error?.reason ?? "")", sourceLocation: sourceLocation)
    }

    // MARK: RFC vectors

    @Test func parsesRFC6376AppendixA2() throws {
        let (field, value) = try loadSignatureVector("rfc6376-a2.txt")
        let signature = try DKIMSignature(parsing: value)
        #expect(signature.version == 1)
        #expect(signature.algorithm == .rsaSHA256)
        #expect(signature.selector == "brisbane")
        #expect(signature.domain == "example.com")
        #expect(signature.canonicalization == .simple)
        #expect(signature.queryMethods == ["dns/txt"])
        #expect(signature.identity == "joe@football.example.com")
        #expect(signature.signedHeaders == ["Received", "From", "To", "Subject", "Date", "Message-ID"])
        #expect(Base64.encode(signature.bodyHash) == "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=")
        #expect(Base64.encode(signature.signature) == "AuUoFEfDxTDkHlLXSZEpZj79LICEps6eda7W3deTVFOk4yAUoqOB"
            + "4nujc7YopdG5dWLSdNg6xNAZpOPr+kHxt1IrE+NahM6L/LbvaHut"
            + "KVdkLLkpVaVVQPzeRDI009SO2Il5Lu7rDNH6mZckBdrIx0orEtZV4bmp/YzhwvcubU4=")
        #expect(signature.timestamp == nil && signature.expiration == nil && signature.bodyLength == nil)
        // The range indexes the raw field: it starts at the first base64 character, ends before the ';'.
        let b = String(decoding: field[signature.signatureValueRange], as: UTF8.self)
        #expect(b.hasPrefix("AuUoFEfDxTDk") && b.hasSuffix("\r\n        4bmp/YzhwvcubU4="))
        #expect(field[signature.signatureValueRange.upperBound] == UInt8(ascii: ";"))
    }

    @Test func parsesRFC8463AppendixA3Ed25519() throws {
        let (field, value) = try loadSignatureVector("rfc8463-a3-ed25519.txt")
        let signature = try DKIMSignature(parsing: value)
        #expect(signature.algorithm == .ed25519SHA256)
        #expect(signature.canonicalization == .relaxed)
        #expect(signature.domain == "football.example.com")
        #expect(signature.identity == "@football.example.com")
        #expect(signature.selector == "brisbane")
        #expect(signature.timestamp == 1_528_637_909)
        #expect(signature.signedHeaders == ["from", "to", "subject", "date", "message-id", "from", "subject", "date"])
        #expect(signature.signature.count == 64)
        #expect(Base64.encode(signature.signature)
            == "/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11BusFa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==")
        // b= is the last tag and ends the field.
        #expect(signature.signatureValueRange.upperBound == field.count - 2)
    }

    @Test func parsesRFC8463AppendixA3RSA() throws {
        let (_, value) = try loadSignatureVector("rfc8463-a3-rsa.txt")
        let signature = try DKIMSignature(parsing: value)
        #expect(signature.algorithm == .rsaSHA256)
        #expect(signature.selector == "test")
        #expect(signature.signature.count == 128)
        #expect(signature.effectiveIdentity == "@football.example.com")
    }

    @Test func parsesTheRFC6376Section35Example() throws {
        // RFC 6376 §3.5, the example signature with z= (indentation is not significant).
        let text = "v=1; a=rsa-sha256; d=example.net; s=brisbane;\r\n"
            + "  c=simple; q=dns/txt; i=@eng.example.net;\r\n"
            + "  t=1117574938; x=1118006938;\r\n"
            + "  h=from:to:subject:date;\r\n"
            + "  z=From:foo@eng.example.net|To:joe@example.com|\r\n"
            + "    Subject:demo=20run|Date:July=205,=202005=203:44:08=20PM=20-0700;\r\n"
            + "  bh=MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=;\r\n"
            + "  b=dzdVyOfAKCdLXdJOc9G2q8LoXSlEniSbav+yuU4zGeeruD00lszZVoG4ZHRNiYzR"
        let signature = try parse(text)
        #expect(signature.canonicalization == .simple)
        #expect(signature.identity == "@eng.example.net")
        #expect(signature.timestamp == 1_117_574_938)
        #expect(signature.expiration == 1_118_006_938)
        #expect(signature.bodyHash == Array("12345678901234567890123456789012".utf8))
        #expect(signature.copiedHeaders == [
            "From:foo@eng.example.net", "To:joe@example.com", "Subject:demo run",
            "Date:July 5, 2005 3:44:08 PM -0700",
        ].map { Array($0.utf8) })
    }

    // MARK: Required tags, version, duplicates, unknown tags

    @Test(arguments: ["v", "a", "b", "bh", "d", "h", "s"])
    func rejectsAMissingRequiredTag(_ name: String) {
        expectMalformed(value([name: nil]), mentioning: "required tag \(name)=")
    }

    @Test func acceptsTheMinimalValue() throws {
        let signature = try parse(value())
        #expect(signature.signature == [0, 0, 0])
        #expect(signature.canonicalization == .simple)
        #expect(signature.identity == nil && signature.effectiveIdentity == "@example.com")
    }

    @Test func rejectsADuplicateTag() {
        expectMalformed(value(extra: "; d=example.org"), mentioning: "\"d\"")
    }

    @Test(arguments: ["2", "01", "1.0", ""])
    func rejectsAnyVersionButOne(_ version: String) {
        expectMalformed(value(["v": version]), mentioning: "v=")
    }

    @Test func ignoresUnknownTagsButKeepsThem() throws {
        let signature = try parse(value(extra: "; foo=bar baz; zz=; r=y"))
        #expect(signature.tags["foo"]?.stringValue == "bar baz")
        #expect(signature.tags["r"]?.stringValue == "y")
        #expect(signature == (try parse(value())))
    }

    @Test func reportsTagListErrorsAsMalformedSignatures() {
        expectMalformed("v=1; a", mentioning: "tag list")
    }

    // MARK: a=, b=, bh=, c=

    @Test(arguments: [
        ("rsa-sha256", SignatureAlgorithm.rsaSHA256), ("ed25519-sha256", .ed25519SHA256),
        ("rsa-sha1", .rsaSHA1), ("RSA-SHA256", .rsaSHA256), ("rsa-sha512", .other("rsa-sha512")),
    ])
    func parsesAlgorithms(text: String, algorithm: SignatureAlgorithm) throws {
        #expect(try parse(value(["a": text])).algorithm == algorithm)
    }

    // The names as signers write them are compared whole before the general rules (RFC 5234 §2.3: any case);
    // every case form and a near miss must give what those rules give.
    @Test(arguments: [
        ("ed25519-sha256", SignatureAlgorithm.ed25519SHA256), ("ED25519-sha256", .ed25519SHA256),
        ("Rsa-Sha256", .rsaSHA256), ("rsa-sha25", .other("rsa-sha25")), ("rsa-sha2560", .other("rsa-sha2560")),
        ("ed25519-sha2566", .other("ed25519-sha2566")), ("xrsa-sha256", .other("xrsa-sha256")),
    ])
    func parsesAlgorithmsInEveryCaseAndNearMisses(text: String, algorithm: SignatureAlgorithm) throws {
        #expect(try parse(value(["a": text])).algorithm == algorithm)
    }

    // Bytes of 0x80 and above pass the tag list (RFC 8616 §4) and are refused here.
    @Test func rejectsAnEmptyOrNonASCIIAlgorithm() {
        expectMalformed(value(["a": ""]), mentioning: "a= is empty")
        expectMalformed(value(["a": "rsa-sha\u{E9}256"]), mentioning: "must be printable ASCII")
    }

    // l= 1*76DIGIT, t= 1*12DIGIT (RFC 6376 §3.5): up to 18 digits are read in one pass, longer values with
    // checked steps; both must agree at the edges (leading zeros, Int64.max, one past it).
    @Test(arguments: [
        ("0", 0), ("000123", 123), ("999999999999999999", 999_999_999_999_999_999),
        ("0000000000000000001", 1), ("9223372036854775807", Int.max),
        ("00000000000000000000000000009223372036854775807", Int.max),
    ])
    func readsBodyLengths(text: String, length: Int) throws {
        #expect(try parse(value(["l": text])).bodyLength == length)
    }

    @Test(arguments: [
        ("9223372036854775808", "too large"), ("99999999999999999999", "too large"),
        (String(repeating: "1", count: 77), "more than 76 digits"), ("12a", "not a decimal number"),
        ("", "not a decimal number"), ("1 2", "not a decimal number"), ("-1", "not a decimal number"),
    ])
    func rejectsBadBodyLengths(text: String, fragment: String) {
        expectMalformed(value(["l": text]), mentioning: fragment)
    }

    @Test func readsTimestampsUpToTwelveDigits() throws {
        #expect(try parse(value(["t": "999999999999"])).timestamp == 999_999_999_999)
        #expect(try parse(value(["t": "000000000001", "x": "2"])).expiration == 2)
        expectMalformed(value(["t": "1000000000000"]), mentioning: "more than 12 digits")
        expectMalformed(value(["x": "0x10"]), mentioning: "not a decimal number")
    }

    @Test func namesBInABase64Error() {
        let error = #expect(throws: DKIMError.self) { try parse(value(["b": "AA!A"])) }
        #expect(error?.code == .malformedSignature)
        #expect(error?.reason.hasPrefix("b= ") == true)
    }

    @Test func namesBHInABase64Error() {
        let error = #expect(throws: DKIMError.self) { try parse(value(["bh": "AAA"])) }
        #expect(error?.reason.hasPrefix("bh= ") == true)
    }

    @Test func acceptsFoldedBase64() throws {
        let signature = try parse(value(["b": "AA\r\n AA"]))
        #expect(signature.signature == [0, 0, 0])
    }

    @Test(arguments: ["b", "bh"])
    func rejectsAnEmptyBase64Value(_ name: String) {
        expectMalformed(value([name: ""]), mentioning: "\(name)= is empty")
    }

    @Test(arguments: [
        ("relaxed", "relaxed", "simple"), ("relaxed/relaxed", "relaxed", "relaxed"),
        ("simple/relaxed", "simple", "relaxed"), ("Relaxed/Simple", "relaxed", "simple"),
    ])
    func parsesCanonicalization(text: String, header: String, body: String) throws {
        let tag = try parse(value(["c": text])).canonicalization
        #expect(tag.header.rawValue == header && tag.body.rawValue == body)
    }

    @Test(arguments: [
        ("simple/simple", "simple", "simple"), ("relaxed/simple", "relaxed", "simple"), ("simple", "simple", "simple"),
        ("SIMPLE/RELAXED", "simple", "relaxed"), ("relaxed/Relaxed", "relaxed", "relaxed"),
        ("Simple/Simple", "simple", "simple"),
    ])
    func parsesEveryFullCanonicalizationFormInAnyCase(text: String, header: String, body: String) throws {
        let tag = try parse(value(["c": text])).canonicalization
        #expect(tag.header.rawValue == header && tag.body.rawValue == body)
    }

    @Test(arguments: ["simple/bogus", "relaxed/", "/relaxed", "nowsp", "relaxed/simple/simple", "",
                      "relaxed/relaxe", "relaxed/relaxedd", "simple/simplex", "relaxed/simpl\u{E9}"])
    func rejectsUnknownCanonicalization(_ text: String) {
        expectMalformed(value(["c": text]), mentioning: "c=")
    }

    // MARK: d=, s=, i=

    @Test(arguments: ["example", "-bad.example", "bad-.example", "exa_mple.com", "example.com.", "a..example",
                      String(repeating: "a", count: 64) + ".example", "exa mple.com"])
    func rejectsBadDomains(_ domain: String) {
        expectMalformed(value(["d": domain]), mentioning: "d=")
    }

    @Test(arguments: ["EXAMPLE.com", "a-b.example.co.uk", "xn--bcher-kva.example", "b\u{FC}cher.example",
                      String(repeating: "a", count: 63) + ".example"])
    func acceptsDomains(_ domain: String) throws {
        #expect(try parse(value(["d": domain])).domain == domain)
    }

    @Test(arguments: ["mail.2024", "s1", "selector1-contoso-com"])
    func acceptsSelectors(_ selector: String) throws {
        #expect(try parse(value(["s": selector])).selector == selector)
    }

    @Test(arguments: ["bad_sel", "", "a..b", "-x"])
    func rejectsBadSelectors(_ selector: String) {
        expectMalformed(value(["s": selector]), mentioning: "s=")
    }

    @Test(arguments: ["@example.com", "joe@example.com", "joe@mail.example.com", "@EXAMPLE.COM",
                      "joe@Sub.Example.Com"])
    func acceptsIdentitiesInsideTheDomain(_ identity: String) throws {
        #expect(try parse(value(["i": identity])).identity == identity)
    }

    @Test(arguments: ["@evilexample.com", "joe@example.org", "joe@example.com.evil.net"])
    func rejectsIdentitiesOutsideTheDomain(_ identity: String) {
        expectMalformed(value(["i": identity]), mentioning: "i=", code: .identityOutsideDomain)
    }

    @Test(arguments: ["joe@com", "joe", "joe@"])
    func rejectsMalformedIdentities(_ identity: String) {
        expectMalformed(value(["i": identity]), mentioning: "i=")
    }

    @Test func decodesQuotedPrintableIdentities() throws {
        #expect(try parse(value(["i": "j=3Boe=20x@example.com"])).identity == "j;oe x@example.com")
        expectMalformed(value(["i": "joe=4@example.com"]), mentioning: "i=")
    }

    // MARK: h=

    @Test func keepsHeaderNamesAsWrittenInOrderWithRepeats() throws {
        let signature = try parse(value(["h": "From : To:\r\n Subject:from"]))
        #expect(signature.signedHeaders == ["From", "To", "Subject", "from"])
    }

    @Test(arguments: ["to:subject", "x-from:to", "fromage"])
    func rejectsHeaderListsWithoutFrom(_ list: String) {
        expectMalformed(value(["h": list]), mentioning: "From", code: .fromNotSigned)
    }

    @Test(arguments: ["from::to", "from:", ":from", "fr om"])
    func rejectsMalformedHeaderLists(_ list: String) {
        expectMalformed(value(["h": list]), mentioning: "h=")
    }

    // RFC 6376 §3.5: sig-h-tag = %x68 [FWS] "=" [FWS] hdr-name *( [FWS] ":" [FWS] hdr-name ), FWS being
    // [*WSP CRLF] 1*WSP (RFC 5322 §3.2.2); the From match ignores ASCII case (RFC 5234 §2.3).
    @Test(arguments: [
        ("FROM", ["FROM"]), ("to\t:\tfRoM", ["to", "fRoM"]), ("to \r\n\t:\r\n from", ["to", "from"]),
        ("x-a:from:x-b", ["x-a", "from", "x-b"]), ("from:from", ["from", "from"]),
    ])
    func acceptsHeaderListsWithFoldingAroundColons(text: String, names: [String]) throws {
        #expect(try parse(value(["h": text])).signedHeaders == names)
    }

    // An hdr-name is a field-name (RFC 5322 §3.6.8: printable ASCII except ':'), so white space inside one, a
    // byte above 0x7E makes the item invalid; the message names the item with its surrounding FWS trimmed.
    @Test(arguments: [
        ("from:fr om:to", "fr om"), ("from: to x \t:cc", "to x"), ("fr\u{E9}:from", "fr\u{E9}"),
        ("from:to\r\n x", "to\r\n x"),
    ])
    func namesTheInvalidHeaderName(list: String, item: String) {
        expectMalformed(value(["h": list]), mentioning: "h= holds an invalid header field name \"\(item)\"")
    }

    @Test(arguments: ["from::to", "from: \t:to", "from:", "from : ", " :from"])
    func namesAnEmptyHeaderListItem(_ list: String) {
        expectMalformed(value(["h": list]), mentioning: "has an empty item between colons")
    }

    @Test(arguments: ["from:fr om:to::x", "from:to:"])
    func reportsTheFirstFaultyItemFirst(_ list: String) {
        let expected = list.hasSuffix(":") ? "empty item" : "invalid header field name \"fr om\""
        expectMalformed(value(["h": list]), mentioning: expected)
    }

    @Test func namesAnInvalidQueryMethod() {
        expectMalformed(value(["q": "dns/txt:foo bar"]), mentioning: "q= holds an invalid query method \"foo bar\"")
    }

    @Test(arguments: ["Dns/Txt", " dns/txt ", "x:DNS/txt"])
    func matchesDnsTxtIgnoringCase(_ text: String) throws {
        _ = try parse(value(["q": text]))
    }

    /// The packed tag names the parser switches on (TagList.Key) agree with the TagList packing of the RFC 6376 §3.5
    /// names.
    @Test(arguments: [
        ("v", TagList.Key.v), ("a", TagList.Key.a), ("b", TagList.Key.b),
        ("bh", TagList.Key.bh), ("c", TagList.Key.c), ("d", TagList.Key.d),
        ("h", TagList.Key.h), ("i", TagList.Key.i), ("l", TagList.Key.l),
        ("q", TagList.Key.q), ("s", TagList.Key.s), ("t", TagList.Key.t),
        ("x", TagList.Key.x), ("z", TagList.Key.z),
    ])
    func tagKeysMatchTheTagListPacking(name: String, key: UInt64) {
        #expect(TagList.nameKey(name.utf8) == key)
    }

    // MARK: t=, x=, l=, q=

    @Test func parsesTimes() throws {
        let signature = try parse(value(["t": "999999999999"]))
        #expect(signature.timestamp == 999_999_999_999)
    }

    @Test(arguments: ["t", "x"])
    func rejectsThirteenDigitTimes(_ name: String) {
        expectMalformed(value([name: "1000000000000"]), mentioning: "\(name)= has more than 12 digits")
    }

    @Test(arguments: ["-1", "+5", "1e3", "", "12 34", "0x10"])
    func rejectsNonDigitTimes(_ text: String) {
        expectMalformed(value(["t": text]), mentioning: "t=")
    }

    @Test(arguments: ["1000", "999"])
    func rejectsExpirationNotAfterTimestamp(_ expiration: String) {
        expectMalformed(value(["t": "1000", "x": expiration]), mentioning: "x=\(expiration) is not after t=1000")
    }

    @Test func acceptsExpirationAfterTimestamp() throws {
        let signature = try parse(value(["t": "1000", "x": "1001"]))
        #expect(signature.timestamp == 1000 && signature.expiration == 1001)
    }

    @Test func parsesBodyLength() throws {
        #expect(try parse(value(["l": "0"])).bodyLength == 0)
        #expect(try parse(value(["l": "9223372036854775807"])).bodyLength == Int.max)
    }

    @Test(arguments: ["99999999999999999999999", "9223372036854775808", String(repeating: "1", count: 77), "-1", "1k"])
    func rejectsBadBodyLengths(_ text: String) {
        expectMalformed(value(["l": text]), mentioning: "l=")
    }

    @Test(arguments: [
        ("dns/txt", ["dns/txt"]), ("DNS/TXT", ["DNS/TXT"]), ("foo/bar : dns/txt", ["foo/bar", "dns/txt"]),
    ])
    func acceptsQueryMethodsOfferingDnsTxt(text: String, methods: [String]) throws {
        #expect(try parse(value(["q": text])).queryMethods == methods)
    }

    @Test(arguments: ["foo/bar", "dns", "dns/txt:", ""])
    func rejectsQueryMethodsWithoutDnsTxt(_ text: String) {
        expectMalformed(value(["q": text]), mentioning: "q=")
    }

    @Test(arguments: ["From", "From:a|:b", "=3A:x"])
    func rejectsBadCopiedHeaders(_ text: String) {
        expectMalformed(value(["z": text]), mentioning: "z=")
    }

    // MARK: Time checks

    @Test func reportsExpiredSignatures() throws {
        let signature = try parse(value(["t": "1000", "x": "2000"]))
        #expect(signature.validate(now: 2000) == nil)
        let problem = signature.validate(now: 2001)
        #expect(problem == .expired(expiration: 2000, now: 2001))
        #expect(problem?.reason == "signature-expired")
    }

    @Test func allowsClockSkewForTimestamps() throws {
        let signature = try parse(value(["t": "10300"]))
        #expect(DKIMSignature.defaultClockSkew == 300)
        #expect(signature.validate(now: 10000) == nil)
        let problem = signature.validate(now: 9999)
        #expect(problem == .timestampInFuture(timestamp: 10300, now: 9999))
        #expect(problem?.reason == "timestamp-in-future")
        #expect(signature.validate(now: 10000, clockSkew: 0) != nil)
        #expect(signature.validate(now: 10300, clockSkew: -5) == nil)
        #expect(signature.validate(now: Int64.max, clockSkew: Int64.max) == nil)
    }

    @Test func withoutTimesNothingIsReported() throws {
        #expect(try parse(value()).validate(now: Int64.max) == nil)
    }
}
