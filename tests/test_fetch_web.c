/* Reading the web as sites serve it (issue 15, capabilities 6, 8 and 9):
 * character sets, robots.txt, and staying on the campaign's sites. Unit
 * tests of workers/charset and workers/robots, then scans of the real
 * fixture market and of loopback servers with the real lscan binary and a
 * real redis-server. */
#include <cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/harness.h"
#include "tests/loopback_server.h"
#include "workers/charset.h"

/* ---- character sets ---------------------------------------------------------- */

static charset_decoder *decoder;

static void charset_setup(void)
{
    cr_assert_eq(charset_decoder_create(1 << 20, &decoder), CHARSET_OK);
}

static void charset_teardown(void)
{
    charset_decoder_destroy(decoder);
    decoder = NULL;
}

TestSuite(charset, .init = charset_setup, .fini = charset_teardown);

/* "Giày thể thao Nike chính hãng" in windows-1258: "thể" is ê + combining
 * hook above (0xD2), "hãng" a + combining tilde (0xDE). */
static const char cp1258_title[] = "Gi\xe0y th\xea\xd2 thao Nike ch\xednh ha\xden" "g";
static const char utf8_title[] = "Giày thể thao Nike chính hãng";

static void decode(const char *content_type, const char *body, size_t length, charset_result *r)
{
    cr_assert_eq(charset_decode(decoder, content_type, body, length, r), CHARSET_OK);
    cr_assert_eq(strlen(r->text), r->length, "the output is one NUL-terminated string");
    cr_assert(charset_valid_utf8(r->text, r->length), "the output is UTF-8");
}

Test(charset, windows_1258_from_the_http_header_comes_out_precomposed)
{
    charset_result r;
    decode("text/html; charset=windows-1258", cp1258_title, sizeof cp1258_title - 1, &r);
    cr_expect_str_eq(r.text, utf8_title);
    cr_expect(r.converted);
    cr_expect_eq(r.source, CHARSET_FROM_HTTP);
    cr_expect_str_eq(r.charset, "WINDOWS-1258");
    cr_expect_not(r.wrong);
    cr_expect_eq(r.replaced, 0);
    /* "ể" is one code point (U+1EC3), not e + two marks */
    cr_expect_not_null(strstr(r.text, "\xe1\xbb\x83"));
}

Test(charset, meta_charset_and_http_equiv_are_read_when_http_says_nothing)
{
    char page[512];
    int n = snprintf(page, sizeof page, "<html><head><meta charset=\"VISCII\"><title>x</title></head>"
                                         "<body><h1>Gi%cy th%c</h1></body></html>", 0xe0, 0xac);
    charset_result r;
    decode("text/html", page, (size_t)n, &r);
    cr_expect_eq(r.source, CHARSET_FROM_META);
    cr_expect_str_eq(r.charset, "VISCII");
    cr_expect_not_null(strstr(r.text, "<h1>Giày thể</h1>"), "%s", r.text);

    n = snprintf(page, sizeof page, "<html><head><!-- <meta charset=utf-8> -->\n<META HTTP-EQUIV='Content-Type' "
                                    "CONTENT='text/html; charset=tcvn3'></head><body>th%c</body></html>", 0xd3);
    decode(NULL, page, (size_t)n, &r);
    cr_expect_eq(r.source, CHARSET_FROM_META);
    cr_expect_str_eq(r.charset, "TCVN5712-1");
    cr_expect_not_null(strstr(r.text, "<body>thể</body>"), "%s", r.text);
}

Test(charset, latin1_labels_mean_windows_1252)
{
    static const char page[] = "<p>Caf\xe9 \x80" "5</p>";
    charset_result r;
    decode("text/html;charset=\"ISO-8859-1\"", page, sizeof page - 1, &r);
    cr_expect_str_eq(r.charset, "WINDOWS-1252");
    cr_expect_str_eq(r.text, "<p>Café €5</p>");
}

Test(charset, a_byte_order_mark_beats_every_declaration)
{
    /* "<p>ế</p>" in UTF-16LE with its BOM, though the header says windows-1258 */
    static const char page[] = "\xff\xfe<\0p\0>\0\xbf\x1e<\0/\0p\0>\0";
    charset_result r;
    decode("text/html; charset=windows-1258", page, sizeof page - 1, &r);
    cr_expect_eq(r.source, CHARSET_FROM_BOM);
    cr_expect_str_eq(r.charset, "UTF-16LE");
    cr_expect_str_eq(r.text, "<p>ế</p>");
    static const char be[] = "\xfe\xff\0<\0p\0>\x1e\xbf";
    decode(NULL, be, sizeof be - 1, &r);
    cr_expect_str_eq(r.text, "<p>ế");
    static const char utf8[] = "\xef\xbb\xbf<p>ế</p>";
    decode("text/html; charset=iso-8859-1", utf8, sizeof utf8 - 1, &r);
    cr_expect_str_eq(r.text, "<p>ế</p>", "the BOM is not part of the text");
}

Test(charset, a_wrong_declaration_is_counted_and_the_bytes_still_read)
{
    /* declared UTF-8, written in windows-1258: not valid UTF-8 */
    charset_result r;
    decode("text/html; charset=utf-8", cp1258_title, sizeof cp1258_title - 1, &r);
    cr_expect(r.wrong);
    cr_expect_eq(r.source, CHARSET_FROM_GUESS);
    cr_expect_str_eq(r.text, utf8_title);
    /* declared UTF-8 in the header, the meta names the real one */
    char page[256];
    int n = snprintf(page, sizeof page, "<meta charset=windows-1258><h1>%s</h1>", cp1258_title);
    decode("text/html; charset=utf-8", page, (size_t)n, &r);
    cr_expect(r.wrong);
    cr_expect_eq(r.source, CHARSET_FROM_META);
    cr_expect_not_null(strstr(r.text, utf8_title));
    /* a UTF-8 page with one bad byte stays UTF-8: the byte becomes U+FFFD */
    static const char bad[] = "<h1>Giày \xff thể</h1>";
    decode("text/html; charset=utf-8", bad, sizeof bad - 1, &r);
    cr_expect(r.wrong);
    cr_expect_eq(r.replaced, 1);
    cr_expect_str_eq(r.text, "<h1>Giày \xef\xbf\xbd thể</h1>");
}

Test(charset, an_unknown_charset_is_counted_and_the_page_kept)
{
    charset_result r;
    decode("text/html; charset=x-no-such-charset", utf8_title, sizeof utf8_title - 1, &r);
    cr_expect(r.unknown);
    cr_expect_not(r.wrong);
    cr_expect_str_eq(r.text, utf8_title);
    /* a label that tries to smuggle iconv options is no charset */
    decode("text/html; charset=utf-8//TRANSLIT", cp1258_title, sizeof cp1258_title - 1, &r);
    cr_expect(r.unknown);
    cr_expect_str_eq(r.text, utf8_title, "undeclared bytes that are not UTF-8 read as windows-1258");
}

Test(charset, valid_utf8_is_not_copied)
{
    charset_result r;
    decode("text/html; charset=UTF-8", utf8_title, sizeof utf8_title - 1, &r);
    cr_expect_eq(r.text, utf8_title);
    cr_expect_not(r.converted);
    cr_expect_not(r.wrong);
}

Test(charset, the_output_is_bounded)
{
    charset_decoder *small;
    cr_assert_eq(charset_decoder_create(64, &small), CHARSET_OK);
    char page[4096];
    memset(page, 0xe0, sizeof page); /* "à" in windows-1258: two UTF-8 bytes each */
    charset_result r;
    cr_assert_eq(charset_decode(small, "text/html; charset=windows-1258", page, sizeof page, &r), CHARSET_OK);
    cr_expect(r.cut);
    cr_expect_leq(r.length, 64);
    cr_expect(charset_valid_utf8(r.text, r.length), "cut on a character boundary");
    charset_decoder_destroy(small);
    charset_decoder_destroy(NULL);
}

Test(charset, utf16_cut_in_the_middle_of_a_unit_is_repaired)
{
    static const char page[] = "\xff\xfe<\0p\0>\0\x41";
    charset_result r;
    decode(NULL, page, sizeof page - 1, &r);
    cr_expect_str_eq(r.text, "<p>\xef\xbf\xbd");
    cr_expect_eq(r.replaced, 1);
}

/* ---- robots.txt: parsing and matching ------------------------------------------- */

#include "workers/robots.h"

static bool allowed(const char *text, const char *path)
{
    robots_rules *r = robots_parse(text, strlen(text), "lscan");
    cr_assert_not_null(r);
    bool ok = robots_rules_allow(r, path);
    robots_rules_free(r);
    return ok;
}

Test(robots, the_longest_match_decides_and_allow_wins_a_tie)
{
    const char *text = "User-agent: *\nDisallow: /p/\nAllow: /p/public\nDisallow: /p/public/secret\n"
                       "Allow: /tie\nDisallow: /tie\n";
    cr_expect_not(allowed(text, "/p/1"));
    cr_expect(allowed(text, "/p/public/1"));
    cr_expect_not(allowed(text, "/p/public/secret/2"));
    cr_expect(allowed(text, "/tie/x"), "an allow of the same length wins");
    cr_expect(allowed(text, "/c/1"), "no rule matches: allowed");
    cr_expect(allowed(text, "/robots.txt"));
}

Test(robots, wildcards_and_end_anchors)
{
    const char *text = "user-agent: *\ndisallow: /*.pdf$\ndisallow: /search*q=\ndisallow: /exact$\n";
    cr_expect_not(allowed(text, "/docs/a.pdf"));
    cr_expect(allowed(text, "/docs/a.pdf?x=1"), "$ anchors at the end of path and query");
    cr_expect_not(allowed(text, "/search/all?page=2&q=nike"));
    cr_expect(allowed(text, "/search?page=2"));
    cr_expect_not(allowed(text, "/exact"));
    cr_expect(allowed(text, "/exactly"));
}

Test(robots, our_group_beats_the_star_group_and_groups_merge)
{
    const char *text = "# comment\nUser-agent: *\nDisallow: /\n\nUser-agent: otherbot\nUser-Agent: LScan/0.2\n"
                       "Disallow: /private # inline comment\nCrawl-delay: 2.5\n\nuser-agent: lscan\nDisallow: /also\n";
    robots_rules *r = robots_parse(text, strlen(text), "lscan");
    cr_assert_not_null(r);
    cr_expect(robots_rules_allow(r, "/p/1"), "our group does not disallow /, the star group does not apply");
    cr_expect_not(robots_rules_allow(r, "/private/x"));
    cr_expect_not(robots_rules_allow(r, "/also"), "two groups naming us are merged");
    cr_expect_eq(robots_rules_crawl_delay_ms(r), 2500);
    robots_rules_free(r);
    robots_rules_free(NULL);
    /* no group for us nor for everyone: everything allowed; an empty Disallow disallows nothing */
    cr_expect(allowed("User-agent: otherbot\nDisallow: /\n", "/p"));
    cr_expect(allowed("User-agent: *\nDisallow:\n", "/p"));
    /* percent-escapes compare case-insensitively */
    cr_expect_not(allowed("User-agent: *\nDisallow: /%e1%bb%83\n", "/%E1%BB%83/x"));
}

Test(robots, only_the_first_500_kib_is_read)
{
    size_t size = ROBOTS_MAX_BYTES + 4096;
    char *text = malloc(size + 1);
    cr_assert_not_null(text);
    const char head[] = "User-agent: *\nDisallow: /early\n";
    memcpy(text, head, sizeof head - 1);
    memset(text + sizeof head - 1, '\n', size - (sizeof head - 1));
    const char tail[] = "Disallow: /late\n";
    memcpy(text + size - sizeof tail + 1, tail, sizeof tail - 1);
    text[size] = '\0';
    robots_rules *r = robots_parse(text, size, "lscan");
    cr_assert_not_null(r);
    cr_expect_not(robots_rules_allow(r, "/early"));
    cr_expect(robots_rules_allow(r, "/late"), "a rule past 500 KiB is not read");
    robots_rules_free(r);
    free(text);
}

static int fetches;
static long answer_status;

static void answer(void *ctx, const char *robots_url, robots_response *out)
{
    (void)ctx;
    fetches++;
    cr_expect_str_eq(robots_url, "http://shop.example.vn:8080/robots.txt");
    static const char body[] = "User-agent: *\nDisallow: /p/\nCrawl-delay: 1\n";
    out->status = answer_status;
    out->body = body;
    out->length = sizeof body - 1;
}

Test(robots, the_cache_asks_once_per_origin_and_applies_the_rfc_status_rules)
{
    struct {
        long status;
        robots_verdict p, c;
    } cases[] = {{200, ROBOTS_DISALLOWED, ROBOTS_ALLOWED}, {404, ROBOTS_ALLOWED, ROBOTS_ALLOWED},
                 {403, ROBOTS_ALLOWED, ROBOTS_ALLOWED}, {503, ROBOTS_UNREACHABLE, ROBOTS_UNREACHABLE},
                 {429, ROBOTS_UNREACHABLE, ROBOTS_UNREACHABLE}, {0, ROBOTS_UNREACHABLE, ROBOTS_UNREACHABLE}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        robots_cache *c = robots_cache_create("lscan", 600);
        cr_assert_not_null(c);
        fetches = 0;
        answer_status = cases[i].status;
        unsigned delay = 0;
        bool fetched = false;
        cr_expect_eq(robots_cache_check(c, "http://shop.example.vn:8080/p/1", answer, NULL, &delay, &fetched),
                     cases[i].p, "status %ld", cases[i].status);
        cr_expect(fetched);
        cr_expect_eq(delay, cases[i].status == 200 ? 1000u : 0u);
        cr_expect_eq(robots_cache_check(c, "HTTP://Shop.Example.VN:8080/c/1?x", answer, NULL, NULL, &fetched),
                     cases[i].c, "status %ld", cases[i].status);
        cr_expect_not(fetched, "the answer is cached for the origin");
        cr_expect_eq(fetches, 1);
        robots_cache_destroy(c);
    }
    robots_cache_destroy(NULL);
}
