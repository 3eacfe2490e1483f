internal import CLDAP

/// An LDAP failure: the result code, libldap's text for it, and the server's diagnostic message
/// (AD's says which check refused, e.g. "00002098: SecErr: DSID-03150F94, problem 4003 (INSUFF_ACCESS_RIGHTS)").
public struct LDAPError: Error, Sendable, CustomStringConvertible {
    public let code: Int32
    public let message: String
    public let diagnostic: String?
    public let operation: String

    public var description: String {
        "\(operation): \(message)" + (diagnostic.map { $0.isEmpty ? "" : " (\($0))" } ?? "")
    }

    public static let noSuchObject = Int32(LDAP_NO_SUCH_OBJECT)
    public static let invalidDNSyntax = Int32(LDAP_INVALID_DN_SYNTAX)
    public static let alreadyExists = Int32(LDAP_ALREADY_EXISTS)
    public static let insufficientAccess = Int32(LDAP_INSUFFICIENT_ACCESS)
    public static let invalidCredentials = Int32(LDAP_INVALID_CREDENTIALS)
    public static let strongAuthRequired = Int32(LDAP_STRONG_AUTH_REQUIRED)
    public static let constraintViolation = Int32(LDAP_CONSTRAINT_VIOLATION)
    public static let unwillingToPerform = Int32(LDAP_UNWILLING_TO_PERFORM)

    /// The directory refused the change for lack of rights (AD answers some of these as "unwilling").
    public var isPermissionDenied: Bool {
        code == Self.insufficientAccess || (code == Self.unwillingToPerform && (diagnostic ?? "").contains("ACCESS"))
    }

    public var isAuthenticationFailure: Bool {
        code == Self.invalidCredentials || code == Int32(LDAP_INAPPROPRIATE_AUTH)
    }

    public var isNetworkFailure: Bool {
        [LDAP_SERVER_DOWN, LDAP_CONNECT_ERROR].map { Int32($0) }.contains(code)
    }

    public var isTimeout: Bool { code == Int32(LDAP_TIMEOUT) || code == Int32(LDAP_TIMELIMIT_EXCEEDED) }
}
