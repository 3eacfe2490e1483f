// libldap for Swift. It is loaded at run time, by soname: OpenLDAP 2.6 is libldap.so.2 (Debian 13, Ubuntu 24.04,
// RHEL 9), 2.5 is libldap-2.5.so.0 (Debian 12, Ubuntu 22.04), 2.4 is libldap_r-2.4.so.2 (Amazon Linux 2023), and
// a binary linked to any one would not start where another is. So Swift calls the adjoin_ldap_ functions below, each the libldap function
// of the same name (after adjoin_ldap_load), and liblber and Cyrus SASL are reached through libldap's own links.
// The rest is what Swift cannot do directly with libldap: LDAP_OPT_ON/OFF are pointer macros, the SASL
// interactive bind wants a C callback, ldap_init_fd lives in openldap.h, and the bind's credential cache is
// named through GSSAPI (gss_krb5_ccache_name), so that the LDAP module needs no Kerberos module of its own.
#ifndef ADJOIN_LDAP_H
#define ADJOIN_LDAP_H

#include <ldap.h>

/// Loads libldap once (libldap.so.2, else libldap-2.5.so.0, else libldap_r-2.4.so.2). LDAP_SUCCESS, or LDAP_NOT_SUPPORTED with `error`
/// (static text) saying why.
int adjoin_ldap_load(const char **error);

// After a successful adjoin_ldap_load only (adjoin_ldap_err2string also before).
char *adjoin_ldap_err2string(int code);
int adjoin_ldap_get_option(LDAP *ldap, int option, void *value);
int adjoin_ldap_unbind_ext_s(LDAP *ldap, LDAPControl **server, LDAPControl **client);
void adjoin_ldap_memfree(void *memory);
int adjoin_ldap_control_create(const char *oid, int critical, struct berval *value, int copy, LDAPControl **control);
void adjoin_ldap_control_free(LDAPControl *control);
void adjoin_ldap_controls_free(LDAPControl **controls);
int adjoin_ldap_search_ext(LDAP *ldap, const char *base, int scope, const char *filter, char **attributes,
                           int attributes_only, LDAPControl **server, LDAPControl **client, struct timeval *limit,
                           int size_limit, int *message_id);
int adjoin_ldap_result(LDAP *ldap, int message_id, int all, struct timeval *limit, LDAPMessage **result);
int adjoin_ldap_msgfree(LDAPMessage *message);
int adjoin_ldap_parse_result(LDAP *ldap, LDAPMessage *result, int *code, char **matched, char **text,
                             char ***referrals, LDAPControl ***controls, int free_it);
LDAPMessage *adjoin_ldap_first_entry(LDAP *ldap, LDAPMessage *result);
LDAPMessage *adjoin_ldap_next_entry(LDAP *ldap, LDAPMessage *entry);
char *adjoin_ldap_get_dn(LDAP *ldap, LDAPMessage *entry);
char *adjoin_ldap_first_attribute(LDAP *ldap, LDAPMessage *entry, BerElement **cursor);
char *adjoin_ldap_next_attribute(LDAP *ldap, LDAPMessage *entry, BerElement *cursor);
struct berval **adjoin_ldap_get_values_len(LDAP *ldap, LDAPMessage *entry, const char *attribute);
void adjoin_ldap_value_free_len(struct berval **values);
void adjoin_ber_free(BerElement *element, int free_buffer);
int adjoin_ldap_add_ext_s(LDAP *ldap, const char *dn, LDAPMod **modifications, LDAPControl **server,
                          LDAPControl **client);
// The add sent without waiting for its result (the message id for ldap_result), so that a search can follow it in the same round trip.
int adjoin_ldap_add_ext(LDAP *ldap, const char *dn, LDAPMod **modifications, LDAPControl **server,
                        LDAPControl **client, int *message_id);
int adjoin_ldap_modify_ext_s(LDAP *ldap, const char *dn, LDAPMod **modifications, LDAPControl **server,
                             LDAPControl **client);
// The modify sent without waiting for its result, so that other work (a Kerberos exchange) overlaps its round trip.
int adjoin_ldap_modify_ext(LDAP *ldap, const char *dn, LDAPMod **modifications, LDAPControl **server,
                           LDAPControl **client, int *message_id);
int adjoin_ldap_delete_ext_s(LDAP *ldap, const char *dn, LDAPControl **server, LDAPControl **client);

/// Wraps a connected TCP socket in an LDAP handle for `url` (whose host names the server for SASL),
/// with protocol 3, referrals off and host name canonicalisation off. On failure the socket is
/// still the caller's to close.
int adjoin_ldap_open_fd(int fd, const char *url, LDAP **ldap);

/// Per-operation time limit in milliseconds (LDAP_OPT_TIMEOUT and LDAP_OPT_NETWORK_TIMEOUT).
int adjoin_ldap_set_timeout(LDAP *ldap, long milliseconds);

/// Kerberos SASL bind (GSS-SPNEGO, else GSSAPI) with the tickets in the credential cache `ccache`
/// (GSSAPI's cache for the calling thread from here on), asking for at least `min_ssf` bits of protection
/// (56 or more means sealing, which AD wants for passwords). `mechanism` is set to the one tried last.
int adjoin_ldap_gssapi_bind(LDAP *ldap, const char *ccache, unsigned min_ssf, const char **mechanism);

/// The security strength factor the bind negotiated (0 without SASL protection).
unsigned long adjoin_ldap_sasl_ssf(LDAP *ldap);

/// The server's diagnostic message for the last operation, or NULL; free with ldap_memfree.
char *adjoin_ldap_diagnostic(LDAP *ldap);

#endif
