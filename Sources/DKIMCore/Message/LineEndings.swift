/// Line-ending detection and conversion to CRLF (RFC 6376 §5.3).
///
/// DKIM signs and verifies the message in its SMTP form, where every line ends in CRLF. Files on disk often use
/// bare LF (or, rarely, bare CR); RFC 6376 §5.3 has the signer convert such local line endings to CRLF before
/// signing, and a verifier reading a file must do the same. This conversion is explicit: nothing else in DKIMCore
/// applies it.
///
/// Which bytes are line ends is decided by the first one in the text. When it is a bare CR (a classic Mac OS
/// file), every bare CR and every bare LF becomes CRLF. Otherwise (LF or CRLF first, as in every Unix or wire-form
/// file) only a bare LF is a line end; a CR that no LF follows is an ordinary byte of its line, as RFC 6376
/// §3.4.3 and §3.4.4 read it in the CRLF-delimited lines of a message, so a message sent with one verifies from
/// its saved copy, and a signature covers the bytes that are sent.
public enum LineEndings {
    /// The line-ending style of some bytes.
    public enum Style: String, Sendable, Hashable {
        /// Every line ends in CRLF.
        case crlf
        /// Every line ends in a bare LF.
        case lf
        /// Every line ends in a bare CR.
        case cr
        /// More than one of the above.
        case mixed
        /// No line ending at all.
        case none
    }

    /// Converts the text's local line ends to CRLF (see ``LineEndings``), leaving existing CRLF pairs untouched.
    /// - Parameter bytes: the input, in any line-ending style.
    /// - Returns: the same text with CRLF line endings.
    public static func normalizeToCRLF(_ bytes: [UInt8]) -> [UInt8] {
        var normalizer = Normalizer()
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + bytes.count / 16)
        bytes.withUnsafeBytes { normalizer.normalize($0, into: &output) }
        return output
    }

    /// Reports which line endings `bytes` uses.
    /// - Parameter bytes: the bytes to inspect.
    /// - Returns: the single style used, ``Style/mixed`` when several are, ``Style/none`` when there is no line end.
    public static func detect(_ bytes: some Collection<UInt8>) -> Style {
        // Contiguous bytes are searched in place; a caller in another module reaches this function unspecialized,
        // where iterating byte by byte would go through the protocol for every byte. Other collections are copied.
        if let style = bytes.withContiguousStorageIfAvailable({ detect(contiguous: UnsafeRawBufferPointer($0)) }) {
            return style
        }
        return Array(bytes).withUnsafeBytes { detect(contiguous: $0) }
    }

    /// ``detect(_:)`` over contiguous bytes, from one line break to the next (found by the header parser's search,
    /// SSE2 on x86-64), so the bytes between line breaks are not looked at one by one.
    static func detect(contiguous bytes: UnsafeRawBufferPointer) -> Style {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return .none }
        let pointer = base.assumingMemoryBound(to: UInt8.self)
        let count = bytes.count
        var sawCRLF = false
        var sawLF = false
        var sawCR = false
        var index = HeaderSectionParser.firstLineBreak(in: pointer, from: 0, end: count)
        while index < count {
            if pointer[index] == ASCII.lf {
                sawLF = true
                index += 1
            } else if index + 1 < count && pointer[index + 1] == ASCII.lf {
                sawCRLF = true
                index += 2
            } else {
                sawCR = true
                index += 1
            }
            index = HeaderSectionParser.firstLineBreak(in: pointer, from: index, end: count)
        }
        return style(crlf: sawCRLF, bareLF: sawLF, bareCR: sawCR)
    }

    fileprivate static func style(crlf: Bool, bareLF: Bool, bareCR: Bool) -> Style {
        switch (crlf, bareLF, bareCR) {
        case (false, false, false): .none
        case (true, false, false): .crlf
        case (false, true, false): .lf
        case (false, false, true): .cr
        default: .mixed
        }
    }

    /// Streaming conversion to CRLF: a CR ending one chunk and an LF starting the next make one CRLF, and the output
    /// is the same wherever the chunks are cut.
    ///
    /// The normalizer never holds bytes back, so there is nothing to flush at the end of the input: a CR is written
    /// at once, and its LF (when the text turns out to use bare CR line ends) as soon as the next byte shows it.
    public struct Normalizer: Sendable {
        /// What the first line end of the text said.
        private enum Mode: Sendable {
            /// No line end yet, or only a CR at the very end of the input so far.
            case undecided
            /// LF or CRLF line ends: a bare LF becomes CRLF, a CR that no LF follows is data.
            case lineFeed
            /// Bare CR line ends: every bare CR and every bare LF becomes CRLF.
            case carriageReturn
        }

        private var mode = Mode.undecided
        private var previousWasCR = false
        private var sawCRLF = false
        private var sawBareLF = false
        private var sawBareCR = false

        /// Creates a normalizer at the start of the input.
        public init() {}

        /// The line ends of the input so far as this normalizer reads them (see ``LineEndings``): CRLF pairs, bare
        /// LFs, and bare CRs only in a text whose first line end is one, since anywhere else such a CR is data.
        /// A CR that ends the input before any other line end counts once the next byte shows what it is.
        public var lineEnds: Style {
            LineEndings.style(crlf: sawCRLF, bareLF: sawBareLF, bareCR: sawBareCR)
        }

        /// Converts one chunk, writing the result into `sink`.
        ///
        /// CRLF pairs stay inside the runs of bytes passed through, so a chunk that is already CRLF reaches `sink`
        /// in one write; only a line end that changes splits a run.
        /// - Parameters:
        ///   - chunk: the next input bytes.
        ///   - sink: where the CRLF text goes.
        public mutating func normalize<Sink: ByteSink>(_ chunk: UnsafeRawBufferPointer, into sink: inout Sink) {
            guard let base = chunk.baseAddress, chunk.count > 0 else { return }
            let bytes = base.assumingMemoryBound(to: UInt8.self)
            let count = chunk.count
            var index = 0
            var runStart = 0
            func flushRun(through end: Int) {
                if runStart < end { sink.write(UnsafeRawBufferPointer(start: base + runStart, count: end - runStart)) }
                runStart = end
            }
            func writeByte(_ byte: UInt8) {
                withUnsafeBytes(of: byte) { sink.write($0) }
            }
            if previousWasCR {
                // The previous chunk ended in a CR, already written.
                switch (mode, bytes[0] == ASCII.lf) {
                case (.carriageReturn, true):
                    sawCRLF = true
                    index = 1          // that CR was written as CRLF: this LF is its
                    runStart = 1
                case (.carriageReturn, false):
                    break
                case (.lineFeed, true), (.undecided, true):
                    sawCRLF = true
                    mode = .lineFeed   // CR and LF make a CRLF pair: the LF passes
                    index = 1
                case (.lineFeed, false):
                    break              // the CR was data
                case (.undecided, false):
                    sawBareCR = true
                    mode = .carriageReturn   // a bare CR was the first line end: complete it
                    writeByte(ASCII.lf)
                }
            }
            while true {
                index = HeaderSectionParser.firstLineBreak(in: bytes, from: index, end: count)
                guard index < count else { break }
                if bytes[index] == ASCII.lf {
                    // A bare LF (the LF of a pair is stepped over below): a CR goes before it.
                    if mode == .undecided { mode = .lineFeed }
                    sawBareLF = true
                    flushRun(through: index)
                    writeByte(ASCII.cr)
                    index += 1
                } else if index + 1 < count && bytes[index + 1] == ASCII.lf {
                    if mode == .undecided { mode = .lineFeed }
                    sawCRLF = true
                    index += 2         // a CRLF pair stays in the run
                } else if index + 1 < count && mode == .undecided {
                    mode = .carriageReturn   // a bare CR is the first line end; handled on the next turn
                } else if mode == .carriageReturn {
                    // A bare CR, or a CR ending the chunk: written as CRLF now, never held back. (This mode began
                    // with a bare CR, so `sawBareCR` is already true either way.)
                    sawBareCR = true
                    index += 1
                    flushRun(through: index)
                    writeByte(ASCII.lf)
                } else {
                    index += 1         // a CR that is data, or one ending the chunk before any line end
                }
            }
            flushRun(through: count)
            previousWasCR = bytes[count - 1] == ASCII.cr
        }

        /// Converts one chunk and returns the result.
        /// - Parameter chunk: the next input bytes.
        /// - Returns: the chunk with CRLF line endings (an LF continuing a CR of the previous chunk is dropped).
        public mutating func normalize(_ chunk: [UInt8]) -> [UInt8] {
            var output: [UInt8] = []
            output.reserveCapacity(chunk.count + chunk.count / 16)
            chunk.withUnsafeBytes { normalize($0, into: &output) }
            return output
        }
    }
}
