import AdjoinCore
import LDAP

/// Taking back the account a failed join created (or may have created: an add whose answer was
/// lost), within what is left of the budget, the share set aside for it included. A connection that
/// timed out or dropped is not asked again: the undo binds a new one with the tickets the login
/// already holds, so no password is needed. The account is deleted only when it carries this host's
/// owner marker. The intent record goes only when nothing is left.
struct AccountUndo {
    let request: JoinRequest
    let dn: String
    let progress: ProgressSink

    /// The error to end the join with: `failure`, its message completed with what became of the account.
    func run(after failure: AdjoinError, session: any Directory, deadline: Deadline) -> AdjoinError {
        progress("Undoing: deleting \(dn) and restoring the keytab")
        var reported = failure
        do throws(AdjoinError) {
            let otherOwner: String?
            if Self.connectionFailed(failure) {
                otherOwner = try deleteIfOurs(try session.reconnected(deadline: deadline, progress: progress), deadline: deadline)
            } else {
                do {
                    otherOwner = try deleteIfOurs(session, deadline: deadline)
                } catch  where Self.connectionFailed(error) {
                    otherOwner = try deleteIfOurs(try session.reconnected(deadline: deadline, progress: progress), deadline: deadline)
                }
            }
            JoinIntent.remove(request.files)
            if let otherOwner {
                reported.message +=
                    "; undone: \(dn) now carries \(otherOwner) (another host took it meanwhile), "
                    + "so it was left alone, and the keytab is as it was"
            } else {
                reported.message += "; undone: \(dn) is not in the directory and the keytab is as it was"
            }
        } catch {
            reported.message +=
                "; the undo could not delete \(dn) (\(error.message)), so that account is left in the directory: "
                + "adjoin leave --user NAME --password-stdin removes it, adjoin join again completes it"
        }
        return reported
    }

    static func connectionFailed(_ error: AdjoinError) -> Bool {
        error.status == .timeout || error.status == .networkError
    }

    /// Deletes the account when it is this host's; else says whose marker it carries instead.
    private func deleteIfOurs(_ session: any Directory, deadline: Deadline) throws(AdjoinError) -> String? {
        let entry: LDAPEntry?
        do {
            entry = try session.search(
                base: dn, scope: .base, filter: "(objectClass=computer)",
                attributes: [AccountOwner.attribute], deadline: deadline
            ).first
        } catch  where error.code == .noSuchObject {
            return nil
        } catch {
            throw error.adjoinError(deadline: deadline)
        }
        guard let entry else { return nil }
        let owner = AccountOwner.parse(recorded: entry.strings(AccountOwner.attribute))
        guard owner == request.owner else {
            progress("\(dn) is not this host's (another owner's marker): left alone")
            return owner.map { "\($0.value)'s owner marker" } ?? "no owner marker"
        }
        try AccountRemoval.delete(dn, in: session, as: request.userPrincipal, deadline: deadline)
        return nil
    }
}
