#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The wall clock in whole seconds since the epoch, as DKIM's `t=` and `x=` count time (RFC 6376 §3.5).
///
/// Signing and verifying take a clock closure in their options; this is the default one.
public enum SystemClock {
    /// Seconds since 1970-01-01T00:00:00Z.
    public static func now() -> Int64 {
        Int64(time(nil))
    }
}
