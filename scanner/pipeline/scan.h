/* scan: a campaign crawled by worker threads, every suspected violation
 * pushed once into the Redis review stream (design.md: the "workers" run
 * mode: each thread runs fetch -> extract -> normalize -> match -> decide ->
 * dedup -> sink for the pages it fetched).
 *
 * Shared between threads and nothing else: the campaign and the rule set
 * (read-only), the frontier (its own lock), the listing seen-set (guarded by
 * scan.seen_lock) and the counters (atomics). Each worker owns its curl
 * multi handle and easy handles, its rule scratch, its Redis sink. */
#ifndef LSCAN_SCAN_H
#define LSCAN_SCAN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "scanner/pipeline/campaign.h"
#include "scanner/record/flag.h"
#include "workers/counters.h"
#include "workers/fetch.h"
#include "workers/frontier.h"
#include "rules/ruleset.h"



typedef struct scan_config {
    const campaign *campaign;       /* borrowed, read-only */
    const ruleset *rules;           /* borrowed, read-only */
    unsigned threads;               /* default: cores */
    unsigned transfers_per_thread;  /* default 32 */
    const char *redis_url;          /* overrides the campaign's */
    const char *redis_username;     /* AUTH user (Redis 6 ACL), or NULL */
    const char *redis_password;     /* AUTH password, or NULL (the caller read it from a variable or a file) */
    const char *scan_id;
    const char *state_dir;          /* where each worker's Redis spool lives (created if missing); NULL: no spool */
    const char *checkpoint_path;    /* where scan_checkpoint writes; NULL: no checkpoints */
    bool resume;                    /* start from checkpoint_path instead of the seeds (when there is one) */
    flag_language language;
    /* the evidence archive (docs/evidence.md): which pages, and where the
     * WARC files go (NULL: the campaign's evidence.dir, else STATE_DIR/evidence;
     * with neither, nothing is archived and the scan says so in its log) */
    bool evidence_override;         /* use evidence_mode instead of the campaign's */
    evidence_mode evidence_mode;
    const char *evidence_dir;
    const char *operator_name;      /* in each WARC file's warcinfo; NULL: $USER */
    const char *software;           /* "lscan 0.2.0" */
    void (*log)(void *ctx, const char *line);   /* one line per page given up, may be NULL */
    void *log_ctx;
} scan_config;

typedef struct scan scan;

typedef enum scan_error {
    SCAN_OK = 0,
    SCAN_ERROR_MEMORY,
    SCAN_ERROR_CHECKPOINT,        /* --resume: the checkpoint is damaged or from another version */
    SCAN_ERROR_CAMPAIGN_CHANGED,  /* --resume: a target changed its definition since the checkpoint */
    SCAN_ERROR_STATE_DIR,         /* the state directory cannot be created */
    SCAN_ERROR_REDIS,             /* Redis refused (authentication, database) or is unreachable without a spool */
    SCAN_ERROR_THREADS
} scan_error;

const char *scan_strerror(scan_error e);

/* Seeds the frontier (or restores it from the checkpoint with `resume`: when
 * there is no checkpoint yet the scan starts from the seeds, and
 * scan_resumed says so), connects every worker's sink and starts the
 * threads. NULL with *code and a message on failure. */
scan *scan_start(const scan_config *config, scan_error *code, char *error, size_t error_size);
/* Whether the scan started from a checkpoint; *urls_dropped gets the URLs
 * of targets no longer in the campaign, *targets_seeded the targets the
 * checkpoint did not know (started from their seeds). Either may be NULL. */
bool scan_resumed(const scan *s, uint64_t *urls_dropped, unsigned *targets_seeded);
/* Waits up to timeout_ms; true once every worker has finished. */
bool scan_wait(scan *s, unsigned timeout_ms);
/* Finish what is in flight, take nothing new (first SIGINT). */
void scan_stop(scan *s);
const scan_counters *scan_get_counters(const scan *s);
void scan_frontier_stats(scan *s, frontier_stats *out);
/* Bytes of flags waiting in the workers' spools, and whether any worker is
 * spooling now (Redis away). Thread-safe. */
uint64_t scan_spool_bytes(scan *s, bool *spooling);
/* Where the flags of a finished scan are, when not all in Redis. */
typedef struct scan_delivery {
    uint64_t waiting;         /* flags left in the spools (the next scan with this state directory replays them) */
    uint64_t lost;            /* flags neither in Redis nor in a spool */
    bool permanent;           /* Redis refused for good (authentication, database): the scan stopped early */
    char cause[512];          /* the first Redis or spool error behind them ("" when none) */
} scan_delivery;

/* Joins the workers (after scan_wait returned true or scan_stop), flushes
 * and frees; copies the final counters (with Redis' new/known tallies) to
 * *final and says where undelivered flags are in *delivery (both may be
 * NULL). Returns 0 when every flag made is in Redis, else -1. */
int scan_finish(scan *s, scan_counters *final, scan_delivery *delivery);

/* Writes a checkpoint: every worker stops at its next page, flushes its sink
 * (so every flag of the pages done is in Redis or the spool), and waits
 * while the frontier (URLs to fetch, in-flight ones included, and every URL
 * seen) and the counters go to checkpoint_path atomically (temporary file,
 * fsync, rename). Call from one thread. 0, or -1 with a message. */
int scan_checkpoint(scan *s, char *error, size_t error_size);
/* True when the scan ended with nothing left to fetch (not stopped early). */
bool scan_complete(scan *s);

/* Rule reload (SIGHUP): publishes a new rule set; each worker moves to it
 * before its next page. Returns the set it replaces, which the caller frees
 * once scan_rules_moved says no worker uses it any more. Call from one
 * thread (the one that owns the rule sets). */
const ruleset *scan_swap_rules(scan *s, const ruleset *next);
/* True when every running worker matches with the latest rule set. */
bool scan_rules_moved(scan *s);
/* The rule set generation: 0 at start, +1 per swap. */
unsigned scan_rules_generation(const scan *s);
/* Writes Prometheus text: pages, listings, flags by kind, failed attempts
 * and pages given up by class, retries, frontier sizes, rule set generation.
 * Thread-safe (atomics and the frontier's lock). */
struct bytebuf;
void scan_write_metrics(scan *s, struct bytebuf *out);

#endif
