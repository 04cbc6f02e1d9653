/// Line-ending detection and conversion to CRLF (RFC 6376 §5.3).
///
/// DKIM signs and verifies the message in its SMTP form, where every line ends in CRLF. Files on disk often use
/// bare LF (or, rarely, bare CR); RFC 6376 §5.3 has the signer convert such local line endings to CRLF before
/// signing, and a verifier reading a file must do the same. This conversion is explicit: nothing else in DKIMCore
/// applies it.
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

    /// Converts every bare LF and every bare CR to CRLF, leaving existing CRLF pairs untouched.
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
        var sawCRLF = false
        var sawLF = false
        var sawCR = false
        var previousWasCR = false
        for byte in bytes {
            if byte == ASCII.lf {
                if previousWasCR { sawCRLF = true } else { sawLF = true }
            } else if previousWasCR {
                sawCR = true
            }
            previousWasCR = byte == ASCII.cr
        }
        if previousWasCR { sawCR = true }
        switch (sawCRLF, sawLF, sawCR) {
        case (false, false, false): return .none
        case (true, false, false): return .crlf
        case (false, true, false): return .lf
        case (false, false, true): return .cr
        default: return .mixed
        }
    }

    /// Streaming conversion to CRLF: a CR ending one chunk and an LF starting the next make one CRLF.
    ///
    /// The normalizer never holds bytes back: a CR is written as CRLF at once, and an LF directly after a CR is
    /// then dropped, so there is nothing to flush at the end of the input.
    public struct Normalizer: Sendable {
        private var previousWasCR = false

        /// Creates a normalizer at the start of the input.
        public init() {}

        /// Converts one chunk, writing the result into `sink`.
        /// - Parameters:
        ///   - chunk: the next input bytes.
        ///   - sink: where the CRLF text goes.
        public mutating func normalize<Sink: ByteSink>(_ chunk: UnsafeRawBufferPointer, into sink: inout Sink) {
            var runStart = 0
            var index = 0
            let count = chunk.count
            while index < count {
                let byte = chunk[index]
                if byte != ASCII.cr && byte != ASCII.lf {
                    previousWasCR = false
                    index += 1
                    continue
                }
                if runStart < index {
                    sink.write(UnsafeRawBufferPointer(rebasing: chunk[runStart..<index]))
                }
                if byte == ASCII.cr || !previousWasCR {
                    ASCII.crlf.withUnsafeBytes { sink.write($0) }
                }
                // An LF right after a CR was already written as part of that CR's CRLF.
                previousWasCR = byte == ASCII.cr
                index += 1
                runStart = index
            }
            if runStart < count {
                sink.write(UnsafeRawBufferPointer(rebasing: chunk[runStart..<count]))
            }
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
