import AdjoinCore
import AWS
import Membership

/// `adjoin status`: the host's membership checked, step by step. Changes nothing.
public struct StatusUseCase: UseCase {
    public struct Options: Sendable {
        public var directory: DirectoryFlags

        public init(directory: DirectoryFlags) { self.directory = directory }
    }

    public let options: Options

    public init(_ options: Options) { self.options = options }

    public func run(_ context: RunContext) throws(CommandFailure) -> CommandReport {
        let place: DirectoryPlace
        do throws(AdjoinError) {
            place = try options.directory.place(in: context)
        } catch {
            throw CommandFailure(error, domain: nil, elapsed: context.deadline.elapsed)
        }
        let report = HostHealth(place: place, progress: context.progress)
            .run(deadline: context.deadline, identity: place.currentIdentity(environment: context.environment))
        return CommandReport(
            status: report.status,
            fields: report.summary + [
                .number("keytab-kvno", "keytabKvno", report.keytabKeyVersion),
                .number("password-age-days", "passwordAgeDays", report.passwordAgeDays),
                ReportField(
                    lines: report.checks.map { ("check", ($0.passed ? "ok     " : "FAILED ") + $0.name + ": " + $0.detail) },
                    member: (
                        "checks",
                        .array(
                            report.checks.map { check in
                                .object([("name", .string(check.name)), ("passed", .bool(check.passed)), ("detail", .string(check.detail))])
                            })
                    )),
                .statusLine,
                .duration(context.deadline.elapsed),
                .json("message", .string(report.message)),
            ])
    }
}

extension HealthReport {
    /// The fields `status` and `join --unless-joined` both report first.
    var summary: [ReportField] {
        [
            .string("domain", "domain", domain),
            .string("computer-name", "computerName", computerName),
            .string("computer-dn", "computerDN", computerDN),
            .string("domain-controller", "domainController", domainController),
            .number("kvno", "kvno", keyVersion),
        ]
    }
}

extension DirectoryPlace {
    /// Who this host is now, to compare with its join record: instance metadata is asked only when the
    /// record names an instance id. `metadata`: a client the command holds already (one session token).
    func currentIdentity(environment: AWSEnvironment, metadata: InstanceMetadata? = nil) -> CurrentIdentity {
        CurrentIdentity(files: files, instance: MetadataInstanceID(environment: environment, metadata: metadata))
    }
}
