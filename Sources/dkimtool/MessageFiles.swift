#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import DKIMCore

/// Why a file could not be read or written; the command maps it to a sysexits code.
struct FileIOError: Error, CustomStringConvertible {
    enum Kind {
        /// The input is missing or unreadable (EX_NOINPUT, 66).
        case input
        /// The output cannot be created or written (EX_CANTCREAT, 73).
        case output
    }

    let kind: Kind
    let description: String

    static func input(_ path: String, _ code: Int32 = errno) -> FileIOError {
        FileIOError(kind: .input, description: "cannot read \(path): \(reason(path, code))")
    }

    static func output(_ path: String, _ code: Int32 = errno) -> FileIOError {
        FileIOError(kind: .output, description: "cannot write \(path): \(reason(path, code))")
    }

    /// What strerror(3) says of `code`; for a missing path with U+FFFD in it, also the likely cause. A name on
    /// disk that is not valid UTF-8 reaches dkimtool (from the command line or a directory listing) as a Swift
    /// string, with U+FFFD in place of the invalid bytes, and that repaired name does not exist.
    static func reason(_ path: String, _ code: Int32) -> String {
        let text = String(cString: strerror(code))
        guard code == ENOENT, path.unicodeScalars.contains("\u{FFFD}") else { return text }
        return text + " (the name on disk is probably not valid UTF-8, shown here with U+FFFD; dkimtool opens only "
            + "names that are valid UTF-8: rename the file)"
    }
}

/// A message file opened for reading in chunks, or standard input for "-".
struct MessageReader: ~Copyable {
    static let chunkSize = 1 << 20

    let path: String
    private let descriptor: Int32
    private let ownsDescriptor: Bool
    /// The size of a regular file when it was opened; nil for standard input, pipes and devices.
    let regularFileSize: Int?

    init(path: String) throws {
        self.path = path
        if path == "-" {
            descriptor = STDIN_FILENO
            ownsDescriptor = false
            regularFileSize = nil
            return
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileIOError.input(path) }
        var info = stat()
        let known = fstat(fd, &info) == 0
        if known, (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw FileIOError(kind: .input, description: "cannot read \(path): it is a directory")
        }
        descriptor = fd
        ownsDescriptor = true
        regularFileSize = known && (info.st_mode & S_IFMT) == S_IFREG ? Int(info.st_size) : nil
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    /// Calls `body` with each chunk until the end of the file.
    func forEachChunk(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        // A small file gets a small buffer, not zeroed: allocating and clearing 1 MiB twice per message was the
        // largest cost after the signature itself in a batch of small messages.
        var size = Self.chunkSize
        if let regularFileSize {
            // One byte more than the file, so the second read sees the end of the file.
            size = max(4096, min(Self.chunkSize, regularFileSize + 1))
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        var total = 0
        while true {
            let count = Glibc.read(descriptor, buffer.baseAddress, size)
            if count < 0 {
                if errno == EINTR { continue }
                throw FileIOError.input(path)
            }
            if count == 0 { return }
            total += count
            try body(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            // A short read that brings the total to the file's size is the end of the file: asking again would
            // only return 0. Any other short read (a file whose size is not its length, as in /proc) reads on.
            if count < size, total == regularFileSize { return }
        }
    }

    /// Reads up to `buffer.count` bytes into `buffer`; 0 at the end of the file.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let count = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno != EINTR { throw FileIOError.input(path) }
        }
    }

    /// Reads the whole file.
    func readAll() throws -> [UInt8] {
        var bytes: [UInt8] = []
        try forEachChunk { bytes.append(contentsOf: $0) }
        return bytes
    }
}

extension MessageReader {
    /// Reads a whole file or standard input, mapping failures to ``FileIOError``.
    static func readAll(_ path: String) throws -> [UInt8] {
        let file = try MessageReader(path: path)
        return try file.readAll()
    }
}

/// A message output written to a temporary file beside the destination and renamed over it on ``commit()``,
/// so a failure never leaves a half-written file; or standard output for nil. (Whole small files such as keys
/// go through ``OutputFile`` instead.)
///
/// Where Linux allows it, a new file (no `--force`) is an unnamed `O_TMPFILE` in the destination's directory,
/// linked in by name on commit: one change to the directory per file instead of three (create, link, unlink),
/// which matters when every core of a batch writes into the same directory. Elsewhere, a `mkstemp` file.
struct MessageWriter: ~Copyable {
    let path: String?
    private let temporaryPath: String?
    private let descriptor: Int32
    private let overwrite: Bool
    /// The output is an unnamed `O_TMPFILE` (a file with no temporary name): commit links it in by descriptor.
    private var unnamed: Bool { path != nil && temporaryPath == nil }
    private var committed = false

    /// Opens the output.
    ///
    /// - Parameters:
    ///   - path: the destination, or nil for standard output.
    ///   - overwrite: replace an existing file; otherwise an existing destination is an error.
    ///   - mode: permission bits of the new file.
    init(path: String?, overwrite: Bool, mode: mode_t = 0o644) throws {
        let target = try path.map { try Self.openTarget(beside: $0, overwrite: overwrite, mode: mode) }
        self.path = path
        self.overwrite = overwrite
        descriptor = target?.descriptor ?? STDOUT_FILENO
        temporaryPath = target?.temporaryPath
    }

    /// Opens the file the output is written to before commit: unnamed (`temporaryPath` nil) or a `mkstemp` file.
    private static func openTarget(beside path: String, overwrite: Bool,
                                   mode: mode_t) throws -> (descriptor: Int32, temporaryPath: String?) {
        // Without --force an existing destination is refused by commit: linkat(2) and link(2) fail with EEXIST
        // rather than replace it, which also covers a file that appears while the message is being written.
        var temporaryPath: String?
        var fd: Int32
        if !overwrite, let unnamed = openUnnamed(beside: path) {
            fd = unnamed
        } else {
            var template = Array((path + ".tmp-XXXXXX").utf8CString)
            fd = template.withUnsafeMutableBufferPointer { buffer -> Int32 in
                guard let base = buffer.baseAddress else { return -1 }
                return mkstemp(base)
            }
            guard fd >= 0 else { throw FileIOError.output(path) }
            temporaryPath = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) },
                                   as: UTF8.self)
        }
        // Both are created 0600; widen only when the caller asked for a wider mode.
        if mode != 0o600, fchmod(fd, mode) != 0 {
            let code = errno
            close(fd)
            if let temporaryPath { unlink(temporaryPath) }
            throw FileIOError.output(path, code)
        }
        return (fd, temporaryPath)
    }

    deinit {
        if unnamed {
            close(descriptor)   // never linked: the file goes with its descriptor
        } else if let temporaryPath {
            close(descriptor)
            if !committed { unlink(temporaryPath) }
        }
    }

    /// An unnamed file (mode 0600) in the directory of `path`, or nil where `O_TMPFILE` is not available (other
    /// systems, old kernels, file systems without it, no `/proc` to link it through): the caller then falls back.
    private static func openUnnamed(beside path: String) -> Int32? {
        #if os(Linux) && (arch(x86_64) || arch(arm64))
        // O_TMPFILE is __O_TMPFILE | O_DIRECTORY; Glibc hides it from Swift (_GNU_SOURCE). __O_TMPFILE is
        // 0o20000000 on both architectures (asm-generic/fcntl.h); O_DIRECTORY differs and comes from Glibc.
        let tmpfile = Int32(0o20000000) | O_DIRECTORY
        var directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
            .joined(separator: "/")
        if directory.isEmpty { directory = path.hasPrefix("/") ? "/" : "." }
        guard procFileDescriptorsUsable else { return nil }
        let fd = open(directory, tmpfile | O_WRONLY | O_CLOEXEC, mode_t(0o600))
        return fd >= 0 ? fd : nil
        #else
        return nil
        #endif
    }

    /// Whether `/proc/self/fd` can be searched, so an unnamed file can be linked in through it; asked once per
    /// process, not once per file of a batch.
    private static let procFileDescriptorsUsable = access("/proc/self/fd", X_OK) == 0

    /// Writes all bytes.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        guard let base = bytes.baseAddress else { return }
        while offset < bytes.count {
            let written = Glibc.write(descriptor, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw FileIOError.output(path ?? "standard output")
            }
            offset += written
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Writes `first`, then `second`: one writev(2) where the system takes both at once.
    func write(_ first: [UInt8], _ second: [UInt8]) throws {
        let written = first.withUnsafeBytes { head in
            second.withUnsafeBytes { tail in
                var vectors = [head, tail].map { iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress),
                                                       iov_len: $0.count) }
                return writev(descriptor, &vectors, 2)
            }
        }
        // A short or interrupted write finishes with plain writes from where it stopped.
        let done = max(written, 0)
        if done < first.count {
            try first.withUnsafeBytes { try write(UnsafeRawBufferPointer(rebasing: $0[done...])) }
            try write(second)
        } else {
            try second.withUnsafeBytes { try write(UnsafeRawBufferPointer(rebasing: $0[(done - first.count)...])) }
        }
    }

    /// Makes the output visible at its path (atomic rename), after flushing it to disk.
    mutating func commit() throws {
        if unnamed, let path {
            guard fsync(descriptor) == 0 else { throw FileIOError.output(path) }
            // linkat(2) through /proc gives the unnamed file its name; EEXIST if one appeared meanwhile.
            guard linkat(AT_FDCWD, "/proc/self/fd/\(descriptor)", AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0 else {
                let code = errno
                throw code == EEXIST
                    ? FileIOError(kind: .output, description: "\(path) already exists; use --force to replace it")
                    : .output(path, code)
            }
            committed = true
            return
        }
        guard let path, let temporaryPath else { return }
        guard fsync(descriptor) == 0 else { throw FileIOError.output(path) }
        if overwrite {
            guard rename(temporaryPath, path) == 0 else { throw FileIOError.output(path) }
        } else {
            // link(2) fails with EEXIST instead of replacing a file that appeared while we were writing.
            guard link(temporaryPath, path) == 0 else {
                let code = errno
                throw code == EEXIST
                    ? FileIOError(kind: .output, description: "\(path) already exists; use --force to replace it")
                    : .output(path, code)
            }
            unlink(temporaryPath)
        }
        committed = true
    }
}
