/// A `HOST[:PORT]` as users write it on the command line or in settings: a name, an IPv4 address,
/// or an IPv6 address (bracketed when a port follows: `[fd00::10]:389`).
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    public let host: String
    public let port: UInt16?

    public init(host: String, port: UInt16?) {
        self.host = host
        self.port = port
    }

    public init(parsing text: String) throws(AdjoinError) {
        let trimmed = text.trimmingWhitespace
        guard !trimmed.isEmpty else {
            throw .invalidInput("empty domain controller address")
        }
        var host = trimmed
        var portText: Substring? = nil
        if trimmed.hasPrefix("[") {
            guard let close = trimmed.firstIndex(of: "]") else {
                throw .invalidInput("'\(text)': missing ']' after the IPv6 address")
            }
            host = String(trimmed[trimmed.index(after: trimmed.startIndex)..<close])
            // Brackets hold an IPv6 address and nothing else (RFC 3986's IP-literal).
            guard SocketAddress(numericHost: host, port: 0)?.family == .ipv6 else {
                throw .invalidInput("'\(text)': only an IPv6 address goes in brackets")
            }
            let rest = trimmed[trimmed.index(after: close)...]
            if !rest.isEmpty {
                guard rest.first == ":" else { throw .invalidInput("'\(text)': expected ':PORT' after ']'") }
                portText = rest.dropFirst()
            }
        } else if trimmed.filter({ $0 == ":" }).count == 1, let colon = trimmed.firstIndex(of: ":") {
            host = String(trimmed[..<colon])
            portText = trimmed[trimmed.index(after: colon)...]
        }
        // More than one colon without brackets is a bare IPv6 address.
        if let portText {
            guard let port = UInt16(portText), port > 0 else {
                throw .invalidInput("'\(text)': port must be a number from 1 to 65535")
            }
            self.port = port
        } else {
            self.port = nil
        }
        guard HostPort.isValidHost(host) else {
            throw .invalidInput("'\(text)' is not a host name or IP address")
        }
        self.host = host
    }

    /// Letters, digits, '-', '_', '.' for names; hex digits, ':' and '.' for IPv6. Nothing that could
    /// break out of a config file or a log line.
    public static func isValidHost(_ host: String) -> Bool {
        guard !host.isEmpty, host.utf8.count <= 253 else { return false }
        if host.contains(":") {
            return SocketAddress(numericHost: host, port: 0)?.family == .ipv6
        }
        return host.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
        } && !host.hasPrefix(".") && !host.hasPrefix("-")
    }

    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return port.map { "\(shownHost):\($0)" } ?? shownHost
    }
}
