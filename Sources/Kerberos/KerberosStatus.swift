import AdjoinCore

/// The one mapping of Kerberos failures to statuses, with messages that name the cause.
extension KerberosError {
    public func adjoinError(deadline: Deadline) -> AdjoinError {
        if code.isAuthenticationFailure {
            return AdjoinError(.accessDenied, "\(operation) failed: \(message) (wrong password, or unknown, disabled or expired user)")
        }
        if deadline.isExpired { return .timeout("\(operation) did not finish within the time budget: \(message)") }
        if code.isNetworkFailure { return .network("\(operation): \(message)") }
        if code == .clockSkew { return AdjoinError(.clockSkew, "\(operation): \(message) (\(ClockSkewAdvice.describe(clocks)))") }
        return AdjoinError(.unknownError, description)
    }

    /// A failed password change: the kpasswd server's refusals first (their codes are small numbers that
    /// mean something else anywhere but here), then as any other failure.
    public func passwordChangeAdjoinError(deadline: Deadline) -> AdjoinError {
        switch code {
        case .passwordChangeSoftError:
            return AdjoinError(
                .insufficientPermissions, "\(description) (the domain's password policy refused it: a minimum password age?)")
        case .passwordChangeAccessDenied, .passwordChangeAuthError:
            return AdjoinError(.insufficientPermissions, description)
        default:
            return adjoinError(deadline: deadline)
        }
    }
}
