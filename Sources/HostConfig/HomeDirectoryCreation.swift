import AdjoinCore

/// How a domain user's home directory is made at first login, chosen from what the system has:
/// oddjobd's pam_oddjob_mkhomedir where oddjob-mkhomedir is installed (the RHEL family's way: a
/// privileged service makes the folder, with its SELinux label right, for a PAM stack that runs
/// unprivileged), else PAM's own pam_mkhomedir.
enum HomeDirectoryCreation: Equatable, Sendable {
    case oddjob
    case pamMkhomedir

    /// Where distributions keep PAM modules: Debian and Ubuntu (multiarch), RHEL and Amazon Linux (lib64).
    static let moduleDirectories = [
        "/usr/lib/x86_64-linux-gnu/security", "/usr/lib64/security", "/usr/lib/security",
        "/lib/x86_64-linux-gnu/security", "/lib64/security", "/lib/security",
    ]
    static let oddjobModule = "pam_oddjob_mkhomedir.so"
    static let oddjobDaemon = "/usr/sbin/oddjobd"

    /// The system's way: oddjob when both its PAM module and its daemon are installed.
    static func detect(files: HostFiles) -> HomeDirectoryCreation {
        let module = moduleDirectories.contains { files.exists($0 + "/" + oddjobModule) }
        return module && files.exists(oddjobDaemon) ? .oddjob : .pamMkhomedir
    }

    var module: String {
        switch self {
        case .oddjob: Self.oddjobModule
        case .pamMkhomedir: "pam_mkhomedir.so"
        }
    }
}
