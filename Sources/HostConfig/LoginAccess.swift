/// Who the join let log in and use sudo, as it wrote them into sssd.conf and /etc/sudoers.d/adjoin:
/// recorded with the join so that `status` sees when someone widens access behind adjoin's back.
public struct LoginAccess: Sendable, Equatable {
    /// The groups whose members may log in; none: no domain user may.
    public var allowedGroups: [String]
    public var sudoGroup: String?
    /// The join wrote sshd's drop-in (SSHDropIn) for the allowed groups.
    public var ssh: Bool

    public init(allowedGroups: [String], sudoGroup: String?, ssh: Bool = false) {
        self.allowedGroups = allowedGroups
        self.sudoGroup = sudoGroup
        self.ssh = ssh
    }
}
