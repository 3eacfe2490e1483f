import AdjoinCore

/// /etc/ssh/sshd_config.d/10-adjoin.conf: members of the groups allowed to log in may use their AD
/// password (password and keyboard-interactive, through PAM and sssd) and Kerberos (GSSAPI, with the
/// host keytab). Everyone else keeps the image's rules.
///
/// Stock cloud images turn passwords off with a global `PasswordAuthentication no` in a drop-in
/// (cloud-init's 50-cloud-init.conf, Ubuntu's 60-cloudimg-settings.conf), and sshd keeps the first
/// value it reads for a global keyword, so a global `yes` of ours would either lose or, read first,
/// open passwords to everyone. A `Match Group` block applies to its members whatever the global value
/// was, and a Match block in an included file ends with that file, so the lines after it stay global.
/// The name sorts before the images' drop-ins: among Match blocks too, the first value read wins.
enum SSHDropIn {
    static let directory = "/etc/ssh/sshd_config.d"
    static let path = directory + "/10-adjoin.conf"

    /// sssd's helper that prints a user's public keys from the directory (sssd-common on Debian and
    /// Ubuntu, sssd-common on the RHEL family and Amazon Linux: the same path).
    static let authorizedKeysCommand = "/usr/bin/sss_ssh_authorizedkeys"

    /// `keysFromDirectory`: members' public keys come from the directory too (sssd's ssh responder),
    /// besides their own authorized_keys files. The command runs as nobody: it needs no privilege.
    static func render(_ groups: [GroupName], keysFromDirectory: Bool = false) -> String {
        var lines = [
            "# Written by adjoin: members of the AD groups allowed to log in (\(groups.map(\.value).joined(separator: ", ")))",
            keysFromDirectory
                ? "# may log in with their AD password, by Kerberos and with the SSH keys the directory holds for them. Others keep the rules of the rest of sshd's configuration."
                : "# may log in with their AD password and by Kerberos. Others keep the rules of the rest of sshd's configuration.",
            "Match Group \(pattern(groups))",
            "\tPasswordAuthentication yes",
            "\tKbdInteractiveAuthentication yes",
            "\tGSSAPIAuthentication yes",
        ]
        if keysFromDirectory {
            lines += ["\tAuthorizedKeysCommand \(authorizedKeysCommand)", "\tAuthorizedKeysCommandUser nobody"]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// sshd's pattern list for the groups, as sssd names them: lower case (the AD provider folds case,
    /// and sshd compares group names exactly), comma-separated, quoted as one word so that a name with a
    /// space ("domain users") stays whole. GroupName admits no `,` `*` `?` `!` `"` or `#`, the
    /// characters that would mean something else to sshd, so every name it holds can be written.
    static func pattern(_ groups: [GroupName]) -> String {
        var names: [String] = []
        for group in groups where !names.contains(group.value.lowercased()) {
            names.append(group.value.lowercased())
        }
        return "\"" + names.joined(separator: ",") + "\""
    }
}
