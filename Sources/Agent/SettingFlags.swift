import AdjoinCore

/// What a command line says of the settings, as given (`--domain`, `--allow-group`, `--no-register-dns`...):
/// a settings layer that `SettingsModel` reads and checks like the parameter's, then lays over it.
public struct SettingFlags: Sendable {
    private(set) var members: [(String, JSON)] = []

    public init() {}

    /// A value given once (nil: the flag was not given).
    public mutating func set(_ key: SettingKey, _ text: String?) {
        if let text { members.append((key.rawValue, .string(text))) }
    }

    /// A repeatable flag's values (none: the flag was not given).
    public mutating func set(_ key: SettingKey, _ values: [String]) {
        if !values.isEmpty { members.append((key.rawValue, .array(values.map { .string($0) }))) }
    }

    /// A switch (nil: not given, so the settings decide).
    public mutating func set(_ key: SettingKey, _ on: Bool?) {
        if let on { members.append((key.rawValue, .bool(on))) }
    }

    /// A secret the caller already holds (the join password), kept as SecretBytes as a settings
    /// document's is, never as text. The join reads standard input for `--password-stdin` only when
    /// this layer has no password: a test gives one here instead.
    public mutating func set(_ key: SettingKey, secret: SecretBytes) {
        members.append((key.rawValue, .secret(secret)))
    }

    /// The text a flag was given, as given.
    public func text(_ key: SettingKey) -> String? {
        members.first { $0.0 == key.rawValue }?.1.string
    }

    /// The command line's settings, typed; a value that is not one is INVALID_INPUT in the value's own words.
    func settings() throws(AdjoinError) -> AgentSettings {
        try SettingsReader(members, source: nil).settings()
    }

    /// What the admin commands (leave, sweep) take as flags: the domain, the join user, the status table,
    /// and the join user's password from standard input when the command asks for it there.
    static func adminSettings(
        domain: String?, joinUser: String?, statusTable: String?,
        passwordFromStandardInput: Bool
    ) throws(AdjoinError) -> AgentSettings {
        var flags = SettingFlags()
        flags.set(.domain, domain)
        flags.set(.joinUser, joinUser)
        flags.set(.statusTable, statusTable)
        var settings = try flags.settings()
        if passwordFromStandardInput { try settings.readPasswordFromStandardInput() }
        return settings
    }
}
