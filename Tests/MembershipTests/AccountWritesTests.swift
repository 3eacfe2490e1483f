import AdjoinCore
import LDAP
import Testing
@testable import Membership

/// What a join writes on an account that exists: only what differs, required apart from informational.
@Suite struct AccountWritesTests {
    let writes: AccountWrites
    let dn = "CN=WEB1,CN=Computers,DC=corp,DC=example,DC=com"

    init() throws {
        var request = JoinRequest(
            domain: try DomainName("corp.example.com"), user: "adjoiner-min", password: SecretBytes([]),
            hostFQDN: "web1.corp.example.com", computerName: try ComputerName(hostFQDN: "web1.corp.example.com"),
            owner: AccountOwner("i-0123456789abcdef0"), osRelease: OSRelease(name: "Debian GNU/Linux", version: "12"))
        request.encryptionTypes = [.aes256, .aes128]
        writes = AccountWrites(target: request.accountTarget)
    }

    func entry(_ attributes: [String: [String]]) -> LDAPEntry {
        LDAPEntry(
            dn: dn, attributes: Dictionary(uniqueKeysWithValues: attributes.map { ($0.key.lowercased(), $0.value.map { Array($0.utf8) }) }))
    }

    /// The account as the join leaves it: nothing to write.
    var joined: [String: [String]] {
        [
            "userAccountControl": ["4096"], "dNSHostName": ["web1.corp.example.com"],
            "servicePrincipalName": [
                "host/WEB1", "host/web1.corp.example.com", "RestrictedKrbHost/WEB1", "RestrictedKrbHost/web1.corp.example.com",
            ],
            "operatingSystem": ["Debian GNU/Linux"], "operatingSystemVersion": ["12"], "msDS-SupportedEncryptionTypes": ["24"],
            "info": ["adjoin-owner: i-0123456789abcdef0"],
        ]
    }

    func summary(_ planned: [AccountWrite]) -> [String] {
        planned.map { write in
            let (kind, attribute): (String, LDAPAttribute) =
                switch write.change {
                case .add(let a): ("add", a)
                case .replace(let a): ("replace", a)
                case .delete(let a): ("delete", a)
                }
            let values =
                write.attribute == "unicodePwd"
                ? "<password>" : attribute.values.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ",")
            return "\(write.need == .required ? "required" : "informational") \(kind) \(write.attribute)=\(values) [\(write.right)]"
        }
    }

    @Test func aHealthyAccountNeedsNoWrite() {
        #expect(writes.plan(entry(joined), password: nil).isEmpty)
        // Case does not make a difference the directory would see.
        var upper = joined
        upper["dNSHostName"] = ["WEB1.corp.example.com"]
        upper["servicePrincipalName"] = upper["servicePrincipalName"]!.map { $0.uppercased() }
        #expect(writes.plan(entry(upper), password: nil).isEmpty)
    }

    @Test func aPrestagedAccountGetsEverythingWithTheRightsNamed() {
        let planned = writes.plan(entry(["userAccountControl": ["4128"]]), password: SecretBytes(Array("x".utf8)))
        #expect(
            summary(planned) == [
                "required replace userAccountControl=4096 [Read and write account restrictions]",
                "required replace dNSHostName=web1.corp.example.com [Validated write to DNS host name]",
                "required add servicePrincipalName=host/WEB1,host/web1.corp.example.com,RestrictedKrbHost/WEB1,RestrictedKrbHost/web1.corp.example.com [Validated write to service principal name]",
                "informational replace msDS-SupportedEncryptionTypes=24 [Write msDS-SupportedEncryptionTypes]",
                "required replace unicodePwd=<password> [Reset password]",
                "informational replace operatingSystem=Debian GNU/Linux [Write operatingSystem]",
                "informational replace operatingSystemVersion=12 [Write operatingSystemVersion]",
                "informational replace info=adjoin-owner: i-0123456789abcdef0 [Write info]",
            ])
    }

    @Test func onlyTheMissingSPNsAreAddedAndOthersStay() {
        var account = joined
        account["servicePrincipalName"] = ["HTTP/web1.corp.example.com", "host/WEB1"]
        #expect(
            summary(writes.plan(entry(account), password: nil)) == [
                "required add servicePrincipalName=host/web1.corp.example.com,RestrictedKrbHost/WEB1,RestrictedKrbHost/web1.corp.example.com [Validated write to service principal name]"
            ])
    }

    @Test func userAccountControlKeepsTheAdministratorsFlags() {
        // Trusted for delegation (0x80000) stays; disabled (0x2) and password-not-required (0x20) go.
        #expect(AccountWrites.userAccountControl(from: 0x80000 | 0x1000 | 0x2 | 0x20) == 0x81000)
        #expect(AccountWrites.userAccountControl(from: nil) == 0x1000)
        // A server trust or normal account type becomes a workstation's.
        #expect(AccountWrites.userAccountControl(from: 0x2000) == 0x1000)
        #expect(AccountWrites.userAccountControl(from: 0x0200) == 0x1000)
    }

    @Test func encryptionTypesAreRequiredOnlyWhenTheyShutTheKeytabOut() {
        func need(_ value: String?) -> AccountWrite.Need? {
            var account = joined
            account["msDS-SupportedEncryptionTypes"] = value.map { [$0] }
            return writes.plan(entry(account), password: nil).first?.need
        }
        #expect(need("24") == nil)
        #expect(need(nil) == .informational)
        #expect(need("28") == .informational)
        #expect(need("4") == .required)
    }

    @Test func anAdministratorsNotesAreNotOverwritten() {
        var account = joined
        account["info"] = ["Rack 4, owner: web team"]
        #expect(writes.plan(entry(account), password: nil).isEmpty)
        #expect(
            writes.unwritten(entry(account)) == [
                "\(dn) keeps the notes in its info, where adjoin's owner marker would go: the account has no owner marker (adjoin-owner in info), so another host could claim it"
            ])
        #expect(writes.unwritten(entry(joined)).isEmpty)
        #expect(writes.unwritten(entry(["userAccountControl": ["4128"]])).isEmpty)
    }

    @Test func ourOwnOlderMarkerGetsTheInstancesAccountAndRegion() throws {
        var target = writes.target
        let owner = AccountOwner.instance("i-0123456789abcdef0", accountId: "210987654321", region: "eu-west-1")
        target.owner = owner
        let located = AccountWrites(target: target)
        #expect(
            summary(located.plan(entry(joined), password: nil)) == [
                "informational replace info=adjoin-owner: i-0123456789abcdef0 account=210987654321 region=eu-west-1 [Write info]"
            ])
        var current = joined
        current["info"] = [owner.recorded]
        #expect(located.plan(entry(current), password: nil).isEmpty, "the marker is already complete")
        // A join that knows no location (flags only) never takes it away, nor writes over another host's marker.
        #expect(writes.plan(entry(current), password: nil).isEmpty)
        var other = joined
        other["info"] = ["adjoin-owner: i-0aaaaaaaaaaaaaaaa"]
        #expect(located.plan(entry(other), password: nil).isEmpty)
    }
}
