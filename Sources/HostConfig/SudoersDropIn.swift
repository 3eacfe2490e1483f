import AdjoinCore

/// /etc/sudoers.d/adjoin (mode 0440, as sudo requires): members of `--sudo-group` may use sudo.
enum SudoersDropIn {
    static let path = "/etc/sudoers.d/adjoin"

    static func render(_ group: GroupName) -> String {
        """
        # Written by adjoin: members of the AD group "\(group.value)" may run any command as any user.
        %\(escaped(group.value)) ALL=(ALL:ALL) ALL

        """
    }

    /// sudoers words end at white space and at `! = : , ( ) # "`; a backslash makes any one character
    /// part of the word, so everything but letters, digits and `_ . -` is escaped.
    static func escaped(_ name: String) -> String {
        var result = ""
        for character in name {
            if character.isLetter || character.isNumber || "_.-".contains(character) {
                result.append(character)
            } else {
                result += "\\" + String(character)
            }
        }
        return result
    }
}
