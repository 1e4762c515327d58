/* The flag record is one schema both ways: what flag_to_json writes,
 * flag_read reads back (review, the case register, the console, reports). */
#include <criterion/criterion.h>
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/base/bytebuf.h"
#include "rules/base/arena.h"
#include "rules/base/hex.h"
#include "rules/base/json_repair.h"
#include "rules/loader.h"
#include "scanner/pipeline/decide.h"
#include "scanner/record/flag_read.h"
#include "tests/harness.h"

/* The shipped packs and a decider over them (the caller destroys both). */
static decider *shipped_decider(ruleset **rs)
{
    char packs[1024];
    snprintf(packs, sizeof packs, "%s/rules/packs", harness_root());
    const char *paths[] = {packs};
    diagnostics diag;
    diagnostics_init(&diag);
    cr_assert_eq(ruleset_load(paths, 1, NULL, rs, &diag), 0);
    diagnostics_free(&diag);
    decider *d;
    cr_assert_eq(decide_create(*rs, &d), 0);
    return d;
}

Test(records, a_flag_written_is_read_back_field_by_field)
{
    ruleset *rs;
    decider *d = shipped_decider(&rs);
    static const char line[] = "{\"platform\":\"shopee\",\"listing_id\":\"42\",\"url\":\"https://shopee.vn/p/42\","
                               "\"title\":\"Giày Nike Air Force 1 rep 1:1 <b>\",\"price\":250000,\"currency\":\"VND\","
                               "\"seller\":{\"id\":\"s9\",\"name\":\"Shop A\",\"location\":\"Hà Nội\",\"official\":false}}";
    listing l;
    char error[256];
    cr_assert_eq(listing_parse(line, sizeof line - 1, &l, error, sizeof error), 0, "%s", error);
    fetch_hop hops[1] = {{302, "https://shopee.vn/p/42?x"}};
    flag_evidence evidence = {.url = "https://shopee.vn/p/42?x", .fetched_at = "2026-05-08T01:02:03Z",
                              .http_status = 200, .sha256 = "ab12", .requested_url = "https://shopee.vn/p/42",
                              .redirects = hops, .redirect_count = 1};
    decide_context context = {.language = FLAG_LANGUAGE_VIETNAMESE, .scan_id = "scan-1", .evidence = &evidence};
    decision out;
    cr_assert_eq(decide_listing(d, &l, &context, &out), DECIDE_OK);
    cr_assert(out.flagged);
    flag_record f;
    cr_assert_eq(flag_read(out.flag, out.flag_length, &f, error, sizeof error), 0, "%s", error);
    cr_expect_str_eq(f.flag_id, out.flag_id);
    cr_expect_str_eq(f.platform, "shopee");
    cr_expect_str_eq(f.listing_id, "42");
    cr_expect_str_eq(f.title, "Giày Nike Air Force 1 rep 1:1 <b>", "the text comes back as written");
    cr_expect(f.has_price && f.price == 250000);
    cr_expect_str_eq(f.seller_id, "s9");
    cr_expect_str_eq(f.seller_location, "Hà Nội");
    cr_expect_eq(f.rule_count, out.result.rule_count);
    cr_expect_str_eq(f.rules[0].id, ruleset_rule(rs, out.result.rules[0])->id);
    cr_expect_eq(f.hit_count, out.result.hit_count);
    cr_expect_eq(f.hits[0].start, out.result.hits[0].start);
    cr_expect_str_eq(f.scan_id, "scan-1");
    cr_expect(f.has_evidence);
    cr_expect_str_eq(f.evidence_url, "https://shopee.vn/p/42?x");
    cr_expect_str_eq(f.requested_url, "https://shopee.vn/p/42");
    cr_expect_str_eq(f.sha256, "ab12");
    cr_expect_eq(f.http_status, 200);
    cr_expect_not_null(f.explain);
    flag_record_free(&f);
    cr_expect_eq(flag_read("{\"flag_id\":\"x\"}", 15, &f, error, sizeof error), -1);
    cr_expect_eq(flag_read("not json", 8, &f, error, sizeof error), -1);
    listing_free(&l);
    decide_destroy(d);
    ruleset_destroy(rs);
}

/* A rule whose reference price is for a unit says so in the flag
 * ("reference_unit"), so that nobody divides the listing's price by it as
 * if the two were for the same quantity (the console's price block). */
Test(records, a_reference_price_for_a_unit_says_its_unit)
{
    ruleset *rs;
    decider *d = shipped_decider(&rs);
    static const char *const lines[] = {
        "{\"platform\":\"shopee\",\"listing_id\":\"7\",\"url\":\"https://shopee.vn/p/7\",\"title\":\"Thuốc Panadol Extra hộp 15 vỉ hàng F1\","
        "\"price\":356000,\"currency\":\"VND\"}",
        "{\"platform\":\"shopee\",\"listing_id\":\"8\",\"url\":\"https://shopee.vn/p/8\",\"title\":\"Giày Nike Air Force 1 rep 1:1\","
        "\"price\":250000,\"currency\":\"VND\"}",
    };
    for (int i = 0; i < 2; i++) {
        listing l;
        char error[256];
        cr_assert_eq(listing_parse(lines[i], strlen(lines[i]), &l, error, sizeof error), 0, "%s", error);
        decide_context context = {.language = FLAG_LANGUAGE_VIETNAMESE, .scan_id = "scan-1"};
        decision out;
        cr_assert_eq(decide_listing(d, &l, &context, &out), DECIDE_OK);
        cr_assert(out.flagged);
        cJSON *flag = cJSON_ParseWithLength(out.flag, out.flag_length);
        cr_assert_not_null(flag);
        const cJSON *rule = cJSON_GetArrayItem(cJSON_GetObjectItem(flag, "rules"), 0);
        const cJSON *unit = cJSON_GetObjectItem(rule, "reference_unit");
        if (i == 0)
            cr_expect(cJSON_IsString(unit) && !strcmp(unit->valuestring, "120 viên"), "Panadol's reference is for 120 tablets");
        else
            cr_expect_null(unit, "Nike's reference is for the pair sold");
        cJSON_Delete(flag);
        listing_free(&l);
    }
    decide_destroy(d);
    ruleset_destroy(rs);
}

/* The fast paths (a byte table for JSON escapes, eight bytes at a time in
 * json_repair and in the UTF-8 check of listing records) against the rules
 * they implement, for every byte value and every position around an
 * eight-byte boundary; the JSON escapes (16 bytes at a time, two-byte
 * sequences inline) for every byte value at every position of a 40-byte
 * string, and for two-byte sequences, valid or cut, across a 16-byte
 * boundary. */
Test(records, json_escapes_follow_the_rule_for_every_byte)
{
    for (int c = 0; c < 256; c++) {
        for (size_t at = 0; at < 40; at++) {
            char text[40];
            memset(text, 'a', sizeof text);
            text[at] = (char)c;
            bytebuf out;
            bytebuf_init(&out, 0);
            bytebuf_append_json_string(&out, text, sizeof text);
            char middle_text[8];
            const char *middle;
            if (c == '"')
                middle = "\\\"";
            else if (c == '\\')
                middle = "\\\\";
            else if (c == '\n')
                middle = "\\n";
            else if (c == '\r')
                middle = "\\r";
            else if (c == '\t')
                middle = "\\t";
            else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
                snprintf(middle_text, sizeof middle_text, "\\u%04x", c);
                middle = middle_text;
            } else if (c >= 0x80)
                middle = "\xEF\xBF\xBD"; /* a lone byte >= 0x80 is invalid UTF-8 */
            else {
                middle_text[0] = (char)c;
                middle_text[1] = '\0';
                middle = middle_text;
            }
            char expected[128];
            snprintf(expected, sizeof expected, "\"%.*s%s%.*s\"", (int)at, text, middle, (int)(sizeof text - at - 1),
                     text + at + 1);
            cr_expect_str_eq(out.data, expected, "byte 0x%02x at %zu", c, at);
            bytebuf_free(&out);
        }
    }
    /* "ệ" (E1 BB 87), "ă" (C4 83) and a cut "ă" (C4 then ASCII) at every position */
    static const struct {
        const char *bytes, *escaped;
    } pieces[] = {{"\xC4\x83", "\xC4\x83"}, {"\xE1\xBB\x87", "\xE1\xBB\x87"}, {"\xC4", "\xEF\xBF\xBD"},
                  {"\xC1\xBF", "\xEF\xBF\xBD\xEF\xBF\xBD"}, {"\xE2\x80\xA8", "\\u2028"}};
    for (size_t k = 0; k < sizeof pieces / sizeof pieces[0]; k++) {
        for (size_t at = 0; at < 36; at++) {
            char text[40], expected[128];
            size_t n = strlen(pieces[k].bytes);
            memset(text, 'b', sizeof text);
            memcpy(text + at, pieces[k].bytes, n);
            bytebuf out;
            bytebuf_init(&out, 0);
            bytebuf_append_json_string(&out, text, sizeof text);
            snprintf(expected, sizeof expected, "\"%.*s%s%.*s\"", (int)at, text, pieces[k].escaped,
                     (int)(sizeof text - at - n), text + at + n);
            cr_expect_str_eq(out.data, expected, "piece %zu at %zu", k, at);
            bytebuf_free(&out);
        }
    }
}

Test(records, repairs_are_found_at_every_offset)
{
    for (size_t k = 0; k < 24; k++) {
        char line[256];
        char title[64];
        memset(title, 'x', k);
        title[k] = '\0';
        /* \u0000 inside a string, k bytes into it */
        snprintf(line, sizeof line, "{\"t\":\"%s\\u0000yyyyyyyyyyyyyyyy\"}", title);
        bytebuf out;
        bytebuf_init(&out, 0);
        cr_expect_eq(json_repair(line, strlen(line), &out), 1, "\\u0000 at %zu", k);
        cr_expect_not_null(strstr(out.data ? out.data : "", "\\ufffd"), "at %zu", k);
        bytebuf_free(&out);
        /* invalid UTF-8 in a listing's title, k bytes in */
        snprintf(line, sizeof line,
                 "{\"platform\":\"p\",\"listing_id\":\"1\",\"url\":\"u\",\"title\":\"%s\xFFzzzzzzzzzzzzzzzz\"}", title);
        listing l;
        char error[256];
        cr_assert_eq(listing_parse(line, strlen(line), &l, error, sizeof error), 0, "%s", error);
        cr_expect_eq(l.repaired_bytes, 1, "invalid byte at %zu", k);
        cr_expect_not_null(strstr(l.facts.title, "\xEF\xBF\xBD"), "at %zu", k);
        listing_free(&l);
    }
}

/* The arena a page's listing records live in (rules/base/arena.h): pieces
 * stay put while more come, a reset forgets them and keeps one ordinary
 * block, a huge piece does not stay pinned. */
Test(records, a_page_arena_keeps_pieces_until_it_is_reset)
{
    arena *a = arena_create();
    cr_assert_not_null(a);
    char *first = arena_strndup(a, "Giày Nike rep 1:1 and more", 17);
    cr_assert_str_eq(first, "Giày Nike rep 1:");
    char *pieces[2000];
    for (int i = 0; i < 2000; i++) {
        char text[32];
        snprintf(text, sizeof text, "listing %d", i);
        pieces[i] = arena_strndup(a, text, strlen(text));
        cr_assert_not_null(pieces[i]);
    }
    cr_expect_str_eq(first, "Giày Nike rep 1:", "an earlier piece moved");
    for (int i = 0; i < 2000; i += 199) {
        char text[32];
        snprintf(text, sizeof text, "listing %d", i);
        cr_expect_str_eq(pieces[i], text);
    }
    void *huge = arena_alloc(a, (size_t)4 << 20);
    cr_assert_not_null(huge);
    memset(huge, 0x5a, (size_t)4 << 20);
    arena_reset(a);
    cr_expect_leq(a->total, (size_t)1 << 20, "a reset keeps at most one ordinary block");
    char *again = arena_strndup(a, "after", 5);
    cr_expect_str_eq(again, "after");
    arena_destroy(a);
    arena_destroy(NULL);
}

/* hex_encode: every byte value, lower-case, NUL-terminated. */
Test(records, hex_encode_writes_every_byte_as_two_lower_case_digits)
{
    unsigned char bytes[256];
    for (int i = 0; i < 256; i++)
        bytes[i] = (unsigned char)i;
    char out[513], expected[3];
    memset(out, 'x', sizeof out);
    hex_encode(bytes, sizeof bytes, out);
    for (int i = 0; i < 256; i++) {
        snprintf(expected, sizeof expected, "%02x", i);
        cr_expect(out[2 * i] == expected[0] && out[2 * i + 1] == expected[1], "byte %d", i);
    }
    cr_expect_eq(out[512], '\0');
    hex_encode(bytes, 0, out);
    cr_expect_eq(out[0], '\0');
}

/* The inline append (room already there) and the out-of-line one (growth,
 * refusal) keep one contract: the ceiling holds to the byte, a refused
 * append sets overflow and every later append is refused too. */
Test(records, a_bytebuf_keeps_its_ceiling_whichever_path_appends)
{
    bytebuf b;
    bytebuf_init(&b, 10);
    cr_assert_eq(bytebuf_append(&b, "12345", 5), 0); /* grows: the first storage */
    cr_assert_geq(b.capacity, 16u, "room for more than the ceiling, so the inline path is taken next");
    cr_expect_eq(bytebuf_append_char(&b, '6'), 0);
    cr_expect_eq(bytebuf_append_string(&b, "7890"), 0);
    cr_expect_eq(b.length, 10u);
    cr_expect_str_eq(b.data, "1234567890");
    cr_expect_eq(bytebuf_append_char(&b, 'x'), -1, "one byte over the ceiling");
    cr_expect(b.overflow);
    cr_expect_eq(b.length, 10u);
    cr_expect_eq(bytebuf_append(&b, "", 0), -1, "refused after an overflow, even when nothing is added");
    bytebuf_reset(&b);
    cr_expect_eq(bytebuf_append_string(&b, "ok"), 0, "reset clears the overflow");
    cr_expect_str_eq(b.data, "ok");
    bytebuf_free(&b);
}

/* bytebuf_append_fixed writes what "%.*f" writes, for every kind of value:
 * prices, ratios and scores, exact ties, values just off a tie, the
 * largest ones, negatives, NaN and infinities. */
Test(records, fixed_point_numbers_are_written_as_printf_writes_them)
{
    static const double special[] = {0,      -0.0,   0.5,     1.5,    2.5,     0.125,   0.375,  1e-300,
                                     0.005,  0.015,  0.8,     0.35,   0.85,    1130000, 999999.5, 1e14 + 0.5,
                                     1e15,   1e15 - 1, 9.999999999999e14, 1e300, -1, -0.5, 123456.78905, 0.18833333};
    uint64_t state = 88172645463325252u; /* xorshift64: the same values every run */
    char expect[512];
    for (int i = 0; i < 200000; i++) {
        double v;
        if (i < (int)(sizeof special / sizeof *special)) {
            v = special[i];
        } else {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            int kind = (int)(state % 5);
            double unit = (double)(state >> 11) / 9007199254740992.0; /* [0, 1) */
            v = kind == 0   ? unit                                           /* ratios */
                : kind == 1 ? floor(unit * 2e9)                              /* prices */
                : kind == 2 ? floor(unit * 2e6) / 100 + 0.005                /* near ties at 2 decimals */
                : kind == 3 ? unit * pow(10, (double)(state % 17))           /* magnitudes */
                            : floor(unit * 1e6) / 8;                         /* exact binary ties */
        }
        for (unsigned d = 0; d <= 6; d++) {
            bytebuf b;
            bytebuf_init(&b, 0);
            cr_assert_eq(bytebuf_append_fixed(&b, v, d), 0);
            snprintf(expect, sizeof expect, "%.*f", (int)d, v);
            cr_assert_str_eq(b.data, expect, "%.17g with %u decimals", v, d);
            bytebuf_free(&b);
        }
    }
    double nan_inf[] = {NAN, INFINITY, -INFINITY};
    for (int i = 0; i < 3; i++) {
        bytebuf b;
        bytebuf_init(&b, 0);
        bytebuf_append_fixed(&b, nan_inf[i], 2);
        snprintf(expect, sizeof expect, "%.2f", nan_inf[i]);
        cr_expect_str_eq(b.data, expect);
        bytebuf_free(&b);
    }
}
