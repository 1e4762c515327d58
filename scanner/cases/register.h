/* register: the case register (docs/cases.md). Every flag of a listing
 * joins one case (platform + listing_id) as a sighting; people move cases
 * through received -> classified -> verified | dismissed -> handled |
 * transferred (needs_info parks one with a due date); every decision is a
 * record in an append-only, hash-chained log.
 *
 * The register is an SQLite database (WAL, synchronous=FULL: a decision
 * acknowledged has been fsynced) with its schema versioned by user_version
 * and migrated forward when opened. One handle is one connection, guarded
 * by its own mutex (`lock`): the functions are thread-safe, and several
 * processes may use one file (SQLite's locks and a busy timeout; writes in
 * BEGIN IMMEDIATE transactions). Times are UTC; callers give "now" so tests
 * and benchmarks control the clock. */
#ifndef LSCAN_REGISTER_H
#define LSCAN_REGISTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/base/bytebuf.h"
#include "rules/text/normalize.h"

typedef enum case_state {
    CASE_RECEIVED = 0, CASE_CLASSIFIED, CASE_VERIFIED, CASE_DISMISSED, CASE_NEEDS_INFO, CASE_HANDLED,
    CASE_TRANSFERRED, CASE_STATE_COUNT
} case_state;

typedef enum case_action {
    ACTION_CLASSIFY = 0,   /* received | needs_info -> classified: confirm or correct kind and goods group */
    ACTION_VERIFY,         /* classified -> verified: a reason from the list */
    ACTION_DISMISS,        /* received | classified | verified | needs_info -> dismissed: a reason from the list */
    ACTION_NEED_INFO,      /* received | classified | verified -> needs_info: a due date and a note */
    ACTION_HANDLE,         /* verified -> handled: a measure from the list */
    ACTION_TRANSFER,       /* verified -> transferred: the receiving unit and a reference number */
    ACTION_RECLASSIFY,     /* any state but received, unchanged: a correction of kind or goods group */
    ACTION_COUNT
} case_action;

typedef enum register_error {
    REGISTER_OK = 0,
    REGISTER_ERROR_DATABASE,     /* SQLite failed (the message says how) */
    REGISTER_ERROR_SCHEMA,       /* a register of a newer version of lscan, or not a register */
    REGISTER_ERROR_NOT_FOUND,    /* no such case */
    REGISTER_ERROR_TRANSITION,   /* the action is not allowed in the case's state */
    REGISTER_ERROR_BAD_INPUT,    /* a required field missing or not from its list */
    REGISTER_ERROR_CLAIMED,      /* another reviewer holds the case */
    REGISTER_ERROR_MEMORY
} register_error;

const char *register_strerror(register_error e);
const char *case_state_name(case_state s);          /* "received", ... (records.md) */
case_state case_state_named(const char *name);      /* or CASE_STATE_COUNT */
const char *case_state_label(case_state s, bool vietnamese); /* "Đã xác minh" / "Verified" */
const char *case_action_name(case_action a);        /* "classify", "verify", ... */
case_action case_action_named(const char *name);    /* or ACTION_COUNT */

/* The fixed lists a decision's reason comes from: codes with Vietnamese
 * and English labels. */
typedef struct register_reason {
    const char *code, *vi, *en;
} register_reason;
const register_reason *register_reasons(case_action a, size_t *count); /* verify, dismiss, handle (measures) */

typedef struct case_register case_register;

/* Opens (creating it, and its schema) the register at path. `n` (borrowed,
 * must outlive the register) folds seller locations to provinces. NULL with
 * a message on failure. */
case_register *register_open(const char *path, const normalizer *n, char *error, size_t error_size);
void register_close(case_register *r);

/* ---- intake ---------------------------------------------------------------- */

typedef struct intake_item {
    const char *stream_id;      /* where it came from (kept with the sighting), may be NULL */
    const char *flag;           /* a flag's JSON (lscan:flags) ... */
    size_t flag_length;
    const char *sighting;       /* ... or a repeat sighting's JSON (lscan:sightings): flag_id, scan_id, seen_at,
                                   price, evidence */
    size_t sighting_length;
} intake_item;

typedef struct intake_stats {
    uint64_t cases_new, sightings_new, duplicates, bad, orphans;
} intake_stats;

/* Commits a batch in one transaction: each flag joins (or opens) its case
 * as a sighting, idempotent on (flag id, scan id), so a batch given twice
 * (a crash between the commit and the stream's XACK) adds nothing. A bad
 * item is counted (stats->bad) and skipped; a repeat whose flag is not in
 * the register yet is kept aside and joined when it comes (orphans).
 * now_ms is the time a case is received when its flag has no capture time. */
register_error register_intake(case_register *r, const intake_item *items, size_t count, int64_t now_ms,
                               intake_stats *stats, char *error, size_t error_size);

/* ---- the queue ---------------------------------------------------------------- */

typedef struct case_filter {
    const char *state, *kind, *goods_group, *platform, *province, *campaign, *severity, *reviewer;
    const char *seller_platform, *seller_id;   /* one seller's cases */
    const char *query;                          /* words in the title, listing id or seller */
    int min_age_hours;                          /* received at least that long ago; 0: any */
    const char *transfer_unit;                  /* cases transferred to this unit (police) */
    const char *exclude[8];                     /* not these case ids (a reviewer's skipped cases); NULL ends */
    size_t limit, offset;                       /* lists; limit 0: 50 */
} case_filter;

/* Claims the next case for `reviewer` (the one it already holds, else the
 * most severe oldest one in the queue: received, classified, verified, and
 * needs_info past its due date, not held by another reviewer) until now_ms
 * + claim_ms. *found false when the queue is empty. */
register_error register_claim(case_register *r, const char *reviewer, const case_filter *filter, int64_t now_ms,
                              int64_t claim_ms, char case_id[33], bool *found, char *error, size_t error_size);
/* Gives a claim back. */
register_error register_release(case_register *r, const char *case_id, const char *reviewer, char *error,
                                size_t error_size);

/* ---- decisions ------------------------------------------------------------------ */

typedef struct decision_input {
    const char *case_id, *actor;
    case_action action;
    const char *reason;          /* verify, dismiss: a code of register_reasons; handle: the measure's code */
    const char *note;            /* free text (dismiss "other" and need_info need one) */
    const char *kind, *goods_group; /* classify, reclassify */
    const char *unit, *reference;   /* transfer */
    const char *due;             /* need_info: YYYY-MM-DD */
    bool override_claim;         /* a lead deciding a case another reviewer holds */
} decision_input;

typedef struct decision_output {
    uint64_t seq;
    char hash[65];
    case_state from, to;
} decision_output;

/* Records a decision: checks the transition and the fields, appends it to
 * the chain and moves the case, in one transaction (fsynced before it
 * returns). A refusal says why in `error` (for a person). */
register_error register_decide(case_register *r, const decision_input *in, int64_t now_ms, decision_output *out,
                               char *error, size_t error_size);

/* ---- reading --------------------------------------------------------------------- */

/* Appends the case as JSON (docs/console.md, CASE). */
register_error register_case_json(case_register *r, const char *case_id, bytebuf *out, char *error, size_t error_size);
/* Appends {"cases": [SUMMARY...], "total": n}. */
register_error register_list_json(case_register *r, const case_filter *filter, int64_t now_ms, bytebuf *out,
                                  char *error, size_t error_size);
/* Counts by state (and the cases claimed now) under the filter. */
register_error register_counts(case_register *r, const case_filter *filter, int64_t now_ms,
                               uint64_t counts[CASE_STATE_COUNT], uint64_t *claimed, char *error, size_t error_size);

/* ---- for the console ------------------------------------------------------------- */

/* Whether the case was ever transferred to `unit` (a police liaison sees only those). */
register_error register_transferred_to(case_register *r, const char *case_id, const char *unit, bool *yes, char *error,
                                       size_t error_size);
/* Appends a JSON array of the values seen of "platform" or "campaign". */
register_error register_facet_json(case_register *r, const char *facet, bytebuf *out, char *error, size_t error_size);

/* ---- checkpoints ----------------------------------------------------------------- */

/* SQLite copies the write-ahead log into the database every 1,000 pages,
 * inside whichever commit crosses the mark: a latency spike for that
 * request. A server turns that off and calls register_checkpoint from a
 * thread of its own instead (PASSIVE, on a second connection, so requests
 * go on meanwhile). Thread-safe. */
void register_auto_checkpoint(case_register *r, bool on);
register_error register_checkpoint(case_register *r, char *error, size_t error_size);

/* ---- the chain --------------------------------------------------------------------- */

typedef struct chain_report {
    bool intact;
    uint64_t count;              /* decisions */
    char head[65];               /* the hash of the last one (64 zeros when none) */
    uint64_t broken_seq;         /* the first record that does not hold (0: none) */
    char why[256];
} chain_report;

/* Recomputes every decision's hash over its canonical serialization and
 * checks the links, the order, the stored head and each case's state
 * against its last decision; names the first thing that does not hold. */
register_error register_verify(case_register *r, chain_report *out, char *error, size_t error_size);

/* The chain's head now: decisions recorded and the last one's hash (no
 * recomputation; register_verify checks it). */
register_error register_chain_head(case_register *r, uint64_t *count, char head[65], char *error, size_t error_size);

/* Appends a JSON array of the case's decisions as the chain holds them:
 * [{"seq", "hash", "canonical"}], `canonical` being the exact text the hash
 * covers (docs/cases.md), so anyone holding it can recompute the hash
 * (sha256 of the text) and read the prev_hash link inside it. */
register_error register_case_chain_json(case_register *r, const char *case_id, bytebuf *out, char *error,
                                        size_t error_size);

/* ---- re-checks (docs/evidence.md, "Re-checks") ---- */

#define REGISTER_RECHECK_FLAG "recheck"   /* the flag_id of a re-check's sighting */

/* Records a re-check of a case as a sighting (flag_id "recheck", scan_id
 * "recheck-MS"): seen_at, the price seen (NULL: none), and its evidence
 * JSON (the capture, and "recheck": {"outcome", "changes"}). `online`
 * moves the case's last sighting. */
register_error register_add_recheck(case_register *r, const char *case_id, const char *seen_at, bool online,
                                    const double *price, const char *evidence_json, char *error, size_t error_size);
/* Appends to out the ids (each NUL-terminated) of at most max cases handled
 * or transferred at least older_than_ms ago and not re-checked since; the
 * takedown clock. */
register_error register_recheck_due(case_register *r, int64_t older_than_ms, int64_t now_ms, size_t max, bytebuf *out,
                                    size_t *count, char *error, size_t error_size);

/* Calls `publish` for each decision not yet published, in order, with its
 * JSON (the canonical serialization and its hash); marks those for which it
 * returned 0. Returns the number published, or -1. */
long register_publish(case_register *r, int (*publish)(void *ctx, uint64_t seq, const char *json, size_t length),
                      void *ctx, char *error, size_t error_size);

#endif
