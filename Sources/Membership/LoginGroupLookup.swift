import AdjoinCore
import LDAP

/// The groups the host lets log in (or use sudo), looked up once the join has its sealed session: a
/// name the domain does not know (a typo) lets no one in, and sssd would never say why. Such names
/// become warnings; the join itself stands.
struct LoginGroupLookup {
    let domain: DomainName
    let groups: [GroupName]

    /// The account name to look for: the name as given, or its part before `@` when the rest is this
    /// domain (sssd's fully qualified form); nil for a group of another domain (not checked here).
    func accountName(_ group: GroupName) -> String? {
        let parts = group.value.split(separator: "@", maxSplits: 1)
        guard parts.count == 2 else { return group.value }
        return parts[1].lowercased() == domain.value.lowercased() ? String(parts[0]) : nil
    }

    /// Warnings for the groups the directory does not hold; none when the search itself fails (the
    /// check is advice, and the join is done).
    func warnings(session: any Directory, progress: ProgressSink, deadline: Deadline) -> [String] {
        var names: [(GroupName, String)] = []
        for group in groups {
            guard let name = accountName(group), !names.contains(where: { $0.1.lowercased() == name.lowercased() }) else { continue }
            names.append((group, name))
        }
        guard !names.isEmpty else { return [] }
        // GroupName admits no filter metacharacter (`*`, `(`, `)`, `\`, NUL), so the names go in as they are.
        let filter = "(&(objectClass=group)(|" + names.map { "(sAMAccountName=\($0.1))" }.joined() + "))"
        let found: Set<String>
        do {
            found = Set(
                try session.search(
                    base: domain.baseDN, scope: .subtree, filter: filter, attributes: ["sAMAccountName"],
                    deadline: deadline
                ).compactMap { $0.string("sAMAccountName")?.lowercased() })
        } catch {
            progress("Could not look up the login groups (\(error.diagnostic ?? error.message)): not checked")
            return []
        }
        return names.filter { !found.contains($0.1.lowercased()) }.map { group, _ in
            "the domain has no group \(group.value): no one logs in or uses sudo by it (check the name: sssd matches it as written)"
        }
    }
}
