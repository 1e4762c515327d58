/* cli: the lscan command's shared parts. scanner/cli is the only code that
 * prints (README, "Layers"): every message is one line `lscan: what failed:
 * why`, seller text goes through terminal_safe_append, and each command
 * describes its options in one table from which both getopt's arrays and
 * the usage text are made, so the two never disagree.
 *
 * Commands live one per file (cmd_*.c) and are listed in main.c's table. */
#ifndef LSCAN_CLI_H
#define LSCAN_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "rules/base/bytebuf.h"
#include "rules/base/diagnostics.h"
#include "rules/ruleset.h"
#include "scanner/record/flag.h"

#define LSCAN_VERSION "0.2.0"

/* Exit status (README, "Exit status"). */
enum exit_code {
    EXIT_OK = 0,          /* done, nothing wrong */
    EXIT_BAD_INPUT = 1,   /* done, but some input lines were bad (match, cases intake), tests failed (rules test),
                             or the decision chain is broken (cases verify) */
    EXIT_USAGE = 2,       /* bad command line, rule packs or a campaign with mistakes, a changed campaign on --resume */
    EXIT_RUNTIME = 3,     /* could not finish: out of memory, write error, Redis refused, flags lost */
    EXIT_UNDELIVERED = 4, /* done, but flags wait in the spool: Redis unreachable or refusing writes at the end */
    EXIT_INTERRUPTED = 130
};

/* One option of a command: --name (and -key when key is a letter). */
typedef struct cli_option {
    const char *name;
    int key;                /* getopt's value: a letter, or a number above 255 for long-only options */
    const char *argument;   /* the argument's name in the usage ("N"), or NULL for a flag */
    const char *help;
} cli_option;

typedef struct cli_command {
    const char *name;            /* "scan", "rules check" */
    const char *operands;        /* what follows the options in the usage ("PACK...", "[FILE]"), or NULL */
    const char *summary;         /* one line */
    const cli_option *options;   /* ends with a {0} entry; may be NULL */
    int (*run)(const struct cli_command *self, int argc, char **argv); /* argv[0] is the command's last word */
} cli_command;

/* getopt_long's arrays from a command's table: `longs` needs room for every
 * option and the terminating entry (CLI_MAX_OPTIONS), `shorts` for
 * 3 * CLI_MAX_OPTIONS + 2 bytes. */
#define CLI_MAX_OPTIONS 32
void cli_getopt_tables(const cli_command *c, struct option *longs, char *shorts);
/* Prints "usage: lscan NAME [options] OPERANDS", the summary and one line per option. */
void cli_usage(const cli_command *c, FILE *out);
/* "lscan: NAME: unknown option" and the usage, on stderr; returns EXIT_USAGE. */
int cli_bad_usage(const cli_command *c);

/* Parses a whole number in [min, max]; false (and a message naming --option) otherwise. */
bool cli_number(const cli_command *c, const char *option, const char *text, long min, long max, long *out);
bool cli_language(const char *name, flag_language *out);
bool cli_backend(const char *name, mpm_backend *out);

/* Prints each diagnostic as "lscan: file:line:col: message". */
void cli_print_diagnostics(const diagnostics *d);
/* Prints text line by line, each line made terminal-safe. */
void cli_print_safe_lines(const bytebuf *text);
/* Loads packs, printing every mistake; NULL when refused. */
ruleset *cli_load_rules(const char *const *paths, size_t count, const ruleset_options *options);
/* The process's normalizer, built at the first call (its tables are built
 * once and handed to every rule set); NULL when it cannot be built (the
 * message is printed). Not thread-safe: call from main's thread. */
const normalizer *cli_normalizer(void);
void cli_normalizer_free(void);

double cli_now_seconds(void);

/* Lines of a stream, each at most `max` bytes (longer ones are skipped whole
 * and reported as too long). */
typedef struct cli_line_reader {
    FILE *f;
    char buffer[1 << 20];
    size_t start, end;
    bool eof;
} cli_line_reader;
/* Appends the next line (without '\n') to `out`, which may already hold
 * earlier lines (a batch): `max` bounds this line alone. 1, or 0 at the
 * end; a longer line is dropped and *too_long set. */
int cli_read_line(cli_line_reader *r, bytebuf *out, size_t max, bool *too_long);

/* The commands (cmd_*.c). */
extern const cli_command cli_scan, cli_match, cli_rules_check, cli_rules_test, cli_rules_explain, cli_review;
extern const cli_command cli_cases_intake, cli_cases_list, cli_cases_show, cli_cases_claim, cli_cases_release,
    cli_cases_decide, cli_cases_work, cli_cases_verify, cli_cases_reasons;
extern const cli_command cli_serve, cli_users_add, cli_users_passwd, cli_users_disable, cli_users_enable, cli_users_list,
    cli_users_audit;
extern const cli_command cli_keys_generate, cli_evidence_export, cli_evidence_verify, cli_recheck;
extern const cli_command cli_report;

#endif
