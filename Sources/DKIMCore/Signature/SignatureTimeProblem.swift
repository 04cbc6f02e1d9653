/// A time-dependent reason to reject an otherwise well-formed signature (RFC 6376 §3.5 `t=`, `x=`).
public enum SignatureTimeProblem: Sendable, Hashable, CustomStringConvertible {
    /// `x=` lies before the verification time.
    case expired(expiration: Int64, now: Int64)
    /// `t=` lies after the verification time by more than the allowed clock skew.
    case timestampInFuture(timestamp: Int64, now: Int64)

    /// The stable, machine-readable reason: `signature-expired` or `timestamp-in-future`.
    public var reason: String {
        switch self {
        case .expired: return "signature-expired"
        case .timestampInFuture: return "timestamp-in-future"
        }
    }

    /// A human sentence describing the problem.
    public var description: String {
        switch self {
        case .expired(let expiration, let now):
            return "the signature expired at \(expiration) (x=), before the verification time \(now)"
        case .timestampInFuture(let timestamp, let now):
            return "the signature timestamp \(timestamp) (t=) lies after the verification time \(now)"
        }
    }
}
