/* decide: the one step every run mode takes for a listing (design.md,
 * "One decide step"): match it against the rule set and, when a rule fires,
 * write its flag. `lscan scan`, `lscan match`, and later the console's
 * re-check and `lscan worker`, all go through decide_listing, so the same
 * listing gives the same flag bytes whichever way it came in.
 *
 * A decider is per-thread working memory (the rule set's scratch and the
 * flag buffer); it is tied to one rule set at a time (decide_use_rules moves
 * it to another, on a reload). Not thread-safe: one decider per thread. */
#ifndef LSCAN_DECIDE_H
#define LSCAN_DECIDE_H

#include <stdbool.h>
#include <stddef.h>

#include "rules/ruleset.h"
#include "scanner/record/flag.h"
#include "scanner/record/listing.h"

typedef struct decider decider;

/* What a flag carries besides the listing: both may be NULL/empty (lscan
 * match). Borrowed for the call. */
typedef struct decide_context {
    flag_language language;
    const char *scan_id;
    const flag_evidence *evidence;
    /* Called once a rule fired, before the flag is written: archives the
     * page and says where (evidence.warc), or NULL when it could not. May be
     * NULL (no archive). */
    const warc_location *(*capture)(void *ctx);
    /* Called after capture: a screenshot of the listing's own page, or NULL
     * (evidence.warc.screenshot). May be NULL. */
    const warc_location *(*screenshot)(void *ctx, const listing *l, const warc_location *page);
    void *capture_ctx;
} decide_context;

typedef enum decide_error {
    DECIDE_OK = 0,
    DECIDE_ERROR_MEMORY       /* out of memory in the matcher or the flag writer */
} decide_error;

const char *decide_strerror(decide_error e);

/* The outcome for one listing. The pointers are owned by the decider and
 * valid until its next call. */
typedef struct decision {
    bool flagged;                 /* at least one rule fired */
    bool cut;                     /* the flag's listing text was cut to fit (flag.h) */
    char flag_id[17];             /* hex, when flagged */
    const char *flag;             /* the flag JSON (one line, no newline), when flagged */
    size_t flag_length;
    match_result result;          /* what matched (rules, hits, signals, truncation counts) */
} decision;

/* A decider for `rs` (borrowed; must outlive the decider or be replaced
 * with decide_use_rules first). 0, or -1 out of memory. */
int decide_create(const ruleset *rs, decider **out);
/* Moves to another rule set (a reload): 0, or -1 out of memory (the old
 * one stays in use). */
int decide_use_rules(decider *d, const ruleset *rs);
/* The rule set in use. */
const ruleset *decide_rules(const decider *d);
void decide_destroy(decider *d);

/* Matches one listing and writes its flag when a rule fires. */
decide_error decide_listing(decider *d, const listing *l, const decide_context *context, decision *out);

#endif
