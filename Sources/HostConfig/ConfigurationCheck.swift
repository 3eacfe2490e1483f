import AdjoinCore

/// Whether the files a join configured still say what they must for the domain's users to log in,
/// for `adjoin status`. It checks the parts that matter, not every byte: an administrator may have
/// tuned sssd.conf or added realms to krb5.conf since.
public enum ConfigurationCheck {
    /// What is missing, one sentence each; empty when the host's configuration is in place.
    /// `access`: who the join let in (nil: not recorded, by an older adjoin); what grants more is a problem.
    public static func problems(domain: String, realm: String, access: LoginAccess? = nil, files: HostFiles) throws(AdjoinError) -> [String]
    {
        let domain = domain.lowercased()
        var problems: [String] = []

        if let krb5 = try text(KerberosConfiguration.path, files) {
            // Read as the join wrote it and as MIT reads it: the section's first relation counts.
            let profile = ProfileDocument(text: krb5)
            if profile.value("default_realm", in: "libdefaults") != realm {
                problems.append("\(KerberosConfiguration.path) does not set default_realm = \(realm)")
            }
            if !profile.hasBlock(realm, in: "realms") {
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
            if let access { problems += try loginProblems(access, domain: domain, sssd: document, files: files) }
        } else {
            problems.append("\(SSSDConfiguration.path) is missing")
        }
        if let access { problems += try sudoProblems(access, files: files) }
        if let access { problems += try sshProblems(access, files: files) }

        let nsswitch = try text(NameServiceSwitch.path, files) ?? ""
        for database in ["passwd", "group"] where !NameServiceSwitch.sources(of: database, in: nsswitch).contains("sss") {
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

    /// sssd reads conf.d's snippets after sssd.conf, in name order, and the last value of a key wins.
    static let snippets = "/etc/sssd/conf.d/"

    /// Logins wider than the join's: another access provider, other groups, users let in by name.
    private static func loginProblems(
        _ access: LoginAccess, domain: String, sssd: INIDocument,
        files: HostFiles
    ) throws(AdjoinError) -> [String] {
        let section = "domain/" + domain
        var documents = [sssd]
        for snippet in try files.files(in: snippets) where snippet.hasSuffix(".conf") {
            documents.append(INIDocument(text: try text(snippet, files) ?? ""))
        }
        func effective(_ key: String) -> String? { documents.compactMap { $0.value(key, in: section) }.last }
        func list(_ key: String) -> Set<String> {
            Set((effective(key) ?? "").split(separator: ",").map { $0.trimmingWhitespace().lowercased() }.filter { !$0.isEmpty })
        }
        let provider = effective("access_provider") ?? "unset"
        let source = "\(SSSDConfiguration.path) (with \(snippets))"
        if access.allowedGroups.isEmpty {
            return provider == "deny" ? [] : ["\(source) lets domain users log in (access_provider = \(provider)), where the join let none"]
        }
        let joined = access.allowedGroups.joined(separator: ", ")
        guard provider == "simple" else {
            return ["\(source) has access_provider = \(provider), where the join let only \(joined) log in"]
        }
        var problems: [String] = []
        let groups = list("simple_allow_groups")
        if groups != Set(access.allowedGroups.map { $0.lowercased() }) {
            problems.append(
                "\(source) lets \(groups.isEmpty ? "every domain user" : groups.sorted().joined(separator: ", ")) log in, where the join let \(joined)"
            )
        }
        let users = list("simple_allow_users")
        if !users.isEmpty {
            problems.append("\(source) also lets \(users.sorted().joined(separator: ", ")) log in by name (simple_allow_users)")
        }
        return problems
    }

    /// /etc/sudoers.d/adjoin as the join wrote it, or absent where it gave no group sudo.
    private static func sudoProblems(_ access: LoginAccess, files: HostFiles) throws(AdjoinError) -> [String] {
        let current = try text(SudoersDropIn.path, files)
        guard let group = access.sudoGroup else {
            return current == nil ? [] : ["\(SudoersDropIn.path) exists, where the join gave no group sudo"]
        }
        guard let name = try? GroupName(group), current == SudoersDropIn.render(name) else {
            return ["\(SudoersDropIn.path) no longer says what the join wrote (sudo for the members of \(group))"]
        }
        return []
    }

    /// sshd's drop-in as the join wrote it, or absent where the join wrote none.
    private static func sshProblems(_ access: LoginAccess, files: HostFiles) throws(AdjoinError) -> [String] {
        let current = try text(SSHDropIn.path, files)
        guard access.ssh else {
            return current == nil ? [] : ["\(SSHDropIn.path) exists, where the join configured no SSH logins"]
        }
        var groups: [GroupName] = []
        for name in access.allowedGroups {
            guard let group = try? GroupName(name) else {
                return ["\(SSHDropIn.path): the join record names a group sshd cannot be given (\(name))"]
            }
            groups.append(group)
        }
        guard let current else {
            return [
                "\(SSHDropIn.path) is missing (SSH logins by AD password and Kerberos for \(access.allowedGroups.joined(separator: ", ")))"
            ]
        }
        return current == SSHDropIn.render(groups)
            ? []
            : [
                "\(SSHDropIn.path) no longer says what the join wrote (SSH logins by AD password and Kerberos for \(access.allowedGroups.joined(separator: ", ")))"
            ]
    }

    private static func text(_ path: String, _ files: HostFiles) throws(AdjoinError) -> String? {
        try files.read(path).map { String(decoding: $0, as: UTF8.self) }
    }
}
