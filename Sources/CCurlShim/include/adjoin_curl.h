// libcurl for Swift, loaded only when first used. Linking it would load it (and, through it, OpenSSL,
// nghttp2, libssh2, GnuTLS...) into every run, a join with --domain included, which never speaks HTTP.
// So the functions are looked up with dlopen("libcurl.so.4") on the first call (the soname of every
// supported distro), and curl_easy_setopt/getinfo, which are variadic, get typed wrappers.
#ifndef ADJOIN_CURL_H
#define ADJOIN_CURL_H

#include <curl/curl.h>

/// Loads libcurl and runs curl_global_init once. CURLE_OK, or CURLE_FAILED_INIT with `error` (static
/// text, or dlerror's) saying why.
CURLcode adjoin_curl_load(const char **error);

// After a successful adjoin_curl_load only.
CURL *adjoin_curl_easy_init(void);
void adjoin_curl_easy_cleanup(CURL *curl);
void adjoin_curl_easy_reset(CURL *curl);
CURLcode adjoin_curl_easy_perform(CURL *curl);
const char *adjoin_curl_easy_strerror(CURLcode code);
struct curl_slist *adjoin_curl_slist_append(struct curl_slist *list, const char *text);

CURLcode adjoin_curl_set_long(CURL *curl, CURLoption option, long value);
CURLcode adjoin_curl_set_string(CURL *curl, CURLoption option, const char *value);
CURLcode adjoin_curl_set_pointer(CURL *curl, CURLoption option, const void *value);
CURLcode adjoin_curl_set_size(CURL *curl, CURLoption option, curl_off_t value);

/// Response bytes go to `sink` with `context`; the sink returns how many it took (fewer aborts).
typedef size_t (*adjoin_curl_sink)(char *data, size_t size, size_t count, void *context);
CURLcode adjoin_curl_set_sink(CURL *curl, adjoin_curl_sink sink, void *context);

/// Only http and https, for the request and for any redirect (none are followed).
CURLcode adjoin_curl_allow_http_only(CURL *curl);

CURLcode adjoin_curl_get_long(CURL *curl, CURLINFO info, long *value);

/// Frees a header list after overwriting its strings: one of them may carry a session token.
void adjoin_curl_slist_free_wiped(struct curl_slist *list);

#endif
