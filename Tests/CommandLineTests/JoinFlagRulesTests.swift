import ArgumentParser
import Testing
@testable import adjoin

/// The flag combinations `adjoin join` refuses before it reads anything, each with the words that say
/// why (ArgumentParser runs `validate()` as it parses, so nothing else runs), and combinations it takes.
@Suite struct JoinFlagRulesTests {
    /// The usage error's message, or nil when the flags are accepted.
    func refusal(_ arguments: [String]) -> String? {
        do {
            _ = try Adjoin.parseAsRoot(["join"] + arguments)
            return nil
        } catch {
            return Adjoin.message(for: error)
        }
    }

    @Test(arguments: [
        (["--one-time-password-stdin", "--user", "admin"], "--one-time-password-stdin joins as the computer itself"),
        (["--one-time-password-stdin", "--retry-for", "30m"], "a one-time password serves one join"),
        (["--domain", "corp.example.com"], "--domain needs --user"),
        (["--no-configure", "--allow-group", "linux-admins"], "cannot go with --no-configure"),
        (["--no-configure", "--posix-ids"], "cannot go with --no-configure"),
        (["--ssh-public-key-attribute", "ssh key"], "is not an LDAP attribute name"),
        (["--ssh-public-key-attribute", "altSecurityIdentities", "--no-configure-ssh"], "cannot go with --no-configure-ssh"),
        (["--dns-address", "web1.example.com"], "is not an IP address"),
        (["--dns-address", "10.0.0.5", "--no-register-dns"], "cannot go with --no-register-dns"),
        (["--unless-joined", "--dry-run"], "--unless-joined and --dry-run cannot go together"),
        (["--retry-for", "25h"], "--retry-for takes a duration"),
        (["--retry-for", "30m", "--dry-run"], "--retry-for and --dry-run cannot go together"),
        (["--retry-for", "30m", "--domain", "corp.example.com", "--user", "admin", "--password-stdin"], "serves one attempt only"),
        (["--dry-run", "--output", "json"], "it has no --output json"),
    ])
    func refused(arguments: [String], words: String) {
        let message = refusal(arguments)
        #expect(message?.contains(words) == true, "\(arguments): \(message ?? "accepted")")
    }

    @Test(arguments: [
        ["--domain", "corp.example.com", "--user", "admin", "--password-stdin", "--allow-group", "linux-admins"],
        ["--domain", "corp.example.com", "--dry-run"],
        ["--one-time-password-stdin", "--domain", "corp.example.com"],
        ["--unless-joined", "--retry-for", "1d"],
        ["--ssh-public-key-attribute", "altSecurityIdentities"],
        ["--dns-address", "10.0.0.5"],
    ])
    func accepted(arguments: [String]) {
        #expect(refusal(arguments) == nil, "\(arguments)")
    }
}
