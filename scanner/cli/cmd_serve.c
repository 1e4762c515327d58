/* lscan serve: the review console (docs/console.md) until SIGINT or
 * SIGTERM; options on the command line or in a YAML file (--config), the
 * command line winning. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules/base/yaml_walk.h"
#include "scanner/cli/cli.h"
#include "scanner/review/serve.h"
#include "workers/redis.h"

enum { OPT_LISTEN = 256, OPT_REGISTER, OPT_ACCOUNTS, OPT_REDIS_USER, OPT_PASSWORD_FILE, OPT_PREFIX, OPT_NO_INTAKE,
       OPT_RETENTION, OPT_THREADS, OPT_CLAIM, OPT_SECURE, OPT_PROXY, OPT_PEAK, OPT_CONFIG, OPT_EVIDENCE_DIR,
       OPT_SIGNING_KEY, OPT_CAMPAIGN };

static const cli_option serve_options_table[] = {
    {"listen", OPT_LISTEN, "IP:PORT", "where to listen (default 127.0.0.1:8080; loopback: TLS is the proxy's job)"},
    {"register", OPT_REGISTER, "FILE", "the case register (default lscan-state/register.sqlite)"},
    {"accounts", OPT_ACCOUNTS, "FILE", "the accounts (default: accounts.sqlite beside the register)"},
    {"evidence-dir", OPT_EVIDENCE_DIR, "DIR", "the scans' WARC files, for case packages (default: evidence/ beside the register)"},
    {"campaign", OPT_CAMPAIGN, "FILE", "allow re-checks from the console, within this campaign's targets"},
    {"signing-key", OPT_SIGNING_KEY, "FILE", "signs case packages (default: keys/signing.key beside the register)"},
    {"redis", 'R', "URL", "take flags from this Redis (default redis://127.0.0.1:6379)"},
    {"redis-user", OPT_REDIS_USER, "USER", "the Redis ACL user"},
    {"redis-password-file", OPT_PASSWORD_FILE, "FILE", "read the Redis password from FILE (or LSCAN_REDIS_PASSWORD)"},
    {"prefix", OPT_PREFIX, "PREFIX", "the Redis key prefix (default lscan:)"},
    {"no-intake", OPT_NO_INTAKE, NULL, "do not take flags from Redis (another process runs cases intake)"},
    {"retention-hours", OPT_RETENTION, "N", "trim acknowledged stream entries older than N hours (default 24; -1 never)"},
    {"threads", OPT_THREADS, "N", "HTTP threads (default 8)"},
    {"claim-minutes", OPT_CLAIM, "N", "how long a claimed case stays with its reviewer (default 30)"},
    {"secure-cookie", OPT_SECURE, NULL, "mark the session cookie Secure (behind a TLS proxy)"},
    {"trust-proxy", OPT_PROXY, NULL, "take the client address from X-Forwarded-For (behind a reverse proxy)"},
    {"peak", OPT_PEAK, "MM-DD:MM-DD", "the peak campaign for the dashboard (default 05-07:05-30)"},
    {"config", OPT_CONFIG, "FILE", "read these options from a YAML file (keys as the long options, '-' or '_')"},
    {0}};

static volatile sig_atomic_t stop_requested;

static void on_stop(int signal_number)
{
    (void)signal_number;
    stop_requested = 1;
}

static void log_line(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "lscan: serve: %s\n", line);
}

static bool parse_peak(const char *text, serve_options *o)
{
    int a, b, c, d;
    char extra;
    if (sscanf(text, "%2d-%2d:%2d-%2d%c", &a, &b, &c, &d, &extra) != 4 || a < 1 || a > 12 || c < 1 || c > 12 || b < 1 ||
        b > 31 || d < 1 || d > 31)
        return false;
    o->peak_start_month = a;
    o->peak_start_day = b;
    o->peak_end_month = c;
    o->peak_end_day = d;
    return true;
}

/* The config file's values (strings owned here until the server stops). */
typedef struct serve_config {
    char *listen, *register_path, *accounts_path, *redis_url, *redis_user, *password_file, *prefix, *peak,
        *evidence_dir, *signing_key, *campaign;
    bool no_intake, secure_cookie, trust_proxy;
    bool has_retention;
    int retention_hours, threads, claim_minutes;
} serve_config;

static void visit_config(yaml_walk *w, const char *key, yaml_node_t *key_node, yaml_node_t *value, void *ctx)
{
    serve_config *c = ctx;
    char name[64];
    snprintf(name, sizeof name, "%s", key);
    for (char *p = name; *p; p++)
        if (*p == '_')
            *p = '-';
    struct {
        const char *name;
        char **slot;
    } strings[] = {{"listen", &c->listen},           {"register", &c->register_path}, {"accounts", &c->accounts_path},
                   {"redis", &c->redis_url},         {"redis-user", &c->redis_user}, {"redis-password-file", &c->password_file},
                   {"prefix", &c->prefix},           {"peak", &c->peak},
                   {"evidence-dir", &c->evidence_dir}, {"signing-key", &c->signing_key},
                   {"campaign", &c->campaign}};
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
        if (!strcmp(name, strings[i].name)) {
            free(*strings[i].slot);
            *strings[i].slot = yaml_walk_string(w, value, key);
            return;
        }
    if (!strcmp(name, "no-intake"))
        yaml_walk_bool(w, value, key, &c->no_intake);
    else if (!strcmp(name, "secure-cookie"))
        yaml_walk_bool(w, value, key, &c->secure_cookie);
    else if (!strcmp(name, "trust-proxy"))
        yaml_walk_bool(w, value, key, &c->trust_proxy);
    else if (!strcmp(name, "retention-hours"))
        c->has_retention = yaml_walk_int(w, value, key, -1, 24 * 3650, &c->retention_hours);
    else if (!strcmp(name, "threads"))
        yaml_walk_int(w, value, key, 1, 256, &c->threads);
    else if (!strcmp(name, "claim-minutes"))
        yaml_walk_int(w, value, key, 1, 24 * 60, &c->claim_minutes);
    else
        yaml_walk_error(w, key_node, "unknown option '%s' (see lscan serve --help)", key);
}

static bool read_config(const char *path, serve_config *c)
{
    diagnostics diag;
    diagnostics_init(&diag);
    char *text = NULL;
    size_t length = 0;
    yaml_document_t document;
    bool parsed = false, ok = false;
    if (yaml_read_file(path, 1 << 20, &text, &length, &diag) == 0 &&
        yaml_walk_parse(path, text, length, &document, &diag) == 0) {
        parsed = true;
        yaml_walk w = {path, &document, &diag};
        yaml_node_t *root = yaml_document_get_root_node(&document);
        if (root)
            yaml_walk_fields(&w, root, "the serve config", visit_config, c);
        ok = diagnostics_total(&diag) == 0;
    }
    if (parsed)
        yaml_document_delete(&document);
    free(text);
    cli_print_diagnostics(&diag);
    diagnostics_free(&diag);
    return ok;
}

static void config_free(serve_config *c)
{
    free(c->listen);
    free(c->register_path);
    free(c->accounts_path);
    free(c->redis_url);
    free(c->redis_user);
    free(c->password_file);
    free(c->prefix);
    free(c->peak);
    free(c->evidence_dir);
    free(c->signing_key);
    free(c->campaign);
}

static int command_serve(const cli_command *self, int argc, char **argv)
{
    struct option longs[CLI_MAX_OPTIONS];
    char shorts[3 * CLI_MAX_OPTIONS + 2];
    cli_getopt_tables(self, longs, shorts);
    serve_options o = {.retention_ms = 0};
    serve_config config = {0};
    const char *password_file = NULL, *config_path = NULL, *peak = NULL;
    bool retention_given = false;
    long number;
    int c;
    /* the config file first, so the command line wins */
    optind = 1;
    opterr = 0; /* the second pass reports mistakes */
    while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1)
        if (c == OPT_CONFIG)
            config_path = optarg;
        else if (c == 'h') {
            cli_usage(self, stdout);
            return EXIT_OK;
        }
    opterr = 1;
    if (config_path && !read_config(config_path, &config)) {
        fprintf(stderr, "lscan: serve: the config %s has mistakes\n", config_path);
        config_free(&config);
        return EXIT_USAGE;
    }
    o.listen = config.listen;
    o.register_path = config.register_path;
    o.accounts_path = config.accounts_path;
    o.evidence_dir = config.evidence_dir;
    o.signing_key = config.signing_key;
    o.campaign_path = config.campaign;
    o.redis_url = config.redis_url;
    o.redis_user = config.redis_user;
    o.prefix = config.prefix;
    o.no_intake = config.no_intake;
    o.secure_cookie = config.secure_cookie;
    o.trust_proxy = config.trust_proxy;
    o.threads = (unsigned)config.threads;
    o.claim_minutes = config.claim_minutes;
    if (config.has_retention)
        o.retention_ms = config.retention_hours < 0 ? -1 : config.retention_hours == 0 ? 1 : config.retention_hours * 3600000LL;
    password_file = config.password_file;
    peak = config.peak;
    optind = 1;
    int status = EXIT_OK;
    while (status == EXIT_OK && (c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        switch (c) {
        case OPT_LISTEN: o.listen = optarg; break;
        case OPT_REGISTER: o.register_path = optarg; break;
        case OPT_ACCOUNTS: o.accounts_path = optarg; break;
        case OPT_EVIDENCE_DIR: o.evidence_dir = optarg; break;
        case OPT_SIGNING_KEY: o.signing_key = optarg; break;
        case OPT_CAMPAIGN: o.campaign_path = optarg; break;
        case 'R': o.redis_url = optarg; break;
        case OPT_REDIS_USER: o.redis_user = optarg; break;
        case OPT_PASSWORD_FILE: password_file = optarg; break;
        case OPT_PREFIX: o.prefix = optarg; break;
        case OPT_NO_INTAKE: o.no_intake = true; break;
        case OPT_SECURE: o.secure_cookie = true; break;
        case OPT_PROXY: o.trust_proxy = true; break;
        case OPT_PEAK: peak = optarg; break;
        case OPT_CONFIG: break;
        case OPT_RETENTION:
            if (!cli_number(self, "retention-hours", optarg, -1, 24 * 3650, &number))
                status = EXIT_USAGE;
            o.retention_ms = number < 0 ? -1 : number == 0 ? 1 : number * 3600000LL;
            retention_given = true;
            break;
        case OPT_THREADS:
            if (!cli_number(self, "threads", optarg, 1, 256, &number))
                status = EXIT_USAGE;
            o.threads = (unsigned)number;
            break;
        case OPT_CLAIM:
            if (!cli_number(self, "claim-minutes", optarg, 1, 24 * 60, &number))
                status = EXIT_USAGE;
            o.claim_minutes = (int)number;
            break;
        default: status = cli_bad_usage(self); break;
        }
    }
    (void)retention_given;
    if (status == EXIT_OK && optind < argc)
        status = cli_bad_usage(self);
    if (status == EXIT_OK && peak && !parse_peak(peak, &o)) {
        fprintf(stderr, "lscan: serve: --peak must be MM-DD:MM-DD, not '%s'\n", peak);
        status = EXIT_USAGE;
    }
    bool failed = false;
    char error[512];
    char *password = status == EXIT_OK ? redis_password_find(password_file, NULL, &failed, error, sizeof error) : NULL;
    if (failed) {
        fprintf(stderr, "lscan: serve: %s\n", error);
        status = EXIT_USAGE;
    }
    o.redis_password = password;
    o.log = log_line;
    const normalizer *n = status == EXIT_OK ? cli_normalizer() : NULL;
    if (status == EXIT_OK && !n)
        status = EXIT_RUNTIME;
    /* SIGINT and SIGTERM reach only the main thread's sigsuspend: blocked
     * before the server's threads start, which inherit the mask */
    sigset_t stop_signals, old_mask;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, &old_mask);
    struct sigaction action = {.sa_handler = on_stop};
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    lscan_server *s = NULL;
    if (status == EXIT_OK && !(s = serve_start(&o, n, error, sizeof error))) {
        fprintf(stderr, "lscan: serve: %s\n", error);
        status = EXIT_RUNTIME;
    }
    redis_secret_free(password);
    if (s) {
        const char *listen = o.listen ? o.listen : "127.0.0.1:8080";
        char host[128];
        snprintf(host, sizeof host, "%.*s", (int)(strrchr(listen, ':') ? strrchr(listen, ':') - listen : 0), listen);
        printf("lscan serve: the console is at http://%s:%u/ (%s)\n", host, serve_port(s),
               o.no_intake ? "no intake" : "taking flags from Redis");
        fflush(stdout);
        while (!stop_requested)
            sigsuspend(&old_mask);
        serve_stop(s);
        status = EXIT_OK;
    }
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    config_free(&config);
    return status;
}

const cli_command cli_serve = {"serve", NULL, "the review console in the browser, with intake from Redis",
                               serve_options_table, command_serve};
