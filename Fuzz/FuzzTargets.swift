// libFuzzer entry point for DKIMCore and MailAuthRecords: one binary, ten targets, chosen by the DKIM_FUZZ_TARGET
// environment variable. Built by Fuzz/build (both libraries are compiled with -enable-testing, so `@testable import`
// reaches their internal API).
// A target "fails" by trapping: a Swift runtime trap, an ASan report, or a precondition below.

#if canImport(Glibc)
import Glibc
#endif
import Dispatch
@testable import DKIMCore
@testable import MailAuthRecords

/// The target this process runs, read once from the environment.
let fuzzTarget: String = getenv("DKIM_FUZZ_TARGET").map { String(cString: $0) } ?? "message"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    switch fuzzTarget {
    case "message": FuzzTargets.message(input)
    case "taglist": FuzzTargets.tagList(input)
    case "signature": FuzzTargets.signature(input)
    case "keyrecord": FuzzTargets.keyRecord(input)
    case "codecs": FuzzTargets.codecs(input)
    case "body": FuzzTargets.bodyChunking(input)
    case "verifier": FuzzTargets.verifier(input)
    case "dnsresponse": FuzzTargets.dnsResponse(input)
    case "spf": FuzzTargets.spf(input)
    case "dmarc": FuzzTargets.dmarc(input)
    default:
        fputs("unknown DKIM_FUZZ_TARGET \(fuzzTarget)\n", stderr)
        abort()
    }
    return 0
}

/// A failed property: print it and abort, so libFuzzer records the input as a crash.
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        fputs("property failed: \(message())\n", stderr)
        abort()
    }
}

enum FuzzTargets {
    /// The message parser; streaming header reading in two chunks must agree with the one-shot parser.
    static func message(_ input: [UInt8]) {
        let parts = try? MessageParts(parsing: input)
        guard let parts, input.count >= 1 else { return }
        let cut = Int(input[0]) % input.count
        var reader = HeaderSectionReader()
        var rest: ArraySlice<UInt8>?
        do {
            rest = try reader.feed(input[..<cut])
            if rest == nil { rest = try reader.feed(input[cut...]) }
            if rest == nil { _ = try reader.finish() }
        } catch {
            check(false, "HeaderSectionReader threw \(error) where MessageParts succeeded")
        }
        check(reader.headers == parts.headers, "HeaderSectionReader and MessageParts disagree on the headers")
        for field in parts.headers {
            _ = Canonicalization.canonicalizeHeader(field, .relaxed)
            _ = Canonicalization.canonicalizeHeader(field, .simple)
        }
        _ = HeaderSelection.select(parts.headers.map { String(decoding: $0.name, as: UTF8.self) }, from: parts.headers)
    }

    /// The tag-list parser: every value range must lie inside the input and hold the value.
    static func tagList(_ input: [UInt8]) {
        guard let list = try? TagList(parsing: input) else { return }
        var names = Set<String>()
        for tag in list.tags {
            check(names.insert(tag.name).inserted, "duplicate tag \(tag.name) accepted")
            check(tag.valueRange.lowerBound >= 0 && tag.valueRange.upperBound <= input.count, "range outside input")
            check(Array(input[tag.valueRange]) == Array(tag.value), "range does not hold the value")
            _ = tag.valueWithoutWhitespace
        }
    }

    /// The DKIM-Signature parser; a parsed signature must serialise and parse back to the same model.
    static func signature(_ input: [UInt8]) {
        guard let parsed = try? DKIMSignature(parsing: input) else { return }
        _ = parsed.validate(now: 1_700_000_000)
        check(input[parsed.signatureValueRange].allSatisfy { $0 != UInt8(ascii: ";") }, "b= range crosses a tag")
        let field = parsed.headerField()
        let value = field[DKIMSignature.fieldPrefix.count..<(field.count - 2)]
        guard let again = try? DKIMSignature(parsing: value) else {
            check(false, "a parsed signature does not parse after serialisation")
            return
        }
        check(again == parsed, "serialise/parse round trip changed the signature")
    }

    /// The key record parser and public-key import.
    static func keyRecord(_ input: [UInt8]) {
        guard let record = try? DKIMKeyRecord(parsing: input) else { return }
        _ = try? record.publicKey()
        _ = record.allowsHashAlgorithm("sha256")
    }

    /// base64 and DKIM-Quoted-Printable: decoding is total; encode then decode gives back the bytes.
    static func codecs(_ input: [UInt8]) {
        if let decoded = try? Base64.decode(input) {
            check((try? Base64.decode(Array(Base64.encode(decoded).utf8))) == decoded, "base64 round trip")
        }
        check((try? Base64.decode(Array(Base64.encode(input).utf8))) == input, "base64 encode/decode")
        _ = try? DKIMQuotedPrintable.decode(input)
        check((try? DKIMQuotedPrintable.decode(DKIMQuotedPrintable.encode(input))) == input, "qp encode/decode")
        check((try? DKIMQuotedPrintable.decode(DKIMQuotedPrintable.encode(input, escapingPipe: true))) == input,
              "qp encode/decode with |")
    }

    /// Differential: the streaming body canonicalizer fed in random chunks equals the one-shot API.
    static func bodyChunking(_ input: [UInt8]) {
        guard input.count >= 3 else { return }
        let algorithm: CanonicalizationAlgorithm = input[0] & 1 == 0 ? .simple : .relaxed
        let limit: Int? = input[0] & 2 == 0 ? nil : Int(input[1])
        var seed = UInt64(input[2]) &+ 0x9E37_79B9_7F4A_7C15
        let body = input[3...]
        let expected = Canonicalization.canonicalizeBody(body, algorithm, limit: limit)
        var canonicalizer = BodyCanonicalizer(algorithm, limit: limit)
        var output: [UInt8] = []
        var index = body.startIndex
        do {
            while index < body.endIndex {
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let length = min(Int(seed >> 59), body.endIndex - index)  // 0...31 bytes, empty chunks included
                try canonicalizer.feed(body[index..<(index + length)], into: &output)
                index += length
            }
            try canonicalizer.finish(into: &output)
        } catch {
            check(false, "streaming canonicalizer threw \(error)")
        }
        check(output == expected, "streaming and one-shot canonicalization differ")
        // The whole body in one chunk through each way this CPU runs: the Swift windows and every vector kernel.
        for kernel in 0...BodyCanonicalizer.bestKernel {
            var oneChunk = BodyCanonicalizer(algorithm, limit: limit, bufferCapacity: nil, kernel: kernel)
            var chunkOutput: [UInt8] = []
            do {
                try oneChunk.feed(body, into: &chunkOutput)
                try oneChunk.finish(into: &chunkOutput)
            } catch {
                check(false, "canonicalizer threw \(error)")
            }
            check(chunkOutput == expected, "kernel \(kernel) and the one-shot canonicalization differ")
        }
        let model = algorithm == .simple ? simpleModel(Array(body)) : relaxedModel(Array(body))
        check(expected == Array(model.prefix(limit ?? model.count)), "canonicalization differs from the RFC model")
        check(canonicalizer.canonicalLength == model.count, "canonicalLength differs from the RFC model")
        check(canonicalizer.emittedLength == output.count, "emittedLength disagrees with the output")
        if let limit { check(output.count <= limit, "more than l= octets emitted") }
    }

    /// RFC 6376 §3.4.3 read literally, independent of the canonicalizer: trailing CR LF pairs reduced to one
    /// CR LF, which is also added to a body without one and to an empty body.
    static func simpleModel(_ body: [UInt8]) -> [UInt8] {
        var end = body.count
        while end >= 2, body[end - 2] == 13, body[end - 1] == 10 { end -= 2 }
        return Array(body[..<end]) + [13, 10]
    }

    /// RFC 6376 §3.4.4 read literally: lines split at CR LF, each WSP run one SP, WSP at line ends and empty
    /// lines at the end dropped, a non-empty last line ended with CR LF.
    static func relaxedModel(_ body: [UInt8]) -> [UInt8] {
        var lines: [[UInt8]] = [[]]
        var index = 0
        while index < body.count {
            if body[index] == 13, index + 1 < body.count, body[index + 1] == 10 {
                lines.append([])
                index += 2
            } else {
                lines[lines.count - 1].append(body[index])
                index += 1
            }
        }
        if lines.last?.isEmpty == true { lines.removeLast() }
        var canonical = lines.map { line -> [UInt8] in
            var out: [UInt8] = []
            var space = false
            for byte in line {
                if byte == 32 || byte == 9 { space = true; continue }
                if space { out.append(32) }
                space = false
                out.append(byte)
            }
            return out
        }
        while canonical.last?.isEmpty == true { canonical.removeLast() }
        return canonical.flatMap { $0 + [13, 10] }
    }

    /// The verifier end to end: the first two bytes give the length of a TXT record that the in-memory resolver
    /// returns for every name (split into strings at 0xFF bytes); the rest is the message.
    static func verifier(_ input: [UInt8]) {
        guard input.count >= 2 else { return }
        let recordLength = min(Int(input[0]) << 8 | Int(input[1]), input.count - 2)
        let record = input[2..<(2 + recordLength)]
        let message = Array(input[(2 + recordLength)...])
        let strings = record.split(separator: 0xFF, omittingEmptySubsequences: false).map(Array.init)
        let resolver = FuzzResolver(answer: .records([DNSTXTRecord(strings: strings)]))
        let verifier = DKIMVerifier(options: VerifyOptions(resolver: resolver, clock: { 1_700_000_000 }))
        guard let outcome = runAsync({ try? await verifier.verify(message: message) }) ?? nil else { return }
        check(outcome.signatures.count <= 10_000, "more signatures than header fields")
        let header = AuthenticationResults.headerField(for: outcome, authservID: "fuzz.example")
        // Folded only as CRLF + tab (a field over 998 octets), and no line over 998 octets (RFC 5322 §2.1.1).
        let lines = header.split(separator: "\r\n\t", omittingEmptySubsequences: false)
        check(lines.allSatisfy { $0.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F } },
              "Authentication-Results has a control byte")
        check(lines.allSatisfy { $0.utf8.count <= 998 }, "Authentication-Results has a line over 998 octets")
    }
}

/// Returns the same TXT answer for every name.
struct FuzzResolver: DKIMKeyResolver {
    let answer: TXTLookupResult
    func lookupTXT(_ name: String) async -> TXTLookupResult { answer }
}

/// Runs `body` in a detached task and waits for its result on the fuzzing thread.
func runAsync<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T? {
    let done = DispatchSemaphore(value: 0)
    let box = ResultBox<T>()
    Task.detached {
        box.store(await body())
        done.signal()
    }
    done.wait()
    return box.load()
}

/// Hands a task's result back to the fuzzing thread.
final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = DispatchSemaphore(value: 1)
    private var value: T?

    func store(_ outcome: T) {
        lock.wait()
        value = outcome
        lock.signal()
    }

    func load() -> T? {
        lock.wait()
        defer { lock.signal() }
        return value
    }
}
