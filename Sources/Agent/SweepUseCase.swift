import AdjoinCore
import Membership

/// `adjoin sweep` as a use case: settings resolved as a remote leave resolves them, then Sweep.
public struct SweepUseCase: UseCase {
    public struct Options: Sendable {
        public var domain: String?
        public var user: String?
        public var passwordFromStandardInput = false
        public var organizationalUnits: [String] = []
        public var apply = false
        /// As given (`--grace`): a number with s, m, h or d.
        public var grace = "24h"
        public var roleName: String?
        public var parameter: String?
        public var statusTable: String?
        public var directory: DirectoryFlags

        public init(directory: DirectoryFlags) { self.directory = directory }

        var readsParameter: Bool { parameter != nil || domain == nil }
    }

    public let options: Options

    public init(_ options: Options) { self.options = options }

    public func run(_ context: RunContext) throws(CommandFailure) -> CommandReport {
        let deadline = context.deadline
        let result: SweepResult
        do throws(AdjoinError) {
            let flags = try SettingFlags.adminSettings(
                domain: options.domain, joinUser: options.user, statusTable: options.statusTable,
                passwordFromStandardInput: options.passwordFromStandardInput)
            // The SDKs' credential chain: from a workstation, CI or a container as well as from an instance.
            let instance = try AdminContext.load(
                parameter: options.readsParameter ? options.parameter ?? AWSNames.defaultParameter : nil, flags: flags,
                context: context, deadline: deadline, progress: context.progress)
            let settings = instance.settings
            guard let domain = settings.domain else {
                throw .invalidInput("no domain: give --domain, or domain in \(instance.settingsSource)")
            }
            guard let user = settings.joinUser else {
                throw .invalidInput("no user: give --user, or joinUser in \(instance.settingsSource)")
            }
            try JoinRequest.checkUser(user, domain: domain.value)
            let password = try JoinPassword.resolve(
                settings, missing: "no password: \(instance.settingsSource) holds none; give --user with --password-stdin")
            var place = try options.directory.place(in: context)
            if place.domainControllers.isEmpty { place.domainControllers = settings.domainControllers }
            var sweep = Sweep(domain: domain, place: place, user: user, password: password)
            sweep.organizationalUnits = options.organizationalUnits
            sweep.apply = options.apply
            sweep.graceSeconds = SweepDecision.parseDuration(options.grace) ?? 86_400
            sweep.roleName = options.roleName
            sweep.progress = context.progress
            result = try sweep.run(context: instance, deadline: deadline)
        } catch {
            throw CommandFailure(error, domain: options.domain, elapsed: deadline.elapsed)
        }
        return CommandReport(
            status: result.status,
            fields: [
                .string("domain", "domain", result.domain),
                .string("domain-controller", "domainController", result.domainController),
                .both("mode", "applied", text: result.applied ? "apply" : "dry run (nothing deleted)", json: .bool(result.applied)),
                .both("grace", "graceSeconds", text: options.grace, json: .number(result.graceSeconds)),
                ReportField(
                    lines: result.accounts.map { swept in
                        (
                            "account",
                            "\(swept.account.computerName) \(swept.account.owner.value) \(swept.location?.description ?? "-") "
                                + "\(swept.decision.state ?? "-") \(swept.outcome): \(swept.failure?.message ?? swept.decision.reason)"
                                + (swept.dnsRecords.map { "; DNS: " + $0 } ?? "")
                        )
                    },
                    member: (
                        "accounts",
                        .array(
                            result.accounts.map { swept in
                                .object([
                                    ("computerName", .string(swept.account.computerName)),
                                    ("computerDN", .string(swept.account.dn)),
                                    ("instanceId", .string(swept.account.owner.value)),
                                    ("accountId", .optional(swept.location?.accountId)),
                                    ("region", .optional(swept.location?.region)),
                                    ("state", .optional(swept.decision.state)),
                                    ("lastUsed", swept.account.lastUsed.map { .number($0) } ?? .null),
                                    ("action", .string(swept.outcome)),
                                    ("reason", .string(swept.failure?.message ?? swept.decision.reason)),
                                    ("statusTable", .optional(swept.statusTable)),
                                    ("dnsRecords", .optional(swept.dnsRecords)),
                                ])
                            })
                    )),
                ReportField(
                    lines: result.unreachable.map { ("not-swept", "\($0.place): \($0.message)") },
                    member: (
                        "unreachable",
                        .array(result.unreachable.map { .object([("place", .string($0.place)), ("message", .string($0.message))]) })
                    )),
                .duration(deadline.elapsed),
                .string("message", "message", result.message),
                .statusLine,
            ])
    }
}
