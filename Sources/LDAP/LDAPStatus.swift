import AdjoinCore

/// The one mapping of LDAP failures to statuses.
extension LDAPError {
    public func adjoinError(deadline: Deadline) -> AdjoinError {
        if isPermissionDenied { return AdjoinError(.insufficientPermissions, description) }
        if isAuthenticationFailure { return AdjoinError(.accessDenied, description) }
        if isTimeout || deadline.isExpired { return .timeout(description) }
        if isNetworkFailure { return .network(description) }
        return AdjoinError(.unknownError, description)
    }
}
