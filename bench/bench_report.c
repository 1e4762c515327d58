/* bench-report: a daily report over a register of 1,000,000 cases (issue
 * 13: under 2 s), against the same count done by one SQL query.
 *
 * The register is made by register_open (the real schema 2, its indexes
 * and triggers), then filled directly with prepared INSERTs in big
 * transactions, synchronous off — register_intake would take minutes for a
 * million flags, and the report reads rows, not how they came. A year of
 * cases (2025-06-01 to 2026-05-31, Vietnam time, ~2,740 a day) on five
 * platforms, seven fields, 34 provinces and 50,000 sellers; 80% classified
 * within three days, 60% of those verified, then handled (50%) or
 * transferred (30%); 15% dismissed unclassified. About 2.3 million
 * decisions; their hashes are not a real chain (the report does not check
 * it; `lscan cases verify` does).
 *
 * Measured, each 5 times (the median): report_create for 2026-05-20 (every
 * figure), then writing CSV, XLSX and PDF; the reference is one SQL query
 * counting the same day's cases per stage (first sighting, first decision
 * of each action). The bench checks that both give the same numbers.
 * usage: bench-report [--json] [--cases N] [--keep: leave the register in /tmp] */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "rules/text/normalize.h"
#include "scanner/cases/register.h"
#include "scanner/report/report.h"

#define DAY_MS (24LL * 3600 * 1000)
#define RUNS 5

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t vn(int y, int m, int d)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
    return (int64_t)timegm(&tm) * 1000 - 7 * 3600 * 1000LL;
}

static void utc(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int fill(const char *path, size_t count)
{
    static const char *const platforms[] = {"shopee", "lazada", "tiki", "tiktokshop", "facebook"};
    static const char *const kinds[] = {"trademark", "gi", "collective_mark", "certification_mark", "ocop",
                                        "plant_variety", "copyright"};
    static const char *const groups[] = {"cosmetics", "pharmaceuticals", "regional_specialties_ocop", "software",
                                         "consumer_goods", "films", "other"};
    static const char *const provinces[] = {"Hà Nội", "Hồ Chí Minh", "Đà Nẵng", "Hải Phòng", "Cần Thơ", "Huế",
                                            "Thanh Hóa", "Nghệ An", "Bắc Ninh", "Quảng Ninh", "Lâm Đồng", "abroad",
                                            "unknown"};
    static const char *const severities[] = {"low", "medium", "high", "critical"};
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return -1;
    sqlite3_exec(db, "PRAGMA synchronous = OFF; PRAGMA cache_size = -262144; BEGIN", NULL, NULL, NULL);
    sqlite3_stmt *ins_case, *ins_decision;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO cases (case_id, platform, listing_id, state, kind, goods_group, severity,"
                           " severity_rank, province, location_raw, seller_id, seller_name, title, url, campaign,"
                           " first_seen, first_seen_ms, last_seen, sightings, flag_id, flag, first_decided_ms)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11, ?12, ?13, 'bench', ?14, ?15,"
                           " ?14, 1, ?1, '{}', ?16)",
                           -1, &ins_case, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO decisions (seq, case_id, at, actor, action, from_state, to_state, reason,"
                           " details, transfer_unit, transfer_reference, prev_hash, hash, published)"
                           " VALUES (?1, ?2, ?3, 'bench', ?4, ?5, ?6, '', ?7, ?8, ?9, '', '', 1)",
                           -1, &ins_decision, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench-report: %s\n", sqlite3_errmsg(db));
        return -1;
    }
    int64_t start = vn(2025, 6, 1), span = vn(2026, 6, 1) - start;
    uint64_t seq = 0;
    for (size_t i = 0; i < count; i++) {
        char id[24], listing[24], seller[24], name[48], title[96], url[96], first[32], at_text[32];
        snprintf(id, sizeof id, "%016zx", i * 2654435761u + 1);
        snprintf(listing, sizeof listing, "B%09zu", i);
        uint64_t r = next();
        int64_t first_ms = start + (int64_t)(((double)i / (double)count) * (double)span) + (int64_t)(r % 600000);
        snprintf(seller, sizeof seller, "s%llu", (unsigned long long)(next() % 50000));
        snprintf(name, sizeof name, "Cửa hàng %s", seller);
        snprintf(title, sizeof title, "Nước hoa chính hãng giá sỉ %s", listing);
        snprintf(url, sizeof url, "https://example.vn/p/%s", listing);
        utc(first_ms, first);
        int kind = (int)(next() % 7), severity = (int)(next() % 4);
        /* the case's decisions */
        const char *actions[4], *froms[4], *tos[4];
        int64_t times[4];
        int n = 0;
        int64_t t = first_ms;
        unsigned roll = (unsigned)(next() % 100);
        if (roll < 80) {
            t += (int64_t)(next() % (3 * DAY_MS));
            actions[n] = "classify", froms[n] = "received", tos[n] = "classified", times[n++] = t;
            if (next() % 100 < 60) {
                t += (int64_t)(next() % (5 * DAY_MS));
                actions[n] = "verify", froms[n] = "classified", tos[n] = "verified", times[n++] = t;
                unsigned end = (unsigned)(next() % 100);
                t += (int64_t)(next() % (10 * DAY_MS));
                if (end < 50)
                    actions[n] = "handle", froms[n] = "verified", tos[n] = "handled", times[n++] = t;
                else if (end < 80)
                    actions[n] = "transfer", froms[n] = "verified", tos[n] = "transferred", times[n++] = t;
            }
        } else if (roll < 95) {
            t += (int64_t)(next() % (2 * DAY_MS));
            actions[n] = "dismiss", froms[n] = "received", tos[n] = "dismissed", times[n++] = t;
        }
        const char *state = n ? tos[n - 1] : "received";
        sqlite3_reset(ins_case);
        sqlite3_bind_text(ins_case, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins_case, 2, platforms[next() % 5], -1, SQLITE_STATIC);
        sqlite3_bind_text(ins_case, 3, listing, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins_case, 4, state, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins_case, 5, kinds[kind], -1, SQLITE_STATIC);
        sqlite3_bind_text(ins_case, 6, groups[next() % 7], -1, SQLITE_STATIC);
        sqlite3_bind_text(ins_case, 7, severities[severity], -1, SQLITE_STATIC);
        sqlite3_bind_int(ins_case, 8, severity + 1);
        sqlite3_bind_text(ins_case, 9, provinces[next() % 13], -1, SQLITE_STATIC);
        sqlite3_bind_text(ins_case, 10, seller, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins_case, 11, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins_case, 12, title, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins_case, 13, url, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins_case, 14, first, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(ins_case, 15, first_ms);
        if (n)
            sqlite3_bind_int64(ins_case, 16, times[0]);
        else
            sqlite3_bind_null(ins_case, 16);
        if (sqlite3_step(ins_case) != SQLITE_DONE) {
            fprintf(stderr, "bench-report: %s\n", sqlite3_errmsg(db));
            return -1;
        }
        for (int k = 0; k < n; k++) {
            char details[128];
            snprintf(details, sizeof details, "{\"goods_group\":\"%s\",\"kind\":\"%s\"}", groups[next() % 7],
                     kinds[kind]);
            utc(times[k], at_text);
            sqlite3_reset(ins_decision);
            sqlite3_bind_int64(ins_decision, 1, (sqlite3_int64)++seq);
            sqlite3_bind_text(ins_decision, 2, id, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(ins_decision, 3, at_text, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(ins_decision, 4, actions[k], -1, SQLITE_STATIC);
            sqlite3_bind_text(ins_decision, 5, froms[k], -1, SQLITE_STATIC);
            sqlite3_bind_text(ins_decision, 6, tos[k], -1, SQLITE_STATIC);
            sqlite3_bind_text(ins_decision, 7, !strcmp(actions[k], "classify") ? details : "{}", -1, SQLITE_TRANSIENT);
            bool transfer = !strcmp(actions[k], "transfer");
            if (transfer) {
                sqlite3_bind_text(ins_decision, 8, "PC03", -1, SQLITE_STATIC);
                sqlite3_bind_text(ins_decision, 9, "15/CV-PC03", -1, SQLITE_STATIC);
            } else {
                sqlite3_bind_null(ins_decision, 8);
                sqlite3_bind_null(ins_decision, 9);
            }
            if (sqlite3_step(ins_decision) != SQLITE_DONE) {
                fprintf(stderr, "bench-report: %s\n", sqlite3_errmsg(db));
                return -1;
            }
        }
        if (i % 100000 == 99999) {
            sqlite3_exec(db, "COMMIT; BEGIN", NULL, NULL, NULL);
        }
    }
    char head[64];
    snprintf(head, sizeof head, "UPDATE chain_head SET count = %llu", (unsigned long long)seq);
    sqlite3_exec(db, head, NULL, NULL, NULL);
    sqlite3_finalize(ins_case);
    sqlite3_finalize(ins_decision);
    int rc = sqlite3_exec(db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE); ANALYZE", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
    sqlite3_close(db);
    return rc;
}

/* The reference: the day's cases per stage in one SQL query. */
static void reference(const char *path, const report_period *p, uint64_t out[REPORT_STAGE_COUNT])
{
    static const char *const actions[] = {"", "classify", "verify", "dismiss", "handle", "transfer"};
    sqlite3 *db;
    sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db,
                       "SELECT 'received', count(*) FROM cases WHERE first_seen_ms >= ?3 AND first_seen_ms < ?4"
                       " UNION ALL SELECT d.action, count(*) FROM decisions d WHERE d.at >= ?1 AND d.at < ?2"
                       " AND d.action IN ('classify', 'verify', 'dismiss', 'handle', 'transfer')"
                       " AND NOT EXISTS (SELECT 1 FROM decisions e WHERE e.case_id = d.case_id"
                       " AND e.action = d.action AND e.seq < d.seq) GROUP BY d.action",
                       -1, &st, NULL);
    char a[32], b[32];
    utc(p->start_ms, a);
    utc(p->end_ms, b);
    sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, b, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, p->start_ms);
    sqlite3_bind_int64(st, 4, p->end_ms);
    memset(out, 0, REPORT_STAGE_COUNT * sizeof *out);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        for (int s = 0; s < REPORT_STAGE_COUNT; s++)
            if (!strcmp(name, s ? actions[s] : "received"))
                out[s] = (uint64_t)sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

int main(int argc, char **argv)
{
    bool json = false, keep = false;
    size_t cases = 1000000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (!strcmp(argv[i], "--keep"))
            keep = true;
        else if (!strcmp(argv[i], "--cases") && i + 1 < argc)
            cases = (size_t)strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: bench-report [--json] [--cases N] [--keep]\n");
            return 2;
        }
    }
    char dir[] = "/tmp/bench-report-XXXXXX", path[128], out[160];
    if (!mkdtemp(dir))
        return 3;
    snprintf(path, sizeof path, "%s/register.sqlite", dir);
    normalizer *n;
    char error[512];
    if (normalizer_create(&n, error, sizeof error) != 0)
        return 3;
    case_register *r = register_open(path, n, error, sizeof error); /* the real schema */
    if (!r) {
        fprintf(stderr, "bench-report: %s\n", error);
        return 3;
    }
    register_close(r);
    double t0 = now();
    if (fill(path, cases) != 0)
        return 3;
    double fill_s = now() - t0;
    report_period p;
    report_period_make(REPORT_DAILY, "2026-05-20", NULL, 0, &p, error, sizeof error);
    double figures[RUNS], writing[RUNS], ref[RUNS];
    uint64_t expected[REPORT_STAGE_COUNT];
    bool same = true;
    for (int run = 0; run < RUNS; run++) {
        t0 = now();
        reference(path, &p, expected);
        ref[run] = now() - t0;
        t0 = now();
        report *rep = NULL;
        if (report_create(path, &p, NULL, &rep, error, sizeof error) != REPORT_OK) {
            fprintf(stderr, "bench-report: %s\n", error);
            return 3;
        }
        figures[run] = now() - t0;
        t0 = now();
        for (int f = 0; f < REPORT_FORMAT_COUNT; f++) {
            char name[128];
            report_file_name(&p, (report_format)f, name, sizeof name);
            snprintf(out, sizeof out, "%s/%s", dir, name);
            if (report_write(rep, (report_format)f, out, true, error, sizeof error) != REPORT_OK) {
                fprintf(stderr, "bench-report: %s\n", error);
                return 3;
            }
        }
        writing[run] = now() - t0;
        for (int s = 0; s < REPORT_STAGE_COUNT; s++)
            same &= report_figures_of(rep)->stage[s] == expected[s];
        report_destroy(rep);
    }
    qsort(figures, RUNS, sizeof *figures, cmp_double);
    qsort(writing, RUNS, sizeof *writing, cmp_double);
    qsort(ref, RUNS, sizeof *ref, cmp_double);
    double total = figures[RUNS / 2] + writing[RUNS / 2];
    if (json)
        printf("{\"cases\":%zu,\"fill_s\":%.1f,\"report_figures_s\":%.4f,\"report_write_s\":%.4f,\"report_total_s\":%.4f,"
               "\"reference_sql_s\":%.4f,\"ratio\":%.1f,\"received\":%llu,\"same_counts\":%s}\n",
               cases, fill_s, figures[RUNS / 2], writing[RUNS / 2], total, ref[RUNS / 2], total / ref[RUNS / 2],
               (unsigned long long)expected[0], same ? "true" : "false");
    else {
        printf("bench-report: a daily report (2026-05-20) over %zu cases (filled in %.1f s), median of %d\n", cases,
               fill_s, RUNS);
        printf("  %-52s %8.3f s\n", "report_create: every figure of the day", figures[RUNS / 2]);
        printf("  %-52s %8.3f s\n", "writing CSV + XLSX + PDF", writing[RUNS / 2]);
        printf("  %-52s %8.3f s   (target < 2 s)\n", "the daily report, total", total);
        printf("  %-52s %8.3f s   (reference)\n", "one SQL query: the day's cases per stage", ref[RUNS / 2]);
        printf("  %-52s %8.1fx\n", "report / reference", total / ref[RUNS / 2]);
        printf("  received %llu, classified %llu, verified %llu, dismissed %llu, handled %llu, transferred %llu: %s\n",
               (unsigned long long)expected[0], (unsigned long long)expected[1], (unsigned long long)expected[2],
               (unsigned long long)expected[3], (unsigned long long)expected[4], (unsigned long long)expected[5],
               same ? "the same in the report" : "DIFFERENT in the report");
    }
    /* the console's dashboard on a cache miss: the same figures over its windows and the campaign */
    static const struct {
        report_period_kind kind;
        const char *date, *what;
    } windows[] = {{REPORT_RANGE, "2026-05-02..2026-05-31", "dashboard, 30 days"},
                   {REPORT_RANGE, "2025-06-01..2026-05-31", "dashboard, 365 days"},
                   {REPORT_CAMPAIGN, "2026", "dashboard, the peak campaign and 2025's"}};
    for (size_t w = 0; w < sizeof windows / sizeof *windows; w++) {
        report_period wp;
        if (report_period_make(windows[w].kind, windows[w].date, NULL, 0, &wp, error, sizeof error) != REPORT_OK)
            return 3;
        double took[3], ref_took[3];
        bool agree = true;
        for (int run = 0; run < 3; run++) {
            t0 = now();
            reference(path, &wp, expected);
            ref_took[run] = now() - t0;
            t0 = now();
            report *rep = NULL;
            if (report_create(path, &wp, NULL, &rep, error, sizeof error) != REPORT_OK) {
                fprintf(stderr, "bench-report: %s\n", error);
                return 3;
            }
            took[run] = now() - t0;
            for (int s = 0; s < REPORT_STAGE_COUNT; s++)
                agree &= report_figures_of(rep)->stage[s] == expected[s];
            report_destroy(rep);
        }
        qsort(took, 3, sizeof *took, cmp_double);
        qsort(ref_took, 3, sizeof *ref_took, cmp_double);
        if (json)
            printf("{\"window\":\"%s\",\"report_figures_s\":%.4f,\"reference_sql_s\":%.4f,\"ratio\":%.1f,"
                   "\"same_counts\":%s}\n",
                   windows[w].date, took[1], ref_took[1], took[1] / ref_took[1], agree ? "true" : "false");
        else
            printf("  %-40s %-22s %7.3f s, reference %7.3f s (%5.1fx), %s\n", windows[w].what, windows[w].date, took[1],
                   ref_took[1], took[1] / ref_took[1], agree ? "same counts" : "DIFFERENT counts");
        same &= agree;
    }
    normalizer_destroy(n);
    char command[256];
    snprintf(command, sizeof command, "rm -rf %s", dir);
    if (keep)
        printf("  (kept %s)\n", dir);
    else if (system(command) != 0)
        return 3;
    return same && total < 2.0 ? 0 : 1;
}
