/* lscan report: the periodic reports of the plans (docs/reports.md) from
 * the case register, written to a folder as XLSX, CSV and PDF. Idempotent:
 * the same register state and options give the same files (each written
 * under a temporary name, then renamed), so a scheduler may run it again. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "scanner/cli/cli.h"
#include <sodium.h>

#include "scanner/cli/terminal.h"
#include "scanner/export/mail.h"
#include "scanner/report/report.h"

enum {
    OPT_DATE = 'd', OPT_FORMAT = 'f', OPT_OUT = 'o', OPT_REGISTER = 256, OPT_BASELINE, OPT_LANG, OPT_CAMPAIGN_DAYS,
    OPT_MAIL, OPT_MAIL_AGAIN
};

static const cli_option report_options_table[] = {
    {"date", OPT_DATE, "DATE", "the period: daily YYYY-MM-DD (default yesterday), monthly YYYY-MM (default last month),"
                               " yearly YYYY (default this year), campaign YYYY (default the latest begun),"
                               " range YYYY-MM-DD..YYYY-MM-DD (default the last 30 days)"},
    {"format", OPT_FORMAT, "LIST", "xlsx, csv, pdf: repeat or separate with commas (default all three)"},
    {"out", OPT_OUT, "DIR", "the folder the files go to (made if missing; required)"},
    {"register", OPT_REGISTER, "FILE", "the case register (default lscan-state/register.sqlite)"},
    {"baseline", OPT_BASELINE, "CSV", "last year's figures in the template of docs/reports.md (default: the register)"},
    {"lang", OPT_LANG, "vi|en", "labels in Vietnamese (default) or English"},
    {"campaign-days", OPT_CAMPAIGN_DAYS, "MM-DD..MM-DD", "the peak campaign's days (default 05-07..05-30)"},
    {"mail", OPT_MAIL, "FILE", "also send the files by e-mail, to the addresses of this YAML file (docs/reports.md)"},
    {"mail-again", OPT_MAIL_AGAIN, NULL, "send even when the same files already went to the same addresses"},
    {0}};

static int64_t now_ms(void);

static const char *const content_types[REPORT_FORMAT_COUNT] = {
    "text/csv; charset=utf-8", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/pdf"};

/* The digest of what a mail carries: the recipients and every file's name
 * and bytes. Equal digests: the same report already went to the same people. */
static bool mail_digest(const char *recipients, const mail_attachment *files, size_t count, char hex[65])
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)recipients, strlen(recipients) + 1);
    for (size_t i = 0; i < count; i++) {
        FILE *in = fopen(files[i].path, "rb");
        if (!in)
            return false;
        crypto_hash_sha256_update(&st, (const unsigned char *)files[i].name, strlen(files[i].name) + 1);
        unsigned char block[65536];
        size_t n;
        while ((n = fread(block, 1, sizeof block, in)) > 0)
            crypto_hash_sha256_update(&st, block, n);
        bool failed = ferror(in);
        fclose(in);
        if (failed)
            return false;
    }
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, digest);
    sodium_bin2hex(hex, 65, digest, sizeof digest);
    return true;
}

/* Sends the written files (a scheduler may run the report again: the same
 * files to the same addresses are sent once, unless `again`). */
static int mail_report(const mail_config *mail, const report *r, const char *out_dir, const mail_attachment *files,
                       size_t count, bool vietnamese, bool again)
{
    const report_figures *f = report_figures_of(r);
    char digest[65], marker[4096], name[128], error[1024];
    if (!mail_digest(mail_config_recipients(mail), files, count, digest)) {
        fprintf(stderr, "lscan: report: mail: cannot read the files back\n");
        return EXIT_RUNTIME;
    }
    report_file_name(&f->period, REPORT_CSV, name, sizeof name);
    name[strlen(name) - 4] = 0; /* without ".csv" */
    snprintf(marker, sizeof marker, "%s/.%s.mailed", out_dir, name);
    char *before = NULL;
    FILE *in = fopen(marker, "r");
    if (in) {
        char line[80] = "";
        if (fgets(line, sizeof line, in))
            before = strndup(line, 64);
        fclose(in);
    }
    bool same = before && !strcmp(before, digest);
    free(before);
    if (same && !again) {
        printf("mail: already sent to %s (the same files; --mail-again to send again)\n", mail_config_recipients(mail));
        return EXIT_OK;
    }
    char title[160];
    report_title(&f->period, vietnamese, title, sizeof title);
    bytebuf body;
    bytebuf_init(&body, 1 << 20);
    report_summary_text(f, vietnamese, 20, &body);
    bytebuf_append_string(&body, vietnamese ? "\nThư gửi tự động bởi lscan; số liệu đầy đủ trong các tệp đính kèm.\n"
                                            : "\nSent by lscan; the full figures are in the attached files.\n");
    mail_message m = {.subject = title, .body = body.data, .attachments = files, .attachment_count = count,
                      .date_ms = now_ms()};
    mail_error e = body.overflow ? MAIL_ERROR_MEMORY : mail_send(mail, &m, error, sizeof error);
    bytebuf_free(&body);
    if (e != MAIL_OK) {
        fprintf(stderr, "lscan: report: mail: %s\n", e == MAIL_ERROR_MEMORY ? mail_strerror(e) : error);
        return EXIT_RUNTIME;
    }
    char temporary[4200];
    snprintf(temporary, sizeof temporary, "%s.tmp", marker);
    FILE *o = fopen(temporary, "w");
    if (!o || fprintf(o, "%s\n", digest) < 0 || fclose(o) != 0 || rename(temporary, marker) != 0) {
        fprintf(stderr, "lscan: report: mail: sent, but cannot record it in %s: %s\n", marker, strerror(errno));
        return EXIT_RUNTIME;
    }
    printf("mail: sent to %s\n", mail_config_recipients(mail));
    return EXIT_OK;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool add_formats(const char *list, bool wanted[REPORT_FORMAT_COUNT])
{
    char copy[128];
    snprintf(copy, sizeof copy, "%s", list);
    bool any = false;
    for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        report_format f = report_format_named(t);
        if (f == REPORT_FORMAT_COUNT)
            return false;
        wanted[f] = any = true;
    }
    return any;
}

/* mkdir -p: 0, or -1 with errno. */
static int make_folders(const char *path)
{
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", path);
    for (char *p = copy + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(copy, 0755) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(copy, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static void safe_path(const char *path, bytebuf *out)
{
    terminal_safe_append(out, path, strlen(path));
}

static int command_report(const cli_command *self, int argc, char **argv)
{
    struct option longs[CLI_MAX_OPTIONS];
    char shorts[3 * CLI_MAX_OPTIONS + 2];
    cli_getopt_tables(self, longs, shorts);
    const char *date = NULL, *out_dir = NULL, *register_path = "lscan-state/register.sqlite";
    report_options options = {0};
    const char *mail_path = NULL;
    bool vietnamese = true, wanted[REPORT_FORMAT_COUNT] = {false}, any_format = false, mail_again = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        switch (c) {
        case OPT_DATE: date = optarg; break;
        case OPT_OUT: out_dir = optarg; break;
        case OPT_REGISTER: register_path = optarg; break;
        case OPT_BASELINE: options.baseline_csv = optarg; break;
        case OPT_MAIL: mail_path = optarg; break;
        case OPT_MAIL_AGAIN: mail_again = true; break;
        case OPT_FORMAT:
            if (!add_formats(optarg, wanted)) {
                fprintf(stderr, "lscan: report: --format takes xlsx, csv or pdf (not '%s')\n", optarg);
                return EXIT_USAGE;
            }
            any_format = true;
            break;
        case OPT_LANG:
            if (strcmp(optarg, "vi") && strcmp(optarg, "en")) {
                fprintf(stderr, "lscan: report: --lang must be vi or en\n");
                return EXIT_USAGE;
            }
            vietnamese = !strcmp(optarg, "vi");
            break;
        case OPT_CAMPAIGN_DAYS: {
            report_campaign_days *d = &options.campaign;
            char extra;
            if (sscanf(optarg, "%2d-%2d..%2d-%2d%c", &d->start_month, &d->start_day, &d->end_month, &d->end_day,
                       &extra) != 4) {
                fprintf(stderr, "lscan: report: --campaign-days takes MM-DD..MM-DD (not '%s')\n", optarg);
                return EXIT_USAGE;
            }
            break;
        }
        case 'h': cli_usage(self, stdout); return EXIT_OK;
        default: return cli_bad_usage(self);
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "lscan: report: give one of daily, monthly, yearly, campaign, range\n");
        cli_usage(self, stderr);
        return EXIT_USAGE;
    }
    report_period_kind kind = report_period_kind_named(argv[optind]);
    if (kind == REPORT_KIND_COUNT) {
        fprintf(stderr, "lscan: report: '%s' is not daily, monthly, yearly, campaign or range\n", argv[optind]);
        return EXIT_USAGE;
    }
    if (!out_dir) {
        fprintf(stderr, "lscan: report: --out DIR is required (where the files go)\n");
        return EXIT_USAGE;
    }
    if (!any_format)
        for (int f = 0; f < REPORT_FORMAT_COUNT; f++)
            wanted[f] = true;
    char error[1024];
    report_period period;
    if (report_period_make(kind, date, &options.campaign, now_ms(), &period, error, sizeof error) != REPORT_OK) {
        fprintf(stderr, "lscan: report: %s\n", error);
        return EXIT_USAGE;
    }
    mail_config *mail = NULL;
    if (mail_path && mail_config_load(mail_path, &mail, error, sizeof error) != MAIL_OK) {
        fprintf(stderr, "lscan: report: %s\n", error);
        return EXIT_USAGE;
    }
    struct stat st;
    if (stat(register_path, &st) != 0) {
        mail_config_destroy(mail);
        fprintf(stderr, "lscan: report: %s: %s (the case register; --register FILE)\n", register_path, strerror(errno));
        return EXIT_RUNTIME;
    }
    if (make_folders(out_dir) != 0) {
        fprintf(stderr, "lscan: report: cannot make %s: %s\n", out_dir, strerror(errno));
        mail_config_destroy(mail);
        return EXIT_RUNTIME;
    }
    report *r = NULL;
    report_error e = report_create(register_path, &period, &options, &r, error, sizeof error);
    if (e != REPORT_OK) {
        fprintf(stderr, "lscan: report: %s\n", error);
        mail_config_destroy(mail);
        return e == REPORT_ERROR_BASELINE || e == REPORT_ERROR_SCHEMA ? EXIT_USAGE : EXIT_RUNTIME;
    }
    char names[REPORT_FORMAT_COUNT][128], paths[REPORT_FORMAT_COUNT][4096];
    mail_attachment files[REPORT_FORMAT_COUNT];
    size_t written = 0;
    int status = EXIT_OK;
    bytebuf line;
    bytebuf_init(&line, 0);
    for (int f = 0; f < REPORT_FORMAT_COUNT; f++) {
        if (!wanted[f])
            continue;
        char *name = names[written], *path = paths[written];
        report_file_name(&period, (report_format)f, name, sizeof names[0]);
        snprintf(path, sizeof paths[0], "%s/%s", out_dir, name);
        e = report_write(r, (report_format)f, path, vietnamese, error, sizeof error);
        bytebuf_reset(&line);
        if (e != REPORT_OK) {
            fprintf(stderr, "lscan: report: %s\n", error);
            status = EXIT_RUNTIME;
            continue;
        }
        safe_path(path, &line);
        printf("%s\n", line.data ? line.data : "");
        files[written] = (mail_attachment){path, name, content_types[f]};
        written++;
    }
    bytebuf_free(&line);
    fflush(stdout);
    /* a report that failed to write is not mailed half */
    if (mail && status == EXIT_OK)
        status = mail_report(mail, r, out_dir, files, written, vietnamese, mail_again);
    mail_config_destroy(mail);
    report_destroy(r);
    return status;
}

const cli_command cli_report = {"report", "daily|monthly|yearly|campaign|range",
                                "the plans' reports (daily, monthly, yearly, peak campaign) as XLSX, CSV and PDF",
                                report_options_table, command_report};
