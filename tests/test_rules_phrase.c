/* Issue 14, capabilities 8 and 11 (docs/rules.md, "Phrase tolerance and
 * context" and "Stated origin"): multi-word terms and list phrases with
 * inserted words, two-part names in either order, an ambiguous title that
 * needs context; origin statements read from the text and compared with
 * the region through the province gazetteer, traceable sourcing; and the
 * pack mistakes each of them can make. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/base/bytebuf.h"
#include "rules/pack.h"
#include "rules/ruleset.h"
#include "tests/harness.h"

static const char head[] =
    "pack: test-phrase\n"
    "version: \"1\"\n"
    "lists:\n"
    "  film: [\"phim\", \"link xem\", \"vietsub\", \"thuyết minh\"]\n"
    "  slang: [\"hàng fake loại 1\"]\n"
    "rules:\n";

static ruleset *compile_with(const char *top, const char *rules_yaml, diagnostics *diag)
{
    return harness_compile_pack("phrase.yaml", (const char *const[]){top, head, rules_yaml, NULL}, NULL, diag);
}

static ruleset *compile_ok(const char *top, const char *rules_yaml)
{
    diagnostics diag;
    diagnostics_init(&diag);
    ruleset *rs = compile_with(top, rules_yaml, &diag);
    for (size_t i = 0; i < diag.count; i++)
        cr_log_error("%s", diag.messages[i]);
    cr_assert_not_null(rs, "the pack did not compile");
    diagnostics_free(&diag);
    return rs;
}

typedef struct example {
    const char *title, *description;
    const char *location;
    double price;
    bool fires;
    const char *place;       /* the stated_origin signal's place, when it fires on one */
} example;

static void check_with(const char *top, const char *rules_yaml, const example *examples, size_t count)
{
    ruleset *rs = compile_ok(top, rules_yaml);
    ruleset_scratch *s;
    cr_assert_eq(ruleset_scratch_create(rs, &s), 0);
    for (size_t i = 0; i < count; i++) {
        const example *e = &examples[i];
        listing_facts l = {.platform = "shopee", .listing_id = "1", .title = e->title, .title_length = strlen(e->title),
                           .description = e->description,
                           .description_length = e->description ? strlen(e->description) : 0,
                           .has_price = e->price > 0, .price = e->price, .seller_id = "s1",
                           .seller_location = e->location};
        match_result r;
        cr_assert_eq(ruleset_match(rs, s, &l, &r), 0);
        cr_expect_eq(r.rule_count > 0, e->fires, "\"%s\" / \"%s\" (%s): expected %s", e->title,
                     e->description ? e->description : "", e->location ? e->location : "?",
                     e->fires ? "a flag" : "no flag");
        if (e->place && r.rule_count) {
            const match_signal *origin = NULL;
            for (size_t k = 0; k < r.signal_count && !origin; k++)
                if (r.signals[k].type == SIGNAL_STATED_ORIGIN)
                    origin = &r.signals[k];
            cr_assert_not_null(origin, "\"%s\": no stated_origin signal", e->title);
            cr_expect_str_eq(origin->place, e->place, "\"%s\": stated place", e->title);
            cr_expect(origin->has_span, "\"%s\": the statement has a span", e->title);
        }
    }
    ruleset_scratch_destroy(s);
    ruleset_destroy(rs);
}

static void check(const char *rules_yaml, const example *examples, size_t count)
{
    check_with("", rules_yaml, examples, count);
}

static void refused(const char *top, const char *rules_yaml, const char *message)
{
    diagnostics diag;
    diagnostics_init(&diag);
    ruleset *rs = compile_with(top, rules_yaml, &diag);
    cr_expect_null(rs, "a bad pack compiled");
    bool found = false;
    for (size_t i = 0; i < diag.count; i++)
        found |= strstr(diag.messages[i], message) != NULL;
    cr_expect(found, "no diagnostic containing \"%s\"", message);
    ruleset_destroy(rs);
    diagnostics_free(&diag);
}

#define N(a) (sizeof(a) / sizeof *(a))

/* ---- capability 8: phrase tolerance and context ---- */

static const char buoi[] =
    "  - id: gi.buoi\n"
    "    kind: gi\n"
    "    name: \"Bưởi Hạnh Lâm\"\n"
    "    terms: [\"bưởi hạnh lâm\"]\n"
    "    region: [\"Hạnh Lâm\", \"Nghệ An\"]\n"
    "    gap: 3\n"
    "    either_order: true\n"
    "    flag: {seller_outside_region: true}\n";

Test(phrase, inserted_words_up_to_the_gap)
{
    example e[] = {
        {"Bưởi Hạnh Lâm thùng 10kg", NULL, "Hà Nội", 0, true, NULL},
        {"Bưởi da xanh Hạnh Lâm", NULL, "Hà Nội", 0, true, NULL},
        {"Bưởi quả to ngon Hạnh Lâm", NULL, "Hà Nội", 0, true, NULL},            /* 3 inserted */
        {"Bưởi quả to đặc sản ngon Hạnh Lâm", NULL, "Hà Nội", 0, false, NULL},  /* 5 */
        {"buoi ruot hong hanh lam", NULL, "Hà Nội", 0, true, NULL},             /* without marks */
        {"Bưởi da xanh Bến Tre, về Hạnh Lâm", NULL, "Hà Nội", 0, false, NULL}, /* another clause */
        {"Bưởi da xanh Hạnh Lâm", NULL, "Nghệ An", 0, false, NULL},            /* the seller is inside */
        {"Chè xanh Hạnh Lâm", "Bưởi ngon", "Hà Nội", 0, false, NULL},          /* other field */
    };
    check(buoi, e, N(e));
}

Test(phrase, either_order_within_the_window)
{
    example e[] = {
        {"Hạnh Lâm bưởi ngọt", NULL, "Cần Thơ", 0, true, NULL},
        {"Hạnh Lâm - bưởi chín cây", NULL, "Cần Thơ", 0, true, NULL},
        {"hanh lam dac san buoi ngot", NULL, "Cần Thơ", 0, true, NULL},
        {"Hạnh Lâm quê tôi có rất nhiều loại bưởi", NULL, "Cần Thơ", 0, false, NULL},
    };
    check(buoi, e, N(e));
}

Test(phrase, reversed_only_with_either_order)
{
    const char *rule = "  - id: gi.buoi\n"
                       "    kind: gi\n"
                       "    name: \"Bưởi Hạnh Lâm\"\n"
                       "    terms: [\"bưởi hạnh lâm\"]\n"
                       "    region: [\"Nghệ An\"]\n"
                       "    gap: 2\n"
                       "    flag: {seller_outside_region: true}\n";
    example e[] = {
        {"Bưởi ngọt Hạnh Lâm", NULL, "Cần Thơ", 0, true, NULL},
        {"Hạnh Lâm bưởi ngọt", NULL, "Cần Thơ", 0, false, NULL},
    };
    check(rule, e, N(e));
}

Test(phrase, exact_without_the_keys)
{
    const char *rule = "  - id: gi.buoi\n"
                       "    kind: gi\n"
                       "    name: \"Bưởi Hạnh Lâm\"\n"
                       "    terms: [\"bưởi hạnh lâm\"]\n"
                       "    region: [\"Nghệ An\"]\n"
                       "    flag: {seller_outside_region: true}\n";
    example e[] = {
        {"Bưởi Hạnh Lâm", NULL, "Cần Thơ", 0, true, NULL},
        {"Bưởi ngọt Hạnh Lâm", NULL, "Cần Thơ", 0, false, NULL},
        {"Hạnh Lâm bưởi", NULL, "Cần Thơ", 0, false, NULL},
    };
    check(rule, e, N(e));
}

Test(phrase, pack_gap_covers_list_phrases)
{
    const char *rule = "  - id: tm.zorvik\n"
                       "    kind: trademark\n"
                       "    name: Zorvik\n"
                       "    terms: [zorvik]\n"
                       "    flag: {list: slang}\n";
    example e[] = {
        {"Giày Zorvik hàng fake loại 1", NULL, NULL, 0, true, NULL},
        {"Giày Zorvik hàng siêu fake loại 1", NULL, NULL, 0, true, NULL},
        {"Giày Zorvik hàng đẹp y hình, không fake, loại 1", NULL, NULL, 0, false, NULL},
    };
    check_with("gap: 1\n", rule, e, N(e));
    example exact[] = {
        {"Giày Zorvik hàng siêu fake loại 1", NULL, NULL, 0, false, NULL},
    };
    check(rule, exact, N(exact));
}

static const char film[] =
    "  - id: cr.mua-gio\n"
    "    kind: copyright\n"
    "    name: \"Phim Mùa Gió\"\n"
    "    terms: [\"mùa gió\"]\n"
    "    context: {list: film, near: 4}\n";

Test(phrase, ambiguous_title_needs_context)
{
    example e[] = {
        {"Mùa Gió (2025) bản đẹp - link xem", NULL, NULL, 0, true, NULL},
        {"Link phim Mùa Gió thuyết minh", NULL, NULL, 0, true, NULL},
        {"Kem dưỡng ẩm mùa gió hanh khô", NULL, NULL, 0, false, NULL},
        {"Khăn len cho mùa gió lạnh", "Phim cách nhiệt cửa kính, bán kèm quà tặng xinh xắn cho mọi nhà", NULL, 0,
         false, NULL},                                                             /* context in another field */
        {"Áo khoác mùa gió, mặc đi chơi đi làm rất là đẹp luôn nha phim", NULL, NULL, 0, false, NULL}, /* too far */
        {"Mùa gió không có vietsub", NULL, NULL, 0, false, NULL},                  /* negated context */
    };
    check(film, e, N(e));
}

/* context with one side's window (docs/rules.md, "Phrase tolerance and context"): the list's term before the name
 * counts within near_before, after it within near_after, overlapping on either side; one side alone allows nothing
 * on the other */
Test(phrase, context_window_per_side)
{
    const char *uneven = "  - id: cr.mua-gio\n"
                         "    kind: copyright\n"
                         "    name: \"Phim Mùa Gió\"\n"
                         "    terms: [\"mùa gió\"]\n"
                         "    context: {list: film, near_before: 3, near_after: 1}\n";
    example e[] = {
        {"Phim bộ Hàn Mùa Gió tập 1-16", NULL, NULL, 0, true, NULL},  /* 3 words before */
        {"Mùa Gió vietsub trọn bộ", NULL, NULL, 0, true, NULL},       /* 1 after */
        {"Khăn len mùa gió lạnh, phim cách nhiệt tặng kèm", NULL, NULL, 0, false, NULL}, /* 2 after: too far */
        {"Phim dán cách nhiệt mùa gió", NULL, NULL, 0, false, NULL},  /* 4 before */
    };
    check(uneven, e, N(e));
    const char *before_only = "  - id: cr.mua-gio\n"
                              "    kind: copyright\n"
                              "    name: \"Phim Mùa Gió\"\n"
                              "    terms: [\"mùa gió\"]\n"
                              "    context: {list: film, near_before: 2}\n";
    example b[] = {
        {"Phim Mùa Gió bản đẹp", NULL, NULL, 0, true, NULL},
        {"Mùa Gió vietsub", NULL, NULL, 0, false, NULL},  /* after: that side not allowed */
    };
    check(before_only, b, N(b));
    const char *after_only = "  - id: cr.mua-gio\n"
                             "    kind: copyright\n"
                             "    name: \"Phim Mùa Gió\"\n"
                             "    terms: [\"mùa gió\"]\n"
                             "    context: {list: film, near_after: 2}\n";
    example a[] = {
        {"Mùa Gió bản vietsub", NULL, NULL, 0, true, NULL},
        {"Phim Mùa Gió", NULL, NULL, 0, false, NULL},
    };
    check(after_only, a, N(a));
}

Test(phrase, context_window_mistakes)
{
    refused("", "  - id: a.b\n    kind: gi\n    name: X\n    terms: [\"a b\"]\n    context: {list: film, near: 2, "
                "near_before: 1}\n", "'near_before' and 'near' together");
    refused("", "  - id: a.b\n    kind: gi\n    name: X\n    terms: [\"a b\"]\n    context: {list: film, near_after: -1}\n",
            "near_after");
    refused("", "  - id: a.b\n    kind: gi\n    name: X\n    terms: [\"a b\"]\n    context: {list: film, near_side: 1}\n",
            "unknown field 'near_side' in context");
}

Test(phrase, mistakes)
{
    refused("", "  - id: a.b\n    kind: gi\n    name: X\n    terms: [\"a b\"]\n    gap: 9\n", "gap");
    refused("", "  - id: a.b\n    kind: gi\n    name: X\n    terms: [\"a b\"]\n    either_order: maybe\n",
            "either_order");
    refused("", "  - id: a.b\n    kind: gi\n    name: X\n    terms: [\"a b\"]\n    context: {list: nope, near: 3}\n",
            "unknown list 'nope'");
    refused("", "  - id: a.b\n    kind: gi\n    name: X\n    terms: [\"a b\"]\n    context: {list: film}\n",
            "context needs near");
    refused("", "  - id: a.b\n    kind: gi\n    name: X\n    terms: [\"a b\"]\n    context: {near: 2}\n",
            "context needs a list");
    refused("gap: -1\n", "  - id: a.b\n    kind: gi\n    name: X\n    terms: [\"a b\"]\n", "gap");
}

/* ---- capability 11: stated origin ---- */

static const char origin[] =
    "  - id: gi.cam\n"
    "    kind: gi\n"
    "    name: \"Cam Vân Sơn\"\n"
    "    terms: [\"cam vân sơn\"]\n"
    "    region: [\"Vân Sơn\", \"Bắc Quang\", \"Hà Giang\"]\n"
    "    reference_price: 45000\n"
    "    flag:\n"
    "      any:\n"
    "        - seller_outside_region: true\n"
    "        - stated_origin_outside_region: true\n"
    "    unless:\n"
    "      - traceable_sourcing: true\n";

Test(origin, statements_compared_with_the_region)
{
    example e[] = {
        /* a seller inside the region, goods grown elsewhere */
        {"Cam Vân Sơn loại 1", "Cam trồng tại Bắc Giang, vỏ mỏng.", "Bắc Quang, Hà Giang", 45000, true, "Bắc Giang"},
        {"Cam Vân Sơn", "Vườn nhà trồng ở Đồng Nai", NULL, 45000, true, "Đồng Nai"},
        {"Cam Vân Sơn giá sỉ", "Thu gom tại Lâm Đồng, dán nhãn Cam Vân Sơn.", NULL, 45000, true, "Lâm Đồng"},
        {"Cam Vân Sơn chính vụ", "Hàng nhập khẩu từ Thái Lan, đóng gói tại Vân Sơn.", "Hà Giang", 45000, true,
         "Thái Lan"},
        {"Cam Vân Sơn xuất xứ: Trung Quốc", NULL, NULL, 45000, true, "Trung Quốc"},
        {"Cam Vân Sơn hàng Trung Quốc", NULL, NULL, 45000, true, "Trung Quốc"},
        /* inside: the region's own words, or its province by the old or the new name */
        {"Cam Vân Sơn chính gốc", "Trồng tại Vân Sơn.", NULL, 45000, false, NULL},
        {"Cam Vân Sơn", "trong tai Van Son, Bac Quang, Ha Giang", NULL, 45000, false, NULL},
        {"Cam Vân Sơn trồng tại Bắc Quang, Tuyên Quang", "Vườn ở Bắc Quang (Hà Giang cũ).", NULL, 45000, false, NULL},
        {"Cam Vân Sơn trồng tại Tuyên Quang", NULL, NULL, 45000, false, NULL},
        /* no place it knows, or no statement at all */
        {"Cam Vân Sơn hái tại vườn", "Hàng đẹp, ship nhanh.", NULL, 45000, false, NULL},
        {"Cam Vân Sơn nhà vườn", "Giao hàng về Hà Nội.", NULL, 45000, false, NULL},
    };
    check(origin, e, N(e));
}

/* goods noun + place (docs/rules.md, "Stated origin"): "hàng cam Sơn La", "cam Sơn La chính gốc" state where the
 * oranges are from; a name some rule names ("nhãn lồng Hưng Yên chính gốc"), another good's place ("hàng vải Quảng
 * Tây" beside the oranges), a place the name does not open ("hàng cam mới về Hà Nội") state nothing for this rule */
Test(origin, goods_noun_then_place)
{
    const char *rules = "  - id: gi.cam\n"
                        "    kind: gi\n"
                        "    name: \"Cam Vân Sơn\"\n"
                        "    terms: [\"cam vân sơn\"]\n"
                        "    region: [\"Vân Sơn\", \"Bắc Quang\", \"Hà Giang\"]\n"
                        "    flag: {stated_origin_outside_region: true}\n"
                        "  - id: gi.nhan\n"
                        "    kind: gi\n"
                        "    name: \"Nhãn lồng Hưng Yên\"\n"
                        "    terms: [\"nhãn lồng hưng yên\"]\n"
                        "    region: [\"Hưng Yên\"]\n"
                        "    flag: {stated_origin_outside_region: true}\n";
    example e[] = {
        {"Cam Vân Sơn loại 1 - hàng cam Sơn La", NULL, NULL, 0, true, "Sơn La"},
        {"Cam Vân Sơn, cam Bắc Giang chính gốc", NULL, NULL, 0, true, "Bắc Giang"},
        {"cam van son - cam dong nai chuan goc", NULL, NULL, 0, true, "dong nai"},
        {"Cam Vân Sơn quả to", "Hàng cam Trung Quốc về đóng thùng.", NULL, 0, true, "Trung Quốc"},
        {"Nhãn lồng Hưng Yên - nhãn Sơn La chính gốc", NULL, NULL, 0, true, "Sơn La"},
        /* inside, the same province by its new name, or no statement */
        {"Cam Vân Sơn - hàng cam Hà Giang", NULL, NULL, 0, false, NULL},
        {"Cam Vân Sơn, cam Tuyên Quang chính gốc", NULL, NULL, 0, false, NULL},
        {"Cam Vân Sơn hàng cam mới về Hà Nội", NULL, NULL, 0, false, NULL},
        {"Cam Vân Sơn, cam Sơn La ngon", NULL, NULL, 0, false, NULL},           /* no "hàng", no "chính gốc" */
        {"Cam Vân Sơn, cam Sơn La. Chính gốc", NULL, NULL, 0, false, NULL},     /* another sentence */
        {"Combo Cam Vân Sơn + nhãn lồng Hưng Yên chính gốc", NULL, NULL, 0, false, NULL}, /* a GI's name */
        {"Combo Cam Vân Sơn + hàng vải Quảng Tây", NULL, NULL, 0, false, NULL},  /* the lychee's origin */
        {"Nhãn lồng Hưng Yên chính gốc", NULL, NULL, 0, false, NULL},
    };
    check(rules, e, N(e));
}

/* "PLACE nhập về" names the place before the cue; "lấy từ", "nhập hàng từ" after it */
Test(origin, a_place_before_nhap_ve_and_after_lay_tu)
{
    example e[] = {
        {"Cam Vân Sơn loại 1", "Hàng xưởng Quảng Châu nhập về, đóng túi lưới.", "Hà Giang", 45000, true, "Quảng Châu"},
        {"Cam Vân Sơn hàng Sơn La mới nhập về", NULL, "Hà Giang", 45000, true, "Sơn La"},
        {"Cam Vân Sơn", "Cam Mỹ nhập về, vỏ vàng.", "Hà Giang", 45000, true, "Mỹ"},
        {"Cam Vân Sơn", "Cam Sơn La chuyển về mỗi sáng.", "Hà Giang", 45000, true, "Sơn La"},   /* 2026.12.15 */
        {"Cam Vân Sơn", "Hàng chuyển về Hà Nội trong ngày.", "Hà Giang", 45000, false, NULL},
        {"Cam Vân Sơn giá sỉ", "Lấy từ xưởng Quảng Tây, giá tốt.", "Hà Giang", 45000, true, "xưởng Quảng Tây"},
        {"Cam Vân Sơn giá sỉ", "Nhập hàng từ Vân Nam mỗi tuần.", "Hà Giang", 45000, true, "Vân Nam mỗi tuần"},
        /* inside, no place, a shop's own place, another clause, a word that holds "Mỹ" */
        {"Cam Vân Sơn", "Cam nhà vườn Bắc Quang nhập về mỗi sáng.", "Hà Giang", 45000, false, NULL},
        {"Cam Vân Sơn", "Hàng mới nhập về, tươi ngon.", "Hà Giang", 45000, false, NULL},
        {"Cam Vân Sơn", "Shop ở Hà Nội nhập về bán.", "Hà Giang", 45000, false, NULL},
        {"Cam Vân Sơn", "Giao nhanh Hà Nội. Nhập về mỗi sáng.", "Hà Giang", 45000, false, NULL},
        {"Cam Vân Sơn", "Hàng mỹ phẩm nhập về cùng đợt, cam trồng tại Vân Sơn.", "Hà Giang", 45000, false, NULL},
    };
    check(origin, e, N(e));
}

/* goods bought at a depot or gathered from a place: "mua tại vựa PLACE", "thu gom từ PLACE" (2026.12.11) */
Test(origin, bought_at_a_depot_or_gathered_from_a_place)
{
    example e[] = {
        {"Cam Vân Sơn giá sỉ", "Hàng mua tại vựa Lâm Đồng, giao trong ngày.", NULL, 45000, true, "Lâm Đồng"},
        {"Cam Vân Sơn giá sỉ", "Cam thu gom từ Đồng Nai và Bình Dương.", NULL, 45000, true, "Đồng Nai và Bình Dương"},
        {"Cam Vân Sơn", "Lấy hàng tại vựa Cao Bằng mỗi sáng.", NULL, 45000, true, "Cao Bằng mỗi sáng"},
        {"Cam Vân Sơn", "Thu mua từ nhà vườn Bắc Giang.", NULL, 45000, true, "nhà vườn Bắc Giang"},
        /* the region's own depot, a depot with no place, the buyer's shop */
        {"Cam Vân Sơn mua tại vựa Bắc Quang", NULL, NULL, 45000, false, NULL},
        {"Cam Vân Sơn", "Thu gom từ các nhà vườn quanh xã.", NULL, 45000, false, NULL},
        {"Cam Vân Sơn", "Khách mua tại shop được giảm giá.", NULL, 45000, false, NULL},
    };
    check(origin, e, N(e));
}

/* bought or picked up at a place and brought back: "mua ở PLACE về", "lấy tại PLACE về" (2026.12.15); without
 * "về" after the place it is where a buyer or a shop is */
Test(origin, bought_at_a_place_and_brought_back)
{
    example e[] = {
        {"Cam Vân Sơn giá sỉ", "Cam mua ở Sơn La về đóng thùng.", NULL, 45000, true, "Sơn La"},
        {"Cam Vân Sơn", "Cam hái ở Sơn La sáng nay.", NULL, 45000, true, "Sơn La sáng nay"},   /* "hái ở" (2026.12.15) */
        {"Cam Vân Sơn", "Lấy tại Quảng Tây về mỗi tuần, giá tốt.", NULL, 45000, true, "Quảng Tây"},
        {"Cam Vân Sơn", "lay hang o Dong Nai ve ban", NULL, 45000, true, "Dong Nai"},
        /* inside, no "về", a buyer's place, another clause, a place the gazetteer does not know */
        {"Cam Vân Sơn", "Cam mua ở Bắc Quang về bán.", NULL, 45000, false, NULL},
        {"Cam Vân Sơn", "Khách mua ở Hà Nội được freeship.", NULL, 45000, false, NULL},
        {"Cam Vân Sơn", "Mua ở Hà Nội, về tới nơi trong ngày.", NULL, 45000, false, NULL},
        {"Cam Vân Sơn", "Cam mua ở vườn nhà bác về bán.", NULL, 45000, false, NULL},
        {"Cam Vân Sơn", "Mua tại vựa Bắc Quang về ship đi.", NULL, 45000, false, NULL},
    };
    check(origin, e, N(e));
}

/* goods noun + an import place with nothing else: "tỏi Trung Quốc", "cam Ai Cập", "điều châu Phi" (2026.12.15); a
 * variety named for a country ("xoài Thái", "cam Mỹ" is no import place here), a denial (with "lẫn" too), a
 * comparison, another good's place state nothing for this rule */
Test(origin, goods_noun_then_an_import_place)
{
    const char *rules = "  - id: gi.cam\n"
                        "    kind: gi\n"
                        "    name: \"Cam Vân Sơn\"\n"
                        "    terms: [\"cam vân sơn\"]\n"
                        "    region: [\"Vân Sơn\", \"Bắc Quang\", \"Hà Giang\"]\n"
                        "    flag: {stated_origin_outside_region: true}\n";
    example e[] = {
        {"Cam Vân Sơn giá sỉ", "Thật ra là cam Trung Quốc, vỏ mỏng.", NULL, 0, true, "Trung Quốc"},
        {"Cam Vân Sơn loại 1", "cam Ai Cập ngọt", NULL, 0, true, "Ai Cập"},
        {"Cam Vân Sơn", "Hàng này là cam Campuchia nhé.", NULL, 0, true, "Campuchia"},
        {"Cam Vân Sơn", "Hàng về là cam Tàu.", NULL, 0, true, "Tàu"},                  /* "Tàu" as a name */
        {"Cam Vân Sơn", "cam TQ vỏ mỏng", NULL, 0, true, "TQ"},
        {"Cam Vân Sơn", "cam tàu hỏa chở về", NULL, 0, false, NULL},                  /* a ship or a train */
        {"Cam Vân Sơn", "cam Thái Lan ngọt", NULL, 0, false, NULL},                   /* not an import place here */
        {"Cam Vân Sơn", "Không phải cam Trung Quốc.", NULL, 0, false, NULL},
        {"Cam Vân Sơn", "Cam kết không lẫn cam Trung Quốc.", NULL, 0, false, NULL},
        {"Cam Vân Sơn", "Ngọt hơn cam Trung Quốc nhiều.", NULL, 0, false, NULL},
        {"Cam Vân Sơn", "So sánh cam Vân Sơn và cam Trung Quốc.", NULL, 0, false, NULL},
        {"Combo Cam Vân Sơn + tỏi Trung Quốc", NULL, NULL, 0, false, NULL},        /* the garlic's origin */
    };
    check(rules, e, N(e));
}

/* blended or mixed at a place: "pha tại PLACE", "trộn tại PLACE" (2026.12.15); "pha tại chỗ" names none */
Test(origin, blended_at_a_place)
{
    example e[] = {
        {"Cam Vân Sơn ép", "Nước cam pha tại Hà Nội, chai 1 lít.", NULL, 45000, true, "Hà Nội"},
        {"Cam Vân Sơn", "Hàng trộn tại Bình Dương, đóng túi 5kg.", NULL, 45000, true, "Bình Dương"},
        {"Cam Vân Sơn", "Nước cam pha tại chỗ, giao nhanh.", NULL, 45000, false, NULL},
        {"Cam Vân Sơn", "Pha chế tại Bắc Quang theo công thức nhà vườn.", NULL, 45000, false, NULL},
    };
    check(origin, e, N(e));
}

Test(origin, traceable_sourcing_at_a_normal_price)
{
    example e[] = {
        {"Cam Vân Sơn - thu mua trực tiếp HTX Vân Sơn", "Có tem truy xuất nguồn gốc.", "TP. Hồ Chí Minh", 50000, false,
         NULL},
        {"Cam Vân Sơn - đại lý phân phối chính thức", NULL, "Đà Nẵng", 45000, false, NULL},
        {"Cam Vân Sơn - nguồn HTX, tem truy xuất", "Lấy trực tiếp từ HTX Vân Sơn. Xả kho.", "Hà Nội", 15000, true,
         NULL},
        {"Cam Vân Sơn", NULL, "Đà Nẵng", 45000, true, NULL},
    };
    check(origin, e, N(e));
}

Test(origin, hostile_text_is_bounded)
{
    /* a very long "place" and a cue at the very end */
    char title[8192] = "Cam Vân Sơn trồng tại ";
    size_t n = strlen(title);
    while (n + 2 < sizeof title) {
        title[n++] = 'x';
    }
    title[n] = '\0';
    example e[] = {
        {title, "xuất xứ", NULL, 45000, false, NULL},
        {"Cam Vân Sơn", "trồng tại", NULL, 45000, false, NULL},
    };
    check(origin, e, N(e));
}

Test(origin, mistakes)
{
    refused("", "  - id: a.b\n    kind: gi\n    name: X\n    terms: [\"a b\"]\n"
                "    flag: {stated_origin_outside_region: true}\n",
            "stated_origin_outside_region needs the rule's region");
    refused("", "  - id: a.b\n    kind: gi\n    name: X\n    terms: [\"a b\"]\n"
                "    flag: {traceable_sourcing: perhaps}\n",
            "traceable_sourcing");
}
