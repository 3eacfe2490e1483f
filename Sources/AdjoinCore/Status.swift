/// The outcome words of every command, after AWS Storage Gateway's domain membership states,
/// plus the few that users of a join agent need (see README "Statuses and exit codes").
public struct Status: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    /// Process exit code; each status has its own so that scripts can branch without parsing output.
    public let exitCode: Int32

    public init?(rawValue: String) {
        guard let known = Status.all.first(where: { $0.rawValue == rawValue }) else { return nil }
        self = known
    }

    private init(_ rawValue: String, exitCode: Int32) {
        self.rawValue = rawValue
        self.exitCode = exitCode
    }

    public var description: String { rawValue }
    public var isSuccess: Bool { exitCode == 0 }

    public static let joined = Status("JOINED", exitCode: 0)
    public static let detached = Status("DETACHED", exitCode: 0)
    public static let skipped = Status("SKIPPED", exitCode: 0)
    public static let discovered = Status("DISCOVERED", exitCode: 0)
    public static let joining = Status("JOINING", exitCode: 0)
    public static let unknownError = Status("UNKNOWN_ERROR", exitCode: 1)
    public static let accessDenied = Status("ACCESS_DENIED", exitCode: 10)
    public static let insufficientPermissions = Status("INSUFFICIENT_PERMISSIONS", exitCode: 11)
    public static let networkError = Status("NETWORK_ERROR", exitCode: 12)
    public static let timeout = Status("TIMEOUT", exitCode: 13)
    /// DNS says the domain does not exist, or it has no domain controllers.
    public static let domainNotFound = Status("DOMAIN_NOT_FOUND", exitCode: 14)
    /// Bad flags or settings: nothing was attempted.
    public static let invalidInput = Status("INVALID_INPUT", exitCode: 15)
    /// The computer account's name is taken by an account that another host owns.
    public static let accountConflict = Status("ACCOUNT_CONFLICT", exitCode: 16)
    /// The directory side succeeded (or was not reached) but the host could not be configured:
    /// a missing package, a file that could not be edited safely, a distro tool that failed.
    public static let configurationFailed = Status("CONFIGURATION_FAILED", exitCode: 17)

    public static let all: [Status] = [
        .joined, .detached, .skipped, .discovered, .joining, .unknownError, .accessDenied,
        .insufficientPermissions, .networkError, .timeout, .domainNotFound, .invalidInput, .accountConflict,
        .configurationFailed,
    ]
}
