import AdjoinCore
import Discovery
import Kerberos
import LDAP

/// `adjoin join`: one DC, one TCP connection to its KDC, one sealed LDAP connection, no child process, no sleep.
///
/// A kill at any moment leaves the host able to finish or undo by itself: the intent record
/// (JoinIntent) is written before the directory is changed. A failure after this join created the
/// account removes it again and puts the keytab back; a failure after it reset an existing account
/// leaves that for a rerun to complete.
///
/// `--timeout` bounds the whole command, undo included: the undo's share (a quarter of the budget, at
/// most 5 s) is set aside before the first step, every step before it gets what is left of the rest,
/// and an undo that fails is reported in the error's message (which account is left, and why).
public struct DomainJoin: Sendable {
    public let request: JoinRequest
    public let progress: ProgressSink
    /// How the domain is reached, and the clock the keytab's timestamps come from.
    public let connector: any DirectoryConnector
    public let clock: any WallClock
    /// Groups the host will let log in or use sudo: looked up once joined, a missing one a warning.
    public var loginGroups: [GroupName] = []
    /// Hand the new machine password to Samba when smb.conf makes it a member of the realm (`--update-samba`, `updateSamba`).
    public var updateSamba = false

    public init(
        _ request: JoinRequest, connector: any DirectoryConnector = LiveDirectoryConnector(), clock: any WallClock = SystemWallClock(),
        progress: @escaping ProgressSink = { _ in }
    ) {
        self.request = request
        self.connector = connector
        self.clock = clock
        self.progress = progress
    }

    /// The one DC every later step uses: a writable KDC and LDAP server, from the flags or from DNS.
    public func locateController(deadline: Deadline) throws(AdjoinError) -> DomainController {
        try request.validate()
        // The join user's login begins with the ping where it can (a one-time password's is the computer's own).
        return try connector.locate(
            request.domain, domainControllers: request.domainControllers, dnsServers: request.dnsServers,
            required: [.ldap, .kdc, .writable], preparingLoginOf: request.oneTimePassword ? nil : request.userPrincipal,
            progress: progress, deadline: deadline)
    }

    /// The undo's share of a budget.
    static func undoShare(of deadline: Deadline) -> Duration {
        min(.seconds(5), (deadline.end - deadline.start) / 4)
    }

    public func run(on controller: DomainController, deadline: Deadline) throws(AdjoinError) -> JoinResult {
        try request.validate()
        if request.oneTimePassword { return try OneTimePasswordJoin(join: self).run(on: controller, deadline: deadline) }
        let work = deadline.reserving(Self.undoShare(of: deadline))
        let join = try begin(on: controller, deadline: work)
        let change: AccountChange
        do {
            change = try changeAccount(join, deadline: work)
        } catch {
            // An answer lost on the way (a timeout, a dropped connection) may hide a change that was made;
            // an add sent with the search says itself whether it may have made the account.
            let changed = if case .failed(_, let changed)? = join.added { changed } else { !Self.refusedOutright(error) }
            throw takeBack(join, after: error, directoryChanged: changed, deadline: deadline)
        }
        do {
            return try complete(join, change, deadline: work)
        } catch {
            throw takeBack(join, after: error, directoryChanged: true, deadline: deadline)
        }
    }

    /// Logs in, finds the account and writes the intent record: from there on, a kill leaves the host
    /// knowing what it may hold. Where the new account's DN is known without asking (see
    /// ComputerAccount.addsWithTheSearch), the intent names it and the add goes out with the search.
    private func begin(on controller: DomainController, deadline: Deadline) throws(AdjoinError) -> JoinInProgress {
        let session = try connector.open(request, controller: controller, deadline: deadline, progress: progress)
        var target = request.accountTarget
        var keytab = HostKeytab(request: request)
        keytab.clock = clock
        try ServicePrincipals(request).apply(to: &target, &keytab)
        let account = ComputerAccount(target: target, session: session)
        let password = MachinePassword.generate()
        let parts = JoinInProgress.Parts(
            controller: controller, session: session, target: target, keytab: keytab, account: account, password: password)
        if account.addsWithTheSearch, let container = target.organizationalUnit {
            return try beginCreating(in: container, parts, deadline: deadline)
        }
        progress("Looking for the computer account \(request.computerName.samAccountName)")
        let (existing, container) = try account.find(deadline: deadline)
        let host = try HostBefore(request, keytab: keytab)
        let dn = existing?.dn ?? account.newDN(in: container)
        do {
            try writeIntent(parts, dn: dn, existing: existing)
        } catch {
            host.traces.removeFolders()
            throw error
        }
        return JoinInProgress(parts, host, existing: existing, container: container, dn: dn)
    }

    /// `begin` with the add in the search's round trip: the intent record names the new DN before the
    /// add leaves, and the account found instead, if any, before the join goes on with it.
    private func beginCreating(
        in container: String, _ parts: JoinInProgress.Parts, deadline: Deadline
    ) throws(AdjoinError) -> JoinInProgress {
        let host = try HostBefore(request, keytab: parts.keytab)
        let dn = parts.account.newDN(in: container)
        do {
            try writeIntent(parts, dn: dn, existing: nil)
        } catch {
            host.traces.removeFolders()
            throw error
        }
        progress(
            "Looking for the computer account \(request.computerName.samAccountName), and creating it in \(container) in the same round trip "
                + "(the DC refuses that add if the name exists)")
        let outcome = parts.account.findCreating(in: container, password: parts.password, deadline: deadline)
        guard case .found(let existing) = outcome else {
            return JoinInProgress(parts, host, existing: nil, container: container, dn: dn, added: outcome)
        }
        progress("Found the computer account \(existing.dn): the add sent with the search changed nothing")
        do {
            try writeIntent(parts, dn: existing.dn, existing: existing)
        } catch {
            host.traces.restoreIntent()
            host.traces.removeFolders()
            throw error
        }
        return JoinInProgress(parts, host, existing: existing, container: container, dn: existing.dn)
    }

    /// The intent record for the account at `dn`, with the keys it is about to get (a new account's
    /// kvno is fixed; a reset's is read).
    private func writeIntent(_ parts: JoinInProgress.Parts, dn: String, existing: LDAPEntry?) throws(AdjoinError) {
        let kvno = existing.flatMap(ComputerAccount.keyVersionAfterReset) ?? ComputerAccount.newAccountKeyVersion
        try JoinIntent.write(
            request, computerDN: dn, keys: try parts.keytab.entries(password: parts.password, kvno: kvno, from: parts.session),
            files: request.files)
    }

    /// Creates the account, or brings the one found to what the join needs.
    private func changeAccount(_ join: JoinInProgress, deadline: Deadline) throws(AdjoinError) -> AccountChange {
        // libkrb5 corrects its own logins for a skewed clock; the services this host will run do not.
        let reuse = ComputerAccount.Reuse(
            keptKeyVersion: nil, warnings: ClockSkewAdvice.warning(offset: join.session.clockOffset).map { [$0] } ?? [])
        guard let existing = join.existing else {
            let descriptor: [UInt8]?
            switch join.added {
            case .created(let read)?:
                progress(
                    "Created the computer account \(request.computerName.samAccountName) in \(join.container) (the add went with the search)"
                )
                descriptor = read
            case .failed(let error, _)?:
                throw error
            case .found?, nil:
                progress("Creating the computer account \(request.computerName.samAccountName) in \(join.container)")
                descriptor = try join.account.create(
                    in: join.container, password: join.password, readingDescriptor: true, deadline: deadline
                ).descriptor
            }
            return AccountChange(
                created: true, expectedKeyVersion: ComputerAccount.newAccountKeyVersion, readDescriptor: descriptor, reuse: reuse)
        }
        progress("Reusing the computer account \(existing.dn)")
        let reused = try join.account.reuse(
            existing, keytab: join.keytab, password: join.password,
            claimOnly: !join.known && request.owner != request.identity, progress: progress, deadline: deadline)
        return AccountChange(
            created: false, expectedKeyVersion: ComputerAccount.keyVersionAfterReset(existing),
            readDescriptor: existing.values("nTSecurityDescriptor").first, reuse: reused)
    }

    /// Once the account stands: the self-deletion grant, the keytab and its proof, then what the join
    /// reports and registers.
    private func complete(_ join: JoinInProgress, _ change: AccountChange, deadline: Deadline) throws(AdjoinError) -> JoinResult {
        var warnings = change.reuse.warnings
        // Last, once the account and keys stand: advice, not a step the join depends on.
        let lookup = LoginGroupLookup(domain: request.domain, groups: loginGroups)
        if let kept = change.reuse.keptKeyVersion {
            warnings += try grantSelfDeletion(join, read: change.readDescriptor, deadline: deadline) {}.refused
            warnings += lookup.warnings(session: join.session, progress: progress, deadline: deadline)
            return finished(join, kvno: kept, created: false, keysKept: true, warnings: warnings, deadline: deadline)
        }
        // The grant's answer is read once the keytab is proven (and the DNS update's key negotiated): the
        // KDC's and the DNS server's round trips overlap the LDAP write's.
        let (kvno, refused) = try grantSelfDeletion(join, read: change.readDescriptor, deadline: deadline) { () throws(AdjoinError) in
            let kvno = try writeProvenKeytab(join, change, deadline: deadline)
            negotiateDNSKey(join, deadline: deadline)
            return kvno
        }
        warnings += refused
        warnings += lookup.warnings(session: join.session, progress: progress, deadline: deadline)
        var result = finished(join, kvno: kvno, created: change.created, keysKept: false, warnings: warnings, deadline: deadline)
        handToSamba(&result, password: join.password, session: join.session, deadline: deadline)
        return result
    }

    /// With DNS registration, the update's GSS-TSIG key (the TKEY exchange) is negotiated while the
    /// grant's answer is on its way; the update itself waits until nothing that can fail the join is
    /// left, so that a join taken back never leaves a record behind. A DNS server that does not answer
    /// gets at most half of what is left of the budget: the grant and the rest of the join keep theirs,
    /// and the registration reports the failure as a warning.
    private func negotiateDNSKey(_ join: JoinInProgress, deadline: Deadline) {
        guard request.registerDNS else { return }
        progress("Negotiating the DNS update's key with DNS/\(join.controller.hostName) (GSS-TSIG)")
        let now = ContinuousClock.now
        join.session.negotiateDNSUpdate(
            signedAs: join.keytab.samAccountName, keytabPath: join.keytab.openedPath,
            encryptionTypes: join.keytab.encryptionTypes,
            deadline: Deadline(start: now, end: min(deadline.end, now + deadline.remaining / 2)))
    }

    /// Writes the keytab with the account's new keys and proves it with a login as the machine; the
    /// kvno the DC holds them under.
    private func writeProvenKeytab(_ join: JoinInProgress, _ change: AccountChange, deadline: Deadline) throws(AdjoinError) -> UInt32 {
        let (keytab, session, password) = (join.keytab, join.session, join.password)
        var kvno = try join.account.keyVersion(expected: change.expectedKeyVersion, of: join.dn, deadline: deadline)
        progress(
            "Writing keys for kvno \(kvno) (\(request.encryptionTypes.map(\.name).joined(separator: ", "))) to \(request.files.path(request.keytabPath))"
        )
        try keytab.write(try keytab.entries(password: password, kvno: kvno, from: session), over: join.previousKeytab)
        progress("Proving the keytab with a Kerberos login as \(request.computerName.samAccountName)")
        let reported = try keytab.prove(
            session: session, keepingTicketFor: request.registerDNS ? "DNS/\(join.controller.hostName)" : nil,
            deadline: deadline)
        // The proof's reply names the version of the key that decrypted it. Where it does not, a new
        // account's kvno stands (the protocol fixes it) and a reset's is read.
        let actual = try join.account.keyVersion(expected: reported ?? (change.created ? kvno : nil), of: join.dn, deadline: deadline)
        if actual != kvno {
            progress("The DC holds these keys as kvno \(actual), not \(kvno): rewriting the keytab")
            try keytab.write(try keytab.entries(password: password, kvno: actual, from: session), over: join.previousKeytab)
            kvno = actual
        }
        return kvno
    }

    /// The join's result, with the host's address registered in DNS where asked.
    private func finished(
        _ join: JoinInProgress, kvno: UInt32, created: Bool, keysKept: Bool, warnings: [String],
        deadline: Deadline
    ) -> JoinResult {
        var result = JoinResult(
            domain: request.domain.value, computerName: request.computerName.value, computerDN: join.dn,
            domainController: join.controller.hostName, kvno: kvno, created: created,
            keytabPath: request.files.path(request.keytabPath), encryptionTypes: request.encryptionTypes,
            keysKept: keysKept, warnings: warnings)
        ServicePrincipals.outcome(join.target, existing: join.existing, into: &result)
        registerAddress(&result, keytab: join.keytab, session: join.session, deadline: deadline)
        return result
    }

    /// The error a failed join ends with, once it put back what it changed. Nothing changed in the
    /// directory: the intent record and the folders go (a keytab a reuse completed stays, with its kept
    /// original). A new account: deleted again and the keytab put back. A reset account: left for a
    /// rerun to complete.
    private func takeBack(_ join: JoinInProgress, after error: AdjoinError, directoryChanged: Bool, deadline: Deadline) -> AdjoinError {
        guard directoryChanged else {
            join.traces.restoreIntent()
            join.traces.removeFolders()
            return error
        }
        guard join.existing == nil else { return error }
        join.traces.restoreKeytab()
        let undone = AccountUndo(request: request, dn: join.dn, progress: progress).run(
            after: error, session: join.session, deadline: deadline)
        // An undo that could not finish keeps its intent record, and with it the state a rerun needs.
        if !request.files.exists(JoinIntent.path) { join.traces.removeFolders() }
        return undone
    }

    /// Samba on this host, when smb.conf makes it a member of the realm, gets the new password once the
    /// keytab is proven; a failure is kept in the result (the account and keys stand) for the command to report.
    func handToSamba(_ result: inout JoinResult, password: SecretBytes, session: any Directory, deadline: Deadline) {
        result.updateSamba = updateSamba
        do throws(AdjoinError) {
            guard let samba = try SambaSecrets.member(of: request.domain.realm, files: request.files) else { return }
            guard updateSamba else {
                result.warnings.append(
                    "smb.conf makes Samba a member of \(request.domain.realm), and it was not given the new machine password "
                        + "(`net ads testjoin` fails): join again with --update-samba, or the setting updateSamba")
                return
            }
            progress("Handing the machine password to Samba (net -s \(samba.configurationPath) changesecretpw, on standard input)")
            let sid = DomainSID.read(baseDN: request.domain.baseDN, session: session, deadline: deadline)
            result.sambaNote = try samba.handOver(password, domainSID: sid, deadline: deadline)
        } catch {
            result.sambaFailure = AdjoinError(
                .configurationFailed,
                "the computer account and the keytab hold the new machine password (kvno "
                    + "\(result.kvno)), but " + SambaSecrets.remedy(error))
        }
    }

    /// The host's name in the domain's DNS, once its keys are proven: a refusal is a warning, the join stands.
    func registerAddress(_ result: inout JoinResult, keytab: HostKeytab, session: any Directory, deadline: Deadline) {
        guard request.registerDNS else { return }
        let registration = AddressRegistration(keytab: keytab, zone: request.domain.value, progress: progress)
        switch registration.register(address: request.dnsAddress, source: request.dnsAddressSource, session: session, deadline: deadline) {
        case .success(let (record, pointerProblem)):
            result.dnsRecord = record
            // A rerun on a host whose address moved: the earlier join's PTR record names this host still.
            if let previous = (try? JoinRecord.read(request.files))??.dnsRecord, previous.name == record.name,
                let problem = registration.retirePointer(
                    of: previous, now: record, baseDN: request.domain.baseDN, session: session,
                    releasing: false, deadline: deadline)
            {
                result.warnings.append(problem)
            }
            if let pointerProblem { result.warnings.append("registered \(record), but not its PTR record: \(pointerProblem)") }
        case .failure(let warning): result.warnings.append(warning.message)
        }
    }

    /// Failures in which the directory refused the add or reset outright: nothing was changed.
    static func refusedOutright(_ error: AdjoinError) -> Bool {
        [.accountConflict, .insufficientPermissions, .invalidInput, .accessDenied].contains(error.status)
    }

    /// So that `adjoin leave` works with the machine's own keytab. A directory that refuses it (a
    /// pre-staged account whose DACL the join user may not write) does not stop the join: leave then
    /// needs a join user, and the warning returned says so. `meanwhile` runs between sending the write and
    /// reading its answer (work on other connections, whose round trips then overlap it).
    private func grantSelfDeletion<T>(
        _ join: JoinInProgress, read: [UInt8]?, deadline: Deadline,
        meanwhile: () throws(AdjoinError) -> T
    ) throws(AdjoinError) -> (value: T, refused: [String]) {
        progress("Granting \(request.computerName.samAccountName) the right to remove its own account")
        var write: PendingModify?
        var refused: [String] = []
        do {
            write = try join.account.beginSelfDeletionGrant(join.dn, read: read, deadline: deadline)
        } catch {
            refused = try refusedGrant(error, join.dn)
        }
        let value = try meanwhile()
        if let write {
            do {
                try join.account.finish(write, deadline: deadline)
                progress("Allowed \(request.computerName.samAccountName) to delete its own account (for adjoin leave with its keytab)")
            } catch {
                refused = try refusedGrant(error, join.dn)
            }
        }
        return (value, refused)
    }

    /// The warning for a grant the directory refused; a DC that stopped answering ends the join instead,
    /// and its undo needs what is left of the budget.
    private func refusedGrant(_ error: AdjoinError, _ dn: String) throws(AdjoinError) -> [String] {
        if error.status == .timeout || error.status == .networkError { throw error }
        progress("Could not allow \(request.computerName.samAccountName) to delete its own account: \(error.message)")
        return [ComputerAccount.selfDeletionRefused(request.userPrincipal, request.computerName.samAccountName, dn)]
    }
}
