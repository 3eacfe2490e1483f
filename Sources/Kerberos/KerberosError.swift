/// A libkrb5 failure: its code and the library's own message, read at throw time.
public struct KerberosError: Error, Sendable, CustomStringConvertible {
    public let code: KerberosCode
    public let message: String
    /// What we were doing, e.g. "login as adjoiner@CORP.EXAMPLE.COM".
    public let operation: String
    /// For a clock skew refusal: this host's clock and the KDC's (from its KRB-ERROR), when it named its time.
    public var clocks: ClockReadings? = nil

    public var description: String { "\(operation): \(message)" }

    public var isKeytabFailure: Bool { code.isKeytabFailure }
    public var isAuthenticationFailure: Bool { code.isAuthenticationFailure }
    public var isNetworkFailure: Bool { code.isNetworkFailure }
}

/// Two clocks read at one moment, in seconds since 1970 (UTC): this host's and a server's.
public struct ClockReadings: Sendable, Equatable {
    public let local: Int64
    public let server: Int64

    public init(local: Int64, server: Int64) {
        self.local = local
        self.server = server
    }

    /// How far this host's clock is ahead of the server's (negative: behind).
    public var offset: Int64 { local - server }
}
