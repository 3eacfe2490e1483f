import AdjoinCore
import LDAP

/// `adjoin leave` on the joined host: the computer object deleted with its children (as the machine
/// itself, with its keytab, or as a join user), then the host put back as it was before the join.
/// The directory goes first: if it cannot be reached, nothing local changes, so a rerun still has the
/// keytab to log in with. Leaving a host that has already left succeeds and says so.
public struct HostLeave: Sendable {
    public let place: DirectoryPlace
    /// A join user and password; nil: the machine's own keytab.
    public let joinUser: (name: String, password: SecretBytes)?
    public let progress: ProgressSink
    /// Clean this host only: the account stays in the directory (the DC cannot be reached, or removing
    /// it is someone else's job), for a remote leave or the sweep to remove later.
    public var keepAccount = false

    public init(
        place: DirectoryPlace, joinUser: (name: String, password: SecretBytes)? = nil,
        progress: @escaping ProgressSink = { _ in }
    ) {
        self.place = place
        self.joinUser = joinUser
        self.progress = progress
    }

    /// `identity`: who this host is now. A copy of the joined host leaves the account to the host that
    /// owns it, with or without a join user, and cleans only itself.
    public func run(deadline: Deadline, identity: CurrentIdentity) throws(AdjoinError) -> LeaveResult {
        var result = LeaveResult()
        let host: JoinedHost
        do {
            host = try JoinedHost(place: place, progress: progress, acceptingInterrupted: true)
        } catch  where error.status == .notJoined {
            // No record: a leave already ran, or none was ever needed. Files a join cut short may remain.
            let cleanup = HostCleanup(files: place.files, progress: progress)
            try cleanup.run(keytab: nil, deadline: deadline, into: &result)
            result.accountWasGone = true
            result.message =
                result.restored.isEmpty
                ? "this host is not joined (already left): nothing to do"
                : "this host had no join record; restored the files a join left: \(result.restored.joined(separator: ", "))"
            return result
        }
        let record = host.record
        result.domain = record.domain
        result.computerName = record.computerName
        result.computerDN = record.computerDN.isEmpty ? nil : record.computerDN
        result.owner = record.owner.isEmpty ? nil : record.owner

        if let copy = try host.copy(identity, deadline: deadline) {
            let note =
                "\(copy.description): left \(copy.recorded)'s account \(record.computerDN.isEmpty ? record.samAccountName : record.computerDN) "
                + "alone and cleaned this host only"
            progress(note.prefix(1).uppercased() + note.dropFirst())
            result.notes.append(note)
            result.copyOf = copy.recorded.value
        } else if keepAccount {
            let note =
                "kept the computer account \(record.computerDN.isEmpty ? record.samAccountName : record.computerDN) in the directory "
                + "(--keep-account): adjoin leave --computer-name \(record.computerName) from an admin host removes it (adjoin sweep too, "
                + "for an EC2 instance once it is terminated)"
            progress(note.prefix(1).uppercased() + note.dropFirst())
            result.notes.append(note)
            if !record.addedServicePrincipals.isEmpty { result.notes.append(removeAddedServicePrincipals(host, deadline: deadline)) }
        } else {
            try leaveDirectory(host, deadline: deadline, into: &result)
        }
        progress("Putting the host back as it was before the join")
        try HostCleanup(files: place.files, progress: progress).run(
            keytab: host.keytab, enabledUnits: record.enabledUnits, deadline: deadline, into: &result)

        let account =
            result.removed.first.map { "removed \($0)" }
            ?? (result.accountWasGone
                ? "the computer account \(record.samAccountName) was already gone" : "left the computer account alone")
        let files = result.restored.isEmpty ? "no host file to restore" : "restored \(result.restored.count) host files"
        result.message = ([account, files] + result.notes).joined(separator: "; ")
        return result
    }

    /// A kept account loses the `--service-name` SPNs adjoin added (not an administrator's), so that
    /// no client gets tickets for services whose keys leave takes off this host. Written as the machine
    /// (a computer may write its own SPNs), before its keys go; a DC that cannot be reached or refuses
    /// is a note, since --keep-account is the way out when the directory cannot be changed.
    private func removeAddedServicePrincipals(_ host: JoinedHost, deadline: Deadline) -> String {
        let record = host.record
        do throws(AdjoinError) {
            let controller = try host.locateController(required: [.ldap, .kdc, .writable], deadline: deadline)
            let session = try host.machineSession(controller, deadline: deadline)
            guard let entry = try host.account(in: session, deadline: deadline) else { return "the account is gone: no SPN to remove" }
            let added = Set(record.addedServicePrincipals.map { $0.lowercased() })
            let present = entry.strings("servicePrincipalName").filter { added.contains($0.lowercased()) }
            guard !present.isEmpty else { return "the account holds none of the SPNs adjoin added" }
            do {
                try session.modify(entry.dn, changes: [.delete(LDAPAttribute("servicePrincipalName", present))], deadline: deadline)
            } catch {
                throw AdjoinError(
                    error.isPermissionDenied ? .insufficientPermissions : error.adjoinError(deadline: deadline).status,
                    "\(record.machinePrincipal) may not remove them (\(AccountWrite.validatedSPN)): \(error.diagnostic ?? error.message)")
            }
            progress("Removed the SPNs adjoin added from \(entry.dn): \(present.joined(separator: ", "))")
            return "removed the SPNs adjoin added from the kept account: \(present.joined(separator: ", "))"
        } catch {
            return
                "left the SPNs adjoin added on the kept account (\(record.addedServicePrincipals.joined(separator: ", "))): \(error.message)"
        }
    }

    private func leaveDirectory(_ host: JoinedHost, deadline: Deadline, into result: inout LeaveResult) throws(AdjoinError) {
        let record = host.record
        if let joinUser { try JoinRequest.checkUser(joinUser.name, domain: record.domain) }
        let controller = try host.locateController(required: [.ldap, .kdc, .writable], deadline: deadline)
        result.domainController = controller.hostName
        let actor = joinUser.map { JoinRequest.principal(of: $0.name, realm: record.realm) } ?? record.machinePrincipal
        let session: any Directory
        do {
            if let joinUser {
                session = try place.connector.open(
                    realm: record.realm, as: .password(principal: actor, joinUser.password),
                    controller: controller, deadline: deadline, progress: progress)
            } else {
                session = try host.leavingSession(controller, deadline: deadline)
            }
        } catch  where error.status == .accountMissing {
            progress("The DC no longer knows \(record.samAccountName): the account is already gone")
            result.accountWasGone = true
            return
        } catch  where error.status == .keytabInvalid && !host.interrupted {
            throw AdjoinError(.keytabInvalid, error.message + "; leave with a join user instead (--user NAME --password-stdin)")
        }
        guard let entry = try host.account(in: session, deadline: deadline) else {
            progress("No computer account \(record.samAccountName) in the directory: already gone")
            result.accountWasGone = true
            return
        }
        result.computerDN = entry.dn
        let owner = AccountOwner.parse(recorded: entry.strings(AccountOwner.attribute))
        result.owner = owner?.value ?? result.owner
        if let owner, !record.owner.isEmpty, owner.value != record.owner {
            // The name was taken over after this host's account went (another host, or an administrator).
            let note = "the account \(entry.dn) now belongs to \(owner), not to this host (\(record.owner)): left it alone"
            progress(note.prefix(1).uppercased() + note.dropFirst())
            result.notes.append(note)
            return
        }
        if let dns = record.dnsRecord {
            // Signed as the machine, so before its account goes; only this host's address is deleted.
            let registration = AddressRegistration(keytab: host.keytab, zone: record.domain, progress: progress)
            switch registration.remove(dns, session: session, deadline: deadline) {
            case .success:
                result.dnsRecord = "removed \(dns)" + (dns.reverseZone.map { " and its PTR record in \($0)" } ?? "")
                if let problem = AddressRegistration.releaseNodes(
                    dns, zone: record.domain, baseDN: try DomainName(record.domain).baseDN,
                    session: session, deadline: deadline)
                {
                    result.notes.append(problem)
                }
            case .failure(let error):
                result.dnsRecord = "left \(dns)"
                result.notes.append("DNS record left: \(error.message)")
            }
        }
        progress("Deleting \(entry.dn) and its child objects")
        try AccountRemoval.delete(entry.dn, in: session, as: actor, deadline: deadline)
        result.removed.append(entry.dn)
    }
}

/// The tree delete of a computer object, with its failures explained.
enum AccountRemoval {
    /// Who could delete it instead: the machine (NAME$) only where the join could grant it the right;
    /// a user needs Delete and Delete subtree on the object, which a pre-staged account's delegation
    /// ("can join this computer to a domain") does not give.
    static func advice(_ principal: String) -> String {
        if principal.split(separator: "@").first?.hasSuffix("$") == true {
            return "a machine may delete its own account only when its join could grant it that right (a pre-staged account's "
                + "delegation does not let it), otherwise leave with a user who may delete it (adjoin leave --user NAME --password-stdin)"
        }
        return "that user lacks Delete and Delete subtree on it (the rights to join a pre-staged account do not include them): "
            + "leave with a user who has them (an administrator, or one delegated to delete computer objects in its OU)"
    }

    static func delete(_ dn: String, in session: any Directory, as principal: String, deadline: Deadline) throws(AdjoinError) {
        do {
            try session.delete(dn, tree: true, deadline: deadline)
        } catch  where error.code == .noSuchObject {
            return
        } catch  where error.isPermissionDenied {
            throw AdjoinError(
                .insufficientPermissions, "\(principal) may not delete \(dn) (\(error.diagnostic ?? error.message)); " + advice(principal))
        } catch {
            throw error.adjoinError(deadline: deadline)
        }
    }
}
