import AdjoinCore
import Kerberos

/// What `adjoin rotate` did.
public struct RotationResult: Sendable {
    public var status: Status
    public var domain: String
    public var computerName: String
    public var computerDN: String
    public var domainController: String
    /// The kvno before, and after (the same when the password was not due).
    public var previousKeyVersion: UInt32
    public var keyVersion: UInt32
    /// Age of the password before the rotation, in whole days (nil: the DC did not say).
    public var passwordAgeDays: Int64?
    /// kvnos the keytab holds for the machine afterwards.
    public var keytabKeyVersions: [UInt32]
    public var message: String
}

/// `adjoin rotate`: when the machine password is older than the maximum age (its pwdLastSet), the
/// machine changes it as itself (Kerberos change-password with a ticket from its keytab; no realm,
/// adcli or join user), writes the new keys beside the previous kvno's (tickets issued before the
/// change stay readable until they expire; older kvnos go), and proves the new keys with a login.
/// The directory is read over LDAP bound as the machine.
public struct PasswordRotation: Sendable {
    public let place: DirectoryPlace
    public let maximumAgeDays: Int
    public let progress: ProgressSink
    /// Where the kpasswd service listens when not on the DC's own port 464 (a test's relay).
    var kpasswdServer: SocketAddress? = nil
    /// `--update-samba`: hand the new password to Samba even when the join did not record it.
    public var updateSamba = false

    public init(place: DirectoryPlace, maximumAgeDays: Int, progress: @escaping ProgressSink = { _ in }) {
        self.place = place
        self.maximumAgeDays = maximumAgeDays
        self.progress = progress
    }

    /// `identity`: who this host is now; a copy of the joined host changes nothing.
    public func run(deadline: Deadline, identity: CurrentIdentity) throws(AdjoinError) -> RotationResult {
        let host = try JoinedHost(place: place, progress: progress)
        let record = host.record
        if let copy = try host.copy(identity, deadline: deadline) {
            // Changing the password would lock out the host that joined and every other copy of it.
            throw AdjoinError(
                .cloned,
                "\(copy.description); \(record.samAccountName)'s password belongs to \(copy.recorded) and was not "
                    + "changed: run `adjoin join` to join this host as itself")
        }
        let controller = try host.locateController(required: [.ldap, .kdc, .writable], deadline: deadline)
        let session = try host.machineSession(controller, deadline: deadline)
        guard let entry = try host.account(in: session, deadline: deadline) else {
            throw AdjoinError(.accountMissing, "the directory has no computer account \(record.samAccountName)")
        }
        guard let previous = entry.keyVersion else {
            throw AdjoinError(.unknownError, "the DC did not report msDS-KeyVersionNumber for \(entry.dn)")
        }
        let age = entry.passwordLastSet.map { (place.clock.secondsSince1970 - $0) / 86_400 }
        var result = RotationResult(
            status: .notDue, domain: record.domain, computerName: record.computerName, computerDN: entry.dn,
            domainController: controller.hostName, previousKeyVersion: previous, keyVersion: previous,
            passwordAgeDays: age, keytabKeyVersions: [], message: "")
        if let age, age < maximumAgeDays {
            result.keytabKeyVersions = try keyVersions(host)
            result.message = "the machine password is \(age) days old, younger than --max-age \(maximumAgeDays): not changed"
            if let note = AddressRegistration.keepTrue(host, session: session, controller: controller, deadline: deadline) {
                result.message += "; " + note
            }
            return result
        }

        // Samba on this host keeps the password too: changed behind its back, the file server fails.
        let samba = try SambaSecrets.member(of: record.realm, files: place.files)
        if let samba, !(updateSamba || record.updateSamba) {
            throw AdjoinError(
                .sambaInUse,
                "\(samba.configurationPath) makes Samba a member of \(record.realm) (security = ads), and it keeps "
                    + "\(record.samAccountName)'s password too; nothing was changed. Run `adjoin rotate --update-samba` to change it and "
                    + "hand it to Samba (net changesecretpw, on standard input)")
        }

        let keytab = host.keytab
        let password = MachinePassword.generate()
        try changePassword(
            to: password, host: host, account: entry.dn, previous: previous, session: session, through: controller.hostName,
            deadline: deadline)
        let kvno = try writeNewKeys(password, keytab: keytab, account: entry.dn, previous: previous, session: session, deadline: deadline)
        result.status = .rotated
        result.keyVersion = kvno
        result.keytabKeyVersions = try keyVersions(host)
        result.message =
            "changed the machine password\(age.map { " (it was \($0) days old)" } ?? ""); keytab \(keytab.path) proven at kvno \(kvno), kvno \(previous) kept"
        if let samba {
            result.message +=
                "; " + (try handOver(password, to: samba, domain: record.domain, kvno: kvno, session: session, deadline: deadline))
        }
        if let note = AddressRegistration.keepTrue(host, session: session, controller: controller, deadline: deadline) {
            result.message += "; " + note
        }
        return result
    }

    /// The change itself, as the machine (kpasswd). An answer that was lost or cannot be trusted is checked
    /// against the directory's kvno: the change may have been carried out.
    private func changePassword(
        to password: SecretBytes, host: JoinedHost, account dn: String, previous: UInt32, session: any Directory,
        through controller: String, deadline: Deadline
    ) throws(AdjoinError) {
        let record = host.record
        let keytab = host.keytab
        progress("Changing the machine password of \(record.samAccountName) as itself (Kerberos change-password at \(controller))")
        do {
            try session.changePassword(
                of: record.machinePrincipal, keytabPath: keytab.openedPath, encryptionTypes: keytab.encryptionTypes,
                to: password, kpasswd: kpasswdServer, deadline: deadline)
        } catch {
            // A request whose answer was lost (cut connection, time up, garbled reply, or success claimed
            // in an unauthenticated KRB-ERROR, as Windows Server 2025 answers) may still have
            // been carried out: then the directory already holds the new password, and a host that
            // gave up here would be locked out with its old keys. The directory's kvno says which;
            // this one read gets a few seconds of its own, since the budget may be what ran out.
            guard
                error.isNetworkFailure || error.code == .passwordChangeMalformedReply
                    || error.code == .passwordChangeSuccessInError,
                let actual = try? ComputerAccount.keyVersion(of: dn, session: session, deadline: Deadline(seconds: 5)),
                actual != previous
            else {
                throw error.passwordChangeAdjoinError(deadline: deadline)
            }
            progress(
                "The kpasswd server's answer did not arrive or cannot be trusted (\(error.description)), but the directory holds kvno \(actual): the password was changed"
            )
        }
    }

    /// The new keys written beside the previous kvno's and proven; the kvno the DC holds them at. From here the
    /// directory holds the new password: the keytab must follow, or the host loses its identity.
    private func writeNewKeys(
        _ password: SecretBytes, keytab: HostKeytab, account dn: String, previous: UInt32, session: any Directory,
        deadline: Deadline
    ) throws(AdjoinError) -> UInt32 {
        let existing = try keytab.current()
        var kvno = previous &+ 1
        do throws(AdjoinError) {
            progress("Writing keys for kvno \(kvno) to \(keytab.path), keeping kvno \(previous)'s")
            try keytab.write(try keytab.entries(password: password, kvno: kvno, from: session), over: existing, keeping: previous)
            progress("Proving the new keys with a Kerberos login as \(keytab.samAccountName)")
            let reported = try keytab.prove(session: session, deadline: deadline)
            let actual = try ComputerAccount.keyVersion(of: dn, session: session, deadline: deadline)
            if let reported, reported != actual {
                throw AdjoinError(.keytabInvalid, "the DC used kvno \(reported) for the login but reports msDS-KeyVersionNumber \(actual)")
            }
            if actual != kvno {
                progress("The DC holds the new keys as kvno \(actual), not \(kvno): rewriting the keytab")
                try keytab.write(try keytab.entries(password: password, kvno: actual, from: session), over: existing, keeping: previous)
                kvno = actual
            }
        } catch {
            throw AdjoinError(
                error.status == .unknownError ? .keytabInvalid : error.status,
                "the machine password was changed, but the new keys are not in place: \(error.message). Join again to recover")
        }
        return kvno
    }

    /// Samba on this host gets the new password and the domain SID, as `net changesecretpw` takes them.
    private func handOver(
        _ password: SecretBytes, to samba: SambaSecrets, domain: String, kvno: UInt32, session: any Directory,
        deadline: Deadline
    ) throws(AdjoinError) -> String {
        progress("Handing the new machine password to Samba (net -s \(samba.configurationPath) changesecretpw, on standard input)")
        do throws(AdjoinError) {
            let sid = DomainSID.read(baseDN: try DomainName(domain).baseDN, session: session, deadline: deadline)
            return try samba.handOver(password, domainSID: sid, deadline: deadline)
        } catch {
            throw AdjoinError(
                .configurationFailed,
                "the machine password was changed and the keytab holds it (kvno \(kvno)), but "
                    + SambaSecrets.remedy(error))
        }
    }

    private func keyVersions(_ host: JoinedHost) throws(AdjoinError) -> [UInt32] {
        let keytab = host.keytab
        return Array(Set((try host.keytabEntries() ?? []).filter(keytab.isOurs).map(\.kvno))).sorted()
    }
}
