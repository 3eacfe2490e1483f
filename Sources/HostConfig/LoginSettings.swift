import AdjoinCore

/// Who may log in to the joined host, and by which doors: what host configuration grants. One value
/// from the settings (command line, parameter, central item, the broker's answer, tags) to the files.
public struct LoginSettings: Sendable, Equatable {
    /// Groups whose members may log in; none means no domain user may.
    public var allowedGroups: [GroupName] = []
    public var sudoGroup: GroupName?
    /// Resolve the domain's names through its DCs (a systemd-resolved drop-in).
    public var configureDNS = false
    /// sshd lets the allowed groups in by AD password and Kerberos (`--no-configure-ssh`: false).
    public var configureSSH = true
    /// Users' and groups' IDs are their uidNumber and gidNumber in the directory (sssd's ldap_id_mapping = false).
    public var posixIDs = false
    /// The directory attribute that holds users' SSH public keys: sssd serves them to sshd (nil: keys stay local).
    public var sshPublicKeyAttribute: String?

    public init() {}

    /// The groups whose names the join looks up in the directory (a typo lets no one in, silently).
    public var groups: [GroupName] { allowedGroups + (sudoGroup.map { [$0] } ?? []) }
}
