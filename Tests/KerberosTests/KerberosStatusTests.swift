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
        #expect(
            error.message
                == "login as adjoiner@CORP.EXAMPLE.COM failed: the library's text (wrong password, or unknown, disabled or expired user)")
    }

    @Test func anUnreachableKDCIsANetworkErrorUntilTheBudgetIsSpent() {
        #expect(failure(.kdcUnreachable).adjoinError(deadline: Deadline(seconds: 5)).status == .networkError)
        #expect(failure(.realmUnresolvable).adjoinError(deadline: Deadline(seconds: 5)).status == .networkError)
        let late = failure(.kdcUnreachable).adjoinError(deadline: Deadline(seconds: 0))
        #expect(late.status == .timeout)
        #expect(late.message == "login as adjoiner@CORP.EXAMPLE.COM did not finish within the time budget: the library's text")
    }

    @Test func clockSkewIsItsOwnStatusAndNamesBothClocks() {
        var skewed = failure(.clockSkew)
        let ruleOnly = skewed.adjoinError(deadline: Deadline(seconds: 5))
        #expect(ruleOnly.status == .clockSkew)
        #expect(
            ruleOnly.message.contains("(this host's clock differs from the DC's by more than 5 minutes: set this host's clock"),
            "\(ruleOnly.message)")
        // 2026-12-07 07:20:35 UTC here, 06:20:35 at the KDC.
        skewed.clocks = ClockReadings(local: 1_796_628_035, server: 1_796_624_435)
        let named = skewed.adjoinError(deadline: Deadline(seconds: 5))
        #expect(named.status == .clockSkew)
        #expect(
            named.message.contains("this host's clock says 2026-12-07 07:20:35 UTC, the DC's 2026-12-07 06:20:35 UTC: 3600 s ahead of it"),
            "\(named.message)")
    }

    @Test func aCorrectedLoginWarnsOnlyBeyondAMinute() {
        #expect(ClockSkewAdvice.warning(offset: 60) == nil)
        #expect(ClockSkewAdvice.warning(offset: -45) == nil)
        #expect(ClockSkewAdvice.warning(offset: -600)?.hasPrefix("this host's clock is 600 s behind the DC's") == true)
    }

    @Test func passwordChangeRefusalsAreInsufficientPermissionsOnlyThere() {
        let soft = failure(.passwordChangeSoftError).passwordChangeAdjoinError(deadline: Deadline(seconds: 5))
        #expect(soft.status == .insufficientPermissions)
        #expect(soft.message.hasSuffix("(the domain's password policy refused it: a minimum password age?)"))
        #expect(
            failure(.passwordChangeAuthError).passwordChangeAdjoinError(deadline: Deadline(seconds: 5)).status == .insufficientPermissions)
        #expect(
            failure(.passwordChangeAccessDenied).passwordChangeAdjoinError(deadline: Deadline(seconds: 5)).status
                == .insufficientPermissions)
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
