import Foundation
import TestSupport
import Testing

/// A never-joined host in a private mount namespace (scripts/lab-support/etc-sandbox): a copy of /etc
/// without sss in NSS or PAM, whose resolver points at the lab DC. Commands run through it see the
/// copy in place of the machine's /etc; the machine's own files are never touched.
struct EtcSandbox {
    let directory: URL
    static let script = Lab.packageRoot.appendingPathComponent("scripts/lab-support/etc-sandbox")

    /// `resolvConf` and `hostsFile`: the sandbox's resolver files (the lab's, which name the DC's IPv4 address, by default).
    init(lab: Lab, resolvConf: String? = nil, hostsFile: String? = nil) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("adjoin-sandbox-\(UInt32.random(in: 0...UInt32.max))")
        let made = try IntegrationTests.run(
            Self.script, ["create", directory.path, resolvConf ?? lab.resolvConf, hostsFile ?? lab.hostsFile])
        try #require(made.status == 0, "etc-sandbox create: \(made.stderr)")
    }

    /// Runs a program inside the sandbox.
    func run(_ program: String, _ arguments: [String], stdin: URL? = nil) throws -> CommandResult {
        try IntegrationTests.run(Self.script, ["run", directory.path, program] + arguments, stdin: stdin)
    }

    /// Runs a program inside the sandbox with these variables added (an instance's metadata endpoint).
    func run(_ program: String, _ arguments: [String], environment: [String: String]) throws -> CommandResult {
        try IntegrationTests.run(Self.script, ["run", directory.path, program] + arguments, environment: environment)
    }

    /// A file of the sandbox, by the path the sandboxed host sees ("/etc/sssd/sssd.conf").
    func file(_ hostPath: String) -> URL { directory.appendingPathComponent(String(hostPath.dropFirst())) }

    func text(_ hostPath: String) throws -> String { try String(contentsOf: file(hostPath), encoding: .utf8) }

    func mode(_ hostPath: String) throws -> Int {
        try (FileManager.default.attributesOfItem(atPath: file(hostPath).path)[.posixPermissions] as? Int) ?? -1
    }

    /// Every file under /etc with its content and modification time, to prove that a run changed nothing.
    func snapshot() throws -> [String: String] {
        var result: [String: String] = [:]
        let etc = file("/etc")
        let files = try #require(FileManager.default.enumerator(at: etc, includingPropertiesForKeys: nil))
        for case let url as URL in files {
            let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
            guard attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            let data = try Data(contentsOf: url)
            result[url.path] = "\(data.hashValue) \((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
        }
        return result
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}

/// `sssd -i` inside a sandbox, stopped (with its responders) when the test ends.
final class SandboxedSSSD {
    let process = Process()
    let log: URL
    private let prefixed: Bool

    /// `prefix`: a program (and its arguments) that runs sssd's command, such as scripts/lab-support/ipv6-only's network namespace.
    init(_ sandbox: EtcSandbox, prefix: [String] = []) throws {
        log = sandbox.directory.appendingPathComponent("sssd.out")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        prefixed = !prefix.isEmpty
        let command = [
            EtcSandbox.script.path, "run", sandbox.directory.path, "/usr/sbin/sssd", "-i", "-d", "3", "-c", "/etc/sssd/sssd.conf",
        ]
        process.executableURL = URL(fileURLWithPath: (prefix + command)[0])
        process.arguments = Array((prefix + command).dropFirst())
        process.environment = ChildEnvironment.inherited()
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    func stop() {
        if prefixed {
            // The prefix runs sssd as its child, and a process the test runner starts has SIGTERM blocked (see
            // EC2Instance): the shell would never see it. sssd unblocks it, so it goes to sssd itself.
            let children =
                (try? String(
                    contentsOfFile: "/proc/\(process.processIdentifier)/task/\(process.processIdentifier)/children", encoding: .utf8)) ?? ""
            for child in children.split(separator: " ").compactMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) {
                kill(child, SIGTERM)
            }
        } else {
            // etc-sandbox execs into sssd, so this is sssd's monitor, which stops its responders on SIGTERM.
            process.terminate()
        }
        process.waitUntilExit()
    }

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
}
