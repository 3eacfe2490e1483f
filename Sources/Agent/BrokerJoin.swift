import AdjoinCore
import AWS
import Membership

/// The broker's decision for one signed request: who the caller is (from the ARN that IAM authorization
/// verified), whether the settings allow its account and role, what EC2 says of the instance (running,
/// its tags, its private name), and then the account: created, or reset when its owner marker names this
/// instance, with a random one-time password, at most once a minute. Nothing comes from the request's
/// body but a Region to look in, and EC2 there must know the instance. Every refusal is thrown before
/// the directory is touched, except the two the account itself decides (another owner's, too recent).
public struct BrokerJoin {
    /// The least time between two password sets of one account (the rate limit).
    public static let minimumResetInterval: Int64 = 60

    public let world: any BrokerWorld
    public let allowed: BrokerAllowList
    /// The broker's own Region: where instances are looked up unless the request names another.
    public let region: String
    public let progress: ProgressSink

    public init(world: any BrokerWorld, allowed: BrokerAllowList, region: String, progress: @escaping ProgressSink) {
        self.world = world
        self.allowed = allowed
        self.region = region
        self.progress = progress
    }

    public enum Decision {
        case join(BrokerAnswer)
        /// The instance's tags opt it out (autoadjoin=false): nothing was created.
        case skipped(String)
    }

    public func decide(callerARN: String, regionHint: String?, deadline: Deadline) throws(AdjoinError) -> Decision {
        let caller = try BrokerCaller(arn: callerARN)
        if !allowed.isEmpty, !allowed.admits(caller) {
            throw AdjoinError(
                .notAllowed, "the account \(caller.accountId) (role \(caller.roleName)) is not in the broker's ADJOIN_BROKER_ALLOWED")
        }
        let (settings, perAccount, source) = try world.settings(accountId: caller.accountId, deadline: deadline)
        if !perAccount, allowed.isEmpty {
            throw AdjoinError(
                .notAllowed,
                "the broker's settings (\(source)) are one document for every account, and ADJOIN_BROKER_ALLOWED "
                    + "names none: the account \(caller.accountId) is not allowed")
        }
        if !settings.brokerRoles.isEmpty, !settings.brokerRoles.contains(caller.roleName) {
            throw AdjoinError(
                .notAllowed,
                "the role \(caller.roleName) is not among the brokerRoles of \(source) "
                    + "(\(settings.brokerRoles.joined(separator: ", ")))")
        }
        let region =
            try regionHint.map { (hint) throws(AdjoinError) in
                guard AWSNames.isRegion(hint) else { throw .invalidInput("the request's Region \"\(hint)\" is not an AWS Region") }
                return hint
            } ?? self.region
        progress("\(caller.instanceId) (account \(caller.accountId), role \(caller.roleName)): asking EC2 in \(region)")
        guard
            let instance = try world.describe(
                instanceId: caller.instanceId, accountId: caller.accountId, region: region, deadline: deadline)
        else {
            throw AdjoinError(
                .notRunning, "EC2 in \(region) does not know the instance \(caller.instanceId) in the account \(caller.accountId)")
        }
        guard instance.state == "running" else {
            throw AdjoinError(.notRunning, "EC2 says the instance \(caller.instanceId) is \(instance.state), not running")
        }
        let tags = InstanceTags(instance.tags, source: "EC2 DescribeInstances")
        if tags.optedOut(tag: settings.autoJoinTag) {
            return .skipped("the instance's tag \(settings.autoJoinTag)=false opts it out: the broker created nothing")
        }
        guard let domain = settings.domain, let joinUser = settings.joinUser, case .secret(let password)? = settings.password else {
            throw AdjoinError(
                .invalidInput,
                "\(source) must name the domain, the join user and its password (joinPasswordSecret or joinPasswordParameter) for the broker"
            )
        }
        let (name, fqdn) = try JoinUseCase.instanceNames(
            settings.computerNameFrom, instanceId: caller.instanceId,
            hostname: instance.privateDnsName ?? caller.instanceId, domain: domain)
        let loginGroups = try tags.group(tag: settings.groupTag).map { [$0] } ?? settings.login.allowedGroups
        let sudoGroup = try tags.group(tag: settings.sudoGroupTag) ?? settings.login.sudoGroup
        let target = AccountTarget(
            domain: domain, computerName: name, hostFQDN: fqdn,
            owner: .instance(caller.instanceId, accountId: caller.accountId, region: region),
            organizationalUnit: settings.organizationalUnit, osRelease: nil,
            actor: JoinRequest.principal(of: joinUser, realm: domain.realm))
        var preset = AccountPreset(target, password: password, connector: world.connector, progress: progress)
        preset.domainControllers = settings.domainControllers
        preset.minimumPasswordAge = (Self.minimumResetInterval, world.clock.secondsSince1970)
        let outcome = try preset.run(deadline: deadline)
        progress("\(outcome.created ? "created" : "reset") \(outcome.computerDN) for \(caller.instanceId) on \(outcome.domainController)")
        return .join(
            BrokerAnswer(
                instanceId: caller.instanceId, domain: domain.value,
                domainControllers: settings.domainControllers.isEmpty
                    ? [outcome.domainController] : settings.domainControllers.map(\.description),
                domainController: outcome.domainController,
                computerName: name.value, hostFQDN: fqdn, computerDN: outcome.computerDN, organizationalUnit: settings.organizationalUnit,
                created: outcome.created, loginGroups: loginGroups.map(\.value), sudoGroup: sudoGroup?.value, settings: settings,
                oneTimePassword: outcome.oneTimePassword, warnings: outcome.warnings))
    }
}
