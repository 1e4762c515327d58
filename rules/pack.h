/* pack: a rule pack (contracts/rules.md, format v1) read from YAML (rule by
 * rule, through libyaml's events: rules/pack.c) into a
 * tree that remembers where each thing was written, so that every later
 * mistake (a bad regex, a term that normalizes to nothing) can still be
 * reported as file:line:col.
 *
 * pack_load reports every mistake it finds into a diagnostics list and
 * returns NULL if there was any: a pack with mistakes is refused whole.
 * A loaded pack is plain data owned by the caller (pack_free); it is not
 * modified afterwards, so threads may read it. */
#ifndef LSCAN_PACK_H
#define LSCAN_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/base/arena.h"
#include "rules/base/diagnostics.h"
#include "rules/base/yaml_walk.h"
#include "rules/base/string_set.h"
#include "rules/quantity.h"

typedef enum rule_kind {
    RULE_KIND_TRADEMARK = 0, RULE_KIND_GI, RULE_KIND_COLLECTIVE_MARK, RULE_KIND_CERTIFICATION_MARK,
    RULE_KIND_OCOP, RULE_KIND_PLANT_VARIETY, RULE_KIND_COPYRIGHT, RULE_KIND_COUNT
} rule_kind;

typedef enum severity { SEVERITY_LOW = 0, SEVERITY_MEDIUM, SEVERITY_HIGH, SEVERITY_CRITICAL } severity;

typedef enum condition_type {
    CONDITION_ANY = 0, CONDITION_ALL, CONDITION_NOT,
    CONDITION_LIST, CONDITION_TERM, CONDITION_PATTERN, CONDITION_PRICE_BELOW,
    CONDITION_SELLER_OUTSIDE_REGION, CONDITION_UNAUTHORIZED_SELLER, CONDITION_OFFICIAL_STORE,
    CONDITION_LIVESTREAM, CONDITION_CATEGORY, CONDITION_HASHTAGS, CONDITION_LABEL_CLAIM,
    CONDITION_STATED_ORIGIN_OUTSIDE_REGION, CONDITION_TRACEABLE_SOURCING
} condition_type;

/* hashtags: where the rule's mentions are (docs/rules.md, "Hashtags and abbreviations") */
typedef enum hashtag_mode { HASHTAGS_ONLY = 0, HASHTAGS_SOME, HASHTAGS_NONE } hashtag_mode;

/* Fields ordered by size (no padding: a registry holds a few hundred thousand). */
typedef struct condition {
    condition_type type;
    hashtag_mode hashtags;         /* hashtags: only, some, none */
    position at;
    position text_at;
    int near;                      /* list: max word distance to a hit, -1 = anywhere (the larger side) */
    int16_t near_before, near_after; /* list: the window on each side of a hit (the list term before / after it);
                                      * -1: that side not allowed; both -1 with near -1: anywhere */
    /* label_claim: the levels a claim qualified as provincial / national can hold ([0, 0]: not given) */
    int8_t label_provincial_low, label_provincial_high, label_national_low, label_national_high;
    int compiled;                  /* index the compiler assigns (list, term, regex); -1 before */
    /* label_claim: the label word (text, folded ASCII) and the tests; a claim counts when any test given holds */
    int label_above;               /* above: N (0: not given) */
    int label_low, label_high;     /* outside: [low, high] (0, 0: not given) */
    bool label_above_rated;        /* above: rated_level */
    bool value;                    /* boolean leaves: the value written */
    struct condition **children;   /* any / all: several; not: one */
    size_t child_count;
    char *text;                    /* list name, term text or regex */
    double ratio;                  /* price_below */
    char **values;                 /* category */
    size_t value_count;
} condition;

/* One example of a rule's tests: a text, and the facts a text cannot carry. */
typedef struct rule_example {
    char *text;
    position at;
    bool has_price;
    double price;
    char *seller;            /* seller id, may be NULL */
    char *seller_location;   /* may be NULL */
    char *platform;          /* may be NULL */
    char *category;          /* may be NULL */
    bool official, livestream;
} rule_example;

/* A model or line of a brand (docs/rules.md, "Per-unit and per-model
 * prices"): its own terms select its own reference price, unit, categories. */
typedef struct rule_model {
    char *name;              /* may be NULL: its first term then names it */
    position at;
    string_list terms, categories;
    bool has_reference_price;
    double reference_price;
    price_unit unit;         /* dimension QUANTITY_NONE: the rule's unit */
    bool general;            /* `general: true`: a kind of goods ("máy đo huyết áp"); any other model named in the
                                same field wins over it (docs/rules.md, "Per-unit and per-model prices") */
} rule_model;

/* What few rules have: kept apart from `rule` so that a registry of 100,000
 * plain marks does not carry it 100,000 times. */
typedef struct rule_details {
    char *owner, *registration, *note;
    rule_example *flag_examples, *pass_examples;   /* their counts are the rule's */
    price_unit unit;         /* what reference_price is for; dimension QUANTITY_NONE: whatever is sold */
    rule_model *models;      /* per-model reference prices */
    size_t model_count;
    position context_at;     /* where the rule's context list was named */
} rule_details;

/* Fields are ordered by size, so that the array of 100,000 rules has no padding to speak of. */
typedef struct rule {
    char *id;
    char *name;
    position at;
    rule_kind kind;
    severity severity;
    string_list categories, terms, patterns, authorized_sellers, region;
    double reference_price;
    condition *flag;         /* NULL: the default, a hit by an unauthorized seller */
    condition **unless;
    size_t unless_count;
    size_t flag_example_count, pass_example_count; /* the examples are in `more` */
    char *context_list;      /* context: {list, near}: a term hit counts only with this list within ... */
    const rule_details *more; /* never NULL: a rule with none of them shares one that is all zero */
    int context_near;        /* ... this many words, same field; NULL list: no context needed */
    /* phrase tolerance (docs/rules.md, "Phrase tolerance and context") */
    int gap;                 /* inserted words allowed in a multi-word term; -1: not written (the pack's `gap`) */
    int rated_level;         /* rated_level: the level registered for the protected product (0: none) */
    int16_t context_before, context_after; /* context: the window on each side of a term hit (the list term before /
                                            * after it; near: both); -1: that side not allowed */
    bool has_reference_price;
    bool any_intent;         /* intent: any — fires on posts that are not sales too (docs/rules.md, "Intent") */
    bool authorized_not_exempt; /* authorized_exempt: false — authorized sellers are judged by the flag's branches */
    bool fallback;           /* fallback: true — fires only when no rule of its kind without it names the listing */
    bool either_order;       /* a multi-word term also hits with its last words first ("hạnh lâm bưởi") */
    int8_t origin_packing;   /* origin_packing: 1 a packing statement ("đóng gói tại") is a stated origin for the rule,
                                0 it is not, -1 not written (the pack's, else not) */
} rule;

typedef struct term_list {
    char *name;
    position at;
    string_list terms;
} term_list;

/* The goods groups the plans report by (a case's goods group comes from its
 * rule's categories through the packs' goods_groups tables). */
typedef enum goods_group {
    GOODS_CONSUMER = 0, GOODS_PHARMACEUTICALS, GOODS_COSMETICS, GOODS_HEALTH_SUPPLEMENTS, GOODS_AGRICULTURAL_INPUTS,
    GOODS_PLANT_VARIETIES, GOODS_REGIONAL_SPECIALTIES, GOODS_SOFTWARE, GOODS_FILMS, GOODS_MUSIC, GOODS_GAMES,
    GOODS_BOOKS, GOODS_TV, GOODS_OTHER, GOODS_GROUP_COUNT
} goods_group;

/* The kinds of post that are not sales (docs/rules.md, "Intent"), as a pack's intent_cues name them. */
typedef enum intent_class {
    INTENT_CLASS_SERVICE = 0, INTENT_CLASS_NOTICE, INTENT_CLASS_GUIDE, INTENT_CLASS_BOOK, INTENT_CLASS_BUYING,
    INTENT_CLASS_COUNT
} intent_class;

typedef struct pack {
    char *file;              /* as given to pack_load */
    char *name, *version, *description;
    string_list group_categories;     /* goods_groups: category names ... */
    goods_group *group_values;        /* ... and the group each maps to */
    term_list *lists;
    size_t list_count;
    string_set list_index;   /* list name -> index in lists */
    rule *rules;
    size_t rule_count;
    int gap;                 /* `gap:` at the top: the rules' default and the lists'; -1: none (exact phrases) */
    bool origin_packing;     /* `origin_packing:` at the top: the rules' default (docs/rules.md, "Stated origin") */
    bool rules_read_once;    /* the rules ended the file and were parsed once, not twice (rules/pack.c) */
    /* intent_cues: cue phrases the pack adds per kind of post, [kind][0] before the name, [kind][1] anywhere in
     * the title (KIND_anywhere) */
    string_list intent_cues[INTENT_CLASS_COUNT][2];
    arena memory;            /* owns every string, string_list, condition, example and model above: one
                                piece each, no malloc header (pack_free frees them at once) */
} pack;

/* Reads and checks one pack file. Returns the pack, or NULL when the file
 * cannot be read or has any mistake (all of them added to `diag`). */
pack *pack_load(const char *path, diagnostics *diag);
/* Same from a string; `name` is used in messages. */
pack *pack_load_string(const char *name, const char *yaml, size_t length, diagnostics *diag);
/* Frees a pack; NULL is a no-op. */
void pack_free(pack *p);

/* The list named `name` in this pack, or NULL. */
const term_list *pack_find_list(const pack *p, const char *name);

const char *rule_kind_name(rule_kind k);
/* "service", "notice", "guide", "book", "buying" (the keys of a pack's intent_cues). */
const char *intent_class_name(intent_class c);
/* "consumer_goods", "pharmaceuticals", ... (the codes reports and the console use). */
const char *goods_group_name(goods_group g);
/* The group named `name`, or GOODS_GROUP_COUNT. */
goods_group goods_group_named(const char *name);
/* The built-in mapping of common rule categories ("cosmetics", "fruit",
 * "software", ...) to goods groups; GOODS_GROUP_COUNT for one it does not know. */
goods_group goods_group_of_category(const char *category);
const char *severity_name(severity s);
/* The kind named `name` ("trademark", "gi", ...), or RULE_KIND_COUNT. */
rule_kind rule_kind_named(const char *name);
/* Labels for people: Vietnamese ("Nhãn hiệu") or English ("Trademark"). */
const char *rule_kind_label(rule_kind k, bool vietnamese);
const char *goods_group_label(goods_group g, bool vietnamese);

#endif
