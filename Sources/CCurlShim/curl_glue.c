#include "adjoin_curl.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <adjoin_dynamic_library.h>

static struct {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *curl);
    void (*easy_reset)(CURL *curl);
    CURLcode (*easy_perform)(CURL *curl);
    CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
    CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
    const char *(*easy_strerror)(CURLcode code);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *text);
    void (*slist_free_all)(struct curl_slist *list);
    curl_version_info_data *(*version_info)(CURLversion version);
} curl_api;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static CURLcode load_result = CURLE_FAILED_INIT;
static char load_error[256] = "libcurl was not loaded";

static void load(void) {
    static const char *const sonames[] = { "libcurl.so.4", NULL };
    const adjoin_symbol symbols[] = {
        ADJOIN_SYMBOL(curl_api, global_init, "curl_global_init"),
        ADJOIN_SYMBOL(curl_api, easy_init, "curl_easy_init"),
        ADJOIN_SYMBOL(curl_api, easy_cleanup, "curl_easy_cleanup"),
        ADJOIN_SYMBOL(curl_api, easy_reset, "curl_easy_reset"),
        ADJOIN_SYMBOL(curl_api, easy_perform, "curl_easy_perform"),
        ADJOIN_SYMBOL(curl_api, easy_setopt, "curl_easy_setopt"),
        ADJOIN_SYMBOL(curl_api, easy_getinfo, "curl_easy_getinfo"),
        ADJOIN_SYMBOL(curl_api, easy_strerror, "curl_easy_strerror"),
        ADJOIN_SYMBOL(curl_api, slist_append, "curl_slist_append"),
        ADJOIN_SYMBOL(curl_api, slist_free_all, "curl_slist_free_all"),
        ADJOIN_SYMBOL(curl_api, version_info, "curl_version_info"),
    };
    if (!adjoin_library_load(sonames, symbols, sizeof symbols / sizeof symbols[0], load_error, sizeof load_error)) {
        return;
    }
    load_result = curl_api.global_init(CURL_GLOBAL_DEFAULT);
    if (load_result != CURLE_OK) {
        snprintf(load_error, sizeof load_error, "curl_global_init failed");
    }
}

CURLcode adjoin_curl_load(const char **error) {
    pthread_once(&load_once, load);
    if (error != NULL) {
        *error = load_result == CURLE_OK ? NULL : load_error;
    }
    return load_result;
}

CURL *adjoin_curl_easy_init(void) { return curl_api.easy_init(); }
void adjoin_curl_easy_cleanup(CURL *curl) { curl_api.easy_cleanup(curl); }
void adjoin_curl_easy_reset(CURL *curl) { curl_api.easy_reset(curl); }
CURLcode adjoin_curl_easy_perform(CURL *curl) { return curl_api.easy_perform(curl); }
const char *adjoin_curl_easy_strerror(CURLcode code) { return curl_api.easy_strerror(code); }

struct curl_slist *adjoin_curl_slist_append(struct curl_slist *list, const char *text) {
    return curl_api.slist_append(list, text);
}

CURLcode adjoin_curl_set_long(CURL *curl, CURLoption option, long value) {
    return curl_api.easy_setopt(curl, option, value);
}

CURLcode adjoin_curl_set_string(CURL *curl, CURLoption option, const char *value) {
    return curl_api.easy_setopt(curl, option, value);
}

CURLcode adjoin_curl_set_pointer(CURL *curl, CURLoption option, const void *value) {
    return curl_api.easy_setopt(curl, option, value);
}

CURLcode adjoin_curl_set_size(CURL *curl, CURLoption option, curl_off_t value) {
    return curl_api.easy_setopt(curl, option, value);
}

CURLcode adjoin_curl_set_sink(CURL *curl, adjoin_curl_sink sink, void *context) {
    CURLcode code = curl_api.easy_setopt(curl, CURLOPT_WRITEFUNCTION, sink);
    return code != CURLE_OK ? code : curl_api.easy_setopt(curl, CURLOPT_WRITEDATA, context);
}

CURLcode adjoin_curl_allow_http_only(CURL *curl) {
    // The library loaded at run time may be older than the headers built against: CURLOPT_PROTOCOLS_STR
    // arrived in 7.85 (RHEL 9 ships 7.76), and the bitmask it replaced still works everywhere.
    curl_version_info_data *version = curl_api.version_info(CURLVERSION_NOW);
    CURLcode code;
#if LIBCURL_VERSION_NUM >= 0x075500
    if (version != NULL && version->version_num >= 0x075500) {
        code = curl_api.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
        return code != CURLE_OK ? code : curl_api.easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    }
#else
    (void)version;
#endif
    // Deprecated in newer headers, not removed; its number is the same in every version.
    code = curl_api.easy_setopt(curl, (CURLoption)(CURLOPTTYPE_LONG + 181), (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    return code != CURLE_OK ? code : curl_api.easy_setopt(curl, (CURLoption)(CURLOPTTYPE_LONG + 182), (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
}

CURLcode adjoin_curl_get_long(CURL *curl, CURLINFO info, long *value) {
    return curl_api.easy_getinfo(curl, info, value);
}

void adjoin_curl_slist_free_wiped(struct curl_slist *list) {
    for (struct curl_slist *item = list; item != NULL; item = item->next) {
        if (item->data != NULL) {
            explicit_bzero(item->data, strlen(item->data));
        }
    }
    if (list != NULL) {
        curl_api.slist_free_all(list);
    }
}
