import AdjoinCore
import Foundation
import LDAP

/// A host root in a temporary directory, for the lifecycle commands run against a scripted directory.
struct ScratchRoot {
    let url: URL
    let files: HostFiles

    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("adjoin-scratch-\(UInt32.random(in: 0...UInt32.max))")
        files = HostFiles(root: url.path)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }

    /// Every folder (nil) and regular file (its bytes) under the root, adjoin's own state under
    /// /var/lib/adjoin included: compared before and after, what a command left of the host.
    func snapshot() -> [String: Data?] {
        var found: [String: Data?] = [:]
        let enumerator = FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.isRegularFileKey, .isDirectoryKey])
        while let file = enumerator?.nextObject() as? URL {
            let path = String(file.path.dropFirst(url.path.count))
            let kind = try? file.resourceValues(forKeys: [.isRegularFileKey, .isDirectoryKey])
            if kind?.isDirectory == true {
                found[path] = .some(nil)
            } else if kind?.isRegularFile == true {
                found[path] = try? Data(contentsOf: file)
            }
        }
        return found
    }
}

extension LDAPEntry {
    /// An entry as a search returns it, from text values.
    static func scripted(_ dn: String, _ attributes: [String: [String]]) -> LDAPEntry {
        LDAPEntry(dn: dn, attributes: Dictionary(uniqueKeysWithValues: attributes.map { ($0.key.lowercased(), $0.value.map { Array($0.utf8) }) }))
    }
}
