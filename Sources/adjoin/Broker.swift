import AdjoinCore
import Agent
import ArgumentParser
#if canImport(Glibc)
    import Glibc
#endif

struct BrokerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run as the join broker's AWS Lambda function (the Lambda Runtime API loop); see docs/broker.md.",
        discussion: """
            Lambda starts it (the bundle's bootstrap runs `adjoin broker`); it serves one event at a time from \
            AWS_LAMBDA_RUNTIME_API until the sandbox ends. Each event is a function URL request (payload \
            2.0) whose caller IAM authorization verified: an instance profile's session \
            (arn:aws:sts::ACCOUNT:assumed-role/ROLE/INSTANCE-ID). The broker checks the account and role \
            against the central settings, asks EC2 that the instance runs and for its tags, then creates \
            the instance's computer account (or resets the one whose owner marker names it, at most once a \
            minute) with a random one-time password, and answers with the domain, the DCs, the computer name, \
            the groups and that password. The instance runs `adjoin join --broker URL` and replaces the \
            password at once: the broker never learns the working key.

            Environment: AWS_REGION and the role's keys (Lambda sets them); ADJOIN_BROKER_SETTINGS, the \
            settings parameter's name or ARN (it may point to the central table) or the central table's \
            ARN; ADJOIN_BROKER_MEMBER_ROLE, the role name assumed in member accounts for EC2 \
            DescribeInstances; ADJOIN_BROKER_ALLOWED, accounts (ACCOUNT or ACCOUNT/ROLE, comma-separated) \
            that may call, required when the settings are a parameter rather than the central table. \
            Refusals answer with their HTTP status and {"status", "message"}: ACCESS_DENIED, NOT_ALLOWED, \
            NOT_RUNNING, ACCOUNT_CONFLICT, RATE_LIMITED. Neither the join password nor a one-time password \
            is ever logged.
            """
    )

    @Option(
        help: ArgumentHelp("Serve this many events, then exit (tests); default: until the runtime API stops answering.", valueName: "n"))
    var events: Int?

    func run() throws {
        let log: @Sendable (String) -> Void = { line in
            let text = Array((line + "\n").utf8)
            _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        }
        let status = BrokerRuntime.main(events: events, log: log)
        throw ExitCode(status.exitCode)
    }
}
