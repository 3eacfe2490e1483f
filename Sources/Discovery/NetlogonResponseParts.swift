import AdjoinCore

/// Values made from their parts, not from a DC's reply: what a scripted directory (TestSupport) says it is.
extension NetlogonResponse {
    /// A DC's answer from its parts, as a scripted directory's DC says it (same site as the client).
    public init(hostName: String, domain: String, flags: DCFlags, site: String = "Default-First-Site-Name") {
        opcode = Self.opcodeResponse
        self.flags = flags.union(.closest)
        domainGUID = [UInt8](repeating: 0, count: 16)
        forest = domain
        self.domain = domain
        self.hostName = hostName
        netbiosDomain = String(domain.prefix { $0 != "." }.uppercased().prefix(15))
        netbiosComputerName = String(hostName.prefix { $0 != "." }.uppercased().prefix(15))
        userName = ""
        dcSite = site
        clientSite = site
        ntVersion = nil
    }
}
