import AdjoinCore
import Membership
#if canImport(Glibc)
    import Glibc
#endif

extension JoinUseCase {
    /// The one place a join request is made, from the resolved settings. On an instance whose settings
    /// come from the parameter, the owner is the instance id, and the computer's name comes from the
    /// host name or the instance id as the settings say (unless given explicitly). Elsewhere the name
    /// comes from --host-fqdn (else this host's name), and the owner is the machine-id hash (or --owner).
    func joinRequest(
        settings: AgentSettings, instance: InstanceContext?, files: HostFiles,
        ec2Identity: AccountOwner? = nil, broker: InstanceBroker.Answer? = nil
    ) throws(AdjoinError) -> JoinRequest {
        let explicitName = try options.computerName.map { (name) throws(AdjoinError) in try ComputerName(explicit: name) }
        let hostFQDN = options.hostFQDN.map(InputNames.hostName)
        let fromParameter = instance != nil && options.readsParameter
        let source = instance?.settingsSource ?? "the command line"
        if !fromParameter, !options.passwordFromStandardInput, !options.oneTimePasswordFromStandardInput, !options.dryRun {
            throw .invalidInput("give the join user's password on standard input with --password-stdin (never as an argument)")
        }
        guard let domain = settings.domain else {
            throw .invalidInput(
                fromParameter
                    ? "no domain: \(source) names none, and --domain was not given"
                    : "give --domain and --user, or run on EC2 with the settings parameter")
        }
        let (name, fqdn): (ComputerName, String)
        if let broker {
            (name, fqdn) = (broker.computerName, broker.hostFQDN)
        } else {
            (name, fqdn) = try names(
                explicit: explicitName, hostFQDN: hostFQDN, settings: settings, domain: domain, instance: fromParameter ? instance : nil)
        }
        let user: String
        let password: SecretBytes
        if let broker {
            // The broker preset the account: the host logs in as the computer with the broker's one-time password.
            user = name.samAccountName
            password = broker.oneTimePassword
        } else if options.oneTimePasswordFromStandardInput {
            // No join user: the host logs in as the computer with the one-time password a preset gave it.
            user = name.samAccountName
            password = options.dryRun ? SecretBytes([]) : try JoinPassword.fromStandardInput()
        } else {
            guard let joinUser = settings.joinUser else {
                throw .invalidInput(
                    fromParameter
                        ? "no join user: give joinUser in \(source), or --user"
                        : "give --domain and --user, or run on EC2 with the settings parameter")
            }
            user = joinUser
            password = try JoinPassword.resolve(
                settings, dryRun: options.dryRun,
                missing:
                    "no join password: \(source) names no password (joinPassword, joinPasswordParameter, joinPasswordSecret), and --password-stdin was not given"
            )
        }
        // Who this host is, recorded so that a copy of it can tell: --owner names the account's owner only.
        let identity: AccountOwner =
            if let instance {
                .instance(instance.identity.instanceId, accountId: instance.identity.accountId, region: instance.identity.region)
            } else if let ec2Identity { ec2Identity } else if let owner = options.owner {
                (try? AccountOwner.machine(files: files)) ?? AccountOwner(owner)
            } else { try AccountOwner.machine(files: files) }
        var request = JoinRequest(
            domain: domain, user: user, password: password, hostFQDN: fqdn, computerName: name,
            owner: options.owner.map { AccountOwner($0) } ?? identity, osRelease: OSRelease.read(files: files))
        request.identity = identity
        request.oneTimePassword = options.oneTimePasswordFromStandardInput || broker != nil
        request.domainControllers = settings.domainControllers
        request.organizationalUnit = settings.organizationalUnit
        request.files = files
        if fromParameter, broker == nil { request.settingsParameter = options.parameter ?? AWSNames.defaultParameter }
        request.dnsServers = try options.directory.parsedDNSServers()
        request.keytabPath = try HostPath.normalized(options.keytab, flag: "--keytab")
        if options.rc4 { request.encryptionTypes.append(.rc4) }
        request.registerDNS = settings.registerDNS
        request.dnsAddress = settings.dnsAddress
        request.serviceNames = settings.servicePrincipals
        return request
    }

    /// A join with flags on an EC2 instance's own system records the instance id, as the agent's own path
    /// does, so that an image made from the instance is seen as a copy even when it keeps /etc/machine-id.
    /// Instance metadata is asked only where the firmware says EC2; when it does not answer, the join
    /// goes on with the machine-id hash and says so. Under --root the system is an image's, not this machine's.
    /// With its account and Region, as the agent's own path records them, so that `adjoin sweep` can ask
    /// EC2 about it once the instance is gone.
    /// A host that an earlier adjoin joined under its machine-id hash keeps it: its account's marker
    /// names that hash, and a rerun must find the account its own, not another owner's.
    func flagJoinEC2Identity(_ context: RunContext, state: JoinAttempts) -> AccountOwner? {
        guard context.files.root == "/", !Self.joinedUnderMachineID(context.files), let sign = context.firmware.ec2Sign() else {
            return nil
        }
        do {
            let identity = try state.instanceMetadata().identity(deadline: context.deadline)
            return .instance(identity.instanceId, accountId: identity.accountId, region: identity.region)
        } catch {
            context.progress(
                "this is an EC2 instance (\(sign)), but instance metadata did not give its id (\(error.message)): "
                    + "recording the machine-id hash as this host's identity")
            return nil
        }
    }

    /// Whether the join record names this host by its machine-id hash.
    static func joinedUnderMachineID(_ files: HostFiles) -> Bool {
        guard let record = try? JoinRecord.read(files), !record.identity.isEmpty else { return false }
        return AccountOwner(record.identity) == (try? AccountOwner.machine(files: files))
    }

    /// The computer's name and the host's FQDN. `instance`: settings from the parameter, which say
    /// whether the name comes from the host name or the instance id.
    private func names(
        explicit: ComputerName?, hostFQDN: String?, settings: AgentSettings, domain: DomainName,
        instance: InstanceContext?
    ) throws(AdjoinError) -> (ComputerName, String) {
        guard let instance else {
            let fqdn = hostFQDN ?? InputNames.hostName(JoinUseCase.systemHostName(in: domain))
            if let explicit { return (explicit, fqdn) }
            return (try ComputerName(hostFQDN: fqdn), fqdn)
        }
        switch (explicit, hostFQDN, settings.computerNameFrom) {
        case (let explicit?, _, _):
            return (explicit, hostFQDN ?? explicit.value.lowercased() + "." + domain.value)
        case (nil, let given?, .hostname):
            return (try ComputerName(hostFQDN: given.lowercased()), given.lowercased())
        case (nil, let given?, .instanceID):
            return (try ComputerName(instanceID: instance.identity.instanceId), given.lowercased())
        case (nil, nil, _):
            return try Self.instanceNames(
                settings.computerNameFrom, instanceId: instance.identity.instanceId, hostname: instance.hostname, domain: domain)
        }
    }

    /// An instance's computer name and FQDN from its id or its EC2 host name (metadata's `hostname`, EC2's
    /// private DNS name), as the settings say: the instance's own join and the broker name it alike.
    static func instanceNames(
        _ source: AgentSettings.ComputerNameSource, instanceId: String, hostname: String,
        domain: DomainName
    ) throws(AdjoinError) -> (ComputerName, String) {
        switch source {
        case .instanceID:
            let name = try ComputerName(instanceID: instanceId)
            // The name is unique, and so must the SPNs built from the FQDN be: a reused IP's host name is not.
            return (name, name.value.lowercased() + "." + domain.value)
        case .hostname:
            let label = hostname.split(separator: ".").first.map(String.init) ?? hostname
            let fqdn = label.lowercased() + "." + domain.value
            return (try ComputerName(hostFQDN: fqdn), fqdn)
        }
    }

    /// gethostname(2), completed with the domain when it is a short name.
    static func systemHostName(in domain: DomainName) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count - 1)
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.contains(".") ? name : name + "." + domain.value
    }
}
