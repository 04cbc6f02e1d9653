/// Something canonicalized bytes can be written into: a hash, or a buffer in tests.
///
/// The body canonicalizer writes its output through this protocol so the same state machine
/// feeds SHA-256 when signing or verifying and a plain byte array when tested.
public protocol ByteSink {
    /// Appends `bytes` to the sink.
    mutating func write(_ bytes: UnsafeRawBufferPointer)
}

/// A byte array collects what is written into it (used by tests and one-shot helpers).
extension Array: ByteSink where Element == UInt8 {
    /// Appends `bytes`.
    public mutating func write(_ bytes: UnsafeRawBufferPointer) {
        append(contentsOf: bytes)
    }
}
