/* lscan: the command line. Subcommands are small functions over the
 * library modules; only this file prints. */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rules/base/bytebuf.h"
#include "scanner/pipeline/campaign.h"
#include "scanner/extract/extract_html.h"
#include "scanner/record/flag.h"
#include "scanner/record/listing.h"
#include "rules/loader.h"
#include "workers/metrics.h"
#include "rules/ruleset.h"
#include "scanner/pipeline/decide.h"
#include "scanner/pipeline/scan.h"
#include "scanner/cli/terminal.h"

#define LSCAN_VERSION "0.1.0"

enum exit_code {
    EXIT_OK = 0,          /* done, nothing wrong */
    EXIT_BAD_INPUT = 1,   /* done, but some input lines were bad (match) or tests failed (rules test) */
    EXIT_USAGE = 2,       /* bad command line, or rule packs with mistakes */
    EXIT_RUNTIME = 3,     /* could not finish: out of memory, write error, Redis refused, flags lost */
    EXIT_UNDELIVERED = 4  /* done, but flags wait in the spool: Redis was unreachable or refusing writes at the end */
};

static const char usage_text[] =
    "usage: lscan <command> [options]\n"
    "\n"
    "commands:\n"
    "  scan     --campaign FILE [--redis URL] [--threads N] [--rules PACK ...] [--scan-id ID]\n"
    "           [--lang vi|en] [--quiet] [--json-summary FILE] [--metrics IP:PORT] [--log-format text|json]\n"
    "           [--state-dir DIR] [--resume] [--checkpoint-ms N] [--redis-user USER] [--redis-password-file FILE]\n"
    "           crawls the campaign's sites and pushes each suspected violation once into Redis\n"
    "  match    --rules PACK [--rules PACK ...] [--threads N] [--lang vi|en] [--backend ac|vectorscan]\n"
    "           reads listings (JSON lines) on stdin, writes one flag per suspected listing on stdout\n"
    "  rules check PACK...                 validate rule packs (files or directories)\n"
    "  rules test PACK...                  run the packs' own tests\n"
    "  rules explain --rules PACK [--price N] [--seller-location X] [--seller ID] [--platform P]\n"
    "                [--official] [--livestream] [--category C] [--description TEXT] \"title\"\n"
    "                                      show how each rule judges one listing\n"
    "  review   [FILE]                     print flags (JSON lines) for a person, safely\n"
    "  version                             print the version\n"
    "\n"
    "\n"
    "The Redis password comes from LSCAN_REDIS_PASSWORD, --redis-password-file, or the campaign's\n"
    "redis.password_env / redis.password_file; never from the command line.\n"
    "\n"
    "exit status: 0 ok; 1 some input lines were bad or rule tests failed; 2 bad usage, rule packs or a\n"
    "campaign with mistakes, or a campaign changed since the checkpoint; 3 could not finish (out of\n"
    "memory, write error, Redis refused the password or database, flags lost); 4 done, but flags wait\n"
    "in the spool (Redis unreachable or refusing writes at the end; the next scan replays them);\n"
    "130 a scan stopped by SIGINT (after finishing its transfers and flushing).\n";

static void print_diagnostics(const diagnostics *d)
{
    for (size_t i = 0; i < d->count; i++)
        fprintf(stderr, "lscan: %s\n", d->messages[i]);
    if (d->dropped)
        fprintf(stderr, "lscan: %zu more mistake%s could not be described (out of memory)\n", d->dropped,
                d->dropped == 1 ? "" : "s");
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool parse_backend(const char *name, mpm_backend *out)
{
    if (!strcmp(name, "ac") || !strcmp(name, "aho-corasick"))
        *out = MPM_BACKEND_AHO_CORASICK;
    else if (!strcmp(name, "vectorscan") || !strcmp(name, "hs"))
        *out = MPM_BACKEND_VECTORSCAN;
    else
        return false;
    return true;
}

static bool parse_language(const char *name, flag_language *out)
{
    if (!strcmp(name, "vi"))
        *out = FLAG_LANGUAGE_VIETNAMESE;
    else if (!strcmp(name, "en"))
        *out = FLAG_LANGUAGE_ENGLISH;
    else
        return false;
    return true;
}

/* Prints text line by line, each line without control characters. */
static void print_safe_lines(const bytebuf *text)
{
    bytebuf line;
    bytebuf_init(&line, 0);
    for (size_t i = 0, start = 0; i < text->length; i++) {
        if (text->data[i] != '\n')
            continue;
        bytebuf_reset(&line);
        terminal_safe_append(&line, text->data + start, i - start);
        printf("%s\n", line.data ? line.data : "");
        start = i + 1;
    }
    bytebuf_free(&line);
}

static ruleset *load_rules(const char *const *paths, size_t count, const ruleset_options *options)
{
    diagnostics diag;
    diagnostics_init(&diag);
    ruleset *rs = NULL;
    if (ruleset_load(paths, count, options, &rs, &diag) < 0) {
        print_diagnostics(&diag);
        fprintf(stderr, "lscan: rule packs refused: %zu mistake%s\n", diagnostics_total(&diag),
                diagnostics_total(&diag) == 1 ? "" : "s");
    }
    diagnostics_free(&diag);
    return rs;
}

/* ---- match ------------------------------------------------------------------ */

/* Reads lines of at most `max` bytes; longer lines are cut and marked. */
typedef struct line_reader {
    FILE *f;
    char buffer[1 << 20];
    size_t start, end;
    bool eof;
} line_reader;

/* Appends the next line (without '\n') to `out`, which may already hold
 * earlier lines (a batch): `max` bounds this line alone. Returns 1, or 0 at
 * the end; a longer line is skipped whole and *too_long set. */
static int read_line(line_reader *r, bytebuf *out, size_t max, bool *too_long)
{
    *too_long = false;
    bool any = false;
    const size_t line_start = out->length;
    for (;;) {
        if (r->start == r->end) {
            if (r->eof)
                return any ? 1 : 0;
            r->start = 0;
            r->end = fread(r->buffer, 1, sizeof r->buffer, r->f);
            if (r->end == 0) {
                r->eof = true;
                return any ? 1 : 0;
            }
        }
        any = true;
        char *newline = memchr(r->buffer + r->start, '\n', r->end - r->start);
        size_t n = newline ? (size_t)(newline - (r->buffer + r->start)) : r->end - r->start;
        if (!*too_long) {
            if (n > max - (out->length - line_start)) {
                *too_long = true;
                out->length = line_start; /* the part already taken goes too */
                if (out->data)
                    out->data[line_start] = '\0';
            } else {
                bytebuf_append(out, r->buffer + r->start, n);
            }
        }
        r->start += n + (newline ? 1 : 0);
        if (newline)
            return 1;
    }
}

#define BATCH_LINES 4096

typedef struct match_worker {
    const ruleset *rs;
    decider *decider;
    flag_language language;
    /* the batch: lines [begin, end) of the shared arrays */
    const char *data;
    const size_t *offsets, *lengths;
    const bool *too_long;
    const uint64_t *line_numbers;
    size_t begin, end;
    bytebuf output, errors;
    /* counters of this worker, summed by the main thread after each batch */
    size_t listings, flagged, bad, repaired, json_repaired, truncated, regex_limited, by_kind[RULE_KIND_COUNT];
    bool failed;
} match_worker;

static void *match_worker_run(void *arg)
{
    match_worker *w = arg;
    bytebuf_reset(&w->output);
    bytebuf_reset(&w->errors);
    for (size_t i = w->begin; i < w->end; i++) {
        const char *line = w->data + w->offsets[i];
        size_t length = w->lengths[i];
        size_t blank = 0;
        while (blank < length && (line[blank] == ' ' || line[blank] == '\t' || line[blank] == '\r'))
            blank++;
        if (blank == length && !w->too_long[i])
            continue;
        char error[256];
        listing l;
        if (w->too_long[i]) {
            w->bad++;
            bytebuf_printf(&w->errors, "lscan: line %llu: longer than %zu MiB, skipped\n",
                           (unsigned long long)w->line_numbers[i], LISTING_MAX_LINE >> 20);
            continue;
        }
        if (listing_parse(line, length, &l, error, sizeof error) < 0) {
            w->bad++;
            bytebuf_printf(&w->errors, "lscan: line %llu: %s, skipped\n", (unsigned long long)w->line_numbers[i], error);
            continue;
        }
        w->listings++;
        w->repaired += l.repaired_bytes > 0;
        w->json_repaired += l.json_repairs > 0;
        decision d;
        decide_context context = {.language = w->language};
        if (decide_listing(w->decider, &l, &context, &d) != DECIDE_OK) {
            w->failed = true;
            listing_free(&l);
            break;
        }
        w->truncated += d.result.text_truncated || d.result.hits_truncated;
        w->regex_limited += d.result.regex_limit_hits > 0;
        if (d.flagged) {
            w->flagged++;
            for (size_t k = 0; k < d.result.rule_count; k++)
                w->by_kind[ruleset_rule(w->rs, d.result.rules[k])->kind]++;
            bytebuf_append(&w->output, d.flag, d.flag_length);
            bytebuf_append_char(&w->output, '\n');
        }
        listing_free(&l);
    }
    w->failed |= w->output.overflow;
    return NULL;
}

static int command_match(int argc, char **argv)
{
    static const struct option options[] = {{"rules", required_argument, NULL, 'r'},
                                            {"threads", required_argument, NULL, 't'},
                                            {"lang", required_argument, NULL, 'l'},
                                            {"backend", required_argument, NULL, 'b'},
                                            {"quiet", no_argument, NULL, 'q'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    const char *paths[64];
    size_t path_count = 0;
    long threads = sysconf(_SC_NPROCESSORS_ONLN);
    flag_language language = FLAG_LANGUAGE_VIETNAMESE;
    ruleset_options rules_options = {0};
    bool quiet = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "r:t:l:b:qh", options, NULL)) != -1) {
        switch (c) {
        case 'r':
            if (path_count == 64) {
                fprintf(stderr, "lscan: match: at most 64 --rules\n");
                return EXIT_USAGE;
            }
            paths[path_count++] = optarg;
            break;
        case 't': {
            char *end;
            threads = strtol(optarg, &end, 10);
            if (*end || threads < 1 || threads > 256) {
                fprintf(stderr, "lscan: match: --threads must be 1..256, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        }
        case 'l':
            if (!parse_language(optarg, &language)) {
                fprintf(stderr, "lscan: match: --lang must be vi or en, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'b':
            if (!parse_backend(optarg, &rules_options.backend)) {
                fprintf(stderr, "lscan: match: --backend must be ac or vectorscan, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'q': quiet = true; break;
        case 'h': fputs(usage_text, stdout); return EXIT_OK;
        default: fputs(usage_text, stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "lscan: match: unexpected argument '%s' (listings come on stdin)\n", argv[optind]);
        return EXIT_USAGE;
    }
    if (path_count == 0) {
        fprintf(stderr, "lscan: match: no rules: give --rules PACK (a file or a directory)\n");
        return EXIT_USAGE;
    }
    ruleset *rs = load_rules(paths, path_count, &rules_options);
    if (!rs)
        return EXIT_USAGE;
    if (threads < 1)
        threads = 1;
    match_worker *workers = calloc((size_t)threads, sizeof *workers);
    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    line_reader *reader = calloc(1, sizeof *reader);
    size_t *offsets = calloc(BATCH_LINES, sizeof *offsets), *lengths = calloc(BATCH_LINES, sizeof *lengths);
    uint64_t *numbers = calloc(BATCH_LINES, sizeof *numbers);
    bool *too_long = calloc(BATCH_LINES, sizeof *too_long);
    int status = EXIT_OK;
    if (!workers || !ids || !reader || !offsets || !lengths || !numbers || !too_long) {
        fprintf(stderr, "lscan: match: out of memory\n");
        status = EXIT_RUNTIME;
        goto done;
    }
    for (long t = 0; t < threads; t++) {
        workers[t].rs = rs;
        workers[t].language = language;
        bytebuf_init(&workers[t].output, 0);
        bytebuf_init(&workers[t].errors, 0);
        if (decide_create(rs, &workers[t].decider) < 0) {
            fprintf(stderr, "lscan: match: out of memory\n");
            status = EXIT_RUNTIME;
            goto done;
        }
    }
    reader->f = stdin;
    bytebuf batch;
    bytebuf_init(&batch, 0);
    uint64_t line_number = 0;
    double started = now_seconds();
    size_t total_listings = 0, total_flagged = 0, total_bad = 0, total_repaired = 0, total_json_repaired = 0,
           total_truncated = 0,
           total_regex = 0, by_kind[RULE_KIND_COUNT] = {0};
    for (bool more = true; more && status == EXIT_OK;) {
        bytebuf_reset(&batch);
        size_t n = 0;
        while (n < BATCH_LINES && batch.length < (64u << 20)) {
            size_t before = batch.length;
            int got = read_line(reader, &batch, LISTING_MAX_LINE, &too_long[n]);
            if (!got) {
                more = false;
                break;
            }
            offsets[n] = before;
            lengths[n] = batch.length - before;
            numbers[n] = ++line_number;
            n++;
        }
        if (ferror(stdin)) {
            fprintf(stderr, "lscan: match: cannot read stdin: %s\n", strerror(errno));
            status = EXIT_RUNTIME;
            break;
        }
        if (batch.overflow) {
            fprintf(stderr, "lscan: match: out of memory\n");
            status = EXIT_RUNTIME;
            break;
        }
        size_t per = (n + (size_t)threads - 1) / (size_t)threads;
        for (long t = 0; t < threads; t++) {
            match_worker *w = &workers[t];
            w->data = batch.data;
            w->offsets = offsets;
            w->lengths = lengths;
            w->too_long = too_long;
            w->line_numbers = numbers;
            w->begin = (size_t)t * per < n ? (size_t)t * per : n;
            w->end = w->begin + per < n ? w->begin + per : n;
            if (threads == 1)
                match_worker_run(w);
            else
                pthread_create(&ids[t], NULL, match_worker_run, w);
        }
        for (long t = 0; t < threads; t++) {
            match_worker *w = &workers[t];
            if (threads > 1)
                pthread_join(ids[t], NULL);
            if (w->failed) {
                fprintf(stderr, "lscan: match: out of memory\n");
                status = EXIT_RUNTIME;
            }
            if (w->output.length && fwrite(w->output.data, 1, w->output.length, stdout) != w->output.length) {
                fprintf(stderr, "lscan: match: cannot write the flags: %s\n", strerror(errno));
                status = EXIT_RUNTIME;
            }
            if (w->errors.length)
                fwrite(w->errors.data, 1, w->errors.length, stderr);
        }
    }
    bytebuf_free(&batch);
    if (fflush(stdout) != 0 && status == EXIT_OK) {
        fprintf(stderr, "lscan: match: cannot write the flags: %s\n", strerror(errno));
        status = EXIT_RUNTIME;
    }
    for (long t = 0; t < threads; t++) {
        match_worker *w = &workers[t];
        total_listings += w->listings;
        total_flagged += w->flagged;
        total_bad += w->bad;
        total_repaired += w->repaired;
        total_json_repaired += w->json_repaired;
        total_truncated += w->truncated;
        total_regex += w->regex_limited;
        for (int k = 0; k < RULE_KIND_COUNT; k++)
            by_kind[k] += w->by_kind[k];
    }
    double elapsed = now_seconds() - started;
    if (!quiet) {
        fprintf(stderr, "lscan match: %zu listings, %zu flagged", total_listings, total_flagged);
        const char *sep = " (";
        for (int k = 0; k < RULE_KIND_COUNT; k++)
            if (by_kind[k]) {
                fprintf(stderr, "%s%s %zu", sep, rule_kind_name((rule_kind)k), by_kind[k]);
                sep = ", ";
            }
        fprintf(stderr, "%s, %zu bad lines, %zu with repaired UTF-8, %zu with repaired JSON escapes, %zu cut at a "
                        "limit, %zu regex runs stopped; %.2f s, %.0f listings/s, %ld threads\n",
                *sep == ',' ? ")" : "", total_bad, total_repaired, total_json_repaired, total_truncated, total_regex,
                elapsed,
                elapsed > 0 ? (double)(total_listings + total_bad) / elapsed : 0.0, threads);
    }
    if (status == EXIT_OK && total_bad)
        status = EXIT_BAD_INPUT;
done:
    for (long t = 0; workers && t < threads; t++) {
        decide_destroy(workers[t].decider);
        bytebuf_free(&workers[t].output);
        bytebuf_free(&workers[t].errors);
    }
    free(workers);
    free(ids);
    free(reader);
    free(offsets);
    free(lengths);
    free(numbers);
    free(too_long);
    ruleset_destroy(rs);
    return status;
}

/* ---- rules ------------------------------------------------------------------- */

static int command_rules_check_or_test(int argc, char **argv, bool test)
{
    if (argc < 1) {
        fprintf(stderr, "lscan: rules %s: give one or more packs (files or directories)\n", test ? "test" : "check");
        return EXIT_USAGE;
    }
    ruleset *rs = load_rules((const char *const *)argv, (size_t)argc, NULL);
    if (!rs)
        return EXIT_USAGE;
    int status = EXIT_OK;
    if (!test) {
        size_t rules = ruleset_rule_count(rs), examples = 0;
        for (size_t i = 0; i < rules; i++)
            examples += ruleset_rule(rs, i)->flag_example_count + ruleset_rule(rs, i)->pass_example_count;
        printf("ok: %zu pack%s, %zu rules, %zu literals, %zu test examples\n", ruleset_pack_count(rs),
               ruleset_pack_count(rs) == 1 ? "" : "s", rules, ruleset_literal_count(rs), examples);
    } else {
        bytebuf report;
        bytebuf_init(&report, 0);
        size_t total = 0, failures = ruleset_run_tests(rs, &report, &total);
        print_safe_lines(&report);
        bytebuf_free(&report);
        printf("rule examples run: %zu, failing: %zu\n", total, failures);
        status = failures ? EXIT_BAD_INPUT : EXIT_OK;
    }
    ruleset_destroy(rs);
    return status;
}

static int command_rules_explain(int argc, char **argv)
{
    static const struct option options[] = {{"rules", required_argument, NULL, 'r'},
                                            {"price", required_argument, NULL, 'p'},
                                            {"seller-location", required_argument, NULL, 'L'},
                                            {"seller", required_argument, NULL, 's'},
                                            {"platform", required_argument, NULL, 'P'},
                                            {"official", no_argument, NULL, 'o'},
                                            {"livestream", no_argument, NULL, 'v'},
                                            {"category", required_argument, NULL, 'c'},
                                            {"description", required_argument, NULL, 'd'},
                                            {"lang", required_argument, NULL, 'l'},
                                            {NULL, 0, NULL, 0}};
    const char *paths[64];
    size_t path_count = 0;
    listing_facts l = {.platform = "cli", .listing_id = "cli"};
    flag_language language = FLAG_LANGUAGE_VIETNAMESE;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "r:p:L:s:P:ovc:d:l:", options, NULL)) != -1) {
        switch (c) {
        case 'r':
            if (path_count < 64)
                paths[path_count++] = optarg;
            break;
        case 'p': {
            char *end;
            l.price = strtod(optarg, &end);
            if (*end || l.price < 0) {
                fprintf(stderr, "lscan: rules explain: --price must be a number of VND, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            l.has_price = true;
            break;
        }
        case 'L': l.seller_location = optarg; break;
        case 's': l.seller_id = optarg; break;
        case 'P': l.platform = optarg; break;
        case 'o': l.seller_official = true; break;
        case 'v': l.is_livestream = true; break;
        case 'c': l.category = optarg; break;
        case 'd':
            l.description = optarg;
            l.description_length = strlen(optarg);
            break;
        case 'l':
            if (!parse_language(optarg, &language)) {
                fprintf(stderr, "lscan: rules explain: --lang must be vi or en\n");
                return EXIT_USAGE;
            }
            break;
        default:
            fputs(usage_text, stderr);
            return EXIT_USAGE;
        }
    }
    if (optind != argc - 1 || path_count == 0) {
        fprintf(stderr, "lscan: rules explain: give --rules PACK and one title text\n");
        return EXIT_USAGE;
    }
    l.title = argv[optind];
    l.title_length = strlen(l.title);
    ruleset *rs = load_rules(paths, path_count, NULL);
    if (!rs)
        return EXIT_USAGE;
    ruleset_scratch *s = NULL;
    int status = EXIT_OK;
    bytebuf out;
    bytebuf_init(&out, 0);
    if (ruleset_scratch_create(rs, &s) < 0 || ruleset_explain(rs, s, &l, &out) < 0) {
        fprintf(stderr, "lscan: rules explain: out of memory\n");
        status = EXIT_RUNTIME;
    } else {
        match_result result;
        ruleset_match(rs, s, &l, &result);
        if (result.rule_count) {
            bytebuf_append_string(&out, "explain: ");
            flag_explain(rs, &l, &result, language, &out);
            bytebuf_append_char(&out, '\n');
        }
        print_safe_lines(&out);
    }
    ruleset_scratch_destroy(s);
    bytebuf_free(&out);
    ruleset_destroy(rs);
    return status;
}

/* ---- review --------------------------------------------------------------------- */

static void print_marked(bytebuf *out, const char *text, const cJSON *hits, const char *field)
{
    size_t at = 0, length = strlen(text);
    const cJSON *hit;
    /* hits come sorted by rule, then by position: walk them in text order */
    size_t starts[64], ends[64], n = 0;
    cJSON_ArrayForEach(hit, hits)
    {
        const cJSON *f = cJSON_GetObjectItem(hit, "field");
        if (!cJSON_IsString(f) || strcmp(f->valuestring, field) || n == 64)
            continue;
        double s = cJSON_GetNumberValue(cJSON_GetObjectItem(hit, "start")),
               e = cJSON_GetNumberValue(cJSON_GetObjectItem(hit, "end"));
        if (s >= 0 && e > s && e <= (double)length) {
            size_t k = n++;
            while (k > 0 && starts[k - 1] > (size_t)s) {
                starts[k] = starts[k - 1];
                ends[k] = ends[k - 1];
                k--;
            }
            starts[k] = (size_t)s;
            ends[k] = (size_t)e;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (starts[i] < at)
            continue;
        terminal_safe_append(out, text + at, starts[i] - at);
        bytebuf_append_string(out, "[");
        terminal_safe_append(out, text + starts[i], ends[i] - starts[i]);
        bytebuf_append_string(out, "]");
        at = ends[i];
    }
    terminal_safe_append(out, text + at, length - at);
}

static int command_review(int argc, char **argv)
{
    FILE *in = stdin;
    if (argc > 1 || (argc == 1 && !strcmp(argv[0], "--help"))) {
        fprintf(stderr, "usage: lscan review [FILE]   (flags as JSON lines; stdin without FILE)\n");
        return argc == 1 ? EXIT_OK : EXIT_USAGE;
    }
    if (argc == 1 && strcmp(argv[0], "-") && !(in = fopen(argv[0], "r"))) {
        fprintf(stderr, "lscan: review: cannot open %s: %s\n", argv[0], strerror(errno));
        return EXIT_USAGE;
    }
    line_reader *reader = calloc(1, sizeof *reader);
    if (!reader)
        return EXIT_RUNTIME;
    reader->f = in;
    bytebuf line, out;
    bytebuf_init(&line, 0);
    bytebuf_init(&out, 0);
    int status = EXIT_OK;
    uint64_t number = 0;
    bool too_long;
    while (read_line(reader, &line, LISTING_MAX_LINE, &too_long)) {
        number++;
        cJSON *flag = too_long ? NULL : cJSON_ParseWithLength(line.data ? line.data : "", line.length);
        bytebuf_reset(&line);
        if (!flag) {
            fprintf(stderr, "lscan: review: line %llu is not a flag, skipped\n", (unsigned long long)number);
            status = EXIT_BAD_INPUT;
            continue;
        }
        const cJSON *listing = cJSON_GetObjectItem(flag, "listing"), *rules = cJSON_GetObjectItem(flag, "rules");
        const char *title = cJSON_GetStringValue(cJSON_GetObjectItem(listing, "title"));
        bytebuf_reset(&out);
        const char *sev = cJSON_GetStringValue(cJSON_GetObjectItem(flag, "severity"));
        bytebuf_append_string(&out, "[");
        terminal_safe_append(&out, sev ? sev : "?", sev ? strlen(sev) : 1);
        bytebuf_append_string(&out, "]");
        const cJSON *r;
        cJSON_ArrayForEach(r, rules)
        {
            const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(r, "id"));
            bytebuf_append_char(&out, ' ');
            terminal_safe_append(&out, id ? id : "?", id ? strlen(id) : 1);
        }
        const char *fields[] = {"platform", "listing_id"};
        for (int i = 0; i < 2; i++) {
            const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(listing, fields[i]));
            bytebuf_append_string(&out, i ? " " : "  ");
            terminal_safe_append(&out, v ? v : "?", v ? strlen(v) : 1);
        }
        bytebuf_append_string(&out, "\n  title: ");
        if (title)
            print_marked(&out, title, cJSON_GetObjectItem(flag, "hits"), "title");
        const char *explain = cJSON_GetStringValue(cJSON_GetObjectItem(flag, "explain"));
        bytebuf_append_string(&out, "\n  why:   ");
        if (explain)
            terminal_safe_append(&out, explain, strlen(explain));
        bytebuf_append_char(&out, '\n');
        fwrite(out.data, 1, out.length, stdout);
        cJSON_Delete(flag);
    }
    if (in != stdin)
        fclose(in);
    free(reader);
    bytebuf_free(&line);
    bytebuf_free(&out);
    return status;
}


/* ---- scan ------------------------------------------------------------------------- */

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
        bytebuf_append_string(&b, "\"delivery_problem\":");
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

/* Reads a secret: the first line of a file, without its line end. NULL
 * (with a message) when it cannot be read or is empty. The caller wipes and
 * frees it. */
static char *read_secret_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "lscan: scan: cannot read the Redis password file %s: %s\n", path, strerror(errno));
        return NULL;
    }
    char line[1024];
    char *got = fgets(line, sizeof line, f);
    fclose(f);
    size_t n = got ? strcspn(line, "\r\n") : 0;
    line[n] = '\0';
    if (!n) {
        fprintf(stderr, "lscan: scan: the Redis password file %s is empty\n", path);
        return NULL;
    }
    char *secret = strdup(line);
    memset(line, 0, sizeof line);
    return secret;
}

static void wipe_free(char *secret)
{
    if (!secret)
        return;
    for (volatile char *p = secret; *p; p++)
        *p = '\0';
    free(secret);
}

/* The Redis password: LSCAN_REDIS_PASSWORD, --redis-password-file, or the
 * campaign's password_env / password_file, in that order. *failed when one
 * was named but could not be read. */
static char *redis_password(const campaign *cmp, const char *file_option, bool *failed)
{
    *failed = false;
    const char *env = getenv("LSCAN_REDIS_PASSWORD");
    if (env && *env)
        return strdup(env);
    const char *file = file_option ? file_option : cmp->redis_password_file;
    if (file) {
        char *secret = read_secret_file(file);
        *failed = !secret;
        return secret;
    }
    if (cmp->redis_password_env) {
        const char *value = getenv(cmp->redis_password_env);
        if (!value || !*value) {
            fprintf(stderr, "lscan: scan: the campaign takes the Redis password from $%s, which is not set\n",
                    cmp->redis_password_env);
            *failed = true;
            return NULL;
        }
        return strdup(value);
    }
    return NULL;
}

static int command_scan(int argc, char **argv)
{
    static const struct option options[] = {{"campaign", required_argument, NULL, 'c'},
                                            {"redis", required_argument, NULL, 'R'},
                                            {"threads", required_argument, NULL, 't'},
                                            {"rules", required_argument, NULL, 'r'},
                                            {"scan-id", required_argument, NULL, 'i'},
                                            {"lang", required_argument, NULL, 'l'},
                                            {"quiet", no_argument, NULL, 'q'},
                                            {"json-summary", required_argument, NULL, 'j'},
                                            {"metrics", required_argument, NULL, 'm'},
                                            {"log-format", required_argument, NULL, 'F'},
                                            {"state-dir", required_argument, NULL, 'S'},
                                            {"resume", no_argument, NULL, 'Z'},
                                            {"checkpoint-ms", required_argument, NULL, 'K'},
                                            {"redis-user", required_argument, NULL, 'U'},
                                            {"redis-password-file", required_argument, NULL, 'P'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    const char *campaign_path = NULL, *redis = NULL, *scan_id_arg = NULL, *json_summary = NULL, *metrics_address = NULL;
    const char *redis_user = NULL, *password_file = NULL;
    bool json_log = false;
    const char *state_dir = "lscan-state";
    bool resume = false;
    long checkpoint_ms = 10000;
    const char *rule_paths[64];
    size_t rule_count = 0;
    unsigned threads = 0;
    bool quiet = false;
    flag_language language = FLAG_LANGUAGE_VIETNAMESE;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:R:t:r:i:l:qj:m:F:S:ZK:U:P:h", options, NULL)) != -1) {
        switch (c) {
        case 'c': campaign_path = optarg; break;
        case 'R': redis = optarg; break;
        case 't': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || n < 1 || n > 256) {
                fprintf(stderr, "lscan: scan: --threads must be 1..256, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            threads = (unsigned)n;
            break;
        }
        case 'r':
            if (rule_count == 64) {
                fprintf(stderr, "lscan: scan: at most 64 --rules\n");
                return EXIT_USAGE;
            }
            rule_paths[rule_count++] = optarg;
            break;
        case 'i': scan_id_arg = optarg; break;
        case 'l':
            if (!parse_language(optarg, &language)) {
                fprintf(stderr, "lscan: scan: --lang must be vi or en\n");
                return EXIT_USAGE;
            }
            break;
        case 'q': quiet = true; break;
        case 'j': json_summary = optarg; break;
        case 'm': metrics_address = optarg; break;
        case 'S': state_dir = strcmp(optarg, "none") ? optarg : NULL; break;
        case 'Z': resume = true; break;
        case 'U': redis_user = optarg; break;
        case 'P': password_file = optarg; break;
        case 'K': {
            char *end;
            checkpoint_ms = strtol(optarg, &end, 10);
            if (*end || checkpoint_ms < 100 || checkpoint_ms > 86400000) {
                fprintf(stderr, "lscan: scan: --checkpoint-ms must be 100..86400000, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        }
        case 'F':
            if (strcmp(optarg, "text") && strcmp(optarg, "json")) {
                fprintf(stderr, "lscan: scan: --log-format must be text or json\n");
                return EXIT_USAGE;
            }
            json_log = !strcmp(optarg, "json");
            break;
        case 'h': fputs(usage_text, stdout); return EXIT_OK;
        default: fputs(usage_text, stderr); return EXIT_USAGE;
        }
    }
    if (!campaign_path || optind < argc) {
        fprintf(stderr, "lscan: scan: give --campaign FILE%s%s\n", optind < argc ? "; unexpected " : "",
                optind < argc ? argv[optind] : "");
        return EXIT_USAGE;
    }
    if (resume && !state_dir) {
        fprintf(stderr, "lscan: scan: --resume needs a state directory (not --state-dir none)\n");
        return EXIT_USAGE;
    }
    int status = EXIT_OK;
    campaign *cmp = NULL;
    ruleset *rs = NULL;
    char *campaign_dir_copy = NULL, *password = NULL;
    char *resolved[64] = {0};
    bool curl_ready = false, log_ready = false;
    scan_log log = {.terminal = isatty(2) != 0 && !json_log, .json = json_log};

    diagnostics diag;
    diagnostics_init(&diag);
    cmp = campaign_load(campaign_path, &diag);
    if (!cmp) {
        print_diagnostics(&diag);
        fprintf(stderr, "lscan: campaign refused: %zu mistake%s\n", diagnostics_total(&diag),
                diagnostics_total(&diag) == 1 ? "" : "s");
        diagnostics_free(&diag);
        return EXIT_USAGE;
    }
    diagnostics_free(&diag);
    /* the campaign's rule paths are relative to its own folder */
    campaign_dir_copy = strdup(campaign_path);
    if (!campaign_dir_copy) {
        fprintf(stderr, "lscan: scan: out of memory\n");
        status = EXIT_RUNTIME;
        goto done;
    }
    const char *campaign_dir = dirname(campaign_dir_copy);
    if (!rule_count) {
        for (size_t i = 0; i < cmp->rules.count && rule_count < 64; i++) {
            const char *r = cmp->rules.items[i];
            size_t n = strlen(campaign_dir) + strlen(r) + 2;
            if (!(resolved[rule_count] = malloc(n))) {
                fprintf(stderr, "lscan: scan: out of memory\n");
                status = EXIT_RUNTIME;
                goto done;
            }
            if (r[0] == '/')
                snprintf(resolved[rule_count], n, "%s", r);
            else
                snprintf(resolved[rule_count], n, "%s/%s", campaign_dir, r);
            rule_paths[rule_count] = resolved[rule_count];
            rule_count++;
        }
    }
    if (!rule_count) {
        fprintf(stderr, "lscan: scan: no rules: the campaign names none (rules:), give --rules PACK\n");
        status = EXIT_USAGE;
        goto done;
    }
    bool password_failed;
    password = redis_password(cmp, password_file, &password_failed);
    if (password_failed) {
        status = EXIT_USAGE;
        goto done;
    }
    if (!(rs = load_rules(rule_paths, rule_count, NULL))) {
        status = EXIT_USAGE;
        goto done;
    }
    char scan_id[160], today[16];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(today, sizeof today, "%Y-%m-%d", &tm);
    if (scan_id_arg)
        snprintf(scan_id, sizeof scan_id, "%s", scan_id_arg);
    else {
        char stamp[32];
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
        snprintf(scan_id, sizeof scan_id, "%.100s-%s", cmp->name, stamp);
    }
    if (!quiet && ((cmp->window_start && strcmp(today, cmp->window_start) < 0) ||
                   (cmp->window_end && strcmp(today, cmp->window_end) > 0)))
        fprintf(stderr, "lscan: note: today (%s) is outside the campaign window %s..%s\n", today,
                cmp->window_start ? cmp->window_start : "", cmp->window_end ? cmp->window_end : "");

    curl_global_init(CURL_GLOBAL_DEFAULT);
    curl_ready = true;
    extract_html_init();
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_interrupt;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    action.sa_handler = on_hangup;
    sigaction(SIGHUP, &action, NULL);
    signal(SIGPIPE, SIG_IGN);

    pthread_mutex_init(&log.lock, NULL);
    log_ready = true;
    /* the checkpoint of this campaign, in the state directory */
    char checkpoint[4096] = "";
    if (state_dir) {
        size_t o = (size_t)snprintf(checkpoint, sizeof checkpoint, "%s/checkpoint-", state_dir);
        for (const char *p = cmp->name; *p && o + 16 < sizeof checkpoint; p++)
            checkpoint[o++] = (isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.') ? *p : '_';
        snprintf(checkpoint + o, sizeof checkpoint - o, ".bin");
    }
    scan_config config = {.campaign = cmp, .rules = rs, .threads = threads, .redis_url = redis, .scan_id = scan_id,
                          .state_dir = state_dir, .checkpoint_path = state_dir ? checkpoint : NULL, .resume = resume,
                          .language = language, .log = scan_log_line, .log_ctx = &log,
                          .redis_username = redis_user ? redis_user : cmp->redis_user, .redis_password = password};
    char error[512];
    double started = now_seconds();
    scan_error start_error;
    scan *sc = scan_start(&config, &start_error, error, sizeof error);
    if (!sc) {
        fprintf(stderr, "lscan: scan: %s\n", error);
        status = start_error == SCAN_ERROR_CAMPAIGN_CHANGED ? EXIT_USAGE : EXIT_RUNTIME;
        goto done;
    }
    bool stopping = false;
    double last_line = 0;
    metrics_server *metrics = NULL;
    if (metrics_address) {
        metrics = metrics_start(metrics_address, write_metrics, sc, error, sizeof error);
        char line[600];
        if (metrics)
            snprintf(line, sizeof line, "metrics on http://%.*s:%u/metrics",
                     (int)(strrchr(metrics_address, ':') - metrics_address), metrics_address, metrics_port(metrics));
        else
            snprintf(line, sizeof line, "metrics: %s (the scan goes on without them)", error);
        scan_log_line(&log, line);
    }
    /* rule reload (SIGHUP): build the new set beside the old one, publish
     * it, free the old one once every worker has moved over */
    sig_atomic_t reloads_done = 0;
    ruleset *retired = NULL;
    double last_checkpoint = now_seconds();
    if (resume) {
        uint64_t dropped = 0;
        unsigned seeded = 0;
        char line[4400];
        if (scan_resumed(sc, &dropped, &seeded)) {
            frontier_stats fs;
            scan_frontier_stats(sc, &fs);
            snprintf(line, sizeof line, "resuming from %s: %llu pages to fetch, %llu already seen", checkpoint,
                     (unsigned long long)(fs.queued + fs.delayed), (unsigned long long)fs.seen);
            scan_log_line(&log, line);
            if (dropped) {
                snprintf(line, sizeof line, "resume: %llu saved URLs dropped: their targets are no longer in the campaign",
                         (unsigned long long)dropped);
                scan_log_line(&log, line);
            }
            if (seeded) {
                snprintf(line, sizeof line, "resume: %u target%s new since the checkpoint start%s from %s seeds", seeded,
                         seeded == 1 ? "" : "s", seeded == 1 ? "s" : "", seeded == 1 ? "its" : "their");
                scan_log_line(&log, line);
            }
        } else {
            snprintf(line, sizeof line, "note: nothing to resume yet (no %s): starting from the seeds", checkpoint);
            scan_log_line(&log, line);
        }
    }
    while (!scan_wait(sc, 250)) {
        if (state_dir && !stopping && now_seconds() - last_checkpoint >= checkpoint_ms / 1000.0) {
            last_checkpoint = now_seconds();
            char line[700];
            if (scan_checkpoint(sc, error, sizeof error) < 0) {
                snprintf(line, sizeof line, "checkpoint: %s", error);
            } else {
                frontier_stats fs;
                scan_frontier_stats(sc, &fs);
                snprintf(line, sizeof line, "checkpoint saved: %llu pages done, %llu to fetch",
                         (unsigned long long)atomic_load(&scan_get_counters(sc)->pages),
                         (unsigned long long)(fs.queued + fs.delayed + fs.in_flight));
            }
            scan_log_line(&log, line);
        }
        if (retired && scan_rules_moved(sc)) {
            ruleset_destroy(retired);
            retired = NULL;
            scan_log_line(&log, "rules reloaded: every worker uses the new rules");
        }
        if (reloads != reloads_done && !retired) {
            reloads_done = reloads;
            diagnostics d;
            diagnostics_init(&d);
            ruleset *next = NULL;
            char line[1600];
            if (ruleset_load(rule_paths, rule_count, NULL, &next, &d) < 0) {
                for (size_t i = 0; i < d.count; i++) {
                    snprintf(line, sizeof line, "rule reload: %s", d.messages[i]);
                    scan_log_line(&log, line);
                }
                snprintf(line, sizeof line, "rule reload refused (%zu mistake%s): the rules in use stay",
                         diagnostics_total(&d), diagnostics_total(&d) == 1 ? "" : "s");
                scan_log_line(&log, line);
            } else {
                retired = (ruleset *)scan_swap_rules(sc, next);
                rs = next;
                snprintf(line, sizeof line, "rule reload: %zu packs, %zu rules (generation %u)",
                         ruleset_pack_count(next), ruleset_rule_count(next), scan_rules_generation(sc));
                scan_log_line(&log, line);
            }
            diagnostics_free(&d);
        }
        if (interrupts && !stopping) {
            stopping = true;
            scan_stop(sc);
            scan_log_line(&log, "interrupted: finishing the transfers in flight and flushing (again to quit now)");
        }
        double elapsed = now_seconds() - started;
        if (!quiet && (log.terminal || elapsed - last_line >= 5)) {
            progress(sc, &log, elapsed);
            last_line = elapsed;
        }
    }
    metrics_stop(metrics);
    if (state_dir) {
        /* done: nothing to resume; stopped: save where the scan is */
        if (scan_complete(sc)) {
            unlink(checkpoint);
        } else if (scan_checkpoint(sc, error, sizeof error) == 0) {
            char line[4300];
            snprintf(line, sizeof line, "progress saved in %s: continue with --resume", checkpoint);
            scan_log_line(&log, line);
        }
    }
    double elapsed = now_seconds() - started;
    if (!quiet && log.terminal)
        progress(sc, &log, elapsed);
    if (log.line_open)
        fputc('\n', stderr);
    scan_counters copy;
    scan_delivery delivery;
    scan_finish(sc, &copy, &delivery);
    ruleset_destroy(retired); /* the workers are gone */
    summary(cmp, &copy, &delivery, elapsed, scan_id, stderr, json_log);
    if (json_summary) {
        FILE *f = fopen(json_summary, "w");
        if (!f) {
            fprintf(stderr, "lscan: scan: cannot write %s: %s\n", json_summary, strerror(errno));
            status = EXIT_RUNTIME;
        } else {
            summary(cmp, &copy, &delivery, elapsed, scan_id, f, true);
            if (fclose(f) != 0) {
                fprintf(stderr, "lscan: scan: cannot write %s: %s\n", json_summary, strerror(errno));
                status = EXIT_RUNTIME;
            }
        }
    }
    /* the exit status tells whether every flag made is in Redis */
    if (delivery.lost) {
        fprintf(stderr, "lscan: scan: %llu flag%s could not be delivered to Redis nor kept in the spool: %s\n",
                (unsigned long long)delivery.lost, delivery.lost == 1 ? "" : "s",
                delivery.cause[0] ? delivery.cause : "unknown cause");
        status = EXIT_RUNTIME;
    } else if (delivery.permanent) {
        fprintf(stderr, "lscan: scan: Redis refused for good, the scan stopped: %s%s\n", delivery.cause,
                delivery.waiting ? " (the flags made are in the spool)" : "");
        status = EXIT_RUNTIME;
    } else if (delivery.waiting) {
        fprintf(stderr, "lscan: scan: %llu flag%s wait in the spool in %s/ (the next scan with this state directory "
                        "replays them): %s\n",
                (unsigned long long)delivery.waiting, delivery.waiting == 1 ? "" : "s",
                state_dir ? state_dir : "?", delivery.cause[0] ? delivery.cause : "Redis did not confirm them");
        if (status == EXIT_OK)
            status = EXIT_UNDELIVERED;
    }
    if (interrupts && status == EXIT_OK)
        status = 130;
done:
    if (log_ready)
        pthread_mutex_destroy(&log.lock);
    ruleset_destroy(rs);
    for (size_t i = 0; i < 64; i++)
        free(resolved[i]);
    free(campaign_dir_copy);
    wipe_free(password);
    campaign_free(cmp);
    if (curl_ready)
        curl_global_cleanup();
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    const char *command = argv[1];
    if (!strcmp(command, "version") || !strcmp(command, "--version")) {
        printf("lscan %s\n", LSCAN_VERSION);
        return EXIT_OK;
    }
    if (!strcmp(command, "match"))
        return command_match(argc - 1, argv + 1);
    if (!strcmp(command, "scan"))
        return command_scan(argc - 1, argv + 1);
    if (!strcmp(command, "review"))
        return command_review(argc - 2, argv + 2);
    if (!strcmp(command, "rules")) {
        if (argc < 3) {
            fprintf(stderr, "lscan: rules: give check, test or explain\n");
            return EXIT_USAGE;
        }
        if (!strcmp(argv[2], "check"))
            return command_rules_check_or_test(argc - 3, argv + 3, false);
        if (!strcmp(argv[2], "test"))
            return command_rules_check_or_test(argc - 3, argv + 3, true);
        if (!strcmp(argv[2], "explain"))
            return command_rules_explain(argc - 2, argv + 2);
        fprintf(stderr, "lscan: rules: unknown subcommand '%s' (check, test, explain)\n", argv[2]);
        return EXIT_USAGE;
    }
    fprintf(stderr, "lscan: unknown command '%s'\n%s", command, usage_text);
    return EXIT_USAGE;
}
