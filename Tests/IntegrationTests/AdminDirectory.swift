import Foundation

/// The lab directory as its administrator sees it, through OpenLDAP's own tools over LDAPS (an
/// independent view of what the agent did). The password goes by file (-y), never by argument.
struct AdminDirectory {
    let lab: Lab

    func tool(_ name: String, _ arguments: [String], stdin: URL? = nil) throws -> CommandResult {
        try run(
            URL(fileURLWithPath: "/usr/bin/\(name)"),
            ["-H", "ldaps://\(lab.dcIP)", "-D", "Administrator@\(lab.realm)", "-y", lab.adminPasswordFile] + arguments,
            stdin: stdin, environment: ["LDAPTLS_REQCERT": "never"])
    }

    /// The attributes of the computer with this sAMAccountName, or nil.
    func computer(_ samAccountName: String) throws -> [String: [String]]? {
        let result = try tool(
            "ldapsearch",
            [
                "-LLL", "-o", "ldif-wrap=no", "-b", lab.baseDN, "(sAMAccountName=\(samAccountName))",
                "*", "msDS-KeyVersionNumber",
            ])
        var attributes: [String: [String]] = [:]
        for line in result.stdout.split(separator: "\n") where !line.hasPrefix("#") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon]).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            attributes[key, default: []].append(value)
        }
        return attributes["dn"] == nil ? nil : attributes
    }

    func count(_ samAccountName: String) throws -> Int {
        let result = try tool("ldapsearch", ["-LLL", "-b", lab.baseDN, "(sAMAccountName=\(samAccountName))", "dn"])
        return result.stdout.split(separator: "\n").filter { $0.hasPrefix("dn:") }.count
    }

    /// A pre-staged computer account, as an administrator creates one ahead of the host.
    func prestage(_ name: String, in container: String) throws {
        let ldif = """
            dn: CN=\(name),\(container)
            objectClass: computer
            sAMAccountName: \(name)$
            userAccountControl: 4096

            """
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("prestage-\(name).ldif")
        try ldif.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try tool("ldapadd", ["-f", file.path])
        guard result.status == 0 else { throw AdminError(message: "ldapadd: \(result.stderr)") }
    }

    /// A computer account pre-staged as an administrator does it for a named joiner (ADUC's "The following
    /// user or group can join this computer"): in CN=Computers, the minimal join user given the four join
    /// rights on it alone, or all but `without` (scripts/lab prestage). Returns its DN.
    func prestageForMinimalUser(_ name: String, without right: String? = nil) throws -> String {
        let result = try run(
            Lab.packageRoot.appendingPathComponent("scripts/lab"), ["prestage", name] + (right.map { ["--without", $0] } ?? []))
        guard result.status == 0 else { throw AdminError(message: "scripts/lab prestage: \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func delete(_ samAccountName: String) throws {
        guard let dn = try computer(samAccountName)?["dn"]?.first else { return }
        _ = try tool("ldapdelete", ["-r", dn])
    }
}

struct AdminError: Error { let message: String }

/// A fresh computer name and host per test, so tests can run side by side against one DC.
struct TestHost {
    let name: String
    let fqdn: String
    let root: URL

    init(domain: String) throws {
        let tag = String(UInt32.random(in: 0...UInt32.max), radix: 36).uppercased()
        name = "T" + tag
        fqdn = name.lowercased() + "." + domain
        root = FileManager.default.temporaryDirectory.appendingPathComponent("adjoin-\(name)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    var keytab: URL { root.appendingPathComponent("etc/krb5.keytab") }
}
