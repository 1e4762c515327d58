/* Issue 14, capability 12 (docs/rules.md, "Hashtags and abbreviations"):
 * the #tags zone a condition can require or exclude, tags split where
 * their writer split them or run together, and the chat abbreviation view
 * with offsets into the original text. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/base/bytebuf.h"
#include "rules/pack.h"
#include "rules/ruleset.h"
#include "tests/harness.h"
#include "rules/text/abbrev.h"

static const char head[] =
    "pack: test-chat\n"
    "version: \"1\"\n"
    "lists:\n"
    "  slang: [\"hàng rep\", \"hàng f1\", \"fake\", \"siêu cấp\", \"không chính hãng\"]\n"
    "  piracy: [\"tài khoản dùng chung\"]\n"
    "rules:\n"
    "  - id: tm.zorvik\n"
    "    kind: trademark\n"
    "    name: Zorvik\n"
    "    terms: [\"zorvik\", \"kavessi\"]\n"
    "    flag:\n"
    "      any:\n"
    "        - list: slang\n"
    "        - hashtags: only\n"
    "  - id: cr.streamo\n"
    "    kind: copyright\n"
    "    name: Streamo\n"
    "    terms: [\"streamo\"]\n"
    "    flag:\n"
    "      all:\n"
    "        - list: piracy\n"
    "        - hashtags: none\n";

static ruleset *compile(const char *extra, diagnostics *diag, bool no_chat)
{
    ruleset_options options = {.no_chat = no_chat};
    return harness_compile_pack("chat.yaml", (const char *const[]){head, extra, NULL}, &options, diag);
}

typedef struct example {
    const char *title, *description;
    bool fires;
    const char *signal_text;     /* when set: some signal's span holds exactly these original bytes */
} example;

static void check_with(const char *extra, const example *examples, size_t count, bool no_chat)
{
    diagnostics diag;
    diagnostics_init(&diag);
    ruleset *rs = compile(extra, &diag, no_chat);
    for (size_t i = 0; i < diag.count; i++)
        cr_log_error("%s", diag.messages[i]);
    cr_assert_not_null(rs);
    diagnostics_free(&diag);
    ruleset_scratch *s;
    cr_assert_eq(ruleset_scratch_create(rs, &s), 0);
    for (size_t i = 0; i < count; i++) {
        const example *e = &examples[i];
        listing_facts l = {.platform = "shopee", .listing_id = "1", .title = e->title, .title_length = strlen(e->title),
                           .description = e->description,
                           .description_length = e->description ? strlen(e->description) : 0};
        match_result r;
        cr_assert_eq(ruleset_match(rs, s, &l, &r), 0);
        cr_expect_eq(r.rule_count > 0, e->fires, "\"%s\" / \"%s\": expected %s", e->title,
                     e->description ? e->description : "", e->fires ? "a flag" : "no flag");
        if (e->signal_text && r.rule_count) {
            bool found = false;
            for (size_t k = 0; k < r.signal_count && !found; k++) {
                const match_signal *sg = &r.signals[k];
                const char *text = sg->field == FIELD_TITLE ? e->title : e->description;
                found = sg->has_span && text && sg->end - sg->start == strlen(e->signal_text) &&
                        !memcmp(text + sg->start, e->signal_text, sg->end - sg->start);
            }
            cr_expect(found, "\"%s\": no signal on \"%s\"", e->title, e->signal_text);
        }
    }
    ruleset_scratch_destroy(s);
    ruleset_destroy(rs);
}

#define CHECK(no_chat, ...)                                                                                            \
    do {                                                                                                               \
        static const example examples_[] = {__VA_ARGS__};                                                              \
        check_with("", examples_, sizeof examples_ / sizeof examples_[0], no_chat);                                    \
    } while (0)

/* CHECK against the head pack plus `extra` (more rules, appended to its list). */
#define CHECK_EXTRA(extra, no_chat, ...)                                                                               \
    do {                                                                                                               \
        static const example examples_[] = {__VA_ARGS__};                                                              \
        check_with(extra, examples_, sizeof examples_ / sizeof examples_[0], no_chat);                                 \
    } while (0)

Test(abbreviations, chat_abbreviations_read_as_the_words_they_stand_for)
{
    CHECK(false,
          {.title = "Zorvik Air Run hg rep 1-1", .fires = true, .signal_text = "hg rep"},
          {.title = "Zorvik Air Run hàng rep 1-1", .fires = true, .signal_text = "hàng rep"},
          {.title = "Zorvik Air Run HG F1", .fires = true, .signal_text = "HG F1"},
          {.title = "giay zorvik court hang ko chinh hang", .fires = true, .signal_text = "ko chinh hang"},
          {.title = "Giày Zorvik sc", .fires = true, .signal_text = "sc"},
          {.title = "Giày Zorvik sc 1:1", .fires = true, .signal_text = "sc"},
          /* before a number "sc" is a model code, not "siêu cấp" */
          {.title = "Máy khoan Zorvik SC-1200 công suất lớn", .fires = false},
          {.title = "Zorvik SC 300 chính hãng", .fires = false},
          {.title = "Zorvik SC-1200, hàng sc", .fires = true, .signal_text = "sc"},
          {.title = "Giày Zorvik hg chính hãng", .fires = false},
          /* a disclaimer in chat is still a disclaimer */
          {.title = "Giày Zorvik chính hãng", .description = "ko bán hg rep", .fires = false},
          {.title = "Tài khoản Streamo tk dùng chung", .fires = true, .signal_text = "tk dùng chung"});
    /* without the chat views the abbreviations are not read */
    CHECK(true,
          {.title = "Zorvik Air Run hg rep 1-1", .fires = false},
          {.title = "Tài khoản Streamo tk dùng chung", .fires = false});
}

/* Robustness under teencode (tests/eval/perturb): the southern "hông", the
 * chat "k" and "dc"/"đc" read where "không" and "được" are, in cues,
 * negations and patterns alike; the hip ("túi đeo hông"), pink ("hồng"),
 * prices ("50 k") and direct current ("DC 12V") are not read so. */
Test(abbreviations, teencode_negators_read_as_khong)
{
    CHECK(false,
          /* a disclaimer with the southern "hông" or the chat "k" */
          {.title = "Giày Zorvik chính hãng - shop hông bán hàng rep", .fires = false},
          {.title = "Giày Zorvik chính hãng", .description = "Hông phải hàng f1 đâu ạ", .fires = false},
          {.title = "Giày Zorvik chính hãng", .description = "k phải hàng f1 đâu ạ", .fires = false},
          /* an admission in teencode is an admission ("không chính hãng" is a cue) */
          {.title = "Giày Zorvik hàng hông chính hãng", .fires = true, .signal_text = "hông chính hãng"},
          {.title = "Giày Zorvik hàng k chính hãng", .fires = true, .signal_text = "k chính hãng"},
          {.title = "Giày Zorvik giá 120k. k chính hãng", .fires = true, .signal_text = "k chính hãng"},
          {.title = "GIÀY ZORVIK - CAM KẾT K PHẢI HÀNG REP", .fires = false},
          {.title = "Giày Zorvik size 42 (k phải hàng rep)", .fires = false},
          {.title = "Giày Zorvik K hàng rep", .fires = true},
          {.title = "VIÊN UỐNG ZORVIK VITAMIN K CHÍNH HÃNG", .fires = false},
          {.title = "Zorvik vitamin k chính hãng", .fires = false},
          /* asked and answered no with the chat "k" */
          {.title = "Giày Zorvik hàng rep? k, chính hãng có bill", .fires = false},
          /* the hip, pink, a price: no negator */
          {.title = "Túi đeo hông Zorvik hàng rep", .fires = true},
          {.title = "Giày Zorvik hồng hàng rep", .fires = true},
          {.title = "Giày Zorvik hong hàng rep", .fires = true},
          /* unmarked "hong" before "phai" is "không phải"; not after "màu" (pink) */
          {.title = "giay chay bo nam - hong phai zorvik hang rep", .description = "x", .fires = false},
          {.title = "giay zorvik chinh hang - hong phai hang rep", .fires = false},
          {.title = "giay zorvik mau hong phai hang rep", .fires = true},
          {.title = "tat the thao - hong dung logo zorvik, hang rep", .fires = false},
          {.title = "giay zorvik hong hang rep", .fires = true},
          {.title = "Giày Zorvik 50 k hàng rep", .fires = true});
}

static const char pattern_rule[] =
    "  - id: tm.velonix\n"
    "    kind: trademark\n"
    "    name: Velonix\n"
    "    terms: [\"velonix\"]\n"
    "    flag:\n"
    "      pattern: '\\b(khong phai|chua duoc cap) hang chinh hang\\b'\n"
    "  - id: tm.velonix-repair\n"
    "    kind: trademark\n"
    "    name: Velonix repair\n"
    "    terms: [\"velonix\"]\n"
    "    flag:\n"
    "      pattern: '^sua khong lay tien\\b'\n";

Test(abbreviations, patterns_read_the_abbreviation_view)
{
    CHECK_EXTRA(pattern_rule, false,
                {.title = "Velonix X9 không phải hàng chính hãng", .fires = true},
                {.title = "Velonix X9 ko phải hàng chính hãng", .fires = true},
                {.title = "Velonix X9 hông phải hàng chính hãng", .fires = true},
                {.title = "Velonix X9 k phải hàng chính hãng", .fires = true},
                {.title = "Velonix X9 chưa đc cấp hàng chính hãng", .fires = true},
                {.title = "Velonix X9 chưa dc cấp hàng chính hãng", .fires = true},
                {.title = "Velonix X9 hàng chính hãng", .fires = false},
                /* "DC 12V" is direct current, never "được" */
                {.title = "Velonix X9 chưa DC 12V cấp hàng chính hãng", .fires = false},
                /* '^' is the field's start, not an abbreviation window's */
                {.title = "Sửa ko lấy tiền. Máy Velonix X9", .fires = true},
                {.title = "Velonix X9 một hai ba bốn năm sáu bảy sửa ko lấy tiền", .fires = false});
    /* without the chat views the pattern reads the main view only */
    CHECK_EXTRA(pattern_rule, true,
                {.title = "Velonix X9 ko phải hàng chính hãng", .fires = false},
                {.title = "Velonix X9 không phải hàng chính hãng", .fires = true});
}

Test(hashtags, a_name_only_in_hashtags_is_keyword_stuffing)
{
    CHECK(false,
          {.title = "Giày thể thao nam nữ", .description = "Giày đẹp giá rẻ #zorvik #giaythethao", .fires = true,
           .signal_text = "zorvik"},
          {.title = "Giày chạy bộ #Zorvik", .fires = true},
          /* split where the writer split it: case, '_', digits */
          {.title = "Giày #ZorvikAirRun trắng", .fires = true, .signal_text = "Zorvik"},
          {.title = "Giày #zorvik_airrun trắng", .fires = true},
          /* the name outside the tags too: no stuffing */
          {.title = "Giày Zorvik Air Run chính hãng #zorvik #auth", .fires = false},
          /* an accessory's tags name what it fits */
          {.title = "Dây giày phản quang #zorvik #giay", .fires = false},
          {.title = "Kính cường lực #zorvik", .fires = false},
          /* sunglasses are the goods, not an accessory */
          {.title = "Kính mát thời trang chống UV #Zorvik #freeship", .fires = true},
          /* run into another word: found, but no stuffing by itself */
          {.title = "Túi tote vải #kavessistyle", .fires = false},
          {.title = "Túi #kavessininon mini", .description = "Hàng siêu cấp", .fires = true},
          /* a cue inside a tag counts where the tag was written apart, not where it runs together */
          {.title = "Serum Zorvik dưỡng da", .description = "#hangF1", .fires = true, .signal_text = "hangF1"},
          {.title = "Giày Zorvik chính hãng #nofake", .fires = false},
          {.title = "Giày Zorvik chính hãng #no_fake", .fires = true},
          /* '#' inside a word or before a separator is no tag */
          {.title = "Giày Zorvik size#42", .fires = false},
          {.title = "Giày Zorvik # sale", .fires = false});
}

Test(hashtags, none_excludes_the_tags)
{
    CHECK(false,
          {.title = "Streamo tài khoản dùng chung giá rẻ", .fires = true},
          {.title = "Phim hay tài khoản dùng chung", .description = "#streamo", .fires = false});
}

Test(abbreviations, the_table_and_the_views_keep_offsets)
{
    cr_expect_str_eq(abbrev_lookup("ko", 2), "khong");
    cr_expect_str_eq(abbrev_lookup("hg", 2), "hang");
    cr_expect_str_eq(abbrev_lookup("sc", 2), "sieu cap");
    cr_expect_null(abbrev_lookup("k", 1), "'k' is also a price's thousands: left to the negation reader");
    cr_expect_null(abbrev_lookup("hong", 4), "'hồng' is pink");
    cr_expect_null(abbrev_lookup("kg", 2));
    cr_expect_null(abbrev_lookup("nike", 4));
    cr_expect_str_eq(abbrev_lookup("dc", 2), "duoc");
    cr_expect_str_eq(ABBREV_TABLE_VERSION, "2026.12.3");

    char error[256];
    normalizer *n;
    cr_assert_eq(normalizer_create(&n, error, sizeof error), 0, "%s", error);
    normalized_text main_view, view;
    normalized_text_init(&main_view);
    normalized_text_init(&view);
    const char *text = "Hàg đẹp, KO fake";
    cr_assert_eq(normalize_text(n, text, strlen(text), &main_view, NULL), 0);
    cr_assert_eq(abbrev_expand(&main_view, NULL, 0, &view), 2);
    cr_expect_str_eq(view.text, "hang dep khong fake");
    /* "khong" points at "KO" */
    const char *k = strstr(view.text, "khong");
    size_t at = (size_t)(k - view.text);
    cr_expect_eq(view.source_start[at], (uint32_t)(strstr(text, "KO") - text));
    cr_expect_eq(view.source_end[at + 4], (uint32_t)(strstr(text, "KO") - text + 2));
    /* only the words around an abbreviation are written */
    const char *longer = "một hai ba bốn năm sáu bảy tám chín mười hg fake một hai ba bốn năm sáu bảy tám ko xịn";
    cr_assert_eq(normalize_text(n, longer, strlen(longer), &main_view, NULL), 0);
    cr_assert_eq(abbrev_expand(&main_view, NULL, 0, &view), 2);
    cr_expect_str_eq(view.text, "nam sau bay tam chin muoi hang fake mot hai ba bon nam sau bay tam khong xin");
    const char *apart = "hg a b c d e f g h i j k l m n o p q r s t ko";
    cr_assert_eq(normalize_text(n, apart, strlen(apart), &main_view, NULL), 0);
    cr_assert_eq(abbrev_expand(&main_view, NULL, 0, &view), 2);
    cr_expect_str_eq(view.text, "hang a b c d e f\no p q r s t khong");
    const char *model = "Máy SC-1200, sc 300 và SC 1:1";
    cr_assert_eq(normalize_text(n, model, strlen(model), &main_view, NULL), 0);
    cr_assert_eq(abbrev_expand(&main_view, NULL, 0, &view), 1);
    cr_expect(strstr(view.text, "sieu cap 1 1") && !strstr(view.text, "sieu cap 1200") &&
                  !strstr(view.text, "sieu cap 300"), "%s", view.text);
    const char *plain = "Giày thể thao nam";
    cr_assert_eq(normalize_text(n, plain, strlen(plain), &main_view, NULL), 0);
    cr_expect_eq(abbrev_expand(&main_view, NULL, 0, &view), 0);
    cr_expect_eq(view.length, 0);
    /* with the original: the chat "k" and the southern "hông" (not the hip, pink, a price, "K+") */
    const char *chat = "Túi đeo hông, hông phải fake, k bán rep, hồng nhạt, 50 k, K+ xịn, đc cấp, DC 12V, k, ok";
    cr_assert_eq(normalize_text(n, chat, strlen(chat), &main_view, NULL), 0);
    cr_expect_eq(abbrev_expand(&main_view, NULL, 0, &view), 1, "%s", view.text); /* "đc" only */
    cr_assert_eq(abbrev_expand_text(&main_view, NULL, 0, chat, &view), 3);
    cr_expect_str_eq(view.text, "tui deo hong khong phai fake khong ban rep hong nhat 50 k k xin duoc cap dc 12v k ok");
    const char *hong = strstr(view.text, "khong phai");
    cr_expect_eq(view.source_start[hong - view.text], (uint32_t)(strstr(chat, "hông phải") - chat));
    cr_expect(abbrev_written_hong("hông", 0, (uint32_t)strlen("hông")));
    cr_expect(abbrev_written_hong("Ho\xcc\x82ng", 0, 6), "NFD");
    cr_expect(!abbrev_written_hong("hồng", 0, (uint32_t)strlen("hồng")));
    cr_expect(!abbrev_written_hong("hong", 0, 4));

    const char *tags = "Son #LumoraLipCare và #son_re #abcd x#y #rep11 #hangF1";
    hashtag_spans spans;
    size_t variants_from;
    cr_assert_eq(normalize_text(n, tags, strlen(tags), &main_view, NULL), 0);
    cr_assert_eq(hashtag_view(&main_view, tags, strlen(tags), &spans, &view, &variants_from), 5);
    cr_expect_eq(spans.start[0], (uint32_t)(strchr(tags, '#') - tags));
    cr_expect(!strncmp(view.text, "lumora lip care son re abcd rep 11 hang f1 ", variants_from), "%s", view.text);
    cr_expect(strstr(view.text + variants_from, "lumora lipcare") != NULL, "%s", view.text);
    cr_expect(strstr(view.text + variants_from, "ab cd") != NULL, "%s", view.text);
    normalized_text_free(&main_view);
    normalized_text_free(&view);
    normalizer_destroy(n);
}

Test(errors, a_bad_hashtags_mode_is_named)
{
    diagnostics diag;
    diagnostics_init(&diag);
    ruleset *rs = compile("  - {id: a, kind: trademark, name: A, terms: [a1], flag: {hashtags: maybe}}\n", &diag, false);
    cr_expect_null(rs);
    ruleset_destroy(rs);
    bool found = false;
    for (size_t i = 0; i < diag.count; i++)
        found |= strstr(diag.messages[i], "chat.yaml:23:") && strstr(diag.messages[i], "hashtags must be only, some or none");
    cr_expect(found, "%s", diag.count ? diag.messages[0] : "no message");
    diagnostics_free(&diag);
}

/* Sellers are hostile: generated texts of tags, digits, units, slashes,
 * separators and multi-byte letters, with every new view on, never read or
 * point outside the text. */
Test(hostile, generated_texts_keep_every_span_inside_the_text)
{
    static const char *const pieces[] = {"#", "##", "#_", "_", "Zorvik", "zorvik", "kavessi", "#Kavessi", "F1", "1",
                                         "800", "g", "kg", "/", "/kg", ".", ",", "x", "x2", "3", "lon", "combo",
                                         "tháng", "năm", "viên", "hg", "ko", "sc", "tk", " ", " ", "  ", "\xC3",
                                         "\xF0\x9F\x98\x80", "Ư", "đ", "12tr", "k", "ạ", "\n", "#hangF1", "9999999999"};
    diagnostics diag;
    diagnostics_init(&diag);
    ruleset *rs = compile("  - id: tm.unit\n"
                          "    kind: trademark\n"
                          "    name: Unit\n"
                          "    terms: [\"zorvik\"]\n"
                          "    reference_price: 100000\n"
                          "    unit: \"800 g\"\n"
                          "    models:\n"
                          "      - {terms: [\"kavessi\"], reference_price: 200000, unit: \"1 month\"}\n"
                          "    flag:\n"
                          "      any:\n"
                          "        - price_below: 0.9\n"
                          "        - hashtags: some\n",
                          &diag, false);
    cr_assert_not_null(rs);
    diagnostics_free(&diag);
    ruleset_scratch *s;
    cr_assert_eq(ruleset_scratch_create(rs, &s), 0);
    uint64_t state = 0x9E3779B97F4A7C15ull;
    char text[600];
    size_t fired = 0;
    for (int round = 0; round < 3000; round++) {
        size_t n = 0;
        int count = 1 + (int)(state % 40);
        for (int i = 0; i < count; i++) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            const char *p = pieces[(state >> 33) % (sizeof pieces / sizeof *pieces)];
            size_t m = strlen(p);
            if (n + m >= sizeof text)
                break;
            memcpy(text + n, p, m);
            n += m;
        }
        text[n] = '\0';
        listing_facts l = {.platform = "shopee", .listing_id = "1", .title = text, .title_length = n,
                           .description = text, .description_length = n, .has_price = true, .price = 50000};
        match_result r;
        cr_assert_eq(ruleset_match(rs, s, &l, &r), 0);
        fired += r.rule_count > 0;
        for (size_t k = 0; k < r.hit_count; k++)
            cr_assert(r.hits[k].start < r.hits[k].end && r.hits[k].end <= n, "hit [%u,%u) in \"%s\"", r.hits[k].start,
                      r.hits[k].end, text);
        for (size_t k = 0; k < r.signal_count; k++) {
            const match_signal *sg = &r.signals[k];
            cr_assert(!sg->has_span || (sg->start <= sg->end && sg->end <= n), "signal [%u,%u) in \"%s\"", sg->start,
                      sg->end, text);
            cr_assert(memchr(sg->quantity, '\0', sizeof sg->quantity) != NULL);
        }
        bytebuf out;
        bytebuf_init(&out, 0);
        cr_assert_eq(ruleset_explain(rs, s, &l, &out), 0);
        bytebuf_free(&out);
    }
    cr_expect(fired > 100, "the generated texts fire the rule sometimes (%zu of 3000)", fired);
    ruleset_scratch_destroy(s);
    ruleset_destroy(rs);
}
