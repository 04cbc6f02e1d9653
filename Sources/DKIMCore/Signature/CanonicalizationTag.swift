/// The `c=` value of a signature (RFC 6376 §3.5): the header and body canonicalization names.
///
/// Each name is `simple` or `relaxed`, stored in lower case. This small type stands in for the
/// canonicalization model of `Canonicalization/`, with which it is meant to be unified.
public struct CanonicalizationTag: Sendable, Hashable, CustomStringConvertible {
    /// The header canonicalization: `simple` or `relaxed`.
    public let header: String
    /// The body canonicalization: `simple` or `relaxed`.
    public let body: String

    /// `simple/simple`, the value implied by a missing `c=` (RFC 6376 §3.5).
    public static let simple = CanonicalizationTag(checkedHeader: "simple", body: "simple")
    /// `relaxed/relaxed`, the usual choice for signing, as it survives common re-folding.
    public static let relaxed = CanonicalizationTag(checkedHeader: "relaxed", body: "relaxed")

    private static let names: Set<String> = ["simple", "relaxed"]

    private init(checkedHeader header: String, body: String) {
        self.header = header
        self.body = body
    }

    /// Creates a value from two names, or nil if either is not `simple` or `relaxed` (ASCII case ignored).
    ///
    /// - Parameters:
    ///   - header: the header canonicalization name.
    ///   - body: the body canonicalization name.
    public init?(header: String, body: String) {
        let header = header.lowercased(), body = body.lowercased()
        guard Self.names.contains(header), Self.names.contains(body) else { return nil }
        self.init(checkedHeader: header, body: body)
    }

    /// Parses a `c=` value: `header/body`, or a single name, which sets the header canonicalization
    /// and leaves the body at `simple` (RFC 6376 §3.5). No white space is allowed around the `/`.
    ///
    /// - Parameter tagValue: the value of the `c=` tag.
    /// - Returns: nil for an unknown name, an empty part or more than one `/`.
    public init?(tagValue: String) {
        let parts = tagValue.split(separator: "/", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: self.init(header: String(parts[0]), body: "simple")
        case 2: self.init(header: String(parts[0]), body: String(parts[1]))
        default: return nil
        }
    }

    /// The `c=` value, always in the two-part form `header/body`.
    public var tagValue: String { header + "/" + body }

    /// The `c=` value, as ``tagValue``.
    public var description: String { tagValue }
}
