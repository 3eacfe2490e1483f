import AdjoinCore
import LDAP

/// A fresh join's search and add in one round trip: where the new account's DN is known without
/// asking the directory (--ou) and no answer of the search must be checked before the directory
/// changes, the add (and the read of its DACL) goes out right behind the search, on the same
/// connection. An account the search finds makes the add harmless: a sAMAccountName is unique in a
/// domain, so the DC refuses an add of the same name (Samba: entryAlreadyExists for the same DN,
/// constraintViolation for another container) and the join goes on with the account found.
extension ComputerAccount {
    /// What the search and the add behind it came to.
    enum SearchedAdd {
        /// The search found this account, and the add changed nothing.
        case found(LDAPEntry)
        /// The add made the account (the search found none, or the one the add made); its DACL as
        /// read behind the add, else as the search found it.
        case created(descriptor: [UInt8]?)
        /// The join cannot go on. `directoryChanged`: the add may have made the account, which the
        /// undo then takes back (only where it carries this host's owner marker).
        case failed(AdjoinError, directoryChanged: Bool)
    }

    /// Whether the add may go in the search's round trip: the container is --ou, not the well-known
    /// computers container an administrator may have redirected (redircmp), which only a search tells;
    /// and no --service-name, whose SPNs must be found unique before anything is written.
    var addsWithTheSearch: Bool {
        target.organizationalUnit != nil && target.serviceClassPrincipalNames.isEmpty
    }

    /// Looks for the account and, in the same round trip, adds it at `newDN(in: container)` with
    /// `password` (the join's intent record must name that DN before this is called).
    func findCreating(in container: String, password: SecretBytes, deadline: Deadline) -> SearchedAdd {
        let dn = newDN(in: container)
        var search = accountSearch
        search.attributes.append("objectGUID")
        var read = Self.descriptorRead(dn)
        read.attributes.append("objectGUID")
        let answers: LDAPSearchesThenAdd
        do {
            answers = try session.search(
                [search], thenAdd: dn, attributes: newAccountAttributes(password: password), thenSearch: read, deadline: deadline)
        } catch {
            // Nothing was sent: nothing changed.
            return .failed(error.adjoinError(deadline: deadline), directoryChanged: false)
        }
        let added = answers.add.mapError { createFailure($0, in: container, dn: dn, deadline: deadline) }
        let found: LDAPEntry?
        switch (answers.searches, added) {
        case (.failure(let error), .success):
            // The account is made, but what else the directory holds is unknown: taken back.
            return .failed(error.adjoinError(deadline: deadline), directoryChanged: true)
        case (.failure(let error), .failure(let refusal)):
            return .failed(error.adjoinError(deadline: deadline), directoryChanged: !DomainJoin.refusedOutright(refusal))
        case (.success(let entries), .failure(let refusal)):
            // An account found: the add, of the same sAMAccountName, cannot have made one (an answer
            // lost on the way included); the join goes on with the account found, as without --ou.
            if let existing = entries.first?.first { return .found(existing) }
            return .failed(refusal, directoryChanged: !DomainJoin.refusedOutright(refusal))
        case (.success(let entries), .success):
            found = entries.first?.first
        }
        let made = try? added.get().first
        // A server may take the add before the search (RFC 4511 lets it): the search then finds the new account.
        if let found, !Self.isSame(found, as: made, at: dn) {
            return .failed(
                AdjoinError(
                    .accountConflict,
                    "the DC created \(dn) although its search found \(target.computerName.samAccountName) at \(found.dn), "
                        + "and a sAMAccountName is unique in a domain (a replication conflict?): look at \(found.dn) before joining again"),
                directoryChanged: true)
        }
        return .created(
            descriptor: (made ?? found)?.values("nTSecurityDescriptor").first)
    }

    /// Whether the entry the search found is the one the add made (read behind it, where it was): the
    /// same objectGUID, else the same DN.
    static func isSame(_ found: LDAPEntry, as made: LDAPEntry?, at dn: String) -> Bool {
        if let guid = made?.values("objectGUID").first, let other = found.values("objectGUID").first { return guid == other }
        return found.dn.lowercased() == (made?.dn ?? dn).lowercased()
    }
}
