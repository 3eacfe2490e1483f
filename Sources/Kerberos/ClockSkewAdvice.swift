#if canImport(Glibc)
    import Glibc
#endif

/// Kerberos refuses a message whose time is more than 5 minutes (the usual maximum skew) from the
/// server's. What the operator needs to know is both clocks and how to make them agree.
public enum ClockSkewAdvice {
    static let fix =
        "set this host's clock: a time service (chronyd, systemd-timesyncd) synced with the domain controllers, "
        + "or on EC2 the Amazon Time Sync Service at 169.254.169.123"

    /// The two clocks and the fix; without the server's time, the rule and the fix.
    public static func describe(_ clocks: ClockReadings?) -> String {
        guard let clocks else { return "this host's clock differs from the DC's by more than 5 minutes: " + fix }
        let direction = clocks.offset >= 0 ? "ahead of" : "behind"
        return "this host's clock says \(utc(clocks.local)), the DC's \(utc(clocks.server)): \(abs(clocks.offset)) s \(direction) it, "
            + "more than Kerberos allows (5 minutes); " + fix
    }

    /// A warning for a login that libkrb5 completed by correcting for the KDC's clock (kdc_timesync):
    /// the join works, but tickets for this host from other clients will not until the clock is right.
    public static func warning(offset: Int64) -> String? {
        guard abs(offset) > 60 else { return nil }
        let direction = offset >= 0 ? "ahead of" : "behind"
        return "this host's clock is \(abs(offset)) s \(direction) the DC's: the join corrected for it, but sssd, sshd and other "
            + "Kerberos services on this host refuse tickets more than 5 minutes off; " + fix
    }

    static func utc(_ seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M:%S UTC", &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
