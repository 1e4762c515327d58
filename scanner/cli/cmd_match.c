/* lscan match: listings (JSON lines) on stdin, one flag per suspected
 * listing on stdout, in input order; batches of lines decided by threads
 * through the one decide step (scanner/pipeline/decide.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scanner/cli/cli.h"
#include "scanner/pipeline/decide.h"
#include "scanner/record/listing.h"

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
    arena lines;            /* the current line's JSON tree, emptied after each line */
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
        arena_reset(&w->lines);
        if (listing_parse_in(&w->lines, line, length, &l, error, sizeof error) < 0) {
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

static const cli_option match_options[] = {
    {"rules", 'r', "PACK", "rule pack file or directory (repeatable; at least one)"},
    {"threads", 't', "N", "worker threads, 1..256 (default: every core)"},
    {"lang", 'l', "vi|en", "the language of the explanation (default vi)"},
    {"backend", 'b', "ac|vectorscan", "the literal matcher (default ac, our Aho-Corasick DFA)"},
    {"quiet", 'q', NULL, "no summary on stderr"},
    {0}};

static int command_match(const cli_command *self, int argc, char **argv)
{
    struct option longs[CLI_MAX_OPTIONS];
    char shorts[3 * CLI_MAX_OPTIONS + 2];
    cli_getopt_tables(self, longs, shorts);
    const char *paths[64];
    size_t path_count = 0;
    long threads = sysconf(_SC_NPROCESSORS_ONLN);
    flag_language language = FLAG_LANGUAGE_VIETNAMESE;
    ruleset_options rules_options = {0};
    bool quiet = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        switch (c) {
        case 'r':
            if (path_count == 64) {
                fprintf(stderr, "lscan: match: at most 64 --rules\n");
                return EXIT_USAGE;
            }
            paths[path_count++] = optarg;
            break;
        case 't':
            if (!cli_number(self, "threads", optarg, 1, 256, &threads))
                return EXIT_USAGE;
            break;
        case 'l':
            if (!cli_language(optarg, &language)) {
                fprintf(stderr, "lscan: match: --lang must be vi or en, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'b':
            if (!cli_backend(optarg, &rules_options.backend)) {
                fprintf(stderr, "lscan: match: --backend must be ac or vectorscan, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'q': quiet = true; break;
        case 'h': cli_usage(self, stdout); return EXIT_OK;
        default: return cli_bad_usage(self);
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
    rules_options.normalizer = cli_normalizer();
    if (!rules_options.normalizer)
        return EXIT_RUNTIME;
    ruleset *rs = cli_load_rules(paths, path_count, &rules_options);
    if (!rs)
        return EXIT_USAGE;
    if (threads < 1)
        threads = 1;
    match_worker *workers = calloc((size_t)threads, sizeof *workers);
    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    cli_line_reader *reader = calloc(1, sizeof *reader);
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
        arena_init(&workers[t].lines);
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
    double started = cli_now_seconds();
    size_t total_listings = 0, total_flagged = 0, total_bad = 0, total_repaired = 0, total_json_repaired = 0,
           total_truncated = 0,
           total_regex = 0, by_kind[RULE_KIND_COUNT] = {0};
    for (bool more = true; more && status == EXIT_OK;) {
        bytebuf_reset(&batch);
        size_t n = 0;
        while (n < BATCH_LINES && batch.length < (64u << 20)) {
            size_t before = batch.length;
            int got = cli_read_line(reader, &batch, LISTING_MAX_LINE, &too_long[n]);
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
    double elapsed = cli_now_seconds() - started;
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
        arena_free(&workers[t].lines);
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

const cli_command cli_match = {"match", "< LISTINGS.jsonl",
                                "reads listings (JSON lines) on stdin, writes one flag per suspected listing on stdout",
                                match_options, command_match};
