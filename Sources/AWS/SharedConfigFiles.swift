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
        if let config = path("AWS_CONFIG_FILE", default: ".aws/config"), let bytes = try files.read(config) {
            try loaded.add(String(decoding: bytes, as: UTF8.self), isConfigFile: true, source: config)
        }
        if let credentials = path("AWS_SHARED_CREDENTIALS_FILE", default: ".aws/credentials"), let bytes = try files.read(credentials) {
            try loaded.add(String(decoding: bytes, as: UTF8.self), isConfigFile: false, source: credentials)
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
        sources.append(source)
        var section: (kind: String, name: String)?
        var inNested = false
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
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
