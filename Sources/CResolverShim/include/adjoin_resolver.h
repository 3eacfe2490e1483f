// glibc's stub resolver for Swift (Discovery only): struct __res_state keeps its name servers in a C array
// inside a union, and the outcome of a query is in h_errno, a macro; Swift can use neither.
#ifndef ADJOIN_RESOLVER_H
#define ADJOIN_RESOLVER_H

#include <stddef.h>
#include <stdint.h>

/// A stub resolver with its own state (res_ninit), so one query can use its own servers and timeouts
/// without touching the process-wide _res.
typedef struct adjoin_resolver adjoin_resolver;

/// Outcome of a query, folded from h_errno so that Swift never reads the macro.
typedef enum {
    ADJOIN_DNS_OK = 0,
    ADJOIN_DNS_NAME_NOT_FOUND = 1,   // NXDOMAIN
    ADJOIN_DNS_NO_DATA = 2,          // the name exists, without records of that type
    ADJOIN_DNS_TRY_AGAIN = 3,        // no server answered, or SERVFAIL
    ADJOIN_DNS_FAILED = 4,           // refused, format error, or anything else
} adjoin_dns_result;

/// Returns NULL when res_ninit fails (unreadable resolver configuration, or out of memory).
adjoin_resolver *adjoin_resolver_new(void);
void adjoin_resolver_free(adjoin_resolver *resolver);

/// Replaces the servers from /etc/resolv.conf with these (network byte order), at most 3.
/// Asks only the given servers: `families` holds 4 or 6 per server, `addresses` 16 bytes per server (an IPv4
/// address in its first 4). Returns how many were set (at most MAXNS).
int adjoin_resolver_set_servers(adjoin_resolver *resolver, const uint8_t *families, const uint8_t *addresses,
                                const uint16_t *ports, int count);

/// Per-try timeout in whole seconds and the number of tries (glibc doubles the timeout on each later try).
void adjoin_resolver_set_timeout(adjoin_resolver *resolver, int seconds, int attempts);

/// Number of name servers the resolver will ask.
int adjoin_resolver_server_count(const adjoin_resolver *resolver);

/// res_nquery for class IN. Returns the answer's length (which may exceed answer_len if truncated) or -1.
int adjoin_resolver_query(adjoin_resolver *resolver, const char *name, int type,
                          unsigned char *answer, int answer_len, adjoin_dns_result *result);

#endif
