/* ruleset: rule packs compiled into one immutable set, and the matcher that
 * decides whether a listing is a suspected violation.
 *
 * Like Vectorscan's API: ruleset_compile builds a `const` set once (every
 * term and list term of every pack in one multi-pattern automaton, every
 * regex compiled with PCRE2 JIT, every condition resolved); any number of
 * threads then share it read-only, each with its own ruleset_scratch.
 * Nothing is compiled while matching. */
#ifndef LSCAN_RULESET_H
#define LSCAN_RULESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/base/diagnostics.h"
#include "rules/mpm.h"
#include "rules/text/normalize.h"
#include "rules/pack.h"

typedef struct ruleset ruleset;
typedef struct ruleset_scratch ruleset_scratch;

typedef struct ruleset_options {
    const normalizer *normalizer; /* borrowed, must outlive the set; NULL: the set builds its own.
                                     Build one per process (normalizer_create) and hand it to every
                                     set: its tables take a while and ~20 MB */
    mpm_backend backend;          /* default: our Aho-Corasick DFA */
    uint32_t regex_match_limit;   /* PCRE2 match limit (default 100000) */
    uint32_t regex_depth_limit;   /* PCRE2 depth limit for the interpreter (default 2000) */
    bool no_negation;             /* mentions and cues after a negator count as today's engine counted them
                                     (docs/rules.md, "Negation and disclaimers"); for comparisons */
    bool no_intent;               /* rules fire on services, notices, guides and books too ("Intent") */
    bool no_marks;                /* terms match folded even when both sides carry different marks ("Marks") */
    bool no_chat;                 /* no abbreviation and hashtag views ("Hashtags and abbreviations") */
} ruleset_options;

/* Compiles the packs into one set. On success returns 0, stores the set in
 * *out and TAKES OWNERSHIP of the packs (freed by ruleset_destroy). On any
 * mistake (duplicate rule id across packs, a bad regex with PCRE2's message
 * and offset, a term that normalizes to nothing) returns -1, reports every
 * mistake into `diag`, and the caller still owns the packs. options may be
 * NULL. Not thread-safe while it runs; the result is immutable. */
int ruleset_compile(pack *const *packs, size_t pack_count, const ruleset_options *options, ruleset **out,
                    diagnostics *diag);
/* Frees the set and its packs; NULL is a no-op. No scratch may be in use. */
void ruleset_destroy(ruleset *rs);

size_t ruleset_rule_count(const ruleset *rs);
const rule *ruleset_rule(const ruleset *rs, size_t index);
const pack *ruleset_rule_pack(const ruleset *rs, size_t index);
/* The goods group a rule's cases are reported under. */
goods_group ruleset_rule_goods_group(const ruleset *rs, size_t index);
size_t ruleset_pack_count(const ruleset *rs);
const pack *ruleset_pack(const ruleset *rs, size_t index);
/* Distinct literals in the automaton (terms and list terms, both forms). */
size_t ruleset_literal_count(const ruleset *rs);
/* The shared normalizer (owned by the set). */
const normalizer *ruleset_normalizer(const ruleset *rs);

/* Per-thread working memory; owned by the caller, used by one thread at a
 * time, with the set it was made for. Returns 0 or -1 (out of memory). */
int ruleset_scratch_create(const ruleset *rs, ruleset_scratch **out);
void ruleset_scratch_destroy(ruleset_scratch *s);

/* What the matcher reads of a listing. Strings are borrowed, NUL-terminated
 * except title/description which carry lengths; NULL means absent. */
typedef struct listing_facts {
    const char *platform, *listing_id;
    const char *title;
    size_t title_length;
    const char *description;
    size_t description_length;
    bool has_price;
    double price;
    const char *currency;          /* NULL: VND */
    const char *seller_id, *seller_location;
    bool seller_official, is_livestream;
    const char *category;
} listing_facts;

typedef enum listing_field { FIELD_TITLE = 0, FIELD_DESCRIPTION = 1 } listing_field;

typedef struct match_hit {
    uint32_t rule;                 /* rule index */
    listing_field field;
    uint32_t start, end;           /* byte offsets into the ORIGINAL field text */
    const char *term;              /* the term or regex as written in the pack */
} match_hit;

typedef enum signal_type {
    SIGNAL_LIST = 0, SIGNAL_TERM, SIGNAL_PATTERN, SIGNAL_PRICE_BELOW, SIGNAL_SELLER_OUTSIDE_REGION,
    SIGNAL_SELLER_IN_REGION, SIGNAL_UNAUTHORIZED_SELLER, SIGNAL_OFFICIAL_STORE, SIGNAL_LIVESTREAM,
    SIGNAL_CATEGORY, SIGNAL_HASHTAGS, SIGNAL_LABEL_CLAIM, SIGNAL_STATED_ORIGIN, SIGNAL_TRACEABLE_SOURCING
} signal_type;

typedef struct match_signal {
    uint32_t rule;
    signal_type type;
    const char *list;              /* SIGNAL_LIST: the list's name */
    const char *term;              /* list/term/pattern: what matched, as written in the pack */
    bool has_span;                 /* list and term signals: where in the original text */
    listing_field field;
    uint32_t start, end;
    double ratio;                  /* SIGNAL_PRICE_BELOW: price / reference_price */
    bool value;                    /* official_store / livestream: the value that held */
    /* SIGNAL_PRICE_BELOW, per-unit and per-model prices (docs/rules.md): */
    double reference;              /* the reference the price was compared with, for the quantity sold (0: the rule's) */
    const char *model;             /* the model whose reference it is, or NULL */
    char quantity[64];             /* how the quantity was read ("3 × 800 g = 2400 g"), or "" */
    char unit[24];                 /* the unit of reference_price ("800 g"), or "" */
    double stated_price;           /* a genuine price the seller states ("giá hãng 3.500.000đ"), VND, or 0 */
    /* SIGNAL_LABEL_CLAIM (docs/rules.md, "Rated labels: claims and mentions"); term is the label word */
    int claimed;                   /* the level claimed (the highest of a range or list) */
    int rated;                     /* the rule's rated_level, 0 when it has none */
    char claim[32];                /* what was compared: "5 > 4", "6 outside 3-5", "4", "5 provincial outside 3-4" */
    const char *scope;             /* "provincial" / "national" when the claim named its council and that decided */
    int scope_low, scope_high;     /* ... the levels that council gives */
    /* SIGNAL_STATED_ORIGIN (docs/rules.md, "Stated origin"); the span is the place as written */
    char place[64];                /* the place stated, as written (cut at a character boundary) */
    const char *province;          /* its province after the 2025 merger, "abroad", or NULL */
    const char *why;               /* why it is outside the region (a static English phrase) */
} match_signal;

typedef struct match_result {
    const uint32_t *rules;         /* fired rules, ascending index */
    size_t rule_count;
    const match_hit *hits;         /* hits of the fired rules */
    size_t hit_count;
    const match_signal *signals;
    size_t signal_count;
    severity severity;             /* max over fired rules */
    uint64_t flag_id;              /* XXH3 of platform, listing_id and the sorted rule ids */
    /* bad-input accounting for this listing */
    size_t invalid_utf8_bytes;
    bool text_truncated;           /* a field was longer than NORMALIZE_MAX_INPUT */
    bool hits_truncated;           /* more hits than the per-listing maximum */
    size_t regex_limit_hits;       /* regex runs stopped by the match or depth limit */
} match_result;

/* Decides one listing. Fills *out with storage owned by the scratch, valid
 * until the next call with that scratch. Returns 0, or -1 on out of memory.
 * Thread-safe with distinct scratch. */
int ruleset_match(const ruleset *rs, ruleset_scratch *s, const listing_facts *listing, match_result *out);

/* Writes a human-readable account of how every rule with a hit was judged:
 * the normalized views, hits marked in the text, each condition with its
 * value. For `lscan rules explain`. Returns 0 or -1. */
struct bytebuf;
int ruleset_explain(const ruleset *rs, ruleset_scratch *s, const listing_facts *listing, struct bytebuf *out);

/* Runs the packs' own tests; failures are appended to `report` as lines
 * "FAIL rule-id: ...". Returns the number of failures; *total gets the
 * number of examples run. */
size_t ruleset_run_tests(const ruleset *rs, struct bytebuf *report, size_t *total);

const char *signal_type_name(signal_type t);

#endif
