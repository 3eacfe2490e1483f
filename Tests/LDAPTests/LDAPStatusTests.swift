import AdjoinCore
import Testing
@testable import LDAP

/// The one mapping of LDAP result codes to statuses.
@Suite struct LDAPStatusTests {
    private func failure(_ code: LDAPResultCode, diagnostic: String? = nil) -> LDAPError {
        LDAPError(code: code, message: "libldap's text", diagnostic: diagnostic, operation: "creating CN=WEB1,OU=Servers")
    }

    @Test func refusalsForLackOfRightsAreInsufficientPermissions() {
        let refused = failure(.insufficientAccess, diagnostic: "00002098: SecErr").adjoinError(deadline: Deadline(seconds: 5))
        #expect(refused.status == .insufficientPermissions)
        #expect(refused.message == "creating CN=WEB1,OU=Servers: libldap's text (00002098: SecErr)")
        // AD says "unwilling" for some of these; only its diagnostic tells a rights problem from another.
        #expect(
            failure(.unwillingToPerform, diagnostic: "problem 4003 (INSUFF_ACCESS_RIGHTS)").adjoinError(deadline: Deadline(seconds: 5))
                .status == .insufficientPermissions)
        #expect(
            failure(.unwillingToPerform, diagnostic: "problem 5003 (WILL_NOT_PERFORM)").adjoinError(deadline: Deadline(seconds: 5)).status
                == .unknownError)
    }

    @Test func eachCategoryHasItsStatus() {
        #expect(failure(.invalidCredentials).adjoinError(deadline: Deadline(seconds: 5)).status == .accessDenied)
        #expect(failure(.inappropriateAuthentication).adjoinError(deadline: Deadline(seconds: 5)).status == .accessDenied)
        #expect(failure(.timeout).adjoinError(deadline: Deadline(seconds: 5)).status == .timeout)
        #expect(failure(.timeLimitExceeded).adjoinError(deadline: Deadline(seconds: 5)).status == .timeout)
        #expect(failure(.serverDown).adjoinError(deadline: Deadline(seconds: 5)).status == .networkError)
        #expect(failure(.connectError).adjoinError(deadline: Deadline(seconds: 5)).status == .networkError)
        #expect(failure(.serverDown).adjoinError(deadline: Deadline(seconds: 0)).status == .timeout)
        #expect(failure(.constraintViolation).adjoinError(deadline: Deadline(seconds: 5)).status == .unknownError)
    }

    @Test func codesAreLibldapsNumbers() {
        // RFC 4511's values, and libldap's negative client codes, as servers and libldap send them.
        #expect(LDAPResultCode.noSuchObject.rawValue == 32)
        #expect(LDAPResultCode.insufficientAccess.rawValue == 50)
        #expect(LDAPResultCode.invalidDNSyntax.rawValue == 34)
        #expect(LDAPResultCode.serverDown.rawValue == -1)
        #expect(LDAPResultCode.timeout.rawValue == -5)
    }
}
