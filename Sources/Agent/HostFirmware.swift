import AdjoinCore

/// What the machine's firmware says about where it runs: the one cheap, local sign of an EC2 instance
/// (cloud-init's ds-identify reads the same), so that a join made with flags only asks instance
/// metadata for its id on EC2 and never waits on a metadata address elsewhere.
public protocol HostFirmware: Sendable {
    /// Why this machine is an EC2 instance ("board asset tag i-...", "system vendor Amazon EC2"), or nil.
    func ec2Sign() -> String?
}

/// The firmware as Linux shows it under /sys: Nitro instances name their id in the board asset tag and
/// "Amazon EC2" as the system vendor; Xen instances have a hypervisor UUID that starts with "ec2".
public struct SystemFirmware: HostFirmware {
    let files: HostFiles

    /// `sys`: where sysfs is mounted (a test's directory in unit tests).
    public init(sys: String = "/sys") {
        files = HostFiles(root: sys)
    }

    public func ec2Sign() -> String? {
        if let tag = text("/devices/virtual/dmi/id/board_asset_tag"), AccountOwner.isInstanceID(tag) { return "board asset tag \(tag)" }
        if text("/devices/virtual/dmi/id/sys_vendor") == "Amazon EC2" { return "system vendor Amazon EC2" }
        if let uuid = text("/hypervisor/uuid"), uuid.lowercased().hasPrefix("ec2") { return "Xen hypervisor UUID \(uuid)" }
        return nil
    }

    private func text(_ path: String) -> String? {
        guard let bytes = try? files.read(path) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self).trimmingWhitespace
        return text.isEmpty ? nil : text
    }
}
