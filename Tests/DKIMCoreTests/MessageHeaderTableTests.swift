import Testing
@testable import DKIMCore

/// The verifier reads header fields in place (`HeaderTable`); every answer must equal the one the public
/// `HeaderField` path gives for the same bytes, which the other suites check against RFC 6376 and peer tools.
@Suite struct MessageHeaderTableTests {
    /// The fields of `table` as `HeaderField`s, with the table's names and values beside them.
    func fields(_ table: HeaderTable) -> [HeaderField] {
        (0..<table.count).map { table[$0] }
    }

    static let extraMessages: [String] = [
        "",
        "\r\nFrom: not a header\r\n",
        "From: a\r\nSubject: b",
        "From: a\r\nSubject: b\r\n",
        "Subject \t: x\r\n\tfolded\r\n\r\nbody",
        "A: 1\r\n\r\nB: 2\r\n\r\n",
        "X: \r\nY:\r\n\r\n",
        "DKIM-Signature: v=1; b=abc\r\nFrom: a\r\nfrom: b\r\nFROM: c\r\n\r\nbody\r\n",
    ]

    static var messages: [[UInt8]] {
        get throws {
            try MessageVectors.messageNames.map { try MessageVectors.bytes("messages/\($0).eml") }
                + extraMessages.map { Array($0.utf8) }
        }
    }

    @Test func fieldsAndBodyEqualMessageParts() throws {
        for message in try Self.messages {
            let parts = try MessageParts(parsing: message)
            let table = try HeaderTable(parsing: message, limits: .standard)
            #expect(fields(table) == parts.headers)
            #expect(fields(table).map(\.nameEnd) == parts.headers.map(\.nameEnd))
            #expect(table.body == parts.body)
            #expect(table.body.startIndex == parts.body.startIndex)
            // The spans point into the message itself.
            for span in table.spans {
                #expect(Array(message[span.start..<span.end]) == table[table.spans.firstIndex(of: span) ?? 0].raw)
            }
            // A stream's table, built from fields already parsed, holds the same fields.
            #expect(fields(HeaderTable(fields: parts.headers)) == parts.headers)
        }
    }

    /// The header is parsed in one pass that finds the empty line on the way; the model is the two steps it
    /// replaced: find the first CRLF CRLF within the bound, check the bound, then parse the lines before it.
    static func twoStepModel(_ message: [UInt8], _ limits: DKIMLimits) throws
        -> (spans: [HeaderSectionParser.Span], body: ArraySlice<UInt8>, hasHeaderTerminator: Bool) {
        let split = try MessageParts.split(message, limits: limits)
        let spans = try HeaderSectionParser.spans(of: split.header, firstLineNumber: 1,
                                                  maximumFields: limits.maximumHeaderFields)
        return (spans, split.body, split.hasHeaderTerminator)
    }

    @Test func onePassSplitEqualsTheTwoStepModel() throws {
        let texts = [
            "A: 1\r\n\r\nbody\nwith bare LF\rand CR\r\n",
            "A: 1\r\n \r\n\r\nbody",                  // a fold of white space only, then the empty line
            "A: 1\r\n\tfold\r\nB: 2\r\n\r\n\r\n",
            "\r\n\r\n", "\r\n", "A: 1\r\n\r", "A: 1\r\n\n\r\n", "A: 1\n\r\nB: 2\r\n\r\n",
            "A: 1\r\nB\r\n\r\n", "A 1: x\r\n\r\n", "A : x\r\nB:\r\n\r\nC: y",
            "A: x\ny\rz\r\n\r\n", "A: x\r\rz\r\n\r\n", "A: x\rz", "A: x\nz", "A: no line break at all",
        ]
        var messages = try Self.messages + texts.map { Array($0.utf8) }
        // Every prefix of a message with folds and repeats, so the empty line (or its absence) is everywhere.
        let duplicates = try MessageVectors.bytes("messages/duplicates.eml")
        messages += (0...duplicates.count).map { Array(duplicates[..<$0]) }
        for message in messages {
            for octets in [Int.max, message.count, 40, 38, 37, 36, 20, 2, 1, 0] {
                for fieldCount in [Int.max, 3, 1] {
                    var limits = DKIMLimits.standard
                    limits.maximumHeaderSectionOctets = octets
                    limits.maximumHeaderFields = fieldCount
                    let model = Result { try Self.twoStepModel(message, limits) }
                    let actual = Result { try MessageParts.spans(of: message, limits: limits) }
                    switch (model, actual) {
                    case let (.success(expected), .success(parsed)):
                        #expect(parsed.spans == expected.spans, "\(message) \(octets) \(fieldCount)")
                        #expect(parsed.body == expected.body && parsed.body.startIndex == expected.body.startIndex)
                        #expect(parsed.hasHeaderTerminator == expected.hasHeaderTerminator)
                    case let (.failure(expected as DKIMError), .failure(error as DKIMError)):
                        #expect(error.code == expected.code && error.reason == expected.reason)
                    default:
                        Issue.record("\(message) \(octets) \(fieldCount): \(model) against \(actual)")
                    }
                }
            }
        }
    }

    @Test(arguments: MessagePartsTests.malformed)
    func malformedHeadersFailTheSameWay(_ text: String) {
        let message = Array(text.utf8)
        let expected = #expect(throws: DKIMError.self) { try MessageParts(parsing: message) }
        let actual = #expect(throws: DKIMError.self) { try HeaderTable(parsing: message, limits: .standard) }
        #expect(actual?.code == expected?.code)
        #expect(actual?.reason == expected?.reason)
    }

    @Test func limitsApplyTheSameWay() throws {
        let message = Array("A: 1\r\nB: 2\r\nC: 3\r\n\r\nbody".utf8)
        var fewFields = DKIMLimits.standard
        fewFields.maximumHeaderFields = 2
        var smallHeader = DKIMLimits.standard
        smallHeader.maximumHeaderSectionOctets = 10
        for limits in [fewFields, smallHeader] {
            let expected = #expect(throws: DKIMError.self) { try MessageParts(parsing: message, limits: limits) }
            let actual = #expect(throws: DKIMError.self) { try HeaderTable(parsing: message, limits: limits) }
            #expect(expected?.code == .limitExceeded)
            #expect(actual?.code == expected?.code)
            #expect(actual?.reason == expected?.reason)
        }
    }

    @Test func namesAreFoundOverASCIICaseOnly() throws {
        let message = Array("DKIM-Signature: a\r\nFrom: a\r\nK: k\r\ndkim-signature: b\r\nfrom: b\r\n\r\n".utf8)
        let table = try HeaderTable(parsing: message, limits: .standard)
        #expect(table.indices(named: "DKIM-Signature") == [0, 3])
        #expect(table.indices(named: "FROM") == [1, 4])
        #expect(table.indices(named: "\u{212A}").isEmpty)  // KELVIN SIGN lowercases to "k" in Unicode only
        #expect(table.indices(named: "k") == [2])
        #expect(HeaderField.withNameBytes("From") { table.count(named: $0) } == 2)
        #expect(HeaderField.withNameBytes("To") { table.count(named: $0) } == 0)
    }

    /// The header digest from the table equals the digest from `HeaderField`s, for each field taken as the
    /// signature field, each header canonicalization, with and without a blanked range.
    @Test(arguments: CanonicalizationAlgorithm.allCases)
    func digestEqualsTheHeaderFieldDigest(_ algorithm: CanonicalizationAlgorithm) throws {
        let nameLists: [[String]] = [
            [], ["from"], ["From", "from", "FROM", "from"], ["subject", "x-obs", "to", "received", "Received"],
            ["dkim-signature", "from", "k"], ["X-Long-Header-Name-Of-25c", "FrOm", ""],
        ]
        for message in try Self.messages {
            let parts = try MessageParts(parsing: message)
            let table = try HeaderTable(parsing: message, limits: .standard)
            for (signatureIndex, signatureField) in parts.headers.enumerated() {
                let value = signatureField.value
                let blankings: [Range<Int>?] = [nil, value.startIndex..<value.endIndex,
                                                value.startIndex..<(value.startIndex + value.count / 2)]
                for names in nameLists {
                    for blanking in blankings {
                        let expected = HeaderHash.digest(signedNames: names, headers: parts.headers,
                                                         excluding: signatureIndex, signatureField: signatureField,
                                                         blanking: blanking, algorithm: algorithm)
                        // The verifier's path: the names laid out once, the digest held inline.
                        let laidOut = SignedHeaderNames(names: names, fromCount: 0)
                        let inline = HeaderHash.digest(signedNames: laidOut, table: table, excluding: signatureIndex,
                                                       signatureField: table[signatureIndex], blanking: blanking,
                                                       algorithm: algorithm)
                        #expect(inline.bytes == expected, "\(names) signature field \(signatureIndex)")
                    }
                }
            }
        }
    }

    /// More than `HeaderSelection.scanLimit` comparisons take the dictionary path; it must choose as the scan does.
    @Test func largeHeadersSelectAsSmallOnes() throws {
        var text = ""
        for number in 0..<300 {
            text += "Received: r\(number)\r\nX-\(number % 7): x\r\n"
        }
        let message = Array((text + "From: f\r\n\r\nbody").utf8)
        let parts = try MessageParts(parsing: message)
        let table = try HeaderTable(parsing: message, limits: .standard)
        let names = ["from", "received", "x-3", "X-3", "received", "x-9", "from"]
        #expect(names.count * parts.headers.count > HeaderSelection.scanLimit)
        let signatureField = try HeaderField(raw: Array("DKIM-Signature: v=1; b=\r\n".utf8))
        for algorithm in CanonicalizationAlgorithm.allCases {
            let expected = HeaderHash.digest(signedNames: names, headers: parts.headers, signatureField: signatureField,
                                             blanking: nil, algorithm: algorithm)
            let inline = HeaderHash.digest(signedNames: SignedHeaderNames(names: names, fromCount: 2), table: table,
                                           excluding: nil, signatureField: signatureField, blanking: nil,
                                           algorithm: algorithm)
            #expect(inline.bytes == expected)
        }
        // The model: the same selection through the scan over a short list of the same names.
        let short = Array(parts.headers.suffix(20))
        let shortNames = ["from", "received", "x-3"]
        #expect(shortNames.count * short.count <= HeaderSelection.scanLimit)
        let offset = parts.headers.count - short.count
        let scanned = HeaderSelection.selectIndices(shortNames, from: short).map { $0.map { $0 + offset } }
        #expect(HeaderSelection.selectIndices(shortNames, from: parts.headers) == scanned)
    }
}
