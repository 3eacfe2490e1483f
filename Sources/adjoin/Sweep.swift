import AdjoinCore
import Agent
import ArgumentParser

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract:
            "Find, and with --apply delete, the computer accounts of EC2 instances that no longer exist (from an admin instance, a workstation, CI or a container).",
        discussion: """
            Lists the computer objects below each --ou (default: the whole domain) whose owner marker \
            (`info: adjoin-owner: i-...`) names an EC2 instance; accounts without adjoin's marker are never \
            read. It asks EC2 about every instance in the instance's own AWS account and Region, which the \
            join recorded in the marker (`account=... region=...`; for markers of older versions, the \
            accountId and region of the instance's item in the status table): DescribeInstances by \
            instance id, 200 ids a call. Its own account it asks with its own credentials; any other \
            through the role --role-name in that account (STS AssumeRole).

            An account goes when EC2 reports its instance terminated, or when EC2 no longer knows the \
            instance (EC2 forgets terminated instances after about an hour) and the account has not been \
            used (lastLogonTimestamp, pwdLastSet) for at least --grace. It stays when the instance is \
            pending, running, stopping, stopped or shutting-down. Nothing is decided, and nothing deleted, \
            for an account whose AWS account or Region could not be asked (a role that cannot be \
            assumed, EC2 refusing or unreachable): those are listed as not-swept and the sweep ends \
            PARTIAL. Without --apply nothing is deleted: the output says what would go and why. With \
            --apply each due account is deleted with its child objects (tree delete), after its marker \
            is read once more, and with a status table its instance's item says DETACHED with the reason.

            Settings: --domain, --user and --password-stdin, or (without --domain) the settings parameter \
            --parameter (default adjoin), as a remote leave reads them; --status-table overrides \
            statusTable. AWS credentials as the AWS CLI finds them: AWS_ACCESS_KEY_ID, the AWS_PROFILE \
            profile of ~/.aws/config and ~/.aws/credentials (keys, role_arn, SSO after `aws sso login`, \
            credential_process), the container endpoint (AWS_CONTAINER_CREDENTIALS_*), then the instance \
            role. With the first three the account is the caller's (STS GetCallerIdentity), the Region \
            AWS_REGION or the profile's, and instance metadata is not asked; on an instance with none of \
            them, account, Region and role come from instance metadata.

            Output: each account with its computer name, instance, AWS account and Region, EC2's state \
            (`unknown` when EC2 does not know the id) and the action: delete (dry run), deleted, keep, \
            not-swept or failed, with the reason; --output json gives the same as an `accounts` array.

            \(StatusDocumentation.exitLine(for: .sweep))
            """
    )

    @Option(help: ArgumentHelp("The DNS name of the domain (default: the settings parameter's).", valueName: "domain"))
    var domain: String?

    @Option(
        help: ArgumentHelp("A user with the right to delete computer objects there (default: the settings' joinUser).", valueName: "name"))
    var user: String?

    @Flag(help: "Read that user's password from standard input (the only way to give it).")
    var passwordStdin = false

    @Option(
        name: .customLong("ou"), help: ArgumentHelp("Look only below this DN (repeatable; default: the whole domain).", valueName: "dn"))
    var organizationalUnits: [String] = []

    @Flag(help: "Delete what is due. Without it nothing is deleted (a dry run).")
    var apply = false

    @Option(
        help: ArgumentHelp(
            "How long an account whose instance EC2 no longer knows must have been unused to go: a number with s, m, h or d.",
            valueName: "duration"))
    var grace = "24h"

    @Option(help: ArgumentHelp("The IAM role to assume in every other AWS account (arn:aws:iam::ACCOUNT:role/NAME).", valueName: "name"))
    var roleName: String?

    @Option(
        help: ArgumentHelp(
            "The SecureString SSM parameter with the settings (read when --domain is not given; default adjoin).", valueName: "name"))
    var parameter: String?

    @Option(
        help: ArgumentHelp(
            "The DynamoDB table whose items say DETACHED for the accounts deleted (overrides statusTable).", valueName: "table"))
    var statusTable: String?

    @OptionGroup var options: DirectoryOptions

    func validate() throws {
        try validateAWSNames(parameter: parameter, statusTable: statusTable)
        guard SweepDecision.parseDuration(grace) != nil else {
            throw ValidationError("--grace '\(grace)' is not a duration: give a number with s, m, h or d (24h, 7d)")
        }
        if let roleName {
            guard AWSNames.isRoleARN(Sweep.roleARN(account: "123456789012", roleName: roleName, region: "us-east-1")) else {
                throw ValidationError("--role-name '\(roleName)' is not an IAM role name (letters, digits and + = , . @ _ - /)")
            }
        }
        if domain != nil && user == nil {
            throw ValidationError("--domain goes with --user and --password-stdin (or leave both out to use the settings parameter)")
        }
        if user != nil && !passwordStdin {
            throw ValidationError("give the user's password on standard input with --password-stdin (never as an argument)")
        }
        if passwordStdin && user == nil { throw ValidationError("--password-stdin goes with --user") }
    }

    func run() throws {
        var sweep = SweepUseCase.Options(directory: options.flags)
        sweep.domain = domain
        sweep.user = user
        sweep.passwordFromStandardInput = passwordStdin
        sweep.organizationalUnits = organizationalUnits
        sweep.apply = apply
        sweep.grace = grace
        sweep.roleName = roleName
        sweep.parameter = parameter
        sweep.statusTable = statusTable
        try options.run(SweepUseCase(sweep))
    }
}
