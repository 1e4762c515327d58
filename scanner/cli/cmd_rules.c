/* lscan rules check|test|explain: validate packs, run their own tests,
 * show how each rule judges one listing. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rules/collisions.h"
#include "rules/ruleset.h"
#include "scanner/cli/cli.h"

#define MAX_CORPUS_FILES 256

static int check_packs(int argc, char **argv, bool test, char **corpus, size_t corpus_count, size_t top);

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* A corpus path: a file, or a folder's *.txt files (sorted). Appends malloc'd paths. */
static int corpus_files(const char *path, char **out, size_t *count)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "lscan: rules check: %s: cannot read it\n", path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (*count < MAX_CORPUS_FILES)
            out[(*count)++] = strdup(path);
        return 0;
    }
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "lscan: rules check: %s: cannot list it\n", path);
        return -1;
    }
    size_t first = *count;
    for (struct dirent *e; (e = readdir(d)) && *count < MAX_CORPUS_FILES;) {
        size_t n = strlen(e->d_name);
        if (n > 4 && !strcmp(e->d_name + n - 4, ".txt")) {
            size_t size = strlen(path) + n + 2;
            char *full = malloc(size);
            if (full)
                snprintf(full, size, "%s/%s", path, e->d_name);
            out[(*count)++] = full;
        }
    }
    closedir(d);
    qsort(out + first, *count - first, sizeof *out, by_name);
    return 0;
}

/* The collision report (docs/rules.md, "Marks"): the worst `top` terms. */
static int print_collisions(const ruleset *rs, char **files, size_t file_count, size_t top)
{
    for (size_t i = 0; i < file_count; i++)
        if (!files[i]) {
            fprintf(stderr, "lscan: rules check: out of memory\n");
            return EXIT_RUNTIME;
        }
    collision_report report;
    char error[512];
    if (collisions_measure(rs, (const char *const *)files, file_count, &report, error, sizeof error) < 0) {
        fprintf(stderr, "lscan: rules check: %s\n", error);
        return EXIT_RUNTIME;
    }
    size_t hit = 0;
    for (size_t i = 0; i < report.count; i++)
        hit += report.terms[i].hits > 0;
    printf("collisions: %zu terms against %llu files, %llu lines, %.1f MB of text; %zu terms hit it.\n"
           "The terms whose hits are most often differently marked words (refused: marked on both sides,"
           " the matcher refuses them; kept: marked on one side only, the matcher cannot tell):\n",
           report.count, (unsigned long long)report.files, (unsigned long long)report.lines,
           (double)report.bytes / 1e6, hit);
    printf("  %6s %6s %7s %6s  %s\n", "other", "hits", "refused", "kept", "term (where): e.g. a text it hit");
    bytebuf line;
    bytebuf_init(&line, 0);
    for (size_t i = 0, shown = 0; i < report.count && shown < top; i++) {
        const collision_term *t = &report.terms[i];
        if (!t->hits || t->refused + t->unmarked == 0)
            break;
        bytebuf_reset(&line);
        bytebuf_printf(&line, "  %5.1f%% %6llu %7llu %6llu  %s (%s): \"%s\"",
                       100.0 * (double)(t->refused + t->unmarked) / (double)t->hits,
                       (unsigned long long)t->hits, (unsigned long long)t->refused, (unsigned long long)t->unmarked,
                       t->term, t->where, t->example);
        bytebuf_append_char(&line, '\n');
        cli_print_safe_lines(&line);
        shown++;
    }
    bytebuf_free(&line);
    collision_report_free(&report);
    return EXIT_OK;
}

static int check_or_test(int argc, char **argv, bool test)
{
    /* check: --collisions CORPUS (repeatable) and --top N among the packs */
    char *corpus[MAX_CORPUS_FILES];
    size_t corpus_count = 0, top = 20, packs = 0;
    bool collisions = false;
    for (int i = 0; i < argc; i++) {
        if (!test && !strcmp(argv[i], "--collisions") && i + 1 < argc) {
            collisions = true;
            if (corpus_files(argv[++i], corpus, &corpus_count) < 0) {
                for (size_t k = 0; k < corpus_count; k++)
                    free(corpus[k]);
                return EXIT_USAGE;
            }
        } else if (!test && !strcmp(argv[i], "--top") && i + 1 < argc) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (*end || n < 1 || n > 100000) {
                fprintf(stderr, "lscan: rules check: --top takes a number from 1 (not '%s')\n", argv[i]);
                return EXIT_USAGE;
            }
            top = (size_t)n;
        } else {
            argv[packs++] = argv[i];
        }
    }
    argc = (int)packs;
    int status = check_packs(argc, argv, test, collisions ? corpus : NULL, corpus_count, top);
    for (size_t k = 0; k < corpus_count; k++)
        free(corpus[k]);
    return status;
}

static int check_packs(int argc, char **argv, bool test, char **corpus, size_t corpus_count, size_t top)
{
    if (argc < 1) {
        fprintf(stderr, "lscan: rules %s: give one or more packs (files or directories)\n", test ? "test" : "check");
        return EXIT_USAGE;
    }
    ruleset_options options = {.normalizer = cli_normalizer()};
    if (!options.normalizer)
        return EXIT_RUNTIME;
    ruleset *rs = cli_load_rules((const char *const *)argv, (size_t)argc, &options);
    if (!rs)
        return EXIT_USAGE;
    int status = EXIT_OK;
    if (!test) {
        size_t rules = ruleset_rule_count(rs), examples = 0;
        for (size_t i = 0; i < rules; i++)
            examples += ruleset_rule(rs, i)->flag_example_count + ruleset_rule(rs, i)->pass_example_count;
        printf("ok: %zu pack%s, %zu rules, %zu literals, %zu test examples\n", ruleset_pack_count(rs),
               ruleset_pack_count(rs) == 1 ? "" : "s", rules, ruleset_literal_count(rs), examples);
        if (corpus) {
            fflush(stdout);
            status = print_collisions(rs, corpus, corpus_count, top);
        }
    } else {
        bytebuf report;
        bytebuf_init(&report, 0);
        size_t total = 0, failures = ruleset_run_tests(rs, &report, &total);
        cli_print_safe_lines(&report);
        bytebuf_free(&report);
        printf("rule examples run: %zu, failing: %zu\n", total, failures);
        status = failures ? EXIT_BAD_INPUT : EXIT_OK;
    }
    ruleset_destroy(rs);
    return status;
}

static int command_rules_check(const cli_command *self, int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--help")) {
        cli_usage(self, stdout);
        return EXIT_OK;
    }
    return check_or_test(argc - 1, argv + 1, false);
}

static int command_rules_test(const cli_command *self, int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--help")) {
        cli_usage(self, stdout);
        return EXIT_OK;
    }
    return check_or_test(argc - 1, argv + 1, true);
}

static const cli_option explain_options[] = {
    {"rules", 'r', "PACK", "rule pack file or directory (repeatable; at least one)"},
    {"price", 'p', "VND", "the listing's price"},
    {"seller-location", 'L', "PLACE", "where the seller is"},
    {"seller", 's', "ID", "the seller's id"},
    {"platform", 'P', "NAME", "the platform (default cli)"},
    {"official", 'o', NULL, "the seller is an official store"},
    {"livestream", 'v', NULL, "a livestream sale"},
    {"category", 'c', "NAME", "the platform's category"},
    {"description", 'd', "TEXT", "the listing's description"},
    {"lang", 'l', "vi|en", "the language of the explanation (default vi)"},
    {0}};

static int command_rules_explain(const cli_command *self, int argc, char **argv)
{
    struct option longs[CLI_MAX_OPTIONS];
    char shorts[3 * CLI_MAX_OPTIONS + 2];
    cli_getopt_tables(self, longs, shorts);
    const char *paths[64];
    size_t path_count = 0;
    listing_facts l = {.platform = "cli", .listing_id = "cli"};
    flag_language language = FLAG_LANGUAGE_VIETNAMESE;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
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
            if (!cli_language(optarg, &language)) {
                fprintf(stderr, "lscan: rules explain: --lang must be vi or en\n");
                return EXIT_USAGE;
            }
            break;
        case 'h': cli_usage(self, stdout); return EXIT_OK;
        default: return cli_bad_usage(self);
        }
    }
    if (optind != argc - 1 || path_count == 0) {
        fprintf(stderr, "lscan: rules explain: give --rules PACK and one title text\n");
        return EXIT_USAGE;
    }
    l.title = argv[optind];
    l.title_length = strlen(l.title);
    ruleset_options options = {.normalizer = cli_normalizer()};
    if (!options.normalizer)
        return EXIT_RUNTIME;
    ruleset *rs = cli_load_rules(paths, path_count, &options);
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
        cli_print_safe_lines(&out);
    }
    ruleset_scratch_destroy(s);
    bytebuf_free(&out);
    ruleset_destroy(rs);
    return status;
}

const cli_command cli_rules_check = {"rules check", "PACK... [--collisions CORPUS]... [--top N]",
                                      "validate rule packs (files or directories); with --collisions, how often each"
                                      " term hits differently accented words of a corpus (a file, or a folder's *.txt)",
                                      NULL,
                                      command_rules_check};
const cli_command cli_rules_test = {"rules test", "PACK...", "run the packs' own tests", NULL, command_rules_test};
const cli_command cli_rules_explain = {"rules explain", "\"TITLE\"", "show how each rule judges one listing",
                                       explain_options, command_rules_explain};
