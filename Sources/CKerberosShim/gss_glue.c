#include "adjoin_gss.h"

#include <stddef.h>

int adjoin_gss_error(OM_uint32 major) { return GSS_ERROR(major) ? 1 : 0; }

int adjoin_gss_continue_needed(OM_uint32 major) { return (major & GSS_S_CONTINUE_NEEDED) ? 1 : 0; }

// RFC 4178's SPNEGO, 1.3.6.1.5.5.2: what Windows and nsupdate -g send in a GSS-TSIG negotiation.
static gss_OID_desc spnego = {6, "\x2b\x06\x01\x05\x05\x02"};

gss_OID adjoin_gss_spnego_mechanism(void) { return &spnego; }

gss_OID adjoin_gss_krb5_principal_name_type(void) { return (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME; }

OM_uint32 adjoin_gss_credentials_from_ccache(OM_uint32 *minor, const char *ccache, gss_cred_id_t *credentials) {
    gss_key_value_element_desc element = {"ccache", ccache};
    gss_key_value_set_desc store = {1, &element};
    return gss_acquire_cred_from(minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, GSS_C_NO_OID_SET, GSS_C_INITIATE, &store, credentials, NULL, NULL);
}
