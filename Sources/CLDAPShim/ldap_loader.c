#include "adjoin_ldap.h"
#include "ldap_api.h"

#include <pthread.h>

#include <adjoin_dynamic_library.h>

struct adjoin_ldap_api ldap_api;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int load_result = LDAP_NOT_SUPPORTED;
static char load_error[512] = "libldap was not loaded";

static void load(void) {
    // Newest first: where several are installed (a host upgraded in place), the newest is the one kept.
    // Amazon Linux 2023 still ships OpenLDAP 2.4.57, whose thread-safe library is libldap_r; the API used
    // here is the same in 2.4, 2.5 and 2.6.
    static const char *const sonames[] = { "libldap.so.2", "libldap-2.5.so.0", "libldap_r-2.4.so.2", NULL };
    // liblber and libsasl2 are found through libldap's own links, so they are always the ones it uses
    // (Cyrus SASL's soname differs too: libsasl2.so.2 on Debian, libsasl2.so.3 on the RHEL family).
    const adjoin_symbol symbols[] = {
        ADJOIN_SYMBOL(ldap_api, err2string, "ldap_err2string"),
        ADJOIN_SYMBOL(ldap_api, init_fd, "ldap_init_fd"),
        ADJOIN_SYMBOL(ldap_api, set_option, "ldap_set_option"),
        ADJOIN_SYMBOL(ldap_api, get_option, "ldap_get_option"),
        ADJOIN_SYMBOL(ldap_api, unbind_ext_s, "ldap_unbind_ext_s"),
        ADJOIN_SYMBOL(ldap_api, sasl_interactive_bind_s, "ldap_sasl_interactive_bind_s"),
        ADJOIN_SYMBOL(ldap_api, memfree, "ldap_memfree"),
        ADJOIN_SYMBOL(ldap_api, control_create, "ldap_control_create"),
        ADJOIN_SYMBOL(ldap_api, control_free, "ldap_control_free"),
        ADJOIN_SYMBOL(ldap_api, controls_free, "ldap_controls_free"),
        ADJOIN_SYMBOL(ldap_api, search_ext, "ldap_search_ext"),
        ADJOIN_SYMBOL(ldap_api, result, "ldap_result"),
        ADJOIN_SYMBOL(ldap_api, msgfree, "ldap_msgfree"),
        ADJOIN_SYMBOL(ldap_api, parse_result, "ldap_parse_result"),
        ADJOIN_SYMBOL(ldap_api, first_entry, "ldap_first_entry"),
        ADJOIN_SYMBOL(ldap_api, next_entry, "ldap_next_entry"),
        ADJOIN_SYMBOL(ldap_api, get_dn, "ldap_get_dn"),
        ADJOIN_SYMBOL(ldap_api, first_attribute, "ldap_first_attribute"),
        ADJOIN_SYMBOL(ldap_api, next_attribute, "ldap_next_attribute"),
        ADJOIN_SYMBOL(ldap_api, get_values_len, "ldap_get_values_len"),
        ADJOIN_SYMBOL(ldap_api, value_free_len, "ldap_value_free_len"),
        ADJOIN_SYMBOL(ldap_api, add_ext_s, "ldap_add_ext_s"),
        ADJOIN_SYMBOL(ldap_api, add_ext, "ldap_add_ext"),
        ADJOIN_SYMBOL(ldap_api, modify_ext_s, "ldap_modify_ext_s"),
        ADJOIN_SYMBOL(ldap_api, modify_ext, "ldap_modify_ext"),
        ADJOIN_SYMBOL(ldap_api, delete_ext_s, "ldap_delete_ext_s"),
        ADJOIN_SYMBOL(ldap_api, ber_free, "ber_free"),
        ADJOIN_SYMBOL(ldap_api, sasl_set_mutex, "sasl_set_mutex"),
        ADJOIN_SYMBOL(ldap_api, sasl_client_init, "sasl_client_init"),
    };
    if (adjoin_library_load(sonames, symbols, sizeof symbols / sizeof symbols[0], load_error, sizeof load_error)) {
        load_result = LDAP_SUCCESS;
    }
}

int adjoin_ldap_load(const char **error) {
    pthread_once(&load_once, load);
    if (error != NULL) {
        *error = load_result == LDAP_SUCCESS ? NULL : load_error;
    }
    return load_result;
}

char *adjoin_ldap_err2string(int code) {
    if (ldap_api.err2string == NULL) {
        return "libldap is not loaded";
    }
    return ldap_api.err2string(code);
}

int adjoin_ldap_get_option(LDAP *ldap, int option, void *value) {
    return ldap_api.get_option(ldap, option, value);
}

int adjoin_ldap_unbind_ext_s(LDAP *ldap, LDAPControl **server, LDAPControl **client) {
    return ldap_api.unbind_ext_s(ldap, server, client);
}

void adjoin_ldap_memfree(void *memory) { ldap_api.memfree(memory); }

int adjoin_ldap_control_create(const char *oid, int critical, struct berval *value, int copy, LDAPControl **control) {
    return ldap_api.control_create(oid, critical, value, copy, control);
}

void adjoin_ldap_control_free(LDAPControl *control) { ldap_api.control_free(control); }
void adjoin_ldap_controls_free(LDAPControl **controls) { ldap_api.controls_free(controls); }

int adjoin_ldap_search_ext(LDAP *ldap, const char *base, int scope, const char *filter, char **attributes,
                           int attributes_only, LDAPControl **server, LDAPControl **client, struct timeval *limit,
                           int size_limit, int *message_id) {
    return ldap_api.search_ext(ldap, base, scope, filter, attributes, attributes_only, server, client, limit,
                               size_limit, message_id);
}

int adjoin_ldap_result(LDAP *ldap, int message_id, int all, struct timeval *limit, LDAPMessage **result) {
    return ldap_api.result(ldap, message_id, all, limit, result);
}

int adjoin_ldap_msgfree(LDAPMessage *message) { return ldap_api.msgfree(message); }

int adjoin_ldap_parse_result(LDAP *ldap, LDAPMessage *result, int *code, char **matched, char **text,
                             char ***referrals, LDAPControl ***controls, int free_it) {
    return ldap_api.parse_result(ldap, result, code, matched, text, referrals, controls, free_it);
}

LDAPMessage *adjoin_ldap_first_entry(LDAP *ldap, LDAPMessage *result) { return ldap_api.first_entry(ldap, result); }
LDAPMessage *adjoin_ldap_next_entry(LDAP *ldap, LDAPMessage *entry) { return ldap_api.next_entry(ldap, entry); }
char *adjoin_ldap_get_dn(LDAP *ldap, LDAPMessage *entry) { return ldap_api.get_dn(ldap, entry); }

char *adjoin_ldap_first_attribute(LDAP *ldap, LDAPMessage *entry, BerElement **cursor) {
    return ldap_api.first_attribute(ldap, entry, cursor);
}

char *adjoin_ldap_next_attribute(LDAP *ldap, LDAPMessage *entry, BerElement *cursor) {
    return ldap_api.next_attribute(ldap, entry, cursor);
}

struct berval **adjoin_ldap_get_values_len(LDAP *ldap, LDAPMessage *entry, const char *attribute) {
    return ldap_api.get_values_len(ldap, entry, attribute);
}

void adjoin_ldap_value_free_len(struct berval **values) { ldap_api.value_free_len(values); }
void adjoin_ber_free(BerElement *element, int free_buffer) { ldap_api.ber_free(element, free_buffer); }

int adjoin_ldap_add_ext_s(LDAP *ldap, const char *dn, LDAPMod **modifications, LDAPControl **server,
                          LDAPControl **client) {
    return ldap_api.add_ext_s(ldap, dn, modifications, server, client);
}

int adjoin_ldap_add_ext(LDAP *ldap, const char *dn, LDAPMod **modifications, LDAPControl **server,
                        LDAPControl **client, int *message_id) {
    return ldap_api.add_ext(ldap, dn, modifications, server, client, message_id);
}

int adjoin_ldap_modify_ext_s(LDAP *ldap, const char *dn, LDAPMod **modifications, LDAPControl **server,
                             LDAPControl **client) {
    return ldap_api.modify_ext_s(ldap, dn, modifications, server, client);
}

int adjoin_ldap_modify_ext(LDAP *ldap, const char *dn, LDAPMod **modifications, LDAPControl **server,
                           LDAPControl **client, int *message_id) {
    return ldap_api.modify_ext(ldap, dn, modifications, server, client, message_id);
}

int adjoin_ldap_delete_ext_s(LDAP *ldap, const char *dn, LDAPControl **server, LDAPControl **client) {
    return ldap_api.delete_ext_s(ldap, dn, server, client);
}
