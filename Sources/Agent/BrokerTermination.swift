import AdjoinCore
import AWS
import Membership

/// The broker's second door: EC2's "EC2 Instance State-change Notification" for `terminated`, delivered by
/// an EventBridge rule (the blog's event bus, across accounts and Regions) as a direct invocation, which only
/// the rule's permission allows; a function URL request can never take this shape, as the URL wraps every
/// request in its own event. The instance's computer accounts, those whose owner marker names exactly its
/// id, are removed as `adjoin leave --instance-id` removes them (a DC's account never). The event is not
/// believed alone: the account must be allowed, and EC2 in the event's account and Region must report
/// the instance terminated (an instance it does not know may be another account's: `adjoin sweep` decides those).
public struct BrokerTermination {
    public let join: BrokerJoin

    public init(join: BrokerJoin) { self.join = join }

    /// The event's account, Region and instance id, when it is a terminated-state notification; nil for any other event.
    public static func parse(_ event: JSON) -> (account: String, region: String, instanceId: String, state: String)? {
        guard event["source"]?.string == "aws.ec2", event["detail-type"]?.string == "EC2 Instance State-change Notification",
            let account = event["account"]?.string, let region = event["region"]?.string,
            let instanceId = event["detail"]?["instance-id"]?.string, let state = event["detail"]?["state"]?.string
        else { return nil }
        return (account, region, instanceId, state)
    }

    public func handle(
        account: String, region: String, instanceId: String, state: String, deadline: Deadline
    ) throws(AdjoinError) -> LeaveResult {
        guard state == "terminated" else {
            var result = LeaveResult()
            result.status = .skipped
            result.message = "\(instanceId) is \(state), not terminated: nothing to do"
            return result
        }
        guard AWSNames.isAccountId(account), AWSNames.isRegion(region), AccountOwner.isInstanceID(instanceId) else {
            throw .invalidInput("the event names no valid account, Region and instance id")
        }
        if !join.allowed.isEmpty, !join.allowed.entries.contains(where: { $0.accountId == account }) {
            throw AdjoinError(.notAllowed, "the account \(account) is not in the broker's ADJOIN_BROKER_ALLOWED")
        }
        let (settings, perAccount, source) = try join.world.settings(accountId: account, deadline: deadline)
        if !perAccount, join.allowed.isEmpty {
            throw AdjoinError(
                .notAllowed, "the broker's settings (\(source)) are one document for every account, and ADJOIN_BROKER_ALLOWED names none")
        }
        let described = try join.world.describe(instanceId: instanceId, accountId: account, region: region, deadline: deadline)
        guard let described, described.state == "terminated" else {
            throw AdjoinError(
                .notRunning,
                "EC2 in \(region) reports the instance \(instanceId) of \(account) as \(described?.state ?? "unknown"), "
                    + "not terminated: its account is left alone (adjoin sweep decides instances EC2 no longer knows)")
        }
        guard let domain = settings.domain, let joinUser = settings.joinUser, case .secret(let password)? = settings.password else {
            throw AdjoinError(.invalidInput, "\(source) must name the domain, the join user and its password for the broker")
        }
        var place = DirectoryPlace(files: HostFiles())
        place.domainControllers = settings.domainControllers
        place.connector = join.world.connector
        place.clock = join.world.clock
        let leave = RemoteLeave(
            domain: domain, place: place, user: joinUser, password: password, computerName: nil, instanceID: instanceId,
            progress: join.progress)
        return try leave.run(deadline: deadline)
    }
}
