import AdjoinCore
import Foundation
import Testing
@testable import Kerberos
@testable import LDAP

/// A sealed, Kerberos-bound LDAP connection to the lab DC, with tickets only in memory.
@Suite(.needsLab) struct LDAPIntegrationTests {
    let lab: Lab
    init() throws { lab = try Lab.current() }

    func boundConnection() throws -> (LDAPConnection, CredentialCache) {
        let context = try KerberosContext(profile: .pinned(realm: lab.realm, kdc: lab.dcIP, kpasswdServer: lab.dcIP))
        let cache = try CredentialCache(context: context)
        let kdc = KDCConnection(address: try #require(SocketAddress(numericHost: lab.dcIP, port: 88)), realm: lab.realm)
        // Only the LDAP service ticket, from the AS exchange: no TGT is in the cache for GSSAPI to use.
        try context.login(
            Principal(lab.joinUser, context: context), password: SecretBytes(try lab.joinPassword()),
            service: "ldap/\(lab.dcHost)", into: cache, through: kdc, deadline: Deadline(seconds: 10))
        let address = try #require(SocketAddress(numericHost: lab.dcIP, port: 389))
        let connection = try LDAPConnection(address: address, hostName: lab.dcHost, deadline: Deadline(seconds: 10))
        try connection.bindWithKerberos(credentialCacheName: cache.name, deadline: Deadline(seconds: 10))
        return (connection, cache)
    }

    @Test func bindsSealedAndReadsTheDirectory() throws {
        let (connection, _) = try boundConnection()
        #expect(connection.securityStrength >= 56)
        #expect(connection.mechanism == "GSS-SPNEGO")
        let rootDSE = try connection.search(
            base: "", scope: .base, filter: "(objectClass=*)",
            attributes: ["defaultNamingContext", "dnsHostName"], deadline: Deadline(seconds: 10))
        #expect(rootDSE.first?.string("defaultNamingContext") == "DC=corp,DC=example,DC=com")
        #expect(rootDSE.first?.string("dnsHostName")?.lowercased() == lab.dcHost)
        // Only an authenticated bind may read users: this proves the bind is not anonymous.
        let me = try connection.search(
            base: "DC=corp,DC=example,DC=com", scope: .subtree,
            filter: "(sAMAccountName=\(LDAPEscaping.filterValue(lab.joinUser)))",
            attributes: ["sAMAccountName"], deadline: Deadline(seconds: 10))
        #expect(me.first?.string("sAMAccountName") == lab.joinUser)
    }

    /// The lab DC requires LDAP signing as a hardened DC does ("ldap server require strong auth = yes",
    /// Windows' LDAPServerIntegrity = 2): a simple bind without TLS is refused, where the join's sealed
    /// Kerberos bind (above) is accepted.
    @Test func theLabDCRefusesAnUnsignedBind() throws {
        let simple = try run(
            URL(fileURLWithPath: "/usr/bin/ldapwhoami"),
            ["-x", "-H", "ldap://\(lab.dcIP)", "-D", "Administrator@\(lab.realm)", "-y", lab.adminPasswordFile])
        #expect(simple.status == 8, "\(simple.stdout) \(simple.stderr)")
        #expect(simple.stderr.contains("Strong(er) authentication required"))
    }

    @Test func pipelinedSearchesEachGetTheirOwnAnswer() throws {
        let (connection, _) = try boundConnection()
        let answers = try connection.search(
            [
                LDAPSearchRequest(
                    base: lab.baseDN, scope: .subtree, filter: "(sAMAccountName=\(LDAPEscaping.filterValue(lab.joinUser)))",
                    attributes: ["sAMAccountName"]),
                LDAPSearchRequest(base: "OU=No Such Thing,\(lab.baseDN)", scope: .base, filter: "(objectClass=*)", attributes: ["cn"]),
                LDAPSearchRequest(
                    base: "<WKGUID=AA312825768811D1ADED00C04FD8D5CD,\(lab.baseDN)>", scope: .base,
                    filter: "(objectClass=*)", attributes: ["distinguishedName"]),
            ], deadline: Deadline(seconds: 10))
        #expect(answers.count == 3)
        #expect(answers[0].map { $0.string("sAMAccountName") } == [lab.joinUser])
        #expect(answers[1].isEmpty)
        #expect(answers[2].map(\.dn) == ["CN=Computers,\(lab.baseDN)"])
    }

    /// The add of a computer and the read of its DACL in one round trip: the search sent behind the add
    /// finds the entry the add made (the lab DC takes a connection's requests in order). A second add
    /// of the same entry fails with the add's own error, its search's answer read, and the connection
    /// goes on answering.
    @Test func anAddAndTheSearchSentBehindItFindTheNewEntry() throws {
        let (connection, _) = try boundConnection()
        let name = "PIPE\(UInt16.random(in: 1000...9999))"
        let dn = "CN=\(name),\(lab.organizationalUnit)"
        let attributes = [
            LDAPAttribute("objectClass", ["top", "person", "organizationalPerson", "user", "computer"]),
            LDAPAttribute("sAMAccountName", [name + "$"]),
            LDAPAttribute("userAccountControl", [String(0x1000 | 0x2)]),
        ]
        let read = LDAPSearchRequest(
            base: dn, scope: .base, filter: "(objectClass=computer)", attributes: ["nTSecurityDescriptor"],
            securityDescriptorFlags: LDAPSearchRequest.daclOnly)
        let entries = try connection.add(dn, attributes: attributes, thenSearch: read, deadline: Deadline(seconds: 10))
        defer { try? connection.delete(dn, tree: true, deadline: Deadline(seconds: 10)) }
        #expect(entries.map(\.dn) == [dn])
        let descriptor = try #require(entries.first?.values("nTSecurityDescriptor").first)
        #expect(descriptor.count > 20, "a self-relative security descriptor with its DACL")
        let error = #expect(throws: LDAPError.self) {
            _ = try connection.add(dn, attributes: attributes, thenSearch: read, deadline: Deadline(seconds: 10))
        }
        #expect(error?.code == .alreadyExists, "\(String(describing: error))")
        #expect(error?.operation.contains("creating \(dn)") == true)
        #expect(try connection.search([read], deadline: Deadline(seconds: 10))[0].map(\.dn) == [dn])
    }

    @Test func aFailedSearchAmongPipelinedOnesReportsItsOwnError() throws {
        let (connection, _) = try boundConnection()
        let error = #expect(throws: LDAPError.self) {
            try connection.search(
                [
                    LDAPSearchRequest(base: "", scope: .base, filter: "(objectClass=*)", attributes: ["dnsHostName"]),
                    LDAPSearchRequest(base: lab.baseDN, scope: .subtree, filter: "(this is not a filter", attributes: ["cn"]),
                ], deadline: Deadline(seconds: 10))
        }
        #expect(error?.operation.contains("(this is not a filter") == true, "\(String(describing: error))")
    }
}
