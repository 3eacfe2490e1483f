internal import CPOSIXShim

/// What the agent does first, before it reads a password: no core file of it may be written
/// (RLIMIT_CORE 0, soft and hard) and it is not dumpable (PR_SET_DUMPABLE 0: no core even where a
/// core pattern pipes to a handler, and no ptrace by users other than root). prctl is variadic, so it is
/// reached through the POSIX shim.
public enum ProcessHardening {
    /// Returns false when the kernel refused either setting (the agent goes on: secret pages are
    /// still excluded from dumps, see SecretBytes).
    @discardableResult
    public static func apply() -> Bool {
        adjoin_process_undumpable() == 0
    }
}
