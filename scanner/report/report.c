/* report: the figures of a period from the case register (report.h,
 * docs/reports.md). One read-only connection, one read transaction. */
#include "scanner/report/report.h"

#include <cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "rules/base/error_message.h"
#include "rules/pack.h"
#include "scanner/cases/register.h"
#include "scanner/record/flag_read.h"

#define VIETNAM_OFFSET_MS (7LL * 3600 * 1000)
#define DAY_MS (24LL * 3600 * 1000)
#define MAX_RANGE_DAYS 366
/* the register schemas the report reads: 3 only added cases.rechecked, which it does not read */
#define READ_SCHEMA_OLDEST 2
#define READ_SCHEMA_NEWEST 3

struct report {
    report_figures f;
};

/* ---- names and labels --------------------------------------------------------------------- */

const char *report_strerror(report_error e)
{
    switch (e) {
    case REPORT_OK: return "ok";
    case REPORT_ERROR_DATABASE: return "cannot read the case register";
    case REPORT_ERROR_SCHEMA: return "not a case register of schema 2 or 3";
    case REPORT_ERROR_PERIOD: return "not a period of that report";
    case REPORT_ERROR_BASELINE: return "the baseline CSV is not in the template";
    case REPORT_ERROR_WRITE: return "cannot write the file";
    case REPORT_ERROR_FONT: return "the report's font is missing";
    case REPORT_ERROR_CANCELLED: return "cancelled";
    case REPORT_ERROR_MEMORY: return "out of memory";
    }
    return "unknown error";
}

static const char *const kind_names[REPORT_KIND_COUNT] = {"daily", "monthly", "yearly", "campaign", "range"};

const char *report_period_kind_name(report_period_kind k)
{
    return (unsigned)k < REPORT_KIND_COUNT ? kind_names[k] : "?";
}

report_period_kind report_period_kind_named(const char *name)
{
    for (int k = 0; name && k < REPORT_KIND_COUNT; k++)
        if (!strcmp(kind_names[k], name))
            return (report_period_kind)k;
    return REPORT_KIND_COUNT;
}

static const char *const stage_names[REPORT_STAGE_COUNT] = {"received", "classified", "verified",
                                                            "dismissed", "handled",    "transferred"};
static const char *const stage_labels[REPORT_STAGE_COUNT][2] = {
    {"Phát hiện (tiếp nhận)", "Detected (received)"}, {"Đã phân loại", "Classified"},
    {"Đã xác minh", "Verified"},                        {"Loại bỏ (không vi phạm)", "Dismissed"},
    {"Đã xử lý", "Handled"},                            {"Chuyển cơ quan chức năng", "Transferred"}};

const char *report_stage_name(report_stage s) { return (unsigned)s < REPORT_STAGE_COUNT ? stage_names[s] : "?"; }

const char *report_stage_label(report_stage s, bool vietnamese)
{
    return (unsigned)s < REPORT_STAGE_COUNT ? stage_labels[s][vietnamese ? 0 : 1] : "?";
}

static const char *const dimension_names[REPORT_DIMENSION_COUNT] = {"field", "goods_group", "platform", "province"};
static const char *const dimension_labels[REPORT_DIMENSION_COUNT][2] = {
    {"Lĩnh vực", "Field"}, {"Nhóm hàng", "Goods group"}, {"Sàn, nền tảng", "Platform"}, {"Tỉnh, thành phố", "Province"}};

const char *report_dimension_name(report_dimension d)
{
    return (unsigned)d < REPORT_DIMENSION_COUNT ? dimension_names[d] : "?";
}

const char *report_dimension_label(report_dimension d, bool vietnamese)
{
    return (unsigned)d < REPORT_DIMENSION_COUNT ? dimension_labels[d][vietnamese ? 0 : 1] : "?";
}

const char *report_key_label(report_dimension d, const char *key, bool vietnamese)
{
    if (!key)
        return "";
    switch (d) {
    case REPORT_BY_FIELD:
        return rule_kind_named(key) != RULE_KIND_COUNT ? rule_kind_label(rule_kind_named(key), vietnamese) : key;
    case REPORT_BY_GOODS_GROUP:
        return goods_group_named(key) != GOODS_GROUP_COUNT ? goods_group_label(goods_group_named(key), vietnamese)
                                                           : key;
    case REPORT_BY_PROVINCE:
        if (!strcmp(key, "abroad"))
            return vietnamese ? "Nước ngoài" : "Abroad";
        if (!strcmp(key, "unknown") || !*key)
            return vietnamese ? "Không rõ" : "Unknown";
        return key;
    default: return key;
    }
}

static const char *const format_names[REPORT_FORMAT_COUNT] = {"csv", "xlsx", "pdf"};

const char *report_format_name(report_format f) { return (unsigned)f < REPORT_FORMAT_COUNT ? format_names[f] : "?"; }

report_format report_format_named(const char *name)
{
    for (int f = 0; name && f < REPORT_FORMAT_COUNT; f++)
        if (!strcmp(format_names[f], name))
            return (report_format)f;
    return REPORT_FORMAT_COUNT;
}

void report_file_name(const report_period *p, report_format f, char *out, size_t size)
{
    char label[40];
    snprintf(label, sizeof label, "%s", p->label);
    char *dots = strstr(label, "..");
    if (dots) /* a campaign: "2026-05-07_2026-05-30" */
        memmove(dots + 1, dots + 2, strlen(dots + 2) + 1), *dots = '_';
    snprintf(out, size, "lscan-report-%s-%s.%s", report_period_kind_name(p->kind), label, report_format_name(f));
}

void report_cell_text(const char *s, char *out, size_t size)
{
    if (!size)
        return;
    if (!s)
        s = "";
    bool risky = *s == '=' || *s == '+' || *s == '-' || *s == '@' || *s == '\t' || *s == '\r';
    int n = snprintf(out, size, "%s%s", risky ? "'" : "", s);
    if (n >= 0 && (size_t)n >= size) { /* cut: never inside a UTF-8 character */
        size_t end = size - 1;
        while (end > 0 && ((unsigned char)out[end] & 0xC0) == 0x80)
            end--;
        out[end] = 0;
    }
}

/* ---- time ------------------------------------------------------------------------------------- */

static int64_t vietnam_day_start(int year, int month, int day)
{
    struct tm tm = {.tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day};
    return (int64_t)timegm(&tm) * 1000 - VIETNAM_OFFSET_MS;
}

static void vietnam_tm(int64_t ms, struct tm *tm)
{
    int64_t local = ms + VIETNAM_OFFSET_MS;
    time_t t = (time_t)(local >= 0 ? local / 1000 : (local - 999) / 1000);
    gmtime_r(&t, tm);
}

void report_vietnam_time(int64_t ms, char out[24])
{
    struct tm tm;
    vietnam_tm(ms, &tm);
    strftime(out, 24, "%Y-%m-%d %H:%M", &tm);
}

void report_vietnam_date(int64_t ms, char out[16])
{
    struct tm tm;
    vietnam_tm(ms, &tm);
    strftime(out, 16, "%Y-%m-%d", &tm);
}

static void utc_text(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* "YYYY-MM-DDTHH:MM:SS[.fff]Z" -> ms, or -1. */
static int64_t parse_utc(const char *s)
{
    struct tm tm = {0};
    if (!s)
        return -1;
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end)
        return -1;
    int64_t ms = (int64_t)timegm(&tm) * 1000;
    if (*end == '.') {
        int64_t frac = 0, scale = 100;
        for (end++; isdigit((unsigned char)*end); end++, scale /= 10)
            frac += scale ? (*end - '0') * scale : 0;
        ms += frac;
    }
    return ms;
}

static bool valid_date(int y, int m, int d)
{
    if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
        return false;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
    time_t t = timegm(&tm);
    struct tm back;
    gmtime_r(&t, &back);
    return back.tm_mday == d && back.tm_mon == m - 1;
}

static void campaign_days(const report_campaign_days *c, int *sm, int *sd, int *em, int *ed)
{
    bool set = c && c->start_month && c->start_day && c->end_month && c->end_day;
    *sm = set ? c->start_month : 5;
    *sd = set ? c->start_day : 7;
    *em = set ? c->end_month : 5;
    *ed = set ? c->end_day : 30;
}

static void fill_period(report_period *p, report_period_kind kind, int y, int m, int d,
                        const report_campaign_days *campaign)
{
    memset(p, 0, sizeof *p);
    p->kind = kind;
    switch (kind) {
    case REPORT_DAILY:
        p->start_ms = vietnam_day_start(y, m, d);
        p->end_ms = p->start_ms + DAY_MS;
        snprintf(p->label, sizeof p->label, "%04d-%02d-%02d", y, m, d);
        break;
    case REPORT_MONTHLY:
        p->start_ms = vietnam_day_start(y, m, 1);
        p->end_ms = m == 12 ? vietnam_day_start(y + 1, 1, 1) : vietnam_day_start(y, m + 1, 1);
        snprintf(p->label, sizeof p->label, "%04d-%02d", y, m);
        break;
    case REPORT_YEARLY:
        p->start_ms = vietnam_day_start(y, 1, 1);
        p->end_ms = vietnam_day_start(y + 1, 1, 1);
        snprintf(p->label, sizeof p->label, "%04d", y);
        break;
    default: {
        int sm, sd, em, ed;
        campaign_days(campaign, &sm, &sd, &em, &ed);
        p->kind = REPORT_CAMPAIGN;
        p->start_ms = vietnam_day_start(y, sm, sd);
        p->end_ms = vietnam_day_start(y, em, ed) + DAY_MS;
        snprintf(p->label, sizeof p->label, "%04d-%02d-%02d..%04d-%02d-%02d", y, sm, sd, y, em, ed);
    }
    }
}

/* A range of whole Vietnam days, [first, last] both included. */
static void fill_range(report_period *p, int64_t first_day_ms, int64_t last_day_ms)
{
    memset(p, 0, sizeof *p);
    p->kind = REPORT_RANGE;
    p->start_ms = first_day_ms;
    p->end_ms = last_day_ms + DAY_MS;
    char a[16], b[16];
    report_vietnam_date(first_day_ms, a);
    report_vietnam_date(last_day_ms, b);
    snprintf(p->label, sizeof p->label, "%.10s..%.10s", a, b);
}

void report_period_last_days(int days, int64_t now_ms, report_period *out)
{
    days = days < 1 ? 1 : days > MAX_RANGE_DAYS ? MAX_RANGE_DAYS : days;
    struct tm t;
    vietnam_tm(now_ms, &t);
    int64_t today = vietnam_day_start(t.tm_year + 1900, t.tm_mon + 1, t.tm_mday);
    fill_range(out, today - (int64_t)(days - 1) * DAY_MS, today);
}

/* "YYYY-MM-DD..YYYY-MM-DD", first <= last, at most MAX_RANGE_DAYS days. */
static bool parse_range(const char *date, report_period *out)
{
    int y1, m1, d1, y2, m2, d2;
    char extra;
    if (strlen(date) != 22 || sscanf(date, "%4d-%2d-%2d..%4d-%2d-%2d%c", &y1, &m1, &d1, &y2, &m2, &d2, &extra) != 6 ||
        !valid_date(y1, m1, d1) || !valid_date(y2, m2, d2))
        return false;
    int64_t first = vietnam_day_start(y1, m1, d1), last = vietnam_day_start(y2, m2, d2);
    if (last < first || (last - first) / DAY_MS >= MAX_RANGE_DAYS)
        return false;
    fill_range(out, first, last);
    return true;
}

report_error report_period_make(report_period_kind kind, const char *date, const report_campaign_days *campaign,
                                int64_t now_ms, report_period *out, char *error, size_t error_size)
{
    if (kind == REPORT_RANGE) {
        if (!date || !*date) {
            report_period_last_days(30, now_ms, out);
            return REPORT_OK;
        }
        if (parse_range(date, out))
            return REPORT_OK;
        error_message_set(error, error_size, "'%s' is not a range YYYY-MM-DD..YYYY-MM-DD of at most %d days", date,
                          MAX_RANGE_DAYS);
        return REPORT_ERROR_PERIOD;
    }
    int sm, sd, em, ed;
    campaign_days(campaign, &sm, &sd, &em, &ed);
    if (!valid_date(2000, sm, sd) || !valid_date(2000, em, ed) || sm * 100 + sd > em * 100 + ed) {
        error_message_set(error, error_size, "the campaign's days %02d-%02d..%02d-%02d are not days of one year", sm,
                          sd, em, ed);
        return REPORT_ERROR_PERIOD;
    }
    struct tm now;
    vietnam_tm(now_ms, &now);
    int y = now.tm_year + 1900, m = now.tm_mon + 1, d = now.tm_mday;
    if (!date || !*date) {
        switch (kind) {
        case REPORT_DAILY: { /* yesterday: the last whole day */
            struct tm t;
            vietnam_tm(vietnam_day_start(y, m, d) - DAY_MS, &t);
            y = t.tm_year + 1900, m = t.tm_mon + 1, d = t.tm_mday;
            break;
        }
        case REPORT_MONTHLY:
            if (--m == 0)
                m = 12, y--;
            break;
        case REPORT_CAMPAIGN:
            if (now_ms < vietnam_day_start(y, sm, sd))
                y--;
            break;
        default: break;
        }
        fill_period(out, kind, y, m, kind == REPORT_DAILY ? d : 1, campaign);
        return REPORT_OK;
    }
    char extra;
    int n;
    switch (kind) {
    case REPORT_DAILY:
        n = sscanf(date, "%4d-%2d-%2d%c", &y, &m, &d, &extra);
        if (n != 3 || strlen(date) != 10 || !valid_date(y, m, d))
            goto bad;
        break;
    case REPORT_MONTHLY:
        n = sscanf(date, "%4d-%2d%c", &y, &m, &extra);
        if (n != 2 || strlen(date) != 7 || !valid_date(y, m, 1))
            goto bad;
        d = 1;
        break;
    case REPORT_YEARLY:
    case REPORT_CAMPAIGN:
        n = sscanf(date, "%4d%c", &y, &extra);
        if (n != 1 || strlen(date) != 4 || !valid_date(y, 1, 1))
            goto bad;
        m = d = 1;
        break;
    default: goto bad;
    }
    fill_period(out, kind, y, m, d, campaign);
    return REPORT_OK;
bad:
    error_message_set(error, error_size, "'%s' is not a %s (a %s report)", date,
                      kind == REPORT_DAILY ? "day YYYY-MM-DD" : kind == REPORT_MONTHLY ? "month YYYY-MM" : "year YYYY",
                      report_period_kind_name(kind));
    return REPORT_ERROR_PERIOD;
}

/* The same day a year before (29 February: the 28th). */
static int64_t day_year_before(int64_t day_ms)
{
    struct tm t;
    vietnam_tm(day_ms, &t);
    int d = t.tm_mon == 1 && t.tm_mday == 29 ? 28 : t.tm_mday;
    return vietnam_day_start(t.tm_year + 1900 - 1, t.tm_mon + 1, d);
}

report_period report_period_year_before(const report_period *p, const report_campaign_days *campaign)
{
    report_period out;
    if (p->kind == REPORT_RANGE) {
        fill_range(&out, day_year_before(p->start_ms), day_year_before(p->end_ms - DAY_MS));
        return out;
    }
    struct tm t;
    vietnam_tm(p->start_ms, &t);
    int y = t.tm_year + 1900 - 1, m = t.tm_mon + 1, d = t.tm_mday;
    if (m == 2 && d == 29)
        d = 28;
    fill_period(&out, p->kind, y, m, d, campaign);
    return out;
}

void report_title(const report_period *p, bool vi, char *out, size_t size)
{
    char a[16], b[16];
    report_vietnam_date(p->start_ms, a);
    report_vietnam_date(p->end_ms - DAY_MS, b);
    switch (p->kind) {
    case REPORT_DAILY:
        if (vi)
            snprintf(out, size, "Báo cáo nhanh ngày %.2s/%.2s/%.4s", a + 8, a + 5, a);
        else
            snprintf(out, size, "Daily quick report %s", a);
        break;
    case REPORT_MONTHLY:
        if (vi)
            snprintf(out, size, "Báo cáo tháng %.2s/%.4s", a + 5, a);
        else
            snprintf(out, size, "Monthly report %.7s", a);
        break;
    case REPORT_YEARLY:
        snprintf(out, size, vi ? "Báo cáo năm %.4s" : "Yearly report %.4s", a);
        break;
    case REPORT_RANGE:
        if (vi)
            snprintf(out, size, "Báo cáo từ ngày %.2s/%.2s/%.4s đến ngày %.2s/%.2s/%.4s", a + 8, a + 5, a, b + 8, b + 5,
                     b);
        else
            snprintf(out, size, "Report %s to %s", a, b);
        break;
    default:
        if (vi)
            snprintf(out, size, "Báo cáo đợt cao điểm %.2s/%.2s–%.2s/%.2s/%.4s", a + 8, a + 5, b + 8, b + 5, b);
        else
            snprintf(out, size, "Peak campaign report %s to %s", a, b);
    }
}

bool report_change(uint64_t now, uint64_t before, double *percent, bool *target_met)
{
    if (!before) {
        *percent = 0;
        *target_met = false;
        return false;
    }
    *percent = 100.0 * ((double)now - (double)before) / (double)before;
    *target_met = (double)now >= 1.2 * (double)before;
    return true;
}

/* ---- the computation ------------------------------------------------------------------------ */

typedef struct ctx {
    sqlite3 *db;
    bool oom;
    char *error;
    size_t error_size;
} ctx;

static char *dup_text(ctx *c, const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        c->oom = true;
    return d;
}

static sqlite3_stmt *prepare(ctx *c, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        error_message_set(c->error, c->error_size, "report: %s", sqlite3_errmsg(c->db));
        return NULL;
    }
    return st;
}

static const char *col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : NULL;
}

static report_row *table_row(ctx *c, report_table *t, size_t *capacity, const char *key)
{
    for (size_t i = 0; i < t->count; i++)
        if (!strcmp(t->rows[i].key, key))
            return &t->rows[i];
    if (t->count == *capacity) {
        size_t grown = *capacity ? *capacity * 2 : 16;
        report_row *rows = realloc(t->rows, grown * sizeof *rows);
        if (!rows) {
            c->oom = true;
            return NULL;
        }
        t->rows = rows;
        *capacity = grown;
    }
    report_row *r = &t->rows[t->count];
    memset(r, 0, sizeof *r);
    r->key = dup_text(c, key);
    if (!r->key)
        return NULL;
    t->count++;
    return r;
}

static int row_order(const void *a, const void *b)
{
    const report_row *x = a, *y = b;
    for (int s = 0; s < REPORT_STAGE_COUNT; s++)
        if (x->stage[s] != y->stage[s])
            return x->stage[s] < y->stage[s] ? 1 : -1;
    return strcmp(x->key, y->key);
}

static void table_free(report_table *t)
{
    for (size_t i = 0; i < t->count; i++)
        free(t->rows[i].key);
    free(t->rows);
    memset(t, 0, sizeof *t);
}

/* One seller of one received case (sorted, then counted in runs). */
typedef struct seller_seen {
    const char *platform, *id, *name; /* borrowed from the pass's strings */
} seller_seen;

/* What one pass over a period collects. */
typedef struct pass {
    int64_t start_ms, end_ms;
    char start_text[32], end_text[32];
    bool dimensions, details;   /* every breakdown and the lists, or stage totals by field only */
    uint64_t stage[REPORT_STAGE_COUNT];
    report_table by[REPORT_DIMENSION_COUNT];
    size_t capacity[REPORT_DIMENSION_COUNT];
    uint64_t assessed, closed, without_seller;
    seller_seen *sellers;
    size_t seller_count, seller_capacity;
    char **strings;             /* owned copies the sellers point into */
    size_t string_count, string_capacity;
    report_serious *serious;
    size_t serious_count, serious_capacity;
} pass;

static const char *keep(ctx *c, pass *p, const char *s)
{
    if (p->string_count == p->string_capacity) {
        size_t grown = p->string_capacity ? p->string_capacity * 2 : 256;
        char **strings = realloc(p->strings, grown * sizeof *strings);
        if (!strings) {
            c->oom = true;
            return NULL;
        }
        p->strings = strings;
        p->string_capacity = grown;
    }
    char *d = dup_text(c, s);
    if (d)
        p->strings[p->string_count++] = d;
    return d;
}

/* A case's field and goods group when it reached a stage: the latest
 * classification decided up to then (`details`); for a case nobody had
 * classified by then, the one its flags give (the register's column while
 * no decision ever set it, else the most severe rule of the case's flag, as
 * intake chooses it). Fixed per case and stage, so the breakdowns of days
 * add up to the month's and a closed period keeps its figures. */
static void field_of(sqlite3_stmt *flag_st, const char *case_id, const char *details, bool ever_classified,
                     const char *case_kind, const char *case_goods, char kind[48], char goods[48])
{
    snprintf(kind, 48, "%s", case_kind ? case_kind : "trademark");
    snprintf(goods, 48, "%s", case_goods ? case_goods : "other");
    if (details) {
        cJSON *j = cJSON_Parse(details);
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(j, "kind"), *g = cJSON_GetObjectItemCaseSensitive(j, "goods_group");
        if (cJSON_IsString(k))
            snprintf(kind, 48, "%s", k->valuestring);
        if (cJSON_IsString(g))
            snprintf(goods, 48, "%s", g->valuestring);
        cJSON_Delete(j);
        return;
    }
    if (!ever_classified || !flag_st)
        return;
    sqlite3_reset(flag_st);
    sqlite3_bind_text(flag_st, 1, case_id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(flag_st) != SQLITE_ROW)
        return;
    const char *json = col(flag_st, 0);
    flag_record f;
    char why[128];
    if (!json || flag_read(json, strlen(json), &f, why, sizeof why) < 0)
        return;
    static const char *const ranks[] = {"low", "medium", "high", "critical"};
    int best = -1;
    const flag_rule_ref *main = NULL;
    for (size_t i = 0; i < f.rule_count; i++) {
        int rank = 0;
        for (int r = 0; r < 4; r++)
            if (f.rules[i].severity && !strcmp(f.rules[i].severity, ranks[r]))
                rank = r + 1;
        if (!main || rank > best)
            main = &f.rules[i], best = rank;
    }
    snprintf(kind, 48, "%s", main && main->kind ? main->kind : "trademark");
    snprintf(goods, 48, "%s", main && main->goods_group ? main->goods_group : "other");
    flag_record_free(&f);
}

/* The columns every stage row carries. CLASSIFIED_BY: the condition on a
 * classification decision k that was in force when the case reached the
 * stage (received: none; a decision d: k.seq <= d.seq). */
#define CASE_COLUMNS(CLASSIFIED_BY)                                                                                 \
    "c.case_id, c.platform, c.province, c.seller_id, c.seller_name, c.severity, c.first_seen_ms, c.kind,"            \
    " c.goods_group, c.title, c.listing_id,"                                                                         \
    " (SELECT k.details FROM decisions k WHERE k.case_id = c.case_id AND k.action IN ('classify', 'reclassify')"     \
    "  AND " CLASSIFIED_BY " ORDER BY k.seq DESC LIMIT 1),"                                                          \
    " EXISTS (SELECT 1 FROM decisions k WHERE k.case_id = c.case_id AND k.action IN ('classify', 'reclassify'))"
#define N_CASE_COLUMNS 13

static void add_serious(ctx *c, pass *p, sqlite3_stmt *st, const char *kind, bool transferred, const char *unit,
                        const char *reference)
{
    const char *case_id = col(st, 0);
    if (p->serious_count == p->serious_capacity) {
        size_t grown = p->serious_capacity ? p->serious_capacity * 2 : 32;
        report_serious *s = realloc(p->serious, grown * sizeof *s);
        if (!s) {
            c->oom = true;
            return;
        }
        p->serious = s;
        p->serious_capacity = grown;
    }
    report_serious *s = &p->serious[p->serious_count++];
    memset(s, 0, sizeof *s);
    s->case_id = dup_text(c, case_id);
    s->platform = dup_text(c, col(st, 1));
    s->province = dup_text(c, col(st, 2));
    s->seller = dup_text(c, col(st, 4) ? col(st, 4) : col(st, 3));
    s->severity = dup_text(c, col(st, 5));
    s->first_seen_ms = sqlite3_column_int64(st, 6);
    s->kind = dup_text(c, kind);
    s->title = dup_text(c, col(st, 9));
    s->listing_id = dup_text(c, col(st, 10));
    s->transferred = transferred;
    if (transferred) {
        s->unit = dup_text(c, unit);
        s->reference = dup_text(c, reference);
    }
}

static void count_case(ctx *c, pass *p, sqlite3_stmt *st, sqlite3_stmt *flag_st, report_stage stage)
{
    char kind[48], goods[48];
    field_of(flag_st, col(st, 0), col(st, 11), sqlite3_column_int(st, 12), col(st, 7), col(st, 8), kind, goods);
    p->stage[stage]++;
    const char *keys[REPORT_DIMENSION_COUNT] = {kind, goods, col(st, 1) ? col(st, 1) : "",
                                                col(st, 2) && *col(st, 2) ? col(st, 2) : "unknown"};
    for (int d = 0; d < (p->dimensions ? REPORT_DIMENSION_COUNT : 1); d++) {
        report_row *row = table_row(c, &p->by[d], &p->capacity[d], keys[d]);
        if (row)
            row->stage[stage]++;
    }
    if (!p->details)
        return;
    const char *severity = col(st, 5) ? col(st, 5) : "";
    bool serious_severity = !strcmp(severity, "high") || !strcmp(severity, "critical");
    if (stage == REPORT_RECEIVED) {
        if (serious_severity)
            add_serious(c, p, st, kind, false, NULL, NULL);
        const char *seller = col(st, 3);
        if (seller && *seller) {
            if (p->seller_count == p->seller_capacity) {
                size_t grown = p->seller_capacity ? p->seller_capacity * 2 : 256;
                seller_seen *s = realloc(p->sellers, grown * sizeof *s);
                if (!s) {
                    c->oom = true;
                    return;
                }
                p->sellers = s;
                p->seller_capacity = grown;
            }
            seller_seen *s = &p->sellers[p->seller_count];
            s->platform = keep(c, p, col(st, 1));
            s->id = keep(c, p, seller);
            s->name = keep(c, p, col(st, 4));
            if (s->platform && s->id && s->name)
                p->seller_count++;
        } else {
            p->without_seller++;
        }
    } else if (stage == REPORT_TRANSFERRED) {
        add_serious(c, p, st, kind, true, col(st, N_CASE_COLUMNS + 1), col(st, N_CASE_COLUMNS + 2));
    }
}

static report_stage stage_of_action(const char *action)
{
    static const char *const actions[REPORT_STAGE_COUNT] = {"", "classify", "verify", "dismiss", "handle", "transfer"};
    for (int s = 1; s < REPORT_STAGE_COUNT; s++)
        if (action && !strcmp(actions[s], action))
            return (report_stage)s;
    return REPORT_STAGE_COUNT;
}

static void bind_period(sqlite3_stmt *st, const pass *p)
{
    int n = sqlite3_bind_parameter_count(st);
    if (n >= 1)
        sqlite3_bind_text(st, 1, p->start_text, -1, SQLITE_STATIC);
    if (n >= 2)
        sqlite3_bind_text(st, 2, p->end_text, -1, SQLITE_STATIC);
    if (n >= 3)
        sqlite3_bind_int64(st, 3, p->start_ms);
    if (n >= 4)
        sqlite3_bind_int64(st, 4, p->end_ms);
}

/* The stage counts of [start, end) and, with `dimensions`, the breakdowns. */
static int run_pass(ctx *c, pass *p)
{
    utc_text(p->start_ms, p->start_text);
    utc_text(p->end_ms, p->end_text);
    sqlite3_stmt *flag_st = prepare(c, "SELECT flag FROM cases WHERE case_id = ?");
    sqlite3_stmt *received =
        prepare(c, "SELECT " CASE_COLUMNS("0") ","
                   " EXISTS (SELECT 1 FROM decisions a WHERE a.case_id = c.case_id AND a.at < ?2"
                   "  AND a.action IN ('classify', 'dismiss')),"
                   " EXISTS (SELECT 1 FROM decisions a WHERE a.case_id = c.case_id AND a.at < ?2"
                   "  AND a.action IN ('dismiss', 'handle', 'transfer'))"
                   " FROM cases c WHERE c.first_seen_ms >= ?3 AND c.first_seen_ms < ?4");
    /* the first decision of each action a case had: its time is when the
     * case reached that stage (CROSS JOIN: decisions by time first) */
    sqlite3_stmt *decided =
        prepare(c, "SELECT " CASE_COLUMNS("k.seq <= d.seq") ", d.action, d.transfer_unit, d.transfer_reference"
                   " FROM decisions d CROSS JOIN cases c ON c.case_id = d.case_id"
                   " WHERE d.at >= ?1 AND d.at < ?2 AND d.action IN ('classify', 'verify', 'dismiss', 'handle', 'transfer')"
                   " AND NOT EXISTS (SELECT 1 FROM decisions e WHERE e.case_id = d.case_id AND e.action = d.action"
                   "  AND e.seq < d.seq)");
    int rc = flag_st && received && decided ? 0 : -1;
    if (!rc) {
        bind_period(received, p);
        int step;
        while ((step = sqlite3_step(received)) == SQLITE_ROW && !c->oom) {
            count_case(c, p, received, flag_st, REPORT_RECEIVED);
            p->assessed += sqlite3_column_int(received, N_CASE_COLUMNS);
            p->closed += sqlite3_column_int(received, N_CASE_COLUMNS + 1);
        }
        if (step != SQLITE_DONE && !c->oom)
            rc = -1;
    }
    if (!rc) {
        bind_period(decided, p);
        int step;
        while ((step = sqlite3_step(decided)) == SQLITE_ROW && !c->oom) {
            report_stage s = stage_of_action(col(decided, N_CASE_COLUMNS));
            if (s != REPORT_STAGE_COUNT)
                count_case(c, p, decided, flag_st, s);
        }
        if (step != SQLITE_DONE && !c->oom)
            rc = -1;
    }
    if (rc && !c->oom)
        error_message_set(c->error, c->error_size, "report: cannot count the period: %s", sqlite3_errmsg(c->db));
    sqlite3_finalize(flag_st);
    sqlite3_finalize(received);
    sqlite3_finalize(decided);
    for (int d = 0; d < REPORT_DIMENSION_COUNT; d++)
        if (p->by[d].count)
            qsort(p->by[d].rows, p->by[d].count, sizeof *p->by[d].rows, row_order);
    return c->oom ? -1 : rc;
}

static void pass_free(pass *p)
{
    for (int d = 0; d < REPORT_DIMENSION_COUNT; d++)
        table_free(&p->by[d]);
    for (size_t i = 0; i < p->string_count; i++)
        free(p->strings[i]);
    free(p->strings);
    free(p->sellers);
}

static int seller_order(const void *a, const void *b)
{
    const seller_seen *x = a, *y = b;
    int k = strcmp(x->platform, y->platform);
    return k ? k : strcmp(x->id, y->id);
}

static int top_order(const void *a, const void *b)
{
    const report_seller *x = a, *y = b;
    if (x->cases != y->cases)
        return x->cases < y->cases ? 1 : -1;
    if (x->cases_to_date != y->cases_to_date)
        return x->cases_to_date < y->cases_to_date ? 1 : -1;
    int k = strcmp(x->platform, y->platform);
    return k ? k : strcmp(x->id, y->id);
}

/* Distinct sellers of the period's received cases, the repeat offenders
 * among them (more than one case up to the period's end: two in the period,
 * or one before it), the top ones with their cases to date. */
static int sellers(ctx *c, pass *p, report_figures *f, size_t top)
{
    if (!p->seller_count)
        return 0;
    qsort(p->sellers, p->seller_count, sizeof *p->sellers, seller_order);
    sqlite3_stmt *earlier = prepare(c, "SELECT 1 FROM cases WHERE platform = ?1 AND seller_id = ?2 AND first_seen_ms < ?3"
                                       " LIMIT 1");
    sqlite3_stmt *to_date = prepare(c, "SELECT count(*) FROM cases WHERE platform = ?1 AND seller_id = ?2"
                                       " AND first_seen_ms < ?3");
    report_seller *all = calloc(p->seller_count, sizeof *all);
    if (!earlier || !to_date || !all) {
        c->oom = !all;
        sqlite3_finalize(earlier);
        sqlite3_finalize(to_date);
        free(all);
        return -1;
    }
    size_t n = 0;
    int rc = 0;
    for (size_t i = 0; i < p->seller_count && !rc;) {
        size_t j = i;
        while (j < p->seller_count && !seller_order(&p->sellers[i], &p->sellers[j]))
            j++;
        report_seller *s = &all[n++];
        s->platform = (char *)p->sellers[i].platform;
        s->id = (char *)p->sellers[i].id;
        s->name = (char *)p->sellers[j - 1].name;
        s->cases = j - i;
        bool repeat = s->cases > 1;
        if (!repeat) {
            sqlite3_reset(earlier);
            sqlite3_bind_text(earlier, 1, s->platform, -1, SQLITE_STATIC);
            sqlite3_bind_text(earlier, 2, s->id, -1, SQLITE_STATIC);
            sqlite3_bind_int64(earlier, 3, p->start_ms);
            int step = sqlite3_step(earlier);
            repeat = step == SQLITE_ROW;
            if (step != SQLITE_ROW && step != SQLITE_DONE)
                rc = -1;
        }
        f->sellers_repeat += repeat;
        i = j;
    }
    f->sellers_distinct = n;
    qsort(all, n, sizeof *all, top_order); /* by cases in the period; then cases to date, for the top ones */
    size_t keep_n = n < top ? n : top;
    /* the top ones: ties at the cut are broken by the cases to date */
    size_t candidates = keep_n;
    while (candidates < n && keep_n && all[candidates].cases == all[keep_n - 1].cases && candidates < keep_n + 1000)
        candidates++;
    for (size_t i = 0; i < candidates && !rc; i++) {
        sqlite3_reset(to_date);
        sqlite3_bind_text(to_date, 1, all[i].platform, -1, SQLITE_STATIC);
        sqlite3_bind_text(to_date, 2, all[i].id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(to_date, 3, p->end_ms);
        if (sqlite3_step(to_date) == SQLITE_ROW)
            all[i].cases_to_date = (uint64_t)sqlite3_column_int64(to_date, 0);
        else
            rc = -1;
    }
    qsort(all, candidates, sizeof *all, top_order);
    sqlite3_finalize(earlier);
    sqlite3_finalize(to_date);
    f->top_sellers = calloc(keep_n ? keep_n : 1, sizeof *f->top_sellers);
    if (!f->top_sellers)
        c->oom = true;
    for (size_t i = 0; f->top_sellers && i < keep_n; i++) {
        f->top_sellers[i].platform = dup_text(c, all[i].platform);
        f->top_sellers[i].id = dup_text(c, all[i].id);
        f->top_sellers[i].name = dup_text(c, all[i].name);
        f->top_sellers[i].cases = all[i].cases;
        f->top_sellers[i].cases_to_date = all[i].cases_to_date;
        f->top_seller_count = i + 1;
    }
    free(all);
    if (rc)
        error_message_set(c->error, c->error_size, "report: cannot count sellers: %s", sqlite3_errmsg(c->db));
    return c->oom ? -1 : rc;
}

static int64_t one_number(ctx *c, const char *sql, const pass *p, int64_t bound, bool *ok)
{
    sqlite3_stmt *st = prepare(c, sql);
    int64_t n = 0;
    if (st) {
        bind_period(st, p);
        if (sqlite3_bind_parameter_count(st) >= 5)
            sqlite3_bind_int64(st, 5, bound);
    }
    if (st && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    else
        *ok = false;
    sqlite3_finalize(st);
    return n;
}

/* Cases open at the period's end (`open`), and of those the ones first seen
 * more than 24 hours and 7 days before it: open now, or closed (dismissed,
 * handled, transferred: final states) at or after the end. The first count
 * reads an index only; the second the decisions made since the end. */
static bool open_at_end(ctx *c, const pass *p, report_figures *f)
{
    int64_t bounds[3] = {p->end_ms, p->end_ms - DAY_MS, p->end_ms - 7 * DAY_MS};
    uint64_t *out[3] = {&f->open, &f->open_24h, &f->open_7d};
    sqlite3_stmt *now_open = prepare(c, "SELECT count(*) FROM cases WHERE state IN ('received', 'classified',"
                                        " 'verified', 'needs_info') AND first_seen_ms < ?1");
    sqlite3_stmt *closed_later =
        prepare(c, "SELECT coalesce(sum(c.first_seen_ms < ?2), 0), coalesce(sum(c.first_seen_ms < ?3), 0),"
                   " coalesce(sum(c.first_seen_ms < ?4), 0)"
                   " FROM decisions d CROSS JOIN cases c ON c.case_id = d.case_id"
                   " WHERE d.at >= ?1 AND d.action IN ('dismiss', 'handle', 'transfer')");
    bool ok = now_open && closed_later;
    for (int i = 0; i < 3 && ok; i++) {
        sqlite3_reset(now_open);
        sqlite3_bind_int64(now_open, 1, bounds[i]);
        ok = sqlite3_step(now_open) == SQLITE_ROW;
        *out[i] = ok ? (uint64_t)sqlite3_column_int64(now_open, 0) : 0;
    }
    if (ok) {
        sqlite3_bind_text(closed_later, 1, p->end_text, -1, SQLITE_STATIC);
        for (int i = 0; i < 3; i++)
            sqlite3_bind_int64(closed_later, 2 + i, bounds[i]);
        ok = sqlite3_step(closed_later) == SQLITE_ROW;
        for (int i = 0; ok && i < 3; i++)
            *out[i] += (uint64_t)sqlite3_column_int64(closed_later, i);
    }
    sqlite3_finalize(now_open);
    sqlite3_finalize(closed_later);
    return ok;
}

static int state_at_end(ctx *c, report_figures *f, const pass *p)
{
    sqlite3_stmt *st = prepare(c, "SELECT to_state FROM decisions WHERE case_id = ?1 AND at < ?2 ORDER BY seq DESC LIMIT 1");
    if (!st)
        return -1;
    for (size_t i = 0; i < f->serious_count; i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, f->serious[i].case_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, p->end_text, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        f->serious[i].state = dup_text(c, step == SQLITE_ROW ? col(st, 0) : "received");
    }
    sqlite3_finalize(st);
    return c->oom ? -1 : 0;
}

static void serious_free(report_serious *s)
{
    char *strings[] = {s->case_id, s->platform, s->listing_id, s->severity, s->kind, s->province,
                       s->seller,  s->title,    s->state,      s->unit,     s->reference};
    for (size_t k = 0; k < sizeof strings / sizeof *strings; k++)
        free(strings[k]);
}

static int by_case_id(const void *a, const void *b)
{
    const report_serious *x = a, *y = b;
    int k = strcmp(x->case_id ? x->case_id : "", y->case_id ? y->case_id : "");
    return k ? k : (int)y->transferred - (int)x->transferred;
}

/* A case both received serious and transferred in the period is one entry
 * (the transferred one). */
static void serious_merge(report_figures *f)
{
    if (f->serious_count < 2)
        return;
    qsort(f->serious, f->serious_count, sizeof *f->serious, by_case_id);
    size_t kept = 0;
    for (size_t i = 0; i < f->serious_count; i++) {
        if (kept && !strcmp(f->serious[kept - 1].case_id ? f->serious[kept - 1].case_id : "",
                            f->serious[i].case_id ? f->serious[i].case_id : "")) {
            serious_free(&f->serious[i]);
            continue;
        }
        f->serious[kept++] = f->serious[i];
    }
    f->serious_count = kept;
}

static int severity_rank(const char *s)
{
    return !s ? 0 : !strcmp(s, "critical") ? 4 : !strcmp(s, "high") ? 3 : !strcmp(s, "medium") ? 2 : !strcmp(s, "low") ? 1 : 0;
}

static int serious_order(const void *a, const void *b)
{
    const report_serious *x = a, *y = b;
    if (x->transferred != y->transferred)
        return x->transferred ? -1 : 1;
    int rx = severity_rank(x->severity), ry = severity_rank(y->severity);
    if (rx != ry)
        return rx < ry ? 1 : -1;
    if (x->first_seen_ms != y->first_seen_ms)
        return x->first_seen_ms < y->first_seen_ms ? -1 : 1;
    return strcmp(x->case_id, y->case_id);
}

/* Decisions of the period that withdraw what an earlier period counted: a
 * verified case dismissed or sent back for information, and a
 * reclassification of a case first seen before the period. */
static int corrections(ctx *c, report_figures *f, const pass *p)
{
    sqlite3_stmt *st = prepare(
        c, "SELECT d.seq, d.at, d.case_id, d.action, d.from_state, d.to_state, d.details, c.title, c.first_seen_ms,"
           " (SELECT v.at FROM decisions v WHERE v.case_id = d.case_id AND v.action = 'verify' ORDER BY v.seq LIMIT 1)"
           " FROM decisions d CROSS JOIN cases c ON c.case_id = d.case_id"
           " WHERE d.at >= ?1 AND d.at < ?2 AND (d.action = 'reclassify'"
           " OR (d.action IN ('dismiss', 'need_info') AND d.from_state = 'verified')) ORDER BY d.seq");
    if (!st)
        return -1;
    bind_period(st, p);
    size_t capacity = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW && !c->oom) {
        bool reclassify = !strcmp(col(st, 3), "reclassify");
        int64_t reached = reclassify ? sqlite3_column_int64(st, 8) : parse_utc(col(st, 9));
        if (reached < 0 || reached >= p->start_ms)
            continue; /* what it changes was counted in this period, not an earlier one */
        if (f->correction_count == capacity) {
            capacity = capacity ? capacity * 2 : 16;
            report_correction *grown = realloc(f->corrections, capacity * sizeof *grown);
            if (!grown) {
                c->oom = true;
                break;
            }
            f->corrections = grown;
        }
        report_correction *k = &f->corrections[f->correction_count++];
        memset(k, 0, sizeof *k);
        k->seq = (uint64_t)sqlite3_column_int64(st, 0);
        k->at_ms = parse_utc(col(st, 1));
        k->case_id = dup_text(c, col(st, 2));
        k->action = dup_text(c, col(st, 3));
        k->from_state = dup_text(c, col(st, 4));
        k->to_state = dup_text(c, col(st, 5));
        k->title = dup_text(c, col(st, 7));
        k->withdrawn = dup_text(c, reclassify ? "field" : "verified");
        k->reached_ms = reached;
        char detail[128] = "";
        if (reclassify) {
            cJSON *j = cJSON_Parse(col(st, 6) ? col(st, 6) : "{}");
            const cJSON *kind = cJSON_GetObjectItemCaseSensitive(j, "kind"),
                        *goods = cJSON_GetObjectItemCaseSensitive(j, "goods_group");
            snprintf(detail, sizeof detail, "%s/%s", cJSON_IsString(kind) ? kind->valuestring : "",
                     cJSON_IsString(goods) ? goods->valuestring : "");
            cJSON_Delete(j);
        }
        k->detail = dup_text(c, detail);
    }
    sqlite3_finalize(st);
    if (step != SQLITE_DONE && !c->oom) {
        error_message_set(c->error, c->error_size, "report: cannot read corrections: %s", sqlite3_errmsg(c->db));
        return -1;
    }
    return c->oom ? -1 : 0;
}

/* Cases first seen, and first closed, per Vietnam day of the chart. */
static int days(ctx *c, report_figures *f)
{
    const report_period *p = &f->period;
    int64_t start = p->kind == REPORT_DAILY ? p->start_ms - 13 * DAY_MS : p->start_ms;
    size_t n = (size_t)((p->end_ms - start + DAY_MS / 2) / DAY_MS);
    f->days = calloc(n, sizeof *f->days);
    if (!f->days) {
        c->oom = true;
        return -1;
    }
    f->day_count = n;
    for (size_t i = 0; i < n; i++) {
        struct tm t;
        vietnam_tm(start + (int64_t)i * DAY_MS + DAY_MS / 2, &t);
        f->days[i].start_ms = vietnam_day_start(t.tm_year + 1900, t.tm_mon + 1, t.tm_mday);
    }
    pass window = {.start_ms = start, .end_ms = p->end_ms};
    utc_text(window.start_ms, window.start_text);
    utc_text(window.end_ms, window.end_text);
    sqlite3_stmt *received = prepare(c, "SELECT first_seen_ms FROM cases WHERE first_seen_ms >= ?3 AND first_seen_ms < ?4");
    sqlite3_stmt *closed =
        prepare(c, "SELECT at FROM decisions WHERE at >= ?1 AND at < ?2 AND action IN ('dismiss', 'handle', 'transfer')");
    if (!received || !closed) {
        sqlite3_finalize(received);
        sqlite3_finalize(closed);
        return -1;
    }
    bind_period(received, &window);
    bind_period(closed, &window);
    while (sqlite3_step(received) == SQLITE_ROW) {
        int64_t ms = sqlite3_column_int64(received, 0);
        for (size_t i = n; i-- > 0;)
            if (ms >= f->days[i].start_ms) {
                f->days[i].received++;
                break;
            }
    }
    while (sqlite3_step(closed) == SQLITE_ROW) {
        int64_t ms = parse_utc(col(closed, 0));
        for (size_t i = n; i-- > 0;)
            if (ms >= f->days[i].start_ms) {
                f->days[i].closed++;
                break;
            }
    }
    sqlite3_finalize(received);
    sqlite3_finalize(closed);
    return 0;
}

/* ---- the baseline ------------------------------------------------------------------------- */

/* Reads the rows of `period` from the template (docs/reports.md):
 *   period,stage,field,count     (a header line; '#' lines are comments) */
static report_error baseline_csv(ctx *c, const char *path, report_baseline *b)
{
    FILE *in = fopen(path, "r");
    if (!in) {
        error_message_set(c->error, c->error_size, "%s: %s", path, strerror(errno));
        return REPORT_ERROR_BASELINE;
    }
    char line[1024];
    int number = 0;
    bool header = false, totals[REPORT_STAGE_COUNT] = {false};
    uint64_t field_sum[REPORT_STAGE_COUNT] = {0}, total[REPORT_STAGE_COUNT] = {0};
    size_t capacity = 0;
    report_error rc = REPORT_OK;
    while (fgets(line, sizeof line, in) && rc == REPORT_OK) {
        number++;
        line[strcspn(line, "\r\n")] = 0;
        char *s = line;
        if (number == 1 && !strncmp(s, "\xEF\xBB\xBF", 3))
            s += 3; /* a spreadsheet's byte order mark */
        while (*s == ' ')
            s++;
        if (!*s || *s == '#')
            continue;
        char *fields[5] = {0};
        int n = 0;
        for (char *save = NULL, *t = strtok_r(s, ",", &save); t && n < 5; t = strtok_r(NULL, ",", &save))
            fields[n++] = t;
        for (int i = 0; i < n; i++) { /* trim, unquote */
            while (*fields[i] == ' ' || *fields[i] == '"')
                fields[i]++;
            size_t len = strlen(fields[i]);
            while (len && (fields[i][len - 1] == ' ' || fields[i][len - 1] == '"'))
                fields[i][--len] = 0;
        }
        if (!header) {
            if (n != 4 || strcmp(fields[0], "period") || strcmp(fields[1], "stage") || strcmp(fields[2], "field") ||
                strcmp(fields[3], "count")) {
                error_message_set(c->error, c->error_size, "%s:%d: the first line must be period,stage,field,count",
                                  path, number);
                rc = REPORT_ERROR_BASELINE;
            }
            header = true;
            continue;
        }
        char *end = NULL;
        errno = 0;
        unsigned long long count = n == 4 ? strtoull(fields[3], &end, 10) : 0;
        report_stage stage = REPORT_STAGE_COUNT;
        for (int st = 0; n == 4 && st < REPORT_STAGE_COUNT; st++)
            if (!strcmp(fields[1], stage_names[st]))
                stage = (report_stage)st;
        bool all = n == 4 && !strcmp(fields[2], "all");
        if (n != 4 || !end || *end || errno || fields[3][0] == '-' || stage == REPORT_STAGE_COUNT ||
            (!all && rule_kind_named(fields[2]) == RULE_KIND_COUNT)) {
            error_message_set(c->error, c->error_size,
                              "%s:%d: not period,stage,field,count (stage: received, classified, verified, dismissed,"
                              " handled, transferred; field: all or a kind of right; count: a whole number)",
                              path, number);
            rc = REPORT_ERROR_BASELINE;
            break;
        }
        if (strcmp(fields[0], b->period.label))
            continue;
        b->present = true;
        if (all) {
            totals[stage] = true;
            total[stage] += count;
        } else {
            field_sum[stage] += count;
            report_row *row = table_row(c, &b->by_field, &capacity, fields[2]);
            if (row)
                row->stage[stage] += count;
        }
    }
    fclose(in);
    for (int s = 0; s < REPORT_STAGE_COUNT; s++)
        b->stage[s] = totals[s] ? total[s] : field_sum[s]; /* a stage's "all" row wins over its fields */
    if (b->by_field.count)
        qsort(b->by_field.rows, b->by_field.count, sizeof *b->by_field.rows, row_order);
    snprintf(b->source, sizeof b->source, "csv");
    return c->oom ? REPORT_ERROR_MEMORY : rc;
}

static report_error baseline(ctx *c, report_figures *f, const report_options *o)
{
    report_baseline *b = &f->baseline;
    b->period = report_period_year_before(&f->period, &o->campaign);
    if (o->baseline_csv) {
        report_error rc = baseline_csv(c, o->baseline_csv, b);
        if (rc != REPORT_OK || b->present)
            return rc;
    }
    /* from the register, when it holds cases from that time */
    bool ok = true;
    pass probe = {0};
    int64_t earliest = one_number(c, "SELECT coalesce(min(first_seen_ms), -1) FROM cases", &probe, 0, &ok);
    if (!ok)
        return REPORT_ERROR_DATABASE;
    if (earliest < 0 || earliest >= b->period.end_ms) {
        b->present = false;
        return REPORT_OK;
    }
    pass p = {.start_ms = b->period.start_ms, .end_ms = b->period.end_ms};
    if (run_pass(c, &p) < 0) {
        pass_free(&p);
        return c->oom ? REPORT_ERROR_MEMORY : REPORT_ERROR_DATABASE;
    }
    memcpy(b->stage, p.stage, sizeof b->stage);
    b->by_field = p.by[REPORT_BY_FIELD];
    memset(&p.by[REPORT_BY_FIELD], 0, sizeof p.by[REPORT_BY_FIELD]);
    pass_free(&p);
    b->present = true;
    snprintf(b->source, sizeof b->source, "register");
    return REPORT_OK;
}

/* ---- the handle ---------------------------------------------------------------------------- */

static void figures_free(report_figures *f)
{
    for (int d = 0; d < REPORT_DIMENSION_COUNT; d++)
        table_free(&f->by[d]);
    table_free(&f->baseline.by_field);
    for (size_t i = 0; i < f->top_seller_count; i++) {
        free(f->top_sellers[i].platform);
        free(f->top_sellers[i].id);
        free(f->top_sellers[i].name);
    }
    free(f->top_sellers);
    for (size_t i = 0; i < f->serious_count; i++)
        serious_free(&f->serious[i]);
    free(f->serious);
    for (size_t i = 0; i < f->correction_count; i++) {
        report_correction *k = &f->corrections[i];
        char *strings[] = {k->case_id, k->action, k->from_state, k->to_state, k->title, k->withdrawn, k->detail};
        for (size_t j = 0; j < sizeof strings / sizeof *strings; j++)
            free(strings[j]);
    }
    free(f->corrections);
    free(f->days);
}

void report_destroy(report *r)
{
    if (!r)
        return;
    figures_free(&r->f);
    free(r);
}

const report_figures *report_figures_of(const report *r) { return r ? &r->f : NULL; }

static report_error compute(ctx *c, report_figures *f, const report_options *o)
{
    sqlite3_stmt *st = prepare(c, "PRAGMA user_version");
    int version = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (version < READ_SCHEMA_OLDEST || version > READ_SCHEMA_NEWEST) {
        error_message_set(c->error, c->error_size,
                          version < 0 ? "report: not an SQLite database" :
                          version < READ_SCHEMA_OLDEST ? "report: register schema %d: open it once with this lscan"
                                                         " (lscan cases list) to migrate it" :
                                                         "report: register schema %d is newer than this lscan reads (2-3)",
                          version);
        return REPORT_ERROR_SCHEMA;
    }
    pass p = {.start_ms = f->period.start_ms, .end_ms = f->period.end_ms, .dimensions = true, .details = true};
    /* every field is listed, with zeros: the plans aggregate by field */
    for (int k = 0; k < RULE_KIND_COUNT; k++)
        table_row(c, &p.by[REPORT_BY_FIELD], &p.capacity[REPORT_BY_FIELD], rule_kind_name((rule_kind)k));
    report_error rc = REPORT_OK;
    int passed = run_pass(c, &p);
    f->serious = p.serious; /* handed over at once: figures_free frees them on any failure */
    f->serious_count = p.serious_count;
    p.serious = NULL;
    p.serious_count = 0;
    if (passed < 0) {
        rc = c->oom ? REPORT_ERROR_MEMORY : REPORT_ERROR_DATABASE;
        goto out;
    }
    memcpy(f->stage, p.stage, sizeof f->stage);
    f->received_assessed = p.assessed;
    f->received_closed = p.closed;
    f->cases_without_seller = p.without_seller;
    for (int d = 0; d < REPORT_DIMENSION_COUNT; d++) {
        f->by[d] = p.by[d];
        memset(&p.by[d], 0, sizeof p.by[d]);
    }
    serious_merge(f);
    if (f->serious_count)
        qsort(f->serious, f->serious_count, sizeof *f->serious, serious_order);
    if (!open_at_end(c, &p, f) || sellers(c, &p, f, o->top_sellers ? o->top_sellers : 10) < 0 || state_at_end(c, f, &p) < 0 ||
        corrections(c, f, &p) < 0 || days(c, f) < 0) {
        rc = c->oom ? REPORT_ERROR_MEMORY : REPORT_ERROR_DATABASE;
        goto out;
    }
    st = prepare(c, "SELECT count, hash FROM chain_head WHERE id = 1");
    if (st && sqlite3_step(st) == SQLITE_ROW) {
        f->chain_count = (uint64_t)sqlite3_column_int64(st, 0);
        snprintf(f->chain_head, sizeof f->chain_head, "%s", col(st, 1) ? col(st, 1) : "");
    } else {
        rc = REPORT_ERROR_DATABASE;
    }
    sqlite3_finalize(st);
    if (rc == REPORT_OK)
        rc = baseline(c, f, o);
out:
    pass_free(&p);
    if (rc == REPORT_ERROR_DATABASE && !*c->error)
        error_message_set(c->error, c->error_size, "report: %s", sqlite3_errmsg(c->db));
    if (rc == REPORT_ERROR_MEMORY)
        error_message_set(c->error, c->error_size, "report: out of memory");
    return rc;
}

static int cancelled(void *flag) { return atomic_load((const atomic_bool *)flag) ? 1 : 0; }

report_error report_create(const char *register_path, const report_period *period, const report_options *options,
                           report **out, char *error, size_t error_size)
{
    *out = NULL;
    if (error_size)
        *error = 0;
    report_options none = {0};
    const report_options *o = options ? options : &none;
    report *r = calloc(1, sizeof *r);
    if (!r) {
        error_message_set(error, error_size, "report: out of memory");
        return REPORT_ERROR_MEMORY;
    }
    r->f.period = *period;
    ctx c = {.error = error, .error_size = error_size};
    if (sqlite3_open_v2(register_path, &c.db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        error_message_set(error, error_size, "%s: %s", register_path, c.db ? sqlite3_errmsg(c.db) : "cannot open");
        sqlite3_close(c.db);
        free(r);
        return REPORT_ERROR_DATABASE;
    }
    sqlite3_busy_timeout(c.db, 10000);
    if (o->cancel) /* checked every few thousand SQLite steps: a stopping server does not wait out a big report */
        sqlite3_progress_handler(c.db, 4000, cancelled, (void *)o->cancel);
    sqlite3_exec(c.db, "PRAGMA cache_size = -65536", NULL, NULL, NULL); /* 64 MB: the cases a report touches */
    /* one snapshot for every figure (WAL: writers go on meanwhile) */
    report_error rc = sqlite3_exec(c.db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK ? compute(&c, &r->f, o)
                                                                                   : REPORT_ERROR_DATABASE;
    if (rc == REPORT_ERROR_DATABASE && error_size && !*error)
        error_message_set(error, error_size, "%s: %s", register_path, sqlite3_errmsg(c.db));
    sqlite3_exec(c.db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(c.db);
    if (rc != REPORT_OK && o->cancel && atomic_load(o->cancel)) {
        error_message_set(error, error_size, "report: cancelled");
        rc = REPORT_ERROR_CANCELLED;
    }
    if (rc != REPORT_OK) {
        report_destroy(r);
        return rc;
    }
    *out = r;
    return REPORT_OK;
}

report_error report_write(const report *r, report_format f, const char *path, bool vietnamese, char *error,
                          size_t error_size)
{
    switch (f) {
    case REPORT_CSV: return report_write_csv(&r->f, path, vietnamese, error, error_size);
    case REPORT_XLSX: return report_write_xlsx(&r->f, path, vietnamese, error, error_size);
    case REPORT_PDF: return report_write_pdf(&r->f, path, vietnamese, error, error_size);
    default:
        error_message_set(error, error_size, "report: no such format");
        return REPORT_ERROR_WRITE;
    }
}
