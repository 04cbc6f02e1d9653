import Testing

@Suite struct RootCommandTests {
    @Test func versionIsPrinted() throws {
        let result = try CLI.run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.split(separator: ".").count == 3)
    }

    @Test func unknownSubcommandIsAUsageError() throws {
        let result = try CLI.run(["no-such-command"])
        #expect(result.status == 64)
    }
}
