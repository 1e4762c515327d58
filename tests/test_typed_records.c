/* Typed listing records (issue 16): `lscan scan` takes its adapters'
 * listings as typed records in a per-page arena instead of a JSON tree
 * each. The flag bytes must not change: every page of every JSON shape of
 * the real fixture market (over HTTP on 127.0.0.1), as served and mutated
 * (invalid UTF-8 at the start of string values, lone surrogate escapes,
 * strings long enough to be cut in the flag, an empty platform), is read
 * both ways, and each listing must give the same check result, the same
 * repair count and the same flag, byte for byte. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/base/bytebuf.h"
#include "rules/loader.h"
#include "scanner/extract/adapters.h"
#include "scanner/pipeline/decide.h"
#include "tests/harness.h"

static harness_process market;
static ruleset *rules;
static decider *json_decider, *typed_decider, *line_decider;
static size_t flags_cut, listings_repaired;
static arena line_arena; /* compare_page's JSON lines (one test thread) */

static void start(void)
{
    cr_assert_eq(harness_market_start(&market, 2026, 2000, NULL), 0, "fixture-market did not start");
    char packs[1024];
    snprintf(packs, sizeof packs, "%s/rules/packs", harness_root());
    const char *paths[] = {packs};
    diagnostics diag;
    diagnostics_init(&diag);
    cr_assert_eq(ruleset_load(paths, 1, NULL, &rules, &diag), 0);
    diagnostics_free(&diag);
    cr_assert_eq(decide_create(rules, &json_decider), 0);
    cr_assert_eq(decide_create(rules, &typed_decider), 0);
    cr_assert_eq(decide_create(rules, &line_decider), 0);
}

static void stop(void)
{
    decide_destroy(json_decider);
    decide_destroy(typed_decider);
    decide_destroy(line_decider);
    arena_free(&line_arena);
    ruleset_destroy(rules);
    harness_stop(&market);
}

TestSuite(typed_records, .init = start, .fini = stop);

typedef enum mutation { AS_SERVED, BAD_UTF8, LONE_SURROGATE, LONG_STRINGS, MUTATION_COUNT } mutation;

/* The page with `what` done after every `":"` (the start of a string value). */
static char *mutate(const char *body, size_t length, mutation what, size_t *out_length)
{
    bytebuf b;
    bytebuf_init(&b, 0);
    size_t n = 0;
    for (size_t i = 0; i < length; i++) {
        bytebuf_append_char(&b, body[i]);
        if (i < 2 || body[i] != '"' || body[i - 1] != ':' || body[i - 2] != '"')
            continue;
        n++;
        if (what == BAD_UTF8)
            bytebuf_append(&b, n % 2 ? "\xC3\x28\xFF" : "\xE2\x82", n % 2 ? 3 : 2);
        else if (what == LONE_SURROGATE && n % 3 == 0)
            bytebuf_append_string(&b, "\\ud800x");
        else if (what == LONG_STRINGS && (n % 7 == 0 || (i >= 7 && !memcmp(body + i - 7, "name\":\"", 7))))
            for (int k = 0; k < 12000; k++) /* 78 KB: cut at 64 KiB in the flag, "Nike" matched first */
                bytebuf_append_string(&b, k % 2 ? "rep 1:1 " : "Nike ");
    }
    cr_assert(!b.overflow);
    *out_length = b.length;
    return bytebuf_detach(&b, NULL);
}

static const flag_evidence evidence = {.url = "http://127.0.0.1/page", .fetched_at = "2026-12-03T00:00:00Z",
                                       .http_status = 200, .sha256 = "00"};

/* Reads one page both ways and compares listing by listing; returns the flags compared. */
static size_t compare_page(const campaign_target *t, const char *url, const char *body, size_t length,
                           size_t *listings)
{
    adapter_result plain, typed;
    adapter_result_init(&plain);
    adapter_result_init(&typed);
    typed.typed = true;
    char error[256] = "", typed_error[256] = "";
    int rc = adapter_parse(t, PAGE_LISTING, url, body, length, &plain, error, sizeof error);
    int typed_rc = adapter_parse(t, PAGE_LISTING, url, body, length, &typed, typed_error, sizeof typed_error);
    cr_assert_eq(rc, typed_rc, "%s: %s / %s", url, error, typed_error);
    cr_assert_eq(typed.listings->child, NULL, "%s: the typed result has JSON listings", url);
    cr_assert_eq((size_t)cJSON_GetArraySize(plain.listings), typed.record_count, "%s", url);
    cr_assert_eq(plain.link_count, typed.link_count);
    size_t flags = 0, i = 0;
    const decide_context context = {.language = FLAG_LANGUAGE_VIETNAMESE, .scan_id = "s", .evidence = &evidence};
    for (cJSON *record = plain.listings->child; record; record = record->next, i++) {
        listing a, b;
        char why_a[256] = "", why_b[256] = "";
        int built_a = listing_from_json(cJSON_Duplicate(record, true), &a, why_a, sizeof why_a);
        int built_b = listing_from_record(&typed.records[i], &b, why_b, sizeof why_b);
        cr_assert_eq(built_a, built_b, "%s item %zu: %s / %s", url, i, why_a, why_b);
        (*listings)++;
        if (built_a < 0) {
            cr_assert_str_eq(why_a, why_b);
            continue;
        }
        cr_assert_eq(a.repaired_bytes, b.repaired_bytes, "%s item %zu", url, i);
        listings_repaired += a.repaired_bytes > 0;
        cr_assert_str_eq(listing_url(&a), listing_url(&b));
        decision da, db;
        cr_assert_eq(decide_listing(json_decider, &a, &context, &da), DECIDE_OK);
        cr_assert_eq(decide_listing(typed_decider, &b, &context, &db), DECIDE_OK);
        cr_assert_eq(da.flagged, db.flagged, "%s item %zu", url, i);
        /* the record as a JSON line, its tree in an arena (lscan match's way) */
        char *line = cJSON_PrintUnformatted(record), why_c[256] = "";
        cr_assert_not_null(line);
        listing c;
        arena_reset(&line_arena);
        cr_assert_eq(listing_parse_in(&line_arena, line, strlen(line), &c, why_c, sizeof why_c), 0, "%s item %zu: %s",
                     url, i, why_c);
        cr_assert_eq(c.repaired_bytes, a.repaired_bytes, "%s item %zu", url, i);
        decision dc;
        cr_assert_eq(decide_listing(line_decider, &c, &context, &dc), DECIDE_OK);
        cr_assert_eq(dc.flagged, da.flagged, "%s item %zu", url, i);
        if (da.flagged)
            cr_assert(dc.flag_length == da.flag_length && !memcmp(dc.flag, da.flag, da.flag_length),
                      "%s item %zu, the line in an arena:\n%s\n%s", url, i, da.flag, dc.flag);
        listing_free(&c);
        cJSON_free(line);
        if (da.flagged) {
            cr_assert_eq(da.cut, db.cut);
            flags_cut += da.cut;
            cr_assert_eq(da.flag_length, db.flag_length, "%s item %zu:\n%s\n%s", url, i, da.flag, db.flag);
            cr_assert_eq(memcmp(da.flag, db.flag, da.flag_length), 0, "%s item %zu:\n%s\n%s", url, i, da.flag,
                         db.flag);
            flags++;
        }
        listing_free(&a);
        listing_free(&b);
    }
    adapter_result_free(&plain);
    adapter_result_free(&typed);
    return flags;
}

/* Every page of a shape (following its next links, at most 40 pages), each as served and mutated. */
static void compare_shape(adapter_kind adapter, const char *prefix, const char *start_path, const char *name)
{
    char platform[32];
    snprintf(platform, sizeof platform, "%s", name);
    char base[256], url[2048];
    snprintf(base, sizeof base, "http://127.0.0.1:%d%s", market.port, prefix);
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", market.port, start_path);
    campaign_target t = {.name = "t", .adapter = adapter, .platform = platform, .base_url = base};
    size_t flags = 0, listings = 0, pages = 0;
    while (pages < 40) {
        harness_response r;
        const char *path = strstr(url + 7, "/");
        cr_assert_eq(harness_http_get(market.port, path, false, 10000, &r), 0, "GET %s", path);
        cr_assert_eq(r.status, 200, "GET %s: %ld", path, r.status);
        for (int m = 0; m < MUTATION_COUNT; m++) {
            size_t length;
            char *body = mutate(r.body, r.length, (mutation)m, &length);
            flags += compare_page(&t, url, body, length, &listings);
            free(body);
        }
        pages++;
        /* the next page, as the adapter names it */
        adapter_result next;
        adapter_result_init(&next);
        char error[256];
        adapter_parse(&t, PAGE_LISTING, url, r.body, r.length, &next, error, sizeof error);
        harness_response_free(&r);
        bool more = next.link_count > 0;
        if (more)
            snprintf(url, sizeof url, "%s", next.links[next.link_count - 1].url);
        adapter_result_free(&next);
        if (!more)
            break;
    }
    cr_assert_gt(listings, 100, "%s: %zu listings compared", prefix, listings);
    if (*platform)
        cr_assert_gt(flags, 20, "%s: %zu flags compared", prefix, flags);
    if (*platform)
        cr_assert_gt(listings_repaired, 0, "%s: no listing had invalid UTF-8 to repair", prefix);
}

Test(typed_records, shopee_pages_give_the_same_flags)
{
    compare_shape(ADAPTER_SHOPEE, "/shopee", "/shopee/api/v4/search/search_items?keyword=&limit=60&newest=0", "shopee");
    cr_assert_gt(flags_cut, 0, "no flag had its listing cut");
}

Test(typed_records, shopee_item_cards_give_the_same_flags)
{
    compare_shape(ADAPTER_SHOPEE, "/shopee", "/shopee/api/v4/search/search_items?keyword=&limit=60&newest=0&card=1",
                  "shopee");
}

Test(typed_records, tiki_pages_give_the_same_flags)
{
    compare_shape(ADAPTER_TIKI, "/tiki", "/tiki/api/v2/products?q=&page=1", "tiki");
}

Test(typed_records, social_pages_give_the_same_flags)
{
    compare_shape(ADAPTER_SOCIAL, "/social", "/social/api/feed", "facebook");
}

Test(typed_records, lazada_sendo_tiktok_pages_give_the_same_flags)
{
    compare_shape(ADAPTER_LAZADA, "/lazada", "/lazada/catalog/?ajax=true&q=&page=1", "lazada");
    compare_shape(ADAPTER_SENDO, "/sendo", "/sendo/m/wap_v2/search/product?q=&p=1&s=60", "sendo");
    compare_shape(ADAPTER_TIKTOK, "/tiktok", "/tiktok/api/shop/products?keyword=&offset=0", "tiktok");
}

Test(typed_records, an_empty_platform_is_refused_the_same_way)
{
    compare_shape(ADAPTER_SHOPEE, "/shopee", "/shopee/api/v4/search/search_items?keyword=&limit=60&newest=0", "");
}
