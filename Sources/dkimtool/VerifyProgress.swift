#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The progress line of a long `verify` batch on standard error: messages done / total, rate, elapsed time.
///
/// It is drawn only when asked for (the command decides: by default only when standard error is a terminal
/// and the output is text), redrawn at most ten times a second, and erased before each result line and at the
/// end, so the terminal keeps only the results.
struct VerifyProgress {
    private let enabled: Bool
    private let start = ContinuousClock.now
    private var lastDraw: ContinuousClock.Instant?
    private var drawn = false
    private(set) var done = 0
    /// The number of messages expected, when known (not for standard input).
    var total: Int?

    static let interval = Duration.milliseconds(100)

    init(enabled: Bool) {
        self.enabled = enabled
    }

    /// Whether standard error is a terminal (`isatty(2)`).
    static var standardErrorIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// Counts one message and redraws if the last drawing is old enough.
    mutating func advance() {
        done += 1
        guard enabled else { return }
        let now = ContinuousClock.now
        if let lastDraw, now - lastDraw < Self.interval, done != total { return }
        lastDraw = now
        draw(now)
    }

    /// Erases the line (before a result line is printed on the same terminal).
    mutating func clear() {
        guard enabled, drawn else { return }
        Self.write("\r\u{1B}[K")
        drawn = false
    }

    /// Draws the line once more with the final counts and erases it.
    mutating func finish() {
        guard enabled else { return }
        draw(ContinuousClock.now)
        clear()
    }

    private mutating func draw(_ now: ContinuousClock.Instant) {
        let elapsed = now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let count = total.map { "\(done)/\($0)" } ?? "\(done)"
        Self.write("\r\u{1B}[Kdkimtool verify: \(count) messages, \(Self.format(rate)) msg/s, "
            + "\(Self.clock(Int(seconds))) elapsed")
        drawn = true
    }

    static func format(_ rate: Double) -> String {
        let tenths = Int((rate * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// `m:ss`, or `h:mm:ss` past an hour.
    static func clock(_ seconds: Int) -> String {
        let (hours, minutes, secs) = (seconds / 3600, seconds / 60 % 60, seconds % 60)
        let mmss = (minutes < 10 && hours > 0 ? "0" : "") + "\(minutes):" + (secs < 10 ? "0" : "") + "\(secs)"
        return hours > 0 ? "\(hours):\(mmss)" : mmss
    }

    private static func write(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return }   // a progress line is not worth failing over
            offset += written
        }
    }
}
