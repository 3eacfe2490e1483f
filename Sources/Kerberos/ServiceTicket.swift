import AdjoinCore
#if canImport(Glibc)
    import Glibc
#endif
internal import CKerberos

/// A service ticket with its session key. Owns the krb5_creds (the key is wiped when it is freed).
final class ServiceTicket {
    let context: KerberosContext
    var raw = krb5_creds()

    /// `client`'s ticket for `server`, as a login stored it in `cache`.
    init(client: Principal, server: Principal, in cache: CredentialCache) throws(KerberosError) {
        context = cache.context
        var wanted = krb5_creds()
        wanted.client = client.raw
        wanted.server = server.raw
        try context.check(krb5_cc_retrieve_cred(context.raw, cache.raw, 0, &wanted, &raw), "reading the ticket for \(server.name)")
    }

    /// A ticket from its parts: the encoded Ticket (RFC 4120 5.3) and its session key, valid for the next
    /// hour. For talking to a server that is not a KDC's own, e.g. one that checks how a client treats
    /// its replies.
    init(
        client: Principal, server: Principal, encodedTicket: [UInt8], sessionKeyType: EncryptionType,
        sessionKey: SecretBytes, clock: any WallClock = SystemWallClock()
    ) throws(KerberosError) {
        context = client.context
        try context.check(krb5_copy_principal(context.raw, client.raw, &raw.client), "copying \(client.name)")
        try context.check(krb5_copy_principal(context.raw, server.raw, &raw.server), "copying \(server.name)")
        // krb5_free_cred_contents frees these with free(): they must come from malloc.
        let ticket = malloc(max(1, encodedTicket.count))!
        encodedTicket.withUnsafeBytes { ticket.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        raw.ticket = krb5_data(magic: 0, length: UInt32(encodedTicket.count), data: ticket.assumingMemoryBound(to: CChar.self))
        let key = malloc(max(1, sessionKey.count))!
        sessionKey.withUnsafeBytes { key.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        let now = krb5_timestamp(truncatingIfNeeded: clock.secondsSince1970)
        raw.times = krb5_ticket_times(authtime: now, starttime: now, endtime: now &+ 3600, renew_till: 0)
        raw.keyblock = krb5_keyblock(
            magic: 0, enctype: sessionKeyType.number, length: UInt32(sessionKey.count),
            contents: key.assumingMemoryBound(to: krb5_octet.self))
    }

    deinit {
        krb5_free_cred_contents(context.raw, &raw)
    }
}
