import AdjoinCore
import AWS
import Membership

/// `adjoin sweep`: finds the computer accounts of instances that no longer exist and, with `apply`,
/// deletes them. Each account's instance is asked about in its own AWS account and Region (read from
/// the owner marker; for markers older than that, from the status table's item); another account is
/// reached by assuming `roleName` in it. Nothing is deleted for an account or Region that could not be
/// asked, for an instance that still exists, or for an account without adjoin's marker.
public struct Sweep {
    public var domain: DomainName
    public var place: DirectoryPlace
    public var user: String
    public var password: SecretBytes
    /// Where to look (default: the whole domain).
    public var organizationalUnits: [String] = []
    public var apply = false
    /// How long an account whose instance EC2 no longer knows must have been unused to go.
    public var graceSeconds: Int64 = 86_400
    /// The role to assume in every other AWS account (`arn:aws:iam::ACCOUNT:role/NAME`).
    public var roleName: String?
    public var progress: ProgressSink = { _ in }

    public init(domain: DomainName, place: DirectoryPlace, user: String, password: SecretBytes) {
        self.domain = domain
        self.place = place
        self.user = user
        self.password = password
    }

    /// The role ARN in `accountId`, in the partition of the admin's Region.
    public static func roleARN(account accountId: String, roleName: String, region: String) -> String {
        let partition = region.hasPrefix("cn-") ? "aws-cn" : region.hasPrefix("us-gov-") ? "aws-us-gov" : "aws"
        return "arn:\(partition):iam::\(accountId):role/\(roleName)"
    }

    public func run(context: AdminContext, deadline: Deadline) throws(AdjoinError) -> SweepResult {
        let directory = try InstanceAccounts(
            domain: domain, place: place, user: user, password: password, deadline: deadline, progress: progress)
        let accounts = try directory.list(under: organizationalUnits, deadline: deadline)
        progress(
            "\(accounts.count) computer account(s) with an instance owner under \(organizationalUnits.isEmpty ? domain.baseDN : organizationalUnits.joined(separator: "; "))"
        )
        let aws = SweepAWS(context: context, roleName: roleName, progress: progress)
        let located = accounts.map {
            (account: $0, location: $0.owner.location ?? aws.recordedLocation(of: $0.owner.value, deadline: deadline))
        }

        // EC2, once per AWS account and Region, for all of that place's instances at once.
        var states: [OwnerLocation: [String: String]] = [:]
        var unreachable: [OwnerLocation: String] = [:]
        let places = Set(located.compactMap(\.location)).sorted { ($0.accountId, $0.region) < ($1.accountId, $1.region) }
        for place in places {
            let ids = located.filter { $0.location == place }.map(\.account.owner.value)
            do throws(AdjoinError) {
                progress("Asking EC2 in \(place) about \(ids.count) instance(s)")
                states[place] = try aws.instanceStates(ids, at: place, deadline: deadline)
            } catch {
                progress("warning: not sweeping \(place): \(error.message)")
                unreachable[place] = error.message
            }
        }

        let now = StatusRecord.now() / 1000
        var result = SweepResult(
            domain: domain.value, domainController: directory.domainController, applied: apply, graceSeconds: graceSeconds)
        for (account, location) in located {
            let decision: SweepDecision
            if let location {
                decision = SweepDecision.decide(
                    account, states: states[location], unreachable: unreachable[location].map { "not asked: \($0)" },
                    now: now, graceSeconds: graceSeconds)
            } else {
                let why =
                    "its owner marker names no AWS account and Region (joined by an older adjoin), and "
                    + (aws.statusTableName.map { "the status table \($0) has no item for it" }
                        ?? "no status table was given to look it up in")
                decision = SweepDecision.decide(account, states: nil, unreachable: why, now: now, graceSeconds: graceSeconds)
            }
            var swept = SweptAccount(account: account, location: location, decision: decision)
            if decision.action == .delete && apply, let location {
                do throws(AdjoinError) {
                    progress("Deleting \(account.dn) (\(decision.reason)) and its child objects")
                    swept.dnsRecords = try directory.delete(account, deadline: deadline)
                    swept.deleted = true
                    swept.statusTable = aws.recordDetached(
                        account, at: location, domain: domain.value, domainController: directory.domainController,
                        reason: "swept: " + decision.reason, deadline: deadline)
                } catch {
                    progress("warning: could not delete \(account.dn): \(error.message)")
                    swept.failure = error
                }
            }
            result.accounts.append(swept)
        }
        result.unreachable = unreachable.sorted { ($0.key.accountId, $0.key.region) < ($1.key.accountId, $1.key.region) }.map {
            ($0.key.description, $0.value)
        }
        return result
    }
}

/// One account as the sweep decided it, and what became of it.
public struct SweptAccount: Sendable {
    public let account: InstanceAccount
    public let location: OwnerLocation?
    public let decision: SweepDecision
    public var deleted = false
    /// Why a deletion that was due failed.
    public var failure: AdjoinError?
    /// The status item's write: "written", "superseded", a failure's message; nil without a table.
    public var statusTable: String?
    /// What became of the DNS records the instance's machine registered: "removed NAMES", or why they stay; nil: none.
    public var dnsRecords: String?

    /// The action as reported: `delete` (a dry run's), `deleted`, `keep`, `not-swept`, `failed`.
    public var outcome: String {
        if failure != nil { return "failed" }
        if deleted { return "deleted" }
        return decision.action.rawValue
    }
}

public struct SweepResult: Sendable {
    public let domain: String
    public let domainController: String
    public let applied: Bool
    public let graceSeconds: Int64
    public var accounts: [SweptAccount] = []
    /// AWS accounts and Regions that could not be asked ("123456789012/eu-west-1", why).
    public var unreachable: [(place: String, message: String)] = []

    init(domain: String, domainController: String, applied: Bool, graceSeconds: Int64) {
        self.domain = domain
        self.domainController = domainController
        self.applied = applied
        self.graceSeconds = graceSeconds
    }

    /// PARTIAL when anything could not be decided or a due deletion failed; SWEPT otherwise.
    public var status: Status {
        accounts.contains { $0.decision.action == .notSwept || $0.failure != nil } ? .partial : .swept
    }

    public func count(_ outcome: String) -> Int { accounts.filter { $0.outcome == outcome }.count }

    public var message: String {
        let due = applied ? "deleted \(count("deleted"))" : "would delete \(count("delete"))"
        var parts = ["\(accounts.count) account(s) with an instance owner", due, "kept \(count("keep"))"]
        if count("not-swept") > 0 { parts.append("not swept \(count("not-swept")) (their AWS account or Region could not be asked)") }
        if count("failed") > 0 { parts.append("failed \(count("failed"))") }
        return parts.joined(separator: ", ") + (applied ? "" : " (dry run: nothing was deleted; --apply deletes)")
    }
}
