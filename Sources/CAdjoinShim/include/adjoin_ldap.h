// What Swift cannot do directly with libldap: LDAP_OPT_ON/OFF are pointer macros, the SASL
// interactive bind wants a C callback, and ldap_init_fd lives in openldap.h.
#ifndef ADJOIN_LDAP_H
#define ADJOIN_LDAP_H

#include <ldap.h>

/// Wraps a connected TCP socket in an LDAP handle for `url` (whose host names the server for SASL),
/// with protocol 3, referrals off and host name canonicalisation off. On failure the socket is
/// still the caller's to close.
int adjoin_ldap_open_fd(int fd, const char *url, LDAP **ldap);

/// Per-operation time limit in milliseconds (LDAP_OPT_TIMEOUT and LDAP_OPT_NETWORK_TIMEOUT).
int adjoin_ldap_set_timeout(LDAP *ldap, long milliseconds);

/// Kerberos SASL bind (GSS-SPNEGO, else GSSAPI) with the credentials GSSAPI finds (the caller sets its
/// ccache), asking for at least `min_ssf` bits of protection (56 or more means sealing, which AD
/// wants for passwords). `mechanism` is set to the one tried last.
int adjoin_ldap_gssapi_bind(LDAP *ldap, unsigned min_ssf, const char **mechanism);

/// The security strength factor the bind negotiated (0 without SASL protection).
unsigned long adjoin_ldap_sasl_ssf(LDAP *ldap);

/// The server's diagnostic message for the last operation, or NULL; free with ldap_memfree.
char *adjoin_ldap_diagnostic(LDAP *ldap);

#endif
