import AdjoinCore

/// Where the central settings table is: a table, its Region and a role to assume for it. It holds no
/// secret and is the same in every account and Region (the item is chosen by the instance's account),
/// so it can be baked into an image in /etc/default/adjoin, or kept in a small `adjoin` parameter.
public struct CentralSettingsPointer: Sendable, Equatable {
    public var table: String
    /// The table's Region (default: the instance's).
    public var region: String?
    /// The role that may read the table (default: the instance's own credentials, a table in its account).
    public var roleArn: String?
    /// Where the pointer was read, for messages.
    public var source: String

    public init(table: String, region: String? = nil, roleArn: String? = nil, source: String) {
        self.table = table
        self.region = region
        self.roleArn = roleArn
        self.source = source
    }

    /// The keys of a pointer parameter; such a parameter holds nothing else.
    static let parameterKeys = ["settingsTable", "settingsRegion", "settingsRoleArn"]

    /// The pointer in a settings parameter, or nil when the parameter holds settings themselves.
    static func fromParameter(_ members: [(String, JSON)], source: String) throws(AdjoinError) -> CentralSettingsPointer? {
        guard members.contains(where: { parameterKeys.contains($0.0) }) else { return nil }
        var values: [String: String] = [:]
        for (key, value) in members {
            guard parameterKeys.contains(key) else {
                throw .invalidInput(
                    "\(source) points to a central settings table, so it holds only \(parameterKeys.joined(separator: ", ")); "
                        + "\"\(key)\" belongs in the table's item")
            }
            guard values[key] == nil else { throw .invalidInput("\(source): \"\(key)\" is given twice") }
            guard let text = value.string, !text.isEmpty else {
                throw .invalidInput("\(source): \"\(key)\" must be a non-empty string, not \(value.kind)")
            }
            values[key] = text
        }
        return try checked(
            table: values["settingsTable"], region: values["settingsRegion"], roleArn: values["settingsRoleArn"],
            names: ("settingsTable", "settingsRegion", "settingsRoleArn"), source: source)
    }

    /// The host file that `adjoin join` reads before any parameter (also the boot unit's EnvironmentFile).
    public static let defaultsFile = "/etc/default/adjoin"

    /// The pointer in /etc/default/adjoin (`ADJOIN_SETTINGS_TABLE`, `ADJOIN_SETTINGS_REGION`,
    /// `ADJOIN_SETTINGS_ROLE_ARN`), or nil when the file is absent or names no table.
    public static func read(_ files: HostFiles) throws(AdjoinError) -> CentralSettingsPointer? {
        guard let bytes = try files.read(defaultsFile) else { return nil }
        let values = EnvironmentFile.parse(String(decoding: bytes, as: UTF8.self))
        let names = ("ADJOIN_SETTINGS_TABLE", "ADJOIN_SETTINGS_REGION", "ADJOIN_SETTINGS_ROLE_ARN")
        guard values[names.0] != nil || values[names.1] != nil || values[names.2] != nil else { return nil }
        return try checked(table: values[names.0], region: values[names.1], roleArn: values[names.2], names: names, source: defaultsFile)
    }

    private static func checked(
        table: String?, region: String?, roleArn: String?, names: (String, String, String),
        source: String
    ) throws(AdjoinError) -> CentralSettingsPointer {
        guard let table else { throw .invalidInput("\(source): \(names.1) or \(names.2) without \(names.0): name the settings table") }
        guard AWSNames.isTableName(table) else {
            throw .invalidInput("\(source): \(names.0) must be a DynamoDB table name (3 to 255 of a-z A-Z 0-9 _ . -), not \"\(table)\"")
        }
        if let region, !AWSNames.isRegion(region) {
            throw .invalidInput("\(source): \(names.1) must be an AWS Region such as eu-west-1, not \"\(region)\"")
        }
        if let roleArn, !AWSNames.isRoleARN(roleArn) {
            throw .invalidInput(
                "\(source): \(names.2) must be an IAM role ARN such as arn:aws:iam::123456789012:role/adjoin-settings-reader, not \"\(roleArn)\""
            )
        }
        return CentralSettingsPointer(table: table, region: region, roleArn: roleArn, source: source)
    }
}

/// `KEY=value` lines as systemd's EnvironmentFile reads them: comments and blank lines skipped,
/// one pair of surrounding quotes removed, an `export ` prefix allowed.
enum EnvironmentFile {
    static func parse(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for raw in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            var line = raw.trimmingWhitespace()
            guard !line.isEmpty, !line.hasPrefix("#"), !line.hasPrefix(";") else { continue }
            if line.hasPrefix("export ") { line = line.dropFirst("export ".count).trimmingWhitespace() }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingWhitespace()
            var value = line[line.index(after: equals)...].trimmingWhitespace()
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = value.dropFirst().dropLast()
            }
            if !value.isEmpty { values[String(key)] = String(value) }
        }
        return values
    }
}

private extension StringProtocol {
    func trimmingWhitespace() -> Substring {
        let view = Substring(self)
        guard let first = view.firstIndex(where: { $0 != " " && $0 != "\t" }),
            let last = view.lastIndex(where: { $0 != " " && $0 != "\t" })
        else { return view[view.endIndex...] }
        return view[first...last]
    }
}
