import AdjoinCore

/// What a join changes on the host before it knows it will succeed: the keytab (and the original
/// kept of it), the intent record, and the folders made for them. A join taken back puts them as it
/// found them, so that the next join keeps the keytab as it is then, and a host that was never joined
/// has no /var/lib/adjoin; what an earlier join left (its kept originals, its folders, the intent
/// record of a join that was cut short) stays for the rerun or leave.
struct JoinTraces {
    let files: HostFiles
    let keytab: HostKeytab
    let keytabBefore: [UInt8]?
    let keytabKeptBefore: Bool
    let intentBefore: JoinIntent.Saved
    let listedBefore: [String]

    /// Taken before the join writes anything.
    init(files: HostFiles, keytab: HostKeytab) throws(AdjoinError) {
        self.files = files
        self.keytab = keytab
        keytabBefore = try keytab.current()
        keytabKeptBefore = try files.keptOriginal(of: keytab.keytabPath) != nil
        intentBefore = try JoinIntent.Saved(files)
        listedBefore = try files.listedDirectories()
    }

    /// The keytab as it was: from the original this join kept (bytes and mode, the copy then
    /// forgotten), else from the bytes read before. A copy that cannot be put back stays kept.
    func restoreKeytab() {
        // Not written (the join failed before its keys): nothing to put back, its mode included.
        if let now = try? keytab.current(), now == keytabBefore { return }
        if !keytabKeptBefore, let kept = try? files.keptOriginal(of: keytab.keytabPath), (try? files.restore(kept)) != nil { return }
        keytab.restore(keytabBefore)
    }

    /// The intent record as it was: an interrupted earlier join's again, or none.
    func restoreIntent() {
        JoinIntent.putBack(intentBefore, files: files)
    }

    /// The folders this join made, once what it put in them is gone. Best effort: the join's own
    /// failure is what the user needs to hear, and what stays is only adjoin's state.
    func removeFolders() {
        try? files.removeDirectoriesListed(after: listedBefore)
    }
}
