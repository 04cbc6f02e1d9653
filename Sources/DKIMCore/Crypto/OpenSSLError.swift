import CDKIMOpenSSL

/// Turns OpenSSL's thread-local error queue into a readable ``DKIMError``.
enum OpenSSLError {
    /// Drains the error queue and returns an error whose reason names `context` and every queued OpenSSL reason.
    ///
    /// The queue is always emptied, so a stale entry cannot be blamed on a later, unrelated call.
    static func make(_ code: DKIMError.Code, _ context: String) -> DKIMError {
        var reasons: [String] = []
        while true {
            let packed = ERR_get_error()
            if packed == 0 { break }
            // A bounded number of entries is plenty for a message; keep draining regardless.
            guard reasons.count < 4 else { continue }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(packed, &buffer, buffer.count)
            let text = buffer.withUnsafeBufferPointer { pointer -> String in
                guard let base = pointer.baseAddress else { return "" }
                return String(cString: base)
            }
            reasons.append(text)
        }
        if reasons.isEmpty {
            return DKIMError(code, context)
        }
        return DKIMError(code, "\(context) (OpenSSL: \(reasons.joined(separator: "; ")))")
    }

    /// Empties the error queue; used after an expected failure (a trial decode, a signature that does not verify).
    static func clear() {
        ERR_clear_error()
    }
}
