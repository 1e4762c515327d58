/* counters: see counters.h. */
#include "workers/counters.h"

const char *item_drop_name(item_drop d)
{
    static const char *const names[ITEM_DROP_COUNT] = {"not_object", "no_id", "no_title"};
    return (unsigned)d < ITEM_DROP_COUNT ? names[d] : "unknown";
}

static void metric(bytebuf *out, const char *name, const char *type, const char *help)
{
    bytebuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void counters_write_metrics(const scan_counters *c, const frontier_stats *frontier, uint64_t spool_bytes,
                            unsigned generation, bytebuf *out)
{
    metric(out, "lscan_pages_total", "counter", "Pages fetched and read.");
    bytebuf_printf(out, "lscan_pages_total %llu\n", (unsigned long long)atomic_load(&c->pages));
    metric(out, "lscan_listings_total", "counter", "Distinct listings matched.");
    bytebuf_printf(out, "lscan_listings_total %llu\n", (unsigned long long)atomic_load(&c->listings));
    metric(out, "lscan_flags_total", "counter", "Suspected violations found, by rule kind.");
    for (int k = 0; k < RULE_KIND_COUNT; k++)
        bytebuf_printf(out, "lscan_flags_total{kind=\"%s\"} %llu\n", rule_kind_name((rule_kind)k),
                       (unsigned long long)atomic_load(&c->flags_by_kind[k]));
    metric(out, "lscan_errors_total", "counter", "Failed fetch attempts, by class.");
    for (int e = 0; e < FETCH_ERROR_COUNT; e++)
        bytebuf_printf(out, "lscan_errors_total{class=\"%s\"} %llu\n", fetch_error_name((fetch_error)e),
                       (unsigned long long)atomic_load(&c->errors[e]));
    metric(out, "lscan_pages_given_up_total", "counter", "Pages abandoned after their retries, by last failure.");
    for (int e = 0; e < FETCH_ERROR_COUNT; e++)
        bytebuf_printf(out, "lscan_pages_given_up_total{class=\"%s\"} %llu\n", fetch_error_name((fetch_error)e),
                       (unsigned long long)atomic_load(&c->given_up_by[e]));
    metric(out, "lscan_flags_cut_total", "counter", "Flags whose listing text was cut to fit the 1 MiB bound.");
    bytebuf_printf(out, "lscan_flags_cut_total %llu\n", (unsigned long long)atomic_load(&c->flags_cut));
    metric(out, "lscan_flags_not_accepted_total", "counter", "Flags the sink did not accept (neither Redis nor spool).");
    bytebuf_printf(out, "lscan_flags_not_accepted_total %llu\n", (unsigned long long)atomic_load(&c->sink_failures));
    metric(out, "lscan_listings_refused_total", "counter", "Listings without a required field, or with one of the wrong type.");
    bytebuf_printf(out, "lscan_listings_refused_total %llu\n", (unsigned long long)atomic_load(&c->bad_listings));
    metric(out, "lscan_pages_json_repaired_total", "counter", "Pages with lone surrogate or NUL escapes repaired.");
    bytebuf_printf(out, "lscan_pages_json_repaired_total %llu\n", (unsigned long long)atomic_load(&c->pages_json_repaired));
    metric(out, "lscan_items_dropped_total", "counter", "Marketplace items that gave no listing, by reason.");
    for (int d = 0; d < ITEM_DROP_COUNT; d++)
        bytebuf_printf(out, "lscan_items_dropped_total{reason=\"%s\"} %llu\n", item_drop_name((item_drop)d),
                       (unsigned long long)atomic_load(&c->items_dropped[d]));
    metric(out, "lscan_links_offsite_total", "counter", "Next-page and followed links refused: off the target's hosts.");
    bytebuf_printf(out, "lscan_links_offsite_total %llu\n", (unsigned long long)atomic_load(&c->links_offsite));
    metric(out, "lscan_listing_urls_offsite_total", "counter", "Listings whose url is off the target's hosts (kept, not fetched).");
    bytebuf_printf(out, "lscan_listing_urls_offsite_total %llu\n", (unsigned long long)atomic_load(&c->listing_urls_offsite));
    metric(out, "lscan_pages_charset_total", "counter", "Pages and JSON responses by charset trouble: converted to UTF-8, declared charset wrong, unknown charset.");
    bytebuf_printf(out, "lscan_pages_charset_total{result=\"converted\"} %llu\nlscan_pages_charset_total{result=\"wrong\"} %llu\n"
                        "lscan_pages_charset_total{result=\"unknown\"} %llu\n",
                   (unsigned long long)atomic_load(&c->pages_charset_converted),
                   (unsigned long long)atomic_load(&c->pages_charset_wrong),
                   (unsigned long long)atomic_load(&c->pages_charset_unknown));
    metric(out, "lscan_robots_skipped_total", "counter", "URLs not fetched because of robots.txt, by reason.");
    bytebuf_printf(out, "lscan_robots_skipped_total{reason=\"disallowed\"} %llu\nlscan_robots_skipped_total{reason=\"unreachable\"} %llu\n",
                   (unsigned long long)atomic_load(&c->robots_disallowed), (unsigned long long)atomic_load(&c->robots_unreachable));
    metric(out, "lscan_pages_captured_total", "counter", "Pages written to the evidence archive (WARC).");
    bytebuf_printf(out, "lscan_pages_captured_total %llu\n", (unsigned long long)atomic_load(&c->pages_captured));
    metric(out, "lscan_capture_failures_total", "counter", "Pages that could not be archived (their flags carry warc: null).");
    bytebuf_printf(out, "lscan_capture_failures_total %llu\n", (unsigned long long)atomic_load(&c->capture_failures));
    metric(out, "lscan_warc_bytes_total", "counter", "Compressed WARC bytes written.");
    bytebuf_printf(out, "lscan_warc_bytes_total %llu\n", (unsigned long long)atomic_load(&c->warc_bytes));
    metric(out, "lscan_screenshots_total", "counter", "Screenshots of flagged listings archived, and failed.");
    bytebuf_printf(out, "lscan_screenshots_total{result=\"ok\"} %llu\nlscan_screenshots_total{result=\"failed\"} %llu\n",
                   (unsigned long long)atomic_load(&c->screenshots), (unsigned long long)atomic_load(&c->screenshot_failures));
    metric(out, "lscan_retries_total", "counter", "Fetch attempts retried.");
    bytebuf_printf(out, "lscan_retries_total %llu\n", (unsigned long long)atomic_load(&c->retries));
    const frontier_stats fs = *frontier;
    metric(out, "lscan_frontier_urls", "gauge", "URLs waiting or in flight.");
    bytebuf_printf(out, "lscan_frontier_urls{state=\"queued\"} %llu\nlscan_frontier_urls{state=\"delayed\"} %llu\n"
                        "lscan_frontier_urls{state=\"in_flight\"} %llu\n",
                   (unsigned long long)fs.queued, (unsigned long long)fs.delayed, (unsigned long long)fs.in_flight);
    metric(out, "lscan_frontier_refused_total", "counter", "URLs refused because the frontier was full.");
    bytebuf_printf(out, "lscan_frontier_refused_total %llu\n", (unsigned long long)fs.refused);
    metric(out, "lscan_spool_bytes", "gauge", "Flags waiting in the local spool for Redis to return.");
    bytebuf_printf(out, "lscan_spool_bytes %llu\n", (unsigned long long)spool_bytes);
    metric(out, "lscan_ruleset_generation", "gauge", "Rule set version: 0 at start, +1 per reload.");
    bytebuf_printf(out, "lscan_ruleset_generation %u\n", generation);
}

