import AdjoinCore
import ArgumentParser
import Discovery

struct Discover: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find a domain's domain controllers and describe the domain, as `realm discover` and `adcli info` do.",
        discussion: """
            Without --domain-controller, the DCs come from the DNS SRV records _ldap._tcp.dc._msdcs.DOMAIN \
            (ordered by priority, then weight). All of them are pinged at once with a CLDAP NetLogon ping; \
            the first to answer from this host's site is chosen, else the first to answer. Nothing is changed \
            on this host or in the directory.

            Exit status: 0 DISCOVERED; 12 NETWORK_ERROR when nothing answers within --timeout; \
            14 DOMAIN_NOT_FOUND when DNS does not know the domain; 15 INVALID_INPUT.
            """
    )

    @Argument(help: "The DNS name of the domain, e.g. corp.example.com.")
    var domain: String

    @OptionGroup var options: DirectoryOptions

    func run() throws {
        let deadline = Deadline(seconds: options.timeout)
        let reporter = Reporter(format: options.output, quiet: options.quiet)
        do throws(AdjoinError) {
            let locator = DomainControllerLocator(
                domain: try DomainName(domain),
                domainControllers: try options.parsedDomainControllers(),
                dnsServers: try options.parsedDNSServers(),
                progress: reporter.progress)
            let result = try locator.locate(deadline: deadline)
            reporter.success(lines: result.textLines + [("status", Status.discovered.rawValue)],
                             json: result.json(durationMs: deadline.elapsed.milliseconds))
        } catch {
            throw ExitCode(reporter.failure(error, domain: domain, elapsed: deadline.elapsed))
        }
    }
}
