/* Issue 14, capabilities 4, 5 and 10 (docs/rules.md, "Per-unit and
 * per-model prices" and "Authorized sellers per branch"): the quantity a
 * listing sells read from its text, per-model reference prices, the
 * conversion in the signal and in the explanation, authorization per
 * branch; and the pack mistakes each of them can make. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/base/bytebuf.h"
#include "rules/pack.h"
#include "rules/quantity.h"
#include "rules/ruleset.h"
#include "rules/text/normalize.h"
#include "scanner/record/flag.h"
#include "tests/harness.h"

static const char head[] =
    "pack: test-price\n"
    "version: \"1\"\n"
    "lists:\n"
    "  slang: [\"hàng fake\", \"rep\"]\n"
    "  blend: [\"pha trộn\"]\n"
    "rules:\n";

static ruleset *compile(const char *rules_yaml, diagnostics *diag)
{
    return harness_compile_pack("price.yaml", (const char *const[]){head, rules_yaml, NULL}, NULL, diag);
}

static ruleset *compile_ok(const char *rules_yaml)
{
    diagnostics diag;
    diagnostics_init(&diag);
    ruleset *rs = compile(rules_yaml, &diag);
    for (size_t i = 0; i < diag.count; i++)
        cr_log_error("%s", diag.messages[i]);
    cr_assert_not_null(rs, "the pack did not compile");
    diagnostics_free(&diag);
    return rs;
}

typedef struct example {
    const char *title, *description;
    double price;
    const char *seller;
    bool fires;
    const char *quantity;    /* the price signal's quantity, when it fires on price ("" : none read) */
    const char *model;       /* the price signal's model */
} example;

static void check(const char *rules_yaml, const example *examples, size_t count)
{
    ruleset *rs = compile_ok(rules_yaml);
    ruleset_scratch *s;
    cr_assert_eq(ruleset_scratch_create(rs, &s), 0);
    for (size_t i = 0; i < count; i++) {
        const example *e = &examples[i];
        listing_facts l = {.platform = "shopee", .listing_id = "1", .title = e->title, .title_length = strlen(e->title),
                           .description = e->description,
                           .description_length = e->description ? strlen(e->description) : 0,
                           .has_price = e->price > 0, .price = e->price, .seller_id = e->seller};
        match_result r;
        cr_assert_eq(ruleset_match(rs, s, &l, &r), 0);
        cr_expect_eq(r.rule_count > 0, e->fires, "\"%s\" / \"%s\" at %.0f: expected %s", e->title,
                     e->description ? e->description : "", e->price, e->fires ? "a flag" : "no flag");
        const match_signal *price = NULL;
        for (size_t k = 0; k < r.signal_count; k++)
            if (r.signals[k].type == SIGNAL_PRICE_BELOW)
                price = &r.signals[k];
        if (e->quantity) {
            cr_assert_not_null(price, "\"%s\": no price signal", e->title);
            cr_expect_str_eq(price->quantity, e->quantity, "\"%s\": quantity read", e->title);
        }
        if (e->model) {
            cr_assert_not_null(price, "\"%s\": no price signal", e->title);
            cr_assert_not_null(price->model, "\"%s\": no model", e->title);
            cr_expect_str_eq(price->model, e->model, "\"%s\": model", e->title);
        }
    }
    ruleset_scratch_destroy(s);
    ruleset_destroy(rs);
}

#define CHECK(yaml, ...)                                                                                               \
    do {                                                                                                               \
        static const example examples_[] = {__VA_ARGS__};                                                              \
        check(yaml, examples_, sizeof examples_ / sizeof examples_[0]);                                                \
    } while (0)

static const char milk[] =
    "  - id: tm.milk\n"
    "    kind: trademark\n"
    "    name: Nutrivo\n"
    "    terms: [\"nutrivo\"]\n"
    "    reference_price: 520000\n"
    "    unit: \"800 g\"\n"
    "    flag: {price_below: 0.5}\n";

Test(unit_price, weights_multipacks_and_decimals_are_compared_per_unit)
{
    CHECK(milk,
          {.title = "Sữa Nutrivo lon 800g", .price = 500000, .fires = false},
          {.title = "Sữa Nutrivo lon 800g", .price = 160000, .fires = true, .quantity = "800 g"},
          /* a small can at a genuine price, a third of a big can's */
          {.title = "Sữa Nutrivo lon 400g", .price = 250000, .fires = false},
          {.title = "Sữa Nutrivo lon 400g", .price = 90000, .fires = true, .quantity = "400 g"},
          /* six cans at two cans' price: cheap per can */
          {.title = "Thùng 6 lon sữa Nutrivo 800g", .price = 1000000, .fires = true, .quantity = "6 × 800 g = 4800 g"},
          {.title = "Thùng 6 lon sữa Nutrivo 800g", .price = 3000000, .fires = false},
          {.title = "Combo 3 lon Nutrivo 800g tặng bình", .price = 480000, .fires = true,
           .quantity = "3 × 800 g = 2400 g"},
          {.title = "Nutrivo 800g x2", .price = 900000, .fires = false},
          /* a number after a name is part of the name; at a sentence start it counts */
          {.title = "Sữa Nutrivo Gold 3 lon 800g", .price = 500000, .fires = false},
          {.title = "Sữa Nutrivo Gold. 3 lon 800g", .price = 500000, .fires = true, .quantity = "3 × 800 g = 2400 g"},
          {.title = "Sữa Nutrivo NPK 20-20-15 bao 800g", .price = 500000, .fires = false},
          {.title = "Nutrivo x2 800g", .price = 400000, .fires = true, .quantity = "2 × 800 g = 1600 g"},
          /* "5G" in capitals on the number is a generation, not five grams; "5g" is grams */
          {.title = "Sữa Nutrivo 5G lon 800g", .price = 160000, .fires = true, .quantity = "800 g"},
          {.title = "Sữa Nutrivo 5G lon 800g", .price = 500000, .fires = false},
          {.title = "Gói Nutrivo 5g dùng thử", .price = 5000, .fires = false, .quantity = NULL},
          /* decimals with a dot or a comma; "1.000" is a thousand */
          {.title = "Nutrivo 1.7kg lon lớn", .price = 1050000, .fires = false},
          {.title = "Nutrivo 1,7 kg lon lớn", .price = 330000, .fires = true, .quantity = "1700 g"},
          {.title = "Nutrivo 1.000 g", .price = 600000, .fires = false},
          /* sachets: ten of 20 g */
          {.title = "Hộp 10 gói Nutrivo 20g", .price = 130000, .fires = false},
          {.title = "Gói dùng thử Nutrivo 30g", .price = 25000, .fires = false},
          /* the title has no quantity: the description's */
          {.title = "Sữa Nutrivo chính hãng", .description = "Lon 400g, date xa.", .price = 250000, .fires = false},
          {.title = "Sữa Nutrivo chính hãng", .description = "Lon 400g, date xa.", .price = 100000, .fires = true,
           .quantity = "400 g"},
          /* no quantity anywhere: the reference as it is (today's behaviour) */
          {.title = "Sữa Nutrivo cho bé 1-3 tuổi", .price = 250000, .fires = true, .quantity = ""},
          {.title = "Sữa Nutrivo cho bé 1-3 tuổi", .price = 300000, .fires = false});
}

Test(unit_price, counts_blisters_and_subscriptions)
{
    CHECK("  - id: tm.fish-oil\n"
          "    kind: trademark\n"
          "    name: VitaZen\n"
          "    terms: [\"vitazen\"]\n"
          "    reference_price: 420000\n"
          "    unit: \"100 viên\"\n"
          "    flag: {price_below: 0.5}\n"
          "  - id: cr.streamo\n"
          "    kind: copyright\n"
          "    name: Streamo\n"
          "    terms: [\"streamo\"]\n"
          "    reference_price: 89000\n"
          "    unit: month\n"
          "    flag: {price_below: 0.5}\n",
          {.title = "VitaZen hộp 100 viên", .price = 420000, .fires = false},
          {.title = "VitaZen hộp 100 viên", .price = 130000, .fires = true, .quantity = "100 vien"},
          {.title = "VitaZen vỉ 10 viên", .price = 14000, .fires = true, .quantity = "10 vien"},
          {.title = "VitaZen vỉ 10 viên", .price = 42000, .fires = false},
          {.title = "VitaZen hộp 10 vỉ x 10 viên", .price = 420000, .fires = false},
          {.title = "Combo 2 hộp VitaZen 100 viên", .price = 830000, .fires = false},
          {.title = "Combo 2 hộp VitaZen 100 viên", .price = 260000, .fires = true,
           .quantity = "2 × 100 vien = 200 vien"},
          {.title = "Tài khoản Streamo 1 tháng", .price = 89000, .fires = false},
          {.title = "Tài khoản Streamo 1 tháng", .price = 28000, .fires = true, .quantity = "1 month"},
          {.title = "Streamo gói 6 tháng", .price = 534000, .fires = false},
          {.title = "Streamo 12 tháng - gói năm", .price = 309000, .fires = true, .quantity = "12 month"},
          {.title = "Nâng cấp Streamo 1 năm", .price = 309000, .fires = true, .quantity = "12 month"},
          {.title = "streamo 1 nam chinh chu", .price = 1000000, .fires = false},
          /* a warranty is no subscription length */
          {.title = "Thẻ quà tặng Streamo bảo hành 12 tháng", .price = 89000, .fires = false},
          {.title = "Streamo 1 tháng bh 12 tháng", .price = 89000, .fires = false},
          {.title = "Streamo 89k/tháng", .price = 500000, .fires = false},
          {.title = "Streamo 25k/tháng", .price = 500000, .fires = true, .quantity = "25000 per 1 month"});
}

/* cases and trays of cans, bottles and packets: "két 20 chai", "khay 24 lon", "24 lon/thùng", "thùng 24" */
Test(unit_price, cases_trays_and_per_case_counts_are_multipacks)
{
    CHECK("  - id: tm.beer\n"
          "    kind: trademark\n"
          "    name: Heneken\n"
          "    terms: [\"heneken\"]\n"
          "    reference_price: 20000\n"
          "    unit: item\n"
          "    flag: {price_below: 0.5}\n"
          "  - id: tm.noodle\n"
          "    kind: trademark\n"
          "    name: Haohao\n"
          "    terms: [\"haohao\"]\n"
          "    reference_price: 5000\n"
          "    unit: \"1 gói\"\n"
          "    flag: {price_below: 0.5}\n",
          {.title = "Bia Heneken thùng 24 lon", .price = 200000, .fires = true, .quantity = "24 items"},
          {.title = "Bia Heneken thùng 24 lon", .price = 400000, .fires = false},
          {.title = "Bia Heneken lốc 6 chai", .price = 50000, .fires = true, .quantity = "6 items"},
          {.title = "Bia Heneken két 20 chai", .price = 150000, .fires = true, .quantity = "20 items"},
          {.title = "Bia Heneken khay 24 lon", .price = 200000, .fires = true, .quantity = "24 items"},
          {.title = "Bia Heneken 24 lon/thùng", .price = 200000, .fires = true, .quantity = "24 items"},
          {.title = "Bia Heneken thùng 24, date mới", .price = 200000, .fires = true, .quantity = "24 items"},
          {.title = "Bia Heneken thùng 24", .price = 400000, .fires = false},
          /* a count inside a product's description is no case: "khay 3 ngăn" is a tray with three compartments */
          {.title = "Heneken khay 3 ngăn", .price = 20000, .fires = false},
          {.title = "Mì Haohao hộp 10 gói", .price = 20000, .fires = true, .quantity = "10 goi"},
          {.title = "Mì Haohao 30 gói/thùng", .price = 60000, .fires = true, .quantity = "30 goi"},
          {.title = "Mì Haohao thùng 30 gói", .price = 150000, .fires = false});
}

/* pralines, slices and cakes are weighed as a box: "hộp 30 viên 375g" is 375 g, while a packet carries its own
 * weight ("hộp 10 gói 75g" is 750 g) */
Test(unit_price, a_count_of_small_pieces_before_a_weight_is_the_box_weight)
{
    CHECK("  - id: tm.praline\n"
          "    kind: trademark\n"
          "    name: Rocheto\n"
          "    terms: [\"rocheto\"]\n"
          "    reference_price: 100000\n"
          "    unit: \"100 g\"\n"
          "    flag: {price_below: 0.3}\n",
          {.title = "Socola Rocheto hộp 30 viên 375g", .price = 110000, .fires = true, .quantity = "375 g"},
          {.title = "Socola Rocheto hộp 30 viên 375g", .price = 350000, .fires = false},
          {.title = "Bánh Rocheto hộp 12 cái 396g", .price = 300000, .fires = false},
          {.title = "Rocheto gói 10 miếng 200g", .price = 50000, .fires = true, .quantity = "200 g"},
          {.title = "Bột Rocheto hộp 10 gói 75g", .price = 200000, .fires = true, .quantity = "10 × 75 g = 750 g"},
          {.title = "Combo 2 hộp Rocheto 375g", .price = 700000, .fires = false});
}

/* a "pack of N" unit counts any piece, razor cartridges ("lưỡi") too, and a multipack with no piece count
 * ("set 4", "combo 3 hộp") is that many pieces; a unit of named pieces does not guess from "hộp 10 vỉ" */
Test(unit_price, a_pack_of_unit_counts_multipacks_and_cartridges)
{
    CHECK("  - id: tm.heads\n"
          "    kind: trademark\n"
          "    name: Brushly\n"
          "    terms: [\"brushly\"]\n"
          "    reference_price: 150000\n"
          "    unit: \"pack of 1\"\n"
          "    flag: {price_below: 0.3}\n"
          "  - id: tm.tabs\n"
          "    kind: trademark\n"
          "    name: Paramol\n"
          "    terms: [\"paramol\"]\n"
          "    reference_price: 150000\n"
          "    unit: \"120 viên\"\n"
          "    flag: {price_below: 0.3}\n",
          {.title = "Đầu bàn chải Brushly chính hãng set 4", .price = 89000, .fires = true, .quantity = "4 pieces"},
          {.title = "Đầu bàn chải Brushly chính hãng set 4", .price = 500000, .fires = false},
          {.title = "Combo 3 hộp đầu bàn chải Brushly", .price = 100000, .fires = true, .quantity = "3 pieces"},
          {.title = "Lưỡi dao cạo Brushly vỉ 8 lưỡi", .price = 49000, .fires = true, .quantity = "8 pieces"},
          {.title = "Lưỡi dao cạo Brushly vỉ 8 lưỡi", .price = 900000, .fires = false},
          {.title = "Lõi lọc nước Brushly hộp 6 lõi", .price = 120000, .fires = true, .quantity = "6 pieces"},
          /* one piece, as before */
          {.title = "Đầu bàn chải Brushly", .price = 100000, .fires = false},
          /* blisters of tablets: their count is unknown, the reference is taken as it is */
          {.title = "Paramol hộp 10 vỉ", .price = 40000, .fires = true, .quantity = ""},
          {.title = "Paramol vỉ 12 viên", .price = 16000, .fires = false});
}

Test(unit_price, a_price_per_kg_notation_is_compared_per_unit)
{
    CHECK("  - id: tm.ginseng\n"
          "    kind: trademark\n"
          "    name: Sâm Kon Hrai\n"
          "    terms: [\"sâm kon hrai\"]\n"
          "    reference_price: 4000000\n"
          "    unit: \"100 g\"\n"
          "    flag: {price_below: 0.5}\n",
          {.title = "Sâm Kon Hrai loại 1 - 12tr/kg", .price = 1200000, .fires = true,
           .quantity = "12000000 per 1000 g"},
          {.title = "Sâm Kon Hrai loại 1 - 40tr/kg", .price = 4000000, .fires = false},
          /* the money word apart from the number, and "1tr2" (tests/eval/perturb, price_text) */
          {.title = "Sâm Kon Hrai loại 1 - 12 triệu/kg", .price = 1200000, .fires = true,
           .quantity = "12000000 per 1000 g"},
          {.title = "Sâm Kon Hrai loại 1 - 40 triệu/kg", .price = 4000000, .fires = false},
          {.title = "Sâm Kon Hrai loại 1 - 4 triệu/lạng", .price = 400000, .fires = false},
          {.title = "Sâm Kon Hrai loại 1 - 120 k/kg", .price = 4000000, .fires = true,
           .quantity = "120000 per 1000 g"},
          {.title = "Sâm Kon Hrai loại 1 - 1tr2/kg", .price = 4000000, .fires = true,
           .quantity = "1200000 per 1000 g"},
          {.title = "Sâm Kon Hrai loại 1 - 39tr5/kg", .price = 39000000, .fires = false},
          {.title = "Sâm Kon Hrai loại 1 - 120.000/kg", .price = 4000000, .fires = true,
           .quantity = "120000 per 1000 g"},
          /* a rate with the unit after a slash is never that many kilograms ("17.000/kg" was 17,000 kg) */
          {.title = "Sâm Kon Hrai loại 1 - 3.800.000 / kg", .price = 3800000, .fires = true,
           .quantity = "3800000 per 1000 g"},
          {.title = "Sâm Kon Hrai loại 1 - 39.000.000/kg", .price = 39000000, .fires = false},
          /* a price per unit stated after a weight says what the price is for ("bao 40kg ... 17k/kg") */
          {.title = "Sâm Kon Hrai túi 5kg, giá 40tr/kg", .price = 40000000, .fires = false},
          {.title = "Sâm Kon Hrai túi 5kg, giá 8tr/kg", .price = 8000000, .fires = true,
           .quantity = "8000000 per 1000 g"},
          {.title = "Sâm Kon Hrai túi 5kg", .price = 40000000, .fires = true, .quantity = "5000 g"},
          {.title = "Sâm Kon Hrai 1kg loại 8-10 củ", .price = 40000000, .fires = false},
          {.title = "Sâm Kon Hrai 1 ký", .price = 13000000, .fires = true, .quantity = "1000 g"},
          /* "100g/củ": a weight per root, the title says none */
          {.title = "Sâm Kon Hrai loại 1", .description = "Bán theo lạng, 100g/củ.", .price = 4000000, .fires = false},
          {.title = "Sâm Kon Hrai loại 1", .description = "Bán theo lạng, 100g/củ.", .price = 1250000, .fires = true,
           .quantity = "100 g"});
}

static const char watches[] =
    "  - id: tm.watch\n"
    "    kind: trademark\n"
    "    name: Mirado\n"
    "    terms: [\"mirado\"]\n"
    "    reference_price: 1200000\n"
    "    models:\n"
    "      - {name: Kids, terms: [\"mirado kids\", \"kids k2\"], reference_price: 1200000}\n"
    "      - {name: Diver, terms: [\"diver\"], reference_price: 20000000}\n"
    "      - {name: Diver Pro, terms: [\"diver pro\"], reference_price: 28000000, categories: [watches]}\n"
    "    flag:\n"
    "      any:\n"
    "        - list: slang\n"
    "        - price_below: 0.3\n";

Test(model_price, the_model_named_first_in_the_title_decides)
{
    CHECK(watches,
          {.title = "Đồng hồ Mirado Kids K2", .price = 1080000, .fires = false},
          {.title = "dong ho mirado kids k2 sale", .price = 180000, .fires = true, .model = "Kids"},
          /* the brand's one price would let an expensive model at a fifth through */
          {.title = "Mirado Diver Pro 300m automatic", .price = 6160000, .fires = true, .model = "Diver Pro"},
          {.title = "Mirado Diver Pro 300m automatic", .price = 25200000, .fires = false},
          /* the longer term at the same place is the more specific model */
          {.title = "Mirado Diver 200m", .price = 5000000, .fires = true, .model = "Diver"},
          {.title = "Mirado Diver 200m", .price = 7000000, .fires = false},
          /* title before description; first named before a comparison */
          {.title = "Mirado Diver Pro 300m", .description = "Tặng dây như Mirado Kids.", .price = 3200000,
           .fires = true, .model = "Diver Pro"},
          {.title = "Mirado Kids K2 - kiểu dáng như Diver Pro", .price = 1150000, .fires = false},
          {.title = "Đồng hồ Mirado", .description = "Mẫu Diver Pro.", .price = 5000000, .fires = true,
           .model = "Diver Pro"},
          /* no model named: the rule's reference */
          {.title = "Đồng hồ Mirado nam", .price = 500000, .fires = false},
          {.title = "Đồng hồ Mirado nam", .price = 300000, .fires = true},
          /* a model's terms alone are no mention of the brand */
          {.title = "Đồng hồ lặn Diver Pro", .price = 300000, .fires = false});
}

/* docs/rules.md, "Per-unit and per-model prices": a general model (a kind of goods) gives way to any other model
 * named in the same field, wherever it is named; without the mark, the first named decides as before. */
static const char monitors[] =
    "  - id: tm.monitor\n"
    "    kind: trademark\n"
    "    name: Veloxa\n"
    "    terms: [\"veloxa\"]\n"
    "    models:\n"
    "      - {name: monitor, terms: [\"máy đo huyết áp\"], reference_price: 700000, general: true}\n"
    "      - {name: HX-7156, terms: [\"hx-7156\", \"hx 7156\"], reference_price: 1200000}\n"
    "      - {name: thermometer, terms: [\"nhiệt kế\"], reference_price: 120000, general: true}\n"
    "    flag: {price_below: 0.3}\n";

Test(model_price, a_general_model_gives_way_to_a_specific_one)
{
    CHECK(monitors,
          /* the kind is named first, the model after the brand: the model's price (300,000 is 25% of it) */
          {.title = "Máy đo huyết áp Veloxa HX-7156 chính hãng", .price = 300000, .fires = true, .model = "HX-7156"},
          {.title = "Máy đo huyết áp Veloxa HX-7156 chính hãng", .price = 400000, .fires = false},
          /* only the kind named: its price (300,000 is 43%) */
          {.title = "Máy đo huyết áp Veloxa bắp tay", .price = 300000, .fires = false},
          {.title = "Máy đo huyết áp Veloxa bắp tay", .price = 200000, .fires = true, .model = "monitor"},
          /* two kinds: the first named, as before */
          {.title = "Nhiệt kế Veloxa tặng kèm máy đo huyết áp", .price = 100000, .fires = false},
          /* title before description: a specific model in the description does not outrank the title's kind */
          {.title = "Máy đo huyết áp Veloxa", .description = "Mẫu HX-7156.", .price = 250000, .fires = false});
    /* without general: the first named decides (the old rule) */
    CHECK("  - id: tm.monitor\n"
          "    kind: trademark\n"
          "    name: Veloxa\n"
          "    terms: [\"veloxa\"]\n"
          "    models:\n"
          "      - {name: monitor, terms: [\"máy đo huyết áp\"], reference_price: 700000}\n"
          "      - {name: HX-7156, terms: [\"hx-7156\"], reference_price: 1200000}\n"
          "    flag: {price_below: 0.3}\n",
          {.title = "Máy đo huyết áp Veloxa HX-7156 chính hãng", .price = 300000, .fires = false});
}

/* docs/rules.md, "Per-unit and per-model prices": a model after a compatibility word names the device the goods
 * fit; the accessory's own model, named where the title opens, prices it. */
Test(model_price, an_accessory_model_opening_the_title_prices_it)
{
    static const char phones[] = "  - id: tm.phone\n"
                                 "    kind: trademark\n"
                                 "    name: Velonix\n"
                                 "    terms: [\"velonix\"]\n"
                                 "    reference_price: 2500000\n"
                                 "    models:\n"
                                 "      - {name: X9 Pro Max, terms: [\"velonix x9 pro max\"], reference_price: 25000000}\n"
                                 "      - {name: Velonix case, terms: [\"ốp lưng velonix\", \"ốp velonix\"], "
                                 "reference_price: 1000000}\n"
                                 "    flag: {price_below: 0.3}\n";
    CHECK(phones,
          /* the brand's own case named first: the case's price, not the phone's */
          {.title = "Ốp lưng Velonix chính hãng cho Velonix X9 Pro Max", .price = 400000, .fires = false},
          {.title = "Ốp lưng Velonix chính hãng cho Velonix X9 Pro Max", .price = 250000, .fires = true,
           .model = "Velonix case"},
          /* the phone named after "dành cho" loses to the case even when named first in the field */
          {.title = "Dành cho Velonix X9 Pro Max: ốp lưng Velonix chính hãng", .price = 400000, .fires = false},
          /* the phone alone: its price */
          {.title = "Velonix X9 Pro Max 256GB", .price = 5000000, .fires = true, .model = "X9 Pro Max"});
}

Test(model_price, a_model_carries_its_own_unit)
{
    CHECK("  - id: tm.cosmetic\n"
          "    kind: trademark\n"
          "    name: Lumora\n"
          "    terms: [\"lumora\"]\n"
          "    models:\n"
          "      - {terms: [\"serum\"], reference_price: 2100000, unit: \"50 ml\"}\n"
          "    flag: {price_below: 0.3}\n",
          {.title = "Lumora serum 50ml", .price = 2000000, .fires = false},
          {.title = "Lumora serum 10ml", .price = 400000, .fires = false},
          {.title = "Lumora serum 100ml", .price = 1000000, .fires = true, .model = "serum",
           .quantity = "100 ml"},
          /* no model named and no rule reference: no price signal */
          {.title = "Lumora son môi", .price = 1000, .fires = false});
}

/* docs/rules.md, "Authorized sellers per branch" */
Test(branch_auth, an_authorized_seller_is_judged_by_the_branches_that_do_not_ask_for_unauthorized)
{
    static const char rule[] =
        "  - id: gi.tea\n"
        "    kind: gi\n"
        "    name: Chè Tả Van\n"
        "    terms: [\"chè tả van\"]\n"
        "    region: [\"Lào Cai\"]\n"
        "    reference_price: 300000\n"
        "    authorized_sellers: [\"htx\"]\n"
        "    authorized_exempt: false\n"
        "    flag:\n"
        "      any:\n"
        "        - list: blend\n"
        "        - all:\n"
        "            - unauthorized_seller: true\n"
        "            - price_below: 0.3\n"
        "  - id: tm.default\n"
        "    kind: trademark\n"
        "    name: Zorvik\n"
        "    terms: [\"zorvik\"]\n"
        "    authorized_sellers: [\"zorvik_official\"]\n"
        "    authorized_exempt: false\n"
        "  - id: tm.exempt\n"
        "    kind: trademark\n"
        "    name: Kavessi\n"
        "    terms: [\"kavessi\"]\n"
        "    authorized_sellers: [\"kavessi_official\"]\n"
        "    flag: {list: blend}\n";
    CHECK(rule,
          {.title = "Chè Tả Van pha trộn chè Thái", .seller = "htx", .fires = true},
          {.title = "Chè Tả Van pha trộn chè Thái", .seller = "shop1", .fires = true},
          {.title = "Chè Tả Van giảm giá", .price = 50000, .seller = "htx", .fires = false},
          {.title = "Chè Tả Van giảm giá", .price = 50000, .seller = "shop1", .fires = true},
          {.title = "Chè Tả Van hộp quà", .price = 300000, .seller = "htx", .fires = false},
          /* the default flag still means "a hit by an unauthorized seller" */
          {.title = "Giày Zorvik", .seller = "zorvik_official", .fires = false},
          {.title = "Giày Zorvik", .seller = "shop1", .fires = true},
          /* without authorized_exempt: false the whole rule exempts them, as before */
          {.title = "Túi Kavessi pha trộn", .seller = "kavessi_official", .fires = false},
          {.title = "Túi Kavessi pha trộn", .seller = "shop1", .fires = true});
}

/* a genuine price the seller states: read from the cue's clause, shown beside the pack's reference */
Test(stated_price, the_seller_s_genuine_price_is_read_and_shown)
{
    char error[256];
    normalizer *n;
    cr_assert_eq(normalizer_create(&n, error, sizeof error), 0, "%s", error);
    normalized_text view;
    normalized_text_init(&view);
    static const struct {
        const char *text;
        double vnd;
    } cases[] = {
        {"Giá hãng 3.500.000đ, bên em chỉ 350k", 3500000},
        {"giá hãng 3tr5 shop bán 199k", 3500000},
        {"Giá niêm yết: 4,2 triệu. Thanh lý 150k", 4200000},
        {"gia chinh hang 2.900.000 VND", 2900000},
        {"Giá store 1200k", 1200000},
        {"GIÁ HÃNG 990.000₫", 990000},
        {"giá hãng: 2500000", 2500000},
        /* "giá hàng" is the goods' price; "gia hang" cannot tell */
        {"giá hàng 3.500.000đ", 0},
        {"gia hang 3.500.000d", 0},
        /* no amount in the clause, or no money */
        {"Giá hãng. 3.500.000đ", 0},
        {"giá hãng 350", 0},
        {"giá hãng 3 khách mua", 0},
        {"Giày đẹp 3.500.000đ", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cr_assert_eq(normalize_text(n, cases[i].text, strlen(cases[i].text), &view, NULL), 0);
        double vnd = stated_genuine_price(&view, cases[i].text, strlen(cases[i].text));
        cr_expect(fabs(vnd - cases[i].vnd) < 0.5, "\"%s\": %.0f, expected %.0f", cases[i].text, vnd, cases[i].vnd);
    }
    normalized_text_free(&view);
    normalizer_destroy(n);

    ruleset *rs = compile_ok("  - id: tm.shoe\n"
                             "    kind: trademark\n"
                             "    name: Zorvik\n"
                             "    terms: [\"zorvik\"]\n"
                             "    reference_price: 700000\n"
                             "    flag: {price_below: 0.3}\n");
    ruleset_scratch *s;
    cr_assert_eq(ruleset_scratch_create(rs, &s), 0);
    const char *title = "Giày Zorvik Air giá hãng 3tr5 shop bán 150k";
    listing_facts l = {.platform = "shopee", .listing_id = "1", .title = title, .title_length = strlen(title),
                       .has_price = true, .price = 150000};
    match_result r;
    cr_assert_eq(ruleset_match(rs, s, &l, &r), 0);
    cr_assert_eq(r.rule_count, 1);
    bytebuf out;
    bytebuf_init(&out, 0);
    flag_explain(rs, &l, &r, FLAG_LANGUAGE_VIETNAMESE, &out);
    bytebuf_append_char(&out, '\0');
    cr_expect(strstr(out.data, "giá tham chiếu 700.000 ₫, trong khi người bán ghi giá hãng 3.500.000 ₫") != NULL, "%s",
              out.data);
    bytebuf_free(&out);
    /* the pack's reference still decides: at 50% of it, no flag whatever the seller says */
    l.price = 350000;
    cr_assert_eq(ruleset_match(rs, s, &l, &r), 0);
    cr_expect_eq(r.rule_count, 0);
    ruleset_scratch_destroy(s);
    ruleset_destroy(rs);
}

Test(unit_price, units_parse_and_describe)
{
    static const struct {
        const char *text;
        quantity_dimension dimension;
        double amount;
        const char *described;
    } units[] = {
        {"item", QUANTITY_ITEM, 1, "item"},        {"800 g", QUANTITY_MASS, 800, "800 g"},
        {"1.7 kg", QUANTITY_MASS, 1700, "1700 g"}, {"1 lạng", QUANTITY_MASS, 100, "100 g"},
        {"100 ml", QUANTITY_VOLUME, 100, "100 ml"}, {"1 l", QUANTITY_VOLUME, 1000, "1000 ml"},
        {"30 viên", QUANTITY_COUNT, 30, "30 vien"}, {"pack of 30", QUANTITY_COUNT, 30, "30 pieces"},
        {"8 lưỡi", QUANTITY_COUNT, 8, "8 luoi"}, {"6 lõi", QUANTITY_COUNT, 6, "6 loi"},
        {"month", QUANTITY_MONTHS, 1, "1 month"},  {"12 months", QUANTITY_MONTHS, 12, "12 month"},
        {"1 năm", QUANTITY_MONTHS, 12, "12 month"}, {"per 1 Tháng", QUANTITY_MONTHS, 1, "1 month"},
    };
    for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
        price_unit u;
        cr_assert_eq(price_unit_parse(units[i].text, &u), 0, "%s", units[i].text);
        cr_expect_eq(u.dimension, units[i].dimension, "%s", units[i].text);
        cr_expect(fabs(u.amount - units[i].amount) < 1e-9, "%s: %g", units[i].text, u.amount);
        char described[32];
        price_unit_describe(&u, described, sizeof described);
        cr_expect_str_eq(described, units[i].described);
    }
    static const char *const bad[] = {"", "lbs", "0 g", "-3 kg", "2 items", "800 g extra", "kg kg", NULL};
    for (size_t i = 0; bad[i]; i++) {
        price_unit u;
        cr_expect_eq(price_unit_parse(bad[i], &u), -1, "'%s' is no unit", bad[i]);
    }
}

Test(errors, unit_and_model_mistakes_are_named_with_their_line)
{
    static const struct {
        const char *yaml, *message;
    } cases[] = {
        {"  - {id: a, kind: trademark, name: A, terms: [a1], reference_price: 5, unit: \"3 furlongs\"}\n",
         "price.yaml:7:78: unknown unit '3 furlongs'"},
        {"  - {id: a, kind: trademark, name: A, terms: [a1], models: [{reference_price: 5}]}\n",
         "price.yaml:7:61: a model needs 'terms'"},
        {"  - {id: a, kind: trademark, name: A, terms: [a1], models: [{terms: [b1]}]}\n",
         "price.yaml:7:61: a model needs a reference_price, a unit or categories"},
        {"  - {id: a, kind: trademark, name: A, terms: [a1], models: [{terms: [b1], price: 3}]}\n",
         "price.yaml:7:75: unknown field 'price' in a model"},
        {"  - {id: a, kind: trademark, name: A, terms: [a1], flag: {price_below: 0.5}}\n",
         "price.yaml:7:59: price_below needs the rule's reference_price (or a model's)"},
        {"  - {id: a, kind: trademark, name: A, terms: [a1], unit: \"800 g\"}\n",
         "price.yaml:7:5: rule 'a' has a unit but no reference_price"},
        {"  - {id: a, kind: trademark, name: A, terms: [a1], models: [{terms: [b1], unit: \"1 kg\"}]}\n",
         "price.yaml:7:61: a model with a unit needs a reference_price (its own or the rule's)"},
        {"  - {id: a, kind: trademark, name: A, terms: [a1], authorized_exempt: maybe}\n",
         "price.yaml:7:71: authorized_exempt must be true or false"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        diagnostics diag;
        diagnostics_init(&diag);
        ruleset *rs = compile(cases[i].yaml, &diag);
        cr_expect_null(rs, "%s compiled", cases[i].yaml);
        ruleset_destroy(rs);
        bool found = false;
        for (size_t k = 0; k < diag.count; k++)
            found |= strstr(diag.messages[k], cases[i].message) != NULL;
        cr_expect(found, "expected \"%s\", got \"%s\"", cases[i].message, diag.count ? diag.messages[0] : "nothing");
        diagnostics_free(&diag);
    }
    /* and a pack that uses them all is fine */
    diagnostics diag;
    diagnostics_init(&diag);
    ruleset *rs = compile(watches, &diag);
    cr_expect_not_null(rs);
    ruleset_destroy(rs);
    diagnostics_free(&diag);
}

Test(explain, the_conversion_is_shown)
{
    ruleset *rs = compile_ok(milk);
    ruleset_scratch *s;
    cr_assert_eq(ruleset_scratch_create(rs, &s), 0);
    const char *title = "Thùng 6 lon sữa Nutrivo 800g";
    listing_facts l = {.platform = "shopee", .listing_id = "1", .title = title, .title_length = strlen(title),
                       .has_price = true, .price = 938000};
    bytebuf out;
    bytebuf_init(&out, 0);
    cr_assert_eq(ruleset_explain(rs, s, &l, &out), 0);
    bytebuf_append_char(&out, '\0');
    cr_expect(strstr(out.data, "6 × 800 g = 4800 g") != NULL, "%s", out.data);
    cr_expect(strstr(out.data, "the reference 520000 per 800 g is 3120000 for it") != NULL, "%s", out.data);
    cr_expect(strstr(out.data, "verdict: suspected violation") != NULL, "%s", out.data);
    bytebuf_free(&out);
    ruleset_scratch_destroy(s);
    ruleset_destroy(rs);

    /* the Vietnamese explanation says the engine's unit words in Vietnamese */
    rs = compile_ok("  - id: tm.noodle\n"
                    "    kind: trademark\n"
                    "    name: Haohao\n"
                    "    terms: [\"haohao\"]\n"
                    "    reference_price: 5000\n"
                    "    unit: \"1 gói\"\n"
                    "    flag: {price_below: 0.5}\n"
                    "  - id: tm.beer\n"
                    "    kind: trademark\n"
                    "    name: Heneken\n"
                    "    terms: [\"heneken\"]\n"
                    "    reference_price: 20000\n"
                    "    unit: item\n"
                    "    flag: {price_below: 0.5}\n");
    cr_assert_eq(ruleset_scratch_create(rs, &s), 0);
    static const char *const titles[][2] = {{"Mì Haohao hộp 10 gói", "cho 10 gói (giá tham chiếu theo 1 gói)"},
                                            {"Bia Heneken thùng 24 lon", "cho 24 sản phẩm (giá tham chiếu theo sản phẩm)"}};
    for (size_t i = 0; i < 2; i++) {
        l = (listing_facts){.platform = "shopee", .listing_id = "1", .title = titles[i][0],
                            .title_length = strlen(titles[i][0]), .has_price = true, .price = 20000};
        match_result r;
        cr_assert_eq(ruleset_match(rs, s, &l, &r), 0);
        cr_assert_eq(r.rule_count, 1, "%s", titles[i][0]);
        bytebuf_init(&out, 0);
        flag_explain(rs, &l, &r, FLAG_LANGUAGE_VIETNAMESE, &out);
        bytebuf_append_char(&out, '\0');
        cr_expect(strstr(out.data, titles[i][1]) != NULL, "%s", out.data);
        bytebuf_free(&out);
    }
    ruleset_scratch_destroy(s);
    ruleset_destroy(rs);

    /* a model's hit is named as the model's */
    rs = compile_ok(watches);
    cr_assert_eq(ruleset_scratch_create(rs, &s), 0);
    title = "Mirado Diver Pro 300m";
    l = (listing_facts){.platform = "shopee", .listing_id = "1", .title = title, .title_length = strlen(title),
                        .has_price = true, .price = 3000000};
    bytebuf_init(&out, 0);
    cr_assert_eq(ruleset_explain(rs, s, &l, &out), 0);
    bytebuf_append_char(&out, '\0');
    cr_expect(strstr(out.data, "\"diver pro\" -> model Diver Pro of tm.watch") != NULL, "%s", out.data);
    cr_expect(strstr(out.data, "model Diver Pro: reference 28000000") != NULL, "%s", out.data);
    bytebuf_free(&out);
    ruleset_scratch_destroy(s);
    ruleset_destroy(rs);
}
