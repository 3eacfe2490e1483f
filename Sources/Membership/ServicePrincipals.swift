import AdjoinCore
import LDAP

/// The `--service-name` SPNs across joins: what this host's earlier join added (its join record), so
/// that a join with another list converges to it, adding what is missing and removing only what adjoin
/// itself added (an administrator's SPNs on the account stay), and the keytab drops the keys of a class
/// no longer asked for.
struct ServicePrincipals {
    /// The SPNs the earlier join of this account added.
    var previouslyAdded: [String] = []
    /// Classes the earlier join gave keys that this one does not ask for.
    var retiredClasses: [String] = []

    /// From the join record (or an interrupted join's intent) when it is this account's; nothing otherwise.
    init(_ request: JoinRequest) throws(AdjoinError) {
        guard let (record, _) = try JoinRename.recorded(request.files),
            record.computerName.uppercased() == request.computerName.value.uppercased(),
            record.domain.lowercased() == request.domain.value.lowercased()
        else { return }
        previouslyAdded = record.addedServicePrincipals
        let wanted = Set(request.serviceNames.map { $0.value.lowercased() })
        retiredClasses = record.serviceNames.filter { !wanted.contains($0.lowercased()) }
    }

    /// The join's target and keytab, told what the earlier join did.
    func apply(to target: inout AccountTarget, _ keytab: inout HostKeytab) {
        target.previouslyAddedServicePrincipals = previouslyAdded
        keytab.retiredServiceNames = retiredClasses
    }

    /// What the result records: the SPNs adjoin manages after this join, and those it removed.
    static func outcome(_ target: AccountTarget, existing: LDAPEntry?, into result: inout JoinResult) {
        guard let existing else {
            result.addedServicePrincipals = target.serviceClassPrincipalNames
            return
        }
        let writes = AccountWrites(target: target)
        result.addedServicePrincipals = writes.managedAfterPlan(existing)
        result.removedServicePrincipals = writes.retiredPresent(existing)
    }

    /// What a dry run says of them: the SPNs to register, and those an earlier join added that would go.
    func dryRun(_ request: JoinRequest) -> String {
        let target = request.accountTarget
        let wanted = Set(target.servicePrincipalNames.map { $0.lowercased() })
        let retired = previouslyAdded.filter { !wanted.contains($0.lowercased()) }
        var text = ""
        if !target.serviceClassPrincipalNames.isEmpty {
            text +=
                "would register the SPNs \(target.serviceClassPrincipalNames.joined(separator: ", ")) on the account (where missing) "
                + "and write their keys (the machine's, every type, same kvno) to the keytab\n"
        }
        if !retired.isEmpty || !retiredClasses.isEmpty {
            text +=
                "would remove the SPNs \(retired.joined(separator: ", ")) that an earlier join added (no longer asked for), "
                + "and the keys of \(retiredClasses.joined(separator: ", ")) from the keytab\n"
        }
        return text
    }
}
