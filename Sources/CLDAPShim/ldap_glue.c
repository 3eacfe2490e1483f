#include "adjoin_ldap.h"
#include "ldap_api.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <gssapi/gssapi_krb5.h>

// Cyrus SASL loads every plugin of its directory when it starts: SCRAM, DIGEST-MD5 and NTLM bring
// OpenSSL's libcrypto, sasldb Berkeley DB, about 2 MB of a join's memory for mechanisms it never
// uses. The Kerberos bind needs only the GSSAPI plugin (GSSAPI and GSS-SPNEGO).
static int only_the_gssapi_plugin(void *context, const char *file, sasl_verify_type_t type) {
    (void)context;
    if (type != SASL_VRFY_PLUGIN) {
        return SASL_OK;
    }
    const char *name = strrchr(file, '/');
    name = name != NULL ? name + 1 : file;
    return strncmp(name, "libgssapiv2.", strlen("libgssapiv2.")) == 0 ? SASL_OK : SASL_CONTINUE;
}

// Cyrus keeps a pointer to these for the life of the process.
static const sasl_callback_t sasl_global_callbacks[] = {
    { SASL_CB_VERIFYFILE, (int (*)(void))only_the_gssapi_plugin, NULL },
    { SASL_CB_LIST_END, NULL, NULL },
};

// Cyrus's own mutexes are no-ops, and once SASL is started it ignores the ones libldap would set:
// real ones here, so that binds on several threads (the tests) stay as safe as libldap made them.
static void *mutex_new(void) {
    pthread_mutex_t *mutex = malloc(sizeof *mutex);
    if (mutex != NULL && pthread_mutex_init(mutex, NULL) != 0) {
        free(mutex);
        return NULL;
    }
    return mutex;
}

static int mutex_lock(void *mutex) {
    return pthread_mutex_lock(mutex) == 0 ? SASL_OK : SASL_FAIL;
}

static int mutex_unlock(void *mutex) {
    return pthread_mutex_unlock(mutex) == 0 ? SASL_OK : SASL_FAIL;
}

static void mutex_free(void *mutex) {
    pthread_mutex_destroy(mutex);
    free(mutex);
}

// Runs before libldap's own sasl_client_init(NULL), which then finds SASL started and keeps these callbacks.
static void start_sasl(void) {
    ldap_api.sasl_set_mutex(mutex_new, mutex_lock, mutex_unlock, mutex_free);
    ldap_api.sasl_client_init(sasl_global_callbacks);
}

// libldap reads any non-NULL pointer as "on"; LDAP_OPT_ON is the address of a liblber variable, which a library
// loaded at run time cannot give to code linked before it.
static const int option_on = 1;

int adjoin_ldap_open_fd(int fd, const char *url, LDAP **ldap) {
    static pthread_once_t sasl_started = PTHREAD_ONCE_INIT;
    pthread_once(&sasl_started, start_sasl);
    LDAP *handle = NULL;
    int status = ldap_api.init_fd(fd, LDAP_PROTO_TCP, url, &handle);
    if (status != LDAP_SUCCESS) {
        return status;
    }
    int version = LDAP_VERSION3;
    if ((status = ldap_api.set_option(handle, LDAP_OPT_PROTOCOL_VERSION, &version)) != LDAP_SUCCESS ||
        (status = ldap_api.set_option(handle, LDAP_OPT_REFERRALS, LDAP_OPT_OFF)) != LDAP_SUCCESS ||
        (status = ldap_api.set_option(handle, LDAP_OPT_X_SASL_NOCANON, &option_on)) != LDAP_SUCCESS) {
        // ldap_init_fd's handle owns the socket; detach it so the caller's close stays the only one.
        ldap_api.set_option(handle, LDAP_OPT_DESC, &(int){-1});
        ldap_api.unbind_ext_s(handle, NULL, NULL);
        return status;
    }
    *ldap = handle;
    return LDAP_SUCCESS;
}

int adjoin_ldap_set_timeout(LDAP *ldap, long milliseconds) {
    if (milliseconds < 1) {
        milliseconds = 1;
    }
    struct timeval limit = { .tv_sec = milliseconds / 1000, .tv_usec = (milliseconds % 1000) * 1000 };
    int status = ldap_api.set_option(ldap, LDAP_OPT_TIMEOUT, &limit);
    if (status == LDAP_SUCCESS) {
        status = ldap_api.set_option(ldap, LDAP_OPT_NETWORK_TIMEOUT, &limit);
    }
    return status;
}

// GSSAPI needs no interaction: the identity is the ticket's. Any prompt gets its default (empty).
static int no_interaction(LDAP *ldap, unsigned flags, void *defaults, void *prompts) {
    (void)ldap;
    (void)flags;
    (void)defaults;
    for (sasl_interact_t *prompt = prompts; prompt != NULL && prompt->id != SASL_CB_LIST_END; prompt++) {
        prompt->result = prompt->defresult != NULL ? prompt->defresult : "";
        prompt->len = (unsigned)strlen(prompt->result);
    }
    return LDAP_SUCCESS;
}

int adjoin_ldap_gssapi_bind(LDAP *ldap, const char *ccache, unsigned min_ssf, const char **mechanism) {
    // Per thread in MIT krb5: the bind below runs on this thread, so it takes its tickets from this cache.
    OM_uint32 minor = 0;
    (void)gss_krb5_ccache_name(&minor, ccache, NULL);
    char secprops[64];
    snprintf(secprops, sizeof secprops, "minssf=%u", min_ssf);
    int status = ldap_api.set_option(ldap, LDAP_OPT_X_SASL_SECPROPS, secprops);
    if (status != LDAP_SUCCESS) {
        return status;
    }
    // GSS-SPNEGO (as Windows binds to AD) settles in one exchange; plain GSSAPI (RFC 4752) needs
    // three, for its separate security-layer negotiation. Fall back to GSSAPI where the DC or this
    // host's Cyrus SASL lacks GSS-SPNEGO.
    *mechanism = "GSS-SPNEGO";
    status = ldap_api.sasl_interactive_bind_s(ldap, NULL, *mechanism, NULL, NULL, LDAP_SASL_QUIET, no_interaction, NULL);
    if (status == LDAP_NOT_SUPPORTED || status == LDAP_AUTH_METHOD_NOT_SUPPORTED || status == LDAP_AUTH_UNKNOWN) {
        *mechanism = "GSSAPI";
        status = ldap_api.sasl_interactive_bind_s(ldap, NULL, *mechanism, NULL, NULL, LDAP_SASL_QUIET, no_interaction, NULL);
    }
    return status;
}

unsigned long adjoin_ldap_sasl_ssf(LDAP *ldap) {
    // libldap writes a ber_len_t here (8 bytes), not a sasl_ssf_t (4): a smaller variable is a stack overwrite.
    ber_len_t ssf = 0;
    if (ldap_api.get_option(ldap, LDAP_OPT_X_SASL_SSF, &ssf) != LDAP_SUCCESS) {
        return 0;
    }
    return ssf;
}

char *adjoin_ldap_diagnostic(LDAP *ldap) {
    char *message = NULL;
    if (ldap_api.get_option(ldap, LDAP_OPT_DIAGNOSTIC_MESSAGE, &message) != LDAP_SUCCESS) {
        return NULL;
    }
    return message;
}
