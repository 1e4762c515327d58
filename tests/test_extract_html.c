/* Tests of scanner/extract_html: the extruct samples compared with extruct's
 * own expected output, the fixture storefront (product pages of both kinds
 * against the market's listing records, listing pages and their paging),
 * hostile input, prices and URL resolution. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rules/base/bytebuf.h"
#include "rules/base/url.h"
#include "scanner/extract/extract_html.h"
#include "scanner/extract/price.h"
#include "tests/harness.h"

static void init(void)
{
    extract_html_init();
}

TestSuite(extract_html, .init = init);

/* ---- helpers ---------------------------------------------------------------- */

/* s with ASCII whitespace runs collapsed and trimmed (malloc'd). */
static char *collapse(const char *s)
{
    size_t n = strlen(s), o = 0;
    char *d = malloc(n + 1);
    bool space = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
            space = o > 0;
            continue;
        }
        if (space)
            d[o++] = ' ';
        space = false;
        d[o++] = c;
    }
    d[o] = '\0';
    return d;
}

static bool same(const char *a, const char *b)
{
    if (!a || !b)
        return false;
    char *x = collapse(a), *y = collapse(b);
    bool eq = !strcmp(x, y);
    free(x);
    free(y);
    return eq;
}

static bool valid_utf8(const char *s)
{
    if (!s)
        return true;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t k = utf8_sequence_length((const unsigned char *)s + i, n - i);
        if (!k)
            return false;
        i += k;
    }
    return true;
}

static void check_page_strings(const html_page *p)
{
    for (size_t i = 0; i < p->product_count; i++) {
        const html_product *q = &p->products[i];
        const char *fields[] = {q->name, q->description, q->brand, q->sku, q->url, q->image, q->price,
                                q->currency, q->seller_name, q->seller_id, q->seller_region, q->category};
        for (size_t k = 0; k < sizeof fields / sizeof *fields; k++)
            cr_assert(valid_utf8(fields[k]), "product %zu field %zu is not valid UTF-8", i, k);
    }
    for (size_t i = 0; i < p->link_count; i++) {
        cr_assert(!strncmp(p->links[i], "http://", 7) || !strncmp(p->links[i], "https://", 8), "link %s",
                  p->links[i]);
        cr_assert(valid_utf8(p->links[i]));
    }
    cr_assert(valid_utf8(p->title));
}

static int extract(const char *body, size_t length, const char *url, html_page *page)
{
    char error[256] = "";
    int rc = extract_html(body, length, url, page, error, sizeof error);
    cr_assert(rc == 0 || rc == 1, "extract_html failed: %s", error);
    check_page_strings(page);
    return rc;
}

static int extract_str(const char *body, const char *url, html_page *page)
{
    return extract(body, strlen(body), url, page);
}

static const html_product *find_product(const html_page *p, const char *name)
{
    for (size_t i = 0; i < p->product_count; i++)
        if (same(p->products[i].name, name))
            return &p->products[i];
    return NULL;
}

static bool prices_equal(const char *a, const char *b)
{
    double x, y;
    return price_parse(a, &x) && price_parse(b, &y) && fabs(x - y) < 1e-9;
}

/* ---- 1. the extruct samples ------------------------------------------------ */

/* The first element of an array (extruct's strict microdata wraps every value
 * in one), or the value itself. */
static const cJSON *first(const cJSON *v)
{
    return cJSON_IsArray(v) ? cJSON_GetArrayItem(v, 0) : v;
}

static const char *str(const cJSON *v)
{
    v = first(v);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool type_is_product(const cJSON *type)
{
    const cJSON *e;
    if (cJSON_IsString(type)) {
        const char *s = type->valuestring, *slash = strrchr(s, '/');
        const char *local = slash ? slash + 1 : s;
        return !strcmp(local, "Product");
    }
    if (cJSON_IsArray(type))
        cJSON_ArrayForEach(e, type)
            if (type_is_product(e))
                return true;
    return false;
}

/* A property of an extruct item: a plain value, or a nested item's "properties". */
static const cJSON *prop(const cJSON *item, const char *name)
{
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(first(item), "properties");
    return props ? cJSON_GetObjectItemCaseSensitive(props, name) : NULL;
}

/* A text value that may be a nested item holding it as "name". */
static const char *text_or_name(const cJSON *v)
{
    const char *s = str(v);
    return s ? s : str(prop(v, "name"));
}

typedef struct expected {
    const char *name, *price, *currency, *brand, *seller;
} expected;

/* Collects every named schema.org Product item in extruct's microdata output. */
static void collect_products(const cJSON *node, expected *out, size_t *count, size_t max)
{
    const cJSON *e;
    if (cJSON_IsArray(node)) {
        cJSON_ArrayForEach(e, node)
            collect_products(e, out, count, max);
        return;
    }
    if (!cJSON_IsObject(node))
        return;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(node, "type");
    if (!type)
        type = cJSON_GetObjectItemCaseSensitive(node, "@type");
    if (type_is_product(type) && *count < max) {
        const char *name = str(prop(node, "name"));
        if (!name)
            name = str(cJSON_GetObjectItemCaseSensitive(node, "name"));
        if (name) {
            const cJSON *offer = first(prop(node, "offers"));
            expected x = {.name = name};
            x.price = str(prop(offer, "price"));
            if (!x.price)
                x.price = str(prop(offer, "lowPrice"));
            x.currency = str(prop(offer, "priceCurrency"));
            x.brand = text_or_name(prop(node, "brand"));
            x.seller = text_or_name(prop(offer, "seller"));
            bool seen = false;
            for (size_t i = 0; i < *count; i++)
                seen |= same(out[i].name, name);
            if (!seen)
                out[(*count)++] = x;
        }
    }
    cJSON_ArrayForEach(e, node)
        if (cJSON_IsObject(e) || cJSON_IsArray(e))
            collect_products(e, out, count, max);
}

static char *sample_path(const char *relative)
{
    char *path;
    cr_assert(asprintf(&path, "%s/corpus/extruct-samples/%s", harness_shared(), relative) > 0);
    return path;
}

static cJSON *read_json(const char *relative)
{
    char *path = sample_path(relative);
    size_t n;
    char *text = harness_read_file(path, &n);
    cr_assert_not_null(text, "cannot read %s", path);
    cJSON *json = cJSON_ParseWithLength(text, n);
    cr_assert_not_null(json, "%s is not JSON", path);
    free(text);
    free(path);
    return json;
}

static char *read_sample(const char *relative, size_t *n)
{
    char *path = sample_path(relative);
    char *text = harness_read_file(path, n);
    cr_assert_not_null(text, "cannot read %s", path);
    free(path);
    return text;
}

/* Our products against the named Products of extruct's microdata output:
 * the same set of names, and the same price, currency, brand and seller
 * wherever extruct has them. */
/* Compares our microdata products with extruct's. `links` names the
 * products extruct lists that are properties of another item (a related,
 * referenced or ordered product): links, not the page's products (issue 15). */
static void compare_microdata_links(const char *html, const char *json, const char *const *links)
{
    size_t n;
    char *body = read_sample(html, &n);
    html_page page;
    cr_assert_eq(extract(body, n, "http://www.example.com/samples/page.html", &page), 0);
    cJSON *expected_json = read_json(json);
    expected want[32];
    size_t count = 0;
    collect_products(expected_json, want, &count, 32);
    cr_assert_gt(count, 0, "%s: no Product in the expected output", json);
    for (size_t i = 0; i < count; i++) {
        const html_product *p = find_product(&page, want[i].name);
        bool link = false;
        for (size_t k = 0; links && links[k]; k++)
            link |= same(want[i].name, links[k]);
        if (link) {
            cr_assert_null(p, "%s: \"%s\" is a property of another item, not a product of the page", html,
                           want[i].name);
            continue;
        }
        cr_assert_not_null(p, "%s: no product named \"%s\"", html, want[i].name);
        cr_assert_str_eq(p->source, "microdata");
        if (want[i].price)
            cr_assert(prices_equal(p->price, want[i].price), "%s: price %s, expected %s", html, p->price,
                      want[i].price);
        if (want[i].currency)
            cr_assert(same(p->currency, want[i].currency), "%s: currency %s", html, p->currency);
        if (want[i].brand)
            cr_assert(same(p->brand, want[i].brand), "%s: brand %s, expected %s", html, p->brand, want[i].brand);
        if (want[i].seller)
            cr_assert(same(p->seller_name, want[i].seller), "%s: seller %s, expected %s", html, p->seller_name,
                      want[i].seller);
    }
    /* and nothing invented: each named product of ours is one of extruct's */
    for (size_t i = 0; i < page.product_count; i++) {
        if (!page.products[i].name)
            continue;
        bool known = false;
        for (size_t k = 0; k < count; k++)
            known |= same(page.products[i].name, want[k].name);
        cr_assert(known, "%s: product \"%s\" is not in %s", html, page.products[i].name, json);
    }
    if (links && links[0])
        cr_assert_gt(page.related_products, 0, "%s: the related products are counted", html);
    cJSON_Delete(expected_json);
    html_page_free(&page);
    free(body);
}

static void compare_microdata(const char *html, const char *json)
{
    compare_microdata_links(html, json, NULL);
}

Test(extract_html, extruct_microdata_products)
{
    compare_microdata("schema.org/product.html", "schema.org/product.json");
    compare_microdata("schema.org/product.html", "schema.org/product_custom_url.json");
    compare_microdata_links("schema.org/product-ref.html", "schema.org/product-ref.json",
                            (const char *const[]){"REFERENCED PRODUCT", "REL PROD 1", "REL PROD 2", NULL});
    compare_microdata("websites/microdata-with-description.html", "websites/microdata-with-description.json");
    compare_microdata_links("schema.org/LocalBusiness.003.html", "schema.org/LocalBusiness.003.json",
                            (const char *const[]){"ACME Furnace 3000", NULL});
    compare_microdata("w3c/microdata.4.2.meter.html", "w3c/microdata.4.2.meter.json");
}

Test(extract_html, extruct_description_and_exact_values)
{
    size_t n;
    char *body = read_sample("schema.org/product.html", &n);
    html_page page;
    cr_assert_eq(extract(body, n, "http://some-example.com", &page), 0);
    cr_assert_eq(page.product_count, 1);
    const html_product *p = &page.products[0];
    cJSON *want = read_json("schema.org/product_custom_url.json");
    const cJSON *item = cJSON_GetArrayItem(want, 0);
    cr_assert(same(p->description, str(prop(item, "description"))), "description %s", p->description);
    cr_assert_str_eq(p->image, str(prop(item, "image")), "relative image resolved against the base URL");
    cr_assert_str_eq(p->price, "119.99");
    cr_assert_str_eq(p->currency, "USD");
    cr_assert_str_eq(page.title, "Photo gallery");
    cJSON_Delete(want);
    html_page_free(&page);
    free(body);

    /* the pet-shop page: entities decoded, <br> separates words, price from the AggregateOffer */
    body = read_sample("websites/microdata-with-description.html", &n);
    cr_assert_eq(extract(body, n, "https://www.monster-pet-supplies.co.uk/cat/x", &page), 0);
    cr_assert_eq(page.product_count, 1);
    want = read_json("websites/microdata-with-description.json");
    item = cJSON_GetArrayItem(want, 0);
    cr_assert(same(page.products[0].description, str(prop(item, "description"))), "description %s",
              page.products[0].description);
    cr_assert_str_eq(page.products[0].image, str(prop(item, "image")));
    cr_assert_str_eq(page.title, "Johnsons 4 Fleas Cats & Kittens Tablets From £5.29");
    cJSON *listings = cJSON_CreateArray();
    cr_assert_eq(html_page_listings(&page, "web", "https://www.monster-pet-supplies.co.uk/cat/x", NULL, listings), 1);
    const cJSON *l = cJSON_GetArrayItem(listings, 0);
    cr_assert_str_eq(cJSON_GetObjectItem(l, "title")->valuestring, "Johnsons 4 Fleas Cats & Kittens Tablets");
    cr_assert_float_eq(cJSON_GetObjectItem(l, "price")->valuedouble, 5.29, 1e-9);
    cr_assert_str_eq(cJSON_GetObjectItem(l, "currency")->valuestring, "GBP");
    cr_assert_str_eq(cJSON_GetObjectItem(l, "listing_id")->valuestring, "https://www.monster-pet-supplies.co.uk/cat/x");
    cJSON_Delete(listings);
    cJSON_Delete(want);
    html_page_free(&page);
    free(body);
}

/* extruct's OpenGraph output as key -> first value. */
static const char *og_value(const cJSON *expected, const char *key)
{
    const cJSON *block, *pair;
    cJSON_ArrayForEach(block, expected)
        cJSON_ArrayForEach(pair, cJSON_GetObjectItem(block, "properties"))
            if (!strcmp(str(cJSON_GetArrayItem(pair, 0)), key))
                return str(cJSON_GetArrayItem(pair, 1));
    return NULL;
}

Test(extract_html, extruct_opengraph_product)
{
    cJSON *want = read_json("misc/opengraph_ns_product_test.json");
    const char *title = og_value(want, "og:title"), *price = og_value(want, "product:price:amount");
    const char *currency = og_value(want, "product:price:currency"), *url = og_value(want, "og:url");
    const char *description = og_value(want, "og:description");
    cr_assert(title && price && currency && url && description);
    size_t n;
    char *body = read_sample("misc/opengraph_ns_product_test.html", &n);

    /* The real page also has Product microdata for the same film: one product,
     * named by the microdata ("Better Off Dead [Exclusive Blu-ray Steelbook]",
     * og:title adds " - New on Blu-ray Disc | FYE"), the rest agreeing with OpenGraph. */
    html_page page;
    cr_assert_eq(extract(body, n, "https://www.fye.com/", &page), 0);
    cr_assert_eq(page.product_count, 1);
    const html_product *p = &page.products[0];
    cr_assert_str_eq(p->source, "microdata");
    cr_assert(p->name && !strncmp(title, p->name, strlen(p->name)), "name %s is not the start of %s", p->name, title);
    cr_assert(prices_equal(p->price, price), "price %s", p->price);
    cr_assert_str_eq(p->currency, currency);
    cr_assert_str_eq(p->url, url);
    cr_assert(same(p->description, description));
    cr_assert_str_eq(page.title, title);
    cr_assert_gt(page.link_count, 100);
    html_page_free(&page);

    /* Without the microdata (itemscope renamed) OpenGraph alone gives the product. */
    for (char *s = body; (s = memmem(s, n - (size_t)(s - body), "itemscope", 9)); s += 9)
        s[0] = 'x';
    cr_assert_eq(extract(body, n, "https://www.fye.com/", &page), 0);
    cr_assert_eq(page.product_count, 1);
    p = &page.products[0];
    cr_assert_str_eq(p->source, "opengraph");
    cr_assert(same(p->name, title), "name %s", p->name);
    cr_assert(prices_equal(p->price, price));
    cr_assert_str_eq(p->currency, currency);
    cr_assert_str_eq(p->url, url);
    cr_assert_str_eq(p->sku, og_value(want, "product:retailer_item_id"));
    html_page_free(&page);
    free(body);
    cJSON_Delete(want);

    /* An article's OpenGraph is no product. */
    body = read_sample("misc/opengraph_test.html", &n);
    cr_assert_eq(extract(body, n, NULL, &page), 0);
    cr_assert_eq(page.product_count, 0);
    html_page_free(&page);
    free(body);
}

/* Every .html sample: no crash, 0 or 1; where extruct expects JSON-LD
 * (.jsonld next to it), every block parses; where extruct's output for the
 * page holds no Product, we find none either. */
static void walk_samples(const char *dir, size_t *pages)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot open %s", dir);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *path;
        cr_assert(asprintf(&path, "%s/%s", dir, e->d_name) > 0);
        struct stat sb;
        cr_assert_eq(stat(path, &sb), 0);
        if (S_ISDIR(sb.st_mode)) {
            walk_samples(path, pages);
            free(path);
            continue;
        }
        size_t len = strlen(path);
        if (len < 5 || strcmp(path + len - 5, ".html")) {
            free(path);
            continue;
        }
        size_t n;
        char *body = harness_read_file(path, &n);
        cr_assert_not_null(body);
        html_page page;
        extract(body, n, "http://www.example.com/index.html", &page);
        (*pages)++;

        char *stem = strndup(path, len - 5), *expected_path;
        cr_assert(asprintf(&expected_path, "%s.jsonld", stem) > 0);
        struct stat es;
        if (stat(expected_path, &es) == 0)
            cr_assert_eq(page.json_ld_errors, 0, "%s: %zu JSON-LD blocks did not parse", path, page.json_ld_errors);
        free(expected_path);
        cr_assert(asprintf(&expected_path, "%s.json", stem) > 0);
        size_t en;
        char *expected_text = stat(expected_path, &es) == 0 ? harness_read_file(expected_path, &en) : NULL;
        if (expected_text) {
            cJSON *expected_json = cJSON_Parse(expected_text);
            cr_assert_not_null(expected_json, "%s", expected_path);
            expected want[32];
            size_t count = 0;
            collect_products(expected_json, want, &count, 32);
            bool og_product = strstr(expected_text, "\"product:price:amount\"") != NULL;
            if (!count && !og_product)
                cr_assert_eq(page.product_count, 0, "%s: %zu products where extruct finds none", path,
                             page.product_count);
            cJSON_Delete(expected_json);
            free(expected_text);
        }
        free(expected_path);
        free(stem);
        html_page_free(&page);
        free(body);
        free(path);
    }
    closedir(d);
}

Test(extract_html, extruct_every_sample_parses)
{
    char *root = sample_path("");
    size_t pages = 0;
    walk_samples(root, &pages);
    cr_assert_geq(pages, 57, "only %zu sample pages found under %s", pages, root);
    free(root);
}

/* ---- 2. and 3. the fixture storefront ------------------------------------- */

#define SEED 7ull
#define LISTINGS 2000ull
#define FIRST_WEB_ID 500000000ull
#define PAGES 50

static harness_process market;

static void market_up(void)
{
    extract_html_init();
    cr_assert_eq(harness_market_start(&market, SEED, LISTINGS, NULL), 0, "fixture-market did not start");
}

static void market_down(void)
{
    harness_stop(&market);
}

static char *get_page(const char *path, size_t *length)
{
    harness_response r;
    int rc = harness_http_get(market.port, path, false, 10000, &r);
    cr_assert_eq(rc, 0, "GET %s: curl error %d", path, rc);
    cr_assert_eq(r.status, 200, "GET %s: status %ld", path, r.status);
    *length = r.length;
    return r.body;
}

/* The market's listing records (--listings-jsonl), web ones only. */
static cJSON *web_records(void)
{
    char file[600], seed[32], listings[32];
    snprintf(file, sizeof file, "%s/records.jsonl", market.dir);
    snprintf(seed, sizeof seed, "%llu", SEED);
    snprintf(listings, sizeof listings, "%llu", LISTINGS);
    char binary[600];
    snprintf(binary, sizeof binary, "%s/fixture-market", harness_build());
    const char *argv[] = {binary, "--seed", seed, "--listings", listings, "--listings-jsonl", file, "--truth-only", NULL};
    char *err = NULL;
    int status = harness_run(argv, NULL, 0, NULL, &err);
    cr_assert_eq(status, 0, "fixture-market --truth-only: %s", err ? err : "");
    free(err);
    size_t n;
    char *text = harness_read_file(file, &n);
    cr_assert_not_null(text);
    cJSON *web = cJSON_CreateObject(); /* listing_id -> record */
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        cJSON *record = cJSON_Parse(line);
        cr_assert_not_null(record, "bad record line");
        if (!strcmp(cJSON_GetObjectItem(record, "platform")->valuestring, "web"))
            cJSON_AddItemToObject(web, cJSON_GetObjectItem(record, "listing_id")->valuestring, record);
        else
            cJSON_Delete(record);
    }
    free(text);
    remove(file);
    return web;
}

TestSuite(storefront, .init = market_up, .fini = market_down);

Test(storefront, product_pages_match_listing_records)
{
    cJSON *records = web_records();
    size_t by_source[2] = {0, 0};
    for (unsigned long long id = FIRST_WEB_ID; id < FIRST_WEB_ID + PAGES; id++) {
        char path[64], url[128], sid[32];
        snprintf(sid, sizeof sid, "%llu", id);
        snprintf(path, sizeof path, "/store/p/%llu.html", id);
        snprintf(url, sizeof url, "http://127.0.0.1:%d%s", market.port, path);
        const cJSON *record = cJSON_GetObjectItem(records, sid);
        cr_assert_not_null(record, "no listing record %s", sid);
        size_t n;
        char *body = get_page(path, &n);
        html_page page;
        cr_assert_eq(extract(body, n, url, &page), 0);
        cr_assert_eq(page.product_count, 1, "%s: %zu products", path, page.product_count);
        cr_assert_eq(page.json_ld_errors, 0);
        const html_product *p = &page.products[0];
        bool microdata = !strcmp(p->source, "microdata");
        cr_assert(microdata || !strcmp(p->source, "json-ld"), "%s: source %s", path, p->source);
        by_source[microdata]++;
        const cJSON *seller = cJSON_GetObjectItem(record, "seller");
        cr_assert_str_eq(p->name, cJSON_GetObjectItem(record, "title")->valuestring, "%s (%s)", path, p->source);
        double price;
        cr_assert(price_parse(p->price, &price), "%s: price %s", path, p->price);
        cr_assert_float_eq(price, cJSON_GetObjectItem(record, "price")->valuedouble, 1e-6, "%s", path);
        cr_assert_str_eq(p->currency, "VND");
        cr_assert_str_eq(p->seller_id, cJSON_GetObjectItem(seller, "id")->valuestring, "%s (%s)", path, p->source);
        cr_assert_str_eq(p->seller_name, cJSON_GetObjectItem(seller, "name")->valuestring, "%s", path);
        cr_assert_str_eq(p->seller_region, cJSON_GetObjectItem(seller, "location")->valuestring, "%s (%s)", path,
                         p->source);
        cr_assert(same(p->description, cJSON_GetObjectItem(record, "description")->valuestring), "%s", path);
        cr_assert_str_eq(page.title, cJSON_GetObjectItem(record, "title")->valuestring);

        /* the listing record we make from it */
        cJSON *listings = cJSON_CreateArray();
        cr_assert_eq(html_page_listings(&page, "web", url, NULL, listings), 1);
        const cJSON *l = cJSON_GetArrayItem(listings, 0);
        cr_assert_str_eq(cJSON_GetObjectItem(l, "platform")->valuestring, "web");
        cr_assert_str_eq(cJSON_GetObjectItem(l, "listing_id")->valuestring, sid, "%s (%s)", path, p->source);
        cr_assert_str_eq(cJSON_GetObjectItem(l, "url")->valuestring, url);
        cr_assert_str_eq(cJSON_GetObjectItem(l, "title")->valuestring, p->name);
        cr_assert_float_eq(cJSON_GetObjectItem(l, "price")->valuedouble, price, 1e-6);
        const cJSON *ls = cJSON_GetObjectItem(l, "seller");
        cr_assert_str_eq(cJSON_GetObjectItem(ls, "id")->valuestring, p->seller_id);
        cr_assert_str_eq(cJSON_GetObjectItem(ls, "location")->valuestring, p->seller_region);
        if (!microdata)
            cr_assert_str_eq(cJSON_GetObjectItem(l, "category")->valuestring,
                             cJSON_GetObjectItem(record, "category")->valuestring);
        cJSON_Delete(listings);
        html_page_free(&page);
        free(body);
    }
    cr_assert_gt(by_source[0], 0, "no JSON-LD product page among %d", PAGES);
    cr_assert_gt(by_source[1], 0, "no microdata-only product page among %d", PAGES);
    cJSON_Delete(records);
}

/* The 24 product links of a listing page, and its next page. */
static void check_listing_page(const char *path, const char *expected_next)
{
    size_t n;
    char *body = get_page(path, &n);
    char page_url[512], prefix[128];
    snprintf(page_url, sizeof page_url, "http://127.0.0.1:%d%s", market.port, path);
    snprintf(prefix, sizeof prefix, "http://127.0.0.1:%d/store/p/", market.port);
    html_page page;
    cr_assert_eq(extract(body, n, page_url, &page), 0);
    size_t products = 0;
    for (size_t i = 0; i < page.link_count; i++) {
        const char *l = page.links[i];
        if (strncmp(l, prefix, strlen(prefix)))
            continue;
        const char *id = l + strlen(prefix);
        size_t digits = strspn(id, "0123456789");
        cr_assert(digits > 0 && !strcmp(id + digits, ".html"), "odd product link %s", l);
        products++;
    }
    cr_assert_eq(products, 24, "%s: %zu product links", path, products);
    char next[512];
    snprintf(next, sizeof next, "http://127.0.0.1:%d%s", market.port, expected_next);
    cr_assert_not_null(page.next_page, "%s: no next page", path);
    cr_assert_str_eq(page.next_page, next);
    bool listed = false;
    for (size_t i = 0; i < page.link_count; i++)
        listed |= !strcmp(page.links[i], next);
    cr_assert(listed, "the next page is not among the links");
    cr_assert_eq(page.product_count, 0);
    html_page_free(&page);
    free(body);
}

Test(storefront, listing_pages_give_product_links_and_next_page)
{
    check_listing_page("/store/search", "/store/search?page=2");
    check_listing_page("/store/search?page=2", "/store/search?page=3");
    check_listing_page("/store/search?q=giay", "/store/search?q=giay&page=2");

    /* a category with more than one page, found from the home page */
    size_t n;
    char *body = get_page("/store/", &n);
    char home[128], prefix[128];
    snprintf(home, sizeof home, "http://127.0.0.1:%d/store/", market.port);
    snprintf(prefix, sizeof prefix, "http://127.0.0.1:%d/store/c/", market.port);
    html_page page;
    cr_assert_eq(extract(body, n, home, &page), 0);
    bool checked = false;
    for (size_t i = 0; i < page.link_count && !checked; i++) {
        if (strncmp(page.links[i], prefix, strlen(prefix)))
            continue;
        const char *path = page.links[i] + strlen(home) - strlen("/store/");
        size_t cn;
        char *category = get_page(path, &cn);
        html_page cp;
        char url[512];
        snprintf(url, sizeof url, "http://127.0.0.1:%d%s", market.port, path);
        cr_assert_eq(extract(category, cn, url, &cp), 0);
        if (cp.next_page) {
            char next[512];
            snprintf(next, sizeof next, "%s?page=2", path);
            check_listing_page(path, next);
            checked = true;
        }
        html_page_free(&cp);
        free(category);
    }
    cr_assert(checked, "no category page with a next page");
    html_page_free(&page);
    free(body);
}

/* ---- 4. hostile input ------------------------------------------------------- */

static const char product_ld[] =
    "<script type=\"application/ld+json\">{\"@context\":\"https://schema.org\",\"@type\":\"Product\","
    "\"name\":\"Giày Nike Air\",\"sku\":\"A1\",\"offers\":{\"@type\":\"Offer\",\"price\":\"1250000\","
    "\"priceCurrency\":\"VND\",\"seller\":{\"@type\":\"Organization\",\"name\":\"Shop A\",\"identifier\":\"77\","
    "\"address\":{\"@type\":\"PostalAddress\",\"addressRegion\":\"Hà Nội\"}}}}</script>";

Test(extract_html, truncated_pages_never_fail)
{
    char page_text[4096];
    snprintf(page_text, sizeof page_text,
             "<!DOCTYPE html><html><head><title>Trang</title>%s</head><body><div itemscope "
             "itemtype=\"https://schema.org/Product\"><h1 itemprop=\"name\">Túi LV</h1><div itemprop=\"offers\" "
             "itemscope itemtype=\"https://schema.org/Offer\"><span itemprop=\"price\">2.500.000 ₫</span></div>"
             "<p>mô tả</p></div><a href=\"/x\">x</a></body></html>",
             product_ld);
    size_t n = strlen(page_text);
    for (size_t cut = 0; cut <= n; cut++) {
        html_page page;
        cr_assert_eq(extract(page_text, cut, "http://shop.test/p/1", &page), 0, "cut at %zu", cut);
        cr_assert_leq(page.product_count, 2);
        html_page_free(&page);
    }
    html_page page;
    cr_assert_eq(extract(page_text, n, "http://shop.test/p/1", &page), 0);
    cr_assert_eq(page.product_count, 2);
    cr_assert_str_eq(page.products[0].source, "json-ld");
    cr_assert_str_eq(page.products[1].source, "microdata");
    cr_assert_str_eq(page.products[1].name, "Túi LV");
    cr_assert_str_eq(page.products[1].price, "2.500.000 ₫");
    html_page_free(&page);

    /* cut in the middle of the microdata product: what was read is kept */
    const char *cut = strstr(page_text, "<p>mô tả");
    cr_assert_eq(extract(page_text, (size_t)(cut - page_text), "http://shop.test/p/1", &page), 0);
    cr_assert_not_null(find_product(&page, "Túi LV"));
    html_page_free(&page);
}

Test(extract_html, unclosed_script_and_bad_json_ld)
{
    html_page page;
    /* a complete block whose </script> never comes */
    extract_str("<html><head><script type=\"application/ld+json\">{\"@type\":\"Product\",\"name\":\"X\"}", NULL,
                &page);
    cr_assert_eq(page.json_ld_errors, 0);
    cr_assert_eq(page.product_count, 1);
    cr_assert_str_eq(page.products[0].name, "X");
    html_page_free(&page);
    /* a block cut short */
    extract_str("<html><head><script type=\"application/ld+json\">{\"@type\":\"Product\",\"name\":\"X\"", NULL,
                &page);
    cr_assert_eq(page.json_ld_errors, 1);
    cr_assert_eq(page.product_count, 0);
    html_page_free(&page);
    /* a syntax error is counted, and the good block after it still counts */
    char text[4096];
    snprintf(text, sizeof text,
             "<html><head><script type=\"application/ld+json\">{\"@type\": \"Product\", \"name\": \"A\" "
             "\"price\": 1}</script><script type=\"application/ld+json\">[1, 2,, 3]</script>%s</head></html>",
             product_ld);
    extract_str(text, "https://shop.test/", &page);
    cr_assert_eq(page.json_ld_errors, 2);
    cr_assert_eq(page.product_count, 1);
    cr_assert_str_eq(page.products[0].name, "Giày Nike Air");
    cr_assert_str_eq(page.products[0].seller_region, "Hà Nội");
    html_page_free(&page);
    /* a plain script that never ends swallows nothing it should not */
    extract_str("<html><body><script>var a = '<a href=\"/x\">';", "https://shop.test/", &page);
    cr_assert_eq(page.link_count, 0);
    html_page_free(&page);
}

Test(extract_html, json_ld_shapes)
{
    html_page page;
    extract_str("<script type='application/ld+json'>{\"@context\":\"https://schema.org\",\"@graph\":["
                "{\"@type\":\"WebPage\",\"name\":\"page\"},"
                "{\"@type\":[\"Product\",\"Thing\"],\"name\":\"G1\",\"brand\":{\"@type\":\"Brand\",\"name\":\"Gucci\"},"
                "\"image\":[\"/i/1.jpg\",\"/i/2.jpg\"],\"url\":\"p/g1\","
                "\"offers\":[{\"@type\":\"Offer\",\"price\":99000,\"priceCurrency\":\"VND\",\"seller\":"
                "{\"name\":\"S\",\"identifier\":{\"@type\":\"PropertyValue\",\"value\":\"s-9\"}}},"
                "{\"@type\":\"Offer\",\"price\":1}]}]}</script>"
                "<script type='application/ld+json'>[{\"@type\":\"Product\",\"name\":\"G2\",\"brand\":\"Dior\","
                "\"offers\":{\"@type\":\"AggregateOffer\",\"lowPrice\":\"5.29\",\"highPrice\":\"9\",\"priceCurrency\":\"GBP\"}}]"
                "</script>"
                "<script type='application/ld+json'>{\"@type\":\"ItemList\",\"itemListElement\":[{\"@type\":\"ListItem\","
                "\"item\":{\"@type\":\"Product\",\"name\":\"G3\"}}]}</script>",
                "https://shop.test/c/bags?page=2", &page);
    cr_assert_eq(page.product_count, 3);
    const html_product *g1 = &page.products[0], *g2 = &page.products[1];
    cr_assert_str_eq(g1->name, "G1");
    cr_assert_str_eq(g1->brand, "Gucci");
    cr_assert_str_eq(g1->image, "https://shop.test/i/1.jpg");
    cr_assert_str_eq(g1->url, "https://shop.test/c/p/g1");
    /* several offers: the lowest, and the highest as price_max */
    cr_assert_str_eq(g1->price, "1");
    cr_assert_str_eq(g1->price_max, "99000");
    cr_assert_str_eq(g1->seller_id, "s-9");
    cr_assert_str_eq(g2->brand, "Dior");
    cr_assert_str_eq(g2->price, "5.29");
    cr_assert_str_eq(g2->currency, "GBP");
    cr_assert_str_eq(page.products[2].name, "G3");
    html_page_free(&page);

    /* lenient: comments, a trailing comma, raw newlines in a string */
    extract_str("<script type=\"application/ld+json\"><!-- hidden -->\n// note\n{\"@type\":\"Product\", /* c */"
                "\"name\":\"Line1\nLine2\",\"sku\":\"k\",}</script>",
                NULL, &page);
    cr_assert_eq(page.json_ld_errors, 0);
    cr_assert_eq(page.product_count, 1);
    cr_assert_str_eq(page.products[0].name, "Line1\nLine2");
    html_page_free(&page);
}

Test(extract_html, sources_combine)
{
    html_page page;
    /* JSON-LD first, filled from OpenGraph; microdata of the same name not repeated */
    extract_str("<html><head><meta property=\"og:type\" content=\"product\"><meta property=\"og:title\" content=\"T\">"
                "<meta property=\"og:image\" content=\"/img.jpg\"><meta property=\"product:brand\" content=\"B\">"
                "<script type=\"application/ld+json\">{\"@type\":\"Product\",\"name\":\"T\",\"offers\":{\"price\":\"5\"}}"
                "</script></head><body><div itemscope itemtype=\"http://schema.org/Product\"><span itemprop=\"name\"> "
                "T </span><meta itemprop=\"sku\" content=\"S1\"></div>"
                "<div itemscope itemtype=\"http://schema.org/Product\"><span itemprop=\"name\">Other</span></div>"
                "</body></html>",
                "http://s.test/p", &page);
    cr_assert_eq(page.product_count, 2);
    cr_assert_str_eq(page.products[0].source, "json-ld");
    cr_assert_str_eq(page.products[0].image, "http://s.test/img.jpg");
    cr_assert_str_eq(page.products[0].brand, "B");
    cr_assert_str_eq(page.products[0].sku, "S1");
    cr_assert_str_eq(page.products[1].name, "Other");
    html_page_free(&page);
    /* OpenGraph alone */
    extract_str("<meta property='og:type' content='product'><meta property='og:title' content='Áo &amp; quần'>"
                "<meta property='product:price:amount' content='150000'><meta property='product:price:currency' "
                "content='VND'><meta property='og:url' content='//s.test/p/1'>",
                "https://s.test/p/1?ref=x", &page);
    cr_assert_eq(page.product_count, 1);
    cr_assert_str_eq(page.products[0].source, "opengraph");
    cr_assert_str_eq(page.products[0].name, "Áo & quần");
    cr_assert_str_eq(page.products[0].url, "https://s.test/p/1");
    html_page_free(&page);
}

Test(extract_html, deep_nesting)
{
    bytebuf b;
    bytebuf_init(&b, 0);
    bytebuf_append_string(&b, "<html><body>");
    for (int i = 0; i < 10000; i++)
        bytebuf_append_string(&b, "<div>");
    bytebuf_append_string(&b, "<div itemscope itemtype=\"https://schema.org/Product\"><b itemprop=\"name\">Deep</b>"
                              "</div><a href=\"/deep\">d</a>");
    for (int i = 0; i < 10000; i++)
        bytebuf_append_string(&b, "</div>");
    /* and 10,000 nested items with properties */
    for (int i = 0; i < 10000; i++)
        bytebuf_append_string(&b, "<div itemscope itemtype=\"https://schema.org/Product\" itemprop=\"isRelatedTo\">"
                                  "<i itemprop=\"name\">N</i>");
    bytebuf_append_string(&b, "</body></html>");
    html_page page;
    cr_assert_eq(extract(b.data, b.length, "http://s.test/", &page), 0);
    cr_assert_not_null(find_product(&page, "Deep"));
    cr_assert_leq(page.product_count, EXTRACT_HTML_MAX_PRODUCTS);
    cr_assert_eq(page.link_count, 1);
    cr_assert_str_eq(page.links[0], "http://s.test/deep");
    html_page_free(&page);
    bytebuf_free(&b);

    /* more products and links than kept */
    bytebuf_init(&b, 0);
    bytebuf_append_string(&b, "<script type=\"application/ld+json\">{\"@graph\":[");
    for (int i = 0; i < 100; i++)
        bytebuf_printf(&b, "%s{\"@type\":\"Product\",\"name\":\"P%d\"}", i ? "," : "", i);
    bytebuf_append_string(&b, "]}</script>");
    for (int i = 0; i < 6000; i++)
        bytebuf_printf(&b, "<a href=\"/l/%d\">x</a><a href=\"/l/%d#top\">same</a>", i, i);
    cr_assert_eq(extract(b.data, b.length, "http://s.test/", &page), 0);
    cr_assert_eq(page.product_count, EXTRACT_HTML_MAX_PRODUCTS);
    cr_assert_eq(page.link_count, EXTRACT_HTML_MAX_LINKS);
    cr_assert_str_eq(page.links[4095], "http://s.test/l/4095");
    html_page_free(&page);
    bytebuf_free(&b);
}

Test(extract_html, nul_bytes_and_invalid_utf8)
{
    static const char raw[] = "<html><head><title>T\0itle</title></head><body><div itemscope "
                              "itemtype=\"http://schema.org/Product\"><h1 itemprop=\"name\">Gi\xe0y \xff\xfe N\0ike "
                              "\xc3\x28 H\xc3\xa0 N\xe1\xbb\x99i</h1><span itemprop=\"brand\">\xed\xa0\x80"
                              "Nike</span></div><a href=\"/\xff\">x</a>\0\0\0</body></html>";
    html_page page;
    cr_assert_eq(extract(raw, sizeof raw - 1, "http://s.test/", &page), 0);
    cr_assert_eq(page.product_count, 1);
    const html_product *p = &page.products[0];
    cr_assert(strstr(p->name, "\xEF\xBF\xBD"), "invalid bytes become U+FFFD: %s", p->name);
    cr_assert(strstr(p->name, "H\xc3\xa0 N\xe1\xbb\x99i"), "valid UTF-8 after the bad bytes is intact: %s", p->name);
    cr_assert(strstr(p->brand, "Nike"));
    html_page_free(&page);

    /* random bytes */
    unsigned long long x = 88172645463325252ull;
    char *noise = malloc(1 << 16);
    for (int round = 0; round < 20; round++) {
        for (size_t i = 0; i < 1 << 16; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            noise[i] = (i % 7 == 0) ? "<>/=\"' "[x % 7] : (char)(x & 0xff);
        }
        cr_assert_eq(extract(noise, 1 << 16, "http://s.test/", &page), 0);
        html_page_free(&page);
    }
    free(noise);
}

Test(extract_html, oversized_body_is_cut)
{
    size_t size = (size_t)17 << 19; /* 8.5 MiB */
    char *body = malloc(size);
    int head = snprintf(body, size, "<html><head><title>Big</title>%s</head><body><p>", product_ld);
    memset(body + head, 'a', size - (size_t)head);
    for (size_t i = (size_t)head; i + 8 < size; i += 4096)
        memcpy(body + i, "<p>text ", 8);
    html_page page;
    char error[128];
    cr_assert_eq(extract_html(body, size, "http://s.test/", &page, error, sizeof error), 1);
    cr_assert_eq(page.product_count, 1);
    cr_assert_str_eq(page.title, "Big");
    html_page_free(&page);
    cr_assert_eq(extract_html(body, EXTRACT_HTML_MAX_INPUT, "http://s.test/", &page, error, sizeof error), 0);
    html_page_free(&page);
    free(body);
    /* bad arguments */
    cr_assert_eq(extract_html(NULL, 5, NULL, &page, error, sizeof error), -1);
    cr_assert_eq(extract_html("", 0, NULL, NULL, error, sizeof error), -1);
    cr_assert_eq(extract_html("", 0, NULL, &page, error, sizeof error), 0);
    cr_assert_eq(page.product_count, 0);
    html_page_free(&page);
}

Test(extract_html, links_filtered_and_resolved)
{
    html_page page;
    extract_str("<html><head><link rel=\"stylesheet\" href=\"/s.css\"><link rel=\"next\" href=\"?page=3\"></head><body>"
                "<a href=\"javascript:alert(1)\">j</a><a href=\"  JavaScript:void(0)\">j</a>"
                "<a href=\"java\nscript:alert(1)\">j</a><a href=\"data:text/html,<b>x</b>\">d</a>"
                "<a href=\"mailto:a@b.vn\">m</a><a href=\"tel:1900\">t</a><a href=\"#top\">f</a><a href=\"\">e</a>"
                "<a href=\"ftp://x.vn/f\">f</a><a href=\"vbscript:x\">v</a>"
                "<a href=\"HTTPS://Shop.VN/a b\">1</a><a href=\"//cdn.vn/x\">2</a><a href=\"/root?q=1#frag\">3</a>"
                "<a href=\"rel/../sib\">4</a><a href=\"./here\">5</a><a href=\"../up\">6</a><a href=\"/root?q=1\">dup</a>"
                "<a rel=\"nofollow next\" href=\"/ignored-next\">n</a></body></html>",
                "http://s.test/c/bags/list?page=2#x", &page);
    const char *want[] = {"http://s.test/c/bags/list?page=3", "https://shop.vn/a%20b", "http://cdn.vn/x",
                          "http://s.test/root?q=1", "http://s.test/c/bags/sib", "http://s.test/c/bags/here",
                          "http://s.test/c/up", "http://s.test/ignored-next"};
    cr_assert_eq(page.link_count, sizeof want / sizeof *want);
    for (size_t i = 0; i < page.link_count; i++)
        cr_assert_str_eq(page.links[i], want[i]);
    cr_assert_str_eq(page.next_page, "http://s.test/c/bags/list?page=3");
    html_page_free(&page);

    /* <base href> moves the base; without a page URL only absolute links stay */
    extract_str("<base href=\"https://cdn.test/b/\"><a href=\"x\">x</a>", "http://s.test/", &page);
    cr_assert_eq(page.link_count, 1);
    cr_assert_str_eq(page.links[0], "https://cdn.test/b/x");
    html_page_free(&page);
    extract_str("<a href=\"x\">x</a><a href=\"http://a.test\">a</a>", NULL, &page);
    cr_assert_eq(page.link_count, 1);
    cr_assert_str_eq(page.links[0], "http://a.test/");
    html_page_free(&page);
}

/* ---- 5. prices and URLs ----------------------------------------------------- */

Test(extract_html, price_table)
{
    static const struct {
        const char *text;
        bool ok;
        double value;
    } cases[] = {
        {"1250000", true, 1250000},  {"1.250.000", true, 1250000},    {"1,250,000.00", true, 1250000},
        {"5.29", true, 5.29},        {"₫ 99.000", true, 99000},       {"99.000đ", true, 99000},
        {"1.250.000,50", true, 1250000.5}, {"17.99 USD", true, 17.99}, {"$179.99", true, 179.99},
        {"1,5", true, 1.5},          {"1,250", true, 1250},           {"0", true, 0},
        {"VND 2.000.000 - 3.000.000", true, 2000000}, {"119.99 ", true, 119.99},
        {"abc", false, 0},           {"", false, 0},                  {"Liên hệ", false, 0},
        {".", false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        double v = -1;
        bool ok = price_parse(cases[i].text, &v);
        cr_assert_eq(ok, cases[i].ok, "\"%s\"", cases[i].text);
        if (ok)
            cr_assert_float_eq(v, cases[i].value, 1e-9, "\"%s\" gave %f", cases[i].text, v);
    }
    cr_assert_not(price_parse(NULL, NULL));

    /* in a listing: a price that does not parse is absent */
    html_page page = {0};
    html_product products[2] = {{.name = "A", .price = "abc", .sku = "1", .url = "http://s.test/a"},
                                {.name = "B", .price = "1.250.000"}};
    page.products = products;
    page.product_count = 2;
    cJSON *listings = cJSON_CreateArray();
    cr_assert_eq(html_page_listings(&page, "web", "http://s.test/p", NULL, listings), 2);
    cr_assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(listings, 0), "price"));
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(listings, 0), "listing_id")->valuestring, "1");
    cr_assert_float_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(listings, 1), "price")->valuedouble, 1250000, 1e-9);
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(listings, 1), "listing_id")->valuestring, "http://s.test/p");
    cJSON_Delete(listings);
}

Test(extract_html, url_resolver_table)
{
    static const struct {
        const char *base, *href, *want; /* want NULL: dropped */
    } cases[] = {
        {"http://a.vn/b/c/d.html?x=1", "e.html", "http://a.vn/b/c/e.html"},
        {"http://a.vn/b/c/d.html?x=1", "../e", "http://a.vn/b/e"},
        {"http://a.vn/b/c/d.html?x=1", "../../../../e", "http://a.vn/e"},
        {"http://a.vn/b/c/d.html?x=1", "/e?y=2", "http://a.vn/e?y=2"},
        {"http://a.vn/b/c/d.html?x=1", "?y=2", "http://a.vn/b/c/d.html?y=2"},
        {"http://a.vn/b/c/d.html?x=1", "//cdn.vn/i.jpg", "http://cdn.vn/i.jpg"},
        {"https://a.vn", "p", "https://a.vn/p"},
        {"https://a.vn", "//CDN.vn", "https://cdn.vn/"},
        {"https://a.vn/x", "http://B.vn:8080/p/./q/../r", "http://b.vn:8080/p/r"},
        {"https://a.vn/x", ".", "https://a.vn/"},
        {NULL, "http://a.vn", "http://a.vn/"},
        {NULL, "/rel", NULL},
        {"https://a.vn/x", "javascript:alert(1)", NULL},
        {"https://a.vn/x", "data:image/png;base64,AAAA", NULL},
        {"https://a.vn/x", "mailto:x@y", NULL},
        {"https://a.vn/x", "#frag", NULL},
        {"https://a.vn/x", "   ", NULL},
        {"https://a.vn/x", "http:relative", NULL},
        {"https://a.vn/x", "http://", NULL},
        {"file:///etc/passwd", "x", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[2048] = "";
        bool ok = url_resolve(cases[i].base, cases[i].href, out, sizeof out);
        if (cases[i].want) {
            cr_assert(ok, "%s + %s dropped", cases[i].base, cases[i].href);
            cr_assert_str_eq(out, cases[i].want, "%s + %s", cases[i].base, cases[i].href);
        } else {
            cr_assert_not(ok, "%s + %s gave %s", cases[i].base, cases[i].href, out);
        }
    }
    /* too long, or too small an output */
    char *lng = malloc(5000);
    memset(lng, 'a', 4999);
    lng[4999] = '\0';
    char out[64];
    cr_assert_not(url_resolve("http://a.vn/", lng, out, sizeof out));
    cr_assert_not(url_resolve("http://a.vn/", "/0123456789012345678901234567890123456789012345678901234567890123", out, sizeof out));
    free(lng);
}

/* ---- threads ---------------------------------------------------------------- */

typedef struct job {
    const char *body;
    size_t length;
    size_t products, links;
} job;

static void *run_job(void *arg)
{
    job *j = arg;
    for (int i = 0; i < 10; i++) {
        html_page page;
        char error[64];
        if (extract_html(j->body, j->length, "https://www.fye.com/", &page, error, sizeof error) != 0)
            return NULL;
        j->products = page.product_count;
        j->links = page.link_count;
        html_page_free(&page);
    }
    return NULL;
}

Test(extract_html, threads_get_the_same_answer)
{
    size_t n;
    char *body = read_sample("websites/microdata-with-description.html", &n);
    job jobs[2] = {{body, n, 0, 0}, {body, n, 0, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, run_job, &jobs[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    cr_assert_eq(jobs[0].products, 1);
    cr_assert_eq(jobs[1].products, 1);
    cr_assert_eq(jobs[0].links, jobs[1].links);
    cr_assert_gt(jobs[0].links, 100);
    free(body);
}

/* One price reader (issue 9): a price field and a caption read the same
 * amounts the same way (the two readers it replaced gave "350k" as 350 and
 * as 350,000, "2tr5" as 2 and as 2,500,000). */
Test(extract_html, one_price_reader_for_fields_and_captions)
{
    static const struct {
        const char *text;
        double value;
    } cases[] = {{"350k", 350000},         {"450K", 450000},          {"2tr5", 2500000},  {"2tr", 2000000},
                 {"1tr250", 1250000},      {"2 triệu", 2000000},      {"1,2 triệu", 1200000},
                 {"1.200.000đ", 1200000},  {"99.000 ₫", 99000},       {"1224000 VND", 1224000}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        double field = -1, caption = -1;
        cr_expect(price_parse(cases[i].text, &field), "%s", cases[i].text);
        cr_expect(price_find(cases[i].text, &caption), "%s", cases[i].text);
        cr_expect_float_eq(field, cases[i].value, 1e-6, "field \"%s\" gave %f", cases[i].text, field);
        cr_expect_float_eq(caption, cases[i].value, 1e-6, "caption \"%s\" gave %f", cases[i].text, caption);
    }
    double v;
    cr_expect(price_parse("5 kg", &v) && v == 5, "k of kg is not a multiplier");
}

/* ---- issue 15: tolerant structured data, one listing per product -------- */

static cJSON *listings_of(const html_page *page, const char *url)
{
    cJSON *l = cJSON_CreateArray();
    html_page_listings(page, "web", url, NULL, l);
    return l;
}

static double number_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(o, key);
    cr_assert(cJSON_IsNumber(v), "no number %s", key);
    return v->valuedouble;
}

/* Types and property names in any letter case, Product's subtypes and
 * @type arrays, the legacy data-vocabulary.org microdata. */
Test(extract_html, tolerant_types_and_names)
{
    html_page page;
    extract_str("<script type='application/ld+json'>["
                "{\"@type\":\"product\",\"Name\":\"Lower\",\"URL\":\"/p/1\",\"Offers\":{\"@type\":\"offer\",\"Price\":\"10.50\","
                "\"PriceCurrency\":\"usd\",\"Seller\":{\"Name\":\"Shop A\"}}},"
                "{\"@type\":\"https://schema.org/Car\",\"name\":\"Vinfast VF8\",\"url\":\"/p/2\",\"offers\":{\"price\":1090000000,"
                "\"priceCurrency\":\"VND\"}},"
                "{\"@type\":[\"Thing\",\"Vehicle\"],\"name\":\"Honda Vision\",\"url\":\"/p/3\",\"offers\":{\"price\":\"31.000.000\","
                "\"priceCurrency\":\"VND\"}},"
                "{\"@type\":\"IndividualProduct\",\"name\":\"One of a kind\",\"url\":\"/p/4\"},"
                "{\"@type\":\"WebPage\",\"name\":\"not a product\"}]</script>"
                "<div itemscope itemtype='http://data-vocabulary.org/Product'><span itemprop='name'>Legacy</span>"
                "<a itemprop='url' href='/p/5'>x</a><span itemprop='offerDetails' itemscope "
                "itemtype='http://data-vocabulary.org/Offer'><meta itemprop='currency' content='VND'>"
                "<span itemprop='price'>150.000</span></span></div>"
                "<div itemscope itemtype='HTTP://SCHEMA.ORG/PRODUCT'><span itemprop='NAME'>Upper</span>"
                "<a itemprop='url' href='/p/6'>x</a></div>",
                "https://shop.vn/c", &page);
    cr_assert_eq(page.product_count, 6);
    const html_product *p = find_product(&page, "Lower");
    cr_assert_not_null(p);
    cr_assert_str_eq(p->price, "10.50");
    cr_assert_str_eq(p->currency, "usd");
    cr_assert_str_eq(p->seller_name, "Shop A");
    cr_assert_str_eq(p->url, "https://shop.vn/p/1");
    cr_assert_not_null(find_product(&page, "Vinfast VF8"));
    cr_assert_str_eq(find_product(&page, "Honda Vision")->price, "31.000.000");
    cr_assert_not_null(find_product(&page, "One of a kind"));
    p = find_product(&page, "Legacy");
    cr_assert_not_null(p, "data-vocabulary.org microdata");
    cr_assert_str_eq(p->price, "150.000");
    cr_assert_str_eq(p->currency, "VND");
    cr_assert_not_null(find_product(&page, "Upper"));
    cJSON *l = listings_of(&page, "https://shop.vn/c");
    cr_assert_eq(cJSON_GetArraySize(l), 6);
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 0), "currency")->valuestring, "USD");
    cJSON_Delete(l);
    html_page_free(&page);
}

/* Offers nested in offers, AggregateOffer's lowPrice, and the current price
 * over a crossed-out list price. */
Test(extract_html, offers_nested_and_struck_prices)
{
    html_page page;
    extract_str("<script type='application/ld+json'>["
                "{\"@type\":\"Product\",\"name\":\"Nested\",\"url\":\"/a\",\"offers\":{\"@type\":\"AggregateOffer\","
                "\"priceCurrency\":\"VND\",\"offers\":[{\"@type\":\"Offer\",\"price\":\"250000\",\"seller\":{\"name\":\"S1\"}},"
                "{\"@type\":\"Offer\",\"price\":\"199000\"}]}},"
                "{\"@type\":\"Product\",\"name\":\"Struck\",\"url\":\"/b\",\"offers\":{\"@type\":\"Offer\",\"priceCurrency\":\"USD\","
                "\"priceSpecification\":[{\"@type\":\"UnitPriceSpecification\",\"priceType\":"
                "\"https://schema.org/StrikethroughPrice\",\"price\":\"22.35\"},"
                "{\"@type\":\"UnitPriceSpecification\",\"price\":\"15.64\"}]}},"
                "{\"@type\":\"Product\",\"name\":\"ListOnly\",\"url\":\"/c\",\"offers\":{\"@type\":\"Offer\",\"priceCurrency\":\"EUR\","
                "\"priceSpecification\":{\"priceType\":\"ListPrice\",\"price\":\"99\"}}},"
                "{\"@type\":\"Product\",\"name\":\"Aggregate\",\"url\":\"/d\",\"offers\":{\"@type\":\"AggregateOffer\","
                "\"lowPrice\":\"5.29\",\"highPrice\":\"9.56\",\"priceCurrency\":\"GBP\"}}]</script>",
                "https://shop.test/", &page);
    cr_assert_eq(page.product_count, 4);
    const html_product *p = find_product(&page, "Nested");
    cr_assert_str_eq(p->price, "199000");
    cr_assert_str_eq(p->price_max, "250000");
    cr_assert_str_eq(p->currency, "VND");
    cr_assert_str_eq(p->seller_name, "S1");
    p = find_product(&page, "Struck");
    cr_assert_str_eq(p->price, "15.64", "the current price, not the crossed-out one");
    cr_assert_null(p->price_max);
    cr_assert_str_eq(p->currency, "USD");
    cr_assert_null(find_product(&page, "ListOnly")->price, "a list price alone is not what it costs");
    p = find_product(&page, "Aggregate");
    cr_assert_str_eq(p->price, "5.29");
    cJSON *l = listings_of(&page, "https://shop.test/");
    const cJSON *agg = cJSON_GetArrayItem(l, 3);
    cr_assert_float_eq(number_of(agg, "price"), 5.29, 1e-9);
    cr_assert_float_eq(number_of(agg, "price_max"), 9.56, 1e-9);
    cr_assert_null(cJSON_GetObjectItem(agg, "variants"));
    cJSON_Delete(l);
    html_page_free(&page);
}

/* Variants of one product are one listing with the variant count and the
 * price range: a ProductGroup's hasVariant, and Products sharing a group. */
Test(extract_html, variants_merge_into_one_listing)
{
    html_page page;
    extract_str("<script type='application/ld+json'>{\"@context\":\"https://schema.org\",\"@type\":\"ProductGroup\","
                "\"name\":\"Áo thun\",\"productGroupID\":\"AT1\",\"url\":\"/ao-thun\",\"variesBy\":[\"https://schema.org/size\"],"
                "\"hasVariant\":[{\"@type\":\"Product\",\"sku\":\"AT1-S\",\"name\":\"Áo thun S\",\"offers\":{\"price\":\"120000\","
                "\"priceCurrency\":\"VND\",\"seller\":{\"name\":\"Shop Áo\"}}},"
                "{\"@type\":\"Product\",\"sku\":\"AT1-M\",\"offers\":{\"price\":\"150000\",\"priceCurrency\":\"VND\"}},"
                "{\"@type\":\"Product\",\"sku\":\"AT1-L\",\"offers\":{\"price\":\"180000\",\"priceCurrency\":\"VND\"}}]}</script>"
                "<script type='application/ld+json'>[{\"@type\":\"Product\",\"name\":\"Giày Đỏ 40\",\"sku\":\"G-40\","
                "\"url\":\"/giay?size=40\",\"isVariantOf\":{\"@id\":\"#giay\"},\"offers\":{\"price\":\"900000\",\"priceCurrency\":\"VND\"}},"
                "{\"@type\":\"Product\",\"name\":\"Giày Đỏ 41\",\"sku\":\"G-41\",\"url\":\"/giay?size=41\","
                "\"isVariantOf\":{\"@id\":\"#giay\"},\"offers\":{\"price\":\"850000\",\"priceCurrency\":\"VND\"}},"
                "{\"@type\":\"Product\",\"name\":\"Giày Đỏ 42\",\"inProductGroupWithID\":\"#giay\",\"url\":\"/giay?size=42\","
                "\"offers\":{\"price\":\"950000\",\"priceCurrency\":\"VND\"}}]</script>",
                "https://shop.vn/p", &page);
    cr_assert_eq(page.product_count, 2);
    const html_product *g = find_product(&page, "Áo thun");
    cr_assert_not_null(g);
    cr_assert_eq(g->variants, 3);
    cr_assert_str_eq(g->price, "120000");
    cr_assert_str_eq(g->price_max, "180000");
    cr_assert_str_eq(g->seller_name, "Shop Áo");
    const html_product *s = find_product(&page, "Giày Đỏ 40");
    cr_assert_not_null(s);
    cr_assert_eq(s->variants, 3);
    cr_assert_str_eq(s->price, "850000");
    cr_assert_str_eq(s->price_max, "950000");
    cJSON *l = listings_of(&page, "https://shop.vn/p");
    cr_assert_eq(cJSON_GetArraySize(l), 2);
    const cJSON *first = cJSON_GetArrayItem(l, 0);
    cr_assert_float_eq(number_of(first, "variants"), 3, 0);
    cr_assert_float_eq(number_of(first, "price"), 120000, 0);
    cr_assert_float_eq(number_of(first, "price_max"), 180000, 0);
    cr_assert_str_eq(cJSON_GetObjectItem(first, "currency")->valuestring, "VND");
    cJSON_Delete(l);
    html_page_free(&page);
}

/* Products in related/recommended widgets or given as another item's
 * property are links, not the page's listings; only the main product takes
 * the page's URL. */
Test(extract_html, related_products_are_links)
{
    html_page page;
    extract_str("<body class='product-page has-related-products'>"
                "<div itemscope itemtype='https://schema.org/Product'><h1 itemprop='name'>Main</h1>"
                "<span itemprop='offers' itemscope itemtype='https://schema.org/Offer'><span itemprop='price'>100</span>"
                "<meta itemprop='priceCurrency' content='USD'></span>"
                "<div itemprop='isRelatedTo' itemscope itemtype='https://schema.org/Product'><span itemprop='name'>Prop</span></div>"
                "</div>"
                "<section class='box related-products'><div itemscope itemtype='https://schema.org/Product'>"
                "<a itemprop='url' href='/r1'><span itemprop='name'>Rel 1</span></a></div>"
                "<div itemscope itemtype='https://schema.org/Product'><span itemprop='name'>Rel 2</span></div></section>"
                "<div id='san-pham-tuong-tu'><div itemscope itemtype='https://schema.org/Product'>"
                "<span itemprop='name'>Rel 3</span></div></div>"
                "<div itemscope itemtype='https://schema.org/Product'><span itemprop='name'>Second</span></div>"
                "<a href='/r1'>r1</a>",
                "https://shop.test/p/main", &page);
    cr_assert_eq(page.related_products, 3, "Rel 1..3 (Prop is nested in Main, never a product)");
    cr_assert_not_null(find_product(&page, "Main"));
    cr_assert_null(find_product(&page, "Rel 1"));
    cr_assert_null(find_product(&page, "Rel 3"));
    cr_assert_not_null(find_product(&page, "Second"));
    cJSON *l = listings_of(&page, "https://shop.test/p/main");
    cr_assert_eq(cJSON_GetArraySize(l), 1, "Second has no URL of its own: the page is Main's");
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 0), "title")->valuestring, "Main");
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 0), "url")->valuestring, "https://shop.test/p/main");
    cJSON_Delete(l);
    cr_assert(page.link_count >= 1, "the related product's link is still a link");
    html_page_free(&page);
}

/* Every widget word, in any case, anywhere in a class or an id, makes a
 * widget; a class that only comes close does not. */
Test(extract_html, related_widget_words_in_any_case_and_place)
{
    static const char *const names[] = {
        "related",         "Box RECOMMENDED", "similar-items",  "x-upsell",     "Up-Sell y",     "cross-sell",
        "CrossSell",       "also-bought",     "also-viewed-1",  "san-pham-LIEN-QUAN", "lienquan",   "tuong-tu",
        "spTuongTu",       "goi-y",           "box goiy"};
    static const char *const not_widgets[] = {"relate", "simila", "recommen", "goi", "tuong", "product-main", ""};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        for (int attr = 0; attr < 2; attr++) {
            char html[1024];
            snprintf(html, sizeof html,
                     "<div itemscope itemtype='https://schema.org/Product'><h1 itemprop='name'>Main</h1></div>"
                     "<div %s='%s'><div itemscope itemtype='https://schema.org/Product'>"
                     "<span itemprop='name'>Other</span></div></div>",
                     attr ? "id" : "class", names[i]);
            html_page page;
            extract_str(html, "https://shop.test/p/main", &page);
            cr_expect_eq(page.related_products, 1, "%s='%s' is a widget", attr ? "id" : "class", names[i]);
            html_page_free(&page);
        }
    }
    for (size_t i = 0; i < sizeof not_widgets / sizeof *not_widgets; i++) {
        char html[1024];
        snprintf(html, sizeof html,
                 "<div itemscope itemtype='https://schema.org/Product'><h1 itemprop='name'>Main</h1></div>"
                 "<div class='%s'><div itemscope itemtype='https://schema.org/Product'>"
                 "<span itemprop='name'>Other</span></div></div>",
                 not_widgets[i]);
        html_page page;
        extract_str(html, "https://shop.test/p/main", &page);
        cr_expect_eq(page.related_products, 0, "class='%s' is no widget", not_widgets[i]);
        html_page_free(&page);
    }
}

/* A microdata ProductGroup's hasVariant products: one listing, their count
 * and price range. */
Test(extract_html, microdata_variants)
{
    html_page page;
    extract_str("<div itemscope itemtype='https://schema.org/ProductGroup'><h1 itemprop='name'>Dép tổ ong</h1>"
                "<link itemprop='url' href='/dep'>"
                "<div itemprop='hasVariant' itemscope itemtype='https://schema.org/Product'><span itemprop='name'>Size 38</span>"
                "<div itemprop='offers' itemscope itemtype='https://schema.org/Offer'><span itemprop='price'>45.000</span>"
                "<meta itemprop='priceCurrency' content='VND'></div></div>"
                "<div itemprop='hasVariant' itemscope itemtype='https://schema.org/Product'><span itemprop='name'>Size 42</span>"
                "<div itemprop='offers' itemscope itemtype='https://schema.org/Offer'><meta itemprop='price' content='55000'>"
                "</div></div></div>",
                "https://shop.vn/dep", &page);
    cr_assert_eq(page.product_count, 1);
    const html_product *p = &page.products[0];
    cr_assert_str_eq(p->name, "Dép tổ ong");
    cr_assert_eq(p->variants, 2);
    cr_assert_str_eq(p->price, "45.000");
    cr_assert_str_eq(p->price_max, "55000");
    cJSON *l = listings_of(&page, "https://shop.vn/dep");
    cr_assert_eq(cJSON_GetArraySize(l), 1);
    const cJSON *o = cJSON_GetArrayItem(l, 0);
    cr_assert_float_eq(number_of(o, "price"), 45000, 0);
    cr_assert_float_eq(number_of(o, "price_max"), 55000, 0);
    cr_assert_float_eq(number_of(o, "variants"), 2, 0);
    cJSON_Delete(l);
    html_page_free(&page);
}
