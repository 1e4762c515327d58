/* bench-scan: lscan scan end to end (fetch, extract, normalize, match,
 * decide, dedup, Redis) against the fixture market, one worker thread on one
 * core, the server on the other. References measured in the same run:
 * wrk on pages of the same shape, served from the same warm cache (its
 * request rate is what the HTTP client side alone can do), and a Scrapy 2.8
 * spider (Debian's python3-scrapy) doing the same extraction and keyword
 * matching on the same JSON pages, twice: given every page's URL up front
 * (CPU-bound: the like-for-like reference, compared CPU time per page), and
 * walking the pagination (latency-bound, reported as such). Every rate
 * stands beside lscan's CPU time per page and per listing (getrusage of the
 * lscan child: user + system), the figure that does not swing with the
 * machine's load. Targets: lscan >= 0.5x wrk's rate on JSON pages with the
 * full pipeline; lscan >= 20x Scrapy, CPU for CPU.
 * usage: bench-scan [--json] [--listings N] */
#include <cJSON.h>
#include <libdeflate.h>
#include <openssl/evp.h>
#include <sched.h>
#include <sys/syscall.h>
#include <zlib.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/harness.h"
#include "rules/loader.h"

static void pin_to(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu % (int)sysconf(_SC_NPROCESSORS_ONLN), &set);
    sched_setaffinity(0, sizeof set, &set);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static harness_process market, redis;

typedef struct run {
    double seconds, pages, listings, flags, rss_mb, archived, warc_bytes;
    double cpu; /* CPU seconds of the lscan process (user + system) */
} run;

/* CPU seconds (user + system) of every child waited for so far. */
static double children_cpu(void)
{
    struct rusage u;
    getrusage(RUSAGE_CHILDREN, &u);
    return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 + (double)u.ru_stime.tv_sec +
           (double)u.ru_stime.tv_usec / 1e6;
}

static double us_per(double cpu, double count)
{
    return count > 0 ? cpu * 1e6 / count : 0;
}

/* Runs lscan scan over the given targets with a fresh key prefix, archiving
 * pages as `evidence` says (flagged, all, none). */
static run scan_with(const char *targets, bool gzip, int index, const char *evidence)
{
    char campaign[1024], summary[1024], lscan[1024];
    snprintf(campaign, sizeof campaign, "%s/bench-%d.yaml", market.dir, index);
    snprintf(summary, sizeof summary, "%s/bench-%d.json", market.dir, index);
    snprintf(lscan, sizeof lscan, "%s/lscan", harness_build());
    FILE *f = fopen(campaign, "w");
    fprintf(f,
            "campaign: bench\nrules: [%s/rules/packs]\nredis: {url: \"redis://127.0.0.1:%d\", prefix: \"bench%d:\"}\n"
            "evidence: %s\nlimits: {per_host_concurrency: 32, requests_per_second: 0, gzip: %s}\ntargets:\n%s",
            harness_root(), redis.port, index, evidence, gzip ? "true" : "false", targets);
    fclose(f);
    char state[1100];
    snprintf(state, sizeof state, "%s/state-%d", market.dir, index);
    const char *argv[] = {lscan,   "scan",        "--campaign", campaign, "--threads", "1", "--quiet",
                          "--json-summary", summary, "--state-dir", state, NULL};
    char *err = NULL;
    double t0 = now(), cpu0 = children_cpu();
    int rc = harness_run(argv, NULL, 0, NULL, &err);
    run r = {now() - t0, 0, 0, 0, 0, 0, 0, children_cpu() - cpu0};
    char *text = harness_read_file(summary, NULL);
    cJSON *s = text ? cJSON_Parse(text) : NULL;
    if (rc != 0 || !s) {
        fprintf(stderr, "bench-scan: lscan scan failed (%d): %s\n", rc, err ? err : "");
        exit(1);
    }
    r.pages = cJSON_GetNumberValue(cJSON_GetObjectItem(s, "pages"));
    r.listings = cJSON_GetNumberValue(cJSON_GetObjectItem(s, "listings"));
    r.flags = cJSON_GetNumberValue(cJSON_GetObjectItem(s, "flags"));
    r.seconds = cJSON_GetNumberValue(cJSON_GetObjectItem(s, "seconds"));
    r.rss_mb = cJSON_GetNumberValue(cJSON_GetObjectItem(s, "peak_rss_mb"));
    r.archived = cJSON_GetNumberValue(cJSON_GetObjectItem(s, "pages_archived"));
    r.warc_bytes = cJSON_GetNumberValue(cJSON_GetObjectItem(s, "warc_bytes"));
    cJSON_Delete(s);
    /* the archive is the operator's disk, not the benchmark's: removed after each run */
    char rm[1300];
    snprintf(rm, sizeof rm, "rm -rf '%s/evidence'", state);
    const char *sh[] = {"sh", "-c", rm, NULL};
    harness_run(sh, NULL, 0, NULL, NULL);
    free(text);
    free(err);
    return r;
}

static run scan(const char *targets, bool gzip, int index)
{
    return scan_with(targets, gzip, index, "flagged");
}

/* wrk over `pages` URLs made from `format` (one %d: the page index). */
static double wrk(const char *format, int pages, int step, bool gzip, int seconds)
{
    char script[1024], url[256], duration[16];
    snprintf(script, sizeof script, "%s/wrk-%d.lua", market.dir, step);
    FILE *f = fopen(script, "w");
    fprintf(f, "counter = 0\nrequest = function()\n  counter = counter + 1\n"
               "  return wrk.format(\"GET\", string.format(\"%s\", (counter %% %d) * %d))\nend\n",
            format, pages, step);
    fclose(f);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", market.port);
    snprintf(duration, sizeof duration, "%ds", seconds);
    const char *argv[12] = {"wrk", "-t1", "-c32", "-d", duration, "-s", script};
    int argc = 7;
    if (gzip) {
        argv[argc++] = "-H";
        argv[argc++] = "Accept-Encoding: gzip";
    }
    argv[argc++] = url;
    argv[argc] = NULL;
    char *out = NULL;
    harness_run(argv, NULL, 0, &out, NULL);
    const char *line = out ? strstr(out, "Requests/sec:") : NULL;
    double rps = line ? strtod(line + 13, NULL) : -1;
    free(out);
    return rps;
}

/* What any design must pay per JSON page, measured here on one real page of
 * the run (issue 16, "Where the floor is"): inflating its gzip body
 * (libdeflate, and zlib for comparison), parsing its JSON (cJSON: a SIMD
 * parser is not in Debian 12), hashing it (SHA-256, the evidence digest) and
 * a few syscalls (receive, send, poll, epoll). Each timed over a bounded
 * loop (at most 20,000 rounds or 1 s), the median of 5. */
typedef struct page_floor {
    double page_bytes, gzip_bytes;
    double libdeflate_us, zlib_us, cjson_us, sha256_us, syscall_us, floor_us;
} page_floor;

static double median5(double v[5])
{
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++)
            if (v[j] < v[i]) {
                double t = v[i];
                v[i] = v[j];
                v[j] = t;
            }
    return v[2];
}

typedef void (*floor_step)(void *ctx);

static double time_step(floor_step step, void *ctx)
{
    double rounds_per_run[5];
    for (int r = 0; r < 5; r++) {
        double t0 = now();
        int n = 0;
        while (n < 20000 && (n < 50 || now() - t0 < 0.2)) {
            step(ctx);
            n++;
        }
        rounds_per_run[r] = (now() - t0) * 1e6 / n;
    }
    return median5(rounds_per_run);
}

typedef struct floor_ctx {
    const char *page;
    size_t page_length;
    unsigned char *gz;
    size_t gz_length;
    char *out;
    struct libdeflate_decompressor *d;
} floor_ctx;

static void step_libdeflate(void *ctx)
{
    floor_ctx *c = ctx;
    size_t got = 0;
    if (libdeflate_gzip_decompress(c->d, c->gz, c->gz_length, c->out, c->page_length + 16, &got) != LIBDEFLATE_SUCCESS ||
        got != c->page_length)
        abort();
}

static void step_zlib(void *ctx)
{
    floor_ctx *c = ctx;
    z_stream z = {0};
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        abort();
    z.next_in = c->gz;
    z.avail_in = (uInt)c->gz_length;
    z.next_out = (unsigned char *)c->out;
    z.avail_out = (uInt)(c->page_length + 16);
    if (inflate(&z, Z_FINISH) != Z_STREAM_END || z.total_out != c->page_length)
        abort();
    inflateEnd(&z);
}

static void step_cjson(void *ctx)
{
    floor_ctx *c = ctx;
    cJSON *doc = cJSON_ParseWithLength(c->page, c->page_length);
    if (!doc)
        abort();
    cJSON_Delete(doc);
}

static void step_sha256(void *ctx)
{
    floor_ctx *c = ctx;
    unsigned char digest[32];
    unsigned int n = 0;
    EVP_Digest(c->page, c->page_length, digest, &n, EVP_sha256(), NULL);
}

static void step_syscall(void *ctx)
{
    (void)ctx;
    syscall(SYS_getppid); /* a syscall that does no work: the entry and exit */
}

static page_floor measure_floor(void)
{
    page_floor f = {0};
    harness_response page;
    if (harness_http_get(market.port, "/shopee/api/v4/search/search_items?keyword=&limit=60&newest=0", false, 10000,
                         &page) < 0 || !page.body)
        return f;
    floor_ctx c = {.page = page.body, .page_length = page.length};
    struct libdeflate_compressor *z = libdeflate_alloc_compressor(6);
    size_t bound = libdeflate_gzip_compress_bound(z, page.length);
    c.gz = malloc(bound);
    c.out = malloc(page.length + 16);
    c.d = libdeflate_alloc_decompressor();
    c.gz_length = c.gz ? libdeflate_gzip_compress(z, page.body, page.length, c.gz, bound) : 0;
    libdeflate_free_compressor(z);
    if (c.gz_length && c.out && c.d) {
        f.page_bytes = (double)page.length;
        f.gzip_bytes = (double)c.gz_length;
        f.libdeflate_us = time_step(step_libdeflate, &c);
        f.zlib_us = time_step(step_zlib, &c);
        f.cjson_us = time_step(step_cjson, &c);
        f.sha256_us = time_step(step_sha256, &c);
        f.syscall_us = time_step(step_syscall, &c);
        f.floor_us = f.libdeflate_us + f.cjson_us + f.sha256_us + 4 * f.syscall_us;
    }
    libdeflate_free_decompressor(c.d);
    free(c.gz);
    free(c.out);
    harness_response_free(&page);
    return f;
}

typedef struct scrapy_run {
    double pages, seconds, cpu; /* pages < 0: not measured */
} scrapy_run;

/* Writes every Shopee search page's URL (each category, 60 a page, as far as
 * its total_count) to `path`, one a line: the same pages lscan's walk meets. */
static int write_search_urls(const char *path)
{
    harness_response tree;
    if (harness_http_get(market.port, "/shopee/api/v4/pages/get_category_tree", false, 10000, &tree) < 0)
        return -1;
    cJSON *doc = cJSON_Parse(tree.body ? tree.body : "");
    harness_response_free(&tree);
    cJSON *list = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "data"), "category_list");
    FILE *f = fopen(path, "w");
    int written = 0;
    cJSON *c;
    cJSON_ArrayForEach(c, list)
    {
        long catid = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(c, "catid"));
        char page[256];
        snprintf(page, sizeof page, "/shopee/api/v4/search/search_items?match_id=%ld&limit=60&newest=0", catid);
        harness_response first;
        if (harness_http_get(market.port, page, false, 10000, &first) < 0)
            continue;
        cJSON *p = cJSON_Parse(first.body ? first.body : "");
        double total = cJSON_GetNumberValue(cJSON_GetObjectItem(p, "total_count"));
        cJSON_Delete(p);
        harness_response_free(&first);
        for (long offset = 0; f && (offset == 0 || offset < total); offset += 60, written++)
            fprintf(f, "http://127.0.0.1:%d/shopee/api/v4/search/search_items?match_id=%ld&limit=60&newest=%ld\n",
                    market.port, catid, offset);
    }
    cJSON_Delete(doc);
    if (f)
        fclose(f);
    return f && written ? 0 : -1;
}

/* The Scrapy reference on the shopee categories: given every page's URL up
 * front (`upfront`, CPU-bound) or walking the pagination (latency-bound).
 * pages < 0 when Scrapy is missing or fails. */
static scrapy_run scrapy(bool upfront)
{
    scrapy_run result = {-1, 0, 0};
    char terms[1024], out[1024], spider[1024], base[256], urls[1024];
    snprintf(terms, sizeof terms, "%s/terms.txt", market.dir);
    snprintf(out, sizeof out, "%s/scrapy.json", market.dir);
    snprintf(urls, sizeof urls, "%s/urls.txt", market.dir);
    snprintf(spider, sizeof spider, "%s/bench/scrapy_spider.py", harness_root());
    snprintf(base, sizeof base, "base=http://127.0.0.1:%d/shopee", market.port);
    char packs[1024];
    snprintf(packs, sizeof packs, "%s/rules/packs", harness_root());
    const char *paths[] = {packs};
    diagnostics diag;
    diagnostics_init(&diag);
    ruleset *rs = NULL;
    if (ruleset_load(paths, 1, NULL, &rs, &diag) < 0)
        return result;
    diagnostics_free(&diag);
    FILE *f = fopen(terms, "w");
    for (size_t i = 0; i < ruleset_rule_count(rs); i++)
        for (size_t t = 0; t < ruleset_rule(rs, i)->terms.count; t++)
            fprintf(f, "%s\n", ruleset_rule(rs, i)->terms.items[t]);
    fclose(f);
    ruleset_destroy(rs);
    if (upfront && write_search_urls(urls) < 0)
        return result;
    char terms_arg[1100], out_arg[1100], urls_arg[1100];
    snprintf(terms_arg, sizeof terms_arg, "terms=%s", terms);
    snprintf(out_arg, sizeof out_arg, "out=%s", out);
    snprintf(urls_arg, sizeof urls_arg, "urls=%s", urls);
    const char *check[] = {"/usr/bin/python3", "-c", "import scrapy", NULL};
    if (harness_run(check, NULL, 0, NULL, NULL) != 0)
        return result;
    const char *argv[] = {"/usr/bin/python3", "-m", "scrapy", "runspider", spider, "-a", base, "-a", terms_arg,
                          "-a", out_arg, upfront ? "-a" : NULL, urls_arg, NULL};
    char *err = NULL;
    double t0 = now(), cpu0 = children_cpu();
    int rc = harness_run(argv, NULL, 0, NULL, &err);
    result.seconds = now() - t0;
    result.cpu = children_cpu() - cpu0;
    char *text = harness_read_file(out, NULL);
    cJSON *s = text ? cJSON_Parse(text) : NULL;
    if (rc != 0 || !s) {
        fprintf(stderr, "bench-scan: the Scrapy spider failed (%d): %.500s\n", rc, err ? err : "");
        free(err);
        free(text);
        return result;
    }
    result.pages = cJSON_GetNumberValue(cJSON_GetObjectItem(s, "pages"));
    cJSON_Delete(s);
    free(text);
    free(err);
    remove(out);
    return result;
}

int main(int argc, char **argv)
{
    bool json = false;
    unsigned long long listings = 200000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (!strcmp(argv[i], "--listings") && i + 1 < argc)
            listings = strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: bench-scan [--json] [--listings N]\n");
            return 2;
        }
    }
    pin_to(0); /* the server inherits CPU 0 */
    const char *const server_args[] = {"--threads", "1", NULL};
    if (harness_market_start(&market, 2026, listings, server_args) < 0)
        return 1;
    pin_to(1); /* Redis, lscan, wrk and Scrapy on CPU 1 */
    if (harness_redis_start(&redis) < 0) {
        harness_stop(&market);
        return 1;
    }
    char targets_json[1024], targets_html[1024], targets_mix[4096];
    snprintf(targets_json, sizeof targets_json,
             "  - {name: shopee, adapter: shopee, base_url: \"http://127.0.0.1:%d/shopee\", categories: true, keywords: []}\n",
             market.port);
    snprintf(targets_html, sizeof targets_html,
             "  - {name: store, adapter: storefront, base_url: \"http://127.0.0.1:%d/store\", categories: true, keywords: [], "
             "follow: [\"/c/\", \"/p/\"]}\n",
             market.port);
    snprintf(targets_mix, sizeof targets_mix,
             "%s%s  - {name: tiki, adapter: tiki, base_url: \"http://127.0.0.1:%d/tiki\", categories: true, keywords: []}\n"
             "  - {name: social, adapter: social, base_url: \"http://127.0.0.1:%d/social\", categories: true, keywords: []}\n",
             targets_json, targets_html, market.port, market.port);
    /* a first pass renders every page once; the measured runs then meet the
     * same warm cache as wrk does */
    scan(targets_mix, true, 0);
    run json_gzip = scan(targets_json, true, 1), json_plain = scan(targets_json, false, 2);
    /* lscan's start-up (packs, normalizer, Redis, the archive): a campaign
     * whose one page is a 404; the fastest of three */
    char targets_idle[1024];
    snprintf(targets_idle, sizeof targets_idle,
             "  - {name: shopee, adapter: shopee, base_url: \"http://127.0.0.1:%d/shopee\", categories: false, "
             "keywords: [], start_urls: [\"/no-such-page\"]}\n",
             market.port);
    double startup_cpu = 0;
    for (int i = 0; i < 3; i++) {
        run idle = scan(targets_idle, true, 11 + i);
        if (i == 0 || idle.cpu < startup_cpu)
            startup_cpu = idle.cpu;
    }
    run html_gzip = scan(targets_html, true, 3), mix = scan(targets_mix, true, 4);
    int json_pages = (int)(listings / 4 / 60);
    double wrk_json_gzip = wrk("/shopee/api/v4/search/search_items?keyword=&limit=60&newest=%d", json_pages, 60, true, 3);
    double wrk_json_plain = wrk("/shopee/api/v4/search/search_items?keyword=&limit=60&newest=%d", json_pages, 60, false, 3);
    /* product pages 500000000.. (warm from the scans above) */
    double wrk_html = wrk("/store/p/5%08d.html", (int)(listings / 4), 1, true, 3);
    /* the evidence archive's cost: the same mix with none, flagged, all (twice each, interleaved; the faster kept) */
    run ev[3];
    static const char *const modes[3] = {"none", "flagged", "all"};
    for (int m = 0; m < 3; m++)
        ev[m] = scan_with(targets_mix, true, 5 + m, modes[m]);
    for (int m = 0; m < 3; m++) {
        run again = scan_with(targets_mix, true, 8 + m, modes[m]);
        if (again.pages / again.seconds > ev[m].pages / ev[m].seconds)
            ev[m] = again;
    }
    scrapy_run upfront = scrapy(true), walk = scrapy(false);
    page_floor fl = measure_floor();
    harness_stop(&redis);
    harness_stop(&market);

    double json_rate = json_gzip.pages / json_gzip.seconds, html_rate = html_gzip.pages / html_gzip.seconds;
    double lscan_json_us = us_per(json_gzip.cpu, json_gzip.pages);
    double scrapy_us = upfront.pages > 0 ? us_per(upfront.cpu, upfront.pages) : 0;
    double scrapy_walk_rate = walk.pages > 0 ? walk.pages / walk.seconds : 0;
    if (json) {
        printf("{\"listings\":%llu,\"json_pages_s\":%.0f,\"json_listings_s\":%.0f,\"json_cpu_us_per_page\":%.1f,"
               "\"json_cpu_us_per_listing\":%.2f,\"json_nogzip_pages_s\":%.0f,\"json_nogzip_cpu_us_per_page\":%.1f,"
               "\"html_pages_s\":%.0f,\"html_listings_s\":%.0f,\"html_cpu_us_per_page\":%.1f,"
               "\"mix_pages_s\":%.0f,\"mix_listings_s\":%.0f,\"mix_cpu_us_per_page\":%.1f,\"mix_cpu_us_per_listing\":%.2f,"
               "\"wrk_json_gzip_rps\":%.0f,\"wrk_json_rps\":%.0f,\"wrk_html_gzip_rps\":%.0f,"
               "\"ratio_vs_wrk_json\":%.3f,\"ratio_vs_wrk_json_nogzip\":%.3f,\"ratio_vs_wrk_html\":%.3f,"
               "\"scrapy_upfront_pages_s\":%.1f,\"scrapy_upfront_cpu_us_per_page\":%.0f,"
               "\"ratio_vs_scrapy_cpu_per_page\":%.2f,\"scrapy_walk_pages_s\":%.1f,\"ratio_vs_scrapy_walk_latency_bound\":%.1f,"
               "\"mix_peak_rss_mb\":%.1f,"
               "\"evidence_none_pages_s\":%.0f,\"evidence_flagged_pages_s\":%.0f,\"evidence_all_pages_s\":%.0f,"
               "\"evidence_none_cpu_us_per_page\":%.1f,\"evidence_flagged_cpu_us_per_page\":%.1f,"
               "\"evidence_all_cpu_us_per_page\":%.1f,"
               "\"warc_bytes_per_archived_page\":%.0f,\"evidence_flagged_share\":%.3f,"
               "\"floor_page_bytes\":%.0f,\"floor_libdeflate_us\":%.1f,\"floor_zlib_us\":%.1f,\"floor_cjson_us\":%.1f,"
               "\"floor_sha256_us\":%.1f,\"floor_syscall_us\":%.2f,\"floor_us\":%.1f,\"ratio_vs_floor\":%.2f,"
               "\"startup_cpu_ms\":%.1f,\"json_cpu_us_per_page_without_startup\":%.1f}\n",
               listings, json_rate, json_gzip.listings / json_gzip.seconds, lscan_json_us,
               us_per(json_gzip.cpu, json_gzip.listings), json_plain.pages / json_plain.seconds,
               us_per(json_plain.cpu, json_plain.pages), html_rate, html_gzip.listings / html_gzip.seconds,
               us_per(html_gzip.cpu, html_gzip.pages), mix.pages / mix.seconds, mix.listings / mix.seconds,
               us_per(mix.cpu, mix.pages), us_per(mix.cpu, mix.listings), wrk_json_gzip, wrk_json_plain, wrk_html,
               json_rate / wrk_json_gzip, (json_plain.pages / json_plain.seconds) / wrk_json_plain, html_rate / wrk_html,
               upfront.pages > 0 ? upfront.pages / upfront.seconds : 0, scrapy_us,
               scrapy_us > 0 ? scrapy_us / lscan_json_us : 0, scrapy_walk_rate,
               scrapy_walk_rate > 0 ? json_rate / scrapy_walk_rate : 0, mix.rss_mb, ev[0].pages / ev[0].seconds,
               ev[1].pages / ev[1].seconds, ev[2].pages / ev[2].seconds, us_per(ev[0].cpu, ev[0].pages),
               us_per(ev[1].cpu, ev[1].pages), us_per(ev[2].cpu, ev[2].pages),
               ev[2].archived > 0 ? ev[2].warc_bytes / ev[2].archived : 0,
               ev[1].pages > 0 ? ev[1].archived / ev[1].pages : 0, fl.page_bytes, fl.libdeflate_us, fl.zlib_us,
               fl.cjson_us, fl.sha256_us, fl.syscall_us, fl.floor_us, fl.floor_us > 0 ? lscan_json_us / fl.floor_us : 0,
               startup_cpu * 1e3, us_per(json_gzip.cpu - startup_cpu, json_gzip.pages));
        return 0;
    }
    printf("lscan scan, one worker thread (CPU 1) against the fixture market (%llu listings, one server thread on CPU 0);\n"
           "CPU is the lscan process's user + system time (getrusage), the figure that does not swing with load:\n",
           listings);
    printf("  %-28s %7.0f pages/s %8.0f listings/s  CPU %6.0f us/page %5.1f us/listing  (%.0f pages, %.0f flags)\n",
           "JSON (Shopee-like), gzip", json_rate, json_gzip.listings / json_gzip.seconds, lscan_json_us,
           us_per(json_gzip.cpu, json_gzip.listings), json_gzip.pages, json_gzip.flags);
    printf("    (of which lscan's start-up, %.0f ms CPU: %.0f us a page; the %.0f pages alone %.0f us a page)\n",
           startup_cpu * 1e3, us_per(startup_cpu, json_gzip.pages), json_gzip.pages,
           us_per(json_gzip.cpu - startup_cpu, json_gzip.pages));
    printf("  %-28s %7.0f pages/s %8.0f listings/s  CPU %6.0f us/page %5.1f us/listing\n", "JSON, no gzip",
           json_plain.pages / json_plain.seconds, json_plain.listings / json_plain.seconds,
           us_per(json_plain.cpu, json_plain.pages), us_per(json_plain.cpu, json_plain.listings));
    printf("  %-28s %7.0f pages/s %8.0f listings/s  CPU %6.0f us/page %5.1f us/listing  (%.0f pages)\n",
           "HTML storefront, gzip", html_rate, html_gzip.listings / html_gzip.seconds, us_per(html_gzip.cpu, html_gzip.pages),
           us_per(html_gzip.cpu, html_gzip.listings), html_gzip.pages);
    printf("  %-28s %7.0f pages/s %8.0f listings/s  CPU %6.0f us/page %5.1f us/listing  (%.0f pages, %.0f flags, "
           "peak RSS %.0f MB)\n",
           "all four shapes, gzip", mix.pages / mix.seconds, mix.listings / mix.seconds, us_per(mix.cpu, mix.pages),
           us_per(mix.cpu, mix.listings), mix.pages, mix.flags, mix.rss_mb);
    printf("  the evidence archive (WARC), all four shapes, gzip:\n");
    for (int m = 0; m < 3; m++)
        printf("    evidence: %-8s %7.0f pages/s = %.2fx of none  CPU %4.0f us/page  (%.0f of %.0f pages archived, "
               "%.1f MB, %.0f B/page)\n",
               modes[m], ev[m].pages / ev[m].seconds, (ev[m].pages / ev[m].seconds) / (ev[0].pages / ev[0].seconds),
               us_per(ev[m].cpu, ev[m].pages), ev[m].archived, ev[m].pages, ev[m].warc_bytes / 1e6,
               ev[m].archived > 0 ? ev[m].warc_bytes / ev[m].archived : 0);
    printf("references, same run, same warm server:\n");
    printf("  wrk -t1 -c32, JSON search pages, gzip    %8.0f req/s   lscan = %.2fx (target >= 0.5x)\n", wrk_json_gzip,
           json_rate / wrk_json_gzip);
    printf("  wrk -t1 -c32, JSON search pages          %8.0f req/s   lscan = %.2fx\n", wrk_json_plain,
           (json_plain.pages / json_plain.seconds) / wrk_json_plain);
    printf("  wrk -t1 -c32, product pages, gzip        %8.0f req/s   lscan = %.2fx\n", wrk_html, html_rate / wrk_html);
    if (upfront.pages > 0)
        printf("  Scrapy 2.8, same JSON pages, URLs up front (CPU-bound): %.1f pages/s, CPU %.0f us/page;\n"
               "    lscan CPU for CPU = %.1fx (target >= 20x; %.0f pages)\n",
               upfront.pages / upfront.seconds, scrapy_us, scrapy_us / lscan_json_us, upfront.pages);
    else
        printf("  Scrapy: not installed (apt-get install python3-scrapy), not measured\n");
    if (walk.pages > 0)
        printf("  Scrapy 2.8, walking the pagination (latency-bound, not CPU for CPU): %.1f pages/s, CPU %.0f us/page;\n"
               "    lscan pages/s = %.1fx\n",
               scrapy_walk_rate, us_per(walk.cpu, walk.pages), json_rate / scrapy_walk_rate);
    if (fl.floor_us > 0) {
        printf("  the floor of one JSON search page (%.0f bytes, %.0f gzipped), measured here:\n", fl.page_bytes,
               fl.gzip_bytes);
        printf("    inflate: libdeflate %.1f us (zlib %.1f us); parse: cJSON %.1f us; SHA-256 %.1f us; a syscall %.2f us\n",
               fl.libdeflate_us, fl.zlib_us, fl.cjson_us, fl.sha256_us, fl.syscall_us);
        printf("    floor = inflate + parse + SHA-256 + 4 syscalls = %.0f us; lscan's CPU per JSON page = %.1fx the floor"
               " (goal: 250 us a page)\n",
               fl.floor_us, lscan_json_us / fl.floor_us);
    }
    return 0;
}
