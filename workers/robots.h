/* robots: robots.txt (RFC 9309) as a crawl obeys it (docs/campaigns.md,
 * "robots.txt").
 *
 * Parsing: the first 500 KiB of the file; `user-agent` lines open a group
 * (consecutive ones share it), `allow` / `disallow` rules belong to the
 * group, `crawl-delay` too (seconds, fractions allowed, at most 300);
 * comments, unknown lines and `sitemap` are skipped. The groups naming the
 * crawler's product token (case-insensitive) are merged; without one, the
 * `*` groups are; without either, everything is allowed. Matching: the
 * URL's path and query against each rule, `*` any run of characters and a
 * final `$` the end; the longest matching rule (in octets) decides, an
 * allow winning a tie; no match allows; /robots.txt is always allowed.
 * Percent-escapes compare case-insensitively.
 *
 * The cache keeps one answer per origin (scheme, host, port): the parsed
 * file for 24 h; a 4xx other than 429 (no file) allows everything for 24 h;
 * a 5xx, a 429 or no answer at all disallows everything for
 * `unreachable_s` seconds, after which the file is asked for again.
 *
 * Rules are immutable after robots_parse (threads may read them); the
 * cache is thread-safe (one mutex; a fetch runs outside it, and a thread
 * needing an origin another thread is fetching waits for that answer).
 * robots_rules_free(NULL) and robots_cache_destroy(NULL) are no-ops. */
#ifndef LSCAN_ROBOTS_H
#define LSCAN_ROBOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/base/bytebuf.h"

struct fetcher;

#define ROBOTS_MAX_BYTES ((size_t)500 << 10)
#define ROBOTS_TTL_S (24u * 3600u)
#define ROBOTS_MAX_CRAWL_DELAY_MS 300000u

typedef struct robots_rules robots_rules;

/* Parses a robots.txt for the crawler whose product token is `product`
 * ("lscan"). NULL only when out of memory. The caller owns the result. */
robots_rules *robots_parse(const char *text, size_t length, const char *product);
void robots_rules_free(robots_rules *r);
/* Whether `path` (the URL's path and query, "/p/1?x=2") may be fetched. */
bool robots_rules_allow(const robots_rules *r, const char *path);
/* The group's Crawl-delay in milliseconds (0: none), at most ROBOTS_MAX_CRAWL_DELAY_MS. */
unsigned robots_rules_crawl_delay_ms(const robots_rules *r);

typedef enum robots_verdict {
    ROBOTS_ALLOWED = 0,
    ROBOTS_DISALLOWED,       /* a rule of the file */
    ROBOTS_UNREACHABLE,      /* the file answered 5xx or 429, or not at all: everything is disallowed for a while */
} robots_verdict;

/* What fetching an origin's /robots.txt gave: the final HTTP status (0 when
 * nothing answered) and the body (borrowed for the call). */
typedef struct robots_response {
    long status;
    const char *body;
    size_t length;
} robots_response;

/* Fetches robots_url (absolute) into *out; called by the cache without its
 * lock held, from the thread that asked. */
typedef void (*robots_fetch_fn)(void *ctx, const char *robots_url, robots_response *out);

/* The fetch a robots_fetch_fn makes, shared by the scan and the re-checks:
 * robots_url through `f` (created by the caller with its own address
 * policy), asked again twice at once after a connection failure, a reset, a
 * cut body or a 5xx. The answer's body, at most ROBOTS_MAX_BYTES, is copied
 * into *body and *out points into it. When the file could not be had (a
 * failure, a 5xx or a 429), `why` gets the reason ("" otherwise). Returns
 * -1 when curl refused the transfer (why says so), else 0. Blocks for at
 * most three transfers' own timeouts; `f` belongs to the caller's thread. */
int robots_fetch_file(struct fetcher *f, const char *robots_url, uint32_t target, bytebuf *body,
                      robots_response *out, char *why, size_t why_size);

typedef struct robots_cache robots_cache;

/* NULL when out of memory. unreachable_s: how long an unreachable file
 * disallows its origin (0: 600 s). */
robots_cache *robots_cache_create(const char *product, unsigned unreachable_s);
void robots_cache_destroy(robots_cache *c);

/* The verdict for url. When the origin's answer is missing or has expired
 * the file is fetched first through `fetch` (by one thread; the others use
 * the expired answer, or wait for a missing one); *crawl_delay_ms (may be
 * NULL) is then set to its Crawl-delay, else left alone, and *fetched (may
 * be NULL) says whether a fetch happened in this call. A URL without an
 * origin is ROBOTS_ALLOWED (the frontier refuses it anyway). */
robots_verdict robots_cache_check(robots_cache *c, const char *url, robots_fetch_fn fetch, void *ctx,
                                  unsigned *crawl_delay_ms, bool *fetched);

#endif
