import DKIMCore
import Foundation
import Testing
@testable import dkimtool

/// `dkimtool verify` over mail stores: the mbox splitter's rules, directory and Maildir walks, and the same
/// verdicts and summary for one set of messages stored as files, as a Maildir and as an mbox.
@Suite struct MailStoreTests {
    // MARK: - mbox splitting (RFC 4155 Appendix A, mboxrd)

    static let mbox = Array((
        "From a@example.com Sat Nov 28 10:00:00 2026\n"
        + "Subject: one\n\nfirst line\nFrom me, a line in a paragraph\n>From quoted once\n>>From quoted twice\n\n\n"
        + "From b@example.com Sat Nov 28 10:00:01 2026\n"
        + "Subject: two\n\nno closing newline"
    ).utf8)

    static let expected: [MboxSplitter.Message] = [
        .init(number: 1, offset: 0, bytes: Array(
            "Subject: one\n\nfirst line\nFrom me, a line in a paragraph\nFrom quoted once\n>From quoted twice\n\n"
                .utf8)),
        .init(number: 2, offset: 140, bytes: Array("Subject: two\n\nno closing newline".utf8)),
    ]

    @Test func splitsOnFromLinesAfterAnEmptyLineAndUndoesQuoting() {
        var splitter = MboxSplitter()
        let messages = splitter.feed(Self.mbox) + splitter.finish()
        #expect(messages == Self.expected)
        #expect(Array(Self.mbox[140..<145]) == Array("From ".utf8))
        #expect(!splitter.leadingText)
    }

    @Test func identicalWhereverTheChunksAreCut() {
        for cut in 0...Self.mbox.count {
            var splitter = MboxSplitter()
            let messages = splitter.feed(Self.mbox[..<cut]) + splitter.feed(Self.mbox[cut...]) + splitter.finish()
            #expect(messages == Self.expected, "cut at \(cut)")
        }
        var splitter = MboxSplitter()
        var messages: [MboxSplitter.Message] = []
        for byte in Self.mbox { messages += splitter.feed([byte]) }
        #expect(messages + splitter.finish() == Self.expected)
    }

    @Test func theClosingEmptyLineBelongsToTheMbox() {
        // CRLF mbox: the one empty line before the next separator and at the end is the format's.
        let text = "From x\r\nA: 1\r\n\r\nbody\r\n\r\n\r\nFrom y\r\nB: 2\r\n\r\nlast\r\n\r\n"
        var splitter = MboxSplitter()
        let messages = splitter.feed(Array(text.utf8)) + splitter.finish()
        #expect(messages.map(\.bytes) == [Array("A: 1\r\n\r\nbody\r\n\r\n".utf8), Array("B: 2\r\n\r\nlast\r\n".utf8)])
        #expect(messages.map(\.offset) == [0, 26])
    }

    @Test func textBeforeTheFirstSeparatorIsNoted() {
        var splitter = MboxSplitter()
        let messages = splitter.feed(Array("Subject: x\n\nFrom y\nA: 1\n".utf8)) + splitter.finish()
        #expect(splitter.leadingText)
        #expect(messages.map(\.bytes) == [Array("A: 1\n".utf8)])
    }

    @Test func countsWhatItSplits() throws {
        let directory = try CLI.temporaryDirectory()
        let path = directory.appendingPathComponent("box").path
        try Data(Self.mbox + Array("\n\nFrom c\nC: 3\n".utf8)).write(to: URL(fileURLWithPath: path))
        #expect(try MboxSplitter.countMessages(path: path) == 3)
        var splitter = MboxSplitter()
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
        #expect((splitter.feed(bytes) + splitter.finish()).count == 3)
    }

    // MARK: - directories and Maildir

    // MARK: - Paths (the rules of POSIX dirname(1) and basename(1))

    @Test(arguments: [
        ("keys/mail.private", "keys", "mail.private"),
        ("mail.private", ".", "mail.private"),
        ("/mail.private", "/", "mail.private"),
        ("/a/b/c.eml", "/a/b", "c.eml"),
        ("out/dir/", "out", "dir"),
        ("a//b", "a", "b"),
        ("//x", "/", "x"),
    ])
    func splitsAPathIntoDirectoryAndName(path: String, directory: String, name: String) {
        let parts = MailStore.split(path)
        #expect(parts.directory == directory)
        #expect(parts.name == name)
    }

    @Test func joinsWithOneSlashAndKeepsARelativeName() {
        #expect(MailStore.join("keys", "mail.txt") == "keys/mail.txt")
        #expect(MailStore.join("keys/", "mail.txt") == "keys/mail.txt")
        #expect(MailStore.join("", "mail.txt") == "mail.txt")
        #expect(MailStore.join("/", "mail.txt") == "/mail.txt")
    }

    @Test func listsEveryEntryButDotAndDotDotInByteOrder() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dkim-list-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for name in ["b", "a", "B", ".hidden", "é"] {
            #expect(FileManager.default.createFile(atPath: directory + "/" + name, contents: Data()))
        }
        try FileManager.default.createDirectory(atPath: directory + "/sub", withIntermediateDirectories: false)
        let entries = try MailStore.sortedEntries(in: directory)
        #expect(entries.map(\.name) == [".hidden", "B", "a", "b", "sub", "é"])
        let types = Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0.type) })
        // ext4, tmpfs and most file systems fill d_type; DT_UNKNOWN is allowed, a wrong type is not.
        #expect([UInt8(DT_REG), UInt8(DT_UNKNOWN)].contains(types["a"]))
        #expect([UInt8(DT_DIR), UInt8(DT_UNKNOWN)].contains(types["sub"]))
        #expect(throws: FileIOError.self) { try MailStore.sortedEntries(in: directory + "/missing") }
    }

    /// A file name that is not valid UTF-8 (here Latin-1 "m\u{E9}.eml") reaches dkimtool with U+FFFD in place of the
    /// byte, and that name does not exist: `verify` and `sign` say why for that file and still handle the others.
    @Test func namesThatAreNotUTF8AreExplained() throws {
        let directory = try CLI.temporaryDirectory()
        let input = directory.appendingPathComponent("in")
        let output = directory.appendingPathComponent("out")
        for folder in [input, output] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        let message = Array("From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n".utf8)
        try Data(message).write(to: input.appendingPathComponent("good.eml"))
        let rawName = Array(input.path.utf8) + Array("/m".utf8) + [0xE9] + Array(".eml".utf8)
        let descriptor = (rawName.map { CChar(bitPattern: $0) } + [0]).withUnsafeBufferPointer {
            open($0.baseAddress!, O_CREAT | O_WRONLY | O_EXCL, 0o644)
        }
        try #require(descriptor >= 0)
        #expect(write(descriptor, message, message.count) == message.count)
        close(descriptor)

        let verify = try CLI.run(["verify", "--format", "json", "--no-summary", input.path])
        #expect(verify.status == 66, "\(verify.stderr)")
        #expect(verify.stderr.contains("m\u{FFFD}.eml"))
        #expect(verify.stderr.contains("not valid UTF-8"))
        #expect(verify.stdout.contains("good.eml"))

        let key = CLI.vectorKey("rsa2048-pkcs8.pem")
        let sign = try CLI.run(["sign", "--domain", "example.com", "--selector", "mail", "--key", key,
                                "--output-dir", output.path, input.path])
        #expect(sign.status == 66, "\(sign.stderr)")
        #expect(sign.stderr.contains("not valid UTF-8"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: output.path) == ["good.eml"])
    }

    @Test func walksDirectoriesInOrderAndMaildirFoldersOnly() throws {
        let root = try CLI.temporaryDirectory()
        let files = ["plain/b.eml", "plain/a.eml", "plain/.hidden", "plain/sub/c.eml",
                     "md/cur/2", "md/cur/1", "md/new/3", "md/tmp/4", "md/dovecot-uidlist", "md/.Sent/cur/5",
                     "md/.Sent/new/6"]
        for file in files {
            let url = root.appendingPathComponent(file)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(),
                                                    withIntermediateDirectories: true)
            try Data("x".utf8).write(to: url)
        }
        let base = root.path
        let found = MailStore.expand([base + "/plain", base + "/md", base + "/missing"])
        let names = found.map { input -> String in
            switch input {
            case .file(let path): String(path.dropFirst(base.count + 1))
            case .unreadable(let path, _): "unreadable:" + String(path.dropFirst(base.count + 1))
            }
        }
        #expect(names == ["plain/a.eml", "plain/b.eml", "plain/sub/c.eml",
                          "md/.Sent/cur/5", "md/.Sent/new/6", "md/cur/1", "md/cur/2", "md/new/3",
                          "unreadable:missing"])
    }

    // MARK: - through the command

    /// A simple/simple signature covers the body byte for byte (trailing empty lines aside), so a `>From ` left
    /// quoted, or a `From ` line lost to splitting, breaks it.
    @Test func simpleCanonicalizationSurvivesTheMbox() throws {
        let store = try Store()
        let body = "From the start of a line\n>From a quoted line\n\nFrom after an empty line? no: quoted.\nend\n"
        let signed = try store.sign("Subject: s\n\n" + body, canonicalization: "simple/simple")
        let quoted = signed.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.drop { $0 == ">" }.hasPrefix("From ") ? ">" + line : String(line)
        }.joined(separator: "\n")
        let mbox = try store.write("simple.mbox", "From a@example.com Sat Nov 28 10:00:00 2026\n" + quoted + "\n")
        let result = try CLI.run(["verify", "--txt-records", store.records, mbox])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.hasPrefix(mbox + "#1@0: pass"))
        let piped = try CLI.run(["verify", "--txt-records", store.records, "-"],
                                stdinBytes: try Array(Data(contentsOf: URL(fileURLWithPath: mbox))))
        #expect(piped.status == 0)
        #expect(piped.stdout.hasPrefix("-#1@0: pass"))

        // Control: the same bytes read as one message (no unquoting) fail on the body hash.
        let asFile = try store.write("simple.eml", quoted)
        let control = try CLI.run(["verify", "--txt-records", store.records, asFile])
        #expect(control.status == 1)
        #expect(control.stdout.contains("body-hash-mismatch"))
    }

    @Test func sameVerdictsAndSummaryFromFilesMaildirAndMbox() throws {
        let store = try Store()
        let count = 300
        var mbox: [UInt8] = []
        var files: [String] = []
        let maildir = store.directory.appendingPathComponent("Maildir")
        for folder in ["cur", "new", "tmp"] {
            try FileManager.default.createDirectory(at: maildir.appendingPathComponent(folder),
                                                    withIntermediateDirectories: true)
        }
        for index in 0..<count {
            var message = try store.sign(
                "Subject: message \(index)\nMessage-ID: <\(index)@example.com>\n\nbody \(index)\nFrom here\n",
                domain: index % 7 == 0 ? "example.org" : "example.com")
            if index % 5 == 0 { message = message.replacingOccurrences(of: "body \(index)", with: "changed") }
            let name = String(repeating: "0", count: 4 - String(index).count) + "\(index)"
            files.append(try store.write("files/\(name).eml", message))
            // Maildir names sort like the file names; the first half is in cur/, the rest in new/ (after cur/).
            let folder = index < count / 2 ? "cur" : "new"
            try Data(message.utf8).write(to: maildir.appendingPathComponent("\(folder)/\(name):2,S"))
            mbox += Array("From sender@example.com Sat Nov 28 10:00:00 2026\n".utf8)
            for line in message.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
                let quoted = line.drop { $0 == ">" }.hasPrefix("From ") ? ">" + line : String(line)
                mbox += Array((quoted + "\n").utf8)
            }
            mbox += Array("\n".utf8)
        }
        let mboxPath = store.directory.appendingPathComponent("all.mbox").path
        try Data(mbox).write(to: URL(fileURLWithPath: mboxPath))

        let common = ["verify", "--txt-records", store.records, "--format", "json", "--summary"]
        let fromFiles = try Report(CLI.run(common + files))
        let fromMaildir = try Report(CLI.run(common + [maildir.path]))
        let fromMbox = try Report(CLI.run(common + [mboxPath]))
        #expect(fromFiles.verdicts.count == count)
        #expect(fromFiles.verdicts.filter { $0 == "fail" }.count == count / 5)
        #expect(fromMaildir.verdicts == fromFiles.verdicts)
        #expect(fromMbox.verdicts == fromFiles.verdicts)
        #expect(fromMaildir.summary == fromFiles.summary)
        #expect(fromMbox.summary == fromFiles.summary)
        #expect(fromMbox.status == 1 && fromMaildir.status == 1 && fromFiles.status == 1)
        #expect(fromMbox.identities.last == "all.mbox#\(count)")

        // One file at a time, for a sample: the same verdicts again.
        for index in stride(from: 0, to: count, by: 37) {
            let single = try Report(CLI.run(["verify", "--txt-records", store.records, "--format", "json",
                                             files[index]]))
            #expect(single.verdicts == [fromFiles.verdicts[index]])
            #expect(single.summary == nil)
        }
    }

    @Test func summaryIsDefaultForTextBatchesAndExitCodeIsTheWorst() throws {
        let store = try Store()
        let good = try store.write("good.eml", try store.sign("Subject: g\n\nok\n"))
        let bad = try store.write("bad.eml", try store.sign("Subject: b\n\nok\n").replacingOccurrences(
            of: "\n\nok\n", with: "\n\nnot ok\n"))
        let batch = try CLI.run(["verify", "--txt-records", store.records, good, bad])
        #expect(batch.status == 1)
        #expect(batch.stdout.contains("summary: 2 messages\n  verdicts: pass 1, fail 1\n"))
        #expect(batch.stdout.contains("  domain example.com: pass 1, fail 1\n"))
        #expect(batch.stdout.contains("  reason body-hash-mismatch: 1"))

        let single = try CLI.run(["verify", "--txt-records", store.records, good])
        #expect(single.status == 0)
        #expect(!single.stdout.contains("summary:"))
        let quiet = try CLI.run(["verify", "--txt-records", store.records, "--no-summary", good, bad])
        #expect(!quiet.stdout.contains("summary:"))
        let json = try CLI.run(["verify", "--txt-records", store.records, "--format", "json", good, bad])
        #expect(!json.stdout.contains("\"summary\""))

        let notMbox = try CLI.run(["verify", "--txt-records", store.records, "--mbox", good])
        #expect(notMbox.status == 65)
        #expect(notMbox.stderr.contains("not an mbox"))
    }

    // MARK: - progress line

    @Test func progressLineOnlyUnderATerminal() throws {
        let store = try Store()
        var paths: [String] = []
        for index in 0..<3 {
            paths.append(try store.write("p\(index).eml", try store.sign("Subject: \(index)\n\nbody\n")))
        }
        let arguments = ["verify", "--txt-records", store.records] + paths
        let command = ([CLI.executable.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        let script = URL(fileURLWithPath: "/usr/bin/script")

        // script(1) runs the command in a pseudo-terminal; its output is the terminal transcript.
        let terminal = try CLI.runProgram(script, ["-qec", command, "/dev/null"])
        #expect(terminal.status == 0, "\(terminal.stdout)")
        #expect(terminal.stdout.contains("dkimtool verify: 3/3 messages, "))
        #expect(terminal.stdout.contains(" msg/s, 0:00 elapsed"))

        let jsonOnTerminal = try CLI.runProgram(script, ["-qec", command + " --format json", "/dev/null"])
        #expect(!jsonOnTerminal.stdout.contains("msg/s"))

        let piped = try CLI.run(arguments)
        #expect(piped.status == 0)
        #expect(!piped.stderr.contains("msg/s") && !piped.stdout.contains("msg/s"))
        let forced = try CLI.run(arguments + ["--progress"])
        #expect(forced.stderr.contains("dkimtool verify: 3/3 messages, "))
    }
}

/// A key record file and in-process signing with the Ed25519 test key.
private struct Store {
    let directory: URL
    let records: String
    let key: DKIMPrivateKey

    init() throws {
        directory = try CLI.temporaryDirectory()
        let keyPath = CLI.vectorKey("ed25519-pkcs8.pem")
        let pem = try Data(contentsOf: URL(fileURLWithPath: keyPath))
        key = try DKIMPrivateKey(pemRepresentation: String(decoding: pem, as: UTF8.self))
        let derived = try CLI.run(["record", "--key", keyPath, "--format", "json"])
        let value = try #require(
            (try JSONSerialization.jsonObject(with: Data(derived.stdout.utf8)) as? [String: Any])?["value"] as? String)
        records = directory.appendingPathComponent("records").path
        let lines = "mail._domainkey.example.com \(value)\nmail._domainkey.example.org \(value)\n"
        try Data(lines.utf8).write(to: URL(fileURLWithPath: records))
    }

    /// Signs `headerAndBody` (bare LF; From and To are added) and returns it signed, with bare LF line ends.
    func sign(_ headerAndBody: String, domain: String = "example.com",
              canonicalization: String = "relaxed/relaxed") throws -> String {
        var options = SignOptions(domain: domain, selector: "mail", key: key)
        options.canonicalization = try #require(Canonicalization(tagValue: canonicalization))
        options.clock = { 1_700_000_000 }
        let message = "From: a@\(domain)\nTo: b@example.net\n" + headerAndBody
        let signed = try DKIMSigner(options: options).sign(message: LineEndings.normalizeToCRLF(Array(message.utf8)))
        return String(decoding: signed, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
    }

    func write(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        return url.path
    }
}

/// The JSON Lines of one `verify --format json --summary` run: verdicts in order, and the summary object.
private struct Report {
    var status: Int32
    var verdicts: [String] = []
    var identities: [String] = []
    var summary: NSDictionary?

    init(_ result: CLI.Result) throws {
        status = result.status
        for line in result.stdout.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if let summary = object["summary"] as? [String: Any] {
                self.summary = summary as NSDictionary
                continue
            }
            verdicts.append(try #require(object["result"] as? String))
            let file = URL(fileURLWithPath: try #require(object["file"] as? String)).lastPathComponent
            identities.append((object["message"] as? Int).map { "\(file)#\($0)" } ?? file)
        }
    }
}
