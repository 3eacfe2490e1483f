@testable import Membership
import Testing
@testable import Agent

/// The JOINED message the status table keeps for each instance.
@Suite struct JoinedMessageTests {
    /// A join's warnings go into the item's message: the fleet view is where an operator finds the hosts a storm left
    /// without their DNS record.
    @Test func theWarningsGoWithWhatWasDone() {
        var result = JoinResult(
            domain: "corp.example.com", computerName: "WEB1", computerDN: "CN=WEB1,DC=corp,DC=example,DC=com",
            domainController: "dc1", kvno: 1, created: true, keytabPath: "/etc/krb5.keytab", encryptionTypes: [.aes256])
        let plain = JoinUseCase.joinedMessage(result, keys: "keytab /etc/krb5.keytab proven at kvno 1", configured: "sssd")
        #expect(plain == "created CN=WEB1,DC=corp,DC=example,DC=com; keytab /etc/krb5.keytab proven at kvno 1; host: sssd")
        result.warnings = ["could not register web1.corp.example.com in DNS at dc1: no answer; the host is joined without its DNS record"]
        let warned = JoinUseCase.joinedMessage(result, keys: "keytab /etc/krb5.keytab proven at kvno 1", configured: "sssd")
        #expect(warned == plain + "; warning: " + result.warnings[0])
    }
}
