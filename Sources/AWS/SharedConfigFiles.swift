import AdjoinCore
#if canImport(Glibc)
    import Glibc
#endif

/// The AWS CLI's and SDKs' shared files, read as botocore reads them: the credentials file
/// (`AWS_SHARED_CREDENTIALS_FILE`, else ~/.aws/credentials) with `[NAME]` sections, and the config file
/// (`AWS_CONFIG_FILE`, else ~/.aws/config) with `[default]`, `[profile NAME]` and `[sso-session NAME]`
/// sections. A profile's settings are the config file's with the credentials file's laid over them.
/// Lines are `key = value`; lines starting with `#` or `;` are comments; indented lines below a key
/// with no value (`s3 =`) are that key's sub-settings, which nothing here uses, so they are skipped.
public struct SharedConfigFiles: Sendable {
    /// Profile name to its settings (keys lower-cased, as botocore does not distinguish them either).
    public private(set) var profiles: [String: [String: String]] = [:]
    public private(set) var ssoSessions: [String: [String: String]] = [:]
    /// The profiles' secret values (`aws_secret_access_key`, `aws_session_token`), which go from the
    /// file's bytes into SecretBytes without passing through a String.
    public private(set) var secrets: [String: [String: SecretBytes]] = [:]
    static let secretKeys: Set<String> = ["aws_secret_access_key", "aws_session_token"]
    /// The files read, for messages ("~/.aws/config"); files that do not exist are not listed.
    public private(set) var sources: [String] = []

    public init() {}

    /// Reads both files where the environment says they are. A file that does not exist is no error
    /// (the SDKs skip it); one that cannot be read or parsed is.
    public static func load(environment: AWSEnvironment, files: HostFiles = HostFiles()) throws(AdjoinError) -> SharedConfigFiles {
        var loaded = SharedConfigFiles()
        let home = environment.value("HOME")
        func path(_ variable: String, default relative: String) -> String? {
            if let given = environment.value(variable) { return expandHome(given, home: home) }
            return home.map { $0 + "/" + relative }
        }
        if let config = path("AWS_CONFIG_FILE", default: ".aws/config"), var bytes = try files.read(config) {
            defer { bytes.wipe() }
            try loaded.add(bytes, isConfigFile: true, source: config)
        }
        if let credentials = path("AWS_SHARED_CREDENTIALS_FILE", default: ".aws/credentials"), var bytes = try files.read(credentials) {
            defer { bytes.wipe() }
            try loaded.add(bytes, isConfigFile: false, source: credentials)
        }
        return loaded
    }

    /// `~/...` as the user's home, as the SDKs expand these variables, and a relative path from the
    /// working directory (HostFiles takes every path from the root).
    static func expandHome(_ path: String, home: String?) -> String {
        if let home, path == "~" || path.hasPrefix("~/") { return home + path.dropFirst() }
        guard !path.hasPrefix("/"), let directory = getcwd(nil, 0) else { return path }
        defer { free(directory) }
        return String(cString: directory) + "/" + path
    }

    /// Adds one file's sections. In the config file a profile other than `default` is `[profile NAME]`
    /// (a bare `[NAME]` there is ignored, as by botocore); in the credentials file every section is a profile.
    public mutating func add(_ text: String, isConfigFile: Bool, source: String) throws(AdjoinError) {
        try add(Array(text.utf8), isConfigFile: isConfigFile, source: source)
    }

    public mutating func add(_ bytes: [UInt8], isConfigFile: Bool, source: String) throws(AdjoinError) {
        sources.append(source)
        var section: (kind: String, name: String)?
        var inNested = false
        for (number, rawLine) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let lineBytes = rawLine.last == UInt8(ascii: "\r") ? rawLine.dropLast() : rawLine
            // A secret's line: its value straight into SecretBytes (the key is decoded alone).
            if let equals = lineBytes.firstIndex(of: UInt8(ascii: "=")),
                Self.secretKeys.contains(String(decoding: lineBytes[..<equals], as: UTF8.self).trimmingWhitespace.lowercased())
            {
                let key = String(decoding: lineBytes[..<equals], as: UTF8.self).trimmingWhitespace.lowercased()
                let value = lineBytes[(equals + 1)...].drop { $0 == 0x20 || $0 == 0x09 }
                let end = value.lastIndex { $0 != 0x20 && $0 != 0x09 }.map { $0 + 1 } ?? value.startIndex
                inNested = false
                if let section, section.kind == "profile", value.startIndex < end {
                    secrets[section.name, default: [:]][key] = SecretBytes(value[value.startIndex..<end])
                }
                continue
            }
            let line = Substring(String(decoding: lineBytes, as: UTF8.self))
            let trimmed = String(line).trimmingWhitespace
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            let indented = line.first == " " || line.first == "\t"
            if indented && inNested { continue }
            if trimmed.hasPrefix("[") {
                guard trimmed.hasSuffix("]") else {
                    throw .invalidInput("\(source) line \(number + 1): a section header without its closing ]")
                }
                inNested = false
                section = Self.section(String(trimmed.dropFirst().dropLast()).trimmingWhitespace, isConfigFile: isConfigFile)
                continue
            }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw .invalidInput("\(source) line \(number + 1): not a 'key = value' line")
            }
            let key = String(trimmed[..<equals]).trimmingWhitespace.lowercased()
            let value = Self.withoutInlineComment(String(trimmed[trimmed.index(after: equals)...]).trimmingWhitespace)
            inNested = value.isEmpty
            guard let section, !key.isEmpty, !value.isEmpty else { continue }
            switch section.kind {
            case "profile": profiles[section.name, default: [:]][key] = value
            case "sso-session": ssoSessions[section.name, default: [:]][key] = value
            default: continue
            }
        }
    }

    /// botocore strips a comment that follows a value after whitespace (`region = eu-west-1 # Ireland`).
    static func withoutInlineComment(_ value: String) -> String {
        var previous: Character = "x"
        for index in value.indices {
            if (value[index] == "#" || value[index] == ";") && (previous == " " || previous == "\t") {
                return String(value[..<index]).trimmingWhitespace
            }
            previous = value[index]
        }
        return value
    }

    private static func section(_ header: String, isConfigFile: Bool) -> (kind: String, name: String)? {
        guard isConfigFile else { return ("profile", header) }
        if header == "default" { return ("profile", "default") }
        for kind in ["profile", "sso-session"] where header.hasPrefix(kind + " ") || header.hasPrefix(kind + "\t") {
            let name = String(header.dropFirst(kind.count)).trimmingWhitespace
            return name.isEmpty ? nil : (kind, name)
        }
        return nil
    }
}
