#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CDKIMSIMD

/// Splits a header section into fields (RFC 5322 §2.2, §3.6 and the obsolete syntax of §4.5).
///
/// Strict and total: every line is either the start of a field (`name *WSP ":"`), or a fold (it starts with WSP
/// and continues the field above, RFC 5322 §2.2.3 and `obs-FWS` §4.2). Anything else throws.
enum HeaderSectionParser {
    /// Where one field lies in the bytes the parser read: offsets in the parent array of the section slice.
    struct Span: Sendable, Equatable {
        /// The first byte of the name.
        let start: Int
        /// The end of the name (no white space before the colon).
        let nameEnd: Int
        /// The colon after the name.
        let colon: Int
        /// The end of the field: after its CRLF, or the end of the section for an unterminated last line.
        let end: Int
    }

    /// Parses `section`, which holds whole header lines and no empty line.
    /// - Parameters:
    ///   - section: the header bytes, each line ending in CRLF (the last one may lack it).
    ///   - firstLineNumber: the 1-based line number of the first line, for error messages.
    ///   - maximumFields: the most fields accepted (``DKIMLimits/maximumHeaderFields``).
    /// - Throws: ``DKIMError/Code/malformedMessage`` naming the offending line; ``DKIMError/Code/limitExceeded``
    ///   when the section has more than `maximumFields` fields.
    static func parse(_ section: ArraySlice<UInt8>, firstLineNumber: Int,
                      maximumFields: Int = Int.max) throws -> [HeaderField] {
        let spans = try spans(of: section, firstLineNumber: firstLineNumber, maximumFields: maximumFields)
        return spans.map { span in
            HeaderField(validatedRaw: Array(section[span.start..<span.end]), nameEnd: span.nameEnd - span.start,
                        colonIndex: span.colon - span.start)
        }
    }

    /// Parses `section` as ``parse(_:firstLineNumber:maximumFields:)`` does, with the same rules and errors, but
    /// returns where each field lies instead of a copy of its bytes.
    static func spans(of section: ArraySlice<UInt8>, firstLineNumber: Int,
                      maximumFields: Int = Int.max) throws -> [Span] {
        var fields: [Span] = []
        // A guess from the size (header lines average 40 to 80 octets), bounded so a hostile section cannot make
        // it large: one allocation for a usual header instead of one per doubling.
        fields.reserveCapacity(min(maximumFields, max(8, min(section.count / 40, 256))))
        _ = try scan(section, firstLineNumber: firstLineNumber, maximumFields: maximumFields,
                     stoppingAtEmptyLine: false, into: &fields)
        return fields
    }

    /// Parses the header lines at the start of `message` up to its first empty line, in one pass: the lines are
    /// read anyway, and an empty line is where the header section ends (RFC 5322 §2.1).
    ///
    /// The same fields as ``spans(of:firstLineNumber:maximumFields:)`` over the header section that
    /// ``emptyLineOffset(in:searchingFrom:)`` finds, when every line before the empty line is well formed: then
    /// each line ends in CRLF, so the first CRLF CRLF is a line's end followed by the empty line.
    /// - Returns: the offset of the empty line's CRLF, or nil when the lines run to the end of `message`.
    /// - Throws: as ``spans(of:firstLineNumber:maximumFields:)``, at the first fault before the empty line.
    static func spans(upToEmptyLineOf message: ArraySlice<UInt8>, maximumFields: Int,
                      into fields: inout [Span]) throws -> Int? {
        try scan(message, firstLineNumber: 1, maximumFields: maximumFields, stoppingAtEmptyLine: true,
                 into: &fields)
    }

    /// The line parser both entry points share; returns the offset of the empty line it stopped at, if any.
    ///
    /// `usingKernel` false reads every line with the Swift code alone (the portable path the tests compare the
    /// kernel path with).
    static func scan(_ section: ArraySlice<UInt8>, firstLineNumber: Int, maximumFields: Int,
                     stoppingAtEmptyLine: Bool, usingKernel: Bool = true, into fields: inout [Span]) throws -> Int? {
        // One pass through a buffer pointer, with offsets into it: the slice subscripts and the per-line
        // `withUnsafeBufferPointer` of the line search were a fifth of the cost of verifying a small message.
        let offset = section.startIndex
        var emptyLine: Int?
        let failure: DKIMError? = section.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress else { return nil }
            return withUnsafeTemporaryAllocation(of: Span.self, capacity: kernelSpans) { buffer in
                scanLines(bytes, base: base, offset: offset, firstLineNumber: firstLineNumber,
                          maximumFields: maximumFields, stoppingAtEmptyLine: stoppingAtEmptyLine,
                          kernelBuffer: usingKernel ? buffer.baseAddress : nil, emptyLine: &emptyLine, into: &fields)
            }
        }
        if let failure { throw failure }
        return emptyLine
    }

    /// How many spans the kernel writes per call at most: a usual header in one call.
    private static let kernelSpans = 32

    /// ``scan(_:firstLineNumber:maximumFields:stoppingAtEmptyLine:usingKernel:into:)`` over the section's bytes:
    /// the run of well-formed lines through `cdkim_header_scan` into `kernelBuffer` (when given), every other line
    /// with the Swift code below, which gives each error.
    @inline(__always)
    private static func scanLines(_ bytes: UnsafeBufferPointer<UInt8>, base: UnsafePointer<UInt8>, offset: Int,
                                  firstLineNumber: Int, maximumFields: Int, stoppingAtEmptyLine: Bool,
                                  kernelBuffer: UnsafeMutablePointer<Span>?, emptyLine: inout Int?,
                                  into fields: inout [Span]) -> DKIMError? {
        let end = bytes.count
        var fieldStart = -1
        var nameEnd = 0
        var colon = 0
        var lineNumber = firstLineNumber
        var index = 0

        func closeField(at fieldEnd: Int) {
            guard fieldStart >= 0 else { return }
            fields.append(Span(start: offset + fieldStart, nameEnd: offset + nameEnd, colon: offset + colon,
                               end: offset + fieldEnd))
        }

        while index < end {
            if let kernelBuffer {
                // Span is four Ints in order (checked by MessageHeaderScanTests), as the kernel writes them.
                var state = cdkim_header_scan_state(index: index, lines: 0, field_start: fieldStart,
                                                    name_end: nameEnd, colon: colon)
                let written = UnsafeMutableRawPointer(kernelBuffer).withMemoryRebound(
                    to: Int.self, capacity: 4 * kernelSpans
                ) { spans in
                    cdkim_header_scan(base, end, offset, &state, maximumFields - fields.count, spans,
                                      kernelSpans)
                }
                if written > 0 {
                    fields.append(contentsOf: UnsafeBufferPointer(start: kernelBuffer, count: written))
                }
                index = state.index
                lineNumber += state.lines
                fieldStart = state.field_start
                nameEnd = state.name_end
                colon = state.colon
                if index >= end { break }
            }
            let lineStart = index
            let lineEnd = firstLineBreak(in: base, from: index, end: end)
            let next: Int
            if lineEnd == end {
                next = end
            } else if bytes[lineEnd] == ASCII.cr, lineEnd + 1 < end, bytes[lineEnd + 1] == ASCII.lf {
                next = lineEnd + 2
            } else {
                // A bare LF is a file's local line end, to convert first (RFC 6376 §5.3, `LineEndings`); a CR that
                // no LF follows is no line end at all, and RFC 5322 §2.2 allows CR in a header only before LF.
                return bytes[lineEnd] == ASCII.cr
                    ? DKIMError(.malformedMessage, "line \(lineNumber) of the header contains a CR that no LF follows, "
                        + "which RFC 5322 §2.2 does not allow in a header field")
                    : DKIMError(.malformedMessage, "line \(lineNumber) of the header contains a bare LF; "
                        + "normalise line endings to CRLF first (RFC 6376 §5.3)")
            }
            if lineEnd == lineStart {
                if stoppingAtEmptyLine, next == lineStart + 2 {
                    closeField(at: lineStart)
                    emptyLine = offset + lineStart
                    return nil
                }
                return DKIMError(.malformedMessage, "line \(lineNumber) of the header is empty inside a field list")
            }
            if ASCII.isWSP(bytes[lineStart]) {
                // A fold: continues the field above (RFC 5322 §2.2.3).
                guard fieldStart >= 0 else {
                    return DKIMError(.malformedMessage, "line \(lineNumber) of the header starts with white "
                        + "space but no header field precedes it")
                }
            } else {
                closeField(at: lineStart)
                guard fields.count < maximumFields else {
                    return DKIMError(.limitExceeded, "the header has more than \(maximumFields) fields")
                }
                // The usual line in one walk: field-name = 1*ftext (RFC 5322 §3.6.8), then the WSP that
                // obs-optional allows (§4.5.8), then the colon. Any other line gets the checks below, which
                // name its fault.
                let nameScan = fieldNameEnd(in: base, from: lineStart, end: lineEnd)
                var colonScan = nameScan
                while colonScan < lineEnd, ASCII.isWSP(bytes[colonScan]) {
                    colonScan += 1
                }
                if nameScan > lineStart, colonScan < lineEnd, bytes[colonScan] == ASCII.colon {
                    fieldStart = lineStart
                    nameEnd = nameScan
                    colon = colonScan
                    index = next
                    lineNumber += 1
                    continue
                }
                var colonAt = lineStart
                while colonAt < lineEnd, bytes[colonAt] != ASCII.colon {
                    colonAt += 1
                }
                guard colonAt < lineEnd else {
                    return DKIMError(.malformedMessage, "line \(lineNumber) of the header is neither a header "
                        + "field (no colon) nor a folded continuation")
                }
                // obs-optional allows WSP between the name and the colon (RFC 5322 §4.5.8).
                var trimmed = colonAt
                while trimmed > lineStart, ASCII.isWSP(bytes[trimmed - 1]) {
                    trimmed -= 1
                }
                guard trimmed > lineStart else {
                    return DKIMError(.malformedMessage, "line \(lineNumber) of the header has an empty field name")
                }
                // field-name = 1*ftext (RFC 5322 §3.6.8).
                for position in lineStart..<trimmed where !ASCII.isFieldNameChar(bytes[position]) {
                    return DKIMError(.malformedMessage, "line \(lineNumber) of the header has a field name "
                        + "with a byte (\(bytes[position])) outside printable US-ASCII")
                }
                fieldStart = lineStart
                nameEnd = trimmed
                colon = colonAt
            }
            index = next
            lineNumber += 1
        }
        closeField(at: end)
        return nil
    }

    /// The offset of the first byte in `[from, end)` that is not ftext (RFC 5322 §3.6.8: printable US-ASCII
    /// except ":"), or `end` when there is none: where a field name ends.
    ///
    /// Eight bytes at a time, marking in each word the bytes below 0x21 (`(x - 0x21…) & ~x & 0x80…`), above 0x7E
    /// (bit 7 set, or 0x7F) and the colon; each mark is exact at the lowest byte it finds (a borrow can only mark
    /// a byte above a true one), so the lowest mark of all is the first byte that ends the name.
    @inline(__always)
    static func fieldNameEnd(in base: UnsafePointer<UInt8>, from: Int, end: Int) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var index = from
        while index &+ 8 <= end {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
            let below = (word &- ones &* 0x21) & ~word
            let delete = word ^ (ones &* 0x7F)
            let colon = word ^ (ones &* UInt64(ASCII.colon))
            let stops = (below | word | ((delete &- ones) & ~delete) | ((colon &- ones) & ~colon)) & highs
            if stops != 0 { return index &+ stops.trailingZeroBitCount >> 3 }
            index &+= 8
        }
        while index < end, ASCII.isFieldNameChar(base[index]) {
            index &+= 1
        }
        return index
    }

    /// The offset of the first CR or LF in `[from, end)`, or `end` when there is none.
    ///
    /// On x86-64 one SSE2 search for either byte (`cdkim_first_line_break`): two `memchr` calls a line, each with
    /// its own setup, cost twice its instructions on lines of 40 to 80 octets. Elsewhere ``portableLineBreak``.
    @inline(__always)
    static func firstLineBreak(in base: UnsafePointer<UInt8>, from: Int, end: Int) -> Int {
        #if arch(x86_64)
        return cdkim_first_line_break(base, from, end)
        #else
        return portableLineBreak(in: base, from: from, end: end)
        #endif
    }

    /// ``firstLineBreak(in:from:end:)`` with two `memchr` calls (vector code in the C library): the CR that should
    /// end the line, then any LF before it, which is bare. A word-at-a-time search for either byte took twice the
    /// instructions on lines of 40 to 80 octets.
    static func portableLineBreak(in base: UnsafePointer<UInt8>, from: Int, end: Int) -> Int {
        var lineEnd = end
        if let found = memchr(base + from, Int32(ASCII.cr), end - from) {
            lineEnd = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - base
        }
        if lineEnd > from, let found = memchr(base + from, Int32(ASCII.lf), lineEnd - from) {
            lineEnd = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - base
        }
        return lineEnd
    }

    /// Finds where the header section ends: the offset of the empty line's CRLF, or nil when there is none.
    ///
    /// The header section ends at the first empty line (RFC 5322 §2.1): a CRLF at the very start of the message,
    /// or a CRLF that directly follows another CRLF.
    static func emptyLineOffset(in bytes: ArraySlice<UInt8>, searchingFrom from: Int) -> Int? {
        let start = bytes.startIndex
        if bytes.count >= 2, bytes[start] == ASCII.cr, bytes[start + 1] == ASCII.lf {
            return start
        }
        let first = max(from, start + 2)
        return bytes.withUnsafeBufferPointer { buffer -> Int? in
            guard let base = buffer.baseAddress else { return nil }
            // Offsets into `buffer`; the CRLF CRLF's second CR is at `index`, so two bytes precede it.
            var index = first - start
            let count = buffer.count
            while index + 1 < count {
                // Jump from LF to LF (memchr); only an LF at index + 1 can end the pattern.
                guard let found = memchr(base + index + 1, Int32(ASCII.lf), count - index - 1) else { return nil }
                let lf = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - base
                index = lf - 1
                if base[index] == ASCII.cr, base[index - 1] == ASCII.lf, base[index - 2] == ASCII.cr {
                    return start + index
                }
                index = lf
            }
            return nil
        }
    }
}
