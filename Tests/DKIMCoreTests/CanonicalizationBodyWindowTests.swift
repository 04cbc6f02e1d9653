import Testing
@testable import DKIMCore

/// The relaxed canonicalizer copies text in 64-byte windows (16-byte blocks near the end of a stretch, or with a
/// small buffer) and stops at the first byte pair that may start a change, then restarts after the WSP run
/// wherever it ends. These cases put each kind of change, and each byte that only looks like one, at every lane of
/// two windows, cut the input at every byte around it, and run with buffers that flush at every point of a window;
/// all against a byte-by-byte reading of RFC 6376 §3.4.4 written here. Each case runs with the Swift windows only
/// and with every vector kernel of CDKIMSIMD this CPU runs (AVX2, AVX-512).
@Suite struct CanonicalizationBodyWindowTests {
    /// RFC 6376 §3.4.4, one byte at a time: WSP is held back until the next byte of the line shows it was inside
    /// the line (one SP); CR LF ends the line and drops held WSP; empty lines are held until a later non-empty one;
    /// a non-empty last line without CR LF gets one.
    static func relaxed(_ body: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var heldEmptyLines = 0
        var heldSpace = false
        var lineHasContent = false
        var index = 0
        while index < body.count {
            let byte = body[index]
            if byte == ASCII.cr, index + 1 < body.count, body[index + 1] == ASCII.lf {
                if lineHasContent {
                    out += [ASCII.cr, ASCII.lf]
                } else {
                    heldEmptyLines += 1
                }
                heldSpace = false
                lineHasContent = false
                index += 2
                continue
            }
            if byte == ASCII.space || byte == ASCII.tab {
                heldSpace = true
            } else {
                if !lineHasContent {
                    for _ in 0..<heldEmptyLines { out += [ASCII.cr, ASCII.lf] }
                    heldEmptyLines = 0
                    lineHasContent = true
                }
                if heldSpace { out.append(ASCII.space) }
                heldSpace = false
                out.append(byte)
            }
            index += 1
        }
        if lineHasContent { out += [ASCII.cr, ASCII.lf] }
        return out
    }

    /// The first offset where `output` and `expected` differ (nil when equal): a failure names one offset instead
    /// of printing two bodies of a thousand bytes.
    static func firstDifference(_ output: [UInt8], _ expected: [UInt8]) -> Int? {
        if let index = zip(output, expected).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            return index
        }
        return output.count == expected.count ? nil : min(output.count, expected.count)
    }

    /// Runs the canonicalizer with the given buffer size over `chunks`.
    static func run(_ chunks: [ArraySlice<UInt8>], bufferCapacity: Int? = nil, limit: Int? = nil,
                    kernel: Int32 = 0) throws -> (output: [UInt8], length: Int) {
        var canonicalizer = BodyCanonicalizer(.relaxed, limit: limit, bufferCapacity: bufferCapacity,
                                              kernel: kernel)
        var sink: [UInt8] = []
        for chunk in chunks { try canonicalizer.feed(chunk, into: &sink) }
        try canonicalizer.finish(into: &sink)
        return (sink, canonicalizer.canonicalLength)
    }

    /// What sits between words: real changes (WSP runs, WSP before CR LF, WSP-only and empty lines, lines that
    /// start with WSP) and bytes the window test stops at without a change (SP next to a bare CR or LF, control
    /// bytes at or below HTAB, a SP after LF).
    static let joints: [[UInt8]] = [
        [ASCII.space], [ASCII.tab], [ASCII.space, ASCII.space], [ASCII.tab, ASCII.space, ASCII.tab],
        [ASCII.space, ASCII.cr, ASCII.lf], [ASCII.tab, ASCII.cr, ASCII.lf], [ASCII.space, ASCII.space, ASCII.cr,
        ASCII.lf], [ASCII.cr, ASCII.lf, ASCII.space], [ASCII.cr, ASCII.lf, ASCII.tab, ASCII.tab],
        [ASCII.cr, ASCII.lf, ASCII.space, ASCII.cr, ASCII.lf], [ASCII.cr, ASCII.lf, ASCII.cr, ASCII.lf],
        [ASCII.space, ASCII.cr], [ASCII.cr, ASCII.space], [ASCII.space, ASCII.lf], [ASCII.lf, ASCII.space],
        [ASCII.space, ASCII.cr, ASCII.space], [0x00], [0x05, ASCII.space], [ASCII.space, 0x08, ASCII.space],
        [0x09, 0x00], [0x0B], [ASCII.lf, ASCII.cr, ASCII.lf], [ASCII.space, ASCII.cr, ASCII.cr, ASCII.lf],
        Array(repeating: ASCII.space, count: 70) + [ASCII.cr, ASCII.lf],
        Array(repeating: ASCII.tab, count: 65),
    ]

    /// Filler text with no byte the window test stops at.
    static func text(_ count: Int) -> [UInt8] {
        let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789.,;-".utf8)
        return (0..<count).map { letters[$0 % letters.count] }
    }

    /// Every way through the windows this CPU runs: the Swift windows (0) and each vector kernel up to the best.
    static let kernels = Array(0...BodyCanonicalizer.bestKernel)

    @Test(arguments: joints.indices, kernels)
    func jointAtEveryLaneOfTwoWindows(joint: Int, kernel: Int32) throws {
        let change = Self.joints[joint]
        for offset in 0..<140 {
            // Two joints, the second one 1 to 3 windows after the first, then enough text for whole windows.
            let input = Self.text(1 + offset) + change + Self.text(offset % 37) + change + Self.text(150)
            let expected = Self.relaxed(input)
            #expect(Self.firstDifference(Canonicalization.canonicalizeBody(input, .relaxed), expected) == nil,
                    "joint \(joint) offset \(offset)")
            let streamed = try Self.run([input[...]], kernel: kernel)
            #expect(Self.firstDifference(streamed.output, expected) == nil, "joint \(joint) offset \(offset)")
            #expect(streamed.length == expected.count)
        }
    }

    /// Every chunk edge around a joint: inside the WSP run, between its CR and LF, just before and after it.
    @Test(arguments: joints.indices, kernels)
    func chunkEdgesAroundAJoint(joint: Int, kernel: Int32) throws {
        let change = Self.joints[joint]
        for offset in [0, 15, 16, 47, 63, 64, 65] {
            let input = Self.text(1 + offset) + change + Self.text(130)
            let expected = Self.relaxed(input)
            for cut in max(0, offset - 2)...min(input.count, offset + change.count + 4) {
                let streamed = try Self.run([input[..<cut], input[cut...]], kernel: kernel)
                #expect(Self.firstDifference(streamed.output, expected) == nil,
                        "joint \(joint) offset \(offset) cut \(cut)")
            }
        }
    }

    /// Random stretches of text (shorter than `textUpTo` bytes), each followed by a joint, to at least `count` bytes.
    static func textWithJoints(_ random: inout SplitMix64, atLeast count: Int, textUpTo: UInt64) -> [UInt8] {
        var input: [UInt8] = []
        while input.count < count {
            input += Self.text(Int(random.next() % textUpTo))
            input += Self.joints[Int(random.next() % UInt64(Self.joints.count))]
        }
        return input
    }

    /// Random text with frequent changes through buffers of every size from 64 to 200 bytes: flushes fall at
    /// every point of a window, and the byte kept across a flush may be the SP that a CR LF takes back.
    @Test(arguments: kernels)
    func everyBufferSize(kernel: Int32) throws {
        var random = SplitMix64(seed: 0xB0D1_E5CA)
        for capacity in 64...200 {
            let input = Self.textWithJoints(&random, atLeast: 900, textUpTo: 90) + Self.text(3)
            let expected = Self.relaxed(input)
            let cut = Int(random.next() % UInt64(input.count + 1))
            let streamed = try Self.run([input[..<cut], input[cut...]], bufferCapacity: capacity, kernel: kernel)
            #expect(Self.firstDifference(streamed.output, expected) == nil, "capacity \(capacity) cut \(cut)")
            #expect(streamed.length == expected.count, "capacity \(capacity)")
        }
    }

    /// `l=` anywhere in a body long enough for windows: the block path runs only where the whole stretch fits.
    @Test(arguments: kernels)
    func limitsAcrossWindows(kernel: Int32) throws {
        var random = SplitMix64(seed: 0x11D0_0064)
        let input = Self.textWithJoints(&random, atLeast: 400, textUpTo: 70) + Self.text(5)
        let expected = Self.relaxed(input)
        for limit in stride(from: 0, through: expected.count + 2, by: 3) {
            let streamed = try Self.run([input[...]], limit: limit, kernel: kernel)
            #expect(Self.firstDifference(streamed.output, Array(expected.prefix(limit))) == nil, "l=\(limit)")
            #expect(streamed.length == expected.count, "l=\(limit)")
        }
    }

    /// Random bytes, mostly SP, HTAB, CR and LF: runs of every length that start and end at every lane, several
    /// runs in a window, CR LF across a window's edge, windows that are all white space.
    @Test(arguments: kernels)
    func denseWhiteSpace(kernel: Int32) throws {
        var random = SplitMix64(seed: 0xD3_5E_0A_C3)
        let alphabet: [UInt8] = [ASCII.space, ASCII.space, ASCII.space, ASCII.tab, ASCII.cr, ASCII.lf, 0x61, 0x62]
        for round in 0..<400 {
            let count = 1 + Int(random.next() % 400)
            let input = [0x78] + (0..<count).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
                + [0x7A]
            let expected = Self.relaxed(input)
            let streamed = try Self.run([input[...]], kernel: kernel)
            #expect(Self.firstDifference(streamed.output, expected) == nil, "round \(round)")
            #expect(streamed.length == expected.count, "round \(round)")
        }
    }

    /// The model itself against RFC 6376 §3.4.5's example, so a wrong model cannot pass the tests above.
    @Test func modelMatchesTheRFCExample() {
        let body = Array(" C \r\nD \t E\r\n\r\n\r\n".utf8)
        #expect(Self.relaxed(body) == Array(" C\r\nD E\r\n".utf8))
    }
}
