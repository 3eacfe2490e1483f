/// `--configure-dns`: a systemd-resolved drop-in that sends the domain's names to its DCs and leaves
/// every other name to the resolvers already configured.
enum ResolvedDropIn {
    static let path = "/etc/systemd/resolved.conf.d/adjoin.conf"

    static func render(_ settings: HostSettings) -> String {
        """
        # Written by adjoin: names in \(settings.domain) are resolved by its domain controllers.
        [Resolve]
        DNS=\(settings.dnsServers.joined(separator: " "))
        Domains=~\(settings.domain)

        """
    }
}
