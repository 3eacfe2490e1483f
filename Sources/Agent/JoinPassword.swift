import AdjoinCore
#if canImport(Glibc)
    import Glibc
#endif

/// Where the join user's password comes from, one rule for every command: the settings, with what
/// the command line gave (standard input, read once) laid over them; a dry run needs none; else the
/// command says what to give.
enum JoinPassword {
    /// The password on standard input (`--password-stdin`), the only way a command line gives one.
    static func fromStandardInput() throws(AdjoinError) -> SecretBytes {
        try SecretBytes.read(from: STDIN_FILENO)
    }

    static func resolve(_ settings: AgentSettings?, dryRun: Bool = false, missing: String) throws(AdjoinError) -> SecretBytes {
        if case .secret(let password)? = settings?.password { return password }
        if dryRun { return SecretBytes([]) }
        throw .invalidInput(missing)
    }
}
