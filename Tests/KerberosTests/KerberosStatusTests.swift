import AdjoinCore
import Testing
@testable import Kerberos

/// The one mapping of Kerberos codes to statuses: each category, and the order in which they are told apart.
@Suite struct KerberosStatusTests {
    private func failure(_ code: KerberosCode) -> KerberosError {
        KerberosError(code: code, message: "the library's text", operation: "login as adjoiner@CORP.EXAMPLE.COM")
    }

    @Test(arguments: [KerberosCode.preauthFailed, .clientUnknown, .clientRevoked, .passwordExpired, .integrityFailed])
    func aRefusedLoginIsAccessDenied(code: KerberosCode) {
        let error = failure(code).adjoinError(deadline: Deadline(seconds: 5))
        #expect(error.status == .accessDenied)
        #expect(error.message == "login as adjoiner@CORP.EXAMPLE.COM failed: the library's text (wrong password, or unknown, disabled or expired user)")
    }

    @Test func anUnreachableKDCIsANetworkErrorUntilTheBudgetIsSpent() {
        #expect(failure(.kdcUnreachable).adjoinError(deadline: Deadline(seconds: 5)).status == .networkError)
        #expect(failure(.realmUnresolvable).adjoinError(deadline: Deadline(seconds: 5)).status == .networkError)
        let late = failure(.kdcUnreachable).adjoinError(deadline: Deadline(seconds: 0))
        #expect(late.status == .timeout)
        #expect(late.message == "login as adjoiner@CORP.EXAMPLE.COM did not finish within the time budget: the library's text")
    }

    @Test func clockSkewNamesTheClock() {
        let error = failure(.clockSkew).adjoinError(deadline: Deadline(seconds: 5))
        #expect(error.status == .accessDenied)
        #expect(error.message.hasSuffix("(this host's clock differs from the DC's by more than 5 minutes)"))
    }

    @Test func passwordChangeRefusalsAreInsufficientPermissionsOnlyThere() {
        let soft = failure(.passwordChangeSoftError).passwordChangeAdjoinError(deadline: Deadline(seconds: 5))
        #expect(soft.status == .insufficientPermissions)
        #expect(soft.message.hasSuffix("(the domain's password policy refused it: a minimum password age?)"))
        #expect(failure(.passwordChangeAuthError).passwordChangeAdjoinError(deadline: Deadline(seconds: 5)).status == .insufficientPermissions)
        #expect(failure(.passwordChangeAccessDenied).passwordChangeAdjoinError(deadline: Deadline(seconds: 5)).status == .insufficientPermissions)
        // Outside a password change, 2 is ENOENT (a missing keytab), not a kpasswd refusal.
        #expect(failure(.passwordChangeAuthError).adjoinError(deadline: Deadline(seconds: 5)).status == .unknownError)
        #expect(failure(.preauthFailed).passwordChangeAdjoinError(deadline: Deadline(seconds: 5)).status == .accessDenied)
    }

    @Test func keytabCodesAreKeytabFailures() {
        for code in [KerberosCode.keytabEntryNotFound, .keytabEmpty, .keytabBadFormat, .noSuchFile] {
            #expect(failure(code).isKeytabFailure, "\(code)")
        }
        #expect(!failure(.preauthFailed).isKeytabFailure)
    }
}
