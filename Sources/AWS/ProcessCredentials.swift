import AdjoinCore
#if canImport(Glibc)
    import Glibc
#endif

/// A profile's `credential_process`: the command is split into words as botocore splits it (POSIX
/// shell quoting, no shell run), started directly, and its standard output must be the JSON document
/// of version 1: {"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken"?, "Expiration"?}.
/// Its standard error goes to the operator. It is run again when its credentials near their expiration.
enum ProcessCredentials {
    static func provider(command: String, profile: String, environment: AWSEnvironment) throws(AdjoinError) -> AWSCredentialProvider {
        let words = try split(command, profile: profile)
        let program = try locate(words[0], environment: environment, profile: profile)
        var child = ChildProcess([program] + words.dropFirst())
        child.inheritsStandardError = true
        // What such a tool needs to find its own configuration (the AWS CLI: HOME and the AWS_ settings);
        // never the agent's other variables. Static keys in the environment would have been used before.
        let passed =
            ["HOME", "PATH"] + [
                "AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_REGION", "AWS_DEFAULT_REGION",
                "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SSO", "AWS_ENDPOINT_URL_STS", "AWS_CA_BUNDLE",
            ]
        child.environment = ["LC_ALL=C"] + passed.compactMap { name in environment.value(name).map { name + "=" + $0 } }
        if environment.value("PATH") == nil { child.environment.append("PATH=/usr/local/bin:/usr/bin:/bin") }
        let label = "credential_process of profile \(profile) (\(words[0]))"
        return RefreshingCredentials { (deadline) throws(AdjoinError) in try run(child, label: label, deadline: deadline) }
    }

    private static func run(_ child: ChildProcess, label: String, deadline: Deadline) throws(AdjoinError) -> AWSCredentials {
        var (status, output) = try child.runCollectingBytes(deadline: deadline)
        defer { output.wipe() }
        guard status == 0 else {
            throw AdjoinError(.accessDenied, "the \(label) exited with status \(status) (its own message is above)")
        }
        let document = try CredentialDocument.parse(output, secretKeys: ["SecretAccessKey", "SessionToken"], from: "the \(label)")
        guard document["Version"]?.integer == 1 else {
            throw AdjoinError(.unknownError, "the \(label) printed a document whose Version is not 1")
        }
        guard let keyId = document["AccessKeyId"]?.string, !keyId.isEmpty, let secret = document["SecretAccessKey"]?.secret else {
            throw AdjoinError(.unknownError, "the \(label) printed no AccessKeyId and SecretAccessKey")
        }
        let expiration = CredentialDocument.expiration(document["Expiration"])
        if let expiration, expiration <= UTCTime.now().seconds {
            throw AdjoinError(.accessDenied, "the \(label) printed credentials that have already expired")
        }
        return AWSCredentials(
            accessKeyId: keyId, secretAccessKey: secret, sessionToken: document["SessionToken"]?.secret,
            expiration: expiration, source: "the \(label)")
    }

    /// A program named without a slash is looked up in PATH, as Python's subprocess does.
    static func locate(_ program: String, environment: AWSEnvironment, profile: String) throws(AdjoinError) -> String {
        if program.contains("/") { return SharedConfigFiles.expandHome(program, home: environment.value("HOME")) }
        let path = environment.value("PATH") ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = directory + "/" + program
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw .invalidInput("the credential_process of profile \(profile) names \(program), which is not in PATH (\(path))")
    }

    /// Words as `shlex.split` (POSIX mode) makes them: whitespace separates; '...' keeps everything;
    /// "..." keeps everything but a backslash before " \ $ or `; a backslash outside quotes escapes the next character.
    static func split(_ command: String, profile: String) throws(AdjoinError) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in command {
            if escaped {
                if quote == "\"" && !"\"\\$`".contains(character) { current.append("\\") }
                current.append(character)
                escaped = false
                continue
            }
            switch (quote, character) {
            case ("'", "'"), ("\"", "\""): quote = nil
            case ("'", _): current.append(character)
            case ("\"", "\\"), (nil, "\\"): escaped = true; inWord = true
            case ("\"", _): current.append(character)
            case (nil, "'"), (nil, "\""): quote = character; inWord = true
            case (nil, _) where character.isWhitespace:
                if inWord { words.append(current) }
                current = ""
                inWord = false
            default:
                current.append(character)
                inWord = true
            }
        }
        guard quote == nil, !escaped else {
            throw .invalidInput("the credential_process of profile \(profile) has an unclosed quote or a trailing backslash")
        }
        if inWord { words.append(current) }
        guard !words.isEmpty else { throw .invalidInput("the credential_process of profile \(profile) is empty") }
        return words
    }
}
