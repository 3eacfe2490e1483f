#if canImport(Glibc)
    import Glibc
#endif

/// Wall-clock time in UTC, in the forms AWS uses. Signing needs the real time (AWS refuses a request
/// more than 5 minutes off); the status item records it.
struct UTCTime: Equatable {
    let seconds: Int64
    /// Milliseconds within the second, for the status item's sequence.
    let milliseconds: Int64

    static func now() -> UTCTime {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UTCTime(seconds: Int64(spec.tv_sec), milliseconds: Int64(spec.tv_nsec / 1_000_000))
    }

    init(seconds: Int64, milliseconds: Int64 = 0) {
        self.seconds = seconds
        self.milliseconds = milliseconds
    }

    var totalMilliseconds: Int64 { seconds * 1000 + milliseconds }

    private var parts: tm {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return parts
    }

    /// 20240131
    var dateStamp: String {
        let p = parts
        return pad(Int(p.tm_year) + 1900, 4) + pad(Int(p.tm_mon) + 1, 2) + pad(Int(p.tm_mday), 2)
    }

    /// 20240131T235959Z, SigV4's X-Amz-Date.
    var amzDate: String {
        let p = parts
        return dateStamp + "T" + pad(Int(p.tm_hour), 2) + pad(Int(p.tm_min), 2) + pad(Int(p.tm_sec), 2) + "Z"
    }

    /// 2024-01-31T23:59:59.123Z (ISO 8601).
    var iso8601: String {
        let p = parts
        return pad(Int(p.tm_year) + 1900, 4) + "-" + pad(Int(p.tm_mon) + 1, 2) + "-" + pad(Int(p.tm_mday), 2) + "T"
            + pad(Int(p.tm_hour), 2) + ":" + pad(Int(p.tm_min), 2) + ":" + pad(Int(p.tm_sec), 2) + "." + pad(Int(milliseconds), 3) + "Z"
    }

    /// Parses the ISO 8601 UTC times AWS sends (`2024-01-31T23:59:59Z`, with optional fraction).
    static func parse(_ text: String) -> UTCTime? {
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<(start + count)] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard bytes.count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"), bytes.last == UInt8(ascii: "Z"),
            let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61,
            bytes.count == 20 || (bytes[19] == UInt8(ascii: ".") && bytes.count > 21 && number(20, bytes.count - 21) != nil)
        else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        return UTCTime(seconds: Int64(timegm(&parts)))
    }

    private func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
