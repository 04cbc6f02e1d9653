/// Reads a message's header section from a stream of chunks, then hands back the first body bytes.
///
/// A signer reading a large file keeps only the header in memory: feed chunks until ``feed(_:)-([UInt8])`` returns the
/// leftover bytes of the chunk that completed the header, then stream those bytes and the rest of the input
/// through a ``BodyCanonicalizer``. The input must use CRLF line endings (see ``MessageParts``).
public struct HeaderSectionReader: Sendable {
    /// The most header bytes accepted before the empty line; larger headers throw.
    public let maximumHeaderLength: Int
    /// The most header fields accepted; more throw.
    public let maximumHeaderFields: Int
    /// The header fields, once the header section is complete; nil before.
    public private(set) var headers: [HeaderField]?
    /// The header section exactly as read, including the empty line's CRLF when there was one.
    ///
    /// Complete only once ``headers`` is non-nil.
    public private(set) var headerSection: [UInt8] = []
    private var scanned = 0
    private var finished = false

    /// Creates a reader.
    /// - Parameters:
    ///   - maximumHeaderLength: the bound on the header section in octets (default 1 MiB).
    ///   - maximumHeaderFields: the bound on the number of fields (default ``DKIMLimits/maximumHeaderFields``).
    public init(maximumHeaderLength: Int = DKIMLimits.standard.maximumHeaderSectionOctets,
                maximumHeaderFields: Int = DKIMLimits.standard.maximumHeaderFields) {
        self.maximumHeaderLength = maximumHeaderLength
        self.maximumHeaderFields = maximumHeaderFields
    }

    /// Feeds the next chunk of the message.
    /// - Parameter chunk: the next bytes of the message.
    /// - Returns: nil while the header section is incomplete; once the empty line has been read, the bytes of
    ///   `chunk` after it (the start of the body, possibly empty), and ``headers`` is set.
    /// - Throws: ``DKIMError/Code/malformedMessage`` for a bad header line, ``DKIMError/Code/limitExceeded`` when
    ///   the header exceeds ``maximumHeaderLength`` or ``maximumHeaderFields``, ``DKIMError/Code/misuse`` after the
    ///   header is complete.
    public mutating func feed(_ chunk: ArraySlice<UInt8>) throws -> ArraySlice<UInt8>? {
        let bodyStart = try chunk.withUnsafeBytes { try feed($0) }
        return bodyStart.map { chunk[(chunk.startIndex + $0)...] }
    }

    /// Feeds the next chunk of the message, without copying more of it than the header section and one window.
    /// - Parameter chunk: the next bytes of the message.
    /// - Returns: nil while the header section is incomplete; once the empty line has been read, the offset in
    ///   `chunk` where the body starts (possibly `chunk.count`), and ``headers`` is set.
    /// - Throws: as the `ArraySlice` variant.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer) throws -> Int? {
        guard !finished else {
            throw DKIMError(.misuse, "HeaderSectionReader.feed called after the header section was complete")
        }
        // The chunk is copied a window at a time, so a whole message given in one chunk costs a copy of its
        // header (and less than one window of its body), not of the message.
        var offset = 0
        repeat {
            let take = min(chunk.count - offset, Self.window)
            let before = headerSection.count
            headerSection.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[offset..<(offset + take)]))
            // Restart three bytes back so an empty line split across windows or chunks is still seen.
            let from = max(0, scanned - 3)
            if let emptyLine = HeaderSectionParser.emptyLineOffset(in: headerSection[...], searchingFrom: from) {
                let sectionEnd = emptyLine + 2
                if sectionEnd > maximumHeaderLength {
                    throw DKIMError(.limitExceeded, "the header section exceeds \(maximumHeaderLength) octets")
                }
                headers = try HeaderSectionParser.parse(headerSection[..<emptyLine], firstLineNumber: 1,
                                                        maximumFields: maximumHeaderFields)
                headerSection.removeSubrange(sectionEnd...)
                finished = true
                return offset + (sectionEnd - before)
            }
            scanned = headerSection.count
            if headerSection.count > maximumHeaderLength {
                throw DKIMError(.limitExceeded, "the header section exceeds \(maximumHeaderLength) octets")
            }
            offset += take
        } while offset < chunk.count
        return nil
    }

    /// How much of a chunk is copied before looking for the empty line again.
    private static let window = 16 * 1024

    /// Feeds the next chunk of the message; see ``feed(_:)-(ArraySlice<UInt8>)``.
    /// - Parameter chunk: the next bytes of the message.
    /// - Returns: nil while the header is incomplete, then the body bytes of this chunk.
    /// - Throws: as the `ArraySlice` variant.
    public mutating func feed(_ chunk: [UInt8]) throws -> ArraySlice<UInt8>? {
        try feed(chunk[...])
    }

    /// Ends the input before an empty line was seen: the whole input is header and the body is empty.
    /// - Returns: the header fields.
    /// - Throws: ``DKIMError/Code/malformedMessage`` for a bad header line; ``DKIMError/Code/misuse`` when the
    ///   header was already complete.
    public mutating func finish() throws -> [HeaderField] {
        guard !finished else {
            throw DKIMError(.misuse, "HeaderSectionReader.finish called after the header section was complete")
        }
        let fields = try HeaderSectionParser.parse(headerSection[...], firstLineNumber: 1,
                                                  maximumFields: maximumHeaderFields)
        headers = fields
        finished = true
        return fields
    }
}
