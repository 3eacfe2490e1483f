import AdjoinCore
import DNS
import LDAP

/// The DNS names an instance's machine registered for itself (its address name, and the PTR names of its
/// addresses), for the removals that run without the host: a remote leave and the sweep. Neither has the
/// machine's keys to sign a DNS update, so the records are deleted as directory objects (`dnsNode`, in the
/// domain's DNS partition). A node is this host's only when its owner is the machine account's SID: the DNS
/// server makes the account that signed the first update of a name its owner, so a name an administrator
/// or another host registered is never touched, whatever it holds.
public struct MachineDNSNodes: Sendable {
    /// Each node's DN and the name it holds, owner checked.
    public let nodes: [(dn: String, name: String)]

    /// The attributes the account's own search must read for `find`.
    static let accountAttributes = ["objectSid", "dNSHostName"]
    /// OWNER_SECURITY_INFORMATION: a reader without rights to the SACL still gets the owner.
    static let ownerOnly: UInt8 = 0x01

    /// The nodes of `account` (its objectSid and dNSHostName read) in `domain`'s zones. A name outside the
    /// domain's zone, or an account without an SID, has none.
    static func find(
        for account: LDAPEntry, domain: DomainName, session: any Directory, deadline: Deadline
    ) throws(LDAPError) -> MachineDNSNodes {
        guard let sid = account.values("objectSid").first, let host = account.string("dNSHostName")?.lowercased() else {
            return MachineDNSNodes(nodes: [])
        }
        let container = "CN=MicrosoftDNS,DC=DomainDnsZones," + domain.baseDN
        let zone = domain.value.lowercased()
        guard host.hasSuffix("." + zone) else { return MachineDNSNodes(nodes: []) }
        let forward = nodeDN(label: String(host.dropLast(zone.count + 1)), zone: zone, container: container)
        // The address node and the list of zones, in one round trip (the reverse zones are the ones the DNS server holds).
        let answers: [[LDAPEntry]]
        do {
            answers = try session.search(
                [
                    LDAPSearchRequest(
                        base: forward, scope: .base, filter: "(objectClass=dnsNode)", attributes: ["nTSecurityDescriptor", "dnsRecord"],
                        securityDescriptorFlags: ownerOnly),
                    LDAPSearchRequest(base: container, scope: .oneLevel, filter: "(objectClass=dnsZone)", attributes: ["dc"]),
                ], deadline: deadline)
        } catch  where error.code == .noSuchObject {
            // No such name, or no DNS in the directory (the domain's DNS kept elsewhere).
            return MachineDNSNodes(nodes: [])
        }
        guard let node = answers[0].first, owner(of: node) == sid else { return MachineDNSNodes(nodes: []) }
        var found = [(dn: forward, name: host)]

        let zones = answers[1].compactMap { $0.string("dc")?.lowercased() }
        for address in addresses(in: node) {
            let name = DNSUpdate.reverseName(of: address).lowercased()
            // The most specific zone the server holds for the name, as the server itself would choose.
            guard let reverse = zones.filter({ name.hasSuffix("." + $0) }).max(by: { $0.count < $1.count }) else { continue }
            let dn = nodeDN(label: String(name.dropLast(reverse.count + 1)), zone: reverse, container: container)
            do {
                let pointer = try session.search(
                    [
                        LDAPSearchRequest(
                            base: dn, scope: .base, filter: "(objectClass=dnsNode)",
                            attributes: ["nTSecurityDescriptor"], securityDescriptorFlags: ownerOnly)
                    ],
                    deadline: deadline)[0].first
                if let pointer, owner(of: pointer) == sid { found.append((dn, name)) }
            } catch  where error.code == .noSuchObject {
                continue
            }
        }
        return MachineDNSNodes(nodes: found)
    }

    /// Deletes the nodes; what could not be deleted, in words (nil: all gone).
    func delete(in session: any Directory, as principal: String, deadline: Deadline) -> String? {
        var problems: [String] = []
        for node in nodes {
            do {
                try session.delete(node.dn, tree: false, deadline: deadline)
            } catch  where error.code == .noSuchObject {
                continue
            } catch  where error.isPermissionDenied {
                problems.append(
                    "\(node.name) stays in DNS: \(principal) may not delete its record (\(error.diagnostic ?? error.message)); "
                        + "delegate Delete on the DNS zone's records to it, or let the DNS server's scavenging remove it")
            } catch {
                problems.append("\(node.name) stays in DNS: \(error.diagnostic ?? error.message)")
            }
        }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }

    var names: [String] { nodes.map(\.name) }

    static func nodeDN(label: String, zone: String, container: String) -> String {
        "DC=\(LDAPEscaping.dnValue(label)),DC=\(LDAPEscaping.dnValue(zone)),\(container)"
    }

    /// The owner SID of a self-relative security descriptor (MS-DTYP 2.4.6), as the bytes objectSid holds.
    static func owner(of node: LDAPEntry) -> [UInt8]? {
        guard let descriptor = node.values("nTSecurityDescriptor").first, descriptor.count >= 20 else { return nil }
        let offset = Int(descriptor[4]) | Int(descriptor[5]) << 8 | Int(descriptor[6]) << 16 | Int(descriptor[7]) << 24
        guard offset >= 20, offset + 8 <= descriptor.count else { return nil }
        let length = 8 + 4 * Int(descriptor[offset + 1])
        guard offset + length <= descriptor.count else { return nil }
        return Array(descriptor[offset..<offset + length])
    }

    /// The A and AAAA addresses a node holds (MS-DNSP 2.3.2.2: a 24-byte header, the type at offset 2,
    /// then the data).
    static func addresses(in node: LDAPEntry) -> [SocketAddress] {
        node.values("dnsRecord").compactMap { record in
            guard record.count >= 24 else { return nil }
            let type = UInt16(record[2]) | UInt16(record[3]) << 8
            let data = Array(record[24...])
            switch (type, data.count) {
            case (1, 4): return SocketAddress(family: .ipv4, addressBytes: data, port: 0)
            case (28, 16): return SocketAddress(family: .ipv6, addressBytes: data, port: 0)
            default: return nil
            }
        }
    }
}
