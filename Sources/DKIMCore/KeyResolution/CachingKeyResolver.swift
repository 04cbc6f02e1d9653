#if canImport(Glibc)
import Glibc
#endif

/// A TTL cache in front of any resolver.
///
/// ``TXTLookupResult/records(_:)`` and ``TXTLookupResult/notFound`` are kept for ``ttl`` seconds (the record's own
/// DNS TTL is not consulted); temporary and permanent failures for ``failureTTL`` seconds, so a batch whose
/// messages name one unreachable key waits for one timeout, not one per message or per signature (RFC 2308 §7.1
/// lets a resolver keep a server failure up to five minutes). Lookups of one name that overlap share one query
/// of the wrapped resolver. Names are keyed lowercased without a trailing dot. When the cache holds ``maxEntries``
/// names, the oldest entry is evicted.
public struct CachingKeyResolver: DKIMKeyResolver, ImmediateKeyResolver {
    /// The default time to keep an answer, in seconds.
    public static let defaultTTL = 300.0
    /// The default time to keep a failure, in seconds.
    public static let defaultFailureTTL = 60.0
    /// The default bound on the number of cached names.
    public static let defaultMaxEntries = 10_000

    /// The wrapped resolver.
    public let base: any DKIMKeyResolver
    /// How long an answer is kept, in seconds of the `clock` given to ``init(wrapping:ttl:maxEntries:clock:)``.
    public let ttl: Double
    /// How long a temporary or permanent failure is kept, in seconds of the same clock.
    public let failureTTL: Double
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
        try self.init(wrapping: base, ttl: ttl, failureTTL: min(ttl, Self.defaultFailureTTL),
                      maxEntries: maxEntries, clock: clock)
    }

    /// Creates a cache in front of `base` that keeps failures for `failureTTL` seconds.
    ///
    /// - Parameters:
    ///   - base: the resolver asked on a miss.
    ///   - ttl: seconds an answer stays valid; must be finite and ≥ 0 (0 caches nothing).
    ///   - failureTTL: seconds a failure stays valid; finite, ≥ 0 and at most 300 (RFC 2308 §7.1).
    ///   - maxEntries: the most names kept; at least 1.
    ///   - clock: the current time in seconds; defaults to a monotonic clock. Inject one in tests.
    /// - Throws: ``DKIMError`` `.invalidOption` for a TTL out of range or `maxEntries` < 1.
    public init(
        wrapping base: any DKIMKeyResolver,
        ttl: Double,
        failureTTL: Double,
        maxEntries: Int = CachingKeyResolver.defaultMaxEntries,
        clock: @escaping @Sendable () -> Double = CachingKeyResolver.monotonicSeconds
    ) throws {
        guard ttl.isFinite, ttl >= 0 else {
            throw DKIMError(.invalidOption, "Cache TTL must be a finite number of seconds, 0 or more.")
        }
        guard failureTTL.isFinite, failureTTL >= 0, failureTTL <= 300 else {
            throw DKIMError(.invalidOption, "Failure TTL must be between 0 and 300 seconds (RFC 2308 §7.1).")
        }
        guard maxEntries >= 1 else {
            throw DKIMError(.invalidOption, "Cache size must be at least 1 entry.")
        }
        self.base = base
        self.ttl = ttl
        self.failureTTL = failureTTL
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

    /// Returns the cached answer for `name` while fresh; else joins a lookup of the same name already under way,
    /// or asks ``base`` and caches the result.
    public func lookupTXT(_ name: String) async -> TXTLookupResult {
        let key = StaticKeyResolver.key(name)
        let now = clock()
        let claim = store.withLock { store -> Claim in
            if let hit = store.get(key, now: now) { return .cached(hit) }
            if let pending = store.inFlight[key] { return .joining(pending) }
            let base = self.base
            let task = Task { await base.lookupTXT(name) }
            store.inFlight[key] = task
            return .asking(task)
        }
        switch claim {
        case .cached(let hit):
            return hit
        case .joining(let pending):
            return await pending.value
        case .asking(let task):
            let result = await task.value
            let lifetime: Double
            switch result {
            case .records, .notFound: lifetime = ttl
            case .temporaryFailure, .permanentFailure: lifetime = failureTTL
            }
            let expires = clock() + lifetime
            store.withLock { store in
                store.inFlight[key] = nil
                if lifetime > 0 { store.put(key, result, expires: expires) }
            }
            return result
        }
    }

    /// What a lookup found under the lock: a fresh answer, another lookup of the name to wait for, or its own.
    private enum Claim {
        case cached(TXTLookupResult)
        case joining(Task<TXTLookupResult, Never>)
        case asking(Task<TXTLookupResult, Never>)
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
        /// Lookups under way, by key: a lookup of the same name meanwhile waits for this one's answer.
        var inFlight: [String: Task<TXTLookupResult, Never>] = [:]
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
