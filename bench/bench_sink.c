/* bench-sink: how fast flags reach the Redis review stream.
 *
 * Starts a fresh redis-server (tests/harness.c) and pushes 200,000 distinct,
 * realistic flag JSON documents of about 1.5 KB (contracts/records.md, "Flag")
 * through the sink with the default batch (100 flags per script call, 4
 * batches pipelined), then 20,000 with batch 1 (one round trip per flag) to
 * show what batching buys. The reference, measured in the same run on the same
 * server, is what the server itself allows for this data: the same documents
 * XADDed directly to a stream (pipelined 100 deep, no script, no dedup), so
 * the ratio compares like with like (redis-benchmark's SET overwriting one
 * key, the former reference, did not). Reports flags/s and the ratio
 * sink / plain XADD; checks that XLEN equals the flags pushed.
 * The documents are built before the clock starts. Best of 3 for the batched
 * run. `--json` prints one JSON object. Runs in about 10 s.
 * usage: bench-sink [--json] [--flags N] */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rules/base/bytebuf.h"
#include "tests/harness.h"
#include "scanner/output/sink.h"

#define TARGET_FLAGS_PER_S 100000.0

typedef struct documents {
    char *data;
    size_t *starts;   /* count + 1 */
    char (*ids)[17];
    size_t count;
} documents;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const TITLES[] = {
    "Giày N.i.k.e Air Force 1 rep 1:1 hàng chuẩn full box, bảo hành keo 12 tháng",
    "Túi xách LV Neverfull siêu cấp like auth, da thật, tặng kèm hóa đơn",
    "Nước mắm Phú Quốc 40 độ đạm, chai 500ml, đóng chai tại Hải Dương",
    "Gạo ST25 giống chuẩn Sóc Trăng, bán lúa giống ST25 cho bà con gieo cấy",
    "Key Windows 11 Pro bản quyền vĩnh viễn giá rẻ, kích hoạt online",
    "Tài khoản Netflix Premium 4K dùng chung 1 tháng, bảo hành trọn gói",
};

static int build_documents(documents *d, size_t count)
{
    memset(d, 0, sizeof *d);
    d->count = count;
    d->starts = malloc((count + 1) * sizeof *d->starts);
    d->ids = malloc(count * sizeof *d->ids);
    bytebuf all;
    bytebuf_init(&all, 0);
    if (!d->starts || !d->ids)
        return -1;
    for (size_t i = 0; i < count; i++) {
        unsigned long long h = 0x9e3779b97f4a7c15ull * (i + 1);
        h ^= h >> 29;
        snprintf(d->ids[i], sizeof d->ids[i], "%016llx", h);
        const char *title = TITLES[i % (sizeof TITLES / sizeof TITLES[0])];
        d->starts[i] = all.length;
        bytebuf_printf(&all, "{\"flag_id\":\"%s\",\"listing\":{\"platform\":\"shopee\",\"listing_id\":\"%zu\","
                             "\"url\":\"https://shopee.vn/product/%zu/%zu\",\"title\":",
                       d->ids[i], 20000000 + i, 100000 + i % 977, 20000000 + i);
        bytebuf_append_json_string(&all, title, strlen(title));
        bytebuf_printf(&all,
                       ",\"description\":\"Hàng về số lượng lớn, inbox shop để được giá sỉ. Cam kết giống hình 100%%, "
                       "đổi trả trong 7 ngày nếu lỗi do nhà sản xuất. Ship COD toàn quốc, freeship đơn từ 300k.\","
                       "\"price\":%zu,\"currency\":\"VND\",\"seller\":{\"id\":\"s%zu\",\"name\":\"Shop Hàng Hiệu "
                       "Giá Tốt %zu\",\"location\":\"Quận Tân Bình, TP. Hồ Chí Minh\",\"official\":false},"
                       "\"images\":[\"https://cf.shopee.vn/file/"
                       "%016llx\"],\"is_livestream\":false,"
                       "\"fetched_at\":\"2025-03-14T08:%02zu:%02zuZ\"},",
                       150000 + (i % 50) * 1000, i % 5003, i % 5003, h, (i / 60) % 60, i % 60);
        bytebuf_printf(&all,
                       "\"rules\":[{\"id\":\"vn.tm.nike\",\"kind\":\"trademark\",\"name\":\"Nike\",\"severity\":"
                       "\"high\",\"score\":0.9},{\"id\":\"vn.slang.replica\",\"kind\":\"counterfeit_slang\",\"name\":"
                       "\"Hàng nhái, hàng rep\",\"severity\":\"medium\",\"score\":0.7}],"
                       "\"hits\":[{\"rule\":\"vn.tm.nike\",\"field\":\"title\",\"term\":\"nike\",\"start\":6,"
                       "\"end\":15}],"
                       "\"signals\":[{\"type\":\"list\",\"list\":\"counterfeit_slang\",\"term\":\"rep 1:1\"},"
                       "{\"type\":\"price_below\",\"ratio\":0.%02zu},{\"type\":\"unauthorized_seller\"}],"
                       "\"explain\":\"Tin đăng dùng nhãn hiệu Nike kèm cụm từ \\\"rep 1:1\\\" với giá thấp bất "
                       "thường so với giá chính hãng.\","
                       "\"severity\":\"high\",\"pack\":\"vn-core 2025.03\",\"scan_id\":\"scan-2025-03-14-0800\","
                       "\"evidence\":{\"url\":\"https://shopee.vn/product/%zu/%zu\",\"fetched_at\":"
                       "\"2025-03-14T08:00:00Z\",\"http_status\":200,\"sha256\":\"%016llx%016llx%016llx%016llx\"}}",
                       10 + i % 80, 100000 + i % 977, 20000000 + i, h, h * 3, h * 5, h * 7);
    }
    d->starts[count] = all.length;
    if (all.overflow)
        return -1;
    d->data = bytebuf_detach(&all, NULL);
    return d->data ? 0 : -1;
}

static void free_documents(documents *d)
{
    free(d->data);
    free(d->starts);
    free(d->ids);
}

static int flushall(const harness_process *redis)
{
    redisContext *c = harness_redis_connect(redis);
    redisReply *r = c ? redisCommand(c, "FLUSHALL") : NULL;
    int ok = r && r->type == REDIS_REPLY_STATUS;
    if (r)
        freeReplyObject(r);
    if (c)
        redisFree(c);
    return ok ? 0 : -1;
}

static long long xlen(const harness_process *redis, const char *key)
{
    redisContext *c = harness_redis_connect(redis);
    redisReply *r = c ? redisCommand(c, "XLEN %s", key) : NULL;
    long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (r)
        freeReplyObject(r);
    if (c)
        redisFree(c);
    return n;
}

/* Pushes documents [0, count) with the given batch into a flushed Redis;
 * flags/s, or -1. */
static double run_sink(const harness_process *redis, const documents *d, size_t count, size_t batch)
{
    if (flushall(redis) < 0)
        return -1;
    char url[64], error[512];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", redis->port);
    sink_options o = {.url = url, .batch = batch};
    redis_sink *s = NULL;
    if (sink_create(&o, &s, error, sizeof error) < 0) {
        fprintf(stderr, "bench-sink: %s\n", error);
        return -1;
    }
    double start = now();
    for (size_t i = 0; i < count; i++) {
        if (sink_push(s, d->ids[i], d->data + d->starts[i], d->starts[i + 1] - d->starts[i]) < 0) {
            fprintf(stderr, "bench-sink: push: %s\n", sink_error(s));
            sink_destroy(s);
            return -1;
        }
    }
    int rc = sink_flush(s);
    double elapsed = now() - start;
    sink_stats st;
    sink_get_stats(s, &st);
    if (rc < 0 || st.failures)
        fprintf(stderr, "bench-sink: flush: %s\n", sink_error(s));
    sink_destroy(s);
    if (rc < 0 || st.failures || st.added != count)
        return -1;
    long long n = xlen(redis, "lscan:flags");
    if (n != (long long)count) {
        fprintf(stderr, "bench-sink: stream holds %lld flags, pushed %zu\n", n, count);
        return -1;
    }
    return (double)count / elapsed;
}

/* The floor for any stream-based sink on this server: the same documents
 * XADDed directly, 100 per pipeline, no script and no dedup; flags/s or -1. */
static double run_plain_xadd(const harness_process *redis, const documents *d, size_t count)
{
    if (flushall(redis) < 0)
        return -1;
    redisContext *c = harness_redis_connect(redis);
    if (!c)
        return -1;
    double start = now();
    int ok = 1;
    for (size_t i = 0; i < count && ok; i += 100) {
        size_t n = count - i < 100 ? count - i : 100;
        for (size_t j = i; j < i + n; j++) {
            const char *argv[] = {"XADD", "plain:flags", "*", "flag_id", d->ids[j], "flag", d->data + d->starts[j]};
            size_t argvlen[] = {4, 11, 1, 7, 16, 4, d->starts[j + 1] - d->starts[j]};
            ok &= redisAppendCommandArgv(c, 7, argv, argvlen) == REDIS_OK;
        }
        for (size_t j = 0; j < n && ok; j++) {
            redisReply *r = NULL;
            ok &= redisGetReply(c, (void **)&r) == REDIS_OK && r && r->type == REDIS_REPLY_STRING;
            if (r)
                freeReplyObject(r);
        }
    }
    double elapsed = now() - start;
    redisFree(c);
    return ok ? (double)count / elapsed : -1;
}

int main(int argc, char **argv)
{
    bool json = false;
    size_t flags = 200000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strcmp(argv[i], "--flags") && i + 1 < argc) {
            flags = strtoull(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: bench-sink [--json] [--flags N]\n");
            return 2;
        }
    }
    if (flags < 1000)
        flags = 1000;
    size_t unbatched = flags / 10;

    documents d;
    if (build_documents(&d, flags) < 0) {
        fprintf(stderr, "bench-sink: out of memory\n");
        free_documents(&d);
        return 1;
    }
    double average = (double)d.starts[flags] / (double)flags;

    harness_process redis;
    if (harness_redis_start(&redis) < 0) {
        fprintf(stderr, "bench-sink: cannot start redis-server\n");
        free_documents(&d);
        return 1;
    }
    double plain = run_plain_xadd(&redis, &d, flags);
    double batched = -1;
    for (int round = 0; round < 3; round++) {
        double r = run_sink(&redis, &d, flags, 100);
        if (r < 0) {
            batched = -1;
            break;
        }
        if (r > batched)
            batched = r;
    }
    double single = batched > 0 ? run_sink(&redis, &d, unbatched, 1) : -1;
    harness_stop(&redis);
    free_documents(&d);
    if (plain <= 0 || batched <= 0 || single <= 0)
        return 1;

    bool met = batched >= TARGET_FLAGS_PER_S;
    if (json) {
        printf("{\"flags\":%zu,\"flag_bytes_avg\":%.0f,\"sink_batch100_flags_per_s\":%.0f,"
               "\"sink_batch100_mb_per_s\":%.1f,\"sink_batch1_flags\":%zu,\"sink_batch1_flags_per_s\":%.0f,"
               "\"plain_xadd_p100_flags_per_s\":%.0f,\"ratio_sink_vs_plain_xadd\":%.3f,"
               "\"ratio_batch100_vs_batch1\":%.1f,\"target_flags_per_s\":%.0f,\"target_met\":%s}\n",
               flags, average, batched, batched * average / 1e6, unbatched, single, plain, batched / plain, batched / single, TARGET_FLAGS_PER_S, met ? "true" : "false");
    } else {
        printf("Redis sink, %zu distinct flags of %.0f bytes on average, fresh redis-server on loopback:\n", flags,
               average);
        printf("  %-58s %10.0f flags/s  (reference)\n", "plain XADD of the same documents, 100 per pipeline", plain);
        printf("  %-58s %10.0f flags/s  %.2fx reference, %.1f MB/s\n", "sink, batch 100, 4 batches pipelined (best of 3)",
               batched, batched / plain, batched * average / 1e6);
        printf("  %-58s %10.0f flags/s  %.2fx reference (%zu flags)\n", "sink, batch 1 (one round trip per flag)",
               single, single / plain, unbatched);
        printf("  batching: %.1fx faster; target >= %.0f flags/s: %s\n", batched / single, TARGET_FLAGS_PER_S,
               met ? "met" : "NOT met");
    }
    return 0;
}
