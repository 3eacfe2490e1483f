import AdjoinCore
import Foundation

/// A folder of a test's own under the temporary directory (a host root for `HostFiles`, a home, a
/// sysfs): the one way unit tests make one. It exists once made, and goes with the last reference to
/// it, so a test that forgets `remove()` or fails half-way leaves nothing in /tmp. A suite that keeps
/// it as a property keeps it for the whole test; a local one used only by path is kept with `remove()`
/// in a `defer` (Swift may end a local's life at its last use).
public final class ScratchRoot: Sendable {
    public let url: URL
    public var path: String { url.path }
    /// The folder as a host root.
    public let files: HostFiles

    /// `prefix` names the test in the folder's name ("adjoin-scratch-1234..."), for whoever finds one left by a killed run.
    public init(_ prefix: String = "adjoin-scratch") {
        // A root's path goes into files other programs read (sshd's Include, sssd.conf): a word, no spaces.
        precondition(
            !prefix.isEmpty && prefix.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" }, "a scratch prefix is one word: \(prefix)")
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        files = HostFiles(root: url.path)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { remove() }

    public func remove() { try? FileManager.default.removeItem(at: url) }

    /// Where a host path lies under the root ("/etc/krb5.conf").
    public func file(_ hostPath: String) -> URL { url.appendingPathComponent(String(hostPath.drop { $0 == "/" })) }

    /// Writes a file under the root as an image would have it, its folders made as needed.
    public func write(_ text: String, to hostPath: String, mode: Int = 0o644) throws {
        let target = file(hostPath)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: target)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: target.path)
    }

    /// A file's text under the root; nil when it does not exist.
    public func text(_ hostPath: String) -> String? {
        try? String(contentsOf: file(hostPath), encoding: .utf8)
    }

    /// A file's permission bits under the root; nil when it does not exist.
    public func mode(_ hostPath: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: file(hostPath).path))?[.posixPermissions] as? Int
    }

    /// Every folder (nil) and regular file (its bytes) under the root, adjoin's own state under
    /// /var/lib/adjoin included: compared before and after, what a command left of the host.
    public func snapshot() -> [String: Data?] {
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
