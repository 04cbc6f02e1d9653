import Dispatch

/// Runs the jobs of the tasks that prefer it on a serial Dispatch queue of its own, outside the cooperative pool.
///
/// Timing tests (a DNS timeout must end within its budget) run under `withTaskExecutorPreference(DedicatedExecutor())`:
/// other tests of the process can block the small cooperative pool for seconds (waiting for child processes,
/// starting servers), which would delay the resumption after a lookup and be counted as lookup time.
public final class DedicatedExecutor: TaskExecutor {
    private let queue = DispatchQueue(label: "DNSTestServer.DedicatedExecutor")

    public init() {}

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
