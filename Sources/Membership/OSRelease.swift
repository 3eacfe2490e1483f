import AdjoinCore

/// NAME and VERSION_ID from os-release(5), for the computer object's operatingSystem attributes.
public struct OSRelease: Sendable, Equatable {
    public var name: String
    public var version: String

    public init(name: String, version: String) {
        self.name = name
        self.version = version
    }

    /// From the root's os-release, else the running host's.
    public static func read(files: HostFiles) -> OSRelease {
        for source in [files, HostFiles()] {
            for path in ["/etc/os-release", "/usr/lib/os-release"] {
                if let bytes = try? source.read(path) { return parse(String(decoding: bytes, as: UTF8.self)) }
            }
        }
        return OSRelease(name: "Linux", version: "")
    }

    public static func parse(_ text: String) -> OSRelease {
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            var value = line[line.index(after: equals)...]
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = value.dropFirst().dropLast()
            }
            values[String(line[..<equals])] = String(value)
        }
        return OSRelease(name: values["NAME"] ?? "Linux", version: values["VERSION_ID"] ?? values["VERSION"] ?? "")
    }
}
