import CDKIMSIMD
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The streaming body canonicalizer: feed the body in chunks of any size, then finish (RFC 6376 §3.4.3, §3.4.4).
///
/// This is the only implementation of body canonicalization in DKIMCore; the one-shot
/// ``Canonicalization/canonicalizeBody(_:_:limit:)`` runs it over a single chunk. Output is gathered in an
/// internal 64 KiB buffer and written to the sink in large blocks, so a hash sink sees few, big updates; with
/// `simple`, a run of 16 KiB or more goes to the sink in place, without a copy (`relaxed` copies text through the
/// buffer 64 bytes at a time, making its changes on the way, with AVX-512 or AVX2 code where the CPU has it). Pass the
/// same sink to every call: buffered bytes reach the sink on a later call or at ``finish(into:)``.
///
/// Trailing empty lines and trailing white space are held as counts, never as bytes, until a later non-empty
/// line shows they were not trailing; a body of a million empty lines costs no memory.
///
/// The input must use CRLF line endings (see ``LineEndings``). Only the pair CR LF ends a line: a bare CR or bare
/// LF is an ordinary byte for both algorithms (for `relaxed` it is not white space).
///
/// `l=` (RFC 6376 §3.5) is supported through `limit`: only the first `limit` canonical octets reach the sink,
/// while ``canonicalLength`` keeps counting the whole canonical body.
///
/// - Warning: a verifier honouring `l=` signs off on a prefix only; compare ``canonicalLength`` with the limit to
///   report how many octets were left unsigned (and a body shorter than `l=` fails, RFC 6376 §6.1.3).
public struct BodyCanonicalizer: Sendable {
    /// The body canonicalization algorithm.
    public let algorithm: CanonicalizationAlgorithm
    /// The `l=` value: the most canonical octets written to the sink; nil for the whole body.
    public let limit: Int?
    /// The length of the whole canonical body so far, in octets, whether or not `limit` let them through.
    ///
    /// Complete after ``finish(into:)``; before it, octets held back as possibly trailing are not counted.
    public private(set) var canonicalLength = 0
    /// Whether ``finish(into:)`` has run.
    public private(set) var isFinished = false

    /// The number of canonical octets written (or buffered to be written) to the sink: `min(limit, canonicalLength)`.
    public var emittedLength: Int {
        guard let limit else { return canonicalLength }
        return min(limit, canonicalLength)
    }

    private static let bufferSize = 64 * 1024
    /// A verbatim run at least this long goes to the sink in place instead of through the buffer.
    private static let directWriteSize = 16 * 1024

    // Streaming state; "line" means the current line of the input.
    /// Empty lines seen and not yet written, because they may be trailing (simple: the trailing CRLF pairs,
    /// the last line's own CRLF included).
    private var pendingEmptyLines = 0
    /// A CR was the last input byte and its meaning depends on the next byte.
    private var pendingCR = false
    /// relaxed: a WSP run was seen and not yet written (one SP if content follows on the line).
    private var pendingSpace = false
    /// relaxed: non-WSP content of the current line has been written.
    private var inLine = false
    private var buffer: [UInt8]
    private var buffered = 0
    /// relaxed: the vector kernel ``relaxedBlocks(_:from:to:kernel:_:_:)`` hands whole windows to
    /// (`CDKIM_RELAXED_BODY_NONE`: the Swift windows only).
    private let kernel: Int32

    /// The best vector kernel of relaxed canonicalization this CPU runs (CDKIMSIMD), detected once.
    static let bestKernel = Int32(cdkim_relaxed_body_kernel())

    /// Whether relaxed canonicalization runs a vector kernel on this CPU (x86-64 with AVX-512 BW and VBMI2, or with
    /// AVX2 and a fast BMI2); detected once per process.
    ///
    /// Output is the same either way: without a kernel, portable Swift code does the same work, more slowly
    /// (on text with a change every hundred bytes, in about four times the AVX-512 kernel's time and 1.6 times the
    /// AVX2 one's). Benchmarks report it so that figures from different machines can be compared.
    public static let vectorKernelAvailable = bestKernel != Int32(CDKIM_RELAXED_BODY_NONE)

    /// The name of the vector kernel relaxed canonicalization runs on this CPU ("AVX-512" or "AVX2"), or nil when
    /// it runs in Swift only (see ``vectorKernelAvailable``).
    public static let vectorKernelName: String? = switch bestKernel {
    case Int32(CDKIM_RELAXED_BODY_AVX512): "AVX-512"
    case Int32(CDKIM_RELAXED_BODY_AVX2): "AVX2"
    default: nil
    }

    /// Creates a canonicalizer at the start of a body.
    /// - Parameters:
    ///   - algorithm: `simple` or `relaxed`.
    ///   - limit: the `l=` value, in canonical octets; nil for the whole body. A negative value counts as 0.
    public init(_ algorithm: CanonicalizationAlgorithm, limit: Int? = nil) {
        self.init(algorithm, limit: limit, bufferCapacity: nil)
    }

    /// Creates a canonicalizer whose output buffer is at most `bufferCapacity` octets (at least 64).
    ///
    /// A one-shot caller that knows the body is small saves allocating 64 KiB per message; any
    /// capacity gives the same output, only the size of the writes to the sink changes. `kernel` picks the vector
    /// kernel of relaxed canonicalization (the tests compare each with the Swift windows): nil for the best this
    /// CPU runs, `CDKIM_RELAXED_BODY_NONE` for the Swift windows only; one the CPU lacks counts as the best.
    init(_ algorithm: CanonicalizationAlgorithm, limit: Int?, bufferCapacity: Int?, kernel: Int32? = nil) {
        self.algorithm = algorithm
        self.kernel = min(kernel ?? BodyCanonicalizer.bestKernel, BodyCanonicalizer.bestKernel)
        self.limit = limit.map { max(0, $0) }
        let capacity = min(BodyCanonicalizer.bufferSize, max(64, bufferCapacity ?? BodyCanonicalizer.bufferSize))
        // Not cleared: only bytes written by ``Output`` are ever read back.
        self.buffer = [UInt8](unsafeUninitializedCapacity: capacity) { _, initialized in initialized = capacity }
    }

    /// Feeds the next chunk of the body.
    /// - Parameters:
    ///   - chunk: the next body bytes; chunk boundaries may fall anywhere, even inside a CRLF.
    ///   - sink: where canonical bytes go; the same sink on every call.
    /// - Throws: ``DKIMError/Code/misuse`` after ``finish(into:)``.
    public mutating func feed<Sink: ByteSink>(_ chunk: UnsafeRawBufferPointer, into sink: inout Sink) throws {
        guard !isFinished else {
            throw DKIMError(.misuse, "BodyCanonicalizer.feed called after finish")
        }
        process(chunk, into: &sink)
    }

    /// Feeds the next chunk of the body; see ``feed(_:into:)-(UnsafeRawBufferPointer,_)``.
    /// - Parameters:
    ///   - chunk: the next body bytes.
    ///   - sink: where canonical bytes go.
    /// - Throws: ``DKIMError/Code/misuse`` after ``finish(into:)``.
    public mutating func feed<Sink: ByteSink>(_ chunk: [UInt8], into sink: inout Sink) throws {
        try chunk.withUnsafeBytes { try feed($0, into: &sink) }
    }

    /// Feeds the next chunk of the body; see ``feed(_:into:)-(UnsafeRawBufferPointer,_)``.
    /// - Parameters:
    ///   - chunk: the next body bytes.
    ///   - sink: where canonical bytes go.
    /// - Throws: ``DKIMError/Code/misuse`` after ``finish(into:)``.
    public mutating func feed<Sink: ByteSink>(_ chunk: ArraySlice<UInt8>, into sink: inout Sink) throws {
        try chunk.withUnsafeBytes { try feed($0, into: &sink) }
    }

    /// Ends the body: resolves held-back bytes, applies the end-of-body rules, and writes all buffered output.
    ///
    /// `simple` (§3.4.3): trailing empty lines are dropped, a missing final CRLF is added, and an empty body
    /// becomes one CRLF. `relaxed` (§3.4.4): trailing empty lines are dropped, a non-empty body gets a final CRLF
    /// if it lacks one, and an empty body stays empty.
    /// - Parameter sink: the sink given to ``feed(_:into:)-(UnsafeRawBufferPointer,_)``.
    /// - Throws: ``DKIMError/Code/misuse`` when called twice.
    public mutating func finish<Sink: ByteSink>(into sink: inout Sink) throws {
        guard !isFinished else {
            throw DKIMError(.misuse, "BodyCanonicalizer.finish called twice")
        }
        complete(into: &sink)
    }

    // MARK: - State machine

    /// Copies canonical bytes into the buffer, honouring the limit and counting every octet.
    private struct Output {
        let base: UnsafeMutableRawPointer
        let capacity: Int
        var used: Int
        var total: Int
        let limit: Int

        @inline(__always)
        mutating func emit<Sink: ByteSink>(_ source: UnsafeRawPointer, _ count: Int, _ sink: inout Sink) {
            let room = limit - total
            total += count
            var remaining = min(count, room)
            guard remaining > 0 else { return }
            var from = source
            if remaining >= min(capacity, BodyCanonicalizer.directWriteSize) {
                // A long verbatim run goes straight to the sink, after what is already buffered.
                flush(&sink)
                sink.write(UnsafeRawBufferPointer(start: from, count: remaining))
                return
            }
            if remaining <= BodyCanonicalizer.inlineCopySize, capacity - used >= remaining {
                // A short run (the text between two changes): copied here, a `memcpy` call costs more.
                BodyCanonicalizer.copyShort(base + used, from, remaining)
                used += remaining
                return
            }
            while remaining > 0 {
                if used == capacity { flush(&sink) }
                let take = min(remaining, capacity - used)
                (base + used).copyMemory(from: from, byteCount: take)
                used += take
                from += take
                remaining -= take
            }
        }

        @inline(__always)
        mutating func emitByte<Sink: ByteSink>(_ byte: UInt8, _ sink: inout Sink) {
            // The common case, a byte that fits before the limit and in the buffer, without a copy call.
            if used < capacity, total < limit {
                base.storeBytes(of: byte, toByteOffset: used, as: UInt8.self)
                used += 1
                total += 1
                return
            }
            var value = byte
            withUnsafeBytes(of: &value) { emit($0.baseAddress ?? UnsafeRawPointer(base), 1, &sink) }
        }

        mutating func emitCRLFs<Sink: ByteSink>(_ count: Int, _ sink: inout Sink) {
            var left = count
            // The common case: CRLFs into the buffer without a copy call.
            while left > 0, used + 2 <= capacity, total + 2 <= limit {
                base.storeBytes(of: ASCII.cr, toByteOffset: used, as: UInt8.self)
                base.storeBytes(of: ASCII.lf, toByteOffset: used + 1, as: UInt8.self)
                used += 2
                total += 2
                left -= 1
            }
            guard left > 0 else { return }
            let pair: [UInt8] = ASCII.crlf
            pair.withUnsafeBytes { crlf in
                guard let crlfBase = crlf.baseAddress else { return }
                while left > 0 {
                    if used + 2 <= capacity, total + 2 <= limit {
                        base.storeBytes(of: ASCII.cr, toByteOffset: used, as: UInt8.self)
                        base.storeBytes(of: ASCII.lf, toByteOffset: used + 1, as: UInt8.self)
                        used += 2
                        total += 2
                        left -= 1
                        continue
                    }
                    if total >= limit {
                        // Past l=: count what is left without copying it.
                        total += 2 * left
                        return
                    }
                    emit(crlfBase, 2, &sink)
                    left -= 1
                }
            }
        }

        mutating func flush<Sink: ByteSink>(_ sink: inout Sink) {
            guard used > 0 else { return }
            sink.write(UnsafeRawBufferPointer(start: base, count: used))
            used = 0
        }
    }

    /// Runs at most this long are copied by ``copyShort(_:_:_:)``.
    private static let inlineCopySize = 256

    /// Copies `count` bytes (at most ``inlineCopySize``) 16 at a time, the last 16 overlapping; reads and writes
    /// stay inside the two ranges.
    @inline(__always)
    private static func copyShort(_ target: UnsafeMutableRawPointer, _ source: UnsafeRawPointer, _ count: Int) {
        typealias Block = SIMD16<UInt8>
        if count >= Block.scalarCount {
            var offset = 0
            while offset &+ Block.scalarCount < count {
                target.storeBytes(of: source.loadUnaligned(fromByteOffset: offset, as: Block.self),
                                  toByteOffset: offset, as: Block.self)
                offset &+= Block.scalarCount
            }
            let last = count &- Block.scalarCount
            target.storeBytes(of: source.loadUnaligned(fromByteOffset: last, as: Block.self),
                              toByteOffset: last, as: Block.self)
        } else if count >= 8 {
            target.storeBytes(of: source.loadUnaligned(as: UInt64.self), as: UInt64.self)
            target.storeBytes(of: source.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self),
                              toByteOffset: count &- 8, as: UInt64.self)
        } else {
            for offset in 0..<count {
                target.storeBytes(of: source.load(fromByteOffset: offset, as: UInt8.self), toByteOffset: offset,
                                  as: UInt8.self)
            }
        }
    }

    /// Runs `work` with an ``Output`` over the internal buffer (moved out of `self` meanwhile, so `work` may
    /// mutate the state), then stores the counters back.
    @inline(__always)
    private mutating func withOutput<Sink: ByteSink>(_ sink: inout Sink,
                                                     _ work: (inout Self, inout Output, inout Sink) -> Void) {
        var storage: [UInt8] = []
        swap(&storage, &buffer)
        storage.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            var output = Output(base: base, capacity: raw.count, used: buffered, total: canonicalLength,
                                limit: limit ?? Int.max)
            work(&self, &output, &sink)
            buffered = output.used
            canonicalLength = output.total
        }
        swap(&storage, &buffer)
    }

    mutating func process<Sink: ByteSink>(_ chunk: UnsafeRawBufferPointer, into sink: inout Sink) {
        guard let input = chunk.baseAddress, chunk.count > 0 else { return }
        let count = chunk.count
        withOutput(&sink) { state, output, sink in
            switch state.algorithm {
            case .simple: state.processSimple(input, count, &output, &sink)
            case .relaxed: state.processRelaxed(input, count, &output, &sink)
            }
        }
    }

    mutating func complete<Sink: ByteSink>(into sink: inout Sink) {
        withOutput(&sink) { state, output, sink in
            state.completeAlgorithm(&output, &sink)
        }
        isFinished = true
    }

    private mutating func completeAlgorithm<Sink: ByteSink>(_ output: inout Output, _ sink: inout Sink) {
        switch algorithm {
        case .simple:
            if pendingCR {
                // A CR at the very end is content.
                pendingCR = false
                output.emitCRLFs(pendingEmptyLines, &sink)
                output.emitByte(ASCII.cr, &sink)
            }
            // §3.4.3: the trailing CRLF pairs held back (trailing empty lines and the last line's CRLF) become
            // one CRLF; a last line without CRLF gets one, and an empty body is one CRLF.
            output.emitCRLFs(1, &sink)
        case .relaxed:
            if pendingCR {
                pendingCR = false
                beginRelaxedContent(&output, &sink)
                output.emitByte(ASCII.cr, &sink)
            }
            // §3.4.4: a non-empty last line without CRLF gets one; trailing WSP and empty lines go.
            if inLine {
                output.emitCRLFs(1, &sink)
            }
        }
        inLine = false
        pendingSpace = false
        pendingEmptyLines = 0
        output.flush(&sink)
    }

    // MARK: simple (RFC 6376 §3.4.3)

    /// `simple` needs no look at the bytes inside a chunk: its only change is at the end of the body, where the
    /// trailing CRLF pairs (the empty lines and the last line's CRLF) become one CRLF, and a body without a final
    /// CRLF (or an empty one) gets one. So each chunk goes to the sink in place except its trailing CRLF pairs
    /// (and a last CR, which may start one), which are held back as a count until later content shows they were
    /// not trailing. A bare CR or LF is content; only the pair CR LF counts.
    private mutating func processSimple<Sink: ByteSink>(_ input: UnsafeRawPointer, _ count: Int,
                                                        _ output: inout Output, _ sink: inout Sink) {
        var start = 0
        if pendingCR {
            pendingCR = false
            if input.load(as: UInt8.self) == ASCII.lf {
                pendingEmptyLines += 1
                start = 1
            } else {
                // A CR not before LF is content: what was held back was not trailing.
                output.emitCRLFs(pendingEmptyLines, &sink)
                pendingEmptyLines = 0
                output.emitByte(ASCII.cr, &sink)
            }
        }
        var end = count
        if end > start, input.load(fromByteOffset: end - 1, as: UInt8.self) == ASCII.cr {
            pendingCR = true
            end -= 1
        }
        // The trailing CRLF pairs of the chunk, read backwards (a CR LF pair is unambiguous from its end).
        var trailing = 0
        while end - 2 >= start, input.load(fromByteOffset: end - 1, as: UInt8.self) == ASCII.lf,
              input.load(fromByteOffset: end - 2, as: UInt8.self) == ASCII.cr {
            trailing += 1
            end -= 2
        }
        if end > start {
            output.emitCRLFs(pendingEmptyLines, &sink)
            output.emit(input + start, end - start, &sink)
            pendingEmptyLines = trailing
        } else {
            pendingEmptyLines += trailing
        }
    }

    // MARK: relaxed (RFC 6376 §3.4.4)

    @inline(__always)
    private mutating func beginRelaxedContent<Sink: ByteSink>(_ output: inout Output, _ sink: inout Sink) {
        if !inLine {
            if pendingEmptyLines > 0 {
                output.emitCRLFs(pendingEmptyLines, &sink)
                pendingEmptyLines = 0
            }
            inLine = true
        }
        if pendingSpace {
            // A WSP run inside the line becomes one SP.
            output.emitByte(ASCII.space, &sink)
            pendingSpace = false
        }
    }

    @inline(__always)
    private mutating func endRelaxedLine<Sink: ByteSink>(_ output: inout Output, _ sink: inout Sink) {
        // WSP at the end of a line is dropped; a line that had only WSP is an empty line.
        pendingSpace = false
        if inLine {
            output.emitCRLFs(1, &sink)
            inLine = false
        } else {
            pendingEmptyLines += 1
        }
    }

    /// Marks (high bit per byte) exactly the bytes of `word` equal to the byte repeated in `pattern`.
    @inline(__always)
    private static func equalBytes(_ word: UInt64, _ pattern: UInt64) -> UInt64 {
        let lows: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        let x = word ^ pattern
        // No carry crosses bytes because each byte's high bit is cleared before the add.
        return ~(((x & lows) &+ lows) | x | lows)
    }

    /// Marks the bytes of the 16-byte block at `index` that may need work (see ``findFlaggedByte(_:from:end:)``).
    @inline(__always)
    private static func flaggedLanes(_ input: UnsafeRawPointer, _ index: Int) -> SIMD16<UInt8> {
        typealias Block = SIMD16<UInt8>
        let current = input.loadUnaligned(fromByteOffset: index, as: Block.self)
        let next = input.loadUnaligned(fromByteOffset: index &+ 1, as: Block.self)
        let currentLow = current .<= Block(repeating: ASCII.space)
        let nextLow = next .<= Block(repeating: ASCII.space)
        let isCR = current .== Block(repeating: ASCII.cr)
        let nextLF = next .== Block(repeating: ASCII.lf)
        let flagged = (current .== Block(repeating: ASCII.tab)) .| (isCR .& .!nextLF)
            .| (currentLow .& nextLow .& .!(isCR .& nextLF))
        return unsafeBitCast(flagged, to: Block.self)
    }

    /// Whether a mask from ``flaggedLanes(_:_:)`` marks any lane (as two words: the generic `==` goes lane by lane).
    @inline(__always)
    private static func anyLane(_ mask: SIMD16<UInt8>) -> Bool {
        anyWord(unsafeBitCast(mask, to: SIMD2<UInt64>.self))
    }

    /// The lowest marked lane of a mask from ``flaggedLanes(_:_:)``; the mask must have one.
    @inline(__always)
    private static func firstLane(_ mask: SIMD16<UInt8>) -> Int {
        firstWordLane(unsafeBitCast(mask, to: SIMD2<UInt64>.self))
    }

    /// Skips 16-byte blocks that a run inside a non-empty line copies unchanged, 32 bytes per step, and returns
    /// the exact offset of the first flagged byte (`found`), or, near the end of the input, a point at or before
    /// the first byte that may need work, for the exact eight-byte scan of ``skipCanonicalRun(_:from:end:)``.
    ///
    /// A byte is flagged when it is a HTAB, a CR not followed by LF, or one of two neighbouring bytes that are
    /// both SP, HTAB, CR or LF (found as "at most 0x20"), other than a CR before its LF. That flags every place the
    /// exact rule needs work, at the byte itself (a SP before SP/HTAB/CR) or at the LF of a CR LF that is followed
    /// by SP/HTAB/CR, plus a few harmless extras (other control bytes, a bare LF). Text lines hold such a byte
    /// every hundred bytes or so, so most blocks are skipped here, with about one instruction per byte.
    @inline(__always)
    private static func findFlaggedByte(_ input: UnsafeRawPointer, from: Int, end: Int) -> (index: Int, found: Bool) {
        let width = SIMD16<UInt8>.scalarCount
        var index = from
        // Each step reads one byte past its blocks. Wrapping arithmetic: `index` never exceeds `end` here, and
        // overflow checks were a third of the loop's instructions.
        let lastPair = end &- (2 &* width &+ 1)
        while index <= lastPair {
            let first = flaggedLanes(input, index)
            let second = flaggedLanes(input, index &+ width)
            // Any lane set, for both blocks at once.
            if anyLane(first | second) {
                if anyLane(first) { return (index &+ firstLane(first), true) }
                return (index &+ width &+ firstLane(second), true)
            }
            index &+= 2 &* width
        }
        if index <= end &- (width &+ 1) {
            let mask = flaggedLanes(input, index)
            if anyLane(mask) { return (index &+ firstLane(mask), true) }
            index &+= width
        }
        // A CR in the last lane was judged without the byte after its LF: let the exact scan look at it again.
        return (max(from, index &- 1), false)
    }

    /// Skips, eight bytes at a time, bytes that a run inside a non-empty line copies unchanged; returns the offset
    /// of the first byte that may need work (or a point near the end of the input).
    ///
    /// A byte needs work if it is a HTAB, a SP followed by SP/HTAB/CR, a CR not followed by LF, or a CR LF
    /// followed by SP/HTAB/CR (the next line then starts with white space or is empty).
    @inline(__always)
    private static func skipCanonicalRun(_ input: UnsafeRawPointer, from: Int, end: Int) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let spaces = ones &* UInt64(ASCII.space)
        let tabs = ones &* UInt64(ASCII.tab)
        let crs = ones &* UInt64(ASCII.cr)
        let lfs = ones &* UInt64(ASCII.lf)
        var index = from
        guard index + 16 <= end else { return index }
        // Masks of the current word and of the word after it; the "next byte" masks are the current ones shifted
        // down one byte, with the following word's low byte shifted in.
        let word = UInt64(littleEndian: input.loadUnaligned(fromByteOffset: index, as: UInt64.self))
        var space = equalBytes(word, spaces), tab = equalBytes(word, tabs)
        var cr = equalBytes(word, crs), lf = equalBytes(word, lfs)
        while index + 16 <= end {
            let following = UInt64(littleEndian: input.loadUnaligned(fromByteOffset: index + 8, as: UInt64.self))
            let space2 = equalBytes(following, spaces), tab2 = equalBytes(following, tabs)
            let cr2 = equalBytes(following, crs), lf2 = equalBytes(following, lfs)
            let special = space | tab | cr
            let special2 = space2 | tab2 | cr2
            let nextSpecial = (special >> 8) | (special2 << 56)
            let secondSpecial = (special >> 16) | (special2 << 48)
            let nextLF = (lf >> 8) | (lf2 << 56)
            let needsWork = tab | (space & nextSpecial) | (cr & ~nextLF) | (cr & secondSpecial)
            if needsWork != 0 {
                return index + needsWork.trailingZeroBitCount / 8
            }
            index += 8
            space = space2
            tab = tab2
            cr = cr2
            lf = lf2
        }
        return index
    }

    /// The offset of the first SP, HTAB or CR at or after `from`, or `end`; eight bytes at a time.
    @inline(__always)
    private static func nextRelaxedSpecial(_ input: UnsafeRawPointer, from: Int, end: Int) -> Int {
        ByteScan.first(of: ASCII.space, ASCII.tab, ASCII.cr, in: input, from: from, end: end)
    }

    @inline(__always)
    private static func isRelaxedContent(_ byte: UInt8) -> Bool {
        byte != ASCII.space && byte != ASCII.tab && byte != ASCII.cr
    }

    private mutating func processRelaxed<Sink: ByteSink>(_ input: UnsafeRawPointer, _ count: Int,
                                                         _ output: inout Output, _ sink: inout Sink) {
        // The end of the chunk's last byte that is not SP, HTAB, CR or LF: up to there no line can be trailing
        // and no WSP run can be cut, which ``relaxedBlocks(_:from:to:kernel:_:_:)`` relies on. Found once per
        // chunk.
        var contentEnd = count
        while contentEnd > 0 {
            let byte = input.load(fromByteOffset: contentEnd - 1, as: UInt8.self)
            guard ASCII.isWSP(byte) || byte == ASCII.cr || byte == ASCII.lf else { break }
            contentEnd -= 1
        }
        var index = 0
        if pendingCR {
            pendingCR = false
            if input.load(as: UInt8.self) == ASCII.lf {
                endRelaxedLine(&output, &sink)
                index = 1
            } else {
                beginRelaxedContent(&output, &sink)
                output.emitByte(ASCII.cr, &sink)
            }
        }
        while index < count {
            let byte = input.load(fromByteOffset: index, as: UInt8.self)
            if byte == ASCII.cr {
                if index + 1 == count {
                    pendingCR = true
                    return
                }
                if input.load(fromByteOffset: index + 1, as: UInt8.self) == ASCII.lf {
                    endRelaxedLine(&output, &sink)
                    index += 2
                    continue
                }
                // A bare CR is content: fall through.
            } else if ASCII.isWSP(byte) {
                pendingSpace = true
                index += 1
                while index < count, ASCII.isWSP(input.load(fromByteOffset: index, as: UInt8.self)) {
                    index += 1
                }
                continue
            }
            beginRelaxedContent(&output, &sink)
            if contentEnd - index >= BodyCanonicalizer.blockRegionMinimum, output.capacity >= 64,
               output.limit - output.total >= contentEnd - index {
                // The whole stretch fits under `l=` (each input byte gives at most one output byte).
                BodyCanonicalizer.relaxedBlocks(input, from: index, to: contentEnd, kernel: kernel,
                                                &output, &sink)
                index = contentEnd
                continue
            }
            index = extendRelaxedRun(input, from: index, count, &output, &sink)
        }
    }

    /// The shortest stretch worth the setup of ``relaxedBlocks(_:from:to:kernel:_:_:)``.
    private static let blockRegionMinimum = 48

    /// Canonicalizes `[start, end)`, where `input[start]` is content inside a line (the state is "in a line, no
    /// WSP pending") and `input[end - 1]` is neither SP, HTAB, CR nor LF, so every WSP run and every line inside
    /// ends before `end` and none of these lines is trailing.
    ///
    /// Inside such a stretch the relaxed rules (RFC 6376 §3.4.4) change text only at a WSP run: the run becomes
    /// one SP, or nothing when CR LF follows it (WSP at the end of a line). The text is copied 64 bytes at a time,
    /// stored before it is tested. A window is kept as stored when no lane is a candidate: lane `k` is one when
    /// `input[k]` is at most HTAB (0x09; for the window's first lane, either byte of the pair) or the larger of
    /// `input[k - 1]` and `input[k]` is SP (one is SP, the other at most SP). Every change has a candidate at or
    /// before it: a HTAB at itself, a SP, HTAB or CR after a SP at itself, and after a HTAB at that HTAB. Extras
    /// (SP next to CR or LF, control bytes below 0x0A) are rare in text and cost only a look; CR LF, and LF CR of
    /// an empty line, are not candidates. Per block that is four vector operations and no copy (`max(x, 9) - 9`
    /// compiles to a saturating subtraction).
    ///
    /// A window whose candidates are all in one block (most of them, in text with a change every hundred bytes or
    /// so) keeps the bytes before the first one, ``relaxedEvent(_:_:_:_:)`` writes the run there, and copying
    /// starts again after the run, wherever that is. A window with candidates in two or more blocks (tables,
    /// tab-separated data, double spaces after every word) goes through the exact block scatter of
    /// ``RelaxedBlock``, which has no branch per change: there a branch and a restart per run cost more than the
    /// text between them. What is left after the windows also goes through the scatter, then byte by byte.
    ///
    /// Invariant between steps: when `input[index - 1]` is WSP, the SP of its run is the last byte written
    /// (`base[used - 1]`) and the rest of the run is dropped or takes that SP back. Flushing keeps that last byte
    /// in the buffer, so a CR LF can still take it back.
    ///
    /// Where the CPU has AVX-512 VBMI2 or AVX2 with a fast BMI2, the C kernel `cdkim_relaxed_body_windows`
    /// (CDKIMSIMD) does the windows first: the same rules on 64 lanes at once with no branch per change (bit masks
    /// for the runs; the kept bytes packed by one byte compression per window, or by `pext` eight at a time), about
    /// four (AVX-512) or 1.6 (AVX2) times faster on text with a change every hundred bytes; these Swift windows then
    /// take the last bytes, and every byte on other CPUs.
    ///
    /// The caller checks that `end - start` octets fit under the limit (each input byte gives at most one output
    /// byte) and that the buffer holds at least 64.
    private static func relaxedBlocks<Sink: ByteSink>(_ input: UnsafeRawPointer, from start: Int, to end: Int,
                                                      kernel: Int32, _ output: inout Output, _ sink: inout Sink) {
        typealias Block = SIMD16<UInt8>
        let width = Block.scalarCount
        let window = 4 &* width
        let base = output.base
        let capacity = output.capacity
        // Output offset of the next byte. A window is stored at `used`, an event writes at most two bytes after the
        // window's bytes it kept, and a scattered block at most 16 bytes from `used - 1`.
        var used = output.used
        var produced = 0
        if used > capacity &- width {
            output.flush(&sink)
            used = 0
        }
        base.storeBytes(of: input.load(fromByteOffset: start, as: UInt8.self), toByteOffset: used, as: UInt8.self)
        // `produced` counts flushed octets; the buffered ones are added at the end.
        produced &-= used
        used &+= 1
        var index = start &+ 1
        if kernel != Int32(CDKIM_RELAXED_BODY_NONE), capacity >= 2 &* window {
            // The vector kernel takes whole 64-byte windows while 64 bytes of room are left; it keeps the invariant
            // below (a run going on past its last window has its SP at `base[used - 1]`), so where it stops, near
            // `end`, the Swift windows go on.
            let bytes = input.assumingMemoryBound(to: UInt8.self)
            let target = base.assumingMemoryBound(to: UInt8.self)
            while end &- index >= window &+ 1 {
                if used > capacity &- window {
                    produced &+= used &- 1
                    used = flushKeepingLast(base, used, &sink)
                }
                let before = index
                index = cdkim_relaxed_body_windows(kernel, bytes, index, end, target, &used, capacity)
                if index == before { break }
            }
        }
        let spaces = Block(repeating: ASCII.space), tabs = Block(repeating: ASCII.tab)
        // Each window reads the byte before it (at or after `start`) and, in the scatter, the byte after it (before
        // `end`); an event reads at most up to `end - 1`.
        if capacity >= 2 &* window {
            while index &+ window < end {
                if used > capacity &- (window &+ 2) {
                    produced &+= used &- 1
                    used = flushKeepingLast(base, used, &sink)
                }
                // Windows from here on fit in the buffer while `index` stays within `room`: no step writes more
                // bytes than it reads, so `used - index` never grows. One test per window for both limits.
                let room = capacity &- (window &+ 2) &- used
                let last = min(end &- window &- 1, index &+ room)
                // Output at `index + gap`: between events only `index` moves.
                var gap = used &- index
                repeat {
                    let current0 = input.loadUnaligned(fromByteOffset: index, as: Block.self)
                    let current1 = input.loadUnaligned(fromByteOffset: index &+ width, as: Block.self)
                    let current2 = input.loadUnaligned(fromByteOffset: index &+ 2 &* width, as: Block.self)
                    let current3 = input.loadUnaligned(fromByteOffset: index &+ 3 &* width, as: Block.self)
                    let target = base + (index &+ gap)
                    target.storeBytes(of: current0, as: Block.self)
                    target.storeBytes(of: current1, toByteOffset: width, as: Block.self)
                    target.storeBytes(of: current2, toByteOffset: 2 &* width, as: Block.self)
                    target.storeBytes(of: current3, toByteOffset: 3 &* width, as: Block.self)
                    // The event lanes of each block (see above), written out: a helper called four times was
                    // left out of line.
                    let previous0 = input.loadUnaligned(fromByteOffset: index &- 1, as: Block.self)
                    let previous1 = input.loadUnaligned(fromByteOffset: index &+ width &- 1, as: Block.self)
                    let previous2 = input.loadUnaligned(fromByteOffset: index &+ 2 &* width &- 1, as: Block.self)
                    let previous3 = input.loadUnaligned(fromByteOffset: index &+ 3 &* width &- 1, as: Block.self)
                    let lanes0 = minimum(maximum(previous0, current0) ^ spaces,
                                         maximum(minimum(previous0, current0), tabs) &- tabs)
                    let lanes1 = minimum(maximum(previous1, current1) ^ spaces,
                                         maximum(current1, tabs) &- tabs)
                    let lanes2 = minimum(maximum(previous2, current2) ^ spaces,
                                         maximum(current2, tabs) &- tabs)
                    let lanes3 = minimum(maximum(previous3, current3) ^ spaces,
                                         maximum(current3, tabs) &- tabs)
                    let all = zeroLanes(minimum(minimum(lanes0, lanes1), minimum(lanes2, lanes3)))
                    guard anyWord(all) else {
                        index &+= window
                        continue
                    }
                    // The first block with a candidate; when a later block has one too, the events are dense
                    // and the whole window goes through the exact block scatter (no branch per event) instead.
                    var skip = 0
                    var zeros = zeroLanes(lanes0)
                    var later = minimum(lanes1, minimum(lanes2, lanes3))
                    if !anyWord(zeros) {
                        skip = width
                        zeros = zeroLanes(lanes1)
                        later = minimum(lanes2, lanes3)
                        if !anyWord(zeros) {
                            skip = 2 &* width
                            zeros = zeroLanes(lanes2)
                            later = lanes3
                            if !anyWord(zeros) {
                                skip = 3 &* width
                                zeros = zeroLanes(lanes3)
                                later = spaces
                            }
                        }
                    }
                    if anyWord(zeroLanes(later)) {
                        var at = index &+ gap
                        at = RelaxedBlock(input, index).write(input, index, base, at)
                        at = RelaxedBlock(input, index &+ width).write(input, index &+ width, base, at)
                        at = RelaxedBlock(input, index &+ 2 &* width).write(input, index &+ 2 &* width, base, at)
                        at = RelaxedBlock(input, index &+ 3 &* width).write(input, index &+ 3 &* width, base, at)
                        index &+= window
                        gap = at &- index
                        continue
                    }
                    index &+= skip &+ firstWordLane(zeros)
                    var at = index &+ gap
                    relaxedEvent(input, &index, base, &at)
                    gap = at &- index
                } while index <= last
                used = index &+ gap
            }
        }
        // What is left (or everything, with a small buffer), one block at a time.
        while index &+ width < end {
            if used > capacity &- width {
                produced &+= used &- 1
                used = flushKeepingLast(base, used, &sink)
            }
            used = RelaxedBlock(input, index).write(input, index, base, used)
            index &+= width
        }
        if used > capacity &- width {
            produced &+= used &- 1
            used = flushKeepingLast(base, used, &sink)
        }
        // The last (at most 16) bytes, one at a time with the same rule; `input[end - 1]` is not a CR, so the
        // byte after a CR is inside the input.
        var previousWSP = ASCII.isWSP(input.load(fromByteOffset: index &- 1, as: UInt8.self))
        while index < end {
            let byte = input.load(fromByteOffset: index, as: UInt8.self)
            let isWSP = ASCII.isWSP(byte)
            if previousWSP, byte == ASCII.cr, input.load(fromByteOffset: index &+ 1, as: UInt8.self) == ASCII.lf {
                used &-= 1
            }
            base.storeBytes(of: isWSP ? ASCII.space : byte, toByteOffset: used, as: UInt8.self)
            if !(isWSP && previousWSP) {
                used &+= 1
            }
            previousWSP = isWSP
            index &+= 1
        }
        output.total &+= produced &+ used
        output.used = used
    }

    /// Writes the WSP run at (or going on at) `index`, the first candidate of a window, and moves `index` and
    /// `used` past it (RFC 6376 §3.4.4): a run becomes one SP, a run before CR LF becomes nothing and the CR LF is
    /// written; the byte after the run is written too, so the next step starts after a byte that is not WSP.
    /// A candidate that turns out not to touch a run (a control byte, a SP after CR) is copied as it is.
    @inline(__always)
    private static func relaxedEvent(_ input: UnsafeRawPointer, _ index: inout Int, _ base: UnsafeMutableRawPointer,
                                     _ used: inout Int) {
        var next = index
        if !ASCII.isWSP(input.load(fromByteOffset: index &- 1, as: UInt8.self)) {
            let byte = input.load(fromByteOffset: index, as: UInt8.self)
            guard ASCII.isWSP(byte) else {
                base.storeBytes(of: byte, toByteOffset: used, as: UInt8.self)
                used &+= 1
                index &+= 1
                return
            }
            // The run starts here.
            base.storeBytes(of: ASCII.space, toByteOffset: used, as: UInt8.self)
            used &+= 1
            next &+= 1
        }
        // Otherwise the run goes on from `index - 1` and its SP is `base[used - 1]`. The run ends before `end`.
        while ASCII.isWSP(input.load(fromByteOffset: next, as: UInt8.self)) {
            next &+= 1
        }
        let byte = input.load(fromByteOffset: next, as: UInt8.self)
        // A CR is not the last byte of the stretch, so its next byte is inside it.
        if byte == ASCII.cr, input.load(fromByteOffset: next &+ 1, as: UInt8.self) == ASCII.lf {
            // WSP at the end of a line is dropped: the CR LF takes the run's SP back.
            used &-= 1
            base.storeBytes(of: ASCII.cr, toByteOffset: used, as: UInt8.self)
            base.storeBytes(of: ASCII.lf, toByteOffset: used &+ 1, as: UInt8.self)
            used &+= 2
            index = next &+ 2
            return
        }
        base.storeBytes(of: byte, toByteOffset: used, as: UInt8.self)
        used &+= 1
        index = next &+ 1
    }

    /// Writes all but the last of the `used` buffered bytes to the sink and moves the last one to the front: it may
    /// be the SP of a WSP run that a CR LF still to come takes back. Returns the new count, 1. Kept out of line so
    /// the sink's code does not crowd the block loop.
    @inline(never)
    private static func flushKeepingLast<Sink: ByteSink>(_ base: UnsafeMutableRawPointer, _ used: Int,
                                                         _ sink: inout Sink) -> Int {
        sink.write(UnsafeRawBufferPointer(start: base, count: used - 1))
        base.storeBytes(of: base.load(fromByteOffset: used - 1, as: UInt8.self), as: UInt8.self)
        return 1
    }

    /// The lane-wise maximum (`pointwiseMax` is not inlined; this compiles to one instruction).
    @inline(__always)
    private static func maximum(_ a: SIMD16<UInt8>, _ b: SIMD16<UInt8>) -> SIMD16<UInt8> {
        a.replacing(with: b, where: b .> a)
    }

    /// The lane-wise minimum.
    @inline(__always)
    private static func minimum(_ a: SIMD16<UInt8>, _ b: SIMD16<UInt8>) -> SIMD16<UInt8> {
        a.replacing(with: b, where: b .< a)
    }

    /// The zero lanes of `block` as 0xFF bytes (others 0), in two words.
    @inline(__always)
    private static func zeroLanes(_ block: SIMD16<UInt8>) -> SIMD2<UInt64> {
        unsafeBitCast(block .== SIMD16<UInt8>(repeating: 0), to: SIMD2<UInt64>.self)
    }

    /// Whether either word is nonzero.
    @inline(__always)
    private static func anyWord(_ words: SIMD2<UInt64>) -> Bool {
        words[0] | words[1] != 0
    }

    /// The lowest lane set in a mask of 0xFF/0 bytes (``zeroLanes(_:)``, ``flaggedLanes(_:_:)``); it must have one.
    @inline(__always)
    private static func firstWordLane(_ words: SIMD2<UInt64>) -> Int {
        words[0] != 0 ? words[0].trailingZeroBitCount &>> 3 : 8 &+ words[1].trailingZeroBitCount &>> 3
    }

    /// The lanes of one 16-byte block for ``relaxedBlocks(_:from:to:kernel:_:_:)``, as two words of byte masks.
    ///
    /// The masks are combined as words, not as vector masks: that keeps the compiler from re-deriving each
    /// combined mask from its low bits before the test (four extra vector instructions per block).
    private struct RelaxedBlock {
        typealias Block = SIMD16<UInt8>
        typealias Words = SIMD2<UInt64>
        let current: Block
        let isTab: Words
        let isWSP: Words
        let isCR: Words
        let afterWSP: Words
        /// Lanes that change something: a HTAB, WSP after WSP, a CR after WSP (a superset of the CR LF that takes
        /// back the SP of its run).
        let flagged: Words

        @inline(__always)
        init(_ input: UnsafeRawPointer, _ index: Int) {
            current = input.loadUnaligned(fromByteOffset: index, as: Block.self)
            let previous = input.loadUnaligned(fromByteOffset: index &- 1, as: Block.self)
            isTab = BodyCanonicalizer.lanes(current, equalTo: ASCII.tab)
            isWSP = BodyCanonicalizer.lanes(current, equalTo: ASCII.space) | isTab
            isCR = BodyCanonicalizer.lanes(current, equalTo: ASCII.cr)
            afterWSP = BodyCanonicalizer.lanes(previous, equalTo: ASCII.space)
                | BodyCanonicalizer.lanes(previous, equalTo: ASCII.tab)
            flagged = isTab | (afterWSP & (isWSP | isCR))
        }

        /// Writes the block's canonical bytes at `used` (the SP of a WSP run just before it at `used - 1`) and
        /// returns the new `used`; at most 16 bytes from `used - 1` are written.
        @inline(__always)
        func write(_ input: UnsafeRawPointer, _ index: Int, _ base: UnsafeMutableRawPointer, _ used: Int) -> Int {
            if !BodyCanonicalizer.anyWord(flagged) {
                (base + used).storeBytes(of: current, as: Block.self)
                return used &+ Block.scalarCount
            }
            let ones: UInt64 = 0x0101_0101_0101_0101
            let next = input.loadUnaligned(fromByteOffset: index &+ 1, as: Block.self)
            // A WSP lane after WSP is dropped; a CR LF after WSP takes back the run's SP.
            let dropped = isWSP & afterWSP
            let takesBack = isCR & BodyCanonicalizer.lanes(next, equalTo: ASCII.lf) & afterWSP
            let advance = ~dropped & Words(repeating: ones)
            let step = ~(dropped | takesBack) & Words(repeating: ones)
            // HTAB becomes SP; done on words, which keeps the compiler from splitting the vector into bytes.
            let values = unsafeBitCast(current, to: Words.self)
                ^ (isTab & Words(repeating: ones &* UInt64(ASCII.tab ^ ASCII.space)))
            // Inclusive prefix sums of the steps, per byte (at most 16, so no carry between bytes); lane k is
            // written at used - 1 + sum(k) + 1 - advance(k).
            let lowSums = step[0] &* ones
            let highSums = (step[1] &+ (lowSums >> 56)) &* ones
            let target = base + (used &- 1)
            BodyCanonicalizer.scatter(values[0], at: lowSums &+ ones &- advance[0], into: target)
            BodyCanonicalizer.scatter(values[1], at: highSums &+ ones &- advance[1], into: target)
            return used &+ Int(truncatingIfNeeded: highSums >> 56)
        }
    }

    /// The lanes of `block` equal to `byte` as 0xFF bytes (others 0), in two words.
    @inline(__always)
    private static func lanes(_ block: SIMD16<UInt8>, equalTo byte: UInt8) -> SIMD2<UInt64> {
        let mask: SIMDMask<SIMD16<Int8>> = block .== SIMD16<UInt8>(repeating: byte)
        return unsafeBitCast(mask, to: SIMD2<UInt64>.self)
    }

    /// Stores the eight bytes of `values` (lowest first) at `target + offset byte`, in order.
    @inline(__always)
    private static func scatter(_ values: UInt64, at offsets: UInt64, into target: UnsafeMutableRawPointer) {
        var values = values
        var offsets = offsets
        for _ in 0..<8 {
            target.storeBytes(of: UInt8(truncatingIfNeeded: values), toByteOffset: Int(offsets & 0xFF),
                              as: UInt8.self)
            values &>>= 8
            offsets &>>= 8
        }
    }

    /// The offset just past the white space starting at `from`, or `count`.
    @inline(__always)
    private static func skipWSP(_ input: UnsafeRawPointer, from: Int, _ count: Int) -> Int {
        var index = from
        while index < count, ASCII.isWSP(input.load(fromByteOffset: index, as: UInt8.self)) { index += 1 }
        return index
    }

    /// Copies a stretch of the body that starts with content inside a non-empty line, making the common changes
    /// on the way without leaving the loop: a WSP run between content becomes one SP, WSP before CR LF is
    /// dropped, and empty (or white-space-only) lines before a content line are written as CR LF pairs. Returns
    /// where the general state machine of ``processRelaxed(_:_:_:_:)`` takes over, with the state set to match:
    /// at the end of the input, at a line that may be trailing, or at any case this loop leaves to it (a WSP run
    /// or a CR cut by the end of the chunk, a bare CR after white space at the start of a line).
    private mutating func extendRelaxedRun<Sink: ByteSink>(_ input: UnsafeRawPointer, from start: Int, _ count: Int,
                                                           _ output: inout Output, _ sink: inout Sink) -> Int {
        // Bytes [runStart, index) are canonical and not yet written.
        var runStart = start
        var index = start + 1
        // After a change the next byte is known to be content or CR, so the scanners are skipped once.
        var scan = true
        while true {
            if scan {
                let block = BodyCanonicalizer.findFlaggedByte(input, from: index, end: count)
                if block.found {
                    let byte = input.load(fromByteOffset: block.index, as: UInt8.self)
                    if byte == ASCII.lf {
                        // The LF of a CR LF followed by SP, HTAB or CR: the line end is looked at from its CR
                        // (the CR is inside the run: a run never starts at the LF of a CR LF). A bare LF is content.
                        guard input.load(fromByteOffset: block.index - 1, as: UInt8.self) == ASCII.cr else {
                            index = block.index + 1
                            continue
                        }
                        index = block.index - 1
                    } else if byte == ASCII.space || byte == ASCII.tab || byte == ASCII.cr {
                        index = block.index
                    } else {
                        // Another control byte next to a low byte: content.
                        index = block.index + 1
                        continue
                    }
                } else {
                    index = BodyCanonicalizer.skipCanonicalRun(input, from: block.index, end: count)
                    index = BodyCanonicalizer.nextRelaxedSpecial(input, from: index, end: count)
                }
            }
            scan = true
            if index + 1 >= count { break }
            let special = input.load(fromByteOffset: index, as: UInt8.self)
            let after = input.load(fromByteOffset: index + 1, as: UInt8.self)
            if special == ASCII.cr {
                guard after == ASCII.lf else {
                    // A bare CR is content.
                    index += 1
                    continue
                }
                let lineStart = index + 2
                guard lineStart < count else {
                    index = lineStart
                    inLine = false
                    break
                }
                if BodyCanonicalizer.isRelaxedContent(input.load(fromByteOffset: lineStart, as: UInt8.self)) {
                    index = lineStart
                    continue
                }
                // The line ended; the next ones are empty, white space only, or start with white space.
                output.emit(input + runStart, lineStart - runStart, &sink)
                var next = lineStart
                var emptyLines = 0
                var contentAt = next
                while true {
                    contentAt = BodyCanonicalizer.skipWSP(input, from: next, count)
                    guard contentAt + 1 < count,
                          input.load(fromByteOffset: contentAt, as: UInt8.self) == ASCII.cr,
                          input.load(fromByteOffset: contentAt + 1, as: UInt8.self) == ASCII.lf else { break }
                    emptyLines += 1
                    next = contentAt + 2
                }
                guard contentAt < count,
                      BodyCanonicalizer.isRelaxedContent(input.load(fromByteOffset: contentAt, as: UInt8.self))
                else {
                    // Possibly trailing, or cut by the chunk: the state machine goes on from the line start.
                    inLine = false
                    pendingEmptyLines += emptyLines
                    return next
                }
                if emptyLines > 0 { output.emitCRLFs(emptyLines, &sink) }
                if contentAt > next { output.emitByte(ASCII.space, &sink) }
                runStart = contentAt
                index = contentAt + 1
                continue
            }
            if special == ASCII.space, BodyCanonicalizer.isRelaxedContent(after) {
                index += 2
                continue
            }
            // A run of SP / HTAB inside the line.
            let end = BodyCanonicalizer.skipWSP(input, from: index + 1, count)
            guard end < count else { break }
            let byte = input.load(fromByteOffset: end, as: UInt8.self)
            if byte == ASCII.cr {
                guard end + 1 < count else { break }
                if input.load(fromByteOffset: end + 1, as: UInt8.self) == ASCII.lf {
                    // White space before CR LF is dropped; the CR LF is looked at next, without a scan.
                    output.emit(input + runStart, index - runStart, &sink)
                    runStart = end
                    index = end
                    scan = false
                    continue
                }
                // Before a bare CR (content) the run is one SP.
            }
            if special == ASCII.space {
                // Keep the first SP, drop the rest of the run.
                output.emit(input + runStart, index + 1 - runStart, &sink)
            } else {
                output.emit(input + runStart, index - runStart, &sink)
                output.emitByte(ASCII.space, &sink)
            }
            runStart = end
            index = end + 1
        }
        output.emit(input + runStart, index - runStart, &sink)
        return index
    }
}

extension Canonicalization {
    /// Canonicalizes a whole body in one call, through the streaming ``BodyCanonicalizer``.
    /// - Parameters:
    ///   - body: the body bytes, with CRLF line endings.
    ///   - algorithm: the body canonicalization.
    ///   - limit: the `l=` value in canonical octets, or nil for the whole body.
    /// - Returns: the canonical body, cut to `limit` octets when one is given.
    public static func canonicalizeBody(_ body: some Collection<UInt8>, _ algorithm: CanonicalizationAlgorithm,
                                        limit: Int? = nil) -> [UInt8] {
        var canonicalizer = BodyCanonicalizer(algorithm, limit: limit)
        var output: [UInt8] = []
        output.reserveCapacity(body.count + 2)
        let done: Void? = body.withContiguousStorageIfAvailable { buffer in
            canonicalizer.process(UnsafeRawBufferPointer(buffer), into: &output)
        }
        if done == nil {
            Array(body).withUnsafeBytes { canonicalizer.process($0, into: &output) }
        }
        canonicalizer.complete(into: &output)
        return output
    }
}
