import AdjoinCore
import AWS
import Membership

/// The AWS side of `sweep`, from the admin's place (an instance, a workstation, a CI runner, a container):
/// its own credentials in its own account, an
/// assumed role in every other one (assumed once per account), EC2 in each instance's Region, and the
/// status table where the joins reported.
final class SweepAWS {
    private let context: AdminContext
    private let roleName: String?
    private let progress: (String) -> Void
    private var accounts: [String: Result<AWSCredentialProvider, AdjoinError>] = [:]
    private var locationTable: StatusTable??

    init(context: AdminContext, roleName: String?, progress: @escaping (String) -> Void) {
        self.context = context
        self.roleName = roleName
        self.progress = progress
    }

    var statusTableName: String? { context.settings.statusTable }

    /// The admin's own credentials in its own account; another account's through `roleName`,
    /// assumed at once so that a role that cannot be assumed is known before anything is decided.
    func credentials(for accountId: String, deadline: Deadline) throws(AdjoinError) -> AWSCredentialProvider {
        if accountId == context.accountId { return context.credentials }
        if let known = accounts[accountId] { return try known.get() }
        let outcome: Result<AWSCredentialProvider, AdjoinError>
        do throws(AdjoinError) {
            guard let roleName else {
                throw AdjoinError(
                    .accessDenied,
                    "the instance is in the AWS account \(accountId), not this one (\(context.accountId)), and no --role-name was given to reach it"
                )
            }
            let arn = Sweep.roleARN(account: accountId, roleName: roleName, region: context.region)
            progress("Assuming \(arn)")
            let sts = try STSClient(region: context.region, credentials: context.credentials, environment: context.environment)
            let assumed = AssumedRoleCredentials(roleArn: arn, sessionName: "adjoin-sweep-" + context.caller, sts: sts)
            _ = try assumed.credentials(deadline: deadline)
            outcome = .success(assumed)
        } catch {
            outcome = .failure(error)
        }
        accounts[accountId] = outcome
        return try outcome.get()
    }

    func instanceStates(_ ids: [String], at place: OwnerLocation, deadline: Deadline) throws(AdjoinError) -> [String: String] {
        let ec2 = try EC2Client(
            region: place.region, credentials: try credentials(for: place.accountId, deadline: deadline),
            environment: context.environment)
        return try ec2.instanceStates(ids, deadline: deadline)
    }

    /// For a marker without a location: the accountId and region the join recorded in its status item
    /// (in `statusRegion`, else this instance's Region). nil when there is no table or no such item.
    func recordedLocation(of instanceId: String, deadline: Deadline) -> OwnerLocation? {
        do throws(AdjoinError) {
            if locationTable == nil {
                locationTable = .some(
                    try statusTableName.map { (table) throws(AdjoinError) in
                        try StatusTable(
                            table: table, region: context.settings.statusRegion ?? context.region, roleArn: context.settings.statusRoleArn,
                            sessionName: "adjoin-sweep-" + context.caller, credentials: context.credentials,
                            environment: context.environment)
                    })
            }
            guard let table = locationTable ?? nil, let item = try table.item(instanceId: instanceId, deadline: deadline),
                let account = item["accountId"]?["S"]?.string, let region = item["region"]?["S"]?.string
            else { return nil }
            return OwnerLocation(accountId: account, region: region)
        } catch {
            progress("warning: could not read the status item of \(instanceId): \(error.message)")
            return nil
        }
    }

    /// DETACHED with the reason, where the instance's join reported: the settings' table, in
    /// `statusRegion` (else the instance's Region), through `statusRoleArn` (else with the credentials
    /// that reached the instance's account). Returns the write's result for the output; nil without a table.
    func recordDetached(
        _ account: InstanceAccount, at place: OwnerLocation, domain: String, domainController: String,
        reason: String, deadline: Deadline
    ) -> String? {
        guard let table = statusTableName else { return nil }
        do throws(AdjoinError) {
            let settings = context.settings
            let writer = try StatusTable(
                table: table, region: settings.statusRegion ?? place.region, roleArn: settings.statusRoleArn,
                sessionName: "adjoin-sweep-" + context.caller,
                credentials: settings.statusRoleArn == nil
                    ? try credentials(for: place.accountId, deadline: deadline) : context.credentials,
                environment: context.environment)
            let record = StatusRecord(
                instanceId: account.owner.value, status: .detached, domain: domain, computerName: account.computerName,
                computerDN: account.dn, domainController: domainController, accountId: place.accountId, region: place.region,
                message: reason, runStartedAtMilliseconds: StatusRecord.now())
            switch try writer.record(record, deadline: deadline) {
            case .written: return "written"
            case .superseded: return "superseded"
            }
        } catch {
            progress("warning: could not record DETACHED for \(account.owner.value) in \(table): \(error.message)")
            return error.message
        }
    }
}
