import Testing

@Suite struct RootCommandTests {
    @Test func versionIsPrinted() throws {
        let result = try DKIMTool.run(["--version"])
        #expect(result.status == 0)
        #expect(result.output.split(separator: ".").count == 3)
    }

    @Test func unknownSubcommandIsAUsageError() throws {
        let result = try DKIMTool.run(["no-such-command"])
        #expect(result.status == 64)
    }
}
