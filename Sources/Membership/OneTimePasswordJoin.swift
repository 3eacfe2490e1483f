import AdjoinCore
import Discovery
import Kerberos

/// `adjoin join --one-time-password-stdin`: the join of an account that an administrator (`adjoin preset`,
/// adcli's `preset-computer`) or, later, a broker created with a one-time password. No join user: the
/// host logs in as the computer itself (NAME$) with that password, writes on its own account only what a
/// computer may write on itself (the validated writes of dNSHostName and SPNs, where they are missing),
/// changes its password at once to a random one with the Kerberos change-password protocol, so that the
/// working password leaves the host only to the DC, and writes and proves the keytab as any join does.
///
/// Everything that can refuse (the login, the owner marker, a required write) comes before the change,
/// so that a refusal leaves the one-time password usable for another try. From the change on, the
/// one-time password no longer logs in: a failure after it says to preset the account again.
struct OneTimePasswordJoin {
    let join: DomainJoin

    func run(on controller: DomainController, deadline: Deadline) throws(AdjoinError) -> JoinResult {
        let request = join.request
        let progress = join.progress
        let work = deadline.reserving(DomainJoin.undoShare(of: deadline))
        let principal = request.userPrincipal
        // The session's login hands its password to libkrb5 and wipes it; the change needs it once more.
        let oneTime = request.password.copy()
        defer { oneTime.wipe() }
        let session: any Directory
        do {
            session = try join.connector.open(
                realm: request.domain.realm, as: .password(principal: principal, request.password),
                controller: controller, deadline: work, progress: progress)
        } catch  where error.status == .accessDenied {
            throw Self.unusable(request, error)
        }
        var target = request.accountTarget
        // A computer may not write operatingSystem on itself (AD's default rights on computer objects):
        // trying would give every such join two warnings that say nothing the operator can act on.
        target.osRelease = nil
        var keytab = HostKeytab(request: request)
        keytab.clock = join.clock
        try ServicePrincipals(request).apply(to: &target, &keytab)
        let account = ComputerAccount(target: target, session: session)
        guard let entry = try account.find(deadline: work).existing else {
            throw AdjoinError(
                .unknownError,
                "\(principal) logged in, but the DC shows it no computer account named \(request.computerName.samAccountName)")
        }
        try account.checkOwner(entry)

        let previousKeytab = try keytab.current()
        let traces = try JoinTraces(files: request.files, keytab: keytab)
        let before = entry.keyVersion
        let password = request.changedPassword?.copy() ?? MachinePassword.generate()
        do throws(AdjoinError) {
            // With the keys the account is about to get, so that a leave after a kill can log in as it.
            let kvno = ComputerAccount.keyVersionAfterReset(entry) ?? ComputerAccount.newAccountKeyVersion &+ 1
            try JoinIntent.write(
                request, computerDN: entry.dn, keys: try keytab.entries(password: password, kvno: kvno, from: session),
                files: request.files)
        } catch {
            traces.removeFolders()
            throw error
        }
        var warnings: [String] = []
        do throws(AdjoinError) {
            // What the machine may write on itself, and only what is missing: a preset set them already.
            let writes = AccountWrites(target: target)
            warnings = try writes.apply(
                writes.plan(entry, password: nil).map(Self.asTheMachine), to: entry.dn, session: session,
                progress: progress, deadline: work)
            progress(
                "Changing the one-time password of \(request.computerName.samAccountName) to a random one, as the machine itself "
                    + "(Kerberos change-password at \(controller.hostName))")
            try changePassword(principal, from: oneTime, to: password, session: session, dn: entry.dn, before: before, deadline: work)
        } catch {
            traces.restoreIntent()
            traces.removeFolders()
            throw error
        }

        // From here the directory holds the new password: the keytab must follow.
        do throws(AdjoinError) {
            var result = try provenKeys(
                password, keytab: keytab, over: previousKeytab, account: entry.dn, session: session,
                controller: controller, deadline: work)
            result.warnings =
                warnings + selfDeletion(account, entry.dn, deadline: work)
                + LoginGroupLookup(domain: request.domain, groups: join.loginGroups).warnings(
                    session: session, progress: progress, deadline: work)
            ServicePrincipals.outcome(target, existing: entry, into: &result)
            join.registerAddress(&result, keytab: keytab, session: session, deadline: work)
            return result
        } catch {
            traces.restoreKeytab()
            traces.restoreIntent()
            traces.removeFolders()
            var failure = error
            failure.message +=
                "; the password of \(request.computerName.samAccountName) was already changed from the one-time password, which "
                + "no longer logs in: have the account preset again (adjoin preset --computer-name \(request.computerName)) and join with the new one-time password"
            throw failure
        }
    }

    /// The keys of the new password written at the kvno the DC reports, and proven with a login (kept for the
    /// DNS update's ticket when the join registers the host's name).
    private func provenKeys(
        _ password: SecretBytes, keytab: HostKeytab, over previousKeytab: [UInt8]?, account dn: String,
        session: any Directory, controller: DomainController, deadline: Deadline
    ) throws(AdjoinError) -> JoinResult {
        let request = join.request
        let progress = join.progress
        var kvno = try ComputerAccount.keyVersion(of: dn, session: session, deadline: deadline)
        progress("Writing keys for kvno \(kvno) (\(request.encryptionTypes.map(\.name).joined(separator: ", "))) to \(keytab.path)")
        try keytab.write(try keytab.entries(password: password, kvno: kvno, from: session), over: previousKeytab)
        progress("Proving the keytab with a Kerberos login as \(request.computerName.samAccountName)")
        if let reported = try keytab.prove(
            session: session, keepingTicketFor: request.registerDNS ? "DNS/\(controller.hostName)" : nil,
            deadline: deadline), reported != kvno
        {
            progress("The DC holds these keys as kvno \(reported), not \(kvno): rewriting the keytab")
            try keytab.write(try keytab.entries(password: password, kvno: reported, from: session), over: previousKeytab)
            kvno = reported
        }
        return JoinResult(
            domain: request.domain.value, computerName: request.computerName.value, computerDN: dn,
            domainController: controller.hostName, kvno: kvno, created: false,
            keytabPath: keytab.path, encryptionTypes: request.encryptionTypes, warnings: [])
    }

    /// The change as the machine, with the one-time password. An answer lost on the way (or success
    /// claimed in an unauthenticated KRB-ERROR) may hide a change that was made: the account's kvno,
    /// read over the sealed session, says which.
    private func changePassword(
        _ principal: String, from oneTime: SecretBytes, to password: SecretBytes, session: any Directory, dn: String,
        before: UInt32?, deadline: Deadline
    ) throws(AdjoinError) {
        do {
            try session.changePassword(of: principal, password: oneTime, to: password, kpasswd: nil, deadline: deadline)
        } catch {
            guard error.isNetworkFailure || error.code == .passwordChangeMalformedReply || error.code == .passwordChangeSuccessInError,
                let before, let actual = try? ComputerAccount.keyVersion(of: dn, session: session, deadline: Deadline(seconds: 5)),
                actual != before
            else {
                if error.code.isAuthenticationFailure { throw Self.unusable(join.request, error.adjoinError(deadline: deadline)) }
                throw error.passwordChangeAdjoinError(deadline: deadline)
            }
            join.progress(
                "The kpasswd server's answer did not arrive or cannot be trusted (\(error.description)), but the directory holds kvno \(actual): the password was changed"
            )
        }
    }

    /// A computer may not change its own userAccountControl (Account Restrictions is not among the rights
    /// AD gives an account on itself). An account preset by hand with other flags (ADUC's pre-staged
    /// accounts carry "password not required") still logs in and keeps working, so that write is tried,
    /// and a refusal is a warning for the administrator rather than a join that cannot succeed.
    static func asTheMachine(_ write: AccountWrite) -> AccountWrite {
        guard write.attribute == "userAccountControl" else { return write }
        return AccountWrite(
            attribute: write.attribute, change: write.change, need: .informational, right: write.right,
            consequence: "userAccountControl stays as the account was preset (an administrator may set it to 4096, "
                + "a workstation's; adjoin preset does)", undo: write.undo)
    }

    /// The machine's right to delete its own account (for `adjoin leave` with the keytab) is granted by
    /// the preset; the machine cannot change its account's permissions itself. A missing grant is a warning.
    private func selfDeletion(_ account: ComputerAccount, _ dn: String, deadline: Deadline) -> [String] {
        do {
            _ = try account.grantSelfDeletion(dn, deadline: deadline)
            return []
        } catch {
            join.progress("\(join.request.computerName.samAccountName) may not delete its own account: \(error.message)")
            return [
                "\(dn) does not let \(join.request.computerName.samAccountName) delete it (adjoin preset grants that; this account was "
                    + "preset otherwise): adjoin leave will need --user"
            ]
        }
    }

    /// A one-time password that does not log in: used already, reset since, or never set.
    static func unusable(_ request: JoinRequest, _ error: AdjoinError) -> AdjoinError {
        AdjoinError(
            .accessDenied,
            "the one-time password does not log in as \(request.computerName.samAccountName) (used already, reset since, or the account was never preset): "
                + "have an administrator preset the account again (adjoin preset --computer-name \(request.computerName)) and join with the new one-time password. "
                + error.message)
    }
}

extension SecretBytes {
    /// A second copy, for a secret that one use wipes and another still needs.
    func copy() -> SecretBytes {
        withUnsafeBytes { bytes in SecretBytes(count: bytes.count) { $0.copyMemory(from: bytes) } }
    }
}
