/* ruleset_internal: what the engine's files share (rules/compile.c,
 * rules/evaluate.c, rules/explain.c, rules/selftest.c): the compiled set and
 * the per-thread scratch. Not part of the API: include rules/ruleset.h. */
#ifndef LSCAN_RULESET_INTERNAL_H
#define LSCAN_RULESET_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stdint.h>

#include "rules/base/bytebuf.h"
#include "rules/label_claim.h"
#include "rules/ruleset.h"
#include "rules/text/abbrev.h"
#include "rules/text/province.h"

#define MAX_VIEW_HITS 512      /* automaton hits kept per view of a field */
#define MAX_FOUND 2048         /* hits kept per listing */
#define MAX_REGEX_MATCHES 64   /* matches of one regex in one field */
#define MAX_REGEX_SUBJECT (64u << 10)

/* LITERAL_WORD_ANCHOR: one word of a tolerant phrase (docs/rules.md, "Phrase tolerance and context"); its hits are
 * kept apart and assembled into hits of the phrase, never found as cues or mentions themselves */
/* LITERAL_ORIGIN_CUE: an origin statement's cue ("trong tai"; docs/rules.md, "Stated origin"), in the automaton only
 * when a rule reads origins, so that the statements are found by the one scan every listing has already */
typedef enum literal_kind {
    LITERAL_RULE_TERM = 0, LITERAL_LIST_TERM, LITERAL_CONDITION_TERM, LITERAL_WORD_ANCHOR, LITERAL_ORIGIN_CUE
} literal_kind;

#define MAX_TOLERANT_WORDS 16  /* a longer phrase stays exact */
#define MAX_ANCHOR_HITS 256    /* word-anchor hits kept per listing (main views only) */

/* A multi-word term or list phrase that may hit with inserted words or its
 * last words first. Only phrases of rules (or packs) that ask for it are
 * compiled so: every other phrase keeps its one exact literal. */
typedef struct tolerant_phrase {
    uint32_t literal;      /* the exact phrase's literal: an assembled hit is found as that literal */
    uint16_t word_count;
    uint8_t gap;           /* inserted words allowed in all */
    bool either_order;
} tolerant_phrase;

typedef struct word_anchor {
    uint32_t phrase;       /* index in ruleset.phrases */
    uint32_t word;         /* position of the word in the phrase */
    char *text;            /* the word as written (marks kept, for marks_agree) */
} word_anchor;

#define MAX_ORIGIN_STATEMENTS 8 /* origin statements (and cue hits) kept per listing */

typedef struct origin_cue_hit {
    uint32_t field;
    uint32_t cue;                /* index in the cue table (evaluate.c) */
    uint32_t start, end;         /* offsets in the field's main view */
} origin_cue_hit;

/* An origin statement (docs/rules.md, "Stated origin"): its place in a field's main view and the gazetteer's
 * reading of it (a post-merger province, PROVINCE_ABROAD or PROVINCE_UNKNOWN) */
typedef struct origin_statement {
    uint32_t field;
    uint32_t place_start, place_end;
    const char *province;
    const char *goods;     /* the goods noun of a "hàng vải PLACE" statement (folded), NULL for a cue's: it speaks
                              only for a rule whose name holds the noun */
    bool packed;           /* where the goods were only packed ("đóng gói tại"): a stated origin only for a rule
                              with origin_packing */
} origin_statement;

typedef struct anchor_hit {
    uint32_t anchor;
    uint32_t field;
    uint32_t word;         /* words before it in the field's main view */
    uint32_t start, end;   /* original offsets */
} anchor_hit;

/* What a listing's title says it is (docs/rules.md, "Intent"): a sale, or a post that is not one. INTENT_SERVICE
 * and on are intent_class + 1 (a pack's intent_cues). */
typedef enum listing_intent {
    INTENT_SALE = 0, INTENT_SERVICE, INTENT_NOTICE, INTENT_GUIDE, INTENT_BOOK, INTENT_BUYING
} listing_intent;

/* An intent cue phrase, folded: a built-in one (evaluate.c) or a pack's (intent_cues, normalized at compile time,
 * owned by the ruleset) */
typedef struct intent_cue {
    const char *phrase;
    uint32_t length;
    uint8_t kind;          /* listing_intent */
    bool anywhere;         /* counts after the rule's name too (guides and warnings about fakes) */
    bool owned;            /* phrase is the ruleset's (freed with it) */
} intent_cue;

typedef struct literal_entry {
    literal_kind kind;
    uint32_t owner;        /* rule index, global list index or condition-term index */
    const char *text;      /* as written in the pack */
    const struct pack *pack; /* the pack it came from (negation reads a pack's own cues only: a cue of another pack
                                never hides a negator, docs/rules.md "Negation and disclaimers"); NULL: built in */
    bool marked;           /* text has a byte past ASCII: only such a literal's hits can be refused for their marks */
    uint32_t text_length;  /* strlen(text) */
    uint32_t marks_at, marks_count; /* marked: its words as marks_term_words reads them, in ruleset.literal_marks
                                       (count 0: too long to keep, read from text on each hit) */
} literal_entry;

/* A list phrase with a slot for the judged rule's own hit ("vỏ {mark} in lại"; docs/rules.md, "A slot for the
 * rule's hit"): the words before and after the slot, folded ("vo", "in lai"; either may be empty, not both). Not
 * in the automaton: read only when a rule's list condition names the list, around that rule's hits. */
typedef struct slot_phrase {
    char *before, *after;  /* owned by the ruleset */
    uint32_t before_words, after_words;
    const char *text;      /* as written in the pack */
} slot_phrase;

typedef struct compiled_list {
    const term_list *source;
    const pack *pack;
    slot_phrase *slots;    /* its phrases with "{mark}", owned by the ruleset; NULL: none */
    size_t slot_count;
} compiled_list;

typedef struct compiled_regex {
    pcre2_code *code;
    const char *text;
    uint32_t min_length;
    char *prefilter;       /* a literal every match contains, or NULL */
} compiled_regex;

typedef struct authorized_seller {
    char *platform;        /* NULL: any platform */
    const char *seller;
} authorized_seller;

typedef struct compiled_rule {
    const rule *source;
    const pack *pack;
    uint32_t *regexes;     /* indexes of the rule's `patterns` */
    size_t regex_count;
    char **region;         /* normalized, padded with spaces: " bac ninh " */
    size_t region_count;
    authorized_seller *authorized;
    size_t authorized_count;
    goods_group group;     /* from its categories (the packs' goods_groups, then the built-in table), else its kind's */
    char *name_folded;     /* its name normalized and padded (" tham tu kien ky an khong dau "): a negator inside it is
                              part of a name, not a negation; NULL when it normalizes to nothing */
    uint32_t model_term_base;  /* its models' terms are condition terms [base, base + count) ... */
    uint32_t model_term_count;
    uint32_t *model_of_term;   /* ... each of the model source->more->models[model_of_term[i]] */
    int context_list;          /* context: global list index a term hit needs near it, -1 none */
    int context_near;          /* the wider side */
    int16_t context_before, context_after; /* the window on each side of a term hit; -1: that side not allowed */
    const char **region_provinces;   /* the post-merger provinces its region entries name (stated origin), may be 0 */
    size_t region_province_count;
    bool origin_packing;       /* a packing statement ("đóng gói tại") is a stated origin for it (the rule's
                                  origin_packing, else its pack's) */
} compiled_rule;

struct ruleset {
    const normalizer *normalizer;   /* borrowed from the options, or owned_normalizer */
    normalizer *owned_normalizer;
    mpm_context *mpm;
    literal_entry *literals;
    size_t literal_count, literal_capacity;
    uint32_t *literal_marks;        /* the marked literals' words (literal_entry.marks_at), owned */
    size_t literal_marks_count, literal_marks_capacity;
    compiled_list *lists;
    size_t list_count;
    compiled_regex *regexes;
    size_t regex_count, regex_capacity;
    compiled_rule *rules;
    size_t rule_count;
    uint32_t *pattern_rules;   /* rules with `patterns`, run on every listing */
    size_t pattern_rule_count;
    size_t condition_term_count;
    char ***categories;        /* category conditions: normalized, padded values */
    size_t *category_counts;
    size_t category_condition_count;
    pack **packs;
    size_t pack_count;
    ruleset_options options;
    tolerant_phrase *phrases;  /* phrase tolerance: none unless a rule or pack asks for it */
    size_t phrase_count, phrase_capacity;
    word_anchor *anchors;
    size_t anchor_count, anchor_capacity;
    province_table *provinces; /* stated origin: built only when a rule uses it (then its cues are literals) */
    /* intent cues: the built-in ones and the packs' (intent_cues), chained by first letter, longest first (a
     * longer cue wins over a shorter one it begins with); built once at compile time */
    intent_cue *intent_cues;
    size_t intent_cue_count;
    int32_t intent_by_letter[256], *intent_next;
};


typedef enum found_kind { FOUND_LITERAL = 0, FOUND_REGEX } found_kind;

typedef struct found_hit {
    found_kind kind;
    uint32_t index;              /* literal id, or regex index */
    uint32_t rule;               /* FOUND_REGEX: the rule whose pattern it is */
    listing_field field;
    uint32_t start, end;         /* original offsets */
    uint32_t word_start, word_end;
} found_hit;

typedef struct field_views {
    normalized_text main, joined;
    normalized_text variants;    /* trimmed forms of joined runs (normalize_joined_runs_variants) */
    uint32_t *spaces;            /* positions of spaces in the main view */
    size_t space_count, space_capacity;
    bool present;
    /* words before each original offset (words_before), built once per listing at the field's first hit */
    uint32_t *word_at;
    size_t word_at_capacity, original_length;
    bool word_at_ready;
    uint32_t lookups;            /* words_before calls on this field (the table pays off after a few) */
    /* the list and condition-term hits (cues) that end at each word, chained in the order found (cue_next);
     * a word's first and last valid while its cue_epoch is this listing's */
    uint32_t *cue_first, *cue_last, *cue_epoch;
    size_t cue_capacity;
    uint32_t refund_epoch;       /* has_refund valid while this is the listing's epoch */
    bool has_refund;             /* the main view has a refund word (negation's guarantees after a cue) */
    normalized_text abbrev, tags;  /* chat abbreviations expanded; #tags split (rules/text/abbrev.h) */
    hashtag_spans tag_spans;
    size_t tag_variants_from;      /* where the tags view's one-space variants start */
} field_views;

#define FOUND_SLOTS (2 * MAX_FOUND) /* the per-listing table of hits already found (a power of two) */
#define NO_FOUND UINT32_MAX

struct ruleset_scratch {
    const ruleset *rs;
    mpm_scratch *mpm;
    pcre2_match_data *match_data;
    pcre2_match_context *match_context;
    pcre2_jit_stack *jit_stack;
    field_views fields[2];
    normalized_text location, category;
    mpm_hit *view_hits;
    found_hit *found;
    size_t found_count;
    uint32_t epoch;
    uint32_t *rule_epoch, *list_epoch, *term_epoch, *regex_epoch;
    /* hit processing that does not grow with the hits already found: a table of them by value (epoch-stamped
     * slots), and each rule's, list's and condition term's hits chained in the order found (first and last
     * valid while its *_epoch stamp is this listing's) */
    uint32_t *slot_epoch, *slot_found;
    uint32_t *found_next, *cue_next;
    uint32_t *rule_first, *rule_last, *list_first, *list_last, *term_first, *term_last;
    bool *regex_result;
    match_signal *regex_span;    /* where each regex first matched (field, start, end) */
    uint32_t *candidates;
    size_t candidate_count;
    /* the result */
    uint32_t *fired;
    size_t fired_count;
    match_hit *hits;
    size_t hit_count, hit_capacity;
    match_signal *signals;
    size_t signal_count, signal_capacity;
    size_t regex_limit_hits;
    bool hits_truncated;
    /* facts of the listing being matched */
    const listing_facts *listing;
    bool location_ready, category_ready;
    bool intent_ready;
    bool accessory_ready, accessory; /* the title opens with an accessory's head noun (compatibility scope) */
    int intent;                   /* listing_intent of the listing, once intent_ready */
    uint32_t intent_at;           /* where its cue starts in intent_field's main view */
    uint32_t intent_field;        /* FIELD_TITLE, or FIELD_DESCRIPTION when the title is a group's name */
    bool description_intent_ready;
    int description_intent;       /* listing_intent the description opens with, once description_intent_ready */
    uint32_t description_intent_at; /* where its cue starts in the description's main view */
    bool intent_anywhere;         /* the title also holds a guide or warning cue that counts after the name */
    size_t marks_refused;         /* hits whose marks disagreed with their term's ("lúa" for "lụa") */
    bytebuf *trace;              /* ruleset_explain only */
    /* label claims of the listing (rules/label_claim.h), read once per listing and label at the first
     * label_claim condition evaluated: valid while claims_epoch is this listing's and claims_label equal */
    label_claim claims[2][LABEL_CLAIM_MAX];
    size_t claim_count[2];
    uint32_t claims_epoch;
    const char *claims_label;
    /* phrase tolerance: the word-anchor hits of this listing, and the phrases they touch (each once: epoch) */
    anchor_hit *anchor_hits;
    size_t anchor_hit_count;
    uint32_t *phrase_epoch, *touched;
    size_t touched_count;
    /* stated origin: the statements of this listing, read once when a rule first asks */
    origin_statement origins[MAX_ORIGIN_STATEMENTS];
    origin_cue_hit cue_hits[MAX_ORIGIN_STATEMENTS];
    size_t cue_hit_count;
    size_t origin_count;
    bool origins_ready;
};


/* evaluate.c: the origin statements' cues, added to the automaton (as LITERAL_ORIGIN_CUE, owner = index) when a
 * rule reads origins. */
size_t origin_cue_count(void);
const char *origin_cue(size_t i);

/* evaluate.c: the built-in intent cues (docs/rules.md, "Intent"), static: what every ruleset starts from. */
const intent_cue *builtin_intent_cues(size_t *count);

/* evaluate.c: decides one listing; with s->trace set it also writes how. */
int ruleset_match_listing(const ruleset *rs, ruleset_scratch *s, const listing_facts *l, match_result *out);
/* explain.c: one line of the account ruleset_explain writes (no-op without s->trace). */
void ruleset_trace(ruleset_scratch *s, int depth, const char *format, ...) __attribute__((format(printf, 3, 4)));

#endif
