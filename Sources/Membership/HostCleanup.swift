import AdjoinCore
import HostConfig
import Kerberos

/// The local half of a leave: the machine's keytab entries out (other principals' stay), sssd stopped
/// and its caches emptied, and every file the join changed put back as it was, byte for byte.
struct HostCleanup {
    let files: HostFiles
    let progress: ProgressSink

    /// `keytab`: the machine's keytab, when the join record names it.
    /// `enabledUnits`: systemd units the join enabled (its record), disabled again once the files are back.
    func run(keytab: HostKeytab?, enabledUnits: [String] = [], deadline: Deadline, into result: inout LeaveResult) throws(AdjoinError) {
        var originals = try files.keptOriginals()
        if let keytab {
            let original = originals.first { $0.hostPath == keytab.keytabPath }
            originals.removeAll { $0.hostPath == keytab.keytabPath }
            if try removeEntries(keytab, original: original) { result.restored.append(keytab.keytabPath) }
        }
        result.notes += try stopSSSDAndEmptyCaches(deadline: deadline)
        for original in originals {
            if let kept = try keepChangesMadeSince(original) { result.notes.append(kept) }
            if try files.restore(original) {
                progress(
                    original.content == nil
                        ? "Removed \(files.path(original.hostPath)) (adjoin created it)"
                        : "Restored \(files.path(original.hostPath))")
                result.restored.append(original.hostPath)
            }
        }
        if result.restored.contains(SSHService.dropInPath) {
            // The files are back already: a reload that fails is told, and does not stop the rest of the leave.
            let reloaded: String?
            do throws(AdjoinError) {
                reloaded = try SSHService.reloadAfterLeave(files: files, deadline: deadline)
            } catch {
                reloaded =
                    "sshd could not be reloaded (\(error.message)): reload it yourself, so that the groups lose their SSH password and Kerberos logins"
            }
            if let reloaded {
                progress(reloaded.prefix(1).uppercased() + reloaded.dropFirst())
                result.notes.append(reloaded)
            }
        }
        for unit in enabledUnits {
            let done = try ServiceUnits.disable(unit, files: files, deadline: deadline)
            progress(done.prefix(1).uppercased() + done.dropFirst())
            result.notes.append(done)
        }
        _ = try files.remove(JoinRecord.path)
        JoinIntent.remove(files)
        for directory in try files.removeCreatedDirectories() where !directory.hasPrefix("/var/lib/adjoin") {
            progress("Removed \(files.path(directory)) (adjoin created it)")
        }
    }

    /// A file changed since adjoin wrote it (another realm in krb5.conf, a line in nsswitch.conf) is
    /// kept beside it as `NAME.adjoin-left` before the pre-join version goes back: a name no tool reads
    /// (PAM, sudo, sssd's conf.d and krb5's includedir all pass it by), for the administrator to merge.
    private func keepChangesMadeSince(_ original: KeptOriginal) throws(AdjoinError) -> String? {
        guard try files.changedSinceWritten(original.hostPath), let current = try files.read(original.hostPath) else { return nil }
        let copy = original.hostPath + ".adjoin-left"
        try files.writeOwn(current, to: copy, mode: 0o600)
        let note =
            "\(files.path(original.hostPath)) was changed after the join; the pre-join version is back, and the changed file is kept as \(files.path(copy))"
        progress(note.prefix(1).uppercased() + note.dropFirst())
        return note
    }

    /// What a copy of a joined host inherited and must not use: the other host's keytab entries, the
    /// join record, and sssd's caches (they would serve the other host's cached users and credentials).
    /// The kept pre-join originals of host files stay, so that a later leave restores the image as it was.
    func discardInherited(_ record: JoinRecord, deadline: Deadline) throws(AdjoinError) {
        _ = try removeEntries(record.keytab(files: files), original: try files.keptOriginals().first { $0.hostPath == record.keytabPath })
        _ = try stopSSSDAndEmptyCaches(deadline: deadline)
        _ = try files.remove(JoinRecord.path)
        JoinIntent.remove(files)
    }

    /// sssd stopped (its cache files are open while it runs), then its caches emptied; returns what was done, for the output.
    private func stopSSSDAndEmptyCaches(deadline: Deadline) throws(AdjoinError) -> [String] {
        var notes: [String] = []
        if let stopped = try SSSDService.stop(files: files, deadline: deadline) {
            progress(stopped.prefix(1).uppercased() + stopped.dropFirst())
            notes.append(stopped)
        }
        let flushed = try SSSDService.flushCache(files: files)
        if flushed > 0 {
            progress("Emptied sssd's caches (\(flushed) files under \(files.path("/var/lib/sss")))")
            notes.append("emptied sssd's caches")
        }
        return notes
    }

    /// The keytab without this computer's entries. When what is left is what the file held before the
    /// join, the original bytes go back (byte for byte, whatever tool wrote them); when nothing is left
    /// and there was no file before, the file goes. Returns whether the file changed.
    private func removeEntries(_ keytab: HostKeytab, original: KeptOriginal?) throws(AdjoinError) -> Bool {
        guard let current = try files.read(keytab.keytabPath) else {
            if original != nil { files.forgetOriginal(of: keytab.keytabPath) }
            return false
        }
        let entries: [KeytabEntry]
        do {
            entries = try KeytabFormat.decode(current)
        } catch {
            throw AdjoinError(.keytabInvalid, "the keytab \(keytab.path) cannot be read (\(error)); not touching it")
        }
        let others = entries.filter { !keytab.isOurs($0) }
        if others.count == entries.count, original == nil { return false }
        progress(
            "Removing \(keytab.samAccountName)'s keys from \(keytab.path)\(others.isEmpty ? "" : " (\(others.count) other entries kept)")")
        if let original {
            if let content = original.content, Self.sameEntries((try? KeytabFormat.decode(content)) ?? [], others) {
                return try files.restore(original)
            }
            if original.content == nil && others.isEmpty {
                return try files.restore(original)
            }
            files.forgetOriginal(of: keytab.keytabPath)
        }
        var bytes = KeytabFormat.encode(others)
        defer { bytes.wipe() }
        // Written as adjoin's own change, without keeping a new original: the join's was just used up.
        try files.writeOwn(bytes, to: keytab.keytabPath, mode: 0o600)
        return true
    }

    /// The same keys for the same principals, in any order (keys compared in place, never copied out).
    static func sameEntries(_ left: [KeytabEntry], _ right: [KeytabEntry]) -> Bool {
        guard left.count == right.count else { return false }
        func label(_ entry: KeytabEntry) -> String { entry.principal + " \(entry.kvno) \(entry.enctype)" }
        let sortedLeft = left.sorted { label($0) < label($1) }
        let sortedRight = right.sorted { label($0) < label($1) }
        return zip(sortedLeft, sortedRight).allSatisfy { a, b in
            label(a) == label(b) && a.key.withUnsafeBytes { x in b.key.withUnsafeBytes { y in x.elementsEqual(y) } }
        }
    }
}
