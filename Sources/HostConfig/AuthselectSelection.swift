/// authselect (RHEL 9, Amazon Linux 2023, Fedora; Debian 13 packages the same upstream profiles): the
/// selection a join asks for, and the files authselect owns. authselect writes PAM and nsswitch.conf
/// itself from its profiles, so adjoin edits none of them; it keeps them before authselect runs, and
/// leave puts them back, which restores the previous selection (or none).
enum AuthselectSelection {
    static let profile = "sssd"
    /// Home directories on first login, and sudo rules from the directory.
    static let required = ["with-mkhomedir", "with-sudo"]

    /// The system files authselect replaces with links to its own copies (/etc/pam.d/system-auth ->
    /// /etc/authselect/system-auth): where a plain file was there before, leave puts it back in the link's place.
    static let links = [
        "/etc/pam.d/system-auth", "/etc/pam.d/password-auth", "/etc/pam.d/fingerprint-auth",
        "/etc/pam.d/smartcard-auth", "/etc/pam.d/postlogin", "/etc/nsswitch.conf",
        "/etc/dconf/db/distro.d/20-authselect", "/etc/dconf/db/distro.d/locks/20-authselect",
    ]
    /// Its selection and the files it generates.
    static let generated = [
        "/etc/authselect/authselect.conf", "/etc/authselect/system-auth", "/etc/authselect/password-auth",
        "/etc/authselect/nsswitch.conf", "/etc/authselect/fingerprint-auth", "/etc/authselect/smartcard-auth",
        "/etc/authselect/postlogin", "/etc/authselect/dconf-db", "/etc/authselect/dconf-locks",
    ]

    /// What `authselect select` must be given, or nil when `current` (the words of `authselect current
    /// --raw`: profile, then features; empty when nothing is selected) already has it.
    ///
    /// The features already selected are kept where the sssd profile has them too (`supported`, from
    /// `authselect list-features sssd`): another profile's with-faillock stays, a feature sssd lacks is
    /// listed in `dropped` so that the output can say so.
    /// `profile` is the sssd profile, or adjoin's custom profile based on it (AuthselectCustomProfile).
    static func select(current: [String], supported: Set<String>, profile: String = profile) -> (features: [String], dropped: [String])? {
        let selected = Array(current.dropFirst())
        if current.first == profile, required.allSatisfy(selected.contains) { return nil }
        var features = selected.filter(supported.contains)
        for feature in required where !features.contains(feature) { features.append(feature) }
        return (features, selected.filter { !supported.contains($0) })
    }

    /// The words of `authselect current --raw` or `list-features` output.
    static func words(_ output: String) -> [String] {
        output.split(whereSeparator: \.isWhitespace).map(String.init)
    }
}
