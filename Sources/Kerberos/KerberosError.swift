internal import CKerberos

/// A libkrb5 failure: its code and the library's own message, read at throw time.
public struct KerberosError: Error, Sendable, CustomStringConvertible {
    public let code: Int32
    public let message: String
    /// What we were doing, e.g. "login as adjoiner@CORP.EXAMPLE.COM".
    public let operation: String

    public var description: String { "\(operation): \(message)" }

    // Codes as libkrb5 defines them (krb5.h imports them as Int, so they are compared as Int32 here).
    public static let preauthFailed = Int32(truncatingIfNeeded: KRB5KDC_ERR_PREAUTH_FAILED)
    public static let clientUnknown = Int32(truncatingIfNeeded: KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN)
    public static let clientRevoked = Int32(truncatingIfNeeded: KRB5KDC_ERR_CLIENT_REVOKED)
    public static let passwordExpired = Int32(truncatingIfNeeded: KRB5KDC_ERR_KEY_EXP)
    public static let integrityFailed = Int32(truncatingIfNeeded: KRB5KRB_AP_ERR_BAD_INTEGRITY)
    public static let kdcUnreachable = Int32(truncatingIfNeeded: KRB5_KDC_UNREACH)
    public static let realmUnresolvable = Int32(truncatingIfNeeded: KRB5_REALM_CANT_RESOLVE)
    public static let clockSkew = Int32(truncatingIfNeeded: KRB5KRB_AP_ERR_SKEW)
    public static let keytabEntryNotFound = Int32(truncatingIfNeeded: KRB5_KT_NOTFOUND)
    public static let keytabEmpty = Int32(truncatingIfNeeded: KRB5_KT_END)
    public static let keytabBadFormat = Int32(truncatingIfNeeded: KRB5_KT_FORMAT)

    /// The keytab could not give a key: missing file, no entry for the principal, or not a keytab.
    public var isKeytabFailure: Bool {
        [Self.keytabEntryNotFound, Self.keytabEmpty, Self.keytabBadFormat, 2 /* ENOENT */].contains(code)
    }

    /// The password or the principal was wrong, or the account cannot log in.
    public var isAuthenticationFailure: Bool {
        [Self.preauthFailed, Self.clientUnknown, Self.clientRevoked, Self.passwordExpired, Self.integrityFailed].contains(code)
    }

    public var isNetworkFailure: Bool {
        [Self.kdcUnreachable, Self.realmUnresolvable].contains(code)
    }
}
