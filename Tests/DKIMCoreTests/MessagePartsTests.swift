import Foundation
import Testing
@testable import DKIMCore

/// The message vectors under TestVectors/messages/ (see TestVectors/README.md for sources).
enum MessageVectors {
    static func bytes(_ relativePath: String) throws -> [UInt8] {
        try Vectors.bytes(relativePath)
    }

    static let messageNames = ["rfc6376-3.4.5", "folded-after-colon", "utf8-header", "no-body", "empty-body",
                               "duplicates"]
}

@Suite struct MessagePartsTests {
    @Test(arguments: MessageVectors.messageNames)
    func splitsVectorsLikeThePythonModel(_ name: String) throws {
        let message = try MessageVectors.bytes("messages/\(name).eml")
        let parts = try MessageParts(parsing: message)
        #expect(Array(parts.body) == (try MessageVectors.bytes("messages/\(name).body")))
        #expect(parts.headers.flatMap(\.raw) == (try MessageVectors.bytes("messages/\(name).headers.simple")))
        // The body is a slice of the message, not a copy: it ends where the message ends.
        #expect(parts.body.endIndex == message.endIndex)
    }

    @Test func keepsNamesAndFoldingAsWritten() throws {
        let parts = try MessageParts(parsing: try MessageVectors.bytes("messages/folded-after-colon.eml"))
        #expect(parts.headers.map(\.lowercasedName) == ["subject", "from", "to", "x-obs"])
        #expect(parts.headers.map { String(decoding: $0.name, as: UTF8.self) } == ["Subject", "From", "To", "X-Obs"])
        #expect(parts.headers[0].raw == Array("Subject:\r\n\tfoo  bar\r\n".utf8))
        #expect(Array(parts.headers[0].value) == Array("\r\n\tfoo  bar".utf8))
        #expect(Array(parts.headers[1].value) == Array("a@example.com".utf8))
        #expect(Array(parts.headers[2].value) == Array("  b@example.com ".utf8))
        #expect(parts.hasHeaderTerminator)
        #expect(Array(parts.body) == Array("body\r\n".utf8))
    }

    @Test func keepsEightBitHeaderBytes() throws {
        let parts = try MessageParts(parsing: try MessageVectors.bytes("messages/utf8-header.eml"))
        #expect(parts.headers[0].raw == Array("Subject: Grüße   aus Köln\r\n".utf8))
        #expect(parts.headers[1].raw == Array("From: Jöran <j@example.com>\r\n".utf8))
    }

    @Test func messageWithoutEmptyLineIsAllHeader() throws {
        let parts = try MessageParts(parsing: Array("From: a\r\nSubject: b\r\n".utf8))
        #expect(parts.headers.count == 2)
        #expect(parts.body.isEmpty)
        #expect(!parts.hasHeaderTerminator)

        let unterminated = try MessageParts(parsing: Array("From: a\r\nSubject: b".utf8))
        #expect(unterminated.headers.map(\.raw) == [Array("From: a\r\n".utf8), Array("Subject: b".utf8)])
        #expect(unterminated.body.isEmpty)
    }

    @Test func emptyMessageAndLeadingEmptyLine() throws {
        let empty = try MessageParts.parse([])
        #expect(empty.headers.isEmpty && empty.body.isEmpty && !empty.hasHeaderTerminator)

        let headerless = try MessageParts.parse(Array("\r\nFrom: not a header\r\n".utf8))
        #expect(headerless.headers.isEmpty)
        #expect(Array(headerless.body) == Array("From: not a header\r\n".utf8))
        #expect(headerless.body.startIndex == 2)
    }

    @Test func onlyFirstEmptyLineEndsTheHeader() throws {
        let parts = try MessageParts.parse(Array("A: 1\r\n\r\nB: 2\r\n\r\n".utf8))
        #expect(parts.headers.count == 1)
        #expect(Array(parts.body) == Array("B: 2\r\n\r\n".utf8))
        #expect(parts.body.startIndex == 8)
    }

    @Test func veryLongHeaderLine() throws {
        let value = [UInt8](repeating: UInt8(ascii: "v"), count: 1_000_000)
        let message = Array("X-Long: ".utf8) + value + Array("\r\n\r\nb".utf8)
        let parts = try MessageParts.parse(message)
        #expect(parts.headers.count == 1)
        #expect(parts.headers[0].value.count == 1_000_001)
        #expect(Array(parts.body) == [UInt8(ascii: "b")])
    }

    static let malformed: [String] = [
        " leading: continuation\r\nFrom: a\r\n\r\n",   // fold before any field
        "From: a\r\nNo colon on this line\r\n\r\n",      // neither field nor fold
        ": empty name\r\n\r\n",
        "  : empty name after WSP\r\n\r\n",
        "Bad Name: space inside the name\r\n\r\n",
        "From: a\nTo: b\r\n\r\n",                       // bare LF
        "From: a\rTo: b\r\n\r\n",                       // bare CR
        "Grüße: eight-bit name\r\n\r\n",
        "From: a\r\nTo: b\n",                           // bare LF at the end of an unterminated header
    ]

    @Test(arguments: malformed)
    func rejectsMalformedHeaders(_ text: String) {
        #expect(throws: DKIMError(.malformedMessage, "")) {
            try MessageParts(parsing: Array(text.utf8))
        }
    }

    @Test func errorNamesTheLine() throws {
        let error = #expect(throws: DKIMError.self) {
            try MessageParts(parsing: Array("A: 1\r\nB: 2\r\nbroken\r\n\r\n".utf8))
        }
        #expect(error?.reason.contains("line 3") == true)
        // A bare LF is a local line end to convert; a CR that no LF follows is simply not allowed in a header.
        let lineFeed = #expect(throws: DKIMError.self) { try MessageParts(parsing: Array("A: 1\nB: 2\r\n\r\n".utf8)) }
        #expect(lineFeed?.reason.contains("bare LF; normalise line endings") == true)
        let carriageReturn = #expect(throws: DKIMError.self) {
            try MessageParts(parsing: Array("A: 1\r\nB: 2\rmore\r\n\r\n".utf8))
        }
        #expect(carriageReturn?.reason.contains("line 2") == true)
        #expect(carriageReturn?.reason.contains("CR that no LF follows") == true)
    }

    @Test func obsoleteWhiteSpaceBeforeColon() throws {
        let parts = try MessageParts.parse(Array("Subject \t: x\r\n\r\n".utf8))
        #expect(parts.headers[0].name == Array("Subject".utf8))
        #expect(parts.headers[0].colonIndex == 9)
    }

    @Test func headerFieldFromRawBytes() throws {
        let field = try HeaderField(raw: Array("DKIM-Signature: v=1;\r\n\tb=\r\n".utf8))
        #expect(field.lowercasedName == "dkim-signature")
        #expect(field.hasName("DKIM-SIGNATURE"))
        #expect(!field.hasName("\u{212A}"))
        #expect(throws: DKIMError(.malformedMessage, "")) {
            try HeaderField(raw: Array("A: 1\r\nB: 2\r\n".utf8))
        }
        #expect(throws: DKIMError(.malformedMessage, "")) {
            try HeaderField(raw: [])
        }
    }
}

@Suite struct MessageHeaderSectionReaderTests {
    @Test(arguments: MessageVectors.messageNames)
    func everySplitGivesTheOneShotResult(_ name: String) throws {
        let message = try MessageVectors.bytes("messages/\(name).eml")
        let expected = try MessageParts(parsing: message)
        for split in 0...message.count {
            var reader = HeaderSectionReader()
            var body: [UInt8] = []
            var done = false
            for chunk in [message[..<split], message[split...]] {
                if done {
                    body += chunk
                } else if let rest = try reader.feed(chunk) {
                    body += rest
                    done = true
                }
            }
            if !done { _ = try reader.finish() }
            #expect(reader.headers == expected.headers, "split at \(split)")
            #expect(body == Array(expected.body), "split at \(split)")
            #expect(reader.headerSection + body == message, "split at \(split)")
        }
    }

    @Test func byteByByte() throws {
        let message = try MessageVectors.bytes("messages/duplicates.eml")
        var reader = HeaderSectionReader()
        var index = 0
        var rest: ArraySlice<UInt8>?
        while rest == nil, index < message.count {
            rest = try reader.feed(message[index..<(index + 1)])
            index += 1
        }
        #expect(try reader.headers == MessageParts(parsing: message).headers)
        #expect(rest?.isEmpty == true)
        #expect(Array(message[index...]) == Array("x\r\n".utf8))
    }

    /// One chunk holding a large header and body is copied a 16 KiB window at a time: the empty line at every
    /// offset around a window edge (its CR LF CR LF split across two windows) and far past the first window is
    /// found, the body offset is exact, and the kept header section is the header alone.
    @Test(arguments: [16_380, 16_381, 16_382, 16_383, 16_384, 16_385, 40_000])
    func oneLargeChunkIsReadAWindowAtATime(headerLength: Int) throws {
        var header: [UInt8] = []
        var number = 0
        while header.count < headerLength - 80 {
            header += Array("X-Filler-\(number): \(String(repeating: "f", count: 20))\r\n".utf8)
            number += 1
        }
        let pad = headerLength - header.count - Array("Subject: \r\n".utf8).count
        header += Array("Subject: \(String(repeating: "s", count: pad))\r\n".utf8)
        #expect(header.count == headerLength)
        let body = Array(repeating: UInt8(ascii: "b"), count: 100_000)
        let message = header + [13, 10] + body
        var reader = HeaderSectionReader(maximumHeaderLength: 1 << 20, maximumHeaderFields: 10_000)
        let start = try message.withUnsafeBytes { try reader.feed($0) }
        #expect(start == header.count + 2)
        #expect(reader.headerSection == header + [13, 10])
        #expect(try reader.headers == MessageParts(parsing: message).headers)
    }

    @Test func boundsAndMisuse() throws {
        var small = HeaderSectionReader(maximumHeaderLength: 16)
        #expect(throws: DKIMError(.limitExceeded, "")) {
            _ = try small.feed(Array("Subject: a long subject line\r\n".utf8))
        }
        var reader = HeaderSectionReader()
        #expect(try reader.feed(Array("A: 1\r\n\r\nbody".utf8)) == Array("body".utf8)[...])
        #expect(throws: DKIMError(.misuse, "")) { _ = try reader.feed(Array("more".utf8)) }
        #expect(throws: DKIMError(.misuse, "")) { _ = try reader.finish() }
        var bad = HeaderSectionReader()
        #expect(throws: DKIMError(.malformedMessage, "")) { _ = try bad.feed(Array("broken\r\n\r\n".utf8)) }
    }
}
