import AdjoinCore
import Discovery
import Kerberos
import LDAP

/// Who a directory session logs in as: the join user with a password, or the machine with its keytab.
public enum DirectoryCredential {
    case password(principal: String, SecretBytes)
    case keytab(principal: String, path: String, encryptionTypes: [EncryptionType])

    public var principal: String {
        switch self {
        case .password(let principal, _), .keytab(let principal, _, _): principal
        }
    }
}

/// A Kerberos login (the join user's, or the machine's) and the one sealed LDAP connection, both
/// pinned to the chosen DC.
struct DirectorySession {
    let context: KerberosContext
    /// Kept for the session's life: the bind took its tickets from this MEMORY cache.
    let cache: CredentialCache
    /// The one connection to the KDC, kept for the keytab's proof.
    let kdc: KDCConnection
    let ldap: LDAPConnection
    let controller: DomainController

    static func open(realm: String, as credential: DirectoryCredential, controller: DomainController, deadline: Deadline,
                     progress: (String) -> Void) throws(AdjoinError) -> DirectorySession {
        let kdcHost = controller.address.family == .ipv6 ? "[\(controller.address.host)]" : controller.address.host
        let profile = KerberosProfile.pinned(realm: realm, kdc: kdcHost + ":88", kpasswdServer: kdcHost + ":464")
        // A no-op after the first call: adjoin sets GSSAPI up at start; in-process callers (the tests) here.
        try GSSAPIConfiguration.prepareProcess()
        let context: KerberosContext
        let cache: CredentialCache
        let kdc = KDCConnection(address: SocketAddress(family: controller.address.family, addressBytes: controller.address.addressBytes, port: 88),
                                realm: realm)
        do {
            context = try KerberosContext(profile: profile)
            cache = try CredentialCache(context: context)
            // The LDAP service ticket straight from the AS exchange: the bind needs no TGT, and a TGS exchange would cost a round trip.
            let service = "ldap/\(controller.hostName)"
            switch credential {
            case .password(let principal, let password):
                progress("Logging in to Kerberos as \(principal) at \(controller.hostName)")
                try context.login(Principal(principal, context: context), password: password, service: service,
                                  into: cache, through: kdc, deadline: deadline)
            case .keytab(let principal, let path, let types):
                progress("Logging in to Kerberos as \(principal) with the keytab \(path) at \(controller.hostName)")
                try context.login(Principal(principal, context: context), keytabPath: path, encryptionTypes: types, service: service,
                                  into: cache, through: kdc, deadline: deadline)
            }
        } catch {
            if case .keytab(let principal, let path, _) = credential {
                throw JoinFailure.machineLogin(error, principal: principal, keytab: path, deadline: deadline)
            }
            throw error.adjoinError(deadline: deadline)
        }
        let ldap = try bind(controller, cache: cache, deadline: deadline, progress: progress)
        return DirectorySession(context: context, cache: cache, kdc: kdc, ldap: ldap, controller: controller)
    }

    /// The same login over a new LDAP connection, for when this one stopped answering: the bind takes
    /// its ticket from the session's cache, so no password is needed again.
    func reconnected(deadline: Deadline, progress: (String) -> Void) throws(AdjoinError) -> any Directory {
        DirectorySession(context: context, cache: cache, kdc: kdc, ldap: try Self.bind(controller, cache: cache, deadline: deadline, progress: progress),
                         controller: controller)
    }

    private static func bind(_ controller: DomainController, cache: CredentialCache, deadline: Deadline,
                             progress: (String) -> Void) throws(AdjoinError) -> LDAPConnection {
        progress("Binding to LDAP on \(controller.hostName) (\(controller.address.host)) with Kerberos, sealed")
        let ldap = try LDAPConnection(address: SocketAddress(family: controller.address.family,
                                                             addressBytes: controller.address.addressBytes, port: 389),
                                      hostName: controller.hostName, deadline: deadline)
        do {
            try ldap.bindWithKerberos(credentialCacheName: cache.name, deadline: deadline)
        } catch {
            throw error.adjoinError(deadline: deadline)
        }
        progress("Bound with SASL \(ldap.mechanism), security strength \(ldap.securityStrength)")
        guard ldap.securityStrength >= 56 else {
            throw AdjoinError(.networkError, "the LDAP connection to \(controller.hostName) is not sealed (SSF \(ldap.securityStrength)); refusing to send a password over it")
        }
        return ldap
    }
}

extension DirectorySession: Directory {
    var clockOffset: Int64 { context.clockOffset }

    func search(_ requests: [LDAPSearchRequest], deadline: Deadline) throws(LDAPError) -> [[LDAPEntry]] {
        try ldap.search(requests, deadline: deadline)
    }

    func pagedSearch(_ requests: [LDAPSearchRequest], pageSize: Int, deadline: Deadline,
                     onPage: (_ entries: Int) -> Void) throws(LDAPError) -> [[LDAPEntry]] {
        try ldap.pagedSearch(requests, pageSize: pageSize, deadline: deadline, onPage: onPage)
    }

    func add(_ dn: String, attributes: [LDAPAttribute], deadline: Deadline) throws(LDAPError) {
        try ldap.add(dn, attributes: attributes, deadline: deadline)
    }

    func modify(_ dn: String, changes: [LDAPChange], securityDescriptorFlags: UInt8?, deadline: Deadline) throws(LDAPError) {
        try ldap.modify(dn, changes: changes, securityDescriptorFlags: securityDescriptorFlags, deadline: deadline)
    }

    func delete(_ dn: String, tree: Bool, deadline: Deadline) throws(LDAPError) {
        try ldap.delete(dn, tree: tree, deadline: deadline)
    }

    func login(_ principal: String, keytabPath: String, encryptionTypes: [EncryptionType], deadline: Deadline) throws(KerberosError) -> UInt32? {
        let cache = try CredentialCache(context: context)
        return try context.login(Principal(principal, context: context), keytabPath: keytabPath, encryptionTypes: encryptionTypes,
                                 into: cache, through: kdc, deadline: deadline).clientKeyVersion
    }

    func changePassword(of principal: String, keytabPath: String, encryptionTypes: [EncryptionType], to newPassword: SecretBytes,
                        kpasswd: SocketAddress?, deadline: Deadline) throws(KerberosError) {
        let server = kpasswd.map { KDCConnection(kpasswdAt: $0, port: $0.port, realm: kdc.realm) }
            ?? KDCConnection(kpasswdAt: controller.address, realm: kdc.realm)
        try context.changePassword(Principal(principal, context: context), keytabPath: keytabPath, encryptionTypes: encryptionTypes,
                                   to: newPassword, through: kdc, kpasswd: server, deadline: deadline)
    }

    func deriveKey(_ type: EncryptionType, password: SecretBytes, salt: String) throws(KerberosError) -> SecretBytes {
        try context.deriveKey(type, password: password, salt: salt)
    }
}

/// A machine login's failures, told apart from the join user's (KerberosError.adjoinError maps the rest).
enum JoinFailure {
    /// A login with the machine's keytab: an unknown client means the account is gone, rejected keys a
    /// keytab that no longer matches the account.
    static func machineLogin(_ error: KerberosError, principal: String, keytab: String, deadline: Deadline) -> AdjoinError {
        if error.code == .clientUnknown {
            return AdjoinError(.accountMissing, "the DC does not know \(principal): its computer account is gone (\(error.message))")
        }
        if error.isKeytabFailure {
            return AdjoinError(.keytabInvalid, "the keytab \(keytab) has no usable key for \(principal): \(error.message)")
        }
        if error.isAuthenticationFailure {
            return AdjoinError(.keytabInvalid, "the DC rejects the keys in \(keytab) for \(principal) (was the account's password reset elsewhere?): \(error.message)")
        }
        return error.adjoinError(deadline: deadline)
    }

}
