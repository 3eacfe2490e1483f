import AdjoinCore

/// Whether the files a join configured still say what they must for the domain's users to log in,
/// for `adjoin status`. It checks the parts that matter, not every byte: an administrator may have
/// tuned sssd.conf or added realms to krb5.conf since.
public enum ConfigurationCheck {
    /// What is missing, one sentence each; empty when the host's configuration is in place.
    public static func problems(domain: String, realm: String, files: HostFiles) throws(AdjoinError) -> [String] {
        let domain = domain.lowercased()
        var problems: [String] = []

        if let krb5 = try text(KerberosConfiguration.path, files) {
            let relations = krb5.split(separator: "\n").map { $0.trimmingWhitespace().replacingSpaces() }
            if !relations.contains("default_realm=\(realm)") {
                problems.append("\(KerberosConfiguration.path) does not set default_realm = \(realm)")
            }
            if !relations.contains("\(realm)={") {
                problems.append("\(KerberosConfiguration.path) has no [realms] block for \(realm)")
            }
        } else {
            problems.append("\(KerberosConfiguration.path) is missing")
        }

        if let sssd = try text(SSSDConfiguration.path, files) {
            let document = INIDocument(text: sssd)
            if document.value("id_provider", in: "domain/" + domain) != "ad" {
                problems.append("\(SSSDConfiguration.path) has no [domain/\(domain)] section with id_provider = ad")
            }
            let domains = (document.value("domains", in: "sssd") ?? "").split(separator: ",").map { $0.trimmingWhitespace().lowercased() }
            if !domains.contains(domain) {
                problems.append("\(SSSDConfiguration.path) does not list \(domain) in [sssd] domains")
            }
            if files.mode(SSSDConfiguration.path) != 0o600 {
                problems.append("\(SSSDConfiguration.path) is not mode 0600 (sssd refuses to start)")
            }
        } else {
            problems.append("\(SSSDConfiguration.path) is missing")
        }

        let nsswitch = try text(NameServiceSwitch.path, files) ?? ""
        for database in ["passwd", "group"] where !nsswitch.split(separator: "\n").contains(where: { line in
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" })
            return words.first == Substring(database) && words.contains("sss")
        }) {
            problems.append("\(NameServiceSwitch.path) does not ask sss for \(database)")
        }

        // Where authselect manages PAM, its system-auth is the stack, even beside Debian's common-auth.
        let authselect = files.exists(PAMTool.authselectConfiguration)
        let stack = !authselect && files.exists("/etc/pam.d/common-auth") ? "/etc/pam.d/common-auth" : "/etc/pam.d/system-auth"
        if try !PAMConfiguration.mentions(files, stack, "pam_sss.so") {
            problems.append("\(stack) does not use pam_sss")
        }
        return problems
    }

    private static func text(_ path: String, _ files: HostFiles) throws(AdjoinError) -> String? {
        try files.read(path).map { String(decoding: $0, as: UTF8.self) }
    }
}

extension String {
    /// The relation without blanks, so that `default_realm = X` and `default_realm=X` compare equal.
    fileprivate func replacingSpaces() -> String {
        String(unicodeScalars.filter { $0 != " " && $0 != "\t" })
    }
}
