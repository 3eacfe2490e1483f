// What Swift cannot call in libcurl: curl_easy_setopt and curl_easy_getinfo are variadic, so each
// argument type gets a typed, prefixed function here.
#ifndef ADJOIN_CURL_H
#define ADJOIN_CURL_H

#include <curl/curl.h>

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
