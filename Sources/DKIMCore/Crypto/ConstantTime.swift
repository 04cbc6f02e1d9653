import CDKIMOpenSSL

/// Compares two byte strings in time that depends only on their lengths, not on their contents.
///
/// Used for the body hash (`bh=`, RFC 6376 §3.7) so an attacker cannot learn how many leading bytes matched.
/// Lengths are not secret: arrays of different lengths compare unequal at once.
/// - Parameters:
///   - a: The first byte string.
///   - b: The second byte string.
/// - Returns: `true` when both have the same length and the same bytes.
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    if a.isEmpty { return true }
    return a.withUnsafeBytes { left in
        b.withUnsafeBytes { right in
            guard let l = left.baseAddress, let r = right.baseAddress else { return false }
            return CRYPTO_memcmp(l, r, left.count) == 0
        }
    }
}
