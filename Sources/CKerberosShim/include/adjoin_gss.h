// What Swift cannot take from GSSAPI's headers: macros (GSS_C_NO_CREDENTIAL, GSS_ERROR), C globals
// (the SPNEGO mechanism and name-type OIDs, which Swift 6 refuses as shared mutable state), and the
// cred-store array of gss_acquire_cred_from.
#ifndef ADJOIN_GSS_H
#define ADJOIN_GSS_H

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>

int adjoin_gss_error(OM_uint32 major);
int adjoin_gss_continue_needed(OM_uint32 major);
gss_OID adjoin_gss_spnego_mechanism(void);
gss_OID adjoin_gss_krb5_principal_name_type(void);

/// Initiator credentials from the credential cache named `ccache` ("MEMORY:..."): the client
/// principal's tickets, and no other cache or keytab.
OM_uint32 adjoin_gss_credentials_from_ccache(OM_uint32 *minor, const char *ccache, gss_cred_id_t *credentials);

#endif
