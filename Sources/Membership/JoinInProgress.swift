import AdjoinCore
import Discovery
import LDAP

/// What a join holds once it has written its intent record: the session, the account and keytab it
/// works on, the new password, and what it found before changing anything (for the undo).
struct JoinInProgress {
    let controller: DomainController
    let session: any Directory
    let target: AccountTarget
    let keytab: HostKeytab
    let account: ComputerAccount
    let password: SecretBytes
    /// The account the search found; nil when the join creates it.
    let existing: LDAPEntry?
    let container: String
    let dn: String
    /// The keytab's bytes before the join, which a rewrite keeps other principals' entries from.
    let previousKeytab: [UInt8]?
    let traces: JoinTraces
    /// Whether this host's own records named the account before this join wrote its intent.
    let known: Bool
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
