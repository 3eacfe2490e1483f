import AdjoinCore
import Kerberos

extension HostKeytab {
    /// On a rerun that keeps the host's keys: the keytab as it should be at `kvno`, every principal of
    /// the account with every encryption type asked for. All of an account's principals share its keys,
    /// so the entries missing are copies of NAME$'s. Returns nil when the keytab lacks one of the types
    /// (say --rc4 was added): those keys cannot be had without setting a new password. Writes the file
    /// only when an entry was missing; returns whether it did.
    func complete(_ entries: [KeytabEntry], at kvno: UInt32) throws(AdjoinError) -> Bool? {
        let machine = entries.filter { $0.components == [samAccountName] && $0.realm == realm && $0.kvno == kvno }
        var keys: [(type: EncryptionType, key: SecretBytes)] = []
        for type in encryptionTypes {
            guard let entry = machine.first(where: { $0.enctype == type.number }) else { return nil }
            keys.append((type, entry.key))
        }
        let present = Set(
            entries.filter { $0.realm == realm && $0.kvno == kvno }.map {
                "\($0.components.joined(separator: "/").lowercased()) \($0.enctype)"
            })
        let wanted = keys.flatMap { key in principals.map { (principal: $0, key: key) } }
        // A retired service's keys go too (write drops them): a rejoin without --service-name nfs takes nfs/ out.
        guard
            holdsRetired(entries)
                || wanted.contains(where: {
                    !present.contains("\($0.principal.components.joined(separator: "/").lowercased()) \($0.key.type.number)")
                })
        else {
            return false
        }
        let now = UInt32(truncatingIfNeeded: clock.secondsSince1970)
        let completed = wanted.map {
            KeytabEntry(
                components: $0.principal.components, realm: realm, nameType: $0.principal.nameType, timestamp: now, kvno: kvno,
                enctype: $0.key.type.number, key: $0.key.key)
        }
        // The previous kvno's entries stay, as rotate leaves them, for tickets issued before it.
        try write(completed, over: try current(), keeping: kvno &- 1)
        return true
    }
}
