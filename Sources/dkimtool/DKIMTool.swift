import ArgumentParser
import DKIMCore

@main
struct DKIMTool: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dkimtool",
        abstract: "Generate DKIM keys and records, sign and verify messages, audit a domain's mail records.",
        version: DKIMCore.version,
        subcommands: [KeygenCommand.self, RecordCommand.self, SignCommand.self, VerifyCommand.self, TestkeyCommand.self,
                      CheckDomainCommand.self, BenchCommand.self]
    )
}
