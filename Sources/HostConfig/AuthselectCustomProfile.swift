import AdjoinCore

/// The sssd profile's with-mkhomedir names pam_oddjob_mkhomedir. Where oddjob-mkhomedir is not
/// installed that module is missing, and PAM would skip it: no home would be made. There adjoin selects
/// a custom profile of its own instead, the system's sssd profile with pam_mkhomedir in that line (a
/// custom profile is how authselect lets a profile be changed), so authselect still writes every PAM file.
enum AuthselectCustomProfile {
    static let id = "custom/adjoin"
    static let directory = "/etc/authselect/custom/adjoin"
    /// A vendor profile replaces the default one of the same name.
    static let sources = ["/usr/share/authselect/vendor/sssd", "/usr/share/authselect/default/sssd"]
    /// The profile's PAM templates; its other files (nsswitch.conf, dconf, README, REQUIREMENTS) are copied as they are.
    static let pamTemplates: Set<String> = ["system-auth", "password-auth", "smartcard-auth", "fingerprint-auth", "postlogin"]

    /// The profile's files: host path and content.
    static func render(files: HostFiles) throws(AdjoinError) -> [(path: String, content: String)] {
        guard let source = sources.first(where: { files.exists($0 + "/system-auth") }) else {
            throw AdjoinError(
                .configurationFailed,
                "authselect's sssd profile is not installed (no \(sources[1])/system-auth): install sssd-common or authselect")
        }
        var rendered: [(path: String, content: String)] = []
        for template in try files.files(in: source) {
            let name = String(template.split(separator: "/").last ?? "")
            let text = String(decoding: try files.read(template) ?? [], as: UTF8.self)
            rendered.append((directory + "/" + name, pamTemplates.contains(name) ? withPAMMkhomedir(text) : text))
        }
        return rendered
    }

    /// The template with pam_mkhomedir wherever it names pam_oddjob_mkhomedir, the rest as it was.
    static func withPAMMkhomedir(_ template: String) -> String {
        template.replacing(HomeDirectoryCreation.oddjobModule, with: HomeDirectoryCreation.pamMkhomedir.module)
    }
}
