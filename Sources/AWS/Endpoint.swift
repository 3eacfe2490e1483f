import AdjoinCore

/// Where a service is reached: scheme, host and port, from `AWS_ENDPOINT_URL*` or the region.
public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
    public let scheme: String
    public let host: String
    public let port: Int?
    /// Path prefix of the endpoint URL (usually empty); requests' paths go after it.
    public let basePath: String

    /// Parses `http://host[:port][/path]` or `https://...`; anything else is INVALID_INPUT naming `source`.
    public init(parsing text: String, source: String) throws(AdjoinError) {
        let invalid = AdjoinError.invalidInput("\(source) is not an http:// or https:// URL: \(text)")
        let lowered = text.lowercased()
        let rest: Substring
        if lowered.hasPrefix("https://") {
            scheme = "https"
            rest = text.dropFirst("https://".count)
        } else if lowered.hasPrefix("http://") {
            scheme = "http"
            rest = text.dropFirst("http://".count)
        } else {
            throw invalid
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        var path = String(rest.dropFirst(authority.count).prefix { $0 != "?" && $0 != "#" })
        while path.hasSuffix("/") { path.removeLast() }
        guard !authority.isEmpty, !authority.contains("@") else { throw invalid }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw invalid }
            host = String(authority[...close])
            let after = authority[authority.index(after: close)...]
            if after.isEmpty {
                port = nil
            } else {
                guard after.hasPrefix(":"), let number = Int(after.dropFirst()), (1...65535).contains(number) else { throw invalid }
                port = number
            }
        } else if authority.filter({ $0 == ":" }).count > 1 {
            // An IPv6 address without its brackets: its last group would be read as a port.
            throw AdjoinError.invalidInput("\(source): an IPv6 address in a URL goes in brackets (http://[fd00:ec2::254]): \(text)")
        } else if let colon = authority.lastIndex(of: ":") {
            guard let number = Int(authority[authority.index(after: colon)...]), (1...65535).contains(number) else { throw invalid }
            host = String(authority[..<colon])
            port = number
        } else {
            host = String(authority)
            port = nil
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else { throw invalid }
        if host.hasPrefix("["), SocketAddress(numericHost: String(host.dropFirst().dropLast()), port: 0)?.family != .ipv6 {
            throw AdjoinError.invalidInput("\(source): '\(host)' is not an IPv6 address: \(text)")
        }
        basePath = path
    }

    /// The `Host` header as curl sends it (and SigV4 signs it): the port only when not the scheme's default.
    var hostHeader: String {
        guard let port, port != (scheme == "https" ? 443 : 80) else { return host.lowercased() }
        return host.lowercased() + ":" + String(port)
    }

    var origin: String { scheme + "://" + hostHeader }

    /// The host is an IPv6 address (`[fd00:ec2::254]`).
    public var isIPv6Literal: Bool { host.hasPrefix("[") }

    public var description: String { origin + basePath }
}
