/* run: a scan as one library call, with the policy any front end needs
 * (lscan scan today; lscan worker and the console later): load the campaign
 * and its rules (paths relative to the campaign's folder), name the scan,
 * read the Redis password from where it is kept, start the workers, write
 * checkpoints on schedule, reload the rules when asked (build beside, swap,
 * wait until every worker moved, free), stop when asked, and hand back the
 * summary data. It prints nothing: lines go to the `log` callback, the
 * caller decides what a person sees (progress through `tick`).
 *
 * One run at a time per process (it installs nothing global itself, but the
 * caller's signal flags are its stop and reload requests). */
#ifndef LSCAN_RUN_H
#define LSCAN_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "scanner/pipeline/campaign.h"
#include "scanner/pipeline/scan.h"

typedef enum run_error {
    RUN_OK = 0,
    RUN_ERROR_CAMPAIGN,        /* the campaign file has mistakes (in the diagnostics) */
    RUN_ERROR_RULES,           /* no rules, or packs with mistakes (in the diagnostics) */
    RUN_ERROR_PASSWORD,        /* the Redis password was named but cannot be read */
    RUN_ERROR_START,           /* scan_start failed: see run_report.start_error and the message */
    RUN_ERROR_MEMORY
} run_error;

const char *run_strerror(run_error e);

typedef struct run_config {
    const char *campaign_path;
    const char *const *rule_paths;   /* replace the campaign's rules when rule_path_count > 0 */
    size_t rule_path_count;
    const char *redis_url;           /* replaces the campaign's */
    const char *redis_user;          /* replaces the campaign's */
    const char *redis_password_file; /* replaces the campaign's password_file / password_env */
    const char *scan_id;             /* NULL: the campaign's name and the UTC start time */
    const char *state_dir;           /* spools and the checkpoint; NULL: none */
    bool resume;
    unsigned threads;                /* 0: every core */
    long checkpoint_ms;              /* 0: 10000 */
    flag_language language;
    const char *evidence;            /* "flagged", "all" or "none" instead of the campaign's; NULL: the campaign's */
    const char *evidence_dir;        /* instead of the campaign's evidence.dir (or STATE_DIR/evidence) */
    const char *software;            /* "lscan VERSION", for the archive's warcinfo */
    const normalizer *normalizer;    /* borrowed; NULL: each rule set builds its own */
    /* requests from the caller's signal handlers, read every 250 ms */
    volatile sig_atomic_t *interrupts;   /* > 0: stop taking pages, finish, flush */
    volatile sig_atomic_t *reloads;      /* changed: reload the rules */
    void (*log)(void *ctx, const char *line);            /* one line each, thread-safe (workers log too) */
    void (*started)(void *ctx, scan *running);           /* after the workers started (e.g. to serve metrics) */
    void (*tick)(void *ctx, scan *running, double elapsed); /* every 250 ms while the scan runs */
    void (*stopping)(void *ctx, scan *running);          /* before the workers are joined (stop serving metrics) */
    void *ctx;
} run_config;

/* What the caller reports at the end. Owned by the caller after run_scan
 * (run_report_free). */
typedef struct run_report {
    campaign *campaign;              /* the loaded campaign (names of the scan and its targets); may be NULL */
    char scan_id[160];
    char checkpoint_path[4096];      /* "" without a state directory */
    scan_counters counters;
    scan_delivery delivery;
    double elapsed;                  /* seconds */
    bool started;                    /* the workers ran (counters and delivery are meaningful) */
    bool interrupted;
    bool outside_window;             /* today is outside the campaign's window */
    scan_error start_error;          /* with RUN_ERROR_START */
    diagnostics diagnostics;         /* the mistakes behind RUN_ERROR_CAMPAIGN and RUN_ERROR_RULES */
} run_report;

/* Runs the whole scan. Returns RUN_OK when it ran to its end or to a stop
 * (whether every flag reached Redis is in report->delivery), else why it
 * could not start, with a message in `error`. Always fills *report (free it
 * with run_report_free). */
run_error run_scan(const run_config *config, run_report *report, char *error, size_t error_size);
void run_report_free(run_report *report);

#endif
