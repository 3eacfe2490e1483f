import AdjoinCore
import Membership

/// What `sweep` does with one account, and why. Pure: the same facts always give the same answer.
public struct SweepDecision: Sendable, Equatable {
    public enum Action: String, Sendable {
        /// The instance is gone: the account goes (with --apply; otherwise it would).
        case delete
        /// The instance exists, or may still: the account stays.
        case keep
        /// Its AWS account or Region could not be asked: nothing is decided, nothing deleted.
        case notSwept = "not-swept"
    }

    public let action: Action
    /// What EC2 said: its state name, `unknown` (EC2 does not know the id), or nil (not asked).
    public let state: String?
    public let reason: String

    /// The states in which an instance still exists: its account is never deleted.
    static let living: Set<String> = ["pending", "running", "stopping", "stopped", "shutting-down"]

    /// `states`: EC2's answer for the account's AWS account and Region (nil: that could not be asked,
    /// `unreachable` says why); `now` and `graceSeconds` decide for an instance EC2 no longer knows.
    public static func decide(
        _ account: InstanceAccount, states: [String: String]?, unreachable: String?,
        now: Int64, graceSeconds: Int64
    ) -> SweepDecision {
        guard let states else {
            return SweepDecision(action: .notSwept, state: nil, reason: unreachable ?? "its AWS account and Region were not asked")
        }
        let instance = account.owner.value
        switch states[instance] {
        case "terminated":
            return SweepDecision(action: .delete, state: "terminated", reason: "EC2 reports \(instance) terminated")
        case let state? where living.contains(state):
            return SweepDecision(action: .keep, state: state, reason: "\(instance) is \(state)")
        case let state?:
            // A state this version does not know: an instance that exists in some form.
            return SweepDecision(action: .keep, state: state, reason: "\(instance) is in a state adjoin does not know (\(state))")
        case nil:
            guard let used = account.lastUsed else {
                return SweepDecision(
                    action: .keep, state: "unknown",
                    reason: "EC2 does not know \(instance), and the account has no lastLogonTimestamp or pwdLastSet to age it by")
            }
            let unused = now - used
            if unused >= graceSeconds {
                return SweepDecision(
                    action: .delete, state: "unknown",
                    reason:
                        "EC2 does not know \(instance), and its account has been unused for \(describe(unused)) (grace \(describe(graceSeconds)))"
                )
            }
            return SweepDecision(
                action: .keep, state: "unknown",
                reason:
                    "EC2 does not know \(instance), but its account was used \(describe(max(unused, 0))) ago, within the grace of \(describe(graceSeconds))"
            )
        }
    }

    /// 90061 -> "1d 1h 1m 1s"; 0 -> "0s".
    static func describe(_ seconds: Int64) -> String {
        let parts = [(seconds / 86_400, "d"), (seconds % 86_400 / 3600, "h"), (seconds % 3600 / 60, "m"), (seconds % 60, "s")]
        let shown = parts.filter { $0.0 > 0 }.map { "\($0.0)\($0.1)" }
        return shown.isEmpty ? "0s" : shown.joined(separator: " ")
    }

    /// `--grace`: a number with a unit (`s`, `m`, `h`, `d`; `24h`, `90m`, `7d`), or seconds alone.
    public static func parseDuration(_ text: String) -> Int64? { DurationText.seconds(text) }
}
