/* The fixture marketplace: determinism, complete pagination, truth
 * reachability, faults, gzip, and a libcurl client on every shape. Each test
 * starts the real build/fixture-market on a free port. */
#include <cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "tests/harness.h"
#include "fixtures/market/market.h"

#define LISTINGS 2000ull
#define SEED 7ull

static harness_process market;

static void start_market(void)
{
    cr_assert_eq(harness_market_start(&market, SEED, LISTINGS, NULL), 0, "fixture-market did not start");
}

static void stop_market(void)
{
    harness_stop(&market);
}

/* GET that must answer 200; returns the body (caller frees). */
static char *get_ok(int port, const char *path, size_t *length)
{
    harness_response r;
    int rc = harness_http_get(port, path, false, 10000, &r);
    cr_assert_eq(rc, 0, "GET %s failed: curl error %d", path, rc);
    cr_assert_eq(r.status, 200, "GET %s: status %ld", path, r.status);
    if (length)
        *length = r.length;
    return r.body;
}

static cJSON *get_json(int port, const char *path)
{
    char *body = get_ok(port, path, NULL);
    cJSON *json = cJSON_Parse(body);
    cr_assert_not_null(json, "GET %s: body is not JSON", path);
    free(body);
    return json;
}

/* ---- a set of listing ids seen while walking ---- */

typedef struct id_set {
    char **ids;
    size_t count, capacity;
    size_t duplicates;
} id_set;

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void id_set_add(id_set *s, const char *id)
{
    if (s->count == s->capacity) {
        s->capacity = s->capacity ? s->capacity * 2 : 1024;
        s->ids = realloc(s->ids, s->capacity * sizeof *s->ids);
    }
    s->ids[s->count++] = strdup(id);
}

/* Sorts and removes duplicates, counting them. */
static void id_set_finish(id_set *s)
{
    qsort(s->ids, s->count, sizeof *s->ids, compare_strings);
    size_t o = 0;
    for (size_t i = 0; i < s->count; i++) {
        if (o && !strcmp(s->ids[o - 1], s->ids[i])) {
            s->duplicates++;
            free(s->ids[i]);
        } else {
            s->ids[o++] = s->ids[i];
        }
    }
    s->count = o;
}

static bool id_set_has(const id_set *s, const char *id)
{
    return bsearch(&id, s->ids, s->count, sizeof *s->ids, compare_strings) != NULL;
}

static void id_set_free(id_set *s)
{
    for (size_t i = 0; i < s->count; i++)
        free(s->ids[i]);
    free(s->ids);
    memset(s, 0, sizeof *s);
}

static size_t platform_count(int p)
{
    return (size_t)((LISTINGS + 3 - (unsigned)p) / 4);
}

/* ---- walkers, one per platform shape, each following the site's own paging ---- */

static void walk_shopee(int port, const char *query, id_set *out)
{
    for (long offset = 0;; offset += 60) {
        char path[512];
        snprintf(path, sizeof path, "/shopee/api/v4/search/search_items?%s&limit=60&newest=%ld", query, offset);
        cJSON *page = get_json(port, path);
        cJSON *items = cJSON_GetObjectItem(page, "items"), *item;
        cJSON_ArrayForEach(item, items)
        {
            cJSON *basic = cJSON_GetObjectItem(item, "item_basic");
            char id[32];
            snprintf(id, sizeof id, "%.0f", cJSON_GetObjectItem(basic, "itemid")->valuedouble);
            id_set_add(out, id);
        }
        bool done = cJSON_IsTrue(cJSON_GetObjectItem(page, "nomore"));
        cJSON_Delete(page);
        if (done)
            break;
        cr_assert_lt(offset, 10000000, "shopee paging does not end");
    }
}

static void walk_tiki(int port, const char *query, id_set *out)
{
    for (long page_number = 1;; page_number++) {
        char path[512];
        snprintf(path, sizeof path, "/tiki/api/v2/products?%s&page=%ld", query, page_number);
        cJSON *page = get_json(port, path);
        cJSON *item;
        cJSON_ArrayForEach(item, cJSON_GetObjectItem(page, "data"))
        {
            char id[32];
            snprintf(id, sizeof id, "%.0f", cJSON_GetObjectItem(item, "id")->valuedouble);
            id_set_add(out, id);
        }
        long last = (long)cJSON_GetObjectItem(cJSON_GetObjectItem(page, "paging"), "last_page")->valuedouble;
        cJSON_Delete(page);
        if (page_number >= last)
            break;
    }
}

/* Follows <link rel="next"> and collects /store/p/ID.html links. */
static void walk_web(int port, const char *start, id_set *out)
{
    char path[1024];
    snprintf(path, sizeof path, "%s", start);
    for (int pages = 0; pages < 100000; pages++) {
        char *html = get_ok(port, path, NULL);
        for (const char *p = html; (p = strstr(p, "href=\"/store/p/")); p++) {
            const char *id = p + strlen("href=\"/store/p/");
            const char *end = strstr(id, ".html\"");
            cr_assert_not_null(end);
            char copy[64];
            snprintf(copy, sizeof copy, "%.*s", (int)(end - id), id);
            id_set_add(out, copy);
        }
        const char *next = strstr(html, "<link rel=\"next\" href=\"");
        if (!next) {
            free(html);
            return;
        }
        next += strlen("<link rel=\"next\" href=\"");
        const char *end = strchr(next, '"');
        snprintf(path, sizeof path, "%.*s", (int)(end - next), next);
        /* the href is HTML-escaped: &amp; -> & */
        for (char *amp; (amp = strstr(path, "&amp;"));)
            memmove(amp + 1, amp + 5, strlen(amp + 5) + 1);
        free(html);
    }
    cr_assert_fail("web paging does not end");
}

static void walk_social(int port, const char *start, id_set *out)
{
    char path[1024];
    snprintf(path, sizeof path, "%s", start);
    for (int pages = 0; pages < 100000; pages++) {
        cJSON *page = get_json(port, path);
        cJSON *post;
        cJSON_ArrayForEach(post, cJSON_GetObjectItem(page, "data"))
            id_set_add(out, cJSON_GetObjectItem(post, "id")->valuestring);
        cJSON *next = cJSON_GetObjectItem(cJSON_GetObjectItem(page, "paging"), "next");
        if (!cJSON_IsString(next)) {
            cJSON_Delete(page);
            return;
        }
        snprintf(path, sizeof path, "%s", next->valuestring);
        cJSON_Delete(page);
    }
    cr_assert_fail("social paging does not end");
}

static void walk_all(int port, int platform, id_set *out)
{
    switch (platform) {
    case 0: walk_shopee(port, "keyword=", out); break;
    case 1: walk_tiki(port, "q=", out); break;
    case 2: walk_web(port, "/store/search", out); break;
    default: walk_social(port, "/social/api/feed", out); break;
    }
}

/* Walks every category page of a platform. */
static void walk_categories(int port, int platform, id_set *out)
{
    cJSON *tree = get_json(port, "/shopee/api/v4/pages/get_category_tree");
    cJSON *category;
    cJSON_ArrayForEach(category, cJSON_GetObjectItem(cJSON_GetObjectItem(tree, "data"), "category_list"))
    {
        long id = (long)cJSON_GetObjectItem(category, "catid")->valuedouble;
        const char *slug = cJSON_GetObjectItem(category, "name")->valuestring;
        char query[256];
        switch (platform) {
        case 0:
            snprintf(query, sizeof query, "match_id=%ld", id);
            walk_shopee(port, query, out);
            break;
        case 1:
            snprintf(query, sizeof query, "category=%ld", id);
            walk_tiki(port, query, out);
            break;
        case 2:
            snprintf(query, sizeof query, "/store/c/%s", slug);
            walk_web(port, query, out);
            break;
        default:
            snprintf(query, sizeof query, "/social/api/hashtags/%s", slug);
            walk_social(port, query, out);
        }
    }
    cJSON_Delete(tree);
}

TestSuite(market, .init = start_market, .fini = stop_market, .timeout = 120);

Test(market, pagination_walks_every_listing_exactly_once)
{
    size_t total = 0;
    for (int p = 0; p < 4; p++) {
        id_set all = {0};
        walk_all(market.port, p, &all);
        id_set_finish(&all);
        cr_expect_eq(all.duplicates, 0, "platform %d: %zu listings seen twice", p, all.duplicates);
        cr_expect_eq(all.count, platform_count(p), "platform %d: %zu distinct listings, expected %zu", p, all.count,
                     platform_count(p));
        total += all.count;

        id_set by_category = {0};
        walk_categories(market.port, p, &by_category);
        id_set_finish(&by_category);
        cr_expect_eq(by_category.duplicates, 0, "platform %d: a listing sits in two categories", p);
        cr_expect_eq(by_category.count, platform_count(p), "platform %d: categories cover %zu of %zu", p,
                     by_category.count, platform_count(p));
        id_set_free(&all);
        id_set_free(&by_category);
    }
    cr_expect_eq(total, LISTINGS);
}

Test(market, every_planted_listing_is_reachable_by_crawling)
{
    id_set reachable[4] = {{0}};
    for (int p = 0; p < 4; p++) {
        walk_categories(market.port, p, &reachable[p]);
        id_set_finish(&reachable[p]);
    }
    char path[600];
    harness_market_truth_path(&market, path, sizeof path);
    char *truth = harness_read_file(path, NULL);
    cr_assert_not_null(truth, "no truth file");
    static const char *const platforms[] = {"shopee", "tiki", "web", "facebook"};
    size_t lines = 0, violations = 0, details_checked = 0;
    size_t kinds_seen = 0;
    const char *kinds[] = {"trademark", "gi", "ocop", "plant_variety", "copyright"};
    bool kind_present[5] = {false};
    for (char *save = NULL, *line = strtok_r(truth, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        cJSON *t = cJSON_Parse(line);
        cr_assert_not_null(t, "truth line is not JSON: %s", line);
        const char *platform = cJSON_GetObjectItem(t, "platform")->valuestring;
        const char *id = cJSON_GetObjectItem(t, "listing_id")->valuestring;
        int p = 0;
        while (p < 4 && strcmp(platforms[p], platform))
            p++;
        cr_assert_lt(p, 4, "unknown platform %s", platform);
        cr_expect(id_set_has(&reachable[p], id), "%s listing %s is in the truth but not reachable", platform, id);
        if (cJSON_IsTrue(cJSON_GetObjectItem(t, "violation"))) {
            violations++;
            const char *kind = cJSON_GetObjectItem(t, "kind")->valuestring;
            for (int k = 0; k < 5; k++)
                if (!strcmp(kind, kinds[k]) && !kind_present[k]) {
                    kind_present[k] = true;
                    kinds_seen++;
                }
            if (violations % 25 == 1) { /* the person-facing page answers too */
                char *page = get_ok(market.port, cJSON_GetObjectItem(t, "url")->valuestring, NULL);
                free(page);
                details_checked++;
            }
        }
        cJSON_Delete(t);
        lines++;
    }
    free(truth);
    cr_expect_gt(lines, LISTINGS / 10, "too few planted listings: %zu", lines);
    cr_expect_gt(violations, LISTINGS / 20, "too few violations: %zu", violations);
    cr_expect_eq(kinds_seen, 5, "not every kind of violation was planted");
    cr_expect_gt(details_checked, 0);
    for (int p = 0; p < 4; p++)
        id_set_free(&reachable[p]);
}

Test(market, seller_pages_list_their_listings)
{
    cJSON *page = get_json(market.port, "/shopee/api/v4/search/search_items?keyword=&limit=30&newest=0");
    cJSON *item;
    int checked = 0;
    cJSON_ArrayForEach(item, cJSON_GetObjectItem(page, "items"))
    {
        char path[256];
        long long shop = (long long)cJSON_GetObjectItem(item, "shopid")->valuedouble;
        long long itemid = (long long)cJSON_GetObjectItem(item, "itemid")->valuedouble;
        snprintf(path, sizeof path, "/shopee/api/v4/shop/search_items?shopid=%lld&offset=0&limit=100", shop);
        cJSON *shop_page = get_json(market.port, path);
        bool found = false;
        cJSON *listed;
        cJSON_ArrayForEach(listed, cJSON_GetObjectItem(cJSON_GetObjectItem(shop_page, "data"), "items"))
        {
            if ((long long)cJSON_GetObjectItem(listed, "itemid")->valuedouble == itemid)
                found = true;
            cr_expect_eq((long long)cJSON_GetObjectItem(listed, "shopid")->valuedouble, shop);
        }
        cr_expect(found, "item %lld is not on its shop's page", itemid);
        cJSON_Delete(shop_page);
        checked++;
    }
    cJSON_Delete(page);
    cr_expect_eq(checked, 30);
}

Test(market, gzip_round_trip_and_cache)
{
    static const char *const paths[] = {"/shopee/api/v4/search/search_items?keyword=&limit=60&newest=60",
                                        "/tiki/api/v2/products?q=&page=2", "/store/search?page=3",
                                        "/social/api/feed", "/store/p/500000010.html"};
    for (size_t i = 0; i < 5; i++) {
        harness_response plain, gz, again;
        cr_assert_eq(harness_http_get(market.port, paths[i], false, 10000, &plain), 0);
        cr_assert_eq(harness_http_get(market.port, paths[i], true, 10000, &gz), 0);
        cr_assert_eq(harness_http_get(market.port, paths[i], true, 10000, &again), 0);
        cr_expect_str_eq(gz.encoding, "gzip", "%s: no gzip encoding", paths[i]);
        cr_expect_str_eq(plain.encoding, "");
        cr_expect_eq(plain.length, gz.length, "%s: decoded size differs", paths[i]);
        cr_expect(plain.length == gz.length && !memcmp(plain.body, gz.body, plain.length), "%s: bytes differ", paths[i]);
        cr_expect(again.length == gz.length && !memcmp(again.body, gz.body, gz.length));
        harness_response_free(&plain);
        harness_response_free(&gz);
        harness_response_free(&again);
    }
    cJSON *stats = get_json(market.port, "/_stats");
    double hits = cJSON_GetObjectItem(cJSON_GetObjectItem(stats, "page_cache"), "hits")->valuedouble;
    cr_expect_geq(hits, 5, "repeated gzip requests were not served from the cache (%g hits)", hits);
    cJSON_Delete(stats);
}

Test(market, each_shape_carries_the_fields_adapters_need)
{
    cJSON *s = get_json(market.port, "/shopee/api/v4/search/search_items?keyword=nike&limit=5&newest=0");
    cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(s, "items"), 0);
    cJSON *basic = cJSON_GetObjectItem(first, "item_basic");
    cr_assert_not_null(basic);
    cr_expect(cJSON_IsString(cJSON_GetObjectItem(basic, "name")));
    cr_expect(cJSON_IsString(cJSON_GetObjectItem(basic, "shop_location")));
    double price = cJSON_GetObjectItem(basic, "price")->valuedouble;
    cr_expect_eq(fmod(price, 100000.0), 0.0, "Shopee prices are in 1/100000 VND");
    char detail[256];
    snprintf(detail, sizeof detail, "/shopee/api/v4/item/get?itemid=%.0f&shopid=%.0f",
             cJSON_GetObjectItem(basic, "itemid")->valuedouble, cJSON_GetObjectItem(basic, "shopid")->valuedouble);
    cJSON *d = get_json(market.port, detail);
    cr_expect(cJSON_IsString(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "data"), "description")));
    cJSON_Delete(d);
    cJSON_Delete(s);

    cJSON *t = get_json(market.port, "/tiki/api/v2/products?q=&page=1");
    cJSON *item = cJSON_GetArrayItem(cJSON_GetObjectItem(t, "data"), 0);
    char tiki_detail[128];
    snprintf(tiki_detail, sizeof tiki_detail, "/tiki/api/v2/products/%.0f", cJSON_GetObjectItem(item, "id")->valuedouble);
    cJSON *td = get_json(market.port, tiki_detail);
    cr_expect(cJSON_IsString(cJSON_GetObjectItem(cJSON_GetObjectItem(td, "current_seller"), "store_location")));
    cr_expect(cJSON_IsNumber(cJSON_GetObjectItem(td, "price")));
    cJSON_Delete(td);
    cJSON_Delete(t);

    /* storefront: both JSON-LD/OpenGraph pages and microdata-only pages exist */
    int json_ld = 0, microdata = 0;
    for (int j = 0; j < 40; j++) {
        char path[64];
        snprintf(path, sizeof path, "/store/p/%d.html", 500000000 + j);
        char *html = get_ok(market.port, path, NULL);
        if (strstr(html, "application/ld+json")) {
            json_ld++;
            cr_expect_not_null(strstr(html, "og:title"));
            cr_expect_not_null(strstr(html, "\"@type\":\"Product\""));
        } else {
            microdata++;
            cr_expect_not_null(strstr(html, "itemtype=\"https://schema.org/Product\""));
            cr_expect_not_null(strstr(html, "itemprop=\"price\""));
        }
        free(html);
    }
    cr_expect_gt(json_ld, 0);
    cr_expect_gt(microdata, 0);

    cJSON *feed = get_json(market.port, "/social/api/feed?limit=50");
    cJSON *post;
    int live = 0;
    cJSON_ArrayForEach(post, cJSON_GetObjectItem(feed, "data"))
    {
        cr_expect(cJSON_IsString(cJSON_GetObjectItem(post, "message")));
        cr_expect(cJSON_IsString(cJSON_GetObjectItem(cJSON_GetObjectItem(post, "from"), "location")));
        live += cJSON_IsTrue(cJSON_GetObjectItem(post, "is_live"));
    }
    cr_expect_gt(live, 0, "no livestream posts in 50");
    cJSON_Delete(feed);
}

Test(market, unknown_pages_answer_404)
{
    static const char *const paths[] = {"/nowhere", "/shopee/api/v4/item/get?itemid=1&shopid=2",
                                        "/tiki/api/v2/products/1", "/store/p/1.html", "/social/api/posts/x_1",
                                        "/store/s/123"};
    for (size_t i = 0; i < 6; i++) {
        harness_response r;
        cr_assert_eq(harness_http_get(market.port, paths[i], false, 10000, &r), 0);
        cr_expect_eq(r.status, 404, "%s answered %ld", paths[i], r.status);
        harness_response_free(&r);
    }
}

/* ---- determinism: two servers, same seed, same bytes ---- */

Test(determinism, same_seed_same_bytes_other_seed_other_bytes, .timeout = 60)
{
    static const char *const paths[] = {
        "/shopee/api/v4/search/search_items?keyword=&limit=60&newest=120", "/tiki/api/v2/products?q=&page=3",
        "/store/search?page=2", "/social/api/feed?after=c28", "/store/p/500000033.html",
        "/shopee/api/v4/pages/get_category_tree"};
    harness_process a, b, c;
    cr_assert_eq(harness_market_start(&a, 42, 1000, NULL), 0);
    cr_assert_eq(harness_market_start(&b, 42, 1000, NULL), 0);
    cr_assert_eq(harness_market_start(&c, 43, 1000, NULL), 0);
    int different = 0;
    for (size_t i = 0; i < 6; i++) {
        size_t la, lb, lc;
        char *ba = get_ok(a.port, paths[i], &la), *bb = get_ok(b.port, paths[i], &lb), *bc = get_ok(c.port, paths[i], &lc);
        cr_expect(la == lb && !memcmp(ba, bb, la), "%s differs between two servers with one seed", paths[i]);
        different += la != lc || memcmp(ba, bc, la);
        free(ba);
        free(bb);
        free(bc);
    }
    cr_expect_geq(different, 4, "another seed should give other listings");
    char ta[600], tb[600];
    harness_market_truth_path(&a, ta, sizeof ta);
    harness_market_truth_path(&b, tb, sizeof tb);
    size_t na, nb;
    char *truth_a = harness_read_file(ta, &na), *truth_b = harness_read_file(tb, &nb);
    cr_expect(na > 0 && na == nb && !memcmp(truth_a, truth_b, na), "truth files differ");
    free(truth_a);
    free(truth_b);
    harness_stop(&a);
    harness_stop(&b);
    harness_stop(&c);
}

/* ---- faults ---- */

typedef struct outcome {
    int curl;
    long status;
    uint64_t body_hash;
    char retry_after[32];
} outcome;

static void fetch_outcomes(int port, outcome *out, int count)
{
    for (int i = 0; i < count; i++) {
        char path[256];
        snprintf(path, sizeof path, "/tiki/api/v2/products?q=&page=%d&limit=10", 1 + i % 40);
        harness_response r;
        out[i].curl = harness_http_get(port, path, i % 2 == 0, 3000, &r);
        out[i].status = r.status;
        out[i].body_hash = r.body ? XXH3_64bits(r.body, r.length) : 0;
        memcpy(out[i].retry_after, r.retry_after, sizeof r.retry_after);
        harness_response_free(&r);
    }
}

Test(faults, every_fault_is_deterministic_per_url_and_attempt, .timeout = 120)
{
    const char *const args[] = {"--faults", "5xx=0.1,reset=0.08,timeout=0.04,slow=0.05,truncate=0.08,badjson=0.08,"
                                            "badutf8=0.08,429=0.1,redirectloop=0.05,huge=0.04",
                                "--timeout-hold-ms", "5000", "--slow-ms", "200", "--huge-bytes", "3000000", NULL};
    enum { REQUESTS = 80 };
    harness_process a, b;
    cr_assert_eq(harness_market_start(&a, 9, 4000, args), 0);
    cr_assert_eq(harness_market_start(&b, 9, 4000, args), 0);
    outcome first[REQUESTS], second[REQUESTS];
    fetch_outcomes(a.port, first, REQUESTS);
    fetch_outcomes(b.port, second, REQUESTS);
    int faulted = 0, retried_differently = 0;
    for (int i = 0; i < REQUESTS; i++) {
        cr_expect_eq(first[i].curl, second[i].curl, "request %d: curl %d vs %d", i, first[i].curl, second[i].curl);
        cr_expect_eq(first[i].status, second[i].status, "request %d: status %ld vs %ld", i, first[i].status,
                     second[i].status);
        cr_expect_eq(first[i].body_hash, second[i].body_hash, "request %d: bodies differ", i);
        faulted += first[i].curl != 0 || first[i].status != 200;
        if (first[i].status == 429 || first[i].status == 503)
            cr_expect_str_neq(first[i].retry_after, "", "a %ld without Retry-After", first[i].status);
        /* requests 40..79 repeat URLs of 0..39: a fresh draw for a second attempt */
        if (i >= 40)
            retried_differently += first[i].curl != first[i - 40].curl || first[i].status != first[i - 40].status;
    }
    cr_expect_gt(faulted, 10, "only %d of %d requests met a fault", faulted, REQUESTS);
    cr_expect_gt(retried_differently, 0, "a retry must meet a fresh fault draw");
    cJSON *stats = get_json(a.port, "/_stats");
    cJSON *faults = cJSON_GetObjectItem(stats, "faults");
    int kinds = 0;
    cJSON *f;
    cJSON_ArrayForEach(f, faults) kinds += f->valuedouble > 0;
    cr_expect_geq(kinds, 7, "only %d fault kinds were injected", kinds);
    cr_expect_eq((long)cJSON_GetObjectItem(stats, "repeated_requests")->valuedouble, 40);
    cJSON_Delete(stats);
    harness_stop(&a);
    harness_stop(&b);
}

Test(faults, redirect_loop_and_429_behave_like_real_servers, .timeout = 60)
{
    const char *const loop_args[] = {"--faults", "redirectloop=1", NULL};
    harness_process m;
    cr_assert_eq(harness_market_start(&m, 1, 500, loop_args), 0);
    harness_response r;
    cr_assert_eq(harness_http_get(m.port, "/store/search", false, 5000, &r), 0);
    cr_expect_eq(r.status, 302);
    cr_expect_not_null(strstr(r.location, "_loop=1"), "Location: %s", r.location);
    harness_response_free(&r);
    cr_assert_eq(harness_http_get(m.port, "/store/search?_loop=1", false, 5000, &r), 0);
    cr_expect_not_null(strstr(r.location, "_loop=2"), "a loop goes back and forth: %s", r.location);
    harness_response_free(&r);
    harness_stop(&m);

    const char *const throttle_args[] = {"--faults", "429=1", "--retry-after", "7", NULL};
    cr_assert_eq(harness_market_start(&m, 1, 500, throttle_args), 0);
    cr_assert_eq(harness_http_get(m.port, "/social/api/feed", false, 5000, &r), 0);
    cr_expect_eq(r.status, 429);
    cr_expect_str_eq(r.retry_after, "7");
    harness_response_free(&r);
    harness_stop(&m);
}

Test(faults, huge_bodies_and_gzip_bombs_are_huge, .timeout = 60)
{
    const char *const args[] = {"--faults", "huge=1", "--huge-bytes", "20000000", NULL};
    harness_process m;
    cr_assert_eq(harness_market_start(&m, 1, 500, args), 0);
    harness_response r;
    /* harness_http_get caps bodies at 64 MiB; 20 MB fits and arrives whole */
    cr_assert_eq(harness_http_get(m.port, "/tiki/api/v2/products", false, 20000, &r), 0);
    cr_expect_eq(r.length, 20000000u);
    harness_response_free(&r);
    cr_assert_eq(harness_http_get(m.port, "/tiki/api/v2/products?page=2", true, 20000, &r), 0);
    cr_expect_str_eq(r.encoding, "gzip");
    cr_expect_eq(r.length, 20000000u, "the bomb inflates to the huge size");
    harness_response_free(&r);
    harness_stop(&m);
}

/* ---- the command line ---- */

Test(cli, bad_arguments_exit_2_with_a_message)
{
    char binary[600];
    snprintf(binary, sizeof binary, "%s/fixture-market", harness_build());
    const char *const cases[][4] = {
        {binary, "--listings", "50", NULL}, {binary, "--faults", "nosuch=0.1", NULL},
        {binary, "--faults", "5xx=0.8,reset=0.5", NULL}, {binary, "--port", "70000", NULL}};
    for (size_t i = 0; i < 4; i++) {
        char *err = NULL;
        int rc = harness_run(cases[i], NULL, 0, NULL, &err);
        cr_expect_eq(rc, 2, "%s %s: exit %d", cases[i][1], cases[i][2], rc);
        cr_expect_not_null(strstr(err, "fixture-market: "), "no message: %s", err);
        free(err);
    }
}

Test(cli, truth_only_writes_one_line_per_planted_listing)
{
    char binary[600], path[700];
    snprintf(binary, sizeof binary, "%s/fixture-market", harness_build());
    const char *tmp = getenv("TMPDIR");
    char templ[600];
    snprintf(templ, sizeof templ, "%s/lscan-truth-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    cr_assert_not_null(mkdtemp(templ));
    snprintf(path, sizeof path, "%s/t.jsonl", templ);
    const char *const argv[] = {binary, "--listings", "1000", "--truth", path, "--truth-only", NULL};
    cr_assert_eq(harness_run(argv, NULL, 0, NULL, NULL), 0);
    char *truth = harness_read_file(path, NULL);
    cr_assert_not_null(truth);
    size_t lines = 0;
    for (char *p = truth; (p = strchr(p, '\n')); p++)
        lines++;
    /* the generator in-process says how many are planted */
    char error[256];
    market_layout *layout = market_layout_create(1, 1000, error, sizeof error);
    cr_assert_not_null(layout, "%s", error);
    size_t planted = 0;
    market_listing l;
    for (int p = 0; p < PLATFORM_COUNT; p++)
        for (uint64_t j = 0; j < market_platform_count(layout, (market_platform)p); j++) {
            market_listing_generate(layout, (market_platform)p, j, &l);
            planted += l.planted;
        }
    market_layout_destroy(layout);
    cr_expect_eq(lines, planted);
    free(truth);
    remove(path);
    remove(templ);
}

/* ---- the generator in process ---- */

Test(generator, listings_are_pure_functions_and_cover_every_trick)
{
    char error[256];
    market_layout *layout = market_layout_create(3, 20000, error, sizeof error);
    cr_assert_not_null(layout, "%s", error);
    bool scenario_seen[SCENARIO_COUNT] = {false}, obfuscation_seen[OBFUSCATION_COUNT] = {false};
    size_t decomposed = 0, caps = 0, livestream = 0;
    market_listing a, b;
    for (int p = 0; p < PLATFORM_COUNT; p++)
        for (uint64_t j = 0; j < market_platform_count(layout, (market_platform)p); j++) {
            market_listing_generate(layout, (market_platform)p, j, &a);
            market_listing_generate(layout, (market_platform)p, j, &b);
            cr_assert_str_eq(a.title, b.title);
            cr_assert_str_eq(a.description, b.description);
            cr_assert_eq(a.price, b.price);
            scenario_seen[a.scenario] = true;
            obfuscation_seen[a.obfuscation] = true;
            /* a combining mark (U+0300..U+036F) means NFD text */
            for (const unsigned char *c = (const unsigned char *)a.title; *c; c++)
                if (c[0] == 0xCC && c[1] >= 0x80) {
                    decomposed++;
                    break;
                }
            bool has_lower = false;
            for (const char *c = a.title; *c; c++)
                has_lower |= *c >= 'a' && *c <= 'z';
            caps += !has_lower;
            livestream += a.is_livestream;
            uint64_t found;
            cr_assert(market_listing_find(layout, (market_platform)p, a.listing_id, &found));
            cr_assert_eq(found, j);
        }
    for (int s = 0; s < SCENARIO_COUNT; s++)
        cr_expect(scenario_seen[s], "scenario %s never generated", market_scenario_name((market_scenario)s));
    for (int o = 1; o < OBFUSCATION_COUNT; o++)
        cr_expect(obfuscation_seen[o], "obfuscation %s never generated", market_obfuscation_name((market_obfuscation)o));
    cr_expect_gt(decomposed, 1000, "too few NFD titles: %zu", decomposed);
    cr_expect_gt(caps, 100, "too few ALL CAPS titles: %zu", caps);
    cr_expect_gt(livestream, 500);
    market_layout_destroy(layout);
}

Test(generator, origin_sellers_sit_where_the_scenario_says)
{
    char error[256];
    market_layout *layout = market_layout_create(5, 8000, error, sizeof error);
    cr_assert_not_null(layout, "%s", error);
    market_listing l;
    size_t checked = 0;
    for (uint64_t j = 0; j < market_platform_count(layout, PLATFORM_SHOPEE); j++) {
        market_listing_generate(layout, PLATFORM_SHOPEE, j, &l);
        if (l.scenario != SCENARIO_ORIGIN_INSIDE && l.scenario != SCENARIO_ORIGIN_OUTSIDE)
            continue;
        char location[128], region[128];
        market_fold(l.seller.location, location, sizeof location);
        bool inside = false;
        for (size_t i = 0; l.subject->region && l.subject->region[i]; i++) {
            market_fold(l.subject->region[i], region, sizeof region);
            inside |= strstr(location, region) != NULL;
        }
        cr_expect_eq(inside, l.scenario == SCENARIO_ORIGIN_INSIDE, "%s sold from %s", l.subject->name,
                     l.seller.location);
        checked++;
    }
    cr_expect_gt(checked, 50);
    market_layout_destroy(layout);
}

/* docs/fixture-market.md, "What the listings say": each stem has one price
 * (its model's genuine price, 0 for the subject's), and the offers of a
 * subject with its own prices sell from them: a clean one at 1 to 2.5 times
 * its stem's price, a low-price violation at 5-25% of it. */
Test(generator, stems_sell_from_their_own_genuine_price)
{
    for (size_t i = 0; i < catalog_subject_count; i++) {
        const catalog_subject *s = &catalog_subjects[i];
        if (!s->product_prices)
            continue;
        size_t n = 0;
        while (s->products && s->products[n])
            n++;
        for (size_t k = 0; k < n; k++)
            cr_expect_geq(s->product_prices[k], 0, "%s: stem %zu has no price (too few prices)", s->name, k);
        cr_expect_eq(s->product_prices[n], -1, "%s: more prices than its %zu stems", s->name, n);
    }
    char error[256];
    market_layout *layout = market_layout_create(11, 20000, error, sizeof error);
    cr_assert_not_null(layout, "%s", error);
    market_listing l;
    size_t clean = 0, cheap = 0;
    for (uint64_t j = 0; j < market_platform_count(layout, PLATFORM_TIKI); j++) {
        market_listing_generate(layout, PLATFORM_TIKI, j, &l);
        const catalog_subject *s = l.subject;
        bool resale = l.scenario == SCENARIO_RESALE || l.scenario == SCENARIO_GRAIN_SALE;
        if (!s->product_prices || (!resale && l.scenario != SCENARIO_LOW_PRICE))
            continue;
        /* the stem is the product the description opens with (never disguised) */
        for (size_t k = 0; s->products[k]; k++) {
            size_t length = strlen(s->products[k]);
            if (strncmp(l.description, s->products[k], length) || l.description[length] != '.')
                continue;
            double price = (double)(s->product_prices[k] > 0 ? s->product_prices[k] : s->reference_price);
            if (resale) {
                cr_expect(l.price >= price * 0.99 && l.price <= price * 2.51, "%s at %ld, its price %.0f", l.title,
                          l.price, price);
                clean++;
            } else {
                cr_expect(l.price <= price * 0.26 + 1000, "%s at %ld, its price %.0f", l.title, l.price, price);
                cheap++;
            }
        }
    }
    cr_expect_gt(clean, 50);
    cr_expect_gt(cheap, 20);
    market_layout_destroy(layout);
}

/* docs/fixture-market.md, "Capability families": every capability is
 * planted, every family has its positives and its negatives, and a family
 * listing's scenario says which it is. */
Test(generator, every_capability_family_is_planted_both_ways)
{
    char error[256];
    market_layout *layout = market_layout_create(3, 20000, error, sizeof error);
    cr_assert_not_null(layout, "%s", error);
    size_t positives[CAPABILITY_COUNT] = {0}, negatives[CAPABILITY_COUNT] = {0};
    market_listing l;
    for (int p = 0; p < PLATFORM_COUNT; p++)
        for (uint64_t j = 0; j < market_platform_count(layout, (market_platform)p); j++) {
            market_listing_generate(layout, (market_platform)p, j, &l);
            cr_assert_lt((unsigned)l.capability, CAPABILITY_COUNT);
            if (!l.planted)
                continue;
            if (l.family) {
                cr_expect_eq(l.scenario, l.violation ? SCENARIO_HARD_POSITIVE : SCENARIO_HARD_NEGATIVE, "%s: %s",
                             l.family, l.title);
                cr_expect_neq(l.capability, CAPABILITY_PLAIN, "%s", l.family);
            } else {
                cr_expect(l.scenario != SCENARIO_HARD_POSITIVE && l.scenario != SCENARIO_HARD_NEGATIVE);
            }
            (l.violation ? positives : negatives)[l.capability]++;
        }
    market_layout_destroy(layout);
    for (int c = 0; c < CAPABILITY_COUNT; c++) {
        const char *name = market_capability_name((market_capability)c);
        bool only_negatives = c == CAPABILITY_OTHER_SENSE || c == CAPABILITY_AUTHORIZED;
        bool only_positives = c == CAPABILITY_OBFUSCATION;
        cr_expect(only_negatives || positives[c] > 5, "capability %s: %zu positives", name, positives[c]);
        cr_expect(only_positives || negatives[c] > 5, "capability %s: %zu negatives", name, negatives[c]);
    }
}
