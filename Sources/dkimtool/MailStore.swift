#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where one message came from: its file, and for a message of an mbox its number and the byte offset of its
/// `From ` line in that file. The identity is stable: the same store read twice gives the same identities.
struct MessageIdentity: Sendable, Equatable {
    /// The path as given or found under a directory argument; `-` for standard input.
    var path: String
    /// The 1-based number of the message in its mbox, nil for a file holding one message.
    var message: Int?
    /// The byte offset of the message's `From ` separator line in its mbox, nil for a one-message file.
    var offset: Int?

    /// `path` for a one-message file, `path#N@offset` for message N of an mbox.
    var display: String {
        guard let message, let offset else { return path }
        return "\(path)#\(message)@\(offset)"
    }
}

/// The inputs of `verify`: files, directories (walked recursively, Maildir aware) and mbox files.
enum MailStore {
    /// One input found by expanding the arguments: a file to read, or a path that cannot be read.
    enum Input: Sendable, Equatable {
        case file(String)
        case unreadable(String, String)
    }

    /// Expands the command's arguments, in order, into the files to read.
    ///
    /// A directory is walked depth-first in byte order of the names, so a store always yields the same order.
    /// Hidden entries (names starting with `.`) are skipped, except the `.Folder` subfolders of a Maildir
    /// (Maildir++). A directory holding both `cur/` and `new/` is a Maildir: only the messages in `cur/` and
    /// `new/` and its `.Folder` subfolders are read; `tmp/` (deliveries in progress) and the index files in its
    /// root are not. Symbolic links to files are followed; symbolic links to directories are not, so a link
    /// cycle cannot make the walk endless.
    static func expand(_ arguments: [String]) -> [Input] {
        var inputs: [Input] = []
        for argument in arguments {
            if argument == "-" {
                inputs.append(.file(argument))
                continue
            }
            var info = stat()
            guard stat(argument, &info) == 0 else {
                inputs.append(.unreadable(argument, "cannot read \(argument): \(FileIOError.reason(argument, errno))"))
                continue
            }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                walk(directory: argument, into: &inputs)
            } else {
                inputs.append(.file(argument))
            }
        }
        return inputs
    }

    private static func walk(directory: String, into inputs: inout [Input]) {
        let names: [String]
        do {
            names = try sortedNames(in: directory)
        } catch {
            inputs.append(.unreadable(directory, "cannot read directory \(directory)"))
            return
        }
        let isMaildir = isDirectory(join(directory, "cur"), followLinks: true)
            && isDirectory(join(directory, "new"), followLinks: true)
        for name in names {
            let path = join(directory, name)
            if isMaildir {
                if name == "cur" || name == "new" {
                    walk(directory: path, into: &inputs)
                } else if name.hasPrefix("."), isDirectory(path, followLinks: false) {
                    walk(directory: path, into: &inputs)   // a Maildir++ folder such as .Sent
                }
                continue
            }
            if name.hasPrefix(".") { continue }
            var info = stat()
            guard lstat(path, &info) == 0 else {
                inputs.append(.unreadable(path, "cannot read \(path): \(FileIOError.reason(path, errno))"))
                continue
            }
            switch info.st_mode & S_IFMT {
            case S_IFDIR: walk(directory: path, into: &inputs)
            case S_IFREG: inputs.append(.file(path))
            case S_IFLNK:
                if !isDirectory(path, followLinks: true) { inputs.append(.file(path)) }
            default: continue   // sockets, FIFOs and devices are not messages
            }
        }
    }

    /// One name in a directory and the type `readdir(3)` gives it (`DT_UNKNOWN` where the file system does not
    /// say, so the caller must then `stat` it).
    struct Entry {
        let name: String
        let type: UInt8
    }

    /// The entries of `directory` but `.` and `..`, in byte order of their names, so a listing always comes out
    /// the same.
    static func sortedEntries(in directory: String) throws -> [Entry] {
        guard let stream = opendir(directory) else { throw FileIOError.input(directory) }
        defer { closedir(stream) }
        var entries: [Entry] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw FileIOError.input(directory) }
                break
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            entries.append(Entry(name: name, type: entry.pointee.d_type))
        }
        entries.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        return entries
    }

    /// The names of ``sortedEntries(in:)``.
    static func sortedNames(in directory: String) throws -> [String] {
        try sortedEntries(in: directory).map(\.name)
    }

    static func join(_ directory: String, _ name: String) -> String {
        if directory.isEmpty { return name }
        return directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The directory (`.` when the path has none) and the last name of `path`, as dirname(1) and basename(1)
    /// split it: slashes at the end of either part are dropped.
    static func split(_ path: String) -> (directory: String, name: String) {
        var bytes = Array(path.utf8)
        while bytes.count > 1, bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else {
            return (".", String(decoding: bytes, as: UTF8.self))
        }
        let name = String(decoding: bytes[(slash + 1)...], as: UTF8.self)
        var directory = bytes[..<slash]
        while directory.last == UInt8(ascii: "/") { directory.removeLast() }
        return (directory.isEmpty ? "/" : String(decoding: directory, as: UTF8.self), name)
    }

    static func isDirectory(_ path: String, followLinks: Bool) -> Bool {
        var info = stat()
        let status = followLinks ? stat(path, &info) : lstat(path, &info)
        return status == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }
}

/// A file (or standard input for `-`) read in chunks, for the mbox reader, which must not hold a whole mbox.
struct ChunkReader: ~Copyable {
    static let chunkSize = 1 << 20

    private let file: MessageReader
    private var buffer = [UInt8](repeating: 0, count: ChunkReader.chunkSize)

    var path: String { file.path }

    init(path: String) throws {
        file = try MessageReader(path: path)
    }

    /// The next chunk (a copy, so the buffer can be reused at once), or nil at the end of the file.
    mutating func next() throws -> [UInt8]? {
        let count = try buffer.withUnsafeMutableBytes { try file.read(into: $0) }
        return count == 0 ? nil : Array(buffer[..<count])
    }
}

/// Splits an mbox into its messages as the bytes stream in (RFC 4155 Appendix A, with mboxrd unquoting).
///
/// The rules, chosen from RFC 4155 Appendix A and what mail programs write:
/// - A separator is a line starting with the five octets `From ` that is the first line of the file or follows
///   an empty line. A `From ` line inside a paragraph (an unquoted line of an mboxo writer) stays message text.
/// - The separator line is not part of the message; the message's byte offset is that of its separator.
/// - Writers end every message with one empty line before the next separator (and at the end of the file): that
///   one empty line belongs to the mbox, not to the message, and is removed. Further empty lines before it are
///   the message's own. A last message without the closing empty line is kept as it is.
/// - mboxrd quoting is undone on every line of the message: a line matching `>+From ` loses its first `>`.
///   For an mboxrd file this restores the original bytes exactly. An mboxo writer quotes `From ` but not
///   `>From `, so an original body line `>From ` is read back as `From `; such a message cannot be restored and
///   may fail with `body-hash-mismatch` (the mbox, not the signature, is at fault).
/// - Line ends are kept as they are (LF or CRLF); the verifier normalises each message (RFC 6376 §5.3).
///
/// Feed chunks of any size; the messages come out identical wherever the chunks are cut. At most one message
/// and one line are held at a time.
struct MboxSplitter: Sendable {
    /// One message of the mbox, with its quoting undone.
    struct Message: Sendable, Equatable {
        /// 1-based number in the mbox.
        var number: Int
        /// Byte offset of its `From ` separator line.
        var offset: Int
        var bytes: [UInt8]
    }

    static let separator = Array("From ".utf8)

    private var consumed = 0
    private var line: [UInt8] = []
    private var lineOffset = 0
    private var current: Message?
    private var pendingEmptyLine: [UInt8]?
    private var previousLineEmpty = true   // the start of the file counts as following an empty line
    private var count = 0
    /// Whether text came before the first separator (the input is then not an mbox).
    private(set) var leadingText = false

    /// Whether `bytes` begin as an mbox does: with a `From ` line.
    static func looksLikeMbox(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.starts(with: separator)
    }

    /// The first bytes of the file at `path` (as many as an mbox separator has, fewer for a shorter file): enough
    /// for ``looksLikeMbox(_:)``, without reading a whole chunk.
    static func head(of path: String) throws -> [UInt8] {
        let file = try MessageReader(path: path)
        var head = [UInt8](repeating: 0, count: separator.count)
        var filled = 0
        while filled < head.count {
            let count = try head.withUnsafeMutableBytes {
                try file.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...]))
            }
            if count == 0 { break }
            filled += count
        }
        return Array(head[..<filled])
    }

    /// Consumes a chunk; returns the messages it completed, in order.
    mutating func feed(_ chunk: some Collection<UInt8>) -> [Message] {
        var done: [Message] = []
        var start = chunk.startIndex
        while let newline = chunk[start...].firstIndex(of: ASCIIByte.lineFeed) {
            let next = chunk.index(after: newline)
            line.append(contentsOf: chunk[start..<next])
            takeLine(into: &done)
            start = next
        }
        line.append(contentsOf: chunk[start...])
        return done
    }

    /// Ends the input; returns the last message, if any.
    mutating func finish() -> [Message] {
        var done: [Message] = []
        if !line.isEmpty { takeLine(into: &done) }
        pendingEmptyLine = nil   // the closing empty line of the last message is the mbox's
        if let message = current { done.append(message) }
        current = nil
        return done
    }

    private mutating func takeLine(into done: inout [Message]) {
        defer {
            consumed += line.count
            lineOffset = consumed
            line.removeAll(keepingCapacity: true)
        }
        let isEmpty = line == [ASCIIByte.lineFeed] || line == [ASCIIByte.carriageReturn, ASCIIByte.lineFeed]
        if previousLineEmpty, line.starts(with: Self.separator) {
            if let message = current { done.append(message) }
            count += 1
            current = Message(number: count, offset: lineOffset, bytes: [])
            pendingEmptyLine = nil
            previousLineEmpty = false
            return
        }
        previousLineEmpty = isEmpty
        guard current != nil else {
            leadingText = true
            return
        }
        if let pending = pendingEmptyLine {
            current?.bytes.append(contentsOf: pending)
            pendingEmptyLine = nil
        }
        if isEmpty {
            pendingEmptyLine = line
        } else {
            current?.bytes.append(contentsOf: Self.unquoted(line))
        }
    }

    /// mboxrd: a line `>+From ` loses one `>`; any other line is unchanged.
    static func unquoted(_ line: [UInt8]) -> ArraySlice<UInt8> {
        let quotes = line.prefix { $0 == ASCIIByte.greaterThan }.count
        guard quotes > 0, line[quotes...].starts(with: separator) else { return line[...] }
        return line.dropFirst()
    }

    /// Counts the messages of the mbox file at `path` without keeping them (for the progress total).
    static func countMessages(path: String) throws -> Int {
        var reader = try ChunkReader(path: path)
        var total = 0
        var head: [UInt8] = []   // the first (at most five) bytes of the current line
        var lineLength = 0
        var previousLineEmpty = true
        while let chunk = try reader.next() {
            for byte in chunk {
                if lineLength < separator.count { head.append(byte) }
                lineLength += 1
                guard byte == ASCIIByte.lineFeed else { continue }
                let isSeparator = previousLineEmpty && head == separator
                if isSeparator { total += 1 }
                previousLineEmpty = !isSeparator
                    && (lineLength == 1 || (lineLength == 2 && head.first == ASCIIByte.carriageReturn))
                lineLength = 0
                head.removeAll(keepingCapacity: true)
            }
        }
        if lineLength > 0, previousLineEmpty, head == separator { total += 1 }
        return total
    }
}

/// The bytes the mbox code names (kept here: the CLI does not reach into DKIMCore's internal ASCII table).
enum ASCIIByte {
    static let lineFeed = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
    static let greaterThan = UInt8(ascii: ">")
}
