internal import CLDAP

/// An LDAP result code (RFC 4511 4.1.9, and libldap's own negative codes), with names for the ones adjoin
/// tells apart. A struct, not a closed enum: a server may answer with any code.
public struct LDAPResultCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }
    init(_ rawValue: Int32) { self.rawValue = rawValue }

    public var description: String { String(rawValue) }

    public static let success = LDAPResultCode(LDAP_SUCCESS)
    public static let noSuchObject = LDAPResultCode(LDAP_NO_SUCH_OBJECT)
    public static let invalidDNSyntax = LDAPResultCode(LDAP_INVALID_DN_SYNTAX)
    public static let alreadyExists = LDAPResultCode(LDAP_ALREADY_EXISTS)
    public static let insufficientAccess = LDAPResultCode(LDAP_INSUFFICIENT_ACCESS)
    public static let invalidCredentials = LDAPResultCode(LDAP_INVALID_CREDENTIALS)
    public static let inappropriateAuthentication = LDAPResultCode(LDAP_INAPPROPRIATE_AUTH)
    public static let strongAuthRequired = LDAPResultCode(LDAP_STRONG_AUTH_REQUIRED)
    public static let constraintViolation = LDAPResultCode(LDAP_CONSTRAINT_VIOLATION)
    public static let unwillingToPerform = LDAPResultCode(LDAP_UNWILLING_TO_PERFORM)
    public static let timeLimitExceeded = LDAPResultCode(LDAP_TIMELIMIT_EXCEEDED)
    // libldap's client-side codes (negative).
    public static let serverDown = LDAPResultCode(LDAP_SERVER_DOWN)
    public static let connectError = LDAPResultCode(LDAP_CONNECT_ERROR)
    public static let timeout = LDAPResultCode(LDAP_TIMEOUT)
    public static let other = LDAPResultCode(LDAP_OTHER)

    public var isAuthenticationFailure: Bool { self == .invalidCredentials || self == .inappropriateAuthentication }
    public var isNetworkFailure: Bool { self == .serverDown || self == .connectError }
    public var isTimeout: Bool { self == .timeout || self == .timeLimitExceeded }
}
