import AdjoinCore
import Membership

/// `adjoin rotate`: the machine changes its own password when it is old enough.
public struct RotateUseCase: UseCase {
    public struct Options: Sendable {
        public var maximumAgeDays: Int
        public var directory: DirectoryFlags
        /// `--update-samba`: keep Samba in step even when the join did not record it.
        public var updateSamba: Bool

        public init(maximumAgeDays: Int, directory: DirectoryFlags, updateSamba: Bool = false) {
            self.maximumAgeDays = maximumAgeDays
            self.directory = directory
            self.updateSamba = updateSamba
        }
    }

    public let options: Options

    public init(_ options: Options) { self.options = options }

    public func run(_ context: RunContext) throws(CommandFailure) -> CommandReport {
        do throws(AdjoinError) {
            let lock = try lockHost(files: context.files, deadline: context.deadline, progress: context.progress)
            defer { lock.release() }
            let place = try options.directory.place(in: context)
            var rotation = PasswordRotation(place: place, maximumAgeDays: options.maximumAgeDays, progress: context.progress)
            rotation.updateSamba = options.updateSamba
            let result = try rotation.run(deadline: context.deadline, identity: place.currentIdentity(environment: context.environment))
            return CommandReport(
                status: result.status,
                fields: [
                    .string("domain", "domain", result.domain),
                    .string("computer-name", "computerName", result.computerName),
                    .string("computer-dn", "computerDN", result.computerDN),
                    .string("domain-controller", "domainController", result.domainController),
                    .number("password-age-days", "passwordAgeDays", result.passwordAgeDays, none: "unknown"),
                    .number("previous-kvno", "previousKvno", result.previousKeyVersion),
                    .number("kvno", "kvno", result.keyVersion),
                    .both(
                        "keytab-kvnos", "keytabKvnos", text: result.keytabKeyVersions.map(String.init).joined(separator: " "),
                        json: .array(result.keytabKeyVersions.map { .number(Int64($0)) })),
                    .statusLine,
                    .duration(context.deadline.elapsed),
                    .json("message", .string(result.message)),
                ])
        } catch {
            throw CommandFailure(error, domain: nil, elapsed: context.deadline.elapsed)
        }
    }
}
