import AdjoinCore
import Kerberos
import LDAP

/// One change a join makes to an existing computer account, and the right Active Directory names for it.
struct AccountWrite {
    enum Need {
        /// The join cannot stand without it: the keytab's principals or the machine's login depend on it.
        case required
        /// Describes the host; a directory that refuses it gets a warning, and the join goes on.
        case informational
    }

    let attribute: String
    let change: LDAPChange
    let need: Need
    /// The right that allows it, in Active Directory's own words (ADUC's permission entries).
    let right: String
    /// What a warning says when the write is refused; nil for required writes.
    let consequence: String?
    /// The change that puts the attribute back as the search read it; nil where that is not known (a password).
    var undo: LDAPChange? = nil

    /// The right by which a join sets a password it does not know the old one of (MS-ADTS 3.1.1.3.1.5.2).
    static let resetPassword = "Reset password"
    static let accountRestrictions = "Read and write account restrictions"
    static let validatedDNSHostName = "Validated write to DNS host name"
    static let validatedSPN = "Validated write to service principal name"
}

/// What a join must change on an account that exists already: only what differs from what the search
/// read, split into what it needs and what is informational. Directory administrators delegate join
/// rights narrowly (Microsoft's minimal set: Reset password, Account Restrictions, the validated writes
/// of DNS host name and SPN), so writing only what differs is what lets a rerun, or a join of a
/// pre-staged account, succeed with those rights alone.
struct AccountWrites {
    static let accountDisabled = 0x0002
    static let passwordNotRequired = 0x0020
    /// The account-type bits of userAccountControl (MS-ADTS 2.2.16): normal, interdomain, workstation, server trust.
    static let accountTypes = 0x0200 | 0x0800 | 0x1000 | 0x2000

    /// The attributes the search must read for `plan`.
    static let readAttributes = [
        "userAccountControl", "dNSHostName", "servicePrincipalName", "operatingSystem",
        "operatingSystemVersion", "msDS-SupportedEncryptionTypes", AccountOwner.attribute,
    ]

    let target: AccountTarget

    /// userAccountControl as a workstation's, enabled and with a password required; every other flag
    /// an administrator set (delegation, for one) stays.
    static func userAccountControl(from current: Int?) -> Int {
        let kept = (current ?? 0) & ~(accountDisabled | passwordNotRequired | accountTypes)
        return kept | ComputerAccount.workstationTrustAccount
    }

    /// The changes, required first; `password` when the account's keys must be set (no working keytab).
    func plan(_ entry: LDAPEntry, password: SecretBytes?) -> [AccountWrite] {
        var writes: [AccountWrite] = []
        let current = entry.string("userAccountControl").flatMap { Int($0) }
        let control = Self.userAccountControl(from: current)
        if current != control {
            writes.append(
                AccountWrite(
                    attribute: "userAccountControl", change: .replace(LDAPAttribute("userAccountControl", [String(control)])),
                    need: .required, right: AccountWrite.accountRestrictions, consequence: nil,
                    undo: current.map { .replace(LDAPAttribute("userAccountControl", [String($0)])) }))
        }
        let fqdn = target.hostFQDN.lowercased()
        if entry.string("dNSHostName")?.lowercased() != fqdn {
            writes.append(
                AccountWrite(
                    attribute: "dNSHostName", change: .replace(LDAPAttribute("dNSHostName", [fqdn])),
                    need: .required, right: AccountWrite.validatedDNSHostName, consequence: nil,
                    undo: Self.restoring("dNSHostName", entry)))
        }
        let registered = Set(entry.strings("servicePrincipalName").map { $0.lowercased() })
        let missing = target.servicePrincipalNames.filter { !registered.contains($0.lowercased()) }
        if !missing.isEmpty {
            // Added, not replaced: SPNs other services registered on the account stay.
            writes.append(
                AccountWrite(
                    attribute: "servicePrincipalName", change: .add(LDAPAttribute("servicePrincipalName", missing)),
                    need: .required, right: AccountWrite.validatedSPN, consequence: nil,
                    undo: .delete(LDAPAttribute("servicePrincipalName", missing))))
        }
        let retired = retiredPresent(entry)
        if !retired.isEmpty {
            // Only values an earlier join of this host added; an administrator's SPNs are not in the list.
            writes.append(
                AccountWrite(
                    attribute: "servicePrincipalName", change: .delete(LDAPAttribute("servicePrincipalName", retired)),
                    need: .required, right: AccountWrite.validatedSPN, consequence: nil,
                    undo: .add(LDAPAttribute("servicePrincipalName", retired))))
        }
        writes += encryptionTypes(entry)
        if let password {
            writes.append(
                AccountWrite(
                    attribute: "unicodePwd", change: .replace(LDAPAttribute("unicodePwd", secret: MachinePassword.unicodePwd(password))),
                    need: .required, right: AccountWrite.resetPassword, consequence: nil))
        }
        if let release = target.osRelease {
            let system = [
                ("operatingSystem", release.name), ("operatingSystemVersion", release.version.isEmpty ? "unknown" : release.version),
            ]
            for (attribute, value) in system where entry.string(attribute) != value {
                writes.append(
                    AccountWrite(
                        attribute: attribute, change: .replace(LDAPAttribute(attribute, [value])), need: .informational,
                        right: "Write \(attribute)",
                        consequence: "\(attribute) stays \(entry.string(attribute).map { "'\($0)'" } ?? "unset")"))
            }
        }
        // The owner marker goes only into an empty info: ours is there already, another host's was refused
        // before, and an administrator's notes stay (see `unwritten`). Our own marker written by an older
        // adjoin, without the instance's account and Region, gets them, so that `sweep` can place the account.
        guard let owner = target.owner else { return writes }
        let info = entry.strings(AccountOwner.attribute)
        let olderOwnMarker = owner.location != nil && AccountOwner.parse(recorded: info) == owner && info != [owner.recorded]
        if info.isEmpty || olderOwnMarker {
            writes.append(
                AccountWrite(
                    attribute: AccountOwner.attribute, change: .replace(LDAPAttribute(AccountOwner.attribute, [owner.recorded])),
                    need: .informational, right: "Write \(AccountOwner.attribute)", consequence: Self.noOwnerMarker))
        }
        return writes
    }

    /// The retired SPNs (an earlier join's `--service-name` ones no longer asked for) that the account
    /// holds, spelled as the directory holds them (a delete must name the stored value).
    func retiredPresent(_ entry: LDAPEntry) -> [String] {
        let wanted = Set(target.servicePrincipalNames.map { $0.lowercased() })
        let retired = Set(target.previouslyAddedServicePrincipals.map { $0.lowercased() }).subtracting(wanted)
        return entry.strings("servicePrincipalName").filter { retired.contains($0.lowercased()) }
    }

    /// The `--service-name` SPNs adjoin manages after a write of this plan: those it added before (and
    /// still wants), and those the plan adds (the account lacked them). An administrator's SPN of the same
    /// value, there before any join asked for it, is not adjoin's to remove later.
    func managedAfterPlan(_ entry: LDAPEntry) -> [String] {
        let registered = Set(entry.strings("servicePrincipalName").map { $0.lowercased() })
        let before = Set(target.previouslyAddedServicePrincipals.map { $0.lowercased() })
        return target.serviceClassPrincipalNames.filter { !registered.contains($0.lowercased()) || before.contains($0.lowercased()) }
    }

    /// The attribute as the search read it: its values again, or removed where it had none.
    static func restoring(_ attribute: String, _ entry: LDAPEntry) -> LDAPChange {
        let values = entry.strings(attribute)
        return values.isEmpty ? .delete(LDAPAttribute(attribute, [])) : .replace(LDAPAttribute(attribute, values))
    }

    static let noOwnerMarker = "the account has no owner marker (adjoin-owner in info), so another host could claim it"

    /// What the join leaves undone on purpose: an `info` that holds an administrator's notes is not
    /// overwritten with the owner marker, and the account stays without one.
    func unwritten(_ entry: LDAPEntry) -> [String] {
        let values = entry.strings(AccountOwner.attribute)
        guard !values.isEmpty, AccountOwner.parse(recorded: values) == nil else { return [] }
        return ["\(entry.dn) keeps the notes in its info, where adjoin's owner marker would go: " + Self.noOwnerMarker]
    }

    /// msDS-SupportedEncryptionTypes: needed only when the account's value shuts out every type the
    /// keytab holds; where it is unset the domain's default applies, which gives AES to accounts with
    /// AES keys.
    private func encryptionTypes(_ entry: LDAPEntry) -> [AccountWrite] {
        let wanted = EncryptionType.supportedEncryptionTypes(target.encryptionTypes)
        let current = entry.string("msDS-SupportedEncryptionTypes").flatMap { Int($0) }
        guard current != Int(wanted) else { return [] }
        let shutOut = current.map { $0 != 0 && UInt32(truncatingIfNeeded: $0) & wanted == 0 } ?? false
        return [
            AccountWrite(
                attribute: "msDS-SupportedEncryptionTypes",
                change: .replace(LDAPAttribute("msDS-SupportedEncryptionTypes", [String(wanted)])),
                need: shutOut ? .required : .informational, right: "Write msDS-SupportedEncryptionTypes",
                consequence: current.map { "it keeps msDS-SupportedEncryptionTypes \($0)" }
                    ?? "the domain's default encryption types apply to it",
                undo: Self.restoring("msDS-SupportedEncryptionTypes", entry))
        ]
    }
}
