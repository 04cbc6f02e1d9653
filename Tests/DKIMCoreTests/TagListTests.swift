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
