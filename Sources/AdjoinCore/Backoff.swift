#if canImport(Glibc)
    import Glibc
#endif

/// Exponential backoff with full jitter (the AWS SDKs' "standard" mode): after attempt n, a random
/// pause between 0 and min(cap, base × 2^(n-1)). The AWS layer's retries of one call and the boot
/// join's retries of a whole attempt both pause this way, with their own base and cap.
public enum Backoff {
    /// `jitter` picks the pause in milliseconds up to the ceiling it is given (tests pin it); a choice
    /// outside [0, ceiling] is brought back inside.
    public static func pause(afterAttempt attempt: Int, base: Duration, cap: Duration, jitter: (Int64) -> Int64) -> Duration {
        let ceiling = min(cap, base * (1 << min(max(attempt - 1, 0), 20)))
        let milliseconds = max(ceiling.milliseconds, 1)
        return .milliseconds(min(max(jitter(milliseconds), 0), milliseconds))
    }

    /// Sleeps the whole duration, resuming after signals.
    public static func sleep(_ duration: Duration) {
        POSIX.sleep(duration)
    }
}
