/* run: see run.h. */
#include "scanner/pipeline/run.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rules/base/error_message.h"
#include "rules/loader.h"
#include "workers/redis.h"

static const char *const run_error_texts[] = {"ok", "the campaign has mistakes", "the rules cannot be loaded",
                                              "the Redis password cannot be read", "the scan cannot start",
                                              "out of memory"};

const char *run_strerror(run_error e)
{
    return (unsigned)e < sizeof run_error_texts / sizeof *run_error_texts ? run_error_texts[e] : "unknown error";
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void say(const run_config *c, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void say(const run_config *c, const char *format, ...)
{
    if (!c->log)
        return;
    char line[4600];
    va_list args;
    va_start(args, format);
    vsnprintf(line, sizeof line, format, args);
    va_end(args);
    c->log(c->ctx, line);
}

/* The Redis password: --redis-password-file (or the campaign's
 * password_file), else the campaign's password_env; LSCAN_REDIS_PASSWORD
 * before both (workers/redis.h). */
static char *redis_password(const run_config *c, const campaign *cmp, bool *failed, char *error, size_t error_size)
{
    const char *file = c->redis_password_file ? c->redis_password_file : cmp->redis_password_file;
    return redis_password_find(file, cmp->redis_password_env, failed, error, error_size);
}

/* Rule paths: the caller's, or the campaign's relative to its folder. */
static int rule_paths(const run_config *c, const campaign *cmp, char **resolved, const char **paths, size_t *count)
{
    *count = 0;
    if (c->rule_path_count) {
        for (size_t i = 0; i < c->rule_path_count && i < 64; i++)
            paths[(*count)++] = c->rule_paths[i];
        return 0;
    }
    char *copy = strdup(c->campaign_path);
    if (!copy)
        return -1;
    const char *folder = dirname(copy);
    for (size_t i = 0; i < cmp->rules.count && *count < 64; i++) {
        const char *r = cmp->rules.items[i];
        size_t n = strlen(folder) + strlen(r) + 2;
        if (!(resolved[*count] = malloc(n))) {
            free(copy);
            return -1;
        }
        if (r[0] == '/')
            snprintf(resolved[*count], n, "%s", r);
        else
            snprintf(resolved[*count], n, "%s/%s", folder, r);
        paths[*count] = resolved[*count];
        (*count)++;
    }
    free(copy);
    return 0;
}

run_error run_scan(const run_config *c, run_report *report, char *error, size_t error_size)
{
    memset(report, 0, sizeof *report);
    diagnostics_init(&report->diagnostics);
    run_error rc = RUN_OK;
    ruleset *rs = NULL, *retired = NULL;
    char *resolved[64] = {0}, *password = NULL;
    const char *paths[64];
    size_t path_count = 0;
    scan *sc = NULL;

    campaign *cmp = campaign_load(c->campaign_path, &report->diagnostics);
    report->campaign = cmp;
    if (!cmp) {
        error_message_set(error, error_size, "campaign refused: %zu mistake%s", diagnostics_total(&report->diagnostics),
                          diagnostics_total(&report->diagnostics) == 1 ? "" : "s");
        return RUN_ERROR_CAMPAIGN;
    }
    if (rule_paths(c, cmp, resolved, paths, &path_count) < 0) {
        error_message_set(error, error_size, "out of memory");
        rc = RUN_ERROR_MEMORY;
        goto done;
    }
    if (!path_count) {
        error_message_set(error, error_size, "no rules: the campaign names none (rules:), give --rules PACK");
        rc = RUN_ERROR_RULES;
        goto done;
    }
    bool password_failed;
    password = redis_password(c, cmp, &password_failed, error, error_size);
    if (password_failed) {
        rc = RUN_ERROR_PASSWORD;
        goto done;
    }
    ruleset_options options = {.normalizer = c->normalizer};
    if (ruleset_load(paths, path_count, &options, &rs, &report->diagnostics) < 0) {
        error_message_set(error, error_size, "rule packs refused: %zu mistake%s", diagnostics_total(&report->diagnostics),
                          diagnostics_total(&report->diagnostics) == 1 ? "" : "s");
        rc = RUN_ERROR_RULES;
        goto done;
    }
    /* the scan's name, and whether today is in the campaign's window */
    char today[16];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(today, sizeof today, "%Y-%m-%d", &tm);
    if (c->scan_id) {
        snprintf(report->scan_id, sizeof report->scan_id, "%s", c->scan_id);
    } else {
        char stamp[32];
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
        snprintf(report->scan_id, sizeof report->scan_id, "%.100s-%s", cmp->name, stamp);
    }
    report->outside_window = (cmp->window_start && strcmp(today, cmp->window_start) < 0) ||
                             (cmp->window_end && strcmp(today, cmp->window_end) > 0);
    if (report->outside_window)
        say(c, "note: today (%s) is outside the campaign window %s..%s", today,
            cmp->window_start ? cmp->window_start : "", cmp->window_end ? cmp->window_end : "");
    /* the checkpoint of this campaign, in the state directory */
    if (c->state_dir) {
        size_t o = (size_t)snprintf(report->checkpoint_path, sizeof report->checkpoint_path, "%s/checkpoint-",
                                    c->state_dir);
        for (const char *p = cmp->name; *p && o + 16 < sizeof report->checkpoint_path; p++)
            report->checkpoint_path[o++] =
                (isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.') ? *p : '_';
        snprintf(report->checkpoint_path + o, sizeof report->checkpoint_path - o, ".bin");
    }
    scan_config config = {.campaign = cmp, .rules = rs, .threads = c->threads, .redis_url = c->redis_url,
                          .scan_id = report->scan_id, .state_dir = c->state_dir,
                          .checkpoint_path = c->state_dir ? report->checkpoint_path : NULL, .resume = c->resume,
                          .language = c->language, .log = c->log, .log_ctx = c->ctx,
                          .redis_username = c->redis_user ? c->redis_user : cmp->redis_user,
                          .redis_password = password, .evidence_dir = c->evidence_dir, .software = c->software};
    if (c->evidence) {
        config.evidence_override = true;
        config.evidence_mode = !strcmp(c->evidence, "all") ? EVIDENCE_ALL : !strcmp(c->evidence, "none") ? EVIDENCE_NONE
                                                                                                          : EVIDENCE_FLAGGED;
    }
    double started = now_seconds();
    sc = scan_start(&config, &report->start_error, error, error_size);
    if (!sc) {
        rc = RUN_ERROR_START;
        goto done;
    }
    report->started = true;
    if (c->started)
        c->started(c->ctx, sc);
    if (c->resume) {
        uint64_t dropped = 0;
        unsigned seeded = 0;
        if (scan_resumed(sc, &dropped, &seeded)) {
            frontier_stats fs;
            scan_frontier_stats(sc, &fs);
            say(c, "resuming from %s: %llu pages to fetch, %llu already seen", report->checkpoint_path,
                (unsigned long long)(fs.queued + fs.delayed), (unsigned long long)fs.seen);
            if (dropped)
                say(c, "resume: %llu saved URLs dropped: their targets are no longer in the campaign",
                    (unsigned long long)dropped);
            if (seeded)
                say(c, "resume: %u target%s new since the checkpoint start%s from %s seeds", seeded,
                    seeded == 1 ? "" : "s", seeded == 1 ? "s" : "", seeded == 1 ? "its" : "their");
        } else {
            say(c, "note: nothing to resume yet (no %s): starting from the seeds", report->checkpoint_path);
        }
    }
    long checkpoint_ms = c->checkpoint_ms > 0 ? c->checkpoint_ms : 10000;
    sig_atomic_t reloads_done = c->reloads ? *c->reloads : 0;
    bool stopping = false;
    double last_checkpoint = now_seconds();
    while (!scan_wait(sc, 250)) {
        if (c->state_dir && !stopping && now_seconds() - last_checkpoint >= checkpoint_ms / 1000.0) {
            last_checkpoint = now_seconds();
            char why[512];
            if (scan_checkpoint(sc, why, sizeof why) < 0) {
                say(c, "checkpoint: %s", why);
            } else {
                frontier_stats fs;
                scan_frontier_stats(sc, &fs);
                say(c, "checkpoint saved: %llu pages done, %llu to fetch",
                    (unsigned long long)atomic_load(&scan_get_counters(sc)->pages),
                    (unsigned long long)(fs.queued + fs.delayed + fs.in_flight));
            }
        }
        /* rule reload: build the new set beside the old one, publish it,
         * free the old one once every worker has moved over */
        if (retired && scan_rules_moved(sc)) {
            ruleset_destroy(retired);
            retired = NULL;
            say(c, "rules reloaded: every worker uses the new rules");
        }
        if (c->reloads && *c->reloads != reloads_done && !retired) {
            reloads_done = *c->reloads;
            diagnostics d;
            diagnostics_init(&d);
            ruleset *next = NULL;
            if (ruleset_load(paths, path_count, &options, &next, &d) < 0) {
                for (size_t i = 0; i < d.count; i++)
                    say(c, "rule reload: %s", d.messages[i]);
                say(c, "rule reload refused (%zu mistake%s): the rules in use stay", diagnostics_total(&d),
                    diagnostics_total(&d) == 1 ? "" : "s");
            } else {
                retired = (ruleset *)scan_swap_rules(sc, next);
                rs = next;
                say(c, "rule reload: %zu packs, %zu rules (generation %u)", ruleset_pack_count(next),
                    ruleset_rule_count(next), scan_rules_generation(sc));
            }
            diagnostics_free(&d);
        }
        if (c->interrupts && *c->interrupts && !stopping) {
            stopping = true;
            report->interrupted = true;
            scan_stop(sc);
            say(c, "interrupted: finishing the transfers in flight and flushing (again to quit now)");
        }
        if (c->tick)
            c->tick(c->ctx, sc, now_seconds() - started);
    }
    if (c->stopping)
        c->stopping(c->ctx, sc);
    if (c->state_dir) {
        /* done: nothing to resume; stopped: save where the scan is */
        char why[512];
        if (scan_complete(sc))
            unlink(report->checkpoint_path);
        else if (scan_checkpoint(sc, why, sizeof why) == 0)
            say(c, "progress saved in %s: continue with --resume", report->checkpoint_path);
    }
    report->elapsed = now_seconds() - started;
    if (c->tick)
        c->tick(c->ctx, sc, report->elapsed);
    scan_finish(sc, &report->counters, &report->delivery);
    sc = NULL;
done:
    ruleset_destroy(retired); /* the workers are gone */
    ruleset_destroy(rs);
    for (size_t i = 0; i < 64; i++)
        free(resolved[i]);
    redis_secret_free(password);
    return rc;
}

void run_report_free(run_report *report)
{
    if (!report)
        return;
    campaign_free(report->campaign);
    diagnostics_free(&report->diagnostics);
    memset(report, 0, sizeof *report);
}
