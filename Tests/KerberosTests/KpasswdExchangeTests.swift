import AdjoinCore
import Foundation
import TestSupport
import Testing
@testable import Kerberos

/// The change-password exchange (RFC 3244) against kpasswd servers that misbehave on purpose: the
/// lab's Samba DC answers properly, so silence and hostile replies come from FakeTCPKDC. The client's
/// side is real: libkrb5 builds the AP-REQ and KRB-PRIV from a ticket whose encrypted part only a real
/// KDC could read, which these servers never need to.
@Suite struct KpasswdExchangeTests {
    let context: KerberosContext
    let password: SecretBytes
    let passwordText: String

    init() throws {
        context = try KerberosContext(profile: .pinned(realm: Self.realm, kdc: "127.0.0.1:1", kpasswdServer: "127.0.0.1:1"))
        passwordText = "Canary-" + String(UInt64.random(in: 0...UInt64.max), radix: 36) + "-pw"
        password = SecretBytes(Array(passwordText.utf8))
    }

    static let realm = "UNIT.EXAMPLE.TEST"

    func ticket() throws -> ServiceTicket {
        let sessionKey = SecretBytes((0..<32).map { _ in UInt8.random(in: 0...255) })
        return try ServiceTicket(
            client: Principal("WEB1$", context: context), server: Principal("kadmin/changepw", context: context),
            encodedTicket: KerberosDER.ticket(realm: Self.realm), sessionKeyType: .aes256, sessionKey: sessionKey)
    }

    func change(at server: FakeTCPKDC, deadline: Deadline = Deadline(seconds: 10)) throws -> (KerberosError?, KDCConnection) {
        let kpasswd = KDCConnection(kpasswdAt: SocketAddress(numericHost: "127.0.0.1", port: 0)!, realm: Self.realm)
        // The fake listens on a port of its own; the real one is 464 unless the caller names another.
        #expect(kpasswd.address.port == 464)
        let connection = KDCConnection(kpasswdAt: SocketAddress(numericHost: "127.0.0.1", port: 0)!, port: server.port, realm: Self.realm)
        let ticket = try ticket()
        let error = #expect(throws: KerberosError.self) {
            try context.changePassword(of: "WEB1$@\(Self.realm)", with: ticket, to: password, through: connection, deadline: deadline)
        }
        if let error {
            #expect(!error.description.contains(passwordText), "the password is in the error: \(error)")
        }
        return (error, connection)
    }

    @Test func aSilentServerEndsTheChangeAtTheDeadline() throws {
        let server = try FakeTCPKDC { _, _ in .silence }
        let deadline = Deadline(seconds: 0.5)
        let (error, connection) = try change(at: server, deadline: deadline)
        #expect(error?.isNetworkFailure == true, "\(String(describing: error))")
        #expect(error?.operation.contains("kpasswd server") == true, "\(String(describing: error))")
        #expect(deadline.isExpired)
        #expect(deadline.elapsed < .seconds(8), "a silent kpasswd server must not be waited on past the deadline")
        #expect(connection.connections == 1)

        // What it was sent: RFC 3244's framing around an AP-REQ and a KRB-PRIV, the password sealed inside.
        let request = try #require(server.received.first)
        #expect(server.received.count == 1)
        #expect(Int(request[0]) << 8 | Int(request[1]) == request.count)
        #expect(request[2...3] == [0x00, 0x01], "protocol version 1")
        let apReqLength = Int(request[4]) << 8 | Int(request[5])
        #expect(6 + apReqLength < request.count)
        #expect(request[6] == 0x6E, "an AP-REQ, [APPLICATION 14]")
        #expect(request[6 + apReqLength] == 0x75, "a KRB-PRIV, [APPLICATION 21]")
        #expect(request.firstRange(of: Array(passwordText.utf8)) == nil, "the password went out in the clear")
    }

    @Test func aTruncatedReplyIsMalformed() throws {
        let server = try FakeTCPKDC { _, _ in .reply([0x00, 0x20, 0x00, 0x01]) }
        let (error, _) = try change(at: server)
        #expect(error?.code == KerberosCode.passwordChangeMalformedReply)
        #expect(error?.message.contains("malformed") == true, "\(String(describing: error))")
    }

    @Test func aReplyOfAnotherVersionIsRefused() throws {
        let server = try FakeTCPKDC { _, _ in .reply([0x00, 0x0A, 0xFF, 0x80, 0x00, 0x02, 0x6F, 0x00, 0x75, 0x00]) }
        let (error, _) = try change(at: server)
        #expect(error?.code == KerberosCode.passwordChangeMalformedReply)
        #expect(error?.message.contains("version 65408") == true, "\(String(describing: error))")
    }

    @Test func anAPREPLengthPastTheEndIsMalformed() throws {
        let server = try FakeTCPKDC { _, _ in .reply([0x00, 0x0A, 0x00, 0x01, 0xFF, 0xF0, 0x6F, 0x00, 0x75, 0x00]) }
        let (error, _) = try change(at: server)
        #expect(error?.code == KerberosCode.passwordChangeMalformedReply)
        #expect(error?.message.contains("truncated AP-REP") == true, "\(String(describing: error))")
    }

    @Test func aMessageLengthThatDisagreesIsMalformed() throws {
        let server = try FakeTCPKDC { _, _ in .reply([0xFF, 0xFF, 0x00, 0x01, 0x00, 0x02, 0x6F, 0x00, 0x75, 0x00]) }
        let (error, _) = try change(at: server)
        #expect(error?.code == KerberosCode.passwordChangeMalformedReply)
        #expect(error?.message.contains("65535 bytes long") == true, "\(String(describing: error))")
    }

    @Test func aHugeTransportLengthIsRefusedUnread() throws {
        let server = try FakeTCPKDC { _, _ in .rawThenClose([0xFF, 0xFF, 0xFF, 0xFF, 0x00]) }
        let (error, _) = try change(at: server)
        #expect(error?.isNetworkFailure == true)
        #expect(error?.message.contains("4294967295 bytes") == true, "\(String(describing: error))")
    }

    @Test func anAPREPThatDoesNotDecodeIsAnError() throws {
        let server = try FakeTCPKDC { _, _ in .reply([0x00, 0x0C, 0x00, 0x01, 0x00, 0x04, 0x6F, 0x02, 0x30, 0x00, 0x75, 0x00]) }
        let (error, _) = try change(at: server)
        #expect(error?.operation == "reading the AP-REP", "\(String(describing: error))")
    }

    @Test func aKRBErrorAloneGivesItsCode() throws {
        let server = try FakeTCPKDC { _, _ in .reply(KerberosDER.krbError(code: 37, realm: Self.realm, text: "clock\u{1B}[31m off")) }
        let (error, _) = try change(at: server)
        #expect(error?.code == KerberosCode.clockSkew, "\(String(describing: error))")
        #expect(error?.message.contains("clock?[31m off") == true, "the server's text, without its escape: \(String(describing: error))")
    }

    @Test func aKRBErrorInTheFramingGivesTheResultItCarries() throws {
        let result: [UInt8] = [0x00, 0x04] + Array("Password too short".utf8)
        let framed = KerberosDER.kpasswdErrorReply(KerberosDER.krbError(code: 60, realm: Self.realm, text: nil, data: result))
        let server = try FakeTCPKDC { _, _ in .reply(framed) }
        let (refusal, _) = try change(at: server)
        #expect(refusal?.code == KerberosCode.passwordChangeSoftError, "\(String(describing: refusal))")
        #expect(refusal?.message.contains("soft error") == true, "\(String(describing: refusal))")
        #expect(refusal?.message.contains("Password too short") == true, "\(String(describing: refusal))")
    }

    /// Windows Server 2025 answers a change it made with a KRB-ERROR whose result is success: reported as
    /// such (MIT's code for it, "Message stream modified"), not as a refusal, for rotate to confirm.
    @Test func windowsServer2025sSuccessInAKRBErrorIsToBeConfirmed() throws {
        let server = try FakeTCPKDC { _, _ in .reply(KerberosDER.windowsServer2025Success(realm: Self.realm)) }
        let (error, _) = try change(at: server)
        #expect(error?.code == KerberosCode.passwordChangeSuccessInError, "\(String(describing: error))")
        #expect(
            error?.message == "the kpasswd server reported success in a KRB-ERROR, as Windows Server 2025 does; "
                + "an unauthenticated answer, to be confirmed", "\(String(describing: error))")
    }

    @Test func theFramingIsCheckedBothWays() throws {
        #expect(try KpasswdMessage.reply([0x7E, 0x00]) == .error([0x7E, 0x00]))
        #expect(
            try KpasswdMessage.reply([0x00, 0x09, 0x00, 0x01, 0x00, 0x01, 0x6F, 0x75, 0x00]) == .answer(apRep: [0x6F], priv: [0x75, 0x00]))
        #expect(throws: DecodeError.self) { try KpasswdMessage.reply([0x00, 0x07, 0x00, 0x01, 0x00, 0x01, 0x6F]) }
        #expect(throws: DecodeError.self) { try KpasswdMessage.reply([]) }
        #expect(throws: DecodeError.self) { try KpasswdMessage.result([0x00]) }
        #expect(throws: DecodeError.self) {
            try KpasswdMessage.request(apReq: [UInt8](repeating: 0, count: 40_000), priv: [UInt8](repeating: 0, count: 30_000))
        }
        #expect(try KpasswdMessage.request(apReq: [0x6E], priv: [0x75, 0x00]) == [0x00, 0x09, 0x00, 0x01, 0x00, 0x01, 0x6E, 0x75, 0x00])
    }
}
