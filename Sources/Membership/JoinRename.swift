import AdjoinCore

/// A join under another name (or into another domain) on a host that is joined already, or whose
/// earlier join was interrupted: refused, naming the account it would leave behind. Joining anyway
/// made a second account while the first stayed in the directory, its keys in the keytab, and `leave`
/// removed only the second: the first had no host left that knew it. Renaming in place (delete the
/// old account once the new one proves) would need the right to delete it and could fail half-way
/// with two accounts; leaving first is one command the operator can see succeed, and it puts the host
/// back, so the new join starts from the state a first join does.
enum JoinRename {
    /// `found`: the join record, else an interrupted join's intent record (a copy's are discarded before).
    static func check(_ request: JoinRequest, against found: (record: JoinRecord, interrupted: Bool)?) throws(AdjoinError) {
        guard let (record, interrupted) = found else { return }
        let sameDomain = record.domain.lowercased() == request.domain.value.lowercased()
        guard !sameDomain || record.computerName.uppercased() != request.computerName.value.uppercased() else { return }
        let account = record.computerDN.isEmpty ? record.samAccountName : "\(record.samAccountName) (\(record.computerDN))"
        let state =
            interrupted
            ? "an interrupted join of \(account) to \(record.domain) may have left that account"
            : "this host is joined to \(record.domain) as \(account)"
        let keep = sameDomain ? "; to keep the name, join with --host-fqdn \(record.hostFQDN)" : ""
        throw .invalidInput(
            "\(state): a join as \(request.computerName.samAccountName) to \(request.domain) would leave it in the directory "
                + "with no host that knows it. Run adjoin leave first (it removes \(record.samAccountName) and puts the host back; "
                + "with --user NAME --password-stdin if the machine may not delete it), then join as \(request.computerName.samAccountName)\(keep)"
        )
    }

    /// What this host's files say it joined as, if anything.
    static func recorded(_ files: HostFiles) throws(AdjoinError) -> (record: JoinRecord, interrupted: Bool)? {
        if let record = try JoinRecord.read(files) { return (record, false) }
        return try JoinIntent.read(files).map { ($0, true) }
    }
}
