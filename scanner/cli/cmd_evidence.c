/* lscan keys generate, lscan evidence export|verify (docs/evidence.md). */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "scanner/cli/cli.h"
#include "scanner/cli/terminal.h"
#include "scanner/export/package.h"
#include "scanner/export/signing.h"
#include "scanner/pipeline/campaign.h"
#include "scanner/pipeline/recheck.h"

#define DEFAULT_REGISTER "lscan-state/register.sqlite"
#define DEFAULT_EVIDENCE_DIR "lscan-state/evidence"
#define DEFAULT_KEY_DIR "lscan-state/keys"

enum { OPT_REGISTER = 256, OPT_EVIDENCE_DIR, OPT_KEY, OPT_AS, OPT_LANG, OPT_TSQ, OPT_TSR, OPT_TSA_CA, OPT_JSON,
       OPT_NAME, OPT_STATEMENT, OPT_DUE, OPT_LIMIT };

static const char *current_user(void)
{
    const char *user = getenv("USER");
    if (user && *user)
        return user;
    struct passwd *pw = getpwuid(getuid());
    return pw ? pw->pw_name : "unknown";
}

/* Text that may quote a seller's URL: terminal-safe, one line. */
static void print_safe(FILE *out, const char *text)
{
    bytebuf b;
    bytebuf_init(&b, 0);
    terminal_safe_append(&b, text, strlen(text));
    fwrite(b.data ? b.data : "", 1, b.length, out);
    fputc('\n', out);
    bytebuf_free(&b);
}

/* ---- lscan keys generate ---------------------------------------------------------- */

static const cli_option keys_options[] = {
    {"out", 'o', "DIR", "where the key pair goes (default " DEFAULT_KEY_DIR ")"},
    {"name", OPT_NAME, "NAME", "file names NAME.key and NAME.pub (default signing)"},
    {0}};

static int command_keys_generate(const cli_command *self, int argc, char **argv)
{
    struct option longs[CLI_MAX_OPTIONS];
    char shorts[3 * CLI_MAX_OPTIONS + 2];
    cli_getopt_tables(self, longs, shorts);
    const char *dir = DEFAULT_KEY_DIR, *name = "signing";
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        switch (c) {
        case 'o': dir = optarg; break;
        case OPT_NAME: name = optarg; break;
        case 'h': cli_usage(self, stdout); return EXIT_OK;
        default: return cli_bad_usage(self);
        }
    }
    if (optind < argc || strchr(name, '/') || !name[0])
        return cli_bad_usage(self);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        fprintf(stderr, "lscan: keys generate: cannot create %s: %s\n", dir, strerror(errno));
        return EXIT_RUNTIME;
    }
    char secret[4096], public_path[4096], fingerprint[SIGNING_FINGERPRINT_SIZE], why[512];
    snprintf(secret, sizeof secret, "%s/%s.key", dir, name);
    snprintf(public_path, sizeof public_path, "%s/%s.pub", dir, name);
    signing_error e = signing_generate(secret, public_path, fingerprint, why, sizeof why);
    if (e != SIGNING_OK) {
        fprintf(stderr, "lscan: keys generate: %s\n", why);
        return e == SIGNING_ERROR_EXISTS ? EXIT_USAGE : EXIT_RUNTIME;
    }
    printf("Khóa bí mật (secret key, keep it safe, mode 0600): %s\n", secret);
    printf("Khóa công khai (public key, publish it):          %s\n", public_path);
    printf("Dấu vân tay (fingerprint):                          %s\n", fingerprint);
    return EXIT_OK;
}

/* ---- lscan evidence export ---------------------------------------------------------- */

static const cli_option export_options[] = {
    {"out", 'o', "FILE.wacz", "the package to write (required)"},
    {"register", OPT_REGISTER, "FILE", "the case register (default " DEFAULT_REGISTER ")"},
    {"evidence-dir", OPT_EVIDENCE_DIR, "DIR", "where the scans' WARC files are (repeatable; default " DEFAULT_EVIDENCE_DIR ")"},
    {"key", OPT_KEY, "FILE", "the signing key (default " DEFAULT_KEY_DIR "/signing.key when it exists)"},
    {"statement", OPT_STATEMENT, "FILE", "the statement beside the package (default FILE-statement.html)"},
    {"tsq", OPT_TSQ, NULL, "also write FILE.wacz.tsq, an RFC 3161 timestamp request for the package"},
    {"as", OPT_AS, "NAME", "who makes the package (default $USER)"},
    {"lang", OPT_LANG, "vi|en", "the statement's language (default vi)"},
    {0}};

static int command_export(const cli_command *self, int argc, char **argv)
{
    struct option longs[CLI_MAX_OPTIONS];
    char shorts[3 * CLI_MAX_OPTIONS + 2];
    cli_getopt_tables(self, longs, shorts);
    package_options o = {.software = "lscan " LSCAN_VERSION, .exported_by = current_user()};
    const char *register_path = DEFAULT_REGISTER, *dirs[32];
    size_t dir_count = 0;
    bool tsq = false, key_given = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        switch (c) {
        case 'o': o.out_path = optarg; break;
        case OPT_REGISTER: register_path = optarg; break;
        case OPT_EVIDENCE_DIR:
            if (dir_count == sizeof dirs / sizeof *dirs) {
                fprintf(stderr, "lscan: evidence export: at most 32 --evidence-dir\n");
                return EXIT_USAGE;
            }
            dirs[dir_count++] = optarg;
            break;
        case OPT_KEY: o.secret_key_path = optarg; key_given = true; break;
        case OPT_STATEMENT: o.statement_path = optarg; break;
        case OPT_TSQ: tsq = true; break;
        case OPT_AS: o.exported_by = optarg; break;
        case OPT_LANG:
            if (strcmp(optarg, "vi") && strcmp(optarg, "en")) {
                fprintf(stderr, "lscan: evidence export: --lang must be vi or en\n");
                return EXIT_USAGE;
            }
            o.english = !strcmp(optarg, "en");
            break;
        case 'h': cli_usage(self, stdout); return EXIT_OK;
        default: return cli_bad_usage(self);
        }
    }
    if (!o.out_path || optind >= argc) {
        fprintf(stderr, "lscan: evidence export: give --out FILE.wacz and at least one CASE_ID\n");
        return EXIT_USAGE;
    }
    if (!dir_count)
        dirs[dir_count++] = DEFAULT_EVIDENCE_DIR;
    o.warc_dirs = dirs;
    o.warc_dir_count = dir_count;
    o.case_ids = (const char *const *)argv + optind;
    o.case_count = (size_t)(argc - optind);
    if (!key_given && access(DEFAULT_KEY_DIR "/signing.key", R_OK) == 0)
        o.secret_key_path = DEFAULT_KEY_DIR "/signing.key";
    if (!o.secret_key_path)
        fprintf(stderr, "lscan: evidence export: no signing key (make one with lscan keys generate): the package is "
                        "NOT signed\n");
    const normalizer *n = cli_normalizer();
    if (!n)
        return EXIT_RUNTIME;
    char error[1024];
    if (access(register_path, R_OK) < 0) {
        fprintf(stderr, "lscan: evidence export: %s: %s\n", register_path, strerror(errno));
        return EXIT_USAGE;
    }
    case_register *r = register_open(register_path, n, error, sizeof error);
    if (!r) {
        fprintf(stderr, "lscan: evidence export: %s\n", error);
        return EXIT_RUNTIME;
    }
    o.reg = r;
    o.now_ms = (int64_t)time(NULL) * 1000;
    package_summary summary;
    package_error e = package_export(&o, &summary, error, sizeof error);
    register_close(r);
    if (e != PACKAGE_OK) {
        fprintf(stderr, "lscan: evidence export: %s: ", package_strerror(e));
        print_safe(stderr, error);
        return e == PACKAGE_ERROR_REGISTER || e == PACKAGE_ERROR_ARGUMENT ? EXIT_USAGE : EXIT_RUNTIME;
    }
    printf("Gói chứng cứ (evidence package): %s\n", o.out_path);
    printf("  %zu vụ, %zu lần phát hiện, %zu bản ghi WARC, %llu byte\n", summary.cases, summary.sightings,
           summary.records, (unsigned long long)summary.bytes);
    if (summary.sightings_without_capture)
        printf("  %zu lần phát hiện không có bản lưu trữ (warc: null)\n", summary.sightings_without_capture);
    printf("  SHA-256 của gói: %s\n", summary.sha256);
    printf("  Biên bản (statement): %s\n", summary.statement_path);
    if (summary.fingerprint[0])
        printf("  Ký bởi khóa (signed by key): %s\n", summary.fingerprint);
    if (tsq) {
        char tsq_path[4200];
        snprintf(tsq_path, sizeof tsq_path, "%s.tsq", o.out_path);
        if (package_timestamp_request(o.out_path, tsq_path, error, sizeof error) != PACKAGE_OK) {
            fprintf(stderr, "lscan: evidence export: timestamp request: %s\n", error);
            return EXIT_RUNTIME;
        }
        printf("  Yêu cầu dấu thời gian RFC 3161: %s\n", tsq_path);
    }
    return EXIT_OK;
}

/* ---- lscan evidence verify ---------------------------------------------------------------- */

static const cli_option verify_options[] = {
    {"key", OPT_KEY, "PUB", "require the signature of this public key (a .pub file or its base64)"},
    {"tsr", OPT_TSR, "FILE", "also check this RFC 3161 timestamp answer for the package"},
    {"tsq", OPT_TSQ, "FILE", "the request it answers (checks the nonce; default FILE.wacz.tsq when it exists)"},
    {"tsa-ca", OPT_TSA_CA, "PEM", "the timestamp authority's CA certificates (with --tsr)"},
    {"json", OPT_JSON, NULL, "the result as JSON"},
    {0}};

static int command_verify(const cli_command *self, int argc, char **argv)
{
    struct option longs[CLI_MAX_OPTIONS];
    char shorts[3 * CLI_MAX_OPTIONS + 2];
    cli_getopt_tables(self, longs, shorts);
    const char *key = NULL, *tsr = NULL, *tsq = NULL, *ca = NULL;
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        switch (c) {
        case OPT_KEY: key = optarg; break;
        case OPT_TSR: tsr = optarg; break;
        case OPT_TSQ: tsq = optarg; break;
        case OPT_TSA_CA: ca = optarg; break;
        case OPT_JSON: json = true; break;
        case 'h': cli_usage(self, stdout); return EXIT_OK;
        default: return cli_bad_usage(self);
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "lscan: evidence verify: give one FILE.wacz\n");
        return EXIT_USAGE;
    }
    const char *path = argv[optind];
    package_check check;
    char error[1024] = "";
    package_error e = package_verify(path, key, &check, error, sizeof error);
    if (e != PACKAGE_OK && e != PACKAGE_ERROR_MISMATCH) {
        fprintf(stderr, "lscan: evidence verify: %s: %s\n", package_strerror(e), error);
        return e == PACKAGE_ERROR_KEY ? EXIT_USAGE : EXIT_RUNTIME;
    }
    char attested[32] = "", tsq_default[4200];
    bool time_ok = true;
    if (check.ok && tsr) {
        if (!tsq) {
            snprintf(tsq_default, sizeof tsq_default, "%s.tsq", path);
            if (access(tsq_default, R_OK) == 0)
                tsq = tsq_default;
        }
        package_error te = package_timestamp_verify(path, tsr, tsq, ca, attested, error, sizeof error);
        if (te != PACKAGE_OK) {
            time_ok = false;
            check.ok = false;
            snprintf(check.problem, sizeof check.problem, "the timestamp: %.900s", error);
        }
    }
    if (json) {
        bytebuf b;
        bytebuf_init(&b, 0);
        bytebuf_printf(&b, "{\"ok\":%s,\"signed\":%s,\"fingerprint\":", check.ok ? "true" : "false",
                       check.is_signed ? "true" : "false");
        bytebuf_append_json_string(&b, check.fingerprint, strlen(check.fingerprint));
        bytebuf_printf(&b, ",\"files\":%zu,\"records\":%zu,\"cases\":%zu,\"decisions\":%zu,\"problem\":", check.files,
                       check.records, check.cases, check.decisions);
        bytebuf_append_json_string(&b, check.problem, strlen(check.problem));
        bytebuf_append_string(&b, ",\"timestamp\":");
        bytebuf_append_json_string(&b, attested, strlen(attested));
        bytebuf_append_string(&b, "}\n");
        fwrite(b.data, 1, b.length, stdout);
        bytebuf_free(&b);
    } else if (check.ok) {
        printf("OK: %s\n  %zu tệp, %zu bản ghi WARC, %zu vụ, %zu quyết định: mọi mã băm khớp\n", path, check.files,
               check.records, check.cases, check.decisions);
        if (check.is_signed)
            printf("  chữ ký Ed25519 hợp lệ, khóa %s%s\n", check.fingerprint,
                   key ? " (đúng khóa yêu cầu)" : " (so dấu vân tay với khóa đơn vị công bố, hoặc dùng --key)");
        else
            printf("  CHÚ Ý: gói không được ký\n");
        if (attested[0])
            printf("  dấu thời gian RFC 3161 hợp lệ: %s\n", attested);
    } else {
        fprintf(stderr, "lscan: evidence verify: %s: ", path);
        print_safe(stderr, check.problem);
    }
    (void)time_ok;
    return check.ok ? EXIT_OK : EXIT_BAD_INPUT;
}

/* ---- lscan recheck ---------------------------------------------------------------------- */

static const cli_option recheck_cli_options[] = {
    {"campaign", 'c', "FILE", "the campaign whose targets cover the listings' hosts (required)"},
    {"register", OPT_REGISTER, "FILE", "the case register (default " DEFAULT_REGISTER ")"},
    {"evidence-dir", OPT_EVIDENCE_DIR, "DIR", "where the WARC records go (default " DEFAULT_EVIDENCE_DIR ")"},
    {"due", OPT_DUE, "HOURS", "instead of CASE_IDs: every case handled or transferred HOURS ago or more and not "
                              "re-checked since (24: the platforms' takedown clock)"},
    {"limit", OPT_LIMIT, "N", "with --due, at most N cases (default 500)"},
    {"as", OPT_AS, "NAME", "who re-checks (in the archive's warcinfo; default $USER)"},
    {"json", OPT_JSON, NULL, "one JSON line per case"},
    {"lang", OPT_LANG, "vi|en", "the language of the outcomes (default vi)"},
    {0}};

static int command_recheck(const cli_command *self, int argc, char **argv)
{
    struct option longs[CLI_MAX_OPTIONS];
    char shorts[3 * CLI_MAX_OPTIONS + 2];
    cli_getopt_tables(self, longs, shorts);
    const char *campaign_path = NULL, *register_path = DEFAULT_REGISTER, *evidence_dir = DEFAULT_EVIDENCE_DIR;
    const char *who = current_user();
    long due_hours = -1, limit = 500;
    bool json = false, english = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        switch (c) {
        case 'c': campaign_path = optarg; break;
        case OPT_REGISTER: register_path = optarg; break;
        case OPT_EVIDENCE_DIR: evidence_dir = optarg; break;
        case OPT_DUE:
            if (!cli_number(self, "due", optarg, 0, 24 * 366, &due_hours))
                return EXIT_USAGE;
            break;
        case OPT_LIMIT:
            if (!cli_number(self, "limit", optarg, 1, 100000, &limit))
                return EXIT_USAGE;
            break;
        case OPT_AS: who = optarg; break;
        case OPT_JSON: json = true; break;
        case OPT_LANG:
            if (strcmp(optarg, "vi") && strcmp(optarg, "en")) {
                fprintf(stderr, "lscan: recheck: --lang must be vi or en\n");
                return EXIT_USAGE;
            }
            english = !strcmp(optarg, "en");
            break;
        case 'h': cli_usage(self, stdout); return EXIT_OK;
        default: return cli_bad_usage(self);
        }
    }
    if (!campaign_path || (optind >= argc) == (due_hours < 0)) {
        fprintf(stderr, "lscan: recheck: give --campaign FILE and either CASE_IDs or --due HOURS\n");
        return EXIT_USAGE;
    }
    diagnostics diag;
    diagnostics_init(&diag);
    campaign *cmp = campaign_load(campaign_path, &diag);
    if (!cmp) {
        cli_print_diagnostics(&diag);
        diagnostics_free(&diag);
        return EXIT_USAGE;
    }
    diagnostics_free(&diag);
    const normalizer *n = cli_normalizer();
    char error[1024];
    if (access(register_path, R_OK) < 0) {
        fprintf(stderr, "lscan: recheck: %s: %s\n", register_path, strerror(errno));
        campaign_free(cmp);
        return EXIT_USAGE;
    }
    case_register *r = n ? register_open(register_path, n, error, sizeof error) : NULL;
    if (!r) {
        if (n)
            fprintf(stderr, "lscan: recheck: %s\n", error);
        campaign_free(cmp);
        return EXIT_RUNTIME;
    }
    /* the cases: given, or due */
    bytebuf due;
    bytebuf_init(&due, 0);
    const char **ids = NULL;
    size_t count = 0;
    if (due_hours >= 0) {
        if (register_recheck_due(r, (int64_t)due_hours * 3600000, (int64_t)time(NULL) * 1000, (size_t)limit, &due,
                                 &count, error, sizeof error) != REGISTER_OK) {
            fprintf(stderr, "lscan: recheck: %s\n", error);
            register_close(r);
            campaign_free(cmp);
            bytebuf_free(&due);
            return EXIT_RUNTIME;
        }
        ids = calloc(count + 1, sizeof *ids);
        size_t k = 0;
        for (size_t at = 0; ids && k < count; at += strlen(due.data + at) + 1)
            ids[k++] = due.data + at;
    } else {
        count = (size_t)(argc - optind);
        ids = calloc(count + 1, sizeof *ids);
        for (size_t k = 0; ids && k < count; k++)
            ids[k] = argv[optind + (int)k];
    }
    recheck_result *results = calloc(count + 1, sizeof *results);
    int status = EXIT_OK;
    if (!ids || !results) {
        fprintf(stderr, "lscan: recheck: out of memory\n");
        status = EXIT_RUNTIME;
    } else if (!count) {
        if (!json)
            printf(english ? "nothing is due for a re-check\n" : "không có vụ nào đến hạn kiểm tra lại\n");
    } else {
        recheck_options o = {.campaign = cmp, .reg = r, .evidence_dir = evidence_dir,
                             .software = "lscan " LSCAN_VERSION, .operator_name = who};
        /* as a scan logs it: robots.txt ignored, and on whose authority */
        for (size_t i = 0; i < cmp->target_count; i++)
            if (cmp->targets[i].robots_ignore)
                fprintf(stderr, "lscan: recheck: target '%s' ignores robots.txt: %s\n", cmp->targets[i].name,
                        cmp->targets[i].robots_reason);
        if (recheck_cases(&o, ids, count, results, error, sizeof error) < 0) {
            fprintf(stderr, "lscan: recheck: %s\n", error);
            status = EXIT_RUNTIME;
        } else {
            for (size_t i = 0; i < count; i++) {
                const recheck_result *res = &results[i];
                bool unchecked = res->outcome == RECHECK_FAILED || res->outcome == RECHECK_DISALLOWED;
                if (unchecked)
                    status = EXIT_BAD_INPUT;
                bytebuf line;
                bytebuf_init(&line, 0);
                if (json) {
                    bytebuf_append_string(&line, "{\"case_id\":");
                    bytebuf_append_json_string(&line, res->case_id, strlen(res->case_id));
                    bytebuf_printf(&line, ",\"outcome\":\"%s\",\"http_status\":%ld,\"changes\":",
                                   recheck_outcome_name(res->outcome), res->http_status);
                    bytebuf_append_json_string(&line, res->changes, strlen(res->changes));
                    bytebuf_append_string(&line, ",\"detail\":");
                    bytebuf_append_json_string(&line, res->detail, strlen(res->detail));
                    bytebuf_append_string(&line, ",\"record_id\":");
                    bytebuf_append_json_string(&line, res->archived ? res->where.record_id : "",
                                               res->archived ? strlen(res->where.record_id) : 0);
                    bytebuf_append_string(&line, ",\"robots_ignored\":");
                    if (res->robots_reason)
                        bytebuf_append_json_string(&line, res->robots_reason, strlen(res->robots_reason));
                    else
                        bytebuf_append_string(&line, "null");
                    bytebuf_append_string(&line, "}\n");
                    fwrite(line.data, 1, line.length, stdout);
                } else {
                    bytebuf_printf(&line, "%s  %s", res->case_id, recheck_outcome_label(res->outcome, !english));
                    if (res->detail[0])
                        bytebuf_printf(&line, " (%s)", res->detail);
                    if (res->archived)
                        bytebuf_printf(&line, "  %s @ %llu", res->where.file, (unsigned long long)res->where.offset);
                    print_safe(unchecked ? stderr : stdout, line.data);
                }
                bytebuf_free(&line);
            }
        }
    }
    free(results);
    free(ids);
    bytebuf_free(&due);
    register_close(r);
    campaign_free(cmp);
    return status;
}

const cli_command cli_recheck = {"recheck", "[CASE_ID...]",
                                 "fetch cases' listings again (obeying robots.txt), archive them, record online, "
                                 "changed or removed (exit 1 when one could not be checked)",
                                 recheck_cli_options, command_recheck};
const cli_command cli_keys_generate = {"keys generate", NULL,
                                       "make the department's Ed25519 key pair that signs evidence packages",
                                       keys_options, command_keys_generate};
const cli_command cli_evidence_export = {"evidence export", "CASE_ID...",
                                         "write a signed WACZ package of cases for police and courts, with a statement",
                                         export_options, command_export};
const cli_command cli_evidence_verify = {"evidence verify", "FILE.wacz",
                                         "check a package: every digest, the signature, the records, the decisions "
                                         "(exit 1 naming the first mismatch)",
                                         verify_options, command_verify};
