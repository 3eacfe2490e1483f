import AdjoinCore
@testable import HostConfig

extension HostSettings {
    static func lab(host: String = "web1.corp.example.com", computer: String = "WEB1", groups: [String] = ["linux-admins"]) -> HostSettings
    {
        var settings = HostSettings(
            domain: "corp.example.com", realm: "CORP.EXAMPLE.COM", hostFQDN: host,
            computerName: computer, kdcs: ["dc1.corp.example.com"])
        settings.allowedGroups = groups.map { try! GroupName($0) }
        return settings
    }
}
