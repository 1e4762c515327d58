/* url: parsing, resolving and building http(s) URLs (url.h). */
#include "rules/base/url.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_http_scheme(const char *s, size_t n)
{
    return (n == 4 && !strncasecmp(s, "http", 4)) || (n == 5 && !strncasecmp(s, "https", 5));
}

/* Writes the path with "." and ".." segments removed; path starts with '/'.
 * out has room for n + 1 bytes. Returns the length written. */
static size_t remove_dot_segments(const char *path, size_t n, char *out)
{
    size_t o = 0, i = 0;
    while (i < n) {
        size_t s = i + 1, e = s;
        while (e < n && path[e] != '/')
            e++;
        size_t len = e - s;
        bool last = e >= n;
        if (len == 1 && path[s] == '.') {
            if (last)
                out[o++] = '/';
        } else if (len == 2 && path[s] == '.' && path[s + 1] == '.') {
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
            if (last)
                out[o++] = '/';
        } else {
            out[o++] = '/';
            memcpy(out + o, path + s, len);
            o += len;
        }
        i = e;
    }
    if (!o)
        out[o++] = '/';
    return o;
}

/* Splits an absolute http(s) URL: scheme length, authority [a, a_end), and
 * the rest (path, query; no fragment) from a_end. False when not one, or
 * when the authority holds user information. */
static bool split_url(const char *u, size_t n, size_t *scheme_len, size_t *a, size_t *a_end)
{
    size_t i = 0;
    while (i < n && u[i] != ':')
        i++;
    if (i >= n || !is_http_scheme(u, i) || i + 2 >= n || u[i + 1] != '/' || u[i + 2] != '/')
        return false;
    *scheme_len = i;
    *a = i + 3;
    size_t e = *a;
    while (e < n && u[e] != '/' && u[e] != '?' && u[e] != '#') {
        if (u[e] == '@' || u[e] == '\\')
            return false;
        e++;
    }
    if (e == *a)
        return false; /* no host */
    *a_end = e;
    return true;
}

/* Assembles scheme://authority + path?query into out, normalizing the case
 * of scheme and host and the path's dot segments. */
static bool assemble(const char *scheme, size_t scheme_len, const char *auth, size_t auth_len, const char *rest,
                     size_t rest_len, char *out, size_t out_size)
{
    size_t q = 0;
    while (q < rest_len && rest[q] != '?')
        q++;
    /* worst case: scheme "://" authority '/' path query NUL */
    if (scheme_len + 3 + auth_len + 1 + rest_len + 1 > out_size || scheme_len + 3 + auth_len + 1 + rest_len + 1 > URL_MAX)
        return false;
    size_t o = 0;
    for (size_t i = 0; i < scheme_len; i++)
        out[o++] = (char)((scheme[i] >= 'A' && scheme[i] <= 'Z') ? scheme[i] + 32 : scheme[i]);
    memcpy(out + o, "://", 3);
    o += 3;
    for (size_t i = 0; i < auth_len; i++)
        out[o++] = (char)((auth[i] >= 'A' && auth[i] <= 'Z') ? auth[i] + 32 : auth[i]);
    if (q == 0 || rest[0] != '/') {
        out[o++] = '/';
        if (q && rest[0] != '/') /* cannot happen for callers: rest starts with '/' or '?' */
            return false;
    } else {
        o += remove_dot_segments(rest, q, out + o);
    }
    memcpy(out + o, rest + q, rest_len - q);
    o += rest_len - q;
    out[o] = '\0';
    return true;
}

bool url_resolve(const char *base, const char *href, char *out, size_t out_size)
{
    if (!href || !out || !out_size)
        return false;
    /* Clean: trim, drop tabs and newlines inside, encode spaces, refuse other controls. */
    char clean[URL_MAX];
    size_t n = 0;
    const char *s = href;
    while (*s && ((unsigned char)*s <= ' '))
        s++;
    size_t len = strlen(s);
    while (len && (unsigned char)s[len - 1] <= ' ')
        len--;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\t' || c == '\n' || c == '\r')
            continue;
        if (c == '#')
            break; /* the fragment never matters to a crawler */
        if (c < ' ' || c == 0x7f)
            return false;
        if (c == ' ') {
            if (n + 3 >= sizeof clean)
                return false;
            memcpy(clean + n, "%20", 3);
            n += 3;
            continue;
        }
        if (n + 1 >= sizeof clean)
            return false;
        clean[n++] = (char)c;
    }
    clean[n] = '\0';
    if (!n)
        return false; /* empty, or fragment only */

    /* A scheme? */
    size_t i = 0;
    if ((clean[0] | 32) >= 'a' && (clean[0] | 32) <= 'z') {
        i = 1;
        while (i < n && (((clean[i] | 32) >= 'a' && (clean[i] | 32) <= 'z') || (clean[i] >= '0' && clean[i] <= '9') ||
                         clean[i] == '+' || clean[i] == '-' || clean[i] == '.'))
            i++;
        if (i < n && clean[i] == ':') {
            size_t sl, a, ae;
            if (!split_url(clean, n, &sl, &a, &ae))
                return false; /* javascript:, mailto:, data:, "http:foo", user@host, ... */
            return assemble(clean, sl, clean + a, ae - a, clean + ae, n - ae, out, out_size);
        }
    }

    size_t bn = base ? strlen(base) : 0;
    size_t bsl, ba, bae;
    if (!base || !split_url(base, bn, &bsl, &ba, &bae))
        return false;
    size_t bfrag = bae;
    while (bfrag < bn && base[bfrag] != '#')
        bfrag++;
    size_t bquery = bae;
    while (bquery < bfrag && base[bquery] != '?')
        bquery++;

    if (n >= 2 && clean[0] == '/' && clean[1] == '/') { /* scheme-relative */
        size_t sl, a, ae;
        char tmp[URL_MAX + 8];
        if (bsl + 1 + n + 1 > sizeof tmp)
            return false;
        memcpy(tmp, base, bsl);
        tmp[bsl] = ':';
        memcpy(tmp + bsl + 1, clean, n + 1);
        size_t tn = bsl + 1 + n;
        if (!split_url(tmp, tn, &sl, &a, &ae))
            return false;
        return assemble(tmp, sl, tmp + a, ae - a, tmp + ae, tn - ae, out, out_size);
    }
    char rest[URL_MAX * 2 + 2];
    size_t r = 0;
    if (clean[0] == '/') {
        memcpy(rest, clean, n);
        r = n;
    } else {
        /* the base path kept in front of `clean`: all of it for "?query", its
         * directory (up to and including the last '/') for a relative path */
        size_t kept_end = bquery;
        if (clean[0] != '?')
            while (kept_end > bae && base[kept_end - 1] != '/')
                kept_end--;
        size_t pl = kept_end - bae;
        if (pl + n + 2 >= sizeof rest)
            return false;
        if (pl == 0)
            rest[r++] = '/';
        memcpy(rest + r, base + bae, pl);
        r += pl;
        memcpy(rest + r, clean, n);
        r += n;
    }
    return assemble(base, bsl, base + ba, bae - ba, rest, r, out, out_size);
}

char *url_resolve_dup(const char *base, const char *href)
{
    char out[URL_MAX];
    return href && url_resolve(base, href, out, sizeof out) ? strdup(out) : NULL;
}

bool url_parse(const char *url, url_parts *out)
{
    if (!url || !out)
        return false;
    size_t n = strnlen(url, URL_MAX + 1);
    size_t scheme_length, a, a_end;
    if (n > URL_MAX || !split_url(url, n, &scheme_length, &a, &a_end))
        return false;
    memset(out, 0, sizeof *out);
    out->https = scheme_length == 5;
    const char *host = url + a, *host_end = url + a_end, *port_text = NULL;
    if (*host == '[') {
        const char *close = memchr(host, ']', (size_t)(host_end - host));
        if (!close)
            return false;
        if (close + 1 < host_end) {
            if (close[1] != ':')
                return false;
            port_text = close + 2;
        }
        host++;
        host_end = close;
    } else {
        const char *colon = memchr(host, ':', (size_t)(host_end - host));
        if (colon) {
            port_text = colon + 1;
            host_end = colon;
        }
    }
    if (host_end > host && host_end[-1] == '.')
        host_end--; /* "shop.vn." is "shop.vn" */
    size_t host_length = (size_t)(host_end - host);
    if (host_length == 0 || host_length >= sizeof out->host)
        return false;
    for (size_t i = 0; i < host_length; i++) {
        unsigned char c = (unsigned char)host[i];
        if (!(isalnum(c) || c == '-' || c == '.' || c == '_' || (c == ':' && url[a] == '[')))
            return false; /* percent-encoding, spaces, controls: not a host we fetch */
        out->host[i] = (char)tolower(c);
    }
    out->host[host_length] = '\0';
    out->port = out->https ? 443 : 80;
    if (port_text) {
        const char *end = url + a_end;
        if (port_text == end)
            return false;
        unsigned long port = 0;
        for (const char *p = port_text; p < end; p++) {
            if (*p < '0' || *p > '9' || p - port_text > 5)
                return false;
            port = port * 10 + (unsigned)(*p - '0');
        }
        if (port == 0 || port > 65535)
            return false;
        out->port = (unsigned)port;
    }
    const char *rest = url + a_end, *fragment = strchr(rest, '#');
    size_t rest_length = fragment ? (size_t)(fragment - rest) : n - a_end;
    const char *question = memchr(rest, '?', rest_length);
    out->path = rest;
    out->path_length = question ? (size_t)(question - rest) : rest_length;
    if (question) {
        out->query = question + 1;
        out->query_length = rest_length - out->path_length - 1;
    }
    return true;
}

bool url_origin(const char *url, char *out, size_t size)
{
    url_parts p;
    if (!url_parse(url, &p))
        return false;
    bool v6 = strchr(p.host, ':') != NULL;
    bool default_port = p.port == (p.https ? 443u : 80u);
    int n = default_port ? snprintf(out, size, "%s://%s%s%s", p.https ? "https" : "http", v6 ? "[" : "", p.host,
                                    v6 ? "]" : "")
                         : snprintf(out, size, "%s://%s%s%s:%u", p.https ? "https" : "http", v6 ? "[" : "", p.host,
                                    v6 ? "]" : "", p.port);
    return n > 0 && (size_t)n < size;
}

bool url_same_origin(const char *a, const char *b)
{
    url_parts x, y;
    return url_parse(a, &x) && url_parse(b, &y) && x.https == y.https && x.port == y.port && !strcmp(x.host, y.host);
}

bool url_within(const char *url, const char *scope)
{
    url_parts u, s;
    if (!url_parse(url, &u) || !url_parse(scope, &s) || u.https != s.https || u.port != s.port ||
        strcmp(u.host, s.host))
        return false;
    size_t sn = s.path_length;
    while (sn && s.path[sn - 1] == '/')
        sn--;
    if (sn == 0)
        return true;
    return u.path_length >= sn && !memcmp(u.path, s.path, sn) && (u.path_length == sn || u.path[sn] == '/');
}

char *url_join(const char *base, const char *path)
{
    bytebuf out;
    bytebuf_init(&out, URL_MAX * 4);
    size_t n = strlen(base);
    while (n && base[n - 1] == '/')
        n--;
    bytebuf_append(&out, base, n);
    bytebuf_append_string(&out, path);
    if (out.overflow || !out.data) {
        bytebuf_free(&out);
        return NULL;
    }
    return bytebuf_detach(&out, NULL);
}

void url_encode_component(bytebuf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            bytebuf_append_char(out, (char)*p);
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            bytebuf_append(out, esc, 3);
        }
    }
}

char *url_with_parameter(const char *url, const char *name, const char *value)
{
    bytebuf out;
    bytebuf_init(&out, URL_MAX * 4);
    const char *query = strchr(url, '?');
    size_t name_length = strlen(name);
    bool replaced = false;
    if (!query) {
        bytebuf_append_string(&out, url);
    } else {
        bytebuf_append(&out, url, (size_t)(query - url));
        const char *p = query + 1;
        char separator = '?';
        while (*p) {
            size_t n = strcspn(p, "&#");
            bytebuf_append_char(&out, separator);
            separator = '&';
            if (n > name_length && !strncmp(p, name, name_length) && p[name_length] == '=') {
                bytebuf_printf(&out, "%s=%s", name, value);
                replaced = true;
            } else {
                bytebuf_append(&out, p, n);
            }
            p += n;
            if (*p == '&')
                p++;
            else
                break;
        }
    }
    if (!replaced)
        bytebuf_printf(&out, "%c%s=%s", strchr(out.data ? out.data : "", '?') ? '&' : '?', name, value);
    if (out.overflow) {
        bytebuf_free(&out);
        return NULL;
    }
    return bytebuf_detach(&out, NULL);
}

long url_query_long(const char *url, const char *name, long fallback)
{
    const char *query = strchr(url, '?');
    size_t n = strlen(name);
    for (const char *p = query; p && *p; p = strchr(p + 1, '&')) {
        if (!strncmp(p + 1, name, n) && p[1 + n] == '=')
            return strtol(p + 2 + n, NULL, 10);
    }
    return fallback;
}
