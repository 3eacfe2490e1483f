/// A duration as the command line and the settings write one: a number of seconds, or a number with a
/// unit (`90s`, `30m`, `2h`, `7d`). ASCII digits only, at most nine of them; each flag then holds the
/// value to its own range.
public enum DurationText {
    public static func seconds(_ text: String) -> Int64? {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var digits = Substring(text)
        var unit: Int64 = 1
        if let last = text.last, let multiplier = units[last] {
            digits = digits.dropLast()
            unit = multiplier
        }
        guard !digits.isEmpty, digits.count <= 9, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int64(digits) else {
            return nil
        }
        return value * unit
    }
}
