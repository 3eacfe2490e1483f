import AdjoinCore
import LDAP

extension AccountWrites {
    /// Makes the changes: the required ones in one modify, then the informational ones in another.
    /// A modify is atomic, so when the directory refuses one, each change is tried alone to find
    /// which right is missing. A refused required change fails the join naming that right, after the
    /// changes that went through alone before it are put back (the account is as the join found it);
    /// a refused informational one becomes a warning. Returns the warnings.
    func apply(
        _ writes: [AccountWrite], to dn: String, session: any Directory, progress: (String) -> Void,
        deadline: Deadline
    ) throws(AdjoinError) -> [String] {
        let required = writes.filter { $0.need == .required }
        if !required.isEmpty {
            progress("Updating \(required.map(\.attribute).joined(separator: ", ")) on \(dn)")
            let outcome = try modify(required, dn: dn, session: session, progress: progress, deadline: deadline)
            if let refused = outcome.refused.first {
                let failure =
                    (refused.attribute == "dNSHostName" ? hostNameRule(dn: dn) : nil).map { AdjoinError(.insufficientPermissions, $0) }
                    ?? Self.refusal(refused, user: target.actor, dn: dn)
                throw putBack(outcome.appliedAlone, on: dn, after: failure, session: session, progress: progress, deadline: deadline)
            }
        }
        let informational = writes.filter { $0.need == .informational }
        guard !informational.isEmpty else { return [] }
        progress("Updating \(informational.map(\.attribute).joined(separator: ", ")) on \(dn)")
        return try modify(informational, dn: dn, session: session, progress: progress, deadline: deadline).refused.map {
            Self.warning($0, user: target.actor, dn: dn)
        }
    }

    /// Undoes the writes that went through alone before a refusal, latest first, each alone: a user
    /// with narrow rights may put back one (userAccountControl, by Account Restrictions) and not another
    /// (a validated write accepts only the join's own values). Returns `failure`, its message naming
    /// what stays changed.
    private func putBack(
        _ applied: [AccountWrite], on dn: String, after failure: AdjoinError, session: any Directory,
        progress: (String) -> Void, deadline: Deadline
    ) -> AdjoinError {
        var stays: [String] = []
        for write in applied.reversed() {
            guard let undo = write.undo else {
                stays.append("\(write.attribute) (its previous value is not known)")
                continue
            }
            do {
                try session.modify(dn, changes: [undo], deadline: deadline)
                progress("Put back \(write.attribute) on \(dn) as the join found it")
            } catch {
                stays.append("\(write.attribute) (\(error.diagnostic ?? error.message))")
            }
        }
        guard !stays.isEmpty else { return failure }
        var reported = failure
        reported.message +=
            "; written before the refusal and not put back: \(stays.joined(separator: ", ")); "
            + "adjoin join again, with the right, completes the account"
        return reported
    }

    /// The INSUFFICIENT_PERMISSIONS a refused required write fails with.
    static func refusal(_ write: AccountWrite, user: String, dn: String) -> AdjoinError {
        AdjoinError(
            .insufficientPermissions,
            "\(user) needs \(write.right) on \(dn) (to write \(write.attribute)); grant it on that computer object, "
                + "or on Computer objects in its OU (Delegation of Control Wizard)")
    }

    /// Since CVE-2022-26923 a DC lets a non-administrator write dNSHostName only through the validated
    /// write, which accepts the account's own name in the domain (MS-ADTS 3.1.1.5.3.1.1.2; other suffixes
    /// only when msDS-AllowedDNSSuffixes lists them). A host name that is not NAME.domain is refused even
    /// with the right: say so, rather than name a right the user may well have.
    func hostNameRule(dn: String) -> String? {
        let fqdn = target.hostFQDN.lowercased()
        let own = target.computerName.value.lowercased() + "." + target.domain.value.lowercased()
        guard fqdn != own else { return nil }
        return "\(target.actor) may not set dNSHostName \(fqdn) on \(dn): the DC accepts from a non-administrator only the account's "
            + "own name, \(own) (Validated write to DNS host name, CVE-2022-26923); join with --host-fqdn \(own), or have an administrator "
            + "set dNSHostName (or list the suffix in the domain's msDS-AllowedDNSSuffixes)"
    }

    static func warning(_ write: AccountWrite, user: String, dn: String) -> String {
        "\(user) may not write \(write.attribute) on \(dn) (needs \(write.right)): \(write.consequence ?? "left as it was")"
    }

    /// The writes the directory refused (all of them applied otherwise), and those that went through
    /// when tried alone. Writes that fail for another reason fail the join.
    private func modify(
        _ writes: [AccountWrite], dn: String, session: any Directory, progress: (String) -> Void,
        deadline: Deadline
    ) throws(AdjoinError) -> (refused: [AccountWrite], appliedAlone: [AccountWrite]) {
        do {
            try session.modify(dn, changes: writes.map(\.change), deadline: deadline)
            return ([], [])
        } catch  where error.isPermissionDenied || error.code == .constraintViolation {
            progress("The DC refused \(writes.map(\.attribute).joined(separator: ", ")) on \(dn): \(error.diagnostic ?? error.message)")
            guard writes.count > 1 else { return (writes, []) }
        } catch {
            throw error.adjoinError(deadline: deadline)
        }
        var refused: [AccountWrite] = []
        var applied: [AccountWrite] = []
        for write in writes {
            let alone: (refused: [AccountWrite], appliedAlone: [AccountWrite])
            do {
                alone = try modify([write], dn: dn, session: session, progress: progress, deadline: deadline)
            } catch {
                // The DC stopped answering (or the budget ran out) midway: what went through is named,
                // since nothing can put it back now.
                guard !applied.isEmpty else { throw error }
                var failure = error
                failure.message +=
                    "; written before it: \(applied.map(\.attribute).joined(separator: ", ")) (adjoin join again completes the account)"
                throw failure
            }
            if alone.refused.isEmpty { applied.append(write) } else { refused += alone.refused }
            if write.need == .required && !refused.isEmpty { break }
        }
        return (refused, applied)
    }
}
