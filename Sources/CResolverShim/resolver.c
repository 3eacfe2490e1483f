#include "adjoin_resolver.h"

#include <netinet/in.h>
#include <arpa/nameser.h>
#include <resolv.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

struct adjoin_resolver {
    struct __res_state state;
};

adjoin_resolver *adjoin_resolver_new(void) {
    adjoin_resolver *resolver = calloc(1, sizeof(*resolver));
    if (resolver == NULL) {
        return NULL;
    }
    if (res_ninit(&resolver->state) != 0) {
        res_nclose(&resolver->state);
        free(resolver);
        return NULL;
    }
    // An SRV answer with many DCs does not fit in 512 bytes: EDNS0 lets the server send it over UDP,
    // and glibc falls back to TCP on truncation either way.
    resolver->state.options |= RES_USE_EDNS0;
    return resolver;
}

void adjoin_resolver_free(adjoin_resolver *resolver) {
    if (resolver == NULL) {
        return;
    }
    res_nclose(&resolver->state);
    free(resolver);
}

int adjoin_resolver_set_servers(adjoin_resolver *resolver, const uint8_t *families, const uint8_t *addresses,
                                const uint16_t *ports, int count) {
    if (count > MAXNS) {
        count = MAXNS;
    }
    // Servers read from resolv.conf may sit in _u._ext (malloc'd; res_nclose frees them): drop them all
    // so that only the given servers are asked.
    for (int i = 0; i < MAXNS; i++) {
        free(resolver->state._u._ext.nsaddrs[i]);
        resolver->state._u._ext.nsaddrs[i] = NULL;
        memset(&resolver->state.nsaddr_list[i], 0, sizeof(resolver->state.nsaddr_list[i]));
    }
    for (int i = 0; i < count; i++) {
        if (families[i] == 6) {
            // A sockaddr_in6 does not fit in nsaddr_list: glibc takes _u._ext.nsaddrs[i] instead when
            // nsaddr_list[i].sin_family is 0 (res_send.c, get_nsaddr), as res_init does for resolv.conf's IPv6 servers.
            struct sockaddr_in6 *server = calloc(1, sizeof(*server));
            if (server == NULL) {
                count = i;
                break;
            }
            server->sin6_family = AF_INET6;
            server->sin6_port = htons(ports[i]);
            memcpy(&server->sin6_addr, addresses + 16 * i, 16);
            resolver->state._u._ext.nsaddrs[i] = server;
        } else {
            struct sockaddr_in *server = &resolver->state.nsaddr_list[i];
            server->sin_family = AF_INET;
            server->sin_port = htons(ports[i]);
            memcpy(&server->sin_addr, addresses + 16 * i, 4);
        }
    }
    resolver->state.nscount = count;
    return count;
}

void adjoin_resolver_set_timeout(adjoin_resolver *resolver, int seconds, int attempts) {
    resolver->state.retrans = seconds < 1 ? 1 : seconds;
    resolver->state.retry = attempts < 1 ? 1 : attempts;
}

int adjoin_resolver_server_count(const adjoin_resolver *resolver) {
    return resolver->state.nscount;
}

int adjoin_resolver_query(adjoin_resolver *resolver, const char *name, int type,
                          unsigned char *answer, int answer_len, adjoin_dns_result *result) {
    int length = res_nquery(&resolver->state, name, ns_c_in, type, answer, answer_len);
    if (length >= 0) {
        *result = ADJOIN_DNS_OK;
        return length;
    }
    switch (resolver->state.res_h_errno) {
    case HOST_NOT_FOUND:
        *result = ADJOIN_DNS_NAME_NOT_FOUND;
        break;
    case NO_DATA:
        *result = ADJOIN_DNS_NO_DATA;
        break;
    case TRY_AGAIN:
        *result = ADJOIN_DNS_TRY_AGAIN;
        break;
    default:
        *result = ADJOIN_DNS_FAILED;
        break;
    }
    return -1;
}
