import AdjoinCore
import Foundation
import Testing
import TestSupport

/// HostFiles keeps a file's original before adjoin first changes it; leave puts it back from there.
@Suite struct HostFilesRestoreTests {
    let scratch = ScratchRoot("adjoin-restore")
    var root: URL { scratch.url }
    var files: HostFiles { HostFiles(root: root.path) }

    func write(_ text: String, _ hostPath: String, mode: Int) throws {
        let url = root.appendingPathComponent(String(hostPath.dropFirst()))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
    }

    func content(_ hostPath: String) -> String? {
        (try? Data(contentsOf: root.appendingPathComponent(String(hostPath.dropFirst())))).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func originalsComeBackByteForByteAndNewFilesGo() throws {
        try write("original\r\nno final newline", "/etc/a.conf", mode: 0o640)
        try files.write(Array("changed once\n".utf8), to: "/etc/a.conf", mode: 0o644)
        try files.write(Array("changed twice\n".utf8), to: "/etc/a.conf", mode: 0o644)
        try files.write(Array("created\n".utf8), to: "/etc/new/b.conf", mode: 0o600)
        let kept = try files.keptOriginals()
        #expect(kept.map(\.hostPath) == ["/etc/a.conf", "/etc/new/b.conf"])
        #expect(kept[0].content == Array("original\r\nno final newline".utf8))
        #expect(kept[0].mode == 0o640)
        #expect(kept[1].content == nil)

        for original in kept { #expect(try files.restore(original)) }
        #expect(content("/etc/a.conf") == "original\r\nno final newline")
        #expect(files.mode("/etc/a.conf") == 0o640)
        #expect(!files.exists("/etc/new/b.conf"))
        // The kept copies are used up: a later join keeps the files as they are then.
        #expect(try files.keptOriginals().isEmpty)
        #expect(!files.exists("/var/lib/adjoin/backup/etc"))
    }

    /// A keytab some tool left 0644: its kept copy is root's alone (issue 24), and leave still gives the
    /// file back its 0644. The same holds for any original whose mode lets others read it.
    @Test func aKeptOriginalIsNeverReadableByOthersAndItsModeComesBack() throws {
        try write("keys", "/etc/krb5.keytab", mode: 0o644)
        try write("conf", "/etc/d.conf", mode: 0o640)
        try write("mine", "/etc/e.conf", mode: 0o600)
        for hostPath in ["/etc/krb5.keytab", "/etc/d.conf", "/etc/e.conf"] {
            try files.write(Array("new".utf8), to: hostPath, mode: 0o600)
            #expect(files.mode("/var/lib/adjoin/backup" + hostPath).map { $0 & 0o077 } == 0, "\(hostPath)")
        }
        let kept = try files.keptOriginals()
        #expect(kept.map(\.hostPath) == ["/etc/d.conf", "/etc/e.conf", "/etc/krb5.keytab"])
        #expect(kept.map(\.mode) == [0o640, 0o600, 0o644])
        for original in kept { #expect(try files.restore(original)) }
        #expect(content("/etc/krb5.keytab") == "keys")
        #expect(files.mode("/etc/krb5.keytab") == 0o644)
        #expect(files.mode("/etc/d.conf") == 0o640)
        #expect(!files.exists("/var/lib/adjoin/backup/etc"))
    }

    @Test func restoringWhatIsAlreadyThereChangesNothing() throws {
        try write("same\n", "/etc/c.conf", mode: 0o644)
        try files.keepOriginal(of: "/etc/c.conf")
        let kept = try files.keptOriginals()
        #expect(try files.restore(kept[0]) == false)
        #expect(try files.remove("/etc/missing") == false)
    }

    /// Every folder under the root, as host paths.
    func directories() -> Set<String> {
        var found: Set<String> = []
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isDirectoryKey])
        while let url = walker?.nextObject() as? URL {
            if (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true {
                found.insert(String(url.path.dropFirst(root.path.count)))
            }
        }
        return found
    }

    @Test func foldersAdjoinMadeGoWithItsFilesAndOthersStay() throws {
        try write("x\n", "/etc/existing.conf", mode: 0o644)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("etc/empty-before"), withIntermediateDirectories: true)
        let before = directories()
        try files.write(Array("a\n".utf8), to: "/etc/made/deeper/a.conf", mode: 0o644)
        try files.write(Array("b\n".utf8), to: "/etc/made/b.conf", mode: 0o644)
        try files.write(Array("c\n".utf8), to: "/etc/shared/c.conf", mode: 0o644)
        try files.write(Array("changed\n".utf8), to: "/etc/existing.conf", mode: 0o644)
        try files.writeOwn(Array("record\n".utf8), to: "/var/lib/adjoin/joined", mode: 0o644)
        #expect(directories().isSuperset(of: ["/etc/made/deeper", "/var/lib/adjoin/backup/etc/made"]))
        // Another program puts a file of its own into one of the folders adjoin made.
        try write("theirs\n", "/etc/shared/theirs.conf", mode: 0o644)

        for original in try files.keptOriginals() { try files.restore(original) }
        try files.remove("/var/lib/adjoin/joined")
        let removed = try files.removeCreatedDirectories()
        // adjoin's own folders (what it wrote is recorded under written/) go with the rest.
        #expect(
            Set(removed) == [
                "/etc/made/deeper", "/etc/made", "/var/lib/adjoin/backup", "/var/lib/adjoin", "/var/lib", "/var",
                "/var/lib/adjoin/written", "/var/lib/adjoin/written/etc", "/var/lib/adjoin/written/etc/made",
                "/var/lib/adjoin/written/etc/made/deeper", "/var/lib/adjoin/written/etc/shared",
            ])
        #expect(directories() == before.union(["/etc/shared"]), "\(directories().subtracting(before).sorted())")
        #expect(content("/etc/shared/theirs.conf") == "theirs\n")
        #expect(content("/etc/existing.conf") == "x\n")
        // Nothing is listed any more: a second leave removes nothing.
        #expect(try files.removeCreatedDirectories().isEmpty)
    }

    /// A step taken back removes the folders it made and forgets the original it kept; what an earlier
    /// step made stays, listed, for leave.
    @Test func foldersListedAfterAMarkAreTakenBackAndEarlierOnesStay() throws {
        try files.write(Array("earlier\n".utf8), to: "/etc/earlier/a.conf", mode: 0o644)
        let earlier = try files.listedDirectories()
        #expect(earlier.contains("/etc/earlier"))
        let before = directories()
        #expect(try files.keptOriginal(of: "/etc/undone/deeper/b.conf") == nil)
        try files.write(Array("b\n".utf8), to: "/etc/undone/deeper/b.conf", mode: 0o600)
        try files.write(Array("c\n".utf8), to: "/etc/busy/c.conf", mode: 0o600)
        #expect(try files.keptOriginal(of: "/etc/undone/deeper/b.conf")?.content == nil)
        // The step is undone: its files go, and another program has put a file into one of its folders.
        try FileManager.default.removeItem(at: root.appendingPathComponent("etc/undone/deeper/b.conf"))
        try FileManager.default.removeItem(at: root.appendingPathComponent("etc/busy/c.conf"))
        try write("theirs\n", "/etc/busy/theirs.conf", mode: 0o644)
        for path in ["/etc/undone/deeper/b.conf", "/etc/busy/c.conf"] { files.forgetOriginal(of: path) }

        try files.removeDirectoriesListed(after: earlier)
        #expect(try files.keptOriginal(of: "/etc/undone/deeper/b.conf") == nil)
        #expect(directories() == before.union(["/etc/busy"]), "\(directories().symmetricDifference(before).sorted())")
        #expect(try files.listedDirectories() == earlier + ["/etc/busy"])
        // Leave, later, takes away the earlier folders and the one that was busy once it is empty.
        try FileManager.default.removeItem(at: root.appendingPathComponent("etc/busy/theirs.conf"))
        try files.remove("/etc/earlier/a.conf")
        for original in try files.keptOriginals() { try files.restore(original) }
        #expect(Set(try files.removeCreatedDirectories()).isSuperset(of: ["/etc/earlier", "/etc/busy", "/var/lib/adjoin"]))
    }

    /// What adjoin last wrote is recorded: a file changed since is told apart from one as adjoin left it.
    @Test func aFileChangedSinceAdjoinWroteItIsToldApart() throws {
        try write("before\n", "/etc/a.conf", mode: 0o644)
        #expect(try !files.changedSinceWritten("/etc/a.conf"), "nothing recorded: not adjoin's")
        try files.write(Array("adjoin's\n".utf8), to: "/etc/a.conf", mode: 0o644)
        #expect(try !files.changedSinceWritten("/etc/a.conf"))
        try write("adjoin's\nand someone's\n", "/etc/a.conf", mode: 0o644)
        #expect(try files.changedSinceWritten("/etc/a.conf"))
        // Restored, the record goes with the kept original.
        for original in try files.keptOriginals() { try files.restore(original) }
        #expect(try !files.changedSinceWritten("/etc/a.conf"))
        #expect(content("/etc/a.conf") == "before\n")
    }
}
