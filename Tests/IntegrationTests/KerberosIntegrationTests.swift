import AdjoinCore
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
    import Glibc
#endif
@testable import Kerberos

/// Kerberos against the lab DC's KDC, with a profile that exists only in memory and every message
/// carried by the join's own connection to the KDC.
@Suite(.needsLab) struct KerberosIntegrationTests {
    let lab: Lab
    let context: KerberosContext
    let kdc: KDCConnection
    init() throws {
        lab = try Lab.current()
        context = try KerberosContext(profile: .pinned(realm: lab.realm, kdc: lab.dcIP, kpasswdServer: lab.dcIP))
        kdc = KDCConnection(address: try #require(SocketAddress(numericHost: lab.dcIP, port: 88)), realm: lab.realm)
    }

    /// The user's current kvno, as the directory reports it.
    func directoryKeyVersion(_ samAccountName: String) throws -> UInt32? {
        try AdminDirectory(lab: lab).computer(samAccountName)?["msds-keyversionnumber"]?.first.flatMap { UInt32($0) }
    }

    @Test func joinUserGetsTheLDAPTicketInTwoExchangesOverOneConnection() throws {
        let cache = try CredentialCache(context: context)
        let user = try Principal(lab.joinUser, context: context)
        let ticket = try context.login(
            user, password: SecretBytes(try lab.joinPassword()), service: "ldap/\(lab.dcHost)",
            into: cache, through: kdc, deadline: Deadline(seconds: 10))
        #expect(user.name == "\(lab.joinUser)@\(lab.realm)")
        // The salt is not guessed: the first request gets "pre-authentication required" and the salt, by
        // UDP while the TCP handshake is under way; the second goes on the TCP connection.
        #expect(kdc.datagrams == 1)
        #expect(kdc.exchanges == 1)
        #expect(kdc.connections == 1)
        #expect(ticket.clientKeyVersion != nil)
        #expect(ticket.clientKeyVersion == (try directoryKeyVersion(lab.joinUser)))
    }

    /// The KDC's UDP side refuses the first request (nothing listens there: the kernel answers "port
    /// unreachable"), as where a firewall lets only TCP through: the same request goes by TCP, at once,
    /// and the login succeeds. A relay on a port of its own carries TCP alone to the lab's KDC.
    @Test func aLoginWhoseDatagramIsRefusedSendsItByTCP() throws {
        let upstream = try #require(SocketAddress(numericHost: lab.dcIP, port: 88))
        let relayed = Locked(0)
        let relay = try LoopbackTCPServer { client, _ in
            guard let server = try? TCPConnect.open(upstream, deadline: Deadline(seconds: 10), purpose: "the lab's KDC") else { return }
            defer { close(server) }
            while let request = KerberosFraming.readFrame(client) {
                KerberosFraming.writeFrame(server, request)
                guard let reply = KerberosFraming.readFrame(server) else { return }
                relayed.withLock { $0 += 1 }
                KerberosFraming.writeFrame(client, reply)
            }
        }
        let kdc = KDCConnection(address: try #require(SocketAddress(numericHost: "127.0.0.1", port: relay.port)), realm: lab.realm)
        let ticket = try context.login(
            try Principal(lab.joinUser, context: context), password: SecretBytes(try lab.joinPassword()),
            service: "ldap/\(lab.dcHost)", into: CredentialCache(context: context), through: kdc,
            deadline: Deadline(seconds: 10))
        #expect(kdc.datagrams == 0)
        #expect(kdc.exchanges == 2, "both requests by TCP")
        #expect(relayed.withLock { $0 } == 2)
        #expect(kdc.connections == 1)
        #expect(ticket.clientKeyVersion != nil)
    }

    /// A head start: the login's first request (for a TGT) sent by UDP before the login begins, as the
    /// join does while the DC answers its CLDAP ping. The login then sends only its pre-authenticated
    /// request, for the ldap/ ticket, on the TCP connection that the head start began.
    @Test func aLoginAfterAnEarlyRequestSendsOneRequestByTCP() throws {
        let user = try Principal(lab.joinUser, context: context)
        kdc.sendEarly(try context.firstRequest(user))
        let cache = try CredentialCache(context: context)
        let ticket = try context.login(
            user, password: SecretBytes(try lab.joinPassword()), service: "ldap/\(lab.dcHost)",
            into: cache, through: kdc, deadline: Deadline(seconds: 10))
        #expect(kdc.datagrams == 1)
        #expect(kdc.exchanges == 1, "the login's own first request never went out")
        #expect(kdc.connections == 1)
        #expect(ticket.clientKeyVersion == (try directoryKeyVersion(lab.joinUser)))
        // The ticket asked for is in the cache, not the early request's TGT.
        _ = try ServiceTicket(client: user, server: Principal("ldap/\(lab.dcHost)", context: context), in: cache)
    }

    /// The early request's answer never comes (its UDP port refuses it, as the relay above has no UDP):
    /// the login sends its own first request by TCP and succeeds all the same.
    @Test func aLoginWhoseEarlyRequestGotNoAnswerSendsItsOwn() throws {
        let upstream = try #require(SocketAddress(numericHost: lab.dcIP, port: 88))
        let relay = try LoopbackTCPServer { client, _ in
            guard let server = try? TCPConnect.open(upstream, deadline: Deadline(seconds: 10), purpose: "the lab's KDC") else { return }
            defer { close(server) }
            while let request = KerberosFraming.readFrame(client) {
                KerberosFraming.writeFrame(server, request)
                guard let reply = KerberosFraming.readFrame(server) else { return }
                KerberosFraming.writeFrame(client, reply)
            }
        }
        let kdc = KDCConnection(address: try #require(SocketAddress(numericHost: "127.0.0.1", port: relay.port)), realm: lab.realm)
        let user = try Principal(lab.joinUser, context: context)
        kdc.sendEarly(try context.firstRequest(user))
        _ = try context.login(
            user, password: SecretBytes(try lab.joinPassword()), service: "ldap/\(lab.dcHost)",
            into: CredentialCache(context: context), through: kdc, deadline: Deadline(seconds: 10))
        #expect(kdc.datagrams == 0)
        #expect(kdc.exchanges == 2)
        #expect(kdc.connections == 1)
    }

    /// With keys at hand (a keytab), the first request already carries the encrypted timestamp.
    @Test func keytabLoginIsOneExchange() throws {
        let user = try Principal(lab.joinUser, context: context)
        let kvno = try #require(try directoryKeyVersion(lab.joinUser))
        // The user's AES key, derived as AD salts a user's keys: the realm, then the account name.
        let key = try context.deriveKey(.aes256, password: SecretBytes(try lab.joinPassword()), salt: lab.realm + lab.joinUser)
        let scratch = ScratchRoot("adjoin-kt")
        defer { scratch.remove() }
        let directory = scratch.url
        let path = directory.appendingPathComponent("user.keytab").path
        let entry = KeytabEntry(
            components: [lab.joinUser], realm: lab.realm, nameType: 1, timestamp: 0, kvno: kvno,
            enctype: EncryptionType.aes256.number, key: key)
        var bytes = KeytabFormat.encode([entry])
        defer { bytes.wipe() }
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let ticket = try context.login(
            user, keytabPath: path, encryptionTypes: [.aes256], into: CredentialCache(context: context),
            through: kdc, deadline: Deadline(seconds: 10))
        #expect(kdc.exchanges == 1)
        #expect(ticket.clientKeyVersion == kvno)
    }

    @Test func wrongPasswordIsAnAuthenticationFailure() throws {
        let cache = try CredentialCache(context: context)
        let error = #expect(throws: KerberosError.self) {
            try context.login(
                Principal(lab.joinUser, context: context), password: SecretBytes(Array("not-the-password".utf8)), into: cache,
                through: kdc, deadline: Deadline(seconds: 10))
        }
        #expect(error?.isAuthenticationFailure == true, "\(String(describing: error))")
    }

    @Test func unknownUserIsAnAuthenticationFailure() throws {
        let cache = try CredentialCache(context: context)
        let error = #expect(throws: KerberosError.self) {
            try context.login(
                Principal("no-such-user-\(UInt32.random(in: 0...UInt32.max))", context: context),
                password: SecretBytes(Array("whatever".utf8)), into: cache, through: kdc, deadline: Deadline(seconds: 10))
        }
        #expect(error?.isAuthenticationFailure == true, "\(String(describing: error))")
    }
}
