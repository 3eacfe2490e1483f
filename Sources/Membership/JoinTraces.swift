import AdjoinCore

/// What a join adds to adjoin's own state before it knows it will succeed: the keytab's kept original
/// and the folders made for it and for the intent record. A join taken back erases them, so that the
/// keytab's original is taken afresh by the next join (the file may change meanwhile) and a host that
/// was never joined has no /var/lib/adjoin. An earlier join's kept originals and folders stay.
struct JoinTraces {
    let files: HostFiles
    let keytabPath: String
    let keytabKeptBefore: Bool
    let listedBefore: [String]

    /// Taken before the join writes anything.
    init(files: HostFiles, keytabPath: String) throws(AdjoinError) {
        self.files = files
        self.keytabPath = keytabPath
        keytabKeptBefore = try files.keepsOriginal(of: keytabPath)
        listedBefore = try files.listedDirectories()
    }

    /// Once the keytab is as it was and the intent record gone. Best effort: the join's own failure is
    /// what the user needs to hear, and what stays is only adjoin's state.
    func erase() {
        if !keytabKeptBefore { try? files.discardOriginal(of: keytabPath) }
        try? files.removeDirectoriesListed(after: listedBefore)
    }
}
