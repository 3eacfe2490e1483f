internal import CKerberos

/// A libkrb5 error code, or a kpasswd result code (RFC 3244), with names for the ones adjoin tells apart.
/// A struct, not a closed enum: the library and the KDC may answer with any code.
public struct KerberosCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }
    init(_ rawValue: Int32) { self.rawValue = rawValue }
    // krb5.h imports its codes as Int; as krb5_error_code they are Int32.
    init(_ libraryCode: Int) { self.rawValue = Int32(truncatingIfNeeded: libraryCode) }

    public var description: String { String(rawValue) }

    public static let preauthFailed = KerberosCode(KRB5KDC_ERR_PREAUTH_FAILED)
    public static let clientUnknown = KerberosCode(KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN)
    public static let serverUnknown = KerberosCode(KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN)
    public static let clientRevoked = KerberosCode(KRB5KDC_ERR_CLIENT_REVOKED)
    public static let passwordExpired = KerberosCode(KRB5KDC_ERR_KEY_EXP)
    public static let integrityFailed = KerberosCode(KRB5KRB_AP_ERR_BAD_INTEGRITY)
    public static let kdcUnreachable = KerberosCode(KRB5_KDC_UNREACH)
    public static let realmUnresolvable = KerberosCode(KRB5_REALM_CANT_RESOLVE)
    public static let clockSkew = KerberosCode(KRB5KRB_AP_ERR_SKEW)
    public static let keytabEntryNotFound = KerberosCode(KRB5_KT_NOTFOUND)
    public static let keytabEmpty = KerberosCode(KRB5_KT_END)
    public static let keytabBadFormat = KerberosCode(KRB5_KT_FORMAT)
    /// A keytab file that does not exist: libkrb5 passes open(2)'s errno through.
    public static let noSuchFile = KerberosCode(Int32(2))
    public static let outOfMemory = KerberosCode(Int32(12))

    /// Result codes of a refused password change (RFC 3244): small numbers, apart from libkrb5's com_err
    /// codes (though `passwordChangeAuthError` is 2, as ENOENT: only a password change gives it).
    public static let passwordChangeSoftError = KerberosCode(Int32(KRB5_KPASSWD_SOFTERROR))
    public static let passwordChangeAccessDenied = KerberosCode(Int32(KRB5_KPASSWD_ACCESSDENIED))
    public static let passwordChangeAuthError = KerberosCode(Int32(KRB5_KPASSWD_AUTHERROR))
    /// The kpasswd server's reply did not follow RFC 3244's framing.
    public static let passwordChangeMalformedReply = KerberosCode(KRB5KRB_AP_ERR_MSG_TYPE)
    /// The kpasswd server claimed success in a KRB-ERROR (Windows Server 2025): MIT krb5's own exchange
    /// rejects that reply with this code, "Message stream modified".
    public static let passwordChangeSuccessInError = KerberosCode(KRB5KRB_AP_ERR_MODIFIED)

    /// The keytab could not give a key: missing file, no entry for the principal, or not a keytab.
    public var isKeytabFailure: Bool {
        [.keytabEntryNotFound, .keytabEmpty, .keytabBadFormat, .noSuchFile].contains(self)
    }

    /// The password or the principal was wrong, or the account cannot log in.
    public var isAuthenticationFailure: Bool {
        [.preauthFailed, .clientUnknown, .clientRevoked, .passwordExpired, .integrityFailed].contains(self)
    }

    public var isNetworkFailure: Bool {
        [.kdcUnreachable, .realmUnresolvable].contains(self)
    }
}
