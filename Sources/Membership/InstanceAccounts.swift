import AdjoinCore
import Discovery
import LDAP

/// A computer account whose owner marker names an EC2 instance, as `sweep` reads it.
public struct InstanceAccount: Sendable, Equatable {
    public let dn: String
    /// sAMAccountName without its trailing `$`.
    public let computerName: String
    public let owner: AccountOwner
    /// When the account was last used, in seconds since 1970: the later of lastLogonTimestamp (the
    /// machine's last logon, replicated every 9 to 14 days) and pwdLastSet (its last password change);
    /// nil when the directory has neither.
    public let lastUsed: Int64?

    public init(dn: String, computerName: String, owner: AccountOwner, lastUsed: Int64?) {
        self.dn = dn
        self.computerName = computerName
        self.owner = owner
        self.lastUsed = lastUsed
    }
}

/// The directory side of `sweep`: one session as the join user, pinned to one DC, that lists the
/// accounts adjoin joined for EC2 instances and deletes those `sweep` decided on.
public final class InstanceAccounts {
    public let domainController: String
    private let domain: DomainName
    private let principal: String
    private let session: any Directory
    private let progress: ProgressSink
    /// Entries per page of the listing (a test lowers it to see several pages).
    var pageSize = LDAPConnection.defaultPageSize

    static let attributes = ["distinguishedName", "sAMAccountName", AccountOwner.attribute, "lastLogonTimestamp", "pwdLastSet"]

    public init(
        domain: DomainName, place: DirectoryPlace, user: String, password: SecretBytes, deadline: Deadline,
        progress: @escaping ProgressSink
    ) throws(AdjoinError) {
        self.domain = domain
        self.progress = progress
        principal = JoinRequest.principal(of: user, realm: domain.realm)
        let controller = try place.connector.locate(
            domain, domainControllers: place.domainControllers, dnsServers: place.dnsServers,
            required: [.ldap, .kdc, .writable], progress: progress, deadline: deadline)
        domainController = controller.hostName
        session = try place.connector.open(
            realm: domain.realm, as: .password(principal: principal, password),
            controller: controller, deadline: deadline, progress: progress)
    }

    /// The computer accounts below `bases` (default: the whole domain) whose marker names an instance
    /// (`adjoin-owner: i-...`), each once. Accounts without a marker are never even read.
    public func list(under bases: [String], deadline: Deadline) throws(AdjoinError) -> [InstanceAccount] {
        let filter = "(&(objectClass=computer)(\(AccountOwner.attribute)=\(LDAPEscaping.filterValue(AccountOwner.prefix + "i-"))*))"
        let places = bases.isEmpty ? [domain.baseDN] : bases
        // Each base itself too, in the same round trip: a mistyped OU must not pass for an empty one.
        let requests = places.flatMap {
            [
                LDAPSearchRequest(base: $0, scope: .base, filter: "(objectClass=*)", attributes: ["distinguishedName"]),
                LDAPSearchRequest(base: $0, scope: .subtree, filter: filter, attributes: Self.attributes),
            ]
        }
        let answers: [[LDAPEntry]]
        var read = 0
        do {
            // Paged: AD answers an unpaged search with at most its MaxPageSize (1000) entries, then sizeLimitExceeded.
            answers = try session.pagedSearch(requests, pageSize: pageSize, deadline: deadline) { count in
                read += count
                if count == pageSize { progress("Read \(read) directory entries so far") }
            }
        } catch  where error.code == .invalidDNSyntax {
            throw .invalidInput("--ou: \(error.diagnostic ?? error.message)")
        } catch {
            throw error.adjoinError(deadline: deadline)
        }
        for (index, base) in places.enumerated() where answers[2 * index].isEmpty {
            throw .invalidInput("--ou \(base): the directory has no such object")
        }
        var seen = Set<String>()
        var accounts: [InstanceAccount] = []
        for entry in stride(from: 1, to: answers.count, by: 2).flatMap({ answers[$0] }) where seen.insert(entry.dn.lowercased()).inserted {
            guard let owner = AccountOwner.parse(recorded: entry.strings(AccountOwner.attribute)), owner.value.hasPrefix("i-"),
                RemoteLeave.isValidOwner(owner.value)
            else { continue }
            let name = entry.string("sAMAccountName") ?? ""
            let used = [entry.secondsSince1970(filetime: "lastLogonTimestamp"), entry.secondsSince1970(filetime: "pwdLastSet")].compactMap {
                $0
            }.max()
            accounts.append(
                InstanceAccount(
                    dn: entry.dn, computerName: String(name.dropLast(name.hasSuffix("$") ? 1 : 0)),
                    owner: owner, lastUsed: used))
        }
        return accounts
    }

    /// Deletes the account with its child objects, after reading its marker once more: an account that
    /// another instance has taken over since it was listed is left alone (ACCOUNT_CONFLICT).
    /// Returns what became of the DNS records the machine registered (nil: it had none).
    @discardableResult
    public func delete(_ account: InstanceAccount, deadline: Deadline) throws(AdjoinError) -> String? {
        let current: LDAPEntry?
        do {
            current = try session.search(
                base: account.dn, scope: .base, filter: "(objectClass=computer)",
                attributes: [AccountOwner.attribute, DomainControllerAccount.attribute] + MachineDNSNodes.accountAttributes,
                deadline: deadline
            ).first
        } catch {
            throw error.adjoinError(deadline: deadline)
        }
        guard let current else { return nil }
        if let refusal = DomainControllerAccount.refusal(current) { throw refusal }
        let owner = AccountOwner.parse(recorded: current.strings(AccountOwner.attribute))
        guard owner?.value == account.owner.value else {
            throw AdjoinError(
                .accountConflict,
                "\(account.dn) now belongs to \(owner?.value ?? "no adjoin host"), not to \(account.owner.value): not removing it")
        }
        // Found before the account goes: its SID is how its records are recognised.
        let records: MachineDNSNodes
        do {
            records = try MachineDNSNodes.find(for: current, domain: domain, session: session, deadline: deadline)
        } catch {
            try AccountRemoval.delete(account.dn, in: session, as: principal, deadline: deadline)
            return "its DNS records were not looked for: \(error.diagnostic ?? error.message)"
        }
        try AccountRemoval.delete(account.dn, in: session, as: principal, deadline: deadline)
        guard !records.nodes.isEmpty else { return nil }
        progress("Deleting the DNS records \(account.dn) registered: \(records.names.joined(separator: ", "))")
        return records.delete(in: session, as: principal, deadline: deadline) ?? "removed " + records.names.joined(separator: ", ")
    }
}

extension LDAPEntry {
    /// A FILETIME attribute (100 ns units since 1601) as seconds since 1970; nil when 0, absent or never.
    func secondsSince1970(filetime name: String) -> Int64? {
        guard let text = string(name), let filetime = Int64(text), filetime > 0, filetime < Int64.max else { return nil }
        return filetime / 10_000_000 - 11_644_473_600
    }
}
