import AdjoinCore
#if canImport(Glibc)
    import Glibc
#endif

/// GSSAPI (which Cyrus SASL drives for the LDAP bind) makes its own krb5 context from KRB5_CONFIG or
/// /etc/krb5.conf. Left alone, it canonicalises the DC's name through the system's DNS, forward and
/// reverse, so the service principal could become whatever a PTR record says, and lookups leave for
/// resolvers the join never meant to ask. So GSSAPI gets a profile of its own: rendered into an
/// anonymous in-memory file (nothing on disk) that KRB5_CONFIG names for this process only.
///
/// That profile is the same for every join (`KerberosProfile.gssapi`): the bind's `ldap/` ticket is
/// already in the session's MEMORY cache (the AS exchange asked for it) and there is no TGT there with
/// which GSSAPI could ask a KDC for anything, so it needs no realm and no KDC, only the DC's name taken
/// as given. It is set up once per process, at start (`adjoin`'s main, before any thread exists,
/// since setenv is not safe against a concurrent getenv) or, where there is no main (the tests), by the
/// first directory session; every later call returns what the first one did.
public enum GSSAPIConfiguration {
    public static func prepareProcess() throws(AdjoinError) {
        try prepared.get()
    }

    private static let prepared = Result { () throws(AdjoinError) in try install(.gssapi) }

    private static func install(_ profile: KerberosProfile) throws(AdjoinError) {
        let descriptor: Int32
        do {
            descriptor = try POSIX.memoryFile(named: "adjoin-krb5.conf")
        } catch {
            throw AdjoinError(.unknownError, "cannot create the in-memory Kerberos configuration: \(error.errno)")
        }
        let text = Array(profile.configurationText.utf8)
        let written = text.withUnsafeBytes { (try? POSIX.writeAll(descriptor, $0)) != nil }
        guard written else {
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
