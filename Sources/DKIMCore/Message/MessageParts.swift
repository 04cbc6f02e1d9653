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
        let split = try Self.split(message, limits: limits)
        headers = try HeaderSectionParser.parse(split.header, firstLineNumber: 1,
                                                maximumFields: limits.maximumHeaderFields)
        body = split.body
        hasHeaderTerminator = split.hasHeaderTerminator
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
