import AdjoinCore
import DNS
import Discovery
import Kerberos
import LDAP

/// The host's A record in the domain's DNS, written by the machine itself (a GSS-TSIG update signed
/// with its keytab's keys): registered at join, kept true by rotate, removed at leave. A refusal is
/// reported, never fatal: the membership stands without the record.
struct AddressRegistration {
    let keytab: HostKeytab
    let zone: String
    let progress: ProgressSink

    var name: String { keytab.hostFQDN.lowercased() }

    /// Replaces the name's address records with `address` (nil: this host's address on the connection to the DC).
    /// A PTR record goes with it where the DC holds the address's reverse zone; `pointerProblem` says why
    /// not, where that was tried and refused.
    func register(
        address: SocketAddress?, source: HostAddressRecord.Source, session: any Directory,
        deadline: Deadline
    ) -> Result<(record: HostAddressRecord, pointerProblem: String?), AdjoinError> {
        progress("Registering \(name) in DNS at \(session.controller.hostName) (secure dynamic update as \(keytab.samAccountName))")
        let change = DNSChange.register(name: name, zone: zone, address: address)
        do {
            let result = try session.updateDNS(
                change, signedAs: keytab.samAccountName, keytabPath: keytab.openedPath,
                encryptionTypes: keytab.encryptionTypes, deadline: deadline)
            let text = result.address.host
            guard result.succeeded(change) else {
                return .failure(
                    AdjoinError(
                        .insufficientPermissions,
                        "the DNS server on \(session.controller.hostName) did not register \(name) -> \(text): "
                            + Self.explain(result, change) + "; the host is joined without its DNS record"))
            }
            progress(
                "Registered \(name) -> \(text)\(result.answer.signatureVerified ? " (the server's signed answer checked)" : " (read back from the server)")"
            )
            if let zone = result.reverseZone { progress("Registered its PTR record in \(zone)") }
            return .success(
                (
                    HostAddressRecord(
                        name: name, address: text, source: address == nil ? .connection : source, reverseZone: result.reverseZone),
                    result.pointerProblem
                ))
        } catch {
            return .failure(
                AdjoinError(
                    error.status,
                    "could not register \(name) in DNS at \(session.controller.hostName): \(error.message); the host is joined without its DNS record"
                ))
        }
    }

    /// Deletes the record of `record`'s name that holds its address, and no other.
    func remove(_ record: HostAddressRecord, session: any Directory, deadline: Deadline) -> Result<Void, AdjoinError> {
        guard let address = record.socketAddress else {
            return .failure(.invalidInput("the recorded DNS address \(record.address) is not an IP address"))
        }
        progress("Removing \(record.name) -> \(record.address) from DNS at \(session.controller.hostName)")
        let change = DNSChange.remove(name: record.name, zone: zone, address: address, reverseZone: record.reverseZone)
        do {
            let result = try session.updateDNS(
                change, signedAs: keytab.samAccountName, keytabPath: keytab.openedPath,
                encryptionTypes: keytab.encryptionTypes, deadline: deadline)
            guard result.succeeded(change) else {
                return .failure(
                    AdjoinError(
                        .insufficientPermissions,
                        "the DNS server on \(session.controller.hostName) did not remove \(record.name) -> \(record.address): "
                            + Self.explain(result, change)))
            }
            if let problem = result.pointerProblem {
                return .failure(AdjoinError(.insufficientPermissions, "removed \(record), but not its PTR record: \(problem)"))
            }
            return .success(())
        } catch {
            return .failure(AdjoinError(error.status, "could not remove \(record.name) -> \(record.address) from DNS: \(error.message)"))
        }
    }

    /// The address the host has now, by the rule that chose the registered one: a given address stays;
    /// an instance's comes from metadata (`place.instanceAddress`); otherwise the address toward the DC.
    /// nil: it cannot be told now (metadata silent), which is no reason to change anything.
    static func currentAddress(
        of record: HostAddressRecord, place: DirectoryPlace, controller: DomainController,
        deadline: Deadline
    ) -> SocketAddress? {
        switch record.source {
        case .given: return record.socketAddress
        case .instance: return place.instanceAddress?(deadline)
        case .connection:
            return DNSStream.localAddress(
                toward: SocketAddress(family: controller.address.family, addressBytes: controller.address.addressBytes, port: 53))
        }
    }

    /// When the host's address moved: the PTR record of the old address (which still names this host)
    /// is deleted by value, and its node if that emptied it. The A record needs nothing: the
    /// registration replaced the name's records. `releasing`: the session is the machine's, which owns
    /// the node (a join's session is the join user's, which may not delete it: the machine may still write
    /// it, and another host's PTR there waits for scavenging). Returns what could not be done.
    func retirePointer(
        of old: HostAddressRecord, now current: HostAddressRecord, baseDN: String, session: any Directory,
        releasing: Bool, deadline: Deadline
    ) -> String? {
        guard let reverseZone = old.reverseZone, old.address != current.address, let address = old.socketAddress else { return nil }
        progress("Removing the PTR record of \(old.address), the host's previous address, from \(reverseZone)")
        do {
            let result = try session.updateDNS(
                .remove(name: old.name, zone: zone, address: address, reverseZone: reverseZone),
                signedAs: keytab.samAccountName, keytabPath: keytab.openedPath,
                encryptionTypes: keytab.encryptionTypes, deadline: deadline)
            if let problem = result.pointerProblem { return "the previous address's PTR record stays: \(problem)" }
        } catch {
            return "the previous address's PTR record stays: \(error.message)"
        }
        // The A name's node holds the new record, so only the PTR's can be empty.
        guard releasing else { return nil }
        return Self.releaseNodes(old, zone: zone, baseDN: baseDN, session: session, deadline: deadline)
    }

    /// After leave removed the records: the names' `dnsNode` objects, if the DNS server left them empty
    /// (`dNSTombstoned`), deleted over LDAP. An empty node keeps its creator (this machine, soon a deleted
    /// account) as owner, and Samba then refuses every other account's update of the name: a host that
    /// joins again under the same name could not register it. The machine owns its nodes and may delete
    /// them; a node that still holds another account's records is not empty and stays. Returns what could
    /// not be done (nil: nothing left).
    static func releaseNodes(
        _ record: HostAddressRecord, zone: String, baseDN: String, session: any Directory, deadline: Deadline
    ) -> String? {
        var names = [(record.name, zone)]
        if let reverseZone = record.reverseZone, let address = record.socketAddress {
            names.append((DNSUpdate.reverseName(of: address), reverseZone))
        }
        var problems: [String] = []
        for (name, zone) in names {
            let lowered = name.lowercased()
            guard lowered.hasSuffix("." + zone.lowercased()) else { continue }
            let label = String(lowered.dropLast(zone.count + 1))
            let dn =
                "DC=\(LDAPEscaping.dnValue(label)),DC=\(LDAPEscaping.dnValue(zone.lowercased())),CN=MicrosoftDNS,DC=DomainDnsZones,\(baseDN)"
            do {
                guard
                    let node = try session.search(
                        base: dn, scope: .base, filter: "(objectClass=dnsNode)",
                        attributes: ["dNSTombstoned"], deadline: deadline
                    ).first,
                    node.string("dNSTombstoned")?.uppercased() == "TRUE"
                else { continue }
                try session.delete(dn, tree: false, deadline: deadline)
            } catch  where error.code == .noSuchObject {
                continue
            } catch {
                problems.append(
                    "the empty DNS node \(dn) stays (\(error.diagnostic ?? error.message)): until it is scavenged, only its "
                        + "owner or an administrator can register \(name) again")
            }
        }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }

    /// What the DC's DNS server answers for the record's name now, and the address the host has now.
    static func lookup(
        _ record: HostAddressRecord, place: DirectoryPlace, controller: DomainController,
        deadline: Deadline
    ) throws(AdjoinError) -> (found: [SocketAddress], current: SocketAddress?) {
        let current = currentAddress(of: record, place: place, controller: controller, deadline: deadline)
        let stream = try DNSStream(
            SocketAddress(family: controller.address.family, addressBytes: controller.address.addressBytes, port: 53),
            deadline: deadline)
        let family = (current ?? record.socketAddress)?.family ?? .ipv4
        return (try stream.addresses(of: record.name, type: family == .ipv4 ? DNSType.a : DNSType.aaaa, deadline: deadline), current)
    }

    /// Rotate's part: when the name no longer resolves to the host's current address (it moved, or the
    /// record went), registers that address again and records it. Returns what it did, for the report.
    static func keepTrue(_ host: JoinedHost, session: any Directory, controller: DomainController, deadline: Deadline) -> String? {
        guard let record = host.record.dnsRecord else { return nil }
        let found: [SocketAddress]
        let current: SocketAddress?
        do {
            (found, current) = try lookup(record, place: host.place, controller: controller, deadline: deadline)
        } catch {
            return "DNS record not checked: \(error.message)"
        }
        guard let current else { return nil }
        if found.contains(where: { $0.addressBytes == current.addressBytes }) && current.host == record.address { return nil }
        let registration = AddressRegistration(keytab: host.keytab, zone: host.record.domain, progress: host.progress)
        switch registration.register(address: current, source: record.source, session: session, deadline: deadline) {
        case .success(let (registered, _)):
            let retired = registration.retirePointer(
                of: record, now: registered, baseDN: (try? DomainName(host.record.domain).baseDN) ?? "",
                session: session, releasing: true, deadline: deadline)
            var updated = host.record
            updated.dnsRecord = registered
            do {
                try updated.write(host.files)
            } catch {
                return "registered \(registered), but could not record it: \(error.message)"
            }
            return
                "registered \(registered) in DNS (it \(found.isEmpty ? "had no address record" : "resolved to \(found.map(\.host).joined(separator: ", "))"))"
                + (retired.map { "; " + $0 } ?? "")
        case .failure(let error):
            return "DNS record not updated: \(error.message)"
        }
    }

    static func explain(_ result: DNSChangeResult, _ change: DNSChange) -> String {
        var text = "it answered \(result.answer.rcode)"
        if result.answer.rcode == .refused || result.answer.rcode == .serverFailure {
            // Windows refuses an update it does not allow; Samba answers SERVFAIL to the same.
            text += " (the machine may not update that name: another account's record, or no right to the zone)"
        }
        if let after = result.answer.addressesAfter {
            text +=
                after.isEmpty ? ", and the name has no address record" : ", and the name holds \(after.map(\.host).joined(separator: ", "))"
        } else if !result.answer.signatureVerified {
            text += " (unsigned)"
        }
        return text
    }
}
