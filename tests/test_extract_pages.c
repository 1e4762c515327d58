/* Tests of reading real pages beyond schema.org (issue 15): JSON a page
 * renders from (__NEXT_DATA__, application/json, window.__STATE__ = {...})
 * read with the json adapter's field paths, the heading fallback, listing
 * URLs from templates and the site, and the campaign fields that carry them.
 * The listings inside the pages are real: memoryzone.com.vn records. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/base/bytebuf.h"
#include "rules/base/diagnostics.h"
#include "scanner/extract/adapters.h"
#include "scanner/extract/extract_html.h"
#include "scanner/extract/price.h"
#include "scanner/pipeline/campaign.h"
#include "tests/harness.h"

static void init(void)
{
    extract_html_init();
}

TestSuite(pages, .init = init);

/* The first `count` real memoryzone rows as a JSON array (each row's
 * title, prices, specifications, product_id). */
static cJSON *memoryzone_rows(size_t count)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/corpus/vn-memoryzone-products/memoryzone.jsonl", harness_shared());
    size_t length;
    char *data = harness_read_file(path, &length);
    cr_assert_not_null(data, "%s", path);
    cJSON *rows = cJSON_CreateArray();
    char *save = NULL;
    for (char *line = strtok_r(data, "\n", &save); line && (size_t)cJSON_GetArraySize(rows) < count;
         line = strtok_r(NULL, "\n", &save))
        cJSON_AddItemToArray(rows, cJSON_Parse(line));
    free(data);
    return rows;
}

static campaign_target memoryzone_target(void)
{
    return (campaign_target){.name = "memoryzone", .adapter = ADAPTER_STOREFRONT, .platform = "web",
                             .base_url = "https://memoryzone.com.vn",
                             .fields = {.items = "props.pageProps.products", .listing_id = "product_id",
                                        .title = "title", .price = "prices.current", .currency = "prices.meta_currency",
                                        .url_template = "/san-pham/{product_id}", .price_divisor = 1}};
}

static cJSON *parse_page(const campaign_target *t, const char *url, const char *html)
{
    adapter_result r;
    adapter_result_init(&r);
    char error[256];
    cr_assert_eq(adapter_parse(t, PAGE_HTML, url, html, strlen(html), &r, error, sizeof error), 0, "%s", error);
    cJSON *listings = cJSON_Duplicate(r.listings, true);
    adapter_result_free(&r);
    return listings;
}

/* Every listing of a Next.js page's __NEXT_DATA__ comes out, with the
 * real price and currency, and a URL from the template on the site. */
Test(pages, next_data_yields_its_listings)
{
    cJSON *rows = memoryzone_rows(40);
    cJSON *next = cJSON_CreateObject();
    cJSON *props = cJSON_AddObjectToObject(next, "props");
    cJSON *page_props = cJSON_AddObjectToObject(props, "pageProps");
    cJSON_AddItemToObject(page_props, "products", cJSON_Duplicate(rows, true));
    char *json = cJSON_PrintUnformatted(next);
    bytebuf html;
    bytebuf_init(&html, 0);
    bytebuf_append_string(&html, "<!DOCTYPE html><html><head><title>Ổ cứng SSD</title></head><body><div id=\"__next\">"
                                 "<h1>Ổ cứng SSD</h1></div><script id=\"__NEXT_DATA__\" type=\"application/json\">");
    bytebuf_append_string(&html, json);
    bytebuf_append_string(&html, "</script></body></html>");
    free(json);
    campaign_target t = memoryzone_target();
    cJSON *l = parse_page(&t, "https://memoryzone.com.vn/o-cung-ssd", html.data);
    cr_assert_eq(cJSON_GetArraySize(l), 40);
    for (int i = 0; i < 40; i++) {
        const cJSON *row = cJSON_GetArrayItem(rows, i), *listing = cJSON_GetArrayItem(l, i);
        char want_url[128];
        snprintf(want_url, sizeof want_url, "https://memoryzone.com.vn/san-pham/%d",
                 (int)cJSON_GetNumberValue(cJSON_GetObjectItem(row, "product_id")));
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(listing, "url")), want_url);
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(listing, "title")),
                         cJSON_GetStringValue(cJSON_GetObjectItem(row, "title")));
        price_reading want;
        const char *current = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(row, "prices"), "current"));
        if (price_read(current, NULL, &want))
            cr_expect_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(listing, "price")), want.amount, "%s", current);
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(listing, "currency")), "VND");
        cr_expect_null(cJSON_GetObjectItem(listing, "extraction"));
    }
    cJSON_Delete(l);
    cJSON_Delete(next);
    cJSON_Delete(rows);
    bytebuf_free(&html);
}

/* window.__INITIAL_STATE__ = {...}; and <script type="application/json">
 * are read the same way; a script that is not JSON is counted, not fatal. */
Test(pages, state_assignments_and_json_scripts)
{
    cJSON *rows = memoryzone_rows(3);
    char *items = cJSON_PrintUnformatted(rows);
    bytebuf html;
    bytebuf_init(&html, 0);
    bytebuf_printf(&html, "<html><head><script>var x = 1; if (x == 2) {}; window.__INITIAL_STATE__ = "
                          "{\"props\":{\"pageProps\":{\"products\":%s}},\"s\":\"a } string\"};"
                          "window.dataLayer = {broken: 'not json'};</script></head><body></body></html>",
                   items);
    campaign_target t = memoryzone_target();
    cJSON *l = parse_page(&t, "https://memoryzone.com.vn/", html.data);
    cr_expect_eq(cJSON_GetArraySize(l), 3);
    cJSON_Delete(l);

    bytebuf_reset(&html);
    bytebuf_printf(&html, "<html><body><script type=\"application/json\" data-x>"
                          "{\"props\":{\"pageProps\":{\"products\":%s}}}</script></body></html>",
                   items);
    l = parse_page(&t, "https://memoryzone.com.vn/", html.data);
    cr_expect_eq(cJSON_GetArraySize(l), 3);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 0), "title")),
                     cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 0), "title")));
    cJSON_Delete(l);

    /* the same page without field paths: the embedded JSON is not guessed at */
    t.fields = (json_fields){0};
    l = parse_page(&t, "https://memoryzone.com.vn/", html.data);
    cr_expect_eq(cJSON_GetArraySize(l), 0);
    cJSON_Delete(l);

    html_page page;
    char error[256];
    const char broken[] = "<script>window.__A__ = {\"a\": [1, 2}; window.__B__ = {\"b\": 1};</script>";
    cr_assert_geq(extract_html(broken, sizeof broken - 1, "https://x.test/", &page, error, sizeof error), 0);
    cr_expect_eq(page.embedded_count, 1, "the unbalanced object is skipped, the next one kept");
    cr_expect_str_eq(page.embedded_json[0], "{\"b\": 1}");
    html_page_free(&page);
    free(items);
    cJSON_Delete(rows);
    bytebuf_free(&html);
}

/* No structured data at all: the heading and the price next to it, marked
 * as a fallback; a listing page (heading, a count, a product grid) and the
 * 57 real extruct HTML pages give no such listing. */
Test(pages, heading_fallback)
{
    cJSON *rows = memoryzone_rows(5);
    const cJSON *row = cJSON_GetArrayItem(rows, 0);
    const char *title = cJSON_GetStringValue(cJSON_GetObjectItem(row, "title"));
    const cJSON *prices = cJSON_GetObjectItem(row, "prices");
    bytebuf html;
    bytebuf_init(&html, 0);
    bytebuf_printf(&html, "<html><body><nav><a href=/>Trang chủ</a></nav><div class=product><h1 class=title>%s</h1>"
                          "<div class=rating><a href=#r>12 đánh giá</a></div><div class=price><span>%s</span> "
                          "<del>%s</del> <span>%s</span></div><ul class=related><li>Khác 99.000 đ</li></ul></div>"
                          "</body></html>",
                   title, cJSON_GetStringValue(cJSON_GetObjectItem(prices, "current")),
                   cJSON_GetStringValue(cJSON_GetObjectItem(prices, "old")),
                   cJSON_GetStringValue(cJSON_GetObjectItem(prices, "discount")));
    campaign_target t = {.name = "s", .adapter = ADAPTER_STOREFRONT, .platform = "web",
                         .base_url = "https://memoryzone.com.vn"};
    cJSON *l = parse_page(&t, "https://memoryzone.com.vn/p/1?utm=x#top", html.data);
    cr_assert_eq(cJSON_GetArraySize(l), 1);
    const cJSON *listing = cJSON_GetArrayItem(l, 0);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(listing, "title")), title);
    price_reading want;
    cr_assert(price_read(cJSON_GetStringValue(cJSON_GetObjectItem(prices, "current")), NULL, &want));
    cr_expect_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(listing, "price")), want.amount);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(listing, "currency")), "VND");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(listing, "extraction")), "fallback");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(listing, "url")), "https://memoryzone.com.vn/p/1?utm=x");
    cJSON_Delete(l);

    /* a listing page: the heading's neighbour is a count, then the grid */
    const char grid[] = "<html><body><h1>Ổ cứng SSD</h1><p>1090 sản phẩm</p><ul><li><a href=/p/1>SSD</a> "
                        "<span>265.000 đ</span></li></ul></body></html>";
    l = parse_page(&t, "https://memoryzone.com.vn/c/ssd", grid);
    cr_expect_eq(cJSON_GetArraySize(l), 0);
    cJSON_Delete(l);
    /* structured data wins: no fallback next to it */
    const char structured[] = "<html><head><meta property='og:type' content='product'><meta property='og:title' "
                              "content='A'><meta property='product:price:amount' content='5'></head><body>"
                              "<h1>B</h1><span>9.000 đ</span></body></html>";
    l = parse_page(&t, "https://memoryzone.com.vn/p/2", structured);
    cr_assert_eq(cJSON_GetArraySize(l), 1);
    cr_expect_null(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 0), "extraction"));
    cJSON_Delete(l);

    /* the real extruct pages */
    char list[1024];
    snprintf(list, sizeof list, "find %s/corpus/extruct-samples -name '*.html'", harness_shared());
    FILE *found = popen(list, "r");
    cr_assert_not_null(found);
    char path[2048];
    size_t pages = 0, headings = 0;
    while (fgets(path, sizeof path, found)) {
        path[strcspn(path, "\n")] = '\0';
        size_t length;
        char *body = harness_read_file(path, &length);
        if (!body)
            continue;
        html_page page;
        char error[256];
        if (extract_html(body, length, "https://example.org/page", &page, error, sizeof error) >= 0) {
            pages++;
            headings += page.heading != NULL;
            cJSON *out = cJSON_CreateArray();
            if (!page.product_count)
                cr_expect_not(html_page_fallback_listing(&page, "web", "https://example.org/page", out),
                              "%s: heading '%s' near '%s'", path, page.heading, page.near_heading);
            cJSON_Delete(out);
            html_page_free(&page);
        }
        free(body);
    }
    pclose(found);
    cr_expect_eq(pages, 57);
    cr_expect_gt(headings, 10, "the real pages have headings to be fooled by");
    cJSON_Delete(rows);
    bytebuf_free(&html);
}

/* A JSON API's items: a relative link resolves against the site, not the
 * API host; the template builds the rest; no URL at all is said so. */
Test(pages, listing_urls_from_templates_and_the_site)
{
    campaign_target t = {.name = "api", .adapter = ADAPTER_JSON, .platform = "shopee",
                         .base_url = "https://api.example.vn/v4", .currency = "VND",
                         .fields = {.items = "items", .listing_id = "item_basic.itemid", .title = "item_basic.name",
                                    .price = "item_basic.price", .url = "link",
                                    .url_template = "/{item_basic.name}-i.{item_basic.shopid}.{item_basic.itemid}",
                                    .price_divisor = 100000}};
    const char page[] = "{\"items\":[{\"item_basic\":{\"itemid\":11,\"shopid\":7,\"name\":\"Giày Nike\",\"price\":15000000000},"
                        "\"link\":\"/p/11\"},"
                        "{\"item_basic\":{\"itemid\":12,\"shopid\":7,\"name\":\"Áo/rep\",\"price\":1234567}},"
                        "{\"item_basic\":{\"itemid\":13,\"name\":\"No shop\"}}]}";
    adapter_result r;
    adapter_result_init(&r);
    char error[256];
    cr_assert_eq(adapter_parse(&t, PAGE_LISTING, "https://api.example.vn/v4/search?k=x", page, strlen(page), &r, error,
                               sizeof error), 0);
    cr_assert_eq(cJSON_GetArraySize(r.listings), 3);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(r.listings, 0), "url")),
                     "https://api.example.vn/p/11");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(r.listings, 1), "url")),
                     "https://api.example.vn/%C3%81o%2Frep-i.7.12");
    cr_expect_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetArrayItem(r.listings, 1), "price")), 12.3457, "4 decimals kept");
    const cJSON *third = cJSON_GetArrayItem(r.listings, 2);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(third, "url")), "https://api.example.vn/v4/search?k=x");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(third, "url_source")), "page");
    cr_expect_null(cJSON_GetObjectItem(cJSON_GetArrayItem(r.listings, 0), "url_source"));
    adapter_result_reset(&r);

    /* with the site named, links and templates go there */
    t.site_url = "https://shop.example.vn/";
    cr_assert_eq(adapter_parse(&t, PAGE_LISTING, "https://api.example.vn/v4/search?k=x", page, strlen(page), &r, error,
                               sizeof error), 0);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(r.listings, 0), "url")),
                     "https://shop.example.vn/p/11");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(r.listings, 1), "url")),
                     "https://shop.example.vn/%C3%81o%2Frep-i.7.12");
    adapter_result_free(&r);
}

Test(pages, campaign_fields_currency_site_url_template)
{
    const char yaml[] = "campaign: c\ntargets:\n"
                        "  - adapter: json\n    base_url: https://api.example.vn\n    site_url: https://www.example.vn\n"
                        "    currency: \"₫\"\n    start_urls: [/v1]\n"
                        "    fields: {items: data, listing_id: id, title: name, url_template: \"/p/{id}\"}\n";
    diagnostics d;
    diagnostics_init(&d);
    campaign *c = campaign_load_string("c.yaml", yaml, sizeof yaml - 1, &d);
    cr_assert_not_null(c);
    cr_expect_str_eq(c->targets[0].currency, "VND");
    cr_expect_str_eq(c->targets[0].site_url, "https://www.example.vn");
    cr_expect_str_eq(c->targets[0].fields.url_template, "/p/{id}");
    campaign_free(c);
    diagnostics_free(&d);

    const char bad[] = "campaign: c\ntargets:\n  - adapter: tiki\n    base_url: https://tiki.vn\n"
                       "    currency: dollars\n    site_url: ftp://x\n";
    diagnostics_init(&d);
    c = campaign_load_string("c.yaml", bad, sizeof bad - 1, &d);
    cr_expect_null(c);
    cr_expect_geq(diagnostics_total(&d), 2);
    campaign_free(c);
    diagnostics_free(&d);
}
