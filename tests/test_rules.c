/* The rule engine: pack parsing and its error messages, every condition
 * leaf and combinator, boundaries, normalization seen through rules, the
 * regex limits, and the two matcher backends agreeing. Rule tests are data
 * tables: a pack, a listing, and whether the rule must fire. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utf8proc.h>

#include "rules/base/bytebuf.h"
#include "scanner/record/flag.h"
#include "tests/harness.h"
#include "scanner/record/listing.h"
#include "rules/loader.h"
#include "rules/pack.h"
#include "rules/ruleset.h"
#include "rules/text/marks.h"

/* A base pack: the rule under test is appended to it. */
static const char base_pack[] =
    "pack: test\n"
    "version: \"1\"\n"
    "lists:\n"
    "  slang: [\"rep 1:1\", \"hàng fake\", \"siêu cấp\"]\n"
    "  accessory: [\"ốp lưng\", \"dây đeo\", \"lót giày\", \"dành cho\", \"tương thích\"]\n"
    "  seed: [\"lúa giống\"]\n"
    "rules:\n";

static ruleset *compile_text(const char *rules_yaml, diagnostics *diag, mpm_backend backend)
{
    bytebuf yaml;
    bytebuf_init(&yaml, 0);
    bytebuf_append_string(&yaml, base_pack);
    bytebuf_append_string(&yaml, rules_yaml);
    pack *p = pack_load_string("test.yaml", yaml.data, yaml.length, diag);
    bytebuf_free(&yaml);
    if (!p)
        return NULL;
    ruleset *rs = NULL;
    ruleset_options options = {.backend = backend};
    if (ruleset_compile(&p, 1, &options, &rs, diag) < 0) {
        pack_free(p);
        return NULL;
    }
    return rs;
}

static ruleset *compile_ok(const char *rules_yaml)
{
    diagnostics diag;
    diagnostics_init(&diag);
    ruleset *rs = compile_text(rules_yaml, &diag, MPM_BACKEND_AHO_CORASICK);
    for (size_t i = 0; i < diag.count; i++)
        cr_log_error("%s", diag.messages[i]);
    cr_assert_not_null(rs, "the pack did not compile");
    diagnostics_free(&diag);
    return rs;
}

typedef struct example {
    const char *title;
    double price;            /* 0: no price */
    const char *seller;
    const char *location;
    bool official, livestream;
    const char *category;
    bool fires;
    const char *description; /* NULL: none */
} example;

static void check_examples(const char *rules_yaml, const example *examples, size_t count)
{
    ruleset *rs = compile_ok(rules_yaml);
    ruleset_scratch *s;
    cr_assert_eq(ruleset_scratch_create(rs, &s), 0);
    for (size_t i = 0; i < count; i++) {
        const example *e = &examples[i];
        listing_facts l = {.platform = "shopee", .listing_id = "1", .title = e->title, .title_length = strlen(e->title),
                           .has_price = e->price > 0, .price = e->price, .seller_id = e->seller,
                           .seller_location = e->location, .seller_official = e->official,
                           .is_livestream = e->livestream, .category = e->category, .description = e->description,
                           .description_length = e->description ? strlen(e->description) : 0};
        match_result r;
        cr_assert_eq(ruleset_match(rs, s, &l, &r), 0);
        cr_expect_eq(r.rule_count > 0, e->fires, "\"%s\" (price %.0f, seller %s in %s): expected %s", e->title,
                     e->price, e->seller ? e->seller : "-", e->location ? e->location : "-",
                     e->fires ? "a flag" : "no flag");
    }
    ruleset_scratch_destroy(s);
    ruleset_destroy(rs);
}

#define CHECK(yaml, ...)                                                                                               \
    do {                                                                                                               \
        static const example examples_[] = {__VA_ARGS__};                                                              \
        check_examples(yaml, examples_, sizeof examples_ / sizeof examples_[0]);                                       \
    } while (0)

/* ---- leaves ---- */

static const char nike_rule[] =
    "  - id: tm.nike\n"
    "    kind: trademark\n"
    "    name: Nike\n"
    "    terms: [\"nike\", \"nai ki\"]\n"
    "    reference_price: 1000000\n"
    "    authorized_sellers: [\"shopee:nike_official\", \"88000001\"]\n"
    "    flag:\n"
    "      any:\n"
    "        - list: slang\n"
    "        - price_below: 0.3\n"
    "    unless:\n"
    "      - list: accessory\n"
    "        near: 3\n";

Test(conditions, list_price_unless_near_and_authorized_sellers)
{
    CHECK(nike_rule,
          {.title = "Giày Nike Air rep 1:1", .fires = true},
          {.title = "Giày Nike Air chính hãng", .fires = false},
          {.title = "Giày Nike Air", .price = 200000, .fires = true},
          {.title = "Giày Nike Air", .price = 300000, .fires = false},
          {.title = "Giày Nike Air", .price = 0.001, .fires = true},
          {.title = "Giày NAI KI hàng fake", .fires = true},
          {.title = "Ốp lưng Nike rep 1:1", .fires = false},
          /* far from the accessory word, but in the scope of "cho" (docs/rules.md, "Accessories and compatibility") */
          {.title = "Ốp lưng in hình đẹp giá rẻ cho điện thoại mới nhất Nike rep 1:1", .fires = false},
          {.title = "Ốp lưng in hình đẹp giá rẻ. Tặng kèm giày Nike rep 1:1", .fires = true},
          {.title = "Giày Nike rep 1:1", .seller = "nike_official", .fires = false},
          {.title = "Giày Nike rep 1:1", .seller = "88000001", .fires = false},
          {.title = "Giày Nike rep 1:1", .seller = "someone", .fires = true});
}

/* docs/rules.md, "Negation and disclaimers": minimal pairs */
Test(negation, cues_and_mentions_after_a_negator_are_not_signals_but_admissions_are)
{
    CHECK(nike_rule,
          /* a cue under a negator is no signal */
          {.title = "Giày Nike Air hàng fake", .fires = true},
          {.title = "Giày Nike Air không phải hàng fake", .fires = false},
          {.title = "Giày Nike Air ko phải hàng fake đâu nha", .fires = false},
          {.title = "Giày Nike Air cam kết không bán siêu cấp hay rep 1:1", .fires = false},
          {.title = "Nike Air Jordan not rep 1:1", .fires = false},
          /* lists of cues: joined by "hay", "và", commas */
          {.title = "Giày Nike Air, không phải siêu cấp hay hàng fake hay rep 1:1", .fires = false},
          {.title = "Giày Nike Air, tuyệt đối không bán siêu cấp, hàng fake", .fires = false},
          {.title = "Giày Nike Air không bán siêu cấp. Hàng fake loại 1", .fires = true},
          /* a clause break ends the negation: the cue after it counts */
          {.title = "Giày Nike Air không hộp, hàng fake loại 1", .fires = true},
          {.title = "Không đổi trả. Giày Nike rep 1:1", .fires = true},
          /* a brand named only in a disclaimer is not a mention */
          {.title = "Giày thể thao không phải Nike hàng fake", .fires = false},
          {.title = "Giày thể thao không phải Nike", .price = 100000, .fires = false},
          {.title = "Giày không phải Nike, Nike hàng fake", .fires = true},
          /* "chưa" is a negator only as written with its horn: "sữa chua" is yogurt */
          {.title = "Giày Nike chưa phải hàng fake", .fires = false},
          {.title = "Giày Nike chua hàng fake", .fires = true},
          /* a negated authenticity claim is an admission */
          {.title = "Giày Nike không chính hãng, hàng fake", .fires = true},
          {.title = "Giày không chính hãng Nike rep 1:1", .fires = true},
          {.title = "Giày không phải hàng thật Nike hàng fake", .fires = true},
          /* "đừng" (don't) as written; "dùng", "đúng" fold the same and negate nothing */
          {.title = "Giày thể thao nam, đừng mua Nike hàng fake", .fires = false},
          {.title = "Giày thể thao nam, dùng Nike hàng fake", .fires = true},
          {.title = "Giày Nike đúng hàng fake", .fires = true},
          {.title = "Giày Nike, đừng bỏ lỡ hàng fake giá rẻ", .fires = true},
          /* "k" for "không", but not a price's thousands */
          {.title = "Giày Nike Air k phải hàng fake", .fires = false},
          {.title = "Giày Nike Air 50 k hàng fake", .fires = true},
          {.title = "Giày Nike Air K hàng fake", .fires = true},
          /* "không" in a word that describes the goods negates nothing after it */
          {.title = "Tai nghe không dây Nike rep 1:1", .fires = true},
          {.title = "Bình nước không đường Nike hàng fake", .fires = true},
          {.title = "Nồi chiên không dầu Nike rep 1:1", .fires = true},
          {.title = "Nước hoa không mùi Nike hàng fake", .fires = true},
          {.title = "Không chỉ đẹp, giày Nike rep 1:1", .fires = true},
          {.title = "Vỏ xe không ruột Nike hàng fake", .fires = true},
          {.title = "Sữa không lactose Nike hàng fake", .fires = true},
          {.title = "Vỏ xe không ruột, không phải Nike hàng fake", .fires = false},
          {.title = "Nồi chiên không dầu, không phải Nike hàng fake", .fires = false},
          {.title = "Tai nghe không dây, không phải Nike hàng fake", .fires = false},
          {.title = "Giày Nike không dây buộc, không phải hàng fake", .fires = false},
          /* a cue phrase that begins with a negator itself stays */
          {.title = "Giày Nike Air", .price = 200000, .fires = true});
}

/* docs/rules.md, "Intent": posts that are not sales */
Test(intent, services_notices_guides_and_books_before_the_brand_are_not_sales)
{
    CHECK(nike_rule,
          {.title = "Dịch vụ check authentic giày Nike rep 1:1 trong 24h", .fires = false},
          {.title = "dich vu ve sinh giay nike hang fake", .fires = false},
          {.title = "[Thông báo] Cảnh báo giày Nike hàng fake trên mạng", .fires = false},
          {.title = "Cách phân biệt giày Nike rep 1:1 và hàng thật", .fires = false},
          {.title = "Review giày Nike rep 1:1 sau 2 tháng", .fires = false},
          {.title = "Sách: Nike - câu chuyện một thương hiệu, hàng fake và thật", .fires = false},
          {.title = "Sửa chữa giày Nike rep 1:1 lấy ngay", .fires = false},
          {.title = "sua chua giay nike rep 1:1", .fires = false},
          /* a sale that mentions a guide, a service or a notice after the brand stays a sale */
          {.title = "Giày Nike rep 1:1 - review thật của khách", .fires = true},
          {.title = "Giày Nike rep 1:1, hướng dẫn buộc dây kèm theo", .fires = true},
          {.title = "Giày Nike rep 1:1 - dịch vụ ship hỏa tốc", .fires = true},
          {.title = "Giày Nike hàng fake", .fires = true},
          /* a guide or a warning about fakes is one whatever its word order */
          {.title = "Nike Air Force 1 rep 1:1: cách phân biệt thật giả", .fires = false},
          {.title = "Giày Nike hàng fake tràn lan - cảnh báo hàng giả", .fires = false},
          {.title = "Giày Nike rep 1:1 review thật, cách nhận biết hàng fake", .fires = false},
          {.title = "Nike rep 1:1 legit or fake?", .fires = false},
          /* "khó phân biệt thật giả", "không thể phân biệt": a copy's praise */
          {.title = "Giày Nike rep 1:1 khó phân biệt thật giả", .fires = true},
          {.title = "Giày Nike siêu cấp không thể phân biệt thật giả", .fires = true});
    /* "sữa chua" (yogurt) is no repair service, and copyright rules still fire on books */
    CHECK("  - id: cr.sach\n"
          "    kind: copyright\n"
          "    name: Sách Toán 5\n"
          "    terms: [\"toán 5\"]\n"
          "    flag: {list: slang}\n"
          "  - id: oc.amifarm\n"
          "    kind: ocop\n"
          "    name: Amifarm\n"
          "    terms: [\"amifarm\"]\n"
          "    flag: {term: \"ocop 5 sao\"}\n",
          {.title = "Sách Toán 5 hàng fake photo", .fires = true},
          {.title = "Sữa chua Amifarm OCOP 5 sao", .fires = true},
          {.title = "Review sách Toán 5 hàng fake", .fires = false});
    /* intent: any keeps the old behaviour */
    CHECK("  - id: tm.any\n"
          "    kind: trademark\n"
          "    name: Nike\n"
          "    terms: [\"nike\"]\n"
          "    intent: any\n"
          "    flag: {list: slang}\n",
          {.title = "Dịch vụ check authentic giày Nike rep 1:1", .fires = true});
}

/* docs/rules.md, "Intent": "sửa" + what is repaired, and buy-back posts */
/* docs/rules.md, "Intent": a guide, review or notice that also offers copies (an offer or a price, and a grade of
 * copy not under a negator) is a sale; a guide without an offer stays a guide */
Test(intent, a_guide_that_also_sells_copies_is_a_sale)
{
    CHECK(nike_rule,
          {.title = "Hướng dẫn phân biệt Nike thật giả – shop có bán hàng rep 1:1 chuẩn", .fires = true},
          {.title = "Cách phân biệt giày Nike thật giả, có sẵn hàng siêu cấp, ib mua", .fires = true},
          {.title = "Review giày Nike Air Force 1 rep 1:1 giá 450k", .fires = true},
          {.title = "Hướng dẫn phân biệt Nike rep 1:1 và hàng thật", .fires = false},
          {.title = "Hướng dẫn phân biệt Nike thật giả, giá 450k", .fires = false},
          {.title = "Cảnh báo hàng fake Nike: shop không bán hàng rep 1:1, có sẵn hàng chính hãng", .fires = false});
}

/* docs/rules.md, "Intent": a title that names a group (a Facebook group a post was crawled from: "Hội Thợ Sửa Xe
 * Máy") says where the post is, not what it offers: the intent is read from the description */
Test(intent, a_group_name_in_the_title_is_no_intent)
{
    CHECK(nike_rule,
          {.title = "Hội Thợ Sửa Xe Máy", .description = "Ae cần giày Nike rep 1:1 thì ib e", .fires = true},
          {.title = "Nhóm Vệ Sinh Giày Sài Gòn", .description = "Giày Nike hàng fake giá rẻ", .fires = true},
          {.title = "Cộng đồng check legit sneaker", .description = "Pass giày Nike rep 1:1", .fires = true},
          /* what the description says is read: a service stays a service */
          {.title = "Hội Thợ Sửa Xe Máy", .description = "Dịch vụ vệ sinh giày Nike hàng fake tại nhà", .fires = false},
          {.title = "Hội Thợ Sửa Xe Máy", .description = "Nhận sửa giày Nike rep 1:1 lấy liền", .fires = false},
          /* not a group: "Hội An" is a town, "hỏi" is to ask, "nhôm" aluminium, a long title says what it offers */
          {.title = "Hội An dịch vụ vệ sinh giày", .description = "Giày Nike hàng fake", .fires = false},
          {.title = "Hỏi dịch vụ vệ sinh giày", .description = "Giày Nike hàng fake", .fires = false},
          {.title = "Hội thợ nhận sửa giày tại nhà giá rẻ uy tín lấy ngay", .description = "Giày Nike hàng fake",
           .fires = false});
}

/* docs/rules.md, "Intent": a title with no intent cue that does not name the rule leaves the intent to what the
 * description opens with (its cue before the rule's first mention there); a title that names the rule decides */
Test(intent, the_description_decides_under_a_title_that_does_not_name_the_rule)
{
    CHECK(nike_rule,
          {.title = "Giày chụp ảnh cưới theo ngày", .price = 100000, .description = "Cho thuê giày Nike, đặt cọc 2 triệu",
           .fires = false},
          {.title = "Giày sneaker trắng", .description = "Dịch vụ vệ sinh giày Nike hàng fake, lấy trong 24h", .fires = false},
          {.title = "Bí kíp cho người mới", .description = "Hướng dẫn phân biệt giày Nike rep 1:1 và hàng thật",
           .fires = false},
          /* the cue after the name in the description: a sale */
          {.title = "Giày thể thao nam", .description = "Giày Nike rep 1:1, dịch vụ ship hỏa tốc", .fires = true},
          /* a guide word anywhere counts in a title only: in a description it must come before the name */
          {.title = "Giày thể thao nam", .description = "Giày Nike rep 1:1 - cách phân biệt thật giả xem ảnh 3",
           .fires = true},
          /* a manual that comes with the goods is no guide ("có hướng dẫn", "sách hướng dẫn", "kèm hướng dẫn") */
          {.title = "Có sách hướng dẫn sử dụng tiếng Việt", .description = "Giày Nike hàng F1, rep 1:1", .fires = true},
          {.title = "Kèm hướng dẫn buộc dây", .description = "Giày Nike rep 1:1", .fires = true},
          {.title = "Hướng dẫn buộc dây", .description = "Giày Nike rep 1:1", .fires = false},
          /* a grade of copy the title offers before its intent cue makes it a sale */
          {.title = "Giày rep 1:1 cao cấp, check authentic pass 99% app", .description = "Nike Air Force 1",
           .fires = true},
          {.title = "Dịch vụ check authentic giày rep 1:1", .description = "Nike Air Force 1 hàng fake", .fires = false},
          {.title = "Giày không phải rep, dịch vụ check authentic", .description = "Nike Air Force 1 hàng fake",
           .fires = false},
          /* a title that names the rule decides for it */
          {.title = "Giày Nike Air Force 1", .price = 100000, .description = "Cho thuê giày theo ngày", .fires = true});
}

Test(intent, repairs_of_a_device_and_buy_back_posts_are_not_sales)
{
    static const char samsung_rule[] = "  - id: tm.samsung\n"
                                       "    kind: trademark\n"
                                       "    name: Samsung\n"
                                       "    terms: [\"samsung\", \"vinamilk\", \"mirado\"]\n"
                                       "    reference_price: 1000000\n"
                                       "    flag: {any: [{list: slang}, {price_below: 0.3}]}\n";
    CHECK(samsung_rule,
          {.title = "Sửa máy giặt Samsung tại nhà Hà Nội", .price = 150000, .fires = false},
          {.title = "Nhận sửa tủ lạnh Samsung, LG lấy liền", .price = 100000, .fires = false},
          {.title = "Chuyên sửa điện thoại Samsung thay màn hình", .price = 200000, .fires = false},
          {.title = "sua may giat samsung tai nha", .price = 150000, .fires = false},
          {.title = "Tiệm sửa túi, sửa ví Samsung da", .price = 150000, .fires = false},
          /* NFD: u + horn + hook above */
          {.title = "Su\xcc\x9b\xcc\x89" "a ti vi Samsung tại nhà", .price = 150000, .fires = false},
          {.title = "Thu mua điện thoại Samsung cũ giá cao", .fires = false},
          {.title = "thu mua dong ho mirado cu gia cao", .fires = false},
          {.title = "Thu mua tận nơi điện thoại Samsung hư hỏng", .fires = false},
          {.title = "Thu cũ đổi mới điện thoại Samsung, trợ giá lên đời", .price = 200000, .fires = false},
          /* milk, "sửa" in another sense, tools and parts, a repaired phone on sale: sales */
          {.title = "Sữa túi Vinamilk hàng fake giá rẻ", .fires = true},
          {.title = "Sữa máy Vinamilk hàng fake", .fires = true},
          {.title = "sua tui vinamilk hang fake", .fires = true},
          {.title = "Sửa giá! Đồng hồ Mirado hàng fake giá rẻ", .fires = true},
          {.title = "Bộ dụng cụ sửa điện thoại Samsung siêu cấp", .fires = true},
          {.title = "Linh kiện sửa máy giặt Samsung", .price = 100000, .fires = true},
          {.title = "Samsung S23 chưa sửa máy, hàng fake", .fires = true},
          /* buying words that say where goods were sourced, or a trader that sells: sales */
          {.title = "Đồng hồ Mirado Classic - thu cũ đổi mới, hàng fake giá rẻ", .fires = true},
          {.title = "Thu mua tại xưởng, đồng hồ Mirado siêu cấp", .fires = true},
          {.title = "Thu mua trực tiếp từ xưởng Mirado siêu cấp", .fires = true},
          {.title = "Thu mua bán điện thoại Samsung hàng fake", .fires = true},
          {.title = "Hàng thu mua, Samsung S23 siêu cấp", .fires = true},
          /* a repair or buy-back post that sells too is a sale */
          {.title = "Sửa máy giặt Samsung tại nhà, bán kèm máy Samsung hàng fake", .fires = true},
          {.title = "sua may giat samsung tai nha, ban kem may samsung hang fake", .fires = true},
          {.title = "Thu mua và bán điện thoại Samsung siêu cấp", .fires = true},
          {.title = "Thu mua điện thoại Samsung cũ, có bán máy siêu cấp", .fires = true},
          {.title = "Thu mua điện thoại Samsung cũ giá cao cho bạn, kể cả hàng fake", .fires = false});
    /* copyright rules fire on services, not on buy-back posts */
    CHECK("  - id: cr.sach\n"
          "    kind: copyright\n"
          "    name: Sách Toán 5\n"
          "    terms: [\"toán 5\"]\n"
          "    flag: {list: slang}\n",
          {.title = "Thu mua sách Toán 5 cũ, kể cả hàng fake", .fires = false},
          {.title = "Nhận sửa sách Toán 5 hàng fake", .fires = true});
}

/* A set of two packs: one that adds intent cues (docs/rules.md, "Intent"), one with the rules; NULL on a mistake
 * (each in diag). */
static ruleset *compile_two(const char *cues_pack, const char *rules_pack, diagnostics *diag)
{
    pack *p[2] = {pack_load_string("cues.yaml", cues_pack, strlen(cues_pack), diag),
                  pack_load_string("rules.yaml", rules_pack, strlen(rules_pack), diag)};
    ruleset *rs = NULL;
    if (!p[0] || !p[1] || ruleset_compile(p, 2, NULL, &rs, diag) < 0) {
        pack_free(p[0]);
        pack_free(p[1]);
        return NULL;
    }
    return rs;
}

static bool fires_in(const ruleset *rs, const char *title)
{
    ruleset_scratch *s;
    cr_assert_eq(ruleset_scratch_create(rs, &s), 0);
    listing_facts l = {.platform = "shopee", .listing_id = "1", .title = title, .title_length = strlen(title)};
    match_result r;
    cr_assert_eq(ruleset_match(rs, s, &l, &r), 0);
    bool fired = r.rule_count > 0;
    ruleset_scratch_destroy(s);
    return fired;
}

/* docs/rules.md, "Intent": a pack adds cue phrases per kind of post; the built-in ones stay */
Test(intent, a_pack_adds_cues_per_kind)
{
    static const char cues[] = "pack: cues\n"
                               "version: \"1\"\n"
                               "intent_cues:\n"
                               "  service: [\"tour du lịch\", \"đăng ký hộ\"]\n"
                               "  notice: [\"tuyển dụng\"]\n"
                               "  guide: [\"giải đáp\"]\n"
                               "  book: [\"truyện tranh\"]\n"
                               "  buying: [\"thu gom\"]\n"
                               "  guide_anywhere: [\"cách check\"]\n"
                               "  notice_anywhere: [\"thông báo hàng giả\"]\n"
                               "rules: []\n";
    static const char no_cues[] = "pack: cues\nversion: \"1\"\nrules: []\n";
    static const char rules[] = "pack: test\n"
                                "version: \"1\"\n"
                                "lists:\n"
                                "  slang: [\"rep 1:1\", \"hàng fake\"]\n"
                                "rules:\n"
                                "  - id: tm.nike\n"
                                "    kind: trademark\n"
                                "    name: Nike\n"
                                "    terms: [\"nike\"]\n"
                                "    flag: {list: slang}\n"
                                "  - id: cr.doraemon\n"
                                "    kind: copyright\n"
                                "    name: Doraemon\n"
                                "    terms: [\"doraemon\"]\n"
                                "    flag: {list: slang}\n";
    static const struct {
        const char *title;
        bool fires_with, fires_without;
    } cases[] = {
        {"Tour du lịch Thái Lan mua giày Nike rep 1:1 giá gốc", false, true},
        {"Đăng ký hộ tài khoản Nike, không nhận hàng fake", false, false}, /* negated anyway */
        {"Tuyển dụng nhân viên bán giày Nike rep 1:1", false, true},
        {"Giải đáp: giày Nike rep 1:1 có bền không", false, true},
        {"Thu gom giày Nike rep 1:1 cũ giá cao", false, true},
        {"Truyện tranh Nike hàng fake", false, true},
        {"Truyện tranh Doraemon hàng fake", true, true},               /* copyright rules fire on books */
        {"Giày Nike rep 1:1 - cách check hàng chuẩn", false, true},    /* anywhere: after the name too */
        {"Giày Nike rep 1:1 - giải đáp thắc mắc", true, true},         /* before the name only */
        {"Giày Nike rep 1:1 - thông báo hàng giả", false, true},       /* the longer cue wins over "thông báo" */
        {"Dịch vụ check authentic giày Nike rep 1:1", false, false},   /* built-in cues stay */
        {"Giày Nike rep 1:1 tour", true, true},
    };
    diagnostics diag;
    diagnostics_init(&diag);
    ruleset *with = compile_two(cues, rules, &diag), *without = compile_two(no_cues, rules, &diag);
    for (size_t i = 0; i < diag.count; i++)
        cr_log_error("%s", diag.messages[i]);
    cr_assert(with && without, "the packs did not compile");
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cr_expect_eq(fires_in(with, cases[i].title), cases[i].fires_with, "\"%s\" with the cues: expected %s",
                     cases[i].title, cases[i].fires_with ? "a flag" : "no flag");
        cr_expect_eq(fires_in(without, cases[i].title), cases[i].fires_without, "\"%s\" without: expected %s",
                     cases[i].title, cases[i].fires_without ? "a flag" : "no flag");
    }
    ruleset_destroy(with);
    ruleset_destroy(without);
    diagnostics_free(&diag);
}

Test(intent, intent_cue_mistakes)
{
    static const char rules[] = "pack: test\nversion: \"1\"\nrules: []\n";
    static const struct {
        const char *pack, *message;
    } bad[] = {
        {"pack: c\nversion: \"1\"\nintent_cues: {sale: [\"mua\"]}\nrules: []\n", "unknown kind of post 'sale'"},
        {"pack: c\nversion: \"1\"\nintent_cues: {service: \"tour\"}\nrules: []\n", "must be a list"},
        {"pack: c\nversion: \"1\"\nintent_cues: [tour]\nrules: []\n", "intent_cues must map"},
        {"pack: c\nversion: \"1\"\nintent_cues: {guide: [\"!!!\"]}\nrules: []\n", "normalizes to nothing"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        diagnostics diag;
        diagnostics_init(&diag);
        ruleset *rs = compile_two(bad[i].pack, rules, &diag);
        cr_expect_null(rs, "a bad pack compiled: %s", bad[i].pack);
        bool found = false;
        for (size_t k = 0; k < diag.count; k++)
            found |= strstr(diag.messages[k], bad[i].message) != NULL;
        cr_expect(found, "no diagnostic containing \"%s\"", bad[i].message);
        ruleset_destroy(rs);
        diagnostics_free(&diag);
    }
}

/* docs/rules.md, "Accessories and compatibility": a charger, a cable, earphones of a phone brand are its own parts,
 * priced at a tenth of its device's reference; claimed genuine after the head noun, the accessory list's head does
 * not excuse them */
Test(compatibility, own_parts_of_a_device_brand)
{
    static const char pack_text[] =
          "pack: parts\n"
          "version: \"1\"\n"
          "lists:\n"
          "  slang: [\"rep 1:1\", \"hàng fake\"]\n"
          "  accessory: [\"ốp lưng\", \"cáp sạc\", \"tai nghe\", \"tương thích\"]\n"
          "rules:\n"
          "  - id: tm.velonix\n"
          "    kind: trademark\n"
          "    name: Velonix\n"
          "    categories: [phones, electronics]\n"
          "    terms: [\"velonix\"]\n"
          "    reference_price: 4500000\n"
          "    flag: {any: [{list: slang}, {price_below: 0.3}]}\n"
          "    unless:\n"
          "      - list: accessory\n"
          "        near: 3\n"
          "  - id: tm.beatz\n"
          "    kind: trademark\n"
          "    name: Beatz\n"
          "    categories: [electronics]\n"
          "    terms: [\"beatz\"]\n"
          "    reference_price: 2000000\n"
          "    flag: {price_below: 0.3}\n"
          "  - id: tm.xiami\n"
          "    kind: trademark\n"
          "    name: Xiami\n"
          "    categories: [phones]\n"
          "    terms: [\"xiami\"]\n"
          "    reference_price: 500000\n"
          "    flag: {price_below: 0.3}\n";
    static const example e[] = {
          {.title = "Cáp sạc Velonix zin chính hãng", .price = 15000, .fires = true},
          {.title = "Tai nghe Velonix Buds 3 chính hãng", .price = 89000, .fires = true},
          {.title = "sac velonix 65w chinh hang", .price = 450000, .fires = false},
          {.title = "Tai nghe Velonix Buds 3 chính hãng nguyên seal", .price = 1290000, .fires = false},
          {.title = "Cáp sạc Velonix X9 dài 1m", .price = 150000, .fires = false},          /* the list's head */
          {.title = "Cáp sạc Type-C tương thích iPhone 15, Velonix", .price = 55000, .fires = false},
          {.title = "Điện thoại Velonix X9 chính hãng", .price = 450000, .fires = true},   /* the device */
          /* a headphones brand's earphones are its goods; a low reference is a cheap good's price already */
          {.title = "Tai nghe Beatz Studio Pro", .price = 300000, .fires = true},
          {.title = "Sạc nhanh Xiami 33W chính hãng", .price = 99000, .fires = true}};
    diagnostics diag;
    diagnostics_init(&diag);
    pack *p = pack_load_string("parts.yaml", pack_text, strlen(pack_text), &diag);
    ruleset *rs = NULL;
    cr_assert(p && ruleset_compile(&p, 1, NULL, &rs, &diag) == 0, "the pack did not compile");
    diagnostics_free(&diag);
    ruleset_scratch *s;
    cr_assert_eq(ruleset_scratch_create(rs, &s), 0);
    for (size_t i = 0; i < sizeof e / sizeof *e; i++) {
        listing_facts l = {.platform = "shopee", .listing_id = "1", .title = e[i].title,
                           .title_length = strlen(e[i].title), .has_price = true, .price = e[i].price};
        match_result r;
        cr_assert_eq(ruleset_match(rs, s, &l, &r), 0);
        cr_expect_eq(r.rule_count > 0, e[i].fires, "\"%s\" at %.0f: expected %s", e[i].title, e[i].price,
                     e[i].fires ? "a flag" : "no flag");
    }
    ruleset_scratch_destroy(s);
    ruleset_destroy(rs);
}

/* docs/rules.md, "Accessories and compatibility" */
Test(compatibility, a_brand_after_a_compatibility_word_names_the_device_not_the_maker)
{
    CHECK("  - id: tm.velonix\n"
          "    kind: trademark\n"
          "    name: Velonix\n"
          "    terms: [\"velonix\"]\n"
          "    flag: {any: [{list: slang}, {price_below: 0.3}]}\n"
          "    reference_price: 10000000\n",
          {.title = "Cường lực dành cho Samsung A54, Oppo Reno 8, Velonix X9", .price = 30000, .fires = false},
          {.title = "Bao da gập cho máy tính bảng (Samsung Tab S9 / Velonix Pad 2)", .price = 90000, .fires = false},
          {.title = "Cường lực camera cho Oppo A78, Redmi Note 13 hay Velonix X9", .price = 20000, .fires = false},
          {.title = "Ốp lưng tương thích Velonix X9 Pro", .price = 50000, .fires = false},
          {.title = "Case for Velonix X9", .price = 50000, .fires = false},
          /* the cue must come before the brand; "cho nam" is who wears it */
          {.title = "Velonix X9 Pro 256GB giá sốc", .price = 1500000, .fires = true},
          {.title = "Velonix X9 Pro hàng fake dành cho nam", .fires = true},
          {.title = "Điện thoại cho người già Velonix X9 hàng fake", .fires = true},
          /* a sentence ends the scope */
          {.title = "Cường lực dành cho Oppo A78. Velonix X9 hàng fake", .fires = true},
          /* in the description, a sentence that opens with an accessory's head noun makes a plain "cho" one too */
          {.title = "Chống trầy, chống sốc", .description = "Cường lực camera cho Oppo A78, Redmi Note 13 hay Velonix X9",
           .price = 20000, .fires = false},
          {.title = "Hàng mới về", .description = "Giao nhanh. Cáp dài 1.5m cho Velonix X9", .price = 20000,
           .fires = false},
          {.title = "Hàng mới về", .description = "Tặng kèm cho Velonix X9", .price = 20000, .fires = true},
          {.title = "Khóa thép 20mm lắp vừa Samsung Watch, Velonix Watch 2", .price = 20000,
           .fires = false},
          {.title = "Khung thép lắp cho Velonix X9", .price = 20000, .fires = false},
          {.title = "Hàng mới về", .description = "Cường lực tặng kèm. Máy cho Velonix fan, hàng fake", .fires = true});
}

/* A case, a strap or insoles that fit the brand's goods are priced as what
 * they are: the brand's reference price is no signal for them, unless the
 * text claims the brand's own genuine part. */
Test(compatibility, a_fitting_accessory_is_not_priced_against_the_brand)
{
    CHECK("  - id: tm.velonix\n"
          "    kind: trademark\n"
          "    name: Velonix\n"
          "    terms: [\"velonix\"]\n"
          "    flag: {any: [{list: slang}, {price_below: 0.3}]}\n"
          "    reference_price: 10000000\n"
          "    models:\n"
          "      - {name: Velonix Watch, terms: [\"velonix watch\"], reference_price: 8000000}\n",
          {.title = "Ốp lưng Velonix X9 Pro trong suốt", .price = 50000, .fires = false},
          {.title = "Dây đồng hồ Velonix Watch silicon 41mm", .price = 45000, .fires = false},
          {.title = "Lót giày êm chân Velonix", .price = 40000, .fires = false},
          /* the own part claimed genuine at that price, slang, or goods that are no fitting: still signals */
          {.title = "Dây đồng hồ Velonix Watch chính hãng", .price = 45000, .fires = true},
          {.title = "Ốp lưng Velonix X9 hàng fake", .price = 50000, .fires = true},
          {.title = "Sạc nhanh Velonix 65W", .price = 100000, .fires = true},
          {.title = "Miếng dán Velonix hộp 20 miếng", .price = 30000, .fires = true});
}

/* The packs' `unless: {list: accessory, near: N}` lists hold compatibility
 * cues too ("dành cho"): such a cue scopes only the mentions after it. */
Test(compatibility, a_listed_compatibility_cue_after_the_brand_is_no_exception)
{
    CHECK("  - id: tm.zorvik\n"
          "    kind: trademark\n"
          "    name: Zorvik\n"
          "    terms: [\"zorvik\"]\n"
          "    flag: {list: slang}\n"
          "    unless: [{list: accessory, near: 3}]\n"
          "  - id: tm.kavessi\n"
          "    kind: trademark\n"
          "    name: Kavessi\n"
          "    terms: [\"kavessi\"]\n"
          "    flag: {list: slang}\n"
          "    unless: [{list: accessory}]\n",
          {.title = "Giày Zorvik Court dành cho nam, hàng fake loại 1", .fires = true},
          {.title = "Zorvik Court tương thích mọi outfit, hàng fake", .fires = true},
          {.title = "Túi Kavessi dành cho nữ hàng fake", .fires = true},
          /* before the brand, and accessory nouns anywhere near, still make the exception */
          {.title = "Lót giày dành cho Zorvik Court hàng fake", .fires = false},
          {.title = "Dành cho Zorvik Court: lót hàng fake", .fires = false},
          {.title = "Zorvik ốp lưng hàng fake", .fires = false},
          {.title = "Dây đeo dành cho túi Kavessi hàng fake", .fires = false});
}

/* docs/rules.md, "Conditions": near_before / near_after read one side of the
 * hit only ("so sánh với X" before the brand, "ghép" after the name). */
Test(conditions, near_before_and_near_after_read_one_side_of_the_hit)
{
    CHECK("  - id: pv.st25\n"
          "    kind: plant_variety\n"
          "    name: ST25\n"
          "    terms: [\"st25\"]\n"
          "    flag: {list: seed, near_after: 2}\n"
          "  - id: tm.velonix\n"
          "    kind: trademark\n"
          "    name: Velonix\n"
          "    terms: [\"velonix\"]\n"
          "    flag: {list: slang}\n"
          "    unless: [{list: accessory, near_before: 3}]\n",
          {.title = "Gạo ST25 lúa giống", .fires = true},
          {.title = "Gạo ST25 là lúa giống", .fires = true},
          {.title = "Lúa giống ST25 thu mua", .fires = false},
          {.title = "Gạo ST25 hạt dài thơm dẻo lúa giống", .fires = false},
          {.title = "Ốp lưng Velonix X9 hàng fake", .fires = false},
          {.title = "Velonix X9 hàng fake tặng ốp lưng", .fires = true},
          {.title = "Velonix X9 ốp lưng hàng fake", .fires = true});
    /* both sides, of different widths; near: N is both at N, as before */
    CHECK("  - id: pv.st25\n"
          "    kind: plant_variety\n"
          "    name: ST25\n"
          "    terms: [\"st25\"]\n"
          "    flag: {list: seed, near_before: 1, near_after: 3}\n"
          "  - id: pv.st24\n"
          "    kind: plant_variety\n"
          "    name: ST24\n"
          "    terms: [\"st24\"]\n"
          "    flag: {list: seed, near: 2}\n",
          {.title = "Lúa giống ST25", .fires = true},
          {.title = "Lúa giống loại ST25", .fires = false},
          {.title = "ST25 bao 10kg lúa giống", .fires = true},
          {.title = "ST25 bao 10kg hàng mới lúa giống", .fires = false},
          {.title = "Lúa giống loại ST24", .fires = true},
          {.title = "ST24 bao lúa giống", .fires = true},
          {.title = "ST24 bao 10kg lúa giống", .fires = false});
    /* rules explain names the side */
    ruleset *rs = compile_ok("  - id: pv.st25\n    kind: plant_variety\n    name: ST25\n    terms: [\"st25\"]\n"
                             "    flag: {list: seed, near_after: 2}\n");
    ruleset_scratch *s;
    cr_assert_eq(ruleset_scratch_create(rs, &s), 0);
    const char *title = "Lúa giống ST25";
    listing_facts l = {.platform = "shopee", .listing_id = "1", .title = title, .title_length = strlen(title)};
    bytebuf out;
    bytebuf_init(&out, 0);
    cr_assert_eq(ruleset_explain(rs, s, &l, &out), 0);
    bytebuf_append_char(&out, '\0');
    cr_expect(strstr(out.data, "list seed within 2 words after a hit => false"), "%s", out.data);
    bytebuf_free(&out);
    ruleset_scratch_destroy(s);
    ruleset_destroy(rs);
}

/* docs/rules.md, "Joined letters": one repeated separator */
Test(joined, letters_split_by_one_repeated_separator_join_even_next_to_a_lone_letter)
{
    CHECK(nike_rule,
          {.title = "Giày n-i-k-e 1 hàng fake", .fires = true},
          {.title = "Giày N_I_K_E x 2 đôi hàng fake", .fires = true},
          {.title = "Giày n⭐i⭐k⭐e 1 hàng fake", .fires = true},
          {.title = "Giày n💥i💥k💥e hàng fake", .fires = true},
          {.title = "A N.I.K.E giày hàng fake", .fires = true},
          {.title = "Giày N/I/K/E hàng fake", .fires = true},
          {.title = "Giày N I K E hàng fake", .fires = true},
          /* a lone character with the run's own separator: the name still ends (or starts) at a token boundary */
          {.title = "Giày N I K E x 2 đôi hàng fake", .fires = true},
          {.title = "Giày x N I K E hàng fake", .fires = true},
          {.title = "Giày 2 N I K E 4 hàng fake", .fires = true},
          /* but not three characters away: "nikeabc" is another word */
          {.title = "Giày N I K E A B C hàng fake", .fires = false},
          /* a separator that changes is two runs: no "nike" made of n.i and k.e */
          {.title = "Giày n.i k.e hàng fake", .fires = false});
}

/* a word written in short pieces with one repeated separator and no space: "fa-ke" */
Test(joined, short_pieces_of_one_word_join)
{
    CHECK("  - id: tm.lumora\n"
          "    kind: trademark\n"
          "    name: Lumora\n"
          "    terms: [\"lumora\"]\n"
          "    flag: {term: fake}\n",
          {.title = "Serum Lumora fa-ke loại 1", .fires = true},
          {.title = "Serum Lu.mo.ra fake loại 1", .fires = true},
          {.title = "Serum Lu💥mo💥ra hàng fa💥ke", .fires = true},
          /* a space, or a separator that changes, keeps the pieces apart */
          {.title = "Serum Lumora fa ke loại 1", .fires = false},
          {.title = "Serum Lumora fa- ke loại 1", .fires = false},
          {.title = "Serum Lu.mo-ra fa-ke", .fires = false},
          /* pieces of four characters are words of their own */
          {.title = "Serum Lumora fa-kenews", .fires = false});
}

/* docs/rules.md, "Joined letters": two letters joined by a dot or "&" ("C.K", "C.K.", "D&G") read as one word, for
 * a term guarded by context too, also when the letters touch the word before ("nam.C.K", "lót...C.K": a short word,
 * then letters of their own, is no word in pieces); "Ni.k.e" and "Nik.e" stay one word in pieces */
Test(joined, two_dotted_letters_join_even_after_a_short_word)
{
    CHECK("  - id: tm.ck\n"
          "    kind: trademark\n"
          "    name: Calvin Klein\n"
          "    terms: [\"calvin klein\", \"ck\", \"dg\", \"nike\"]\n"
          "    context: {list: accessory, near: 4}\n"
          "    flag: {term: fake}\n",
          {.title = "Dây đeo nam C.K fake", .fires = true},
          {.title = "Dây đeo nam C.K. fake", .fires = true},
          {.title = "Dây đeo D&G fake", .fires = true},
          {.title = "Dây đeo nam.C.K fake", .fires = true},
          {.title = "Dây đeo...C.K fake", .fires = true},
          {.title = "Lót giày Ni.k.e fake", .fires = true},
          {.title = "Lót giày Nik.e fake", .fires = true},
          {.title = "Dây đeo nam C K fake", .fires = false},
          {.title = "Quần nam C.K fake", .fires = false});
}

/* patterns read the joined view too: a monogram written "Q-V" */
Test(joined, patterns_see_letters_joined)
{
    CHECK("  - id: tm.qv\n"
          "    kind: trademark\n"
          "    name: Quinvale\n"
          "    patterns: ['\\bqv\\b']\n"
          "    flag: {list: slang}\n",
          {.title = "Khăn QV họa tiết hàng fake", .fires = true},
          {.title = "Khăn Q-V họa tiết hàng fake", .fires = true},
          {.title = "Khăn Q✨V họa tiết hàng fake", .fires = true},
          /* two letters split by a space are two words: "q v" is no monogram */
          {.title = "Khăn Q V họa tiết hàng fake", .fires = false},
          {.title = "Khăn QVX họa tiết hàng fake", .fires = false});
}

/* docs/rules.md, "Marks": both marked, the marks must agree */
Test(marks, a_word_marked_on_both_sides_must_be_the_same_word)
{
    CHECK("  - id: gi.lua\n"
          "    kind: gi\n"
          "    name: Lụa Vạn Phúc\n"
          "    terms: [\"lụa vạn phúc\"]\n"
          "  - id: gi.cam\n"
          "    kind: gi\n"
          "    name: Cam Bố Hạ\n"
          "    terms: [\"cam bố hạ\"]\n",
          {.title = "Khăn lụa Vạn Phúc", .fires = true},
          {.title = "Khăn LỤA VẠN PHÚC", .fires = true},
          {.title = "khan lua van phuc", .fires = true},
          {.title = "Gạo lúa Vạn Phúc mùa mới", .fires = false},
          {.title = "Cam Bố Hạ Bắc Giang", .fires = true},
          {.title = "cam bo ha bac giang", .fires = true},
          {.title = "Cám bò hạ giá cuối năm", .fires = false},
          {.title = "Cam bo Hạ quả to", .fires = true});
}

/* docs/rules.md, "Marks": a cue whose words are marked on one side in a hit that carries marks */
Test(marks, a_cue_typed_with_marks_but_one_word_bare_is_another_word)
{
    CHECK("  - id: tm.dove\n"
          "    kind: trademark\n"
          "    name: Dove\n"
          "    terms: [\"dove\"]\n"
          "    flag:\n"
          "      any:\n"
          "        - term: \"hàng chợ\"\n"
          "        - list: slang\n",
          {.title = "Sữa tắm Dove hàng chợ 59k", .fires = true},
          {.title = "SỮA TẮM DOVE HÀNG CHỢ", .fires = true},
          /* "hàng cho bé": "cho" (for) written bare by a writer who types marks */
          {.title = "Sữa tắm Dove hàng cho bé", .fires = false},
          {.title = "Sữa tắm Dove hàng cho mẹ và bé, hàng chợ", .fires = true},
          /* typed without any marks: cannot tell, kept */
          {.title = "Sua tam Dove hang cho 59k", .fires = true},
          /* a cue bare in a field typed with marks elsewhere is kept: only the hit's own words decide */
          {.title = "Sữa tắm Dove sieu cap", .fires = true},
          {.title = "Sữa tắm Dove hang fake", .fires = true});
    /* names are not cues: a place or a brand typed bare next to a marked word keeps its hit */
    CHECK("  - id: gi.cam\n"
          "    kind: gi\n"
          "    name: Cam Bố Hạ\n"
          "    terms: [\"cam bố hạ\"]\n",
          {.title = "Cam Bố Ha loại 1", .fires = true});
}

/* The matcher reads a term's words once (marks_term_words) and only the
 * text's at each hit: the same answers as marks_judge reading both, on
 * every pair of words and phrases written composed, decomposed, in capitals,
 * bare, with another tone, joined by punctuation. */
Test(marks, a_term_read_once_judges_as_a_term_read_at_each_hit)
{
    static const char *const words[] = {"hàng", "hang", "HÀNG", "hãng", "chợ", "cho", "CHỢ", "lụa", "lúa", "lua",
                                        "Đà", "đá", "da", "phở", "pho", "bố", "bò", "Hạ", "ha", "nike", "x2",
                                        "ngoài", "ngoai", "hoà", "hòa", "quốc", "QUỐC", "tế", "Ω", "\xff"};
    size_t n = sizeof words / sizeof *words;
    char *forms[3 * sizeof words / sizeof *words];
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        forms[count++] = strdup(words[i]);
        char *nfd = (char *)utf8proc_NFD((const utf8proc_uint8_t *)words[i]);
        forms[count++] = nfd ? nfd : strdup(words[i]);
        char *nfc_upper = strdup(words[i]);
        for (char *c = nfc_upper; *c; c++)
            if (*c >= 'a' && *c <= 'z')
                *c = (char)(*c - 'a' + 'A');
        forms[count++] = nfc_upper;
    }
    static const char *const joiners[] = {" ", "-", "  ", ". "};
    size_t checked = 0;
    for (size_t a = 0; a < count; a++)
        for (size_t b = 0; b < count; b += 3)
            for (size_t j = 0; j < sizeof joiners / sizeof *joiners; j++) {
                char term[96], text[96];
                snprintf(term, sizeof term, "%s %s", forms[a], forms[(a + b) % count]);
                snprintf(text, sizeof text, "%s%s%s", forms[(a + 1) % count], joiners[j], forms[b]);
                const char *terms[2] = {term, forms[a]}, *texts[2] = {text, forms[b]};
                for (int t = 0; t < 2; t++)
                    for (int x = 0; x < 2; x++) {
                        uint32_t compiled[256];
                        size_t c = marks_term_words(terms[t], compiled, 256);
                        cr_assert_neq(c, SIZE_MAX);
                        bool d1 = false, d2 = false;
                        bool a1 = marks_judge(terms[t], texts[x], strlen(texts[x]), &d1);
                        bool a2 = marks_judge_words(compiled, c, texts[x], strlen(texts[x]), &d2);
                        cr_assert_eq(a1, a2, "'%s' on '%s'", terms[t], texts[x]);
                        cr_assert_eq(d1, d2, "'%s' on '%s' (dropped)", terms[t], texts[x]);
                        checked++;
                    }
            }
    cr_assert_gt(checked, 10000);
    for (size_t i = 0; i < count; i++)
        free(forms[i]);
}

Test(negation, a_term_condition_under_a_negator_does_not_hold)
{
    CHECK("  - id: tm.chanel\n"
          "    kind: trademark\n"
          "    name: Chanel\n"
          "    terms: [\"chanel\"]\n"
          "    flag: {term: \"like auth\"}\n",
          {.title = "Túi Chanel like auth", .fires = true},
          {.title = "Túi Chanel không like auth", .fires = false},
          {.title = "Túi Chanel chưa like auth", .fires = false});
}

/* docs/rules.md, "Negation and disclaimers": a cue inside a longer cue, and guarantees */
Test(negation, a_cue_inside_a_longer_one_shares_its_fate_and_guarantees_are_no_sale)
{
    CHECK("  - id: tm.nike\n"
          "    kind: trademark\n"
          "    name: Nike\n"
          "    terms: [\"nike\"]\n"
          "    flag:\n"
          "      any:\n"
          "        - list: slang\n"
          "        - term: \"fake\"\n"
          "        - term: \"in logo\"\n"
          "        - term: \"không chính hãng\"\n"
          "    unless:\n"
          "      - all: [{term: \"không in logo\"}, {term: \"phát hiện\"}, {term: \"zzzz\"}]\n",
          /* "fake" is 6 words after the negator, "hàng fake" 5: "fake" shares the fate of "hàng fake" */
          {.title = "Giày Nike, shop không kinh doanh các loại hàng fake", .fires = false},
          {.title = "Giày Nike, shop không kinh doanh các loại hàng fake, hàng siêu cấp", .fires = false},
          {.title = "Giày Nike, shop kinh doanh các loại hàng fake", .fires = true},
          /* negated by its own negator, inside a longer cue that starts with it: still negated */
          {.title = "Áo Nike dáng rộng không in logo", .fires = false},
          {.title = "Áo Nike in logo sắc nét", .fires = true},
          /* a guarantee: "phát hiện" (should you find), "nếu" (if) right before the cue */
          {.title = "Giày Nike, phát hiện hàng fake hoàn tiền 200%", .fires = false},
          {.title = "Giày Nike, hoàn tiền 200% nếu phát hiện fake", .fires = false},
          {.title = "Giày Nike đền gấp 10 lần nếu là hàng fake", .fires = false},
          {.title = "Giày Nike, hoàn tiền nếu không chính hãng", .fires = false},
          {.title = "Giày Nike. Nếu là hàng không chính hãng hoặc hàng fake shop hoàn tiền gấp đôi", .fires = false},
          /* a list of goods that began with a negated cue: other goods between the cues */
          {.title = "Giày Nike, shop không bán hàng fake, hàng kém chất lượng hay hàng siêu cấp", .fires = false},
          {.title = "Giày Nike. Không bán hàng fake, đồ kém chất lượng, sản phẩm trôi nổi, rep 1:1", .fires = false},
          {.title = "Giày Nike. Không bán hàng fake, hàng kém chất lượng. Hàng siêu cấp giá rẻ", .fires = true},
          {.title = "Giày Nike không hộp, hàng đẹp, hàng siêu cấp", .fires = true},
          {.title = "Giày Nike hàng chuẩn, hàng đẹp, hàng siêu cấp", .fires = true},
          /* "nếu" with other words before the cue is no guarantee: an offer */
          {.title = "Giày Nike, nếu bạn cần hàng fake giá rẻ inbox", .fires = true},
          {.title = "Giày Nike hàng fake, phát hiện sai hoàn tiền", .fires = true},
          {.title = "Giày Nike không chính hãng, giá rẻ", .fires = true});
}

/* docs/rules.md, "Negation and disclaimers": a refund promised after the cue list */
Test(negation, a_refund_after_an_accusing_cue_list_is_a_guarantee)
{
    CHECK("  - id: tm.nike\n"
          "    kind: trademark\n"
          "    name: Nike\n"
          "    terms: [\"nike\"]\n"
          "    flag:\n"
          "      any:\n"
          "        - list: slang\n"
          "        - term: \"fake\"\n"
          "        - term: \"hàng giả\"\n"
          "        - term: \"không auth\"\n",
          {.title = "Giày Nike chính hãng. Hàng không auth hoặc hàng fake đều hoàn tiền", .fires = false},
          {.title = "giay nike chinh hang. hang khong auth hoac hang fake deu hoan tien", .fires = false},
          {.title = "Giày Nike Air, hàng fake hoàn tiền 100%", .fires = false},
          {.title = "Giày Nike Air, hàng giả bao đền", .fires = false},
          {.title = "Giày Nike Air: hàng giả, hàng fake thì shop hoàn tiền gấp đôi", .fires = false},
          {.title = "Giày Nike Air hàng fake hoàn tiền nếu phát hiện", .fires = false},
          /* a grade of copy, a refund on other terms, a comma before it, no refund: sales of copies */
          {.title = "Giày Nike Air rep 1:1 hoàn tiền 100%", .fires = true},
          {.title = "Giày Nike Air siêu cấp đều hoàn tiền", .fires = true},
          {.title = "Giày Nike Air hàng fake loại 1 hoàn tiền 100%", .fires = true},
          {.title = "Giày Nike Air hàng fake hoàn tiền nếu không giống hình", .fires = true},
          {.title = "Giày Nike Air hàng fake, hoàn tiền 100%", .fires = true},
          {.title = "Giày Nike Air hàng fake giá rẻ hoàn tiền", .fires = true},
          {.title = "Giày Nike Air siêu cấp hoặc hàng fake đều hoàn tiền", .fires = true});
}

/* A guarantee after a comma in the same sentence: the refund in other words ("đền bù", "bồi hoàn", "hoàn 200%",
 * "đền x10", "đền 10 lần") after the accusing cue, and a refund promised for an accusing condition ("hoàn tiền nếu
 * chứng minh được hàng fake", "... nếu sai hàng hoặc hàng giả") */
Test(negation, a_refund_in_other_words_or_for_an_accusing_condition_is_a_guarantee)
{
    CHECK("  - id: tm.nike\n"
          "    kind: trademark\n"
          "    name: Nike\n"
          "    terms: [\"nike\"]\n"
          "    flag:\n"
          "      any:\n"
          "        - list: slang\n"
          "        - term: \"fake\"\n"
          "        - term: \"hàng giả\"\n",
          {.title = "Giày Nike chính hãng, hàng fake đền bù gấp đôi", .fires = false},
          {.title = "Giày Nike chính hãng, hàng giả bồi hoàn 200%", .fires = false},
          {.title = "Giày Nike chính hãng, hàng fake hoàn 200%", .fires = false},
          {.title = "Giày Nike chính hãng, fake đền x10", .fires = false},
          {.title = "Giày Nike chính hãng, fake đền 10 lần", .fires = false},
          {.title = "Giày Nike chính hãng, hoàn tiền nếu chứng minh được hàng fake", .fires = false},
          {.title = "Giày Nike chính hãng, đền gấp 10 nếu check ra hàng giả", .fires = false},
          {.title = "Giày Nike chính hãng, hoàn tiền nếu kiểm tra thấy hàng giả", .fires = false},
          {.title = "Giày Nike chính hãng, hoàn tiền gấp đôi nếu sai hàng hoặc hàng giả", .fires = false},
          {.title = "giay nike chinh hang, den gap 10 lan gia tri neu check ra fake", .fires = false},
          /* other words that fold like a refund's, a condition cut by a dash or a colon, a grade of copy */
          {.title = "Giày Nike hàng fake hoàn toàn giống thật", .fires = true},
          {.title = "Giày Nike hàng fake hoàn hảo", .fires = true},
          {.title = "Giày Nike hàng fake đến 10 ngày có hàng", .fires = true},
          {.title = "Giày Nike hàng fake 1 đến 2 ngày có hàng", .fires = true},
          {.title = "Giày Nike hàng fake đèn led", .fires = true},
          {.title = "Giày Nike, hoàn tiền nếu lỗi - hàng fake giá rẻ", .fires = true},
          {.title = "Giày Nike, hoàn tiền nếu lỗi: hàng fake giá rẻ", .fires = true},
          {.title = "Giày Nike, đền tiền nếu hỏng, bán hàng fake giá rẻ", .fires = true},
          {.title = "Giày Nike, hoàn tiền nếu giao nhầm hàng fake loại 1", .fires = true});
}

/* docs/rules.md, "Negation and disclaimers": a mention or a cue asked and answered no */
Test(negation, a_question_answered_no_is_a_disclaimer)
{
    CHECK(nike_rule,
          {.title = "Túi tote vải #nikestyle? không, túi vải trơn", .price = 99000, .fires = false},
          {.title = "tui tote vai #nikestyle? khong, tui vai tron", .price = 99000, .fires = false},
          {.title = "Giày Nike? Không phải. Giày thể thao giá rẻ", .price = 99000, .fires = false},
          {.title = "Hàng fake? Không, giày Nike chính hãng", .fires = false},
          /* no answer, or another cue that stands */
          {.title = "Giày Nike? Không lo hết size, giá rẻ", .price = 99000, .fires = true},
          {.title = "Giày Nike rep 1:1? Không, hàng fake loại 1", .fires = true},
          {.title = "Nike chính hãng? Ko, hàng fake", .fires = true},
          {.title = "Giày Nike? Có, hàng fake", .fires = true});
}

/* docs/rules.md, "Negation and disclaimers": a negator inside a name is no negator only for the name's own pack:
 * another pack's term ("hàng không", aviation) or name never silences this pack's real negation ("hàng không
 * fake", goods that are not fake) */
Test(negation, another_packs_name_never_hides_a_negator)
{
    static const char airlines[] = "pack: airlines\n"
                                   "version: \"1\"\n"
                                   "lists:\n"
                                   "  resale: [\"vé giả\"]\n"
                                   "rules:\n"
                                   "  - id: tm.air\n"
                                   "    kind: trademark\n"
                                   "    name: Hàng không Veloair\n"
                                   "    terms: [\"hàng không\", \"veloair\"]\n"
                                   "    flag: {list: resale}\n";
    static const char marks[] = "pack: marks\n"
                                "version: \"1\"\n"
                                "lists:\n"
                                "  copy: [\"fake\", \"hàng nhái\"]\n"
                                "rules:\n"
                                "  - id: tm.zorvik\n"
                                "    kind: trademark\n"
                                "    name: Zorvik\n"
                                "    terms: [\"zorvik\"]\n"
                                "    flag: {list: copy}\n"
                                "  - id: cr.film\n"
                                "    kind: copyright\n"
                                "    name: Tử chiến trên không\n"
                                "    terms: [\"tử chiến trên không\"]\n"
                                "    flag: {list: copy}\n";
    diagnostics diag;
    diagnostics_init(&diag);
    ruleset *both = compile_two(airlines, marks, &diag);
    for (size_t i = 0; i < diag.count; i++)
        cr_log_error("%s", diag.messages[i]);
    cr_assert_not_null(both);
    /* the airline pack's "hàng không" hits, but the negation of this pack's cue is read as written */
    cr_expect(!fires_in(both, "Túi Zorvik hàng không fake"));
    cr_expect(fires_in(both, "Túi Zorvik hàng fake"));
    /* this pack's own name keeps its "không": the film's title is no negator for the cue after it */
    cr_expect(fires_in(both, "DVD Tử chiến trên không fake"));
    ruleset_destroy(both);
    diagnostics_free(&diag);
}

/* docs/rules.md, "Negation and disclaimers": a contrast ("nhưng", bare "nhung", "but") ends a negator's scope: what
 * follows it is asserted ("hàng ko phải Syngenta nhưng chai giống 100%"), and a cue that opens with it is never
 * negated (2026.12.15) */
Test(negation, a_contrast_ends_the_negation)
{
    ruleset *rs = compile_ok("  - id: tm.karate\n    kind: trademark\n    name: Karate\n"
                             "    terms: [\"karate 2.5ec\"]\n"
                             "    flag: {list: slang}\n");
    cr_assert_not_null(rs);
    cr_expect(fires_in(rs, "Karate 2.5EC, ko phải của hãng nhưng hàng fake đẹp"));
    cr_expect(fires_in(rs, "Karate 2.5EC, khong phai cua hang nhung hang fake dep"));
    cr_expect(fires_in(rs, "Karate 2.5EC not original but hàng fake"));
    cr_expect(!fires_in(rs, "Karate 2.5EC, không phải hàng fake"));
    cr_expect(!fires_in(rs, "Karate 2.5EC, không bán hàng fake"));
    ruleset_destroy(rs);
}

/* docs/rules.md, "Negation and disclaimers": a cue of another pack that begins with a negator ("không phải hàng" in
 * a plant-varieties list) neither hides the negator from this pack's cues nor makes them count */
Test(negation, another_packs_cue_never_hides_a_negator)
{
    static const char plants[] = "pack: plants\n"
                                 "version: \"1\"\n"
                                 "lists:\n"
                                 "  unlisted: [\"không phải hàng\", \"không phải giống\"]\n"
                                 "rules:\n"
                                 "  - id: pv.st25\n"
                                 "    kind: plant_variety\n"
                                 "    name: Lúa ST25\n"
                                 "    terms: [\"lúa st25\"]\n"
                                 "    flag: {list: unlisted, near: 4}\n";
    static const char marks[] = "pack: marks\n"
                                "version: \"1\"\n"
                                "lists:\n"
                                "  copy: [\"vnxk\", \"hàng fake\", \"không rõ nguồn gốc\"]\n"
                                "rules:\n"
                                "  - id: tm.levis\n"
                                "    kind: trademark\n"
                                "    name: Levi's\n"
                                "    terms: [\"levi's\", \"levis\"]\n"
                                "    flag: {list: copy}\n";
    diagnostics diag;
    diagnostics_init(&diag);
    ruleset *both = compile_two(plants, marks, &diag);
    for (size_t i = 0; i < diag.count; i++)
        cr_log_error("%s", diag.messages[i]);
    cr_assert_not_null(both);
    /* the negated cue stays negated with the other pack loaded */
    cr_expect(!fires_in(both, "Quần Levi's 501 không phải hàng VNXK, hàng tuyển"));
    cr_expect(!fires_in(both, "Quần Levi's không phải hàng VNXK hay hàng fake"));
    cr_expect(fires_in(both, "Quần Levi's 501 hàng VNXK"));
    /* the other pack's own cue still counts for its rule, and this pack's phrase keeps its own negator */
    cr_expect(fires_in(both, "Lúa ST25 không phải hàng chuẩn viện"));
    cr_expect(fires_in(both, "Quần Levi's không rõ nguồn gốc hàng fake"));
    ruleset_destroy(both);
    diagnostics_free(&diag);
}

/* docs/rules.md, "A slot for the rule's hit": a list phrase with "{mark}" hits where the judged rule's own term hit
 * fills the slot ("vỏ Nike in lại"), for that rule only; "không phải {mark} chính hãng" admits a copy */
Test(conditions, a_list_phrase_with_a_slot_for_the_rules_hit)
{
    static const char slots[] = "pack: slots\n"
                                "version: \"1\"\n"
                                "lists:\n"
                                "  reprint: [\"vỏ {mark} in lại\", \"khắc logo {mark}\", \"có chữ {mark}\",\n"
                                "            \"không phải {mark} chính hãng\"]\n"
                                "rules:\n"
                                "  - id: tm.nike\n    kind: trademark\n    name: Nike\n    terms: [\"nike\"]\n"
                                "    flag: {list: reprint}\n"
                                "  - id: tm.puma\n    kind: trademark\n    name: Puma\n    terms: [\"puma\"]\n"
                                "    flag: {list: reprint}\n";
    static const char other[] = "pack: other\nversion: \"1\"\nrules: []\n";
    diagnostics diag;
    diagnostics_init(&diag);
    ruleset *rs = compile_two(other, slots, &diag);
    for (size_t i = 0; i < diag.count; i++)
        cr_log_error("%s", diag.messages[i]);
    cr_assert_not_null(rs);
    cr_expect(fires_in(rs, "Hộp giày vỏ Nike in lại"));
    cr_expect(fires_in(rs, "Bật lửa khắc logo NIKE"));
    cr_expect(fires_in(rs, "Hộp vỏ N.I.K.E in lại"));
    cr_expect(fires_in(rs, "Áo thun có chữ Puma to"));
    cr_expect(fires_in(rs, "Giày thể thao không phải Nike chính hãng"));
    /* the words must be right around the hit, in one clause, not negated; the literal word "mark" is nothing */
    cr_expect(!fires_in(rs, "Giày Nike vỏ hộp in lại"));
    cr_expect(!fires_in(rs, "Hộp vỏ, Nike in lại"));
    cr_expect(!fires_in(rs, "Giày Puma không khắc logo Nike"));
    cr_expect(!fires_in(rs, "Hộp vỏ mark in lại Nike"));
    cr_expect(!fires_in(rs, "Giày thể thao không phải Nike"));
    ruleset_destroy(rs);
    /* mistakes: two slots, a slot alone, a slot in a rule's terms */
    static const char bad[] = "pack: bad\n"
                              "version: \"1\"\n"
                              "lists:\n"
                              "  l: [\"{mark} và {mark}\", \" {mark} \"]\n"
                              "rules:\n"
                              "  - id: tm.x\n    kind: trademark\n    name: X\n    terms: [\"vỏ {mark}\"]\n"
                              "    flag: {list: l}\n";
    diagnostics_free(&diag);
    diagnostics_init(&diag);
    cr_expect_null(compile_two(other, bad, &diag));
    bool two = false, alone = false, term = false;
    for (size_t i = 0; i < diag.count; i++) {
        two |= strstr(diag.messages[i], "one {mark} per phrase") != NULL;
        alone |= strstr(diag.messages[i], "words before or after {mark}") != NULL;
        term |= strstr(diag.messages[i], "slot of list phrases only") != NULL;
    }
    cr_expect(two && alone && term);
    diagnostics_free(&diag);
}

Test(conditions, a_zero_price_or_a_foreign_currency_is_no_price_signal)
{
    ruleset *rs = compile_ok(nike_rule);
    ruleset_scratch *s;
    cr_assert_eq(ruleset_scratch_create(rs, &s), 0);
    const char *title = "Giày Nike Air";
    listing_facts l = {.platform = "shopee", .listing_id = "1", .title = title, .title_length = strlen(title),
                       .has_price = true, .price = 0};
    match_result r;
    cr_assert_eq(ruleset_match(rs, s, &l, &r), 0);
    cr_expect_eq(r.rule_count, 0, "price 0 means unknown");
    l.price = 10;
    l.currency = "USD";
    cr_assert_eq(ruleset_match(rs, s, &l, &r), 0);
    cr_expect_eq(r.rule_count, 0, "10 USD is not compared with a VND reference");
    l.currency = "VND";
    cr_assert_eq(ruleset_match(rs, s, &l, &r), 0);
    cr_expect_eq(r.rule_count, 1);
    ruleset_scratch_destroy(s);
    ruleset_destroy(rs);
}

Test(conditions, authorized_seller_with_platform_applies_to_that_platform_only)
{
    ruleset *rs = compile_ok(nike_rule);
    ruleset_scratch *s;
    cr_assert_eq(ruleset_scratch_create(rs, &s), 0);
    const char *title = "Giày Nike rep 1:1";
    listing_facts l = {.platform = "lazada", .listing_id = "1", .title = title, .title_length = strlen(title),
                       .seller_id = "nike_official"};
    match_result r;
    cr_assert_eq(ruleset_match(rs, s, &l, &r), 0);
    cr_expect_eq(r.rule_count, 1, "shopee:nike_official is not authorized on lazada");
    l.platform = "shopee";
    cr_assert_eq(ruleset_match(rs, s, &l, &r), 0);
    cr_expect_eq(r.rule_count, 0);
    ruleset_scratch_destroy(s);
    ruleset_destroy(rs);
}

Test(conditions, default_flag_is_a_hit_by_an_unauthorized_seller)
{
    CHECK("  - id: cr.win\n    kind: copyright\n    name: Windows\n    terms: [\"windows 11\"]\n"
          "    authorized_sellers: [\"ms\"]\n",
          {.title = "Windows 11 Pro", .fires = true},
          {.title = "Windows 11 Pro", .seller = "ms", .fires = false},
          {.title = "Windows 10 Pro", .fires = false});
}

Test(conditions, seller_outside_region_with_old_and_new_province_names)
{
    CHECK("  - id: gi.vai\n    kind: gi\n    name: Vải thiều Lục Ngạn\n    terms: [\"vải thiều lục ngạn\"]\n"
          "    region: [\"Lục Ngạn\", \"Bắc Giang\", \"Bắc Ninh\"]\n"
          "    flag: {seller_outside_region: true}\n",
          {.title = "Vải thiều Lục Ngạn loại 1", .location = "Hà Nội", .fires = true},
          {.title = "Vải thiều Lục Ngạn loại 1", .location = "Bắc Giang", .fires = false},
          {.title = "VẢI THIỀU LỤC NGẠN", .location = "TP. Bắc Ninh", .fires = false},
          {.title = "Vải thiều Lục Ngạn", .location = "huyện Lục Ngạn, tỉnh Bắc Giang", .fires = false},
          {.title = "Vải thiều Lục Ngạn", .location = "Ninh Bình", .fires = true},
          {.title = "Vải thiều Lục Ngạn", .fires = false}, /* unknown location: no claim */
          {.title = "Vải thiều Thanh Hà", .location = "Hà Nội", .fires = false});
}

Test(conditions, liquor_distilled_at_a_place_is_a_stated_origin)
{
    /* "nấu tại" / "chưng cất tại" (distilled at) state where a liquor was made, like "sản xuất tại" */
    CHECK("  - id: cm.bau-da\n    kind: collective_mark\n    name: Rượu Bàu Đá\n    terms: [\"rượu bàu đá\"]\n"
          "    region: [\"Nhơn Lộc\", \"An Nhơn\", \"Bình Định\", \"Gia Lai\"]\n"
          "    flag: {stated_origin_outside_region: true}\n",
          {.title = "Rượu Bàu Đá can 5 lít, nấu tại Long An", .fires = true},
          {.title = "Rượu Bàu Đá chưng cất tại Củ Chi, TP. Hồ Chí Minh", .fires = true},
          {.title = "Rượu Bàu Đá nấu tại Nhơn Lộc, An Nhơn", .fires = false},
          {.title = "Rượu Bàu Đá nấu tại nhà theo công thức cổ", .fires = false});
}

/* docs/rules.md, "Stated origin": goods gathered from a place and brought here ("nhãn Sơn La gom về Hưng Yên") state
 * the place before "gom về", as "nhập về" does; "nấu ở" (cooked, distilled at) is "nấu tại"; the source or the
 * orchard named after "nguồn hàng từ", "gom từ", "vườn ở/tại" (2026.12.15) */
Test(conditions, goods_gathered_from_a_place_and_liquor_cooked_there_are_stated_origins)
{
    CHECK("  - id: gi.nhan\n    kind: gi\n    name: Nhãn lồng Hưng Yên\n    terms: [\"nhãn lồng hưng yên\"]\n"
          "    region: [\"Hưng Yên\"]\n"
          "    flag: {stated_origin_outside_region: true}\n"
          "  - id: cm.van\n    kind: collective_mark\n    name: Rượu làng Vân\n    terms: [\"rượu làng vân\"]\n"
          "    region: [\"Vân Hà\", \"Việt Yên\", \"Bắc Giang\", \"Bắc Ninh\"]\n"
          "    flag: {stated_origin_outside_region: true}\n",
          {.title = "Nhãn lồng Hưng Yên, nhãn Sơn La gom về Hưng Yên đóng thùng", .fires = true},
          {.title = "Nhãn lồng Hưng Yên, hàng gom về từ các vườn ở Khoái Châu", .fires = false},
          {.title = "Nhãn lồng Hưng Yên, shop ở Hà Nội gom về bán", .fires = false},
          {.title = "Rượu làng Vân can 5 lít, nấu ở Hà Nội", .fires = true},
          {.title = "Rượu làng Vân can 5 lít, nấu ở Việt Yên", .fires = false},
          {.title = "Nhãn lồng Hưng Yên thùng 10kg, nguồn hàng từ Sơn La", .fires = true},
          {.title = "Nhãn lồng Hưng Yên, gom từ các vườn ở Sơn La", .fires = true},
          {.title = "Nhãn lồng Hưng Yên, hàng gom từ vườn nhà", .fires = false},
          {.title = "Nhãn lồng Hưng Yên, vườn ở Khoái Châu, Hưng Yên", .fires = false},
          {.title = "Nhãn lồng Hưng Yên, vườn tại nhà", .fires = false});
}

/* docs/rules.md, "Stated origin": past a comma the statement goes on only into a segment that opens with a
 * place ("Bắc Quang, Tuyên Quang", "tỉnh Tuyên Quang"); a delivery after it ("hái tại bản, ship Hà Nội") says where
 * the goods go, not where they grew (2026.12.15) */
Test(conditions, a_place_after_a_comma_continues_a_statement_only_when_it_opens_the_segment)
{
    CHECK("  - id: gi.xoai\n    kind: gi\n    name: Xoài tròn Yên Châu\n    terms: [\"xoài tròn yên châu\"]\n"
          "    region: [\"Yên Châu\", \"Sơn La\"]\n"
          "    flag: {stated_origin_outside_region: true}\n",
          {.title = "Xoài tròn Yên Châu hái tại bản, ship Hà Nội trong ngày", .fires = false},
          {.title = "Xoài tròn Yên Châu hái tại vườn, giao Hà Nội", .fires = false},
          {.title = "Xoài tròn Yên Châu trồng tại vườn nhà, tỉnh Tuyên Quang", .fires = true},
          {.title = "Xoài tròn Yên Châu trồng tại vườn, Hà Nội", .fires = true},
          {.title = "Xoài tròn Yên Châu trồng tại vườn, TP HCM", .fires = true});
}

/* docs/rules.md, "Stated origin": where the goods were packed is an origin only for a rule that opts in
 * (origin_packing, the rule's or its pack's); "sản xuất và đóng gói tại" still states where they were made */
Test(conditions, a_packing_statement_is_an_origin_only_with_origin_packing)
{
    static const char mark[] = "  - id: cm.bau-da\n    kind: collective_mark\n    name: Rượu Bàu Đá\n"
                               "    terms: [\"rượu bàu đá\"]\n    region: [\"An Nhơn\", \"Bình Định\", \"Gia Lai\"]\n"
                               "    flag: {stated_origin_outside_region: true}\n";
    CHECK(mark,
          {.title = "Rượu Bàu Đá can 5 lít, đóng chai tại Long An", .fires = false},
          {.title = "Rượu Bàu Đá 500ml - đóng gói tại Hà Nội", .fires = false},
          {.title = "Rượu Bàu Đá 500ml sản xuất và đóng gói tại Long An", .fires = true},
          {.title = "Rượu Bàu Đá 500ml, nấu tại Long An, đóng chai tại An Nhơn", .fires = true});
    static const char opted[] = "  - id: gi.bau-da\n    kind: gi\n    name: Rượu Bàu Đá\n    origin_packing: true\n"
                                "    terms: [\"rượu bàu đá\"]\n    region: [\"An Nhơn\", \"Bình Định\", \"Gia Lai\"]\n"
                                "    flag: {stated_origin_outside_region: true}\n";
    CHECK(opted,
          {.title = "Rượu Bàu Đá can 5 lít, đóng chai tại Long An", .fires = true},
          {.title = "Rượu Bàu Đá 500ml - đóng gói tại Hà Nội", .fires = true},
          {.title = "Rượu Bàu Đá 500ml - đóng gói tại An Nhơn", .fires = false});
    /* the pack's default, and a rule that says otherwise */
    static const char pack_level[] = "pack: gi\nversion: \"1\"\norigin_packing: true\nrules:\n"
                                     "  - id: gi.a\n    kind: gi\n    name: Rượu Bàu Đá\n    terms: [\"rượu bàu đá\"]\n"
                                     "    region: [\"An Nhơn\"]\n    flag: {stated_origin_outside_region: true}\n"
                                     "  - id: gi.b\n    kind: gi\n    name: Vải thiều Lục Ngạn\n    origin_packing: false\n"
                                     "    terms: [\"vải thiều lục ngạn\"]\n    region: [\"Lục Ngạn\"]\n"
                                     "    flag: {stated_origin_outside_region: true}\n";
    static const char other[] = "pack: other\nversion: \"1\"\nrules: []\n";
    diagnostics diag;
    diagnostics_init(&diag);
    ruleset *rs = compile_two(other, pack_level, &diag);
    for (size_t i = 0; i < diag.count; i++)
        cr_log_error("%s", diag.messages[i]);
    cr_assert_not_null(rs);
    cr_expect(fires_in(rs, "Rượu Bàu Đá 500ml, đóng gói tại Hà Nội"));
    cr_expect(!fires_in(rs, "Vải thiều Lục Ngạn sấy, đóng gói tại Hà Nội"));
    cr_expect(fires_in(rs, "Vải thiều Lục Ngạn sấy, trồng tại Hà Nội"));
    ruleset_destroy(rs);
    diagnostics_free(&diag);
}

/* docs/rules.md, "Stated origin": a denied origin ("không trộn hàng Trung Quốc") states none */
Test(conditions, a_denied_origin_is_no_stated_origin)
{
    CHECK("  - id: gi.lang-sen\n    kind: gi\n    name: Vải thiều Lục Ngạn\n    terms: [\"vải thiều lục ngạn\"]\n"
          "    region: [\"Lục Ngạn\", \"Bắc Giang\"]\n    flag: {stated_origin_outside_region: true}\n",
          {.title = "Vải thiều Lục Ngạn sấy khô, không trộn hàng Trung Quốc", .fires = false},
          {.title = "Vải thiều Lục Ngạn sấy khô, không phải hàng Trung Quốc", .fires = false},
          {.title = "Vải thiều Lục Ngạn sấy khô, ko nhập từ Trung Quốc", .fires = false},
          {.title = "Vải thiều Lục Ngạn sấy khô, cam kết không pha trộn hàng Trung Quốc", .fires = false},
          {.title = "Vải thiều Lục Ngạn sấy khô, không phải hàng vải Quảng Tây", .fires = false},
          /* a stamp's negator, another clause, or a plain statement */
          {.title = "Vải thiều Lục Ngạn sấy khô hàng không tem nhập từ Trung Quốc", .fires = true},
          {.title = "Vải thiều Lục Ngạn sấy khô, không ngon, hàng Trung Quốc", .fires = true},
          {.title = "Vải thiều Lục Ngạn sấy khô, hàng Trung Quốc", .fires = true},
          {.title = "Vải thiều Lục Ngạn sấy khô, nhập từ Trung Quốc", .fires = true});
}

Test(conditions, term_pattern_livestream_official_category_and_combinators)
{
    CHECK("  - id: ocop.nem\n    kind: ocop\n    name: Nem chua Thanh Hóa\n    terms: [\"nem chua thanh hóa\"]\n"
          "    region: [\"Thanh Hóa\"]\n"
          "    flag:\n"
          "      all:\n"
          "        - term: ocop\n"
          "        - any:\n"
          "            - seller_outside_region: true\n"
          "            - pattern: 'ocop (?:5|6) sao'\n",
          {.title = "Nem chua Thanh Hóa OCOP 4 sao", .location = "Thanh Hóa", .fires = false},
          {.title = "Nem chua Thanh Hóa OCOP 5 sao", .location = "Thanh Hóa", .fires = true},
          {.title = "Nem chua Thanh Hóa OCOP 4 sao", .location = "Hà Nội", .fires = true},
          {.title = "Nem chua Thanh Hóa ngon", .location = "Hà Nội", .fires = false});
    CHECK("  - id: tm.x\n    kind: trademark\n    name: X\n    terms: [\"rolex\"]\n"
          "    flag:\n"
          "      all:\n"
          "        - livestream: true\n"
          "        - official_store: false\n"
          "        - not: {category: [\"Phụ kiện\"]}\n",
          {.title = "Rolex Submariner", .livestream = true, .category = "Đồng hồ", .fires = true},
          {.title = "Rolex Submariner", .livestream = false, .category = "Đồng hồ", .fires = false},
          {.title = "Rolex Submariner", .livestream = true, .official = true, .fires = false},
          {.title = "Rolex Submariner", .livestream = true, .category = "Phụ kiện đồng hồ", .fires = false});
}

Test(conditions, plant_variety_seed_words_near_the_name)
{
    CHECK("  - id: pv.st25\n    kind: plant_variety\n    name: ST25\n    terms: [\"st25\", \"st 25\"]\n"
          "    flag: {list: seed, near: 5}\n",
          {.title = "Lúa giống ST25 nguyên chủng", .fires = true},
          {.title = "Gạo ST25 túi 5kg", .fires = false},
          {.title = "Lúa giống xịn, giao nhanh toàn quốc, bảo hành, đổi trả, gạo ngon ST25", .fires = false});
}

/* ---- boundaries and normalization as rules see them ---- */

Test(boundaries, a_name_inside_a_longer_word_never_hits)
{
    CHECK("  - id: tm.dior\n    kind: trademark\n    name: Dior\n    terms: [\"dior\"]\n",
          {.title = "Son Dior 999", .fires = true},
          {.title = "Sondior 999", .fires = false},
          {.title = "Diorama mô hình", .fires = false},
          {.title = "(Dior)", .fires = true},
          {.title = "Dior", .fires = true});
}

Test(normalization, obfuscated_spellings_hit)
{
    CHECK("  - id: tm.gucci\n    kind: trademark\n    name: Gucci\n    terms: [\"gucci\", \"gu chi\"]\n",
          {.title = "Túi G.u.c.c.i", .fires = true},
          {.title = "Túi G U C C I", .fires = true},
          {.title = "túi g-u-c-c-i", .fires = true},
          {.title = "Túi Gu\xE2\x80\x8B" "cci", .fires = true},           /* zero-width space */
          {.title = "Túi G\xD1\x83" "cci", .fires = false},               /* Cyrillic у is 'y', not 'u' */
          {.title = "Túi Gucc\xD1\x96", .fires = true},                   /* Cyrillic і */
          {.title = "Túi \xEF\xBC\xA7\xEF\xBD\x95\xEF\xBD\x83\xEF\xBD\x83\xEF\xBD\x89", .fires = true}, /* full-width */
          {.title = "Túi Gucc1", .fires = true},
          {.title = "Túi GU CHI", .fires = true},
          {.title = "Túi Gucciland", .fires = false});
    /* NFC and NFD of the same text decide the same */
    CHECK("  - id: gi.x\n    kind: gi\n    name: Đồng hồ\n    terms: [\"đồng hồ\"]\n",
          {.title = "Đ\xE1\xBB\x93ng h\xE1\xBB\x93", .fires = true},                   /* NFC */
          {.title = "\xC4\x90o\xCC\x82\xCC\x80ng ho\xCC\x82\xCC\x80", .fires = true},  /* NFD */
          {.title = "dong ho", .fires = true});
}

Test(offsets, hits_point_into_the_original_text)
{
    ruleset *rs = compile_ok("  - id: tm.nike\n    kind: trademark\n    name: Nike\n    terms: [\"nike\"]\n");
    ruleset_scratch *s;
    cr_assert_eq(ruleset_scratch_create(rs, &s), 0);
    static const struct {
        const char *title, *expected;
    } cases[] = {{"🔥 GIÀY NIKE", "NIKE"},
                 {"Giày N.i.k.e xịn", "N.i.k.e"},
                 {"Giày Ni\xE2\x80\x8B" "ke", "Ni\xE2\x80\x8B" "ke"},
                 {"\xEF\xBC\xAE\xEF\xBC\xA9\xEF\xBC\xAB\xEF\xBC\xA5 shoes", "\xEF\xBC\xAE\xEF\xBC\xA9\xEF\xBC\xAB\xEF\xBC\xA5"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        listing_facts l = {.platform = "p", .listing_id = "1", .title = cases[i].title,
                           .title_length = strlen(cases[i].title)};
        match_result r;
        cr_assert_eq(ruleset_match(rs, s, &l, &r), 0);
        cr_assert_eq(r.hit_count, 1, "%s: %zu hits", cases[i].title, r.hit_count);
        size_t n = r.hits[0].end - r.hits[0].start;
        cr_expect(n == strlen(cases[i].expected) && !memcmp(cases[i].title + r.hits[0].start, cases[i].expected, n),
                  "%s: hit [%u,%u) is not \"%s\"", cases[i].title, r.hits[0].start, r.hits[0].end, cases[i].expected);
    }
    ruleset_scratch_destroy(s);
    ruleset_destroy(rs);
}

/* ---- errors: every mistake reported as file:line:col ---- */

static void expect_error(const char *rules_yaml, const char *expected)
{
    diagnostics diag;
    diagnostics_init(&diag);
    ruleset *rs = compile_text(rules_yaml, &diag, MPM_BACKEND_AHO_CORASICK);
    cr_expect_null(rs, "a pack with a mistake was accepted (expected: %s)", expected);
    ruleset_destroy(rs);
    bool found = false;
    for (size_t i = 0; i < diag.count; i++)
        found |= strstr(diag.messages[i], expected) != NULL && strncmp(diag.messages[i], "test.yaml:", 10) == 0;
    cr_expect(found, "no message containing \"%s\" (got %zu: %s)", expected, diag.count,
              diag.count ? diag.messages[0] : "none");
    diagnostics_free(&diag);
}

Test(errors, every_mistake_is_named_with_file_line_and_column)
{
    expect_error("  - id: a\n    kind: trademark\n    name: A\n    terms: [x1y]\n    colour: red\n",
                 "test.yaml:12:5: unknown field 'colour' in rule");
    expect_error("  - id: a\n    kind: trademark\n    name: A\n    terms: [abc]\n"
                 "  - id: a\n    kind: trademark\n    name: B\n    terms: [def]\n",
                 "duplicate rule id 'a'");
    expect_error("  - id: a\n    kind: trademark\n    name: A\n    patterns: ['ab(c']\n",
                 "bad regex 'ab(c': missing closing parenthesis at offset 4");
    expect_error("  - id: a\n    kind: trademark\n    name: A\n    terms: [abc]\n    flag: {list: slangs}\n",
                 "test.yaml:12:18: unknown list 'slangs'");
    expect_error("  - id: a\n    kind: trademark\n    name: A\n    terms: [abc]\n    flag: {price_below: 0.3}\n",
                 "price_below needs the rule's reference_price");
    expect_error("  - id: a\n    kind: trademark\n    name: A\n    terms: [\"\"]\n", "empty string in terms");
    expect_error("  - id: a\n    kind: trademark\n    name: A\n    terms: [\"...\"]\n",
                 "test.yaml:11:13: '...' normalizes to nothing");
    expect_error("  - id: a\n    kind: trademark\n    name: A\n    terms: [\"\xE2\x80\x8B\"]\n", "normalizes to nothing");
    expect_error("  - id: A B\n    kind: trademark\n    name: A\n    terms: [abc]\n", "may contain only a-z 0-9");
    expect_error("  - id: a\n    kind: brand\n    name: A\n    terms: [abc]\n", "unknown kind 'brand'");
    expect_error("  - id: a\n    kind: trademark\n    name: A\n", "has neither 'terms' nor 'patterns'");
    expect_error("  - id: a\n    kind: trademark\n    name: A\n    terms: [abc]\n    severity: extreme\n",
                 "unknown severity 'extreme'");
    expect_error("  - id: a\n    kind: gi\n    name: A\n    terms: [abc]\n    flag: {seller_outside_region: true}\n",
                 "seller_outside_region needs the rule's region");
    expect_error("  - id: a\n    kind: trademark\n    name: A\n    terms: [abc]\n    flag: {list: slang, term: x}\n",
                 "one condition per entry");
    expect_error("  - id: a\n    kind: trademark\n    name: A\n    terms: [abc]\n    flag: {term: x, near: 2}\n",
                 "'near' goes with 'list' only");
    expect_error("  - id: a\n    kind: trademark\n    name: A\n    terms: [abc]\n    flag: {term: x, near_before: 2}\n",
                 "test.yaml:12:34: 'near_before' goes with 'list' only");
    expect_error("  - id: a\n    kind: trademark\n    name: A\n    terms: [abc]\n"
                 "    flag: {list: slang, near: 2, near_after: 1}\n",
                 "'near_after' and 'near' together");
    expect_error("  - id: a\n    kind: trademark\n    name: A\n    terms: [abc]\n    flag: {list: slang, near_after: -1}\n",
                 "near_after must be a whole number from 0 to 1000");
    expect_error("  - id: a\n    kind: trademark\n    name: A\n    terms: [abc]\n    flag: {maybe: true}\n",
                 "unknown condition 'maybe'");
    expect_error("  - id: a\n    kind: trademark\n    name: A\n    terms: [abc]\n    tests: {flag: [{txt: x}]}\n",
                 "unknown field 'txt' in a test");
    expect_error("  - id: a\n    kind: trademark\n    name: A\n    terms: [abc\n", "YAML:");
}

Test(errors, several_mistakes_are_all_reported_and_the_pack_is_refused)
{
    diagnostics diag;
    diagnostics_init(&diag);
    ruleset *rs = compile_text("  - id: a\n    kind: nope\n    name: A\n    terms: [abc]\n    wat: 1\n"
                               "  - id: b\n    kind: trademark\n    terms: [def]\n    flag: {list: nolist}\n",
                               &diag, MPM_BACKEND_AHO_CORASICK);
    cr_expect_null(rs);
    cr_expect_geq(diag.count, 4, "only %zu mistakes reported", diag.count);
    diagnostics_free(&diag);
}

/* Packs are read rule by rule (docs/rules.md, "Limits"): positions stay those
 * of the file, lists may come after the rules that use them, anchors are
 * still refused. */
Test(packs, rules_read_one_by_one_keep_their_positions_and_lists_may_follow_them)
{
    static const char good[] = "rules:\n"
                               "  - {id: a, kind: trademark, name: A, terms: [velonix], flag: {list: slang}}\n"
                               "  - id: b\n"
                               "    kind: trademark\n"
                               "    name: B\n"
                               "    terms: [korvane]\n"
                               "pack: late\n"
                               "version: \"1\"\n"
                               "lists:\n"
                               "  slang: [\"hàng fake\"]\n";
    diagnostics diag;
    diagnostics_init(&diag);
    pack *p = pack_load_string("late.yaml", good, sizeof good - 1, &diag);
    cr_assert_not_null(p, "%s", diag.count ? diag.messages[0] : "");
    cr_expect_eq(p->rule_count, 2);
    cr_expect_eq(p->rules[1].at.line, 3);
    cr_expect_eq(p->rules[1].at.column, 5);
    cr_expect_eq(p->rules[1].terms.at[0].line, 6);
    cr_expect_eq(p->rules[1].terms.at[0].column, 13);
    ruleset *rs = NULL;
    cr_assert_eq(ruleset_compile(&p, 1, NULL, &rs, &diag), 0);
    ruleset_scratch *s;
    cr_assert_eq(ruleset_scratch_create(rs, &s), 0);
    listing_facts l = {.platform = "shopee", .listing_id = "1", .title = "Túi Velonix hàng fake"};
    l.title_length = strlen(l.title);
    match_result r;
    cr_assert_eq(ruleset_match(rs, s, &l, &r), 0);
    cr_expect_eq(r.rule_count, 1);
    ruleset_scratch_destroy(s);
    ruleset_destroy(rs);

    static const char bad[] = "pack: late\nversion: \"1\"\nrules:\n"
                              "  - {id: a, kind: trademark, name: A, terms: [velonix]}\n"
                              "  - id: b\n    kind: trademark\n    name: B\n    terms: [korvane]\n    colour: red\n";
    cr_expect_null(pack_load_string("late.yaml", bad, sizeof bad - 1, &diag));
    cr_assert_eq(diag.count, 1);
    static const char expected[] = "late.yaml:9:5: unknown field 'colour' in rule (known: ";
    cr_expect(!strncmp(diag.messages[0], expected, sizeof expected - 1), "%s", diag.messages[0]);
    static const char alias[] = "pack: late\nversion: \"1\"\nrules:\n"
                                "  - {id: a, kind: trademark, name: &n Velonix, terms: [*n]}\n";
    cr_expect_null(pack_load_string("late.yaml", alias, sizeof alias - 1, &diag));
    cr_assert_eq(diag.count, 2);
    cr_expect_not_null(strstr(diag.messages[1], "aliases"), "%s", diag.messages[1]);
    diagnostics_free(&diag);
}

Test(errors, a_missing_file_and_an_empty_directory_are_reported)
{
    diagnostics diag;
    diagnostics_init(&diag);
    ruleset *rs = NULL;
    const char *paths[] = {"/nonexistent/pack.yaml"};
    cr_expect_lt(ruleset_load(paths, 1, NULL, &rs, &diag), 0);
    cr_expect_null(rs);
    cr_expect_eq(diag.count, 1);
    cr_expect_not_null(strstr(diag.messages[0], "/nonexistent/pack.yaml: cannot open"));
    diagnostics_free(&diag);
}

/* ---- regex limits ---- */

Test(regex, a_catastrophic_pattern_is_stopped_by_its_limit, .timeout = 20)
{
    ruleset *rs = compile_ok("  - id: redos\n    kind: trademark\n    name: R\n    patterns: ['(a|aa)+(b|c)$']\n");
    ruleset_scratch *s;
    cr_assert_eq(ruleset_scratch_create(rs, &s), 0);
    char title[4096];
    memset(title, 'a', sizeof title - 2);
    title[sizeof title - 2] = 'x';
    title[sizeof title - 1] = '\0';
    listing_facts l = {.platform = "p", .listing_id = "1", .title = title, .title_length = strlen(title)};
    match_result r;
    cr_assert_eq(ruleset_match(rs, s, &l, &r), 0);
    cr_expect_eq(r.rule_count, 0);
    cr_expect_gt(r.regex_limit_hits, 0, "the match limit did not stop the regex");
    /* and a normal text still matches */
    l.title = "aab";
    l.title_length = 3;
    cr_assert_eq(ruleset_match(rs, s, &l, &r), 0);
    cr_expect_eq(r.rule_count, 1);
    ruleset_scratch_destroy(s);
    ruleset_destroy(rs);
}

/* ---- the shipped packs ---- */

static ruleset *load_shipped(mpm_backend backend)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/rules/packs", harness_root());
    const char *paths[] = {path};
    diagnostics diag;
    diagnostics_init(&diag);
    ruleset *rs = NULL;
    ruleset_options options = {.backend = backend};
    ruleset_load(paths, 1, &options, &rs, &diag);
    for (size_t i = 0; i < diag.count; i++)
        cr_log_error("%s", diag.messages[i]);
    diagnostics_free(&diag);
    cr_assert_not_null(rs, "the shipped packs do not load");
    return rs;
}

static void expect_same_list(const string_list *a, const string_list *b, const char *what, const char *rule_id)
{
    cr_assert_eq(a->count, b->count, "%s of %s: %zu / %zu", what, rule_id, a->count, b->count);
    for (size_t i = 0; i < a->count; i++) {
        cr_expect_str_eq(a->items[i], b->items[i], "%s of %s", what, rule_id);
        if (a->at && b->at)
            cr_expect(a->at[i].line == b->at[i].line && a->at[i].column == b->at[i].column, "%s of %s at %d:%d / %d:%d",
                      what, rule_id, a->at[i].line, a->at[i].column, b->at[i].line, b->at[i].column);
    }
}

/* A pack whose `rules:` end the file is parsed once (rules/pack.c,
 * rules_end_the_pack); the same text with CRLF line breaks is read the
 * cautious way, in two passes. Every shipped pack gives the same rules,
 * positions, examples and decisions both ways. */
Test(packs, a_pack_read_once_is_the_pack_read_in_two_passes, .timeout = 120)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/rules/packs", harness_root());
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    struct dirent *entry;
    size_t packs = 0;
    while ((entry = readdir(d)) != NULL) {
        size_t name_length = strlen(entry->d_name);
        if (name_length < 6 || strcmp(entry->d_name + name_length - 5, ".yaml"))
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
        FILE *f = fopen(path, "rb");
        cr_assert_not_null(f, "%s", path);
        bytebuf lf, crlf;
        bytebuf_init(&lf, 0);
        bytebuf_init(&crlf, 0);
        char chunk[65536];
        size_t got;
        while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
            cr_assert_eq(bytebuf_append(&lf, chunk, got), 0);
        fclose(f);
        for (size_t i = 0; i < lf.length; i++)
            cr_assert_eq(lf.data[i] == '\n' ? bytebuf_append(&crlf, "\r\n", 2) : bytebuf_append_char(&crlf, lf.data[i]), 0);
        diagnostics diag;
        diagnostics_init(&diag);
        pack *once = pack_load_string(path, lf.data, lf.length, &diag);
        pack *twice = pack_load_string(path, crlf.data, crlf.length, &diag);
        cr_assert_eq(diag.count, 0, "%s", diag.count ? diag.messages[0] : "");
        cr_assert(once && twice);
        cr_expect(once->rules_read_once, "%s: its rules end the file, yet they were parsed twice", path);
        cr_expect(!twice->rules_read_once);
        cr_assert_eq(once->rule_count, twice->rule_count, "%s", path);
        cr_expect_eq(once->list_count, twice->list_count, "%s", path);
        cr_expect(once->origin_packing == twice->origin_packing && once->gap == twice->gap, "%s", path);
        for (size_t i = 0; i < once->rule_count; i++) {
            const rule *a = &once->rules[i], *b = &twice->rules[i];
            cr_assert_str_eq(a->id, b->id);
            cr_expect_str_eq(a->name, b->name, "%s", a->id);
            cr_expect(a->at.line == b->at.line && a->at.column == b->at.column, "%s", a->id);
            cr_expect(a->origin_packing == b->origin_packing && a->gap == b->gap && a->rated_level == b->rated_level &&
                          a->fallback == b->fallback && a->any_intent == b->any_intent,
                      "%s", a->id);
            cr_expect(a->kind == b->kind && a->reference_price == b->reference_price && a->unless_count == b->unless_count &&
                          a->flag_example_count == b->flag_example_count && a->pass_example_count == b->pass_example_count,
                      "%s", a->id);
            expect_same_list(&a->terms, &b->terms, "terms", a->id);
            expect_same_list(&a->categories, &b->categories, "categories", a->id);
            expect_same_list(&a->region, &b->region, "region", a->id);
        }
        /* the same decisions, word for word, on a cheap copy-slang listing naming each rule */
        ruleset *rs_once = NULL, *rs_twice = NULL;
        cr_assert_eq(ruleset_compile(&once, 1, NULL, &rs_once, &diag), 0, "%s", diag.count ? diag.messages[0] : "");
        cr_assert_eq(ruleset_compile(&twice, 1, NULL, &rs_twice, &diag), 0);
        size_t total_once = 0, total_twice = 0;
        /* alone, a pack's fallback rules fire where another pack's rule
         * would decide: the same failures both ways, not none */
        bytebuf report_once, report_twice;
        bytebuf_init(&report_once, 0);
        bytebuf_init(&report_twice, 0);
        size_t failed_once = ruleset_run_tests(rs_once, &report_once, &total_once);
        size_t failed_twice = ruleset_run_tests(rs_twice, &report_twice, &total_twice);
        cr_expect(failed_once == failed_twice && total_once == total_twice && report_once.length == report_twice.length &&
                      (!report_once.length || !memcmp(report_once.data, report_twice.data, report_once.length)),
                  "%s: examples run differently", path);
        cr_expect_gt(total_once, 0);
        ruleset_scratch *s_once, *s_twice;
        cr_assert_eq(ruleset_scratch_create(rs_once, &s_once), 0);
        cr_assert_eq(ruleset_scratch_create(rs_twice, &s_twice), 0);
        bytebuf explain_once, explain_twice;
        bytebuf_init(&explain_once, 0);
        bytebuf_init(&explain_twice, 0);
        for (size_t i = 0; i < ruleset_rule_count(rs_once); i++) {
            char title[512];
            snprintf(title, sizeof title, "%s hàng fake rep 1:1 giá rẻ", ruleset_rule(rs_once, i)->name);
            listing_facts l = {.platform = "shopee", .listing_id = "1", .title = title, .title_length = strlen(title),
                               .has_price = true, .price = 20000, .seller_location = "Hà Nội"};
            bytebuf_reset(&explain_once);
            bytebuf_reset(&explain_twice);
            cr_assert_eq(ruleset_explain(rs_once, s_once, &l, &explain_once), 0);
            cr_assert_eq(ruleset_explain(rs_twice, s_twice, &l, &explain_twice), 0);
            cr_expect(explain_once.length == explain_twice.length &&
                          !memcmp(explain_once.data, explain_twice.data, explain_once.length),
                      "%s: \"%s\" explained differently", path, title);
        }
        bytebuf_free(&explain_once);
        bytebuf_free(&explain_twice);
        bytebuf_free(&report_once);
        bytebuf_free(&report_twice);
        ruleset_scratch_destroy(s_once);
        ruleset_scratch_destroy(s_twice);
        ruleset_destroy(rs_once); /* the rulesets own their packs */
        ruleset_destroy(rs_twice);
        diagnostics_free(&diag);
        bytebuf_free(&lf);
        bytebuf_free(&crlf);
        packs++;
    }
    closedir(d);
    cr_expect_geq(packs, 10);
}

/* One pass, the rules last: a syntax error among them is still reported at
 * its place, and a key after the rules still makes two passes. */
Test(packs, rules_that_end_the_file_are_checked_as_before)
{
    diagnostics diag;
    diagnostics_init(&diag);
    static const char broken[] = "pack: p\nversion: \"1\"\nrules:\n"
                                 "  - {id: a, kind: trademark, name: A, terms: [velonix]}\n"
                                 "  - id: b\n    kind: trademark\n    name: [unclosed\n";
    cr_expect_null(pack_load_string("broken.yaml", broken, sizeof broken - 1, &diag));
    cr_assert_geq(diag.count, 1);
    cr_expect_not_null(strstr(diag.messages[diag.count - 1], "broken.yaml:"), "%s", diag.messages[diag.count - 1]);
    diagnostics_free(&diag);
    diagnostics_init(&diag);
    static const char many[] = "pack: p\nversion: \"1\"\nrules:\n";
    bytebuf text;
    bytebuf_init(&text, 0);
    bytebuf_append(&text, many, sizeof many - 1);
    for (int i = 0; i < 300; i++) /* more than the first guess of 64: the list grows */
        bytebuf_printf(&text, "  - {id: r%d, kind: trademark, name: R%d, terms: [korvane%d]}\n", i, i, i);
    pack *p = pack_load_string("many.yaml", text.data, text.length, &diag);
    cr_assert_not_null(p, "%s", diag.count ? diag.messages[0] : "");
    cr_expect(p->rules_read_once);
    cr_expect_eq(p->rule_count, 300);
    cr_expect_str_eq(p->rules[299].id, "r299");
    cr_expect_eq(p->rules[299].at.line, 303);
    pack_free(p);
    bytebuf_append_string(&text, "gap: 1\n");
    p = pack_load_string("many.yaml", text.data, text.length, &diag);
    cr_assert_not_null(p);
    cr_expect(!p->rules_read_once, "a key after the rules: two passes");
    cr_expect_eq(p->rule_count, 300);
    cr_expect_eq(p->gap, 1);
    pack_free(p);
    bytebuf_free(&text);
    diagnostics_free(&diag);
}

Test(packs, the_shipped_packs_pass_their_own_tests)
{
    ruleset *rs = load_shipped(MPM_BACKEND_AHO_CORASICK);
    bytebuf report;
    bytebuf_init(&report, 0);
    size_t total = 0, failures = ruleset_run_tests(rs, &report, &total);
    cr_expect_eq(failures, 0, "%s", report.data ? report.data : "");
    cr_expect_gt(total, 100);
    size_t brands = 0, gis = 0;
    for (size_t i = 0; i < ruleset_rule_count(rs); i++) {
        const rule *r = ruleset_rule(rs, i);
        brands += r->kind == RULE_KIND_TRADEMARK;
        gis += r->kind == RULE_KIND_GI;
        cr_expect_gt(r->flag_example_count + r->pass_example_count, 0, "rule %s has no tests", r->id);
    }
    cr_expect_geq(brands, 40);
    cr_expect_geq(gis, 20);
    bytebuf_free(&report);
    ruleset_destroy(rs);
}

/* Both matcher backends give the same decisions and hits: on the corpus of
 * real product titles and on the fixture market's listings. */
static void compare_backends_on(const ruleset *a, const ruleset *b, ruleset_scratch *sa, ruleset_scratch *sb,
                                const listing_facts *l, size_t *flagged)
{
    match_result ra, rb;
    cr_assert_eq(ruleset_match(a, sa, l, &ra), 0);
    cr_assert_eq(ruleset_match(b, sb, l, &rb), 0);
    cr_assert_eq(ra.rule_count, rb.rule_count, "%s: %zu vs %zu rules", l->title, ra.rule_count, rb.rule_count);
    cr_assert_eq(ra.hit_count, rb.hit_count, "%s: %zu vs %zu hits", l->title, ra.hit_count, rb.hit_count);
    cr_assert_eq(ra.flag_id, rb.flag_id);
    for (size_t i = 0; i < ra.hit_count; i++)
        cr_assert(ra.hits[i].start == rb.hits[i].start && ra.hits[i].end == rb.hits[i].end &&
                      ra.hits[i].rule == rb.hits[i].rule,
                  "%s: hit %zu differs", l->title, i);
    *flagged += ra.rule_count > 0;
}

Test(backends, aho_corasick_and_vectorscan_decide_alike, .timeout = 120)
{
    ruleset *a = load_shipped(MPM_BACKEND_AHO_CORASICK), *b = load_shipped(MPM_BACKEND_VECTORSCAN);
    ruleset_scratch *sa, *sb;
    cr_assert_eq(ruleset_scratch_create(a, &sa), 0);
    cr_assert_eq(ruleset_scratch_create(b, &sb), 0);
    size_t compared = 0, flagged = 0;
    char path[1024];
    snprintf(path, sizeof path, "%s/corpus/vn-memoryzone-products/memoryzone.jsonl", harness_shared());
    char *corpus = harness_read_file(path, NULL);
    cr_assert_not_null(corpus, "corpus missing: %s", path);
    for (char *save = NULL, *line = strtok_r(corpus, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        listing_facts l = {.platform = "web", .listing_id = "x", .title = line, .title_length = strlen(line)};
        compare_backends_on(a, b, sa, sb, &l, &flagged);
        compared++;
    }
    free(corpus);
    /* the fixture market, through the listing records it writes */
    char binary[1024], records[1024];
    snprintf(binary, sizeof binary, "%s/fixture-market", harness_build());
    const char *tmp = getenv("TMPDIR");
    snprintf(records, sizeof records, "%s/lscan-backends-%d.jsonl", tmp && *tmp ? tmp : "/tmp", (int)getpid());
    const char *argv[] = {binary, "--listings", "4000", "--seed", "5", "--listings-jsonl", records, "--truth-only", NULL};
    cr_assert_eq(harness_run(argv, NULL, 0, NULL, NULL), 0);
    char *data = harness_read_file(records, NULL);
    remove(records);
    cr_assert_not_null(data);
    size_t market_flagged = 0;
    for (char *save = NULL, *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        listing parsed;
        char error[256];
        cr_assert_eq(listing_parse(line, strlen(line), &parsed, error, sizeof error), 0, "%s", error);
        compare_backends_on(a, b, sa, sb, &parsed.facts, &market_flagged);
        listing_free(&parsed);
        compared++;
    }
    free(data);
    cr_expect_gt(compared, 5000);
    cr_expect_gt(market_flagged, 500, "the market should give many flags to compare");
    ruleset_scratch_destroy(sa);
    ruleset_scratch_destroy(sb);
    ruleset_destroy(a);
    ruleset_destroy(b);
}

Test(flags, flag_id_is_stable_and_depends_on_the_rules_only)
{
    ruleset *rs = compile_ok(nike_rule);
    ruleset_scratch *s;
    cr_assert_eq(ruleset_scratch_create(rs, &s), 0);
    const char *t1 = "Giày Nike rep 1:1", *t2 = "NIKE hàng fake siêu cấp";
    listing_facts l = {.platform = "shopee", .listing_id = "42", .title = t1, .title_length = strlen(t1)};
    match_result r;
    cr_assert_eq(ruleset_match(rs, s, &l, &r), 0);
    uint64_t first = r.flag_id;
    l.title = t2;
    l.title_length = strlen(t2);
    cr_assert_eq(ruleset_match(rs, s, &l, &r), 0);
    cr_expect_eq(r.flag_id, first, "same listing, same rules: same flag id");
    l.listing_id = "43";
    cr_assert_eq(ruleset_match(rs, s, &l, &r), 0);
    cr_expect_neq(r.flag_id, first);
    ruleset_scratch_destroy(s);
    ruleset_destroy(rs);
}

Test(flags, term_and_pattern_signals_point_at_the_sellers_words)
{
    ruleset *rs = compile_ok("  - id: ocop.nem\n    kind: ocop\n    name: Nem\n    terms: [\"nem chua\"]\n"
                             "    flag: {all: [{term: ocop}, {pattern: 'ocop (?:5|6) sao'}]}\n");
    ruleset_scratch *s;
    cr_assert_eq(ruleset_scratch_create(rs, &s), 0);
    const char *title = "NEM CHUA đặc biệt, sản phẩm Ocop 5 Sao!";
    listing_facts l = {.platform = "p", .listing_id = "1", .title = title, .title_length = strlen(title)};
    match_result r;
    cr_assert_eq(ruleset_match(rs, s, &l, &r), 0);
    cr_assert_eq(r.rule_count, 1);
    int checked = 0;
    for (size_t i = 0; i < r.signal_count; i++) {
        const match_signal *g = &r.signals[i];
        cr_assert(g->has_span, "signal %s has no span", signal_type_name(g->type));
        const char *want = g->type == SIGNAL_TERM ? "Ocop" : "Ocop 5 Sao";
        cr_expect(g->end - g->start == strlen(want) && !memcmp(title + g->start, want, strlen(want)),
                  "%s signal spans [%u,%u)", signal_type_name(g->type), g->start, g->end);
        checked++;
    }
    cr_expect_eq(checked, 2);
    bytebuf explain;
    bytebuf_init(&explain, 0);
    flag_explain(rs, &l, &r, FLAG_LANGUAGE_ENGLISH, &explain);
    cr_expect_not_null(strstr(explain.data, "\"Ocop 5 Sao\""), "%s", explain.data);
    bytebuf_free(&explain);
    ruleset_scratch_destroy(s);
    ruleset_destroy(rs);
}

/* ---- goods groups ---- */

static goods_group group_of_rule(const ruleset *rs, const char *id)
{
    for (size_t i = 0; i < ruleset_rule_count(rs); i++)
        if (!strcmp(ruleset_rule(rs, i)->id, id))
            return ruleset_rule_goods_group(rs, i);
    cr_assert_fail("no rule %s", id);
    return GOODS_GROUP_COUNT;
}

Test(packs, goods_groups_come_from_the_packs_table_then_the_built_in_one_then_the_kind)
{
    static const char yaml[] = "pack: groups\n"
                               "version: \"1\"\n"
                               "goods_groups:\n"
                               "  fishing_gear: agricultural_inputs\n"
                               "  cosmetics: pharmaceuticals\n"
                               "rules:\n"
                               "  - {id: a, kind: trademark, name: A, terms: [alpha], categories: [fishing_gear]}\n"
                               "  - {id: b, kind: trademark, name: B, terms: [beta], categories: [unknown, cosmetics]}\n"
                               "  - {id: c, kind: trademark, name: C, terms: [gamma], categories: [software]}\n"
                               "  - {id: d, kind: gi, name: D, terms: [delta], categories: [nothing_known]}\n"
                               "  - {id: e, kind: copyright, name: E, terms: [epsilon]}\n";
    diagnostics diag;
    diagnostics_init(&diag);
    pack *p = pack_load_string("groups.yaml", yaml, sizeof yaml - 1, &diag);
    cr_assert_not_null(p, "%s", diag.count ? diag.messages[0] : "?");
    ruleset *rs = NULL;
    ruleset_options options = {0};
    cr_assert_eq(ruleset_compile(&p, 1, &options, &rs, &diag), 0);
    cr_expect_eq(group_of_rule(rs, "a"), GOODS_AGRICULTURAL_INPUTS, "the pack's own category");
    cr_expect_eq(group_of_rule(rs, "b"), GOODS_PHARMACEUTICALS, "the pack's table before the built-in one");
    cr_expect_eq(group_of_rule(rs, "c"), GOODS_SOFTWARE, "the built-in table");
    cr_expect_eq(group_of_rule(rs, "d"), GOODS_REGIONAL_SPECIALTIES, "a GI without a known category");
    cr_expect_eq(group_of_rule(rs, "e"), GOODS_OTHER);
    cr_expect_str_eq(goods_group_label(GOODS_COSMETICS, true), "Mỹ phẩm");
    ruleset_destroy(rs);
    diagnostics_free(&diag);
    /* an unknown group is a mistake with its place */
    static const char bad[] = "pack: groups\nversion: \"1\"\ngoods_groups:\n  fishing_gear: fishing\nrules:\n"
                              "  - {id: a, kind: trademark, name: A, terms: [alpha]}\n";
    diagnostics_init(&diag);
    cr_expect_null(pack_load_string("bad.yaml", bad, sizeof bad - 1, &diag));
    cr_expect(diag.count && strstr(diag.messages[0], "bad.yaml:4:17: unknown goods group 'fishing'"), "%s",
              diag.count ? diag.messages[0] : "no message");
    diagnostics_free(&diag);
}

/* An owner is what a reviewer reads in the Vietnamese explanation ("chủ sở
 * hữu: ..."): a name, not the pack writer's notes on what is unverified
 * (those belong in `note:` and docs/packs.md). */
Test(packs, owners_are_names_without_the_writers_notes)
{
    static const char *const notes[] = {"unverified", "per the report", "from memory", "not confirmed", "not named",
                                        "the copy read"};
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/rules/packs", harness_root());
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    size_t owners = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".yaml"))
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        diagnostics diag;
        diagnostics_init(&diag);
        pack *p = pack_load(path, &diag);
        cr_assert_not_null(p, "%s", path);
        for (size_t i = 0; i < p->rule_count; i++) {
            const char *owner = p->rules[i].more->owner;
            if (!owner)
                continue;
            owners++;
            for (size_t k = 0; k < sizeof notes / sizeof *notes; k++)
                cr_expect(!strcasestr(owner, notes[k]), "%s: %s's owner \"%s\" carries a note", e->d_name,
                          p->rules[i].id, owner);
        }
        pack_free(p);
        diagnostics_free(&diag);
    }
    closedir(d);
    cr_expect_gt(owners, 500);
}
