import AdjoinCore

/// What a leave did, local or remote: the value the command prints, and the one a status reporter
/// (DynamoDB) takes: the status word, the account, and the owner (instance id) found on it.
public struct LeaveResult: Sendable {
    public var status: Status = .detached
    public var domain: String?
    public var computerName: String?
    /// The computer object that was removed, or would have been (nil: none was found).
    public var computerDN: String?
    /// The owner recorded on the object (`adjoin-owner:`): the instance id on EC2.
    public var owner: String?
    public var domainController: String?
    /// Every object removed (a remote leave by instance id can find more than one).
    public var removed: [String] = []
    /// A remote leave's dry run: each account it would remove, with its owner and its DNS records.
    public var wouldRemove: [String] = []
    /// The directory had no such account any more: leaving again, or someone removed it.
    public var accountWasGone = false
    /// This host is a copy of a joined host: the identity whose account was left alone (only this host was cleaned).
    public var copyOf: String?
    /// Host paths put back to their pre-adjoin content, or removed because they did not exist before.
    public var restored: [String] = []
    /// What else happened that the output should tell (sssd stopped, another host's account left alone).
    public var notes: [String] = []
    /// What became of the A record the join registered in DNS (nil: there was none, or DNS was not touched).
    public var dnsRecord: String?
    public var message = ""

    public init() {}
}
