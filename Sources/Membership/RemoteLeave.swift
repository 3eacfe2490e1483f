import AdjoinCore
import Discovery
import LDAP

/// `adjoin leave --computer-name NAME` or `--instance-id ID`, run elsewhere (an admin host) with a join
/// user: removes the computer object of an instance that died without leaving. By instance id it
/// finds the objects whose recorded owner is exactly that id, and never touches any other; by name it
/// removes that account, and with both it removes it only when that id owns it. By name alone, an account
/// that carries no owner marker (pre-staged, joined by another tool, or a Windows computer) is removed only
/// when `allowUnmarked` says so. A domain controller's account is never removed.
public struct RemoteLeave: Sendable {
    public var domain: DomainName
    public var place: DirectoryPlace
    public var user: String
    public var password: SecretBytes
    public var computerName: ComputerName?
    public var instanceID: String?
    /// By name: remove the account even when it carries no adjoin owner marker.
    public var allowUnmarked = false
    /// Find and check the accounts, and say which would be removed; delete nothing.
    public var dryRun = false
    public var progress: ProgressSink

    public init(
        domain: DomainName, place: DirectoryPlace, user: String, password: SecretBytes, computerName: ComputerName?,
        instanceID: String?, progress: @escaping ProgressSink = { _ in }
    ) {
        self.domain = domain
        self.place = place
        self.user = user
        self.password = password
        self.computerName = computerName
        self.instanceID = instanceID
        self.progress = progress
    }

    /// An owner id as adjoin records it: an instance id (i-0123456789abcdef0), or `machine:` and hex.
    static func isValidOwner(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 64
            && text.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
            }
    }

    public func run(deadline: Deadline) throws(AdjoinError) -> LeaveResult {
        guard computerName != nil || instanceID != nil else {
            throw .invalidInput("a remote leave needs --computer-name or --instance-id")
        }
        if let instanceID, !Self.isValidOwner(instanceID) {
            throw .invalidInput("--instance-id '\(instanceID)' is not an instance id (such as i-0123456789abcdef0)")
        }
        let principal = JoinRequest.principal(of: user, realm: domain.realm)
        var result = LeaveResult()
        result.domain = domain.value
        result.computerName = computerName?.value
        result.owner = instanceID

        let controller = try place.connector.locate(
            domain, domainControllers: place.domainControllers, dnsServers: place.dnsServers,
            required: [.ldap, .kdc, .writable], progress: progress, deadline: deadline)
        result.domainController = controller.hostName
        let session = try place.connector.open(
            realm: domain.realm, as: .password(principal: principal, password),
            controller: controller, deadline: deadline, progress: progress)

        let targets = try checkedTargets(in: session, deadline: deadline)
        let records = registeredNames(of: targets, in: session, result: &result, deadline: deadline)
        if dryRun {
            result.wouldRemove = targets.map {
                "\($0.entry.dn) (owner \($0.owner?.value ?? "none recorded")) and its child objects" + Self.withNames(records[$0.entry.dn])
            }
            result.message = targets.isEmpty ? nothingToRemove : "would remove " + result.wouldRemove.joined(separator: "; ")
            return result
        }
        for target in targets {
            try remove(target, names: records[target.entry.dn], in: session, as: principal, result: &result, deadline: deadline)
        }
        if targets.isEmpty {
            result.accountWasGone = true
            result.message = nothingToRemove
        } else {
            result.message = "removed " + result.removed.joined(separator: ", ")
        }
        return result
    }

    /// The accounts to remove, every owner checked before anything is deleted: one an instance id does not
    /// own is left alone (or refused, when named), one without a marker refused unless --allow-unmarked.
    private func checkedTargets(
        in session: any Directory, deadline: Deadline
    ) throws(AdjoinError) -> [(entry: LDAPEntry, owner: AccountOwner?)] {
        var targets: [(entry: LDAPEntry, owner: AccountOwner?)] = []
        for entry in try find(in: session, deadline: deadline) {
            if let refusal = DomainControllerAccount.refusal(entry) { throw refusal }
            let owner = AccountOwner.parse(recorded: entry.strings(AccountOwner.attribute))
            if let instanceID, owner?.value != instanceID {
                // Asked by instance id: an account that id does not own is never removed. (The directory
                // compares `info` without regard to case; the owner must match exactly.)
                if computerName != nil {
                    throw AdjoinError(
                        .accountConflict,
                        "\(entry.dn) belongs to \(owner?.value ?? "no adjoin host"), not to \(instanceID): not removing it")
                }
                progress("Leaving \(entry.dn) alone: its owner is \(owner?.value ?? "not recorded"), not \(instanceID)")
                continue
            }
            if owner == nil, !allowUnmarked {
                throw AdjoinError(
                    .accountConflict,
                    "\(entry.dn) carries no adjoin owner marker (a pre-staged account, one joined by another tool, "
                        + "or a Windows computer): not removing it; check the name, then give --allow-unmarked to remove it anyway")
            }
            targets.append((entry, owner))
        }
        return targets
    }

    /// The DNS names each machine registered, found while its SID is still there to recognise them by. A search
    /// that fails is a warning in the result: the account still goes.
    private func registeredNames(
        of targets: [(entry: LDAPEntry, owner: AccountOwner?)], in session: any Directory, result: inout LeaveResult,
        deadline: Deadline
    ) -> [String: MachineDNSNodes] {
        var records: [String: MachineDNSNodes] = [:]
        for target in targets {
            do {
                records[target.entry.dn] = try MachineDNSNodes.find(for: target.entry, domain: domain, session: session, deadline: deadline)
            } catch {
                let problem = "\(target.entry.dn)'s DNS records were not looked for: \(error.diagnostic ?? error.message)"
                progress("warning: " + problem)
                result.dnsRecord = [result.dnsRecord, problem].compactMap { $0 }.joined(separator: "; ")
            }
        }
        return records
    }

    private static func withNames(_ dns: MachineDNSNodes?) -> String {
        guard let names = dns?.names, !names.isEmpty else { return "" }
        return ", and its DNS record" + (names.count == 1 ? " " : "s ") + names.joined(separator: ", ")
    }

    /// One account deleted with its child objects, then the DNS records it registered.
    private func remove(
        _ target: (entry: LDAPEntry, owner: AccountOwner?), names dns: MachineDNSNodes?, in session: any Directory, as principal: String,
        result: inout LeaveResult, deadline: Deadline
    ) throws(AdjoinError) {
        let (entry, owner) = target
        result.owner = owner?.value ?? result.owner
        result.computerDN = entry.dn
        result.computerName = entry.string("sAMAccountName").map { String($0.dropLast($0.hasSuffix("$") ? 1 : 0)) } ?? result.computerName
        progress("Deleting \(entry.dn) (owner \(owner?.value ?? "none recorded")) and its child objects")
        try AccountRemoval.delete(entry.dn, in: session, as: principal, deadline: deadline)
        result.removed.append(entry.dn)
        guard let dns, !dns.nodes.isEmpty else { return }
        progress("Deleting the DNS records \(entry.dn) registered: \(dns.names.joined(separator: ", "))")
        let outcome: String
        if let problem = dns.delete(in: session, as: principal, deadline: deadline) {
            progress("warning: " + problem)
            outcome = problem
        } else {
            outcome = "removed " + dns.names.joined(separator: ", ")
        }
        result.dnsRecord = [result.dnsRecord, outcome].compactMap { $0 }.joined(separator: "; ")
    }

    private var nothingToRemove: String {
        "no computer account "
            + [computerName.map { "named \($0.samAccountName)" }, instanceID.map { "owned by \($0)" }]
            .compactMap { $0 }.joined(separator: " and ") + ": nothing to remove"
    }

    private func find(in session: any Directory, deadline: Deadline) throws(AdjoinError) -> [LDAPEntry] {
        var conditions = ["(objectClass=computer)"]
        if let computerName { conditions.append("(sAMAccountName=\(LDAPEscaping.filterValue(computerName.samAccountName)))") }
        // With a name the owner is checked on the entry, so that a wrong owner is an error, not "not found".
        if let instanceID, computerName == nil {
            // The marker alone, or followed by the instance's location (account, Region).
            let marker = LDAPEscaping.filterValue(AccountOwner(instanceID).recorded)
            conditions.append("(|(\(AccountOwner.attribute)=\(marker))(\(AccountOwner.attribute)=\(marker) *))")
        }
        do {
            return try session.search(
                base: domain.baseDN, scope: .subtree, filter: "(&" + conditions.joined() + ")",
                attributes: ["distinguishedName", "sAMAccountName", AccountOwner.attribute, DomainControllerAccount.attribute]
                    + MachineDNSNodes.accountAttributes,
                deadline: deadline)
        } catch {
            throw error.adjoinError(deadline: deadline)
        }
    }
}
