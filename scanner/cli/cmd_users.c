/* lscan users add|passwd|disable|enable|list|audit: the console's accounts
 * (docs/console.md, "Accounts"). Passwords are read from the terminal
 * without echo, or as the first line of stdin when it is not a terminal
 * (scripts), never from the command line. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cJSON.h>
#include <sodium.h>

#include "scanner/cli/cli.h"
#include "scanner/cli/terminal.h"
#include "scanner/review/accounts.h"

#define DEFAULT_ACCOUNTS "lscan-state/accounts.sqlite"

enum { OPT_ACCOUNTS = 256, OPT_ROLE, OPT_UNIT, OPT_JSON };

typedef struct users_args {
    const char *accounts_path, *role, *unit;
    bool json;
    char **operands;
    int operand_count;
} users_args;

static int parse(const cli_command *self, int argc, char **argv, users_args *a)
{
    struct option longs[CLI_MAX_OPTIONS];
    char shorts[3 * CLI_MAX_OPTIONS + 2];
    cli_getopt_tables(self, longs, shorts);
    memset(a, 0, sizeof *a);
    a->accounts_path = DEFAULT_ACCOUNTS;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        switch (c) {
        case OPT_ACCOUNTS: a->accounts_path = optarg; break;
        case OPT_ROLE: a->role = optarg; break;
        case OPT_UNIT: a->unit = optarg; break;
        case OPT_JSON: a->json = true; break;
        case 'h': cli_usage(self, stdout); return 1;
        default: cli_bad_usage(self); return -1;
        }
    }
    a->operands = argv + optind;
    a->operand_count = argc - optind;
    return 0;
}

static accounts *open_accounts(const cli_command *self, const users_args *a)
{
    char *copy = strdup(a->accounts_path);
    if (copy) {
        const char *folder = dirname(copy);
        struct stat st;
        if (strcmp(folder, ".") && stat(folder, &st) < 0 && errno == ENOENT && mkdir(folder, 0700) < 0 && errno != EEXIST)
            fprintf(stderr, "lscan: %s: cannot create %s: %s\n", self->name, folder, strerror(errno));
        free(copy);
    }
    char error[512];
    accounts *u = accounts_open(a->accounts_path, error, sizeof error);
    if (!u)
        fprintf(stderr, "lscan: %s: %s\n", self->name, error);
    return u;
}

/* A password: asked twice without echo on a terminal, else the first line
 * of stdin. NULL (said why) when none came or the two differ. */
static char *read_password(const cli_command *self)
{
    char *first = sodium_malloc(ACCOUNT_MAX_PASSWORD + 2), *second = sodium_malloc(ACCOUNT_MAX_PASSWORD + 2);
    if (!first || !second) {
        sodium_free(first);
        sodium_free(second);
        fprintf(stderr, "lscan: %s: out of memory\n", self->name);
        return NULL;
    }
    first[0] = second[0] = '\0';
    bool terminal = isatty(0) != 0;
    struct termios saved, quiet;
    if (terminal && tcgetattr(0, &saved) == 0) {
        quiet = saved;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(0, TCSAFLUSH, &quiet);
    } else {
        terminal = false;
    }
    if (terminal)
        fputs("Mật khẩu / password: ", stderr);
    bool got = fgets(first, ACCOUNT_MAX_PASSWORD + 2, stdin) != NULL;
    if (got && terminal) {
        fputs("\nNhập lại / again: ", stderr);
        got = fgets(second, ACCOUNT_MAX_PASSWORD + 2, stdin) != NULL;
    }
    if (terminal) {
        tcsetattr(0, TCSAFLUSH, &saved);
        fputc('\n', stderr);
    }
    if (got) {
        first[strcspn(first, "\r\n")] = '\0';
        second[strcspn(second, "\r\n")] = '\0';
    }
    bool same = !terminal || !strcmp(first, second);
    sodium_free(second);
    if (!got || !same) {
        fprintf(stderr, "lscan: %s: %s\n", self->name, !got ? "no password given (on stdin or the terminal)"
                                                             : "the two passwords differ");
        sodium_free(first);
        return NULL;
    }
    return first;
}

static int report(const cli_command *self, accounts_error e, const char *error)
{
    if (e == ACCOUNTS_OK)
        return EXIT_OK;
    fprintf(stderr, "lscan: %s: %s\n", self->name, error);
    return e == ACCOUNTS_ERROR_DATABASE || e == ACCOUNTS_ERROR_CRYPTO || e == ACCOUNTS_ERROR_MEMORY ? EXIT_RUNTIME
                                                                                                   : EXIT_USAGE;
}

static int command_add(const cli_command *self, int argc, char **argv)
{
    users_args a;
    int p = parse(self, argc, argv, &a);
    if (p)
        return p > 0 ? EXIT_OK : EXIT_USAGE;
    if (a.operand_count != 1 || !a.role)
        return cli_bad_usage(self);
    account_role role = account_role_named(a.role);
    if (role == ROLE_COUNT) {
        fprintf(stderr, "lscan: %s: --role is reviewer, lead, police or admin, not '%s'\n", self->name, a.role);
        return EXIT_USAGE;
    }
    accounts *u = open_accounts(self, &a);
    if (!u)
        return EXIT_RUNTIME;
    char *password = read_password(self);
    int status = EXIT_USAGE;
    if (password) {
        char error[512];
        status = report(self, accounts_add(u, a.operands[0], password, role, a.unit, NULL, error, sizeof error), error);
        sodium_free(password);
        if (status == EXIT_OK)
            printf("account %s added (%s)\n", a.operands[0], account_role_name(role));
    }
    accounts_close(u);
    return status;
}

static int command_passwd(const cli_command *self, int argc, char **argv)
{
    users_args a;
    int p = parse(self, argc, argv, &a);
    if (p)
        return p > 0 ? EXIT_OK : EXIT_USAGE;
    if (a.operand_count != 1)
        return cli_bad_usage(self);
    accounts *u = open_accounts(self, &a);
    if (!u)
        return EXIT_RUNTIME;
    char *password = read_password(self);
    int status = EXIT_USAGE;
    if (password) {
        char error[512];
        status = report(self, accounts_set_password(u, a.operands[0], password, NULL, error, sizeof error), error);
        sodium_free(password);
        if (status == EXIT_OK)
            printf("password of %s changed (its sessions in a running console end at their next request)\n",
                   a.operands[0]);
    }
    accounts_close(u);
    return status;
}

static int set_disabled(const cli_command *self, int argc, char **argv, bool disabled)
{
    users_args a;
    int p = parse(self, argc, argv, &a);
    if (p)
        return p > 0 ? EXIT_OK : EXIT_USAGE;
    if (a.operand_count != 1)
        return cli_bad_usage(self);
    accounts *u = open_accounts(self, &a);
    if (!u)
        return EXIT_RUNTIME;
    char error[512];
    int status = report(self, accounts_set_disabled(u, a.operands[0], disabled, NULL, error, sizeof error), error);
    if (status == EXIT_OK)
        printf("account %s %s\n", a.operands[0], disabled ? "disabled (its sessions end at their next request)" : "enabled");
    accounts_close(u);
    return status;
}

static int command_disable(const cli_command *self, int argc, char **argv) { return set_disabled(self, argc, argv, true); }
static int command_enable(const cli_command *self, int argc, char **argv) { return set_disabled(self, argc, argv, false); }

static int command_list(const cli_command *self, int argc, char **argv)
{
    users_args a;
    int p = parse(self, argc, argv, &a);
    if (p)
        return p > 0 ? EXIT_OK : EXIT_USAGE;
    if (a.operand_count)
        return cli_bad_usage(self);
    accounts *u = open_accounts(self, &a);
    if (!u)
        return EXIT_RUNTIME;
    bytebuf json;
    bytebuf_init(&json, 0);
    char error[512];
    int status = report(self, accounts_list_json(u, &json, error, sizeof error), error);
    if (status == EXIT_OK && a.json) {
        printf("%s\n", json.data);
    } else if (status == EXIT_OK) {
        cJSON *root = cJSON_Parse(json.data), *user;
        bytebuf line;
        bytebuf_init(&line, 0);
        cJSON_ArrayForEach(user, cJSON_GetObjectItem(root, "users"))
        {
            bytebuf_reset(&line);
            const char *unit = cJSON_GetStringValue(cJSON_GetObjectItem(user, "unit"));
            bytebuf_printf(&line, "%-24s %-9s %s", cJSON_GetStringValue(cJSON_GetObjectItem(user, "name")),
                           cJSON_GetStringValue(cJSON_GetObjectItem(user, "role")),
                           cJSON_IsTrue(cJSON_GetObjectItem(user, "disabled")) ? "disabled " : "");
            if (unit && *unit)
                terminal_safe_append(&line, unit, strlen(unit));
            printf("%s\n", line.data);
        }
        bytebuf_free(&line);
        cJSON_Delete(root);
    }
    bytebuf_free(&json);
    accounts_close(u);
    return status;
}

static int command_audit(const cli_command *self, int argc, char **argv)
{
    users_args a;
    int p = parse(self, argc, argv, &a);
    if (p)
        return p > 0 ? EXIT_OK : EXIT_USAGE;
    if (a.operand_count)
        return cli_bad_usage(self);
    accounts *u = open_accounts(self, &a);
    if (!u)
        return EXIT_RUNTIME;
    bytebuf json;
    bytebuf_init(&json, 0);
    char error[512];
    int status = report(self, accounts_audit_json(u, 1000, &json, error, sizeof error), error);
    if (status == EXIT_OK && a.json) {
        printf("%s\n", json.data);
    } else if (status == EXIT_OK) {
        cJSON *root = cJSON_Parse(json.data), *event;
        bytebuf line;
        bytebuf_init(&line, 0);
        cJSON_ArrayForEach(event, cJSON_GetObjectItem(root, "events"))
        {
            bytebuf_reset(&line);
            static const char *const parts[] = {"at", "event", "actor", "address", "details"};
            for (int i = 0; i < 5; i++) {
                const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(event, parts[i]));
                if (i)
                    bytebuf_append_string(&line, "  ");
                terminal_safe_append(&line, v ? v : "-", v ? strlen(v) : 1);
            }
            printf("%s\n", line.data);
        }
        bytebuf_free(&line);
        cJSON_Delete(root);
    }
    bytebuf_free(&json);
    accounts_close(u);
    return status;
}

#define OPTION_ACCOUNTS {"accounts", OPT_ACCOUNTS, "FILE", "the accounts (default " DEFAULT_ACCOUNTS ")"}

static const cli_option add_options[] = {
    OPTION_ACCOUNTS,
    {"role", OPT_ROLE, "ROLE", "reviewer, lead, police or admin (required)"},
    {"unit", OPT_UNIT, "UNIT", "police: the unit cases are transferred to, as reviewers write it"},
    {0}};
static const cli_option plain_options[] = {OPTION_ACCOUNTS, {0}};
static const cli_option list_options[] = {OPTION_ACCOUNTS, {"json", OPT_JSON, NULL, "JSON for scripts"}, {0}};

const cli_command cli_users_add = {"users add", "NAME", "add an account (the password from the terminal or stdin)",
                                   add_options, command_add};
const cli_command cli_users_passwd = {"users passwd", "NAME", "set an account's password (from the terminal or stdin)",
                                      plain_options, command_passwd};
const cli_command cli_users_disable = {"users disable", "NAME", "disable an account (its sessions end)", plain_options,
                                       command_disable};
const cli_command cli_users_enable = {"users enable", "NAME", "enable a disabled account", plain_options,
                                      command_enable};
const cli_command cli_users_list = {"users list", NULL, "the accounts: name, role, unit (never a hash)", list_options,
                                    command_list};
const cli_command cli_users_audit = {"users audit", NULL, "the audit trail: logins, refusals, account changes",
                                     list_options, command_audit};
