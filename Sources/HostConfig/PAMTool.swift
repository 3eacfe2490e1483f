/// Which tool configures PAM, chosen from what the system has rather than from its name: authselect
/// where it already manages PAM (its authselect.conf exists) or where it is the only tool (RHEL 9,
/// Amazon Linux 2023, Fedora); pam-auth-update where that exists (Debian, Ubuntu); else neither, and the
/// stack files are edited directly.
enum PAMTool: Equatable {
    case pamAuthUpdate
    case authselect
    case none

    static let authselectConfiguration = "/etc/authselect/authselect.conf"

    static func choose(hasPAMAuthUpdate: Bool, hasAuthselect: Bool, authselectInUse: Bool) -> PAMTool {
        if hasAuthselect && (authselectInUse || !hasPAMAuthUpdate) { return .authselect }
        return hasPAMAuthUpdate ? .pamAuthUpdate : .none
    }
}
