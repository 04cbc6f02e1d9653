import DKIMCore

/// Verifies one message file streaming from disk: memory stays flat whatever the file size.
///
/// Does what `verify` does to a whole file read into memory, chunk by chunk: sets aside an mbox envelope line
/// (`From sender date`, RFC 4155) at the very start, converts local line endings to CRLF (RFC 6376 §5.3), and
/// feeds the result to ``DKIMVerifier/makeStream()``.
enum MessageVerifying {
    /// Verifies the message at `path` ("-" for standard input).
    /// - Parameters:
    ///   - path: the file.
    ///   - verifier: the verifier; its options' key cache is shared by every message of a batch.
    /// - Returns: the verification, as ``DKIMVerifier/verify(message:)`` on the whole normalized file.
    /// - Throws: ``FileIOError`` when the file cannot be read, ``DKIMError`` for a malformed header section.
    static func verify(path: String, with verifier: DKIMVerifier) async throws -> MessageVerification {
        var stream = verifier.makeStream()
        var envelope = EnvelopeLineFilter()
        var normalizer = LineEndings.Normalizer()
        var crlf: [UInt8] = []
        let reader = try MessageReader(path: path)
        try reader.forEachChunk { chunk in
            try envelope.filter(chunk) { message in
                crlf.removeAll(keepingCapacity: true)
                normalizer.normalize(message, into: &crlf)
                try stream.update(crlf)
            }
        }
        try envelope.finish { message in
            crlf.removeAll(keepingCapacity: true)
            normalizer.normalize(message, into: &crlf)
            try stream.update(crlf)
        }
        return try await stream.finish()
    }
}

/// Drops a first line that starts with `From ` (an mbox envelope line, not a header field), across chunks.
struct EnvelopeLineFilter {
    private static let prefix = Array("From ".utf8)
    private static let lineFeed: UInt8 = 0x0A

    private enum State {
        /// Still reading the first bytes; `seen` holds those that match the prefix so far.
        case start(seen: [UInt8])
        /// Inside the envelope line, dropping bytes up to and including its LF.
        case skipping
        /// Everything from here on is the message.
        case passing
    }

    private var state = State.start(seen: [])

    /// Passes the part of `chunk` that belongs to the message to `emit` (not at all when there is none).
    mutating func filter(_ chunk: UnsafeRawBufferPointer,
                         _ emit: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        var offset = 0
        while offset <= chunk.count {
            switch state {
            case .passing:
                if offset < chunk.count { try emit(UnsafeRawBufferPointer(rebasing: chunk[offset...])) }
                return
            case .skipping:
                guard let newline = chunk[offset...].firstIndex(of: Self.lineFeed) else { return }
                offset = newline + 1
                state = .passing
            case .start(var seen):
                while seen.count < Self.prefix.count, offset < chunk.count {
                    guard chunk[offset] == Self.prefix[seen.count] else {
                        // Not an envelope line: the held-back bytes are message bytes after all.
                        state = .passing
                        if !seen.isEmpty { try seen.withUnsafeBytes { try emit($0) } }
                        break
                    }
                    seen.append(chunk[offset])
                    offset += 1
                }
                if case .passing = state { continue }
                guard seen.count == Self.prefix.count else {
                    state = .start(seen: seen)
                    return
                }
                state = .skipping
            }
        }
    }

    /// Ends the input: bytes held back as a possible envelope prefix are message bytes after all.
    mutating func finish(_ emit: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        if case .start(let seen) = state, !seen.isEmpty {
            try seen.withUnsafeBytes { try emit($0) }
        }
        state = .passing
    }
}
