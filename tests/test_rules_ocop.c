/* Issue 14, capability 1 (docs/rules.md, "Rated labels: claims and mentions"):
 * the label next to a level in either order, ranges and lists, compared with
 * the registered level and a valid range; mentions that claim nothing; the
 * fallback of a programme-level rule; explain; pack errors. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/base/bytebuf.h"
#include "rules/label_claim.h"
#include "rules/pack.h"
#include "rules/ruleset.h"
#include "tests/harness.h"
#include "scanner/record/flag.h"

static const char head[] =
    "pack: test-ocop\n"
    "version: \"1\"\n"
    "rules:\n"
    "  - id: ocop.mat-ong\n"
    "    kind: ocop\n"
    "    name: \"Mật ong Phìn Sáng\"\n"
    "    terms: [\"mật ong phìn sáng\"]\n"
    "    rated_level: 4\n"
    "    flag:\n"
    "      label_claim: {label: OCOP, above: rated_level, outside: [3, 5]}\n"
    "  - id: ocop.tra\n"
    "    kind: ocop\n"
    "    name: \"Trà mãng cầu Hạ Lương\"\n"
    "    terms: [\"trà mãng cầu hạ lương\"]\n"
    "    rated_level: 3\n"
    "    flag:\n"
    "      label_claim: {above: rated_level}\n"
    "  - id: ocop.claim\n"
    "    kind: ocop\n"
    "    name: \"Tự nhận sao OCOP\"\n"
    "    terms: [\"ocop\"]\n"
    "    fallback: true\n"
    "    flag:\n"
    "      label_claim: {label: ocop}\n";

static ruleset *compile(const char *yaml_text, diagnostics *diag)
{
    return harness_compile_pack("ocop.yaml", (const char *const[]){yaml_text, NULL}, NULL, diag);
}

typedef struct example {
    const char *title, *description;
    const char *rule;            /* the one rule expected to fire, NULL: none */
    const char *signal_text;     /* when set: the label_claim signal's span holds exactly these original bytes */
    const char *value;           /* when set: the signal's value ("5 > 4") */
} example;

static void check_in(const char *pack_yaml, const example *examples, size_t count)
{
    diagnostics diag;
    diagnostics_init(&diag);
    ruleset *rs = compile(pack_yaml, &diag);
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
        const char *fired = r.rule_count ? ruleset_rule(rs, r.rules[0])->id : NULL;
        cr_expect(r.rule_count <= 1, "\"%s\": %zu rules fired", e->title, r.rule_count);
        cr_expect((!fired && !e->rule) || (fired && e->rule && !strcmp(fired, e->rule)),
                  "\"%s\" / \"%s\": expected %s, got %s", e->title, e->description ? e->description : "",
                  e->rule ? e->rule : "no flag", fired ? fired : "no flag");
        if (!fired || !e->rule)
            continue;
        const match_signal *sg = NULL;
        for (size_t k = 0; k < r.signal_count && !sg; k++)
            if (r.signals[k].type == SIGNAL_LABEL_CLAIM)
                sg = &r.signals[k];
        cr_expect_not_null(sg, "\"%s\": no label_claim signal", e->title);
        if (!sg)
            continue;
        const char *text = sg->field == FIELD_TITLE ? e->title : e->description;
        if (e->signal_text)
            cr_expect(sg->has_span && sg->end - sg->start == strlen(e->signal_text) &&
                          !memcmp(text + sg->start, e->signal_text, sg->end - sg->start),
                      "\"%s\": the signal spans \"%.*s\", expected \"%s\"", e->title, (int)(sg->end - sg->start),
                      text + sg->start, e->signal_text);
        if (e->value)
            cr_expect_str_eq(sg->claim, e->value, "\"%s\"", e->title);
    }
    ruleset_scratch_destroy(s);
    ruleset_destroy(rs);
}

static void check(const example *examples, size_t count)
{
    check_in(head, examples, count);
}

#define CHECK(...)                                                                                                     \
    do {                                                                                                               \
        static const example examples_[] = {__VA_ARGS__};                                                             \
        check(examples_, sizeof examples_ / sizeof examples_[0]);                                                       \
    } while (0)

#define CHECK_IN(yaml, ...)                                                                                            \
    do {                                                                                                               \
        static const example examples_[] = {__VA_ARGS__};                                                             \
        check_in(yaml, examples_, sizeof examples_ / sizeof examples_[0]);                                              \
    } while (0)

Test(claims, the_label_and_a_level_in_either_order)
{
    CHECK({.title = "Mật ong Phìn Sáng OCOP 5 sao", .rule = "ocop.mat-ong", .signal_text = "OCOP 5 sao", .value = "5 > 4"},
          {.title = "Mật ong Phìn Sáng 5 sao OCOP quốc gia", .rule = "ocop.mat-ong", .signal_text = "5 sao OCOP"},
          {.title = "Mật ong Phìn Sáng đạt chuẩn 5 sao OCOP", .rule = "ocop.mat-ong"},
          {.title = "Mật ong Phìn Sáng OCOP hạng 5 sao", .rule = "ocop.mat-ong"},
          {.title = "mat ong phin sang ocop 5 sao", .rule = "ocop.mat-ong"},
          {.title = "Mật ong Phìn Sáng OCOP 5", .rule = "ocop.mat-ong"},
          {.title = "Mật ong Phìn Sáng OCOP 5⭐", .rule = "ocop.mat-ong", .signal_text = "OCOP 5⭐"},
          {.title = "Mật ong Phìn Sáng OCOP 5*", .rule = "ocop.mat-ong"},
          {.title = "Mật ong Phìn Sáng OCOP ★★★★★", .rule = "ocop.mat-ong", .signal_text = "OCOP ★★★★★"},
          {.title = "Mật ong Phìn Sáng ★★★★★ OCOP", .rule = "ocop.mat-ong"},
          {.title = "Mật ong Phìn Sáng năm sao OCOP", .rule = "ocop.mat-ong"},
          {.title = "Mật ong Phìn Sáng", .description = "Sản phẩm đạt 5 sao OCOP.", .rule = "ocop.mat-ong",
           .signal_text = "5 sao OCOP"});
}

Test(claims, ranges_and_lists_claim_their_highest_level)
{
    CHECK({.title = "Mật ong Phìn Sáng OCOP 4-5 sao", .rule = "ocop.mat-ong", .value = "5 > 4"},
          {.title = "Mật ong Phìn Sáng OCOP 4 - 5 sao", .rule = "ocop.mat-ong"},
          {.title = "Mật ong Phìn Sáng OCOP 4, 5 sao", .rule = "ocop.mat-ong"},
          {.title = "Mật ong Phìn Sáng OCOP 4 đến 5 sao", .rule = "ocop.mat-ong"},
          {.title = "Mật ong Phìn Sáng 3-4 sao OCOP", .rule = NULL},
          {.title = "Trà mãng cầu Hạ Lương OCOP 3-4 sao", .rule = "ocop.tra", .value = "4 > 3"},
          {.title = "Trà mãng cầu Hạ Lương OCOP 3, 4 sao", .rule = "ocop.tra"});
}

Test(claims, at_above_and_outside_the_registered_level)
{
    CHECK({.title = "Mật ong Phìn Sáng OCOP 4 sao", .rule = NULL},
          {.title = "Mật ong Phìn Sáng OCOP 3 sao", .rule = NULL},
          {.title = "Mật ong Phìn Sáng OCOP 6 sao", .rule = "ocop.mat-ong", .value = "6 outside 3-5"},
          {.title = "Mật ong Phìn Sáng OCOP 1 sao", .rule = "ocop.mat-ong", .value = "1 outside 3-5"},
          /* the tea's rule tests only above: 6 is above 3 */
          {.title = "Trà mãng cầu Hạ Lương OCOP 6 sao", .rule = "ocop.tra", .value = "6 > 3"},
          {.title = "Trà mãng cầu Hạ Lương OCOP 3 sao", .rule = NULL},
          /* the registered level in the text, a higher one in the shop's rating: not a claim */
          {.title = "Trà mãng cầu Hạ Lương - khách đánh giá 5 sao",
           .description = "Sản phẩm OCOP 3 sao của tỉnh. Shop được khách đánh giá 5 sao trên sàn.", .rule = NULL});
}

Test(mentions, each_kind_of_mention_is_no_claim)
{
    CHECK({.title = "Mật ong Phìn Sáng - đang đăng ký OCOP 5 sao", .rule = NULL},
          {.title = "Mat ong Phin Sang dang dang ky OCOP 5 sao", .rule = NULL},
          {.title = "Mật ong Phìn Sáng chưa được xếp hạng OCOP 5 sao", .rule = NULL},
          {.title = "Mật ong Phìn Sáng (chờ xếp hạng OCOP 5 sao)", .rule = NULL},
          {.title = "Mật ong Phìn Sáng", .description = "Hồ sơ dự thi OCOP 5 sao năm nay.", .rule = NULL},
          {.title = "Mật ong Phìn Sáng mục tiêu OCOP 5 sao", .rule = NULL},
          {.title = "Cẩm nang chương trình OCOP 3, 4, 5 sao", .rule = NULL},
          {.title = "Tài liệu về chương trình OCOP", .description = "Tiêu chí OCOP 5 sao.", .rule = NULL},
          {.title = "Kệ gỗ trưng bày sản phẩm OCOP 5 sao", .rule = NULL},
          {.title = "Ke go trung bay san pham OCOP 3 tang", .rule = NULL},
          {.title = "Hội chợ OCOP Tây Bắc 2025", .description = "Hơn 300 sản phẩm OCOP 3-5 sao.", .rule = NULL},
          {.title = "Triển lãm sản phẩm OCOP 6 sao", .rule = NULL},
          {.title = "Khách sạn 4 sao tặng quà đặc sản OCOP", .rule = NULL},
          {.title = "Khach san 5 sao OCOP", .rule = NULL},
          {.title = "Giỏ quà Tết", .description = "Gồm các sản phẩm tham gia chương trình OCOP.", .rule = NULL},
          {.title = "Bánh gai nhà làm, không phải OCOP", .rule = NULL},
          /* "sữa chua" (yogurt) is no "chưa" (not yet): its claim stands */
          {.title = "Sữa chua nếp cẩm OCOP 4 sao", .rule = "ocop.claim"});
}

Test(fallback, a_programme_rule_gives_way_to_the_product_rules_of_its_kind)
{
    CHECK({.title = "Cao gừng Bản Mế OCOP 4 sao", .rule = "ocop.claim", .signal_text = "OCOP 4 sao", .value = "4"},
          {.title = "Cao gừng Bản Mế đạt chuẩn 4 sao OCOP", .rule = "ocop.claim"},
          /* a product rule names the listing: the programme rule is quiet, even when the product rule does not fire */
          {.title = "Mật ong Phìn Sáng OCOP 4 sao", .rule = NULL},
          {.title = "Mật ong Phìn Sáng OCOP 5 sao", .rule = "ocop.mat-ong"},
          /* named only in a disclaimer: the product rule does not name it */
          {.title = "Mật ong rừng, không phải mật ong Phìn Sáng", .description = "OCOP 4 sao", .rule = "ocop.claim"});
}

/* "3 sao cấp tỉnh", "5 sao cấp quốc gia": the council a claim names; a level it cannot give */
Test(scope, a_qualified_claim_outside_its_councils_levels_counts)
{
    static const char scoped[] = "pack: test-ocop\n"
                                 "version: \"1\"\n"
                                 "rules:\n"
                                 "  - id: ocop.scope\n"
                                 "    kind: ocop\n"
                                 "    name: \"Hạng sao OCOP không đúng cấp\"\n"
                                 "    terms: [\"ocop\"]\n"
                                 "    flag:\n"
                                 "      label_claim: {label: ocop, provincial: [3, 4], national: [5, 5]}\n";
    CHECK_IN(scoped,
             {"Mật ong hoa nhãn OCOP 5 sao cấp tỉnh", NULL, "ocop.scope", "OCOP 5 sao", "5 provincial outside 3-4"},
             {"Mật ong hoa nhãn OCOP cấp tỉnh 5 sao", NULL, "ocop.scope", "OCOP cấp tỉnh 5 sao", NULL},
             {"Mật ong hoa nhãn 5 sao OCOP cấp tỉnh", NULL, "ocop.scope", "5 sao OCOP", "5 provincial outside 3-4"},
             {"Mật ong OCOP 5 sao (cấp tỉnh), hũ 500ml", NULL, "ocop.scope", NULL, NULL},
             {"mat ong ocop 5 sao cap tinh", NULL, "ocop.scope", NULL, NULL},
             {"Chè búp OCOP 3 sao cấp trung ương", NULL, "ocop.scope", NULL, "3 national outside 5-5"},
             {"Chè búp OCOP 4 sao cấp quốc gia", NULL, "ocop.scope", NULL, NULL},
             /* the level further on, qualified: read as the label's */
             {"Mật ong OCOP của HTX Tân Cương đạt 5 sao cấp tỉnh", NULL, "ocop.scope",
              "OCOP của HTX Tân Cương đạt 5 sao", NULL},
             /* at a level the council gives, unqualified, or other stars */
             {"Mật ong hoa nhãn OCOP 4 sao cấp tỉnh", NULL, NULL, NULL, NULL},
             {"Mật ong hoa nhãn OCOP 5 sao quốc gia", NULL, NULL, NULL, NULL},
             {"Mật ong hoa nhãn OCOP 5 sao", NULL, NULL, NULL, NULL},
             {"Mật ong OCOP, quà biếu khách sạn 5 sao cấp tỉnh", NULL, NULL, NULL, NULL},
             {"Hồ sơ đăng ký OCOP 5 sao cấp tỉnh", NULL, NULL, NULL, NULL});
    /* the flag's explanation says which council and what it gives */
    diagnostics diag;
    diagnostics_init(&diag);
    ruleset *rs = compile(scoped, &diag);
    cr_assert_not_null(rs);
    diagnostics_free(&diag);
    ruleset_scratch *s;
    cr_assert_eq(ruleset_scratch_create(rs, &s), 0);
    const char *title = "Mật ong hoa nhãn OCOP 5 sao cấp tỉnh";
    listing_facts l = {.platform = "shopee", .listing_id = "1", .title = title, .title_length = strlen(title)};
    match_result r;
    cr_assert_eq(ruleset_match(rs, s, &l, &r), 0);
    for (int en = 0; en < 2; en++) {
        bytebuf words;
        bytebuf_init(&words, 0);
        flag_explain(rs, &l, &r, en ? FLAG_LANGUAGE_ENGLISH : FLAG_LANGUAGE_VIETNAMESE, &words);
        bytebuf_append_char(&words, '\0');
        cr_expect(strstr(words.data, en ? "(level 5 at provincial level, which rates 3-4)"
                                        : "(hạng 5 cấp tỉnh, cấp này chỉ công nhận 3-4 sao)"),
                  "%s", words.data);
        bytebuf_free(&words);
    }
    ruleset_scratch_destroy(s);
    ruleset_destroy(rs);
    /* packs that do not ask keep their reading: outside [3, 5] holds for no 5, qualified or not */
    CHECK({"Mật ong Phìn Sáng OCOP 4 sao cấp tỉnh", NULL, NULL, NULL, NULL},
          {"Mật ong Phìn Sáng OCOP 5 sao cấp quốc gia", NULL, "ocop.mat-ong", "OCOP 5 sao", "5 > 4"});
}

Test(scan, offsets_stay_inside_the_text_and_results_are_bounded)
{
    char error[128];
    normalizer *n;
    cr_assert_eq(normalizer_create(&n, error, sizeof error), 0);
    bytebuf text;
    bytebuf_init(&text, 0);
    for (int i = 0; i < 200; i++)
        bytebuf_append_string(&text, i % 3 ? "OCOP 4-5 sao ★★ " : "ocop4 *** chưa ");
    normalized_text v;
    normalized_text_init(&v);
    cr_assert_eq(normalize_text(n, text.data, text.length, &v, NULL), 0);
    label_claim out[LABEL_CLAIM_MAX];
    size_t count = label_claim_scan(&v, text.data, text.length, "ocop", NULL, out, LABEL_CLAIM_MAX);
    cr_expect_eq(count, LABEL_CLAIM_MAX);
    for (size_t i = 0; i < count; i++)
        cr_expect(out[i].start < out[i].end && out[i].end <= text.length);
    cr_expect_eq(label_claim_scan(&v, text.data, text.length, "ocop", NULL, out, 0), 0);
    normalized_text_free(&v);
    bytebuf_free(&text);
    normalizer_destroy(n);
}

Test(explain, the_claim_and_the_mentions_are_traced)
{
    diagnostics diag;
    diagnostics_init(&diag);
    ruleset *rs = compile(head, &diag);
    cr_assert_not_null(rs);
    diagnostics_free(&diag);
    ruleset_scratch *s;
    cr_assert_eq(ruleset_scratch_create(rs, &s), 0);
    const char *title = "Mật ong Phìn Sáng OCOP 4 sao", *description = "Chưa được xếp hạng OCOP 5 sao trước đây.";
    listing_facts l = {.platform = "shopee", .listing_id = "1", .title = title, .title_length = strlen(title),
                       .description = description, .description_length = strlen(description)};
    bytebuf out;
    bytebuf_init(&out, 0);
    cr_assert_eq(ruleset_explain(rs, s, &l, &out), 0);
    bytebuf_append_char(&out, '\0');
    cr_expect(strstr(out.data, "label_claim ocop: \"OCOP 4 sao\" in the title claims 4, registered 4 => false"), "%s",
              out.data);
    cr_expect(strstr(out.data, "\"OCOP 5 sao\" in the description is a mention (not rated)"), "%s", out.data);
    cr_expect(strstr(out.data, "fallback: rule ocop.mat-ong of the same kind names the listing"), "%s", out.data);
    bytebuf_free(&out);
    title = "Mật ong Phìn Sáng OCOP 5 sao";
    l.title = title;
    l.title_length = strlen(title);
    bytebuf_init(&out, 0);
    cr_assert_eq(ruleset_explain(rs, s, &l, &out), 0);
    bytebuf_append_char(&out, '\0');
    cr_expect(strstr(out.data, "label_claim ocop: \"OCOP 5 sao\" in the title claims 5, registered 4 => true: 5 > 4"),
              "%s", out.data);
    bytebuf_free(&out);
    /* the flag's explanation names the claim and the registered level */
    match_result r;
    cr_assert_eq(ruleset_match(rs, s, &l, &r), 0);
    bytebuf words;
    bytebuf_init(&words, 0);
    flag_explain(rs, &l, &r, FLAG_LANGUAGE_ENGLISH, &words);
    bytebuf_append_char(&words, '\0');
    cr_expect(strstr(words.data, "the claim \"OCOP 5 sao\" (level 5, registered 4)"), "%s", words.data);
    bytebuf_free(&words);
    ruleset_scratch_destroy(s);
    ruleset_destroy(rs);
}

Test(errors, label_claim_mistakes_are_named_with_their_line)
{
    static const struct {
        const char *flag, *rule_extra, *message;
    } cases[] = {
        {"label_claim: {above: rated_level}", "", "ocop.yaml:8:33: above: rated_level needs the rule's rated_level"},
        {"label_claim: {label: \"o cop\"}", "", "label must be one word"},
        {"label_claim: {outside: [5, 3]}", "", "outside: [5, 3] is empty"},
        {"label_claim: {outside: 3}", "", "outside is a range [LOW, HIGH]"},
        {"label_claim: {above: 99}", "", "above"},
        {"label_claim: {level: 3}", "", "unknown field 'level' in label_claim"},
        {"label_claim: {provincial: [4, 3]}", "", "provincial: [4, 3] is empty"},
        {"label_claim: {national: 5}", "", "national is a range [LOW, HIGH]"},
        {"label_claim: {provincial: [0, 4]}", "", "provincial must be a whole number from 1 to 20"},
        {"label_claim: ocop", "", "label_claim is a mapping"},
        {"label_claim: {}", "    rated_level: 0\n", "rated_level"},
        {"label_claim: {}", "    fallback: maybe\n", "fallback"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char yaml[1024];
        snprintf(yaml, sizeof yaml,
                 "pack: t\nversion: \"1\"\nrules:\n  - id: ocop.x\n    kind: ocop\n    name: X\n    terms: [x]\n"
                 "    flag: {%s}\n%s",
                 cases[i].flag, cases[i].rule_extra);
        diagnostics diag;
        diagnostics_init(&diag);
        ruleset *rs = compile(yaml, &diag);
        cr_expect_null(rs, "%s", cases[i].flag);
        ruleset_destroy(rs);
        bool found = false;
        for (size_t k = 0; k < diag.count; k++)
            found |= strstr(diag.messages[k], cases[i].message) != NULL;
        cr_expect(found, "%s: expected \"%s\", got \"%s\"", cases[i].flag, cases[i].message,
                  diag.count ? diag.messages[0] : "nothing");
        diagnostics_free(&diag);
    }
}
