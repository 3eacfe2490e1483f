import AdjoinCore
import Membership

/// `adjoin preset`: an administrator (or a join user with the minimal join rights) makes a computer
/// account ready for a host that will join with a one-time password and no domain credential. The
/// one-time password goes to a new 0600 file and nowhere else (see OneTimePasswordFile).
public struct PresetUseCase: UseCase {
    public struct Options: Sendable {
        public var domain: String
        public var user: String
        public var organizationalUnit: String?
        public var hostFQDN: String?
        public var computerName: String?
        public var owner: String?
        public var rc4 = false
        public var oneTimePasswordFile: String
        public var directory: DirectoryFlags

        public init(domain: String, user: String, oneTimePasswordFile: String, directory: DirectoryFlags) {
            self.domain = domain
            self.user = user
            self.oneTimePasswordFile = oneTimePasswordFile
            self.directory = directory
        }
    }

    public let options: Options

    public init(_ options: Options) { self.options = options }

    public func run(_ context: RunContext) throws(CommandFailure) -> CommandReport {
        do throws(AdjoinError) {
            let target = try target()
            var preset = AccountPreset(
                target, password: try JoinPassword.fromStandardInput(), connector: context.connector, progress: context.progress)
            preset.domainControllers = try options.directory.parsedDomainControllers()
            preset.dnsServers = try options.directory.parsedDNSServers()
            try preset.validate()
            let file = try OneTimePasswordFile.create(options.oneTimePasswordFile)
            let outcome: AccountPreset.Outcome
            do {
                outcome = try preset.run(deadline: context.deadline)
            } catch {
                file.discard()
                throw error
            }
            try file.write(outcome.oneTimePassword)
            outcome.oneTimePassword.wipe()
            let message =
                "\(outcome.created ? "created" : "reset") \(outcome.computerDN) with a one-time password, written to \(file.path) (mode 0600); "
                + "the host joins with: adjoin join --one-time-password-stdin --domain \(target.domain) --computer-name \(target.computerName) < FILE"
            return CommandReport(
                status: .preset,
                fields: [
                    .string("domain", "domain", target.domain.value),
                    .string("computer-name", "computerName", target.computerName.value),
                    .string("computer-dn", "computerDN", outcome.computerDN),
                    .string("domain-controller", "domainController", outcome.domainController),
                    .string("host-fqdn", "hostFQDN", target.hostFQDN),
                    .string("account", "account", outcome.created ? "created" : "reset"),
                    .string("owner", "owner", target.owner?.recorded ?? "none"),
                    .string("one-time-password-file", "oneTimePasswordFile", file.path),
                    .statusLine,
                    ReportField(
                        lines: outcome.warnings.map { ("warning", $0) }, member: ("warnings", .array(outcome.warnings.map { .string($0) }))),
                    .duration(context.deadline.elapsed),
                    .json("message", .string(message)),
                ])
        } catch {
            throw CommandFailure(error, domain: options.domain, elapsed: context.deadline.elapsed)
        }
    }

    /// The account as the flags describe it: the name from --computer-name or --host-fqdn, the host's
    /// name NAME.domain unless given, the owner marker only when --owner names one.
    func target() throws(AdjoinError) -> AccountTarget {
        let domain = try DomainName(options.domain)
        let fqdn = options.hostFQDN.map(InputNames.hostName)
        let name: ComputerName
        if let explicit = options.computerName {
            name = try ComputerName(explicit: explicit)
        } else if let fqdn {
            name = try ComputerName(hostFQDN: fqdn)
        } else {
            throw .invalidInput("give --computer-name or --host-fqdn: the account's name")
        }
        var target = AccountTarget(
            domain: domain, computerName: name, hostFQDN: fqdn ?? name.value.lowercased() + "." + domain.value,
            owner: options.owner.map { AccountOwner($0) }, organizationalUnit: options.organizationalUnit,
            osRelease: nil,
            actor: JoinRequest.principal(of: options.user, realm: domain.realm))
        if options.rc4 { target.encryptionTypes.append(.rc4) }
        return target
    }
}
