/* The spool (scanner/spool.c) on its own, and the sink's spooling against a
 * real redis-server (tests/harness.c): Redis stopped mid-run and started
 * again, lscan killed with SIGKILL while spooling, and a replay repeated after
 * a crash between XADD and truncate. In every case: no flag lost, none twice. */
#include <cJSON.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/harness.h"
#include "scanner/output/sink.h"
#include "tests/sink_testing.h"
#include "scanner/output/spool.h"

static harness_process redis;      /* the harness Redis of each sink test */
static harness_process restarted;  /* a Redis this file starts on the same port */
static char dir[512];              /* the test's spool directory */
static pid_t child = -1;           /* the spooling process of the kill -9 test */

static void make_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/lscan-spool-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_dir(void)
{
    if (child > 0) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        child = -1;
    }
    if (dir[0])
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    dir[0] = '\0';
}

static void start_all(void)
{
    memset(&restarted, 0, sizeof restarted);
    restarted.output_fd = -1;
    make_dir();
    cr_assert_eq(harness_redis_start(&redis), 0, "redis-server did not start");
}

static void stop_all(void)
{
    remove_dir();
    harness_stop(&redis);
    harness_stop(&restarted);
}

TestSuite(spool, .init = make_dir, .fini = remove_dir, .timeout = 60);
TestSuite(spool_sink, .init = start_all, .fini = stop_all, .timeout = 180);

/* ---- helpers ---- */

static long long monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void spool_file(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", dir, name);
}

static long long file_size(const char *path)
{
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "stat %s: %s", path, strerror(errno));
    return (long long)st.st_size;
}

static sink_options options_for(int port, char *url, size_t url_size, const char *spool_path, unsigned max_retries)
{
    snprintf(url, url_size, "redis://127.0.0.1:%d", port);
    return (sink_options){.url = url, .max_retries = max_retries, .spool_path = spool_path};
}

static redis_sink *open_sink(int port, const char *spool_path, unsigned max_retries)
{
    char url[64], error[512];
    sink_options o = options_for(port, url, sizeof url, spool_path, max_retries);
    redis_sink *s = NULL;
    cr_assert_eq(sink_create(&o, &s, error, sizeof error), 0, "sink_create: %s", error);
    cr_assert_not_null(s);
    return s;
}

static long long xlen(redisContext *c)
{
    const char *argv[] = {"XLEN", "lscan:flags"};
    return integer_of(c, 2, argv);
}

static long long scard(redisContext *c)
{
    const char *argv[] = {"SCARD", "lscan:seen"};
    return integer_of(c, 2, argv);
}


/* A new data directory for a restarted Redis, registered in `restarted` so
 * .fini removes it even when the test fails before the start. */
static void new_data_dir(char *out, size_t size)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(out, size, "%s/lscan-redis-restart-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    cr_assert_not_null(mkdtemp(out));
    restarted.pid = 0;
    restarted.output_fd = -1;
    snprintf(restarted.dir, sizeof restarted.dir, "%s", out);
}

static void write_file(const char *path, const void *data, size_t length, const char *mode)
{
    FILE *f = fopen(path, mode);
    cr_assert_not_null(f, "cannot write %s", path);
    cr_assert_eq(fwrite(data, 1, length, f), length);
    cr_assert_eq(fclose(f), 0);
}

/* ---- the spool module ---- */

typedef struct collected {
    unsigned count;
    char ids[16][32];
    char flags[16][64];
    unsigned stop_after; /* 0: never */
} collected;

static int collect(void *context, const char *id, size_t id_length, const char *flag, size_t flag_length)
{
    collected *c = context;
    cr_assert_lt(c->count, 16);
    cr_assert_eq(strlen(id), id_length);
    cr_assert_lt(flag_length, sizeof c->flags[0]);
    cr_assert_eq(flag[flag_length], '\0', "flag not followed by a NUL");
    snprintf(c->ids[c->count], sizeof c->ids[0], "%s", id);
    memcpy(c->flags[c->count], flag, flag_length);
    c->flags[c->count][flag_length] = '\0';
    c->count++;
    return c->stop_after && c->count == c->stop_after ? 7 : 0;
}

static const char *const IDS[] = {"a1", "b22", "c333", "d4444", "e55555"};
static const char *const FLAGS[] = {"{\"n\":1}", "{\"n\":2,\"x\":\"y\"}", "{}", "{\"n\":4}", "[5]"};

static uint64_t record_bytes(unsigned i)
{
    return SPOOL_RECORD_HEADER + 2 + strlen(IDS[i]) + strlen(FLAGS[i]);
}

/* Appends IDS/FLAGS[from, to) as one batch. */
static void append(spool *sp, unsigned from, unsigned to)
{
    size_t lengths[5];
    for (unsigned i = from; i < to; i++)
        lengths[i] = strlen(FLAGS[i]);
    cr_assert_eq(spool_append_batch(sp, IDS + from, FLAGS + from, lengths + from, to - from), 0, "append: %s",
                 spool_error(sp));
}

static void expect_records(spool *sp, unsigned n)
{
    collected c = {0};
    cr_assert_eq(spool_for_each(sp, collect, &c), 0, "for_each: %s", spool_error(sp));
    cr_assert_eq(c.count, n, "read %u records, expected %u", c.count, n);
    for (unsigned i = 0; i < n; i++) {
        cr_expect_str_eq(c.ids[i], IDS[i]);
        cr_expect_str_eq(c.flags[i], FLAGS[i]);
    }
}

Test(spool, append_read_back_reopen_and_truncate)
{
    char path[600];
    spool_file(path, sizeof path, "s.bin");
    spool *sp = NULL;
    char error[512];
    cr_assert_eq(spool_open(path, &sp, error, sizeof error), 0, "%s", error);
    cr_assert_eq(spool_bytes(sp), 0);
    cr_assert_eq(file_size(path), 0, "the file is created empty");
    append(sp, 0, 3);
    append(sp, 3, 5);
    uint64_t total = 0;
    for (unsigned i = 0; i < 5; i++)
        total += record_bytes(i);
    cr_assert_eq(spool_bytes(sp), total);
    cr_assert_eq(spool_records(sp), 5);
    cr_assert_eq(file_size(path), (long long)total);
    expect_records(sp, 5);
    collected c = {.stop_after = 2};
    cr_assert_eq(spool_for_each(sp, collect, &c), 7, "the callback's value is returned");
    cr_assert_eq(c.count, 2);

    /* Reopened, the records are all there and nothing is cut. */
    spool_close(sp);
    cr_assert_eq(spool_open(path, &sp, error, sizeof error), 0, "%s", error);
    cr_assert_eq(spool_bytes(sp), total);
    cr_assert_eq(spool_records(sp), 5);
    cr_assert_eq(spool_cut_bytes(sp), 0);
    expect_records(sp, 5);

    cr_assert_eq(spool_truncate(sp), 0, "%s", spool_error(sp));
    cr_assert_eq(spool_bytes(sp), 0);
    cr_assert_eq(file_size(path), 0);
    expect_records(sp, 0);
    append(sp, 0, 1); /* appends after a truncate start at 0 */
    cr_assert_eq(file_size(path), (long long)record_bytes(0));
    expect_records(sp, 1);
    spool_close(sp);
}

Test(spool, bad_records_are_refused_and_a_failed_append_leaves_nothing)
{
    char path[600];
    spool_file(path, sizeof path, "s.bin");
    spool *sp = NULL;
    char error[512];
    cr_assert_eq(spool_open(path, &sp, error, sizeof error), 0, "%s", error);
    append(sp, 0, 1);
    char long_id[SPOOL_MAX_ID + 2];
    memset(long_id, 'i', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    const char *ids[] = {"ok", long_id};
    const char *flags[] = {"{}", "{}"};
    size_t lengths[] = {2, 2};
    cr_expect_eq(spool_append_batch(sp, ids, flags, lengths, 2), -1, "an id over the limit was accepted");
    const char *empty[] = {""};
    cr_expect_eq(spool_append_batch(sp, empty, flags, lengths, 1), -1);
    size_t zero[] = {0};
    cr_expect_eq(spool_append_batch(sp, ids, flags, zero, 1), -1);
    cr_expect(strstr(spool_error(sp), path) != NULL, "message names the file: %s", spool_error(sp));
    cr_assert_eq(spool_records(sp), 1, "a refused batch added records");
    cr_assert_eq(file_size(path), (long long)record_bytes(0));
    expect_records(sp, 1);

    /* One writer: a second open of the same file is refused while the first is open. */
    spool *second = (spool *)&error;
    cr_assert_eq(spool_open(path, &second, error, sizeof error), -1);
    cr_assert_null(second);
    cr_expect(strstr(error, "in use") != NULL, "message: %s", error);
    spool_close(sp);
    cr_assert_eq(spool_open(path, &sp, error, sizeof error), 0, "after close: %s", error);
    spool_close(sp);

    char missing[700];
    snprintf(missing, sizeof missing, "%s/no/such/dir/s.bin", dir);
    cr_assert_eq(spool_open(missing, &sp, error, sizeof error), -1);
    cr_expect(strstr(error, missing) != NULL, "message: %s", error);
}

typedef struct tail_case {
    const char *name;
    unsigned char bytes[64];
    size_t length;
} tail_case;

/* What a crash in the middle of an append can leave after the good records. */
Test(spool, torn_tail_is_cut_on_open)
{
    tail_case cases[5] = {
        {"partial header", {0x20, 0x00, 0x00}, 3},
        {"partial record", {0x20, 0x00, 0x00, 0x00, 0x11, 0x22, 0x33, 0x44, 0x02, 0x00, 'z', 'z'}, 12},
        {"zero-filled tail", {0}, 40},
        {"last record with a bad checksum", {0}, 0}, /* filled below */
        {"a single zero byte", {0}, 1},
    };
    /* A whole record (id "zz", flag "{}") whose crc field is wrong. */
    unsigned char *r = cases[3].bytes;
    const unsigned char bad[] = {6, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 2, 0, 'z', 'z', '{', '}'};
    memcpy(r, bad, sizeof bad);
    cases[3].length = sizeof bad;

    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char path[600], error[512];
        snprintf(path, sizeof path, "%s/torn-%zu.bin", dir, k);
        spool *sp = NULL;
        cr_assert_eq(spool_open(path, &sp, error, sizeof error), 0, "%s", error);
        append(sp, 0, 3);
        long long good = file_size(path);
        spool_close(sp);
        write_file(path, cases[k].bytes, cases[k].length, "ab");
        cr_assert_eq(file_size(path), good + (long long)cases[k].length);

        cr_assert_eq(spool_open(path, &sp, error, sizeof error), 0, "%s: %s", cases[k].name, error);
        cr_expect_eq(spool_cut_bytes(sp), cases[k].length, "%s: cut %llu bytes", cases[k].name,
                     (unsigned long long)spool_cut_bytes(sp));
        cr_expect_eq(spool_records(sp), 3, "%s", cases[k].name);
        cr_expect_eq(file_size(path), good, "%s: the file was not cut back", cases[k].name);
        expect_records(sp, 3);
        append(sp, 3, 5); /* appends go after the last good record */
        expect_records(sp, 5);
        spool_close(sp);
    }
}

Test(spool, corrupt_checksum_stops_the_read_and_is_not_cut)
{
    char path[600], error[512];
    spool_file(path, sizeof path, "s.bin");
    spool *sp = NULL;
    cr_assert_eq(spool_open(path, &sp, error, sizeof error), 0, "%s", error);
    append(sp, 0, 3);
    long long size = file_size(path);
    /* Flip one byte of the second record's flag, behind the spool's back. */
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    cr_assert_geq(fd, 0);
    off_t where = (off_t)(record_bytes(0) + SPOOL_RECORD_HEADER + 2 + strlen(IDS[1]) + 1);
    cr_assert_eq(pwrite(fd, "X", 1, where), 1);
    close(fd);

    collected c = {0};
    cr_assert_eq(spool_for_each(sp, collect, &c), -1, "a corrupt record was read as good");
    cr_assert_eq(c.count, 1, "only the record before the bad one is delivered, got %u", c.count);
    cr_expect_str_eq(c.ids[0], IDS[0]);
    char offset[32];
    snprintf(offset, sizeof offset, "offset %llu", (unsigned long long)record_bytes(0));
    cr_expect(strstr(spool_error(sp), "checksum") != NULL, "message: %s", spool_error(sp));
    cr_expect(strstr(spool_error(sp), offset) != NULL, "message lacks '%s': %s", offset, spool_error(sp));
    spool_close(sp);

    /* Not a torn tail (a good record follows): open refuses instead of cutting the third record. */
    cr_assert_eq(spool_open(path, &sp, error, sizeof error), -1, "a damaged spool was opened");
    cr_assert_null(sp);
    cr_expect(strstr(error, "damaged") != NULL && strstr(error, offset) != NULL, "message: %s", error);
    cr_assert_eq(file_size(path), size, "the damaged spool was modified");

    /* A file that is not a spool is refused and left alone too. */
    char other[600];
    spool_file(other, sizeof other, "notes.txt");
    const char text[] = "hello, these are someone's notes\n";
    write_file(other, text, sizeof text - 1, "wb");
    cr_assert_eq(spool_open(other, &sp, error, sizeof error), -1);
    cr_assert_eq(file_size(other), (long long)sizeof text - 1);
}

/* ---- the sink with a spool, against Redis ---- */

/* SAVE, copy dump.rdb to a new data dir, stop Redis: returns the port. */
static int save_and_stop(char *data_dir, size_t size)
{
    redisContext *c = harness_redis_connect(&redis);
    cr_assert_not_null(c);
    const char *save[] = {"SAVE"};
    freeReplyObject(run(c, 1, save));
    redisFree(c);
    new_data_dir(data_dir, size);
    char from[600], to[600];
    snprintf(from, sizeof from, "%s/dump.rdb", redis.dir);
    snprintf(to, sizeof to, "%s/dump.rdb", data_dir);
    size_t length = 0;
    char *data = harness_read_file(from, &length);
    cr_assert_not_null(data, "cannot read %s", from);
    write_file(to, data, length, "wb");
    free(data);
    int port = redis.port;
    harness_stop(&redis);
    return port;
}

Test(spool_sink, redis_stopped_mid_run_spools_then_replays_exactly_once)
{
    char path[600], data_dir[512];
    spool_file(path, sizeof path, "spool-0.bin");
    redis_sink *s = open_sink(redis.port, path, 1);
    cr_assert_eq(sink_spooling(s), false);
    cr_assert_str_eq(sink_spool_path(s), path);
    push_range(s, 0, 300);
    cr_assert_eq(sink_flush(s), 0, "flush: %s", sink_error(s));
    cr_assert_eq(sink_spool_bytes(s), 0, "nothing spooled while Redis is up");

    int port = save_and_stop(data_dir, sizeof data_dir);

    /* Redis is down: the scan goes on, flags go to the spool, memory stays bounded. */
    for (unsigned i = 300; i < 800; i += 50) {
        push_range(s, i, i + 50);
        /* At most the batch written into the dead connection and the next one, then less than a batch. */
        cr_assert_leq(sink_pending(s), 2 * 100, "flags pile up in memory: %zu", sink_pending(s));
    }
    cr_assert_eq(sink_flush(s), 0, "flush while Redis is down: %s", sink_error(s));
    cr_assert_eq(sink_pending(s), 0, "after flush every flag is in Redis or in the spool");
    cr_assert(sink_spooling(s));
    sink_stats st;
    sink_get_stats(s, &st);
    cr_assert_eq(st.spooled, 500, "spooled %llu", (unsigned long long)st.spooled);
    cr_assert_gt(sink_spool_bytes(s), 0);
    cr_assert_eq((long long)sink_spool_bytes(s), file_size(path));
    char address[64];
    snprintf(address, sizeof address, "127.0.0.1:%d", port);
    cr_expect(strstr(sink_error(s), address) && strstr(sink_error(s), path), "message: %s", sink_error(s));

    /* Redis is back on the same port with its data: the next flush replays the spool. */
    cr_assert_eq(harness_redis_start_on(&restarted, port, data_dir), 0, "redis-server did not restart on port %d", port);
    cr_assert_eq(sink_flush(s), 0, "flush after restart: %s", sink_error(s));
    cr_assert_eq(sink_spooling(s), false);
    cr_assert_eq(sink_spool_bytes(s), 0);
    cr_assert_eq(file_size(path), 0, "the spool was not truncated");
    sink_get_stats(s, &st);
    cr_expect_eq(st.replayed, 500);
    cr_expect_eq(st.added, 800);
    cr_expect_eq(st.duplicates, 0);
    redisContext *c = harness_redis_connect(&restarted);
    cr_assert_not_null(c);
    cr_assert_eq(xlen(c), 800);
    cr_assert_eq(scard(c), 800);
    check_stream_exactly(c, "lscan:flags", 800);

    /* Back to normal: the next flags go straight to Redis. */
    push_range(s, 800, 850);
    cr_assert_eq(sink_flush(s), 0, "flush: %s", sink_error(s));
    cr_assert_eq(sink_spool_bytes(s), 0);
    sink_get_stats(s, &st);
    cr_expect_eq(st.spooled, 500);
    check_stream_exactly(c, "lscan:flags", 850);
    sink_destroy(s);
    redisFree(c);
}

/* The child: a scan that starts during an outage, spools 400 flags, reports
 * "ready" once its last flush returned, then waits to be killed. */
static void spooling_child(int port, const char *path, int ready_fd)
{
    char url[64], error[512], message[700];
    sink_options o = options_for(port, url, sizeof url, path, 1);
    redis_sink *s = NULL;
    if (sink_create(&o, &s, error, sizeof error) < 0) {
        snprintf(message, sizeof message, "fail create: %s\n", error);
        goto fail;
    }
    if (!sink_spooling(s)) {
        snprintf(message, sizeof message, "fail: not spooling\n");
        goto fail;
    }
    for (unsigned i = 0; i < 400; i++) {
        char id[17];
        flag_id_of(i, id);
        char *json = flag_json_of(i);
        if (!json || sink_push(s, id, json, strlen(json)) < 0) {
            snprintf(message, sizeof message, "fail push %u: %s\n", i, sink_error(s));
            goto fail;
        }
        free(json);
        if (i % 100 == 99 && sink_flush(s) < 0) {
            snprintf(message, sizeof message, "fail flush: %s\n", sink_error(s));
            goto fail;
        }
    }
    sink_stats st;
    sink_get_stats(s, &st);
    if (st.spooled != 400 || sink_pending(s) != 0) {
        snprintf(message, sizeof message, "fail: spooled %llu, pending %zu\n", (unsigned long long)st.spooled,
                 sink_pending(s));
        goto fail;
    }
    if (write(ready_fd, "ready\n", 6) != 6)
        _exit(1);
    for (;;)
        pause(); /* until SIGKILL */
fail:
    if (write(ready_fd, message, strlen(message)) < 0)
        _exit(1);
    _exit(1);
}

Test(spool_sink, killed_while_spooling_then_restarted_replays_everything_once)
{
    char path[600], data_dir[512];
    spool_file(path, sizeof path, "spool-1.bin");
    int port = redis.port;
    harness_stop(&redis); /* the scan starts during an outage */

    int ready[2];
    cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
    pid_t parent = getpid();
    child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        close(ready[0]);
        spooling_child(port, path, ready[1]);
    }
    close(ready[1]);
    char line[800] = "";
    size_t used = 0;
    long long deadline = monotonic_ms() + 60000;
    while (!memchr(line, '\n', used)) {
        long long left = deadline - monotonic_ms();
        cr_assert_gt(left, 0, "the spooling child did not report in time");
        struct pollfd pfd = {ready[0], POLLIN, 0};
        int rc = poll(&pfd, 1, (int)left);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            continue;
        ssize_t n = read(ready[0], line + used, sizeof line - 1 - used);
        cr_assert_gt(n, 0, "the spooling child exited without a word");
        used += (size_t)n;
        line[used] = '\0';
    }
    close(ready[0]);
    cr_assert_str_eq(line, "ready\n", "child: %s", line);
    cr_assert_eq(kill(child, SIGKILL), 0);
    int status = 0;
    cr_assert_eq(waitpid(child, &status, 0), child);
    child = -1;
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    cr_assert_gt(file_size(path), 0, "the killed run left no spool");

    /* Redis comes back; the next run (a new sink on the same spool) replays it first. */
    new_data_dir(data_dir, sizeof data_dir);
    cr_assert_eq(harness_redis_start_on(&restarted, port, data_dir), 0, "redis-server did not restart on port %d", port);
    redis_sink *s = open_sink(port, path, 1);
    cr_assert_eq(sink_spooling(s), false, "still spooling: %s", sink_error(s));
    cr_assert_eq(sink_spool_bytes(s), 0);
    cr_assert_eq(file_size(path), 0);
    sink_stats st;
    sink_get_stats(s, &st);
    cr_expect_eq(st.replayed, 400);
    cr_expect_eq(st.added, 400);
    cr_expect_eq(st.duplicates, 0);
    redisContext *c = harness_redis_connect(&restarted);
    cr_assert_not_null(c);
    cr_assert_eq(xlen(c), 400);
    cr_assert_eq(scard(c), 400);
    check_stream_exactly(c, "lscan:flags", 400);
    sink_destroy(s);
    redisFree(c);
}

/* A crash after the replay's XADDs but before the truncate leaves the spool
 * whole: replaying it again adds nothing. */
Test(spool_sink, second_replay_of_the_same_spool_adds_nothing)
{
    char path[600], error[512];
    spool_file(path, sizeof path, "spool-2.bin");
    spool *sp = NULL;
    cr_assert_eq(spool_open(path, &sp, error, sizeof error), 0, "%s", error);
    for (unsigned from = 0; from < 250; from += 50) {
        const char *ids[50], *flags[50];
        size_t lengths[50];
        char id_text[50][17];
        for (unsigned k = 0; k < 50; k++) {
            flag_id_of(from + k, id_text[k]);
            ids[k] = id_text[k];
            flags[k] = flag_json_of(from + k);
            cr_assert_not_null(flags[k]);
            lengths[k] = strlen(flags[k]);
        }
        cr_assert_eq(spool_append_batch(sp, ids, flags, lengths, 50), 0, "%s", spool_error(sp));
        for (unsigned k = 0; k < 50; k++)
            free((char *)flags[k]);
    }
    spool_close(sp);
    size_t length = 0;
    char *saved = harness_read_file(path, &length);
    cr_assert_not_null(saved);
    cr_assert_gt(length, 0);

    redis_sink *s = open_sink(redis.port, path, 0);
    sink_stats st;
    sink_get_stats(s, &st);
    cr_assert_eq(st.replayed, 250, "%s", sink_error(s));
    cr_assert_eq(st.added, 250);
    cr_assert_eq(file_size(path), 0);
    sink_destroy(s);

    write_file(path, saved, length, "wb"); /* as if the truncate never happened */
    free(saved);
    s = open_sink(redis.port, path, 0);
    sink_get_stats(s, &st);
    cr_expect_eq(st.replayed, 250);
    cr_expect_eq(st.added, 0, "a second replay added %llu flags", (unsigned long long)st.added);
    cr_expect_eq(st.duplicates, 250);
    cr_assert_eq(sink_spool_bytes(s), 0);
    cr_assert_eq(file_size(path), 0);
    redisContext *c = harness_redis_connect(&redis);
    cr_assert_not_null(c);
    cr_assert_eq(xlen(c), 250);
    check_stream_exactly(c, "lscan:flags", 250);
    sink_destroy(s);
    redisFree(c);
}

/* sink_destroy without a flush: with a spool, what was buffered is kept for
 * the next run; and a spool belongs to one sink at a time. */
Test(spool_sink, destroy_keeps_buffered_flags_in_the_spool_and_one_sink_per_spool)
{
    char path[600], url[64], error[512];
    spool_file(path, sizeof path, "spool-3.bin");
    redis_sink *s = open_sink(redis.port, path, 0);
    push_range(s, 0, 30); /* less than a batch: nothing sent yet */
    cr_assert_eq(sink_pending(s), 30);

    sink_options o = options_for(redis.port, url, sizeof url, path, 0);
    redis_sink *second = (redis_sink *)&o;
    cr_assert_eq(sink_create(&o, &second, error, sizeof error), -1, "two sinks on one spool");
    cr_assert_null(second);
    cr_expect(strstr(error, "in use") != NULL, "message: %s", error);

    sink_destroy(s);
    spool *sp = NULL;
    cr_assert_eq(spool_open(path, &sp, error, sizeof error), 0, "%s", error);
    cr_assert_eq(spool_records(sp), 30, "destroy kept %llu flags", (unsigned long long)spool_records(sp));
    spool_close(sp);

    s = open_sink(redis.port, path, 0);
    sink_stats st;
    sink_get_stats(s, &st);
    cr_expect_eq(st.replayed, 30);
    redisContext *c = harness_redis_connect(&redis);
    cr_assert_not_null(c);
    check_stream_exactly(c, "lscan:flags", 30);
    sink_destroy(s);
    redisFree(c);
}
