/* bench-cases: the case register (docs/cases.md) at campaign scale.
 *
 * 1. Intake: 1,000,000 distinct flag documents (realistic, about 1.1 KB,
 *    as the sink writes them, with seller locations in many spellings) go
 *    through register_intake in batches of 500 (what `lscan cases intake`
 *    commits per round) into a fresh register file: flags/s. The reference,
 *    measured in the same run on the same disk with the same schema, indexes
 *    and pragmas (WAL, synchronous=FULL, 500 rows per transaction): plain
 *    prepared INSERTs of the same rows (the case row and the sighting row,
 *    values precomputed, no JSON reading, no province lookup, no upsert).
 * 2. With the 1M cases in the register: claim the next case and decide it
 *    (dismiss), 2,000 times, one reviewer: p50/p99 of each; then listing the
 *    newest page of received cases, counting by state, and showing one case
 *    (what the console asks most), 200 times each: p50/p99.
 * 3. lscan cases verify over the chain (2,000 decisions, 1M case states).
 * 4. The register's size on disk, in bytes per case.
 * 5. Through Redis: 100,000 flags XADDed to a fresh redis-server's stream,
 *    then taken in by intake_step (XREADGROUP, commit, XACK): flags/s beside
 *    the register alone.
 * Documents are built before the clock starts. `--json` prints one object.
 * usage: bench-cases [--json] [--flags N] */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bench/flag_corpus.h"
#include "rules/base/bytebuf.h"
#include "scanner/cases/intake.h"
#include "scanner/cases/register.h"
#include "tests/harness.h"

#define BATCH 500
#define DECISIONS 2000
#define READS 200

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double percentile(double *v, size_t n, double p)
{
    qsort(v, n, sizeof *v, compare_double);
    size_t k = (size_t)(p * (double)(n - 1) + 0.5);
    return v[k < n ? k : n - 1];
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

/* The register alone: 1M flags in batches. */
static double intake_register(const flag_corpus *c, const char *path, const normalizer *n)
{
    char error[512];
    case_register *r = register_open(path, n, error, sizeof error);
    if (!r) {
        fprintf(stderr, "bench-cases: %s\n", error);
        exit(1);
    }
    intake_item *items = calloc(BATCH, sizeof *items);
    intake_stats stats = {0};
    double start = now();
    for (size_t i = 0; i < c->count; i += BATCH) {
        size_t k = 0;
        for (; k < BATCH && i + k < c->count; k++)
            items[k].flag = flag_corpus_doc(c, i + k, &items[k].flag_length);
        if (register_intake(r, items, k, 1778115600000LL, &stats, error, sizeof error) != REGISTER_OK) {
            fprintf(stderr, "bench-cases: intake: %s\n", error);
            exit(1);
        }
    }
    double seconds = now() - start;
    if (stats.cases_new != c->count || stats.bad) {
        fprintf(stderr, "bench-cases: %llu cases from %zu flags, %llu bad\n", (unsigned long long)stats.cases_new,
                c->count, (unsigned long long)stats.bad);
        exit(1);
    }
    free(items);
    register_close(r);
    return (double)c->count / seconds;
}

/* The reference: the same rows, plain INSERTs, same schema and pragmas. */
static double intake_reference(const flag_corpus *c, const char *path, const normalizer *n)
{
    char error[512];
    case_register *schema = register_open(path, n, error, sizeof error); /* creates the same tables and indexes */
    if (!schema) {
        fprintf(stderr, "bench-cases: %s\n", error);
        exit(1);
    }
    register_close(schema);
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -65536;"
                     " PRAGMA mmap_size = 1073741824", NULL, NULL, NULL);
    sqlite3_stmt *cases, *sightings;
    sqlite3_prepare_v2(db,
                       "INSERT INTO cases (case_id, platform, listing_id, kind, goods_group, severity, severity_rank,"
                       " province, location_raw, seller_id, seller_name, seller_official, title, url, price, currency,"
                       " campaign, first_seen, first_seen_ms, last_seen, sightings, flag_id, flag) VALUES (?, ?, ?,"
                       " 'trademark', 'consumer_goods', ?, 2, 'Hà Nội', ?, ?, ?, 0, ?, ?, ?, 'VND', 'peak',"
                       " '2026-05-07T01:00:00Z', 1778115600000, '2026-05-07T01:00:00Z', 1, ?, ?)",
                       -1, &cases, NULL);
    sqlite3_prepare_v2(db,
                       "INSERT INTO sightings (flag_id, scan_id, case_id, seen_at, rules, price, evidence, stream_id)"
                       " VALUES (?, 'peak-20260507T010000Z', ?, '2026-05-07T01:00:00Z', '[\"tm-nike\"]', ?,"
                       " '{\"http_status\":200}', NULL)",
                       -1, &sightings, NULL);
    double start = now();
    for (size_t i = 0; i < c->count; i++) {
        if (i % BATCH == 0)
            sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        const flag_row *r = &c->rows[i];
        size_t length;
        const char *json = flag_corpus_doc(c, i, &length);
        sqlite3_bind_text(cases, 1, r->case_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(cases, 2, r->platform, -1, SQLITE_STATIC);
        sqlite3_bind_text(cases, 3, r->listing_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(cases, 4, r->severity, -1, SQLITE_STATIC);
        sqlite3_bind_text(cases, 5, r->location, -1, SQLITE_STATIC);
        sqlite3_bind_text(cases, 6, r->seller_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(cases, 7, r->seller_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(cases, 8, r->title, -1, SQLITE_STATIC);
        sqlite3_bind_text(cases, 9, r->listing_id, -1, SQLITE_STATIC);
        sqlite3_bind_double(cases, 10, r->price);
        sqlite3_bind_text(cases, 11, r->flag_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(cases, 12, json, (int)length, SQLITE_STATIC);
        if (sqlite3_step(cases) != SQLITE_DONE) {
            fprintf(stderr, "bench-cases: reference insert: %s\n", sqlite3_errmsg(db));
            exit(1);
        }
        sqlite3_reset(cases);
        sqlite3_bind_text(sightings, 1, r->flag_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(sightings, 2, r->case_id, -1, SQLITE_STATIC);
        sqlite3_bind_double(sightings, 3, r->price);
        sqlite3_step(sightings);
        sqlite3_reset(sightings);
        if (i % BATCH == BATCH - 1 || i + 1 == c->count)
            sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    double seconds = now() - start;
    sqlite3_finalize(cases);
    sqlite3_finalize(sightings);
    sqlite3_close(db);
    return (double)c->count / seconds;
}

typedef struct latencies {
    double claim_p50, claim_p99, decide_p50, decide_p99, list_p50, list_p99, counts_p50, counts_p99, show_p50,
        show_p99, verify_s;
} latencies;

static void work(const char *path, const normalizer *n, latencies *out)
{
    char error[512];
    case_register *r = register_open(path, n, error, sizeof error);
    double *claim = malloc(DECISIONS * sizeof *claim), *decide = malloc(DECISIONS * sizeof *decide);
    char last[33] = "";
    int64_t t = 1778200000000LL;
    for (int i = 0; i < DECISIONS; i++) {
        char id[33];
        bool found;
        double a = now();
        if (register_claim(r, "bench", NULL, t, 600000, id, &found, error, sizeof error) != REGISTER_OK || !found) {
            fprintf(stderr, "bench-cases: claim: %s\n", error);
            exit(1);
        }
        double b = now();
        decision_input d = {.case_id = id, .actor = "bench", .action = ACTION_DISMISS, .reason = "rule_too_broad"};
        decision_output o;
        if (register_decide(r, &d, t, &o, error, sizeof error) != REGISTER_OK) {
            fprintf(stderr, "bench-cases: decide: %s\n", error);
            exit(1);
        }
        double e = now();
        claim[i] = (b - a) * 1e3;
        decide[i] = (e - b) * 1e3;
        snprintf(last, sizeof last, "%s", id);
        t += 1000;
    }
    out->claim_p50 = percentile(claim, DECISIONS, 0.5);
    out->claim_p99 = percentile(claim, DECISIONS, 0.99);
    out->decide_p50 = percentile(decide, DECISIONS, 0.5);
    out->decide_p99 = percentile(decide, DECISIONS, 0.99);
    double list[READS], counts[READS], show[READS];
    bytebuf json;
    bytebuf_init(&json, 0);
    case_filter received = {.state = "received", .limit = 50};
    for (int i = 0; i < READS; i++) {
        bytebuf_reset(&json);
        double a = now();
        register_list_json(r, &received, t, &json, error, sizeof error);
        double b = now();
        uint64_t by_state[CASE_STATE_COUNT], claimed;
        register_counts(r, NULL, t, by_state, &claimed, error, sizeof error);
        double c = now();
        bytebuf_reset(&json);
        register_case_json(r, last, &json, error, sizeof error);
        double e = now();
        list[i] = (b - a) * 1e3;
        counts[i] = (c - b) * 1e3;
        show[i] = (e - c) * 1e3;
    }
    bytebuf_free(&json);
    out->list_p50 = percentile(list, READS, 0.5);
    out->list_p99 = percentile(list, READS, 0.99);
    out->counts_p50 = percentile(counts, READS, 0.5);
    out->counts_p99 = percentile(counts, READS, 0.99);
    out->show_p50 = percentile(show, READS, 0.5);
    out->show_p99 = percentile(show, READS, 0.99);
    chain_report report;
    double a = now();
    register_verify(r, &report, error, sizeof error);
    out->verify_s = now() - a;
    if (!report.intact || report.count != DECISIONS) {
        fprintf(stderr, "bench-cases: verify: %s (%llu decisions)\n", report.why, (unsigned long long)report.count);
        exit(1);
    }
    free(claim);
    free(decide);
    register_close(r);
}

/* Through Redis: XADD the first `count` flags, then intake_step until done. */
static double intake_redis(const flag_corpus *c, size_t count, const char *path, const normalizer *n)
{
    harness_process redis;
    if (harness_redis_start(&redis) < 0) {
        fprintf(stderr, "bench-cases: cannot start redis-server\n");
        exit(1);
    }
    redisContext *rc = harness_redis_connect(&redis);
    for (size_t i = 0; i < count; i++) {
        size_t length;
        const char *json = flag_corpus_doc(c, i, &length);
        const char *argv[] = {"XADD", "lscan:flags", "*", "flag_id", c->rows[i].flag_id, "flag", json};
        size_t lengths[] = {4, 11, 1, 7, 16, 4, length};
        redisAppendCommandArgv(rc, 7, argv, lengths);
        if (i % 1000 == 999 || i + 1 == count)
            for (size_t k = 0; k <= i % 1000; k++) {
                redisReply *reply;
                if (redisGetReply(rc, (void **)&reply) == REDIS_OK)
                    freeReplyObject(reply);
            }
    }
    redisFree(rc);
    char error[512], url[64];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", redis.port);
    case_register *r = register_open(path, n, error, sizeof error);
    intake_options o = {.redis_url = url, .batch = BATCH, .retention_ms = -1};
    intake *in = intake_create(&o, r, error, sizeof error);
    if (!in) {
        fprintf(stderr, "bench-cases: %s\n", error);
        exit(1);
    }
    intake_stats stats = {0};
    double start = now();
    long taken;
    while ((taken = intake_step(in, 0, 1778115600000LL, &stats, error, sizeof error)) > 0)
        ;
    double seconds = now() - start;
    if (taken < 0 || stats.cases_new != count) {
        fprintf(stderr, "bench-cases: intake through Redis: %s (%llu cases)\n", taken < 0 ? error : "short",
                (unsigned long long)stats.cases_new);
        exit(1);
    }
    intake_destroy(in);
    register_close(r);
    harness_stop(&redis);
    return (double)count / seconds;
}

int main(int argc, char **argv)
{
    bool json = false;
    size_t flags = 1000000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (!strcmp(argv[i], "--flags") && i + 1 < argc)
            flags = strtoul(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: bench-cases [--json] [--flags N]\n");
            return 2;
        }
    }
    if (flags < DECISIONS + 1000) {
        fprintf(stderr, "bench-cases: --flags must be at least %d\n", DECISIONS + 1000);
        return 2;
    }
    flag_corpus c;
    if (flag_corpus_build(&c, flags) < 0) {
        fprintf(stderr, "bench-cases: out of memory\n");
        return 1;
    }
    char dir[] = "/tmp/bench-cases-XXXXXX";
    const char *tmp = getenv("TMPDIR");
    char template[512];
    snprintf(template, sizeof template, "%s/bench-cases-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    char *made = mkdtemp(tmp && *tmp ? template : dir);
    if (!made) {
        perror("bench-cases: mkdtemp");
        return 1;
    }
    normalizer *n;
    char error[256];
    if (normalizer_create(&n, error, sizeof error) < 0) {
        fprintf(stderr, "bench-cases: %s\n", error);
        return 1;
    }
    char reg[600], ref[600], via_redis[600];
    snprintf(reg, sizeof reg, "%s/register.sqlite", made);
    snprintf(ref, sizeof ref, "%s/reference.sqlite", made);
    snprintf(via_redis, sizeof via_redis, "%s/redis.sqlite", made);
    double reference = intake_reference(&c, ref, n);
    double registered = intake_register(&c, reg, n);
    long long bytes = file_size(reg) + file_size(ref) * 0; /* the register's own file (WAL folded in on close) */
    long long reference_bytes = file_size(ref);
    latencies l;
    work(reg, n, &l);
    size_t redis_count = flags < 100000 ? flags : 100000;
    double through_redis = intake_redis(&c, redis_count, via_redis, n);
    size_t document_bytes = c.starts[c.count] / c.count;
    if (json) {
        printf("{\"flags\":%zu,\"flag_bytes_avg\":%zu,\"reference_plain_inserts_per_s\":%.0f,"
               "\"intake_flags_per_s\":%.0f,\"intake_ratio\":%.3f,\"intake_via_redis_flags_per_s\":%.0f,"
               "\"claim_p50_ms\":%.3f,\"claim_p99_ms\":%.3f,\"decide_p50_ms\":%.3f,\"decide_p99_ms\":%.3f,"
               "\"list_p50_ms\":%.3f,\"list_p99_ms\":%.3f,\"counts_p50_ms\":%.3f,\"counts_p99_ms\":%.3f,"
               "\"show_p50_ms\":%.3f,\"show_p99_ms\":%.3f,\"verify_s\":%.2f,\"register_bytes\":%lld,"
               "\"bytes_per_case\":%.0f,\"reference_bytes\":%lld}\n",
               flags, document_bytes, reference, registered, registered / reference, through_redis, l.claim_p50,
               l.claim_p99, l.decide_p50, l.decide_p99, l.list_p50, l.list_p99, l.counts_p50, l.counts_p99,
               l.show_p50, l.show_p99, l.verify_s, bytes, (double)bytes / (double)flags, reference_bytes);
    } else {
        printf("Case register, %zu distinct flags of %zu bytes on average, WAL + synchronous=FULL, 500 per commit:\n",
               flags, document_bytes);
        printf("  %-58s %10.0f rows/s  (reference)\n", "plain INSERTs of the same case + sighting rows", reference);
        printf("  %-58s %10.0f flags/s  %.2fx reference\n", "register_intake (read flag, province, upsert, sighting)",
               registered, registered / reference);
        printf("  %-58s %10.0f flags/s  (%zu flags, XREADGROUP + commit + XACK)\n", "lscan cases intake through Redis",
               through_redis, redis_count);
        printf("With %zu cases in the register (%d claims and decisions, %d reads each):\n", flags, DECISIONS, READS);
        printf("  %-40s p50 %7.3f ms   p99 %7.3f ms\n", "claim the next case", l.claim_p50, l.claim_p99);
        printf("  %-40s p50 %7.3f ms   p99 %7.3f ms\n", "decide (dismiss, fsynced)", l.decide_p50, l.decide_p99);
        printf("  %-40s p50 %7.3f ms   p99 %7.3f ms\n", "list 50 received, newest first", l.list_p50, l.list_p99);
        printf("  %-40s p50 %7.3f ms   p99 %7.3f ms\n", "count by state and claims", l.counts_p50, l.counts_p99);
        printf("  %-40s p50 %7.3f ms   p99 %7.3f ms\n", "show one case (sightings, history)", l.show_p50, l.show_p99);
        printf("  %-40s %.2f s\n", "verify the chain and every case state", l.verify_s);
        printf("  register on disk: %.1f MB (%.0f bytes per case; the reference's rows: %.1f MB)\n", (double)bytes / 1e6,
               (double)bytes / (double)flags, (double)reference_bytes / 1e6);
    }
    normalizer_destroy(n);
    flag_corpus_free(&c);
    unlink(reg);
    unlink(ref);
    unlink(via_redis);
    rmdir(made);
    return 0;
}
