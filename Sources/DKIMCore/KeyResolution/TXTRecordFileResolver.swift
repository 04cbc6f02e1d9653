#if canImport(Glibc)
import Glibc
#endif

/// A resolver that answers from a `--txt-records` file instead of DNS, for offline use and tests.
///
/// File format, one record per line:
/// ```
/// # comment
/// NAME  VALUE
/// sel._domainkey.example.com  v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=
/// big._domainkey.example.com  "v=DKIM1; k=rsa; " "p=MIIB..." "...IDAQAB"
/// down._domainkey.example.com ~~SERVFAIL~~
/// gone._domainkey.example.com NXDOMAIN
/// ```
/// - NAME and VALUE are separated by spaces or tabs; NAME is compared case-insensitively, a trailing dot ignored.
/// - VALUE is either the rest of the line, trimmed (one record; split into 255-octet strings as it
///   would be published), or one or more double-quoted strings as in a zone file (RFC 1035 §5.1), with
///   the escapes `\"`, `\\`, `\DDD` (a decimal octet) and `\X` (X itself); each string at most 255 octets.
/// - Several lines with the same NAME give that name several TXT records, in file order.
/// - Lines whose first non-blank byte is `#` are comments; blank lines are ignored; a CR before LF is ignored.
/// - Conventions of the Mail::DKIM test corpus: a bare VALUE starting with `~~` makes the lookup fail
///   temporarily (the text between the tildes is the reason), and a bare VALUE `NXDOMAIN` makes it
///   not found. Such a name may have no other line.
/// A name that is not in the file is ``TXTLookupResult/notFound``.
public struct TXTRecordFileResolver: DKIMKeyResolver, ImmediateKeyResolver {
    /// The longest character-string in a TXT record (RFC 1035 §3.3).
    static let maxStringLength = 255

    /// The file's answers, keyed by names already in lookup form (``DNSName`` normalizes them as the file is read).
    private let answers: StaticKeyResolver

    /// Reads and parses the file at `path`.
    ///
    /// - Parameter path: a file system path.
    /// - Throws: ``DKIMError`` `.unreadableInput` when the file cannot be read; `.malformedInput` when a
    ///   line is malformed (the reason names the path and line number).
    public init(contentsOfFile path: String) throws {
        let bytes = try Self.readFile(path)
        do {
            try self.init(bytes: bytes)
        } catch let error as DKIMError {
            throw DKIMError(error.code, "\(path): \(error.reason)")
        }
    }

    /// Parses the file's bytes.
    ///
    /// - Parameter bytes: the whole file.
    /// - Throws: ``DKIMError`` `.malformedInput` naming the first malformed line.
    public init(bytes: [UInt8]) throws {
        var records: [String: [DNSTXTRecord]] = [:]
        var special: [String: TXTLookupResult] = [:]
        var lineNumber = 0
        for rawLine in bytes.split(separator: ASCII.lf, omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = rawLine
            if line.last == ASCII.cr { line = line.dropLast() }
            line = Self.trimmed(line)
            if line.isEmpty || line.first == ASCII.hash { continue }

            guard let nameEnd = line.firstIndex(where: ASCII.isWSP) else {
                throw Self.error(lineNumber, "has a name but no value")
            }
            let rawName = String(decoding: line[..<nameEnd], as: UTF8.self)
            let name: String
            switch DNSName.normalize(rawName) {
            case .success(let value): name = value
            case .failure(let failure): throw Self.error(lineNumber, failure.sentence)
            }
            let value = Self.trimmed(line[nameEnd...])
            guard !value.isEmpty else { throw Self.error(lineNumber, "has a name but no value") }

            let entry: TXTLookupResult
            if value.first == ASCII.doubleQuote {
                entry = .records([DNSTXTRecord(strings: try Self.quotedStrings(value, line: lineNumber))])
            } else if value.starts(with: [ASCII.tilde, ASCII.tilde]) {
                var reason = value.dropFirst(2)
                if reason.suffix(2).elementsEqual([ASCII.tilde, ASCII.tilde]) { reason = reason.dropLast(2) }
                let text = String(decoding: reason, as: UTF8.self)
                entry = .temporaryFailure(text.isEmpty ? "Simulated temporary DNS failure." : text)
            } else if value.elementsEqual("NXDOMAIN".utf8) {
                entry = .notFound
            } else {
                entry = .records([DNSTXTRecord(strings: Self.chunked(value))])
            }

            switch entry {
            case .records(let new):
                guard special[name] == nil else {
                    throw Self.error(lineNumber, "adds a record to \(name), which an earlier line marks as failing")
                }
                records[name, default: []].append(contentsOf: new)
            default:
                guard special[name] == nil, records[name] == nil else {
                    throw Self.error(lineNumber, "marks \(name) as failing, but an earlier line already defines it")
                }
                special[name] = entry
            }
        }
        var table = special
        for (name, list) in records { table[name] = .records(list) }
        self.answers = StaticKeyResolver(table)
    }

    /// Returns the file's answer for `name`, or ``TXTLookupResult/notFound`` when it is not in the file.
    public func lookupTXT(_ name: String) async -> TXTLookupResult {
        answers.answer(for: name)
    }

    func immediateTXT(_ name: String) -> TXTLookupResult? {
        answers.answer(for: name)
    }

    // MARK: Parsing

    private static func error(_ line: Int, _ what: String) -> DKIMError {
        DKIMError(.malformedInput, "TXT records file, line \(line): \(what).")
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = bytes
        while let first = slice.first, ASCII.isWSP(first) { slice = slice.dropFirst() }
        while let last = slice.last, ASCII.isWSP(last) { slice = slice.dropLast() }
        return slice
    }

    /// A bare value as it would be published: consecutive strings of at most 255 octets.
    private static func chunked(_ value: ArraySlice<UInt8>) -> [[UInt8]] {
        stride(from: value.startIndex, to: value.endIndex, by: maxStringLength).map { start in
            Array(value[start..<min(start + maxStringLength, value.endIndex)])
        }
    }

    /// RFC 1035 §5.1 quoted character-strings separated by blanks, with `\X` and `\DDD` escapes.
    private static func quotedStrings(_ value: ArraySlice<UInt8>, line: Int) throws -> [[UInt8]] {
        var strings: [[UInt8]] = []
        var index = value.startIndex
        while index < value.endIndex {
            if ASCII.isWSP(value[index]) {
                index += 1
                continue
            }
            guard value[index] == ASCII.doubleQuote else {
                throw error(line, "has text outside double quotes; quote every string or none")
            }
            index += 1
            var current: [UInt8] = []
            var closed = false
            while index < value.endIndex {
                let byte = value[index]
                if byte == ASCII.doubleQuote {
                    closed = true
                    index += 1
                    break
                }
                if byte == ASCII.backslash {
                    index += 1
                    guard index < value.endIndex else { break }
                    if ASCII.isDigit(value[index]) {
                        guard index + 3 <= value.endIndex, value[index..<(index + 3)].allSatisfy(ASCII.isDigit) else {
                            throw error(line, "has a \\DDD escape without three digits")
                        }
                        let number = value[index..<(index + 3)].reduce(0) { $0 * 10 + Int($1 - ASCII.zero) }
                        guard number <= 255 else { throw error(line, "has a \\DDD escape above 255") }
                        current.append(UInt8(number))
                        index += 3
                    } else {
                        current.append(value[index])
                        index += 1
                    }
                    continue
                }
                current.append(byte)
                index += 1
            }
            guard closed else { throw error(line, "has an unterminated quoted string") }
            guard current.count <= maxStringLength else {
                throw error(line, "has a quoted string of \(current.count) octets; at most \(maxStringLength) fit")
            }
            strings.append(current)
            if index < value.endIndex, !ASCII.isWSP(value[index]), value[index] != ASCII.doubleQuote {
                throw error(line, "has text right after a closing quote")
            }
        }
        return strings
    }

    /// Reads a whole file with POSIX calls (no Foundation in DKIMCore).
    private static func readFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw DKIMError(.unreadableInput, "Cannot open TXT records file \(path): \(Sentence.closed(reason))")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                throw DKIMError(.unreadableInput, "Cannot read TXT records file \(path): \(Sentence.closed(reason))")
            }
            bytes.append(contentsOf: buffer.prefix(count))
        }
        return bytes
    }
}
