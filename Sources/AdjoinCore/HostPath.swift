/// A path on the host as a user gives it (`--keytab`), made into the absolute, normalised host path
/// that HostFiles puts under `--root`. `.` and empty components go, `..` takes the previous one away,
/// and a `..` that would climb above the root is refused rather than clamped: a path written to mean
/// a place outside the root must not silently land somewhere else inside it.
public enum HostPath {
    /// Where the machine's keys live unless --keytab says otherwise: where libkrb5 and sssd look by default.
    public static let defaultKeytab = "/etc/krb5.keytab"

    public static func normalized(_ text: String, flag: String) throws(AdjoinError) -> String {
        guard !text.isEmpty, !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw .invalidInput("\(flag) '\(text)' is not a path")
        }
        var components: [Substring] = []
        for component in text.split(separator: "/") {
            switch component {
            case ".": continue
            case "..":
                guard !components.isEmpty else {
                    throw .invalidInput("\(flag) '\(text)' leads out of --root; give a path inside it (such as /etc/krb5.keytab)")
                }
                components.removeLast()
            default: components.append(component)
            }
        }
        guard !components.isEmpty else { throw .invalidInput("\(flag) '\(text)' names the root itself, not a file") }
        return "/" + components.joined(separator: "/")
    }
}
