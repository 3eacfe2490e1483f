import AdjoinCore
import DNS
import Discovery
import HostConfig
import LDAP
#if canImport(Glibc)
    import Glibc
#endif

/// One check of `adjoin status`, and what it found.
public struct HealthCheck: Sendable {
    public let name: String
    public let passed: Bool
    public let detail: String
}

/// What `adjoin status` found: the first failed check's status (HEALTHY when none failed), and every check.
public struct HealthReport: Sendable {
    public var status: Status = .healthy
    public var checks: [HealthCheck] = []
    public var domain: String?
    public var computerName: String?
    public var computerDN: String?
    public var domainController: String?
    /// The directory's msDS-KeyVersionNumber, and the newest kvno of the machine's keys in the keytab.
    public var keyVersion: UInt32?
    public var keytabKeyVersion: UInt32?
    public var passwordAgeDays: Int64?
    public var message = ""

    mutating func record(_ name: String, _ detail: String, failing status: Status? = nil) {
        checks.append(HealthCheck(name: name, passed: status == nil, detail: detail))
        if let status, self.status == .healthy {
            self.status = status
            message = "\(name): \(detail)"
        }
    }
}

/// `adjoin status`: local health of a joined host. The keytab is there and a Kerberos login with it
/// works; the computer account exists with the keytab's kvno; the configuration files still say what
/// the join wrote; sssd runs. Read only: nothing is changed, here or in the directory.
public struct HostHealth: Sendable {
    public let place: DirectoryPlace
    public let progress: ProgressSink

    public init(place: DirectoryPlace, progress: @escaping ProgressSink = { _ in }) {
        self.place = place
        self.progress = progress
    }

    /// `identity`: who this host is now; a copy of the joined host is reported as such and nothing else is checked.
    public func run(deadline: Deadline, identity: CurrentIdentity) -> HealthReport {
        var report = HealthReport()
        let host: JoinedHost
        do {
            host = try JoinedHost(place: place, progress: progress)
        } catch {
            report.record("joined", error.message, failing: error.status)
            return report
        }
        let record = host.record
        report.domain = record.domain
        report.computerName = record.computerName
        report.computerDN = record.computerDN
        do {
            if let copy = try host.copy(identity, deadline: deadline) {
                report.record(
                    "joined",
                    "\(copy.description); \(record.samAccountName) is \(copy.recorded)'s account, and this host "
                        + "is not joined itself: `adjoin join` joins it as itself", failing: .cloned)
                return report
            }
        } catch {
            report.record("joined", error.message, failing: error.status)
            return report
        }
        report.record("joined", "\(record.samAccountName) in \(record.domain)")

        if checkKeytab(host, &report) {
            checkDirectory(host, deadline: deadline, &report)
        }
        if record.configured {
            checkConfiguration(host, &report)
        }
        checkSamba(host, deadline: deadline, &report)
        if report.status == .healthy {
            report.message = "\(record.samAccountName) is joined to \(record.domain) and healthy"
        }
        return report
    }

    private func checkKeytab(_ host: JoinedHost, _ report: inout HealthReport) -> Bool {
        let keytab = host.keytab
        do {
            guard let entries = try host.keytabEntries() else {
                report.record("keytab", "\(keytab.path) is missing", failing: .keytabInvalid)
                return false
            }
            let machine = entries.filter { $0.components == [host.record.samAccountName] && $0.realm == host.record.realm }
            guard let newest = machine.map(\.kvno).max() else {
                report.record("keytab", "\(keytab.path) has no keys for \(host.record.machinePrincipal)", failing: .keytabInvalid)
                return false
            }
            if let mode = place.files.mode(host.record.keytabPath), mode & 0o077 != 0 {
                report.record("keytab", "\(keytab.path) is readable by others (mode \(String(mode, radix: 8)))", failing: .keytabInvalid)
                return false
            }
            report.keytabKeyVersion = newest
            report.record("keytab", "\(keytab.path) holds kvno \(newest) for \(host.record.machinePrincipal)")
            return true
        } catch {
            report.record("keytab", error.message, failing: error.status)
            return false
        }
    }

    private func checkDirectory(_ host: JoinedHost, deadline: Deadline, _ report: inout HealthReport) {
        do {
            let controller = try host.locateController(required: [.ldap, .kdc], deadline: deadline)
            report.domainController = controller.hostName
            let session = try host.machineSession(controller, deadline: deadline)
            report.record(
                "login",
                "a Kerberos login as \(host.record.machinePrincipal) with the keytab, and a sealed LDAP bind, at \(controller.hostName)")
            guard let entry = try host.account(in: session, deadline: deadline) else {
                report.record("account", "the directory has no computer account \(host.record.samAccountName)", failing: .accountMissing)
                return
            }
            report.computerDN = entry.dn
            report.keyVersion = entry.keyVersion
            report.passwordAgeDays = entry.passwordLastSet.map { (place.clock.secondsSince1970 - $0) / 86_400 }
            if let kvno = entry.keyVersion, kvno == report.keytabKeyVersion {
                report.record("account", "\(entry.dn) exists at kvno \(kvno), as the keytab")
            } else {
                report.record(
                    "account",
                    "\(entry.dn) is at kvno \(entry.keyVersion.map(String.init) ?? "unknown"), the keytab at \(report.keytabKeyVersion.map(String.init) ?? "none")",
                    failing: .keytabInvalid)
            }
            if !host.record.serviceNames.isEmpty { checkServicePrincipals(host, entry, &report) }
            if let dns = host.record.dnsRecord { checkDNS(dns, controller: controller, deadline: deadline, &report) }
        } catch {
            report.record(error.status == .accountMissing ? "account" : "login", error.message, failing: error.status)
        }
    }

    /// Each `--service-name` SPN is on the account (else clients get no ticket for it) and has the
    /// machine's keys at the account's kvno in the keytab, every type the machine's keys have (else the
    /// service cannot decrypt its tickets).
    private func checkServicePrincipals(_ host: JoinedHost, _ entry: LDAPEntry, _ report: inout HealthReport) {
        let record = host.record
        let spns = record.serviceNames.flatMap { ["\($0)/\(record.computerName)", "\($0)/\(record.hostFQDN.lowercased())"] }
        let registered = Set(entry.strings("servicePrincipalName").map { $0.lowercased() })
        let unregistered = spns.filter { !registered.contains($0.lowercased()) }
        let entries = (try? host.keytabEntries()) ?? []
        let kvno = entry.keyVersion ?? report.keytabKeyVersion
        let machineTypes = Set(
            entries.filter { $0.components == [record.samAccountName] && $0.realm == record.realm && $0.kvno == kvno }.map(\.enctype))
        let keyless = spns.filter { spn in
            let held = Set(
                entries.filter {
                    $0.realm == record.realm && $0.kvno == kvno && $0.components.joined(separator: "/").lowercased() == spn.lowercased()
                }
                .map(\.enctype))
            return machineTypes.isEmpty || !machineTypes.isSubset(of: held)
        }
        if !unregistered.isEmpty {
            report.record(
                "service-principals",
                "\(entry.dn) lacks the SPNs \(unregistered.joined(separator: ", ")) that the join registered "
                    + "(removed in the directory since): clients get no ticket for them; `adjoin join` again registers them",
                failing: .configurationDrift)
        } else if !keyless.isEmpty {
            report.record(
                "service-principals",
                "the keytab \(host.keytab.path) has no keys at kvno \(kvno.map(String.init) ?? "unknown") for "
                    + "\(keyless.joined(separator: ", ")) (every type of \(record.samAccountName)'s): those services cannot decrypt their tickets; "
                    + "`adjoin join` again writes them", failing: .keytabInvalid)
        } else {
            report.record(
                "service-principals",
                "\(spns.joined(separator: ", ")) on \(entry.dn) and in the keytab at kvno \(kvno.map(String.init) ?? "unknown")")
        }
    }

    /// The host's name resolves at the DC to the address it has now (the DNS server asked directly).
    private func checkDNS(_ record: HostAddressRecord, controller: DomainController, deadline: Deadline, _ report: inout HealthReport) {
        do {
            let (found, current) = try AddressRegistration.lookup(record, place: place, controller: controller, deadline: deadline)
            let expected = current ?? record.socketAddress
            if let expected, found.contains(where: { $0.addressBytes == expected.addressBytes }) {
                report.record("dns", "\(record.name) resolves to \(expected.host) at \(controller.hostName)")
                return
            }
            let resolved = found.isEmpty ? "no address" : found.map(\.host).joined(separator: ", ")
            report.record(
                "dns",
                "\(record.name) resolves to \(resolved) at \(controller.hostName), not to this host's address "
                    + "\(expected?.host ?? record.address) (registered: \(record.address)); `adjoin rotate` or `adjoin join --unless-joined` "
                    + "registers it again", failing: .configurationDrift)
        } catch {
            report.record("dns", "cannot ask \(controller.hostName) for \(record.name): \(error.message)", failing: error.status)
        }
    }

    /// Samba on this host, when smb.conf makes it a member of the realm: its own check (`net ads
    /// testjoin`, which logs in with the password in its secrets.tdb) says whether it is in step. No secret is read here.
    private func checkSamba(_ host: JoinedHost, deadline: Deadline, _ report: inout HealthReport) {
        let realm = host.record.realm
        let samba: SambaSecrets
        do {
            guard let member = try SambaSecrets.member(of: realm, files: place.files) else { return }
            samba = member
        } catch {
            report.record("samba", "cannot read \(SambaConfiguration.path): \(error.message)")
            return
        }
        let rotation =
            host.record.updateSamba
            ? "rotate hands it each new password (joined with --update-samba)"
            : "rotate refuses to change the password without --update-samba (SAMBA_IN_USE)"
        let member = "Samba is a member of \(realm) (\(samba.configurationPath): security = ads)"
        do {
            guard let result = try samba.testJoin(deadline: deadline) else {
                report.record("samba", "\(member), but Samba's net is not installed: not checked; \(rotation)")
                return
            }
            if result.succeeded {
                report.record("samba", "\(member) and `net ads testjoin` passes; \(rotation)")
            } else {
                report.record(
                    "samba",
                    "\(member), but `net -s \(samba.configurationPath) ads testjoin` fails (\(SambaSecrets.lastLine(result.output))): "
                        + "Samba's copy of the machine password is out of step or Samba cannot reach the DC; "
                        + "`adjoin rotate --max-age 0 --update-samba` hands it a new password", failing: .configurationDrift)
            }
        } catch {
            report.record("samba", "\(member), but `net ads testjoin` could not run: \(error.message)", failing: error.status)
        }
    }

    private func checkConfiguration(_ host: JoinedHost, _ report: inout HealthReport) {
        do {
            let problems = try ConfigurationCheck.problems(
                domain: host.record.domain, realm: host.record.realm, access: host.record.access,
                files: place.files)
            if problems.isEmpty {
                let logins =
                    host.record.access.map { access in
                        access.allowedGroups.isEmpty
                            ? "; no domain user may log in"
                            : "; logins limited to \(access.allowedGroups.joined(separator: ", "))"
                                + (access.sudoGroup.map { ", sudo to \($0)" } ?? "")
                                + (access.ssh ? ", SSH by AD password and Kerberos for them" : "")
                    } ?? ""
                report.record("configuration", "krb5.conf, sssd.conf, nsswitch.conf and PAM are set up for \(host.record.domain)" + logins)
            } else {
                report.record("configuration", problems.joined(separator: "; "), failing: .configurationDrift)
            }
        } catch {
            report.record("configuration", error.message, failing: .configurationDrift)
        }
        guard place.files.root == "/" else {
            report.record("sssd", "not checked under --root (nothing runs there)")
            return
        }
        if let pid = SSSDService.runningPID(files: place.files) {
            report.record("sssd", "running (pid \(pid))")
        } else {
            report.record("sssd", "sssd is not running", failing: .sssdNotRunning)
        }
    }
}
