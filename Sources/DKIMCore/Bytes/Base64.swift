import CDKIMSIMD

/// Base64 (RFC 4648 §4) as DKIM uses it for `b=`, `bh=` and `p=`.
///
/// DKIM allows folding white space anywhere inside these values (RFC 6376 §2.4, §3.5 `b=`),
/// so decoding skips SP, HTAB, CR and LF; every other byte must be in the base64 alphabet,
/// and padding must be correct. Decoding is strict otherwise: a stray byte is an error
/// rather than something silently dropped.
public enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let padding: UInt8 = ASCII.equals
    private static let invalid: UInt8 = 0xFF

    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: invalid, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    /// ``decodeTable`` four times over, each value moved to its place in a quantum's 24 bits: entry `k << 8 | c`
    /// holds character `c`'s six bits shifted left by `18 - 6k`, or ``quantumInvalid`` for a byte outside the
    /// alphabet (`=` included). The four entries of a quantum OR-ed together are its three bytes, or have the
    /// flag set.
    private static let quantumTable: [UInt32] = {
        var table = [UInt32](repeating: quantumInvalid, count: 4 * 256)
        for (index, byte) in alphabet.enumerated() {
            for position in 0..<4 {
                table[position << 8 | Int(byte)] = UInt32(index) << (18 - 6 * position)
            }
        }
        return table
    }()
    private static let quantumInvalid: UInt32 = 0x8000_0000

    /// Why a base64 value could not be decoded.
    public enum DecodeFailure: Error, Sendable, Equatable, CustomStringConvertible {
        /// A byte outside the alphabet and outside folding white space, at this offset of the input.
        case invalidCharacter(byte: UInt8, offset: Int)
        /// The number of base64 characters is not a multiple of four, or `=` is misplaced.
        case badPadding

        /// A sentence naming the fault.
        public var description: String {
            switch self {
            case .invalidCharacter(let byte, let offset):
                let shown = byte >= 0x21 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
                return "\(shown) at offset \(offset) is not a base64 character"
            case .badPadding:
                return "the base64 text is truncated or its '=' padding is wrong"
            }
        }
    }

    /// Encodes bytes as base64 with padding and no line breaks.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        var output: [UInt8] = []
        let done: Void? = bytes.withContiguousStorageIfAvailable { append(encoding: $0, to: &output) }
        if done == nil { Array(bytes).withUnsafeBufferPointer { append(encoding: $0, to: &output) } }
        return String(decoding: output, as: UTF8.self)
    }

    /// Appends the base64 text of `bytes` (padded, no line breaks) to `output`, writing in place.
    static func append(encoding bytes: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        let length = (bytes.count + 2) / 3 * 4
        guard length > 0 else { return }
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: length))
        alphabet.withUnsafeBufferPointer { table in
            output.withUnsafeMutableBufferPointer { out in
                var target = start
                var index = 0
                // Whole groups of three octets, then the last one or two with '=' padding.
                while index + 3 <= bytes.count {
                    let b0 = bytes[index], b1 = bytes[index + 1], b2 = bytes[index + 2]
                    out[target] = table[Int(b0 >> 2)]
                    out[target + 1] = table[Int((b0 & 0x03) << 4 | b1 >> 4)]
                    out[target + 2] = table[Int((b1 & 0x0F) << 2 | b2 >> 6)]
                    out[target + 3] = table[Int(b2 & 0x3F)]
                    index += 3
                    target += 4
                }
                let left = bytes.count - index
                guard left > 0 else { return }
                let b0 = bytes[index], b1 = left == 2 ? bytes[index + 1] : 0
                out[target] = table[Int(b0 >> 2)]
                out[target + 1] = table[Int((b0 & 0x03) << 4 | b1 >> 4)]
                out[target + 2] = left == 2 ? table[Int((b1 & 0x0F) << 2)] : padding
                out[target + 3] = padding
            }
        }
    }

    /// Decodes base64, skipping folding white space (SP, HTAB, CR, LF).
    ///
    /// - Parameter text: the encoded value, e.g. the bytes of a `b=` tag value.
    /// - Returns: the decoded bytes.
    /// - Throws: ``DecodeFailure`` naming the first offending byte, or bad padding.
    public static func decode(_ text: some Collection<UInt8>) throws(DecodeFailure) -> [UInt8] {
        // Contiguous input (arrays and their slices: every caller here) is decoded through buffer pointers.
        if let result = text.withContiguousStorageIfAvailable({ decode(buffer: $0, kernel: vectorKernel) }) {
            return try result.get()
        }
        return try decode(generic: text)
    }

    /// The best base64 kernel of CDKIMSIMD this CPU runs (AVX2 or none), detected once.
    static let vectorKernel = Int32(cdkim_base64_kernel())

    /// The same decoding over a buffer: a well-formed value through ``decodeGathered(_:kernel:)``, anything else
    /// through ``decodeStrict(_:)``, which then finds the fault and reports it. `kernel` is a CDKIMSIMD base64
    /// kernel (at most ``vectorKernel``), or `CDKIM_BASE64_NONE` for the portable Swift loops; the result is the
    /// same either way.
    static func decode(buffer text: UnsafeBufferPointer<UInt8>, kernel: Int32) -> Result<[UInt8], DecodeFailure> {
        if let decoded = decodeGathered(text, kernel: kernel) { return .success(decoded) }
        return decodeStrict(text)
    }

    /// The usual value, well formed: its characters gathered past the folding white space (a signer folds `b=`
    /// every 70-odd characters, rarely at a multiple of four, which sent most of it through the byte-by-byte loop),
    /// then decoded in place, 32 characters per step with a vector kernel, else four at a time. Nil for anything
    /// else: a byte that is neither in the alphabet nor folding white space, `=` other than in the last quantum, or
    /// a character count not a multiple of four.
    ///
    /// On success the result is the one ``decodeStrict(_:)`` gives: that loop accepts exactly `4k` alphabet
    /// characters followed by nothing, `xx==` or `xxx=`, white space anywhere (RFC 4648 §4, RFC 6376 §2.4).
    static func decodeGathered(_ text: UnsafeBufferPointer<UInt8>, kernel: Int32) -> [UInt8]? {
        guard let base = text.baseAddress, !text.isEmpty else { return nil }
        let total = text.count
        let vector = kernel != Int32(CDKIM_BASE64_NONE)
        // The kernels write up to 32 bytes past the characters they keep and past those they decode.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: total &+ 64) { scratch -> [UInt8]? in
            guard let characters = scratch.baseAddress else { return nil }
            let count: Int
            if vector {
                // SIZE_MAX (a control byte other than folding white space) arrives as -1.
                count = cdkim_base64_gather(kernel, base, total, characters)
                guard count >= 0 else { return nil }
            } else {
                guard let gathered = gather(base, total, into: characters) else { return nil }
                count = gathered
            }
            guard count & 3 == 0 else { return nil }
            // Only the last quantum may be padded (two characters and "==", or three and "="): kept aside, as the
            // kernel overwrites the characters after the ones it decodes.
            var whole = count
            var last: (UInt8, UInt8, UInt8) = (0, 0, 0)
            if count > 0, characters[count &- 1] == padding {
                whole = count &- 4
                last = (characters[whole], characters[whole &+ 1], characters[whole &+ 2])
            }
            if vector {
                guard cdkim_base64_decode(kernel, characters, whole, characters) == whole else { return nil }
            } else {
                guard decodeQuanta(characters, whole) else { return nil }
            }
            var written = whole / 4 * 3
            if whole < count {
                let v0 = decodeTable[Int(last.0)], v1 = decodeTable[Int(last.1)]
                guard (v0 | v1) & 0xC0 == 0 else { return nil }
                if last.2 == padding {
                    characters[written] = v0 &<< 2 | v1 &>> 4
                    written &+= 1
                } else {
                    let v2 = decodeTable[Int(last.2)]
                    guard v2 & 0xC0 == 0 else { return nil }
                    characters[written] = v0 &<< 2 | v1 &>> 4
                    characters[written &+ 1] = v1 &<< 4 | v2 &>> 2
                    written &+= 2
                }
            }
            return Array(UnsafeBufferPointer(start: characters, count: written))
        }
    }

    /// The portable gather: copies the bytes of `base[0 ..< total]` other than folding white space to `characters`
    /// and returns their number, or nil when a byte below 0x21 is not folding white space.
    @inline(__always)
    private static func gather(_ base: UnsafePointer<UInt8>, _ total: Int,
                               into characters: UnsafeMutablePointer<UInt8>) -> Int? {
        // Runs of bytes above SP are copied whole; the bytes between must be folding white space.
        var count = 0
        var offset = 0
        while offset < total {
            let stop = ByteScan.first(below: ASCII.space &+ 1, or: ASCII.space, ASCII.space,
                                      in: UnsafeRawPointer(base), from: offset, end: total)
            if stop > offset {
                (characters + count).initialize(from: base + offset, count: stop &- offset)
                count &+= stop &- offset
            }
            guard stop < total else { break }
            let byte = base[stop]
            guard byte == ASCII.space || byte == ASCII.tab || byte == ASCII.cr || byte == ASCII.lf else {
                return nil
            }
            offset = stop &+ 1
        }
        return count
    }

    /// The portable decoding of `characters[0 ..< count]` (whole quanta, no padding), in place: false when one of
    /// them is outside the alphabet.
    @inline(__always)
    private static func decodeQuanta(_ characters: UnsafeMutablePointer<UInt8>, _ count: Int) -> Bool {
        // The three bytes of quantum q go to 3q..<3q+3, below the characters not yet read (4q+4), written as one
        // word whose fourth byte lands on the quantum's last character, already read.
        let raw = UnsafeMutableRawPointer(characters)
        return quantumTable.withUnsafeBufferPointer { quantum in
            var read = 0
            var written = 0
            while read < count {
                let word = quantum[Int(characters[read])] | quantum[256 &+ Int(characters[read &+ 1])]
                    | quantum[512 &+ Int(characters[read &+ 2])] | quantum[768 &+ Int(characters[read &+ 3])]
                guard word & quantumInvalid == 0 else { return false }
                raw.storeBytes(of: (word &<< 8).bigEndian, toByteOffset: written, as: UInt32.self)
                written &+= 3
                read &+= 4
            }
            return true
        }
    }

    /// The byte-by-byte decoding over a buffer, into an output buffer sized up front: the rules of
    /// ``decode(generic:)``, and the fault it would report.
    private static func decodeStrict(_ text: UnsafeBufferPointer<UInt8>) -> Result<[UInt8], DecodeFailure> {
        var failure: DecodeFailure?
        // At most three bytes per four characters, plus two for a final partial quantum.
        let capacity = text.count / 4 * 3 + 3
        // Decoded into a temporary buffer and copied out: `[UInt8](unsafeUninitializedCapacity:)` allocates
        // through the stdlib's unspecialised path, which looks the storage type up at run time on every call.
        let output = decodeTable.withUnsafeBufferPointer { table in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { out -> [UInt8] in
                var written = 0
                var quad: UInt32 = 0
                var count = 0
                var padCount = 0
                var offset = 0
                while offset < text.count {
                    // Whole quanta of four alphabet characters (the common case between folds), in a loop of
                    // their own until one is not: table values are below 64, and `invalid` has its top bits set.
                    if count == 0, padCount == 0 {
                        var fast = offset
                        while fast &+ 4 <= text.count {
                            let v0 = table[Int(text[fast])], v1 = table[Int(text[fast &+ 1])]
                            let v2 = table[Int(text[fast &+ 2])], v3 = table[Int(text[fast &+ 3])]
                            guard (v0 | v1 | v2 | v3) & 0xC0 == 0 else { break }
                            // Masking shifts: the amounts are constants below 8, and the checked forms cost more.
                            out[written] = v0 &<< 2 | v1 &>> 4
                            out[written &+ 1] = v1 &<< 4 | v2 &>> 2
                            out[written &+ 2] = v2 &<< 6 | v3
                            written &+= 3
                            fast &+= 4
                        }
                        if fast > offset {
                            offset = fast
                            continue
                        }
                    }
                    let byte = text[offset]
                    offset += 1
                    let value = table[Int(byte)]
                    if value != invalid {
                        guard padCount == 0 else {
                            failure = .badPadding
                            return []
                        }
                        quad = quad << 6 | UInt32(value)
                        count += 1
                        if count == 4 {
                            out[written] = UInt8(truncatingIfNeeded: quad >> 16)
                            out[written + 1] = UInt8(truncatingIfNeeded: quad >> 8)
                            out[written + 2] = UInt8(truncatingIfNeeded: quad)
                            written += 3
                            quad = 0
                            count = 0
                        }
                        continue
                    }
                    if byte == ASCII.space || byte == ASCII.tab || byte == ASCII.cr || byte == ASCII.lf { continue }
                    if byte == padding {
                        guard count >= 2, count + padCount < 4 else {
                            failure = .badPadding
                            return []
                        }
                        padCount += 1
                        continue
                    }
                    failure = .invalidCharacter(byte: byte, offset: offset - 1)
                    return []
                }
                switch (count, padCount) {
                case (0, 0):
                    break
                case (2, 2):
                    out[written] = UInt8(truncatingIfNeeded: quad >> 4)
                    written += 1
                case (3, 1):
                    out[written] = UInt8(truncatingIfNeeded: quad >> 10)
                    out[written + 1] = UInt8(truncatingIfNeeded: quad >> 2)
                    written += 2
                default:
                    failure = .badPadding
                    return []
                }
                return Array(UnsafeBufferPointer(rebasing: out[..<written]))
            }
        }
        if let failure { return .failure(failure) }
        return .success(output)
    }

    private static func decode(generic text: some Collection<UInt8>) throws(DecodeFailure) -> [UInt8] {
        var output = [UInt8]()
        output.reserveCapacity(text.count / 4 * 3)
        var quad: UInt32 = 0
        var count = 0          // base64 characters in the current quantum
        var padCount = 0       // '=' seen so far; only white space may follow them
        let table = decodeTable  // read the lazily initialised global once, not once per byte
        for (offset, byte) in text.enumerated() {
            if byte == ASCII.space || byte == ASCII.tab || byte == ASCII.cr || byte == ASCII.lf { continue }
            if byte == padding {
                // '=' may only stand in the last one or two positions of the final quantum.
                guard count >= 2, count + padCount < 4 else { throw .badPadding }
                padCount += 1
                continue
            }
            let value = table[Int(byte)]
            guard value != invalid else { throw .invalidCharacter(byte: byte, offset: offset) }
            guard padCount == 0 else { throw .badPadding }
            quad = quad << 6 | UInt32(value)
            count += 1
            if count == 4 {
                output.append(UInt8(truncatingIfNeeded: quad >> 16))
                output.append(UInt8(truncatingIfNeeded: quad >> 8))
                output.append(UInt8(truncatingIfNeeded: quad))
                quad = 0
                count = 0
            }
        }
        switch (count, padCount) {
        case (0, 0):
            break
        case (2, 2):
            // Non-zero unused low bits are tolerated (RFC 4648 §3.5 lets decoders accept them), as peers do.
            output.append(UInt8(truncatingIfNeeded: quad >> 4))
        case (3, 1):
            output.append(UInt8(truncatingIfNeeded: quad >> 10))
            output.append(UInt8(truncatingIfNeeded: quad >> 2))
        default:
            throw .badPadding
        }
        return output
    }
}
