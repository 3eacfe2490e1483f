import AdjoinCore
import Kerberos
import LDAP

/// The computer object: found by sAMAccountName, created in the OU with its password set in the same
/// add (unicodePwd over the sealed connection), or, when pre-staged or already this host's, updated.
struct ComputerAccount {
    static let workstationTrustAccount = 0x1000
    static let searchedAttributes = ["distinguishedName", "msDS-KeyVersionNumber", "pwdLastSet"] + AccountWrites.readAttributes

    let target: AccountTarget
    let session: any Directory

    func attributes(password: SecretBytes) -> [LDAPAttribute] {
        var attributes = [
            LDAPAttribute("dNSHostName", [target.hostFQDN.lowercased()]),
            LDAPAttribute("servicePrincipalName", target.servicePrincipalNames),
        ]
        if let system = target.osRelease {
            attributes += [
                LDAPAttribute("operatingSystem", [system.name]),
                LDAPAttribute("operatingSystemVersion", [system.version.isEmpty ? "unknown" : system.version]),
            ]
        }
        attributes.append(
            LDAPAttribute("msDS-SupportedEncryptionTypes", [String(EncryptionType.supportedEncryptionTypes(target.encryptionTypes))]))
        if let owner = target.owner { attributes.append(LDAPAttribute(AccountOwner.attribute, [owner.recorded])) }
        return attributes + [
            LDAPAttribute("userAccountControl", [String(Self.workstationTrustAccount)]),
            LDAPAttribute("unicodePwd", secret: MachinePassword.unicodePwd(password)),
        ]
    }

    /// The account, if one exists (with its DACL where the join user may read it), and the container a
    /// new one would go to. When that container must be looked up (no --ou), both searches go out
    /// together: one round trip for the two.
    func find(deadline: Deadline) throws(AdjoinError) -> (existing: LDAPEntry?, container: String) {
        var searches = [accountSearch]
        if target.organizationalUnit == nil {
            // The domain's well-known computers container, wherever an administrator redirected it with redircmp.
            searches.append(
                LDAPSearchRequest(
                    base: "<WKGUID=AA312825768811D1ADED00C04FD8D5CD,\(target.domain.baseDN)>", scope: .base,
                    filter: "(objectClass=*)", attributes: ["distinguishedName"]))
        }
        let containerIndex = searches.count - 1
        // An SPN must be unique in the forest: one that another account holds would be refused as a bare
        // constraint violation. Looked up in the same round trip, so the join stops before changing anything.
        let services = target.serviceClassPrincipalNames
        if !services.isEmpty {
            let filter = "(|" + services.map { "(servicePrincipalName=\(LDAPEscaping.filterValue($0)))" }.joined() + ")"
            searches.append(
                LDAPSearchRequest(
                    base: target.domain.baseDN, scope: .subtree, filter: filter,
                    attributes: ["sAMAccountName", "servicePrincipalName"]))
        }
        let answers: [[LDAPEntry]]
        do {
            answers = try session.search(searches, deadline: deadline)
        } catch {
            throw error.adjoinError(deadline: deadline)
        }
        if !services.isEmpty, let holders = answers.last { try checkUnique(services, holders) }
        let container =
            target.organizationalUnit ?? (containerIndex > 0 ? answers[containerIndex].first?.dn : nil)
            ?? "CN=Computers,\(target.domain.baseDN)"
        return (answers[0].first, container)
    }

    /// The search for the account by its sAMAccountName, with its DACL (alone: SD flags), which the
    /// self-deletion grant then need not read again.
    var accountSearch: LDAPSearchRequest {
        LDAPSearchRequest(
            base: target.domain.baseDN, scope: .subtree, filter: Self.filter(samAccountName: target.computerName.samAccountName),
            attributes: Self.searchedAttributes + ["nTSecurityDescriptor"],
            securityDescriptorFlags: LDAPSearchRequest.daclOnly)
    }

    /// Refuses `--service-name` SPNs that another account holds (AD and Samba refuse a duplicate).
    private func checkUnique(_ services: [String], _ holders: [LDAPEntry]) throws(AdjoinError) {
        let ours = target.computerName.samAccountName.lowercased()
        let wanted = Set(services.map { $0.lowercased() })
        for holder in holders where holder.string("sAMAccountName")?.lowercased() != ours {
            let taken = holder.strings("servicePrincipalName").filter { wanted.contains($0.lowercased()) }
            guard !taken.isEmpty else { continue }
            throw AdjoinError(
                .accountConflict,
                "the SPN \(taken.joined(separator: ", ")) is registered on \(holder.dn), and an SPN must be unique in the forest: "
                    + "remove it there (setspn -D \(taken[0]) \(holder.string("sAMAccountName") ?? holder.dn)) if this host now serves it, "
                    + "or join without --service-name \(taken[0].split(separator: "/").first.map(String.init) ?? taken[0]); nothing was changed"
            )
        }
    }

    /// The kvno of a new account's keys: msDS-KeyVersionNumber is the version of unicodePwd's replication
    /// stamp (MS-ADTS 3.1.1.4.5.16), and the add that sets the password originates it at version 1.
    static let newAccountKeyVersion: UInt32 = 1

    /// The kvno after a reset: each originating write of unicodePwd raises that version by one, so the
    /// value the search read plus one. nil when the search could not read it. A prediction: the keytab's
    /// proof checks it against the DC's reply.
    static func keyVersionAfterReset(_ entry: LDAPEntry) -> UInt32? {
        entry.keyVersion.map { $0 &+ 1 }
    }

    /// The search for a computer object by its sAMAccountName (NAME$).
    static func filter(samAccountName: String) -> String {
        "(&(objectClass=computer)(sAMAccountName=\(LDAPEscaping.filterValue(samAccountName))))"
    }

    /// The DN a new account gets in `container`.
    func newDN(in container: String) -> String {
        "CN=\(LDAPEscaping.dnValue(target.computerName.value)),\(container)"
    }

    func create(in container: String, password: SecretBytes, deadline: Deadline) throws(AdjoinError) -> String {
        try create(in: container, password: password, readingDescriptor: false, deadline: deadline).dn
    }

    /// `readingDescriptor`: the new account's DACL is read in the same round trip as the add (the
    /// search sent right behind it), for the self-deletion grant that follows; nil where that read
    /// found nothing (the grant then reads it itself).
    func create(
        in container: String, password: SecretBytes, readingDescriptor: Bool,
        deadline: Deadline
    ) throws(AdjoinError) -> (dn: String, descriptor: [UInt8]?) {
        let dn = newDN(in: container)
        let all = newAccountAttributes(password: password)
        do {
            guard readingDescriptor else {
                try session.add(dn, attributes: all, deadline: deadline)
                return (dn, nil)
            }
            let entries = try session.add(dn, attributes: all, thenSearch: Self.descriptorRead(dn), deadline: deadline)
            return (dn, entries.first?.values("nTSecurityDescriptor").first)
        } catch {
            throw createFailure(error, in: container, dn: dn, deadline: deadline)
        }
    }

    /// What an add of a new account carries: its classes and name, and what `attributes(password:)` sets.
    func newAccountAttributes(password: SecretBytes) -> [LDAPAttribute] {
        let objectClass = LDAPAttribute("objectClass", ["top", "person", "organizationalPerson", "user", "computer"])
        let name = LDAPAttribute("sAMAccountName", [target.computerName.samAccountName])
        return [objectClass, name] + attributes(password: password)
    }

    /// Why the add of `dn` in `container` failed, in the operator's words.
    func createFailure(_ error: LDAPError, in container: String, dn: String, deadline: Deadline) -> AdjoinError {
        if error.isPermissionDenied {
            return AdjoinError(
                .insufficientPermissions,
                "\(target.actor) needs Create Computer objects on \(container) to create \(target.computerName.samAccountName): \(error.diagnostic ?? error.message)"
                    + (target.organizationalUnit == nil ? " (give --ou with an OU where it has join rights)" : ""))
        }
        if target.organizationalUnit != nil && (error.code == .noSuchObject || error.code == .invalidDNSyntax) {
            return .invalidInput(
                "--ou '\(container)' is not an OU of \(target.domain) that \(target.actor) can see: \(error.diagnostic ?? error.message)")
        }
        if error.code == .alreadyExists || error.code == .constraintViolation {
            return AdjoinError(
                .accountConflict,
                "an account named \(target.computerName.samAccountName) or \(dn) already exists (made by another join since this one looked, "
                    + "or where \(target.actor) cannot see it): \(error)")
        }
        return error.adjoinError(deadline: deadline)
    }

    /// What reusing an existing account did.
    struct Reuse {
        /// The kvno of the keys the host keeps: its keytab still logs in as the account. nil when a new
        /// password was set.
        var keptKeyVersion: UInt32?
        /// Informational writes the directory refused.
        var warnings: [String]
    }

    /// Refuses another host's account; brings a pre-staged one or our own to what the join needs,
    /// writing only what differs. The password is set (with the join user's Reset password right) only
    /// when the host's keytab no longer logs in as the account: a rerun on a healthy host keeps its keys
    /// (changing them is `rotate`'s job, done as the machine) and needs no right at all.
    ///
    /// `claimOnly`: the owner this join records was chosen with --owner (it is not who this host is), and
    /// neither this host's join record nor its intent record (as the join found them) names the account.
    func reuse(
        _ entry: LDAPEntry, keytab: HostKeytab, password: SecretBytes, claimOnly: Bool, progress: (String) -> Void,
        deadline: Deadline
    ) throws(AdjoinError) -> Reuse {
        try checkOwner(entry)
        let kept = try workingKeys(keytab, entry, progress: progress, deadline: deadline)
        if let owner = target.owner, AccountOwner.parse(recorded: entry.strings(AccountOwner.attribute)) != nil, kept == nil, claimOnly {
            // An owner chosen with --owner is not who this host is: several hosts may claim it. The one that
            // created the account (or holds its keys) keeps it; a reset here would break that host's keytab
            // while both reported JOINED.
            throw AdjoinError(
                .accountConflict,
                "the computer account \(target.computerName.samAccountName) (\(entry.dn)) carries the owner \(owner) that this host "
                    + "claims (--owner), but this host has no record of joining it and no keys that log in as it: another host claiming the same "
                    + "owner holds it, and a new password would lock that host out. Give each host its own --owner or --computer-name, or remove "
                    + "the account (adjoin leave --computer-name \(target.computerName)) if no host uses it")
        }
        if let kept {
            progress("The keytab \(keytab.path) still logs in as \(keytab.samAccountName) (kvno \(kept)): keeping its keys")
        }
        let writes = AccountWrites(target: target)
        let warnings = try writes.apply(
            writes.plan(entry, password: kept == nil ? password : nil), to: entry.dn, session: session,
            progress: progress, deadline: deadline)
        return Reuse(keptKeyVersion: kept, warnings: writes.unwritten(entry) + warnings)
    }

    /// Refuses an account whose owner marker names another owner than the target's (or any owner, when
    /// the target records none): adjoin never takes over another host's account.
    func checkOwner(_ entry: LDAPEntry) throws(AdjoinError) {
        guard let owner = AccountOwner.parse(recorded: entry.strings(AccountOwner.attribute)), owner != target.owner else { return }
        throw AdjoinError(
            .accountConflict,
            "the computer account \(target.computerName.samAccountName) (\(entry.dn)) belongs to \(owner), not to "
                + (target.owner.map { "this host (\($0))" } ?? "no owner (give --owner \(owner) if it is that host's account)") + "; "
                + "adjoin never takes over another host's account. Choose another --computer-name, or remove that account "
                + "(adjoin leave --computer-name \(target.computerName)) if its host is gone")
    }

    /// An existing account given a new password, and brought to what the target says (writing only what
    /// differs), without any host's keytab: `adjoin preset`'s reset. Only an account whose owner marker
    /// names the target's owner is reset: one without a marker may be a host that another tool joined and
    /// that works today, which a new password would cut off. Returns the warnings of refused informational writes.
    func reset(_ entry: LDAPEntry, password: SecretBytes, progress: (String) -> Void, deadline: Deadline) throws(AdjoinError) -> [String] {
        try checkOwner(entry)
        guard let owner = target.owner, AccountOwner.parse(recorded: entry.strings(AccountOwner.attribute)) == owner else {
            throw AdjoinError(
                .accountConflict,
                "the computer account \(target.computerName.samAccountName) (\(entry.dn)) exists and carries no owner marker"
                    + (target.owner.map { " naming \($0)" } ?? "") + ": it may be a host's that another tool joined, which a new password "
                    + "would cut off. A preset resets only the account whose marker names --owner; remove this one first "
                    + "(adjoin leave --computer-name \(target.computerName) --allow-unmarked --domain \(target.domain) --user ...) if its host is gone"
            )
        }
        let writes = AccountWrites(target: target)
        let warnings = try writes.apply(
            writes.plan(entry, password: password), to: entry.dn, session: session, progress: progress, deadline: deadline)
        return writes.unwritten(entry) + warnings
    }

    /// The kvno of the host's keys when its keytab logs in as the account (its entries for the other
    /// principals completed from NAME$'s if some are missing); nil when the keytab is missing, holds no
    /// key of the account or not every type asked for, or the DC rejects its keys.
    private func workingKeys(
        _ keytab: HostKeytab, _ entry: LDAPEntry, progress: (String) -> Void,
        deadline: Deadline
    ) throws(AdjoinError) -> UInt32? {
        guard let bytes = try keytab.current(), let entries = try? KeytabFormat.decode(bytes),
            entries.contains(where: { $0.components == [keytab.samAccountName] && $0.realm == keytab.realm })
        else {
            return nil
        }
        let kvno: UInt32?
        do {
            kvno = try keytab.prove(session: session, deadline: deadline) ?? entry.keyVersion
        } catch  where error.status == .accessDenied || error.status == .unknownError {
            return nil
        }
        guard let kvno, let completed = try keytab.complete(entries, at: kvno) else { return nil }
        if completed {
            progress("Completed the keytab \(keytab.path) with the account's other principals at kvno \(kvno)")
        }
        return kvno
    }

    /// `expected`, else msDS-KeyVersionNumber as the DC reports it now.
    func keyVersion(expected: UInt32?, of dn: String, deadline: Deadline) throws(AdjoinError) -> UInt32 {
        if let expected { return expected }
        return try Self.keyVersion(of: dn, session: session, deadline: deadline)
    }

    /// msDS-KeyVersionNumber as the DC reports it now.
    static func keyVersion(of dn: String, session: any Directory, deadline: Deadline) throws(AdjoinError) -> UInt32 {
        let entry: LDAPEntry?
        do {
            entry = try session.search(
                base: dn, scope: .base, filter: "(objectClass=computer)",
                attributes: ["msDS-KeyVersionNumber"], deadline: deadline
            ).first
        } catch {
            throw error.adjoinError(deadline: deadline)
        }
        guard let kvno = entry?.keyVersion else {
            throw AdjoinError(.unknownError, "the DC did not report msDS-KeyVersionNumber for \(dn)")
        }
        return kvno
    }

    /// Lets the machine delete its own account later (see SelfDeletionGrant): the DACL is read and
    /// written alone (SD flags control), so the owner, group and SACL stay as the directory set them.
    /// Returns false when the DACL already granted it.
    /// `read`: the DACL as the add's own round trip read it (see `create`); nil: read it now.
    func grantSelfDeletion(_ dn: String, read: [UInt8]? = nil, deadline: Deadline) throws(AdjoinError) -> Bool {
        guard let write = try beginSelfDeletionGrant(dn, read: read, deadline: deadline) else { return false }
        try finish(write, deadline: deadline)
        return true
    }

    /// The grant's write sent without waiting for its answer (`finish` reads it), so that work on the
    /// KDC's connection overlaps it; nil when the DACL already granted it.
    func beginSelfDeletionGrant(_ dn: String, read: [UInt8]?, deadline: Deadline) throws(AdjoinError) -> PendingModify? {
        var descriptor = read
        if descriptor == nil {
            do {
                descriptor = try session.search([Self.descriptorRead(dn)], deadline: deadline)[0].first?.values("nTSecurityDescriptor")
                    .first
            } catch {
                throw error.adjoinError(deadline: deadline)
            }
        }
        guard let descriptor else {
            throw AdjoinError(.insufficientPermissions, "the DC did not return the security descriptor of \(dn)")
        }
        let edited: [UInt8]?
        do {
            edited = try SelfDeletionGrant.adding(to: descriptor)
        } catch {
            throw AdjoinError(.unknownError, "cannot read the security descriptor of \(dn): \(error)")
        }
        guard let edited else { return nil }
        do {
            return try session.beginModify(
                dn, changes: [.replace(LDAPAttribute("nTSecurityDescriptor", bytes: [edited]))],
                securityDescriptorFlags: LDAPSearchRequest.daclOnly, deadline: deadline)
        } catch {
            throw error.adjoinError(deadline: deadline)
        }
    }

    /// The answer to a write `beginSelfDeletionGrant` sent.
    func finish(_ write: PendingModify, deadline: Deadline) throws(AdjoinError) {
        do {
            try write.finish(deadline)
        } catch {
            throw error.adjoinError(deadline: deadline)
        }
    }

    /// The account's DACL alone (SD flags control), as the grant reads and writes it.
    static func descriptorRead(_ dn: String) -> LDAPSearchRequest {
        LDAPSearchRequest(
            base: dn, scope: .base, filter: "(objectClass=computer)", attributes: ["nTSecurityDescriptor"],
            securityDescriptorFlags: LDAPSearchRequest.daclOnly)
    }

    /// The warning when the directory refuses the grant (an account someone else owns: only its owner
    /// or a holder of Modify permissions may change its DACL).
    static func selfDeletionRefused(_ user: String, _ samAccountName: String, _ dn: String) -> String {
        "\(user) may not change the permissions of \(dn) (needs Modify permissions): \(samAccountName) cannot delete its own account, "
            + "so adjoin leave will need --user"
    }

    func delete(_ dn: String, deadline: Deadline) throws(LDAPError) {
        try session.delete(dn, tree: true, deadline: deadline)
    }
}
