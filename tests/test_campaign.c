/* Campaign files, the frontier and the adapters' small parsers: unit tests
 * without servers. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scanner/extract/adapters.h"
#include "rules/base/url.h"
#include "scanner/extract/price.h"
#include "scanner/pipeline/campaign.h"
#include "workers/frontier.h"

static campaign *load(const char *yaml, diagnostics *diag)
{
    return campaign_load_string("c.yaml", yaml, strlen(yaml), diag);
}

Test(campaign, defaults_environment_and_targets)
{
    setenv("LSCAN_TEST_MARKET", "http://127.0.0.1:9", 1);
    diagnostics d;
    diagnostics_init(&d);
    campaign *c = load("campaign: peak\nwindow: {start: \"2026-05-07\", end: \"2026-05-30\"}\nrules: [packs]\n"
                       "targets:\n  - {adapter: shopee, base_url: \"${LSCAN_TEST_MARKET}/shopee\"}\n"
                       "  - {adapter: tiki, base_url: \"http://x\", keywords: [nike, \"vải thiều\"], categories: true}\n"
                       "  - {adapter: social, base_url: \"http://x\", keywords: []}\n",
                       &d);
    for (size_t i = 0; i < d.count; i++)
        cr_log_error("%s", d.messages[i]);
    cr_assert_not_null(c);
    cr_expect_str_eq(c->targets[0].base_url, "http://127.0.0.1:9/shopee");
    cr_expect(c->targets[0].keywords_from_rules, "no keywords: search every rule's name");
    cr_expect(!c->targets[1].keywords_from_rules);
    cr_expect_eq(c->targets[1].keywords.count, 2);
    cr_expect(!c->targets[2].keywords_from_rules && c->targets[2].keywords.count == 0, "keywords: [] means none");
    cr_expect_str_eq(c->targets[1].platform, "tiki");
    cr_expect_str_eq(c->targets[2].platform, "facebook");
    cr_expect_eq(c->limits.per_host_concurrency, 8);
    cr_expect_eq(c->limits.retries, 4);
    cr_expect(c->limits.gzip);
    campaign_free(c);
    diagnostics_free(&d);
}

Test(campaign, every_mistake_with_line_and_column)
{
    diagnostics d;
    diagnostics_init(&d);
    unsetenv("LSCAN_TEST_UNSET");
    campaign *c = load("campaign: x\nwindow: {start: \"2026-06-01\", end: \"2026-05-01\"}\nlimits: {retries: -1, colour: 2}\n"
                       "targets:\n  - {adapter: amazon, base_url: \"ftp://x\"}\n"
                       "  - {adapter: json, base_url: \"${LSCAN_TEST_UNSET}\"}\nextra: 1\n",
                       &d);
    cr_expect_null(c);
    static const char *const expected[] = {"c.yaml:3:19: retries must not be negative", "unknown field 'colour' in limits",
                                           "unknown adapter 'amazon'", "base_url must start with http://",
                                           "environment variable LSCAN_TEST_UNSET is not set",
                                           "a json target needs fields.items", "unknown field 'extra'",
                                           "the window ends (2026-05-01) before it starts"};
    for (size_t k = 0; k < sizeof expected / sizeof expected[0]; k++) {
        bool found = false;
        for (size_t i = 0; i < d.count; i++)
            found |= strstr(d.messages[i], expected[k]) != NULL;
        cr_expect(found, "missing: %s (got %zu messages, first: %s)", expected[k], d.count, d.count ? d.messages[0] : "");
    }
    diagnostics_free(&d);
}

/* ---- frontier ---- */

static frontier *make_frontier(unsigned concurrency, double rps, size_t max_entries, unsigned attempts)
{
    frontier_options o = {concurrency, rps, max_entries, attempts, 0};
    frontier *f;
    cr_assert_eq(frontier_create(&o, &f), 0);
    return f;
}

Test(frontier, each_url_once_and_only_http)
{
    frontier *f = make_frontier(4, 0, 100, 1);
    cr_expect_eq(frontier_push(f, "http://a.test/1", 0, 0), 1);
    cr_expect_eq(frontier_push(f, "http://a.test/1", 0, 0), 0);
    cr_expect_eq(frontier_push(f, "ftp://a.test/1", 0, 0), -1);
    cr_expect_eq(frontier_push(f, "javascript:alert(1)", 0, 0), -1);
    crawl_request r;
    int wait;
    cr_assert_eq(frontier_pop(f, &r, &wait), 1);
    cr_expect_str_eq(r.url, "http://a.test/1");
    crawl_request other;
    cr_expect_eq(frontier_pop(f, &other, &wait), 0, "in flight: not over yet");
    frontier_finish(f, &r, 0);
    crawl_request none;
    cr_expect_eq(frontier_pop(f, &none, &wait), -1, "nothing left: the scan is over");
    frontier_destroy(f);
}

Test(frontier, per_host_concurrency_and_retry_after)
{
    frontier *f = make_frontier(2, 0, 100, 1);
    for (int i = 0; i < 4; i++) {
        char url[64];
        snprintf(url, sizeof url, "http://a.test/%d", i);
        frontier_push(f, url, 0, 0);
    }
    frontier_push(f, "http://b.test/0", 0, 0);
    crawl_request r[5];
    int wait, got = 0;
    while (got < 5 && frontier_pop(f, &r[got], &wait) == 1)
        got++;
    cr_expect_eq(got, 3, "two from a.test (its limit) and one from b.test");
    int from_a = 0;
    for (int i = 0; i < got; i++)
        from_a += strstr(r[i].url, "a.test") != NULL;
    cr_expect_eq(from_a, 2);
    /* a.test answers 429 with Retry-After: 60 s -> nothing from it for now */
    for (int i = 0; i < got; i++)
        if (strstr(r[i].url, "a.test"))
            frontier_finish(f, &r[i], 60000);
        else
            frontier_finish(f, &r[i], 0);
    crawl_request next;
    cr_expect_eq(frontier_pop(f, &next, &wait), 0, "a.test is held by Retry-After");
    cr_expect_gt(wait, 0);
    frontier_destroy(f);
}

Test(frontier, requests_per_second_spaces_a_host)
{
    frontier *f = make_frontier(8, 20, 100, 1); /* 50 ms apart */
    frontier_push(f, "http://a.test/1", 0, 0);
    frontier_push(f, "http://a.test/2", 0, 0);
    crawl_request a, b;
    int wait;
    cr_assert_eq(frontier_pop(f, &a, &wait), 1);
    cr_expect_eq(frontier_pop(f, &b, &wait), 0, "the second must wait its turn");
    cr_expect(wait > 0 && wait <= 51, "wait %d ms", wait);
    frontier_finish(f, &a, 0);
    frontier_destroy(f);
}

Test(frontier, retries_until_the_budget_then_gives_up)
{
    frontier *f = make_frontier(1, 0, 100, 3);
    frontier_push(f, "http://a.test/x", 0, 0);
    crawl_request r;
    int wait, attempts = 0;
    for (;;) {
        int rc = frontier_pop(f, &r, &wait);
        if (rc < 0)
            break;
        if (rc == 0)
            continue; /* the retry's delay (0 ms) */
        attempts++;
        cr_expect_eq(r.attempt, attempts - 1);
        if (!frontier_retry(f, &r, 0, 0))
            break;
        cr_assert_lt(attempts, 10);
    }
    cr_expect_eq(attempts, 3);
    frontier_stats st;
    frontier_get_stats(f, &st);
    cr_expect_eq(st.in_flight, 0);
    cr_expect_eq(st.retried, 2);
    frontier_destroy(f);
}

Test(frontier, refuses_beyond_its_bound_and_counts)
{
    frontier *f = make_frontier(1, 0, 100, 1);
    int added = 0;
    for (int i = 0; i < 150; i++) {
        char url[64];
        snprintf(url, sizeof url, "http://a.test/%d", i);
        added += frontier_push(f, url, 0, 0) == 1;
    }
    frontier_stats st;
    frontier_get_stats(f, &st);
    cr_expect_eq(added, 100);
    cr_expect_eq(st.refused, 50);
    frontier_destroy(f);
}

/* ---- adapters' small parsers ---- */

Test(adapters, prices_written_in_captions)
{
    static const struct {
        const char *text;
        double price; /* 0: none */
    } cases[] = {{"Giá: 2tr5", 2500000},       {"💰 giá chỉ 350k", 350000},     {"Giá: 1.200.000đ", 1200000},
                 {"giá 1,2 triệu", 1200000},   {"Giá: 2 triệu", 2000000},       {"chỉ 450K thôi", 450000},
                 {"Giá: 1224000 VND", 1224000}, {"Áo thun size M", 0},          {"iPhone 15 Pro", 0},
                 {"bán 99.000 ₫", 99000},       {"GIÁ: 3tr", 3000000}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double p = 0;
        bool found = price_find(cases[i].text, &p);
        cr_expect_eq(found, cases[i].price > 0, "%s: found=%d", cases[i].text, found);
        if (found)
            cr_expect_eq(p, cases[i].price, "%s: %.0f", cases[i].text, p);
    }
}

Test(adapters, a_page_of_the_wrong_shape_is_a_parse_failure)
{
    campaign_target t = {.adapter = ADAPTER_SHOPEE, .platform = "shopee", .base_url = "http://a.test/shopee"};
    adapter_result r;
    adapter_result_init(&r);
    char error[256];
    cr_expect_lt(adapter_parse(&t, PAGE_LISTING, "http://a.test/x", "{\"items\":", 9, &r, error, sizeof error), 0);
    cr_expect(r.parse_failed);
    adapter_result_reset(&r);
    const char page[] = "{\"nomore\":true,\"items\":[{\"item_basic\":{\"itemid\":7,\"shopid\":9,\"name\":\"Giày Nike\","
                        "\"price\":15000000000,\"shop_location\":\"Hà Nội\"}},{\"item_basic\":{\"itemid\":8}}]}";
    cr_assert_eq(adapter_parse(&t, PAGE_LISTING, "http://a.test/x?newest=0", page, strlen(page), &r, error, sizeof error), 0);
    cr_expect_eq(cJSON_GetArraySize(r.listings), 1, "the item without a name is skipped");
    cJSON *l = cJSON_GetArrayItem(r.listings, 0);
    cr_expect_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(l, "price")), 150000, "Shopee prices are 1/100000 VND");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(l, "url")), "http://a.test/shopee/product/9/7");
    cr_expect_eq(r.link_count, 0, "nomore: no next page");
    adapter_result_free(&r);
}

/* campaign_target_allows answers a URL that starts with base_url without
 * parsing it; the answer must be the parsing one for every URL. */
Test(campaign, a_prepared_target_allows_exactly_what_an_unprepared_one_allows)
{
    const char *bases[] = {"http://a.test/shopee", "http://a.test/shopee/", "http://A.test:8080/x", "https://a.test",
                           "http://a.test/", "http://a.test/p?q=1", "http://u@a.test/p", "http://a.test./shop"};
    const char *urls[] = {"http://a.test/shopee", "http://a.test/shopee/", "http://a.test/shopee/product/1/2",
                          "http://a.test/shopee?x=1", "http://a.test/shopee#f", "http://a.test/shopeex",
                          "http://a.test/shope", "http://a.test:80/shopee/x", "http://a.test@evil.test/shopee",
                          "http://a.test.evil.test/shopee", "https://a.test/shopee", "http://A.TEST/shopee/1",
                          "http://A.test:8080/x/1", "http://a.test:8080/x/1", "http://A.test:80801/x",
                          "https://a.test", "https://a.test/", "https://a.test?x", "https://a.test:443/z",
                          "https://a.testx/", "http://a.test/p?q=1", "http://a.test/p?q=1/2", "http://a.test/p/q",
                          "http://u@a.test/p/1", "http://a.test./shop/1", "http://a.test/shop/1", "ftp://a.test/shopee",
                          "http://a.test/shopee/\x01", "", "http://a.test/shopee\\..\\x"};
    for (size_t b = 0; b < sizeof bases / sizeof *bases; b++) {
        campaign_target plain = {.adapter = ADAPTER_SHOPEE, .base_url = (char *)bases[b]};
        campaign_target prepared = plain;
        campaign_target_prepare(&prepared);
        for (size_t u = 0; u < sizeof urls / sizeof *urls; u++)
            cr_expect_eq(campaign_target_allows(&prepared, urls[u]), campaign_target_allows(&plain, urls[u]),
                         "base %s, url %s", bases[b], urls[u]);
    }
    /* a URL of URL_MAX bytes and one byte more under the same base */
    char long_url[URL_MAX + 2];
    memset(long_url, 'a', sizeof long_url - 1);
    memcpy(long_url, "http://a.test/shopee/", 21);
    long_url[sizeof long_url - 1] = '\0';
    campaign_target plain = {.adapter = ADAPTER_SHOPEE, .base_url = "http://a.test/shopee"}, prepared = plain;
    campaign_target_prepare(&prepared);
    cr_expect(prepared.base_prefix > 0);
    cr_expect_not(campaign_target_allows(&prepared, long_url), "longer than URL_MAX");
    long_url[URL_MAX] = '\0';
    cr_expect(campaign_target_allows(&prepared, long_url));
    cr_expect_eq(campaign_target_allows(&plain, long_url), campaign_target_allows(&prepared, long_url));
}
