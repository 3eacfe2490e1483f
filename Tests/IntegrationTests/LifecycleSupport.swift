import Foundation
import Testing

/// What the lifecycle tests need beyond the join tests' helpers.
extension AdminDirectory {
    /// A child object under a computer (as Windows services and BitLocker add them), so that only a
    /// tree delete can remove the computer.
    func addChild(named name: String, under dn: String) throws {
        let ldif = "dn: CN=\(name),\(dn)\nobjectClass: serviceConnectionPoint\n\n"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UInt32.random(in: 0...UInt32.max)).ldif")
        try Data(ldif.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try run(
            URL(fileURLWithPath: "/usr/bin/ldapadd"),
            ["-H", "ldaps://\(lab.dcIP)", "-D", "Administrator@\(lab.realm)", "-y", lab.adminPasswordFile, "-f", file.path],
            environment: ["LDAPTLS_REQCERT": "never"])
        guard result.status == 0 else { throw AdminError(message: "ldapadd: \(result.stderr)") }
    }

    /// How many objects are at or below `dn` (0: gone).
    func subtreeCount(_ dn: String) throws -> Int {
        let result = try run(
            URL(fileURLWithPath: "/usr/bin/ldapsearch"),
            [
                "-H", "ldaps://\(lab.dcIP)", "-D", "Administrator@\(lab.realm)", "-y", lab.adminPasswordFile,
                "-LLL", "-b", dn, "-s", "sub", "(objectClass=*)", "dn",
            ],
            environment: ["LDAPTLS_REQCERT": "never"])
        return result.stdout.split(separator: "\n").filter { $0.hasPrefix("dn:") }.count
    }
}

/// Everything under a directory, keyed by path relative to it: each file's content and mode, each
/// folder's mode, each link's target (so that a folder left behind shows). Modification times are
/// left out: a restore rewrites a file, and what must hold is that its bytes are the same.
func contentSnapshot(_ directory: URL) throws -> [String: String] {
    var result: [String: String] = [:]
    guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else { return result }
    for case let url as URL in walker {
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        let mode = String((attributes[.posixPermissions] as? Int) ?? -1, radix: 8)
        let relative = String(url.path.dropFirst(directory.path.count))
        switch attributes[.type] as? FileAttributeType {
        case .typeRegular?:
            let data = try Data(contentsOf: url)
            result[relative] = "\(data.count) \(data.base64EncodedString()) \(mode)"
        case .typeDirectory?:
            result[relative] = "directory \(mode)"
        case .typeSymbolicLink?:
            result[relative] = "link to \(try FileManager.default.destinationOfSymbolicLink(atPath: url.path))"
        default:
            result[relative] = "other"
        }
    }
    return result
}

/// A keytab holding one principal of another realm, written by MIT's ktutil (not by adjoin), so that a
/// byte-for-byte restore is not a re-encoding that happens to match.
func writeForeignKeytab(_ keytab: URL, scratch: URL) throws {
    try FileManager.default.createDirectory(at: keytab.deletingLastPathComponent(), withIntermediateDirectories: true)
    let script = scratch.appendingPathComponent("ktutil-\(UInt32.random(in: 0...UInt32.max)).in")
    try Data(
        "addent -password -p HTTP/web.other.example.org@OTHER.EXAMPLE.ORG -k 3 -e aes256-cts-hmac-sha1-96 -s somesalt\nsecret\nwkt \(keytab.path)\n"
            .utf8
    )
    .write(to: script)
    defer { try? FileManager.default.removeItem(at: script) }
    _ = try run(URL(fileURLWithPath: "/usr/bin/ktutil"), [], stdin: script)
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keytab.path)
}

/// A never-joined system under a directory, to be configured with --root: sssd "installed" (only its
/// path matters), no distro tool that can run inside it.
func imageRoot(_ lab: Lab) throws -> EtcSandbox {
    let image = try EtcSandbox(lab: lab)
    let sssd = image.file("/usr/sbin/sssd")
    try FileManager.default.createDirectory(at: sssd.deletingLastPathComponent(), withIntermediateDirectories: true)
    _ = FileManager.default.createFile(atPath: sssd.path, contents: Data(), attributes: [.posixPermissions: 0o755])
    return image
}

/// A krb5.conf that already serves another realm, as a host may have before it joins.
let krb5ConfWithAnotherRealm = """
    # Site configuration, before adjoin.
    [libdefaults]
    \tdefault_realm = OTHER.EXAMPLE.ORG
    \tforwardable = true

    [realms]
    \tOTHER.EXAMPLE.ORG = {
    \t\tkdc = kdc.other.example.org
    \t}

    [domain_realm]
    \t.other.example.org = OTHER.EXAMPLE.ORG

    """

func jsonObject(_ result: CommandResult) throws -> [String: Any] {
    try #require(
        try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
        "stdout: \(result.stdout) stderr: \(result.stderr)")
}

/// The kvnos the keytab holds for a principal, as MIT's klist reads them.
func keytabVersions(_ keytab: URL, principal: String) throws -> Set<Int> {
    let listing = try run(URL(fileURLWithPath: "/usr/bin/klist"), ["-k", keytab.path]).stdout
    return Set(
        listing.split(separator: "\n").filter { $0.hasSuffix(" " + principal) }.compactMap { Int($0.split(separator: " ").first ?? "") })
}

/// MIT's kinit with nothing but a host's keytab, as the machine: the keytab proves.
func kinitAsMachine(_ host: TestHost, _ lab: Lab) throws -> CommandResult {
    try run(
        URL(fileURLWithPath: "/usr/bin/kinit"), ["-k", "-t", host.keytab.path, "\(host.name)$@\(lab.realm)"],
        environment: ["KRB5_CONFIG": lab.krb5Config, "KRB5CCNAME": "MEMORY:machine"])
}
