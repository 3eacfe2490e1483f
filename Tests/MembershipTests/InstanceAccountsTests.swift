import AdjoinCore
@testable import Membership
@testable import LDAP
import Testing
import TestSupport

/// The sweep's delete, against a scripted directory: it reads the account once more before removing it.
@Suite struct InstanceAccountsTests {
    static let instance = "i-0123456789abcdef0"

    func accounts(_ steps: [DirectoryStep]) throws -> (InstanceAccounts, FakeDirectoryConnector) {
        let directory = try FakeDirectory(controller: RemoteLeaveTests.controller, realm: "CORP.EXAMPLE.COM", steps)
        let connector = FakeDirectoryConnector(
            directory, [.locate(domain: "corp.example.com"), .login(principal: "adjoiner@CORP.EXAMPLE.COM")])
        var place = DirectoryPlace(files: HostFiles(root: "/nonexistent-root"))
        place.connector = connector
        let accounts = try InstanceAccounts(
            domain: try DomainName("corp.example.com"), place: place, user: "adjoiner",
            password: SecretBytes(Array("Join-Pass-1".utf8)), deadline: Deadline(seconds: 30), progress: { _ in })
        return (accounts, connector)
    }

    /// A marker on a DC's account (written by hand, or by mistake) does not make it the sweep's to delete.
    @Test func aDomainControllersAccountIsNeverSwept() throws {
        let dc = "CN=DC1,OU=Domain Controllers,DC=corp,DC=example,DC=com"
        let (accounts, connector) = try accounts([
            .search(base: dc, entries: [.scripted(dc, ["info": ["adjoin-owner: \(Self.instance)"], "userAccountControl": ["532480"]])])
        ])
        let account = InstanceAccount(dn: dc, computerName: "DC1", owner: AccountOwner(Self.instance), lastUsed: nil)
        #expect(throws: AdjoinError.self) { try accounts.delete(account, deadline: Deadline(seconds: 30)) }
        connector.finish()
    }

    @Test func aMemberAccountStillOwnedIsDeleted() throws {
        let dn = "CN=WEB1,CN=Computers,DC=corp,DC=example,DC=com"
        let (accounts, connector) = try accounts([
            .search(base: dn, entries: [.scripted(dn, ["info": ["adjoin-owner: \(Self.instance)"], "userAccountControl": ["4096"]])]),
            .delete(dn: dn),
        ])
        try accounts.delete(
            InstanceAccount(dn: dn, computerName: "WEB1", owner: AccountOwner(Self.instance), lastUsed: nil),
            deadline: Deadline(seconds: 30))
        connector.finish()
    }
}
