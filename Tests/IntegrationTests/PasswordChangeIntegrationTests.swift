import AdjoinCore
import Foundation
import Testing
import TestSupport
@testable import Membership
@testable import Kerberos

/// The change-password exchange (RFC 3244) against the lab DC's own kpasswd service, as `adjoin rotate`
/// does it: a kadmin/changepw ticket from the machine's keytab, then one TCP connection to port 464.
@Suite(.needsLab) struct PasswordChangeIntegrationTests {
    let lab: Lab
    let admin: AdminDirectory
    let context: KerberosContext
    init() throws {
        lab = try Lab.current()
        admin = AdminDirectory(lab: lab)
        context = try KerberosContext(profile: .pinned(realm: lab.realm, kdc: lab.dcIP, kpasswdServer: lab.dcIP))
    }

    var dc: SocketAddress { get throws { try #require(SocketAddress(numericHost: lab.dcIP, port: 88)) } }

    /// A machine account and its keytab (kvno 1), made by the agent's own join.
    func joinedHost() throws -> TestHost {
        let host = try TestHost(domain: lab.domain)
        let join = try runAgent(
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--ou", lab.organizationalUnit,
                "--host-fqdn", host.fqdn, "--root", host.root.path, "--domain-controller", lab.dcIP, "--no-configure",
            ],
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        try #require(join.status == 0, "\(join.stderr)")
        return host
    }

    func kinit(_ host: TestHost) throws -> CommandResult {
        try run(
            URL(fileURLWithPath: "/usr/bin/kinit"), ["-k", "-t", host.keytab.path, "\(host.name)$@\(lab.realm)"],
            environment: ["KRB5_CONFIG": lab.krb5Config, "KRB5CCNAME": "MEMORY:kpasswd"])
    }

    @Test func theMachineChangesItsPasswordOverOneConnectionToKpasswd() throws {
        let host = try joinedHost()
        defer { try? admin.delete(host.name + "$") }
        let machine = try Principal("\(host.name)$", context: context)
        let kdc = KDCConnection(address: try dc, realm: lab.realm)
        let kpasswd = KDCConnection(kpasswdAt: try dc, realm: lab.realm)
        let text =
            "New-" + String(UInt64.random(in: 0...UInt64.max), radix: 36) + "-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let password = SecretBytes(Array(text.utf8))

        try context.changePassword(
            machine, keytabPath: host.keytab.path, encryptionTypes: [.aes256, .aes128], to: password,
            through: kdc, kpasswd: kpasswd, deadline: Deadline(seconds: 30))
        #expect(kpasswd.address.port == 464)
        #expect(kpasswd.connections == 1, "one TCP connection to kpasswd carried the change")
        #expect(kpasswd.exchanges == 1)
        #expect(kdc.exchanges == 1, "the kadmin/changepw ticket in one AS exchange")

        // The new password logs in, with the next kvno; the keys in the keytab no longer do.
        let ticket = try context.login(
            machine, password: password, into: CredentialCache(context: context),
            through: KDCConnection(address: try dc, realm: lab.realm), deadline: Deadline(seconds: 30))
        #expect(ticket.clientKeyVersion == 2)
        #expect(try admin.computer(host.name + "$")?["msds-keyversionnumber"] == ["2"])
        #expect(try kinit(host).status != 0, "the old keys still log in: the password did not change")
    }

    /// Samba holds a user's change to the domain's password policy (a machine's it takes as it comes):
    /// a one-character password is refused with RFC 3244's soft error and the server's reason, and the
    /// user's password stays what it was.
    @Test func aPasswordThePolicyRefusesIsReportedWithTheServersResult() throws {
        let user = try Principal(lab.nonmemberUser, context: context)
        var current = Array(try Data(contentsOf: URL(fileURLWithPath: lab.nonmemberPasswordFile)))
        while current.last == UInt8(ascii: "\n") { current.removeLast() }
        // A login consumes its password (it is wiped once libkrb5 has it): one for each login.
        let password = SecretBytes(current)
        let again = SecretBytes(current)
        current.wipe()
        let cache = try CredentialCache(context: context)
        try context.login(
            user, password: password, service: "kadmin/changepw@\(lab.realm)", into: cache,
            through: KDCConnection(address: try dc, realm: lab.realm), deadline: Deadline(seconds: 30))
        let ticket = try ServiceTicket(client: user, server: Principal("kadmin/changepw@\(lab.realm)", context: context), in: cache)
        let kpasswd = KDCConnection(kpasswdAt: try dc, realm: lab.realm)

        let error = #expect(throws: KerberosError.self) {
            try context.changePassword(
                of: user.name, with: ticket, to: SecretBytes(Array("x".utf8)), through: kpasswd, deadline: Deadline(seconds: 30))
        }
        #expect(error?.code == KerberosCode.passwordChangeSoftError, "\(String(describing: error))")
        #expect(
            error?.message.contains("the kpasswd server refused: soft error (") == true, "the server's reason: \(String(describing: error))"
        )
        #expect(kpasswd.connections == 1 && kpasswd.exchanges == 1)
        try context.login(
            user, password: again, into: CredentialCache(context: context),
            through: KDCConnection(address: try dc, realm: lab.realm), deadline: Deadline(seconds: 30))
    }

    /// The DC carries out the change but its answer is lost on the way back: rotate asks the directory,
    /// finds the new kvno there, and puts the new keys in the keytab instead of leaving the host with
    /// keys the directory no longer accepts.
    @Test func aChangeWhoseAnswerIsLostIsStillCompleted() throws {
        let host = try joinedHost()
        defer { try? admin.delete(host.name + "$") }
        let relay = try ReplyDroppingRelay(to: (lab.dcIP, 464))
        var place = DirectoryPlace(files: HostFiles(root: host.root.path))
        place.domainControllers = [try HostPort(parsing: lab.dcIP)]
        var rotation = PasswordRotation(place: place, maximumAgeDays: 0)
        rotation.kpasswdServer = SocketAddress(numericHost: "127.0.0.1", port: relay.port)

        let result = try rotation.run(deadline: Deadline(seconds: 20), identity: CurrentIdentity(files: place.files, instance: nil))
        #expect(relay.answeredAndDropped == 1, "the DC answered the change, and the answer was dropped")
        #expect(result.status == .rotated)
        #expect(result.keyVersion == 2)
        #expect(result.keytabKeyVersions == [1, 2])
        #expect(try admin.computer(host.name + "$")?["msds-keyversionnumber"] == ["2"])
        #expect(try kinit(host).status == 0, "the keytab's new keys log in")
    }

    /// `adjoin rotate` of the host now, with its kpasswd exchange sent to a loopback port.
    func rotate(_ host: TestHost, kpasswdPort: UInt16) throws -> RotationResult {
        var place = DirectoryPlace(files: HostFiles(root: host.root.path))
        place.domainControllers = [try HostPort(parsing: lab.dcIP)]
        var rotation = PasswordRotation(place: place, maximumAgeDays: 0)
        rotation.kpasswdServer = SocketAddress(numericHost: "127.0.0.1", port: kpasswdPort)
        return try rotation.run(deadline: Deadline(seconds: 20), identity: CurrentIdentity(files: place.files, instance: nil))
    }

    /// Windows Server 2025's kpasswd answers a change it made with a KRB-ERROR whose result is success,
    /// which MIT krb5 rejects ("Message stream modified"). Reproduced with the lab DC doing the change and
    /// a relay answering as Windows Server 2025: rotate confirms the change from the directory's kvno and
    /// completes it.
    @Test func windowsServer2025sAnswerToAChangeItMadeIsAccepted() throws {
        let host = try joinedHost()
        defer { try? admin.delete(host.name + "$") }
        let relay = try ReplyDroppingRelay(to: (lab.dcIP, 464), replacement: KerberosDER.windowsServer2025Success(realm: lab.realm))
        let result = try rotate(host, kpasswdPort: relay.port)
        #expect(relay.answeredAndDropped == 1, "the DC made the change, and its answer was replaced")
        #expect(result.status == .rotated)
        #expect(result.keyVersion == 2)
        #expect(result.keytabKeyVersions == [1, 2])
        #expect(try admin.computer(host.name + "$")?["msds-keyversionnumber"] == ["2"])
        #expect(try kinit(host).status == 0, "the keytab's new keys log in")
    }

    /// The same answer from a server that changed nothing (a KRB-ERROR is not authenticated): the
    /// directory's kvno did not move, so rotate fails and the keytab keeps the keys that work.
    @Test func aSuccessClaimedInAKRBErrorIsNotTakenOnTrust() throws {
        let host = try joinedHost()
        defer { try? admin.delete(host.name + "$") }
        let forged = KerberosDER.windowsServer2025Success(realm: lab.realm)
        let liar = try LoopbackTCPServer { client, _ in
            if KerberosFraming.readFrame(client) != nil { KerberosFraming.writeFrame(client, forged) }
        }
        let keytab = try Data(contentsOf: host.keytab)
        let error = #expect(throws: AdjoinError.self) { try rotate(host, kpasswdPort: liar.port) }
        #expect(error?.message.contains("reported success in a KRB-ERROR") == true, "\(String(describing: error))")
        #expect(try admin.computer(host.name + "$")?["msds-keyversionnumber"] == ["1"])
        #expect(try Data(contentsOf: host.keytab) == keytab)
        #expect(try kinit(host).status == 0)
    }
}
