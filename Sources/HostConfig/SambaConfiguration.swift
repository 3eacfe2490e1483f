import AdjoinCore

/// What the host's smb.conf says about domain membership: a Samba file server joined with
/// `security = ads` keeps the machine account's password in its own secrets.tdb, so a password change
/// that Samba is not told about breaks it (`net ads testjoin` fails).
///
/// The file is parsed here rather than through `testparm -s`: it works under --root and on a host
/// without Samba's tools, and a status check must not depend on them. `include =` lines are followed
/// (inside the root); `config backend = registry` and `%`-substitutions in includes are not read,
/// and such a configuration counts only for what the file itself says.
public struct SambaConfiguration: Sendable, Equatable {
    public static let path = "/etc/samba/smb.conf"

    /// The [global] parameters, by Samba's canonical name (lower case, no spaces or underscores).
    public var globals: [String: String] = [:]

    public var security: String? { globals["security"]?.lowercased() }
    public var realm: String? { globals["realm"]?.uppercased() }
    public var workgroup: String? { globals["workgroup"]?.uppercased() }
    public var privateDirectory: String? { globals["privatedir"] }

    public init(globals: [String: String] = [:]) { self.globals = globals }

    /// Samba is an Active Directory member of `realm` (security = ads with that realm).
    public func isMember(ofRealm realm: String) -> Bool {
        security == "ads" && self.realm == realm.uppercased()
    }

    /// The host's smb.conf (under the files' root), or nil when there is none.
    public static func read(files: HostFiles, path: String = SambaConfiguration.path) throws(AdjoinError) -> SambaConfiguration? {
        guard let bytes = try files.read(path) else { return nil }
        var configuration = SambaConfiguration()
        var seen: Set<String> = [path]
        try configuration.add(String(decoding: bytes, as: UTF8.self), files: files, seen: &seen)
        return configuration
    }

    /// Parses one file's text (includes are not followed).
    public static func parse(_ text: String) -> SambaConfiguration {
        var configuration = SambaConfiguration()
        for (name, value) in globalParameters(text) { configuration.globals[name] = value }
        return configuration
    }

    private mutating func add(_ text: String, files: HostFiles, seen: inout Set<String>) throws(AdjoinError) {
        for (name, value) in Self.globalParameters(text) {
            guard name == "include" else {
                globals[name] = value
                continue
            }
            // A later value wins, as in Samba, so an included file's lines count where the include stands.
            guard value.hasPrefix("/"), !value.contains("%"), seen.count < 16, seen.insert(value).inserted,
                let bytes = try files.read(value)
            else { continue }
            try add(String(decoding: bytes, as: UTF8.self), files: files, seen: &seen)
        }
    }

    /// The [global] section's parameters in order (also those before any section header, which Samba
    /// reads as global): `;` and `#` start comments, a trailing backslash continues a line, names
    /// are case- and space-insensitive.
    static func globalParameters(_ text: String) -> [(String, String)] {
        var parameters: [(String, String)] = []
        var inGlobal = true
        var pending = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = pending + String(raw).trimmingWhitespace
            pending = ""
            if line.hasSuffix("\\") {
                line.removeLast()
                pending = line
                continue
            }
            guard let first = line.first, first != "#", first != ";" else { continue }
            if first == "[" {
                let name = String(line.dropFirst().prefix { $0 != "]" }).lowercased().trimmingWhitespace
                inGlobal = name == "global"
                continue
            }
            guard inGlobal, let equals = line.firstIndex(of: "=") else { continue }
            let name = canonicalName(String(line[..<equals]))
            let value = String(line[line.index(after: equals)...]).trimmingWhitespace
            parameters.append((name, value))
        }
        return parameters
    }

    static func canonicalName(_ name: String) -> String {
        String(name.lowercased().filter { $0 != " " && $0 != "\t" && $0 != "_" })
    }
}
