/// A resolver that can answer some lookups from memory without suspending: ``StaticKeyResolver`` and
/// ``TXTRecordFileResolver`` always, ``CachingKeyResolver`` while its answer for the name is fresh.
///
/// The verifier asks such a resolver directly first, and through ``DKIMKeyResolver/lookupTXT(_:)`` only when it
/// has no answer at hand: that async call cost an executor switch on entry and after return and a task-stack
/// allocation per verification, for an answer that is a table probe. An answer must be exactly what `lookupTXT`
/// returns for the same name at that moment.
protocol ImmediateKeyResolver: DKIMKeyResolver {
    /// The TXT records at `name`, as ``DKIMKeyResolver/lookupTXT(_:)`` returns them, or nil when only
    /// `lookupTXT` can answer (it has to ask elsewhere).
    func immediateTXT(_ name: String) -> TXTLookupResult?
}
