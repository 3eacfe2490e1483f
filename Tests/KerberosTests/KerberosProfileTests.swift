import AdjoinCore
import Testing
@testable import Kerberos

@Suite struct KerberosContextTests {
    @Test func inMemoryProfileGivesTheDefaultRealm() throws {
        // The realm can only come from the in-memory profile: nothing else names it.
        let context = try KerberosContext(profile: .pinned(realm: "UNIT.EXAMPLE.TEST", kdc: "127.0.0.1:1", kpasswdServer: "127.0.0.1:1"))
        let principal = try Principal("someone", context: context)
        #expect(principal.realm == "UNIT.EXAMPLE.TEST")
        #expect(principal.name == "someone@UNIT.EXAMPLE.TEST")
    }

    @Test func parsesServicePrincipals() throws {
        let context = try KerberosContext(profile: .pinned(realm: "UNIT.EXAMPLE.TEST", kdc: "127.0.0.1:1", kpasswdServer: "127.0.0.1:1"))
        let principal = try Principal("host/web1.unit.example.test@OTHER.TEST", context: context)
        #expect(principal.components == ["host", "web1.unit.example.test"])
        #expect(principal.realm == "OTHER.TEST")
    }

    @Test func loginWithAnUnreachableKDCIsANetworkFailure() throws {
        // Port 1 on loopback: nothing listens, so the KDC is unreachable at once.
        let context = try KerberosContext(profile: .pinned(realm: "UNIT.EXAMPLE.TEST", kdc: "127.0.0.1:1", kpasswdServer: "127.0.0.1:1"))
        let cache = try CredentialCache(context: context)
        let kdc = KDCConnection(address: SocketAddress(numericHost: "127.0.0.1", port: 1)!, realm: "UNIT.EXAMPLE.TEST")
        let error = #expect(throws: KerberosError.self) {
            try context.login(
                Principal("someone", context: context), password: SecretBytes(Array("pw".utf8)), into: cache,
                through: kdc, deadline: Deadline(seconds: 5))
        }
        #expect(error?.isNetworkFailure == true)
        #expect(error?.operation.contains("127.0.0.1:1") == true, "\(String(describing: error))")
    }

    @Test func aLoginReferredToAnotherRealmIsRefusedBeforeAnythingIsSent() throws {
        let context = try KerberosContext(profile: .pinned(realm: "UNIT.EXAMPLE.TEST", kdc: "127.0.0.1:1", kpasswdServer: "127.0.0.1:1"))
        let cache = try CredentialCache(context: context)
        let kdc = KDCConnection(address: SocketAddress(numericHost: "127.0.0.1", port: 1)!, realm: "UNIT.EXAMPLE.TEST")
        let error = #expect(throws: KerberosError.self) {
            try context.login(
                Principal("someone@ELSEWHERE.TEST", context: context), password: SecretBytes(Array("pw".utf8)), into: cache,
                through: kdc, deadline: Deadline(seconds: 5))
        }
        #expect(error?.message.contains("ELSEWHERE.TEST") == true, "\(String(describing: error))")
        #expect(kdc.connections == 0)
    }

    @Test func memoryCacheHasAMemoryName() throws {
        let context = try KerberosContext(profile: KerberosProfile())
        let cache = try CredentialCache(context: context)
        #expect(cache.name.hasPrefix("MEMORY:"))
    }

    @Test func secretsDoNotPrint() {
        let secret = SecretBytes(Array("hunter2".utf8))
        #expect("\(secret)" == "<secret>")
        #expect(String(reflecting: secret) == "<secret>")
        #expect(secret.withUnsafeBytes { Array($0) } == Array("hunter2".utf8))
    }
}

@Suite struct KerberosProfileTextTests {
    @Test func rendersKrb5ConfSyntax() {
        let text = KerberosProfile.pinned(realm: "CORP.EXAMPLE.COM", kdc: "10.0.0.5:88", kpasswdServer: "10.0.0.5:464").configurationText
        #expect(text.hasPrefix("[libdefaults]\n\tdefault_realm = CORP.EXAMPLE.COM\n"))
        #expect(text.contains("\tdns_canonicalize_hostname = false\n"))
        #expect(text.contains("\trdns = false\n"))
        #expect(text.contains("[realms]\n\tCORP.EXAMPLE.COM = {\n\t\tkdc = 10.0.0.5:88\n\t\tkpasswd_server = 10.0.0.5:464\n"))
        #expect(text.hasSuffix("\t}\n"))
    }
}
