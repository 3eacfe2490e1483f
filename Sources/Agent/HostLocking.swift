import AdjoinCore

/// The host lock that join, leave and rotate take first (see HostLock), then the temporary files a
/// killed run left are removed. A command waits for another's lock at most until half its --timeout
/// is spent, so that the one that gets it still has the other half for its own work; then BUSY.
func lockHost(files: HostFiles, deadline: Deadline, progress: (String) -> Void) throws(AdjoinError) -> HostLock {
    let lock = try HostLock.acquire(files, waitUntil: deadline.end - (deadline.end - deadline.start) / 2, progress: progress)
    let removed = try files.removeLeftoverTemporaries()
    if !removed.isEmpty {
        progress("Removed the temporary files an interrupted run left: \(removed.joined(separator: ", "))")
    }
    return lock
}
