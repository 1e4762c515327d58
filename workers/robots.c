/* robots: see robots.h. */
#include "workers/robots.h"
#include "rules/base/url.h"
#include "workers/fetch.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_PATTERN 2048
#define MAX_ORIGINS 4096

typedef struct rule {
    char *pattern;            /* percent-escapes uppercased */
    size_t length;
    bool allow;
} rule;

struct robots_rules {
    rule *rules;
    size_t count, capacity;
    unsigned crawl_delay_ms;
};

void robots_rules_free(robots_rules *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->count; i++)
        free(r->rules[i].pattern);
    free(r->rules);
    free(r);
}

/* Copies s (n bytes) with every %xx uppercased, so escapes compare alike. */
static char *normalized(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        out[i] = s[i];
        if (i >= 1 && i <= n - 1 && (s[i - 1] == '%' || (i >= 2 && s[i - 2] == '%')) && isxdigit((unsigned char)s[i]))
            out[i] = (char)toupper((unsigned char)s[i]);
    }
    out[n] = '\0';
    return out;
}

static bool add_rule(robots_rules *r, const char *value, size_t n, bool allow)
{
    if (r->count == r->capacity) {
        size_t capacity = r->capacity ? r->capacity * 2 : 16;
        rule *grown = realloc(r->rules, capacity * sizeof *grown);
        if (!grown)
            return false;
        r->rules = grown;
        r->capacity = capacity;
    }
    char *pattern = normalized(value, n);
    if (!pattern)
        return false;
    r->rules[r->count++] = (rule){pattern, n, allow};
    return true;
}

/* Whether a user-agent line's value names the product ("LScan",
 * "lscan/0.2"); "*" is told apart by the caller. */
static bool names_product(const char *value, size_t n, const char *product)
{
    size_t token = 0;
    while (token < n && value[token] != '/' && !isspace((unsigned char)value[token]))
        token++;
    return token == strlen(product) && !strncasecmp(value, product, token);
}

typedef enum group_kind { GROUP_OTHER, GROUP_STAR, GROUP_PRODUCT } group_kind;

robots_rules *robots_parse(const char *text, size_t length, const char *product)
{
    if (length > ROBOTS_MAX_BYTES)
        length = ROBOTS_MAX_BYTES; /* RFC 9309: at least 500 KiB are read; the rest is not */
    robots_rules *product_rules = calloc(1, sizeof *product_rules), *star_rules = calloc(1, sizeof *star_rules);
    if (!product_rules || !star_rules)
        goto fail;
    bool product_seen = false, star_seen = false;
    /* the current group: which agents it names, and whether a rule already closed its user-agent lines */
    bool for_product = false, for_star = false, in_rules = false;
    const char *p = text, *end = text + length;
    if (length >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
        p += 3;
    while (p < end) {
        const char *line_end = memchr(p, '\n', (size_t)(end - p));
        if (!line_end)
            line_end = end;
        const char *e = line_end;
        const char *hash = memchr(p, '#', (size_t)(e - p));
        if (hash)
            e = hash;
        const char *colon = memchr(p, ':', (size_t)(e - p));
        if (colon) {
            const char *k = p, *ke = colon, *v = colon + 1, *ve = e;
            while (k < ke && isspace((unsigned char)*k))
                k++;
            while (ke > k && isspace((unsigned char)ke[-1]))
                ke--;
            while (v < ve && isspace((unsigned char)*v))
                v++;
            while (ve > v && isspace((unsigned char)ve[-1]))
                ve--;
            size_t kn = (size_t)(ke - k), vn = (size_t)(ve - v);
            if (kn == 10 && !strncasecmp(k, "user-agent", 10)) {
                if (in_rules) { /* a new group */
                    for_product = for_star = false;
                    in_rules = false;
                }
                if (vn == 1 && *v == '*') {
                    for_star = true;
                    star_seen = true;
                } else if (names_product(v, vn, product)) {
                    for_product = true;
                    product_seen = true;
                }
            } else if ((kn == 5 && !strncasecmp(k, "allow", 5)) || (kn == 8 && !strncasecmp(k, "disallow", 8))) {
                in_rules = true;
                bool allow = kn == 5;
                /* "Disallow:" with nothing disallows nothing; overlong patterns are skipped */
                if (vn && vn <= MAX_PATTERN) {
                    if (for_product && !add_rule(product_rules, v, vn, allow))
                        goto fail;
                    if (for_star && !add_rule(star_rules, v, vn, allow))
                        goto fail;
                }
            } else if (kn == 11 && !strncasecmp(k, "crawl-delay", 11)) {
                in_rules = true;
                char number[32];
                snprintf(number, sizeof number, "%.*s", (int)(vn < 31 ? vn : 31), v);
                char *stop;
                double seconds = strtod(number, &stop);
                if (stop != number && seconds > 0) {
                    double ms = seconds * 1000.0;
                    unsigned delay = ms >= ROBOTS_MAX_CRAWL_DELAY_MS ? ROBOTS_MAX_CRAWL_DELAY_MS : (unsigned)ms;
                    if (for_product && delay > product_rules->crawl_delay_ms)
                        product_rules->crawl_delay_ms = delay;
                    if (for_star && delay > star_rules->crawl_delay_ms)
                        star_rules->crawl_delay_ms = delay;
                }
            } else if (kn == 7 && !strncasecmp(k, "sitemap", 7)) {
                /* not part of any group */
            }
        }
        p = line_end + 1;
    }
    if (product_seen || !star_seen) {
        robots_rules_free(star_rules);
        return product_rules; /* no group for us or for everyone: empty, everything allowed */
    }
    robots_rules_free(product_rules);
    return star_rules;
fail:
    robots_rules_free(product_rules);
    robots_rules_free(star_rules);
    return NULL;
}

/* Whether the pattern matches the start of the path ('*' any run, a final
 * '$' the end). Iterative, with one backtracking point per '*': O(n*m) at
 * worst, bounded by MAX_PATTERN and the URL's length. */
static bool pattern_matches(const char *pattern, size_t pn, const char *path)
{
    bool anchored = pn && pattern[pn - 1] == '$';
    if (anchored)
        pn--;
    size_t i = 0, j = 0, star = SIZE_MAX, mark = 0;
    size_t n = strlen(path);
    for (;;) {
        if (i == pn) {
            if (!anchored || j == n)
                return true;
        } else if (pattern[i] == '*') {
            star = i++;
            mark = j;
            continue;
        } else if (j < n && pattern[i] == path[j]) {
            i++;
            j++;
            continue;
        }
        if (star == SIZE_MAX || mark >= n)
            return false;
        i = star + 1;
        j = ++mark;
    }
}

bool robots_rules_allow(const robots_rules *r, const char *path)
{
    if (!r || !strcmp(path, "/robots.txt"))
        return true;
    char *subject = normalized(path, strlen(path));
    if (!subject)
        return true;
    size_t best = 0;
    bool found = false, allow = true;
    for (size_t i = 0; i < r->count; i++) {
        const rule *x = &r->rules[i];
        if (!pattern_matches(x->pattern, x->length, subject))
            continue;
        if (!found || x->length > best || (x->length == best && x->allow)) {
            found = true;
            best = x->length;
            allow = x->allow;
        }
    }
    free(subject);
    return allow;
}

unsigned robots_rules_crawl_delay_ms(const robots_rules *r)
{
    return r ? r->crawl_delay_ms : 0;
}

/* ---- the cache ------------------------------------------------------------------ */

typedef enum entry_state { ENTRY_FILE, ENTRY_ALLOW_ALL, ENTRY_UNREACHABLE } entry_state;

typedef struct origin_entry {
    char origin[256];
    bool known, fetching;
    entry_state state;
    robots_rules *rules;      /* ENTRY_FILE */
    time_t expires;
} origin_entry;

struct robots_cache {
    pthread_mutex_t lock;     /* guards everything below */
    pthread_cond_t answered;
    char product[64];
    unsigned unreachable_s;
    origin_entry *entries;
    size_t count;
};

robots_cache *robots_cache_create(const char *product, unsigned unreachable_s)
{
    robots_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->entries = calloc(MAX_ORIGINS, sizeof *c->entries);
    if (!c->entries) {
        free(c);
        return NULL;
    }
    snprintf(c->product, sizeof c->product, "%s", product);
    c->unreachable_s = unreachable_s ? unreachable_s : 600;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->answered, NULL);
    return c;
}

void robots_cache_destroy(robots_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->count; i++)
        robots_rules_free(c->entries[i].rules);
    free(c->entries);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->answered);
    free(c);
}

static robots_verdict verdict_of(const origin_entry *e, const char *path)
{
    switch (e->state) {
    case ENTRY_ALLOW_ALL: return ROBOTS_ALLOWED;
    case ENTRY_UNREACHABLE: return !strcmp(path, "/robots.txt") ? ROBOTS_ALLOWED : ROBOTS_UNREACHABLE;
    default: return robots_rules_allow(e->rules, path) ? ROBOTS_ALLOWED : ROBOTS_DISALLOWED;
    }
}

robots_verdict robots_cache_check(robots_cache *c, const char *url, robots_fetch_fn fetch, void *ctx,
                                  unsigned *crawl_delay_ms, bool *fetched)
{
    if (fetched)
        *fetched = false;
    url_parts parts;
    char origin[256];
    if (!url_parse(url, &parts) || !url_origin(url, origin, sizeof origin))
        return ROBOTS_ALLOWED;
    char path[4096];
    size_t path_length = parts.path_length ? parts.path_length : 1;
    snprintf(path, sizeof path, "%.*s%s%.*s", (int)path_length, parts.path_length ? parts.path : "/",
             parts.query ? "?" : "", parts.query ? (int)parts.query_length : 0, parts.query ? parts.query : "");
    pthread_mutex_lock(&c->lock);
    origin_entry *e = NULL;
    for (size_t i = 0; i < c->count && !e; i++)
        if (!strcmp(c->entries[i].origin, origin))
            e = &c->entries[i];
    if (!e) {
        if (c->count == MAX_ORIGINS) { /* more origins than any campaign has: ask, without remembering */
            pthread_mutex_unlock(&c->lock);
            return ROBOTS_ALLOWED;
        }
        e = &c->entries[c->count++];
        snprintf(e->origin, sizeof e->origin, "%s", origin);
    }
    time_t now = time(NULL);
    while (!e->known && e->fetching)
        pthread_cond_wait(&c->answered, &c->lock); /* another thread is asking: its answer is ours */
    if (e->known && (now < e->expires || e->fetching)) {
        robots_verdict v = verdict_of(e, path);
        pthread_mutex_unlock(&c->lock);
        return v;
    }
    e->fetching = true;
    pthread_mutex_unlock(&c->lock);

    char robots_url[300];
    snprintf(robots_url, sizeof robots_url, "%s/robots.txt", origin);
    robots_response response = {0};
    fetch(ctx, robots_url, &response);
    robots_rules *rules = NULL;
    entry_state state;
    unsigned ttl = ROBOTS_TTL_S;
    if (response.status >= 200 && response.status < 300) {
        rules = robots_parse(response.body ? response.body : "", response.body ? response.length : 0, c->product);
        state = rules ? ENTRY_FILE : ENTRY_UNREACHABLE; /* out of memory: the safe side, for a while */
        if (!rules)
            ttl = c->unreachable_s;
    } else if (response.status >= 400 && response.status < 500 && response.status != 429) {
        state = ENTRY_ALLOW_ALL; /* RFC 9309 2.3.1.3: unavailable, no restrictions */
    } else {
        state = ENTRY_UNREACHABLE; /* 2.3.1.4: unreachable, complete disallow (for a while) */
        ttl = c->unreachable_s;
    }
    if (crawl_delay_ms && rules)
        *crawl_delay_ms = robots_rules_crawl_delay_ms(rules);
    if (fetched)
        *fetched = true;
    pthread_mutex_lock(&c->lock);
    robots_rules_free(e->rules);
    e->rules = rules;
    e->state = state;
    e->known = true;
    e->fetching = false;
    e->expires = time(NULL) + (time_t)ttl;
    robots_verdict v = verdict_of(e, path);
    pthread_cond_broadcast(&c->answered);
    pthread_mutex_unlock(&c->lock);
    return v;
}

int robots_fetch_file(fetcher *f, const char *robots_url, uint32_t target, bytebuf *body, robots_response *out,
                      char *why, size_t why_size)
{
    out->status = 0;
    out->body = NULL;
    out->length = 0;
    why[0] = '\0';
    for (int attempt = 0; attempt < 3; attempt++) {
        if (fetcher_start(f, robots_url, target, NULL) < 0) {
            snprintf(why, why_size, "curl refused the transfer");
            return -1;
        }
        fetch_result result;
        /* bounded: the transfer's own timeout ends it */
        while (!fetcher_next(f, &result))
            fetcher_run(f, 100);
        bool transient = result.failed ? result.error == FETCH_CONNECT || result.error == FETCH_RESET ||
                                             result.error == FETCH_TRUNCATED
                                       : result.status >= 500;
        if (!transient || attempt == 2) {
            if (result.failed)
                snprintf(why, why_size, "%s: %.300s", fetch_error_name(result.error), result.error_text);
            else if (result.status >= 500 || result.status == 429)
                snprintf(why, why_size, "HTTP %ld", result.status);
            bytebuf_reset(body);
            if (!result.failed) {
                out->status = result.status;
                size_t keep = result.body_length < ROBOTS_MAX_BYTES ? result.body_length : ROBOTS_MAX_BYTES;
                bytebuf_append(body, result.body, keep);
                out->body = body->data;
                out->length = body->length;
            }
            fetcher_release(f, &result);
            return 0;
        }
        fetcher_release(f, &result);
    }
    return 0;
}
