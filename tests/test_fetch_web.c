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
#include <iconv.h>

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

Test(charset, converted_text_with_combining_marks_is_composed)
{
    /* UTF-16LE "e" + combining circumflex + combining acute: one "ế" after NFC */
    static const char page[] = "\xff\xfe" "e\0\x02\x03\x01\x03";
    charset_result r;
    decode(NULL, page, sizeof page - 1, &r);
    cr_expect_str_eq(r.text, "\xe1\xba\xbf");
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

/* ---- JSON responses: charset_decode_json ------------------------------------------ */

static const char json_utf8[] = "{\"title\":\"Giày thể thao Nike chính hãng\"}";

/* json_utf8 in charset (an iconv name), with `mark` bytes in front; its length. */
static size_t json_in(const char *charset, const char *mark, size_t mark_length, char *out, size_t size)
{
    memcpy(out, mark, mark_length);
    iconv_t cd = iconv_open(charset, "UTF-8");
    cr_assert_neq(cd, (iconv_t)-1);
    char *in = (char *)json_utf8, *o = out + mark_length;
    size_t in_left = sizeof json_utf8 - 1, o_left = size - mark_length;
    cr_assert_neq(iconv(cd, &in, &in_left, &o, &o_left), (size_t)-1);
    iconv_close(cd);
    cr_assert_gt(o_left, 0);
    *o = '\0'; /* a body as the fetcher hands it over: NUL-terminated */
    return (size_t)(o - out);
}

static void decode_json(const char *content_type, const char *body, size_t length, charset_result *r)
{
    cr_assert_eq(charset_decode_json(decoder, content_type, body, length, r), CHARSET_OK);
    cr_assert_eq(strlen(r->text), r->length, "the output is one NUL-terminated string");
    cr_assert(charset_valid_utf8(r->text, r->length), "the output is UTF-8");
}

Test(charset, json_in_windows_1258_declared_by_http_reads_as_utf8)
{
    char body[256];
    size_t n = json_in("WINDOWS-1258", "", 0, body, sizeof body);
    charset_result r;
    decode_json("application/json; charset=windows-1258", body, n, &r);
    cr_expect_str_eq(r.text, json_utf8);
    cr_expect_eq(r.source, CHARSET_FROM_HTTP);
    cr_expect(r.converted);
    cr_expect_not(r.wrong);
}

Test(charset, json_utf16_and_utf32_by_their_marks_or_their_nuls)
{
    static const struct {
        const char *charset, *mark;
        size_t mark_length;
        charset_source source;
    } cases[] = {{"UTF-16LE", "\xff\xfe", 2, CHARSET_FROM_BOM},   {"UTF-16BE", "\xfe\xff", 2, CHARSET_FROM_BOM},
                 {"UTF-32LE", "\xff\xfe\0\0", 4, CHARSET_FROM_BOM}, {"UTF-32BE", "\0\0\xfe\xff", 4, CHARSET_FROM_BOM},
                 {"UTF-16LE", "", 0, CHARSET_FROM_GUESS},         {"UTF-16BE", "", 0, CHARSET_FROM_GUESS},
                 {"UTF-32LE", "", 0, CHARSET_FROM_GUESS},         {"UTF-32BE", "", 0, CHARSET_FROM_GUESS},
                 {"UTF-8", "\xef\xbb\xbf", 3, CHARSET_FROM_BOM}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char body[512];
        size_t n = json_in(cases[i].charset, cases[i].mark, cases[i].mark_length, body, sizeof body);
        charset_result r;
        decode_json("application/json", body, n, &r);
        cr_expect_str_eq(r.text, json_utf8, "%s, mark of %zu bytes", cases[i].charset, cases[i].mark_length);
        cr_expect_eq(r.source, cases[i].source, "%s, mark of %zu bytes", cases[i].charset, cases[i].mark_length);
        cr_expect(r.converted);
        cr_expect_not(r.wrong);
    }
}

Test(charset, json_declared_utf16_takes_the_byte_order_of_its_mark)
{
    char body[512];
    size_t n = json_in("UTF-16BE", "\xfe\xff", 2, body, sizeof body);
    charset_result r;
    decode_json("application/json; charset=utf-16", body, n, &r); /* the label alone would say little-endian */
    cr_expect_str_eq(r.text, json_utf8);
    cr_expect_eq(r.source, CHARSET_FROM_HTTP);
    cr_expect_not(r.wrong);
    n = json_in("UTF-8", "\xef\xbb\xbf", 3, body, sizeof body);
    decode_json("application/json; charset=UTF-8", body, n, &r);
    cr_expect_str_eq(r.text, json_utf8, "the mark is not part of the text");
    cr_expect_not(r.wrong);
}

Test(charset, json_plain_utf8_is_not_copied)
{
    charset_result r;
    decode_json("application/json; charset=utf-8", json_utf8, sizeof json_utf8 - 1, &r);
    cr_expect_eq(r.text, json_utf8);
    cr_expect_not(r.converted);
    decode_json(NULL, json_utf8, sizeof json_utf8 - 1, &r);
    cr_expect_eq(r.text, json_utf8, "no declaration: UTF-8");
    cr_expect_eq(r.source, CHARSET_FROM_GUESS);
}

Test(charset, json_wrong_or_unknown_declarations_are_counted_and_the_bytes_still_read)
{
    /* declared UTF-8, written in windows-1258: wrong, read as UTF-8 with replacements */
    char body[512];
    size_t n = json_in("WINDOWS-1258", "", 0, body, sizeof body);
    charset_result r;
    decode_json("application/json; charset=utf-8", body, n, &r);
    cr_expect(r.wrong);
    cr_expect_gt(r.replaced, 0);
    cr_expect(strstr(r.text, "\xef\xbf\xbd") && strstr(r.text, "{\"title\":\"Gi"), "%s", r.text);
    /* declared windows-1258, marked UTF-16LE: the mark wins, the declaration was wrong */
    n = json_in("UTF-16LE", "\xff\xfe", 2, body, sizeof body);
    decode_json("application/json; charset=windows-1258", body, n, &r);
    cr_expect_str_eq(r.text, json_utf8);
    cr_expect(r.wrong);
    cr_expect_eq(r.source, CHARSET_FROM_BOM);
    /* declared UTF-16, but no NUL where UTF-16 JSON has them: wrong, read as UTF-8 (not as CJK) */
    decode_json("application/json; charset=utf-16", json_utf8, sizeof json_utf8 - 1, &r);
    cr_expect(r.wrong);
    cr_expect_str_eq(r.text, json_utf8);
    /* declared UTF-16LE, written UTF-16BE: the NULs say so; the page is read, not wrong (the
     * label names a byte order the bytes do not have, but it is UTF-16 all the same) */
    n = json_in("UTF-16BE", "", 0, body, sizeof body);
    decode_json("application/json; charset=utf-16le", body, n, &r);
    cr_expect_str_eq(r.text, json_utf8);
    /* declared UTF-8, written UTF-16LE without a mark: its NULs say so (NUL bytes are valid UTF-8) */
    n = json_in("UTF-16LE", "", 0, body, sizeof body);
    decode_json("application/json; charset=utf-8", body, n, &r);
    cr_expect_str_eq(r.text, json_utf8);
    cr_expect(r.wrong);
    /* a legacy charset declared over UTF-8 (a server's default "charset=ISO-8859-1"): JSON is
     * UTF-8, so the text is not turned into mojibake, and the declaration counts as wrong */
    decode_json("application/json;charset=ISO-8859-1", json_utf8, sizeof json_utf8 - 1, &r);
    cr_expect_str_eq(r.text, json_utf8);
    cr_expect(r.wrong);
    /* a charset iconv does not know, and one that could pass it options */
    decode_json("application/json; charset=x-no-such-charset", json_utf8, sizeof json_utf8 - 1, &r);
    cr_expect(r.unknown);
    cr_expect_str_eq(r.text, json_utf8);
    decode_json("application/json; charset=\"utf-8//TRANSLIT\"", json_utf8, sizeof json_utf8 - 1, &r);
    cr_expect(r.unknown);
    cr_expect_str_eq(r.text, json_utf8);
}

Test(charset, json_hostile_bodies_never_crash)
{
    static const struct {
        const char *body;
        size_t length;
        const char *type;
    } bodies[] = {{"", 0, NULL},
                  {"\xff\xfe", 2, NULL},
                  {"\xfe\xff\x00", 3, NULL},
                  {"\xff\xfe\x00\x00{", 5, NULL},
                  {"\x00\x00\x00", 3, NULL},
                  {"{\x00", 2, "application/json; charset=utf-32"},
                  {"\x00{\x00\"\x00\xd8\x00", 7, NULL}, /* UTF-16BE cut, a lone surrogate */
                  {"\xef\xbb", 2, "application/json; charset=utf-8"},
                  {"{\"a\":\"\xc3\"}", 9, "application/json; charset=tcvn3"},
                  {"\x80\x81\xfe\xff", 4, "application/json; charset=viscii"}};
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        charset_result r; /* NULs are valid UTF-8: no strlen here (the JSON reader repairs them) */
        cr_assert_eq(charset_decode_json(decoder, bodies[i].type, bodies[i].body, bodies[i].length, &r), CHARSET_OK);
        cr_expect(charset_valid_utf8(r.text, r.length), "body %zu", i);
        cr_expect_leq(r.length, 3 * bodies[i].length + 3, "body %zu", i);
    }
    /* bounded like a page */
    charset_decoder *small;
    cr_assert_eq(charset_decoder_create(64, &small), CHARSET_OK);
    char big[4096];
    for (size_t i = 0; i < sizeof big; i += 2)
        big[i] = 'a', big[i + 1] = '\0';
    charset_result r;
    cr_assert_eq(charset_decode_json(small, "application/json", big, sizeof big, &r), CHARSET_OK);
    cr_expect(r.cut);
    cr_expect_leq(r.length, 64);
    charset_decoder_destroy(small);
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

/* ---- scans: the fixture market and loopback servers ----------------------------- */

#include <iconv.h>
#include <zlib.h>

#include "rules/base/bytebuf.h"
#include "rules/base/diagnostics.h"
#include "scanner/pipeline/campaign.h"

static harness_process redis, market;
static char work[1024];

static void web_setup(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(work, sizeof work, "%s/lscan-web-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    cr_assert_not_null(mkdtemp(work));
    cr_assert_eq(harness_redis_start(&redis), 0, "redis-server did not start");
}

static void web_teardown(void)
{
    harness_stop(&market);
    harness_stop(&redis);
    char command[1200];
    snprintf(command, sizeof command, "rm -rf '%s'", work);
    cr_expect_eq(system(command), 0);
}

TestSuite(web, .init = web_setup, .fini = web_teardown, .timeout = 240);

static void start_market(const char *robots_txt, const char *robots_status)
{
    const char *args[6] = {NULL};
    size_t n = 0;
    char robots_path[1200];
    if (robots_txt) {
        snprintf(robots_path, sizeof robots_path, "%s/robots.txt", work);
        FILE *f = fopen(robots_path, "w");
        cr_assert_not_null(f);
        fputs(robots_txt, f);
        fclose(f);
        args[n++] = "--robots";
        args[n++] = robots_path;
    }
    if (robots_status) {
        args[n++] = "--robots-status";
        args[n++] = robots_status;
    }
    cr_assert_eq(harness_market_start(&market, 2026, 2000, args), 0, "fixture-market did not start");
}

/* Paths (under /store) of the market's planted violations on its storefront, at most max. */
static size_t web_violations(char paths[][128], size_t max)
{
    char truth[1200];
    harness_market_truth_path(&market, truth, sizeof truth);
    char *text = harness_read_file(truth, NULL);
    cr_assert_not_null(text);
    size_t n = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && n < max; line = strtok_r(NULL, "\n", &save)) {
        cJSON *j = cJSON_Parse(line);
        if (j && cJSON_IsTrue(cJSON_GetObjectItem(j, "violation")) &&
            !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(j, "platform")), "web"))
            snprintf(paths[n++], 128, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(j, "url")) + strlen("/store"));
        cJSON_Delete(j);
    }
    free(text);
    return n;
}

/* A campaign of one storefront target on the market that fetches exactly
 * start_urls (a JSON list) and follows nothing. */
static const char *store_campaign(const char *name, const char *prefix, const char *start_urls, const char *limits,
                                  const char *target_extra)
{
    static char path[1200];
    snprintf(path, sizeof path, "%s/%s.yaml", work, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f,
            "campaign: %s\nrules: [%s/rules/packs]\nredis: {url: \"redis://127.0.0.1:%d\", prefix: \"%s\"}\n"
            "limits: {retries: 1, %s}\n%s"
            "targets:\n  - name: store\n    adapter: storefront\n    base_url: \"http://127.0.0.1:%d/store\"\n"
            "    categories: false\n    keywords: []\n    follow: [\"/no-such-path/\"]\n    start_urls: %s\n%s",
            name, harness_root(), redis.port, prefix, limits ? limits : "",
            strstr(target_extra ? target_extra : "", "reason") ? "evidence: all\n" : "", market.port, start_urls,
            target_extra ? target_extra : "");
    fclose(f);
    return path;
}

static int run_scan(const char *campaign, char **err, cJSON **summary)
{
    char lscan[1024], summary_path[1200], state[1200];
    snprintf(lscan, sizeof lscan, "%s/lscan", harness_build());
    snprintf(summary_path, sizeof summary_path, "%s/summary.json", work);
    snprintf(state, sizeof state, "%s/state", work);
    unlink(summary_path);
    const char *argv[] = {lscan, "scan", "--campaign", campaign, "--json-summary", summary_path, "--threads", "2",
                          "--state-dir", state, NULL};
    int rc = harness_run(argv, NULL, 0, NULL, err);
    char *text = harness_read_file(summary_path, NULL);
    *summary = text ? cJSON_Parse(text) : NULL;
    free(text);
    cr_assert_not_null(*summary, "no summary (exit %d): %s", rc, *err);
    return rc;
}

static double number(const cJSON *object, const char *path)
{
    const cJSON *v = object;
    char part[64];
    while (v && *path) {
        size_t n = strcspn(path, ".");
        snprintf(part, sizeof part, "%.*s", (int)n, path);
        v = cJSON_GetObjectItem(v, part);
        path += n + (path[n] == '.');
    }
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static cJSON *market_stats(void)
{
    harness_response r;
    cr_assert_eq(harness_http_get(market.port, "/_stats", false, 5000, &r), 0);
    cJSON *stats = cJSON_Parse(r.body);
    harness_response_free(&r);
    cr_assert_not_null(stats);
    return stats;
}

/* The listings of every flag in PREFIXflags, keyed by listing_id (a cJSON object). */
static cJSON *flagged_listings(const char *prefix)
{
    redisContext *c = harness_redis_connect(&redis);
    cr_assert_not_null(c);
    redisReply *entries = redisCommand(c, "XRANGE %sflags - +", prefix);
    cr_assert(entries && entries->type == REDIS_REPLY_ARRAY);
    cJSON *out = cJSON_CreateObject();
    for (size_t i = 0; i < entries->elements; i++) {
        redisReply *fields = entries->element[i]->element[1];
        for (size_t k = 0; k + 1 < fields->elements; k += 2) {
            if (strcmp(fields->element[k]->str, "flag"))
                continue;
            cJSON *flag = cJSON_ParseWithLength(fields->element[k + 1]->str, fields->element[k + 1]->len);
            cr_assert_not_null(flag);
            cJSON *listing = cJSON_DetachItemFromObject(flag, "listing");
            const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(listing, "listing_id"));
            cr_assert_not_null(id);
            cJSON_AddItemToObject(out, id, listing);
            cJSON_Delete(flag);
        }
    }
    freeReplyObject(entries);
    redisFree(c);
    return out;
}

/* Whether text can be written in charset without loss (so a page in it
 * must read back exactly). */
static bool representable(const char *text, const char *charset)
{
    iconv_t cd = iconv_open(charset, "UTF-8");
    cr_assert_neq(cd, (iconv_t)-1);
    char out[4096], *in = (char *)text, *o = out;
    size_t in_left = strlen(text), o_left = sizeof out;
    bool ok = iconv(cd, &in, &in_left, &o, &o_left) != (size_t)-1;
    iconv_close(cd);
    return ok;
}

Test(web, pages_in_legacy_charsets_read_as_their_utf8_originals)
{
    start_market(NULL, NULL);
    char paths[24][128];
    size_t n = web_violations(paths, 24);
    cr_assert_geq(n, 8, "the market plants too few storefront violations");
    /* the listings as read from the market's own UTF-8 pages */
    bytebuf starts;
    bytebuf_init(&starts, 0);
    bytebuf_append_char(&starts, '[');
    for (size_t i = 0; i < n; i++)
        bytebuf_printf(&starts, "%s\"%s\"", i ? "," : "", paths[i]);
    bytebuf_append_char(&starts, ']');
    char *err;
    cJSON *summary;
    int rc = run_scan(store_campaign("utf8", "a:", starts.data, NULL, NULL), &err, &summary);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    cr_expect_eq(number(summary, "charset.converted"), 0, "UTF-8 pages are read as they are");
    free(err);
    cJSON_Delete(summary);
    cJSON *original = flagged_listings("a:");
    /* each listing once, in a charset that can write its title:
     * declared in the header, in a <meta>, wrongly (UTF-8), and a TCVN3 page */
    static const struct {
        const char *how, *label, *iconv_name;
    } modes[] = {{"http", "windows-1258", "WINDOWS-1258"}, {"meta", "VISCII", "VISCII"},
                 {"wrong", "windows-1258", "WINDOWS-1258"}, {"http", "tcvn3", "TCVN5712-1"}};
    const size_t mode_count = sizeof modes / sizeof *modes;
    const cJSON *chosen[4] = {NULL};
    bytebuf_reset(&starts);
    bytebuf_append_char(&starts, '[');
    const cJSON *l;
    size_t found = 0;
    cJSON_ArrayForEach(l, original)
    {
        const char *title = cJSON_GetStringValue(cJSON_GetObjectItem(l, "title"));
        bool ascii = true;
        for (const char *p = title; *p && ascii; p++)
            ascii = (unsigned char)*p < 0x80;
        if (found == mode_count || ascii || !representable(title, modes[found].iconv_name))
            continue;
        chosen[found] = l;
        bytebuf_printf(&starts, "%s\"/charset/%s/%s/p/%s.html\"", found ? "," : "", modes[found].how,
                       modes[found].label, l->string);
        found++;
    }
    bytebuf_append_char(&starts, ']');
    cr_assert_eq(found, mode_count, "no Vietnamese titles writable in every charset (%zu found)", found);
    rc = run_scan(store_campaign("legacy", "b:", starts.data, NULL, NULL), &err, &summary);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    cr_expect_eq(number(summary, "pages"), mode_count);
    cr_expect_eq(number(summary, "charset.converted"), mode_count, "every page was converted: %s", err);
    cr_expect_eq(number(summary, "charset.wrong"), 1, "the page declared UTF-8 is counted");
    cr_expect_eq(number(summary, "charset.unknown"), 0);
    cJSON *converted = flagged_listings("b:");
    for (size_t i = 0; i < mode_count; i++) {
        const cJSON *got = cJSON_GetObjectItem(converted, chosen[i]->string);
        cr_assert_not_null(got, "listing %s (%s %s) was not read", chosen[i]->string, modes[i].how, modes[i].label);
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(got, "title")),
                         cJSON_GetStringValue(cJSON_GetObjectItem(chosen[i], "title")), "%s %s", modes[i].how,
                         modes[i].label);
        cr_expect_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(got, "price")),
                     cJSON_GetNumberValue(cJSON_GetObjectItem(chosen[i], "price")), "%s %s", modes[i].how,
                     modes[i].label);
        cr_expect(cJSON_Compare(cJSON_GetObjectItem(got, "seller"), cJSON_GetObjectItem(chosen[i], "seller"), true),
                  "the seller (its name and province in Vietnamese) reads the same: %s %s", modes[i].how,
                  modes[i].label);
        cr_expect_not_null(cJSON_GetObjectItem(got, "seller"));
    }
    cJSON_Delete(original);
    cJSON_Delete(converted);
    cJSON_Delete(summary);
    free(err);
    bytebuf_free(&starts);
}

/* "[\"/p/ID.html\", ...]": the first n storefront violations' pages. */
static void product_starts(char *out, size_t size, size_t n)
{
    char paths[16][128];
    cr_assert_eq(web_violations(paths, n), n);
    size_t used = (size_t)snprintf(out, size, "[");
    for (size_t i = 0; i < n && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s\"%s\"", i ? "," : "", paths[i]);
    snprintf(out + used, size - used, "]");
}

Test(web, a_path_robots_txt_disallows_is_not_fetched_and_is_counted)
{
    start_market("User-agent: *\nDisallow: /store/p/\n", NULL);
    char starts[4096];
    product_starts(starts, sizeof starts - 16, 4);
    /* and the home page, which robots.txt allows */
    size_t used = strlen(starts) - 1;
    snprintf(starts + used, sizeof starts - used, ",\"/\"]");
    char *err;
    cJSON *summary;
    int rc = run_scan(store_campaign("forbid", "lscan:", starts, NULL, NULL), &err, &summary);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
    cr_expect_eq(number(summary, "robots.disallowed"), 4, "%s", err);
    cr_expect_eq(number(summary, "robots.unreachable"), 0);
    cr_expect_eq(number(summary, "pages"), 1, "only the home page");
    cJSON *stats = market_stats();
    cr_expect_eq(number(stats, "requests"), 1, "no disallowed page was asked for");
    cr_expect_eq(number(stats, "robots_requests"), 1, "robots.txt once for the host");
    cJSON_Delete(stats);
    cJSON_Delete(summary);
    free(err);
}

Test(web, crawl_delay_spaces_the_host_even_without_campaign_spacing)
{
    start_market("User-agent: lscan\nCrawl-delay: 0.25\n", NULL);
    char starts[4096];
    product_starts(starts, sizeof starts, 8);
    char *err;
    cJSON *summary;
    int rc = run_scan(store_campaign("delay", "lscan:", starts, "requests_per_second: 0, per_host_concurrency: 8", NULL),
                      &err, &summary);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
    cr_expect_eq(number(summary, "pages"), 8);
    cr_expect_geq(number(summary, "seconds"), 7 * 0.25, "8 requests 250 ms apart take at least 1.75 s");
    cJSON *stats = market_stats();
    cr_expect_leq(number(stats, "max_per_second"), 4, "at most 4 requests in any second");
    cJSON_Delete(stats);
    cJSON_Delete(summary);
    free(err);
}

Test(web, no_robots_txt_allows_everything)
{
    start_market("User-agent: *\nDisallow: /\n", "404"); /* the body of a 404 is no robots.txt */
    char starts[4096];
    product_starts(starts, sizeof starts, 3);
    char *err;
    cJSON *summary;
    int rc = run_scan(store_campaign("none", "lscan:", starts, NULL, NULL), &err, &summary);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
    cr_expect_eq(number(summary, "pages"), 3);
    cr_expect_eq(number(summary, "robots.disallowed"), 0);
    cr_expect_eq(number(summary, "robots.unreachable"), 0);
    cJSON_Delete(summary);
    free(err);
}

Test(web, an_unreachable_robots_txt_disallows_the_host_and_is_counted)
{
    start_market("User-agent: *\nDisallow:\n", "503");
    char starts[4096];
    product_starts(starts, sizeof starts, 3);
    char *err;
    cJSON *summary;
    int rc = run_scan(store_campaign("down", "lscan:", starts, NULL, NULL), &err, &summary);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
    cr_expect_eq(number(summary, "pages"), 0);
    cr_expect_eq(number(summary, "robots.unreachable"), 3, "%s", err);
    cJSON *stats = market_stats();
    cr_expect_eq(number(stats, "requests"), 0, "no page of the host was asked for");
    cr_expect_eq(number(stats, "robots_requests"), 3, "robots.txt asked three times (a 5xx is asked again twice)");
    cr_expect_not_null(strstr(err, "is unreachable (HTTP 503)"), "the operator is told: %s", err);
    cJSON_Delete(stats);
    cJSON_Delete(summary);
    free(err);
}

Test(web, robots_ignore_needs_a_reason)
{
    static const char without[] = "campaign: c\nrules: [packs]\ntargets:\n"
                                  "  - {adapter: storefront, base_url: \"http://x\", robots: ignore}\n"
                                  "  - {adapter: storefront, base_url: \"http://y\", robots: ignore, reason: \"  \"}\n"
                                  "  - {adapter: storefront, base_url: \"http://z\", reason: \"why not\"}\n"
                                  "  - {adapter: storefront, base_url: \"http://w\", robots: sometimes}\n";
    diagnostics d;
    diagnostics_init(&d);
    campaign *c = campaign_load_string("c.yaml", without, sizeof without - 1, &d);
    cr_expect_null(c);
    cr_expect_eq(diagnostics_total(&d), 4);
    size_t need_reason = 0;
    for (size_t i = 0; i < d.count; i++)
        need_reason += strstr(d.messages[i], "robots: ignore needs a reason") != NULL;
    cr_expect_eq(need_reason, 2, "%s", d.count ? d.messages[0] : "");
    cr_expect_not_null(strstr(d.messages[0], "c.yaml:4:"), "%s", d.messages[0]);
    diagnostics_free(&d);
    static const char with[] = "campaign: c\nrules: [packs]\ntargets:\n"
                               "  - {adapter: storefront, base_url: \"http://x\", robots: ignore, reason: \"Decision 12/QD\"}\n";
    diagnostics_init(&d);
    c = campaign_load_string("c.yaml", with, sizeof with - 1, &d);
    cr_assert_not_null(c, "%s", d.count ? d.messages[0] : "");
    cr_expect(c->targets[0].robots_ignore);
    cr_expect_str_eq(c->targets[0].robots_reason, "Decision 12/QD");
    campaign_free(c);
    diagnostics_free(&d);
    static const char lines[] = "campaign: c\nrules: [packs]\ntargets:\n"
                                "  - {adapter: storefront, base_url: \"http://x\", robots: ignore, reason: \"a\\nb\\tc\"}\n";
    diagnostics_init(&d);
    c = campaign_load_string("c.yaml", lines, sizeof lines - 1, &d);
    cr_assert_not_null(c);
    cr_expect_str_eq(c->targets[0].robots_reason, "a b c", "one line wherever it is written");
    campaign_free(c);
    diagnostics_free(&d);
}

/* Every warcinfo-bearing WARC file under dir, decompressed and concatenated. */
static void read_warcs(const char *dir, bytebuf *out)
{
    char command[1400];
    snprintf(command, sizeof command, "find '%s' -name '*.warc.gz'", dir);
    FILE *list = popen(command, "r");
    cr_assert_not_null(list);
    char path[1200];
    while (fgets(path, sizeof path, list)) {
        path[strcspn(path, "\n")] = '\0';
        gzFile gz = gzopen(path, "rb");
        cr_assert_not_null(gz);
        char chunk[65536];
        int n;
        while ((n = gzread(gz, chunk, sizeof chunk)) > 0)
            bytebuf_append(out, chunk, (size_t)n);
        gzclose(gz);
    }
    pclose(list);
}

Test(web, robots_ignored_with_a_reason_is_on_record_in_the_summary_and_the_warcinfo)
{
    start_market("User-agent: *\nDisallow: /\n", NULL);
    char starts[4096];
    product_starts(starts, sizeof starts, 3);
    char *err;
    cJSON *summary;
    const char *reason = "Quyết định thanh tra số 12/QĐ-TTr, 2026-05-02";
    char extra[512];
    snprintf(extra, sizeof extra, "    robots: ignore\n    reason: \"%s\"\n", reason);
    int rc = run_scan(store_campaign("ignore", "lscan:", starts, NULL, extra), &err, &summary);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
    cr_expect_eq(number(summary, "pages"), 3, "robots.txt disallows everything, and is not obeyed");
    cr_expect_eq(number(summary, "robots.disallowed"), 0);
    const cJSON *by = cJSON_GetObjectItem(cJSON_GetObjectItem(summary, "robots"), "ignored_by");
    cr_assert_eq(cJSON_GetArraySize(by), 1);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(by, 0), "target")), "store");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(by, 0), "reason")), reason);
    cr_expect_not_null(strstr(err, reason), "the reason is logged: %s", err);
    cJSON *stats = market_stats();
    cr_expect_eq(number(stats, "robots_requests"), 0, "an ignoring target does not ask");
    cJSON_Delete(stats);
    bytebuf warc;
    bytebuf_init(&warc, 0);
    char evidence[1200];
    snprintf(evidence, sizeof evidence, "%s/state/evidence", work);
    read_warcs(evidence, &warc);
    cr_assert_gt(warc.length, 0, "no WARC written");
    char field[600];
    snprintf(field, sizeof field, "robots-ignored: target 'store': %s\r\n", reason);
    cr_expect_not_null(strstr(warc.data, "WARC-Type: warcinfo"));
    cr_expect_not_null(strstr(warc.data, field), "the warcinfo names the reason");
    bytebuf_free(&warc);
    cJSON_Delete(summary);
    free(err);
}

#include "workers/counters.h"

Test(web, the_new_counters_are_metrics)
{
    static scan_counters c;
    atomic_store(&c.pages_charset_converted, 3);
    atomic_store(&c.pages_charset_wrong, 2);
    atomic_store(&c.pages_charset_unknown, 1);
    atomic_store(&c.robots_disallowed, 7);
    atomic_store(&c.robots_unreachable, 5);
    atomic_store(&c.listing_urls_offsite, 4);
    frontier_stats fs = {0};
    bytebuf out;
    bytebuf_init(&out, 0);
    counters_write_metrics(&c, &fs, 0, 0, &out);
    const char *expected[] = {"lscan_pages_charset_total{result=\"converted\"} 3\n",
                              "lscan_pages_charset_total{result=\"wrong\"} 2\n",
                              "lscan_pages_charset_total{result=\"unknown\"} 1\n",
                              "lscan_robots_skipped_total{reason=\"disallowed\"} 7\n",
                              "lscan_robots_skipped_total{reason=\"unreachable\"} 5\n",
                              "lscan_listing_urls_offsite_total 4\n"};
    for (size_t i = 0; i < sizeof expected / sizeof *expected; i++)
        cr_expect_not_null(strstr(out.data, expected[i]), "missing %s", expected[i]);
    bytebuf_free(&out);
}

/* ---- staying on the campaign's sites --------------------------------------------- */

typedef struct offsite_site {
    char page[1024];
} offsite_site;

static void offsite_handler(void *ctx, const char *target, loopback_reply *reply)
{
    offsite_site *site = ctx;
    if (!strcmp(target, "/api?page=1")) {
        reply->body = site->page;
        reply->length = strlen(site->page);
    } else {
        reply->status = 404;
    }
}

Test(web, off_site_links_are_not_followed_and_off_site_listing_urls_are_kept_unfetched)
{
    loopback_server *other = loopback_start("127.0.0.1", offsite_handler, &(offsite_site){""});
    cr_assert_not_null(other);
    offsite_site site;
    int op = loopback_port(other);
    /* a listing whose own URL is another site's, one on the site, and a next page elsewhere */
    snprintf(site.page, sizeof site.page,
             "{\"items\":[{\"id\":\"a1\",\"title\":\"Giày Nike rep 1:1 giá rẻ\",\"price\":150000,"
             "\"url\":\"http://127.0.0.1:%d/p/a1\"},{\"id\":\"a2\",\"title\":\"Giày Nike rep 1:1 siêu cấp\","
             "\"price\":160000,\"url\":\"/p/a2\"}],\"next\":\"http://127.0.0.1:%d/api?page=2\"}",
             op, op);
    loopback_server *own = loopback_start("127.0.0.1", offsite_handler, &site);
    cr_assert_not_null(own);
    char path[1200];
    snprintf(path, sizeof path, "%s/offsite.yaml", work);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f,
            "campaign: offsite\nrules: [%s/rules/packs]\nredis: {url: \"redis://127.0.0.1:%d\"}\n"
            "limits: {retries: 1}\ntargets:\n  - name: api\n    adapter: json\n    platform: web\n"
            "    base_url: \"http://127.0.0.1:%d\"\n    start_urls: [\"/api?page=1\"]\n    currency: VND\n"
            "    fields: {items: items, listing_id: id, title: title, price: price, url: url, next_url: next}\n",
            harness_root(), redis.port, loopback_port(own));
    fclose(f);
    char *err;
    cJSON *summary;
    int rc = run_scan(path, &err, &summary);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
    cr_expect_eq(loopback_requests(other), 0, "nothing was fetched from the other site");
    cr_expect_eq(number(summary, "links_offsite"), 1, "the off-site next page is counted");
    cr_expect_eq(number(summary, "listing_urls_offsite"), 1, "the off-site listing URL is counted");
    cr_expect_eq(number(summary, "listings"), 2, "both listings are kept");
    cJSON *flags = flagged_listings("lscan:");
    const cJSON *a1 = cJSON_GetObjectItem(flags, "a1");
    cr_assert_not_null(a1, "the listing with an off-site URL is kept and matched: %s", err);
    char expected[128];
    snprintf(expected, sizeof expected, "http://127.0.0.1:%d/p/a1", op);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(a1, "url")), expected, "its URL is recorded as it is");
    cJSON_Delete(flags);
    cJSON_Delete(summary);
    free(err);
    loopback_stop(own);
    loopback_stop(other);
}

/* ---- JSON responses in other charsets ------------------------------------------- */

typedef struct json_api {
    struct {
        char path[32], type[64], body[1024];
        size_t length;
    } pages[5];
} json_api;

static void json_api_handler(void *ctx, const char *target, loopback_reply *reply)
{
    json_api *api = ctx;
    for (size_t i = 0; i < 5; i++)
        if (!strcmp(target, api->pages[i].path)) {
            reply->content_type = api->pages[i].type;
            reply->body = api->pages[i].body;
            reply->length = api->pages[i].length;
            return;
        }
    reply->status = 404;
}

/* One page of the API: its items' titles in charset (an iconv name; "" for
 * the UTF-8 bytes as they are), `mark` in front. */
static void json_page(json_api *api, size_t i, const char *type, const char *charset, const char *mark,
                      size_t mark_length, const char *title)
{
    char utf8[512];
    snprintf(api->pages[i].path, sizeof api->pages[i].path, "/api/%zu", i);
    snprintf(api->pages[i].type, sizeof api->pages[i].type, "%s", type);
    snprintf(utf8, sizeof utf8, "{\"items\":[{\"id\":\"j%zu\",\"title\":\"%s\",\"price\":\"1.250.000 ₫\"}]}", i, title);
    memcpy(api->pages[i].body, mark, mark_length);
    if (!*charset) {
        memcpy(api->pages[i].body + mark_length, utf8, strlen(utf8));
        api->pages[i].length = mark_length + strlen(utf8);
        return;
    }
    iconv_t cd = iconv_open(charset, "UTF-8");
    cr_assert_neq(cd, (iconv_t)-1);
    char *in = utf8, *o = api->pages[i].body + mark_length;
    size_t in_left = strlen(utf8), o_left = sizeof api->pages[i].body - mark_length;
    cr_assert_neq(iconv(cd, &in, &in_left, &o, &o_left), (size_t)-1, "%s", charset);
    iconv_close(cd);
    api->pages[i].length = (size_t)(o - api->pages[i].body);
}

Test(web, json_responses_in_windows_1258_and_utf16_read_as_utf8_and_a_wrong_charset_is_counted)
{
    static json_api api;
    const char *titles[] = {"Giày thể thao Nike chính hãng", "Nước mắm Phú Quốc đặc sản", "Áo khoác Adidas nữ",
                            "Vải thiều Thanh Hà loại một", "Đồng hồ Casio điện tử"};
    json_page(&api, 0, "application/json; charset=windows-1258", "WINDOWS-1258", "", 0, titles[0]);
    json_page(&api, 1, "application/json", "UTF-16LE", "\xff\xfe", 2, titles[1]);
    json_page(&api, 2, "application/json; charset=utf-16", "UTF-16BE", "", 0, titles[2]); /* no mark: its NULs */
    json_page(&api, 3, "application/json; charset=utf-8", "WINDOWS-1258", "", 0, titles[3]);  /* lies */
    json_page(&api, 4, "application/json; charset=x-no-such", "", "", 0, titles[4]);
    loopback_server *server = loopback_start("127.0.0.1", json_api_handler, &api);
    cr_assert_not_null(server);
    char path[1200];
    snprintf(path, sizeof path, "%s/json-charsets.yaml", work);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f,
            "campaign: json-charsets\nrules: [%s/tests/extract-real/catchall.yaml]\n"
            "redis: {url: \"redis://127.0.0.1:%d\", prefix: \"j:\"}\nlimits: {retries: 0, requests_per_second: 0}\n"
            "targets:\n  - name: api\n    adapter: json\n    base_url: \"http://127.0.0.1:%d\"\n"
            "    start_urls: [\"/api/0\", \"/api/1\", \"/api/2\", \"/api/3\", \"/api/4\"]\n    currency: VND\n"
            "    fields: {items: items, listing_id: id, title: title, price: price}\n",
            harness_root(), redis.port, loopback_port(server));
    fclose(f);
    char *err;
    cJSON *summary;
    int rc = run_scan(path, &err, &summary);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
    cr_expect_eq(number(summary, "pages"), 5, "no page is lost for its charset: %s", err);
    /* converted: windows-1258, UTF-16 marked, UTF-16 unmarked (read by its NULs), the lying page repaired */
    cr_expect_eq(number(summary, "charset.converted"), 4);
    cr_expect_eq(number(summary, "charset.wrong"), 1, "the page declared UTF-8 that is not");
    cr_expect_eq(number(summary, "charset.unknown"), 1);
    cJSON *got = flagged_listings("j:");
    for (size_t i = 0; i < 5; i++) {
        char id[8];
        snprintf(id, sizeof id, "j%zu", i);
        const cJSON *l = cJSON_GetObjectItem(got, id);
        cr_assert_not_null(l, "listing %s was not read: %s", id, err);
        const char *title = cJSON_GetStringValue(cJSON_GetObjectItem(l, "title"));
        if (i == 3) /* the lie costs its non-ASCII letters, nothing else */
            cr_expect(title && strstr(title, "\xef\xbf\xbd") && strstr(title, "Thanh H"), "%s", title);
        else
            cr_expect_str_eq(title, titles[i], "page %zu", i);
        cr_expect_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(l, "price")), 1250000, "page %zu", i);
    }
    cJSON_Delete(got);
    cJSON_Delete(summary);
    free(err);
    loopback_stop(server);
}

Test(web, a_disallowed_link_on_several_pages_is_counted_once)
{
    start_market("User-agent: *\nDisallow: /store/p/\n", NULL);
    /* a category of the store, from its home page */
    harness_response home;
    cr_assert_eq(harness_http_get(market.port, "/store/", false, 5000, &home), 0);
    const char *c = strstr(home.body, "href=\"/store/c/");
    cr_assert_not_null(c, "no category on the home page");
    c += strlen("href=\"/store");
    char category[256];
    snprintf(category, sizeof category, "%.*s", (int)strcspn(c, "\"?"), c);
    harness_response_free(&home);
    cr_assert_eq(harness_http_get(market.port, "/_stats/reset", false, 5000, &home), 0);
    harness_response_free(&home);
    /* the category twice under two URLs: the same product links on both */
    char starts[600];
    snprintf(starts, sizeof starts, "[\"%s\", \"%s?sort=new\"]", category, category);
    char path[1200];
    snprintf(path, sizeof path, "%s", store_campaign("twice", "lscan:", starts, NULL, NULL));
    char *text = harness_read_file(path, NULL);
    char *follow = strstr(text, "follow: [\"/no-such-path/\"]");
    cr_assert_not_null(follow);
    FILE *f = fopen(path, "w");
    fprintf(f, "%.*sfollow: [\"/p/\"]%s", (int)(follow - text), text, follow + strlen("follow: [\"/no-such-path/\"]"));
    fclose(f);
    free(text);
    char *err;
    cJSON *summary;
    int rc = run_scan(path, &err, &summary);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
    cr_expect_eq(number(summary, "pages"), 2);
    cJSON *stats = market_stats();
    cr_expect_eq(number(stats, "requests"), 2, "no product page was asked for (%g requests)", number(stats, "requests"));
    cJSON_Delete(stats);
    /* how many distinct product links the category page has */
    harness_response page;
    char target[300];
    snprintf(target, sizeof target, "/store%s", category);
    cr_assert_eq(harness_http_get(market.port, target, false, 5000, &page), 0);
    size_t links = 0;
    for (const char *p = page.body; (p = strstr(p, "class=\"product-link\" href=\"/store/p/")); p++)
        links++;
    harness_response_free(&page);
    cr_assert_gt(links, 1);
    cr_expect_eq(number(summary, "robots.disallowed"), links, "each product once, though on two pages: %s", err);
    cJSON_Delete(summary);
    free(err);
}

static int run_lscan(const char *const *args, char **out, char **err)
{
    char lscan[1024];
    snprintf(lscan, sizeof lscan, "%s/lscan", harness_build());
    const char *argv[32] = {lscan};
    size_t n = 1;
    for (size_t i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return harness_run(argv, NULL, 0, out, err);
}

Test(web, a_recheck_reads_a_legacy_page_as_the_scan_did)
{
    start_market(NULL, NULL);
    char paths[8][128];
    size_t n = web_violations(paths, 8);
    cr_assert_geq(n, 4);
    /* windows-1258 pages of violations with Vietnamese titles, scanned, taken in as cases, re-checked */
    char starts[2048] = "[";
    for (size_t i = 0; i < n; i++)
        snprintf(starts + strlen(starts), sizeof starts - strlen(starts), "%s\"/charset/http/windows-1258%s\"",
                 i ? "," : "", paths[i]);
    snprintf(starts + strlen(starts), sizeof starts - strlen(starts), "]");
    char campaign[1200];
    snprintf(campaign, sizeof campaign, "%s", store_campaign("recheck", "lscan:", starts, NULL, NULL));
    char *err, *out;
    cJSON *summary;
    int rc = run_scan(campaign, &err, &summary);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    cr_assert_gt(number(summary, "flags"), 0, "%s", err);
    cJSON_Delete(summary);
    free(err);
    char reg[1200], dir[1200], url[64];
    snprintf(reg, sizeof reg, "%s/register.sqlite", work);
    snprintf(dir, sizeof dir, "%s/recheck-evidence", work);
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", redis.port);
    const char *intake[] = {"cases", "intake", "--register", reg, "--redis", url, NULL};
    cr_assert_eq(run_lscan(intake, &out, &err), 0, "%s", err);
    free(out);
    free(err);
    const char *list[] = {"cases", "list", "--register", reg, "--json", "--limit", "100", NULL};
    cr_assert_eq(run_lscan(list, &out, &err), 0, "%s", err);
    cJSON *cases = cJSON_Parse(out);
    free(out);
    free(err);
    const char *recheck[40] = {"recheck", "--campaign", campaign, "--register", reg, "--evidence-dir", dir, "--json"};
    size_t k = 8;
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(cases, "cases"))
    {
        if (k < 39)
            recheck[k++] = cJSON_GetStringValue(cJSON_GetObjectItem(c, "case_id"));
    }
    recheck[k] = NULL;
    cr_assert_gt(k, 8, "no cases");
    cr_assert_eq(run_lscan(recheck, &out, &err), 0, "%s %s", out, err);
    size_t unchanged = 0;
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        cJSON *r = cJSON_Parse(line);
        cr_assert_not_null(r, "%s", line);
        const char *outcome = cJSON_GetStringValue(cJSON_GetObjectItem(r, "outcome"));
        cr_expect_str_eq(outcome, "unchanged", "the title read again as the scan read it: %s", line);
        unchanged += !strcmp(outcome, "unchanged");
        cJSON_Delete(r);
    }
    cr_expect_eq(unchanged, k - 8);
    cJSON_Delete(cases);
    free(out);
    free(err);
}
