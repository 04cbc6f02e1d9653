import Testing
@testable import DKIMCore

@Test func errorsCompareOnCodeOnly() {
    #expect(DKIMError(.malformedKey, "a") == DKIMError(.malformedKey, "b"))
    #expect(DKIMError(.malformedKey, "a") != DKIMError(.keyTooSmall, "a"))
}
