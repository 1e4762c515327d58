/* Tests of scanner/extract/price: the one money reader (amounts in the
 * locale formats real sites write, ranges, currencies as ISO 4217, hostile
 * text), the 1,090 real memoryzone.com.vn prices, and how adapters carry
 * the currency into listing records (item, page, target; unknown is "XXX",
 * never VND by assumption). */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/extract/adapters.h"
#include "scanner/extract/price.h"
#include "tests/harness.h"

/* ---- the table ------------------------------------------------------------------- */

typedef struct price_case {
    const char *text;
    const char *region;
    bool ok;
    double amount, high; /* high 0: same as amount */
    const char *currency; /* "" : none named */
} price_case;

static const price_case cases[] = {
    /* Vietnamese shop formats */
    {"1.234.567 ₫", NULL, true, 1234567, 0, "VND"},
    {"265.000 đ", NULL, true, 265000, 0, "VND"},
    {"99.000đ", NULL, true, 99000, 0, "VND"},
    {"99.000 VNĐ", NULL, true, 99000, 0, "VND"},
    {"99.000 vnđ", NULL, true, 99000, 0, "VND"},
    {"1224000 VND", NULL, true, 1224000, 0, "VND"},
    {"VND 2.000.000 - 3.000.000", NULL, true, 2000000, 3000000, "VND"},
    {"₫ 99.000", NULL, true, 99000, 0, "VND"},
    {"từ 99.000đ", NULL, true, 99000, 0, "VND"},
    {"100.000 - 200.000đ", NULL, true, 100000, 200000, "VND"},
    {"100.000đ – 200.000đ", NULL, true, 100000, 200000, "VND"},
    {"từ 1 đến 2 triệu", NULL, true, 1000000, 2000000, "VND"},
    {"100-200k", NULL, true, 100000, 200000, ""},
    {"350k", NULL, true, 350000, 0, ""},
    {"450K", NULL, true, 450000, 0, ""},
    {"2tr5", NULL, true, 2500000, 0, "VND"},
    {"1tr250", NULL, true, 1250000, 0, "VND"},
    {"2 tr", NULL, true, 2000000, 0, "VND"},
    {"1,2 triệu", NULL, true, 1200000, 0, "VND"},
    {"2 Triệu", NULL, true, 2000000, 0, "VND"},
    {"500 nghìn", NULL, true, 500000, 0, "VND"},
    {"1,5 tỷ", NULL, true, 1500000000, 0, "VND"},
    {"-34% 265.000 đ", NULL, true, 265000, 0, "VND"},
    {"42 100.000đ", NULL, true, 100000, 0, "VND"},
    {"Giá (VND): 2.000.000", NULL, true, 2000000, 0, "VND"},
    {"1.200.000đ - 2 cái", NULL, true, 1200000, 0, "VND"},
    /* other locales */
    {"1,234.56", NULL, true, 1234.56, 0, ""},
    {"1.234,56", NULL, true, 1234.56, 0, ""},
    {"1 234,56 €", NULL, true, 1234.56, 0, "EUR"},
    {"1\xc2\xa0" "234,56\xc2\xa0€", NULL, true, 1234.56, 0, "EUR"},
    {"1\xe2\x80\xaf" "234,56 €", NULL, true, 1234.56, 0, "EUR"},
    {"1'234.50 CHF", NULL, true, 1234.5, 0, "CHF"},
    {"€12", NULL, true, 12, 0, "EUR"},
    {"12,99 EUR", NULL, true, 12.99, 0, "EUR"},
    {"£9.99", NULL, true, 9.99, 0, "GBP"},
    {"$179.99", NULL, true, 179.99, 0, "USD"},
    {"US$ 12.50", NULL, true, 12.5, 0, "USD"},
    {"$5 - $10", NULL, true, 5, 10, "USD"},
    {"S$12.90", NULL, true, 12.9, 0, "SGD"},
    {"$12.90", "sg", true, 12.9, 0, "SGD"},
    {"17.99 USD", NULL, true, 17.99, 0, "USD"},
    {"¥1,200", NULL, true, 1200, 0, ""},
    {"¥1,200", "jp", true, 1200, 0, "JPY"},
    {"¥1,200", "cn", true, 1200, 0, "CNY"},
    {"1.200 円", NULL, true, 1200, 0, "JPY"},
    {"RMB 88", NULL, true, 88, 0, "CNY"},
    {"₩15,000", NULL, true, 15000, 0, "KRW"},
    {"฿299", NULL, true, 299, 0, "THB"},
    {"299 บาท", NULL, true, 299, 0, "THB"},
    {"Rp15.000", NULL, true, 15000, 0, "IDR"},
    {"RM25.90", NULL, true, 25.9, 0, "MYR"},
    {"₱1,499.00", NULL, true, 1499, 0, "PHP"},
    {"₹1,00,000", NULL, true, 100000, 0, "INR"},
    /* plain numbers as JSON strings */
    {"1250000", NULL, true, 1250000, 0, ""},
    {"5.29", NULL, true, 5.29, 0, ""},
    {"0.500", NULL, true, 0.5, 0, ""},
    {"1,5", NULL, true, 1.5, 0, ""},
    {"1,250", NULL, true, 1250, 0, ""},
    {"0", NULL, true, 0, 0, ""},
    {"1.5e6", NULL, true, 1500000, 0, ""},
    {"5 kg", NULL, true, 5, 0, ""},
    /* hostile and not prices */
    {NULL, NULL, false, 0, 0, ""},
    {"", NULL, false, 0, 0, ""},
    {".", NULL, false, 0, 0, ""},
    {"Liên hệ", NULL, false, 0, 0, ""},
    {"NaN", NULL, false, 0, 0, ""},
    {"Infinity", NULL, false, 0, 0, ""},
    {"-5", NULL, false, 0, 0, ""},
    {"-1.000.000đ", NULL, false, 0, 0, ""},
    {"−500 €", NULL, false, 0, 0, ""},
    {"-$5", NULL, false, 0, 0, ""},
    {"1e400", NULL, false, 0, 0, ""},
    {"1e308 ₫", NULL, false, 0, 0, ""},
    {"99999999999999999999", NULL, false, 0, 0, ""},
    {"1.000.000.000.000.000.000 ₫", NULL, false, 0, 0, ""},
    {"192.168.1.1", NULL, false, 0, 0, ""},
    {"1.2.3.4.5", NULL, false, 0, 0, ""},
    {"1.2.3.4.5.6.7.8.9.0.1.2.3.4.5.6.7.8.9.0.1.2.3.4.5.6.7.8.9.0", NULL, false, 0, 0, ""},
    {"1,234.567.89", NULL, false, 0, 0, ""},
};

Test(price, table_of_real_world_formats)
{
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const price_case *c = &cases[i];
        price_reading r;
        memset(&r, 0x55, sizeof r);
        bool ok = price_read(c->text, c->region, &r);
        cr_expect_eq(ok, c->ok, "\"%s\": read=%d", c->text ? c->text : "(null)", ok);
        if (!ok || !c->ok)
            continue;
        cr_expect(fabs(r.amount - c->amount) < 1e-9, "\"%s\": amount %.6f, want %.6f", c->text, r.amount, c->amount);
        double high = c->high ? c->high : c->amount;
        cr_expect(fabs(r.high - high) < 1e-9, "\"%s\": high %.6f, want %.6f", c->text, r.high, high);
        cr_expect_str_eq(r.currency, c->currency, "\"%s\": currency '%s', want '%s'", c->text, r.currency, c->currency);
    }
}

/* Long hostile inputs end, never crash, and give no absurd amount. */
Test(price, hostile_long_inputs)
{
    size_t n = 1 << 20;
    char *s = malloc(n + 1);
    const char *patterns[] = {"9", "9.", "9,", "1 ", "-", "₫", "2tr", "đ9", "$-", "e9"};
    for (size_t k = 0; k < sizeof patterns / sizeof *patterns; k++) {
        size_t m = strlen(patterns[k]);
        for (size_t i = 0; i < n; i++)
            s[i] = patterns[k][i % m];
        s[n - n % m] = '\0';
        price_reading r;
        if (price_read(s, NULL, &r))
            cr_expect(isfinite(r.amount) && r.amount >= 0 && r.amount <= 1e15, "pattern %s: %g", patterns[k], r.amount);
        if (price_find_in_text(s, NULL, &r))
            cr_expect(isfinite(r.amount) && r.amount >= 0 && r.amount <= 1e15, "pattern %s: %g", patterns[k], r.amount);
    }
    free(s);
    price_reading r;
    cr_expect_not(price_read("9999999999999999.5", NULL, &r), "16 integer digits is no price");
    cr_expect(price_read("999999999999999", NULL, &r) && r.amount == 999999999999999.0);
}

Test(price, captions)
{
    static const struct {
        const char *text;
        double amount;       /* 0: none */
        const char *currency;
    } captions[] = {
        {"Giá: 2tr5", 2500000, "VND"},          {"💰 giá chỉ 350k", 350000, "VND"},
        {"chỉ 450K thôi", 450000, ""},         {"Áo size 38-42 giá 250k", 250000, "VND"},
        {"Áo thun size M", 0, ""},             {"iPhone 15 Pro", 0, ""},
        {"Bán iPhone 15 Pro Max, 256GB, $999 ship toàn quốc", 999, "USD"},
        {"Mua 2 tặng 1", 0, ""},               {"giá gốc 1.500.000đ, nay 990k", 1500000, "VND"},
        {"sale -50% còn 199.000₫", 199000, "VND"},
    };
    for (size_t i = 0; i < sizeof captions / sizeof *captions; i++) {
        price_reading r;
        bool ok = price_find_in_text(captions[i].text, NULL, &r);
        cr_expect_eq(ok, captions[i].amount > 0, "\"%s\": found=%d", captions[i].text, ok);
        if (ok && captions[i].amount > 0) {
            cr_expect_eq(r.amount, captions[i].amount, "\"%s\": %f", captions[i].text, r.amount);
            cr_expect_str_eq(r.currency, captions[i].currency, "\"%s\": %s", captions[i].text, r.currency);
        }
    }
}

Test(price, currencies_normalize_to_iso_4217)
{
    static const struct {
        const char *text, *region, *code; /* code NULL: none */
    } names[] = {
        {"VND", NULL, "VND"}, {"vnd", NULL, "VND"}, {"₫", NULL, "VND"},  {"đ", NULL, "VND"},   {"vnđ", NULL, "VND"},
        {"VNĐ", NULL, "VND"}, {" đồng ", NULL, "VND"}, {"$", NULL, "USD"}, {"$", "au", "AUD"}, {"US$", NULL, "USD"},
        {"usd", NULL, "USD"}, {"€", NULL, "EUR"},   {"eur", NULL, "EUR"}, {"£", NULL, "GBP"},   {"¥", NULL, NULL},
        {"¥", "jp", "JPY"},   {"¥", "cn", "CNY"},   {"円", NULL, "JPY"},  {"元", NULL, "CNY"},  {"RMB", NULL, "CNY"},
        {"₩", NULL, "KRW"},   {"฿", NULL, "THB"},   {"NTD", NULL, "TWD"}, {"RUR", NULL, "RUB"}, {"sek", NULL, "SEK"},
        {"", NULL, NULL},     {NULL, NULL, NULL},   {"dollars", NULL, NULL}, {"1234", NULL, NULL}, {"VNDX", NULL, NULL},
    };
    /* each name twice in a row, then the list again backwards: the answer
     * remembered for the last word must never leak to another word or region,
     * and a name that is no currency leaves out untouched */
    size_t count = sizeof names / sizeof *names;
    for (size_t k = 0; k < 3 * count; k++) {
        size_t i = k < 2 * count ? k / 2 : 3 * count - 1 - k;
        char code[4] = "--";
        bool ok = currency_normalize(names[i].text, names[i].region, code);
        cr_expect_eq(ok, names[i].code != NULL, "'%s': %d (%s)", names[i].text ? names[i].text : "(null)", ok, code);
        if (ok && names[i].code)
            cr_expect_str_eq(code, names[i].code, "'%s'", names[i].text);
        if (!ok)
            cr_expect_str_eq(code, "--", "'%s' wrote out", names[i].text ? names[i].text : "(null)");
    }
    char region[3];
    cr_expect(price_region("https://shop.example.com.sg/p/1", region) && !strcmp(region, "sg"));
    cr_expect(price_region("http://tiki.vn:8080/x", region) && !strcmp(region, "vn"));
    cr_expect_not(price_region("https://www.amazon.com/x", region));
    cr_expect_not(price_region(NULL, region));
}

/* ---- real data: memoryzone.com.vn ------------------------------------------------ */

/* The displayed price ("265.000 đ"), the SEO text ("265.000 VND") and the
 * meta amount with its meta currency all agree, for every real listing;
 * "Liên hệ" (ask us) is no price. */
Test(price, memoryzone_real_prices)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/corpus/vn-memoryzone-products/memoryzone.jsonl", harness_shared());
    size_t length;
    char *data = harness_read_file(path, &length);
    cr_assert_not_null(data, "%s", path);
    size_t rows = 0, priced = 0, contact = 0, with_old = 0, displayed_differs = 0;
    char *save = NULL;
    for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        cJSON *row = cJSON_Parse(line);
        cr_assert_not_null(row);
        rows++;
        const cJSON *prices = cJSON_GetObjectItem(row, "prices");
        const char *current = cJSON_GetStringValue(cJSON_GetObjectItem(prices, "current"));
        const char *seo = cJSON_GetStringValue(cJSON_GetObjectItem(prices, "seo_amount"));
        const char *meta = cJSON_GetStringValue(cJSON_GetObjectItem(prices, "meta_amount"));
        const char *meta_currency = cJSON_GetStringValue(cJSON_GetObjectItem(prices, "meta_currency"));
        const char *old = cJSON_GetStringValue(cJSON_GetObjectItem(prices, "old"));
        cr_assert(current && seo && meta && meta_currency);
        price_reading a, b, c;
        if (!price_read(current, "vn", &a)) {
            cr_expect_str_eq(current, "Liên hệ", "unreadable real price '%s'", current);
            contact++;
            cJSON_Delete(row);
            continue;
        }
        priced++;
        /* the meta amount's digits are the price in whole đồng */
        double digits = 0;
        for (const char *p = meta; *p; p++)
            if (*p >= '0' && *p <= '9')
                digits = digits * 10 + (*p - '0');
        /* the page shows one price and its meta tags another on 4 of the
         * 1,090 real pages (the site's own inconsistency): counted */
        if (a.amount != digits)
            displayed_differs++;
        cr_expect_str_eq(a.currency, "VND", "'%s'", current);
        cr_expect(price_read(seo, NULL, &b) && b.amount == digits && !strcmp(b.currency, "VND"), "'%s'", seo);
        char code[4];
        cr_expect(currency_normalize(meta_currency, NULL, code) && !strcmp(code, "VND"));
        cr_expect(price_read(meta, NULL, &c) && c.amount == digits && !c.currency[0], "'%s'", meta);
        if (old && *old && price_read(old, NULL, &c)) {
            with_old++;
            cr_expect_geq(c.amount, a.amount, "old price '%s' below current '%s'", old, current);
        }
        cJSON_Delete(row);
    }
    free(data);
    cr_expect_eq(rows, 1090);
    cr_expect_gt(priced, 1000);
    cr_expect_eq(priced + contact, rows);
    cr_expect_gt(with_old, 500);
    cr_expect_eq(displayed_differs, 4, "%zu", displayed_differs);
    cr_expect_eq(contact, 9);
}

/* ---- listing records ------------------------------------------------------------- */

static cJSON *parse_json_target(const campaign_target *t, const char *url, const char *body)
{
    adapter_result r;
    adapter_result_init(&r);
    char error[256];
    cr_assert_eq(adapter_parse(t, PAGE_LISTING, url, body, strlen(body), &r, error, sizeof error), 0, "%s", error);
    cJSON *listings = cJSON_Duplicate(r.listings, true);
    adapter_result_free(&r);
    return listings;
}

static const char *text_of(const cJSON *listing, const char *name)
{
    return cJSON_GetStringValue(cJSON_GetObjectItem(listing, name));
}

/* The currency comes from the item, then the price text, then the page,
 * then the target; a price in no known currency is "XXX", not VND. */
Test(price, listing_currency_item_page_target_unknown)
{
    campaign_target t = {.name = "api", .adapter = ADAPTER_JSON, .platform = "web",
                         .base_url = "https://api.example.com/v1",
                         .fields = {.items = "data.items", .listing_id = "id", .title = "name", .price = "price",
                                    .currency = "currency", .price_divisor = 1}};
    const char *page = "{\"data\":{\"items\":["
                       "{\"id\":1,\"name\":\"A\",\"price\":19.99,\"currency\":\"usd\"},"
                       "{\"id\":2,\"name\":\"B\",\"price\":\"12,50 €\"},"
                       "{\"id\":3,\"name\":\"C\",\"price\":250000},"
                       "{\"id\":4,\"name\":\"D\",\"price\":\"100.000 - 200.000đ\"},"
                       "{\"id\":5,\"name\":\"E\"}]}}";
    cJSON *l = parse_json_target(&t, "https://api.example.com/v1/items", page);
    cr_assert_eq(cJSON_GetArraySize(l), 5);
    cr_expect_str_eq(text_of(cJSON_GetArrayItem(l, 0), "currency"), "USD");
    cr_expect_float_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 0), "price")), 19.99, 1e-9);
    cr_expect_str_eq(text_of(cJSON_GetArrayItem(l, 1), "currency"), "EUR");
    cr_expect_float_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 1), "price")), 12.5, 1e-9);
    cr_expect_str_eq(text_of(cJSON_GetArrayItem(l, 2), "currency"), PRICE_CURRENCY_UNKNOWN, "not VND by assumption");
    cr_expect_str_eq(text_of(cJSON_GetArrayItem(l, 3), "currency"), "VND");
    cr_expect_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 3), "price")), 100000);
    cr_expect_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 3), "price_max")), 200000);
    cr_expect_null(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 4), "price"));
    cr_expect_null(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 4), "currency"), "no price, no currency guessed");
    cJSON_Delete(l);

    /* the page's currency, then the target's */
    const char *paged = "{\"currency\":\"₩\",\"data\":{\"items\":[{\"id\":1,\"name\":\"A\",\"price\":15000}]}}";
    l = parse_json_target(&t, "https://api.example.com/v1/items", paged);
    cr_expect_str_eq(text_of(cJSON_GetArrayItem(l, 0), "currency"), "KRW");
    cJSON_Delete(l);
    t.currency = "VND";
    l = parse_json_target(&t, "https://api.example.com/v1/items", "{\"data\":{\"items\":[{\"id\":1,\"name\":\"A\","
                                                                   "\"price\":15000,\"currency\":\"THB\"},"
                                                                   "{\"id\":2,\"name\":\"B\",\"price\":15000}]}}");
    cr_expect_str_eq(text_of(cJSON_GetArrayItem(l, 0), "currency"), "THB", "the item's currency first");
    cr_expect_str_eq(text_of(cJSON_GetArrayItem(l, 1), "currency"), "VND", "then the target's");
    cJSON_Delete(l);

    /* a Shopee-shaped price divided by its unit keeps its decimals */
    t.fields.price_divisor = 100000;
    t.currency = NULL;
    l = parse_json_target(&t, "https://api.example.com/v1/items",
                          "{\"data\":{\"items\":[{\"id\":1,\"name\":\"A\",\"price\":17999000,\"currency\":\"SGD\"}]}}");
    cr_expect_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 0), "price")), 179.99);
    cJSON_Delete(l);
}
