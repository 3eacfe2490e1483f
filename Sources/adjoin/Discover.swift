import AdjoinCore
import Agent
import ArgumentParser

struct Discover: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find a domain's domain controllers and describe the domain, as `realm discover` and `adcli info` do.",
        discussion: """
            Without --domain-controller, the DCs come from the DNS SRV records _ldap._tcp.dc._msdcs.DOMAIN \
            (ordered by priority, then weight). All of them are pinged at once with a CLDAP NetLogon ping; \
            the first to answer from this host's site is chosen, else the first to answer. Nothing is changed \
            on this host or in the directory.

            \(StatusDocumentation.exitLine(for: .discover))
            """
    )

    @Argument(help: "The DNS name of the domain, e.g. corp.example.com.")
    var domain: String

    @OptionGroup var options: DirectoryOptions

    func run() throws {
        try options.run(DiscoverUseCase(.init(domain: domain, directory: options.flags)))
    }
}
