/* frontier: the URLs a scan still has to fetch, shared by every worker.
 *
 * Per-host FIFO queues behind one politeness clock per host: at most
 * `per_host_concurrency` transfers in flight, requests spaced by at least
 * 1/requests_per_second, and a host that answered 429/503 with Retry-After
 * left alone that long. Every URL is fetched once (XXH3-64 seen-set); a
 * retry waits its backoff in a delay list. Bounded: at most `max_entries`
 * URLs wait (queued or delayed); beyond that a push is refused and counted.
 * Thread-safe: every call takes the frontier's one mutex (`lock`). */
#ifndef LSCAN_FRONTIER_H
#define LSCAN_FRONTIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct frontier frontier;

typedef struct frontier_options {
    unsigned per_host_concurrency;  /* >= 1 */
    double requests_per_second;     /* per host; 0 = no spacing */
    size_t max_entries;             /* URLs waiting at most */
    unsigned max_attempts;          /* first try plus retries */
    uint64_t max_pages;             /* pops in all; 0 = no limit */
} frontier_options;

/* A URL taken from the frontier. The caller owns `url` (free it) and must
 * hand the request back with frontier_finish or frontier_retry. */
typedef struct crawl_request {
    char *url;
    uint32_t target;        /* campaign target index */
    uint16_t kind;          /* what page this is, for the adapter */
    uint16_t attempt;       /* 0 for the first try */
    uint32_t host;          /* internal */
    void *entry;            /* internal: the frontier's record while in flight */
} crawl_request;

typedef struct frontier_stats {
    uint64_t queued, delayed, in_flight, seen, refused, popped, retried, hosts;
} frontier_stats;

int frontier_create(const frontier_options *options, frontier **out);
void frontier_destroy(frontier *f);
/* Adds a URL not seen before: 1 added, 0 already seen, -1 refused (full,
 * not http(s), or out of memory; counted). The URL is copied. */
int frontier_push(frontier *f, const char *url, uint32_t target, uint16_t kind);
/* Adds a URL to the seen-set without queueing it (a URL that will not be
 * fetched, counted once by the caller): 1 newly seen, 0 seen before, -1
 * out of memory. */
int frontier_mark_seen(frontier *f, const char *url);
/* Takes the next request its host allows now: 1 with *out filled; 0 when
 * nothing is allowed yet (*wait_ms: how long until something may be, at
 * most 1000); -1 when the scan is over (nothing queued, delayed or in
 * flight, or stopped, or max_pages reached). */
int frontier_pop(frontier *f, crawl_request *out, int *wait_ms);
/* The request is done (success or given up): frees its host slot and the
 * URL. retry_after_ms > 0 keeps the host idle that long. */
void frontier_finish(frontier *f, crawl_request *r, unsigned retry_after_ms);
/* Puts the request back for another attempt after delay_ms (and keeps the
 * host idle retry_after_ms). Returns false, and finishes it, when it has no
 * attempts left. */
bool frontier_retry(frontier *f, crawl_request *r, unsigned delay_ms, unsigned retry_after_ms);
/* Spaces the requests to url's origin at least interval_ms apart (a
 * robots.txt Crawl-delay): a lower bound, the campaign's spacing still
 * applies when it is longer. 0, or -1 (no origin, or out of hosts). */
int frontier_set_host_interval(frontier *f, const char *url, unsigned interval_ms);
/* No more pops: in-flight requests still finish. */
void frontier_stop(frontier *f);
void frontier_get_stats(frontier *f, frontier_stats *out);

/* Checkpoints. frontier_snapshot calls `url` for every URL still to fetch
 * (queued, delayed, and in flight: those are fetched again after a resume)
 * and `key` for every URL ever pushed, under the frontier's lock; the
 * callbacks must not call the frontier. frontier_restore_* rebuild that
 * state in an empty frontier (before any pop). */
typedef void (*frontier_url_visitor)(void *ctx, const char *url, uint32_t target, uint16_t kind, uint16_t attempt);
typedef void (*frontier_key_visitor)(void *ctx, uint64_t key);
void frontier_snapshot(frontier *f, frontier_url_visitor url, frontier_key_visitor key, void *ctx);
int frontier_restore_key(frontier *f, uint64_t key);
int frontier_restore_url(frontier *f, const char *url, uint32_t target, uint16_t kind, uint16_t attempt);


#endif
