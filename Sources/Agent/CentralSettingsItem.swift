import AdjoinCore

/// One account's item of the central settings table, turned into the settings document the
/// parameter would hold. The item is keyed by `accountId` and may carry, besides the settings' keys
/// (modern or legacy: the blog's `dnsName`, `dnsIP1`, `dnsIP2`, `adJoinUserName`, `adJoinUserPwParam`),
/// a map `regions` whose member for the instance's Region replaces the settings it names.
///
/// The override goes by Region, not by the instance's tags: Regions are where DCs, OUs and status
/// tables differ, and the Region is known to the central account. Tags are written by whoever may
/// tag instances in the member account, so they must not steer which domain, account or password a
/// join uses; they keep choosing only the login group (adGroupName) and opting out (autoadjoin).
enum CentralSettingsItem {
    static let keyAttribute = "accountId"
    static let overrideAttribute = "regions"

    /// The settings members for `accountId` in `region`. The table is readable by every member
    /// account's role, so an inline password (`joinPassword`) is refused: the item names a secret or
    /// a parameter instead.
    static func members(_ item: JSON, accountId: String, region: String, source: String) throws(AdjoinError) -> [(String, JSON)] {
        guard let attributes = item.members else { throw .invalidInput("\(source) is not a DynamoDB item") }
        var members: [(String, JSON)] = []
        var overrides: [(String, JSON)] = []
        for (name, value) in attributes {
            try refuseAPassword(name, source: source)
            let plain = try plainValue(value, path: name, source: source)
            switch name {
            case keyAttribute:
                guard plain.string == accountId else { throw .invalidInput("\(source): \"accountId\" is not \(accountId)") }
            case overrideAttribute:
                guard let regions = plain.members else {
                    throw .invalidInput("\(source): \"regions\" must be a map of Region to settings, not \(plain.kind)")
                }
                if let entry = regions.first(where: { $0.0 == region }) {
                    guard let settings = entry.1.members else {
                        throw .invalidInput("\(source): \"regions\".\"\(region)\" must be a map of settings, not \(entry.1.kind)")
                    }
                    overrides = settings
                }
            default:
                members.append((name, plain))
            }
        }
        for (key, _) in overrides where [keyAttribute, overrideAttribute].contains(key) {
            throw .invalidInput("\(source): \"regions\".\"\(region)\" cannot set \"\(key)\"")
        }
        // An override replaces the whole setting, whichever name either side gives it (dnsIP1 and
        // domainControllers are one setting).
        let replaced = Set(overrides.map { SettingsDocument.setting(named: $0.0) ?? $0.0 })
        members.removeAll { replaced.contains(SettingsDocument.setting(named: $0.0) ?? $0.0) }
        members += overrides
        if let pointer = members.first(where: { CentralSettingsPointer.parameterKeys.contains($0.0) }) {
            throw .invalidInput("\(source): \"\(pointer.0)\" points to a settings table; an item holds the settings themselves")
        }
        return members
    }

    /// Checked before a value is converted: the value stays SecretBytes, and is wiped.
    private static func refuseAPassword(_ name: String, source: String) throws(AdjoinError) {
        guard name == "joinPassword" else { return }
        throw .invalidInput(
            "\(source): \"joinPassword\" does not belong in the central table, which every member account's role reads: "
                + "name a secret (joinPasswordSecret) or a SecureString parameter (joinPasswordParameter) instead")
    }

    /// A DynamoDB attribute value ({"S": ...}, {"N": ...}, {"L": [...]}, {"M": {...}}, ...) as plain JSON.
    static func plainValue(_ value: JSON, path: String, source: String) throws(AdjoinError) -> JSON {
        guard let typed = value.members, typed.count == 1, let (type, inner) = typed.first else {
            throw .invalidInput("\(source): \"\(path)\" is not a DynamoDB attribute value")
        }
        switch (type, inner) {
        case ("S", .string): return inner
        case ("S", .secret(let bytes)): return .string(bytes.withUnsafeBytes { String(decoding: $0, as: UTF8.self) })
        case ("N", .string(let digits)): return Int64(digits).map(JSON.number) ?? .decimal(digits)
        case ("BOOL", .bool): return inner
        case ("NULL", _): return .null
        case ("SS", .array(let items)): return .array(items)  // a set's members are not "S" members: plain strings
        case ("L", .array(let items)):
            var plain: [JSON] = []
            for (index, item) in items.enumerated() { plain.append(try plainValue(item, path: "\(path)[\(index)]", source: source)) }
            return .array(plain)
        case ("M", .object(let map)):
            var plain: [(String, JSON)] = []
            for (key, item) in map {
                try refuseAPassword(key, source: source)
                plain.append((key, try plainValue(item, path: "\(path).\(key)", source: source)))
            }
            return .object(plain)
        default:
            throw .invalidInput("\(source): \"\(path)\" is a DynamoDB \(type) value; settings are strings, numbers, lists and maps")
        }
    }
}
