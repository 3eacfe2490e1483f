import AdjoinCore
import Foundation
import Testing
@testable import Kerberos

/// Kerberos against the lab DC's KDC, with a profile that exists only in memory.
@Suite struct KerberosIntegrationTests {
    let lab: Lab
    let context: KerberosContext
    init() throws {
        lab = try Lab.current()
        context = try KerberosContext(profile: .pinned(realm: lab.realm, kdc: lab.dcIP, kpasswdServer: lab.dcIP))
    }

    @Test func joinUserLogsInAndGetsAnLDAPTicket() throws {
        let cache = try CredentialCache(context: context)
        let user = try Principal(lab.joinUser, context: context)
        try context.login(user, password: SecretBytes(try lab.joinPassword()), into: cache)
        try context.serviceTicket(for: Principal("ldap/\(lab.dcHost)", context: context), cache: cache)
        #expect(user.name == "\(lab.joinUser)@\(lab.realm)")
    }

    @Test func wrongPasswordIsAnAuthenticationFailure() throws {
        let cache = try CredentialCache(context: context)
        let error = #expect(throws: KerberosError.self) {
            try context.login(Principal(lab.joinUser, context: context), password: SecretBytes(Array("not-the-password".utf8)), into: cache)
        }
        #expect(error?.isAuthenticationFailure == true, "\(String(describing: error))")
    }

    @Test func unknownUserIsAnAuthenticationFailure() throws {
        let cache = try CredentialCache(context: context)
        let error = #expect(throws: KerberosError.self) {
            try context.login(Principal("no-such-user-\(UInt32.random(in: 0...UInt32.max))", context: context),
                              password: SecretBytes(Array("whatever".utf8)), into: cache)
        }
        #expect(error?.isAuthenticationFailure == true, "\(String(describing: error))")
    }
}
