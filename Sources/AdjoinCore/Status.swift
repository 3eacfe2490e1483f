/// The outcome words of every command, after AWS Storage Gateway's domain membership states,
/// plus the few that users of a join agent need. Each is declared here once, with its exit code, the
/// commands that end with it and what it means to an operator: `--help`, the man page and docs/troubleshooting.md's
/// table are made from these (StatusDocumentation), and a test fails when a copy drifts.
public struct Status: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    /// Process exit code; each status has its own so that scripts can branch without parsing output.
    public let exitCode: Int32
    /// The commands that can end with it (none: a state only the status table holds).
    public let commands: [AdjoinCommand]
    /// What it means, in the operator's words, without the commands (those are in `commands`).
    public let meaning: String

    public init?(rawValue: String) {
        guard let known = Status.all.first(where: { $0.rawValue == rawValue }) else { return nil }
        self = known
    }

    private init(_ rawValue: String, exitCode: Int32, _ commands: [AdjoinCommand], _ meaning: String) {
        self.rawValue = rawValue
        self.exitCode = exitCode
        self.commands = commands
        self.meaning = meaning
    }

    public var description: String { rawValue }
    public var isSuccess: Bool { exitCode == 0 }

    // Equal by word: the word is what the table, the JSON and the exit code stand for.
    public static func == (lhs: Status, rhs: Status) -> Bool { lhs.rawValue == rhs.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

    public static let discovered = Status("DISCOVERED", exitCode: 0, [.discover], "a domain controller answered")
    public static let joined = Status(
        "JOINED", exitCode: 0, [.join], "the host is joined and configured (with --unless-joined: it already was, and nothing changed)")
    public static let detached = Status(
        "DETACHED", exitCode: 0, [.leave],
        "the host has left the domain, or a remote leave removed the account (or found none)")
    public static let skipped = Status(
        "SKIPPED", exitCode: 0, [.join, .leave],
        "nothing was done: the instance opts out with the tag autoadjoin=false, or (leave --only-if-terminating) it is not terminating")
    /// `rotate`: the machine password was changed and the keytab proven with the new keys.
    public static let rotated = Status("ROTATED", exitCode: 0, [.rotate], "the machine password was changed and the new keys proven")
    /// `rotate`: the machine password is younger than --max-age; nothing was changed.
    public static let notDue = Status(
        "NOT_DUE", exitCode: 0, [.rotate], "the machine password is younger than --max-age; nothing was changed")
    /// `status`: every check passed.
    public static let healthy = Status(
        "HEALTHY", exitCode: 0, [.status],
        "the keytab logs in, the account is at the keytab's kvno, the files say what the join wrote, and sssd runs")
    /// `preset`: the computer account stands with a new one-time password, written where --one-time-password-file said.
    public static let preset = Status(
        "PRESET", exitCode: 0, [.preset],
        "the computer account was created, or this owner's reset, with a new one-time password, written to --one-time-password-file (mode 0600) and nowhere else"
    )
    /// `sweep`: every account was decided (deleted, or kept for a reason), nothing was left unasked.
    public static let swept = Status(
        "SWEPT", exitCode: 0, [.sweep],
        "every account found was decided: deleted (with --apply), or kept because its instance still exists or may")
    public static let joining = Status("JOINING", exitCode: 0, [], "not an outcome: the status table holds it while a join is under way")
    public static let unknownError = Status(
        "UNKNOWN_ERROR", exitCode: 1, AdjoinCommand.allCases, "anything not below; the message says what")
    public static let accessDenied = Status(
        "ACCESS_DENIED", exitCode: 10, [.join, .preset, .leave, .rotate, .status, .sweep],
        "authentication failed: a wrong password, an unknown or disabled user, or AWS refused the instance's credentials; for join --one-time-password-stdin, a one-time password used already or reset since (preset the account again)"
    )
    public static let insufficientPermissions = Status(
        "INSUFFICIENT_PERMISSIONS", exitCode: 11, [.join, .preset, .leave, .rotate, .sweep],
        "authenticated, but the directory refused the change; the message names the right that is missing")
    public static let networkError = Status(
        "NETWORK_ERROR", exitCode: 12, AdjoinCommand.allCases,
        "no domain controller, DNS server or AWS endpoint answered, or a connection failed")
    public static let timeout = Status(
        "TIMEOUT", exitCode: 13, AdjoinCommand.allCases,
        "the --timeout budget (default 20 s) was spent mid-operation; for a join, the message says what its undo removed or left")
    /// DNS says the domain does not exist, or it has no domain controllers.
    public static let domainNotFound = Status(
        "DOMAIN_NOT_FOUND", exitCode: 14, AdjoinCommand.allCases,
        "DNS does not know the domain's controllers, or the controllers asked do not serve it")
    /// Bad flags or settings, or a name the directory does not hold: nothing was changed.
    public static let invalidInput = Status(
        "INVALID_INPUT", exitCode: 15, AdjoinCommand.allCases,
        "a setting or flag is malformed, names what the directory does not hold (an OU) or a --user of another realm, or (join) a computer name or domain other than the one this host is joined as (leave first); nothing was changed"
    )
    /// The computer account's name is taken by an account that another host owns.
    public static let accountConflict = Status(
        "ACCOUNT_CONFLICT", exitCode: 16, [.join, .preset, .leave, .sweep],
        "the computer account belongs to another host (or another host claiming the same --owner holds it), carries no adjoin owner marker (a remote leave by name; a preset of an existing account), or is a domain controller's; it was not changed"
    )
    /// The directory side succeeded (or was not reached) but the host could not be configured:
    /// a missing package, a file that could not be edited safely, a distro tool that failed.
    public static let configurationFailed = Status(
        "CONFIGURATION_FAILED", exitCode: 17, [.join, .leave, .rotate],
        "the host could not be configured (sssd not installed, a PAM file that cannot be edited safely, a distribution tool that failed) or, for leave, sssd could not be stopped; after a successful join the account and keytab stay and a rerun completes the host; for join and rotate with --update-samba, Samba could not be given the new password (the message says what to run)"
    )
    // Why a joined host is not healthy (`status`; `rotate` and `leave` use them for the same causes).
    /// adjoin has not joined this host (no record of a join, no keys of a computer account).
    public static let notJoined = Status(
        "NOT_JOINED", exitCode: 20, [.status, .rotate],
        "adjoin has not joined this host; the message says when a join was interrupted (join again to complete it, or leave to remove its account)"
    )
    /// The keytab is missing, unreadable or lacks the machine's keys, the DC rejects them, or its
    /// newest kvno is not the directory's.
    public static let keytabInvalid = Status(
        "KEYTAB_INVALID", exitCode: 21, [.status, .rotate, .leave],
        "the keytab is missing, readable by others or lacks the machine's keys, the DC rejects them, or its newest kvno is not the account's (leave: give --user; also after an interrupted join that left no keys that log in)"
    )
    /// The DC does not know the computer account any more.
    public static let accountMissing = Status(
        "ACCOUNT_MISSING", exitCode: 22, [.status, .rotate], "the computer account is gone from the directory")
    /// A configuration file the join wrote is missing or no longer says what it should.
    public static let configurationDrift = Status(
        "CONFIGURATION_DRIFT", exitCode: 23, [.status],
        "a file the join wrote is missing or no longer says what it wrote, or lets more users log in or use sudo than the join allowed; join --unless-joined writes it again"
    )
    /// The host was configured for sssd, but sssd is not running.
    public static let sssdNotRunning = Status(
        "SSSD_NOT_RUNNING", exitCode: 24, [.status], "the host is configured for sssd, but sssd is not running")
    /// This host is a copy of a joined host (an image made from it): its join record names another
    /// identity (instance id or machine id) than the host's own. Nothing of the other's is touched.
    public static let cloned = Status(
        "CLONED", exitCode: 25, [.status, .rotate],
        "this host is a copy of a joined host (an image made from it): its join record names another instance or machine id; nothing of the other's is touched, join joins this host as itself"
    )
    /// Another state-changing adjoin command holds this host's lock and did not finish within the budget.
    public static let busy = Status(
        "BUSY", exitCode: 26, [.join, .leave, .rotate],
        "another join, leave or rotate holds this host's lock (/run/adjoin.lock) past half of this command's budget; nothing was done (transient: try again)"
    )
    /// `sweep`: some accounts could not be decided (their AWS account or Region could not be asked, or
    /// a deletion failed): nothing was deleted for those; the rest was swept.
    public static let partial = Status(
        "PARTIAL", exitCode: 27, [.sweep],
        "some accounts could not be decided (their AWS account or Region could not be asked) or a deletion failed; nothing was deleted for them, and a rerun completes the sweep"
    )
    /// This host's clock and the DC's differ by more than Kerberos allows; the boot join waits for the time service.
    public static let clockSkew = Status(
        "CLOCK_SKEW", exitCode: 28, [.join, .preset, .leave, .rotate, .status, .sweep],
        "this host's clock and the domain controller's differ by more than Kerberos allows (5 minutes); the message names both: set the clock (a time service) and run again. The boot join keeps trying, as the time service may not have synced yet"
    )
    /// `rotate`: smb.conf makes Samba on this host a member of the domain, and it keeps the machine password too.
    public static let sambaInUse = Status(
        "SAMBA_IN_USE", exitCode: 29, [.rotate],
        "Samba on this host is a member of the domain (its smb.conf sets security to ads for this realm) and keeps the machine password too, and rotate was not told to keep it in step; nothing was changed: run with --update-samba (or join with --update-samba or the setting updateSamba)"
    )

    /// The broker refused: the caller's AWS account, or its role, is not one the central settings allow.
    public static let notAllowed = Status(
        "NOT_ALLOWED", exitCode: 30, [.join],
        "(broker) the instance's AWS account has no item in the central settings, or its role is not among the item's brokerRoles (or ADJOIN_BROKER_ALLOWED); nothing was created: add the account (or role) and join again"
    )
    /// The broker refused: EC2 does not report the calling instance as running.
    public static let notRunning = Status(
        "NOT_RUNNING", exitCode: 31, [.join],
        "(broker) EC2 does not report the calling instance as running (stopped, stopping, terminated, or unknown in its account and Region); nothing was created"
    )
    /// The broker refused: this instance's account had its password set less than a minute ago.
    public static let rateLimited = Status(
        "RATE_LIMITED", exitCode: 32, [.join],
        "(broker) this instance's computer account had its password set less than 60 seconds ago (by the broker or by the instance); nothing was changed (transient: the boot join tries again)"
    )

    /// In the order the documentation lists them: the successes, then by exit code.
    public static let all: [Status] = [
        .discovered, .joined, .detached, .skipped, .rotated, .notDue, .healthy, .swept, .preset, .joining,
        .unknownError, .accessDenied, .insufficientPermissions, .networkError, .timeout, .domainNotFound, .invalidInput,
        .accountConflict, .configurationFailed, .notJoined, .keytabInvalid, .accountMissing, .configurationDrift,
        .sssdNotRunning, .cloned, .busy, .partial, .clockSkew, .sambaInUse, .notAllowed, .notRunning, .rateLimited,
    ]

    /// swift-argument-parser's exit code for a usage error (an unknown flag, a bad value, flags that cannot go together).
    public static let usageErrorExitCode: Int32 = 64
    public static let usageErrorMeaning =
        "an unknown flag, a missing argument, a value out of range or of the wrong form, or flags that cannot go together: found before anything runs, printed as plain text even with --output json"
}

/// The commands, as the statuses name them.
public enum AdjoinCommand: String, CaseIterable, Sendable {
    case discover, join, preset, leave, rotate, status, sweep
}
