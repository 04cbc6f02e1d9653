/// A message split into its header fields and its body (RFC 5322 §2.1).
///
/// The input must already use CRLF line endings: mail on the wire does, and files with bare LF or bare CR are
/// converted first with ``LineEndings/normalizeToCRLF(_:)`` (RFC 6376 §5.3). A bare CR or LF in the header
/// section is rejected; in the body it is left alone (the body canonicalizers treat it as an ordinary byte).
///
/// The body is a slice of the input; it is never copied.
public struct MessageParts: Sendable, Equatable {
    /// The header fields in message order, top first.
    public let headers: [HeaderField]
    /// The body: every byte after the empty line that ends the header section; empty when there is none.
    public let body: ArraySlice<UInt8>
    /// Whether the message has the empty line separating header and body; a message without it is all header.
    public let hasHeaderTerminator: Bool

    /// Splits a CRLF message into header fields and body.
    ///
    /// The header section ends at the first empty line. A message with no empty line is all header and has an
    /// empty body. A message starting with an empty line has no header fields.
    /// - Parameters:
    ///   - message: the message bytes, with CRLF line endings.
    ///   - limits: the bounds on the header section (``DKIMLimits/maximumHeaderSectionOctets``,
    ///     ``DKIMLimits/maximumHeaderFields``); the body is not bounded.
    /// - Throws: ``DKIMError/Code/malformedMessage`` when a header line is neither a field nor a fold, has a bare
    ///   CR or LF, or a field name has a byte outside printable US-ASCII; ``DKIMError/Code/limitExceeded`` when
    ///   the header section is over a bound.
    public init(parsing message: [UInt8], limits: DKIMLimits = .standard) throws {
        let parsed = try Self.spans(of: message, limits: limits)
        headers = parsed.spans.map { span in
            HeaderField(validatedRaw: Array(message[span.start..<span.end]), nameEnd: span.nameEnd - span.start,
                        colonIndex: span.colon - span.start)
        }
        body = parsed.body
        hasHeaderTerminator = parsed.hasHeaderTerminator
    }

    /// Where the header fields of `message` lie, and its body: what ``init(parsing:limits:)`` reads, with the same
    /// rules, bounds and errors.
    static func spans(of message: [UInt8], limits: DKIMLimits) throws
        -> (spans: [HeaderSectionParser.Span], body: ArraySlice<UInt8>, hasHeaderTerminator: Bool) {
        let all = message[...]
        let maximum = limits.maximumHeaderSectionOctets
        let window = all.prefix(maximum < Int.max - 2 ? maximum + 2 : maximum)
        // One pass over the lines finds the empty line on the way (a search for it first read the header twice).
        // Only a well-formed header within the bounds is taken from it: on any fault the two steps below run, so
        // the error is the one they give (the size bound is checked before the lines, for one).
        var spans: [HeaderSectionParser.Span] = []
        // Room for a usual header (the section's size is not known yet); a larger one grows by doubling.
        spans.reserveCapacity(min(limits.maximumHeaderFields, 32))
        do {
            let emptyLine = try HeaderSectionParser.spans(upToEmptyLineOf: window,
                                                          maximumFields: limits.maximumHeaderFields, into: &spans)
            if let emptyLine {
                if emptyLine + 2 <= maximum { return (spans, all[(emptyLine + 2)...], true) }
            } else if window.endIndex == all.endIndex, all.count <= maximum {
                return (spans, all[all.endIndex...], false)
            }
        } catch {
            // Reported by the two steps below.
        }
        let split = try split(message, limits: limits)
        spans = try HeaderSectionParser.spans(of: split.header, firstLineNumber: 1,
                                              maximumFields: limits.maximumHeaderFields)
        return (spans, split.body, split.hasHeaderTerminator)
    }

    /// Finds the header section and the body of `message`, checking the header section's size bound.
    ///
    /// The header section is everything before the empty line, whose CRLF belongs to neither the last field nor
    /// the body; without an empty line the whole message is header and the body is empty.
    static func split(_ message: [UInt8], limits: DKIMLimits) throws
        -> (header: ArraySlice<UInt8>, body: ArraySlice<UInt8>, hasHeaderTerminator: Bool) {
        let all = message[...]
        let maximum = limits.maximumHeaderSectionOctets
        // Look for the empty line only within the bound, so an oversized header costs no more than the bound.
        let window = all.prefix(maximum < Int.max - 2 ? maximum + 2 : maximum)
        if let emptyLine = HeaderSectionParser.emptyLineOffset(in: window, searchingFrom: window.startIndex) {
            guard emptyLine + 2 <= maximum else { throw Self.tooLarge(maximum) }
            return (all[..<emptyLine], all[(emptyLine + 2)...], true)
        }
        guard all.count <= maximum else { throw Self.tooLarge(maximum) }
        return (all, all[all.endIndex...], false)
    }

    private static func tooLarge(_ maximum: Int) -> DKIMError {
        DKIMError(.limitExceeded, "the header section exceeds \(maximum) octets")
    }

    /// Splits a CRLF message into header fields and body; the same as ``init(parsing:limits:)`` with the standard limits.
    /// - Parameter message: the message bytes, with CRLF line endings.
    /// - Throws: ``DKIMError/Code/malformedMessage`` as ``init(parsing:limits:)`` does.
    public static func parse(_ message: [UInt8]) throws -> MessageParts {
        try MessageParts(parsing: message)
    }
}
