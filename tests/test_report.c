/* Reports (docs/reports.md): a register filled through register_intake and
 * register_decide by a scripted history over simulated days and months of
 * 2025 and 2026 (the clock is the now_ms argument), while the test keeps
 * its own model of what it did. Every figure of a report is checked
 * against a count over that model (and the received ones against SQL over
 * the sightings); daily reports add up to the month and months to the
 * year; a closed period regenerated after later decisions is unchanged and
 * the later decisions show up as corrections; the same listing flagged on
 * many days counts once; the XLSX is read back with python3-openpyxl and
 * the PDF's text with pdftotext. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <errno.h>
#include <sodium.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "rules/text/normalize.h"
#include "scanner/cases/register.h"
#include "scanner/report/report.h"
#include "tests/harness.h"

#define DAY_MS (24LL * 3600 * 1000)

static harness_process scratch, server, smtp;
static normalizer *shared_normalizer;

static void stop_all(void)
{
    harness_stop(&server);
    harness_stop(&smtp);
    harness_stop(&scratch);
    normalizer_destroy(shared_normalizer);
    shared_normalizer = NULL;
}

TestSuite(report, .fini = stop_all, .timeout = 300);

static const char *scratch_dir(void)
{
    if (!scratch.dir[0]) {
        const char *argv[] = {"true", NULL};
        cr_assert_eq(harness_start_command(&scratch, argv), 0);
        harness_wait_exit(&scratch, 5000);
    }
    return scratch.dir;
}

/* UTC ms of a Vietnam local time. */
static int64_t vn(int y, int m, int d, int h, int mi)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    return (int64_t)timegm(&tm) * 1000 - 7 * 3600 * 1000LL;
}

static void utc(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- the scripted history and its model ---- */

static const char *const kinds[] = {"trademark", "gi", "collective_mark", "certification_mark", "ocop",
                                    "plant_variety", "copyright"};
static const char *const goods[] = {"cosmetics", "pharmaceuticals", "regional_specialties_ocop", "software", "other"};
static const char *const platforms[] = {"shopee", "lazada", "tiki", "facebook"};
static const char *const locations[] = {"Hà Nội", "TP.HCM", "Đà Nẵng", "Thanh Hoá", "Bangkok, Thailand", "", "xyz"};
static const char *const severities[] = {"low", "medium", "high", "critical"};

#define MAX_CASES 2000
#define MAX_CLASSES 8

typedef struct mcase {
    char listing[32], case_id[40], province[64];
    int platform, location, severity, seller; /* seller -1: none */
    char kind0[32], goods0[32];
    int64_t first_ms;
    int64_t reached[REPORT_STAGE_COUNT];      /* first time of each stage, -1 never */
    case_state state;
    int classes;
    int64_t class_ms[MAX_CLASSES];
    char class_kind[MAX_CLASSES][32], class_goods[MAX_CLASSES][32];
    int flags;
} mcase;

typedef struct correction_event {
    int64_t at;
    int index;
    bool reclassify;
} correction_event;

typedef struct history {
    case_register *r;
    char path[600];
    mcase cases[MAX_CASES];
    int count;
    unsigned seed;
    int64_t last_ms;       /* the clock: every decision later than the one before */
    int flag_number;
    correction_event corrections[400];
    int correction_count;
} history;

static history *H;

static unsigned next(history *h)
{
    h->seed = h->seed * 1103515245u + 12345u;
    return (h->seed >> 8) & 0xFFFFFF;
}

static void intake_flag(history *h, mcase *c, int64_t at)
{
    char json[4096], fetched[32], flag_id[32], seller[128], title[256];
    utc(at, fetched);
    snprintf(flag_id, sizeof flag_id, "%016x", ++h->flag_number);
    if (c->seller >= 0)
        snprintf(seller, sizeof seller, ",\"seller\":{\"id\":\"seller-%d\",\"name\":\"Cửa hàng %d\",\"location\":\"%s\"}",
                 c->seller, c->seller, locations[c->location]);
    else
        snprintf(seller, sizeof seller, ",\"seller\":{\"location\":\"%s\"}", locations[c->location]);
    int n = (int)strtol(c->listing + 1, NULL, 10);
    if (n % 5 == 0)
        snprintf(title, sizeof title, "=HYPERLINK(\\\"http://x\\\") Nước mắm %s", c->listing);
    else
        snprintf(title, sizeof title, "Son môi chính hãng giá rẻ %s", c->listing);
    snprintf(json, sizeof json,
             "{\"flag_id\":\"%s\",\"scan_id\":\"hist-%d\",\"severity\":\"%s\",\"explain\":\"t\","
             "\"listing\":{\"platform\":\"%s\",\"listing_id\":\"%s\",\"title\":\"%s\",\"price\":1000,"
             "\"url\":\"http://127.0.0.1/p/%s\"%s},"
             "\"rules\":[{\"id\":\"r1\",\"kind\":\"%s\",\"name\":\"M\",\"severity\":\"%s\",\"goods_group\":\"%s\","
             "\"score\":1}],\"hits\":[],\"signals\":[],"
             "\"evidence\":{\"url\":\"http://127.0.0.1/p/%s\",\"fetched_at\":\"%s\",\"http_status\":200,\"sha256\":\"00\"}}",
             flag_id, h->flag_number, severities[c->severity], platforms[c->platform], c->listing, title, c->listing,
             seller, c->kind0, severities[c->severity], c->goods0, c->listing, fetched);
    intake_item item = {.flag = json, .flag_length = strlen(json)};
    intake_stats stats = {0};
    char error[512];
    cr_assert_eq(register_intake(h->r, &item, 1, at, &stats, error, sizeof error), REGISTER_OK, "%s", error);
    cr_assert_eq(stats.bad, 0, "%s", json);
    c->flags++;
}

static void new_case(history *h, int64_t at)
{
    cr_assert_lt(h->count, MAX_CASES);
    mcase *c = &h->cases[h->count];
    memset(c, 0, sizeof *c);
    snprintf(c->listing, sizeof c->listing, "L%05d", h->count);
    c->platform = (int)(next(h) % 4);
    c->location = (int)(next(h) % 7);
    c->severity = (int)(next(h) % 4);
    c->seller = next(h) % 10 == 0 ? -1 : (int)(next(h) % 40);
    snprintf(c->kind0, sizeof c->kind0, "%s", kinds[next(h) % 7]);
    snprintf(c->goods0, sizeof c->goods0, "%s", goods[next(h) % 5]);
    c->first_ms = at;
    for (int s = 0; s < REPORT_STAGE_COUNT; s++)
        c->reached[s] = -1;
    c->reached[REPORT_RECEIVED] = at;
    c->state = CASE_RECEIVED;
    h->count++;
    intake_flag(h, c, at);
}

static void decide(history *h, int index, case_action a, int64_t at)
{
    mcase *c = &h->cases[index];
    decision_input d = {.case_id = c->case_id, .actor = "lan", .action = a};
    char kind[32], group[32];
    switch (a) {
    case ACTION_CLASSIFY:
    case ACTION_RECLASSIFY:
        snprintf(kind, sizeof kind, "%s", next(h) % 4 == 0 ? kinds[next(h) % 7] : c->kind0);
        snprintf(group, sizeof group, "%s", next(h) % 4 == 0 ? goods[next(h) % 5] : c->goods0);
        d.kind = kind;
        d.goods_group = group;
        break;
    case ACTION_VERIFY: d.reason = "counterfeit"; break;
    case ACTION_DISMISS: d.reason = "authorized_seller"; break;
    case ACTION_NEED_INFO: d.due = "2026-12-31"; d.note = "hỏi chủ thương hiệu"; break;
    case ACTION_HANDLE: d.reason = "takedown_request"; break;
    case ACTION_TRANSFER: d.unit = "PC03 Bắc Ninh"; d.reference = "15/CV-PC03"; break;
    default: break;
    }
    decision_output out;
    char error[512];
    cr_assert_eq(register_decide(h->r, &d, at, &out, error, sizeof error), REGISTER_OK, "%s %s: %s",
                 case_action_name(a), c->case_id, error);
    h->last_ms = at;
    static const report_stage stage_of[ACTION_COUNT] = {
        [ACTION_CLASSIFY] = REPORT_CLASSIFIED, [ACTION_VERIFY] = REPORT_VERIFIED, [ACTION_DISMISS] = REPORT_DISMISSED,
        [ACTION_NEED_INFO] = REPORT_STAGE_COUNT, [ACTION_HANDLE] = REPORT_HANDLED,
        [ACTION_TRANSFER] = REPORT_TRANSFERRED, [ACTION_RECLASSIFY] = REPORT_STAGE_COUNT};
    report_stage s = stage_of[a];
    if (s != REPORT_STAGE_COUNT && c->reached[s] < 0)
        c->reached[s] = at;
    if (a == ACTION_CLASSIFY || a == ACTION_RECLASSIFY) {
        cr_assert_lt(c->classes, MAX_CLASSES);
        c->class_ms[c->classes] = at;
        snprintf(c->class_kind[c->classes], 32, "%s", kind);
        snprintf(c->class_goods[c->classes], 32, "%s", group);
        c->classes++;
    }
    c->state = out.to;
}

/* One simulated day: new cases and repeat flags in the morning (Vietnam
 * time, so many fall on the UTC day before), decisions in the afternoon. */
static void simulate_day(history *h, int y, int m, int d)
{
    int64_t day = vn(y, m, d, 0, 0);
    int fresh = 4 + (int)(next(h) % 6);
    int64_t times[16];
    for (int i = 0; i < fresh; i++)
        times[i] = day + (int64_t)(next(h) % (12 * 3600)) * 1000;
    for (int i = 1; i < fresh; i++) /* in order: the register keeps the first flag's time */
        for (int j = i; j > 0 && times[j] < times[j - 1]; j--) {
            int64_t t = times[j];
            times[j] = times[j - 1];
            times[j - 1] = t;
        }
    int before = h->count;
    for (int i = 0; i < fresh; i++)
        new_case(h, times[i]);
    for (int i = before; i < h->count; i++) {
        sqlite3 *db;
        cr_assert_eq(sqlite3_open_v2(h->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        sqlite3_stmt *st;
        sqlite3_prepare_v2(db, "SELECT case_id, province FROM cases WHERE platform = ? AND listing_id = ?", -1, &st, NULL);
        sqlite3_bind_text(st, 1, platforms[h->cases[i].platform], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, h->cases[i].listing, -1, SQLITE_STATIC);
        cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
        snprintf(h->cases[i].case_id, sizeof h->cases[i].case_id, "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(h->cases[i].province, sizeof h->cases[i].province, "%s", (const char *)sqlite3_column_text(st, 1));
        sqlite3_finalize(st);
        sqlite3_close(db);
    }
    /* the same listings flagged again (another scan): sightings, not cases */
    for (int i = 0; i < 3 && h->count > 10; i++)
        intake_flag(h, &h->cases[next(h) % (unsigned)h->count], day + 12 * 3600 * 1000LL - 1000 * (i + 1));
    int64_t at = day + 12 * 3600 * 1000LL;
    int decisions = 6 + (int)(next(h) % 8);
    for (int k = 0; k < decisions; k++) {
        at += 1000 + (int64_t)(next(h) % 3000) * 1000;
        int index = (int)(next(h) % (unsigned)h->count);
        mcase *c = &h->cases[index];
        unsigned roll = next(h) % 100;
        case_action a = ACTION_COUNT;
        switch (c->state) {
        case CASE_RECEIVED: a = roll < 70 ? ACTION_CLASSIFY : roll < 85 ? ACTION_DISMISS : ACTION_NEED_INFO; break;
        case CASE_CLASSIFIED:
            a = roll < 65 ? ACTION_VERIFY : roll < 80 ? ACTION_DISMISS : roll < 90 ? ACTION_NEED_INFO : ACTION_RECLASSIFY;
            break;
        case CASE_VERIFIED:
            a = roll < 45 ? ACTION_HANDLE : roll < 70 ? ACTION_TRANSFER : roll < 85 ? ACTION_DISMISS : ACTION_NEED_INFO;
            break;
        case CASE_NEEDS_INFO: a = roll < 70 ? ACTION_CLASSIFY : ACTION_DISMISS; break;
        default: a = roll < 10 ? ACTION_RECLASSIFY : ACTION_COUNT; break;
        }
        if (a == ACTION_COUNT)
            continue;
        bool from_verified = c->state == CASE_VERIFIED;
        decide(h, index, a, at);
        if (a == ACTION_RECLASSIFY || (from_verified && (a == ACTION_DISMISS || a == ACTION_NEED_INFO))) {
            cr_assert_lt(h->correction_count, 400);
            h->corrections[h->correction_count++] = (correction_event){at, index, a == ACTION_RECLASSIFY};
        }
    }
}

static void simulate(history *h, int y, int m, int d, int days)
{
    for (int i = 0; i < days; i++) {
        struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d + i, .tm_hour = 12};
        time_t t = timegm(&tm);
        gmtime_r(&t, &tm);
        simulate_day(h, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    }
}

static history *build_history(const char *name)
{
    history *h = calloc(1, sizeof *h);
    cr_assert_not_null(h);
    h->seed = 20260507;
    snprintf(h->path, sizeof h->path, "%s/%s", scratch_dir(), name);
    char error[512];
    if (!shared_normalizer)
        cr_assert_eq(normalizer_create(&shared_normalizer, error, sizeof error), 0, "%s", error);
    h->r = register_open(h->path, shared_normalizer, error, sizeof error);
    cr_assert_not_null(h->r, "%s", error);
    simulate(h, 2025, 5, 1, 36);   /* last year's campaign */
    simulate(h, 2026, 4, 26, 40);  /* this year's, into June */
    H = h;
    return h;
}

/* ---- the model's figures ---- */

/* The field when the case reached a stage: the classification in force then. */
static void kind_at(const mcase *c, int64_t when, const char **kind, const char **group)
{
    *kind = c->kind0;
    *group = c->goods0;
    for (int i = 0; i < c->classes; i++)
        if (c->class_ms[i] <= when) {
            *kind = c->class_kind[i];
            *group = c->class_goods[i];
        }
}

static int64_t closed_at(const mcase *c)
{
    int64_t t = -1;
    for (int s = REPORT_DISMISSED; s <= REPORT_TRANSFERRED; s++)
        if (c->reached[s] >= 0 && (t < 0 || c->reached[s] < t))
            t = c->reached[s];
    return t;
}

static bool in(int64_t t, const report_period *p) { return t >= p->start_ms && t < p->end_ms; }

static uint64_t model_stage(const history *h, const report_period *p, report_stage s, report_dimension d,
                            const char *key)
{
    uint64_t n = 0;
    for (int i = 0; i < h->count; i++) {
        const mcase *c = &h->cases[i];
        if (c->reached[s] < 0 || !in(c->reached[s], p))
            continue;
        if (key) {
            const char *kind, *group;
            kind_at(c, c->reached[s], &kind, &group);
            const char *value = d == REPORT_BY_FIELD ? kind : d == REPORT_BY_GOODS_GROUP ? group
                                : d == REPORT_BY_PLATFORM ? platforms[c->platform] : c->province;
            if (strcmp(value, key))
                continue;
        }
        n++;
    }
    return n;
}

static uint64_t model_open(const history *h, const report_period *p, int64_t older_than)
{
    uint64_t n = 0;
    for (int i = 0; i < h->count; i++) {
        const mcase *c = &h->cases[i];
        int64_t closed = closed_at(c);
        if (c->first_ms < p->end_ms - older_than && (closed < 0 || closed >= p->end_ms))
            n++;
    }
    return n;
}

static report *make(const char *kind, const char *date, const char *baseline)
{
    report_period p;
    char error[512];
    cr_assert_eq(report_period_make(report_period_kind_named(kind), date, NULL, 0, &p, error, sizeof error), REPORT_OK,
                 "%s", error);
    report_options o = {.baseline_csv = baseline};
    report *r = NULL;
    cr_assert_eq(report_create(H->path, &p, &o, &r, error, sizeof error), REPORT_OK, "%s", error);
    return r;
}

static uint64_t row_value(const report_table *t, const char *key, report_stage s)
{
    for (size_t i = 0; i < t->count; i++)
        if (!strcmp(t->rows[i].key, key))
            return t->rows[i].stage[s];
    return 0;
}

/* The SQL count of cases whose earliest sighting falls in the period (not
 * the column the report reads). */
static uint64_t sql_received(const report_period *p)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open_v2(H->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    char a[32], b[32];
    utc(p->start_ms, a);
    utc(p->end_ms, b);
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM (SELECT case_id, min(seen_at) AS m FROM sightings GROUP BY"
                                        " case_id) WHERE m >= ?1 AND m < ?2", -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    uint64_t n = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* Every figure of the report against the model. */
static void expect_matches_model(const report *r)
{
    const report_figures *f = report_figures_of(r);
    const report_period *p = &f->period;
    cr_expect_eq(f->stage[REPORT_RECEIVED], sql_received(p), "%s: received vs SQL", p->label);
    for (int s = 0; s < REPORT_STAGE_COUNT; s++) {
        cr_expect_eq(f->stage[s], model_stage(H, p, (report_stage)s, 0, NULL), "%s: %s", p->label,
                     report_stage_name((report_stage)s));
        for (int d = 0; d < REPORT_DIMENSION_COUNT; d++) {
            uint64_t sum = 0;
            for (size_t i = 0; i < f->by[d].count; i++) {
                const report_row *row = &f->by[d].rows[i];
                sum += row->stage[s];
                cr_expect_eq(row->stage[s], model_stage(H, p, (report_stage)s, (report_dimension)d, row->key),
                             "%s: %s %s %s", p->label, report_dimension_name((report_dimension)d), row->key,
                             report_stage_name((report_stage)s));
            }
            cr_expect_eq(sum, f->stage[s], "%s: %s rows add up", p->label, report_dimension_name((report_dimension)d));
        }
    }
    cr_expect_eq(f->open, model_open(H, p, 0), "%s: open", p->label);
    cr_expect_eq(f->open_24h, model_open(H, p, DAY_MS), "%s: open > 24 h", p->label);
    cr_expect_eq(f->open_7d, model_open(H, p, 7 * DAY_MS), "%s: open > 7 d", p->label);
    /* shares, sellers, serious cases */
    uint64_t assessed = 0, closed = 0, without = 0, serious = 0;
    int cases_of[4][40] = {{0}};
    for (int i = 0; i < H->count; i++) {
        const mcase *c = &H->cases[i];
        if (c->seller >= 0 && c->first_ms < p->end_ms)
            cases_of[c->platform][c->seller]++;
        bool received = in(c->first_ms, p);
        bool transferred = c->reached[REPORT_TRANSFERRED] >= 0 && in(c->reached[REPORT_TRANSFERRED], p);
        if ((received && c->severity >= 2) || transferred)
            serious++;
        if (!received)
            continue;
        int64_t cl = c->reached[REPORT_CLASSIFIED], di = c->reached[REPORT_DISMISSED], end = closed_at(c);
        if ((cl >= 0 && cl < p->end_ms) || (di >= 0 && di < p->end_ms))
            assessed++;
        if (end >= 0 && end < p->end_ms)
            closed++;
        if (c->seller < 0)
            without++;
    }
    uint64_t distinct = 0, repeat = 0;
    for (int pl = 0; pl < 4; pl++)
        for (int s = 0; s < 40; s++) {
            bool seen = false;
            for (int i = 0; i < H->count && !seen; i++)
                seen = H->cases[i].platform == pl && H->cases[i].seller == s && in(H->cases[i].first_ms, p);
            if (seen) {
                distinct++;
                repeat += cases_of[pl][s] > 1;
            }
        }
    cr_expect_eq(f->received_assessed, assessed, "%s: assessed", p->label);
    cr_expect_eq(f->received_closed, closed, "%s: closed", p->label);
    cr_expect_eq(f->cases_without_seller, without, "%s: without seller", p->label);
    cr_expect_eq(f->sellers_distinct, distinct, "%s: distinct sellers", p->label);
    cr_expect_eq(f->sellers_repeat, repeat, "%s: repeat offenders", p->label);
    cr_expect_eq(f->serious_count, serious, "%s: serious cases", p->label);
    for (size_t i = 1; i < f->top_seller_count; i++)
        cr_expect_geq(f->top_sellers[i - 1].cases, f->top_sellers[i].cases);
}

static void day_label(int64_t ms, char out[16])
{
    time_t t = (time_t)((ms + 7 * 3600 * 1000LL) / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 16, "%Y-%m-%d", &tm);
}

Test(report, every_figure_equals_the_model_and_days_add_up_to_the_month)
{
    build_history("history.sqlite");
    /* every day of May 2026, the month, and the figures added up */
    report *month = make("monthly", "2026-05", NULL);
    expect_matches_model(month);
    const report_figures *mf = report_figures_of(month);
    cr_assert_gt(mf->stage[REPORT_RECEIVED], 100);
    cr_assert_gt(mf->stage[REPORT_TRANSFERRED], 0);
    uint64_t sum[REPORT_STAGE_COUNT] = {0};
    report_table sums[REPORT_DIMENSION_COUNT] = {0};
    uint64_t sum_rows[REPORT_DIMENSION_COUNT][64][REPORT_STAGE_COUNT] = {0};
    for (int d = 0; d < REPORT_DIMENSION_COUNT; d++)
        sums[d] = mf->by[d];
    for (int day = 1; day <= 31; day++) {
        char date[32];
        snprintf(date, sizeof date, "2026-05-%02d", day);
        report *r = make("daily", date, NULL);
        expect_matches_model(r);
        const report_figures *f = report_figures_of(r);
        for (int s = 0; s < REPORT_STAGE_COUNT; s++)
            sum[s] += f->stage[s];
        for (int d = 0; d < REPORT_DIMENSION_COUNT; d++)
            for (size_t i = 0; i < f->by[d].count; i++) {
                size_t k = 0;
                while (k < sums[d].count && strcmp(sums[d].rows[k].key, f->by[d].rows[i].key))
                    k++;
                cr_assert_lt(k, sums[d].count, "day %s has %s '%s', the month not", date,
                             report_dimension_name((report_dimension)d), f->by[d].rows[i].key);
                for (int s = 0; s < REPORT_STAGE_COUNT; s++)
                    sum_rows[d][k][s] += f->by[d].rows[i].stage[s];
            }
        report_destroy(r);
    }
    for (int s = 0; s < REPORT_STAGE_COUNT; s++)
        cr_expect_eq(sum[s], mf->stage[s], "days of May add up: %s", report_stage_name((report_stage)s));
    for (int d = 0; d < REPORT_DIMENSION_COUNT; d++)
        for (size_t k = 0; k < sums[d].count; k++)
            for (int s = 0; s < REPORT_STAGE_COUNT; s++)
                cr_expect_eq(sum_rows[d][k][s], sums[d].rows[k].stage[s], "days add up: %s %s %s",
                             report_dimension_name((report_dimension)d), sums[d].rows[k].key,
                             report_stage_name((report_stage)s));
    /* the months of 2026 add up to the year */
    report *year = make("yearly", "2026", NULL);
    expect_matches_model(year);
    const report_figures *yf = report_figures_of(year);
    uint64_t months[REPORT_STAGE_COUNT] = {0};
    for (int m = 1; m <= 12; m++) {
        char date[32];
        snprintf(date, sizeof date, "2026-%02d", m);
        report *r = make("monthly", date, NULL);
        for (int s = 0; s < REPORT_STAGE_COUNT; s++)
            months[s] += report_figures_of(r)->stage[s];
        report_destroy(r);
    }
    for (int s = 0; s < REPORT_STAGE_COUNT; s++)
        cr_expect_eq(months[s], yf->stage[s], "months add up to 2026: %s", report_stage_name((report_stage)s));
    /* a day at the edge of a Vietnam day: 30 April 2026 holds cases first seen on 29 April UTC */
    report *edge = make("daily", "2026-04-30", NULL);
    expect_matches_model(edge);
    report_destroy(edge);
    report *last_year = make("monthly", "2025-05", NULL);
    expect_matches_model(last_year);
    report_destroy(last_year);
    report_destroy(year);
    report_destroy(month);
    register_close(H->r);
}

Test(report, the_campaign_against_last_year_from_the_register_and_from_a_baseline_csv)
{
    build_history("campaign.sqlite");
    report *r = make("campaign", "2026", NULL);
    expect_matches_model(r);
    const report_figures *f = report_figures_of(r);
    cr_expect_str_eq(f->period.label, "2026-05-07..2026-05-30");
    cr_assert(f->baseline.present);
    cr_expect_str_eq(f->baseline.source, "register");
    cr_expect_str_eq(f->baseline.period.label, "2025-05-07..2025-05-30");
    for (int s = 0; s < REPORT_STAGE_COUNT; s++)
        cr_expect_eq(f->baseline.stage[s], model_stage(H, &f->baseline.period, (report_stage)s, 0, NULL), "%s",
                     report_stage_name((report_stage)s));
    report_destroy(r);
    /* an imported baseline wins over the register */
    char csv[700];
    snprintf(csv, sizeof csv, "%s/baseline.csv", scratch_dir());
    FILE *out = fopen(csv, "w");
    fputs("period,stage,field,count\n# last year's figures from the provincial report\n"
          "2025-05-07..2025-05-30,received,trademark,40\n2025-05-07..2025-05-30,received,gi,10\n"
          "2025-05-07..2025-05-30,verified,all,20\n2025-05-07..2025-05-30,handled,all,1000\n"
          "2024-05-07..2024-05-30,received,all,7\n",
          out);
    fclose(out);
    r = make("campaign", "2026", csv);
    f = report_figures_of(r);
    cr_expect_str_eq(f->baseline.source, "csv");
    cr_expect_eq(f->baseline.stage[REPORT_RECEIVED], 50);
    cr_expect_eq(f->baseline.stage[REPORT_VERIFIED], 20);
    cr_expect_eq(f->baseline.stage[REPORT_HANDLED], 1000);
    double percent;
    bool met;
    cr_assert(report_change(f->stage[REPORT_RECEIVED], 50, &percent, &met));
    cr_expect(met == (f->stage[REPORT_RECEIVED] >= 60));
    cr_assert(report_change(f->stage[REPORT_HANDLED], 1000, &percent, &met));
    cr_expect_not(met);
    cr_expect_lt(percent, -50);
    cr_expect_eq(row_value(&f->baseline.by_field, "gi", REPORT_RECEIVED), 10);
    report_destroy(r);
    /* a broken template is refused with its line */
    out = fopen(csv, "w");
    fputs("period,stage,field,count\n2025-05-07..2025-05-30,received,trademark,=1+1\n", out);
    fclose(out);
    report_period p;
    char error[512];
    report_period_make(REPORT_CAMPAIGN, "2026", NULL, 0, &p, error, sizeof error);
    report_options o = {.baseline_csv = csv};
    report *bad = NULL;
    cr_expect_eq(report_create(H->path, &p, &o, &bad, error, sizeof error), REPORT_ERROR_BASELINE);
    cr_expect_null(bad);
    cr_expect(strstr(error, ":2:") != NULL, "%s", error);
    register_close(H->r);
}

/* The figures of a report without the chain head (which moves with every decision). */
/* A range of days (the console's dashboard window) counts like the other
 * periods: it matches the model, its days add up to it, its JSON carries the
 * same figures, and bad ranges are refused. */
Test(report, a_range_of_days_matches_the_model_and_its_json_holds_the_same_figures)
{
    build_history("range.sqlite");
    report *r = make("range", "2026-05-03..2026-05-17", NULL);
    expect_matches_model(r);
    const report_figures *f = report_figures_of(r);
    cr_expect_str_eq(f->period.label, "2026-05-03..2026-05-17");
    cr_expect_eq(f->day_count, 15);
    cr_assert_gt(f->stage[REPORT_RECEIVED], 20);
    uint64_t days_received = 0;
    for (size_t i = 0; i < f->day_count; i++)
        days_received += f->days[i].received;
    cr_expect_eq(days_received, f->stage[REPORT_RECEIVED], "the chart's days add up to the range");
    cr_assert(f->baseline.present, "the range a year before is in the register");
    cr_expect_str_eq(f->baseline.period.label, "2025-05-03..2025-05-17");
    uint64_t sum[REPORT_STAGE_COUNT] = {0};
    for (int day = 3; day <= 17; day++) {
        char date[32];
        snprintf(date, sizeof date, "2026-05-%02d", day);
        report *d = make("daily", date, NULL);
        for (int s = 0; s < REPORT_STAGE_COUNT; s++)
            sum[s] += report_figures_of(d)->stage[s];
        report_destroy(d);
    }
    for (int s = 0; s < REPORT_STAGE_COUNT; s++)
        cr_expect_eq(sum[s], f->stage[s], "days add up to the range: %s", report_stage_name((report_stage)s));

    bytebuf json;
    bytebuf_init(&json, 0);
    cr_assert_eq(report_json(f, 5, &json), 0);
    cJSON *root = cJSON_ParseWithLength(json.data, json.length);
    cr_assert_not_null(root, "report_json wrote no JSON: %.200s", json.data);
    const cJSON *stages = cJSON_GetObjectItem(root, "stages");
    for (int s = 0; s < REPORT_STAGE_COUNT; s++)
        cr_expect_eq((uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(stages, report_stage_name((report_stage)s))),
                     f->stage[s], "JSON %s", report_stage_name((report_stage)s));
    cr_expect_eq((uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(root, "open")), f->open);
    cr_expect_eq((uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(root, "serious_count")), f->serious_count);
    const cJSON *serious = cJSON_GetObjectItem(root, "serious");
    cr_expect_eq((size_t)cJSON_GetArraySize(serious), f->serious_count < 5 ? f->serious_count : 5, "cut to 5");
    const cJSON *fields = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "by"), "field");
    cr_expect_eq((size_t)cJSON_GetArraySize(fields), f->by[REPORT_BY_FIELD].count);
    const cJSON *first = cJSON_GetArrayItem(fields, 0);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(first, "key")), f->by[REPORT_BY_FIELD].rows[0].key);
    cr_expect_eq((uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(first, "stages"), "received")),
                 f->by[REPORT_BY_FIELD].rows[0].stage[REPORT_RECEIVED]);
    cr_expect_eq((size_t)cJSON_GetArraySize(cJSON_GetObjectItem(root, "days")), f->day_count);
    double percent;
    bool met;
    cr_assert(report_change(f->stage[REPORT_RECEIVED], f->baseline.stage[REPORT_RECEIVED], &percent, &met));
    cr_expect(cJSON_IsBool(cJSON_GetObjectItem(root, "target_met")) &&
              cJSON_IsTrue(cJSON_GetObjectItem(root, "target_met")) == met);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "chain"), "head")), f->chain_head);
    cJSON_Delete(root);
    bytebuf_free(&json);
    report_destroy(r);

    /* the dashboard's window: the last N days up to today */
    report_period p;
    report_period_last_days(30, vn(2026, 5, 17, 23, 59), &p);
    cr_expect_str_eq(p.label, "2026-04-18..2026-05-17");
    cr_expect_eq(p.kind, REPORT_RANGE);
    report_period_last_days(1, vn(2026, 5, 17, 0, 0), &p);
    cr_expect_str_eq(p.label, "2026-05-17..2026-05-17");
    report_period before = report_period_year_before(&p, NULL);
    cr_expect_str_eq(before.label, "2025-05-17..2025-05-17");
    char error[256];
    static const char *const bad[] = {"2026-05-17..2026-05-03", "2026-05-03", "2026-05-03..2027-05-04",
                                      "2026-02-30..2026-03-01", "2026-05-03..2026-05-17x", ""};
    for (size_t i = 0; i + 1 < sizeof bad / sizeof *bad; i++)
        cr_expect_eq(report_period_make(REPORT_RANGE, bad[i], NULL, 0, &p, error, sizeof error), REPORT_ERROR_PERIOD,
                     "'%s' is not a range", bad[i]);
    register_close(H->r);
}

static char *figures_text(const report *r)
{
    char path[700];
    snprintf(path, sizeof path, "%s/figures.csv", scratch_dir());
    char error[512];
    cr_assert_eq(report_write(r, REPORT_CSV, path, false, error, sizeof error), REPORT_OK, "%s", error);
    char *text = harness_read_file(path, NULL);
    cr_assert_not_null(text);
    char *chain = strstr(text, "\nchain,");
    cr_assert_not_null(chain);
    chain[1] = 0;
    return text;
}

Test(report, a_closed_period_regenerated_after_later_decisions_is_unchanged_and_they_are_corrections)
{
    history *h = build_history("replay.sqlite");
    report *before = make("daily", "2026-05-12", NULL);
    report *month_before = make("monthly", "2026-05", NULL);
    char *day_text = figures_text(before), *month_text = figures_text(month_before);
    /* later (June 2026): reverse every case verified on 12 May, reclassify those classified then */
    report_period p12;
    char error[512];
    report_period_make(REPORT_DAILY, "2026-05-12", NULL, 0, &p12, error, sizeof error);
    int64_t at = vn(2026, 6, 20, 9, 0);
    cr_assert_gt(at, h->last_ms);
    int reversed = 0, reclassified = 0;
    for (int i = 0; i < h->count; i++) {
        mcase *c = &h->cases[i];
        if (c->state == CASE_VERIFIED && c->reached[REPORT_VERIFIED] >= 0 && in(c->reached[REPORT_VERIFIED], &p12)) {
            decide(h, i, ACTION_DISMISS, at += 60000);
            reversed++;
        } else if (c->state != CASE_RECEIVED && in(c->first_ms, &p12)) {
            decide(h, i, ACTION_RECLASSIFY, at += 60000);
            reclassified++;
        }
    }
    cr_assert_gt(reversed + reclassified, 0);
    report *after = make("daily", "2026-05-12", NULL), *month_after = make("monthly", "2026-05", NULL);
    char *day_again = figures_text(after), *month_again = figures_text(month_after);
    cr_expect_str_eq(day_again, day_text, "12 May changed after later decisions");
    cr_expect_str_eq(month_again, month_text, "May changed after later decisions");
    cr_expect_neq(report_figures_of(after)->chain_count, report_figures_of(before)->chain_count);
    /* the decisions of 20 June are that day's corrections */
    report *june20 = make("daily", "2026-06-20", NULL);
    const report_figures *f = report_figures_of(june20);
    int verified_withdrawn = 0, fields = 0;
    for (size_t i = 0; i < f->correction_count; i++) {
        verified_withdrawn += !strcmp(f->corrections[i].withdrawn, "verified");
        fields += !strcmp(f->corrections[i].withdrawn, "field");
        cr_expect_lt(f->corrections[i].reached_ms, f->period.start_ms);
    }
    cr_expect_eq(verified_withdrawn, reversed);
    cr_expect_eq(fields, reclassified);
    cr_expect_eq(f->stage[REPORT_DISMISSED], (uint64_t)reversed, "the dismissals count on the day they were made");
    expect_matches_model(june20);
    /* and the history's own corrections land in the periods they were made in */
    for (int k = 0; k < h->correction_count; k++) {
        correction_event *e = &h->corrections[k];
        mcase *c = &h->cases[e->index];
        char date[16];
        day_label(e->at, date);
        report *r = make("daily", date, NULL);
        const report_figures *rf = report_figures_of(r);
        int64_t reached = e->reclassify ? c->first_ms : c->reached[REPORT_VERIFIED];
        bool listed = false;
        for (size_t i = 0; i < rf->correction_count; i++)
            listed |= !strcmp(rf->corrections[i].case_id, c->case_id);
        cr_expect_eq(listed, reached < rf->period.start_ms, "%s on %s", c->case_id, date);
        report_destroy(r);
    }
    free(day_text), free(day_again), free(month_text), free(month_again);
    report_destroy(before), report_destroy(after), report_destroy(month_before), report_destroy(month_after);
    report_destroy(june20);
    register_close(h->r);
}

Test(report, a_listing_flagged_on_many_days_counts_once)
{
    history *h = calloc(1, sizeof *h);
    h->seed = 7;
    snprintf(h->path, sizeof h->path, "%s/repeat.sqlite", scratch_dir());
    char error[512];
    cr_assert_eq(normalizer_create(&shared_normalizer, error, sizeof error), 0, "%s", error);
    h->r = register_open(h->path, shared_normalizer, error, sizeof error);
    cr_assert_not_null(h->r, "%s", error);
    H = h;
    new_case(h, vn(2026, 5, 3, 9, 0));
    for (int d = 4; d <= 20; d++) /* the same listing, another scan each day */
        intake_flag(h, &h->cases[0], vn(2026, 5, d, 9, 0));
    snprintf(h->cases[0].case_id, sizeof h->cases[0].case_id, "%s", "");
    report *month = make("monthly", "2026-05", NULL);
    cr_expect_eq(report_figures_of(month)->stage[REPORT_RECEIVED], 1);
    report *later = make("daily", "2026-05-10", NULL);
    cr_expect_eq(report_figures_of(later)->stage[REPORT_RECEIVED], 0);
    cr_expect_eq(report_figures_of(later)->open, 1);
    report *first = make("daily", "2026-05-03", NULL);
    cr_expect_eq(report_figures_of(first)->stage[REPORT_RECEIVED], 1);
    report_destroy(month), report_destroy(later), report_destroy(first);
    register_close(h->r);
}

/* ---- the files, read back by independent readers ---- */

static int run_report(const char *kind, const char *date, const char *dir, const char *format, const char *lang,
                      char **out)
{
    char lscan[600];
    snprintf(lscan, sizeof lscan, "%s/lscan", harness_build());
    const char *argv[] = {lscan, "report", kind, "--date", date, "--register", H->path, "--out", dir,
                          "--format", format, "--lang", lang, NULL};
    char *err = NULL;
    int rc = harness_run(argv, NULL, 0, out, &err);
    if (rc != 0)
        cr_log_info("lscan report (exit %d): %s", rc, err ? err : "");
    free(err);
    return rc;
}

Test(report, xlsx_read_back_by_openpyxl_and_pdf_text_hold_the_same_numbers)
{
    build_history("files.sqlite");
    char dir[700];
    snprintf(dir, sizeof dir, "%s/out", scratch_dir());
    cr_assert_eq(run_report("monthly", "2026-05", dir, "xlsx,csv,pdf", "en", NULL), 0);
    report *r = make("monthly", "2026-05", NULL);
    const report_figures *f = report_figures_of(r);
    /* openpyxl: the summary's codes and numbers, the field sheet's rows */
    char xlsx[800], script[4096];
    snprintf(xlsx, sizeof xlsx, "%s/lscan-report-monthly-2026-05.xlsx", dir);
    snprintf(script, sizeof script,
             "import openpyxl,sys\n"
             "wb=openpyxl.load_workbook(sys.argv[1])\n"
             "for row in wb['Summary'].iter_rows(min_row=4,values_only=True):\n"
             "  if row[2] and isinstance(row[1],(int,float)) and not isinstance(row[1],bool): print('summary',row[2],row[1])\n"
             "for row in wb['By field'].iter_rows(min_row=2,values_only=True):\n"
             "  print('field',row[0],' '.join(str(int(v)) for v in row[2:8]))\n"
             "for row in wb['By province'].iter_rows(min_row=2,values_only=True):\n"
             "  print('province',row[0].replace(' ','_'),int(row[2]))\n"
             "for row in wb['Serious cases'].iter_rows(min_row=2,values_only=True):\n"
             "  print('title',row[5][:1])\n");
    /* Debian's python3 (python3-openpyxl), not another one first on PATH */
    const char *argv[] = {"/usr/bin/python3", "-c", script, xlsx, NULL};
    char *out = NULL, *err = NULL;
    cr_assert_eq(harness_run(argv, NULL, 0, &out, &err), 0, "%s", err ? err : "");
    for (int s = 0; s < REPORT_STAGE_COUNT; s++) {
        char want[128];
        snprintf(want, sizeof want, "summary %s %llu\n", report_stage_name((report_stage)s),
                 (unsigned long long)f->stage[s]);
        cr_expect(strstr(out, want) != NULL, "xlsx lacks '%s' in:\n%s", want, out);
    }
    char want[256];
    snprintf(want, sizeof want, "summary open %llu\n", (unsigned long long)f->open);
    cr_expect(strstr(out, want) != NULL, "%s", want);
    snprintf(want, sizeof want, "summary sellers_repeat %llu\n", (unsigned long long)f->sellers_repeat);
    cr_expect(strstr(out, want) != NULL, "%s", want);
    for (size_t i = 0; i < f->by[REPORT_BY_FIELD].count; i++) {
        const report_row *row = &f->by[REPORT_BY_FIELD].rows[i];
        snprintf(want, sizeof want, "field %s %llu %llu %llu %llu %llu %llu\n", row->key,
                 (unsigned long long)row->stage[0], (unsigned long long)row->stage[1], (unsigned long long)row->stage[2],
                 (unsigned long long)row->stage[3], (unsigned long long)row->stage[4], (unsigned long long)row->stage[5]);
        cr_expect(strstr(out, want) != NULL, "xlsx lacks '%s'", want);
    }
    for (size_t i = 0; i < f->by[REPORT_BY_PROVINCE].count; i++) {
        char key[128];
        snprintf(key, sizeof key, "%s", f->by[REPORT_BY_PROVINCE].rows[i].key);
        for (char *s = key; *s; s++)
            if (*s == ' ')
                *s = '_';
        snprintf(want, sizeof want, "province %s %llu\n", key,
                 (unsigned long long)f->by[REPORT_BY_PROVINCE].rows[i].stage[REPORT_RECEIVED]);
        cr_expect(strstr(out, want) != NULL, "xlsx lacks '%s'", want);
    }
    /* hostile titles ("=HYPERLINK(...") are text with an apostrophe, never formulas */
    cr_expect(strstr(out, "title '\n") != NULL, "no defused title in:\n%s", out);
    cr_expect(strstr(out, "title =") == NULL);
    free(out), free(err);
    /* the CSV: the same defusing */
    char csv[800];
    snprintf(csv, sizeof csv, "%s/lscan-report-monthly-2026-05.csv", dir);
    char *text = harness_read_file(csv, NULL);
    cr_assert_not_null(text);
    cr_expect(strstr(text, ",\"'=HYPERLINK") != NULL);
    cr_expect(strstr(text, ",\"=") == NULL);
    free(text);
    /* pdftotext: the numbers of the summary */
    char pdf[800];
    snprintf(pdf, sizeof pdf, "%s/lscan-report-monthly-2026-05.pdf", dir);
    const char *totext[] = {"pdftotext", "-layout", pdf, "-", NULL};
    out = NULL;
    cr_assert_eq(harness_run(totext, NULL, 0, &out, NULL), 0);
    for (int s = 0; s < REPORT_STAGE_COUNT; s++) {
        char line[256];
        snprintf(line, sizeof line, "%s", report_stage_label((report_stage)s, false));
        char *at = strstr(out, line);
        cr_expect_not_null(at, "pdf lacks %s", line);
        if (at) {
            char number[32];
            snprintf(number, sizeof number, " %llu", (unsigned long long)f->stage[s]);
            char *eol = strchr(at, '\n');
            size_t n = eol ? (size_t)(eol - at) : strlen(at);
            char copy[512];
            snprintf(copy, sizeof copy, "%.*s", (int)(n < 500 ? n : 500), at);
            cr_expect(strstr(copy, number) != NULL, "pdf line '%s' lacks %s", copy, number);
        }
    }
    cr_expect(strstr(out, f->chain_head) != NULL || strstr(out, "chain") != NULL);
    free(out);
    /* Vietnamese: the diacritics come out of the PDF as they went in */
    cr_assert_eq(run_report("daily", "2026-05-12", dir, "pdf", "vi", NULL), 0);
    snprintf(pdf, sizeof pdf, "%s/lscan-report-daily-2026-05-12.pdf", dir);
    const char *totext_vi[] = {"pdftotext", pdf, "-", NULL};
    out = NULL;
    cr_assert_eq(harness_run(totext_vi, NULL, 0, &out, NULL), 0);
    cr_expect(strstr(out, "Báo cáo nhanh ngày 12/05/2026") != NULL, "%s", out);
    cr_expect(strstr(out, "Đã xác minh") != NULL);
    free(out);
    /* LSCAN_REPORT_KEEP=DIR keeps the files (to look at them) */
    if (getenv("LSCAN_REPORT_KEEP")) {
        cr_assert_eq(run_report("campaign", "2026", dir, "pdf", "vi", NULL), 0);
        const char *copy[] = {"cp", "-r", dir, getenv("LSCAN_REPORT_KEEP"), NULL};
        harness_run(copy, NULL, 0, NULL, NULL);
    }
    report_destroy(r);
    register_close(H->r);
}

Test(report, the_same_inputs_give_the_same_files)
{
    build_history("same.sqlite");
    char a[700], b[700];
    snprintf(a, sizeof a, "%s/a", scratch_dir());
    snprintf(b, sizeof b, "%s/b", scratch_dir());
    cr_assert_eq(run_report("daily", "2026-05-20", a, "xlsx,csv,pdf", "vi", NULL), 0);
    cr_assert_eq(run_report("daily", "2026-05-20", b, "pdf", "vi", NULL), 0);
    cr_assert_eq(run_report("daily", "2026-05-20", b, "csv,xlsx", "vi", NULL), 0);
    cr_assert_eq(run_report("daily", "2026-05-20", b, "csv,xlsx", "vi", NULL), 0); /* again over its own files */
    for (int f = 0; f < REPORT_FORMAT_COUNT; f++) {
        char name[128], pa[900], pb[900];
        report_period p;
        char error[256];
        report_period_make(REPORT_DAILY, "2026-05-20", NULL, 0, &p, error, sizeof error);
        report_file_name(&p, (report_format)f, name, sizeof name);
        snprintf(pa, sizeof pa, "%s/%s", a, name);
        snprintf(pb, sizeof pb, "%s/%s", b, name);
        const char *argv[] = {"cmp", pa, pb, NULL};
        cr_expect_eq(harness_run(argv, NULL, 0, NULL, NULL), 0, "%s differs between two runs", name);
    }
    /* bad usage: exit 2 with a message */
    char *out = NULL;
    cr_expect_eq(run_report("daily", "2026-13-01", a, "csv", "vi", &out), 2);
    free(out);
    cr_expect_eq(run_report("weekly", "2026-05-01", a, "csv", "vi", NULL), 2);
    register_close(H->r);
}

Test(report, hostile_and_broken_listing_text_is_written_as_text)
{
    history *h = calloc(1, sizeof *h);
    h->seed = 11;
    snprintf(h->path, sizeof h->path, "%s/hostile.sqlite", scratch_dir());
    char error[512];
    cr_assert_eq(normalizer_create(&shared_normalizer, error, sizeof error), 0, "%s", error);
    h->r = register_open(h->path, shared_normalizer, error, sizeof error);
    cr_assert_not_null(h->r, "%s", error);
    H = h;
    /* a title with bytes that are not UTF-8, markup, and a formula; a seller name that is a formula */
    const char *json =
        "{\"flag_id\":\"00000000000000aa\",\"scan_id\":\"x-1\",\"severity\":\"critical\",\"explain\":\"t\","
        "\"listing\":{\"platform\":\"shopee\",\"listing_id\":\"H1\",\"title\":\"@SUM(1+1) <b>\xff\xfe bad</b> \\\"x\\\"\","
        "\"url\":\"http://127.0.0.1/p/H1\",\"seller\":{\"id\":\"s1\",\"name\":\"-2+3 Shop\",\"location\":\"Huế\"}},"
        "\"rules\":[{\"id\":\"r1\",\"kind\":\"gi\",\"name\":\"M\",\"severity\":\"critical\",\"goods_group\":\"other\","
        "\"score\":1}],\"hits\":[],\"signals\":[],\"evidence\":{\"url\":\"http://127.0.0.1/p/H1\","
        "\"fetched_at\":\"2026-05-03T02:00:00Z\",\"http_status\":200,\"sha256\":\"00\"}}";
    intake_item item = {.flag = json, .flag_length = strlen(json)};
    intake_stats stats = {0};
    cr_assert_eq(register_intake(h->r, &item, 1, 0, &stats, error, sizeof error), REGISTER_OK, "%s", error);
    cr_assert_eq(stats.cases_new, 1);
    char dir[700];
    snprintf(dir, sizeof dir, "%s/hostile", scratch_dir());
    char *out = NULL;
    cr_assert_eq(run_report("daily", "2026-05-03", dir, "csv,xlsx,pdf", "vi", &out), 0);
    free(out);
    char csv[800];
    snprintf(csv, sizeof csv, "%s/lscan-report-daily-2026-05-03.csv", dir);
    char *text = harness_read_file(csv, NULL);
    cr_assert_not_null(text);
    cr_expect(strstr(text, "\"'@SUM(1+1)") != NULL, "%s", text);
    cr_expect(strstr(text, "\"'-2+3 Shop\"") != NULL, "%s", text);
    cr_expect(strstr(text, "\xff") == NULL, "bytes that are not UTF-8 reached the CSV");
    free(text);
    char xlsx[800], script[1024];
    snprintf(xlsx, sizeof xlsx, "%s/lscan-report-daily-2026-05-03.xlsx", dir);
    snprintf(script, sizeof script,
             "import openpyxl,sys\nwb=openpyxl.load_workbook(sys.argv[1])\n"
             "print(wb['Vụ việc nghiêm trọng'].cell(2,6).value)\nprint(wb['Người bán'].cell(2,3).value)\n");
    const char *argv[] = {"/usr/bin/python3", "-c", script, xlsx, NULL};
    char *err = NULL;
    cr_assert_eq(harness_run(argv, NULL, 0, &out, &err), 0, "%s", err ? err : "");
    cr_expect(!strncmp(out, "'@SUM(1+1) <b>", 14), "%s", out);
    cr_expect(strstr(out, "\n'-2+3 Shop\n") != NULL, "%s", out);
    free(out), free(err);
    register_close(h->r);
}

/* ---- the console's download ---- */

typedef struct download {
    long status;
    char cookie[256];
    char *body;
    size_t length;
} download;

static size_t take_header(char *data, size_t size, size_t n, void *ctx)
{
    download *d = ctx;
    size_t length = size * n;
    if (length > 12 && !strncasecmp(data, "Set-Cookie: ", 12)) {
        size_t end = 12;
        while (end < length && data[end] != ';' && data[end] != '\r')
            end++;
        snprintf(d->cookie, sizeof d->cookie, "%.*s", (int)(end - 12), data + 12);
    }
    return length;
}

static size_t take_body(char *data, size_t size, size_t n, void *ctx)
{
    download *d = ctx;
    char *grown = realloc(d->body, d->length + size * n + 1);
    cr_assert_not_null(grown);
    memcpy(grown + d->length, data, size * n);
    d->length += size * n;
    grown[d->length] = 0;
    d->body = grown;
    return size * n;
}

static void fetch(int port, const char *path, const char *cookie, const char *json, download *d)
{
    memset(d, 0, sizeof *d);
    CURL *curl = curl_easy_init();
    char url[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, take_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, d);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, take_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, d);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 30000L);
    struct curl_slist *headers = NULL;
    if (cookie && *cookie) {
        char line[300];
        snprintf(line, sizeof line, "Cookie: %s", cookie);
        headers = curl_slist_append(headers, line);
    }
    if (json) {
        headers = curl_slist_append(headers, "Content-Type: application/json");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, json);
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    cr_assert_eq(curl_easy_perform(curl), CURLE_OK, "%s", path);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &d->status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
}

static void add_account(const char *accounts, const char *name, const char *role)
{
    char lscan[600], input[64];
    snprintf(lscan, sizeof lscan, "%s/lscan", harness_build());
    snprintf(input, sizeof input, "%s-password-1\n", name);
    const char *argv[] = {lscan, "users", "add", name, "--role", role, "--accounts", accounts, NULL};
    char *err = NULL;
    cr_assert_eq(harness_run(argv, input, strlen(input), NULL, &err), 0, "%s", err ? err : "");
    free(err);
}

Test(report, the_console_offers_the_same_reports_for_download)
{
    history *h = build_history("console.sqlite");
    register_close(h->r);
    char accounts[700], lscan[600], line[512];
    snprintf(accounts, sizeof accounts, "%s/accounts.sqlite", scratch_dir());
    add_account(accounts, "chi", "lead");
    add_account(accounts, "lan", "reviewer");
    snprintf(lscan, sizeof lscan, "%s/lscan", harness_build());
    const char *argv[] = {lscan, "serve", "--listen", "127.0.0.1:0", "--register", h->path, "--accounts", accounts,
                          "--no-intake", NULL};
    cr_assert_eq(harness_start_command(&server, argv), 0);
    cr_assert_eq(harness_read_line(&server, "the console is at", line, sizeof line, 20000), 0, "lscan serve did not start");
    const char *at = strstr(line, "127.0.0.1:");
    cr_assert_not_null(at, "%s", line);
    int port = (int)strtol(at + 10, NULL, 10);
    cr_assert(port > 0 && port < 65536, "%s", line);
    /* the same bytes as lscan report writes */
    char dir[700];
    snprintf(dir, sizeof dir, "%s/cli", scratch_dir());
    cr_assert_eq(run_report("daily", "2026-05-12", dir, "csv,pdf", "vi", NULL), 0);
    download lead, got;
    fetch(port, "/api/login", NULL, "{\"username\":\"chi\",\"password\":\"chi-password-1\"}", &lead);
    cr_assert_eq(lead.status, 200, "%s", lead.body ? lead.body : "");
    for (int f = 0; f < 2; f++) {
        const char *ext = f ? "pdf" : "csv";
        char path[128], file[800];
        snprintf(path, sizeof path, "/api/reports/daily/2026-05-12.%s", ext);
        fetch(port, path, lead.cookie, NULL, &got);
        cr_expect_eq(got.status, 200, "%s: %s", path, got.body ? got.body : "");
        snprintf(file, sizeof file, "%s/lscan-report-daily-2026-05-12.%s", dir, ext);
        size_t length = 0;
        char *want = harness_read_file(file, &length);
        cr_assert_not_null(want);
        cr_expect(got.length == length && !memcmp(got.body, want, length), "%s differs from lscan report's", path);
        free(want);
        free(got.body);
    }
    fetch(port, "/api/reports/daily/2026-13-12.csv", lead.cookie, NULL, &got);
    cr_expect_eq(got.status, 400);
    free(got.body);
    fetch(port, "/api/reports/weekly/2026-05-12.csv", lead.cookie, NULL, &got);
    cr_expect_eq(got.status, 404);
    free(got.body);
    free(lead.body);
    /* a reviewer may not; nobody logged out may not */
    download reviewer;
    fetch(port, "/api/login", NULL, "{\"username\":\"lan\",\"password\":\"lan-password-1\"}", &reviewer);
    cr_assert_eq(reviewer.status, 200);
    fetch(port, "/api/reports/daily/2026-05-12.csv", reviewer.cookie, NULL, &got);
    cr_expect_eq(got.status, 403);
    free(got.body);
    fetch(port, "/api/reports/daily/2026-05-12.csv", NULL, NULL, &got);
    cr_expect_eq(got.status, 401);
    free(got.body);
    free(reviewer.body);
    harness_stop(&server);
}

/* ---- by e-mail, to a real SMTP server on 127.0.0.1 (tests/smtp-sink) ---- */


static int start_smtp(bool refuse, char *folder, size_t size)
{
    snprintf(folder, size, "%s/mail-%s", scratch_dir(), refuse ? "refused" : "inbox");
    cr_assert(mkdir(folder, 0700) == 0 || errno == EEXIST);
    int port = harness_free_port();
    char sink[600], port_text[16];
    snprintf(sink, sizeof sink, "%s/tests/smtp-sink", harness_root());
    snprintf(port_text, sizeof port_text, "%d", port);
    const char *argv[] = {sink, port_text, folder, refuse ? "--refuse" : NULL, NULL};
    cr_assert_eq(harness_start_command(&smtp, argv), 0);
    char line[256];
    cr_assert_eq(harness_read_line(&smtp, "smtp-sink ready", line, sizeof line, 15000), 0, "the SMTP sink did not start");
    return port;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

static int count_messages(const char *folder)
{
    int n = 0;
    for (int i = 1; i < 100; i++) {
        char path[700];
        snprintf(path, sizeof path, "%s/%d.eml", folder, i);
        if (access(path, F_OK) == 0)
            n++;
    }
    return n;
}

static int run_mail(const char *config, const char *dir, bool again, char **out, char **err)
{
    char lscan[600];
    snprintf(lscan, sizeof lscan, "%s/lscan", harness_build());
    const char *argv[] = {lscan, "report", "daily", "--date", "2026-05-12", "--register", H->path, "--out", dir,
                          "--mail", config, again ? "--mail-again" : NULL, NULL};
    return harness_run(argv, NULL, 0, out, err);
}

/* The daily report goes by mail through libcurl's SMTP: one message, to
 * every address of the config, the subject and body in Vietnamese, the
 * three files attached byte for byte (read back by Python's email parser);
 * run again it is not sent twice; a refusing server is an error. */
Test(report, the_daily_report_is_mailed_once_with_its_files_to_every_address)
{
    build_history("mail.sqlite");
    register_close(H->r);
    char inbox[600], dir[700], config[700], text[1200];
    int port = start_smtp(false, inbox, sizeof inbox);
    snprintf(dir, sizeof dir, "%s/mailed-reports", scratch_dir());
    snprintf(config, sizeof config, "%s/mail.yaml", scratch_dir());
    snprintf(text, sizeof text,
             "smtp: smtp://127.0.0.1:%d\nfrom: lscan@skhcn.bacninh.example\n"
             "to: [thanhtra@skhcn.bacninh.example, truongphong@skhcn.bacninh.example]\ntls: none\ntimeout: 30\n",
             port);
    write_text(config, text);
    char *out = NULL, *err = NULL;
    cr_assert_eq(run_mail(config, dir, false, &out, &err), 0, "%s", err ? err : "");
    cr_expect(strstr(out, "mail: sent to thanhtra@skhcn.bacninh.example, truongphong@skhcn.bacninh.example"), "%s", out);
    free(out);
    free(err);
    cr_assert_eq(count_messages(inbox), 1);

    /* an independent MIME reader: Python's email package */
    static const char script[] =
        "import email, email.policy, hashlib, sys\n"
        "m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)\n"
        "print('to=' + m['X-Envelope-To'])\n"
        "print('subject=' + str(m['Subject']))\n"
        "body = m.get_body(preferencelist=('plain',)).get_content()\n"
        "print('body=' + body.splitlines()[0])\n"
        "print('received_line=' + str(any(l.startswith('- Phát hiện (tiếp nhận): ') for l in body.splitlines())))\n"
        "for part in m.iter_attachments():\n"
        "    print('file=%s %s %s' % (part.get_filename(), part.get_content_type(),"
        " hashlib.sha256(part.get_payload(decode=True)).hexdigest()))\n";
    char eml[700];
    snprintf(eml, sizeof eml, "%s/1.eml", inbox);
    const char *argv[] = {"/usr/bin/python3", "-c", script, eml, NULL};
    cr_assert_eq(harness_run(argv, NULL, 0, &out, &err), 0, "%s", err ? err : "");
    cr_expect(strstr(out, "to=thanhtra@skhcn.bacninh.example, truongphong@skhcn.bacninh.example\n"), "%s", out);
    cr_expect(strstr(out, "subject=[lscan] Báo cáo nhanh ngày 12/05/2026\n"), "%s", out);
    cr_expect(strstr(out, "body=Báo cáo nhanh ngày 12/05/2026\n"), "%s", out);
    cr_expect(strstr(out, "received_line=True\n"), "%s", out);
    static const char *const files[][2] = {{"csv", "text/csv"},
                                           {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
                                           {"pdf", "application/pdf"}};
    for (size_t i = 0; i < 3; i++) {
        char path[800], want[1200];
        snprintf(path, sizeof path, "%s/lscan-report-daily-2026-05-12.%s", dir, files[i][0]);
        size_t length = 0;
        char *data = harness_read_file(path, &length);
        cr_assert_not_null(data, "%s", path);
        unsigned char digest[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(digest, (const unsigned char *)data, length);
        char hex[65];
        sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
        snprintf(want, sizeof want, "file=lscan-report-daily-2026-05-12.%s %s %s\n", files[i][0], files[i][1], hex);
        cr_expect(strstr(out, want), "attachment %s not byte for byte:\n%s", files[i][0], out);
        free(data);
    }
    free(out);
    free(err);

    /* a scheduler runs it again: the same files to the same people go once */
    cr_assert_eq(run_mail(config, dir, false, &out, &err), 0, "%s", err ? err : "");
    cr_expect(strstr(out, "mail: already sent"), "%s", out);
    free(out);
    free(err);
    cr_expect_eq(count_messages(inbox), 1, "sent twice");
    cr_assert_eq(run_mail(config, dir, true, &out, &err), 0, "%s", err ? err : "");
    free(out);
    free(err);
    cr_expect_eq(count_messages(inbox), 2, "--mail-again did not send");
    harness_stop(&smtp);

    /* a server that refuses: exit 3 and the server's answer, nothing recorded as sent */
    char refused[600], dir2[700];
    port = start_smtp(true, refused, sizeof refused);
    snprintf(text, sizeof text,
             "smtp: smtp://127.0.0.1:%d\nfrom: lscan@skhcn.bacninh.example\nto: thanhtra@skhcn.bacninh.example\n"
             "tls: none\n",
             port);
    write_text(config, text);
    snprintf(dir2, sizeof dir2, "%s/refused-reports", scratch_dir());
    cr_expect_eq(run_mail(config, dir2, false, &out, &err), 3);
    cr_expect(strstr(err, "lscan: report: mail: smtp://127.0.0.1:") && strstr(err, "550"), "%s", err);
    free(out);
    free(err);
    char marker[800];
    snprintf(marker, sizeof marker, "%s/.lscan-report-daily-2026-05-12.mailed", dir2);
    cr_expect_neq(access(marker, F_OK), 0, "a refused mail was recorded as sent");
    harness_stop(&smtp);

    /* configs that must not be used: clear text off this machine, a password in the file, a header in an address */
    static const char *const bad[][2] = {
        {"smtp: smtp://mail.example.gov.vn:25\nfrom: a@b.vn\nto: c@d.vn\ntls: none\n", "tls: none only"},
        {"smtp: smtps://mail.example.gov.vn\nfrom: a@b.vn\nto: c@d.vn\npassword: hunter2\n", "no password in the file"},
        {"smtp: smtps://mail.example.gov.vn\nfrom: a@b.vn\nto: \"c@d.vn\\r\\nBcc: e@f.vn\"\n", "not one plain address"},
        {"smtp: https://mail.example.gov.vn\nfrom: a@b.vn\nto: c@d.vn\n", "smtp:// or smtps://"},
        {"smtp: smtps://mail.example.gov.vn\nfrom: a@b.vn\nto: c@d.vn\nusername: u\npassword_env: LSCAN_TEST_UNSET_PW\n",
         "LSCAN_TEST_UNSET_PW"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        write_text(config, bad[i][0]);
        cr_expect_eq(run_mail(config, dir2, false, &out, &err), 2, "config %zu accepted", i);
        cr_expect(err && strstr(err, bad[i][1]), "config %zu: %s", i, err ? err : "");
        free(out);
        free(err);
    }
}
