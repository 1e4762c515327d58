/* The Redis sink against a real redis-server (tests/harness.c): URL parsing,
 * exactly-once delivery across a second scan, a killed connection and a
 * restarted server, the consumer group, the key prefix, the backlog bound and
 * an unreachable server. */
#include <cJSON.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tests/harness.h"
#include "scanner/output/sink.h"
#include "workers/redis.h"
#include "tests/sink_testing.h"

static harness_process redis;      /* the harness Redis of each test */
static harness_process restarted;  /* a Redis this file starts on the same port */

static void start_redis(void)
{
    memset(&restarted, 0, sizeof restarted);
    restarted.output_fd = -1;
    cr_assert_eq(harness_redis_start(&redis), 0, "redis-server did not start");
}

static void stop_all(void)
{
    harness_stop(&redis);
    harness_stop(&restarted);
}

TestSuite(sink, .init = start_redis, .fini = stop_all, .timeout = 120);

/* ---- helpers ---- */

static long long monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static redis_sink *open_sink(int port, const char *prefix, size_t batch, unsigned max_retries)
{
    char url[64];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", port);
    sink_options o = {.url = url, .prefix = prefix, .batch = batch, .max_retries = max_retries};
    char error[512];
    redis_sink *s = NULL;
    cr_assert_eq(sink_create(&o, &s, error, sizeof error), 0, "sink_create: %s", error);
    cr_assert_not_null(s);
    return s;
}

static long long xlen(redisContext *c, const char *key)
{
    const char *argv[] = {"XLEN", key};
    return integer_of(c, 2, argv);
}

static long long scard(redisContext *c, const char *key)
{
    const char *argv[] = {"SCARD", key};
    return integer_of(c, 2, argv);
}


static void copy_file(const char *from, const char *to)
{
    size_t length = 0;
    char *data = harness_read_file(from, &length);
    cr_assert_not_null(data, "cannot read %s", from);
    FILE *f = fopen(to, "wb");
    cr_assert_not_null(f, "cannot write %s", to);
    cr_assert_eq(fwrite(data, 1, length, f), length);
    cr_assert_eq(fclose(f), 0);
    free(data);
}

/* ---- tests ---- */

typedef struct url_case {
    const char *url;
    int ok;
    const char *host;
    int port, db;
    const char *message; /* part of the error for a bad URL */
} url_case;

Test(sink, url_parsing_table)
{
    static const url_case cases[] = {
        {"redis://127.0.0.1:6379", 1, "127.0.0.1", 6379, 0, NULL},
        {"redis://localhost", 1, "localhost", 6379, 0, NULL},
        {"redis://redis.internal:7000/3", 1, "redis.internal", 7000, 3, NULL},
        {"REDIS://h:1/", 1, "h", 1, 0, NULL},
        {"redis://[::1]:6380/2", 1, "::1", 6380, 2, NULL},
        {"redis://[::1]", 1, "::1", 6379, 0, NULL},
        {"redis://h/15", 1, "h", 6379, 15, NULL},
        {"http://h:6379", 0, NULL, 0, 0, "redis://"},
        {"rediss://h:6379", 0, NULL, 0, 0, "TLS"},
        {"unix:///tmp/redis.sock", 0, NULL, 0, 0, "redis://"},
        {"redis://", 0, NULL, 0, 0, "empty host"},
        {"redis://:6379", 0, NULL, 0, 0, "empty host"},
        {"redis://h:0", 0, NULL, 0, 0, "port"},
        {"redis://h:65536", 0, NULL, 0, 0, "port"},
        {"redis://h:-1", 0, NULL, 0, 0, "port"},
        {"redis://h:", 0, NULL, 0, 0, "port"},
        {"redis://h:63x79", 0, NULL, 0, 0, "port"},
        {"redis://h:1:2", 0, NULL, 0, 0, "port"},
        {"redis://user:secret@h:6379", 0, NULL, 0, 0, "credentials"},
        {"redis://h:6379/x", 0, NULL, 0, 0, "database"},
        {"redis://h:6379/1/2", 0, NULL, 0, 0, "database"},
        {"redis://h:6379/99999999999", 0, NULL, 0, 0, "database"},
        {"redis://h:6379/0?timeout=1", 0, NULL, 0, 0, "query"},
        {"redis://[::1:6379", 0, NULL, 0, 0, "'['"},
        {"redis://[::1]x", 0, NULL, 0, 0, "after ']'"},
        {"redis://h h:1", 0, NULL, 0, 0, "invalid character"},
        {"redis://a-very-long-host-name-that-does-not-fit.example", 0, NULL, 0, 0, "too long"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const url_case *t = &cases[i];
        char host[32] = "unchanged", error[256] = "";
        int port = -7, db = -7;
        int rc = redis_parse_url(t->url, host, sizeof host, &port, &db, error, sizeof error);
        if (t->ok) {
            cr_expect_eq(rc, 0, "%s: rejected: %s", t->url, error);
            cr_expect_str_eq(host, t->host, "%s: host", t->url);
            cr_expect_eq(port, t->port, "%s: port %d", t->url, port);
            cr_expect_eq(db, t->db, "%s: db %d", t->url, db);
        } else {
            cr_expect_eq(rc, -1, "%s: accepted", t->url);
            cr_expect(strstr(error, t->message) != NULL, "%s: message '%s' lacks '%s'", t->url, error, t->message);
            cr_expect_eq(port, -7, "%s: port written on error", t->url);
        }
    }
    char error[64] = "";
    cr_expect_eq(redis_parse_url(NULL, (char[8]){0}, 8, &(int){0}, &(int){0}, error, sizeof error), -1);
    cr_expect_neq(error[0], '\0');
}

Test(sink, thousand_flags_arrive_once_and_a_second_scan_adds_none)
{
    redis_sink *s = open_sink(redis.port, NULL, 0, 0);
    push_range(s, 0, 1000);
    cr_assert_eq(sink_flush(s), 0, "flush: %s", sink_error(s));
    cr_assert_eq(sink_pending(s), 0);
    sink_stats st;
    sink_get_stats(s, &st);
    cr_expect_eq(st.pushed, 1000);
    cr_expect_eq(st.added, 1000);
    cr_expect_eq(st.duplicates, 0);
    cr_expect_eq(st.flushes, 10, "100 flags per script call: %llu calls", (unsigned long long)st.flushes);
    cr_expect_eq(st.failures, 0);
    sink_destroy(s);

    redisContext *c = harness_redis_connect(&redis);
    cr_assert_not_null(c);
    cr_assert_eq(xlen(c, "lscan:flags"), 1000);
    cr_assert_eq(scard(c, "lscan:seen"), 1000);
    check_stream_exactly(c, "lscan:flags", 1000);

    /* A second scan finds the same flags: nothing new reaches reviewers. */
    redis_sink *again = open_sink(redis.port, NULL, 0, 0);
    push_range(again, 0, 1000);
    cr_assert_eq(sink_flush(again), 0, "flush: %s", sink_error(again));
    sink_get_stats(again, &st);
    cr_expect_eq(st.pushed, 1000);
    cr_expect_eq(st.added, 0);
    cr_expect_eq(st.duplicates, 1000);
    cr_assert_eq(xlen(c, "lscan:flags"), 1000);
    cr_assert_eq(scard(c, "lscan:seen"), 1000);
    sink_destroy(again);
    redisFree(c);
}

Test(sink, review_group_exists_and_reviewers_read_and_ack)
{
    redis_sink *s = open_sink(redis.port, NULL, 0, 0);
    redisContext *c = harness_redis_connect(&redis);
    cr_assert_not_null(c);
    /* The group is there before the first flag. */
    const char *info[] = {"XINFO", "GROUPS", "lscan:flags"};
    redisReply *r = run(c, 3, info);
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    cr_assert_eq(r->elements, 1, "expected one group, got %zu", r->elements);
    cr_assert_str_eq(field(r->element[0], "name"), "review");
    freeReplyObject(r);

    push_range(s, 0, 25);
    cr_assert_eq(sink_flush(s), 0, "flush: %s", sink_error(s));
    /* As docs/redis.md tells reviewers. */
    const char *read[] = {"XREADGROUP", "GROUP", "review", "alice", "COUNT", "10", "STREAMS", "lscan:flags", ">"};
    r = run(c, 9, read);
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    cr_assert_eq(r->elements, 1);
    redisReply *entries = r->element[0]->element[1];
    cr_assert_eq(entries->elements, 10);
    const char *ack[] = {"XACK", "lscan:flags", "review", entries->element[0]->element[0]->str};
    cr_assert_eq(integer_of(c, 4, ack), 1);
    freeReplyObject(r);
    /* A second sink on the same stream keeps the group (BUSYGROUP is fine). */
    redis_sink *second = open_sink(redis.port, NULL, 0, 0);
    r = run(c, 3, info);
    cr_assert_eq(r->elements, 1);
    freeReplyObject(r);
    sink_destroy(second);
    sink_destroy(s);
    redisFree(c);
}

Test(sink, custom_prefix_writes_only_its_own_keys)
{
    redis_sink *s = open_sink(redis.port, "t1:", 7, 0);
    push_range(s, 0, 50);
    cr_assert_eq(sink_flush(s), 0, "flush: %s", sink_error(s));
    sink_destroy(s);
    redisContext *c = harness_redis_connect(&redis);
    cr_assert_not_null(c);
    const char *keys[] = {"KEYS", "*"};
    redisReply *r = run(c, 2, keys);
    cr_assert_eq(r->elements, 2, "expected t1:flags and t1:seen, got %zu keys", r->elements);
    for (size_t i = 0; i < r->elements; i++)
        cr_expect(!strcmp(r->element[i]->str, "t1:flags") || !strcmp(r->element[i]->str, "t1:seen"),
                  "unexpected key %s", r->element[i]->str);
    freeReplyObject(r);
    cr_assert_eq(xlen(c, "t1:flags"), 50);
    cr_assert_eq(scard(c, "t1:seen"), 50);
    check_stream_exactly(c, "t1:flags", 50);
    redisFree(c);
}

Test(sink, database_from_the_url_is_selected)
{
    char url[64], error[256];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d/3", redis.port);
    sink_options o = {.url = url};
    redis_sink *s = NULL;
    cr_assert_eq(sink_create(&o, &s, error, sizeof error), 0, "%s", error);
    push_range(s, 0, 5);
    cr_assert_eq(sink_flush(s), 0, "flush: %s", sink_error(s));
    sink_destroy(s);
    redisContext *c = harness_redis_connect(&redis);
    cr_assert_not_null(c);
    cr_assert_eq(xlen(c, "lscan:flags"), 0, "db 0 must stay empty");
    const char *select[] = {"SELECT", "3"};
    freeReplyObject(run(c, 2, select));
    cr_assert_eq(xlen(c, "lscan:flags"), 5);
    redisFree(c);
}

Test(sink, killed_connection_reconnects_and_delivers_exactly_once)
{
    redis_sink *s = open_sink(redis.port, NULL, 0, 0);
    push_range(s, 0, 500);
    cr_assert_eq(sink_flush(s), 0, "flush: %s", sink_error(s));
    redisContext *c = harness_redis_connect(&redis);
    cr_assert_not_null(c);
    const char *kill[] = {"CLIENT", "KILL", "TYPE", "normal"}; /* SKIPME yes: every client but this one */
    cr_assert_geq(integer_of(c, 4, kill), 1, "the sink's connection was not killed");
    push_range(s, 500, 1000);
    cr_assert_eq(sink_flush(s), 0, "flush: %s", sink_error(s));
    cr_assert_eq(sink_pending(s), 0);
    sink_stats st;
    sink_get_stats(s, &st);
    cr_expect_geq(st.reconnects, 1, "no reconnect counted");
    cr_expect_eq(st.added, 1000);
    cr_expect_eq(st.duplicates, 0);
    cr_expect_eq(st.failures, 0);
    cr_assert_eq(xlen(c, "lscan:flags"), 1000);
    cr_assert_eq(scard(c, "lscan:seen"), 1000);
    check_stream_exactly(c, "lscan:flags", 1000);
    sink_destroy(s);
    redisFree(c);
}

/* A pipeline of megabytes written into a connection Redis closed: write(2)
 * fails with EPIPE; the sink must not let SIGPIPE kill the process. */
Test(sink, large_pipeline_into_a_killed_connection_raises_no_sigpipe)
{
    redis_sink *s = open_sink(redis.port, NULL, 500, 0);
    redisContext *c = harness_redis_connect(&redis);
    cr_assert_not_null(c);
    const char *kill[] = {"CLIENT", "KILL", "TYPE", "normal"};
    cr_assert_geq(integer_of(c, 4, kill), 1);
    static char padding[2048];
    memset(padding, 'x', sizeof padding - 1);
    for (unsigned i = 0; i < 2000; i++) {
        char id[17], json[2200];
        flag_id_of(i, id);
        int n = snprintf(json, sizeof json, "{\"flag_id\":\"%s\",\"pad\":\"%s\"}", id, padding);
        cr_assert_eq(sink_push(s, id, json, (size_t)n), 0, "push %u: %s", i, sink_error(s));
    }
    cr_assert_eq(sink_flush(s), 0, "flush: %s", sink_error(s));
    sink_stats st;
    sink_get_stats(s, &st);
    cr_expect_geq(st.reconnects, 1);
    cr_expect_eq(st.added, 2000);
    cr_assert_eq(xlen(c, "lscan:flags"), 2000);
    sink_destroy(s);
    redisFree(c);
}

Test(sink, redis_restart_keeps_flags_buffered_then_delivers_exactly_once)
{
    int port = redis.port;
    redis_sink *s = open_sink(port, NULL, 0, 2);
    push_range(s, 0, 500);
    cr_assert_eq(sink_flush(s), 0, "flush: %s", sink_error(s));

    /* Save the data, stop Redis. */
    redisContext *c = harness_redis_connect(&redis);
    cr_assert_not_null(c);
    const char *save[] = {"SAVE"};
    freeReplyObject(run(c, 1, save));
    redisFree(c);
    const char *tmp = getenv("TMPDIR");
    char dir[512], from[600], to[600];
    snprintf(dir, sizeof dir, "%s/lscan-redis-restart-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    cr_assert_not_null(mkdtemp(dir));
    restarted.pid = 0;
    snprintf(restarted.dir, sizeof restarted.dir, "%s", dir); /* removed by .fini even if we fail below */
    restarted.output_fd = -1;
    snprintf(from, sizeof from, "%s/dump.rdb", redis.dir);
    snprintf(to, sizeof to, "%s/dump.rdb", dir);
    copy_file(from, to);
    harness_stop(&redis);

    /* While Redis is down: pushes are accepted and stay buffered; a flush gives up after max_retries. */
    push_range(s, 500, 900);
    push_range(s, 0, 100); /* 100 repeats of flags already in Redis */
    cr_assert_eq(sink_pending(s), 500);
    cr_assert_eq(sink_flush(s), -1);
    char address[64];
    snprintf(address, sizeof address, "127.0.0.1:%d", port);
    cr_expect(strstr(sink_error(s), address) != NULL, "message names the server: %s", sink_error(s));
    cr_expect(strstr(sink_error(s), "gave up after 2 reconnect attempts") != NULL, "message: %s", sink_error(s));
    cr_assert_eq(sink_pending(s), 500, "nothing may be dropped");

    /* Redis is back on the same port with its data. */
    cr_assert_eq(harness_redis_start_on(&restarted, port, dir), 0, "redis-server did not restart on port %d", port);
    cr_assert_eq(sink_flush(s), 0, "flush after restart: %s", sink_error(s));
    cr_assert_eq(sink_pending(s), 0);
    sink_stats st;
    sink_get_stats(s, &st);
    cr_expect_geq(st.reconnects, 1);
    cr_expect_geq(st.failures, 1);
    cr_expect_eq(st.added, 900);
    cr_expect_eq(st.duplicates, 100);
    c = harness_redis_connect(&restarted);
    cr_assert_not_null(c);
    cr_assert_eq(xlen(c, "lscan:flags"), 900);
    cr_assert_eq(scard(c, "lscan:seen"), 900);
    check_stream_exactly(c, "lscan:flags", 900);
    sink_destroy(s);
    redisFree(c);
}

Test(sink, flushed_script_cache_falls_back_to_eval)
{
    redis_sink *s = open_sink(redis.port, NULL, 10, 0);
    push_range(s, 0, 10);
    redisContext *c = harness_redis_connect(&redis);
    cr_assert_not_null(c);
    const char *flush[] = {"SCRIPT", "FLUSH"};
    freeReplyObject(run(c, 2, flush));
    push_range(s, 10, 60); /* five batches: the first gets NOSCRIPT */
    cr_assert_eq(sink_flush(s), 0, "flush: %s", sink_error(s));
    sink_stats st;
    sink_get_stats(s, &st);
    cr_expect_eq(st.added, 60);
    cr_expect_eq(st.duplicates, 0);
    cr_expect_eq(st.reconnects, 0);
    check_stream_exactly(c, "lscan:flags", 60);
    sink_destroy(s);
    redisFree(c);
}

Test(sink, backlog_is_bounded_while_redis_is_down)
{
    redis_sink *s = open_sink(redis.port, NULL, 10, 1);
    harness_stop(&redis);
    push_range(s, 0, 10 * SINK_BACKLOG_BATCHES);
    cr_assert_eq(sink_pending(s), 80);
    char *json = flag_json_of(999);
    cr_assert_eq(sink_push(s, "0000000000000999", json, strlen(json)), -1, "push beyond the backlog accepted");
    free(json);
    cr_expect(strstr(sink_error(s), "sink backlog full") != NULL, "message: %s", sink_error(s));
    cr_assert_eq(sink_pending(s), 80);
    sink_stats st;
    sink_get_stats(s, &st);
    cr_expect_eq(st.pushed, 80);
    /* A full batch is written without waiting for its reply, so the loss shows at the next write or read;
     * from then on each batch boundary tries once (not each push). */
    cr_expect(st.failures >= 1 && st.failures <= 8, "failed flushes: %llu", (unsigned long long)st.failures);
    sink_destroy(s); /* frees what is buffered */
}

Test(sink, bad_pushes_are_refused_with_a_message)
{
    redis_sink *s = open_sink(redis.port, NULL, 0, 0);
    char long_id[SINK_MAX_FLAG_ID + 2];
    memset(long_id, 'a', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    cr_expect_eq(sink_push(s, "", "{}", 2), -1);
    cr_expect(strstr(sink_error(s), "flag id") != NULL, "message: %s", sink_error(s));
    cr_expect_eq(sink_push(s, long_id, "{}", 2), -1);
    cr_expect_eq(sink_push(s, "abc", "{}", 0), -1);
    cr_expect_eq(sink_push(s, "abc", NULL, 2), -1);
    cr_expect_eq(sink_push(NULL, "abc", "{}", 2), -1);
    cr_expect_eq(sink_flush(NULL), -1);
    cr_expect_eq(sink_pending(s), 0);
    cr_expect_eq(sink_flush(s), 0, "flushing nothing succeeds");
    sink_destroy(s);
    sink_destroy(NULL);
    sink_options bad = {.url = "redis://127.0.0.1:1", .batch = SINK_MAX_BATCH + 1};
    char error[256];
    redis_sink *out = (redis_sink *)&error;
    cr_expect_eq(sink_create(&bad, &out, error, sizeof error), -1);
    cr_expect_null(out);
    cr_expect(strstr(error, "batch") != NULL, "message: %s", error);
}

Test(sink, unreachable_redis_fails_fast_naming_host_and_port)
{
    int port = harness_free_port();
    cr_assert_gt(port, 0);
    char url[64], error[512] = "", address[64];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", port);
    snprintf(address, sizeof address, "127.0.0.1:%d", port);
    sink_options o = {.url = url};
    redis_sink *s = (redis_sink *)&o;
    long long start = monotonic_ms();
    cr_assert_eq(sink_create(&o, &s, error, sizeof error), -1);
    long long elapsed = monotonic_ms() - start;
    cr_assert_null(s);
    cr_expect(strstr(error, "cannot connect to redis") != NULL, "message: %s", error);
    cr_expect(strstr(error, address) != NULL, "message does not name %s: %s", address, error);
    cr_expect_lt(elapsed, 1000, "took %lld ms", elapsed);
}

/* sink_push's failures have names (issue 9): sink_last_result and sink_strerror. */
Test(sink, each_refusal_has_its_cause)
{
    redis_sink *s = open_sink(redis.port, NULL, 0, 0);
    cr_expect_eq(sink_push(s, "", "{}", 2), -1);
    cr_expect_eq(sink_last_result(s), SINK_ERROR_BAD_FLAG);
    cr_expect_eq(sink_push(s, "abc", NULL, 2), -1);
    cr_expect_eq(sink_last_result(s), SINK_ERROR_ARGUMENT);
    cr_expect_eq(sink_push(s, "abc", "{}", 2), 0);
    cr_expect_eq(sink_last_result(s), SINK_OK);
    cr_expect_str_eq(sink_strerror(SINK_ERROR_BACKLOG_FULL), "the backlog of unconfirmed flags is full");
    cr_expect_eq(sink_flush(s), 0);
    sink_destroy(s);
}
