import AdjoinCore
import AWS
import Membership

/// What the broker asks, each through one call, so that a unit test can script every one and fail on
/// any other: the central settings for the caller's account, EC2 in that account, and the directory.
public protocol BrokerWorld: AnyObject {
    /// The caller's account's settings, the join password among them (resolved), and whether they are that
    /// account's own (an item of the central table) rather than one document for every account.
    /// NOT_ALLOWED when the central table has no item for the account.
    func settings(accountId: String, deadline: Deadline) throws(AdjoinError) -> (settings: AgentSettings, perAccount: Bool, source: String)
    /// What EC2 in the instance's account and Region says of it (through the member account's role); nil: unknown there.
    func describe(
        instanceId: String, accountId: String, region: String, deadline: Deadline
    ) throws(AdjoinError) -> EC2Client.InstanceDescription?
    /// Locates the DC and logs in as the join user.
    var connector: any DirectoryConnector { get }
    /// The calendar clock the rate limit compares pwdLastSet with.
    var clock: any WallClock { get }
}

/// `ADJOIN_BROKER_ALLOWED`: the accounts (and, as ACCOUNT/ROLE, roles) the broker accepts, whatever the
/// settings say: comma- or space-separated. Required when the settings are one document for every
/// account (a parameter); with the central table, the item's existence allows an account, and this list,
/// when set, narrows it further.
public struct BrokerAllowList: Sendable, Equatable {
    public var entries: [(accountId: String, roleName: String?)]

    public static func == (lhs: BrokerAllowList, rhs: BrokerAllowList) -> Bool {
        lhs.entries.map { "\($0.accountId)/\($0.roleName ?? "*")" } == rhs.entries.map { "\($0.accountId)/\($0.roleName ?? "*")" }
    }

    public init(parsing text: String?) throws(AdjoinError) {
        entries = []
        for word in (text ?? "").split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" }) {
            let parts = word.split(separator: "/", maxSplits: 1).map(String.init)
            guard AWSNames.isAccountId(parts[0]), parts.count == 1 || AWSNames.isRoleName(parts[1]) else {
                throw .invalidInput("ADJOIN_BROKER_ALLOWED: \"\(word)\" is not an account id (123456789012) or ACCOUNT/ROLE-NAME")
            }
            entries.append((parts[0], parts.count == 2 ? parts[1] : nil))
        }
    }

    public var isEmpty: Bool { entries.isEmpty }

    func admits(_ caller: BrokerCaller) -> Bool {
        entries.contains { $0.accountId == caller.accountId && ($0.roleName.map { $0 == caller.roleName } ?? true) }
    }
}
