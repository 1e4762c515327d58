/* lscan scan: a campaign crawled into Redis (scanner/pipeline/run.h does the
 * work; this file reads the options, shows the progress and the summary,
 * serves the metrics and turns the outcome into an exit status). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "scanner/cli/cli.h"
#include "scanner/cli/terminal.h"
#include "scanner/extract/extract_html.h"
#include "scanner/pipeline/run.h"
#include "workers/metrics.h"

/* Set by the signal handlers, read by the scan loop: the only state shared
 * with a signal handler. */
static volatile sig_atomic_t interrupts, reloads;

static void on_hangup(int signal_number)
{
    (void)signal_number;
    reloads++;
}

static void on_interrupt(int signal_number)
{
    (void)signal_number;
    if (++interrupts >= 2)
        _exit(130); /* a second interrupt: leave at once */
}

typedef struct scan_log {
    pthread_mutex_t lock;   /* guards stderr between workers and the progress line */
    bool terminal;
    bool json;              /* --log-format json: one JSON object per line */
    bool line_open;         /* a progress line is on screen without its newline */
} scan_log;

static void scan_log_line(void *ctx, const char *line)
{
    scan_log *log = ctx;
    bytebuf safe;
    bytebuf_init(&safe, 4096);
    if (log->json) {
        char when[32];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        bytebuf_printf(&safe, "{\"ts\":\"%s\",\"level\":\"info\",\"msg\":", when);
        bytebuf_append_json_string(&safe, line, strlen(line));
        bytebuf_append_char(&safe, '}');
    } else {
        terminal_safe_append(&safe, line, strlen(line));
    }
    pthread_mutex_lock(&log->lock);
    fprintf(stderr, "%s%s%s\n", log->line_open ? "\r\033[K" : "", log->json ? "" : "lscan: ", safe.data ? safe.data : "");
    log->line_open = false;
    pthread_mutex_unlock(&log->lock);
    bytebuf_free(&safe);
}

static void write_metrics(void *ctx, bytebuf *out)
{
    scan_write_metrics(ctx, out);
}

static void format_duration(double seconds, char *out, size_t size)
{
    long s = (long)seconds;
    if (s >= 3600)
        snprintf(out, size, "%ldh%02ldm%02lds", s / 3600, s / 60 % 60, s % 60);
    else if (s >= 60)
        snprintf(out, size, "%ldm%02lds", s / 60, s % 60);
    else
        snprintf(out, size, "%.1fs", seconds);
}

static void progress(scan *sc, scan_log *log, double elapsed)
{
    const scan_counters *c = scan_get_counters(sc);
    frontier_stats fs;
    scan_frontier_stats(sc, &fs);
    uint64_t pages = atomic_load(&c->pages), errors = 0;
    for (int e = 0; e < FETCH_ERROR_COUNT; e++)
        errors += atomic_load(&c->errors[e]);
    double rate = elapsed > 0 ? (double)pages / elapsed : 0;
    char when[32], eta[48] = "";
    format_duration(elapsed, when, sizeof when);
    uint64_t left = fs.queued + fs.delayed + fs.in_flight;
    bool spooling = false;
    uint64_t spool = scan_spool_bytes(sc, &spooling);
    char spool_text[160] = "";
    if (spool || spooling)
        snprintf(spool_text, sizeof spool_text, ", %sspool %.1f MB", spooling ? "Redis away: " : "", (double)spool / 1e6);
    char classes[256] = "";
    size_t used = 0;
    for (int e = 0; e < FETCH_ERROR_COUNT && used < sizeof classes - 32; e++)
        if (atomic_load(&c->errors[e]))
            used += (size_t)snprintf(classes + used, sizeof classes - used, "%s%s %llu", used ? ", " : " (",
                                     fetch_error_name((fetch_error)e), (unsigned long long)atomic_load(&c->errors[e]));
    if (used)
        snprintf(classes + used, sizeof classes - used, ")");
    if (log->json) {
        pthread_mutex_lock(&log->lock);
        fprintf(stderr, "{\"level\":\"info\",\"event\":\"progress\",\"seconds\":%.1f,\"pages\":%llu,\"listings\":%llu,"
                        "\"flags\":%llu,\"errors\":%llu,\"retries\":%llu,\"frontier\":%llu}\n",
                elapsed, (unsigned long long)pages, (unsigned long long)atomic_load(&c->listings),
                (unsigned long long)atomic_load(&c->flags), (unsigned long long)errors,
                (unsigned long long)atomic_load(&c->retries), (unsigned long long)left);
        pthread_mutex_unlock(&log->lock);
        return;
    }
    pthread_mutex_lock(&log->lock);
    fprintf(stderr, "%s%llu pages (%.0f/s), %llu listings (%.0f/s), %llu flags, %llu errors%s, %llu retries, "
                    "frontier %llu%s, %s%s%s",
            log->terminal ? "\r\033[K" : "lscan: ", (unsigned long long)pages, rate,
            (unsigned long long)atomic_load(&c->listings), elapsed > 0 ? (double)atomic_load(&c->listings) / elapsed : 0,
            (unsigned long long)atomic_load(&c->flags), (unsigned long long)errors, classes,
            (unsigned long long)atomic_load(&c->retries), (unsigned long long)left, spool_text, when, eta,
            log->terminal ? "" : "\n");
    log->line_open = log->terminal;
    pthread_mutex_unlock(&log->lock);
}

static void summary(const campaign *cmp, const scan_counters *c, const scan_delivery *d, double elapsed,
                    const char *scan_id, FILE *out, bool json)
{
    uint64_t pages = atomic_load(&c->pages), listings = atomic_load(&c->listings);
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    double peak_rss_mb = (double)usage.ru_maxrss / 1024.0; /* KiB on Linux */
    if (json) {
        bytebuf b;
        bytebuf_init(&b, 0);
        bytebuf_printf(&b, "{\"peak_rss_mb\":%.1f,\"scan_id\":", peak_rss_mb);
        bytebuf_append_json_string(&b, scan_id, strlen(scan_id));
        bytebuf_append_string(&b, ",\"campaign\":");
        bytebuf_append_json_string(&b, cmp->name, strlen(cmp->name));
        bytebuf_printf(&b, ",\"seconds\":%.3f,\"pages\":%llu,\"listings\":%llu,"
                           "\"duplicate_listings\":%llu,\"bad_listings\":%llu,\"flags\":%llu,\"flags_new\":%llu,"
                           "\"flags_already_known\":%llu,\"flags_spooled\":%llu,\"flags_replayed\":%llu,"
                           "\"flags_cut\":%llu,\"flags_not_accepted\":%llu,\"flags_waiting_in_spool\":%llu,"
                           "\"flags_lost\":%llu,\"pages_json_repaired\":%llu,\"json_repairs\":%llu,"
                           "\"links_offsite\":%llu,\"retries\":%llu,\"pages_given_up\":%llu,\"bytes\":%llu,",
                       elapsed, (unsigned long long)pages, (unsigned long long)listings,
                       (unsigned long long)atomic_load(&c->duplicate_listings),
                       (unsigned long long)atomic_load(&c->bad_listings), (unsigned long long)atomic_load(&c->flags),
                       (unsigned long long)atomic_load(&c->flags_new), (unsigned long long)atomic_load(&c->flags_known),
                       (unsigned long long)atomic_load(&c->flags_spooled),
                       (unsigned long long)atomic_load(&c->flags_replayed),
                       (unsigned long long)atomic_load(&c->flags_cut),
                       (unsigned long long)atomic_load(&c->sink_failures), (unsigned long long)d->waiting,
                       (unsigned long long)d->lost, (unsigned long long)atomic_load(&c->pages_json_repaired),
                       (unsigned long long)atomic_load(&c->json_repairs),
                       (unsigned long long)atomic_load(&c->links_offsite), (unsigned long long)atomic_load(&c->retries),
                       (unsigned long long)atomic_load(&c->given_up), (unsigned long long)atomic_load(&c->bytes));
        bytebuf_printf(&b, "\"screenshots\":%llu,\"screenshot_failures\":%llu,",
                       (unsigned long long)atomic_load(&c->screenshots),
                       (unsigned long long)atomic_load(&c->screenshot_failures));
        bytebuf_printf(&b, "\"pages_archived\":%llu,\"archive_failures\":%llu,\"warc_bytes\":%llu,",
                       (unsigned long long)atomic_load(&c->pages_captured),
                       (unsigned long long)atomic_load(&c->capture_failures),
                       (unsigned long long)atomic_load(&c->warc_bytes));
        bytebuf_append_string(&b, "\"items_dropped\":{");
        for (int k = 0; k < ITEM_DROP_COUNT; k++)
            bytebuf_printf(&b, "%s\"%s\":%llu", k ? "," : "", item_drop_name((item_drop)k),
                           (unsigned long long)atomic_load(&c->items_dropped[k]));
        bytebuf_append_string(&b, "},");
        bytebuf_printf(&b, "\"listing_urls_offsite\":%llu,\"charset\":{\"converted\":%llu,\"wrong\":%llu,"
                           "\"unknown\":%llu},\"robots\":{\"disallowed\":%llu,\"unreachable\":%llu,\"ignored_by\":[",
                       (unsigned long long)atomic_load(&c->listing_urls_offsite),
                       (unsigned long long)atomic_load(&c->pages_charset_converted),
                       (unsigned long long)atomic_load(&c->pages_charset_wrong),
                       (unsigned long long)atomic_load(&c->pages_charset_unknown),
                       (unsigned long long)atomic_load(&c->robots_disallowed),
                       (unsigned long long)atomic_load(&c->robots_unreachable));
        bool first = true;
        for (size_t t = 0; t < cmp->target_count; t++) {
            if (!cmp->targets[t].robots_ignore)
                continue;
            bytebuf_append_string(&b, first ? "{\"target\":" : ",{\"target\":");
            bytebuf_append_json_string(&b, cmp->targets[t].name, strlen(cmp->targets[t].name));
            bytebuf_append_string(&b, ",\"reason\":");
            bytebuf_append_json_string(&b, cmp->targets[t].robots_reason, strlen(cmp->targets[t].robots_reason));
            bytebuf_append_char(&b, '}');
            first = false;
        }
        bytebuf_append_string(&b, "]},\"delivery_problem\":");
        bytebuf_append_json_string(&b, d->cause, strlen(d->cause));
        bytebuf_append_string(&b, ",\"flags_by_kind\":{");
        for (int k = 0; k < RULE_KIND_COUNT; k++)
            bytebuf_printf(&b, "%s\"%s\":%llu", k ? "," : "", rule_kind_name((rule_kind)k),
                           (unsigned long long)atomic_load(&c->flags_by_kind[k]));
        bytebuf_append_string(&b, "},\"flags_by_target\":{");
        for (size_t t = 0; t < cmp->target_count && t < SCAN_MAX_TARGETS; t++) {
            if (t)
                bytebuf_append_char(&b, ',');
            bytebuf_append_json_string(&b, cmp->targets[t].name, strlen(cmp->targets[t].name));
            bytebuf_printf(&b, ":%llu", (unsigned long long)atomic_load(&c->flags_by_target[t]));
        }
        bytebuf_append_string(&b, "},\"errors\":{");
        for (int e = 0; e < FETCH_ERROR_COUNT; e++)
            bytebuf_printf(&b, "%s\"%s\":%llu", e ? "," : "", fetch_error_name((fetch_error)e),
                           (unsigned long long)atomic_load(&c->errors[e]));
        bytebuf_append_string(&b, "},\"given_up\":{");
        for (int e = 0; e < FETCH_ERROR_COUNT; e++)
            bytebuf_printf(&b, "%s\"%s\":%llu", e ? "," : "", fetch_error_name((fetch_error)e),
                           (unsigned long long)atomic_load(&c->given_up_by[e]));
        bytebuf_append_string(&b, "}}\n");
        fwrite(b.data, 1, b.length, out);
        bytebuf_free(&b);
        return;
    }
    char when[32];
    format_duration(elapsed, when, sizeof when);
    fprintf(out, "lscan scan %s (%s): %llu pages, %llu listings (%llu seen again), %llu flags "
                 "(%llu new in Redis, %llu already there) in %s; %.0f pages/s, %.0f listings/s\n",
            scan_id, cmp->name, (unsigned long long)pages, (unsigned long long)listings,
            (unsigned long long)atomic_load(&c->duplicate_listings), (unsigned long long)atomic_load(&c->flags),
            (unsigned long long)atomic_load(&c->flags_new), (unsigned long long)atomic_load(&c->flags_known), when,
            elapsed > 0 ? (double)pages / elapsed : 0, elapsed > 0 ? (double)listings / elapsed : 0);
    fprintf(out, "  peak memory (RSS): %.1f MB\n", peak_rss_mb);
    fprintf(out, "  flags by kind:");
    for (int k = 0; k < RULE_KIND_COUNT; k++)
        if (atomic_load(&c->flags_by_kind[k]))
            fprintf(out, " %s %llu", rule_kind_name((rule_kind)k), (unsigned long long)atomic_load(&c->flags_by_kind[k]));
    fprintf(out, "\n  flags by target:");
    for (size_t t = 0; t < cmp->target_count && t < SCAN_MAX_TARGETS; t++)
        fprintf(out, " %s %llu", cmp->targets[t].name, (unsigned long long)atomic_load(&c->flags_by_target[t]));
    if (atomic_load(&c->pages_captured) || atomic_load(&c->capture_failures))
        fprintf(out, "\n  evidence: %llu pages archived (%.1f MB of WARC)",
                (unsigned long long)atomic_load(&c->pages_captured), (double)atomic_load(&c->warc_bytes) / 1e6);
    if (atomic_load(&c->capture_failures))
        fprintf(out, "; NOT archived: %llu (their flags carry warc: null)",
                (unsigned long long)atomic_load(&c->capture_failures));
    if (atomic_load(&c->screenshots) || atomic_load(&c->screenshot_failures))
        fprintf(out, "; screenshots %llu (%llu failed)", (unsigned long long)atomic_load(&c->screenshots),
                (unsigned long long)atomic_load(&c->screenshot_failures));
    if (atomic_load(&c->flags_cut))
        fprintf(out, "\n  flags cut to fit (overlong listing text, named in each flag's \"cut\"): %llu",
                (unsigned long long)atomic_load(&c->flags_cut));
    if (atomic_load(&c->flags_spooled) || atomic_load(&c->flags_replayed))
        fprintf(out, "\n  Redis outage: %llu flags went to the spool, %llu replayed from it",
                (unsigned long long)atomic_load(&c->flags_spooled), (unsigned long long)atomic_load(&c->flags_replayed));
    if (d->waiting || d->lost || atomic_load(&c->sink_failures))
        fprintf(out, "\n  NOT in Redis: %llu flags wait in the spool, %llu lost (%llu not accepted by the sink)",
                (unsigned long long)d->waiting, (unsigned long long)d->lost,
                (unsigned long long)atomic_load(&c->sink_failures));
    if (atomic_load(&c->pages_json_repaired))
        fprintf(out, "\n  pages with bad JSON escapes repaired (lone surrogates, NUL): %llu (%llu escapes)",
                (unsigned long long)atomic_load(&c->pages_json_repaired), (unsigned long long)atomic_load(&c->json_repairs));
    if (atomic_load(&c->bad_listings))
        fprintf(out, "\n  listings refused (a required field missing or of the wrong type): %llu",
                (unsigned long long)atomic_load(&c->bad_listings));
    if (atomic_load(&c->links_offsite))
        fprintf(out, "\n  links refused, off the targets' hosts: %llu", (unsigned long long)atomic_load(&c->links_offsite));
    uint64_t dropped = 0;
    for (int k = 0; k < ITEM_DROP_COUNT; k++)
        dropped += atomic_load(&c->items_dropped[k]);
    if (dropped) {
        fprintf(out, "\n  marketplace items that gave no listing:");
        for (int k = 0; k < ITEM_DROP_COUNT; k++)
            if (atomic_load(&c->items_dropped[k]))
                fprintf(out, " %s %llu", item_drop_name((item_drop)k),
                        (unsigned long long)atomic_load(&c->items_dropped[k]));
    }
    if (atomic_load(&c->listing_urls_offsite))
        fprintf(out, "\n  listings whose url is off the targets' hosts (kept, not fetched): %llu",
                (unsigned long long)atomic_load(&c->listing_urls_offsite));
    if (atomic_load(&c->pages_charset_converted) || atomic_load(&c->pages_charset_wrong) ||
        atomic_load(&c->pages_charset_unknown))
        fprintf(out, "\n  pages and JSON responses converted to UTF-8: %llu; declared charset wrong: %llu; unknown charset: %llu",
                (unsigned long long)atomic_load(&c->pages_charset_converted),
                (unsigned long long)atomic_load(&c->pages_charset_wrong),
                (unsigned long long)atomic_load(&c->pages_charset_unknown));
    if (atomic_load(&c->robots_disallowed) || atomic_load(&c->robots_unreachable))
        fprintf(out, "\n  URLs not fetched because of robots.txt: %llu disallowed, %llu with robots.txt unreachable",
                (unsigned long long)atomic_load(&c->robots_disallowed),
                (unsigned long long)atomic_load(&c->robots_unreachable));
    for (size_t t = 0; t < cmp->target_count; t++)
        if (cmp->targets[t].robots_ignore)
            fprintf(out, "\n  robots.txt IGNORED for %s: %s", cmp->targets[t].name, cmp->targets[t].robots_reason);
    fprintf(out, "\n  failed attempts:");
    uint64_t any = 0;
    for (int e = 0; e < FETCH_ERROR_COUNT; e++)
        if (atomic_load(&c->errors[e])) {
            fprintf(out, " %s %llu", fetch_error_name((fetch_error)e), (unsigned long long)atomic_load(&c->errors[e]));
            any++;
        }
    fprintf(out, "%s; retries %llu; pages given up %llu", any ? "" : " none", (unsigned long long)atomic_load(&c->retries),
            (unsigned long long)atomic_load(&c->given_up));
    for (int e = 0; e < FETCH_ERROR_COUNT; e++)
        if (atomic_load(&c->given_up_by[e]))
            fprintf(out, " (%s %llu)", fetch_error_name((fetch_error)e), (unsigned long long)atomic_load(&c->given_up_by[e]));
    fprintf(out, "\n");
}

typedef struct scan_view {
    scan_log log;
    bool quiet;
    double last_line;
    const char *metrics_address;
    metrics_server *metrics;
} scan_view;

static void view_started(void *ctx, scan *sc)
{
    scan_view *v = ctx;
    if (!v->metrics_address)
        return;
    char error[512], line[700];
    v->metrics = metrics_start(v->metrics_address, write_metrics, sc, error, sizeof error);
    if (v->metrics)
        snprintf(line, sizeof line, "metrics on http://%.*s:%u/metrics",
                 (int)(strrchr(v->metrics_address, ':') - v->metrics_address), v->metrics_address,
                 metrics_port(v->metrics));
    else
        snprintf(line, sizeof line, "metrics: %s (the scan goes on without them)", error);
    scan_log_line(&v->log, line);
}

static void view_tick(void *ctx, scan *sc, double elapsed)
{
    scan_view *v = ctx;
    if (!v->quiet && (v->log.terminal || elapsed - v->last_line >= 5)) {
        progress(sc, &v->log, elapsed);
        v->last_line = elapsed;
    }
}

static void view_stopping(void *ctx, scan *sc)
{
    (void)sc;
    scan_view *v = ctx;
    metrics_stop(v->metrics);
    v->metrics = NULL;
}

static void view_log(void *ctx, const char *line)
{
    scan_view *v = ctx;
    scan_log_line(&v->log, line);
}

enum { OPT_REDIS_USER = 256, OPT_PASSWORD_FILE, OPT_CHECKPOINT_MS, OPT_LOG_FORMAT, OPT_STATE_DIR, OPT_RESUME,
       OPT_JSON_SUMMARY, OPT_METRICS, OPT_SCAN_ID, OPT_EVIDENCE, OPT_EVIDENCE_DIR };

static const cli_option scan_options[] = {
    {"campaign", 'c', "FILE", "the campaign (docs/campaigns.md); required"},
    {"redis", 'R', "URL", "redis://HOST[:PORT][/DB], instead of the campaign's"},
    {"threads", 't', "N", "worker threads, 1..256 (default: every core)"},
    {"rules", 'r', "PACK", "rule packs instead of the campaign's (repeatable)"},
    {"scan-id", OPT_SCAN_ID, "ID", "the scan's name (default: the campaign's name and the UTC time)"},
    {"lang", 'l', "vi|en", "the language of the explanations (default vi)"},
    {"quiet", 'q', NULL, "no progress line"},
    {"json-summary", OPT_JSON_SUMMARY, "FILE", "also write the summary as JSON"},
    {"metrics", OPT_METRICS, "IP:PORT", "serve Prometheus metrics at /metrics (port 0 picks one)"},
    {"log-format", OPT_LOG_FORMAT, "text|json", "log lines as text (default) or one JSON object each"},
    {"state-dir", OPT_STATE_DIR, "DIR", "spools and checkpoints (default ./lscan-state; none for no spool)"},
    {"evidence", OPT_EVIDENCE, "flagged|all|none", "which pages to archive as WARC (default: the campaign's, else flagged)"},
    {"evidence-dir", OPT_EVIDENCE_DIR, "DIR", "where the WARC files go (default STATE_DIR/evidence)"},
    {"resume", OPT_RESUME, NULL, "continue from the campaign's checkpoint (or start, with a note)"},
    {"checkpoint-ms", OPT_CHECKPOINT_MS, "N", "write a checkpoint every N ms (default 10000)"},
    {"redis-user", OPT_REDIS_USER, "USER", "the Redis ACL user"},
    {"redis-password-file", OPT_PASSWORD_FILE, "FILE", "read the Redis password from FILE (or LSCAN_REDIS_PASSWORD)"},
    {0}};

static int command_scan(const cli_command *self, int argc, char **argv)
{
    struct option longs[CLI_MAX_OPTIONS];
    char shorts[3 * CLI_MAX_OPTIONS + 2];
    cli_getopt_tables(self, longs, shorts);
    run_config config = {.state_dir = "lscan-state", .checkpoint_ms = 10000, .language = FLAG_LANGUAGE_VIETNAMESE,
                         .software = "lscan " LSCAN_VERSION};
    const char *rule_paths[64], *json_summary = NULL;
    size_t rule_count = 0;
    bool json_log = false;
    scan_view view = {.quiet = false};
    long number;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        switch (c) {
        case 'c': config.campaign_path = optarg; break;
        case 'R': config.redis_url = optarg; break;
        case 't':
            if (!cli_number(self, "threads", optarg, 1, 256, &number))
                return EXIT_USAGE;
            config.threads = (unsigned)number;
            break;
        case 'r':
            if (rule_count == 64) {
                fprintf(stderr, "lscan: scan: at most 64 --rules\n");
                return EXIT_USAGE;
            }
            rule_paths[rule_count++] = optarg;
            break;
        case OPT_SCAN_ID: config.scan_id = optarg; break;
        case OPT_EVIDENCE:
            if (strcmp(optarg, "flagged") && strcmp(optarg, "all") && strcmp(optarg, "none")) {
                fprintf(stderr, "lscan: scan: --evidence must be flagged, all or none\n");
                return EXIT_USAGE;
            }
            config.evidence = optarg;
            break;
        case OPT_EVIDENCE_DIR: config.evidence_dir = optarg; break;
        case 'l':
            if (!cli_language(optarg, &config.language)) {
                fprintf(stderr, "lscan: scan: --lang must be vi or en\n");
                return EXIT_USAGE;
            }
            break;
        case 'q': view.quiet = true; break;
        case OPT_JSON_SUMMARY: json_summary = optarg; break;
        case OPT_METRICS: view.metrics_address = optarg; break;
        case OPT_STATE_DIR: config.state_dir = strcmp(optarg, "none") ? optarg : NULL; break;
        case OPT_RESUME: config.resume = true; break;
        case OPT_REDIS_USER: config.redis_user = optarg; break;
        case OPT_PASSWORD_FILE: config.redis_password_file = optarg; break;
        case OPT_CHECKPOINT_MS:
            if (!cli_number(self, "checkpoint-ms", optarg, 100, 86400000, &config.checkpoint_ms))
                return EXIT_USAGE;
            break;
        case OPT_LOG_FORMAT:
            if (strcmp(optarg, "text") && strcmp(optarg, "json")) {
                fprintf(stderr, "lscan: scan: --log-format must be text or json\n");
                return EXIT_USAGE;
            }
            json_log = !strcmp(optarg, "json");
            break;
        case 'h': cli_usage(self, stdout); return EXIT_OK;
        default: return cli_bad_usage(self);
        }
    }
    if (!config.campaign_path || optind < argc) {
        fprintf(stderr, "lscan: scan: give --campaign FILE%s%s\n", optind < argc ? "; unexpected " : "",
                optind < argc ? argv[optind] : "");
        return EXIT_USAGE;
    }
    if (config.resume && !config.state_dir) {
        fprintf(stderr, "lscan: scan: --resume needs a state directory (not --state-dir none)\n");
        return EXIT_USAGE;
    }
    config.rule_paths = rule_paths;
    config.rule_path_count = rule_count;
    if (!(config.normalizer = cli_normalizer()))
        return EXIT_RUNTIME;
    view.log = (scan_log){.terminal = isatty(2) != 0 && !json_log, .json = json_log};
    pthread_mutex_init(&view.log.lock, NULL);
    config.log = view_log;
    config.started = view_started;
    config.tick = view_tick;
    config.stopping = view_stopping;
    config.ctx = &view;
    config.interrupts = &interrupts;
    config.reloads = &reloads;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    extract_html_init();
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_interrupt;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    action.sa_handler = on_hangup;
    sigaction(SIGHUP, &action, NULL);
    signal(SIGPIPE, SIG_IGN);

    run_report report;
    char error[1024];
    run_error e = run_scan(&config, &report, error, sizeof error);
    int status = EXIT_OK;
    if (e != RUN_OK) {
        cli_print_diagnostics(&report.diagnostics);
        fprintf(stderr, "lscan: %s%s\n", e == RUN_ERROR_CAMPAIGN || e == RUN_ERROR_RULES ? "" : "scan: ", error);
        status = e == RUN_ERROR_START && report.start_error != SCAN_ERROR_CAMPAIGN_CHANGED ? EXIT_RUNTIME
                 : e == RUN_ERROR_MEMORY                                                     ? EXIT_RUNTIME
                                                                                             : EXIT_USAGE;
        goto done;
    }
    if (view.log.line_open)
        fputc('\n', stderr);
    summary(report.campaign, &report.counters, &report.delivery, report.elapsed, report.scan_id, stderr, json_log);
    if (json_summary) {
        FILE *f = fopen(json_summary, "w");
        if (!f) {
            fprintf(stderr, "lscan: scan: cannot write %s: %s\n", json_summary, strerror(errno));
            status = EXIT_RUNTIME;
        } else {
            summary(report.campaign, &report.counters, &report.delivery, report.elapsed, report.scan_id, f, true);
            if (fclose(f) != 0) {
                fprintf(stderr, "lscan: scan: cannot write %s: %s\n", json_summary, strerror(errno));
                status = EXIT_RUNTIME;
            }
        }
    }
    /* the exit status tells whether every flag made is in Redis */
    const scan_delivery *delivery = &report.delivery;
    if (delivery->lost) {
        fprintf(stderr, "lscan: scan: %llu flag%s could not be delivered to Redis nor kept in the spool: %s\n",
                (unsigned long long)delivery->lost, delivery->lost == 1 ? "" : "s",
                delivery->cause[0] ? delivery->cause : "unknown cause");
        status = EXIT_RUNTIME;
    } else if (delivery->permanent) {
        fprintf(stderr, "lscan: scan: Redis refused for good, the scan stopped: %s%s\n", delivery->cause,
                delivery->waiting ? " (the flags made are in the spool)" : "");
        status = EXIT_RUNTIME;
    } else if (delivery->waiting) {
        fprintf(stderr, "lscan: scan: %llu flag%s wait in the spool in %s/ (the next scan with this state directory "
                        "replays them): %s\n",
                (unsigned long long)delivery->waiting, delivery->waiting == 1 ? "" : "s",
                config.state_dir ? config.state_dir : "?", delivery->cause[0] ? delivery->cause : "Redis did not confirm them");
        if (status == EXIT_OK)
            status = EXIT_UNDELIVERED;
    }
    if (report.interrupted && status == EXIT_OK)
        status = EXIT_INTERRUPTED;
done:
    run_report_free(&report);
    pthread_mutex_destroy(&view.log.lock);
    curl_global_cleanup();
    return status;
}

const cli_command cli_scan = {"scan", NULL, "crawls the campaign's sites and pushes each suspected violation once into Redis",
                              scan_options, command_scan};
