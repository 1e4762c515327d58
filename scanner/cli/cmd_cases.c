/* lscan cases ...: the case register from a terminal (docs/cases.md):
 * intake from the Redis streams, list, show, claim, release, decide, work a
 * queue, verify the decision chain, and the fixed reason lists. Every
 * command runs on scanner/cases (the same library code the console uses);
 * this file only reads options and prints. */
#include <cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rules/pack.h"
#include "rules/text/province.h"
#include "scanner/cases/intake.h"
#include "scanner/cases/register.h"
#include "scanner/cli/cli.h"
#include "scanner/cli/terminal.h"
#include "workers/redis.h"

#define DEFAULT_REGISTER "lscan-state/register.sqlite"

enum {
    OPT_REGISTER = 256, OPT_JSON, OPT_STATE, OPT_KIND, OPT_GOODS_GROUP, OPT_PLATFORM, OPT_PROVINCE, OPT_CAMPAIGN,
    OPT_SEVERITY, OPT_REVIEWER, OPT_SELLER, OPT_QUERY, OPT_MIN_AGE, OPT_UNIT, OPT_LIMIT, OPT_OFFSET, OPT_REDIS_USER,
    OPT_PASSWORD_FILE, OPT_PREFIX, OPT_FOLLOW, OPT_BATCH, OPT_RETENTION, OPT_CLAIM_MINUTES, OPT_AS, OPT_REASON,
    OPT_NOTE, OPT_REFERENCE, OPT_DUE, OPT_OVERRIDE, OPT_LANG, OPT_QUIET
};

/* Everything any `cases` command reads from its options; each command's
 * table says which it accepts. */
typedef struct cases_args {
    const char *register_path;
    bool json, english, follow, quiet, override;
    case_filter filter;
    const char *redis_url, *redis_user, *password_file, *prefix;
    long batch, retention_hours, claim_minutes;
    const char *as;                       /* who claims or decides */
    const char *reason, *note, *unit, *reference, *due;
    char **operands;
    int operand_count;
} cases_args;

#define OPTION_REGISTER {"register", OPT_REGISTER, "FILE", "the case register (default " DEFAULT_REGISTER ")"}
#define OPTION_JSON {"json", OPT_JSON, NULL, "JSON for scripts instead of text for people"}
#define OPTION_LANG {"lang", OPT_LANG, "vi|en", "the language of the labels (default vi)"}
#define OPTION_AS {"as", OPT_AS, "NAME", "who you are (default $LSCAN_REVIEWER, else $USER)"}
#define OPTIONS_REDIS_AFTER                                                                                        \
    {"redis-user", OPT_REDIS_USER, "USER", "the Redis ACL user"},                                               \
        {"redis-password-file", OPT_PASSWORD_FILE, "FILE", "read the Redis password from FILE (or LSCAN_REDIS_PASSWORD)"}, \
        {"prefix", OPT_PREFIX, "PREFIX", "the Redis key prefix (default lscan:)"}
#define OPTIONS_REDIS                                                                                              \
    {"redis", 'R', "URL", "redis://HOST[:PORT][/DB] (default redis://127.0.0.1:6379)"}, OPTIONS_REDIS_AFTER
#define OPTIONS_REDIS_PUBLISH                                                                                      \
    {"redis", 'R', "URL", "publish decisions to this Redis at once (else cases intake does)"}, OPTIONS_REDIS_AFTER
#define OPTIONS_FILTER                                                                                             \
    {"state", OPT_STATE, "STATE", "received, classified, verified, dismissed, needs_info, handled, transferred"},   \
        {"kind", OPT_KIND, "KIND", "trademark, gi, collective_mark, certification_mark, ocop, plant_variety, copyright"}, \
        {"goods-group", OPT_GOODS_GROUP, "GROUP", "a goods group (lscan cases reasons lists them)"},                \
        {"platform", OPT_PLATFORM, "NAME", "shopee, lazada, tiki, ..."},                                            \
        {"province", OPT_PROVINCE, "NAME", "a province, any spelling ('ha noi', 'HCM', 'Bắc Giang'), unknown or abroad"},                     \
        {"campaign", OPT_CAMPAIGN, "NAME", "the campaign the flags came from"},                                     \
        {"severity", OPT_SEVERITY, "LEVEL", "low, medium, high, critical"},                                         \
        {"seller", OPT_SELLER, "ID", "one seller's cases (with --platform)"},                                       \
        {"query", OPT_QUERY, "TEXT", "words in the title or seller name, or a listing or seller id"},              \
        {"min-age-hours", OPT_MIN_AGE, "N", "received at least N hours ago"}

static volatile sig_atomic_t stop_requested;

static void on_stop(int signal_number)
{
    (void)signal_number;
    stop_requested = 1;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *label(const cases_args *a, const char *vi, const char *en) { return a->english ? en : vi; }

/* ---- options ---- */

static bool known_filter_values(const cli_command *self, const cases_args *a)
{
    const case_filter *f = &a->filter;
    if (f->state && case_state_named(f->state) == CASE_STATE_COUNT) {
        fprintf(stderr, "lscan: %s: unknown state '%s'\n", self->name, f->state);
        return false;
    }
    if (f->kind && rule_kind_named(f->kind) == RULE_KIND_COUNT) {
        fprintf(stderr, "lscan: %s: unknown kind '%s' (lscan cases reasons lists them)\n", self->name, f->kind);
        return false;
    }
    if (f->goods_group && goods_group_named(f->goods_group) == GOODS_GROUP_COUNT) {
        fprintf(stderr, "lscan: %s: unknown goods group '%s' (lscan cases reasons lists them)\n", self->name,
                f->goods_group);
        return false;
    }
    if (f->seller_id && !f->platform) {
        fprintf(stderr, "lscan: %s: --seller needs --platform\n", self->name);
        return false;
    }
    return true;
}

/* Parses the options; -1 bad usage (printed), 1 --help (printed), 0 go. */
static int parse(const cli_command *self, int argc, char **argv, cases_args *a)
{
    struct option longs[CLI_MAX_OPTIONS];
    char shorts[3 * CLI_MAX_OPTIONS + 2];
    cli_getopt_tables(self, longs, shorts);
    memset(a, 0, sizeof *a);
    a->register_path = DEFAULT_REGISTER;
    a->retention_hours = 24;
    a->claim_minutes = 30;
    a->batch = 500;
    a->as = getenv("LSCAN_REVIEWER") && *getenv("LSCAN_REVIEWER") ? getenv("LSCAN_REVIEWER") : getenv("USER");
    long number;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        switch (c) {
        case OPT_REGISTER: a->register_path = optarg; break;
        case OPT_JSON: a->json = true; break;
        case OPT_LANG:
            if (strcmp(optarg, "vi") && strcmp(optarg, "en")) {
                fprintf(stderr, "lscan: %s: --lang must be vi or en\n", self->name);
                return -1;
            }
            a->english = !strcmp(optarg, "en");
            break;
        case OPT_STATE: a->filter.state = optarg; break;
        case OPT_KIND: a->filter.kind = optarg; break;
        case OPT_GOODS_GROUP: a->filter.goods_group = optarg; break;
        case OPT_PLATFORM: a->filter.platform = optarg; break;
        case OPT_PROVINCE: a->filter.province = optarg; break;
        case OPT_CAMPAIGN: a->filter.campaign = optarg; break;
        case OPT_SEVERITY: a->filter.severity = optarg; break;
        case OPT_REVIEWER: a->filter.reviewer = optarg; break;
        case OPT_SELLER: a->filter.seller_id = optarg; break;
        case OPT_QUERY: a->filter.query = optarg; break;
        case OPT_UNIT: a->unit = a->filter.transfer_unit = optarg; break;
        case OPT_MIN_AGE:
            if (!cli_number(self, "min-age-hours", optarg, 0, 24 * 3650, &number))
                return -1;
            a->filter.min_age_hours = (int)number;
            break;
        case OPT_LIMIT:
            if (!cli_number(self, "limit", optarg, 1, 1000, &number))
                return -1;
            a->filter.limit = (size_t)number;
            break;
        case OPT_OFFSET:
            if (!cli_number(self, "offset", optarg, 0, 1000000000L, &number))
                return -1;
            a->filter.offset = (size_t)number;
            break;
        case 'R': a->redis_url = optarg; break;
        case OPT_REDIS_USER: a->redis_user = optarg; break;
        case OPT_PASSWORD_FILE: a->password_file = optarg; break;
        case OPT_PREFIX: a->prefix = optarg; break;
        case OPT_FOLLOW: a->follow = true; break;
        case OPT_QUIET: a->quiet = true; break;
        case OPT_BATCH:
            if (!cli_number(self, "batch", optarg, 1, 10000, &a->batch))
                return -1;
            break;
        case OPT_RETENTION:
            if (!cli_number(self, "retention-hours", optarg, -1, 24 * 3650, &a->retention_hours))
                return -1;
            break;
        case OPT_CLAIM_MINUTES:
            if (!cli_number(self, "claim-minutes", optarg, 1, 24 * 60, &a->claim_minutes))
                return -1;
            break;
        case OPT_AS: a->as = optarg; break;
        case OPT_REASON: a->reason = optarg; break;
        case OPT_NOTE: a->note = optarg; break;
        case OPT_REFERENCE: a->reference = optarg; break;
        case OPT_DUE: a->due = optarg; break;
        case OPT_OVERRIDE: a->override = true; break;
        case 'h': cli_usage(self, stdout); return 1;
        default: cli_bad_usage(self); return -1;
        }
    }
    a->operands = argv + optind;
    a->operand_count = argc - optind;
    if (a->filter.seller_id)
        a->filter.seller_platform = a->filter.platform;
    if (a->filter.province && strcmp(a->filter.province, PROVINCE_UNKNOWN) &&
        strcmp(a->filter.province, PROVINCE_ABROAD)) {
        /* any spelling of a province, or a pre-merger one, names the province */
        province_table *t = NULL;
        const normalizer *n = cli_normalizer();
        if (!n || province_table_create(n, &t) < 0)
            return -1;
        const char *province = province_of(t, a->filter.province);
        province_table_destroy(t);
        if (!strcmp(province, PROVINCE_UNKNOWN) || !strcmp(province, PROVINCE_ABROAD)) {
            fprintf(stderr, "lscan: %s: '%s' is not a province of Vietnam (or give unknown or abroad)\n", self->name,
                    a->filter.province);
            return -1;
        }
        a->filter.province = province; /* static */
    }
    return known_filter_values(self, a) ? 0 : -1;
}

/* The register, creating its folder (one level) when it is missing. */
static case_register *open_register(const cli_command *self, const cases_args *a)
{
    const normalizer *n = cli_normalizer();
    if (!n)
        return NULL;
    char *copy = strdup(a->register_path);
    if (copy) {
        const char *folder = dirname(copy);
        struct stat st;
        if (strcmp(folder, ".") && stat(folder, &st) < 0 && errno == ENOENT && mkdir(folder, 0700) < 0 &&
            errno != EEXIST)
            fprintf(stderr, "lscan: %s: cannot create %s: %s\n", self->name, folder, strerror(errno));
        free(copy);
    }
    char error[512];
    case_register *r = register_open(a->register_path, n, error, sizeof error);
    if (!r)
        fprintf(stderr, "lscan: %s: %s\n", self->name, error);
    return r;
}

static bool need_identity(const cli_command *self, const cases_args *a)
{
    if (a->as && *a->as)
        return true;
    fprintf(stderr, "lscan: %s: say who you are with --as NAME (or LSCAN_REVIEWER)\n", self->name);
    return false;
}

/* ---- printing for people ---- */

static void put_safe(bytebuf *out, const char *text)
{
    if (text)
        terminal_safe_append(out, text, strlen(text));
    else
        bytebuf_append_string(out, "-");
}

/* Appends at most `columns` characters of text (terminal-safe, cut on a
 * character boundary, "…" when cut), then spaces up to `pad` characters. */
static void put_clipped(bytebuf *out, const char *text, size_t columns, size_t pad)
{
    bytebuf safe;
    bytebuf_init(&safe, 0);
    put_safe(&safe, text);
    size_t chars = 0, i = 0;
    const char *s = safe.data ? safe.data : "";
    for (; i < safe.length; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (chars == columns)
                break;
            chars++;
        }
    }
    bytebuf_append(out, s, i);
    if (i < safe.length)
        bytebuf_append_string(out, "…");
    for (size_t k = chars + (i < safe.length); k < pad; k++)
        bytebuf_append_char(out, ' ');
    bytebuf_free(&safe);
}

/* A new line and a label, padded so the values line up. */
static void put_label(bytebuf *out, const char *text)
{
    bytebuf_append_string(out, "\n  ");
    put_clipped(out, text, 40, 16);
}

static const char *text_of(const cJSON *object, const char *name)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(object, name));
}

/* "2026-05-07T03:04:05Z" -> "07/05/2026 10:04" in Vietnam time (UTC+7). */
static void vietnam_time(const char *rfc3339, char out[32])
{
    struct tm tm = {0};
    int y, mo, d, h, mi, s;
    if (!rfc3339 || sscanf(rfc3339, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6) {
        snprintf(out, 32, "-");
        return;
    }
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    time_t t = timegm(&tm) + 7 * 3600;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%d/%m/%Y %H:%M", &tm);
}

/* 350000 -> "350.000" (Vietnamese thousands). */
static void money(const cJSON *value, char out[48])
{
    if (!cJSON_IsNumber(value)) {
        snprintf(out, 48, "-");
        return;
    }
    char digits[32];
    snprintf(digits, sizeof digits, "%.0f", value->valuedouble);
    size_t n = strlen(digits), o = 0, lead = digits[0] == '-' ? 1 : 0;
    for (size_t i = 0; i < n && o + 2 < 48; i++) {
        if (i > lead && (n - i) % 3 == 0)
            out[o++] = '.';
        out[o++] = digits[i];
    }
    out[o] = '\0';
}

static const char *state_label(const cases_args *a, const char *state)
{
    case_state s = case_state_named(state);
    return s == CASE_STATE_COUNT ? (state ? state : "-") : case_state_label(s, !a->english);
}

static void print_case(const cases_args *a, const cJSON *c)
{
    bytebuf out;
    bytebuf_init(&out, 0);
    char when[32], price[48];
    bytebuf_printf(&out, "%s %s  [%s]  %s: ", label(a, "Vụ việc", "Case"), text_of(c, "case_id"),
                   state_label(a, text_of(c, "state")), label(a, "mức", "severity"));
    put_safe(&out, text_of(c, "severity"));
    const char *holder = text_of(c, "claimed_by");
    if (holder) {
        bytebuf_printf(&out, "  (%s ", label(a, "đang giữ:", "held by"));
        put_safe(&out, holder);
        bytebuf_append_char(&out, ')');
    }
    put_label(&out, label(a, "Nền tảng:", "Platform:"));
    put_safe(&out, text_of(c, "platform"));
    bytebuf_append_string(&out, " ");
    put_safe(&out, text_of(c, "listing_id"));
    put_label(&out, label(a, "Tiêu đề:", "Title:"));
    put_safe(&out, text_of(c, "title"));
    money(cJSON_GetObjectItemCaseSensitive(c, "price"), price);
    put_label(&out, label(a, "Giá:", "Price:"));
    bytebuf_printf(&out, "%s ", price);
    put_safe(&out, text_of(c, "currency"));
    const cJSON *reference = cJSON_GetObjectItemCaseSensitive(c, "reference_price");
    if (cJSON_IsNumber(reference)) {
        money(reference, price);
        bytebuf_printf(&out, "  (%s %s)", label(a, "giá hàng thật khoảng", "genuine price about"), price);
    }
    const cJSON *seller = cJSON_GetObjectItemCaseSensitive(c, "seller");
    put_label(&out, label(a, "Người bán:", "Seller:"));
    put_safe(&out, text_of(seller, "name"));
    bytebuf_append_string(&out, " (");
    put_safe(&out, text_of(seller, "id"));
    bytebuf_append_char(&out, ')');
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(seller, "official")))
        bytebuf_printf(&out, " %s", label(a, "cửa hàng chính hãng", "official store"));
    const cJSON *others = cJSON_GetObjectItemCaseSensitive(seller, "other_cases");
    if (cJSON_IsNumber(others) && others->valuedouble > 0)
        bytebuf_printf(&out, ", %.0f %s", others->valuedouble, label(a, "vụ việc khác", "other cases"));
    put_label(&out, label(a, "Địa bàn:", "Province:"));
    put_safe(&out, text_of(c, "province"));
    if (text_of(c, "location_raw")) {
        bytebuf_append_string(&out, " (\"");
        put_safe(&out, text_of(c, "location_raw"));
        bytebuf_append_string(&out, "\")");
    }
    rule_kind kind = rule_kind_named(text_of(c, "kind"));
    goods_group group = goods_group_named(text_of(c, "goods_group"));
    put_label(&out, label(a, "Loại quyền:", "Kind:"));
    bytebuf_printf(&out, "%s · %s", rule_kind_label(kind, !a->english),
                   goods_group_label(group, !a->english));
    const cJSON *flag = cJSON_GetObjectItemCaseSensitive(c, "flag");
    put_label(&out, label(a, "Lý do gắn cờ:", "Why flagged:"));
    put_safe(&out, text_of(flag, "explain"));
    put_label(&out, "URL:");
    put_safe(&out, text_of(c, "url"));
    vietnam_time(text_of(c, "first_seen"), when);
    const cJSON *count = cJSON_GetObjectItemCaseSensitive(c, "sighting_count");
    put_label(&out, label(a, "Lần phát hiện:", "Sightings:"));
    bytebuf_printf(&out, "%.0f, %s %s", cJSON_IsNumber(count) ? count->valuedouble : 0, label(a, "lần đầu", "first"), when);
    vietnam_time(text_of(c, "last_seen"), when);
    bytebuf_printf(&out, ", %s %s (%s)", label(a, "gần nhất", "last"), when, label(a, "giờ Việt Nam", "Vietnam time"));
    if (text_of(c, "due")) {
        put_label(&out, label(a, "Hạn bổ sung:", "Due:"));
        put_safe(&out, text_of(c, "due"));
    }
    const cJSON *history = cJSON_GetObjectItemCaseSensitive(c, "history"), *d;
    if (cJSON_GetArraySize(history) > 0)
        bytebuf_printf(&out, "\n  %s", label(a, "Lịch sử:", "History:"));
    cJSON_ArrayForEach(d, history)
    {
        vietnam_time(text_of(d, "at"), when);
        const cJSON *seq = cJSON_GetObjectItemCaseSensitive(d, "seq");
        bytebuf_printf(&out, "\n    #%.0f %s  ", cJSON_IsNumber(seq) ? seq->valuedouble : 0, when);
        put_safe(&out, text_of(d, "actor"));
        bytebuf_printf(&out, "  %s -> %s", text_of(d, "action") ? text_of(d, "action") : "-",
                       state_label(a, text_of(d, "to_state")));
        if (text_of(d, "reason") && *text_of(d, "reason")) {
            bytebuf_append_string(&out, "  ");
            put_safe(&out, text_of(d, "reason"));
        }
        const cJSON *transfer = cJSON_GetObjectItemCaseSensitive(d, "transfer");
        if (cJSON_IsObject(transfer)) {
            bytebuf_append_string(&out, "  ");
            put_safe(&out, text_of(transfer, "unit"));
            bytebuf_append_string(&out, " #");
            put_safe(&out, text_of(transfer, "reference"));
        }
        if (text_of(d, "note") && *text_of(d, "note")) {
            bytebuf_append_string(&out, "  \"");
            put_safe(&out, text_of(d, "note"));
            bytebuf_append_char(&out, '"');
        }
    }
    bytebuf_append_char(&out, '\n');
    fwrite(out.data, 1, out.length, stdout);
    bytebuf_free(&out);
}

/* Reads a case and prints it (as JSON or for people). */
static int show_case(const cli_command *self, const cases_args *a, case_register *r, const char *case_id)
{
    bytebuf json;
    bytebuf_init(&json, 0);
    char error[512];
    register_error e = register_case_json(r, case_id, &json, error, sizeof error);
    if (e != REGISTER_OK) {
        bytebuf_free(&json);
        fprintf(stderr, "lscan: %s: %s\n", self->name, error);
        return e == REGISTER_ERROR_NOT_FOUND ? EXIT_USAGE : EXIT_RUNTIME;
    }
    if (a->json) {
        fwrite(json.data, 1, json.length, stdout);
        fputc('\n', stdout);
    } else {
        cJSON *c = cJSON_ParseWithLength(json.data, json.length);
        if (c)
            print_case(a, c);
        cJSON_Delete(c);
    }
    bytebuf_free(&json);
    return EXIT_OK;
}

/* ---- intake ---- */

static int command_intake(const cli_command *self, int argc, char **argv)
{
    cases_args a;
    int p = parse(self, argc, argv, &a);
    if (p)
        return p > 0 ? EXIT_OK : EXIT_USAGE;
    if (a.operand_count)
        return cli_bad_usage(self);
    bool failed;
    char error[512];
    char *password = redis_password_find(a.password_file, NULL, &failed, error, sizeof error);
    if (failed) {
        fprintf(stderr, "lscan: %s: %s\n", self->name, error);
        return EXIT_USAGE;
    }
    case_register *r = open_register(self, &a);
    if (!r) {
        redis_secret_free(password);
        return EXIT_RUNTIME;
    }
    intake_options o = {.redis_url = a.redis_url, .username = a.redis_user, .password = password,
                        .prefix = a.prefix, .batch = (size_t)a.batch,
                        .retention_ms = a.retention_hours < 0 ? -1 : a.retention_hours * 3600000LL};
    if (a.retention_hours == 0)
        o.retention_ms = 1; /* trim everything acknowledged */
    intake *in = intake_create(&o, r, error, sizeof error);
    redis_secret_free(password);
    if (!in) {
        fprintf(stderr, "lscan: %s: %s\n", self->name, error);
        register_close(r);
        return EXIT_RUNTIME;
    }
    struct sigaction action = {.sa_handler = on_stop};
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    intake_stats stats = {0};
    uint64_t entries = 0;
    int status = EXIT_OK;
    bool progress = !a.quiet && isatty(2), outage = false;
    double last_progress = cli_now_seconds(), backoff = 0.5;
    while (!stop_requested) {
        long n = intake_step(in, a.follow ? 1000 : 0, now_ms(), &stats, error, sizeof error);
        if (n < 0) {
            if (!a.follow) {
                fprintf(stderr, "lscan: %s: %s\n", self->name, error);
                status = EXIT_RUNTIME;
                break;
            }
            if (!outage)
                fprintf(stderr, "lscan: %s: %s (retrying)\n", self->name, error);
            outage = true;
            /* a pause that a signal ends early */
            struct timespec pause = {(time_t)backoff, (long)((backoff - (double)(time_t)backoff) * 1e9)};
            nanosleep(&pause, NULL);
            backoff = backoff * 2 > 30 ? 30 : backoff * 2;
            continue;
        }
        if (outage)
            fprintf(stderr, "lscan: %s: Redis is back\n", self->name);
        outage = false;
        backoff = 0.5;
        entries += (uint64_t)n;
        if (progress && cli_now_seconds() - last_progress >= 1) {
            fprintf(stderr, "\rintake: %" PRIu64 " entries, %" PRIu64 " new cases, %" PRIu64 " new sightings   ",
                    entries, stats.cases_new, stats.sightings_new);
            last_progress = cli_now_seconds();
        }
        if (n == 0 && !a.follow)
            break;
    }
    if (progress)
        fputs("\r\033[K", stderr);
    if (status == EXIT_OK || entries) {
        long published = intake_publish(in, error, sizeof error);
        if (a.json)
            printf("{\"entries\":%" PRIu64 ",\"cases_new\":%" PRIu64 ",\"sightings_new\":%" PRIu64
                   ",\"duplicates\":%" PRIu64 ",\"bad\":%" PRIu64 ",\"orphans\":%" PRIu64 ",\"published\":%ld}\n",
                   entries, stats.cases_new, stats.sightings_new, stats.duplicates, stats.bad, stats.orphans,
                   published < 0 ? 0 : published);
        else
            printf("intake: %" PRIu64 " entries read: %" PRIu64 " new cases, %" PRIu64 " new sightings, %" PRIu64
                   " already in the register, %" PRIu64 " bad, %" PRIu64 " repeats waiting for their flag\n",
                   entries, stats.cases_new, stats.sightings_new, stats.duplicates, stats.bad, stats.orphans);
        if (stats.bad)
            fprintf(stderr, "lscan: %s: %" PRIu64 " stream entr%s not a flag or sighting (skipped, acknowledged)\n",
                    self->name, stats.bad, stats.bad == 1 ? "y was" : "ies were");
    }
    intake_destroy(in);
    register_close(r);
    if (stop_requested)
        return EXIT_INTERRUPTED;
    return status == EXIT_OK && stats.bad ? EXIT_BAD_INPUT : status;
}

/* ---- list ---- */

static int command_list(const cli_command *self, int argc, char **argv)
{
    cases_args a;
    int p = parse(self, argc, argv, &a);
    if (p)
        return p > 0 ? EXIT_OK : EXIT_USAGE;
    if (a.operand_count)
        return cli_bad_usage(self);
    case_register *r = open_register(self, &a);
    if (!r)
        return EXIT_RUNTIME;
    bytebuf json;
    bytebuf_init(&json, 0);
    char error[512];
    int64_t now = now_ms();
    int status = EXIT_OK;
    if (register_list_json(r, &a.filter, now, &json, error, sizeof error) != REGISTER_OK) {
        fprintf(stderr, "lscan: %s: %s\n", self->name, error);
        status = EXIT_RUNTIME;
    } else if (a.json) {
        fwrite(json.data, 1, json.length, stdout);
        fputc('\n', stdout);
    } else {
        uint64_t counts[CASE_STATE_COUNT], claimed;
        if (register_counts(r, &a.filter, now, counts, &claimed, error, sizeof error) == REGISTER_OK) {
            for (int s = 0; s < CASE_STATE_COUNT; s++)
                printf("%s%s: %" PRIu64, s ? ", " : "", case_state_label((case_state)s, !a.english), counts[s]);
            printf("; %s: %" PRIu64 "\n", label(&a, "đang được giữ", "claimed now"), claimed);
        }
        cJSON *root = cJSON_ParseWithLength(json.data, json.length), *c;
        bytebuf line;
        bytebuf_init(&line, 0);
        if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "cases")) > 0) {
            static const char *const heads[][2] = {{"VỤ VIỆC", "CASE"},   {"TRẠNG THÁI", "STATE"},
                                                   {"MỨC", "SEVERITY"},   {"NỀN TẢNG", "PLATFORM"},
                                                   {"ĐỊA BÀN", "PROVINCE"}, {"LẦN", "SEEN"},
                                                   {"GẦN NHẤT (giờ VN)", "LAST (Vietnam)"}, {"TIÊU ĐỀ", "TITLE"}};
            static const size_t widths[] = {18, 12, 9, 10, 15, 5, 18, 0};
            for (size_t h = 0; h < 8; h++)
                put_clipped(&line, heads[h][a.english], 40, widths[h]);
            printf("%s\n", line.data);
        }
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(root, "cases"))
        {
            char when[32];
            vietnam_time(text_of(c, "last_seen"), when);
            const cJSON *n = cJSON_GetObjectItemCaseSensitive(c, "sightings");
            bytebuf_reset(&line);
            bytebuf_printf(&line, "%s  ", text_of(c, "case_id"));
            put_clipped(&line, text_of(c, "state"), 11, 12);
            put_clipped(&line, text_of(c, "severity"), 8, 9);
            put_clipped(&line, text_of(c, "platform"), 9, 10);
            put_clipped(&line, text_of(c, "province"), 14, 15);
            bytebuf_printf(&line, "%-5.0f%-18s", cJSON_IsNumber(n) ? n->valuedouble : 0, when);
            put_clipped(&line, text_of(c, "title"), 60, 0);
            printf("%s\n", line.data);
        }
        const cJSON *total = cJSON_GetObjectItemCaseSensitive(root, "total");
        printf("%s %d / %.0f\n", label(&a, "hiển thị", "shown"), cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "cases")),
               cJSON_IsNumber(total) ? total->valuedouble : 0);
        bytebuf_free(&line);
        cJSON_Delete(root);
    }
    bytebuf_free(&json);
    register_close(r);
    return status;
}

/* ---- show ---- */

static int command_show(const cli_command *self, int argc, char **argv)
{
    cases_args a;
    int p = parse(self, argc, argv, &a);
    if (p)
        return p > 0 ? EXIT_OK : EXIT_USAGE;
    if (a.operand_count != 1)
        return cli_bad_usage(self);
    case_register *r = open_register(self, &a);
    if (!r)
        return EXIT_RUNTIME;
    int status = show_case(self, &a, r, a.operands[0]);
    register_close(r);
    return status;
}

/* ---- claim and release ---- */

static int command_claim(const cli_command *self, int argc, char **argv)
{
    cases_args a;
    int p = parse(self, argc, argv, &a);
    if (p)
        return p > 0 ? EXIT_OK : EXIT_USAGE;
    if (a.operand_count)
        return cli_bad_usage(self);
    if (!need_identity(self, &a))
        return EXIT_USAGE;
    case_register *r = open_register(self, &a);
    if (!r)
        return EXIT_RUNTIME;
    char case_id[33], error[512];
    bool found;
    int status = EXIT_OK;
    if (register_claim(r, a.as, &a.filter, now_ms(), a.claim_minutes * 60000LL, case_id, &found, error,
                       sizeof error) != REGISTER_OK) {
        fprintf(stderr, "lscan: %s: %s\n", self->name, error);
        status = EXIT_RUNTIME;
    } else if (!found) {
        if (a.json)
            puts("{\"case\":null}");
        else
            puts(label(&a, "Không còn vụ việc nào trong hàng đợi.", "The queue is empty."));
    } else {
        status = show_case(self, &a, r, case_id);
    }
    register_close(r);
    return status;
}

static int command_release(const cli_command *self, int argc, char **argv)
{
    cases_args a;
    int p = parse(self, argc, argv, &a);
    if (p)
        return p > 0 ? EXIT_OK : EXIT_USAGE;
    if (a.operand_count != 1)
        return cli_bad_usage(self);
    if (!need_identity(self, &a))
        return EXIT_USAGE;
    case_register *r = open_register(self, &a);
    if (!r)
        return EXIT_RUNTIME;
    char error[512];
    int status = EXIT_OK;
    if (register_release(r, a.operands[0], a.override ? NULL : a.as, error, sizeof error) != REGISTER_OK) {
        fprintf(stderr, "lscan: %s: %s\n", self->name, error);
        status = EXIT_RUNTIME;
    }
    register_close(r);
    return status;
}

/* ---- decide ---- */

/* Publishes the decisions not published yet when --redis was given; a
 * failure is a note, not an error (the intake publishes them later). */
static void publish_now(const cli_command *self, const cases_args *a, case_register *r)
{
    if (!a->redis_url)
        return;
    bool failed;
    char error[512];
    char *password = redis_password_find(a->password_file, NULL, &failed, error, sizeof error);
    intake_options o = {.redis_url = a->redis_url, .username = a->redis_user, .password = password,
                        .prefix = a->prefix, .consumer = "publisher", .retention_ms = -1};
    intake *in = failed ? NULL : intake_create(&o, r, error, sizeof error);
    redis_secret_free(password);
    if (!in || intake_publish(in, error, sizeof error) < 0)
        fprintf(stderr, "lscan: %s: the decision is recorded; publishing it failed (%s); cases intake publishes it later\n",
                self->name, error);
    intake_destroy(in);
}

static int report_decision(const cli_command *self, const cases_args *a, register_error e, const char *error,
                           const decision_output *out, const char *case_id)
{
    if (e == REGISTER_OK) {
        if (a->json)
            printf("{\"case_id\":\"%s\",\"seq\":%" PRIu64 ",\"from\":\"%s\",\"to\":\"%s\",\"hash\":\"%s\"}\n", case_id,
                   out->seq, case_state_name(out->from), case_state_name(out->to), out->hash);
        else
            printf("%s %s: %s -> %s (%s #%" PRIu64 ", %s)\n", label(a, "Vụ việc", "Case"), case_id,
                   case_state_label(out->from, !a->english), case_state_label(out->to, !a->english),
                   label(a, "quyết định", "decision"), out->seq, out->hash);
        return EXIT_OK;
    }
    fprintf(stderr, "lscan: %s: %s\n", self->name, error);
    return e == REGISTER_ERROR_DATABASE || e == REGISTER_ERROR_MEMORY ? EXIT_RUNTIME : EXIT_USAGE;
}

static int command_decide(const cli_command *self, int argc, char **argv)
{
    cases_args a;
    int p = parse(self, argc, argv, &a);
    if (p)
        return p > 0 ? EXIT_OK : EXIT_USAGE;
    if (a.operand_count != 2)
        return cli_bad_usage(self);
    case_action action = case_action_named(a.operands[1]);
    if (action == ACTION_COUNT) {
        fprintf(stderr, "lscan: %s: unknown action '%s' (classify, verify, dismiss, need_info, handle, transfer, "
                        "reclassify)\n", self->name, a.operands[1]);
        return EXIT_USAGE;
    }
    if (!need_identity(self, &a))
        return EXIT_USAGE;
    case_register *r = open_register(self, &a);
    if (!r)
        return EXIT_RUNTIME;
    decision_input in = {.case_id = a.operands[0], .actor = a.as, .action = action, .reason = a.reason,
                         .note = a.note, .kind = a.filter.kind, .goods_group = a.filter.goods_group,
                         .unit = a.unit, .reference = a.reference, .due = a.due, .override_claim = a.override};
    decision_output out;
    char error[512];
    register_error e = register_decide(r, &in, now_ms(), &out, error, sizeof error);
    int status = report_decision(self, &a, e, error, &out, a.operands[0]);
    if (e == REGISTER_OK)
        publish_now(self, &a, r);
    register_close(r);
    return status;
}

/* ---- work: a queue from the terminal ---- */

/* One answer line from stdin (without its line end); false at the end. */
static bool ask(const char *prompt, char *answer, size_t size)
{
    fputs(prompt, stdout);
    fflush(stdout);
    if (!fgets(answer, (int)size, stdin))
        return false;
    answer[strcspn(answer, "\r\n")] = '\0';
    return true;
}

/* A code from a list, asked by number or code; NULL at the end of input. */
static const char *ask_code(const cases_args *a, const char *title, const char *const *codes, const char *const *names,
                            size_t count, const char *fallback, char *answer, size_t size)
{
    printf("%s\n", title);
    for (size_t i = 0; i < count; i++)
        printf("  %zu. %s (%s)\n", i + 1, names[i], codes[i]);
    for (;;) {
        char prompt[256];
        snprintf(prompt, sizeof prompt, "%s%s%s%s: ", label(a, "chọn số", "choose a number"), fallback ? " [" : "",
                 fallback ? fallback : "", fallback ? "]" : "");
        if (!ask(prompt, answer, size))
            return NULL;
        if (!*answer && fallback)
            return fallback;
        char *end;
        long k = strtol(answer, &end, 10);
        if (*answer && !*end && k >= 1 && (size_t)k <= count)
            return codes[k - 1];
        for (size_t i = 0; i < count; i++)
            if (!strcmp(answer, codes[i]))
                return codes[i];
        printf("%s\n", label(a, "Không có trong danh sách.", "Not in the list."));
    }
}

static const char *ask_reason(const cases_args *a, case_action action, char *answer, size_t size)
{
    size_t n;
    const register_reason *list = register_reasons(action, &n);
    const char *codes[16], *names[16];
    for (size_t i = 0; i < n && i < 16; i++) {
        codes[i] = list[i].code;
        names[i] = a->english ? list[i].en : list[i].vi;
    }
    return ask_code(a, action == ACTION_HANDLE ? label(a, "Biện pháp:", "Measure:") : label(a, "Lý do:", "Reason:"),
                    codes, names, n < 16 ? n : 16, NULL, answer, size);
}

/* Asks what a decision needs and makes it; 1 decided, 0 not (said why),
 * -1 end of input. */
static int work_decide(const cli_command *self, const cases_args *a, case_register *r, const cJSON *c, case_action action)
{
    char reason[64], note[1024] = "", kind[64], group[64], unit[256], reference[256], due[32];
    decision_input in = {.case_id = text_of(c, "case_id"), .actor = a->as, .action = action};
    switch (action) {
    case ACTION_CLASSIFY:
    case ACTION_RECLASSIFY: {
        const char *kinds[RULE_KIND_COUNT], *kind_names[RULE_KIND_COUNT];
        for (int k = 0; k < RULE_KIND_COUNT; k++) {
            kinds[k] = rule_kind_name((rule_kind)k);
            kind_names[k] = rule_kind_label((rule_kind)k, !a->english);
        }
        const char *groups[GOODS_GROUP_COUNT], *group_names[GOODS_GROUP_COUNT];
        for (int g = 0; g < GOODS_GROUP_COUNT; g++) {
            groups[g] = goods_group_name((goods_group)g);
            group_names[g] = goods_group_label((goods_group)g, !a->english);
        }
        if (!(in.kind = ask_code(a, label(a, "Loại quyền:", "Kind of right:"), kinds, kind_names, RULE_KIND_COUNT,
                                 text_of(c, "kind"), kind, sizeof kind)))
            return -1;
        if (!(in.goods_group = ask_code(a, label(a, "Nhóm hàng:", "Goods group:"), groups, group_names,
                                        GOODS_GROUP_COUNT, text_of(c, "goods_group"), group, sizeof group)))
            return -1;
        break;
    }
    case ACTION_VERIFY:
    case ACTION_DISMISS:
    case ACTION_HANDLE:
        if (!(in.reason = ask_reason(a, action, reason, sizeof reason)))
            return -1;
        if (!ask(label(a, "Ghi chú (có thể bỏ trống): ", "Note (may be empty): "), note, sizeof note))
            return -1;
        in.note = note;
        break;
    case ACTION_NEED_INFO: {
        char fallback[16];
        time_t week = time(NULL) + 7 * 86400;
        struct tm tm;
        gmtime_r(&week, &tm);
        strftime(fallback, sizeof fallback, "%Y-%m-%d", &tm);
        char prompt[128];
        snprintf(prompt, sizeof prompt, "%s [%s]: ", label(a, "Hạn bổ sung (YYYY-MM-DD)", "Due (YYYY-MM-DD)"), fallback);
        if (!ask(prompt, due, sizeof due))
            return -1;
        if (!*due)
            snprintf(due, sizeof due, "%s", fallback);
        in.due = due;
        if (!ask(label(a, "Cần bổ sung gì: ", "What is missing: "), note, sizeof note))
            return -1;
        in.note = note;
        break;
    }
    case ACTION_TRANSFER:
        if (!ask(label(a, "Đơn vị tiếp nhận: ", "Receiving unit: "), unit, sizeof unit) ||
            !ask(label(a, "Số văn bản chuyển: ", "Reference number: "), reference, sizeof reference) ||
            !ask(label(a, "Ghi chú (có thể bỏ trống): ", "Note (may be empty): "), note, sizeof note))
            return -1;
        in.unit = unit;
        in.reference = reference;
        in.note = note;
        break;
    default: return 0;
    }
    decision_output out;
    char error[512];
    register_error e = register_decide(r, &in, now_ms(), &out, error, sizeof error);
    report_decision(self, a, e, error, &out, in.case_id);
    if (e == REGISTER_OK)
        publish_now(self, a, r);
    return e == REGISTER_OK;
}

static int command_work(const cli_command *self, int argc, char **argv)
{
    cases_args a;
    int p = parse(self, argc, argv, &a);
    if (p)
        return p > 0 ? EXIT_OK : EXIT_USAGE;
    if (a.operand_count)
        return cli_bad_usage(self);
    if (!need_identity(self, &a))
        return EXIT_USAGE;
    case_register *r = open_register(self, &a);
    if (!r)
        return EXIT_RUNTIME;
    char skipped[8][33];
    size_t skip_count = 0;
    int status = EXIT_OK;
    uint64_t decided = 0;
    for (;;) {
        char case_id[33], error[512], answer[64];
        bool found;
        case_filter filter = a.filter;
        for (size_t i = 0; i < skip_count; i++)
            filter.exclude[i] = skipped[i];
        if (register_claim(r, a.as, &filter, now_ms(), a.claim_minutes * 60000LL, case_id, &found, error,
                           sizeof error) != REGISTER_OK) {
            fprintf(stderr, "lscan: %s: %s\n", self->name, error);
            status = EXIT_RUNTIME;
            break;
        }
        if (!found) {
            puts(label(&a, "Không còn vụ việc nào trong hàng đợi.", "The queue is empty."));
            break;
        }
        bytebuf json;
        bytebuf_init(&json, 0);
        cJSON *c = NULL;
        if (register_case_json(r, case_id, &json, error, sizeof error) == REGISTER_OK)
            c = cJSON_ParseWithLength(json.data, json.length);
        bytebuf_free(&json);
        if (!c) {
            fprintf(stderr, "lscan: %s: %s\n", self->name, error);
            status = EXIT_RUNTIME;
            break;
        }
        putchar('\n');
        print_case(&a, c);
        case_state state = case_state_named(text_of(c, "state"));
        bool quit = false;
        for (;;) {
            const char *menu = a.english ? "[c]lassify [v]erify [d]ismiss [n]eed info [h]andle [t]ransfer [s]kip [q]uit: "
                                         : "[c] phân loại  [v] xác minh  [d] loại bỏ  [n] cần thêm thông tin  "
                                           "[h] xử lý  [t] chuyển giao  [s] bỏ qua  [q] thoát: ";
            if (!ask(menu, answer, sizeof answer)) {
                quit = true;
                break;
            }
            case_action action = ACTION_COUNT;
            switch (answer[0]) {
            case 'c': action = state == CASE_RECEIVED || state == CASE_NEEDS_INFO ? ACTION_CLASSIFY : ACTION_RECLASSIFY; break;
            case 'v': action = ACTION_VERIFY; break;
            case 'd': action = ACTION_DISMISS; break;
            case 'n': action = ACTION_NEED_INFO; break;
            case 'h': action = ACTION_HANDLE; break;
            case 't': action = ACTION_TRANSFER; break;
            case 's':
                register_release(r, case_id, a.as, error, sizeof error);
                if (skip_count < 8)
                    snprintf(skipped[skip_count++], 33, "%s", case_id);
                break;
            case 'q': quit = true; break;
            default: continue;
            }
            if (quit || answer[0] == 's')
                break;
            int done = work_decide(self, &a, r, c, action);
            if (done < 0) {
                quit = true;
                break;
            }
            if (done > 0) {
                decided++;
                break;
            }
        }
        cJSON_Delete(c);
        if (quit) {
            register_release(r, case_id, a.as, error, sizeof error);
            break;
        }
    }
    printf("%s: %" PRIu64 "\n", label(&a, "Số quyết định đã ghi", "Decisions recorded"), decided);
    register_close(r);
    return status;
}

/* ---- verify ---- */

static int command_verify(const cli_command *self, int argc, char **argv)
{
    cases_args a;
    int p = parse(self, argc, argv, &a);
    if (p)
        return p > 0 ? EXIT_OK : EXIT_USAGE;
    if (a.operand_count)
        return cli_bad_usage(self);
    case_register *r = open_register(self, &a);
    if (!r)
        return EXIT_RUNTIME;
    chain_report report;
    char error[512];
    register_error e = register_verify(r, &report, error, sizeof error);
    register_close(r);
    if (e != REGISTER_OK) {
        fprintf(stderr, "lscan: %s: %s\n", self->name, error);
        return EXIT_RUNTIME;
    }
    if (a.json) {
        bytebuf why;
        bytebuf_init(&why, 0);
        bytebuf_append_json_string(&why, report.why, strlen(report.why));
        printf("{\"intact\":%s,\"count\":%" PRIu64 ",\"head\":\"%s\",\"broken_seq\":%" PRIu64 ",\"why\":%s}\n",
               report.intact ? "true" : "false", report.count, report.head, report.broken_seq,
               why.data ? why.data : "\"\"");
        bytebuf_free(&why);
    } else if (report.intact) {
        printf("%s: %" PRIu64 " %s, %s %s\n", label(&a, "Chuỗi quyết định nguyên vẹn", "The decision chain is intact"),
               report.count, label(&a, "quyết định", "decisions"), label(&a, "mã đầu chuỗi", "head"), report.head);
    } else {
        if (report.broken_seq)
            fprintf(stderr, "lscan: %s: the chain is broken at decision #%" PRIu64 ": %s\n", self->name,
                    report.broken_seq, report.why);
        else
            fprintf(stderr, "lscan: %s: the register does not agree with its decision chain: %s\n", self->name,
                    report.why);
    }
    return report.intact ? EXIT_OK : EXIT_BAD_INPUT;
}

/* ---- reasons ---- */

static int command_reasons(const cli_command *self, int argc, char **argv)
{
    cases_args a;
    int p = parse(self, argc, argv, &a);
    if (p)
        return p > 0 ? EXIT_OK : EXIT_USAGE;
    if (a.operand_count)
        return cli_bad_usage(self);
    static const case_action lists[] = {ACTION_VERIFY, ACTION_DISMISS, ACTION_HANDLE};
    static const char *const list_names[] = {"verify", "dismiss", "handle"};
    if (a.json) {
        cJSON *root = cJSON_CreateObject();
        cJSON *states = cJSON_AddArrayToObject(root, "states"), *kinds = cJSON_AddArrayToObject(root, "kinds"),
              *groups = cJSON_AddArrayToObject(root, "goods_groups"), *actions = cJSON_AddArrayToObject(root, "actions");
        for (int s = 0; s < CASE_STATE_COUNT; s++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "code", case_state_name((case_state)s));
            cJSON_AddStringToObject(o, "vi", case_state_label((case_state)s, true));
            cJSON_AddStringToObject(o, "en", case_state_label((case_state)s, false));
            cJSON_AddItemToArray(states, o);
        }
        for (int k = 0; k < RULE_KIND_COUNT; k++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "code", rule_kind_name((rule_kind)k));
            cJSON_AddStringToObject(o, "vi", rule_kind_label((rule_kind)k, true));
            cJSON_AddStringToObject(o, "en", rule_kind_label((rule_kind)k, false));
            cJSON_AddItemToArray(kinds, o);
        }
        for (int g = 0; g < GOODS_GROUP_COUNT; g++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "code", goods_group_name((goods_group)g));
            cJSON_AddStringToObject(o, "vi", goods_group_label((goods_group)g, true));
            cJSON_AddStringToObject(o, "en", goods_group_label((goods_group)g, false));
            cJSON_AddItemToArray(groups, o);
        }
        for (int x = 0; x < ACTION_COUNT; x++)
            cJSON_AddItemToArray(actions, cJSON_CreateString(case_action_name((case_action)x)));
        for (size_t l = 0; l < 3; l++) {
            size_t n;
            const register_reason *list = register_reasons(lists[l], &n);
            cJSON *array = cJSON_AddArrayToObject(root, list_names[l]);
            for (size_t i = 0; i < n; i++) {
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "code", list[i].code);
                cJSON_AddStringToObject(o, "vi", list[i].vi);
                cJSON_AddStringToObject(o, "en", list[i].en);
                cJSON_AddItemToArray(array, o);
            }
        }
        char *text = cJSON_PrintUnformatted(root);
        if (text)
            puts(text);
        cJSON_free(text);
        cJSON_Delete(root);
        return EXIT_OK;
    }
    printf("%s\n", label(&a, "Trạng thái (--state):", "States (--state):"));
    for (int s = 0; s < CASE_STATE_COUNT; s++)
        printf("  %-28s%s\n", case_state_name((case_state)s), case_state_label((case_state)s, !a.english));
    printf("%s\n", label(&a, "Loại quyền (--kind):", "Kinds (--kind):"));
    for (int k = 0; k < RULE_KIND_COUNT; k++)
        printf("  %-28s%s\n", rule_kind_name((rule_kind)k), rule_kind_label((rule_kind)k, !a.english));
    printf("%s\n", label(&a, "Nhóm hàng (--goods-group):", "Goods groups (--goods-group):"));
    for (int g = 0; g < GOODS_GROUP_COUNT; g++)
        printf("  %-28s%s\n", goods_group_name((goods_group)g), goods_group_label((goods_group)g, !a.english));
    static const char *const titles[][2] = {{"Lý do xác minh (verify --reason):", "Verify reasons (verify --reason):"},
                                            {"Lý do loại bỏ (dismiss --reason):", "Dismiss reasons (dismiss --reason):"},
                                            {"Biện pháp xử lý (handle --reason):", "Measures (handle --reason):"}};
    for (size_t l = 0; l < 3; l++) {
        size_t n;
        const register_reason *list = register_reasons(lists[l], &n);
        printf("%s\n", titles[l][a.english ? 1 : 0]);
        for (size_t i = 0; i < n; i++)
            printf("  %-28s%s\n", list[i].code, a.english ? list[i].en : list[i].vi);
    }
    return EXIT_OK;
}

/* ---- the tables ---- */

static const cli_option intake_options_table[] = {
    OPTION_REGISTER,
    OPTIONS_REDIS,
    {"follow", OPT_FOLLOW, NULL, "keep reading the streams until SIGINT or SIGTERM"},
    {"batch", OPT_BATCH, "N", "entries per stream per transaction (default 500)"},
    {"retention-hours", OPT_RETENTION, "N", "trim acknowledged stream entries older than N hours (default 24; -1 never)"},
    {"quiet", OPT_QUIET, NULL, "no progress line"},
    OPTION_JSON,
    {0}};
static const cli_option list_options[] = {
    OPTION_REGISTER, OPTIONS_FILTER,
    {"reviewer", OPT_REVIEWER, "NAME", "cases this reviewer decided"},
    {"unit", OPT_UNIT, "UNIT", "cases transferred to this unit"},
    {"limit", OPT_LIMIT, "N", "at most N cases (default 50, at most 1000)"},
    {"offset", OPT_OFFSET, "N", "skip the first N"},
    OPTION_JSON, OPTION_LANG, {0}};
static const cli_option show_options[] = {OPTION_REGISTER, OPTION_JSON, OPTION_LANG, {0}};
static const cli_option claim_options[] = {
    OPTION_REGISTER, OPTION_AS, OPTIONS_FILTER,
    {"claim-minutes", OPT_CLAIM_MINUTES, "N", "hold it N minutes, then it returns to the queue (default 30)"},
    OPTION_JSON, OPTION_LANG, {0}};
static const cli_option release_options[] = {
    OPTION_REGISTER, OPTION_AS, {"override", OPT_OVERRIDE, NULL, "release whoever holds it (a lead)"}, {0}};
static const cli_option decide_options[] = {
    OPTION_REGISTER, OPTION_AS,
    {"reason", OPT_REASON, "CODE", "verify, dismiss: the reason; handle: the measure (lscan cases reasons)"},
    {"note", OPT_NOTE, "TEXT", "free text (needed with reason other, and with need_info)"},
    {"kind", OPT_KIND, "KIND", "classify, reclassify: the kind of right"},
    {"goods-group", OPT_GOODS_GROUP, "GROUP", "classify, reclassify: the goods group"},
    {"unit", OPT_UNIT, "UNIT", "transfer: the receiving unit"},
    {"reference", OPT_REFERENCE, "REF", "transfer: the reference number of the transfer"},
    {"due", OPT_DUE, "YYYY-MM-DD", "need_info: when the information is due"},
    {"override", OPT_OVERRIDE, NULL, "decide a case another reviewer holds (a lead)"},
    OPTIONS_REDIS_PUBLISH, OPTION_JSON, OPTION_LANG, {0}};
static const cli_option work_options[] = {
    OPTION_REGISTER, OPTION_AS, OPTIONS_FILTER,
    {"claim-minutes", OPT_CLAIM_MINUTES, "N", "hold each case N minutes (default 30)"},
    OPTIONS_REDIS_PUBLISH, OPTION_LANG, {0}};
static const cli_option verify_options[] = {OPTION_REGISTER, OPTION_JSON, OPTION_LANG, {0}};
static const cli_option reasons_options[] = {OPTION_JSON, OPTION_LANG, {0}};

const cli_command cli_cases_intake = {"cases intake", NULL,
                                      "take flags from the Redis streams into the case register (once, or --follow)",
                                      intake_options_table, command_intake};
const cli_command cli_cases_list = {"cases list", NULL, "list cases (newest sighting first), with counts by state",
                                    list_options, command_list};
const cli_command cli_cases_show = {"cases show", "CASE_ID", "one case: its listing, why, sightings and history",
                                    show_options, command_show};
const cli_command cli_cases_claim = {"cases claim", NULL, "take the next case of the queue (or the one you hold)",
                                     claim_options, command_claim};
const cli_command cli_cases_release = {"cases release", "CASE_ID", "give a claimed case back to the queue",
                                       release_options, command_release};
const cli_command cli_cases_decide = {"cases decide", "CASE_ID ACTION",
                                      "record a decision: classify, verify, dismiss, need_info, handle, transfer, "
                                      "reclassify",
                                      decide_options, command_decide};
const cli_command cli_cases_work = {"cases work", NULL, "work the queue from the terminal: claim, read, decide, next",
                                    work_options, command_work};
const cli_command cli_cases_verify = {"cases verify", NULL,
                                      "recompute the decision chain; name the first broken record (exit 1)",
                                      verify_options, command_verify};
const cli_command cli_cases_reasons = {"cases reasons", NULL,
                                       "the states, kinds, goods groups, reasons and measures decisions take",
                                       reasons_options, command_reasons};
