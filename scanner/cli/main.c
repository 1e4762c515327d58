/* lscan: the command. A table of commands (as git's commands[] in git.c);
 * each command is one file (cmd_*.c) with its options described once
 * (scanner/cli/cli.h), and only this folder prints. */
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "scanner/cli/cli.h"

static const cli_command *const commands[] = {
    &cli_scan,         &cli_match,         &cli_rules_check,   &cli_rules_test,  &cli_rules_explain,
    &cli_review,       &cli_cases_intake,  &cli_cases_list,    &cli_cases_show,  &cli_cases_claim,
    &cli_cases_release, &cli_cases_decide, &cli_cases_work,    &cli_cases_verify, &cli_cases_reasons,
    &cli_serve,        &cli_users_add,     &cli_users_passwd,  &cli_users_disable, &cli_users_enable,
    &cli_users_list,   &cli_users_audit,   &cli_keys_generate, &cli_evidence_export, &cli_evidence_verify,
    &cli_recheck,      &cli_report};

static void usage(FILE *out)
{
    fputs("usage: lscan <command> [options]   (lscan <command> --help for its options)\n\ncommands:\n", out);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-15s%s\n", commands[i]->name, commands[i]->summary);
    fputs("  version        print the version\n"
          "\n"
          "The Redis password comes from LSCAN_REDIS_PASSWORD, --redis-password-file, or the campaign's\n"
          "redis.password_env / redis.password_file; never from the command line.\n"
          "\n"
          "exit status: 0 ok; 1 some input lines or stream entries were bad, rule tests failed, or the case\n"
          "register's decision chain is broken; 2 bad usage, rule packs or a campaign with mistakes, a\n"
          "campaign changed since the checkpoint, a decision refused (not allowed in the case's state,\n"
          "held by another reviewer, a field missing), or a report's date or baseline CSV wrong; 3 could not\n"
          "finish (out of memory, write error, Redis refused the password or database, flags lost, the case\n"
          "register unreadable); 4 done, but flags wait in the spool (Redis unreachable or refusing writes\n"
          "at the end; the next scan replays them); 130 a scan stopped by SIGINT (after finishing its\n"
          "transfers and flushing).\n",
          out);
}

int main(int argc, char **argv)
{
    /* Blocks from 4 MiB up (large response bodies, their decoded copies,
     * a big page's parse) come from mmap and go back to the system when
     * freed. glibc would otherwise raise this threshold after the first such
     * free and serve later ones from the heap, where freed blocks stay in
     * the RSS: four hosts sending 7 MB bodies then peaked at 180-256 MB
     * instead of 130-155 MB, from one run to the next (tests/test_probe.c). */
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
        printf("lscan %s\n", LSCAN_VERSION);
        return EXIT_OK;
    }
    /* a command is one word ("scan") or two ("rules check") */
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
        const cli_command *c = commands[i];
        const char *space = strchr(c->name, ' ');
        if (!space && !strcmp(argv[1], c->name)) {
            int status = c->run(c, argc - 1, argv + 1);
            cli_normalizer_free();
            return status;
        }
        if (space && !strncmp(argv[1], c->name, (size_t)(space - c->name)) && strlen(argv[1]) == (size_t)(space - c->name) &&
            argc > 2 && !strcmp(argv[2], space + 1)) {
            int status = c->run(c, argc - 2, argv + 2);
            cli_normalizer_free();
            return status;
        }
    }
    /* the first word of two-word commands alone, or with an unknown second word */
    bool group = false;
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
        const char *space = strchr(commands[i]->name, ' ');
        if (!space || strncmp(argv[1], commands[i]->name, (size_t)(space - commands[i]->name)) ||
            strlen(argv[1]) != (size_t)(space - commands[i]->name))
            continue;
        if (!group)
            fprintf(stderr, "lscan: %s: give one of:", argv[1]);
        fprintf(stderr, " %s", space + 1);
        group = true;
    }
    if (group) {
        fprintf(stderr, "%s%s%s\n", argc > 2 ? " (not '" : "", argc > 2 ? argv[2] : "", argc > 2 ? "')" : "");
        return EXIT_USAGE;
    }
    fprintf(stderr, "lscan: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
