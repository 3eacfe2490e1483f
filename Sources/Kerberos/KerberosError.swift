/// A libkrb5 failure: its code and the library's own message, read at throw time.
public struct KerberosError: Error, Sendable, CustomStringConvertible {
    public let code: KerberosCode
    public let message: String
    /// What we were doing, e.g. "login as adjoiner@CORP.EXAMPLE.COM".
    public let operation: String

    public var description: String { "\(operation): \(message)" }

    public var isKeytabFailure: Bool { code.isKeytabFailure }
    public var isAuthenticationFailure: Bool { code.isAuthenticationFailure }
    public var isNetworkFailure: Bool { code.isNetworkFailure }
}
