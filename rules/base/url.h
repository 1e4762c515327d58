/* url: the one place lscan reads, resolves and builds http(s) URLs
 * (RFC 3986, as much of it as a crawler needs).
 *
 * Every function is pure and thread-safe. Functions returning char * give a
 * malloc'd string the caller frees (NULL on failure); the others write into
 * the caller's buffer and say whether they could. Only http and https URLs
 * are accepted anywhere; URLs with user information ("user@host") are
 * refused, because "http://shop.vn@evil.test/" names evil.test, not shop.vn. */
#ifndef LSCAN_URL_H
#define LSCAN_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "rules/base/bytebuf.h"

#define URL_MAX 2048          /* longer URLs are refused */

/* The parts of an absolute http(s) URL. host is lowercased, without the
 * brackets of an IPv6 literal and without a trailing dot; port is the
 * explicit port or the scheme's default. path and query point into the URL
 * given (path "" means "/"; query excludes the '?'); the fragment is not
 * part of either. */
typedef struct url_parts {
    bool https;
    char host[256];
    unsigned port;
    const char *path;
    size_t path_length;
    const char *query;      /* NULL when there is no '?' */
    size_t query_length;
} url_parts;

/* Parses an absolute http(s) URL. False for another scheme, a missing or
 * invalid host, user information, a port that is not 1..65535. */
bool url_parse(const char *url, url_parts *out);

/* The origin "scheme://host[:port]" (lowercase, the default port left out)
 * into out; false when the URL does not parse or out is too small. */
bool url_origin(const char *url, char *out, size_t size);

/* True when both URLs parse and have the same scheme, host and port. */
bool url_same_origin(const char *a, const char *b);

/* True when `url` has the same origin as `scope` and its path is the
 * scope's path or below it on a segment boundary: scope "http://h/store"
 * contains "http://h/store", "http://h/store/p/1" and "http://h/store?x",
 * but not "http://h/storeX". A scope path of "" or "/" contains every path. */
bool url_within(const char *url, const char *scope);

/* Resolves `href` against `base` (an absolute http(s) URL, or NULL) into
 * `out`: absolute http(s) URLs pass, "//host/path" takes the base scheme,
 * "/path" the base scheme and host, "?query" the base path, other relative
 * paths join the base directory; dot segments are removed, scheme and host
 * lowercased and the fragment dropped. False (out untouched or empty) for
 * javascript:, mailto:, data: and every other scheme, user information,
 * fragment-only links, empty or over-long input. */
bool url_resolve(const char *base, const char *href, char *out, size_t out_size);
/* The same, malloc'd. */
char *url_resolve_dup(const char *base, const char *href);

/* base + path, with base's trailing slashes dropped: ("http://h/shop/", "/p")
 * gives "http://h/shop/p". */
char *url_join(const char *base, const char *path);

/* Appends `s` percent-encoded for a query value or path segment (every byte
 * but A-Z a-z 0-9 - _ . ~). */
void url_encode_component(bytebuf *out, const char *s);

/* The URL with query parameter `name` set to `value` (added when absent);
 * `value` is written as given. */
char *url_with_parameter(const char *url, const char *name, const char *value);

/* The value of query parameter `name` as a number, or `fallback`. */
long url_query_long(const char *url, const char *name, long fallback);

#endif
