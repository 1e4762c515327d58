/* Rule pack loading: libyaml's events, each rule a small document tree
 * (the pack's other fields one more), walked with a check at every step.
 * Each check that fails adds a diagnostic and the walk goes on. */
#include "rules/pack.h"
#include "rules/label_claim.h"
#include "rules/base/string_set.h"
#include "rules/base/yaml_walk.h"
#include "rules/base/arena.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define MAX_PACK_BYTES (16u << 20)
#define MAX_GAP 8 /* inserted words in a tolerant phrase: beyond this it is two mentions, not one name */

/* The walk, and the arena the pack's strings, lists and conditions come from
 * (the pack's own: pack_free frees them all at once). */
typedef struct loader {
    yaml_walk w;
    arena *arena;
} loader;

static const char *const kind_names[RULE_KIND_COUNT] = {"trademark", "gi", "collective_mark", "certification_mark",
                                                        "ocop", "plant_variety", "copyright"};
static const char *const severity_names[] = {"low", "medium", "high", "critical"};

static const char *const goods_group_names[GOODS_GROUP_COUNT] = {
    "consumer_goods", "pharmaceuticals", "cosmetics", "health_supplements", "agricultural_inputs",
    "plant_varieties_seed", "regional_specialties_ocop", "software", "films", "music", "games", "books", "tv", "other"};

static const char *const kind_labels[RULE_KIND_COUNT][2] = {
    {"Nhãn hiệu", "Trademark"},
    {"Chỉ dẫn địa lý", "Geographical indication"},
    {"Nhãn hiệu tập thể", "Collective mark"},
    {"Nhãn hiệu chứng nhận", "Certification mark"},
    {"Sản phẩm OCOP", "OCOP product"},
    {"Giống cây trồng", "Plant variety"},
    {"Quyền tác giả, quyền liên quan", "Copyright and related rights"}};

static const char *const goods_group_labels[GOODS_GROUP_COUNT][2] = {
    {"Hàng tiêu dùng", "Consumer goods"},
    {"Dược phẩm", "Pharmaceuticals"},
    {"Mỹ phẩm", "Cosmetics"},
    {"Thực phẩm chức năng", "Health supplements"},
    {"Vật tư nông nghiệp (phân bón, thuốc BVTV)", "Agricultural inputs"},
    {"Giống cây trồng, hạt giống", "Plant varieties and seed"},
    {"Đặc sản vùng miền, sản phẩm OCOP", "Regional specialties and OCOP products"},
    {"Phần mềm", "Software"},
    {"Phim", "Films"},
    {"Âm nhạc", "Music"},
    {"Trò chơi điện tử", "Games"},
    {"Sách", "Books"},
    {"Truyền hình", "TV"},
    {"Khác", "Other"}};

rule_kind rule_kind_named(const char *name)
{
    for (int k = 0; name && k < RULE_KIND_COUNT; k++)
        if (!strcmp(kind_names[k], name))
            return (rule_kind)k;
    return RULE_KIND_COUNT;
}

const char *rule_kind_label(rule_kind k, bool vietnamese)
{
    return (unsigned)k < RULE_KIND_COUNT ? kind_labels[k][vietnamese ? 0 : 1] : vietnamese ? "Không rõ" : "Unknown";
}

const char *goods_group_label(goods_group g, bool vietnamese)
{
    return goods_group_labels[(unsigned)g < GOODS_GROUP_COUNT ? g : GOODS_OTHER][vietnamese ? 0 : 1];
}

const char *goods_group_name(goods_group g)
{
    return (unsigned)g < GOODS_GROUP_COUNT ? goods_group_names[g] : "other";
}

goods_group goods_group_named(const char *name)
{
    for (int g = 0; name && g < GOODS_GROUP_COUNT; g++)
        if (!strcmp(goods_group_names[g], name))
            return (goods_group)g;
    return GOODS_GROUP_COUNT;
}

goods_group goods_group_of_category(const char *category)
{
    static const struct {
        const char *category;
        goods_group group;
    } table[] = {{"fashion", GOODS_CONSUMER},          {"footwear", GOODS_CONSUMER},
                 {"bags", GOODS_CONSUMER},             {"watches", GOODS_CONSUMER},
                 {"jewelry", GOODS_CONSUMER},          {"eyewear", GOODS_CONSUMER},
                 {"electronics", GOODS_CONSUMER},      {"phones", GOODS_CONSUMER},
                 {"consumer_goods", GOODS_CONSUMER},   {"toys", GOODS_CONSUMER},
                 {"household", GOODS_CONSUMER},        {"cosmetics", GOODS_COSMETICS},
                 {"pharmaceuticals", GOODS_PHARMACEUTICALS}, {"medicines", GOODS_PHARMACEUTICALS},
                 {"supplements", GOODS_HEALTH_SUPPLEMENTS}, {"milk", GOODS_HEALTH_SUPPLEMENTS},
                 {"agricultural-inputs", GOODS_AGRICULTURAL_INPUTS}, {"fertilizer", GOODS_AGRICULTURAL_INPUTS},
                 {"pesticides", GOODS_AGRICULTURAL_INPUTS}, {"seeds", GOODS_PLANT_VARIETIES},
                 {"rice", GOODS_PLANT_VARIETIES},      {"food", GOODS_REGIONAL_SPECIALTIES},
                 {"fruit", GOODS_REGIONAL_SPECIALTIES}, {"specialties", GOODS_REGIONAL_SPECIALTIES},
                 {"tea", GOODS_REGIONAL_SPECIALTIES},  {"coffee", GOODS_REGIONAL_SPECIALTIES},
                 {"handicrafts", GOODS_REGIONAL_SPECIALTIES}, {"software", GOODS_SOFTWARE},
                 {"digital", GOODS_SOFTWARE},          {"films", GOODS_FILMS},
                 {"music", GOODS_MUSIC},               {"games", GOODS_GAMES},
                 {"books", GOODS_BOOKS},               {"textbooks", GOODS_BOOKS},
                 {"tv", GOODS_TV},                     {"streaming", GOODS_TV}};
    for (size_t i = 0; category && i < sizeof table / sizeof *table; i++)
        if (!strcmp(table[i].category, category))
            return table[i].group;
    return GOODS_GROUP_COUNT;
}

const char *rule_kind_name(rule_kind k)
{
    return (unsigned)k < RULE_KIND_COUNT ? kind_names[k] : "unknown";
}

const char *severity_name(severity s)
{
    return (unsigned)s <= SEVERITY_CRITICAL ? severity_names[s] : "unknown";
}

/* ---- conditions ---------------------------------------------------------- */

static condition *parse_condition(loader *ld, yaml_node_t *node, const pack *p, const rule *r, int depth);

static bool rule_has_reference_price(const rule *r)
{
    for (size_t i = 0; i < r->more->model_count; i++)
        if (r->more->models[i].has_reference_price)
            return true;
    return r->has_reference_price;
}

static void parse_condition_list(loader *ld, yaml_node_t *node, const pack *p, const rule *r, int depth,
                                 condition ***out, size_t *count, const char *what)
{
    if (node->type != YAML_SEQUENCE_NODE) {
        yaml_walk_error(&ld->w, node, "%s must be a list of conditions", what);
        return;
    }
    size_t n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    if (n == 0) {
        yaml_walk_error(&ld->w, node, "%s is empty", what);
        return;
    }
    *out = arena_calloc(ld->arena, n, sizeof **out);
    if (!*out) {
        yaml_walk_out_of_memory(&ld->w, node);
        return;
    }
    for (yaml_node_item_t *item = node->data.sequence.items.start; item < node->data.sequence.items.top; item++) {
        condition *c = parse_condition(ld, yaml_walk_node(&ld->w, *item), p, r, depth + 1);
        if (c)
            (*out)[(*count)++] = c;
    }
}

/* label_claim: {label: WORD, above: rated_level | N, outside: [LOW, HIGH]} (docs/rules.md, "Rated labels:
 * claims and mentions"). No test: any claim of a level. The label is one word of a-z and 0-9 (it is compared
 * with the folded text, so it is folded here: "OCOP" is "ocop"). */
static void parse_label_claim(loader *ld, yaml_node_t *node, const rule *r, condition *c)
{
    if (node->type != YAML_MAPPING_NODE) {
        yaml_walk_error(&ld->w, node, "label_claim is a mapping such as {label: ocop, above: rated_level}");
        return;
    }
    for (yaml_node_pair_t *pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; pair++) {
        yaml_node_t *key = yaml_walk_node(&ld->w, pair->key), *value = yaml_walk_node(&ld->w, pair->value);
        const char *k = yaml_scalar(key);
        if (!k) {
            yaml_walk_error(&ld->w, key, "label_claim fields are names");
        } else if (!strcmp(k, "label")) {
            c->text = yaml_walk_string_in(&ld->w, ld->arena, value, "label");
            c->text_at = yaml_position(value);
            bool ok = c->text && *c->text && strlen(c->text) < 24;
            for (char *t = c->text; ok && *t; t++) {
                if (*t >= 'A' && *t <= 'Z')
                    *t = (char)(*t - 'A' + 'a');
                ok = (*t >= 'a' && *t <= 'z') || (*t >= '0' && *t <= '9');
            }
            if (c->text && !ok)
                yaml_walk_error(&ld->w, value, "label must be one word of letters a-z and digits (such as ocop), "
                                           "not '%s'", c->text);
        } else if (!strcmp(k, "above")) {
            const char *s = yaml_scalar(value);
            if (s && !strcmp(s, "rated_level")) {
                c->label_above_rated = true;
                if (!r->rated_level)
                    yaml_walk_error(&ld->w, value, "above: rated_level needs the rule's rated_level");
            } else {
                yaml_walk_int(&ld->w, value, "above", 1, LABEL_LEVEL_MAX, &c->label_above);
            }
        } else if (!strcmp(k, "outside") || !strcmp(k, "provincial") || !strcmp(k, "national")) {
            /* outside: the valid levels; provincial / national: the levels a claim said to be rated at that
             * level of council can hold ("5 sao cấp tỉnh" is outside provincial: [3, 4]) */
            int range[2] = {0, 0};
            size_t n = value->type == YAML_SEQUENCE_NODE
                           ? (size_t)(value->data.sequence.items.top - value->data.sequence.items.start) : 0;
            if (n != 2) {
                yaml_walk_error(&ld->w, value, "%s is a range [LOW, HIGH] of valid levels, such as %s", k,
                                k[0] == 'o' ? "[3, 5]" : k[0] == 'p' ? "[3, 4]" : "[5, 5]");
                continue;
            }
            for (size_t i = 0; i < 2; i++)
                yaml_walk_int(&ld->w, yaml_walk_node(&ld->w, value->data.sequence.items.start[i]), k, 1, LABEL_LEVEL_MAX,
                              &range[i]);
            if (range[0] && range[1] && range[0] > range[1])
                yaml_walk_error(&ld->w, value, "%s: [%d, %d] is empty (LOW above HIGH)", k, range[0], range[1]);
            if (k[0] == 'o') {
                c->label_low = range[0];
                c->label_high = range[1];
            } else if (k[0] == 'p') {
                c->label_provincial_low = (int8_t)range[0];
                c->label_provincial_high = (int8_t)range[1];
            } else {
                c->label_national_low = (int8_t)range[0];
                c->label_national_high = (int8_t)range[1];
            }
        } else {
            yaml_walk_error(&ld->w, key, "unknown field '%s' in label_claim (known: label, above, outside, provincial, "
                                         "national)", k);
        }
    }
    if (!c->text && !(c->text = arena_strdup(ld->arena, "ocop")))
        yaml_walk_out_of_memory(&ld->w, node);
}

static condition *parse_condition(loader *ld, yaml_node_t *node, const pack *p, const rule *r, int depth)
{
    if (depth > 32) {
        yaml_walk_error(&ld->w, node, "conditions nested too deep");
        return NULL;
    }
    if (node->type != YAML_MAPPING_NODE) {
        yaml_walk_error(&ld->w, node, "a condition must be a mapping such as 'list: NAME' or 'any: [...]'");
        return NULL;
    }
    condition *c = arena_calloc(ld->arena, 1, sizeof *c);
    if (!c) {
        yaml_walk_out_of_memory(&ld->w, node);
        return NULL;
    }
    c->at = yaml_position(node);
    c->near = -1;
    c->near_before = c->near_after = -1;
    c->compiled = -1;
    yaml_node_t *near_node = NULL, *before_node = NULL, *after_node = NULL;
    int kinds = 0;
    for (yaml_node_pair_t *pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; pair++) {
        yaml_node_t *key = yaml_walk_node(&ld->w, pair->key), *value = yaml_walk_node(&ld->w, pair->value);
        const char *name = yaml_scalar(key);
        if (!name) {
            yaml_walk_error(&ld->w, key, "condition names must be strings");
            continue;
        }
        if (!strcmp(name, "near")) {
            near_node = value;
            continue;
        }
        if (!strcmp(name, "near_before") || !strcmp(name, "near_after")) {
            *(name[5] == 'b' ? &before_node : &after_node) = value;
            continue;
        }
        if (++kinds > 1) {
            yaml_walk_error(&ld->w, key, "'%s': one condition per entry; combine several with 'all:' or 'any:'", name);
            continue;
        }
        if (!strcmp(name, "any") || !strcmp(name, "all")) {
            c->type = name[1] == 'n' ? CONDITION_ANY : CONDITION_ALL;
            parse_condition_list(ld, value, p, r, depth, &c->children, &c->child_count, name);
        } else if (!strcmp(name, "not")) {
            c->type = CONDITION_NOT;
            condition *child = parse_condition(ld, value, p, r, depth + 1);
            if (child) {
                c->children = arena_calloc(ld->arena, 1, sizeof *c->children);
                if (c->children)
                    c->children[c->child_count++] = child;
                else
                    yaml_walk_out_of_memory(&ld->w, value);
            }
        } else if (!strcmp(name, "list")) {
            c->type = CONDITION_LIST;
            c->text = yaml_walk_string_in(&ld->w, ld->arena, value, "list");
            c->text_at = yaml_position(value);
            if (c->text && !pack_find_list(p, c->text))
                yaml_walk_error(&ld->w, value, "unknown list '%s'%s", c->text,
                         p->list_count ? "" : " (this pack defines no lists)");
        } else if (!strcmp(name, "term")) {
            c->type = CONDITION_TERM;
            c->text = yaml_walk_string_in(&ld->w, ld->arena, value, "term");
            c->text_at = yaml_position(value);
            if (c->text && !*c->text)
                yaml_walk_error(&ld->w, value, "empty term");
        } else if (!strcmp(name, "pattern")) {
            c->type = CONDITION_PATTERN;
            c->text = yaml_walk_string_in(&ld->w, ld->arena, value, "pattern");
            c->text_at = yaml_position(value);
            if (c->text && !*c->text)
                yaml_walk_error(&ld->w, value, "empty pattern");
        } else if (!strcmp(name, "price_below")) {
            c->type = CONDITION_PRICE_BELOW;
            if (yaml_walk_number(&ld->w, value, "price_below", &c->ratio) && (c->ratio <= 0 || c->ratio > 1))
                yaml_walk_error(&ld->w, value, "price_below is a ratio of the reference price, above 0 and at most 1");
            if (!rule_has_reference_price(r))
                yaml_walk_error(&ld->w, key, "price_below needs the rule's reference_price (or a model's)");
        } else if (!strcmp(name, "seller_outside_region")) {
            c->type = CONDITION_SELLER_OUTSIDE_REGION;
            yaml_walk_bool(&ld->w, value, name, &c->value);
            if (r->region.count == 0)
                yaml_walk_error(&ld->w, key, "seller_outside_region needs the rule's region");
        } else if (!strcmp(name, "stated_origin_outside_region")) {
            c->type = CONDITION_STATED_ORIGIN_OUTSIDE_REGION;
            yaml_walk_bool(&ld->w, value, name, &c->value);
            if (r->region.count == 0)
                yaml_walk_error(&ld->w, key, "stated_origin_outside_region needs the rule's region");
        } else if (!strcmp(name, "traceable_sourcing")) {
            c->type = CONDITION_TRACEABLE_SOURCING;
            yaml_walk_bool(&ld->w, value, name, &c->value);
        } else if (!strcmp(name, "unauthorized_seller")) {
            c->type = CONDITION_UNAUTHORIZED_SELLER;
            yaml_walk_bool(&ld->w, value, name, &c->value);
        } else if (!strcmp(name, "official_store")) {
            c->type = CONDITION_OFFICIAL_STORE;
            yaml_walk_bool(&ld->w, value, name, &c->value);
        } else if (!strcmp(name, "livestream")) {
            c->type = CONDITION_LIVESTREAM;
            yaml_walk_bool(&ld->w, value, name, &c->value);
        } else if (!strcmp(name, "hashtags")) {
            c->type = CONDITION_HASHTAGS;
            const char *mode = yaml_scalar(value);
            if (mode && !strcmp(mode, "only"))
                c->hashtags = HASHTAGS_ONLY;
            else if (mode && !strcmp(mode, "some"))
                c->hashtags = HASHTAGS_SOME;
            else if (mode && !strcmp(mode, "none"))
                c->hashtags = HASHTAGS_NONE;
            else
                yaml_walk_error(&ld->w, value, "hashtags must be only, some or none, not '%s'", mode ? mode : "?");
        } else if (!strcmp(name, "label_claim")) {
            c->type = CONDITION_LABEL_CLAIM;
            parse_label_claim(ld, value, r, c);
        } else if (!strcmp(name, "category")) {
            c->type = CONDITION_CATEGORY;
            string_list values = {0};
            yaml_walk_string_list_in(&ld->w, ld->arena, value, "category", &values);
            c->values = values.items; /* the positions stay in the arena, unread */
            c->value_count = values.count;
        } else {
            yaml_walk_error(&ld->w, key, "unknown condition '%s' (known: any, all, not, list, term, pattern, price_below, "
                              "seller_outside_region, stated_origin_outside_region, traceable_sourcing, "
                              "unauthorized_seller, official_store, livestream, category, hashtags, label_claim)",
                     name);
        }
    }
    if (kinds == 0)
        yaml_walk_error(&ld->w, node, "empty condition");
    if (near_node) {
        if (c->type != CONDITION_LIST)
            yaml_walk_error(&ld->w, near_node, "'near' goes with 'list' only");
        else if (yaml_walk_int(&ld->w, near_node, "near", 0, 1000, &c->near))
            c->near_before = c->near_after = (int16_t)c->near;
    }
    /* near_before / near_after: a window on one side of the hit (docs/rules.md, "Conditions"); both: asymmetric */
    yaml_node_t *sides[2] = {before_node, after_node};
    for (int k = 0; k < 2; k++) {
        const char *what = k ? "near_after" : "near_before";
        int words = -1;
        if (!sides[k])
            continue;
        if (c->type != CONDITION_LIST) {
            yaml_walk_error(&ld->w, sides[k], "'%s' goes with 'list' only", what);
        } else if (near_node) {
            yaml_walk_error(&ld->w, sides[k], "'%s' and 'near' together: write near (both sides) or near_before "
                                              "and/or near_after", what);
        } else if (yaml_walk_int(&ld->w, sides[k], what, 0, 1000, &words)) {
            *(k ? &c->near_after : &c->near_before) = (int16_t)words;
            if (words > c->near)
                c->near = words;
        }
    }
    return c;
}

/* ---- rules ------------------------------------------------------------------ */

static bool valid_id(const char *id)
{
    if (!*id)
        return false;
    for (const char *c = id; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-'))
            return false;
    return true;
}

/* Rules without owner, notes, tests, unit, models or context share this one. */
static const rule_details no_details;

/* The rule's own details, made (in the arena) the first time one is written;
 * NULL (diagnosed) out of memory. */
static rule_details *details(loader *ld, yaml_node_t *node, rule *r)
{
    if (r->more == &no_details) {
        rule_details *d = arena_calloc(ld->arena, 1, sizeof *d);
        if (!d) {
            yaml_walk_out_of_memory(&ld->w, node);
            return NULL;
        }
        r->more = d;
    }
    return (rule_details *)r->more; /* the arena's: writable */
}

static void parse_examples(loader *ld, yaml_node_t *node, const char *what, rule_example **out, size_t *count)
{
    if (node->type != YAML_SEQUENCE_NODE) {
        yaml_walk_error(&ld->w, node, "tests.%s must be a list of texts", what);
        return;
    }
    size_t n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    *out = arena_calloc(ld->arena, n ? n : 1, sizeof **out);
    if (!*out) {
        yaml_walk_out_of_memory(&ld->w, node);
        return;
    }
    for (yaml_node_item_t *item = node->data.sequence.items.start; item < node->data.sequence.items.top; item++) {
        yaml_node_t *child = yaml_walk_node(&ld->w, *item);
        rule_example *e = &(*out)[*count];
        memset(e, 0, sizeof *e);
        e->at = yaml_position(child);
        if (child->type == YAML_SCALAR_NODE) {
            if (!(e->text = arena_strdup(ld->arena, yaml_scalar(child))))
                yaml_walk_out_of_memory(&ld->w, child);
        } else if (child->type == YAML_MAPPING_NODE) {
            for (yaml_node_pair_t *pair = child->data.mapping.pairs.start; pair < child->data.mapping.pairs.top;
                 pair++) {
                yaml_node_t *key = yaml_walk_node(&ld->w, pair->key), *value = yaml_walk_node(&ld->w, pair->value);
                const char *k = yaml_scalar(key);
                if (!k)
                    continue;
                if (!strcmp(k, "text"))
                    e->text = yaml_walk_string_in(&ld->w, ld->arena, value, "text");
                else if (!strcmp(k, "price"))
                    e->has_price = yaml_walk_number(&ld->w, value, "price", &e->price);
                else if (!strcmp(k, "seller"))
                    e->seller = yaml_walk_string_in(&ld->w, ld->arena, value, "seller");
                else if (!strcmp(k, "seller_location"))
                    e->seller_location = yaml_walk_string_in(&ld->w, ld->arena, value, "seller_location");
                else if (!strcmp(k, "platform"))
                    e->platform = yaml_walk_string_in(&ld->w, ld->arena, value, "platform");
                else if (!strcmp(k, "category"))
                    e->category = yaml_walk_string_in(&ld->w, ld->arena, value, "category");
                else if (!strcmp(k, "official"))
                    yaml_walk_bool(&ld->w, value, "official", &e->official);
                else if (!strcmp(k, "livestream"))
                    yaml_walk_bool(&ld->w, value, "livestream", &e->livestream);
                else
                    yaml_walk_error(&ld->w, key, "unknown field '%s' in a test (known: text, price, seller, seller_location, "
                                      "platform, category, official, livestream)", k);
            }
            if (!e->text)
                yaml_walk_error(&ld->w, child, "a test needs 'text'");
        } else {
            yaml_walk_error(&ld->w, child, "a test is a text, or a mapping with 'text' and the listing's facts");
        }
        if (e->text)
            (*count)++; /* else the next overwrites it (what it took stays in the arena) */
    }
}

typedef struct rule_ctx {
    rule *r;
    const pack *p;
    yaml_node_t *flag_node, *unless_node;
    bool has_id, has_kind, has_name;
} rule_ctx;

static void visit_tests(yaml_walk *w, const char *key, yaml_node_t *key_node, yaml_node_t *value, void *ctx)
{
    loader *ld = (loader *)w; /* the walk is its first member */
    rule *r = ctx;
    rule_details *d = !strcmp(key, "flag") || !strcmp(key, "pass") ? details(ld, value, r) : NULL;
    if (d && !strcmp(key, "flag"))
        parse_examples(ld, value, "flag", &d->flag_examples, &r->flag_example_count);
    else if (d)
        parse_examples(ld, value, "pass", &d->pass_examples, &r->pass_example_count);
    else if (strcmp(key, "flag") && strcmp(key, "pass"))
        yaml_walk_error(&ld->w, key_node, "unknown field '%s' in tests (known: flag, pass)", key);
}

/* unit: what reference_price is for ("800 g", "1 month", "100 viên", "item"). */
static void parse_unit(loader *ld, yaml_node_t *value, price_unit *out)
{
    const char *text = yaml_scalar(value);
    if (!text || price_unit_parse(text, out) < 0)
        yaml_walk_error(&ld->w, value, "unknown unit '%s' (known: item; N g, kg, lạng; N ml, l; N viên, gói, ống, miếng, "
                                   "túi, cái; pack of N; N month(s), tháng, year(s), năm)", text ? text : "?");
}

static void visit_model(yaml_walk *w, const char *key, yaml_node_t *key_node, yaml_node_t *value, void *ctx)
{
    loader *ld = (loader *)w; /* the walk is its first member */
    rule_model *m = ctx;
    if (!strcmp(key, "name")) {
        m->name = yaml_walk_string_in(&ld->w, ld->arena, value, "name");
    } else if (!strcmp(key, "terms")) {
        yaml_walk_string_list_in(&ld->w, ld->arena, value, "terms", &m->terms);
    } else if (!strcmp(key, "categories")) {
        yaml_walk_string_list_in(&ld->w, ld->arena, value, "categories", &m->categories);
    } else if (!strcmp(key, "reference_price")) {
        if (yaml_walk_number(&ld->w, value, "reference_price", &m->reference_price)) {
            m->has_reference_price = m->reference_price > 0;
            if (!m->has_reference_price)
                yaml_walk_error(&ld->w, value, "reference_price must be above 0");
        }
    } else if (!strcmp(key, "unit")) {
        parse_unit(ld, value, &m->unit);
    } else if (!strcmp(key, "general")) {
        yaml_walk_bool(&ld->w, value, "general", &m->general);
    } else {
        yaml_walk_error(&ld->w, key_node, "unknown field '%s' in a model (known: name, terms, reference_price, unit, "
                                      "categories, general)", key);
    }
}

/* models: [{name, terms, reference_price, unit, categories, general}, ...] */
static void parse_models(loader *ld, yaml_node_t *node, rule_details *r)
{
    if (node->type != YAML_SEQUENCE_NODE) {
        yaml_walk_error(&ld->w, node, "models must be a list of {terms, reference_price, ...}");
        return;
    }
    size_t n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    if (r->models || n == 0) {
        yaml_walk_error(&ld->w, node, r->models ? "models given twice" : "models is empty");
        return;
    }
    if (!(r->models = arena_calloc(ld->arena, n, sizeof *r->models))) {
        yaml_walk_out_of_memory(&ld->w, node);
        return;
    }
    for (yaml_node_item_t *item = node->data.sequence.items.start; item < node->data.sequence.items.top; item++) {
        yaml_node_t *child = yaml_walk_node(&ld->w, *item);
        rule_model *m = &r->models[r->model_count++];
        m->at = yaml_position(child);
        if (!yaml_walk_fields(&ld->w, child, "a model", visit_model, m))
            continue;
        if (m->terms.count == 0)
            yaml_walk_error(&ld->w, child, "a model needs 'terms'");
        if (!m->has_reference_price && m->unit.dimension == QUANTITY_NONE && m->categories.count == 0)
            yaml_walk_error(&ld->w, child, "a model needs a reference_price, a unit or categories");
    }
}

/* context: {list: NAME, near: N} or {list: NAME, near_before: B, near_after: A} (docs/rules.md, "Phrase tolerance
 * and context"): the same windows as a list condition's. Allocates in the loader's arena only; not thread-safe (the
 * loader is one thread's). */
static void parse_context(loader *ld, yaml_node_t *node, const pack *p, rule *r)
{
    if (node->type != YAML_MAPPING_NODE) {
        yaml_walk_error(&ld->w, node, "context must be a mapping such as {list: film_words, near: 5}");
        return;
    }
    r->context_near = -1;
    r->context_before = r->context_after = -1;
    yaml_node_t *near_node = NULL, *sides[2] = {NULL, NULL};
    for (yaml_node_pair_t *pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; pair++) {
        yaml_node_t *key = yaml_walk_node(&ld->w, pair->key), *value = yaml_walk_node(&ld->w, pair->value);
        const char *name = yaml_scalar(key);
        if (name && !strcmp(name, "list")) {
            r->context_list = yaml_walk_string_in(&ld->w, ld->arena, value, "list");
            rule_details *d = details(ld, value, r);
            if (d)
                d->context_at = yaml_position(value);
            if (r->context_list && !pack_find_list(p, r->context_list))
                yaml_walk_error(&ld->w, value, "unknown list '%s'%s", r->context_list,
                                p->list_count ? "" : " (this pack defines no lists)");
        } else if (name && !strcmp(name, "near")) {
            near_node = value;
            if (yaml_walk_int(&ld->w, value, "near", 0, 1000, &r->context_near))
                r->context_before = r->context_after = (int16_t)r->context_near;
        } else if (name && (!strcmp(name, "near_before") || !strcmp(name, "near_after"))) {
            sides[name[5] == 'a'] = value;
        } else {
            yaml_walk_error(&ld->w, key, "unknown field '%s' in context (known: list, near, near_before, near_after)",
                            name ? name : "?");
        }
    }
    for (int k = 0; k < 2; k++) {
        const char *what = k ? "near_after" : "near_before";
        int words = -1;
        if (!sides[k])
            continue;
        if (near_node) {
            yaml_walk_error(&ld->w, sides[k], "'%s' and 'near' together in context: write near (both sides) or "
                                              "near_before and/or near_after", what);
        } else if (yaml_walk_int(&ld->w, sides[k], what, 0, 1000, &words)) {
            *(k ? &r->context_after : &r->context_before) = (int16_t)words;
            if (words > r->context_near)
                r->context_near = words;
        }
    }
    if (!r->context_list)
        yaml_walk_error(&ld->w, node, "context needs a list");
    if (!near_node && !sides[0] && !sides[1])
        yaml_walk_error(&ld->w, node, "context needs near, near_before or near_after (the most words between a term "
                                      "and the list's term)");
}

static void visit_rule(yaml_walk *w, const char *key, yaml_node_t *key_node, yaml_node_t *value, void *ctx)
{
    loader *ld = (loader *)w; /* the walk is its first member */
    rule_ctx *c = ctx;
    rule *r = c->r;
    if (!strcmp(key, "id")) {
        c->has_id = true;
        r->id = yaml_walk_string_in(&ld->w, ld->arena, value, "id");
        if (r->id && !valid_id(r->id))
            yaml_walk_error(&ld->w, value, "rule id '%s' may contain only a-z 0-9 . _ -", r->id);
    } else if (!strcmp(key, "kind")) {
        c->has_kind = true;
        const char *k = yaml_scalar(value);
        int i = 0;
        while (k && i < RULE_KIND_COUNT && strcmp(kind_names[i], k))
            i++;
        if (!k || i == RULE_KIND_COUNT)
            yaml_walk_error(&ld->w, value, "unknown kind '%s' (known: trademark, gi, collective_mark, certification_mark, ocop, "
                                "plant_variety, copyright)", k ? k : "?");
        else
            r->kind = (rule_kind)i;
    } else if (!strcmp(key, "name")) {
        c->has_name = true;
        r->name = yaml_walk_string_in(&ld->w, ld->arena, value, "name");
    } else if (!strcmp(key, "owner")) {
        rule_details *d = details(ld, value, r);
        if (d)
            d->owner = yaml_walk_string_in(&ld->w, ld->arena, value, "owner");
    } else if (!strcmp(key, "registration")) {
        rule_details *d = details(ld, value, r);
        if (d)
            d->registration = yaml_walk_string_in(&ld->w, ld->arena, value, "registration");
    } else if (!strcmp(key, "note")) {
        rule_details *d = details(ld, value, r);
        if (d)
            d->note = yaml_walk_string_in(&ld->w, ld->arena, value, "note");
    } else if (!strcmp(key, "categories")) {
        yaml_walk_string_list_in(&ld->w, ld->arena, value, "categories", &r->categories);
    } else if (!strcmp(key, "terms")) {
        yaml_walk_string_list_in(&ld->w, ld->arena, value, "terms", &r->terms);
    } else if (!strcmp(key, "patterns")) {
        yaml_walk_string_list_in(&ld->w, ld->arena, value, "patterns", &r->patterns);
    } else if (!strcmp(key, "authorized_sellers")) {
        yaml_walk_string_list_in(&ld->w, ld->arena, value, "authorized_sellers", &r->authorized_sellers);
    } else if (!strcmp(key, "region")) {
        yaml_walk_string_list_in(&ld->w, ld->arena, value, "region", &r->region);
    } else if (!strcmp(key, "reference_price")) {
        if (yaml_walk_number(&ld->w, value, "reference_price", &r->reference_price)) {
            r->has_reference_price = r->reference_price > 0;
            if (!r->has_reference_price)
                yaml_walk_error(&ld->w, value, "reference_price must be above 0");
        }
    } else if (!strcmp(key, "unit")) {
        rule_details *d = details(ld, value, r);
        if (d)
            parse_unit(ld, value, &d->unit);
    } else if (!strcmp(key, "models")) {
        rule_details *d = details(ld, value, r);
        if (d)
            parse_models(ld, value, d);
    } else if (!strcmp(key, "authorized_exempt")) {
        bool exempt = true;
        if (yaml_walk_bool(&ld->w, value, "authorized_exempt", &exempt))
            r->authorized_not_exempt = !exempt;
    } else if (!strcmp(key, "rated_level")) {
        yaml_walk_int(&ld->w, value, "rated_level", 1, LABEL_LEVEL_MAX, &r->rated_level);
    } else if (!strcmp(key, "fallback")) {
        yaml_walk_bool(&ld->w, value, "fallback", &r->fallback);
    } else if (!strcmp(key, "gap")) {
        yaml_walk_int(&ld->w, value, "gap", 0, MAX_GAP, &r->gap);
    } else if (!strcmp(key, "either_order")) {
        yaml_walk_bool(&ld->w, value, "either_order", &r->either_order);
    } else if (!strcmp(key, "origin_packing")) {
        bool packing = false;
        if (yaml_walk_bool(&ld->w, value, "origin_packing", &packing))
            r->origin_packing = packing;
    } else if (!strcmp(key, "context")) {
        parse_context(ld, value, c->p, r);
    } else if (!strcmp(key, "flag")) {
        c->flag_node = value;
    } else if (!strcmp(key, "unless")) {
        c->unless_node = value;
    } else if (!strcmp(key, "severity")) {
        const char *s = yaml_scalar(value);
        int i = 0;
        while (s && i <= SEVERITY_CRITICAL && strcmp(severity_names[i], s))
            i++;
        if (!s || i > SEVERITY_CRITICAL)
            yaml_walk_error(&ld->w, value, "unknown severity '%s' (known: low, medium, high, critical)", s ? s : "?");
        else
            r->severity = (severity)i;
    } else if (!strcmp(key, "tests")) {
        yaml_walk_fields(&ld->w, value, "tests", visit_tests, r);
    } else if (!strcmp(key, "intent")) {
        const char *s = yaml_scalar(value);
        if (s && !strcmp(s, "any"))
            r->any_intent = true;
        else if (!s || strcmp(s, "sale"))
            yaml_walk_error(&ld->w, value, "intent must be sale (the default) or any, not '%s'", s ? s : "?");
    } else {
        yaml_walk_error(&ld->w, key_node, "unknown field '%s' in rule (known: id, kind, name, terms, patterns, owner, "
                               "registration, categories, note, authorized_sellers, authorized_exempt, reference_price, "
                               "unit, models, region, rated_level, fallback, gap, either_order, origin_packing, context, "
                               "flag, unless, severity, intent, tests)", key);
    }
}

static void parse_rule(loader *ld, yaml_node_t *node, pack *p, rule *r)
{
    r->at = yaml_position(node);
    r->severity = SEVERITY_MEDIUM;
    r->gap = -1;
    r->origin_packing = -1;
    r->more = &no_details;
    rule_ctx c = {.r = r, .p = p};
    if (!yaml_walk_fields(&ld->w, node, "a rule", visit_rule, &c))
        return;
    if (!c.has_id)
        yaml_walk_error(&ld->w, node, "rule without 'id'");
    if (!c.has_kind)
        yaml_walk_error(&ld->w, node, "rule '%s' without 'kind'", r->id ? r->id : "?");
    if (!c.has_name)
        yaml_walk_error(&ld->w, node, "rule '%s' without 'name'", r->id ? r->id : "?");
    if (r->terms.count == 0 && r->patterns.count == 0)
        yaml_walk_error(&ld->w, node, "rule '%s' has neither 'terms' nor 'patterns'", r->id ? r->id : "?");
    if (r->more->unit.dimension != QUANTITY_NONE && !r->has_reference_price)
        yaml_walk_error(&ld->w, node, "rule '%s' has a unit but no reference_price", r->id ? r->id : "?");
    for (size_t i = 0; i < r->more->model_count; i++)
        if (r->more->models[i].unit.dimension != QUANTITY_NONE && !r->more->models[i].has_reference_price &&
            !r->has_reference_price)
            diagnostics_add(ld->w.diag, ld->w.file, r->more->models[i].at.line, r->more->models[i].at.column,
                            "a model with a unit needs a reference_price (its own or the rule's)");
    /* flag and unless after the rest: they refer to reference_price and region */
    if (c.flag_node)
        r->flag = parse_condition(ld, c.flag_node, p, r, 0);
    if (c.unless_node)
        parse_condition_list(ld, c.unless_node, p, r, 0, &r->unless, &r->unless_count, "unless");
}

/* ---- the pack ---------------------------------------------------------------- */

static void parse_lists(loader *ld, yaml_node_t *node, pack *p)
{
    if (node->type != YAML_MAPPING_NODE) {
        yaml_walk_error(&ld->w, node, "lists must map list names to lists of terms");
        return;
    }
    size_t n = (size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
    p->lists = calloc(n ? n : 1, sizeof *p->lists);
    if (!p->lists) {
        yaml_walk_out_of_memory(&ld->w, node);
        return;
    }
    for (yaml_node_pair_t *pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; pair++) {
        yaml_node_t *key = yaml_walk_node(&ld->w, pair->key);
        const char *name = yaml_scalar(key);
        if (!name || !*name) {
            yaml_walk_error(&ld->w, key, "a list needs a name");
            continue;
        }
        char *copy = arena_strdup(ld->arena, name);
        if (!copy) {
            yaml_walk_out_of_memory(&ld->w, key);
            continue;
        }
        long known = string_set_add(&p->list_index, copy, p->list_count); /* the set borrows the pack's copy */
        if (known != -1) {
            if (known == -2)
                yaml_walk_out_of_memory(&ld->w, key);
            else
                yaml_walk_error(&ld->w, key, "duplicate list '%s'", name);
            continue;
        }
        term_list *l = &p->lists[p->list_count++];
        l->name = copy;
        l->at = yaml_position(key);
        yaml_walk_string_list_in(&ld->w, ld->arena, yaml_walk_node(&ld->w, pair->value), "a list", &l->terms);
        if (l->terms.count == 0)
            yaml_walk_error(&ld->w, key, "list '%s' is empty", name);
    }
}

/* goods_groups: {category: group, ...}: what a rule category counts as in
 * reports (beside the built-in table, goods_group_of_category). */
static void parse_goods_groups(loader *ld, yaml_node_t *node, pack *p)
{
    if (node->type != YAML_MAPPING_NODE) {
        yaml_walk_error(&ld->w, node, "goods_groups must map rule categories to goods groups");
        return;
    }
    size_t n = (size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
    p->group_categories.items = arena_calloc(ld->arena, n ? n : 1, sizeof(char *));
    p->group_categories.at = arena_calloc(ld->arena, n ? n : 1, sizeof(position));
    p->group_values = calloc(n ? n : 1, sizeof *p->group_values);
    if (!p->group_categories.items || !p->group_categories.at || !p->group_values) {
        yaml_walk_out_of_memory(&ld->w, node);
        return;
    }
    for (yaml_node_pair_t *pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; pair++) {
        yaml_node_t *key = yaml_walk_node(&ld->w, pair->key), *value = yaml_walk_node(&ld->w, pair->value);
        const char *category = yaml_scalar(key), *group = yaml_scalar(value);
        goods_group g = group ? goods_group_named(group) : GOODS_GROUP_COUNT;
        if (!category || !*category) {
            yaml_walk_error(&ld->w, key, "a category name in goods_groups must be a string");
            continue;
        }
        if (g == GOODS_GROUP_COUNT) {
            yaml_walk_error(&ld->w, value, "unknown goods group '%s' (known: consumer_goods, pharmaceuticals, cosmetics, "
                                       "health_supplements, agricultural_inputs, plant_varieties_seed, "
                                       "regional_specialties_ocop, software, films, music, games, books, tv, other)",
                            group ? group : "?");
            continue;
        }
        size_t i = p->group_categories.count;
        if (!(p->group_categories.items[i] = arena_strdup(ld->arena, category))) {
            yaml_walk_out_of_memory(&ld->w, key);
            continue;
        }
        p->group_categories.at[i] = yaml_position(key);
        p->group_values[i] = g;
        p->group_categories.count++;
    }
}

const char *intent_class_name(intent_class c)
{
    static const char *const names[] = {"service", "notice", "guide", "book", "buying"};
    return (unsigned)c < INTENT_CLASS_COUNT ? names[c] : "?";
}

/* intent_cues: {service: [...], notice: [...], guide: [...], book: [...], buying: [...], KIND_anywhere: [...]}
 * (docs/rules.md, "Intent"): phrases the pack adds to the built-in cues of each kind of post that is not a sale.
 * Allocates in the loader's arena; not thread-safe (the loader is one thread's). */
static void parse_intent_cues(loader *ld, yaml_node_t *node, pack *p)
{
    if (node->type != YAML_MAPPING_NODE) {
        yaml_walk_error(&ld->w, node, "intent_cues must map kinds of post (service, notice, guide, book, buying, "
                                      "or KIND_anywhere) to lists of cue phrases");
        return;
    }
    for (yaml_node_pair_t *pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; pair++) {
        yaml_node_t *key = yaml_walk_node(&ld->w, pair->key), *value = yaml_walk_node(&ld->w, pair->value);
        const char *name = yaml_scalar(key);
        int kind = -1, anywhere = 0;
        for (int k = 0; name && k < INTENT_CLASS_COUNT && kind < 0; k++) {
            const char *n = intent_class_name((intent_class)k);
            size_t len = strlen(n);
            if (!strncmp(name, n, len) && (!name[len] || !strcmp(name + len, "_anywhere"))) {
                kind = k;
                anywhere = name[len] != 0;
            }
        }
        if (kind < 0) {
            yaml_walk_error(&ld->w, key, "unknown kind of post '%s' in intent_cues (known: service, notice, guide, "
                                         "book, buying, each also as KIND_anywhere)", name ? name : "?");
            continue;
        }
        string_list *cues = &p->intent_cues[kind][anywhere];
        if (cues->count) {
            yaml_walk_error(&ld->w, key, "'%s' given twice in intent_cues", name);
            continue;
        }
        if (value->type != YAML_SEQUENCE_NODE) {
            yaml_walk_error(&ld->w, value, "intent_cues: '%s' must be a list of phrases", name);
            continue;
        }
        yaml_walk_string_list_in(&ld->w, ld->arena, value, name, cues);
        for (size_t i = 0; i < cues->count; i++)
            if (!*cues->items[i])
                yaml_walk_error(&ld->w, value, "intent_cues: an empty phrase in '%s'", name);
    }
}

static void visit_pack(yaml_walk *w, const char *key, yaml_node_t *key_node, yaml_node_t *value, void *ctx)
{
    loader *ld = (loader *)w; /* the walk is its first member */
    pack *p = ctx;
    if (!strcmp(key, "pack"))
        p->name = yaml_walk_string_in(&ld->w, ld->arena, value, "pack");
    else if (!strcmp(key, "version"))
        p->version = yaml_walk_string_in(&ld->w, ld->arena, value, "version");
    else if (!strcmp(key, "description"))
        p->description = yaml_walk_string_in(&ld->w, ld->arena, value, "description");
    else if (!strcmp(key, "lists") || !strcmp(key, "rules"))
        ; /* handled in order below: rules refer to lists */
    else if (!strcmp(key, "goods_groups"))
        parse_goods_groups(ld, value, p);
    else if (!strcmp(key, "gap"))
        yaml_walk_int(&ld->w, value, "gap", 0, MAX_GAP, &p->gap);
    else if (!strcmp(key, "origin_packing"))
        yaml_walk_bool(&ld->w, value, "origin_packing", &p->origin_packing);
    else if (!strcmp(key, "intent_cues"))
        parse_intent_cues(ld, value, p);
    else
        yaml_walk_error(&ld->w, key_node, "unknown field '%s' at the top of the pack (known: pack, version, description, lists, "
                               "goods_groups, gap, origin_packing, intent_cues, rules)", key);
}

/* ---- loading: the pack's fields from a small document, its rules streamed ------
 * A pack of 100,000 rules as one libyaml document tree costs gigabytes; here
 * the parser's events are read twice. First everything but the items of the
 * top-level `rules:` list becomes a document (the fields, the lists and the
 * goods groups, small), and the whole stream is checked for syntax before
 * anything is walked, as yaml_parser_load did. Then the rules are read one
 * at a time, each as a document of its own walked by parse_rule and freed.
 * When the rules end the file (the shipped packs: nothing after them at the
 * top, rules_end_the_pack), the first pass stops at them and the second
 * reads on with the same parser, so the rules are parsed once, not twice
 * (a third of start-up); a syntax error among them is then reported when
 * the second pass reaches it, after the pack's fields were checked.
 * A pack with anchors or aliases is read the old way, where they are
 * refused (yaml_walk_parse). */

typedef struct streamed_rules {
    yaml_parser_t *parser;   /* at the first rule, or NULL: the rules are in the document */
    size_t count;
} streamed_rules;

static bool scalar_is(const yaml_event_t *e, const char *text)
{
    return e->type == YAML_SCALAR_EVENT && e->data.scalar.length == strlen(text) &&
           !memcmp(e->data.scalar.value, text, e->data.scalar.length);
}

/* True when nothing after the top-level `rules:` key, written at the start
 * of line `key_line` (0-based), can be another top-level key, a second
 * document or an anchor or alias: every later line is blank, a comment,
 * indented, or a list entry at column 0, and no '&' or '*' starts an
 * anchor's name. Then the first pass may stop at the rules and leave its
 * parser to the second (the rules are parsed once, not twice). Cautious:
 * any doubt (the key not found where libyaml saw it, a line break other
 * than LF) answers false, and the pack is read in two passes. */
static bool rules_end_the_pack(const char *yaml, size_t length, size_t key_line)
{
    const char *end = yaml + length, *key = yaml;
    for (size_t line = 0; line < key_line; line++) {
        const char *nl = memchr(key, '\n', (size_t)(end - key));
        if (!nl)
            return false;
        key = nl + 1;
    }
    if (end - key < 6 || memcmp(key, "rules", 5) != 0)
        return false;
    const char *p = key + 5;
    while (p < end && *p == ' ')
        p++;
    if (p == end || *p != ':' || memchr(yaml, '\r', length) || memmem(yaml, length, "\xc2\x85", 2) ||
        memmem(yaml, length, "\xe2\x80\xa8", 3) || memmem(yaml, length, "\xe2\x80\xa9", 3))
        return false;
    if (!(p = memchr(p, '\n', (size_t)(end - p))))
        return false;
    const char *rules_at = p;
    for (const char *line = p + 1; line < end; line = p + 1) {
        char c = *line;
        if (c == '-' && (line + 1 == end || line[1] == ' ' || line[1] == '\n' || line[1] == '\r'))
            ; /* an entry of the rules list */
        else if (c != ' ' && c != '\n' && c != '\r' && c != '#')
            return false;
        if (!(p = memchr(line, '\n', (size_t)(end - line))))
            p = end - 1;
    }
    for (const char *q = rules_at; q + 1 < end; q++) {
        if (*q != '&' && *q != '*')
            continue;
        unsigned char after = (unsigned char)q[1];
        if (strchr(" \t\n[{,:?-", q[-1]) && (isalnum(after) || after == '_' || after == '-' || after >= 0x80))
            return false;
    }
    return true;
}

/* The first pass: 0 with *document filled (no root when the stream is
 * empty), -1 (diagnosed), 1 (anchors or aliases). *rules_streamed tells
 * whether the first top-level `rules:` is a list, left out of the document,
 * and *rule_count how many entries it has. When the rules end the pack
 * (rules_end_the_pack), the pass stops at them instead: *rule_count is
 * SIZE_MAX and *rules_parser (the caller's storage, which this pass
 * parses with) is left at their first entry for the second pass, the
 * caller's to delete; otherwise it is deleted here. */
static int load_fields(const char *name, const char *yaml, size_t length, yaml_document_t *document,
                       bool *rules_streamed, size_t *rule_count, yaml_parser_t *rules_parser, bool *handed_over,
                       diagnostics *diag)
{
    *rules_streamed = false;
    *rule_count = 0;
    *handed_over = false;
    if (!yaml_document_initialize(document, NULL, NULL, NULL, 1, 1)) {
        diagnostics_add(diag, name, 0, 0, "out of memory");
        return -1;
    }
    yaml_parser_t *parser = rules_parser; /* the caller's storage: it may go on with it */
    if (!yaml_parser_initialize(parser)) {
        yaml_document_delete(document);
        diagnostics_add(diag, name, 0, 0, "cannot start the YAML parser");
        return -1;
    }
    yaml_parser_set_input_string(parser, (const unsigned char *)yaml, length);
    yaml_event_t e;
    int rc = yaml_walk_next(name, parser, &e, diag); /* the stream's start */
    if (rc == 0) {
        yaml_event_delete(&e);
        rc = yaml_walk_next(name, parser, &e, diag);
    }
    if (rc == 0 && e.type == YAML_STREAM_END_EVENT) {
        yaml_event_delete(&e); /* empty: a document without a root */
    } else if (rc == 0) {
        yaml_event_delete(&e); /* the document's start */
        rc = yaml_walk_next(name, parser, &e, diag);
        int root = 0, key = 0, value = 0;
        if (rc == 0 && e.type != YAML_MAPPING_START_EVENT) {
            rc = yaml_walk_build(name, parser, &e, document, &root, diag);
        } else if (rc == 0) {
            root = yaml_document_add_mapping(document, NULL, e.data.mapping_start.style);
            if (root)
                yaml_document_get_node(document, root)->start_mark = e.start_mark;
            else {
                diagnostics_add(diag, name, (int)e.start_mark.line + 1, (int)e.start_mark.column + 1, "out of memory");
                rc = -1;
            }
            if (rc == 0 && e.data.mapping_start.anchor)
                rc = 1;
            yaml_event_delete(&e);
            bool seen_rules = false;
            while (rc == 0 && (rc = yaml_walk_next(name, parser, &e, diag)) == 0) {
                if (e.type == YAML_MAPPING_END_EVENT) {
                    yaml_document_get_node(document, root)->end_mark = e.end_mark;
                    yaml_event_delete(&e);
                    break;
                }
                bool rules_key = scalar_is(&e, "rules");
                size_t key_line = e.start_mark.line;
                if ((rc = yaml_walk_build(name, parser, &e, document, &key, diag)) != 0 ||
                    (rc = yaml_walk_next(name, parser, &e, diag)) != 0)
                    break;
                if (rules_key && !seen_rules && e.type == YAML_SEQUENCE_START_EVENT && !e.data.sequence_start.anchor &&
                    e.data.sequence_start.style == YAML_BLOCK_SEQUENCE_STYLE &&
                    rules_end_the_pack(yaml, length, key_line)) {
                    /* the last key: the second pass reads on from here */
                    value = yaml_document_add_sequence(document, NULL, e.data.sequence_start.style);
                    if (value)
                        yaml_document_get_node(document, value)->start_mark = e.start_mark;
                    yaml_event_delete(&e);
                    if (!value || !yaml_document_append_mapping_pair(document, root, key, value)) {
                        diagnostics_add(diag, name, 0, 0, "out of memory");
                        rc = -1;
                        break;
                    }
                    *rules_streamed = true;
                    *rule_count = SIZE_MAX;
                    *handed_over = true;
                    return 0;
                }
                if (rules_key && e.type == YAML_SEQUENCE_START_EVENT && !e.data.sequence_start.anchor) {
                    /* the rules: an empty list here, read one by one later */
                    value = yaml_document_add_sequence(document, NULL, e.data.sequence_start.style);
                    if (value)
                        yaml_document_get_node(document, value)->start_mark = e.start_mark;
                    size_t items;
                    rc = yaml_walk_skip(name, parser, &e, &items, diag);
                    if (!seen_rules) {
                        *rules_streamed = true;
                        *rule_count = items;
                    }
                } else {
                    rc = yaml_walk_build(name, parser, &e, document, &value, diag);
                }
                seen_rules |= rules_key;
                if (rc == 0 && (!value || !yaml_document_append_mapping_pair(document, root, key, value))) {
                    diagnostics_add(diag, name, 0, 0, "out of memory");
                    rc = -1;
                }
            }
        }
        if (rc == 0 && (rc = yaml_walk_next(name, parser, &e, diag)) == 0) /* the document's end */
            yaml_event_delete(&e);
    }
    yaml_parser_delete(parser);
    if (rc != 0)
        yaml_document_delete(document);
    return rc;
}

/* The second pass: the parser at the first entry of the top-level `rules:`
 * list (the first pass found the stream sound up to there). */
static int seek_rules(const char *name, const char *yaml, size_t length, yaml_parser_t *parser, diagnostics *diag)
{
    if (!yaml_parser_initialize(parser)) {
        diagnostics_add(diag, name, 0, 0, "cannot start the YAML parser");
        return -1;
    }
    yaml_parser_set_input_string(parser, (const unsigned char *)yaml, length);
    yaml_event_t e;
    for (int i = 0; i < 3; i++) { /* the stream's, the document's and the pack mapping's starts */
        if (yaml_walk_next(name, parser, &e, diag) < 0)
            return -1;
        yaml_event_delete(&e);
    }
    for (;;) {
        size_t items;
        if (yaml_walk_next(name, parser, &e, diag) < 0)
            return -1;
        bool rules_key = scalar_is(&e, "rules");
        int rc = 1; /* the first pass found the rules and no anchor: 1 is a broken promise */
        if (e.type == YAML_MAPPING_END_EVENT)
            yaml_event_delete(&e);
        else if ((rc = yaml_walk_skip(name, parser, &e, &items, diag)) == 0 &&
                 (rc = yaml_walk_next(name, parser, &e, diag)) == 0) {
            if (rules_key && e.type == YAML_SEQUENCE_START_EVENT) {
                yaml_event_delete(&e);
                return 0;
            }
            rc = yaml_walk_skip(name, parser, &e, &items, diag);
        }
        if (rc > 0)
            diagnostics_add(diag, name, 0, 0, "the rules were not found again on the second pass");
        if (rc != 0)
            return -1;
    }
}

/* The next rule: its own document, or false at the list's end (or on a
 * mistake, diagnosed). */
static bool next_rule(const char *name, yaml_parser_t *parser, yaml_document_t *document, yaml_node_t **node,
                      diagnostics *diag)
{
    yaml_event_t e;
    if (yaml_walk_next(name, parser, &e, diag) < 0)
        return false;
    if (e.type == YAML_SEQUENCE_END_EVENT) {
        yaml_event_delete(&e);
        return false;
    }
    if (!yaml_document_initialize(document, NULL, NULL, NULL, 1, 1)) {
        yaml_event_delete(&e);
        diagnostics_add(diag, name, 0, 0, "out of memory");
        return false;
    }
    int root;
    int rc = yaml_walk_build(name, parser, &e, document, &root, diag);
    if (rc != 0) {
        if (rc > 0) /* the first pass looked for anchors; never silently short of rules */
            diagnostics_add(diag, name, 0, 0, "anchors and aliases are not allowed in rules");
        yaml_document_delete(document);
        return false;
    }
    *node = yaml_document_get_node(document, root);
    return true;
}

/* After the rules, when the first pass stopped at them: the pack's mapping,
 * the document and the stream must end there (rules_end_the_pack promised
 * it; a broken promise is a mistake, never a key silently left unread). */
static void end_of_pack(const char *name, yaml_parser_t *parser, diagnostics *diag)
{
    static const yaml_event_type_t ends[] = {YAML_MAPPING_END_EVENT, YAML_DOCUMENT_END_EVENT, YAML_STREAM_END_EVENT};
    for (size_t i = 0; i < sizeof ends / sizeof *ends; i++) {
        yaml_event_t e;
        if (yaml_walk_next(name, parser, &e, diag) < 0)
            return;
        bool expected = e.type == ends[i];
        if (!expected)
            diagnostics_add(diag, name, (int)e.start_mark.line + 1, (int)e.start_mark.column + 1,
                            "the pack goes on after its rules where they were to end it (read in two passes, it loads)");
        yaml_event_delete(&e);
        if (!expected)
            return;
    }
}

static pack *load_pack(const char *name, const char *yaml, size_t length, bool streamed, diagnostics *diag)
{
    size_t errors_before = diagnostics_total(diag);
    pack *p = calloc(1, sizeof *p);
    if (p)
        p->gap = -1;
    if (!p) {
        diagnostics_add(diag, name, 0, 0, "out of memory");
        return NULL;
    }
    if (!(p->file = arena_strdup(&p->memory, name))) {
        diagnostics_add(diag, name, 0, 0, "out of memory");
        pack_free(p);
        return NULL;
    }
    yaml_document_t document;
    bool rules_streamed = false, handed_over = false;
    size_t rule_count = 0;
    yaml_parser_t handed; /* load_fields' parser at the first rule, when handed_over */
    if (streamed) {
        int rc = load_fields(name, yaml, length, &document, &rules_streamed, &rule_count, &handed, &handed_over, diag);
        if (rc == 1) { /* anchors or aliases: the whole document, where they are refused */
            pack_free(p);
            return load_pack(name, yaml, length, false, diag);
        }
        if (rc < 0) {
            pack_free(p);
            return NULL;
        }
    } else if (yaml_walk_parse(name, yaml, length, &document, diag) < 0) {
        pack_free(p);
        return NULL;
    }
    loader ld = {{name, &document, diag}, &p->memory};
    yaml_node_t *root = yaml_document_get_root_node(&document);
    if (!root) {
        diagnostics_add(diag, name, 0, 0, "empty file");
    } else if (yaml_walk_fields(&ld.w, root, "a rule pack", visit_pack, p)) {
        if (!p->name)
            yaml_walk_error(&ld.w, root, "the pack has no 'pack:' name");
        if (!p->version)
            yaml_walk_error(&ld.w, root, "the pack has no 'version'");
        yaml_node_t *lists = yaml_walk_find(&ld.w, root, "lists");
        if (lists)
            parse_lists(&ld, lists, p);
        yaml_node_t *rules = yaml_walk_find(&ld.w, root, "rules");
        if (!rules) {
            yaml_walk_error(&ld.w, root, "the pack has no 'rules'");
        } else if (rules->type != YAML_SEQUENCE_NODE) {
            yaml_walk_error(&ld.w, rules, "rules must be a list");
        } else {
            size_t n = rules_streamed ? rule_count
                                      : (size_t)(rules->data.sequence.items.top - rules->data.sequence.items.start);
            /* unknown (SIZE_MAX) when the first pass stopped at the rules: grown below */
            size_t capacity = n == SIZE_MAX ? 64 : n ? n : 1;
            p->rules = calloc(capacity, sizeof *p->rules);
            if (!p->rules)
                yaml_walk_out_of_memory(&ld.w, rules);
            yaml_parser_t parser, *rp = &parser; /* the rules' parser: seek_rules', or load_fields' */
            bool reading = p->rules && rules_streamed;
            if (handed_over) {
                rp = &handed;
                handed_over = false;
                p->rules_read_once = true;
                reading = true; /* and deleted below even when p->rules is NULL */
            } else if (reading && seek_rules(name, yaml, length, &parser, diag) < 0) {
                yaml_parser_delete(&parser);
                reading = false;
            }
            string_set ids;
            string_set_init(&ids);
            yaml_node_item_t *item = rules->data.sequence.items.start;
            for (;;) {
                yaml_document_t one;
                yaml_node_t *node;
                loader rule_ld = {{name, &one, diag}, &p->memory};
                if (reading) {
                    if (!p->rules || p->rule_count == n || !next_rule(name, rp, &one, &node, diag))
                        break;
                    if (p->rule_count == capacity) {
                        rule *more = capacity <= SIZE_MAX / 2 / sizeof *more
                                         ? realloc(p->rules, 2 * capacity * sizeof *more) : NULL;
                        if (!more) {
                            yaml_document_delete(&one);
                            yaml_walk_out_of_memory(&ld.w, rules);
                            break;
                        }
                        memset(more + capacity, 0, capacity * sizeof *more);
                        p->rules = more;
                        capacity *= 2;
                    }
                } else {
                    if (rules_streamed || !p->rules || item >= rules->data.sequence.items.top)
                        break;
                    node = yaml_walk_node(&ld.w, *item++);
                }
                size_t index = p->rule_count++;
                rule *r = &p->rules[index];
                parse_rule(reading ? &rule_ld : &ld, node, p, r);
                if (reading)
                    yaml_document_delete(&one);
                long first = r->id ? string_set_add(&ids, r->id, index) : -1;
                if (first == -2)
                    diagnostics_add(diag, name, r->at.line, r->at.column, "out of memory");
                if (first >= 0)
                    diagnostics_add(diag, name, r->at.line, r->at.column, "duplicate rule id '%s' (first at line %d)",
                                    r->id, p->rules[first].at.line);
            }
            if (reading && p->rules && n == SIZE_MAX)
                end_of_pack(name, rp, diag);
            if (reading)
                yaml_parser_delete(rp);
            string_set_free(&ids);
        }
    }
    if (handed_over) /* not used: the pack's fields were refused */
        yaml_parser_delete(&handed);
    yaml_document_delete(&document);
    if (diagnostics_total(diag) > errors_before) {
        pack_free(p);
        return NULL;
    }
    return p;
}

pack *pack_load_string(const char *name, const char *yaml, size_t length, diagnostics *diag)
{
    return load_pack(name, yaml, length, true, diag);
}

pack *pack_load(const char *path, diagnostics *diag)
{
    char *data;
    size_t n;
    if (yaml_read_file(path, MAX_PACK_BYTES, &data, &n, diag) < 0)
        return NULL;
    pack *p = pack_load_string(path, data, n, diag);
    free(data);
    return p;
}

void pack_free(pack *p)
{
    if (!p)
        return;
    free(p->rules);
    free(p->lists);
    string_set_free(&p->list_index);
    free(p->group_values);
    arena_free(&p->memory); /* every string, list, condition, example and model */
    free(p);
}

const term_list *pack_find_list(const pack *p, const char *name)
{
    long index = string_set_find(&p->list_index, name);
    return index >= 0 ? &p->lists[index] : NULL;
}
