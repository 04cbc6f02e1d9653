#if canImport(Glibc)
import Glibc
#endif

/// Runs independent jobs on every active core and hands the results back in input order.
///
/// At most ``width`` jobs run at once; a result is delivered as soon as it and every result before it are ready,
/// so output keeps the order of the input while later jobs are still running. Finished results wait for the
/// ones before them; at most ``window`` jobs are started and not yet delivered, so memory stays bounded
/// however long the batch is (a job's input is read only when it starts, so only results wait).
///
/// Jobs run on Swift's cooperative thread pool, which has one thread per core: a job should compute (sign,
/// verify) and do short blocking file I/O, not wait on the network.
struct BatchRunner: Sendable {
    /// The most jobs running at once.
    let width: Int
    /// The most jobs started and not yet delivered: ``width`` × ``windowPerJob``.
    let window: Int

    /// Results that may wait per running job. With 2 (until the ninth pass) one slow job, such as one whose thread
    /// the host preempted for a few milliseconds, stopped every other worker after two more jobs each; a result
    /// waiting is small (a sign job's is an error or nothing), so a wide window costs little memory.
    static let windowPerJob = 32

    /// Creates a runner.
    /// - Parameter width: jobs at once; nil for ``activeCores``. Values below 1 count as 1.
    init(width: Int? = nil) {
        self.width = max(1, width ?? Self.activeCores)
        self.window = self.width * Self.windowPerJob
    }

    /// The cores this process may run on: the `Cpus_allowed` mask of `/proc/self/status` (so `taskset -c 0`
    /// means 1; glibc's `sched_getaffinity` is not visible to Swift without `_GNU_SOURCE`), else the online count.
    static var activeCores: Int {
        let online = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        guard let status = try? MessageReader.readAll("/proc/self/status") else { return online }
        let label = Array("Cpus_allowed:".utf8)
        for line in status.split(separator: 0x0A) where line.starts(with: label) {
            var count = 0
            for byte in line.dropFirst(label.count) {
                // Hex digits of the mask; commas group words, white space separates the label.
                if let value = Self.hexValue(byte) { count += value.nonzeroBitCount }
            }
            return count > 0 ? min(count, online) : online
        }
        return online
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A")) + 10
        default: nil
        }
    }

    /// Runs `work` for each index of `0..<count` and calls `deliver` for each index in order.
    ///
    /// - Parameters:
    ///   - count: the number of jobs.
    ///   - work: the job for one index; runs concurrently with other jobs.
    ///   - deliver: receives each result, in index order, one at a time.
    func run<Output: Sendable>(count: Int, work: @escaping @Sendable (Int) async -> Output,
                               deliver: (Int, Output) -> Void) async {
        var nextIndex = 0
        await run(next: { () -> Int? in
            guard nextIndex < count else { return nil }
            defer { nextIndex += 1 }
            return nextIndex
        }, work: { index in (index, await work(index)) }, deliver: { deliver($0.0, $0.1) })
    }

    /// Runs `work` for each job `next` yields and calls `deliver` with the results in the order of the jobs.
    ///
    /// `next` is called on the caller's task, only when a job can start, so a producer that reads its jobs from
    /// a stream (the messages of an mbox) holds at most ``width`` of them at a time.
    /// - Parameters:
    ///   - next: the next job, or nil when there are no more.
    ///   - work: runs one job; concurrently with other jobs.
    ///   - deliver: receives each result, in job order, one at a time.
    func run<Job: Sendable, Output: Sendable>(next: () -> Job?, work: @escaping @Sendable (Job) async -> Output,
                                              deliver: (Output) -> Void) async {
        if width == 1 {
            // One job at a time: run each here, in order. A child task per job would hand every result back to
            // this task on another thread (a context switch per job on one core).
            while let job = next() { deliver(await work(job)) }
            return
        }
        await withTaskGroup(of: (Int, Output).self) { group in
            var started = 0
            var running = 0
            var delivered = 0
            var exhausted = false
            var waiting: [Int: Output] = [:]
            func startMore() {
                while !exhausted, running < width, started - delivered < window {
                    guard let job = next() else {
                        exhausted = true
                        return
                    }
                    let index = started
                    group.addTask { (index, await work(job)) }
                    started += 1
                    running += 1
                }
            }
            startMore()
            while let (index, output) = await group.next() {
                running -= 1
                waiting[index] = output
                while let ready = waiting.removeValue(forKey: delivered) {
                    deliver(ready)
                    delivered += 1
                }
                startMore()
            }
        }
    }
}
