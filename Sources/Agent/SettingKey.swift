/// The agent's settings by name: the key each has in the settings document (the parameter's JSON, a
/// central item, the broker's answer) and on the command line. `SettingsModel` says what each one is.
public enum SettingKey: String, Sendable, CaseIterable {
    case domain
    case domainControllers
    case joinUser
    case joinPassword
    case joinPasswordParameter
    case joinPasswordSecret
    case organizationalUnit
    case allowedGroups
    case sudoGroup
    case statusTable
    case statusRegion
    case statusRoleArn
    case computerNameFrom
    case groupTag
    case sudoGroupTag
    case autoJoinTag
    case registerDNS
    case dnsAddress
    case configureSSH
    case configureDNS
    case posixIDs
    case sshPublicKeyAttribute
    case updateSamba
    case servicePrincipals
    case broker
    case brokerRoles
}
