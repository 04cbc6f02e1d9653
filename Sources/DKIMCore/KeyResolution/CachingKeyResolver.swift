#if canImport(Glibc)
import Glibc
#endif

/// A TTL cache in front of any resolver.
///
/// ``TXTLookupResult/records(_:)`` and ``TXTLookupResult/notFound`` are kept for ``ttl`` seconds
/// (the record's own DNS TTL is not consulted); temporary and permanent failures are never cached, so
/// the next lookup asks again. Names are keyed lowercased without a trailing dot. When the cache holds
/// ``maxEntries`` names, the oldest entry is evicted. Two concurrent lookups of an uncached name may
/// both reach the wrapped resolver; the later answer is kept.
public struct CachingKeyResolver: DKIMKeyResolver, ImmediateKeyResolver {
    /// The default time to keep an answer, in seconds.
    public static let defaultTTL = 300.0
    /// The default bound on the number of cached names.
    public static let defaultMaxEntries = 10_000

    /// The wrapped resolver.
    public let base: any DKIMKeyResolver
    /// How long an answer is kept, in seconds of the `clock` given to ``init(wrapping:ttl:maxEntries:clock:)``.
    public let ttl: Double
    /// The most names kept at once.
    public let maxEntries: Int
    private let clock: @Sendable () -> Double
    /// Behind a mutex rather than in an actor: a fresh answer is then found without suspending, so the verifier
    /// takes it through ``immediateTXT(_:)`` (a batch from one signer asks the same name for every message), where
    /// an actor cost two executor switches per lookup, and more when the jobs of a batch met at it.
    private let store: LockedValue<Store>

    /// Creates a cache in front of `base`.
    ///
    /// - Parameters:
    ///   - base: the resolver asked on a miss.
    ///   - ttl: seconds an answer stays valid; must be finite and ≥ 0 (0 caches nothing).
    ///   - maxEntries: the most names kept; at least 1.
    ///   - clock: the current time in seconds; defaults to a monotonic clock. Inject one in tests.
    /// - Throws: ``DKIMError`` `.invalidOption` for a negative or non-finite TTL or `maxEntries` < 1.
    public init(
        wrapping base: any DKIMKeyResolver,
        ttl: Double = CachingKeyResolver.defaultTTL,
        maxEntries: Int = CachingKeyResolver.defaultMaxEntries,
        clock: @escaping @Sendable () -> Double = CachingKeyResolver.monotonicSeconds
    ) throws {
        guard ttl.isFinite, ttl >= 0 else {
            throw DKIMError(.invalidOption, "Cache TTL must be a finite number of seconds, 0 or more.")
        }
        guard maxEntries >= 1 else {
            throw DKIMError(.invalidOption, "Cache size must be at least 1 entry.")
        }
        self.base = base
        self.ttl = ttl
        self.maxEntries = maxEntries
        self.clock = clock
        self.store = LockedValue(Store(maxEntries: maxEntries))
    }

    /// Seconds on the system's monotonic clock, the default `clock`.
    @Sendable public static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// Returns the cached answer for `name` while fresh, else asks ``base`` and caches what may be cached.
    public func lookupTXT(_ name: String) async -> TXTLookupResult {
        let key = StaticKeyResolver.key(name)
        let now = clock()
        if let hit = store.withLock({ $0.get(key, now: now) }) {
            return hit
        }
        let result = await base.lookupTXT(name)
        switch result {
        case .records, .notFound:
            if ttl > 0 {
                let expires = clock() + ttl
                store.withLock { $0.put(key, result, expires: expires) }
            }
        case .temporaryFailure, .permanentFailure:
            break
        }
        return result
    }

    /// The fresh cached answer for `name`, or nil when ``lookupTXT(_:)`` must ask ``base``.
    func immediateTXT(_ name: String) -> TXTLookupResult? {
        let key = StaticKeyResolver.key(name)
        let now = clock()
        return store.withLock { $0.get(key, now: now) }
    }

    /// The number of names currently cached (fresh or not yet purged), for tests and monitoring.
    public var count: Int {
        get async { store.withLock { $0.entries.count } }
    }

    /// The cache storage: entries plus their insertion order, for oldest-first eviction.
    private struct Store {
        struct Entry {
            var result: TXTLookupResult
            var expires: Double
            var sequence: UInt64
        }

        let maxEntries: Int
        var entries: [String: Entry] = [:]
        /// Insertion order; an element whose sequence no longer matches its entry is stale and skipped.
        var order: [(key: String, sequence: UInt64)] = []
        var head = 0
        var nextSequence: UInt64 = 0

        init(maxEntries: Int) { self.maxEntries = maxEntries }

        mutating func get(_ key: String, now: Double) -> TXTLookupResult? {
            guard let entry = entries[key] else { return nil }
            guard now < entry.expires else {
                entries[key] = nil
                return nil
            }
            return entry.result
        }

        mutating func put(_ key: String, _ result: TXTLookupResult, expires: Double) {
            nextSequence &+= 1
            entries[key] = Entry(result: result, expires: expires, sequence: nextSequence)
            order.append((key, nextSequence))
            while entries.count > maxEntries, head < order.count {
                let oldest = order[head]
                head += 1
                if entries[oldest.key]?.sequence == oldest.sequence {
                    entries[oldest.key] = nil
                }
            }
            // Drop consumed or stale order slots once they dominate, so memory stays proportional to entries.
            if order.count > 2 * maxEntries || (head > 0 && head * 2 > order.count) {
                order = order[head...].filter { entries[$0.key]?.sequence == $0.sequence }
                head = 0
            }
        }
    }
}
