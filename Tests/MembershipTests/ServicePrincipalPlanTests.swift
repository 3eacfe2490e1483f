import AdjoinCore
import Kerberos
import LDAP
import Testing
@testable import Membership

/// `--service-name`: the names accepted and refused, the SPNs a join adds and removes on an existing
/// account (converging to the list, never touching an administrator's SPNs), the keytab's principals,
/// and the join record that carries what adjoin added from one join to the next.
@Suite struct ServicePrincipalPlanTests {
    let dn = "CN=WEB1,CN=Computers,DC=corp,DC=example,DC=com"
    let builtIn = ["host/WEB1", "host/web1.corp.example.com", "RestrictedKrbHost/WEB1", "RestrictedKrbHost/web1.corp.example.com"]

    func target(_ services: [String], previouslyAdded: [String] = []) throws -> AccountTarget {
        var request = JoinRequest(
            domain: try DomainName("corp.example.com"), user: "adjoiner-min", password: SecretBytes([]),
            hostFQDN: "web1.corp.example.com", computerName: try ComputerName(hostFQDN: "web1.corp.example.com"),
            owner: AccountOwner("i-0123456789abcdef0"), osRelease: OSRelease(name: "Debian GNU/Linux", version: "12"))
        request.serviceNames = try ServiceName.list(services)
        var target = request.accountTarget
        target.osRelease = nil
        target.owner = nil
        target.previouslyAddedServicePrincipals = previouslyAdded
        return target
    }

    func entry(spns: [String]) -> LDAPEntry {
        let attributes: [String: [String]] = [
            "userAccountControl": ["4096"], "dNSHostName": ["web1.corp.example.com"],
            "servicePrincipalName": spns, "msDS-SupportedEncryptionTypes": ["24"],
        ]
        return LDAPEntry(
            dn: dn, attributes: Dictionary(uniqueKeysWithValues: attributes.map { ($0.key.lowercased(), $0.value.map { Array($0.utf8) }) }))
    }

    /// The SPN changes of a plan, as "add a,b" / "delete c".
    func spnChanges(_ writes: [AccountWrite]) -> [String] {
        writes.filter { $0.attribute == "servicePrincipalName" }.map { write in
            let (kind, attribute): (String, LDAPAttribute) =
                switch write.change {
                case .add(let a): ("add", a)
                case .replace(let a): ("replace", a)
                case .delete(let a): ("delete", a)
                }
            #expect(write.need == .required && write.right == "Validated write to service principal name")
            return kind + " " + attribute.values.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ",")
        }
    }

    @Test(arguments: ["HTTP", "nfs", "cifs", "MSSQLSvc", "postgres", "my-svc_1.2"])
    func acceptedNames(_ name: String) throws {
        #expect(try ServiceName(name).value == name)
    }

    @Test(arguments: [
        ("", "is empty"), ("HTTP/web1", "contains '/'"), ("my service", "contains a space"), ("a\tb", "contains a space"),
        ("nfś", "U+15B"), ("host", "is always registered"), ("Host", "is always registered"),
        ("restrictedkrbhost", "is always registered"), ("a@b", "'@'"), ("a\\b", "'\\'"), ("a:b", "':'"),
    ])
    func refusedNames(_ name: String, _ said: String) {
        do throws(AdjoinError) {
            _ = try ServiceName(name)
            Issue.record("\(name) was accepted")
        } catch {
            #expect(error.status == .invalidInput)
            #expect(error.message.contains(said), "\(error.message)")
        }
    }

    @Test func aListKeepsEachNameOnceWhateverItsCase() throws {
        #expect(try ServiceName.list(["HTTP", "nfs", "http", "NFS"]).map(\.value) == ["HTTP", "nfs"])
    }

    @Test func aNewAccountGetsBothFormsOfEachService() throws {
        let wanted = try target(["HTTP", "nfs"])
        #expect(
            wanted.servicePrincipalNames == builtIn + ["HTTP/WEB1", "HTTP/web1.corp.example.com", "nfs/WEB1", "nfs/web1.corp.example.com"])
        #expect(wanted.serviceClassPrincipalNames == ["HTTP/WEB1", "HTTP/web1.corp.example.com", "nfs/WEB1", "nfs/web1.corp.example.com"])
    }

    @Test func anExistingAccountGetsWhatIsMissingOnly() throws {
        let writes = AccountWrites(target: try target(["HTTP", "nfs"]))
        let account = entry(spns: builtIn + ["HTTP/WEB1", "http/WEB1.corp.example.com"])
        #expect(spnChanges(writes.plan(account, password: nil)) == ["add nfs/WEB1,nfs/web1.corp.example.com"])
        // HTTP was there before any join asked for it (an administrator's): adjoin does not claim it.
        #expect(writes.managedAfterPlan(account) == ["nfs/WEB1", "nfs/web1.corp.example.com"])
    }

    /// A join without nfs removes the nfs SPNs an earlier join added, as the directory spells them; an
    /// administrator's nfs SPN (another host part) and one adjoin never added stay.
    @Test func aShorterListRemovesOnlyWhatAdjoinAdded() throws {
        let earlier = ["HTTP/WEB1", "HTTP/web1.corp.example.com", "nfs/WEB1", "nfs/web1.corp.example.com"]
        let writes = AccountWrites(target: try target(["HTTP"], previouslyAdded: earlier))
        let account = entry(
            spns: builtIn + [
                "HTTP/WEB1", "HTTP/web1.corp.example.com", "NFS/web1", "nfs/web1.corp.example.com",
                "nfs/alias.corp.example.com", "cifs/WEB1",
            ])
        #expect(spnChanges(writes.plan(account, password: nil)) == ["delete NFS/web1,nfs/web1.corp.example.com"])
        #expect(writes.retiredPresent(account) == ["NFS/web1", "nfs/web1.corp.example.com"])
        // HTTP stays adjoin's: added by the earlier join, still asked for.
        #expect(writes.managedAfterPlan(account) == ["HTTP/WEB1", "HTTP/web1.corp.example.com"])
        // Undo of a failed join puts the deleted values back.
        let undo = writes.plan(account, password: nil).compactMap(\.undo)
        #expect(undo.contains { if case .add(let a) = $0 { a.name == "servicePrincipalName" } else { false } })
    }

    @Test func theSameListOnAHealthyAccountWritesNothing() throws {
        let earlier = ["HTTP/WEB1", "HTTP/web1.corp.example.com"]
        let writes = AccountWrites(target: try target(["HTTP"], previouslyAdded: earlier))
        #expect(spnChanges(writes.plan(entry(spns: builtIn + earlier), password: nil)).isEmpty)
    }

    @Test func theKeytabHoldsTheServicesAndDropsRetiredOnes() throws {
        let files = HostFiles(root: "/nonexistent")
        var keytab = HostKeytab(
            computerName: ComputerName(recorded: "WEB1"), hostFQDN: "web1.corp.example.com", realm: "CORP.EXAMPLE.COM",
            encryptionTypes: [.aes256],
            files: files, keytabPath: "/etc/krb5.keytab")
        keytab.serviceNames = ["HTTP"]
        keytab.retiredServiceNames = ["nfs"]
        let principals = keytab.principals.map { $0.components.joined(separator: "/") }
        #expect(principals == ["WEB1$"] + builtIn + ["HTTP/WEB1", "HTTP/web1.corp.example.com"])
        func entry(_ name: String, realm: String = "CORP.EXAMPLE.COM") -> KeytabEntry {
            KeytabEntry(
                components: name.split(separator: "/").map(String.init), realm: realm, nameType: 3, timestamp: 0, kvno: 1, enctype: 18,
                key: SecretBytes([1, 2, 3]))
        }
        #expect(keytab.isOurs(entry("http/web1.corp.example.com")))
        #expect(keytab.isOurs(entry("nfs/WEB1")))
        #expect(keytab.holdsRetired([entry("nfs/web1.corp.example.com")]))
        #expect(!keytab.holdsRetired([entry("HTTP/WEB1")]))
        #expect(!keytab.isOurs(entry("cifs/WEB1")))
        #expect(!keytab.isOurs(entry("HTTP/WEB1", realm: "OTHER.EXAMPLE.COM")))
    }

    @Test func theRecordCarriesTheServicesAndWhatAdjoinAdded() throws {
        var record = JoinRecord(
            domain: "corp.example.com", realm: "CORP.EXAMPLE.COM", computerName: "WEB1", hostFQDN: "web1.corp.example.com",
            computerDN: dn, owner: "i-1", keytabPath: "/etc/krb5.keytab", configured: true)
        record.serviceNames = ["HTTP", "nfs"]
        record.addedServicePrincipals = ["HTTP/WEB1", "nfs/web1.corp.example.com"]
        record.enabledUnits = ["oddjobd"]
        let parsed = try JoinRecord.parse(record.rendered())
        #expect(parsed == record)
        #expect(parsed.keytab(files: HostFiles(root: "/nonexistent")).serviceNames == ["HTTP", "nfs"])
    }
}
