/// A resolver whose answers are already in memory (``StaticKeyResolver``, ``TXTRecordFileResolver``), so a lookup
/// never suspends.
///
/// The verifier asks such a resolver directly instead of through ``DKIMKeyResolver/lookupTXT(_:)``: that async
/// call cost an executor switch on entry and after return and a task-stack allocation per verification, for an
/// answer that is a table probe. The answer must be exactly what `lookupTXT` returns for the same name.
protocol ImmediateKeyResolver: DKIMKeyResolver {
    /// The TXT records at `name`, as ``DKIMKeyResolver/lookupTXT(_:)`` returns them.
    func immediateTXT(_ name: String) -> TXTLookupResult
}
