import AdjoinCore
import LDAP

/// A domain controller's own computer account: adjoin never deletes one, whatever the flags or the
/// owner marker say, because removing it takes a DC out of the domain (a typo in a remote leave by name
/// must not be able to do that).
enum DomainControllerAccount {
    /// userAccountControl's SERVER_TRUST_ACCOUNT (a writable DC) and PARTIAL_SECRETS_ACCOUNT (a read-only DC), MS-ADTS 2.2.16.
    static let bits = 0x2000 | 0x0400_0000

    static let attribute = "userAccountControl"

    /// nil when the entry is not a DC's account; else why it stays. The entry must have been read with `attribute`.
    static func refusal(_ entry: LDAPEntry) -> AdjoinError? {
        guard let control = entry.string(attribute).flatMap(Int.init), control & bits != 0 else { return nil }
        return AdjoinError(
            .accountConflict, "\(entry.dn) is a domain controller's account (userAccountControl \(control)): adjoin never removes it")
    }
}
