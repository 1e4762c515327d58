/* Tests of the marketplaces' real shapes (issue 15, capability 7): Shopee's
 * newer item cards, Lazada's catalog search, Sendo's search API, TikTok
 * Shop's product lists, Tiki's official-store flag and variants. The shapes
 * come from the real fixture market over HTTP on 127.0.0.1; each is crawled
 * page by page through adapter_parse (following the adapter's own next
 * links) and must give the same listings as the classic Shopee shape of the
 * same catalogue. Items that give no listing are counted by reason, in the
 * adapter's result and in lscan scan's summary and metrics. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/base/bytebuf.h"
#include "scanner/extract/adapters.h"
#include "workers/counters.h"
#include "tests/harness.h"

#define LISTINGS 600ULL

static harness_process market;

static void start_market(void)
{
    cr_assert_eq(harness_market_start(&market, 2026, LISTINGS, NULL), 0, "fixture-market did not start");
}

static void stop_market(void)
{
    harness_stop(&market);
}

TestSuite(marketplaces, .init = start_market, .fini = stop_market);

typedef struct crawl {
    cJSON *listings;                 /* every listing, in order */
    size_t dropped[ITEM_DROP_COUNT];
    size_t pages;
} crawl;

/* Fetches start_path and every next page the adapter names (at most 200 pages). */
static crawl crawl_target(adapter_kind adapter, const char *prefix, const char *start_path, char *currency)
{
    char base[256];
    snprintf(base, sizeof base, "http://127.0.0.1:%d%s", market.port, prefix);
    campaign_target t = {.name = "t", .adapter = adapter, .platform = "test", .base_url = base, .currency = currency};
    crawl c = {.listings = cJSON_CreateArray()};
    char url[2048];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", market.port, start_path);
    while (c.pages < 200) {
        harness_response r;
        const char *path = strstr(url + 7, "/");
        cr_assert_eq(harness_http_get(market.port, path, false, 10000, &r), 0, "GET %s", path);
        cr_assert_eq(r.status, 200, "GET %s: %ld", path, r.status);
        adapter_result out;
        adapter_result_init(&out);
        char error[256] = "";
        cr_assert_eq(adapter_parse(&t, PAGE_LISTING, url, r.body, r.length, &out, error, sizeof error), 0, "%s: %s",
                     path, error);
        harness_response_free(&r);
        c.pages++;
        for (int d = 0; d < ITEM_DROP_COUNT; d++)
            c.dropped[d] += out.dropped[d];
        cJSON *l;
        while ((l = cJSON_DetachItemFromArray(out.listings, 0)))
            cJSON_AddItemToArray(c.listings, l);
        bool next = false;
        for (size_t i = 0; i < out.link_count && !next; i++)
            if (out.links[i].kind == PAGE_LISTING) {
                snprintf(url, sizeof url, "%s", out.links[i].url);
                next = true;
            }
        adapter_result_free(&out);
        if (!next)
            break;
    }
    return c;
}

static const cJSON *by_id(const cJSON *listings, const char *id)
{
    const cJSON *l;
    cJSON_ArrayForEach(l, listings)
    {
        const cJSON *v = cJSON_GetObjectItem(l, "listing_id");
        if (cJSON_IsString(v) && !strcmp(v->valuestring, id))
            return l;
    }
    return NULL;
}

static const char *text(const cJSON *o, const char *path)
{
    const cJSON *v = o;
    char key[64];
    for (const char *p = path; v && *p;) {
        size_t n = strcspn(p, ".");
        snprintf(key, sizeof key, "%.*s", (int)n, p);
        v = cJSON_GetObjectItem(v, key);
        p += n + (p[n] == '.');
    }
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double number(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* Every listing of `shape` is the classic Shopee listing of the same id:
 * title, price in VND, seller; and there are as many. */
static void same_as_classic(const crawl *shape, const crawl *classic, const char *name)
{
    cr_assert_eq(cJSON_GetArraySize(shape->listings), cJSON_GetArraySize(classic->listings), "%s: %d listings, classic %d",
                 name, cJSON_GetArraySize(shape->listings), cJSON_GetArraySize(classic->listings));
    const cJSON *l;
    cJSON_ArrayForEach(l, shape->listings)
    {
        const char *id = text(l, "listing_id");
        const cJSON *c = by_id(classic->listings, id);
        cr_assert_not_null(c, "%s: listing %s is not in the catalogue", name, id);
        cr_assert_str_eq(text(l, "title"), text(c, "title"), "%s: %s: %s vs %s", name, id, text(l, "title"), text(c, "title"));
        cr_assert_float_eq(number(l, "price"), number(c, "price"), 1e-6, "%s: %s price %f, classic %f", name, id,
                           number(l, "price"), number(c, "price"));
        cr_assert_str_eq(text(l, "currency"), "VND", "%s: %s", name, id);
        cr_assert_str_eq(text(l, "seller.id"), text(c, "seller.id"), "%s: %s", name, id);
        cr_assert_str_eq(text(l, "seller.name"), text(c, "seller.name"), "%s: %s", name, id);
        /* a listing never gets the API's URL as its own */
        const char *u = text(l, "url");
        cr_assert(u && !strstr(u, "/api/") && !strstr(u, "/catalog/") && !strstr(u, "/m/wap_v2/"), "%s: url %s", name, u);
        cr_assert_null(cJSON_GetObjectItem(l, "url_source"), "%s: %s has its own URL", name, id);
    }
}

Test(marketplaces, newer_shapes_give_the_same_listings)
{
    crawl classic = crawl_target(ADAPTER_SHOPEE, "/shopee", "/shopee/api/v4/search/search_items?keyword=&limit=60&newest=0", NULL);
    cr_assert_gt(cJSON_GetArraySize(classic.listings), 60, "the catalogue spans several pages");
    for (int d = 0; d < ITEM_DROP_COUNT; d++)
        cr_assert_eq(classic.dropped[d], 0);

    crawl card = crawl_target(ADAPTER_SHOPEE, "/shopee",
                              "/shopee/api/v4/search/search_items?keyword=&limit=60&newest=0&card=1",
                              /* the cards name no currency: the campaign's target says it */ "VND");
    same_as_classic(&card, &classic, "shopee item cards");
    size_t with_variants = 0;
    const cJSON *l;
    cJSON_ArrayForEach(l, card.listings)
    {
        double variants = number(l, "variants");
        if (!isnan(variants)) {
            with_variants++;
            cr_assert_geq(variants, 2);
            cr_assert_gt(number(l, "price_max"), number(l, "price"), "variants give a price range");
        }
    }
    cr_assert_gt(with_variants, 10, "sizes x colours merge into one listing with their count");
    char want[256];
    const cJSON *first = cJSON_GetArrayItem(card.listings, 0);
    snprintf(want, sizeof want, "http://127.0.0.1:%d/shopee/product/%s/%s", market.port, text(first, "seller.id"),
             text(first, "listing_id"));
    cr_assert_str_eq(text(first, "url"), want);

    crawl lazada = crawl_target(ADAPTER_LAZADA, "/lazada", "/lazada/catalog/?ajax=true&q=&page=1", NULL);
    same_as_classic(&lazada, &classic, "lazada");
    cr_assert_eq(lazada.dropped[ITEM_DROP_NO_ID], 1, "the banner in listItems is counted, not lost");
    cr_assert_gt(lazada.pages, 1);
    first = cJSON_GetArrayItem(lazada.listings, 0);
    snprintf(want, sizeof want, "http://127.0.0.1:%d/lazada/products/san-pham-i%s-s1.html", market.port,
             text(first, "listing_id"));
    cr_assert_str_eq(text(first, "url"), want);

    crawl sendo = crawl_target(ADAPTER_SENDO, "/sendo", "/sendo/m/wap_v2/search/product?q=&p=1&s=60", NULL);
    same_as_classic(&sendo, &classic, "sendo");
    cr_assert_eq(sendo.dropped[ITEM_DROP_NOT_OBJECT], 1, "the banner string in data is counted");
    first = cJSON_GetArrayItem(sendo.listings, 0);
    snprintf(want, sizeof want, "http://127.0.0.1:%d/san-pham-%s.html", market.port, text(first, "listing_id"));
    cr_assert_str_eq(text(first, "url"), want, "the product page on the site, not the API");

    crawl tiktok = crawl_target(ADAPTER_TIKTOK, "/tiktok", "/tiktok/api/shop/products?keyword=&offset=0", NULL);
    same_as_classic(&tiktok, &classic, "tiktok");
    cr_assert_eq(tiktok.dropped[ITEM_DROP_NO_ID], 1, "the live card without a product_id is counted");

    cJSON_Delete(classic.listings);
    cJSON_Delete(card.listings);
    cJSON_Delete(lazada.listings);
    cJSON_Delete(sendo.listings);
    cJSON_Delete(tiktok.listings);
}

static cJSON *parse_json_page(adapter_kind adapter, page_kind kind, const char *json, adapter_result *out)
{
    campaign_target t = {.name = "t", .adapter = adapter, .platform = "test", .base_url = "https://tiki.vn"};
    adapter_result_init(out);
    char error[256];
    cr_assert_eq(adapter_parse(&t, kind, "https://tiki.vn/api/v2/products?q=x&page=1", json, strlen(json), out, error,
                               sizeof error),
                 0, "%s", error);
    return out->listings;
}

/* Tiki's official store: is_official_store true or 1 on the item or its
 * current seller, or an official badge; configurable products are variants. */
Test(marketplaces, tiki_official_store_and_variants)
{
    adapter_result r;
    const cJSON *l = parse_json_page(
        ADAPTER_TIKI, PAGE_LISTING,
        "{\"data\":[{\"id\":1,\"name\":\"A\",\"price\":100000,\"seller_id\":9,\"seller_name\":\"S\",\"is_official_store\":1,"
        "\"url_path\":\"a-p1.html\"},"
        "{\"id\":2,\"name\":\"B\",\"price\":200000,\"badges_new\":[{\"code\":\"official_store\"}],\"url_path\":\"b-p2.html\"},"
        "{\"id\":3,\"name\":\"C\",\"price\":300000,\"is_official_store\":false,\"url_path\":\"c-p3.html\","
        "\"configurable_products\":[{\"id\":31,\"price\":300000},{\"id\":32,\"price\":350000},{\"id\":33,\"price\":320000}]},"
        "{\"name\":\"no id\"},{\"id\":5},7],\"paging\":{\"current_page\":1,\"last_page\":1}}",
        &r);
    cr_assert_eq(cJSON_GetArraySize(l), 3);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 0), "seller"), "official")));
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 1), "seller"), "official")));
    const cJSON *c = cJSON_GetArrayItem(l, 2);
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "seller"), "official")));
    cr_assert_float_eq(number(c, "variants"), 3, 0);
    cr_assert_float_eq(number(c, "price"), 300000, 0);
    cr_assert_float_eq(number(c, "price_max"), 350000, 0);
    cr_assert_str_eq(text(c, "url"), "https://tiki.vn/c-p3.html");
    cr_assert_eq(r.dropped[ITEM_DROP_NO_ID], 1);
    cr_assert_eq(r.dropped[ITEM_DROP_NO_TITLE], 1);
    adapter_result_free(&r);

    /* the detail page: the current seller's flag */
    l = parse_json_page(ADAPTER_TIKI, PAGE_DETAIL,
                        "{\"id\":8,\"name\":\"D\",\"price\":10000,\"url_path\":\"d-p8.html\","
                        "\"current_seller\":{\"id\":4,\"name\":\"Shop\",\"is_official_store\":true}}",
                        &r);
    cr_assert_eq(cJSON_GetArraySize(l), 1);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 0), "seller"), "official")));
    adapter_result_free(&r);
}

/* Shopee prices written as strings (newer responses) are in the same unit
 * as numbers; an unknown item shape is counted by reason. */
Test(marketplaces, shopee_string_prices_and_unknown_items)
{
    adapter_result r;
    campaign_target t = {.name = "t", .adapter = ADAPTER_SHOPEE, .platform = "shopee", .base_url = "https://shopee.ph"};
    adapter_result_init(&r);
    const char *json = "{\"items\":[{\"itemid\":\"22057240522\",\"shopid\":\"704270867\",\"name\":\"Set\",\"currency\":\"PHP\","
                       "\"price\":\"400000\",\"price_max\":\"1300000\",\"tier_variations\":[{\"name\":\"Types\","
                       "\"options\":[\"a\",\"b\",\"c\"]}]},"
                       "{\"adsid\":1,\"campaignid\":2},[1,2]],\"nomore\":true}";
    char error[256];
    cr_assert_eq(adapter_parse(&t, PAGE_LISTING, "https://shopee.ph/api/v4/search/search_items?keyword=x", json,
                               strlen(json), &r, error, sizeof error),
                 0, "%s", error);
    cr_assert_eq(cJSON_GetArraySize(r.listings), 1);
    const cJSON *l = cJSON_GetArrayItem(r.listings, 0);
    cr_assert_float_eq(number(l, "price"), 4, 1e-9);
    cr_assert_float_eq(number(l, "price_max"), 13, 1e-9);
    cr_assert_float_eq(number(l, "variants"), 3, 0);
    cr_assert_str_eq(text(l, "currency"), "PHP");
    cr_assert_str_eq(text(l, "url"), "https://shopee.ph/product/704270867/22057240522");
    cr_assert_eq(r.dropped[ITEM_DROP_NO_ID], 1, "an ad entry without itemid");
    cr_assert_eq(r.dropped[ITEM_DROP_NOT_OBJECT], 1);
    adapter_result_free(&r);
}

/* The drops reach the scan summary and the metrics. */
Test(marketplaces, dropped_items_in_the_scan_summary)
{
    harness_process redis;
    cr_assert_eq(harness_redis_start(&redis), 0);
    char campaign[1024], summary_path[1024];
    snprintf(campaign, sizeof campaign, "%s/drops.yaml", market.dir);
    snprintf(summary_path, sizeof summary_path, "%s/drops.json", market.dir);
    FILE *f = fopen(campaign, "w");
    cr_assert_not_null(f);
    fprintf(f,
            "campaign: drops\nrules: [%s/rules/packs]\nredis: {url: \"redis://127.0.0.1:%d\", prefix: \"d:\"}\n"
            "limits: {requests_per_second: 0}\ntargets:\n"
            "  - {name: lazada, adapter: lazada, base_url: \"http://127.0.0.1:%d/lazada\", keywords: [],\n"
            "     start_urls: [\"/catalog/?ajax=true&q=&page=1\"]}\n"
            "  - {name: sendo, adapter: sendo, base_url: \"http://127.0.0.1:%d/sendo\", keywords: [],\n"
            "     start_urls: [\"/m/wap_v2/search/product?q=&p=1&s=60\"]}\n"
            "  - {name: tiktok, adapter: tiktok, base_url: \"http://127.0.0.1:%d/tiktok\", keywords: [],\n"
            "     start_urls: [\"/api/shop/products?keyword=&offset=0\"]}\n",
            harness_root(), redis.port, market.port, market.port, market.port);
    fclose(f);
    char lscan[1024];
    snprintf(lscan, sizeof lscan, "%s/lscan", harness_build());
    const char *argv[] = {lscan,       "scan", "--campaign", campaign, "--json-summary", summary_path, "--threads", "1",
                          "--state-dir", "none", "--quiet", NULL};
    char *err = NULL;
    int rc = harness_run(argv, NULL, 0, NULL, &err);
    cr_assert(rc == 0 || rc == 1, "lscan scan: %d %s", rc, err ? err : "");
    cr_assert(err && strstr(err, "marketplace items that gave no listing: not_object 1 no_id 2"), "%s", err);
    char *text_summary = harness_read_file(summary_path, NULL);
    cJSON *summary = text_summary ? cJSON_Parse(text_summary) : NULL;
    cr_assert_not_null(summary);
    const cJSON *dropped = cJSON_GetObjectItem(summary, "items_dropped");
    cr_assert_float_eq(number(dropped, "no_id"), 2, 0);
    cr_assert_float_eq(number(dropped, "not_object"), 1, 0);
    cr_assert_float_eq(number(dropped, "no_title"), 0, 0);
    cr_assert_gt(number(summary, "listings"), 60);
    cJSON_Delete(summary);
    free(text_summary);
    free(err);
    harness_stop(&redis);
}

/* The Prometheus text names each reason. */
Test(marketplaces, dropped_items_in_the_metrics)
{
    static scan_counters c;
    atomic_store(&c.items_dropped[ITEM_DROP_NO_ID], 2);
    atomic_store(&c.items_dropped[ITEM_DROP_NOT_OBJECT], 1);
    frontier_stats fs = {0};
    bytebuf out;
    bytebuf_init(&out, 0);
    counters_write_metrics(&c, &fs, 0, 0, &out);
    bytebuf_append_char(&out, '\0');
    cr_assert(strstr(out.data, "lscan_items_dropped_total{reason=\"no_id\"} 2\n"), "%s", out.data);
    cr_assert(strstr(out.data, "lscan_items_dropped_total{reason=\"not_object\"} 1\n"));
    cr_assert(strstr(out.data, "lscan_items_dropped_total{reason=\"no_title\"} 0\n"));
    bytebuf_free(&out);
}

/* Shopee's newer product page (pdp/get_pc): data.item with its models
 * (variants) and price range, the shop in data.shop_detailed. */
Test(marketplaces, shopee_product_page_shape)
{
    adapter_result r;
    campaign_target t = {.name = "t", .adapter = ADAPTER_SHOPEE, .platform = "shopee", .base_url = "https://shopee.vn",
                         .currency = "VND"};
    adapter_result_init(&r);
    const char *json = "{\"error\":null,\"data\":{\"item\":{\"item_id\":21662518531,\"shop_id\":506013738,"
                       "\"title\":\"M47 - BỘ ARSENAL - QUẦN ÁO THỂ THAO\",\"price_min\":3100000000,\"price_max\":5700000000,"
                       "\"models\":[{\"name\":\"S\",\"price\":3100000000},{\"name\":\"M\",\"price\":4100000000},"
                       "{\"name\":\"L\",\"price\":5700000000}],\"tier_variations\":[{\"name\":\"Size\","
                       "\"options\":[\"S\",\"M\",\"L\"]}]},\"shop_detailed\":{\"name\":\"Xuong may Long Thanh\","
                       "\"shop_location\":\"TP. Hồ Chí Minh\"}}}";
    char error[256];
    cr_assert_eq(adapter_parse(&t, PAGE_DETAIL, "https://shopee.vn/api/v4/pdp/get_pc?shop_id=506013738&item_id=21662518531",
                               json, strlen(json), &r, error, sizeof error),
                 0, "%s", error);
    cr_assert_eq(cJSON_GetArraySize(r.listings), 1);
    const cJSON *l = cJSON_GetArrayItem(r.listings, 0);
    cr_assert_str_eq(text(l, "listing_id"), "21662518531");
    cr_assert_str_eq(text(l, "title"), "M47 - BỘ ARSENAL - QUẦN ÁO THỂ THAO");
    cr_assert_float_eq(number(l, "price"), 31000, 1e-9);
    cr_assert_float_eq(number(l, "price_max"), 57000, 1e-9);
    cr_assert_float_eq(number(l, "variants"), 3, 0);
    cr_assert_str_eq(text(l, "seller.name"), "Xuong may Long Thanh");
    cr_assert_str_eq(text(l, "seller.location"), "TP. Hồ Chí Minh");
    cr_assert_str_eq(text(l, "url"), "https://shopee.vn/product/506013738/21662518531");
    adapter_result_free(&r);
}

/* The configurable json adapter and the social feed count what they cannot
 * read too. */
Test(marketplaces, json_and_social_drops)
{
    adapter_result r;
    campaign_target t = {.name = "t", .adapter = ADAPTER_JSON, .platform = "web", .base_url = "https://api.shop.vn/v1",
                         .fields = {.items = "data", .listing_id = "id", .title = "title", .price = "price",
                                    .price_divisor = 1}};
    adapter_result_init(&r);
    const char *json = "{\"data\":[{\"id\":1,\"title\":\"A\",\"price\":5},\"ad\",{\"id\":2},{\"title\":\"no id\"}]}";
    char error[256];
    cr_assert_eq(adapter_parse(&t, PAGE_LISTING, "https://api.shop.vn/v1/p", json, strlen(json), &r, error, sizeof error),
                 0, "%s", error);
    cr_assert_eq(cJSON_GetArraySize(r.listings), 1);
    cr_assert_eq(r.dropped[ITEM_DROP_NOT_OBJECT], 1);
    cr_assert_eq(r.dropped[ITEM_DROP_NO_TITLE], 1);
    cr_assert_eq(r.dropped[ITEM_DROP_NO_ID], 1);
    adapter_result_free(&r);

    campaign_target s = {.name = "s", .adapter = ADAPTER_SOCIAL, .platform = "facebook", .base_url = "https://fb.test"};
    adapter_result_init(&r);
    json = "{\"data\":[{\"id\":\"p1\",\"message\":\"Giày Nike 350k\"},{\"id\":\"p2\",\"full_picture\":\"x.jpg\"},3]}";
    cr_assert_eq(adapter_parse(&s, PAGE_LISTING, "https://fb.test/api/feed", json, strlen(json), &r, error, sizeof error),
                 0, "%s", error);
    cr_assert_eq(cJSON_GetArraySize(r.listings), 1);
    cr_assert_eq(r.dropped[ITEM_DROP_NO_TITLE], 1, "a post without a caption");
    cr_assert_eq(r.dropped[ITEM_DROP_NOT_OBJECT], 1);
    adapter_result_free(&r);
}
