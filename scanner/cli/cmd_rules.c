/* lscan rules check|test|explain: validate packs, run their own tests,
 * show how each rule judges one listing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/ruleset.h"
#include "scanner/cli/cli.h"

static int check_or_test(int argc, char **argv, bool test)
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

const cli_command cli_rules_check = {"rules check", "PACK...", "validate rule packs (files or directories)", NULL,
                                      command_rules_check};
const cli_command cli_rules_test = {"rules test", "PACK...", "run the packs' own tests", NULL, command_rules_test};
const cli_command cli_rules_explain = {"rules explain", "\"TITLE\"", "show how each rule judges one listing",
                                       explain_options, command_rules_explain};
