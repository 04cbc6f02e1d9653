import Testing
@testable import DKIMCore

/// The relaxed body canonicalizer skips clean text 16 bytes at a time and decides the rest byte by byte; these
/// random bodies put SP, HTAB, CR, LF and CR LF at every position of a block, at block and chunk edges, and
/// compare with a plain line-by-line model of RFC 6376 §3.4.4 / §3.4.3 written from the RFC text.
@Suite struct CanonicalizationBodyFastPathTests {
    /// RFC 6376 §3.4.4 read literally: split into lines at CR LF, reduce each WSP run to one SP, drop WSP at line
    /// ends, drop empty lines at the end of the body, end a non-empty body with CR LF.
    static func relaxedModel(_ body: [UInt8]) -> [UInt8] {
        var lines: [[UInt8]] = []
        var line: [UInt8] = []
        var index = 0
        while index < body.count {
            if body[index] == ASCII.cr, index + 1 < body.count, body[index + 1] == ASCII.lf {
                lines.append(line)
                line = []
                index += 2
                continue
            }
            line.append(body[index])
            index += 1
        }
        let lastLineOpen = !line.isEmpty
        if lastLineOpen { lines.append(line) }
        var canonical: [[UInt8]] = lines.map { raw in
            var out: [UInt8] = []
            var pendingSpace = false
            for byte in raw {
                if byte == ASCII.space || byte == ASCII.tab {
                    pendingSpace = true
                    continue
                }
                if pendingSpace { out.append(ASCII.space) }
                pendingSpace = false
                out.append(byte)
            }
            return out
        }
        while canonical.last?.isEmpty == true { canonical.removeLast() }
        return canonical.flatMap { $0 + [ASCII.cr, ASCII.lf] }
    }

    /// RFC 6376 §3.4.3: the body unchanged, trailing CR LFs reduced to one, an empty body becomes CR LF.
    static func simpleModel(_ body: [UInt8]) -> [UInt8] {
        var out = body
        while out.count >= 4, out.suffix(4).elementsEqual([ASCII.cr, ASCII.lf, ASCII.cr, ASCII.lf]) {
            out.removeLast(2)
        }
        if out == [ASCII.cr, ASCII.lf] { return out }
        if !(out.count >= 2 && out.suffix(2).elementsEqual([ASCII.cr, ASCII.lf])) { out += [ASCII.cr, ASCII.lf] }
        return out
    }

    /// Text with white space and line ends at random places; `texture` sets how often a special byte appears.
    static func body(_ random: inout SplitMix64, length: Int, texture: UInt64) -> [UInt8] {
        let letters = Array("abcdefghij.,".utf8)
        var body: [UInt8] = []
        while body.count < length {
            let roll = random.next() % texture
            switch roll {
            case 0: body.append(ASCII.space)
            case 1: body.append(ASCII.tab)
            case 2: body += [ASCII.cr, ASCII.lf]
            case 3: body.append(ASCII.cr)
            case 4: body.append(ASCII.lf)
            case 5: body += [ASCII.space, ASCII.cr, ASCII.lf]
            case 6: body += [ASCII.cr, ASCII.lf, ASCII.cr, ASCII.lf]
            case 7, 8, 9: body.append(ASCII.space)
            default: body.append(letters[Int(random.next() % UInt64(letters.count))])
            }
        }
        return body
    }

    @Test(arguments: [12, 24, 80, 400])
    func randomBodiesMatchTheModel(texture: UInt64) throws {
        var random = SplitMix64(seed: 0xD1A1_0000 + texture)
        for round in 0..<300 {
            let input = Self.body(&random, length: Int(random.next() % 300), texture: texture)
            for algorithm in CanonicalizationAlgorithm.allCases {
                let expected = algorithm == .relaxed ? Self.relaxedModel(input) : Self.simpleModel(input)
                #expect(Canonicalization.canonicalizeBody(input, algorithm) == expected,
                        "round \(round) \(algorithm) \(input)")
                // Two random cuts: chunk edges fall inside blocks, inside CR LF and inside WSP runs.
                let cuts = [Int(random.next() % UInt64(input.count + 1)), Int(random.next() % UInt64(input.count + 1))]
                let low = cuts.min() ?? 0, high = cuts.max() ?? 0
                let streamed = try CanonicalizationBodyTests.stream(
                    [input[..<low], input[low..<high], input[high...]], algorithm).output
                #expect(streamed == expected, "round \(round) \(algorithm) cuts \(low) \(high) \(input)")
            }
        }
    }

    /// Text lines (long enough for the 32-byte block scan) joined by the changes the relaxed run makes in place:
    /// WSP runs between words, WSP before CR LF, empty and WSP-only lines, lines starting with WSP, WSP before a
    /// bare CR; every `l=` from 0 to past the end, one-shot and cut in three, against the model.
    @Test func inLineChangesHonourEveryLimit() throws {
        let word = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
        let joints: [[UInt8]] = [
            [ASCII.space, ASCII.space], [ASCII.tab], [ASCII.space, ASCII.tab, ASCII.space],
            [ASCII.space, ASCII.cr, ASCII.lf], [ASCII.tab, ASCII.space, ASCII.cr, ASCII.lf],
            [ASCII.cr, ASCII.lf, ASCII.cr, ASCII.lf], [ASCII.cr, ASCII.lf, ASCII.space, ASCII.cr, ASCII.lf],
            [ASCII.cr, ASCII.lf, ASCII.tab], [ASCII.cr, ASCII.lf, ASCII.space, ASCII.space],
            [ASCII.space, ASCII.cr], [ASCII.cr, ASCII.lf, ASCII.cr, ASCII.lf, ASCII.tab, ASCII.cr, ASCII.lf],
            [ASCII.space, ASCII.lf], [ASCII.cr, ASCII.lf],
        ]
        var random = SplitMix64(seed: 0x1A11_0E00)
        for round in 0..<40 {
            var input: [UInt8] = []
            for _ in 0..<6 {
                input += word[..<(20 + Int(random.next() % 16))]
                input += joints[Int(random.next() % UInt64(joints.count))]
            }
            let expected = Self.relaxedModel(input)
            #expect(Canonicalization.canonicalizeBody(input, .relaxed) == expected, "round \(round) \(input)")
            let cuts = [Int(random.next() % UInt64(input.count + 1)), Int(random.next() % UInt64(input.count + 1))]
            let low = cuts.min() ?? 0, high = cuts.max() ?? 0
            for limit in 0...(expected.count + 2) {
                let streamed = try CanonicalizationBodyTests.stream(
                    [input[..<low], input[low..<high], input[high...]], .relaxed, limit: limit)
                #expect(streamed.output == Array(expected.prefix(limit)), "round \(round) l=\(limit)")
                #expect(streamed.canonicalizer.canonicalLength == expected.count, "round \(round) l=\(limit)")
            }
        }
    }

    /// `simple` passes each chunk through and holds back only its trailing CR LF pairs and a last CR: one byte per
    /// chunk puts every chunk edge inside a CR LF and inside runs of empty lines; every `l=` and the length are
    /// checked against the model.
    @Test func simpleHoldsBackOnlyTrailingLineEnds() throws {
        var random = SplitMix64(seed: 0x5151_0000)
        for round in 0..<150 {
            let input = Self.body(&random, length: Int(random.next() % 60), texture: 10)
            let expected = Self.simpleModel(input)
            let bytes = input.indices.map { input[$0...$0] }
            let streamed = try CanonicalizationBodyTests.stream(bytes, .simple)
            #expect(streamed.output == expected, "round \(round) \(input)")
            #expect(streamed.canonicalizer.canonicalLength == expected.count, "round \(round)")
            for limit in 0...(expected.count + 1) {
                let cut = Int(random.next() % UInt64(input.count + 1))
                let limited = try CanonicalizationBodyTests.stream([input[..<cut], input[cut...]], .simple,
                                                                   limit: limit)
                #expect(limited.output == Array(expected.prefix(limit)), "round \(round) l=\(limit)")
                #expect(limited.canonicalizer.canonicalLength == expected.count, "round \(round) l=\(limit)")
            }
        }
    }

    /// The block scatter: WSP runs of 1 to 40 bytes (crossing 16- and 32-byte blocks) between words, before CR LF,
    /// before a bare CR and on their own line, at every offset of a block; one-shot, cut at every tenth byte, and
    /// with `l=` just short of the end (large enough for the block path to run on the first chunk).
    @Test(arguments: [[ASCII.space], [ASCII.tab], [ASCII.space, ASCII.tab]])
    func wspRunsAtEveryBlockOffset(run: [UInt8]) throws {
        let tails: [[UInt8]] = [
            Array("word".utf8), [ASCII.cr, ASCII.lf], [ASCII.cr, ASCII.lf, ASCII.cr, ASCII.lf],
            [ASCII.cr, ASCII.cr, ASCII.lf], [ASCII.cr, Array("x".utf8)[0]], [ASCII.lf],
        ]
        for offset in 0..<33 {
            for length in [1, 2, 3, 15, 16, 17, 31, 33, 40] {
                for tail in tails {
                    var input = Array(repeating: Array("p".utf8)[0], count: offset + 1)
                    input += (0..<length).map { run[$0 % run.count] }
                    input += tail
                    input += Array("continued text of the line".utf8)
                    input += Array(repeating: ASCII.space, count: length) + [ASCII.cr, ASCII.lf]
                    input += Array("last line, long enough for two more blocks of text".utf8)
                    let expected = Self.relaxedModel(input)
                    #expect(Canonicalization.canonicalizeBody(input, .relaxed) == expected,
                            "offset \(offset) length \(length) \(tail)")
                    for cut in stride(from: 0, through: input.count, by: 10) {
                        let streamed = try CanonicalizationBodyTests.stream([input[..<cut], input[cut...]], .relaxed)
                        #expect(streamed.output == expected, "offset \(offset) length \(length) cut \(cut)")
                    }
                    for limit in (expected.count - 3)...(expected.count + 1) {
                        let limited = try CanonicalizationBodyTests.stream([input[...]], .relaxed, limit: limit)
                        #expect(limited.output == Array(expected.prefix(limit)), "offset \(offset) l=\(limit)")
                        #expect(limited.canonicalizer.canonicalLength == expected.count)
                    }
                }
            }
        }
    }

    /// A 64-byte buffer flushes every few blocks; the byte kept across a flush may be the SP of a WSP run that a
    /// CR LF in the next block takes back.
    @Test func smallBufferKeepsTheSpaceACRLFTakesBack() throws {
        var random = SplitMix64(seed: 0xB10C_0064)
        for round in 0..<200 {
            let input = Self.body(&random, length: 200 + Int(random.next() % 400), texture: 30)
            let expected = Self.relaxedModel(input)
            var canonicalizer = BodyCanonicalizer(.relaxed, limit: nil, bufferCapacity: 64)
            var sink: [UInt8] = []
            let cut = Int(random.next() % UInt64(input.count + 1))
            try canonicalizer.feed(input[..<cut], into: &sink)
            try canonicalizer.feed(input[cut...], into: &sink)
            try canonicalizer.finish(into: &sink)
            #expect(sink == expected, "round \(round) cut \(cut)")
            #expect(canonicalizer.canonicalLength == expected.count, "round \(round)")
        }
    }
}
