import AdjoinCore
@testable import Discovery
import Membership
@testable import Kerberos
@testable import LDAP
import Testing

/// One call a scripted directory expects, and its answer.
public enum DirectoryStep: CustomStringConvertible {
    /// Searches sent together, by their bases; the entries of each, or an error.
    case search(bases: [String], answer: Result<[[LDAPEntry]], LDAPError>)
    case add(dn: String, error: LDAPError? = nil)
    /// Searches sent together with an add (and a read behind it) in one round trip: the searches'
    /// answer, the add's error if refused, and what the read behind the add finds.
    case searchThenAdd(
        bases: [String], answer: Result<[[LDAPEntry]], LDAPError>, dn: String, error: LDAPError? = nil, read: [LDAPEntry] = [])
    /// A modify of `dn` touching these attributes (in order).
    case modify(dn: String, attributes: [String], error: LDAPError? = nil)
    case delete(dn: String, error: LDAPError? = nil)
    /// A login with a keytab; the kvno the DC's reply names.
    case login(principal: String, answer: Result<UInt32?, KerberosError>)
    case changePassword(principal: String, error: KerberosError? = nil)
    /// A new LDAP connection with the session's tickets.
    case reconnect(error: AdjoinError? = nil)

    public static func search(base: String, entries: [LDAPEntry]) -> DirectoryStep { .search(bases: [base], answer: .success([entries])) }
    public static func search(base: String, error: LDAPError) -> DirectoryStep { .search(bases: [base], answer: .failure(error)) }

    public var description: String {
        switch self {
        case .search(let bases, _): "search of \(bases.joined(separator: " + "))"
        case .add(let dn, _): "add of \(dn)"
        case .searchThenAdd(let bases, _, let dn, _, _): "search of \(bases.joined(separator: " + ")) with the add of \(dn) behind it"
        case .modify(let dn, let attributes, _): "modify of \(attributes.joined(separator: ", ")) on \(dn)"
        case .delete(let dn, _): "delete of \(dn)"
        case .login(let principal, _): "keytab login as \(principal)"
        case .changePassword(let principal, _): "password change of \(principal)"
        case .reconnect: "reconnect"
        }
    }
}

/// A directory that answers only what the test scripted, in order; anything else fails the test,
/// naming the call. Keys are derived by libkrb5 itself (local arithmetic), so a keytab written from
/// them is the one a real join writes.
public final class FakeDirectory: Directory {
    public let controller: DomainController
    public let script: CallScript<DirectoryStep>
    /// What each add and modify sent, by DN, for the test to look at.
    public private(set) var added: [String: [LDAPAttribute]] = [:]
    public private(set) var modified: [String: [LDAPChange]] = [:]
    /// Modifies sent without waiting and the reading of their answers, among the logins, in the order
    /// they happened: "sent modify of ...", "keytab login as ...", "answer of modify of ...".
    public private(set) var overlaps: [String] = []
    /// The passwords a change set (compared by the test with the keys it finds in the keytab).
    public private(set) var newPasswords: [SecretBytes] = []
    private let keys: KerberosContext
    /// Told of each add and modify as it is sent (the add sent with searches as "search of ... with the
    /// add of DN behind it"), for a test to look at the host at that moment (its intent record).
    public var whenSending: ((String) -> Void)?
    /// What the login measured between this host's clock and the DC's (a test sets it to see the join's warning).
    public var clockOffset: Int64 = 0

    public init(controller: DomainController, realm: String, _ steps: [DirectoryStep]) throws {
        self.controller = controller
        script = CallScript("the fake directory", steps)
        // Never contacted: the context only derives keys.
        keys = try KerberosContext(profile: .pinned(realm: realm, kdc: "127.0.0.1:9", kpasswdServer: "127.0.0.1:9"))
    }

    /// What a call the script did not expect fails with (the test has already failed by then).
    static let unexpected = LDAPError(
        code: .other, message: "not expected by the fake directory", diagnostic: nil,
        operation: "an unexpected call")
    static let unexpectedKerberos = KerberosError(
        code: KerberosCode(rawValue: -1), message: "not expected by the fake directory", operation: "an unexpected call")

    /// A writable DC with a KDC, as the locator would have chosen it.
    public static func controller(_ hostName: String, domain: String, address: String = "192.0.2.10") -> DomainController {
        DomainController(
            address: SocketAddress(numericHost: address, port: 389)!,
            netlogon: NetlogonResponse(hostName: hostName, domain: domain, flags: [.ldap, .kdc, .writable]))
    }

    public func search(_ requests: [LDAPSearchRequest], deadline: Deadline) throws(LDAPError) -> [[LDAPEntry]] {
        let bases = requests.map(\.base)
        guard
            case .search(_, let answer)? = script.next(
                "search of \(bases.joined(separator: " + "))",
                matches: {
                    if case .search(let expected, _) = $0 { return expected == bases }
                    return false
                })
        else { throw Self.unexpected }
        return try answer.get()
    }

    /// A scripted search answers a paged one too, as one page per search (paging itself is the lab's to test).
    public func pagedSearch(
        _ requests: [LDAPSearchRequest], pageSize: Int, deadline: Deadline,
        onPage: (_ entries: Int) -> Void
    ) throws(LDAPError) -> [[LDAPEntry]] {
        let answers = try search(requests, deadline: deadline)
        for entries in answers { onPage(entries.count) }
        return answers
    }

    public func add(_ dn: String, attributes: [LDAPAttribute], deadline: Deadline) throws(LDAPError) {
        guard
            case .add(_, let error)? = script.next(
                "add of \(dn)",
                matches: {
                    if case .add(let expected, _) = $0 { return expected == dn }
                    return false
                })
        else { throw Self.unexpected }
        whenSending?("add of \(dn)")
        added[dn] = attributes
        if let error { throw error }
    }

    /// The scripted step takes the searches and the add as one call: they went out in one round trip.
    public func search(
        _ requests: [LDAPSearchRequest], thenAdd dn: String, attributes: [LDAPAttribute], thenSearch request: LDAPSearchRequest,
        deadline: Deadline
    ) throws(LDAPError) -> LDAPSearchesThenAdd {
        let bases = requests.map(\.base)
        guard
            case .searchThenAdd(_, let answer, _, let error, let read)? = script.next(
                "search of \(bases.joined(separator: " + ")) with the add of \(dn) behind it",
                matches: {
                    if case .searchThenAdd(let expected, _, let expectedDN, _, _) = $0 { return expected == bases && expectedDN == dn }
                    return false
                })
        else { throw Self.unexpected }
        whenSending?("search of \(bases.joined(separator: " + ")) with the add of \(dn) behind it")
        added[dn] = attributes
        return LDAPSearchesThenAdd(searches: answer, add: error.map { .failure($0) } ?? .success(read))
    }

    public func modify(_ dn: String, changes: [LDAPChange], securityDescriptorFlags: UInt8?, deadline: Deadline) throws(LDAPError) {
        let names = changes.map(\.attributeName)
        guard
            case .modify(_, _, let error)? = script.next(
                "modify of \(names.joined(separator: ", ")) on \(dn)",
                matches: {
                    if case .modify(let expected, let attributes, _) = $0 { return expected == dn && attributes == names }
                    return false
                })
        else { throw Self.unexpected }
        whenSending?("modify of \(names.joined(separator: ", ")) on \(dn)")
        modified[dn, default: []] += changes
        if let error { throw error }
    }

    /// The scripted modify, taken when it is sent; its scripted error comes with the answer, when read.
    public func beginModify(
        _ dn: String, changes: [LDAPChange], securityDescriptorFlags: UInt8?, deadline: Deadline
    ) throws(LDAPError) -> PendingModify {
        let names = changes.map(\.attributeName)
        let what = "modify of \(names.joined(separator: ", ")) on \(dn)"
        guard
            case .modify(_, _, let error)? = script.next(
                what,
                matches: {
                    if case .modify(let expected, let attributes, _) = $0 { return expected == dn && attributes == names }
                    return false
                })
        else { throw Self.unexpected }
        whenSending?(what)
        modified[dn, default: []] += changes
        overlaps.append("sent " + what)
        return PendingModify { [self] _ throws(LDAPError) in
            overlaps.append("answer of " + what)
            if let error { throw error }
        }
    }

    public func delete(_ dn: String, tree: Bool, deadline: Deadline) throws(LDAPError) {
        guard
            case .delete(_, let error)? = script.next(
                "delete of \(dn)",
                matches: {
                    if case .delete(let expected, _) = $0 { return expected == dn }
                    return false
                })
        else { throw Self.unexpected }
        if let error { throw error }
    }

    public func login(
        _ principal: String, keytabPath: String, encryptionTypes: [EncryptionType], keepingTicketFor service: String?,
        deadline: Deadline
    ) throws(KerberosError) -> UInt32? {
        guard
            case .login(_, let answer)? = script.next(
                "keytab login as \(principal)",
                matches: {
                    if case .login(let expected, _) = $0 { return expected == principal }
                    return false
                })
        else { throw Self.unexpectedKerberos }
        overlaps.append("keytab login as \(principal)")
        return try answer.get()
    }

    /// No test scripts a DNS update (the lab's real DC is where registration is tested): any is unexpected.
    public func updateDNS(
        _ change: DNSChange, signedAs principal: String, keytabPath: String, encryptionTypes: [EncryptionType],
        deadline: Deadline
    ) throws(AdjoinError) -> DNSChangeResult {
        _ = script.next("DNS update of \(change)", matches: { _ in false })
        throw AdjoinError(.unknownError, "the fake directory did not expect a DNS update of \(change)")
    }

    public func changePassword(
        of principal: String, keytabPath: String, encryptionTypes: [EncryptionType], to newPassword: SecretBytes,
        kpasswd: SocketAddress?, deadline: Deadline
    ) throws(KerberosError) {
        guard
            case .changePassword(_, let error)? = script.next(
                "password change of \(principal)",
                matches: {
                    if case .changePassword(let expected, _) = $0 { return expected == principal }
                    return false
                })
        else { throw Self.unexpectedKerberos }
        newPasswords.append(newPassword)
        if let error { throw error }
    }

    /// The same step as a keytab's change: the test scripts who changes, not with what.
    public func changePassword(
        of principal: String, password: SecretBytes, to newPassword: SecretBytes, kpasswd: SocketAddress?,
        deadline: Deadline
    ) throws(KerberosError) {
        try changePassword(of: principal, keytabPath: "", encryptionTypes: [], to: newPassword, kpasswd: kpasswd, deadline: deadline)
    }

    public func deriveKey(_ type: EncryptionType, password: SecretBytes, salt: String) throws(KerberosError) -> SecretBytes {
        try keys.deriveKey(type, password: password, salt: salt)
    }

    public func reconnected(deadline: Deadline, progress: (String) -> Void) throws(AdjoinError) -> any Directory {
        guard
            case .reconnect(let error)? = script.next(
                "reconnect",
                matches: {
                    if case .reconnect = $0 { return true }
                    return false
                })
        else { throw AdjoinError(.unknownError, "the fake directory did not expect a reconnect") }
        if let error { throw error }
        return self
    }
}

/// What a scripted connector expects: a DC location for a domain, or a login as a principal.
public enum ConnectorStep: Equatable, CustomStringConvertible {
    case locate(domain: String)
    case login(principal: String)

    public var description: String {
        switch self {
        case .locate(let domain): "locate a DC of \(domain)"
        case .login(let principal): "login as \(principal)"
        }
    }
}

/// Hands out one scripted directory at its DC, for the locations and logins the test expects, in
/// order; any other fails the test.
public final class FakeDirectoryConnector: DirectoryConnector, @unchecked Sendable {
    public let directory: FakeDirectory
    public let script: CallScript<ConnectorStep>

    public init(_ directory: FakeDirectory, _ steps: [ConnectorStep]) {
        self.directory = directory
        script = CallScript("the fake directory connector", steps)
    }

    public func locate(
        _ domain: DomainName, domainControllers: [HostPort], dnsServers: [SocketAddress], required: DCFlags,
        progress: @escaping @Sendable (String) -> Void, deadline: Deadline
    ) throws(AdjoinError) -> DomainController {
        let call = ConnectorStep.locate(domain: domain.value)
        guard script.next(call.description, matches: { $0 == call }) != nil else {
            throw AdjoinError(.unknownError, "the fake directory connector did not expect to \(call)")
        }
        return directory.controller
    }

    public func open(
        realm: String, as credential: DirectoryCredential, controller: DomainController, deadline: Deadline,
        progress: (String) -> Void
    ) throws(AdjoinError) -> any Directory {
        let call = ConnectorStep.login(principal: credential.principal)
        guard script.next(call.description, matches: { $0 == call }) != nil else {
            throw AdjoinError(.unknownError, "the fake directory connector did not expect a \(call)")
        }
        return directory
    }

    /// Fails the test for any expected call (here or in the directory) that was not made.
    public func finish(sourceLocation: SourceLocation = #_sourceLocation) {
        script.finish(sourceLocation: sourceLocation)
        directory.script.finish(sourceLocation: sourceLocation)
    }
}

extension LDAPChange {
    var attributeName: String {
        switch self {
        case .add(let attribute), .replace(let attribute), .delete(let attribute): attribute.name
        }
    }
}
