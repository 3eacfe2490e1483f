import Foundation

/// sssd gives an online authentication 6 s (krb5_auth_timeout) and an LDAP or global catalog
/// connection 6 s before it marks the server down, and a user who never logged in is then refused.
/// On a loaded two-core CI machine both happened once (a failed authentication; a group lookup with
/// "No available servers for service 'AD_GC'"). A drop-in of the test's own, beside the sssd.conf
/// adjoin wrote (which stays as it is), gives the DC more time; `remove` takes it away before leave.
struct SSSDTestTimeouts {
    let file: URL

    /// `confD`: the host's /etc/sssd/conf.d, as the test sees it.
    init(in confD: URL, domain: String) throws {
        file = confD.appendingPathComponent("99-adjoin-test-timeouts.conf")
        try FileManager.default.createDirectory(at: confD, withIntermediateDirectories: true)
        let timeouts = ["krb5_auth_timeout = 60", "ldap_network_timeout = 30", "ldap_opt_timeout = 30", "ldap_search_timeout = 30"]
        try Data("[domain/\(domain)]\n\(timeouts.joined(separator: "\n"))\n".utf8).write(to: file)
        // sssd refuses a snippet others may read.
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
    }

    func remove() { try? FileManager.default.removeItem(at: file) }
}
