/* Tests of scanner/normalize: the rules of normalize.h, offsets, limits, and
 * the differential test (fast path == utf8proc reference) on every code point,
 * on random bytes and on the real Vietnamese corpus in $LSCAN_SHARED/corpus. */
#include <criterion/criterion.h>

#include <glob.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "rules/text/normalize.h"

static normalizer *norm;
static normalized_text out, ref, joined, portable;

static void setup(void)
{
    char error[256];
    cr_assert_eq(normalizer_create(&norm, error, sizeof error), 0, "%s", error);
    normalized_text_init(&out);
    normalized_text_init(&ref);
    normalized_text_init(&joined);
    normalized_text_init(&portable);
}

static void teardown(void)
{
    normalized_text_free(&out);
    normalized_text_free(&ref);
    normalized_text_free(&joined);
    normalized_text_free(&portable);
    normalizer_destroy(norm);
}

TestSuite(normalize, .init = setup, .fini = teardown);

typedef struct {
    const char *input;
    const char *expected;
} case_t;

/* Main view of s, checked against the reference too. */
static const char *main_view(const char *s)
{
    size_t bad_fast = 0, bad_ref = 0;
    cr_assert_eq(normalize_text(norm, s, strlen(s), &out, &bad_fast), 0, "input %s", s);
    cr_assert_eq(normalize_text_reference(s, strlen(s), &ref, &bad_ref), 0, "input %s", s);
    cr_assert_str_eq(out.text, ref.text, "fast and reference differ on %s", s);
    cr_assert_eq(bad_fast, bad_ref);
    return out.text;
}

static const char *joined_view(const char *s)
{
    main_view(s);
    cr_assert_eq(normalize_joined(&out, &joined), 0);
    return joined.text;
}

static void check_main(const case_t *cases, size_t count)
{
    for (size_t i = 0; i < count; i++)
        cr_expect_str_eq(main_view(cases[i].input), cases[i].expected,
                         "input \"%s\"", cases[i].input);
}

#define CHECK_MAIN(cases) check_main(cases, sizeof cases / sizeof cases[0])

/* ---- rules -------------------------------------------------------------- */

Test(normalize, nfc_and_nfd_give_the_same_output)
{
    static const char *texts[] = {
        "Đồng hồ Rolex chính hãng", "Giày thể thao Nike Air Force 1",
        "Tiếng Việt có dấu: ắ ằ ẳ ẵ ặ ấ ầ ẩ ẫ ậ ế ề ể ễ ệ ố ồ ổ ỗ ộ ớ ờ ở ỡ ợ ứ ừ ử ữ ự",
        "ƯỚC MƠ CỦA ĐỨA TRẺ", "Ổ cứng SSD Samsung", "Ấm siêu tốc Sunhouse",
        "Kem dưỡng ẩm Ōhara Ünïcödé", "Vải thiều Lục Ngạn",
    };
    static const char *expected[] = {
        "dong ho rolex chinh hang", "giay the thao nike air force 1",
        "tieng viet co dau a a a a a a a a a a e e e e e o o o o o o o o o o u u u u u",
        "uoc mo cua dua tre", "o cung ssd samsung", "am sieu toc sunhouse",
        "kem duong am ohara unicode", "vai thieu luc ngan",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char *nfd = (char *)utf8proc_NFD((const utf8proc_uint8_t *)texts[i]);
        cr_assert_not_null(nfd);
        cr_expect_str_neq(nfd, texts[i], "NFD of \"%s\" should differ", texts[i]);
        char *from_nfd = strdup(main_view(nfd));
        cr_expect_str_eq(main_view(texts[i]), expected[i]);
        cr_expect_str_eq(from_nfd, expected[i], "NFD input of \"%s\"", texts[i]);
        free(from_nfd);
        free(nfd);
    }
}

Test(normalize, zero_width_and_format_characters_are_removed)
{
    static const case_t cases[] = {
        {"Ni\u200bke", "nike"},            {"Gu\u200cc\u200dci", "gucci"},
        {"Ro\u200elex\u200f", "rolex"},    {"Ad\u2060idas", "adidas"},
        {"\ufeffSamsung", "samsung"},      {"Cha\u00adnel", "chanel"},
        {"\u202aHer\u202bm\u202ces\u202d\u202e", "hermes"},
        {"Lou\u034fis Vuit\ufe0fton", "louis vuitton"},
        {"a\u200b \u200bb", "a b"},
    };
    CHECK_MAIN(cases);
}

Test(normalize, cyrillic_and_greek_look_alikes_fold_to_latin)
{
    static const case_t cases[] = {
        {"N\u0456k\u0435", "nike"},                     /* Cyrillic і е */
        {"\u0421\u0410\u0420\u0422\u041e", "capto"},    /* СА РТО capitals */
        {"\u0430\u0432\u0435\u043a\u043c\u043d\u043e\u0440\u0441\u0442\u0443\u0445\u0456\u0458\u0455",
         "abekmhopctyxijs"},
        {"\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0423\u0425\u0406",
         "abekmhopctyxi"},
        {"\u03b1\u03b2\u03b5\u03b9\u03ba\u03bd\u03bf\u03c1\u03c4\u03c5\u03c7", "abeikvoptux"},
        {"\u0391\u0392\u0395\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7\u0396",
         "abeikmnoptyxz"},
        {"\u039d\u0399\u039a\u0395", "nike"},            /* Greek ΝΙΚΕ */
        {"R\u03bfl\u0435x", "rolex"},                   /* Greek ο, Cyrillic е */
        {"\u00d0\u1ed3ng h\u1ed3", "dong ho"},          /* Ð (U+00D0) used for Đ */
        {"N\u0131ke", "nike"},                          /* dotless i */
    };
    CHECK_MAIN(cases);
}

Test(normalize, full_width_and_compatibility_forms)
{
    static const case_t cases[] = {
        {"\uff2e\uff29\uff2b\uff25", "nike"},   /* ＮＩＫＥ */
        {"\uff47\uff55\uff43\uff43\uff49\uff01", "gucci"},
        {"\ufb01ne \u2122", "fine tm"},        /* ligature fi, trade mark sign */
        {"\uff11\uff12\uff13", "123"},
        {"\u2460\u2461", "12"},                /* circled digits ①② */
        {"STRASSE Stra\u00dfe", "strasse strasse"},
        {"\ud55c\uad6d\uc5b4 \u4e2d\u6587 \u0e20\u0e32\u0e29\u0e32", "\ud55c\uad6d\uc5b4 \u4e2d\u6587 \u0e20\u0e32\u0e29\u0e32"},
    };
    CHECK_MAIN(cases);
}

Test(normalize, d_with_stroke_becomes_d)
{
    static const case_t cases[] = {
        {"Đồng hồ", "dong ho"}, {"đồng hồ", "dong ho"}, {"ĐÀ NẴNG", "da nang"},
        {"Điện thoại", "dien thoai"}, {"\u0189\u0256", "dd"},
    };
    CHECK_MAIN(cases);
}

Test(normalize, digits_and_symbols_fold_inside_words)
{
    static const case_t cases[] = {
        {"n1ke", "nike"},       {"r0lex", "rolex"},     {"ch@nel", "chanel"},
        {"$amsung", "samsung"}, {"gucc1", "gucci"},     {"4didas", "adidas"},
        {"N1KE", "nike"},       {"g4l4xy", "galaxy"},   {"h3rm3s", "hermes"},
        {"5upreme", "supreme"}, {"ADID@S", "adidas"},   {"ddr4", "ddra"},
        {"giày n1ke chính hãng", "giay nike chinh hang"},
    };
    CHECK_MAIN(cases);
}

Test(normalize, digits_and_symbols_that_stay)
{
    static const case_t cases[] = {
        {"st25", "st25"},         {"iphone15", "iphone15"}, {"4k", "4k"},
        {"5g", "5g"},             {"ps5", "ps5"},           {"2tr5", "2tr5"},
        {"win10", "win10"},       {"nik2", "nik2"},         {"g00gle", "g00gle"},
        {"a@b", "a b"},           {"@@nike", "nike"},       {"ch@@nel", "ch nel"},
        {"$5", "5"},              {"giá 100$", "gia 100"},  {"ab1", "ab1"},
        {"@ nike", "nike"},
    };
    CHECK_MAIN(cases);
}

Test(normalize, separators_collapse)
{
    static const case_t cases[] = {
        {"", ""},
        {"   ", ""},
        {"  Rolex!!!  ---  Daytona...  ", "rolex daytona"},
        {"a\t\n\r\v\fb", "a b"},
        {"giá: 1.200.000đ", "gia 1 200 000d"},
        {"\u00a0Nike\u3000Air\u2003Max\u00a0", "nike air max"},
        {"😀Nike🔥🔥 chính hãng✅", "nike chinh hang"},
        {"(Hàng chính hãng) [SALE 50%]", "hang chinh hang sale 50"},
        {"rep 1:1", "rep 1 1"},
        {"\x01\x02x\x7f", "x"},
    };
    CHECK_MAIN(cases);
}

Test(normalize, joined_view_joins_single_characters)
{
    static const case_t cases[] = {
        {"G.u.c.c.i", "gucci"},
        {"N I K E", "nike"},
        {"n-i-k-e", "nike"},
        {"mua túi G.u.c.c.i chính hãng", "mua tui gucci chinh hang"},
        {"n 1 k e", "nike"},
        {"r_0_l_e_x", "rolex"},
        {"a b", "a b"},
        {"size S M L", "size sml"},
        {"i p h o n e 1 5", "iphone15"},
        {"giày nike", "giay nike"},
        {"Đ.ồ.n.g", "dong"},
        {"ab c d e fg", "ab cde fg"},
        {"x y", "x y"},
        {"a b c", "abc"},
        {"tui c h a n e l moi", "tui chanel moi"},
        {"1 2 3 4", "1234"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_str_eq(joined_view(cases[i].input), cases[i].expected,
                         "input \"%s\"", cases[i].input);
}

/* The trimmed variants of runs read from the original separators (normalize.h). */
Test(normalize, runs_of_four_or_more_have_trimmed_variants)
{
    static const case_t cases[] = {
        {"Túi K A V E S S I x 2 đôi", "kavessix\nkavessi\navessix2\navessix\navessi\nvessix2\nvessix\nvessi"},
        {"N I K E", "nik\nike"},
        {"n.i.k.e giày", "nik\nike"},
        {"n I k", ""},                    /* three: no variant */
        {"z-o-r-v-i-k 1", "zorvi\nzorv\norvik\norvi\norv\nrvik\nrvi"}, /* "1": another separator */
        {"giày nike", ""},
    };
    normalized_text variants;
    normalized_text_init(&variants);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *in = cases[i].input;
        main_view(in);
        cr_assert_eq(normalize_joined_runs_variants(&out, in, strlen(in), &joined, &variants), 0);
        cr_expect_str_eq(variants.length ? variants.text : "", cases[i].expected, "input \"%s\"", in);
        for (size_t k = 0; k < variants.length; k++)
            cr_expect(variants.source_start[k] < variants.source_end[k] && variants.source_end[k] <= strlen(in));
    }
    normalized_text_free(&variants);
}

/* ---- offsets ------------------------------------------------------------ */

typedef struct {
    const char *input;
    const char *needle;     /* in the normalized view */
    const char *original;   /* what the hit's offsets cover */
    int joined;             /* look in the joined view */
} offset_case;

Test(normalize, offsets_point_into_the_original)
{
    static const offset_case cases[] = {
        {"Giày Nike Air", "nike", "Nike", 0},
        {"Đồng hồ ROLEX chính hãng", "rolex", "ROLEX", 0},
        {"Đồng hồ ROLEX chính hãng", "dong ho", "Đồng hồ", 0},
        {"Ni\u200bke chính hãng", "nike", "Ni\u200bke", 0},
        {"\u200bNike\u200b", "nike", "Nike", 0},
        /* NFD: the marks after a letter belong to it */
        {"De\u0323\u0302p lu\u031b\u0309i", "dep", "De\u0323\u0302p", 0},
        {"\u0110o\u0302\u0300ng ho\u0302\u0300 x", "ho", "ho\u0302\u0300", 0},
        {"Gia\u0300y Nike\u0301 Air", "nike", "Nike\u0301", 0},
        {"\uff2e\uff29\uff2b\uff25!", "nike", "\uff2e\uff29\uff2b\uff25", 0},
        {"N\u0456k\u0435 shoes", "nike", "N\u0456k\u0435", 0},
        {"túi ch@nel", "chanel", "ch@nel", 0},
        {"the \ufb01ne print", "fine", "\ufb01ne", 0},
        {"a -- b", "a b", "a -- b", 0},
        {"mua G.u.c.c.i nhé", "gucci", "G.u.c.c.i", 1},
        {"giày N I K E auth", "nike", "N I K E", 1},
        {"xx n-1-k-e\u200b yy", "nike", "n-1-k-e", 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const offset_case *t = &cases[c];
        const char *view = t->joined ? joined_view(t->input) : main_view(t->input);
        const normalized_text *nt = t->joined ? &joined : &out;
        const char *hit = strstr(view, t->needle);
        cr_assert_not_null(hit, "\"%s\" not found in \"%s\"", t->needle, view);
        size_t first = (size_t)(hit - view), last = first + strlen(t->needle) - 1;
        size_t s0 = nt->source_start[first], s1 = nt->source_end[last];
        cr_assert_leq(s0, s1);
        cr_assert_leq(s1, strlen(t->input));
        cr_expect(strlen(t->original) == s1 - s0 && memcmp(t->input + s0, t->original, s1 - s0) == 0,
                  "case %zu: hit \"%s\" covers \"%.*s\", expected \"%s\"", c, t->needle,
                  (int)(s1 - s0), t->input + s0, t->original);
    }
}

Test(normalize, every_byte_has_a_sane_range)
{
    static const char *texts[] = {
        "Đồng hồ Rolex \u200b N1ke ＮＩＫＥ ﷺ ½ ⑴ x", "\xff\xfe abc \xc3", "a\u0301\u0301 \u0301b",
    };
    for (size_t c = 0; c < sizeof texts / sizeof texts[0]; c++) {
        main_view(texts[c]);
        for (size_t i = 0; i < out.length; i++) {
            cr_assert_lt(out.source_start[i], out.source_end[i]);
            cr_assert_leq(out.source_end[i], strlen(texts[c]));
            cr_assert_geq(out.source_start[i], i ? out.source_start[i - 1] : 0);
        }
    }
}

/* ---- bad input and limits ---------------------------------------------- */

typedef struct {
    const char *input;
    size_t length;
    const char *expected;
    size_t invalid;
} invalid_case;

Test(normalize, invalid_utf8_is_a_counted_separator)
{
    static const invalid_case cases[] = {
        {"ni\xffke", 5, "ni ke", 1},
        {"\xc3", 1, "", 1},                        /* truncated */
        {"ab\xe1\xbb", 4, "ab", 2},                /* truncated 3-byte */
        {"a\xc0\xaf" "b", 4, "a b", 2},               /* overlong '/' */
        {"a\xe0\x80\xaf" "b", 5, "a b", 3},           /* overlong 3-byte */
        {"a\xed\xa0\x80z", 5, "a z", 3},           /* surrogate U+D800 */
        {"a\xf4\x90\x80\x80z", 6, "a z", 4},       /* above U+10FFFF */
        {"a\xf8\x88\x80\x80\x80z", 7, "a z", 5},   /* 5-byte form */
        {"x\x80\x80y", 4, "x y", 2},               /* stray continuation */
        {"n\0ke", 4, "n ke", 0},                   /* NUL is a control: a separator */
        {"Đ\xc4", 3, "d", 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t bad = 99, bad_ref = 99;
        cr_assert_eq(normalize_text(norm, cases[c].input, cases[c].length, &out, &bad), 0);
        cr_expect_str_eq(out.text, cases[c].expected, "case %zu", c);
        cr_expect_eq(bad, cases[c].invalid, "case %zu: %zu invalid bytes", c, bad);
        cr_assert_eq(normalize_text_reference(cases[c].input, cases[c].length, &ref, &bad_ref), 0);
        cr_expect_str_eq(ref.text, cases[c].expected, "case %zu (reference)", c);
        cr_expect_eq(bad_ref, cases[c].invalid, "case %zu (reference)", c);
        cr_assert_eq(normalize_text(norm, cases[c].input, cases[c].length, &out, NULL), 0);
    }
}

Test(normalize, input_over_the_maximum_is_rejected)
{
    size_t sizes[] = {NORMALIZE_MAX_INPUT, NORMALIZE_MAX_INPUT + 1};
    int expected[] = {0, -1};
    char *big = malloc(NORMALIZE_MAX_INPUT + 1);
    cr_assert_not_null(big);
    memset(big, 'a', NORMALIZE_MAX_INPUT + 1);
    for (size_t i = 0; i < 2; i++) {
        cr_expect_eq(normalize_text(norm, big, sizes[i], &out, NULL), expected[i]);
        cr_expect_eq(out.length, expected[i] == 0 ? sizes[i] : 0);
        cr_expect_eq(normalize_text_reference(big, sizes[i], &ref, NULL), expected[i]);
    }
    free(big);
}

Test(normalize, api_edges)
{
    normalizer_destroy(NULL);
    cr_expect_eq(normalize_text(NULL, "x", 1, &out, NULL), -1);
    cr_expect_eq(normalize_text(norm, NULL, 0, &out, NULL), 0);
    cr_expect_eq(out.length, 0);
    char *s = normalize_string(norm, "  Hàng Fake   Rep 1:1 ");
    cr_assert_not_null(s);
    cr_expect_str_eq(s, "hang fake rep 1 1");
    free(s);
    cr_expect_null(normalize_string(norm, NULL));
    cr_expect_null(normalize_string(NULL, "x"));
    /* buffers are reused: a long text then a short one */
    static const char *texts[] = {"ﷺ ﷺ ﷺ ﷺ ﷺ ﷺ ﷺ ﷺ ﷺ ﷺ ﷺ ﷺ ﷺ ﷺ ﷺ ﷺ ﷺ ﷺ ﷺ ﷺ ﷺ ﷺ", "Nike", ""};
    for (size_t i = 0; i < 3; i++)
        main_view(texts[i]);
    cr_expect_str_eq(out.text, "");
    cr_expect_geq(out.capacity, 22 * 33);
}

/* ---- the differential test ---------------------------------------------- */

/* The best path (normalize_text: AVX2 or SSE4.1 blocks, if this machine has
 * them), the SSE4.1 one and the portable one must give the same bytes,
 * offsets and count. */
static void check_portable(const char *s, size_t len, size_t bad_fast, const char *where, size_t line)
{
    int (*const paths[])(const normalizer *, const char *, size_t, normalized_text *, size_t *) = {
        normalize_text_portable, normalize_text_sse41};
    const char *names[] = {"portable", "sse4.1"};
    for (size_t k = 0; k < 2; k++) {
        size_t bad = 0;
        cr_assert_eq(paths[k](norm, s, len, &portable, &bad), 0, "%s:%zu", where, line);
        cr_assert_eq(portable.length, out.length, "%s:%zu: %s path", where, line, names[k]);
        cr_assert(memcmp(portable.text, out.text, out.length + 1) == 0 &&
                      memcmp(portable.source_start, out.source_start, out.length * sizeof *out.source_start) == 0 &&
                      memcmp(portable.source_end, out.source_end, out.length * sizeof *out.source_end) == 0,
                  "%s:%zu: %s path differs", where, line, names[k]);
        cr_assert_eq(bad, bad_fast, "%s:%zu: %s path", where, line, names[k]);
    }
}

/* Fast path and reference must give byte-identical text and offsets. */
static void check_same(const char *s, size_t len, const char *where, size_t line)
{
    size_t bad_fast = 0, bad_ref = 0;
    cr_assert_eq(normalize_text(norm, s, len, &out, &bad_fast), 0, "%s:%zu", where, line);
    cr_assert_eq(normalize_text_reference(s, len, &ref, &bad_ref), 0, "%s:%zu", where, line);
    size_t n = out.length < ref.length ? out.length : ref.length, d = 0;
    while (d < n && out.text[d] == ref.text[d] && out.source_start[d] == ref.source_start[d] &&
           out.source_end[d] == ref.source_end[d])
        d++;
    cr_assert(d == out.length && d == ref.length,
              "%s:%zu: first difference at output byte %zu (lengths %zu/%zu): "
              "fast \"%.40s\" [%u,%u) reference \"%.40s\" [%u,%u)",
              where, line, d, out.length, ref.length, out.text + d,
              d < out.length ? out.source_start[d] : 0, d < out.length ? out.source_end[d] : 0,
              ref.text + d, d < ref.length ? ref.source_start[d] : 0,
              d < ref.length ? ref.source_end[d] : 0);
    cr_assert_eq(bad_fast, bad_ref, "%s:%zu", where, line);
    check_portable(s, len, bad_fast, where, line);
}

static const char *shared_dir(void)
{
    const char *dir = getenv("LSCAN_SHARED");
    return dir && *dir ? dir : "../shared";
}

/* Checks every line of a file (and, with titles, the "title" of a JSON line);
 * returns the number of lines. */
static size_t check_file(const char *path, int titles)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s (set LSCAN_SHARED)", path);
    char *line = NULL;
    size_t cap = 0, lines = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lines++;
        check_same(line, (size_t)len, path, lines);
        const char *t = titles ? strstr(line, "\"title\":\"") : NULL;
        const char *end = t ? strchr(t + 9, '"') : NULL;
        cr_assert(!titles || end, "%s:%zu: no title", path, lines);
        if (titles)
            check_same(t + 9, (size_t)(end - (t + 9)), path, lines);
    }
    free(line);
    fclose(f);
    return lines;
}

Test(normalize, differential_on_the_vietnamese_corpus, .timeout = 120)
{
    char pattern[4096];
    snprintf(pattern, sizeof pattern, "%s/corpus/vn-text-normalizer-testdata/*.txt", shared_dir());
    glob_t g;
    cr_assert_eq(glob(pattern, 0, NULL, &g), 0, "corpus missing: %s", pattern);
    cr_assert_geq(g.gl_pathc, 4, "expected the 4 text files in %s", pattern);
    size_t lines = 0;
    for (size_t i = 0; i < g.gl_pathc; i++)
        lines += check_file(g.gl_pathv[i], 0);
    globfree(&g);
    cr_expect_geq(lines, 16000);
    char path[4096];
    snprintf(path, sizeof path, "%s/corpus/vn-memoryzone-products/memoryzone.jsonl", shared_dir());
    cr_expect_geq(check_file(path, 1), 1000);
}

Test(normalize, differential_on_every_code_point, .timeout = 120)
{
    /* every scalar value, alone, after a letter, and followed by a mark, in
     * chunks under the maximum input */
    const uint32_t chunk = 40000;
    char *buf = malloc((size_t)chunk * 12);
    cr_assert_not_null(buf);
    for (uint32_t first = 0; first < 0x110000; first += chunk) {
        size_t len = 0;
        for (uint32_t cp = first; cp < first + chunk && cp < 0x110000; cp++) {
            int scalar = cp < 0xD800 || cp > 0xDFFF;
            buf[len] = 'a';
            len += 1;
            len += scalar ? (size_t)utf8proc_encode_char((utf8proc_int32_t)cp, (utf8proc_uint8_t *)buf + len) : 0;
            len += (size_t)utf8proc_encode_char(cp % 3 ? 0x0301 : 0x20, (utf8proc_uint8_t *)buf + len);
        }
        check_same(buf, len, "code points from", first);
    }
    free(buf);
}

Test(normalize, differential_on_random_bytes)
{
    /* deterministic xorshift; bytes biased towards UTF-8 lead/continuation
     * bytes, '@', '$', digits and spaces so every path is reached */
    static const unsigned char alphabet[] = "aeiknou 0134@$.\x80\x8f\xa0\xbf\xc2\xc3\xcc\xe0\xe1\xed\xef\xf0\xf4\xf5\xff";
    uint64_t x = 0x9E3779B97F4A7C15u;
    char buf[512];
    for (size_t round = 0; round < 20000; round++) {
        size_t len = round % sizeof buf;
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[i] = (x >> 40) % 4 ? (char)alphabet[(x >> 8) % (sizeof alphabet - 1)] : (char)(x >> 16);
        }
        check_same(buf, len, "random round", round);
        cr_assert_eq(normalize_joined(&out, &joined), 0);
    }
}

Test(normalize, differential_on_ascii_runs)
{
    /* mostly ASCII, with the bytes next to each class boundary of the
     * 16-byte ASCII path ('@' '[' '`' '{' '/' ':' around letters and digits),
     * separator runs across chunk boundaries and a few non-ASCII letters */
    static const char *pieces[] = {"A", "Z", "a", "z", "@", "[", "`", "{", "/", ":", "0", "2", "5",
                                   "6", "9", "$", " ", "  ", ", ", "...", "\t", "\x7f", "\xc3\xa1",
                                   "\xe1\xbb\x87", "\xcc\x81", "x", "n1ke", "Gucci"};
    uint64_t x = 0x2545F4914F6CDD1Du;
    char buf[600];
    for (size_t round = 0; round < 20000; round++) {
        size_t len = 0, want = round % 500;
        while (len < want) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            const char *piece = pieces[(x >> 11) % (sizeof pieces / sizeof pieces[0])];
            size_t n = strlen(piece);
            memcpy(buf + len, piece, n);
            len += n;
        }
        check_same(buf, len, "ascii round", round);
    }
}

Test(normalize, differential_on_hostile_mixtures)
{
    /* what sellers paste: Vietnamese letters NFC and NFD, stray combining
     * marks, zero-width and format characters, variation selectors, emoji
     * (with skin tones), full-width forms, look-alike and other scripts,
     * outputs longer than their input, every kind of invalid UTF-8 (stray
     * continuations, cut sequences, overlong forms, surrogates, > U+10FFFF,
     * F5..FF, NUL), and rule-3 tokens; at every alignment and length up to
     * a few hundred bytes, so each may land anywhere in a 16-byte block */
    static const char *pieces[] = {
        "a", "e", "o", "N", "K", " ", "  ", "\t", ".", ", ", "-", "/", "@", "$", "0", "1", "2", "5", "9",
        "\xc3\xa1", "\xc3\x80", "\xe1\xba\xa1", "\xe1\xbb\x87", "\xe1\xbb\x9f", "\xc6\xb0", "\xc6\xa1",
        "\xc4\x91", "\xc4\x90", "\xc3\x90", "\xc3\x9f", "\xc2\xa0", "\xe2\x80\x9c", "\xe2\x80\x93",
        "\xcc\x80", "\xcc\x81", "\xcc\x83", "\xcc\x89", "\xcc\xa3", "\xcc\x82", "\xcc\x86", "\xcc\x9b",
        "e\xcc\x82\xcc\x81", "A\xcc\x80", "u\xcc\x9b\xcc\x83", "\xe2\x80\x8b", "\xe2\x80\x8d", "\xef\xbb\xbf",
        "\xc2\xad", "\xe2\x81\xa0", "\xe2\x80\xae", "\xef\xb8\x8f", "\xf3\xa0\x84\x80", "\xf0\x9f\x98\x80",
        "\xe2\xad\x90", "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd", "\xef\xbc\xa1", "\xef\xbd\x8e", "\xef\xbc\x91",
        "\xef\xbc\xa0", "\xd0\xb0", "\xd0\x90", "\xce\x91", "\xce\xb1", "\xce\xbc", "\xe4\xb8\xad",
        "\xed\x95\x9c", "\xd8\xb9", "\xef\xb7\xba", "\xef\xac\x81", "\xe2\x91\xa0", "\xf0\x9d\x90\x80",
        "\x80", "\xbf", "\xc2", "\xe1\xbb", "\xf0\x9f", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\x80", "\xed\xa0\x80",
        "\xf4\x90\x80\x80", "\xf5", "\xff", "n1ke", "ch@nel", "$amsung", "g u c c i", "Gi\xc3\xa0y th\xe1\xbb\x83 thao",
    };
    const size_t count = sizeof pieces / sizeof pieces[0];
    uint64_t x = 0xD1B54A32D192ED03u;
    char buf[1100];
    for (size_t round = 0; round < 30000; round++) {
        size_t len = 0, want = round % 997 == 0 ? 1000 : round % 300;
        while (len < want) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            /* now and then a NUL byte, which strlen would not give */
            const char *piece = (x >> 3) % 97 == 0 ? "" : pieces[(x >> 11) % count];
            size_t n = *piece ? strlen(piece) : 1;
            memcpy(buf + len, *piece ? piece : "\0", n);
            len += n;
        }
        check_same(buf, len, "hostile round", round);
    }
}

/* Rules 1 to 3 for ASCII input, written as plainly as the rules read: the
 * reference shares rule 3's code with the fast path, this does not. */
static size_t plain_ascii(const char *in, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {   /* rules 1 and 2 */
        char c = in[i], lower = (char)(c | 0x20);
        int letter = lower >= 'a' && lower <= 'z', keep = letter || (c >= '0' && c <= '9') || c == '@' || c == '$';
        if (keep)
            out[o++] = letter ? lower : c;
        else if (o && out[o - 1] != ' ')
            out[o++] = ' ';
    }
    for (size_t ts = 0; ts < o;) {   /* rule 3, token by token */
        size_t te = ts;
        while (te < o && out[te] != ' ')
            te++;
        size_t letters = 0;
        for (size_t k = ts; k < te; k++)
            letters += out[k] >= 'a' && out[k] <= 'z';
        for (size_t k = ts; k < te;) {
            int digit = out[k] >= '0' && out[k] <= '9', symbol = out[k] == '@' || out[k] == '$';
            size_t r = k + 1;
            while (r < te && (digit ? out[r] >= '0' && out[r] <= '9' : symbol && (out[r] == '@' || out[r] == '$')))
                r++;
            if (digit && letters >= 3 && r - k == 1 && strchr("01345", out[k]))
                out[k] = "oi.eas"[out[k] - '0'];
            else if (symbol)
                for (size_t q = k; q < r; q++)
                    out[q] = letters >= 3 && r - k == 1 ? (out[q] == '@' ? 'a' : 's') : ' ';
            k = r;
        }
        ts = te + 1;
    }
    size_t n = 0;   /* rule 2 again, after the symbols that became spaces */
    for (size_t i = 0; i < o; i++)
        if (out[i] != ' ' || (n && out[n - 1] != ' '))
            out[n++] = out[i];
    while (n && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
    return n;
}

Test(normalize, rule_3_against_a_plain_implementation)
{
    /* tokens of every length around 16 bytes, numbers, letters, '@' and
     * '$' alone and in runs, at the start, the end and far from both */
    static const char *pieces[] = {"a", "B", "z", "0", "1", "2", "3", "4", "5", "6", "9", "@", "$", "@@", "$$",
                                   " ", "  ", ".", "-", "n1ke", "ch@nel", "$amsung", "0978287474",
                                   "iphone15", "2tr5", "ab", "abcdefghijklmnopq", "12345678901234567890"};
    const size_t count = sizeof pieces / sizeof pieces[0];
    uint64_t x = 0x94D049BB133111EBu;
    char buf[400], want[400];
    for (size_t round = 0; round < 30000; round++) {
        size_t len = 0, target = round % 120;
        while (len < target) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            const char *piece = pieces[(x >> 11) % count];
            memcpy(buf + len, piece, strlen(piece));
            len += strlen(piece);
        }
        buf[len] = '\0';
        plain_ascii(buf, len, want);
        cr_assert_eq(normalize_text(norm, buf, len, &out, NULL), 0);
        cr_assert_str_eq(out.text, want, "input \"%s\"", buf);
        cr_assert_eq(normalize_text_portable(norm, buf, len, &portable, NULL), 0);
        cr_assert_str_eq(portable.text, want, "input \"%s\" (portable path)", buf);
    }
}

/* ---- threads ------------------------------------------------------------ */

static void *normalize_in_thread(void *arg)
{
    normalized_text t;
    normalized_text_init(&t);
    const char *s = arg;
    int same = 1;
    for (int i = 0; i < 2000; i++) {
        same &= normalize_text(norm, s, strlen(s), &t, NULL) == 0;
        same &= strcmp(t.text, "dong ho rolex nike chanel") == 0;
    }
    normalized_text_free(&t);
    return (void *)(intptr_t)same;
}

Test(normalize, one_normalizer_shared_by_threads)
{
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, normalize_in_thread,
                                    "Đồng hồ ROLEX, N1ke & ch@nel!"), 0);
    for (int i = 0; i < 4; i++) {
        void *same;
        pthread_join(th[i], &same);
        cr_expect_eq((intptr_t)same, 1, "thread %d", i);
    }
}
