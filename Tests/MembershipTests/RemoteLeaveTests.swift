import AdjoinCore
import Discovery
@testable import Membership
@testable import LDAP
import Testing
import TestSupport

/// `adjoin leave --instance-id` from an admin host, against a scripted directory: only the accounts
/// whose recorded owner is exactly that id are deleted (the directory matches `info` without regard
/// to case, so its answer is checked again).
@Suite struct RemoteLeaveTests {
    static let controller = FakeDirectory.controller("dc1.corp.example.com", domain: "corp.example.com")
    static let gone = "i-0123456789abcdef0"

    func leave(
        _ steps: [DirectoryStep], computerName: ComputerName? = nil, instanceID: String? = gone,
        allowUnmarked: Bool = false, dryRun: Bool = false
    ) throws -> (FakeDirectoryConnector, Result<LeaveResult, AdjoinError>) {
        let directory = try FakeDirectory(controller: Self.controller, realm: "CORP.EXAMPLE.COM", steps)
        let connector = FakeDirectoryConnector(
            directory, [.locate(domain: "corp.example.com"), .login(principal: "adjoiner@CORP.EXAMPLE.COM")])
        var place = DirectoryPlace(files: HostFiles(root: "/nonexistent-root"))
        place.connector = connector
        var leave = RemoteLeave(
            domain: try DomainName("corp.example.com"), place: place, user: "adjoiner",
            password: SecretBytes(Array("Join-Pass-1".utf8)), computerName: computerName, instanceID: instanceID)
        leave.allowUnmarked = allowUnmarked
        leave.dryRun = dryRun
        let result = Result { () throws(AdjoinError) -> LeaveResult in try leave.run(deadline: Deadline(seconds: 30)) }
        connector.finish()
        return (connector, result)
    }

    @Test func onlyTheAccountsThatIdOwnsExactlyAreDeleted() throws {
        let ours = "CN=I014D2MF2DBPNNG,CN=Computers,DC=corp,DC=example,DC=com"
        let lookalike = "CN=WEB9,CN=Computers,DC=corp,DC=example,DC=com"
        let (_, outcome) = try leave([
            .search(
                base: "DC=corp,DC=example,DC=com",
                entries: [
                    .scripted(
                        ours, ["sAMAccountName": ["I014D2MF2DBPNNG$"], "info": ["adjoin-owner: \(Self.gone) 123456789012 eu-west-1"]]),
                    .scripted(lookalike, ["sAMAccountName": ["WEB9$"], "info": ["adjoin-owner: \(Self.gone.uppercased())"]]),
                ]),
            .delete(dn: ours),
        ])
        let result = try outcome.get()
        #expect(result.removed == [ours])
        #expect(result.computerName == "I014D2MF2DBPNNG")
    }

    @Test func byNameAndIdAnAccountOfAnotherOwnerIsAConflict() throws {
        let dn = "CN=WEB1,CN=Computers,DC=corp,DC=example,DC=com"
        let (_, outcome) = try leave(
            [
                .search(
                    base: "DC=corp,DC=example,DC=com",
                    entries: [.scripted(dn, ["sAMAccountName": ["WEB1$"], "info": ["adjoin-owner: i-0fedcba9876543210"]])])
            ], computerName: try ComputerName(explicit: "web1"))
        guard case .failure(let error) = outcome else {
            Issue.record("another owner's account was removed")
            return
        }
        #expect(error.status == .accountConflict)
        #expect(error.message.contains("belongs to i-0fedcba9876543210, not to \(Self.gone)"), "\(error.message)")
    }

    static let web1 = "CN=WEB1,CN=Computers,DC=corp,DC=example,DC=com"

    /// By name alone, an account adjoin never marked is someone else's until the operator says otherwise.
    @Test func byNameAnUnmarkedAccountNeedsAllowUnmarked() throws {
        let unmarked: [DirectoryStep] = [
            .search(
                base: "DC=corp,DC=example,DC=com",
                entries: [
                    .scripted(Self.web1, ["sAMAccountName": ["WEB1$"], "userAccountControl": ["4096"]])
                ])
        ]
        let (_, refused) = try leave(unmarked, computerName: try ComputerName(explicit: "web1"), instanceID: nil)
        guard case .failure(let error) = refused else {
            Issue.record("an unmarked account was removed without --allow-unmarked")
            return
        }
        #expect(error.status == .accountConflict)
        #expect(error.message.contains("carries no adjoin owner marker") && error.message.contains("--allow-unmarked"), "\(error.message)")

        let (_, allowed) = try leave(
            unmarked + [.delete(dn: Self.web1)], computerName: try ComputerName(explicit: "web1"),
            instanceID: nil, allowUnmarked: true)
        #expect(try allowed.get().removed == [Self.web1])
    }

    /// A DC's own account stays, marked or not, whatever the flags: a writable DC (SERVER_TRUST_ACCOUNT) and a read-only one.
    @Test(arguments: [0x82000, 0x0400_1000])
    func aDomainControllersAccountIsNeverRemoved(_ control: Int) throws {
        let dc = "CN=DC1,OU=Domain Controllers,DC=corp,DC=example,DC=com"
        let (_, outcome) = try leave(
            [
                .search(
                    base: "DC=corp,DC=example,DC=com",
                    entries: [
                        .scripted(
                            dc,
                            ["sAMAccountName": ["DC1$"], "userAccountControl": [String(control)], "info": ["adjoin-owner: \(Self.gone)"]])
                    ])
            ], computerName: try ComputerName(explicit: "dc1"), allowUnmarked: true)
        guard case .failure(let error) = outcome else {
            Issue.record("a domain controller's account was removed")
            return
        }
        #expect(error.status == .accountConflict)
        #expect(error.message == "\(dc) is a domain controller's account (userAccountControl \(control)): adjoin never removes it")
    }

    /// A dry run reads and checks, and the scripted directory fails the test on any delete.
    @Test func aDryRunNamesWhatWouldGoAndDeletesNothing() throws {
        let (_, outcome) = try leave(
            [
                .search(
                    base: "DC=corp,DC=example,DC=com",
                    entries: [
                        .scripted(Self.web1, ["sAMAccountName": ["WEB1$"], "info": ["adjoin-owner: \(Self.gone) 123456789012 eu-west-1"]])
                    ])
            ], dryRun: true)
        let result = try outcome.get()
        #expect(result.removed.isEmpty)
        #expect(result.wouldRemove == ["\(Self.web1) (owner \(Self.gone)) and its child objects"])
        #expect(result.message == "would remove \(Self.web1) (owner \(Self.gone)) and its child objects")
    }
}
