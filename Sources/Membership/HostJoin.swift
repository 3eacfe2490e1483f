import AdjoinCore
import Discovery
import HostConfig

/// `adjoin join` with host configuration: the DC is located and the host's changes are planned
/// before the directory is touched, so bad input or a host that cannot be configured (sssd missing,
/// a PAM file too odd to edit) stops the join before it creates anything. Then the join, then the
/// planned changes. A configuration failure after a successful join keeps the account and keytab
/// (they are correct); a rerun completes the configuration.
public struct HostJoin: Sendable {
    public struct Outcome: Sendable {
        public var join: JoinResult
        /// Host paths written and tools run; empty when the host was already configured (or not asked).
        public var configured: [String]
    }

    public let join: DomainJoin
    /// Who may log in and how; nil: `--no-configure`.
    public let login: LoginSettings?

    public init(_ join: DomainJoin, login: LoginSettings?) {
        self.join = join
        self.login = login
    }

    /// `identity`: who this host is now. A copy of a joined host first discards what it inherited (the
    /// other host's keytab entries, join record and sssd caches; the kept pre-join originals stay, so a
    /// later leave still restores the image as it was), then joins as itself.
    public func run(deadline: Deadline, identity: CurrentIdentity) throws(AdjoinError) -> Outcome {
        let controller = try join.locateController(deadline: deadline)
        let inherited = try inheritedJoin(identity, deadline: deadline)
        if inherited == nil { try JoinRename.check(join.request, against: try JoinRename.recorded(join.request.files)) }
        guard let login else {
            try discard(inherited, deadline: deadline)
            var result = try join.run(on: controller, deadline: deadline)
            result.updateSamba = join.updateSamba
            try JoinRecord(join.request, result, configured: false).write(join.request.files)
            if let failure = result.sambaFailure { throw failure }
            return Outcome(join: result, configured: [])
        }
        let configuration = configuration(login, controller: controller)
        let plan = try configuration.plan(deadline: deadline)
        // Units an earlier join of this host enabled stay its to disable at leave, though this run finds them enabled.
        let earlierUnits = inherited == nil ? (try JoinRecord.read(join.request.files))?.enabledUnits ?? [] : []
        try discard(inherited, deadline: deadline)
        var join = self.join
        join.loginGroups = login.groups
        var result = try join.run(on: controller, deadline: deadline)
        result.updateSamba = join.updateSamba
        // Recorded before the host is configured, so that leave can also undo a configuration cut short.
        var record = JoinRecord(join.request, result, configured: true)
        record.enabledUnits = earlierUnits + plan.enabledUnits.filter { !earlierUnits.contains($0) }
        record.access = LoginAccess(
            allowedGroups: login.allowedGroups.map(\.value), sudoGroup: login.sudoGroup?.value, ssh: plan.configuresSSH)
        try record.write(join.request.files)
        join.progress("Configuring the host (krb5.conf, sssd, NSS, PAM)")
        let configured = try configuration.apply(plan, deadline: deadline)
        if let failure = result.sambaFailure { throw failure }
        return Outcome(join: result, configured: configured)
    }

    /// What the host configuration would change, as diffs; touches nothing, neither host nor directory.
    public func dryRun(deadline: Deadline, identity: CurrentIdentity) throws(AdjoinError) -> String {
        let controller = try join.locateController(deadline: deadline)
        let request = join.request
        var inherited = ""
        if let (record, copy) = try inheritedJoin(identity, deadline: deadline) {
            inherited =
                "\(copy.description): would discard \(record.samAccountName)'s keys from the keytab, the join record and sssd's caches, "
                + "and leave \(copy.recorded)'s account alone\n"
        } else {
            try JoinRename.check(request, against: try JoinRename.recorded(request.files))
        }
        let joining =
            request.oneTimePassword
            ? "join the preset account \(request.computerName.samAccountName) as itself with its one-time password, and change that password at once,"
            : "\(request.organizationalUnit.map { "join \(request.computerName.samAccountName) into \($0)" } ?? "join \(request.computerName.samAccountName) into the domain's computers container") (or reuse the account when this host owns it)"
        var text =
            inherited + "would \(joining) through \(controller.hostName), and write the keytab \(request.files.path(request.keytabPath))\n"
        text += try ServicePrincipals(request).dryRun(request)
        if request.registerDNS {
            text +=
                "would register \(request.hostFQDN.lowercased()) A \(request.dnsAddress?.host ?? "(this host's address toward \(controller.hostName))") "
                + "in DNS at \(controller.hostName), signed as \(request.computerName.samAccountName), and its PTR record where that DC holds the reverse zone\n"
        }
        if let samba = try SambaSecrets.member(of: request.domain.realm, files: request.files) {
            text +=
                join.updateSamba
                ? "would hand the new machine password and the domain SID to Samba (net -s \(samba.configurationPath) changesecretpw, on standard input)\n"
                : "would leave Samba (\(samba.configurationPath): security = ads) without the new machine password: give --update-samba\n"
        }
        if let login {
            text += try configuration(login, controller: controller).plan(deadline: deadline).description(root: request.files.root)
        }
        return text
    }

    /// The join record this host inherited from the host it was copied from, if it is a copy.
    private func inheritedJoin(_ identity: CurrentIdentity, deadline: Deadline) throws(AdjoinError) -> (JoinRecord, HostCopy)? {
        // A join cut short in the image leaves only its intent record: the same, for a copy.
        var found = try JoinRecord.read(join.request.files)
        if found == nil { found = try JoinIntent.read(join.request.files) }
        guard let record = found, let copy = try identity.copy(of: record, deadline: deadline) else { return nil }
        return (record, copy)
    }

    /// Drops what a copy inherited, after everything that can refuse the join has been checked.
    /// sssd is stopped to empty its caches; the configuration that follows names this host, so it changes and sssd is restarted.
    private func discard(_ inherited: (JoinRecord, HostCopy)?, deadline: Deadline) throws(AdjoinError) {
        guard let (record, copy) = inherited else { return }
        join.progress(
            "\(copy.description.prefix(1).uppercased() + copy.description.dropFirst()): discarding what it inherited from "
                + "\(copy.recorded) and joining as \(copy.current)")
        try HostCleanup(files: join.request.files, progress: join.progress).discardInherited(record, deadline: deadline)
    }

    private func configuration(_ login: LoginSettings, controller: DomainController) -> HostConfiguration {
        let request = join.request
        // The pinned DC first, by the name it gave; then the other DCs the user named.
        let others = request.domainControllers.map(\.host).filter {
            $0.lowercased() != controller.hostName.lowercased() && $0 != controller.address.host
        }
        var settings = HostSettings(
            domain: request.domain.value, realm: request.domain.realm, hostFQDN: request.hostFQDN,
            computerName: request.computerName.value, kdcs: [controller.hostName] + others)
        settings.keytabPath = request.keytabPath
        settings.login = login
        settings.reachesDCsOverIPv6 = controller.address.family == .ipv6
        settings.pinnedServers = request.domainControllers.isEmpty ? [] : settings.kdcs
        settings.dnsServers =
            request.dnsServers.isEmpty
            ? [controller.address.host] + others.filter { SocketAddress(numericHost: $0, port: 53) != nil }
            : request.dnsServers.map(\.host)
        return HostConfiguration(settings: settings, files: request.files, progress: join.progress)
    }
}
