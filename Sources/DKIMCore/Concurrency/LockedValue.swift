#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A value shared between threads, read and changed only under a `pthread_mutex_t`.
///
/// Used instead of the standard library's `Synchronization.Mutex`: on Linux that one waits on a futex through
/// code ThreadSanitizer cannot see, so every contended hand-over is reported as a data race and the sanitizer run
/// (`scripts/sanitize thread`) could not tell a real race from it. ThreadSanitizer intercepts the pthread calls.
final class LockedValue<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// Not checked for exclusive access at run time: the mutex already makes every access exclusive, and the
    /// check (a `swift_beginAccess`/`swift_endAccess` pair, about 80 instructions) ran on every ``withLock(_:)``,
    /// four times per verification (key cache, `h=` cache, key-name cache, the key's context pool).
    @exclusivity(unchecked) private var value: Value

    init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        // A default (non-recursive) mutex; initialisation with default attributes cannot fail on glibc.
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with the value while holding the lock; `body` must not call back into this lock.
    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
