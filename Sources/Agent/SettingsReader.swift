import AdjoinCore

/// One layer's settings members, looked up by modern or legacy name, with the checks that apply to every
/// key: known, given once, and not under both names. `source` names the layer in each message ("settings
/// parameter 'adjoin'"); nil for the command line, whose flags' messages are the values' own.
struct SettingsReader {
    let source: String?
    private var values: [SettingKey: (given: String, value: JSON)] = [:]
    private var legacyControllers: [(String, JSON)] = []

    init(_ members: [(String, JSON)], source: String?) throws(AdjoinError) {
        self.source = source
        var seen: Set<String> = []
        for (name, value) in members {
            guard seen.insert(name).inserted else { throw .invalidInput("\(origin): \"\(name)\" is given twice") }
            guard let key = source == nil ? SettingKey(rawValue: name) : SettingsModel.key(named: name) else {
                let known = SettingsModel.all.filter(\.inDocument).flatMap { [$0.key.rawValue] + $0.legacy }
                let hint =
                    known.min { editDistance($0, name) < editDistance($1, name) }.flatMap {
                        editDistance($0, name) <= 3 ? " (did you mean \"\($0)\"?)" : nil
                    } ?? ""
                throw .invalidInput("\(origin): unknown key \"\(name)\"\(hint)")
            }
            if key == .domainControllers && name != key.rawValue {
                continue  // dnsIP1/dnsIP2 are read together by domainControllers()
            }
            if let earlier = values[key] {
                throw .invalidInput("\(origin): give \"\(earlier.given)\" or \"\(name)\", not both: they mean the same")
            }
            values[key] = (name, value)
        }
        legacyControllers = members.filter { $0.0 == "dnsIP1" || $0.0 == "dnsIP2" }.sorted { $0.0 < $1.0 }
    }

    /// The layer in a message: its source, or the command line.
    private var origin: String { source ?? "the command line" }

    /// Every setting this layer gives, typed and checked, in the model's order.
    func settings() throws(AdjoinError) -> AgentSettings {
        var settings = AgentSettings()
        for setting in SettingsModel.all {
            try setting.read(self, &settings)
            if has(setting.key) { settings.given.insert(setting.key) }
        }
        return settings
    }

    /// Whether the layer gives the setting (a null is not a value).
    func has(_ key: SettingKey) -> Bool {
        if key == .domainControllers, legacyControllers.contains(where: { $0.1 != .null }) { return true }
        return values[key].map { $0.value != .null } ?? false
    }

    func error(_ key: SettingKey, _ problem: String) -> AdjoinError {
        .invalidInput("\(origin): \"\(values[key]?.given ?? key.rawValue)\" \(problem)")
    }

    /// Runs a value's own check, prefixing its message with where the value came from.
    func checked<T>(_ key: SettingKey, _ check: () throws(AdjoinError) -> T) throws(AdjoinError) -> T {
        do {
            return try check()
        } catch {
            guard let source else { throw error }
            throw .invalidInput("\(source): \"\(values[key]?.given ?? key.rawValue)\": \(error.message)")
        }
    }

    func string(_ key: SettingKey) throws(AdjoinError) -> String? {
        guard let (_, value) = values[key], value != .null else { return nil }
        guard let text = value.string else { throw error(key, "must be a string, not \(value.kind)") }
        // A flag's value goes to its own check as given (a group name, a domain...), which says what is wrong in its words.
        guard source != nil else { return text }
        guard !text.isEmpty else { throw error(key, "is empty") }
        guard text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
            throw error(key, "contains a control character")
        }
        return text
    }

    func string(_ key: SettingKey, matching valid: (String) -> Bool, expected: String) throws(AdjoinError) -> String? {
        guard let text = try string(key) else { return nil }
        guard valid(text) else { throw error(key, "must be \(expected), not \"\(text)\"") }
        return text
    }

    func bool(_ key: SettingKey) throws(AdjoinError) -> Bool? {
        guard let (_, value) = values[key], value != .null else { return nil }
        guard case .bool(let flag) = value else { throw error(key, "must be true or false, not \(value.kind)") }
        return flag
    }

    func strings(_ key: SettingKey) throws(AdjoinError) -> [String] {
        guard let (_, value) = values[key], value != .null else { return [] }
        guard let items = value.array else { throw error(key, "must be a list of strings, not \(value.kind)") }
        var texts: [String] = []
        for item in items {
            guard let text = item.string, !text.isEmpty || source == nil else {
                throw error(key, "must be a list of strings, and holds \(item.kind == "a string" ? "an empty one" : item.kind)")
            }
            texts.append(text)
        }
        return texts
    }

    func domainControllers() throws(AdjoinError) -> [HostPort] {
        if values[.domainControllers] != nil, !legacyControllers.isEmpty {
            throw .invalidInput("\(origin): give \"domainControllers\" or \"\(legacyControllers[0].0)\", not both: they mean the same")
        }
        var texts = try strings(.domainControllers).map { ("domainControllers", $0) }
        for (key, value) in legacyControllers where value != .null {
            guard let text = value.string, !text.isEmpty else {
                throw .invalidInput("\(origin): \"\(key)\" must be a string, not \(value.kind)")
            }
            texts.append((key, text))
        }
        var parsed: [HostPort] = []
        for (key, text) in texts {
            do {
                let controller = try HostPort(parsing: text)
                if !parsed.contains(controller) { parsed.append(controller) }
            } catch {
                guard source != nil else { throw error }
                throw .invalidInput("\(origin): \"\(key)\": \(error.message)")
            }
        }
        return parsed
    }

    func password() throws(AdjoinError) -> AgentSettings.Password? {
        let inline = values[.joinPassword].flatMap { $0.value == .null ? nil : $0 }
        let parameter = try string(
            .joinPasswordParameter, matching: AWSNames.isParameterName,
            expected: "an SSM parameter name or ARN such as /adjoin/join-password")
        let secret = try string(
            .joinPasswordSecret, matching: AWSNames.isSecretId,
            expected: "a Secrets Manager secret name or ARN")
        let given = [
            inline.map { _ in "joinPassword" }, parameter.map { _ in values[.joinPasswordParameter]!.given },
            secret.map { _ in "joinPasswordSecret" },
        ].compactMap { $0 }
        guard given.count <= 1 else {
            throw .invalidInput(
                "\(origin): give one of \(given.map { "\"\($0)\"" }.joined(separator: ", ")), not several: each names the password"
            )
        }
        if let inline {
            guard let secret = inline.value.secret else {
                // A password is read into SecretBytes as it is parsed; one that arrived as a plain string never is.
                throw error(
                    .joinPassword,
                    inline.value.string != nil
                        ? "must be given as a secret, never as plain text" : "must be a string, not \(inline.value.kind)")
            }
            guard !secret.isEmpty else { throw error(.joinPassword, "is empty") }
            guard !secret.containsNUL else { throw error(.joinPassword, "contains a NUL character") }
            return .secret(secret)
        }
        if let secret { return .secretsManager(secret) }
        return parameter.map { .parameter($0) }
    }
}
