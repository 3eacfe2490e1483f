import AdjoinCore

/// Names from flags and settings, checked as the DNS and the directory will check them, so that a
/// bad one is refused with INVALID_INPUT naming it before anything goes on the wire, instead of
/// failing later with a status that blames the network or the DC.
public enum InputNames {
    /// A host name as given, without the trailing dot of an absolute DNS name (`web1.corp.example.com.`),
    /// which must not reach an SPN, a principal or dNSHostName.
    public static func hostName(_ text: String) -> String {
        text.hasSuffix(".") && !text.hasSuffix("..") ? String(text.dropLast()).lowercased() : text.lowercased()
    }

    /// A fully qualified host name as the DNS allows it: labels of 1 to 63 letters, digits, '-' (and
    /// '_'), not starting or ending with '-', 253 characters at most, two labels at least.
    static func checkHostName(_ fqdn: String, domain: DomainName) throws(AdjoinError) {
        let example = "such as web1.\(domain)"
        guard !fqdn.hasSuffix(".") else { throw .invalidInput("--host-fqdn '\(fqdn)' ends with a dot; give it without (\(example))") }
        guard fqdn.utf8.count <= 253 else { throw .invalidInput("--host-fqdn is \(fqdn.utf8.count) characters; the DNS allows 253") }
        let labels = fqdn.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { throw .invalidInput("--host-fqdn '\(fqdn)' must be a fully qualified host name \(example)") }
        for label in labels {
            guard label.utf8.count <= 63 else {
                throw .invalidInput("--host-fqdn: the label '\(label)' is \(label.utf8.count) characters; the DNS allows 63")
            }
            guard !label.isEmpty, !label.hasPrefix("-"), !label.hasSuffix("-"),
                label.utf8.allSatisfy({
                    ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == UInt8(ascii: "-")
                        || $0 == UInt8(ascii: "_")
                })
            else {
                throw .invalidInput(
                    "--host-fqdn '\(fqdn)' is not a host name: the label '\(label)' must be letters, digits and '-' (\(example))")
            }
        }
    }

    /// A join user as people type it: `adjoiner`, `CORP\adjoiner` or `adjoiner@corp.example.com`, each
    /// part non-empty, one separator at most. `domain`: the domain when it is known (nil: a leave
    /// before its record is read), whose realm a `name@realm` must name.
    ///
    /// A realm other than the domain's is refused rather than tried: the login is pinned to the
    /// domain's DC, which holds no key for another realm's principal, so the attempt could only fail
    /// later as a network error after asking the DNS about that realm. That includes an alternative UPN
    /// suffix (`adjoiner@corp.com` in the domain ad.corp.com): a UPN is not a Kerberos principal name
    /// unless sent as an enterprise name, which adjoin does not do; the sAMAccountName (`adjoiner`)
    /// names the same user in every forest.
    static func checkUser(_ user: String, domain: String?) throws(AdjoinError) {
        let example = domain ?? "corp.example.com"
        let refusal = AdjoinError.invalidInput(
            "--user '\(user)' must be a user name such as adjoiner, CORP\\adjoiner or adjoiner@\(example)")
        guard !user.isEmpty, user.count <= 256, user.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }),
            !user.contains("/")
        else { throw refusal }
        let backslashes = user.split(separator: "\\", omittingEmptySubsequences: false)
        let ats = user.split(separator: "@", omittingEmptySubsequences: false)
        guard backslashes.count <= 2, ats.count <= 2, backslashes.count == 1 || ats.count == 1,
            backslashes.allSatisfy({ !$0.isEmpty }), ats.allSatisfy({ !$0.isEmpty })
        else { throw refusal }
        if ats.count == 2, (try? DomainName(String(ats[1]))) == nil {
            throw .invalidInput("--user '\(user)': '\(ats[1])' is not a DNS domain name")
        }
        if ats.count == 2, let domain, ats[1].lowercased() != domain.lowercased() {
            throw .invalidInput(
                "--user '\(user)' names the realm \(ats[1].uppercased()), not the domain's (\(domain.uppercased())): adjoin logs "
                    + "in to the domain's DC as a principal of its realm; give the user's sAMAccountName, such as \(ats[0]) "
                    + "(a UPN with an alternative suffix is not a principal of the realm)")
        }
    }

    /// An OU's distinguished name as the directory parses it (RFC 4514): RDNs separated by unescaped
    /// commas, each one `type=value` with a non-empty value. A multi-valued RDN (`OU=a+CN=b`) is refused:
    /// AD names no container that way.
    static func checkOrganizationalUnit(_ dn: String, domain: DomainName) throws(AdjoinError) {
        let example = "such as OU=Linux Servers,\(domain.baseDN)"
        guard dn.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
            throw .invalidInput("--ou '\(dn)' holds a control character")
        }
        var rdns: [String] = [""]
        var escaped = false
        for character in dn {
            if escaped {
                escaped = false
                rdns[rdns.count - 1].append(character)
                continue
            }
            switch character {
            case "\\":
                escaped = true
                rdns[rdns.count - 1].append(character)
            case ",": rdns.append("")
            case "+": throw .invalidInput("--ou '\(dn)' has a multi-valued RDN ('+'); give the DN of an OU \(example)")
            default: rdns[rdns.count - 1].append(character)
            }
        }
        guard !escaped else { throw .invalidInput("--ou '\(dn)' ends in a lone backslash") }
        for rdn in rdns {
            let parts = rdn.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let type = parts.first.map { String($0).trimmingWhitespace } ?? ""
            guard parts.count == 2, !type.isEmpty, type.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }),
                !String(parts[1]).trimmingWhitespace.isEmpty
            else {
                throw .invalidInput("--ou '\(dn)' is not a distinguished name: '\(rdn)' is not type=value (\(example))")
            }
        }
        guard dn.lowercased().hasSuffix(domain.baseDN.lowercased()) else {
            throw .invalidInput("--ou '\(dn)' is not inside the domain \(domain) (\(domain.baseDN))")
        }
    }
}
