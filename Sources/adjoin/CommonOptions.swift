import AdjoinCore
import Agent
import ArgumentParser

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

/// Flags shared by the commands that talk to a domain.
struct DirectoryOptions: ParsableArguments {
    @Option(
        name: .customLong("domain-controller"),
        help: ArgumentHelp(
            "A domain controller to use instead of DNS discovery (repeatable): a name, an IPv4 address or an IPv6 address ([fd00::10]:389 with a port).",
            valueName: "host[:port]"))
    var domainControllers: [String] = []

    @Option(
        name: .customLong("dns-server"),
        help: ArgumentHelp(
            "Ask this DNS server (IPv4 or IPv6: 10.0.0.2, fd00::2, or with a port when not 53 10.0.0.2:5353, [fd00::2]:5353; repeatable, at most 3) instead of those in /etc/resolv.conf; a directory's DNS servers are usually its DCs. The join records it, port included, for leave, rotate and status.",
            valueName: "ip[:port]"))
    var dnsServers: [String] = []

    @Option(help: ArgumentHelp("The whole time budget in seconds.", valueName: "seconds"))
    var timeout: Double = 20

    @Option(help: "Output format: text for people, json for scripts.")
    var output: OutputFormat = .text

    @Flag(name: .shortAndLong, help: "No progress lines on standard error.")
    var quiet = false

    func validate() throws {
        guard timeout > 0, timeout <= 3600 else {
            throw ValidationError("--timeout must be more than 0 and at most 3600 seconds")
        }
    }

    var flags: DirectoryFlags {
        DirectoryFlags(domainControllers: domainControllers, dnsServers: dnsServers, timeout: timeout)
    }

    /// Runs a use case with this command's budget and progress, on the system under `root`, prints
    /// its report, and ends with its status's exit code.
    func run(root: String = "/", _ useCase: some UseCase) throws {
        let reporter = Reporter(format: output, quiet: quiet)
        let context = RunContext(deadline: Deadline(seconds: timeout), progress: reporter.progress, files: HostFiles(root: root))
        let report: CommandReport
        do throws(CommandFailure) {
            do throws(AdjoinError) {
                try context.files.checkRoot()
            } catch {
                throw CommandFailure(error, domain: nil, elapsed: .zero)
            }
            report = try useCase.run(context)
        } catch {
            throw ExitCode(reporter.failure(error))
        }
        reporter.print(report)
        if !report.status.isSuccess { throw ExitCode(report.status.exitCode) }
    }
}

/// The AWS names join and leave take as flags (`--parameter`, `--status-table`), checked before
/// anything runs, as their settings counterparts are.
func validateAWSNames(parameter: String?, statusTable: String?) throws {
    if let parameter, !AWSNames.isParameterName(parameter) {
        throw ValidationError("--parameter '\(parameter)' is not an SSM parameter name")
    }
    if let statusTable, !AWSNames.isTableName(statusTable) {
        throw ValidationError("--status-table '\(statusTable)' is not a DynamoDB table name (3 to 255 of a-z A-Z 0-9 _ . -)")
    }
}
