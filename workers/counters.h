/* counters: what a crawl counts, shared by its threads (atomics: every
 * field may be read and added to from any thread), and the Prometheus text
 * they are served as (`--metrics`, docs/campaigns.md "Operations"). */
#ifndef LSCAN_COUNTERS_H
#define LSCAN_COUNTERS_H

#include <stdatomic.h>
#include <stdint.h>

#include "rules/base/bytebuf.h"
#include "rules/pack.h"
#include "workers/fetch.h"
#include "workers/frontier.h"

#define SCAN_MAX_TARGETS 64

/* Why an item of a marketplace's JSON gave no listing (a marketplace that
 * changes its JSON shows up as these numbers, never as silence). */
typedef enum item_drop {
    ITEM_DROP_NOT_OBJECT = 0, /* an item that is not a JSON object */
    ITEM_DROP_NO_ID,          /* no id where the adapter looks for one */
    ITEM_DROP_NO_TITLE,       /* no name/title where the adapter looks for one */
    ITEM_DROP_COUNT
} item_drop;

/* "not_object", "no_id", "no_title" (a static string). */
const char *item_drop_name(item_drop d);

typedef struct scan_counters {
    _Atomic uint64_t pages, bytes, listings, duplicate_listings, bad_listings, flags, flags_new, flags_known,
        retries, sink_failures, given_up, flags_spooled, flags_replayed;
    _Atomic uint64_t flags_cut;            /* flags whose listing text was cut to fit (flag.h) */
    _Atomic uint64_t pages_json_repaired;  /* pages with lone surrogate or NUL escapes repaired */
    _Atomic uint64_t json_repairs;         /* escapes repaired in them */
    _Atomic uint64_t links_offsite;        /* next-page and followed links refused: off the target's hosts */
    _Atomic uint64_t items_dropped[ITEM_DROP_COUNT]; /* marketplace items that gave no listing, by reason */
    _Atomic uint64_t pages_captured;       /* pages written to the evidence archive (WARC) */
    _Atomic uint64_t capture_failures;     /* pages that could not be archived (their flags carry warc: null) */
    _Atomic uint64_t warc_bytes;           /* compressed WARC bytes written */
    _Atomic uint64_t screenshots, screenshot_failures;
    _Atomic uint64_t pages_charset_converted; /* pages and JSON responses converted to UTF-8 from another charset (or repaired) */
    _Atomic uint64_t pages_charset_wrong;  /* pages and JSON responses whose declared charset did not fit their bytes */
    _Atomic uint64_t pages_charset_unknown;/* pages and JSON responses declaring a charset iconv does not know */
    _Atomic uint64_t robots_disallowed;    /* URLs not fetched: a robots.txt rule disallows them */
    _Atomic uint64_t robots_unreachable;   /* URLs not fetched: the host's robots.txt answered 5xx or not at all */
    _Atomic uint64_t listing_urls_offsite; /* listings whose url is off the target's hosts (kept, never fetched) */
    _Atomic uint64_t errors[FETCH_ERROR_COUNT];       /* every failed attempt, by class */
    _Atomic uint64_t given_up_by[FETCH_ERROR_COUNT];  /* pages abandoned, by their last failure */
    _Atomic uint64_t flags_by_kind[RULE_KIND_COUNT];
    _Atomic uint64_t flags_by_target[SCAN_MAX_TARGETS];
} scan_counters;

/* Appends the Prometheus text of the counters, the frontier's sizes, the
 * bytes waiting in the spools and the rule set generation. Thread-safe (it
 * only reads atomics and the caller's snapshot). */
void counters_write_metrics(const scan_counters *c, const frontier_stats *frontier, uint64_t spool_bytes,
                            unsigned generation, bytebuf *out);

#endif
