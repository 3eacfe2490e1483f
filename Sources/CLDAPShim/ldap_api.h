// The libldap functions the shim uses, found at run time by ldap_loader.c. Private to the shim.
#ifndef ADJOIN_LDAP_API_H
#define ADJOIN_LDAP_API_H

#include <ldap.h>
#include <openldap.h>
#include <sasl/sasl.h>

// Each field has the type of the function it holds, taken from the headers built against.
extern struct adjoin_ldap_api {
    __typeof__(ldap_err2string) *err2string;
    __typeof__(ldap_init_fd) *init_fd;
    __typeof__(ldap_set_option) *set_option;
    __typeof__(ldap_get_option) *get_option;
    __typeof__(ldap_unbind_ext_s) *unbind_ext_s;
    __typeof__(ldap_sasl_interactive_bind_s) *sasl_interactive_bind_s;
    __typeof__(ldap_memfree) *memfree;
    __typeof__(ldap_control_create) *control_create;
    __typeof__(ldap_control_free) *control_free;
    __typeof__(ldap_controls_free) *controls_free;
    __typeof__(ldap_search_ext) *search_ext;
    __typeof__(ldap_result) *result;
    __typeof__(ldap_msgfree) *msgfree;
    __typeof__(ldap_parse_result) *parse_result;
    __typeof__(ldap_first_entry) *first_entry;
    __typeof__(ldap_next_entry) *next_entry;
    __typeof__(ldap_get_dn) *get_dn;
    __typeof__(ldap_first_attribute) *first_attribute;
    __typeof__(ldap_next_attribute) *next_attribute;
    __typeof__(ldap_get_values_len) *get_values_len;
    __typeof__(ldap_value_free_len) *value_free_len;
    __typeof__(ldap_add_ext_s) *add_ext_s;
    __typeof__(ldap_add_ext) *add_ext;
    __typeof__(ldap_modify_ext_s) *modify_ext_s;
    __typeof__(ldap_modify_ext) *modify_ext;
    __typeof__(ldap_delete_ext_s) *delete_ext_s;
    __typeof__(ber_free) *ber_free;
    __typeof__(sasl_set_mutex) *sasl_set_mutex;
    __typeof__(sasl_client_init) *sasl_client_init;
} ldap_api;

#endif
