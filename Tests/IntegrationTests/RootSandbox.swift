import Foundation
import TestSupport
import Testing

/// Another distribution's system in a directory (scripts/lab-support/root-sandbox): a copy of a cached
/// debootstrap root with the lab as its resolver. adjoin runs on this machine with `--root`; the root's own
/// programs (sssd, pamtester, authselect) run inside it with chroot, in a private mount namespace.
struct RootSandbox {
    let directory: URL
    static let script = Lab.packageRoot.appendingPathComponent("scripts/lab-support/root-sandbox")
    /// The variables that name the cached Debian 13 roots DistroLoginIntegrationTests needs.
    static let distroRoots = ["ADJOIN_ROOT_TRIXIE_AUTHSELECT", "ADJOIN_ROOT_TRIXIE_AUTHSELECT_ODDJOB", "ADJOIN_ROOT_TRIXIE_SSSD"]

    /// The cached root an environment variable names (scripts/test-distros sets them after building
    /// the roots), or nil when it is not set: the suites that need one are then not enabled.
    static func cached(_ variable: String) -> String? {
        ProcessInfo.processInfo.environment[variable].flatMap { $0.isEmpty ? nil : $0 }
    }

    init(copying cached: String, lab: Lab) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("adjoin-root-\(UInt32.random(in: 0...UInt32.max))")
        let made = try IntegrationTests.run(Self.script, ["create", directory.path, cached, lab.resolvConf, lab.hostsFile])
        try #require(made.status == 0, "root-sandbox create: \(made.stderr)")
    }

    /// Runs one of the root's own programs inside it.
    func run(_ program: String, _ arguments: [String], stdin: URL? = nil) throws -> CommandResult {
        try IntegrationTests.run(Self.script, ["run", directory.path, program] + arguments, stdin: stdin)
    }

    func file(_ hostPath: String) -> URL { directory.appendingPathComponent(String(hostPath.dropFirst())) }

    func text(_ hostPath: String) throws -> String { try String(contentsOf: file(hostPath), encoding: .utf8) }

    /// Where a link in the root points, or nil when the path is not a link.
    func linkTarget(_ hostPath: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: file(hostPath).path)
    }

    /// Every file, link and folder under the given folders with its content (or target) and mode, but
    /// not its times: what leave must put back as it was.
    func snapshot(_ hostDirectories: [String]) throws -> [String: String] {
        var result: [String: String] = [:]
        for hostDirectory in hostDirectories {
            let top = file(hostDirectory)
            guard FileManager.default.fileExists(atPath: top.path) else {
                result[hostDirectory] = "absent"
                continue
            }
            let walker = try #require(FileManager.default.enumerator(atPath: top.path))
            while let relative = walker.nextObject() as? String {
                let path = top.appendingPathComponent(relative).path
                let attributes = try FileManager.default.attributesOfItem(atPath: path)
                let mode = String((attributes[.posixPermissions] as? Int) ?? -1, radix: 8)
                let key = hostDirectory + "/" + relative
                switch attributes[.type] as? FileAttributeType {
                case .typeSymbolicLink?: result[key] = "link -> " + (try FileManager.default.destinationOfSymbolicLink(atPath: path))
                case .typeDirectory?: result[key] = "folder \(mode)"
                default: result[key] = "file \(mode) \(try Data(contentsOf: URL(fileURLWithPath: path)).base64EncodedString())"
                }
            }
        }
        return result
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}

/// One of the root's own daemons (sssd, dbus-daemon, oddjobd) in the foreground inside it; stopped when
/// the test ends.
final class RootDaemon {
    let process = Process()
    let log: URL
    /// The test process's threads block SIGTERM, and the children Process starts inherit that mask: a
    /// daemon that does not unblock it (dbus-daemon, oddjobd) is stopped with SIGKILL instead.
    let stopsOnSIGTERM: Bool

    init(_ root: RootSandbox, _ program: String, _ arguments: [String], stopsOnSIGTERM: Bool = false) throws {
        self.stopsOnSIGTERM = stopsOnSIGTERM
        log = root.directory.appendingPathComponent(URL(fileURLWithPath: program).lastPathComponent + ".out")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = RootSandbox.script
        process.arguments = ["run", root.directory.path, program] + arguments
        process.environment = ChildEnvironment.inherited()
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// `sssd -i`, whose monitor unblocks SIGTERM and stops its responders on it.
    static func sssd(_ root: RootSandbox) throws -> RootDaemon {
        try RootDaemon(root, "/usr/sbin/sssd", ["-i", "-c", "/etc/sssd/sssd.conf"], stopsOnSIGTERM: true)
    }

    func stop() {
        // root-sandbox execs into unshare, then chroot, then the daemon: this pid is the daemon's.
        if stopsOnSIGTERM {
            process.terminate()
        } else {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
    }

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
}
