import AdjoinCore

/// Reads the settings parameter's JSON into `AgentSettings`, checking every key; each message names
/// the parameter and the key. The password member is decoded straight into SecretBytes.
public enum SettingsDocument {
    /// The keys, each with the legacy name (from the older domain-join scripts) that means the same.
    static let keys: [(name: String, legacy: [String])] = [
        ("domain", ["dnsName"]),
        ("domainControllers", ["dnsIP1", "dnsIP2"]),
        ("joinUser", ["adJoinUserName"]),
        ("joinPassword", []),
        ("joinPasswordParameter", ["adJoinUserPwParam"]),
        ("joinPasswordSecret", []),
        ("organizationalUnit", []),
        ("allowedGroups", []),
        ("sudoGroup", []),
        ("statusTable", []),
        ("statusRegion", []),
        ("statusRoleArn", []),
        ("computerNameFrom", []),
        ("groupTag", []),
        ("sudoGroupTag", []),
        ("autoJoinTag", []),
        ("registerDNS", []),
        ("dnsAddress", []),
        ("configureSSH", []),
        ("posixIDs", []),
        ("sshPublicKeyAttribute", []),
        ("updateSamba", []),
        ("servicePrincipals", []),
        ("broker", []),
        ("brokerRoles", []),
    ]
    static let secretKeys: Set<String> = ["joinPassword"]
    /// SSM's largest (advanced) parameter value.
    static let maximumSize = 8192

    public static func parse(_ value: SecretBytes, source: String) throws(AdjoinError) -> AgentSettings {
        try parse(members: try object(value, source: source), source: source)
    }

    /// The value's JSON object, its members in order; the password member is already SecretBytes.
    static func object(_ value: SecretBytes, source: String) throws(AdjoinError) -> [(String, JSON)] {
        guard value.count <= maximumSize else {
            throw .invalidInput("\(source): \(value.count) bytes, more than the \(maximumSize) a parameter can hold")
        }
        let document: JSON
        do {
            document = try JSON.parse(value, secretKeys: secretKeys)
        } catch {
            throw .invalidInput("\(source) is not valid JSON: \(error)")
        }
        guard let members = document.members else {
            throw .invalidInput("\(source) must hold a JSON object, not \(document.kind)")
        }
        return members
    }

    /// The modern name of a key given under either name (dnsIP2: domainControllers), nil if unknown.
    static func setting(named key: String) -> String? {
        keys.first { $0.name == key || $0.legacy.contains(key) }?.name
    }

    static func parse(members: [(String, JSON)], source: String) throws(AdjoinError) -> AgentSettings {
        let reader = try MemberReader(members, source: source)
        var settings = AgentSettings()
        if let domain = try reader.string("domain") {
            settings.domain = try reader.checked("domain") { () throws(AdjoinError) in try DomainName(domain) }
        } else if try reader.string("broker") == nil {
            // Settings that name a broker may hold nothing else: the broker answers with the domain.
            throw .invalidInput("\(source): \"domain\" (the domain's DNS name, legacy \"dnsName\") is required")
        }
        settings.domainControllers = try reader.domainControllers()
        settings.joinUser = try reader.string("joinUser")
        settings.password = try reader.password()
        settings.organizationalUnit = try reader.string("organizationalUnit")
        for group in try reader.strings("allowedGroups") {
            let name = try reader.checked("allowedGroups") { () throws(AdjoinError) in try GroupName(group) }
            if !settings.allowedGroups.contains(name) { settings.allowedGroups.append(name) }
        }
        if let group = try reader.string("sudoGroup") {
            settings.sudoGroup = try reader.checked("sudoGroup") { () throws(AdjoinError) in try GroupName(group) }
        }
        settings.statusTable = try reader.string("statusTable", matching: AWSNames.isTableName, expected: "a DynamoDB table name (3 to 255 of a-z A-Z 0-9 _ . -)")
        settings.statusRegion = try reader.string("statusRegion", matching: AWSNames.isRegion, expected: "an AWS region such as eu-west-1")
        settings.statusRoleArn = try reader.string("statusRoleArn", matching: AWSNames.isRoleARN, expected: "an IAM role ARN such as arn:aws:iam::123456789012:role/adjoin-status")
        if let source = try reader.string("computerNameFrom") {
            guard let parsed = AgentSettings.ComputerNameSource(rawValue: source) else {
                throw reader.error("computerNameFrom", "must be \"hostname\" or \"instance-id\", not \"\(source)\"")
            }
            settings.computerNameFrom = parsed
        }
        settings.groupTag = try reader.string("groupTag", matching: AWSNames.isTagKey, expected: "an EC2 tag key") ?? settings.groupTag
        settings.sudoGroupTag = try reader.string("sudoGroupTag", matching: AWSNames.isTagKey, expected: "an EC2 tag key") ?? settings.sudoGroupTag
        settings.autoJoinTag = try reader.string("autoJoinTag", matching: AWSNames.isTagKey, expected: "an EC2 tag key") ?? settings.autoJoinTag
        settings.registerDNS = try reader.bool("registerDNS")
        if let address = try reader.string("dnsAddress") {
            settings.dnsAddress = try reader.checked("dnsAddress") { () throws(AdjoinError) in try AgentSettings.dnsAddress(address) }
        }
        settings.configureSSH = try reader.bool("configureSSH")
        settings.posixIDs = try reader.bool("posixIDs")
        settings.sshPublicKeyAttribute = try reader.string("sshPublicKeyAttribute", matching: AttributeName.isValid,
                                                           expected: "an LDAP attribute name, such as altSecurityIdentities")
        settings.updateSamba = try reader.bool("updateSamba")
        let services = try reader.strings("servicePrincipals")
        settings.servicePrincipals = try reader.checked("servicePrincipals") { () throws(AdjoinError) in try ServiceName.list(services) }
        settings.broker = try reader.string("broker", matching: BrokerURL.isValid, expected: "the broker's https:// function URL")
        for role in try reader.strings("brokerRoles") {
            guard AWSNames.isRoleName(role) else { throw reader.error("brokerRoles", "must be a list of IAM role names, and holds \"\(role)\"") }
            settings.brokerRoles.append(role)
        }
        return settings
    }
}

/// The members of the settings object, looked up by modern or legacy name, with the checks that
/// apply to every key: known, given once, and not under both names.
private struct MemberReader {
    let source: String
    private var values: [String: (given: String, value: JSON)] = [:]

    init(_ members: [(String, JSON)], source: String) throws(AdjoinError) {
        self.source = source
        var seen: Set<String> = []
        for (key, value) in members {
            guard seen.insert(key).inserted else { throw .invalidInput("\(source): \"\(key)\" is given twice") }
            guard let entry = SettingsDocument.keys.first(where: { $0.name == key || $0.legacy.contains(key) }) else {
                let known = SettingsDocument.keys.flatMap { [$0.name] + $0.legacy }
                let hint = known.min { editDistance($0, key) < editDistance($1, key) }.flatMap { editDistance($0, key) <= 3 ? " (did you mean \"\($0)\"?)" : nil } ?? ""
                throw .invalidInput("\(source): unknown key \"\(key)\"\(hint)")
            }
            if entry.name == "domainControllers" && key != entry.name {
                continue  // dnsIP1/dnsIP2 are read together by domainControllers()
            }
            if let earlier = values[entry.name] {
                throw .invalidInput("\(source): give \"\(earlier.given)\" or \"\(key)\", not both: they mean the same")
            }
            values[entry.name] = (key, value)
        }
        legacyControllers = members.filter { $0.0 == "dnsIP1" || $0.0 == "dnsIP2" }.sorted { $0.0 < $1.0 }
    }

    private var legacyControllers: [(String, JSON)] = []

    func error(_ key: String, _ problem: String) -> AdjoinError {
        .invalidInput("\(source): \"\(values[key]?.given ?? key)\" \(problem)")
    }

    /// Runs a value's own check, prefixing its message with where the value came from.
    func checked<T>(_ key: String, _ check: () throws(AdjoinError) -> T) throws(AdjoinError) -> T {
        do {
            return try check()
        } catch {
            throw .invalidInput("\(source): \"\(values[key]?.given ?? key)\": \(error.message)")
        }
    }

    func string(_ key: String) throws(AdjoinError) -> String? {
        guard let (_, value) = values[key], value != .null else { return nil }
        guard let text = value.string else { throw error(key, "must be a string, not \(value.kind)") }
        guard !text.isEmpty else { throw error(key, "is empty") }
        guard text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
            throw error(key, "contains a control character")
        }
        return text
    }

    func string(_ key: String, matching valid: (String) -> Bool, expected: String) throws(AdjoinError) -> String? {
        guard let text = try string(key) else { return nil }
        guard valid(text) else { throw error(key, "must be \(expected), not \"\(text)\"") }
        return text
    }

    func bool(_ key: String) throws(AdjoinError) -> Bool? {
        guard let (_, value) = values[key], value != .null else { return nil }
        guard case .bool(let flag) = value else { throw error(key, "must be true or false, not \(value.kind)") }
        return flag
    }

    func strings(_ key: String) throws(AdjoinError) -> [String] {
        guard let (_, value) = values[key], value != .null else { return [] }
        guard let items = value.array else { throw error(key, "must be a list of strings, not \(value.kind)") }
        var texts: [String] = []
        for item in items {
            guard let text = item.string, !text.isEmpty else { throw error(key, "must be a list of strings, and holds \(item.kind == "a string" ? "an empty one" : item.kind)") }
            texts.append(text)
        }
        return texts
    }

    func domainControllers() throws(AdjoinError) -> [HostPort] {
        if values["domainControllers"] != nil, !legacyControllers.isEmpty {
            throw .invalidInput("\(source): give \"domainControllers\" or \"\(legacyControllers[0].0)\", not both: they mean the same")
        }
        var texts = try strings("domainControllers").map { ("domainControllers", $0) }
        for (key, value) in legacyControllers where value != .null {
            guard let text = value.string, !text.isEmpty else { throw .invalidInput("\(source): \"\(key)\" must be a string, not \(value.kind)") }
            texts.append((key, text))
        }
        var parsed: [HostPort] = []
        for (key, text) in texts {
            do {
                let controller = try HostPort(parsing: text)
                if !parsed.contains(controller) { parsed.append(controller) }
            } catch {
                throw .invalidInput("\(source): \"\(key)\": \(error.message)")
            }
        }
        return parsed
    }

    func password() throws(AdjoinError) -> AgentSettings.Password? {
        let inline = values["joinPassword"].flatMap { $0.value == .null ? nil : $0 }
        let parameter = try string("joinPasswordParameter", matching: AWSNames.isParameterName,
                                   expected: "an SSM parameter name or ARN such as /adjoin/join-password")
        let secret = try string("joinPasswordSecret", matching: AWSNames.isSecretId,
                                expected: "a Secrets Manager secret name or ARN")
        let given = [inline.map { _ in "joinPassword" }, parameter.map { _ in values["joinPasswordParameter"]!.given },
                     secret.map { _ in "joinPasswordSecret" }].compactMap { $0 }
        guard given.count <= 1 else {
            throw .invalidInput("\(source): give one of \(given.map { "\"\($0)\"" }.joined(separator: ", ")), not several: each names the password")
        }
        if let inline {
            guard let secret = inline.value.secret else { throw error("joinPassword", "must be a string, not \(inline.value.kind)") }
            guard !secret.isEmpty else { throw error("joinPassword", "is empty") }
            guard !secret.containsNUL else { throw error("joinPassword", "contains a NUL character") }
            return .secret(secret)
        }
        if let secret { return .secretsManager(secret) }
        return parameter.map { .parameter($0) }
    }
}

/// Levenshtein distance, for "did you mean" on a mistyped key (keys are short).
private func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.lowercased()), b = Array(b.lowercased())
    var previous = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in stride(from: 1, through: b.count, by: 1) {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return a.isEmpty ? b.count : previous[b.count]
}
