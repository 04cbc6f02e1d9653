#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import DKIMCore
// JSONEncoder only. Not Foundation: loading it (and the ICU data it links) at every start cost a batch of
// small messages its second core's speed-up (docs/performance-history.md, "Seventh pass").
import FoundationEssentials

/// Exit codes from sysexits(3), as ARCHITECTURE.md §5 fixes them. Usage errors (64) come from `ValidationError`.
enum SysExit {
    /// EX_DATAERR: the input data was malformed.
    static let malformedInput = ExitCode(65)
    /// EX_NOINPUT: an input file did not exist or was not readable.
    static let inputMissing = ExitCode(66)
    /// EX_CANTCREAT: an output file could not be created.
    static let cannotCreateOutput = ExitCode(73)
    /// EX_SOFTWARE: an internal failure (OpenSSL could not generate a key).
    static let internalFailure = ExitCode(70)
}

/// `--format text|json`.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text
    case json
}

/// Results to stdout, diagnostics to stderr.
enum Console {
    static func out(_ line: String) {
        write(line + "\n", to: STDOUT_FILENO)
    }

    static func error(_ message: String) {
        write("dkimtool: error: \(message)\n", to: STDERR_FILENO)
    }

    static func warning(_ message: String) {
        write("dkimtool: warning: \(message)\n", to: STDERR_FILENO)
    }

    /// Writes all of `text` with one `write(2)` where the descriptor takes it, unbuffered, so lines from the
    /// parts of a batch never interleave. A failed write (a closed pipe) is dropped: there is nowhere to report it.
    private static func write(_ text: String, to descriptor: Int32) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count, let base = bytes.baseAddress {
                let written = Glibc.write(descriptor, base + offset, bytes.count - offset)
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }

    /// Prints `message` as an error and returns the exit code to throw.
    static func fail(_ message: String, _ code: ExitCode) -> ExitCode {
        error(message)
        return code
    }

    /// Encodes a value as one line of JSON (sorted keys, `/` unescaped so base64 stays readable).
    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// One warning in JSON output.
struct WarningJSON: Encodable {
    var code: String
    var message: String

    init(_ warning: KeyRecordWarning) {
        code = warning.code.rawValue
        message = warning.message
    }
}

/// Checks names given on the command line.
enum DNSName {
    /// A selector or domain: dot-separated LDH labels of 1–63 octets (RFC 6376 §3.1 `sub-domain`, RFC 5321 §4.1.2).
    ///
    /// Selectors become file names in `keygen`, so this check also keeps `/` and leading dots out of paths.
    static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= 253 else { return false }
        for label in bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard let first = label.first, let last = label.last, label.count <= 63,
                isLetterOrDigit(first), isLetterOrDigit(last),
                label.allSatisfy({ isLetterOrDigit($0) || $0 == UInt8(ascii: "-") })
            else { return false }
        }
        return true
    }

    private static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    /// Drops one trailing dot of an absolute name.
    static func normalized(_ name: String) -> String {
        name.hasSuffix(".") ? String(name.dropLast()) : name
    }
}

/// Input files.
enum InputFile {
    /// Largest key file read: generous for an 8192-bit PEM key (about 6.5 KB).
    static let maximumKeyFileBytes = 1 << 20

    /// Reads a private key file (PEM or DER, PKCS#1 or PKCS#8); exits 66 if unreadable, 65 if not a usable key.
    static func privateKey(at path: String) throws -> DKIMPrivateKey {
        let bytes: [UInt8]
        do {
            // "./-", not standard input: a key file named "-" is a file.
            bytes = try MessageReader.readAll(path == "-" ? "./-" : path)
        } catch let error as FileIOError {
            throw Console.fail(error.description, SysExit.inputMissing)
        }
        guard bytes.count <= maximumKeyFileBytes else {
            throw Console.fail("\(path) is too large to be a private key", SysExit.malformedInput)
        }
        warnIfUnsafe(path)
        do {
            if bytes.starts(with: Array("-----".utf8)) || bytes.firstRange(of: Array("-----BEGIN ".utf8)) != nil {
                return try DKIMPrivateKey(pemRepresentation: String(decoding: bytes, as: UTF8.self))
            }
            return try DKIMPrivateKey(derRepresentation: bytes)
        } catch let error as DKIMError {
            throw Console.fail("\(path): \(error.reason)", SysExit.malformedInput)
        }
    }
}

extension InputFile {
    /// Group and other permission bits: a private key should have none of them.
    static let unsafeModeBits: mode_t = 0o077

    /// Warns on stderr when the key file at `path` can be read or written by group or others, as OpenDKIM's
    /// RequireSafeKeys does; the key is still used. The message names the file and the fix, never the key.
    static func warnIfUnsafe(_ path: String) {
        var status = stat()
        guard stat(path, &status) == 0, status.st_mode & unsafeModeBits != 0 else { return }
        let mode = String(status.st_mode & 0o777, radix: 8)
        Console.warning("\(Console.printable(path)) has mode \(mode): the private key is open to group or others; "
            + "run: chmod 600 \(Console.printable(path))")
    }
}

/// Output files, created with their final mode from the start.
enum OutputFile {
    struct Failure: Error {
        var message: String
    }

    /// Writes `contents` to `path`, created with `mode`.
    ///
    /// Without `replacing`, the file is created with `O_CREAT | O_EXCL | O_NOFOLLOW` and `mode`, so an existing
    /// file or symlink is never touched. With `replacing`, a temporary file is made by `mkstemp` (mode 0600) in
    /// the same directory, set to `mode` if that is different, filled, synced and renamed over `path`, so the
    /// old file stays intact until the new one is complete. Either way the file never has a wider mode than
    /// `mode`, not even for a moment.
    static func write(_ contents: [UInt8], to path: String, mode: mode_t, replacing: Bool) throws {
        if replacing {
            try writeReplacing(contents, to: path, mode: mode)
            return
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        guard descriptor >= 0 else {
            throw Failure(message: "cannot create \(path): \(errnoDescription())")
        }
        do {
            try fill(descriptor, contents, path: path)
        } catch {
            unlink(path)
            throw error
        }
    }

    private static func writeReplacing(_ contents: [UInt8], to path: String, mode: mode_t) throws {
        let (directory, name) = MailStore.split(path)
        var template = Array((directory + "/.\(name).XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return -1 }
            return mkstemp(base)
        }
        let temporary = template.withUnsafeBufferPointer { buffer in
            buffer.baseAddress.map { String(cString: $0) } ?? path
        }
        guard descriptor >= 0 else {
            throw Failure(message: "cannot create a temporary file next to \(path): \(errnoDescription())")
        }
        do {
            if mode != 0o600, fchmod(descriptor, mode) != 0 {
                close(descriptor)
                throw Failure(message: "cannot set the mode of \(temporary): \(errnoDescription())")
            }
            try fill(descriptor, contents, path: temporary)
            guard rename(temporary, path) == 0 else {
                throw Failure(message: "cannot replace \(path): \(errnoDescription())")
            }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Writes everything, syncs and closes `descriptor` (closing it on failure too).
    private static func fill(_ descriptor: Int32, _ contents: [UInt8], path: String) throws {
        defer { close(descriptor) }
        var offset = 0
        while offset < contents.count {
            let written = contents[offset...].withUnsafeBytes { buffer in
                Glibc.write(descriptor, buffer.baseAddress, buffer.count)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw Failure(message: "cannot write \(path): \(errnoDescription())")
            }
            offset += written
        }
        guard fsync(descriptor) == 0 else {
            throw Failure(message: "cannot sync \(path): \(errnoDescription())")
        }
    }

    /// Whether something (file, directory or symlink, even dangling) exists at `path`.
    static func exists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }

    static func errnoDescription() -> String {
        String(cString: strerror(errno))
    }
}
