/// The fallback where neither pam-auth-update nor authselect exists: pam_sss and home directory creation added to
/// a PAM stack file by hand, the way pam-auth-update's own sss profile would place them. It edits only a
/// stack whose shape it recognises (a `pam_deny.so` line closing the auth and password stacks) and
/// renumbers the `success=N` jumps that cross an inserted line, so that every existing rule still
/// lands where it did.
enum PAMStackEditor {
    struct Refusal: Error {
        let reason: String
    }

    /// `home`: the module that makes home directories (HomeDirectoryCreation, from what the system has).
    static func addSSS(
        to text: String, types: Set<String> = ["auth", "account", "password", "session"],
        home: HomeDirectoryCreation = .pamMkhomedir
    ) throws(Refusal) -> String {
        var lines = TextLines.split(text)
        if types.contains("auth") && !mentions(lines, "auth", "pam_sss.so") {
            try insertBeforeDeny(&lines, type: "auth", "auth\t[success=1 default=ignore]\tpam_sss.so use_first_pass")
        }
        if types.contains("password") && !mentions(lines, "password", "pam_sss.so") {
            try insertBeforeDeny(&lines, type: "password", "password\tsufficient\t\t\tpam_sss.so use_authtok")
        }
        if types.contains("account") && !mentions(lines, "account", "pam_sss.so") {
            // Local users pass on pam_localuser; a domain user sssd refuses is refused.
            append(&lines, type: "account", "account\tsufficient\t\t\tpam_localuser.so")
            append(&lines, type: "account", "account\t[default=bad success=ok user_unknown=ignore]\tpam_sss.so")
        }
        let homeModules = [HomeDirectoryCreation.pamMkhomedir.module, HomeDirectoryCreation.oddjob.module]
        if types.contains("session") && !homeModules.contains(where: { mentions(lines, "session", $0) }) {
            append(&lines, type: "session", "session\toptional\t\(home.module)")
        }
        if types.contains("session") && !mentions(lines, "session", "pam_sss.so") {
            append(&lines, type: "session", "session\toptional\tpam_sss.so")
        }
        return TextLines.join(lines)
    }

    private static func insertBeforeDeny(_ lines: inout [String], type: String, _ newLine: String) throws(Refusal) {
        let stack = indexes(of: type, in: lines)
        guard let deny = stack.firstIndex(where: { module(lines[$0]) == "pam_deny.so" }) else {
            throw Refusal(reason: "its \(type) stack has no pam_deny.so line to place pam_sss before")
        }
        // A jump from position p over n lines lands on p + n + 1; one that reaches the deny line or
        // beyond now has one more line to cross.
        for (position, index) in stack.enumerated() where position < deny {
            guard let jump = successJump(lines[index]), position + jump + 1 >= deny else { continue }
            lines[index] = lines[index].replacingFirst("success=\(jump)", with: "success=\(jump + 1)")
        }
        lines.insert(newLine, at: stack[deny])
    }

    private static func append(_ lines: inout [String], type: String, _ newLine: String) {
        let at = (indexes(of: type, in: lines).last.map { $0 + 1 }) ?? lines.count
        lines.insert(newLine, at: at)
    }

    private static func mentions(_ lines: [String], _ type: String, _ module: String) -> Bool {
        indexes(of: type, in: lines).contains { self.module(lines[$0]) == module }
    }

    /// Lines of one management group; `-auth` (optional module) counts, comments and @include do not.
    private static func indexes(of type: String, in lines: [String]) -> [Int] {
        lines.indices.filter { words(lines[$0]).first.map { $0 == type || $0 == "-" + type } ?? false }
    }

    /// The module path, after the control field (which may be a bracketed list with spaces).
    private static func module(_ line: String) -> String? {
        let text = line.trimmingWhitespace()
        var rest = Substring(text).drop { $0 != " " && $0 != "\t" }.drop { $0 == " " || $0 == "\t" }
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            rest = rest[rest.index(after: close)...]
        } else {
            rest = rest.drop { $0 != " " && $0 != "\t" }
        }
        let path = rest.drop { $0 == " " || $0 == "\t" }.prefix { $0 != " " && $0 != "\t" }
        return path.split(separator: "/").last.map(String.init)
    }

    private static func successJump(_ line: String) -> Int? {
        guard let range = line.firstRange(of: "success=") else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }

    private static func words(_ line: String) -> [Substring] {
        let text = Substring(line).drop { $0 == " " || $0 == "\t" }
        guard !text.hasPrefix("#") else { return [] }
        return text.split(whereSeparator: { $0 == " " || $0 == "\t" })
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = firstRange(of: target) else { return self }
        var copy = self
        copy.replaceSubrange(range, with: replacement)
        return copy
    }
}
