#include "scanner/pipeline/scan.h"
#include "scanner/pipeline/decide.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "scanner/extract/adapters.h"
#include "rules/base/bytebuf.h"
#include "rules/base/hash_set.h"
#include "scanner/record/listing.h"
#include "scanner/output/sink.h"
#include "scanner/evidence/screenshot.h"
#include "scanner/evidence/warc.h"
#include "workers/charset.h"
#include "workers/checkpoint.h"
#include "workers/robots.h"
#include "workers/fetch.h"
#include "rules/base/url.h"

_Static_assert(FLAG_MAX_BYTES <= SINK_MAX_FLAG_JSON, "every flag the writer makes must fit the sink");

#define MAX_OWN_ADDRESSES 8   /* addresses of a target's own host */

/* The addresses a target's own host has (resolved at start): a private or
 * loopback address is connected to only when it is one of these. */
typedef struct own_addresses {
    struct sockaddr_storage address[MAX_OWN_ADDRESSES];
    size_t count;
} own_addresses;

/* Fetching a robots.txt for the cache (robots.h): one transfer of its own,
 * redirects allowed on the file's origin or in the target's scope. */
typedef struct robots_fetcher {
    struct scan *scan;
    fetcher *fetch;               /* created on first use */
    uint32_t target;
    char origin[256];             /* of the file being asked */
    bytebuf body;                 /* the last answer, at most ROBOTS_MAX_BYTES */
} robots_fetcher;

/* How a URL robots.txt forbids is counted: a request taken from the
 * frontier always (it is unique there); a link once per URL (it may be on
 * many pages); a look-up made only to learn the rules not at all. */
typedef enum robots_count { COUNT_ALWAYS, COUNT_ONCE, COUNT_NONE } robots_count;
static bool robots_check_url(struct scan *s, robots_fetcher *rf, uint32_t target, const char *url, robots_count count);

typedef struct worker {
    struct scan *scan;
    pthread_t thread;
    decider *decider;             /* matches with the set of `generation` */
    unsigned generation;
    atomic_uint acked;            /* generation this worker has moved to (read by the reloading thread) */
    atomic_bool running;
    fetcher *fetch;
    redis_sink *sink;
    warc_writer *warc;            /* this worker's archive file (NULL: evidence none) */
    warc_location screenshot;     /* the last screenshot's record (read by the flag written right after) */
    adapter_result result;
    charset_decoder *charset;     /* HTML pages to UTF-8 */
    robots_fetcher robots;        /* when a host's robots.txt expires mid-scan */
    uint64_t random;              /* jitter */
    bool failed;
} worker;

struct scan {
    scan_config config;
    _Atomic(const ruleset *) rules; /* the latest rule set (reload swaps it) */
    atomic_uint generation;
    const campaign *campaign;
    frontier *frontier;
    own_addresses *own;           /* per target, read-only after start */
    fetch_budget *budget;         /* response bodies in flight, all workers (its own atomics) */
    robots_cache *robots;         /* per origin (its own lock) */
    char *robots_note;            /* the targets ignoring robots.txt and why (warcinfo), or NULL */
    pthread_mutex_t seen_lock;    /* guards seen */
    hash_set seen;                /* listings already matched: XXH3(platform, listing_id) */
    scan_counters counters;
    worker *workers;
    unsigned worker_count;
    pthread_mutex_t done_lock;    /* guards finished, with done */
    pthread_cond_t done;
    unsigned finished;
    pthread_mutex_t pause_lock;   /* guards pausing, paused, running, with pause_changed */
    pthread_cond_t pause_changed;
    atomic_bool pause_requested;  /* read by workers without the lock, then confirmed under it */
    bool pausing;
    unsigned paused, running;
    atomic_bool stopped;          /* scan_stop, or Redis refusing for good (any thread) */
    pthread_mutex_t cause_lock;   /* guards cause, permanent */
    char cause[512];              /* the first reason a flag did not reach Redis */
    bool permanent;               /* Redis refused for good */
    uint64_t links_dropped_on_resume; /* URLs of targets no longer in the campaign */
    bool resumed;                 /* started from a checkpoint */
    uint64_t leftover_waiting;    /* flags still in spools of workers an earlier run had */
    unsigned targets_seeded;      /* on a resume: targets the checkpoint did not know, started from their seeds */
    evidence_mode evidence;       /* the effective mode (read-only after start) */
    atomic_uint screenshots_started; /* against evidence.max_screenshots */
    char evidence_dir[4096];      /* "" when nothing is archived */
};

/* ---- pages ------------------------------------------------------------------ */

static unsigned backoff_ms(worker *w, unsigned attempt)
{
    unsigned base = 200u << (attempt < 6 ? attempt : 6);
    if (base > 8000)
        base = 8000;
    w->random ^= w->random << 13;
    w->random ^= w->random >> 7;
    w->random ^= w->random << 17;
    return base / 2 + (unsigned)(w->random % (base / 2 + 1)); /* jitter: 50-100% */
}

/* Failures that another attempt cannot mend: given up at once. */
static bool final_failure(fetch_error e)
{
    return e == FETCH_HTTP_4XX || e == FETCH_OFFSITE || e == FETCH_BLOCKED || e == FETCH_RETRY_AFTER;
}

/* The request failed: retried after its backoff (or delay_ms), or given up
 * (counted, logged). Frees the request. */
static void fail_or_retry(worker *w, crawl_request *request, fetch_error e, const char *why, unsigned delay_ms,
                          unsigned hold_ms)
{
    scan *s = w->scan;
    atomic_fetch_add(&s->counters.errors[e], 1);
    crawl_request r = *request;
    free(request);
    char url[1024];
    snprintf(url, sizeof url, "%s", r.url);
    if (!final_failure(e) && frontier_retry(s->frontier, &r, delay_ms ? delay_ms : backoff_ms(w, r.attempt), hold_ms)) {
        atomic_fetch_add(&s->counters.retries, 1);
        return;
    }
    if (final_failure(e))
        frontier_finish(s->frontier, &r, hold_ms);
    atomic_fetch_add(&s->counters.given_up, 1);
    atomic_fetch_add(&s->counters.given_up_by[e], 1);
    if (s->config.log) {
        char line[1400];
        snprintf(line, sizeof line, "gave up on %s after %u attempt%s: %s%s%s", url, r.attempt + 1u,
                 r.attempt ? "s" : "", fetch_error_name(e), why && why[0] ? ": " : "", why ? why : "");
        s->config.log(s->config.log_ctx, line);
    }
}

/* Remembers the first reason flags did not reach Redis, and stops the scan
 * when Redis refuses for good (a wrong password is not an outage). */
static void note_sink_trouble(worker *w)
{
    scan *s = w->scan;
    bool permanent = sink_permanent_failure(w->sink);
    pthread_mutex_lock(&s->cause_lock);
    if (!s->cause[0] || (permanent && !s->permanent))
        snprintf(s->cause, sizeof s->cause, "%s", sink_error(w->sink));
    bool stop = permanent && !s->permanent;
    s->permanent |= permanent;
    pthread_mutex_unlock(&s->cause_lock);
    if (stop) {
        atomic_store(&s->stopped, true);
        frontier_stop(s->frontier);
        if (s->config.log) {
            char line[700];
            snprintf(line, sizeof line, "Redis refuses for good, stopping: %s", sink_error(w->sink));
            s->config.log(s->config.log_ctx, line);
        }
    }
}

/* ---- evidence ------------------------------------------------------------------
 * A page is archived at most once, at the first flag it produces (or at
 * once with evidence: all). The records are written before the flag is, so
 * the flag can say where they are; they are made durable (fdatasync) by
 * the sink's before_send hook, before the flag leaves the process. */

typedef struct page_capture {
    worker *w;
    const fetch_result *page;
    bool tried, ok;
    warc_location where;
} page_capture;

static const warc_location *capture_page(void *ctx)
{
    page_capture *pc = ctx;
    if (pc->tried)
        return pc->ok ? &pc->where : NULL;
    pc->tried = true;
    worker *w = pc->w;
    scan *s = w->scan;
    if (!w->warc)
        return NULL;
    const fetch_result *p = pc->page;
    warc_exchange x = {.target_uri = p->url, .date = p->fetched_at, .ip = p->ip[0] ? p->ip : NULL,
                       .request_headers = p->request_headers, .request_headers_length = p->request_headers_length,
                       .response_headers = p->response_headers, .response_headers_length = p->response_headers_length,
                       .body = p->raw, .body_length = p->raw_length};
    if (warc_write_exchange(w->warc, &x, &pc->where) != WARC_OK) {
        bool first = atomic_fetch_add(&s->counters.capture_failures, 1) == 0;
        if (first && s->config.log) {
            char line[700];
            snprintf(line, sizeof line, "cannot archive %s (its flags carry warc: null): %s", p->url,
                     warc_writer_error(w->warc));
            s->config.log(s->config.log_ctx, line);
        }
        return NULL;
    }
    pc->ok = true;
    atomic_fetch_add(&s->counters.pages_captured, 1);
    atomic_fetch_add(&s->counters.warc_bytes, pc->where.length + pc->where.request_length);
    return &pc->where;
}

/* A screenshot of a flagged listing's own page (evidence: {screenshot:
 * true}), as a resource record tied to the page's response; at most
 * max_screenshots per scan, each bounded by screenshot_timeout_s, and only
 * of a URL the page's target covers. */
static const warc_location *screenshot_listing(void *ctx, const listing *l, const warc_location *page)
{
    page_capture *pc = ctx;
    worker *w = pc->w;
    scan *s = w->scan;
    const crawl_request *request = pc->page->user;
    const char *url = listing_url(l);
    if (!url || !request || request->target >= s->campaign->target_count ||
        !campaign_target_allows(&s->campaign->targets[request->target], url))
        return NULL;
    if (atomic_fetch_add(&s->screenshots_started, 1) >= s->campaign->evidence.max_screenshots)
        return NULL;
    bytebuf png;
    bytebuf_init(&png, SCREENSHOT_MAX_BYTES);
    char why[512] = "", target_uri[2100], date[32];
    screenshot_error e = screenshot_take(url, s->campaign->evidence.screenshot_timeout_s, &png, why, sizeof why);
    const warc_location *out = NULL;
    if (e == SCREENSHOT_OK) {
        snprintf(target_uri, sizeof target_uri, "urn:screenshot:%s", url);
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (warc_write_resource(w->warc, target_uri, date, page->record_id, "image/png", png.data, png.length,
                                &w->screenshot) == WARC_OK) {
            out = &w->screenshot;
            atomic_fetch_add(&s->counters.screenshots, 1);
            atomic_fetch_add(&s->counters.warc_bytes, w->screenshot.length);
        } else {
            snprintf(why, sizeof why, "%s", warc_writer_error(w->warc));
            e = SCREENSHOT_ERROR_IO;
        }
    }
    if (e != SCREENSHOT_OK && atomic_fetch_add(&s->counters.screenshot_failures, 1) == 0 && s->config.log) {
        char line[700];
        snprintf(line, sizeof line, "screenshot: %s: %s", screenshot_strerror(e), why);
        s->config.log(s->config.log_ctx, line);
    }
    bytebuf_free(&png);
    return out;
}

/* The sink's before_send hook: the records the flags point at reach the disk first. */
static void sync_archive(void *ctx)
{
    worker *w = ctx;
    if (w->warc && warc_writer_sync(w->warc) != WARC_OK)
        atomic_fetch_add(&w->scan->counters.capture_failures, 1);
}

/* One listing of the page (`l`: from listing_from_json or listing_from_record,
 * or -1 when that failed); frees it. */
static void handle_listing(worker *w, const fetch_result *page, int built, listing *record, page_capture *capture)
{
    scan *s = w->scan;
    if (built < 0) {
        atomic_fetch_add(&s->counters.bad_listings, 1);
        return;
    }
    listing l = *record;
    uint64_t key = XXH3_64bits_withSeed(l.facts.listing_id, strlen(l.facts.listing_id),
                                        XXH3_64bits(l.facts.platform, strlen(l.facts.platform)));
    pthread_mutex_lock(&s->seen_lock);
    int fresh = hash_set_insert(&s->seen, key);
    pthread_mutex_unlock(&s->seen_lock);
    if (fresh <= 0) {
        atomic_fetch_add(&s->counters.duplicate_listings, 1);
        listing_free(&l);
        return;
    }
    atomic_fetch_add(&s->counters.listings, 1);
    /* a listing whose url is off the target's hosts is kept (it is on this
     * page), its url recorded but never fetched (no detail, no screenshot) */
    const char *url = listing_url(&l);
    if (url && page->target < s->campaign->target_count &&
        !campaign_target_allows(&s->campaign->targets[page->target], url))
        atomic_fetch_add(&s->counters.listing_urls_offsite, 1);
    flag_evidence evidence = {.url = page->url, .fetched_at = page->fetched_at, .http_status = page->status,
                              .sha256 = page->sha256, .requested_url = page->requested_url, .redirects = page->hops,
                              .redirect_count = page->hop_count, .ip = page->ip};
    decide_context context = {s->config.language, s->config.scan_id, &evidence,
                              w->warc ? capture_page : NULL,
                              w->warc && s->campaign->evidence.screenshot ? screenshot_listing : NULL, capture};
    decision d;
    decide_error e = decide_listing(w->decider, &l, &context, &d);
    if (e != DECIDE_OK || d.flagged) {
        const ruleset *rules = decide_rules(w->decider);
        if (d.flagged) {
            atomic_fetch_add(&s->counters.flags, 1);
            if (d.cut)
                atomic_fetch_add(&s->counters.flags_cut, 1);
            for (size_t k = 0; k < d.result.rule_count; k++)
                atomic_fetch_add(&s->counters.flags_by_kind[ruleset_rule(rules, d.result.rules[k])->kind], 1);
            if (page->target < SCAN_MAX_TARGETS)
                atomic_fetch_add(&s->counters.flags_by_target[page->target], 1);
        }
        if (e != DECIDE_OK || sink_push(w->sink, d.flag_id, d.flag, d.flag_length) < 0) {
            atomic_fetch_add(&s->counters.sink_failures, 1);
            w->failed = true; /* a flag that is neither in Redis nor in the spool: the scan must not say 0 */
            pthread_mutex_lock(&s->cause_lock);
            if (!s->cause[0])
                snprintf(s->cause, sizeof s->cause, "flag %s: %s", d.flag_id,
                         e != DECIDE_OK ? decide_strerror(e) : sink_error(w->sink));
            pthread_mutex_unlock(&s->cause_lock);
        } else if (sink_spooling(w->sink) || sink_permanent_failure(w->sink)) {
            note_sink_trouble(w);
        }
    }
    listing_free(&l);
}

/* An HTML page that never reaches </html> was cut or garbled on the way. */
static bool html_complete(const char *body, size_t length)
{
    size_t from = length > 4096 ? length - 4096 : 0;
    for (size_t i = length >= 7 ? length - 7 : 0; i + 1 > from && i + 7 <= length; i--) {
        if (!strncasecmp(body + i, "</html", 6))
            return true;
        if (i == 0)
            break;
    }
    return false;
}

/* The page handler: a fetched page through its target's adapter; its links
 * (on the target's hosts) to the frontier, its listings through the decide
 * step into the sink. */
static void handle_page(worker *w, const fetch_result *page)
{
    scan *s = w->scan;
    crawl_request *request = page->user;
    if (page->failed) {
        fail_or_retry(w, request, page->error, page->error_text, 0, 0);
        return;
    }
    long status = page->status;
    if (status == 429 || status == 503) {
        unsigned long wait = page->retry_after_s, cap = s->campaign->limits.max_retry_after_s;
        if (wait > cap) {
            /* a host asking for longer than the campaign allows: give the page up, counted, instead of stalling */
            char why[256];
            snprintf(why, sizeof why, "HTTP %ld asks to wait %lu s (Retry-After), more than the %lu s allowed "
                     "(limits.max_retry_after_s)", status, wait, cap);
            fail_or_retry(w, request, FETCH_RETRY_AFTER, why, 0, (unsigned)(cap * 1000));
            return;
        }
        unsigned hold = (unsigned)(wait * 1000);
        fail_or_retry(w, request, status == 429 ? FETCH_HTTP_429 : FETCH_HTTP_5XX, NULL, hold, hold);
        return;
    }
    if (status >= 500) {
        fail_or_retry(w, request, FETCH_HTTP_5XX, NULL, 0, 0);
        return;
    }
    if (status >= 400) {
        fail_or_retry(w, request, FETCH_HTTP_4XX, NULL, 0, 0);
        return;
    }
    const campaign_target *target = &s->campaign->targets[request->target];
    /* a cut HTML page still parses (HTML is forgiving) but misses what was
     * cut: retry it, and take what there is only on the last attempt */
    if ((request->kind == PAGE_HTML || target->adapter == ADAPTER_STOREFRONT) &&
        !html_complete(page->body, page->body_length) && request->attempt < s->campaign->limits.retries) {
        fail_or_retry(w, request, FETCH_PARSE, "the HTML page ends before </html>", 0, 0);
        return;
    }
    /* a page or a JSON response is read as UTF-8 whatever charset it was
     * written in (workers/charset.h): converted, and its troubles counted */
    const char *body = page->body;
    size_t body_length = page->body_length;
    bool html = request->kind == PAGE_HTML || target->adapter == ADAPTER_STOREFRONT;
    charset_result text;
    if ((html ? charset_decode : charset_decode_json)(w->charset, page->content_type, page->body, page->body_length,
                                                      &text) == CHARSET_OK) {
        body = text.text;
        body_length = text.length;
        if (text.converted)
            atomic_fetch_add(&s->counters.pages_charset_converted, 1);
        if (text.wrong)
            atomic_fetch_add(&s->counters.pages_charset_wrong, 1);
        if (text.unknown)
            atomic_fetch_add(&s->counters.pages_charset_unknown, 1);
    }
    adapter_result_reset(&w->result);
    char error[256];
    if (adapter_parse(target, (page_kind)request->kind, page->url, body, body_length, &w->result, error,
                      sizeof error) < 0) {
        fail_or_retry(w, request, FETCH_PARSE, error, 0, 0);
        return;
    }
    atomic_fetch_add(&s->counters.pages, 1);
    atomic_fetch_add(&s->counters.bytes, page->raw_length);
    if (w->result.json_repairs) {
        atomic_fetch_add(&s->counters.pages_json_repaired, 1);
        atomic_fetch_add(&s->counters.json_repairs, w->result.json_repairs);
    }
    for (int d = 0; d < ITEM_DROP_COUNT; d++)
        if (w->result.dropped[d])
            atomic_fetch_add(&s->counters.items_dropped[d], w->result.dropped[d]);
    /* next pages and followed links stay on the target's hosts, and out of
     * what robots.txt forbids (checked here, so they never take a place in
     * the frontier or a turn of the host's politeness clock) */
    for (size_t i = 0; i < w->result.link_count; i++) {
        const char *link = w->result.links[i].url;
        if (!campaign_target_allows(target, link))
            atomic_fetch_add(&s->counters.links_offsite, 1);
        else if (robots_check_url(s, &w->robots, request->target, link, COUNT_ONCE))
            frontier_push(s->frontier, link, request->target, (uint16_t)w->result.links[i].kind);
    }
    page_capture capture = {.w = w, .page = page};
    if (s->evidence == EVIDENCE_ALL)
        capture_page(&capture);
    listing l;
    for (cJSON *record = w->result.listings->child; record;) {
        cJSON *next = record->next;
        cJSON_DetachItemViaPointer(w->result.listings, record);
        int built = listing_from_json(record, &l, error, sizeof error);
        handle_listing(w, page, built, &l, &capture);
        record = next;
    }
    for (size_t i = 0; i < w->result.record_count; i++) {
        int built = listing_from_record(&w->result.records[i], &l, error, sizeof error);
        handle_listing(w, page, built, &l, &capture);
    }
    frontier_finish(s->frontier, request, 0);
    free(request);
}

/* Moves the worker to the latest rule set when a reload published one. */
static void follow_rules(worker *w)
{
    scan *s = w->scan;
    unsigned g = atomic_load(&s->generation);
    if (g == w->generation)
        return;
    const ruleset *next = atomic_load(&s->rules);
    if (decide_use_rules(w->decider, next) < 0)
        return; /* out of memory: stay on the old set and try again next page */
    w->generation = g;
    atomic_store(&w->acked, g);
}

/* A checkpoint is being written: make this worker's flags durable, then
 * wait until the frontier has been saved. */
static void pause_if_asked(worker *w)
{
    scan *s = w->scan;
    if (!atomic_load(&s->pause_requested))
        return;
    if (sink_flush(w->sink) < 0)
        w->failed = true;
    pthread_mutex_lock(&s->pause_lock);
    s->paused++;
    pthread_cond_broadcast(&s->pause_changed);
    while (s->pausing)
        pthread_cond_wait(&s->pause_changed, &s->pause_lock);
    s->paused--;
    pthread_mutex_unlock(&s->pause_lock);
}

/* ---- robots.txt ------------------------------------------------------------------ */

static bool policy_allow(void *ctx, uint32_t target, const char *url);
static const struct sockaddr_storage *policy_own(void *ctx, uint32_t target, size_t *count);

static bool robots_policy_allow(void *ctx, uint32_t target, const char *url)
{
    robots_fetcher *r = ctx;
    char origin[256];
    return (url_origin(url, origin, sizeof origin) && !strcmp(origin, r->origin)) || policy_allow(r->scan, target, url);
}

static const struct sockaddr_storage *robots_policy_own(void *ctx, uint32_t target, size_t *count)
{
    robots_fetcher *r = ctx;
    return policy_own(r->scan, target, count);
}

/* The cache's fetch: the file through the same address checks as every
 * page; a connection failure, reset or 5xx is asked again twice at once. */
static void robots_fetch(void *ctx, const char *robots_url, robots_response *out)
{
    robots_fetcher *r = ctx;
    scan *s = r->scan;
    const campaign_limits *limits = &s->campaign->limits;
    out->status = 0;
    out->body = NULL;
    out->length = 0;
    if (!r->fetch) {
        fetch_options fo = {.transfers = 1, .max_body_bytes = limits->max_body_bytes,
                            .connect_timeout_ms = limits->connect_timeout_ms, .timeout_ms = limits->timeout_ms,
                            .max_redirects = limits->max_redirects, .gzip = limits->gzip,
                            .policy = {robots_policy_allow, robots_policy_own, r}};
        if (fetcher_create(&fo, &r->fetch) < 0)
            return;
        bytebuf_init(&r->body, ROBOTS_MAX_BYTES);
    }
    if (!url_origin(robots_url, r->origin, sizeof r->origin))
        return;
    char why[400];
    if (robots_fetch_file(r->fetch, robots_url, r->target, &r->body, out, why, sizeof why) == 0 && why[0] &&
        s->config.log) {
        char line[900];
        snprintf(line, sizeof line, "robots.txt of %s is unreachable (%s): its URLs are not fetched for 10 "
                 "minutes, counted as robots unreachable", r->origin, why);
        s->config.log(s->config.log_ctx, line);
    }
}

static void robots_fetcher_free(robots_fetcher *r)
{
    if (r->fetch) {
        fetcher_destroy(r->fetch);
        bytebuf_free(&r->body);
        r->fetch = NULL;
    }
}

/* Asks the cache whether the request's target may fetch its URL: a Crawl-
 * delay learnt on the way spaces the host. A URL robots.txt forbids gives
 * false, counted by reason as `count` says. */
static bool robots_check_url(scan *s, robots_fetcher *rf, uint32_t target, const char *url, robots_count count)
{
    if (!s->robots || target >= s->campaign->target_count || s->campaign->targets[target].robots_ignore)
        return true;
    rf->target = target;
    unsigned delay = 0;
    bool fetched = false;
    robots_verdict v = robots_cache_check(s->robots, url, robots_fetch, rf, &delay, &fetched);
    if (fetched) /* also when a file asked again no longer sets one */
        frontier_set_host_interval(s->frontier, url, delay);
    if (v == ROBOTS_ALLOWED)
        return true;
    /* a link found again on another page is one URL not fetched, not two:
     * it joins the frontier's seen-set and is counted the first time */
    if (count == COUNT_NONE || (count == COUNT_ONCE && frontier_mark_seen(s->frontier, url) != 1))
        return false;
    atomic_fetch_add(v == ROBOTS_DISALLOWED ? &s->counters.robots_disallowed : &s->counters.robots_unreachable, 1);
    return false;
}

static bool robots_forbid(worker *w, crawl_request *r)
{
    if (robots_check_url(w->scan, &w->robots, r->target, r->url, COUNT_ALWAYS))
        return false;
    frontier_finish(w->scan->frontier, r, 0);
    return true;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    scan *s = w->scan;
    for (;;) {
        pause_if_asked(w);
        follow_rules(w);
        int wait_ms = 50;
        bool over = false;
        /* fill the free slots while the frontier allows */
        while (fetcher_has_room(w->fetch)) {
            crawl_request r;
            int rc = frontier_pop(s->frontier, &r, &wait_ms);
            if (rc == 0)
                break;
            if (rc < 0) {
                over = true;
                break;
            }
            if (robots_forbid(w, &r))
                continue;
            crawl_request *request = malloc(sizeof *request);
            if (request)
                *request = r;
            if (!request || fetcher_start(w->fetch, r.url, r.target, request) < 0) {
                if (!request) {
                    frontier_finish(s->frontier, &r, 0);
                    w->failed = true;
                    continue;
                }
                fail_or_retry(w, request, FETCH_OTHER, "curl refused the transfer", 0, 0);
            }
        }
        unsigned active = fetcher_active(w->fetch);
        if (!active) {
            if (over)
                break;
            /* nothing allowed yet: wait for the politeness clock */
            sleep_ms(wait_ms > 0 ? wait_ms : 1);
            continue;
        }
        fetcher_run(w->fetch, fetcher_has_room(w->fetch) ? (wait_ms < 20 ? wait_ms : 20) : 100);
        fetch_result page;
        while (fetcher_next(w->fetch, &page)) {
            handle_page(w, &page);
            fetcher_release(w->fetch, &page);
        }
    }
    if (sink_flush(w->sink) < 0)
        w->failed = true;
    atomic_store(&w->running, false);
    pthread_mutex_lock(&s->pause_lock);
    s->running--;
    pthread_cond_broadcast(&s->pause_changed);
    pthread_mutex_unlock(&s->pause_lock);
    pthread_mutex_lock(&s->done_lock);
    s->finished++;
    pthread_cond_broadcast(&s->done);
    pthread_mutex_unlock(&s->done_lock);
    return NULL;
}

/* ---- the scan ------------------------------------------------------------------ */

static void worker_free(worker *w)
{
    fetcher_destroy(w->fetch);
    decide_destroy(w->decider);
    sink_destroy(w->sink);
    warc_writer_destroy(w->warc);
    adapter_result_free(&w->result);
    charset_decoder_destroy(w->charset);
    robots_fetcher_free(&w->robots);
}

/* The fetch policy: redirects stay on the target's hosts; a private address
 * only when it is the target's own. */
static bool policy_allow(void *ctx, uint32_t target, const char *url)
{
    const scan *s = ctx;
    return target < s->campaign->target_count && campaign_target_allows(&s->campaign->targets[target], url);
}

static const struct sockaddr_storage *policy_own(void *ctx, uint32_t target, size_t *count)
{
    const scan *s = ctx;
    if (target >= s->campaign->target_count) {
        *count = 0;
        return NULL;
    }
    *count = s->own[target].count;
    return s->own[target].address;
}

static int worker_init(scan *s, worker *w, unsigned index, char *error, size_t error_size)
{
    w->scan = s;
    atomic_init(&w->acked, 0);
    atomic_init(&w->running, true);
    w->random = 0x9E3779B97F4A7C15ull * (index + 1);
    w->robots.scan = s;
    adapter_result_init(&w->result);
    w->result.typed = true; /* listings as typed records in a per-page arena, not a JSON tree each */
    const campaign_limits *limits = &s->campaign->limits;
    fetch_options fo = {.transfers = s->config.transfers_per_thread, .max_body_bytes = limits->max_body_bytes,
                        .connect_timeout_ms = limits->connect_timeout_ms, .timeout_ms = limits->timeout_ms,
                        .max_redirects = limits->max_redirects, .gzip = limits->gzip, .budget = s->budget,
                        .policy = {policy_allow, policy_own, s}};
    if (fetcher_create(&fo, &w->fetch) < 0 || decide_create(s->config.rules, &w->decider) < 0 ||
        charset_decoder_create(limits->max_body_bytes, &w->charset) != CHARSET_OK) {
        snprintf(error, error_size, "out of memory");
        return -1;
    }
    char spool[4096];
    if (s->config.state_dir)
        snprintf(spool, sizeof spool, "%s/spool-%u.bin", s->config.state_dir, index);
    if (s->evidence_dir[0]) {
        const char *user = getenv("USER");
        warc_writer_options wo = {.directory = s->evidence_dir, .worker = index,
                                  .max_file_bytes = s->campaign->evidence.max_file_bytes,
                                  .info = {.software = s->config.software ? s->config.software : "lscan",
                                           .campaign = s->campaign->name, .scan_id = s->config.scan_id,
                                           .operator_name = s->config.operator_name ? s->config.operator_name : user,
                                           .robots = s->robots_note}};
        char why[512];
        if (warc_writer_create(&wo, &w->warc, why, sizeof why) < 0) {
            snprintf(error, error_size, "cannot start the evidence archive: %s", why);
            return -1;
        }
    }
    sink_options options = {.url = s->config.redis_url, .prefix = s->campaign->redis_prefix,
                            .spool_path = s->config.state_dir ? spool : NULL, .username = s->config.redis_username,
                            .password = s->config.redis_password, .before_send = sync_archive, .before_send_ctx = w};
    char why[512];
    if (sink_create(&options, &w->sink, why, sizeof why) < 0) {
        snprintf(error, error_size, "%s: %s", s->config.state_dir ? "cannot start the Redis sink" : "cannot connect to Redis",
                 why);
        return -1;
    }
    if (sink_spooling(w->sink) && s->config.log && index == 0) {
        char line[700];
        snprintf(line, sizeof line, "Redis is away (%s): flags go to the spool in %s and are replayed when it returns",
                 sink_error(w->sink), s->config.state_dir);
        s->config.log(s->config.log_ctx, line);
    }
    return 0;
}

/* ---- checkpoints ------------------------------------------------------------
 * The file is workers/checkpoint.c's; here is what goes in it: the
 * counters, each target's name and fingerprint, the URLs still to fetch
 * (in flight ones too) and the key of every URL seen. A resume maps targets
 * by name: a target whose definition changed is refused, one that is gone
 * loses its URLs (counted), a new one starts from its seeds. */

static void snapshot_url(void *ctx, const char *url, uint32_t target, uint16_t kind, uint16_t attempt)
{
    checkpoint_put_url(ctx, url, target, kind, attempt);
}

static void snapshot_key(void *ctx, uint64_t key)
{
    checkpoint_put_key(ctx, key);
}

/* Writes the frontier and the counters; the workers are paused or gone. */
static int write_checkpoint(scan *s, char *error, size_t error_size)
{
    uint64_t values[sizeof s->counters / sizeof(uint64_t)];
    const _Atomic uint64_t *counters = (const _Atomic uint64_t *)&s->counters;
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        values[i] = atomic_load(&counters[i]);
    checkpoint_writer *w =
        checkpoint_begin(s->config.checkpoint_path, values, sizeof values / sizeof values[0], error, error_size);
    if (!w)
        return -1;
    for (size_t i = 0; i < s->campaign->target_count && i < SCAN_MAX_TARGETS; i++)
        checkpoint_put_target(w, (uint32_t)i, campaign_target_fingerprint(&s->campaign->targets[i]),
                              s->campaign->targets[i].name);
    frontier_snapshot(s->frontier, snapshot_url, snapshot_key, w);
    return checkpoint_commit(w, error, error_size);
}

int scan_checkpoint(scan *s, char *error, size_t error_size)
{
    if (!s->config.checkpoint_path) {
        snprintf(error, error_size, "no state directory");
        return -1;
    }
    /* the barrier: every running worker flushes and waits */
    pthread_mutex_lock(&s->pause_lock);
    s->pausing = true;
    atomic_store(&s->pause_requested, true);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 30;
    bool all = true;
    while (s->paused < s->running)
        if (pthread_cond_timedwait(&s->pause_changed, &s->pause_lock, &deadline) != 0) {
            all = false;
            break;
        }
    pthread_mutex_unlock(&s->pause_lock);
    bool durable = all;
    for (unsigned i = 0; i < s->worker_count; i++)
        durable &= !s->workers[i].failed;
    int rc = -1;
    if (!all)
        snprintf(error, error_size, "the workers did not pause in 30 s");
    else if (!durable)
        snprintf(error, error_size, "some flags are not in Redis or a spool yet: no checkpoint this time");
    else
        rc = write_checkpoint(s, error, error_size);
    pthread_mutex_lock(&s->pause_lock);
    s->pausing = false;
    atomic_store(&s->pause_requested, false);
    pthread_cond_broadcast(&s->pause_changed);
    pthread_mutex_unlock(&s->pause_lock);
    return rc;
}

typedef struct resume_state {
    scan *s;
    bool *restored;               /* this campaign's targets the checkpoint knew */
    int32_t map[SCAN_MAX_TARGETS];/* the checkpoint's target index -> this campaign's, -1: gone */
    uint64_t saved[sizeof(scan_counters) / 8];
    char *error;
    size_t error_size;
    bool changed;
} resume_state;

static int resume_counters(void *ctx, const uint64_t *values, size_t count)
{
    resume_state *r = ctx;
    memcpy(r->saved, values, count * 8);
    return 0;
}

static int resume_target(void *ctx, uint32_t index, uint64_t fingerprint, const char *name, size_t name_length)
{
    resume_state *r = ctx;
    const campaign *c = r->s->campaign;
    if (index >= SCAN_MAX_TARGETS)
        return -1;
    for (size_t i = 0; i < c->target_count && i < SCAN_MAX_TARGETS; i++) {
        const campaign_target *t = &c->targets[i];
        if (strlen(t->name) != name_length || memcmp(t->name, name, name_length))
            continue;
        if (campaign_target_fingerprint(t) != fingerprint) {
            snprintf(r->error, r->error_size, "cannot resume: target '%s' changed since the checkpoint (its adapter, "
                     "platform, base_url, hosts or fields): its saved pages would be read with the wrong settings; "
                     "restore it, or start over without --resume (remove %s)", t->name, r->s->config.checkpoint_path);
            r->changed = true;
            return -1;
        }
        r->map[index] = (int32_t)i;
        r->restored[i] = true;
    }
    return 0;
}

static int resume_url(void *ctx, const char *url, size_t length, uint32_t target, uint16_t kind, uint16_t attempt)
{
    resume_state *r = ctx;
    if (target >= SCAN_MAX_TARGETS)
        return -1;
    if (r->map[target] < 0) {
        r->s->links_dropped_on_resume++; /* its target is no longer in the campaign */
        return 0;
    }
    char *copy = strndup(url, length);
    int rc = copy ? frontier_restore_url(r->s->frontier, copy, (uint32_t)r->map[target], kind, attempt) : -1;
    free(copy);
    return rc;
}

static int resume_key(void *ctx, uint64_t key)
{
    resume_state *r = ctx;
    return frontier_restore_key(r->s->frontier, key);
}

/* Reads the checkpoint into the (empty) frontier and the counters. Returns
 * 0; 1 when there is no checkpoint file (start from the seeds); -1 with a
 * message when it cannot be used, -2 when a target changed. */
static int load_checkpoint(scan *s, bool *targets_restored, char *error, size_t error_size)
{
    resume_state *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(error, error_size, "out of memory");
        return -1;
    }
    *r = (resume_state){.s = s, .restored = targets_restored, .error = error, .error_size = error_size};
    for (size_t i = 0; i < SCAN_MAX_TARGETS; i++)
        r->map[i] = -1;
    checkpoint_visitor v = {resume_counters, resume_target, resume_url, resume_key};
    int rc = checkpoint_read(s->config.checkpoint_path, sizeof s->counters / 8, &v, r, error, error_size);
    if (rc == 0) {
        /* counters: the flags by target move with their targets */
        _Atomic uint64_t *counters = (_Atomic uint64_t *)&s->counters;
        const size_t by_target = offsetof(scan_counters, flags_by_target) / 8;
        for (size_t i = 0; i < sizeof s->counters / 8; i++) {
            if (i >= by_target && i < by_target + SCAN_MAX_TARGETS) {
                int32_t to = r->map[i - by_target];
                if (to >= 0)
                    atomic_store(&counters[by_target + (size_t)to], r->saved[i]);
                continue;
            }
            atomic_store(&counters[i], r->saved[i]);
        }
    }
    bool changed = r->changed;
    free(r);
    return rc < 0 && changed ? -2 : rc;
}

/* The addresses of a target's own host: the literal IP, or what its name
 * resolves to now. */
static void find_own_addresses(const campaign_target *t, own_addresses *out)
{
    out->count = campaign_target_addresses(t, out->address, MAX_OWN_ADDRESSES);
}

/* robots.txt at the start: every origin an obeying target may fetch from
 * (its base_url's and its hosts') is asked now, so Crawl-delay spaces the
 * very first requests; a target ignoring it is logged with its reason and
 * put on record for the warcinfo. 0, or -1 out of memory. */
static int start_robots(scan *s)
{
    bytebuf note;
    bytebuf_init(&note, 64 << 10);
    for (size_t i = 0; i < s->campaign->target_count && i < SCAN_MAX_TARGETS; i++) {
        const campaign_target *t = &s->campaign->targets[i];
        if (!t->robots_ignore)
            continue;
        if (s->config.log) {
            char line[1200];
            snprintf(line, sizeof line, "target '%s' ignores robots.txt: %s", t->name, t->robots_reason);
            s->config.log(s->config.log_ctx, line);
        }
        bytebuf_printf(&note, "%starget '%s': %s", note.length ? "; " : "", t->name, t->robots_reason);
    }
    if (note.length) {
        s->robots_note = bytebuf_detach(&note, NULL);
        if (!s->robots_note)
            return -1;
    }
    bytebuf_free(&note);
    s->robots = robots_cache_create("lscan", 600);
    if (!s->robots)
        return -1;
    robots_fetcher rf = {.scan = s};
    for (size_t i = 0; i < s->campaign->target_count && i < SCAN_MAX_TARGETS; i++) {
        const campaign_target *t = &s->campaign->targets[i];
        if (t->robots_ignore)
            continue;
        robots_check_url(s, &rf, (uint32_t)i, t->base_url, COUNT_NONE);
        for (size_t k = 0; k < t->hosts.count; k++)
            robots_check_url(s, &rf, (uint32_t)i, t->hosts.items[k], COUNT_NONE);
    }
    robots_fetcher_free(&rf);
    return 0;
}

static const char *const scan_error_texts[] = {
    "ok", "out of memory", "the checkpoint cannot be used", "the campaign changed since the checkpoint",
    "cannot create the state directory", "Redis refused or is unreachable", "cannot start a worker thread"};

const char *scan_strerror(scan_error e)
{
    return (unsigned)e < sizeof scan_error_texts / sizeof *scan_error_texts ? scan_error_texts[e] : "unknown error";
}

/* Frees a scan that never started its threads. */
static scan *abandon(scan *s, scan_error code, scan_error *out)
{
    *out = code;
    scan_finish(s, NULL, NULL);
    return NULL;
}

scan *scan_start(const scan_config *config, scan_error *code, char *error, size_t error_size)
{
    scan_error ignored;
    if (!code)
        code = &ignored;
    *code = SCAN_OK;
    scan *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(error, error_size, "out of memory");
        *code = SCAN_ERROR_MEMORY;
        return NULL;
    }
    s->config = *config;
    s->campaign = config->campaign;
    if (!s->config.threads)
        s->config.threads = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    if (!s->config.transfers_per_thread)
        s->config.transfers_per_thread = 32;
    if (!s->config.redis_url)
        s->config.redis_url = s->campaign->redis_url ? s->campaign->redis_url : "redis://127.0.0.1:6379";
    atomic_init(&s->rules, config->rules);
    atomic_init(&s->generation, 0);
    atomic_init(&s->stopped, false);
    pthread_mutex_init(&s->seen_lock, NULL);
    pthread_mutex_init(&s->done_lock, NULL);
    pthread_mutex_init(&s->pause_lock, NULL);
    pthread_mutex_init(&s->cause_lock, NULL);
    pthread_cond_init(&s->pause_changed, NULL);
    atomic_init(&s->pause_requested, false);
    pthread_cond_init(&s->done, NULL);
    s->evidence = config->evidence_override ? config->evidence_mode : s->campaign->evidence.mode;
    if (s->evidence != EVIDENCE_NONE) {
        if (config->evidence_dir)
            snprintf(s->evidence_dir, sizeof s->evidence_dir, "%s", config->evidence_dir);
        else if (s->campaign->evidence.directory)
            snprintf(s->evidence_dir, sizeof s->evidence_dir, "%s", s->campaign->evidence.directory);
        else if (config->state_dir)
            snprintf(s->evidence_dir, sizeof s->evidence_dir, "%s/evidence", config->state_dir);
        else if (config->log)
            config->log(config->log_ctx, "no state directory and no evidence.dir: pages are not archived (flags carry "
                                         "warc: null)");
    }
    const campaign_limits *limits = &s->campaign->limits;
    /* one budget for the bodies in flight of every worker (fetch.h) */
    s->budget = fetch_budget_create(limits->body_memory_bytes, limits->max_body_bytes,
                                    (size_t)s->config.threads * s->config.transfers_per_thread, s->config.threads);
    frontier_options fo = {limits->per_host_concurrency, limits->requests_per_second, limits->frontier_max,
                           limits->retries + 1, limits->max_pages};
    s->own = calloc(s->campaign->target_count ? s->campaign->target_count : 1, sizeof *s->own);
    if (!s->budget || !s->own || frontier_create(&fo, &s->frontier) < 0 || hash_set_init(&s->seen, 1 << 16) < 0) {
        snprintf(error, error_size, "out of memory");
        return abandon(s, SCAN_ERROR_MEMORY, code);
    }
    for (size_t i = 0; i < s->campaign->target_count; i++)
        find_own_addresses(&s->campaign->targets[i], &s->own[i]);
    if (start_robots(s) < 0) {
        snprintf(error, error_size, "out of memory");
        return abandon(s, SCAN_ERROR_MEMORY, code);
    }
    bool restored[SCAN_MAX_TARGETS] = {false};
    if (config->resume) {
        int rc = config->checkpoint_path ? load_checkpoint(s, restored, error, error_size) : -1;
        if (!config->checkpoint_path)
            snprintf(error, error_size, "--resume needs a state directory");
        if (rc < 0)
            return abandon(s, rc == -2 ? SCAN_ERROR_CAMPAIGN_CHANGED : SCAN_ERROR_CHECKPOINT, code);
        s->resumed = rc == 0;
    }
    /* seeds: each target's start pages (but those a checkpoint restored);
     * `keywords: auto` searches every rule's name */
    const char **names = calloc(ruleset_rule_count(config->rules) + 1, sizeof *names);
    size_t name_count = 0;
    for (size_t i = 0; names && i < ruleset_rule_count(config->rules); i++)
        names[name_count++] = ruleset_rule(config->rules, i)->name;
    for (size_t i = 0; i < s->campaign->target_count && i < SCAN_MAX_TARGETS; i++) {
        if (restored[i])
            continue;
        s->targets_seeded += s->resumed;
        adapter_result seeds;
        adapter_result_init(&seeds);
        adapter_seed(&s->campaign->targets[i], names, name_count, &seeds);
        robots_fetcher rf = {.scan = s};
        for (size_t k = 0; k < seeds.link_count; k++)
            if (robots_check_url(s, &rf, (uint32_t)i, seeds.links[k].url, COUNT_ONCE))
                frontier_push(s->frontier, seeds.links[k].url, (uint32_t)i, (uint16_t)seeds.links[k].kind);
        robots_fetcher_free(&rf);
        adapter_result_free(&seeds);
    }
    free(names);
    if (s->config.state_dir) {
        if (mkdir(s->config.state_dir, 0700) < 0 && errno != EEXIST) {
            snprintf(error, error_size, "cannot create the state directory %s: %s", s->config.state_dir, strerror(errno));
            return abandon(s, SCAN_ERROR_STATE_DIR, code);
        }
        /* spools of workers a previous run had and this one has not: replay them now */
        for (unsigned i = s->config.threads; i < 256; i++) {
            char spool[4096];
            snprintf(spool, sizeof spool, "%s/spool-%u.bin", s->config.state_dir, i);
            struct stat st;
            if (stat(spool, &st) < 0)
                continue;
            sink_options o = {.url = s->config.redis_url, .prefix = s->campaign->redis_prefix, .spool_path = spool,
                              .username = s->config.redis_username, .password = s->config.redis_password};
            redis_sink *leftover;
            char sink_error[512];
            if (sink_create(&o, &leftover, sink_error, sizeof sink_error) == 0) {
                sink_stats st2;
                sink_get_stats(leftover, &st2);
                atomic_fetch_add(&s->counters.flags_replayed, st2.replayed);
                bool still = sink_spool_bytes(leftover) > 0;
                s->leftover_waiting += sink_spool_records(leftover);
                sink_destroy(leftover);
                if (!still)
                    unlink(spool);
            }
        }
    }
    s->worker_count = s->config.threads;
    s->workers = calloc(s->worker_count, sizeof *s->workers);
    if (!s->workers) {
        snprintf(error, error_size, "out of memory");
        return abandon(s, SCAN_ERROR_MEMORY, code);
    }
    for (unsigned i = 0; i < s->worker_count; i++) {
        if (worker_init(s, &s->workers[i], i, error, error_size) < 0) {
            s->worker_count = i + 1;
            frontier_stop(s->frontier);
            return abandon(s, s->workers[i].sink || strstr(error, "out of memory") ? SCAN_ERROR_MEMORY : SCAN_ERROR_REDIS,
                           code);
        }
    }
    s->running = s->worker_count;
    for (unsigned i = 0; i < s->worker_count; i++) {
        if (pthread_create(&s->workers[i].thread, NULL, worker_main, &s->workers[i]) != 0) {
            snprintf(error, error_size, "cannot start a worker thread");
            frontier_stop(s->frontier);
            s->worker_count = i; /* only the started ones are joined */
            return abandon(s, SCAN_ERROR_THREADS, code);
        }
    }
    return s;
}

bool scan_resumed(const scan *s, uint64_t *urls_dropped, unsigned *targets_seeded)
{
    if (urls_dropped)
        *urls_dropped = s->links_dropped_on_resume;
    if (targets_seeded)
        *targets_seeded = s->targets_seeded;
    return s->resumed;
}

bool scan_wait(scan *s, unsigned timeout_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->done_lock);
    while (s->finished < s->worker_count)
        if (pthread_cond_timedwait(&s->done, &s->done_lock, &deadline) != 0)
            break;
    bool all = s->finished >= s->worker_count;
    pthread_mutex_unlock(&s->done_lock);
    return all;
}

void scan_stop(scan *s)
{
    s->stopped = true;
    frontier_stop(s->frontier);
}

bool scan_complete(scan *s)
{
    frontier_stats st;
    frontier_get_stats(s->frontier, &st);
    return !s->stopped && st.queued == 0 && st.delayed == 0 && st.in_flight == 0;
}

const scan_counters *scan_get_counters(const scan *s)
{
    return &s->counters;
}

void scan_frontier_stats(scan *s, frontier_stats *out)
{
    frontier_get_stats(s->frontier, out);
}

int scan_finish(scan *s, scan_counters *final, scan_delivery *delivery)
{
    if (!s)
        return 0;
    int rc = 0;
    uint64_t waiting = s->leftover_waiting, lost = 0;
    char last_error[512] = "", lost_error[512] = "";
    for (unsigned i = 0; s->workers && i < s->worker_count; i++) {
        worker *w = &s->workers[i];
        if (w->thread)
            pthread_join(w->thread, NULL);
        if (w->sink) {
            if (sink_pending(w->sink))
                (void)sink_flush(w->sink); /* last try; with a spool what Redis does not take goes there */
            sink_stats st;
            sink_get_stats(w->sink, &st);
            atomic_fetch_add(&s->counters.flags_new, st.added);
            atomic_fetch_add(&s->counters.flags_known, st.duplicates);
            atomic_fetch_add(&s->counters.flags_spooled, st.spooled);
            atomic_fetch_add(&s->counters.flags_replayed, st.replayed);
            lost += sink_pending(w->sink);
            waiting += sink_spool_records(w->sink);
            /* the sink's last error says why flags are still in memory (a spool that cannot be written) */
            if (sink_pending(w->sink) && sink_error(w->sink)[0])
                snprintf(lost_error, sizeof lost_error, "%s", sink_error(w->sink));
            if (sink_spool_records(w->sink) && sink_error(w->sink)[0])
                snprintf(last_error, sizeof last_error, "%s", sink_error(w->sink));
            if (sink_permanent_failure(w->sink))
                s->permanent = true;
        }
        if (w->failed)
            rc = -1;
        worker_free(w);
    }
    lost += atomic_load(&s->counters.sink_failures);
    if (lost || waiting)
        rc = -1;
    if (delivery) {
        memset(delivery, 0, sizeof *delivery);
        delivery->waiting = waiting;
        delivery->lost = lost;
        delivery->permanent = s->permanent;
        snprintf(delivery->cause, sizeof delivery->cause, "%s",
                 lost_error[0] ? lost_error : s->cause[0] ? s->cause : last_error);
    }
    free(s->workers);
    if (final)
        memcpy(final, &s->counters, sizeof *final);
    frontier_destroy(s->frontier);
    hash_set_free(&s->seen);
    free(s->own);
    robots_cache_destroy(s->robots);
    free(s->robots_note);
    fetch_budget_destroy(s->budget);
    pthread_mutex_destroy(&s->seen_lock);
    pthread_mutex_destroy(&s->done_lock);
    pthread_mutex_destroy(&s->pause_lock);
    pthread_mutex_destroy(&s->cause_lock);
    pthread_cond_destroy(&s->pause_changed);
    pthread_cond_destroy(&s->done);
    free(s);
    return rc;
}

const ruleset *scan_swap_rules(scan *s, const ruleset *next)
{
    const ruleset *previous = atomic_exchange(&s->rules, next);
    atomic_fetch_add(&s->generation, 1);
    return previous;
}

bool scan_rules_moved(scan *s)
{
    unsigned g = atomic_load(&s->generation);
    for (unsigned i = 0; i < s->worker_count; i++) {
        worker *w = &s->workers[i];
        if (atomic_load(&w->running) && atomic_load(&w->acked) != g)
            return false;
    }
    return true;
}

unsigned scan_rules_generation(const scan *s)
{
    return atomic_load(&((scan *)s)->generation);
}

void scan_write_metrics(scan *s, bytebuf *out)
{
    frontier_stats fs;
    frontier_get_stats(s->frontier, &fs);
    counters_write_metrics(&s->counters, &fs, scan_spool_bytes(s, NULL), atomic_load(&s->generation), out);
}

uint64_t scan_spool_bytes(scan *s, bool *spooling)
{
    uint64_t bytes = 0;
    bool any = false;
    for (unsigned i = 0; i < s->worker_count; i++) {
        redis_sink *sink = s->workers[i].sink;
        if (!sink)
            continue;
        bytes += sink_spool_bytes(sink);
        any |= sink_spooling(sink);
    }
    if (spooling)
        *spooling = any;
    return bytes;
}
