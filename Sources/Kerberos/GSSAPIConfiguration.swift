import AdjoinCore
internal import CAdjoinShim
#if canImport(Glibc)
import Glibc
#endif

/// GSSAPI (which Cyrus SASL drives for the LDAP bind) makes its own krb5 context from KRB5_CONFIG or
/// /etc/krb5.conf. Left alone, it canonicalises the DC's name through the system's DNS, forward and
/// reverse, so the service principal could become whatever a PTR record says, and lookups leave for
/// resolvers the join never meant to ask. So GSSAPI gets the same pinned profile: rendered into an
/// anonymous in-memory file (nothing on disk) that KRB5_CONFIG names for this process only.
public enum GSSAPIConfiguration {
    public static func install(_ profile: KerberosProfile) throws(AdjoinError) {
        let descriptor = adjoin_memory_file("adjoin-krb5.conf")
        guard descriptor >= 0 else {
            throw AdjoinError(.unknownError, "cannot create the in-memory Kerberos configuration: \(String(cString: strerror(errno)))")
        }
        let text = Array(profile.configurationText.utf8)
        let written = text.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == text.count else {
            close(descriptor)
            throw AdjoinError(.unknownError, "cannot write the in-memory Kerberos configuration")
        }
        // The descriptor stays open for the life of the process: the path below refers to it.
        setenv("KRB5_CONFIG", "/proc/self/fd/\(descriptor)", 1)
    }
}

extension KerberosProfile {
    /// krb5.conf(5) syntax: `[section]`, `name = value`, and `NAME = { name = value }` for subsections.
    public var configurationText: String {
        var sections: [(String, [(path: [String], value: String)])] = []
        for relation in relations where relation.path.count >= 2 {
            if let index = sections.firstIndex(where: { $0.0 == relation.path[0] }) {
                sections[index].1.append((Array(relation.path.dropFirst()), relation.value))
            } else {
                sections.append((relation.path[0], [(Array(relation.path.dropFirst()), relation.value)]))
            }
        }
        var text = ""
        for (name, entries) in sections {
            text += "[\(name)]\n"
            var groups: [(String, [(String, String)])] = []
            for entry in entries {
                if entry.path.count == 1 {
                    text += "\t\(entry.path[0]) = \(entry.value)\n"
                } else if let index = groups.firstIndex(where: { $0.0 == entry.path[0] }) {
                    groups[index].1.append((entry.path[1], entry.value))
                } else {
                    groups.append((entry.path[0], [(entry.path[1], entry.value)]))
                }
            }
            for (group, values) in groups {
                text += "\t\(group) = {\n" + values.map { "\t\t\($0.0) = \($0.1)\n" }.joined() + "\t}\n"
            }
        }
        return text
    }
}
