import AdjoinCore
import AWS

/// Whether this instance is going away for good, as the leave unit asks at shutdown: a reboot or a
/// stop must not take the host out of the domain. Instance metadata knows two such signs: Auto
/// Scaling's target lifecycle state `Terminated`, and a spot interruption notice whose action is
/// `terminate` (a spot `stop` or `hibernate` comes back with its disk and its account).
public enum TerminationCheck {
    /// nil when the instance is terminating; else why not, for the message.
    public static func reasonNotTerminating(metadata: InstanceMetadata, deadline: Deadline) throws(AdjoinError) -> String? {
        let lifecycle = try metadata.lifecycleState(deadline: deadline)
        if lifecycle?.trimmingWhitespace == "Terminated" { return nil }
        if let notice = try metadata.spotInstanceAction(deadline: deadline) {
            let action = (try? JSON.parse(Array(notice.utf8)))?["action"]?.string
            if action == "terminate" { return nil }
            return "the spot interruption notice says \(action ?? "nothing readable"), not terminate"
        }
        if let lifecycle { return "the Auto Scaling lifecycle state is \(lifecycle.trimmingWhitespace), not Terminated" }
        return "no Auto Scaling termination and no spot interruption notice: a reboot or a stop"
    }
}
