import Testing
@testable import DKIMCore

@Suite struct TagListTests {
    private func parse(_ text: String) throws -> TagList { try TagList(parsing: Array(text.utf8)) }

    @Test func keepsOrderAndTrimsValues() throws {
        let list = try parse(" v = 1 ;a=rsa-sha256;\r\n\td=example.com ; ")
        #expect(list.tags.map(\.name) == ["v", "a", "d"])
        #expect(list["v"]?.stringValue == "1")
        #expect(list["d"]?.stringValue == "example.com")
    }

    @Test func valueRangeLocatesTheValueInTheInput() throws {
        let input = Array("a=1; b=AbC\r\n DeF ; c=".utf8)
        let list = try TagList(parsing: input)
        let b = try #require(list["b"])
        #expect(Array(input[b.valueRange]) == Array("AbC\r\n DeF".utf8))
        #expect(b.valueWithoutWhitespace == Array("AbCDeF".utf8))
        let c = try #require(list["c"])
        #expect(c.value.isEmpty)
        #expect(c.valueRange.lowerBound == input.count)
    }

    @Test func rangesUseTheSliceIndices() throws {
        let field = Array("DKIM-Signature: v=1; b=xyz".utf8)
        let colon = try #require(field.firstIndex(of: UInt8(ascii: ":")))
        let list = try TagList(parsing: field[(colon + 1)...])
        let b = try #require(list["b"])
        #expect(b.valueRange == 23..<26)
        #expect(Array(field[b.valueRange]) == Array("xyz".utf8))
    }

    @Test func unknownTagsAreKept() throws {
        let list = try parse("v=DKIM1; x1 = extra ; zz=")
        #expect(list["x1"]?.stringValue == "extra")
        #expect(list["zz"]?.value.isEmpty == true)
    }

    @Test(arguments: [
        "p=a; p=b",            // duplicate (RFC 6376 §3.2)
        "v=1; =x",             // no name
        "1a=x",                // name must start with ALPHA
        "v",                   // no '='
        "v=1\r\nd=x",          // CRLF not followed by WSP
        "v=a\u{1}b",           // control byte in value
        "v=a\rb",              // bare CR
        "a-b=1",               // '-' is not ALNUMPUNC
    ])
    func rejectsMalformedLists(_ text: String) {
        #expect(throws: DKIMError(.malformedTagList, "")) { try parse(text) }
    }

    @Test func duplicateErrorNamesTheTag() {
        let error = #expect(throws: DKIMError.self) { try parse("p=a; k=rsa; p=b") }
        #expect(error?.reason.contains("\"p\"") == true)
    }

    @Test func emptyListsAndEmptySpecs() throws {
        #expect(try parse("").tags.isEmpty)
        #expect(try parse(" ; ").tags.isEmpty)
        #expect(try parse("a=1;;b=2").tags.map(\.name) == ["a", "b"])
    }

    @Test func utf8ValuesAreAccepted() throws {
        // RFC 8616 §4: UTF-8 may appear in i= and other values.
        let list = try parse("i=j\u{F6}rg@example.com")
        #expect(list["i"]?.stringValue == "j\u{F6}rg@example.com")
    }

    // tag-name = ALPHA *ALNUMPUNC (RFC 6376 §3.2): names are kept as written, case included, whether or not they
    // are among the names RFC 6376 defines (§3.5, §3.6.1), and however long.
    @Test(arguments: ["v", "bh", "p", "k", "B", "bH", "hb", "z_1", "abcdefg", "abcdefgh", "x_very_long_tag_name"])
    func keepsEachNameAsWritten(_ name: String) throws {
        let list = try parse("\(name)=1; y = 2")
        #expect(list.tags.map(\.name) == [name, "y"])
        #expect(list[name]?.stringValue == "1")
        #expect(list["y"]?.stringValue == "2")
    }

    @Test(arguments: ["v", "bh", "z_1", "abcdefg", "abcdefgh", "x_very_long_tag_name"])
    func findsADuplicateOfAnyName(_ name: String) {
        #expect(throws: DKIMError(.malformedTagList, "")) { try parse("\(name)=1; \(name)=2") }
    }

    @Test func foldingAroundNamesAndEqualsIsSkipped() throws {
        let list = try parse(" v\r\n =\t1 ;\r\n\tbh = x\r\n y ;")
        #expect(list.tags.map(\.name) == ["v", "bh"])
        #expect(list["bh"]?.stringValue == "x\r\n y")
    }

    /// The defined names come back for their packed keys and nothing else does.
    @Test func definedNamesMatchTheirKeys() {
        let defined = ["a", "b", "bh", "c", "d", "h", "i", "k", "l", "n", "p", "q", "s", "t", "v", "x", "z"]
        for name in defined {
            #expect(TagList.definedName(TagList.nameKey(name.utf8)) == name)
        }
        for name in ["e", "g", "hb", "B", "BH", "r", "y", "bhx"] {
            #expect(TagList.definedName(TagList.nameKey(name.utf8)) == nil)
        }
    }
}

/// The tag-list parser against a plain byte-by-byte reading of RFC 6376 §3.2 written here, on many generated lists
/// (folds, white space, duplicate names of every kind, bytes a value may not hold), and the duplicate check's
/// name bits.
@Suite struct TagListReferenceTests {
    /// What the reference reading gives: the names and value ranges, or nil for a list it refuses.
    private static func reference(_ bytes: [UInt8]) -> [(name: String, range: Range<Int>)]? {
        func isWSP(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        func isFWSByte(_ byte: UInt8) -> Bool { isWSP(byte) || byte == 0x0D || byte == 0x0A }
        // FWS: WSP, or a line break (CRLF or LF) followed by WSP; a CR without LF is refused.
        func skipFWS(_ start: Int) -> Int? {
            var index = start
            while index < bytes.count {
                if isWSP(bytes[index]) {
                    index += 1
                } else if bytes[index] == 0x0D || bytes[index] == 0x0A {
                    var next = index + 1
                    if bytes[index] == 0x0D {
                        guard next < bytes.count, bytes[next] == 0x0A else { return nil }
                        next += 1
                    }
                    guard next < bytes.count, isWSP(bytes[next]) else { return nil }
                    index = next
                } else {
                    break
                }
            }
            return index
        }
        func isAlpha(_ byte: UInt8) -> Bool { (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) }
        func isNameByte(_ byte: UInt8) -> Bool { isAlpha(byte) || (byte >= 0x30 && byte <= 0x39) || byte == 0x5F }
        func isValueByte(_ byte: UInt8) -> Bool { byte > 0x20 && byte != 0x3B && byte != 0x7F }
        var result: [(name: String, range: Range<Int>)] = []
        var index = 0
        while index < bytes.count {
            guard let afterSpace = skipFWS(index) else { return nil }
            index = afterSpace
            if index == bytes.count { break }
            if bytes[index] == 0x3B {
                index += 1
                continue
            }
            guard isAlpha(bytes[index]) else { return nil }
            let nameStart = index
            while index < bytes.count, isNameByte(bytes[index]) { index += 1 }
            let name = String(decoding: bytes[nameStart..<index], as: UTF8.self)
            guard let beforeEquals = skipFWS(index), beforeEquals < bytes.count, bytes[beforeEquals] == 0x3D else {
                return nil
            }
            guard let valueStart = skipFWS(beforeEquals + 1) else { return nil }
            index = valueStart
            var valueEnd = valueStart
            while index < bytes.count, bytes[index] != 0x3B {
                if isValueByte(bytes[index]) {
                    index += 1
                    valueEnd = index
                } else if isFWSByte(bytes[index]) {
                    guard let next = skipFWS(index) else { return nil }
                    index = next
                } else {
                    return nil
                }
            }
            if result.contains(where: { $0.name == name }) { return nil }
            result.append((name, valueStart..<valueEnd))
            if index < bytes.count { index += 1 }
        }
        return result
    }

    /// Lists made of tag names (defined, case variants, long, repeated), values with runs longer than sixteen
    /// bytes, and the white space and bytes around them that the grammar accepts or refuses.
    private static func generated() -> [[UInt8]] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Int(state % UInt64(bound))
        }
        let names = ["v", "a", "b", "bh", "c", "d", "h", "s", "t", "A", "B", "bH", "BH", "hb", "z_1", "abcdefg",
                     "abcdefgh", "x_very_long_tag_name", "e", "Z"]
        // Mostly FWS the grammar accepts; now and then a line break without WSP after it, or a bare CR.
        let goodSpaces = ["", "", "", " ", "\t", "\r\n ", "\n\t", " \r\n \r\n\t"]
        let badSpaces = ["\r\n", "\r", "\r\n\r\n "]
        func space() -> [UInt8] {
            Array((next(24) == 0 ? badSpaces[next(badSpaces.count)] : goodSpaces[next(goodSpaces.count)]).utf8)
        }
        let valueBytes: [UInt8] = Array("abcXYZ019+/=:-.@".utf8) + [0x80, 0xC3, 0xA9]
        let odd: [UInt8] = [0x00, 0x01, 0x7F, 0x3D, 0x3B, 0x2C]
        var lists: [[UInt8]] = []
        for _ in 0..<3000 {
            var list: [UInt8] = []
            for _ in 0..<(1 + next(5)) {
                list += space()
                list += Array(names[next(names.count)].utf8)
                list += space() + [0x3D] + space()
                for _ in 0..<next(4) {
                    for _ in 0..<(1 + next(40)) { list.append(valueBytes[next(valueBytes.count)]) }
                    if next(24) == 0 { list.append(odd[next(odd.count)]) }
                    list += space()
                }
                list += space()
                if next(8) != 0 { list.append(0x3B) }
            }
            lists.append(list)
        }
        return lists
    }

    @Test func matchesAByteByByteReadingOfTheGrammar() {
        var accepted = 0
        var refused = 0
        for list in Self.generated() {
            let expected = Self.reference(list)
            let parsed = try? TagList(parsing: list)
            #expect((parsed == nil) == (expected == nil), "\(list)")
            guard let parsed, let expected else {
                refused += 1
                continue
            }
            accepted += 1
            #expect(parsed.tags.map(\.name) == expected.map(\.name), "\(list)")
            #expect(parsed.tags.map(\.valueRange) == expected.map(\.range), "\(list)")
        }
        // Both outcomes occur often enough for the comparison to mean something.
        #expect(accepted > 300 && refused > 300, "accepted \(accepted), refused \(refused)")
    }

    /// Every one-letter name and `bh` has a bit of its own; other names have none.
    @Test func letterBitsAreDistinct() {
        let letters = (UInt8(ascii: "a")...UInt8(ascii: "z")).map { String(UnicodeScalar($0)) }
            + (UInt8(ascii: "A")...UInt8(ascii: "Z")).map { String(UnicodeScalar($0)) } + ["bh"]
        let bits = letters.map { TagList.letterBit(TagList.nameKey($0.utf8)) }
        #expect(!bits.contains(0))
        #expect(bits.allSatisfy { $0.nonzeroBitCount == 1 })
        #expect(Set(bits).count == letters.count)
        for name in ["hb", "BH", "bH", "Bh", "ab", "z_1", "abcdefgh"] {
            #expect(TagList.letterBit(TagList.nameKey(name.utf8)) == 0, "\(name)")
        }
    }

    /// Past the linear-check limit (32 tags) the duplicate is still found, for a defined name seen before the
    /// limit and for one seen after it.
    @Test(arguments: [(1, 38), (35, 39), (0, 31), (31, 32)])
    func duplicatesAreFoundInLongLists(_ first: Int, _ second: Int) {
        var specs = (0..<40).map { "t\($0)=\($0)" }
        specs[first] = "a=1"
        specs[second] = "a=2"
        func parse() throws -> TagList { try TagList(parsing: Array(specs.joined(separator: ";").utf8)) }
        #expect(throws: DKIMError(.malformedTagList, "")) { try parse() }
        specs[second] = "bh=2"
        #expect((try? parse())?.tags.count == 40)
    }

    /// The messages of refused folds name the offset of the line break, as before the inline FWS steps.
    @Test(arguments: [
        ("b=ab\r\ncd", "a line break at offset 4 is not followed by white space"),
        ("b=ab\r cd", "a bare CR at offset 4"),
        ("v=1;\r\nb=2", "a line break at offset 4 is not followed by white space"),
        ("v=1; \r\nb=2", "a line break at offset 5 is not followed by white space"),
        ("v=1;\rb=2", "a bare CR at offset 4"),
        ("v\r\n=1", "a line break at offset 1 is not followed by white space"),
        ("v=\r\n\r\n1", "a line break at offset 2 is not followed by white space"),
    ])
    func refusedFoldsNameTheirOffset(_ text: String, _ reason: String) {
        let error = #expect(throws: DKIMError.self) { try TagList(parsing: Array(text.utf8)) }
        #expect(error?.reason == reason)
    }
}
