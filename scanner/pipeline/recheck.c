/* recheck: see recheck.h. */
#include "scanner/pipeline/recheck.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "rules/base/error_message.h"
#include "rules/base/url.h"
#include "scanner/extract/adapters.h"
#include "workers/charset.h"
#include "workers/fetch.h"
#include "workers/robots.h"

#define MAX_ADDRESSES 8
#define MAX_PACED_ORIGINS 64

const char *recheck_outcome_name(recheck_outcome o)
{
    static const char *const names[] = {"unchanged", "changed", "removed", "unreadable", "failed", "disallowed"};
    return (unsigned)o <= RECHECK_DISALLOWED ? names[o] : "failed";
}

const char *recheck_outcome_label(recheck_outcome o, bool vi)
{
    static const char *const labels_vi[] = {"Vẫn còn, không đổi", "Vẫn còn, đã thay đổi", "Đã gỡ",
                                            "Vẫn còn, không đọc được sản phẩm", "Không kiểm tra được",
                                            "Không kiểm tra: robots.txt không cho phép"};
    static const char *const labels_en[] = {"Online, unchanged", "Online, changed", "Removed",
                                            "Online, product unreadable", "Could not check",
                                            "Not checked: robots.txt disallows it"};
    return (unsigned)o <= RECHECK_DISALLOWED ? (vi ? labels_vi : labels_en)[o] : "?";
}

/* Titles compare after collapsing white space: a re-rendered page may wrap differently. */
static bool same_text(const char *a, const char *b)
{
    while (*a || *b) {
        while (*a == ' ' || *a == '\t' || *a == '\n' || *a == '\r')
            a++;
        while (*b == ' ' || *b == '\t' || *b == '\n' || *b == '\r')
            b++;
        if (*a != *b)
            return false;
        if (!*a)
            return true;
        a++;
        b++;
    }
    return true;
}

static void add_change(char *changes, size_t size, const char *what)
{
    size_t n = strlen(changes);
    snprintf(changes + n, size - n, "%s%s", n ? "," : "", what);
}

void recheck_compare(const char *old_title, const double *old_price, const char *old_seller, const char *new_title,
                     const double *new_price, const char *new_seller, char *changes, size_t size)
{
    changes[0] = '\0';
    if (old_title && new_title && !same_text(old_title, new_title))
        add_change(changes, size, "title");
    if (old_price && new_price && fabs(*old_price - *new_price) > 0.005 * fmax(1.0, fabs(*old_price)))
        add_change(changes, size, "price");
    if (old_seller && new_seller && *old_seller && *new_seller && !same_text(old_seller, new_seller))
        add_change(changes, size, "seller");
}

/* Pages that say the product is gone while answering 200 (as marketplaces do). */
static bool says_not_found(const char *body, size_t length)
{
    static const char *const phrases[] = {
        "Sản phẩm không tồn tại", "sản phẩm không tồn tại", "Không tìm thấy sản phẩm", "không tìm thấy sản phẩm",
        "Sản phẩm đã ngừng kinh doanh", "sản phẩm này đã bị xóa", "Product not found", "product not found",
        "This product is no longer available", "this product is no longer available", "listing has been removed"};
    size_t scan = length < (1u << 20) ? length : (1u << 20);
    for (size_t i = 0; i < sizeof phrases / sizeof *phrases; i++)
        if (memmem(body, scan, phrases[i], strlen(phrases[i])))
            return true;
    return false;
}

typedef struct policy_context {
    const campaign_target *target;
    struct sockaddr_storage own[MAX_ADDRESSES];
    size_t own_count;
} policy_context;

static bool allow(void *ctx, uint32_t target, const char *url)
{
    (void)target;
    const policy_context *p = ctx;
    return campaign_target_allows(p->target, url);
}

static const struct sockaddr_storage *own(void *ctx, uint32_t target, size_t *count)
{
    (void)target;
    const policy_context *p = ctx;
    *count = p->own_count;
    return p->own;
}

static const char *json_string(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const campaign_target *target_for(const campaign *c, const char *platform, const char *url)
{
    for (size_t i = 0; i < c->target_count; i++)
        if (c->targets[i].platform && platform && !strcmp(c->targets[i].platform, platform) &&
            campaign_target_allows(&c->targets[i], url))
            return &c->targets[i];
    for (size_t i = 0; i < c->target_count; i++)
        if (campaign_target_allows(&c->targets[i], url))
            return &c->targets[i];
    return NULL;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The listing on the page: the one with the case's id, or the only one. */
static const cJSON *listing_on_page(const cJSON *listings, const char *listing_id)
{
    const cJSON *l, *only = NULL;
    int n = 0;
    cJSON_ArrayForEach(l, listings)
    {
        const char *id = json_string(l, "listing_id");
        if (id && listing_id && !strcmp(id, listing_id))
            return l;
        only = l;
        n++;
    }
    return n == 1 ? only : NULL;
}

/* ---- robots.txt, as the scan obeys it (docs/evidence.md, "Re-checks") ---------- */

/* One re-check run: robots.txt answers per origin for all its cases, the
 * transfer that asks for them, and when each origin was last asked for a
 * page (its Crawl-delay spaces re-checks of several cases on one site). */
typedef struct recheck_run {
    const recheck_options *o;
    robots_cache *robots;
    fetcher *robots_fetch;        /* created on first use */
    const policy_context *policy; /* the case's target, while its file is asked */
    char robots_origin[256];      /* of the file being asked */
    bytebuf robots_body;
    char robots_trouble[400];     /* why the last file asked was unreachable, "" when it answered */
    struct paced {
        char origin[256];
        unsigned delay_ms;        /* the file's Crawl-delay */
        struct timespec last;     /* the last request for a page of it */
        bool asked;
    } paced[MAX_PACED_ORIGINS];
    size_t paced_count;
} recheck_run;

/* Redirects of a robots.txt stay on its own origin or in the target's scope. */
static bool robots_allow(void *ctx, uint32_t target, const char *url)
{
    const recheck_run *run = ctx;
    char origin[256];
    return (url_origin(url, origin, sizeof origin) && !strcmp(origin, run->robots_origin)) ||
           allow((void *)run->policy, target, url);
}

static const struct sockaddr_storage *robots_own(void *ctx, uint32_t target, size_t *count)
{
    const recheck_run *run = ctx;
    return own((void *)run->policy, target, count);
}

/* The cache's fetch: robots_fetch_file (robots.h), as the scan asks, through
 * the re-checks' own address policy. */
static void robots_fetch(void *ctx, const char *robots_url, robots_response *out)
{
    recheck_run *run = ctx;
    const campaign_limits *limits = &run->o->campaign->limits;
    out->status = 0;
    out->body = NULL;
    out->length = 0;
    run->robots_trouble[0] = '\0';
    if (!url_origin(robots_url, run->robots_origin, sizeof run->robots_origin))
        return;
    if (!run->robots_fetch) {
        fetch_options fo = {.transfers = 1, .max_body_bytes = limits->max_body_bytes,
                            .connect_timeout_ms = limits->connect_timeout_ms, .timeout_ms = limits->timeout_ms,
                            .max_redirects = limits->max_redirects, .gzip = limits->gzip,
                            .policy = {robots_allow, robots_own, run}};
        if (fetcher_create(&fo, &run->robots_fetch) < 0) {
            snprintf(run->robots_trouble, sizeof run->robots_trouble, "out of memory");
            return;
        }
    }
    robots_fetch_file(run->robots_fetch, robots_url, 0, &run->robots_body, out, run->robots_trouble,
                      sizeof run->robots_trouble);
}

static struct paced *paced_origin(recheck_run *run, const char *url)
{
    char origin[256];
    if (!url_origin(url, origin, sizeof origin))
        return NULL;
    for (size_t i = 0; i < run->paced_count; i++)
        if (!strcmp(run->paced[i].origin, origin))
            return &run->paced[i];
    if (run->paced_count == MAX_PACED_ORIGINS)
        return NULL; /* more sites than one run re-checks: unpaced beyond, one page per case anyway */
    struct paced *p = &run->paced[run->paced_count++];
    memset(p, 0, sizeof *p);
    snprintf(p->origin, sizeof p->origin, "%s", origin);
    return p;
}

/* Whether robots.txt lets the case's target fetch url: true, or false with
 * the reason in detail. A target with `robots: ignore` is not asked. */
static bool robots_permit(recheck_run *run, const campaign_target *t, const policy_context *policy, const char *url,
                          char *detail, size_t size)
{
    if (t->robots_ignore)
        return true;
    run->policy = policy;
    unsigned delay = 0;
    bool fetched = false;
    robots_verdict v = robots_cache_check(run->robots, url, robots_fetch, run, &delay, &fetched);
    struct paced *p = paced_origin(run, url);
    if (p && fetched)
        p->delay_ms = delay; /* also when a file asked again no longer sets one */
    if (v == ROBOTS_ALLOWED)
        return true;
    char origin[256] = "";
    url_origin(url, origin, sizeof origin);
    if (v == ROBOTS_DISALLOWED)
        snprintf(detail, size, "robots.txt of %s disallows this URL: not fetched", origin);
    else if (fetched && run->robots_trouble[0]) {
        /* a cut detail still says what failed first: truncation is fine here */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-truncation"
        snprintf(detail, size, "robots.txt of %s is unreachable (%s): everything is disallowed for 10 minutes, "
                 "not fetched", origin, run->robots_trouble);
#pragma GCC diagnostic pop
    } else
        snprintf(detail, size, "robots.txt of %s was unreachable: everything is disallowed for 10 minutes, not "
                 "fetched", origin);
    return false;
}

static long ms_since(const struct timespec *then)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)(now.tv_sec - then->tv_sec) * 1000 + (now.tv_nsec - then->tv_nsec) / 1000000;
}

/* Before a page request: at least the origin's Crawl-delay and
 * 1/requests_per_second after its last one (pacing, as a scan's politeness
 * clock; the longer applies). */
static void pace(recheck_run *run, const char *url)
{
    struct paced *p = paced_origin(run, url);
    if (!p)
        return;
    double rps = run->o->campaign->limits.requests_per_second;
    unsigned interval = rps > 0 ? (unsigned)(1000.0 / rps) : 0;
    if (p->delay_ms > interval)
        interval = p->delay_ms;
    if (p->asked) {
        long waited = ms_since(&p->last);
        if (waited >= 0 && waited < (long)interval)
            sleep_ms((unsigned)(interval - (unsigned long)waited));
    }
    clock_gettime(CLOCK_MONOTONIC, &p->last);
    p->asked = true;
}

static void recheck_one(recheck_run *run, warc_writer *archive, const char *case_id, recheck_result *out)
{
    const recheck_options *o = run->o;
    memset(out, 0, sizeof *out);
    snprintf(out->case_id, sizeof out->case_id, "%s", case_id);
    out->outcome = RECHECK_FAILED;
    bytebuf text;
    bytebuf_init(&text, 0);
    char why[512];
    if (register_case_json(o->reg, case_id, &text, why, sizeof why) != REGISTER_OK) {
        snprintf(out->detail, sizeof out->detail, "%s", why);
        bytebuf_free(&text);
        return;
    }
    cJSON *c = cJSON_ParseWithLength(text.data, text.length);
    bytebuf_free(&text);
    const char *url = json_string(c, "url"), *platform = json_string(c, "platform");
    const campaign_target *t = url ? target_for(o->campaign, platform, url) : NULL;
    if (!t) {
        snprintf(out->detail, sizeof out->detail, "%s", url ? "no target of the campaign covers the listing's host"
                                                            : "the case has no listing URL");
        cJSON_Delete(c);
        return;
    }
    policy_context policy = {.target = t};
    policy.own_count = campaign_target_addresses(t, policy.own, MAX_ADDRESSES);
    /* robots.txt as the scan obeys it: a URL it forbids is not fetched, and
     * says so; a target ignoring it has its reason on this re-check's record */
    if (t->robots_ignore) {
        out->robots_reason = t->robots_reason;
    } else if (!robots_permit(run, t, &policy, url, out->detail, sizeof out->detail)) {
        out->outcome = RECHECK_DISALLOWED;
        cJSON_Delete(c);
        return;
    }
    const campaign_limits *limits = &o->campaign->limits;
    fetch_options fo = {.transfers = 1, .max_body_bytes = limits->max_body_bytes,
                        .connect_timeout_ms = limits->connect_timeout_ms, .timeout_ms = limits->timeout_ms,
                        .max_redirects = limits->max_redirects, .gzip = limits->gzip,
                        .policy = {allow, own, &policy}};
    fetcher *f = NULL;
    if (fetcher_create(&fo, &f) < 0) {
        snprintf(out->detail, sizeof out->detail, "out of memory");
        cJSON_Delete(c);
        return;
    }
    unsigned attempts = o->attempts ? o->attempts : (limits->retries + 1 < 5 ? limits->retries + 1 : 5);
    for (unsigned attempt = 0; attempt < attempts; attempt++) {
        if (attempt)
            sleep_ms(200u << (attempt < 4 ? attempt : 4)); /* backoff between attempts, bounded */
        pace(run, url);
        if (fetcher_start(f, url, 0, NULL) < 0) {
            snprintf(out->detail, sizeof out->detail, "curl refused the transfer");
            break;
        }
        fetch_result page;
        bool got = false;
        /* bounded: the transfer's own timeout ends it */
        for (int spin = 0; spin < 100000 && !(got = fetcher_next(f, &page)); spin++)
            fetcher_run(f, 100);
        if (!got) {
            snprintf(out->detail, sizeof out->detail, "no answer");
            break;
        }
        out->http_status = page.status;
        bool retry = page.failed ? page.error != FETCH_HTTP_4XX && page.error != FETCH_OFFSITE &&
                                       page.error != FETCH_BLOCKED
                                 : page.status >= 500 || page.status == 429;
        if (page.failed && page.status == 0) {
            snprintf(out->detail, sizeof out->detail, "%s: %s", fetch_error_name(page.error), page.error_text);
            fetcher_release(f, &page);
            if (retry)
                continue;
            break;
        }
        if (retry && attempt + 1 < attempts) {
            fetcher_release(f, &page);
            continue;
        }
        /* an answer: archived whatever it says (a 404 is the proof of a takedown) */
        warc_exchange x = {.target_uri = page.url, .date = page.fetched_at, .ip = page.ip[0] ? page.ip : NULL,
                           .request_headers = page.request_headers, .request_headers_length = page.request_headers_length,
                           .response_headers = page.response_headers,
                           .response_headers_length = page.response_headers_length, .body = page.raw,
                           .body_length = page.raw_length};
        out->archived = warc_write_exchange(archive, &x, &out->where) == WARC_OK && warc_writer_sync(archive) == WARC_OK;
        double new_price = 0;
        bool has_price = false;
        bool online = false;
        if (page.status == 404 || page.status == 410) {
            out->outcome = RECHECK_REMOVED;
            snprintf(out->detail, sizeof out->detail, "HTTP %ld", page.status);
        } else if (page.status >= 200 && page.status < 300) {
            online = true;
            campaign_target html = *t;
            html.adapter = ADAPTER_STOREFRONT; /* a listing's own page is HTML, whatever API found it */
            adapter_result r;
            adapter_result_init(&r);
            char error[256];
            const cJSON *now = NULL;
            /* read as the scan read it: in UTF-8 whatever charset the page is in
             * (else a windows-1258 page would look like a changed title) */
            charset_decoder *decoder = NULL;
            charset_result text = {.text = page.body, .length = page.body_length};
            if (charset_decoder_create(limits->max_body_bytes, &decoder) != CHARSET_OK ||
                charset_decode(decoder, page.content_type, page.body, page.body_length, &text) != CHARSET_OK) {
                text.text = page.body;
                text.length = page.body_length;
            }
            if (adapter_parse(&html, PAGE_HTML, page.url, text.text, text.length, &r, error, sizeof error) == 0)
                now = listing_on_page(r.listings, json_string(c, "listing_id"));
            bool gone = !now && says_not_found(text.text, text.length);
            charset_decoder_destroy(decoder);
            if (gone) {
                out->outcome = RECHECK_REMOVED;
                online = false;
                snprintf(out->detail, sizeof out->detail, "the page says the product is gone");
            } else if (!now) {
                out->outcome = RECHECK_UNREADABLE;
                snprintf(out->detail, sizeof out->detail, "no product on the page");
            } else {
                const cJSON *old_price = cJSON_GetObjectItemCaseSensitive(c, "price"),
                            *price = cJSON_GetObjectItemCaseSensitive(now, "price");
                const cJSON *seller = cJSON_GetObjectItemCaseSensitive(c, "seller"),
                            *new_seller = cJSON_GetObjectItemCaseSensitive(now, "seller");
                double a = cJSON_IsNumber(old_price) ? old_price->valuedouble : 0;
                has_price = cJSON_IsNumber(price);
                new_price = has_price ? price->valuedouble : 0;
                recheck_compare(json_string(c, "title"), cJSON_IsNumber(old_price) ? &a : NULL,
                                json_string(seller, "name"), json_string(now, "title"), has_price ? &new_price : NULL,
                                json_string(new_seller, "name"), out->changes, sizeof out->changes);
                out->outcome = out->changes[0] ? RECHECK_CHANGED : RECHECK_UNCHANGED;
                if (out->changes[0])
                    snprintf(out->detail, sizeof out->detail, "changed: %s", out->changes);
            }
            adapter_result_free(&r);
        } else {
            snprintf(out->detail, sizeof out->detail, "HTTP %ld", page.status);
        }
        if (out->outcome != RECHECK_FAILED) {
            /* the sighting: the capture as a flag's evidence, and what the re-check found */
            bytebuf e;
            bytebuf_init(&e, 0);
            bytebuf_append_string(&e, "{\"url\":");
            bytebuf_append_json_string(&e, page.url, strlen(page.url));
            bytebuf_append_string(&e, ",\"fetched_at\":");
            bytebuf_append_json_string(&e, page.fetched_at, strlen(page.fetched_at));
            bytebuf_printf(&e, ",\"http_status\":%ld,\"sha256\":\"%s\",\"ip\":", page.status, page.sha256);
            bytebuf_append_json_string(&e, page.ip, strlen(page.ip));
            if (out->archived) {
                bytebuf_append_string(&e, ",\"warc\":{\"file\":");
                bytebuf_append_json_string(&e, out->where.file, strlen(out->where.file));
                bytebuf_printf(&e, ",\"offset\":%llu,\"length\":%llu,\"request_offset\":%llu,\"request_length\":%llu,"
                                   "\"record_id\":",
                               (unsigned long long)out->where.offset, (unsigned long long)out->where.length,
                               (unsigned long long)out->where.request_offset,
                               (unsigned long long)out->where.request_length);
                bytebuf_append_json_string(&e, out->where.record_id, strlen(out->where.record_id));
                bytebuf_append_string(&e, ",\"payload_digest\":");
                bytebuf_append_json_string(&e, out->where.payload_digest, strlen(out->where.payload_digest));
                bytebuf_append_char(&e, '}');
            } else {
                bytebuf_append_string(&e, ",\"warc\":null");
            }
            bytebuf_printf(&e, ",\"recheck\":{\"outcome\":\"%s\",\"changes\":\"%s\"", recheck_outcome_name(out->outcome),
                           out->changes);
            if (out->robots_reason) { /* fetched regardless of robots.txt: why, on the sighting's record */
                bytebuf_append_string(&e, ",\"robots_ignored\":");
                bytebuf_append_json_string(&e, out->robots_reason, strlen(out->robots_reason));
            }
            bytebuf_append_string(&e, "}}");
            if (register_add_recheck(o->reg, case_id, page.fetched_at, online, has_price ? &new_price : NULL,
                                     e.data, why, sizeof why) != REGISTER_OK) {
                out->outcome = RECHECK_FAILED;
                snprintf(out->detail, sizeof out->detail, "%s", why);
            }
            bytebuf_free(&e);
        }
        fetcher_release(f, &page);
        break;
    }
    fetcher_destroy(f);
    cJSON_Delete(c);
}

int recheck_cases(const recheck_options *o, const char *const *ids, size_t count, recheck_result *results, char *error,
                  size_t error_size)
{
    /* the targets ignoring robots.txt and why, in the warcinfo as a scan's */
    bytebuf note;
    bytebuf_init(&note, 0);
    for (size_t i = 0; i < o->campaign->target_count; i++) {
        const campaign_target *t = &o->campaign->targets[i];
        if (t->robots_ignore)
            bytebuf_printf(&note, "%starget '%s': %s", note.length ? "; " : "", t->name, t->robots_reason);
    }
    recheck_run *run = calloc(1, sizeof *run);
    if (!run || note.overflow) {
        snprintf(error, error_size, "out of memory");
        free(run);
        bytebuf_free(&note);
        return -1;
    }
    run->o = o;
    bytebuf_init(&run->robots_body, 0);
    run->robots = robots_cache_create("lscan", 600);
    warc_writer_options wo = {.directory = o->evidence_dir, .prefix = "lscan-recheck",
                              .info = {.software = o->software, .campaign = o->campaign->name,
                                       .scan_id = "recheck", .operator_name = o->operator_name,
                                       .robots = note.length ? note.data : NULL}};
    warc_writer *archive = NULL;
    int rc = 0;
    if (!run->robots) {
        snprintf(error, error_size, "out of memory");
        rc = -1;
    } else if (warc_writer_create(&wo, &archive, error, error_size) < 0) {
        rc = -1;
    } else {
        for (size_t i = 0; i < count; i++)
            recheck_one(run, archive, ids[i], &results[i]);
        warc_writer_destroy(archive);
    }
    if (run->robots_fetch)
        fetcher_destroy(run->robots_fetch);
    bytebuf_free(&run->robots_body);
    robots_cache_destroy(run->robots);
    free(run);
    bytebuf_free(&note);
    return rc;
}
