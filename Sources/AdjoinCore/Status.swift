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
    /// `rotate`: the machine password was changed and the keytab proven with the new keys.
    public static let rotated = Status("ROTATED", exitCode: 0)
    /// `rotate`: the machine password is younger than --max-age; nothing was changed.
    public static let notDue = Status("NOT_DUE", exitCode: 0)
    /// `status`: every check passed.
    public static let healthy = Status("HEALTHY", exitCode: 0)
    public static let unknownError = Status("UNKNOWN_ERROR", exitCode: 1)
    public static let accessDenied = Status("ACCESS_DENIED", exitCode: 10)
    public static let insufficientPermissions = Status("INSUFFICIENT_PERMISSIONS", exitCode: 11)
    public static let networkError = Status("NETWORK_ERROR", exitCode: 12)
    public static let timeout = Status("TIMEOUT", exitCode: 13)
    /// DNS says the domain does not exist, or it has no domain controllers.
    public static let domainNotFound = Status("DOMAIN_NOT_FOUND", exitCode: 14)
    /// Bad flags or settings, or a name the directory does not hold: nothing was changed.
    public static let invalidInput = Status("INVALID_INPUT", exitCode: 15)
    /// The computer account's name is taken by an account that another host owns.
    public static let accountConflict = Status("ACCOUNT_CONFLICT", exitCode: 16)
    /// The directory side succeeded (or was not reached) but the host could not be configured:
    /// a missing package, a file that could not be edited safely, a distro tool that failed.
    public static let configurationFailed = Status("CONFIGURATION_FAILED", exitCode: 17)
    // Why a joined host is not healthy (`status`; `rotate` and `leave` use them for the same causes).
    /// adjoin has not joined this host (no record of a join, no keys of a computer account).
    public static let notJoined = Status("NOT_JOINED", exitCode: 20)
    /// The keytab is missing, unreadable or lacks the machine's keys, the DC rejects them, or its
    /// newest kvno is not the directory's.
    public static let keytabInvalid = Status("KEYTAB_INVALID", exitCode: 21)
    /// The DC does not know the computer account any more.
    public static let accountMissing = Status("ACCOUNT_MISSING", exitCode: 22)
    /// A configuration file the join wrote is missing or no longer says what it should.
    public static let configurationDrift = Status("CONFIGURATION_DRIFT", exitCode: 23)
    /// The host was configured for sssd, but sssd is not running.
    public static let sssdNotRunning = Status("SSSD_NOT_RUNNING", exitCode: 24)
    /// This host is a copy of a joined host (an image made from it): its join record names another
    /// identity (instance id or machine id) than the host's own. Nothing of the other's is touched.
    public static let cloned = Status("CLONED", exitCode: 25)
    /// Another state-changing adjoin command holds this host's lock and did not finish within the budget.
    public static let busy = Status("BUSY", exitCode: 26)
    /// `sweep`: every account was decided (deleted, or kept for a reason), nothing was left unasked.
    public static let swept = Status("SWEPT", exitCode: 0)
    /// `sweep`: some accounts could not be decided (their AWS account or Region could not be asked, or
    /// a deletion failed): nothing was deleted for those; the rest was swept.
    public static let partial = Status("PARTIAL", exitCode: 27)

    public static let all: [Status] = [
        .joined, .detached, .skipped, .discovered, .joining, .unknownError, .accessDenied,
        .insufficientPermissions, .networkError, .timeout, .domainNotFound, .invalidInput, .accountConflict,
        .configurationFailed, .rotated, .notDue, .healthy, .notJoined, .keytabInvalid, .accountMissing,
        .configurationDrift, .sssdNotRunning, .cloned, .busy, .swept, .partial,
    ]
}
