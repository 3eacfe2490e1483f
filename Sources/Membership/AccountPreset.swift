import AdjoinCore
import Discovery
import Kerberos
import LDAP

/// `adjoin preset`: a computer account made ready for a host that holds no domain credential (adcli's
/// `preset-computer`). Created in the OU (or the domain's computers container) as a workstation with a
/// random one-time password, its dNSHostName and SPNs for the host's name, the owner marker when one is
/// given, and the right to delete itself (so that the host's `adjoin leave` needs no join user); or,
/// when the account exists and is not another owner's, reset to a new one-time password. The host then
/// joins with `adjoin join --one-time-password-stdin`, which logs in as the computer with that password
/// and replaces it at once.
///
/// The same ComputerAccount and AccountWrites code as the join's, given an AccountTarget: no host files,
/// no keytab. A broker presetting an account for an instance calls `run(session:...)` with its own session.
public struct AccountPreset: Sendable {
    public let target: AccountTarget
    public var domainControllers: [HostPort] = []
    public var dnsServers: [SocketAddress] = []
    /// The administrator's (or join user's) password, handed to the Kerberos login and wiped there.
    public let password: SecretBytes
    public let connector: any DirectoryConnector
    public let progress: ProgressSink
    /// The broker's rate limit: an existing account whose password was set less than this long ago (its
    /// pwdLastSet, by `now`) is not reset (RATE_LIMITED). nil: no limit (an administrator's preset).
    public var minimumPasswordAge: (seconds: Int64, now: Int64)?

    public init(
        _ target: AccountTarget, password: SecretBytes, connector: any DirectoryConnector = LiveDirectoryConnector(),
        progress: @escaping ProgressSink = { _ in }
    ) {
        self.target = target
        self.password = password
        self.connector = connector
        self.progress = progress
    }

    /// What a preset did. `oneTimePassword` is the secret to hand to the host, and to nothing else.
    public struct Outcome: Sendable {
        public var computerDN: String
        public var domainController: String
        /// true: this preset created the account; false: it reset an existing one.
        public var created: Bool
        public var oneTimePassword: SecretBytes
        /// Informational writes the directory refused, and a refused self-deletion grant.
        public var warnings: [String]
    }

    /// Checks what a person typed before anything goes on the wire.
    public func validate() throws(AdjoinError) {
        try InputNames.checkUser(target.actor, domain: target.domain.value)
        if let ou = target.organizationalUnit { try InputNames.checkOrganizationalUnit(ou, domain: target.domain) }
        try InputNames.checkHostName(target.hostFQDN, domain: target.domain)
        guard !password.containsNUL else { throw .invalidInput("the password contains a NUL byte") }
    }

    public func run(deadline: Deadline) throws(AdjoinError) -> Outcome {
        try validate()
        let controller = try connector.locate(
            target.domain, domainControllers: domainControllers, dnsServers: dnsServers,
            required: [.ldap, .kdc, .writable], progress: progress, deadline: deadline)
        let session = try connector.open(
            realm: target.domain.realm, as: .password(principal: target.actor, password),
            controller: controller, deadline: deadline, progress: progress)
        return try run(session: session, oneTimePassword: MachinePassword.generate(), deadline: deadline)
    }

    /// pwdLastSet is the stateless clock of the rate limit: it is replicated to every DC, and set by
    /// exactly the writes that count (a reset here, and the host's own change of its one-time password),
    /// where whenChanged is kept per DC and moves with any write (DNS attributes, the owner grant).
    private func checkPasswordAge(_ existing: LDAPEntry) throws(AdjoinError) {
        guard let (minimum, now) = minimumPasswordAge, let set = existing.passwordLastSet else { return }
        let age = now - set
        guard age < minimum else { return }
        var limited = AdjoinError(
            .rateLimited,
            "the computer account \(target.computerName.samAccountName) (\(existing.dn)) had its password set "
                + "\(max(age, 0)) s ago; it is reset at most once every \(minimum) s: try again in \(minimum - max(age, 0)) s")
        // pwdLastSet and the clock are read in whole seconds: one more, so that the retry is not refused again.
        limited.retryAfter = .seconds(minimum - max(age, 0) + 1)
        throw limited
    }

    /// The preset over a session that is open already (the broker's, or a test's scripted one).
    public func run(session: any Directory, oneTimePassword: SecretBytes, deadline: Deadline) throws(AdjoinError) -> Outcome {
        let account = ComputerAccount(target: target, session: session)
        let (existing, container) = try account.find(deadline: deadline)
        let dn: String
        var warnings: [String]
        if let existing {
            // The owner first: a name another host owns is ACCOUNT_CONFLICT whatever its age.
            try account.checkOwner(existing)
            try checkPasswordAge(existing)
            progress("Resetting the computer account \(existing.dn) to a new one-time password")
            dn = existing.dn
            warnings = try account.reset(existing, password: oneTimePassword, progress: progress, deadline: deadline)
        } else {
            progress("Creating the computer account \(target.computerName.samAccountName) in \(container) with a one-time password")
            dn = try account.create(in: container, password: oneTimePassword, deadline: deadline)
            warnings = []
        }
        do {
            if try account.grantSelfDeletion(dn, deadline: deadline) {
                progress("Allowed \(target.computerName.samAccountName) to delete its own account (for adjoin leave with its keytab)")
            }
        } catch  where error.status == .timeout || error.status == .networkError {
            throw error
        } catch {
            progress("Could not allow \(target.computerName.samAccountName) to delete its own account: \(error.message)")
            warnings.append(ComputerAccount.selfDeletionRefused(target.actor, target.computerName.samAccountName, dn))
        }
        return Outcome(
            computerDN: dn, domainController: session.controller.hostName, created: existing == nil,
            oneTimePassword: oneTimePassword, warnings: warnings)
    }
}
