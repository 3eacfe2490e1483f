import AdjoinCore
import AWS

/// The instance's side of the broker: where the broker is (--broker, else ADJOIN_BROKER_URL in
/// /etc/default/adjoin, else the settings' `broker`), the signed call, and its answer read into what the
/// one-time-password join takes. With the URL on the command line or in the file, the instance reads no
/// settings at all: its role needs lambda:InvokeFunctionUrl and nothing else.
struct InstanceBroker {
    /// The answer an instance joins with.
    struct Answer {
        var settings: AgentSettings
        var computerName: ComputerName
        var hostFQDN: String
        var oneTimePassword: SecretBytes

        /// The same answer with a one-time password of its own (the login wipes the one it is given).
        func copy() -> Answer {
            var copied = self
            copied.oneTimePassword = oneTimePassword.copy()
            return copied
        }
    }

    enum Reply {
        case join(Answer)
        case skipped(String)
    }

    static let defaultsKey = "ADJOIN_BROKER_URL"

    /// ADJOIN_BROKER_URL in /etc/default/adjoin, or nil.
    static func url(in files: HostFiles) throws(AdjoinError) -> String? {
        guard let bytes = try files.read(CentralSettingsPointer.defaultsFile),
            let url = EnvironmentFile.parse(String(decoding: bytes, as: UTF8.self))[defaultsKey]
        else { return nil }
        guard BrokerURL.isValid(url) else {
            throw .invalidInput(
                "\(CentralSettingsPointer.defaultsFile): \(defaultsKey) must be the broker's https:// function URL, not \"\(url)\"")
        }
        return url
    }

    /// Asks the broker to preset this instance's account. Its refusals become the instance's outcome,
    /// with the broker's status word and message.
    static func ask(_ url: String, instance: InstanceContext, deadline: Deadline, progress: (String) -> Void) throws(AdjoinError) -> Reply {
        progress("asking the broker at \(url) for this instance's account (signed with this instance's role)")
        let client = try BrokerClient(
            url: url, region: instance.region, credentials: instance.credentials, environment: instance.environment)
        // When this attempt will have stopped waiting: the broker gives up there too, so that a request that
        // waited in its queue too long presets nothing (which would rate-limit the next attempt for a minute).
        let notAfter = SystemWallClock().secondsSince1970 * 1000 + Int64(deadline.remainingMilliseconds) - 2000
        var (status, body) = try client.join(
            hints: .object([("region", .string(instance.region)), ("notAfter", .number(notAfter))]),
            deadline: deadline)
        defer { body.wipe() }
        let reply: JSON
        do {
            reply = try JSON.parse(body, secretKeys: ["oneTimePassword"])
        } catch {
            throw refusal(status, url: url, detail: "an answer that is not JSON")
        }
        let word = reply["status"]?.string ?? ""
        let message = reply["message"]?.string ?? reply["Message"]?.string ?? ""
        if status == 200, word == Status.skipped.rawValue { return .skipped("the broker says: \(message)") }
        guard status == 200, word == Status.preset.rawValue else { throw refused(status, reply, url: url) }
        return .join(try answer(reply, url: url))
    }

    /// A refusal with the broker's own status word and message; RATE_LIMITED says when the broker will reset
    /// the account again (retryAfterSeconds), and the next attempt waits that long.
    static func refused(_ status: Int, _ reply: JSON, url: String) -> AdjoinError {
        let word = reply["status"]?.string ?? ""
        let message = reply["message"]?.string ?? reply["Message"]?.string ?? ""
        guard let known = Status(rawValue: word), !known.isSuccess else {
            return refusal(status, url: url, detail: message.isEmpty ? "no broker status" : message)
        }
        var refused = AdjoinError(known, "the broker at \(url) refused (HTTP \(status)): \(message)")
        if let seconds = reply["retryAfterSeconds"]?.integer, seconds > 0 { refused.retryAfter = .seconds(min(seconds, 3600)) }
        return refused
    }

    /// An answer without the broker's own status: the function URL's (its IAM authorization refused the
    /// signature: no lambda:InvokeFunctionUrl, a clock more than 5 minutes off), or a failure.
    static func refusal(_ status: Int, url: String, detail: String) -> AdjoinError {
        switch status {
        case 401, 403:
            AdjoinError(
                .accessDenied,
                "the broker's function URL \(url) refused this instance's signed request (HTTP \(status): \(detail)): "
                    + "the instance role needs lambda:InvokeFunctionUrl on it, and the clock must be within 5 minutes of AWS's")
        case 429: AdjoinError(.networkError, "the broker at \(url) is throttled (HTTP 429: \(detail))")
        case 500...599: AdjoinError(.networkError, "the broker at \(url) failed (HTTP \(status): \(detail))")
        default: AdjoinError(.unknownError, "the broker at \(url) answered HTTP \(status): \(detail)")
        }
    }

    static func answer(_ reply: JSON, url: String) throws(AdjoinError) -> Answer {
        let source = "the broker at \(url)"
        func text(_ key: String) throws(AdjoinError) -> String {
            guard let value = reply[key]?.string, !value.isEmpty else {
                throw AdjoinError(.unknownError, "\(source) answered without \"\(key)\"")
            }
            return value
        }
        guard let password = reply["oneTimePassword"]?.secret, !password.isEmpty, !password.containsNUL else {
            throw AdjoinError(.unknownError, "\(source) answered without a one-time password")
        }
        var settings = AgentSettings()
        settings.domain = try DomainName(try text("domain"))
        for controller in reply["domainControllers"]?.array ?? [] {
            if let name = controller.string { settings.domainControllers.append(try HostPort(parsing: name)) }
        }
        settings.organizationalUnit = reply["organizationalUnit"]?.string
        for group in reply["loginGroups"]?.array ?? [] {
            if let name = group.string { settings.login.allowedGroups.append(try GroupName(name)) }
        }
        settings.login.sudoGroup = try reply["sudoGroup"]?.string.map { (name) throws(AdjoinError) in try GroupName(name) }
        // The host's own settings the broker hands on as they are, read as the settings document reads them.
        let handedOn = try SettingsReader(
            SettingsModel.all.filter(\.handedOn).compactMap { setting in reply[setting.key.rawValue].map { (setting.key.rawValue, $0) } },
            source: source
        ).settings()
        settings = settings.overlaid(by: handedOn)
        settings.broker = url
        return Answer(
            settings: settings, computerName: try ComputerName(explicit: try text("computerName")),
            hostFQDN: try text("hostFQDN"), oneTimePassword: password)
    }
}
