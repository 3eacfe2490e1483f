/// An LDAP failure: the result code, libldap's text for it, and the server's diagnostic message
/// (AD's says which check refused, e.g. "00002098: SecErr: DSID-03150F94, problem 4003 (INSUFF_ACCESS_RIGHTS)").
public struct LDAPError: Error, Sendable, CustomStringConvertible {
    public let code: LDAPResultCode
    public let message: String
    public let diagnostic: String?
    public let operation: String

    public var description: String {
        "\(operation): \(message)" + (diagnostic.map { $0.isEmpty ? "" : " (\($0))" } ?? "")
    }

    /// The directory refused the change for lack of rights (AD answers some of these as "unwilling").
    public var isPermissionDenied: Bool {
        code == .insufficientAccess || (code == .unwillingToPerform && (diagnostic ?? "").contains("ACCESS"))
    }

    public var isAuthenticationFailure: Bool { code.isAuthenticationFailure }
    public var isNetworkFailure: Bool { code.isNetworkFailure }
    public var isTimeout: Bool { code.isTimeout }
}
