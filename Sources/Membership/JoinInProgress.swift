import AdjoinCore
import Discovery
import LDAP

/// What a join holds once it has written its intent record: the session, the account and keytab it
/// works on, the new password (its `Parts`, read through it as `join.session`...), and what it found before
/// changing anything (for the undo).
@dynamicMemberLookup
struct JoinInProgress {
    let parts: Parts
    /// The account the search found; nil when the join creates it.
    let existing: LDAPEntry?
    let container: String
    let dn: String
    /// The keytab's bytes before the join, which a rewrite keeps other principals' entries from.
    let previousKeytab: [UInt8]?
    let traces: JoinTraces
    /// Whether this host's own records named the account before this join wrote its intent.
    let known: Bool
    /// The add sent in the search's round trip, where it went with it and no account was found; nil:
    /// the account is still to be created (or was found).
    let added: ComputerAccount.SearchedAdd?

    /// What the join works with, known before the directory is asked anything.
    struct Parts {
        let controller: DomainController
        let session: any Directory
        let target: AccountTarget
        let keytab: HostKeytab
        let account: ComputerAccount
        let password: SecretBytes
    }

    subscript<Value>(dynamicMember part: KeyPath<Parts, Value>) -> Value { parts[keyPath: part] }

    init(
        _ parts: Parts, _ host: HostBefore, existing: LDAPEntry?, container: String, dn: String,
        added: ComputerAccount.SearchedAdd? = nil
    ) {
        self.parts = parts
        (self.existing, self.container, self.dn, self.added) = (existing, container, dn, added)
        (previousKeytab, traces, known) = (host.previousKeytab, host.traces, host.known)
    }
}

/// The host as the join found it, read before it writes anything.
struct HostBefore {
    let previousKeytab: [UInt8]?
    let traces: JoinTraces
    /// Whether the host's rename record names this account (see JoinRename).
    let known: Bool

    init(_ request: JoinRequest, keytab: HostKeytab) throws(AdjoinError) {
        previousKeytab = try keytab.current()
        traces = try JoinTraces(files: request.files, keytab: keytab)
        known =
            try JoinRename.recorded(request.files).map {
                $0.record.computerName.uppercased() == request.computerName.value.uppercased()
                    && $0.record.domain.lowercased() == request.domain.value.lowercased()
            } ?? false
    }
}

/// What the account's creation or reset left for the rest of the join.
struct AccountChange {
    let created: Bool
    /// The kvno the account's keys have now, where the protocol fixes it or the search told it.
    let expectedKeyVersion: UInt32?
    /// The account's DACL as the search found it, or a new account's as the add's round trip read it:
    /// the grant then needs only its write.
    let readDescriptor: [UInt8]?
    var reuse: ComputerAccount.Reuse
}
