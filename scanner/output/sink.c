/* sink: the Redis review-stream writer (sink.h, docs/redis.md). */
#include "scanner/output/sink.h"
#include "rules/base/error_message.h"
#include "scanner/output/spool.h"
#include "workers/redis.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis.h>

#define DEFAULT_PREFIX "lscan:"
#define DEFAULT_BATCH 100
#define DEFAULT_MAX_RETRIES 5
#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 2000
#define MAX_PREFIX 200
#define GROUP "review"
#define PROBE_MIN_MS 1000   /* while spooling: at most one reconnect attempt per second from sink_push, */
#define PROBE_MAX_MS 8000   /* doubling to this while Redis stays away */

_Static_assert(SINK_MAX_FLAG_ID <= SPOOL_MAX_ID && SINK_MAX_FLAG_JSON <= SPOOL_MAX_FLAG,
               "every flag the sink accepts must fit in a spool record");

/* KEYS[1] = PREFIXseen, KEYS[2] = PREFIXflags, KEYS[3] = PREFIXsightings;
 * ARGV = id1, json1, id2, json2, ... A new flag id is remembered and its
 * flag XADDed; a flag id seen before (the same listing flagged by the same
 * rules in a later scan) becomes a small sighting entry instead (flag id,
 * scan id, platform, listing id, capture time, price, evidence), so the case register counts it
 * without the flag being pushed twice. Returns how many were new. */
static const char SCRIPT[] =
    "local added = 0\n"
    "for i = 1, #ARGV, 2 do\n"
    "  if redis.call('SADD', KEYS[1], ARGV[i]) == 1 then\n"
    "    redis.call('XADD', KEYS[2], '*', 'flag_id', ARGV[i], 'flag', ARGV[i + 1])\n"
    "    added = added + 1\n"
    "  else\n"
    "    local ok, f = pcall(cjson.decode, ARGV[i + 1])\n"
    "    if ok and type(f) == 'table' and type(f['scan_id']) == 'string' then\n"
    "      local e = f['evidence']\n"
    "      local seen = ''\n"
    "      if type(e) == 'table' and type(e['fetched_at']) == 'string' then seen = e['fetched_at'] end\n"
    "      local price = cjson.null\n"
    "      if type(f['listing']) == 'table' and type(f['listing']['price']) == 'number' then\n"
    "        price = f['listing']['price']\n"
    "      end\n"
    "      if e == nil then e = cjson.null end\n"
    "      local l = f['listing']\n"
    "      if type(l) ~= 'table' then l = {} end\n"
    "      redis.call('XADD', KEYS[3], '*', 'flag_id', ARGV[i], 'sighting', cjson.encode({flag_id = ARGV[i],\n"
    "        scan_id = f['scan_id'], platform = l['platform'], listing_id = l['listing_id'], seen_at = seen,\n"
    "        price = price, evidence = e}))\n"
    "    end\n"
    "  end\n"
    "end\n"
    "return added\n";

typedef struct pending_flag {
    char *id;           /* one allocation: id, NUL, json, NUL */
    size_t id_length;
    const char *json;   /* inside `id`'s allocation */
    size_t json_length;
} pending_flag;

struct redis_sink {
    redis_link *link;         /* the connection (workers/redis.h): URL, AUTH, SELECT, timeouts */
    char *key_seen, *key_flags, *key_sightings;
    size_t batch, capacity;
    unsigned max_retries;

    char sha[41];
    bool eval_next;           /* the next batch goes as EVAL (after NOSCRIPT) */

    pending_flag *flags;      /* FIFO of unconfirmed flags, capacity entries */
    size_t count;             /* flags buffered */
    size_t sent;              /* of which in flight (the first ones) */
    size_t inflight[SINK_PIPELINE]; /* sizes of the batches in flight, oldest first */
    size_t ninflight;

    const char **argv;        /* 6 + 2 * batch entries, reused per batch */
    size_t *argvlen;

    spool *spool;             /* NULL: no spool (sink_options.spool_path) */
    atomic_bool spooling;     /* flags go to the spool, not to Redis (set while the spool holds records) */
    atomic_uint_least64_t spool_bytes; /* spool_bytes(spool), readable from other threads */
    long long next_probe_ms;  /* CLOCK_MONOTONIC; while spooling, sink_push reconnects no earlier */
    unsigned probe_interval_ms;
    const char **spool_ids;   /* capacity entries each, for spool_append_batch */
    const char **spool_flags;
    size_t *spool_lengths;

    void (*before_send)(void *ctx); /* sink_options.before_send */
    void *before_send_ctx;
    uint64_t rng;             /* backoff jitter */
    sink_stats stats;
    sink_result last_result;  /* why the last sink_push or sink_flush failed */
    char error[512];
};

/* ---- small helpers ---- */

#define SINK_ERROR(s, ...) error_message_set((s)->error, sizeof (s)->error, __VA_ARGS__)

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* ---- connection ---- */

/* Closes the connection. What was in flight is unconfirmed: it becomes
 * unsent and will be sent again (safe: the script is idempotent). */
static void disconnect(redis_sink *s)
{
    redis_link_disconnect(s->link);
    s->sent = 0;
    s->ninflight = 0;
}

/* Connects (redis_link_connect: AUTH, SELECT), loads the script, creates the group. */
static int connect_and_setup(redis_sink *s)
{
    disconnect(s);
    if (redis_link_connect(s->link) < 0 || redis_link_load_script(s->link, SCRIPT, s->sha) < 0) {
        SINK_ERROR(s, "%s", redis_link_error(s->link));
        disconnect(s);
        return -1;
    }
    /* From id 0: a group created on an existing stream still sees every flag. */
    const char *group[] = {"XGROUP", "CREATE", s->key_flags, GROUP, "0", "MKSTREAM"};
    redisReply *r = redis_link_command(s->link, "XGROUP CREATE", 6, group);
    if (!r) {
        SINK_ERROR(s, "%s", redis_link_error(s->link));
        disconnect(s);
        return -1;
    }
    bool ok = r->type == REDIS_REPLY_STATUS || (r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "BUSYGROUP", 9));
    if (!ok)
        SINK_ERROR(s, "redis %s: XGROUP CREATE %s %s: %s", redis_link_address(s->link), s->key_flags, GROUP,
                   r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
    if (ok && r->type == REDIS_REPLY_ERROR)
        redis_link_judge(s->link, ""); /* BUSYGROUP is fine */
    freeReplyObject(r);
    if (!ok) {
        disconnect(s);
        return -1;
    }
    s->eval_next = false;
    return 0;
}

/* Sleeps the backoff for this attempt (50 ms doubling to 2 s, jittered to
 * [d/2, d]) and reconnects; -1 once max_retries attempts were spent, or at
 * once when Redis refuses (a wrong password does not get better). */
static int reconnect(redis_sink *s, unsigned *attempts)
{
    char last[sizeof s->error];
    snprintf(last, sizeof last, "%s", s->error);
    while (*attempts < s->max_retries) {
        sleep_ms(redis_backoff_ms(*attempts, BACKOFF_MIN_MS, BACKOFF_MAX_MS, &s->rng));
        (*attempts)++;
        if (connect_and_setup(s) == 0) {
            s->stats.reconnects++;
            return 0;
        }
        snprintf(last, sizeof last, "%s", s->error);
        if (redis_link_permanent(s->link))
            break; /* not an outage: trying again changes nothing */
    }
    SINK_ERROR(s, "%s (gave up after %u reconnect attempts; %zu flags kept)", last, *attempts, s->count);
    return -1;
}

/* ---- batches ----
 *
 * A sliding window: flags[0, sent) are in flight as ninflight batches (sizes
 * in inflight[], oldest first), flags[sent, count) are not sent yet. A full
 * batch is appended (redisAppendCommandArgv) and written at once, so Redis
 * works on it while the caller builds the next; a reply is read only when
 * SINK_PIPELINE batches are in flight, or when draining (sink_flush). */

typedef struct batch_range {
    size_t start, count;
    bool done;
} batch_range;

/* Frees the confirmed batches among ranges[0, n) and moves the rest (and
 * everything after them) to the front, in order. */
static void compact(redis_sink *s, const batch_range *ranges, size_t n)
{
    if (n == 0)
        return;
    size_t sent = ranges[n - 1].start + ranges[n - 1].count;
    size_t to = 0;
    for (size_t i = 0; i < n; i++) {
        const batch_range *b = &ranges[i];
        if (b->done) {
            for (size_t j = b->start; j < b->start + b->count; j++)
                free(s->flags[j].id);
        } else {
            if (to != b->start)
                memmove(&s->flags[to], &s->flags[b->start], b->count * sizeof *s->flags);
            to += b->count;
        }
    }
    if (to != sent)
        memmove(&s->flags[to], &s->flags[sent], (s->count - sent) * sizeof *s->flags);
    s->count -= sent - to;
}

/* Appends the next `count` unsent flags as one script call. */
static int append_batch(redis_sink *s, size_t count)
{
    if (s->before_send)
        s->before_send(s->before_send_ctx);
    const char **argv = s->argv;
    size_t *argvlen = s->argvlen;
    bool eval = s->eval_next;
    argv[0] = eval ? "EVAL" : "EVALSHA";
    argv[1] = eval ? SCRIPT : s->sha;
    argv[2] = "3";
    argv[3] = s->key_seen;
    argv[4] = s->key_flags;
    argv[5] = s->key_sightings;
    for (size_t i = 0; i < 6; i++)
        argvlen[i] = strlen(argv[i]);
    for (size_t i = 0; i < count; i++) {
        const pending_flag *f = &s->flags[s->sent + i];
        argv[6 + 2 * i] = f->id;
        argvlen[6 + 2 * i] = f->id_length;
        argv[7 + 2 * i] = f->json;
        argvlen[7 + 2 * i] = f->json_length;
    }
    if (redisAppendCommandArgv(redis_link_context(s->link), (int)(6 + 2 * count), argv, argvlen) != REDIS_OK) {
        redisContext *c = redis_link_context(s->link);
        SINK_ERROR(s, "redis %s: cannot queue a batch: %s", redis_link_address(s->link),
                   c->errstr[0] ? c->errstr : "out of memory");
        return -1;
    }
    s->eval_next = false;
    s->inflight[s->ninflight++] = count;
    s->sent += count;
    return 0;
}

/* Writes everything appended; -1 when the connection failed. */
static int write_all(redis_sink *s)
{
    int done = 0;
    while (!done) {
        redisContext *c = redis_link_context(s->link);
        if (redisBufferWrite(c, &done) != REDIS_OK) {
            SINK_ERROR(s, "redis %s: connection lost: %s", redis_link_address(s->link),
                       c->errstr[0] ? c->errstr : "write failed");
            return -1;
        }
    }
    return 0;
}

enum reply_kind { REPLY_OK, REPLY_NOSCRIPT, REPLY_TRANSIENT, REPLY_REFUSED, REPLY_LOST };

/* Reads the next reply, to a batch of `count` flags, and counts it. */
static enum reply_kind read_reply(redis_sink *s, size_t count)
{
    const char *address = redis_link_address(s->link);
    redisContext *c = redis_link_context(s->link);
    redisReply *r = NULL;
    if (redisGetReply(c, (void **)&r) != REDIS_OK || !r) {
        SINK_ERROR(s, "redis %s: connection lost: %s", address, c->errstr[0] ? c->errstr : "no reply");
        return REPLY_LOST;
    }
    enum reply_kind kind;
    if (r->type == REDIS_REPLY_INTEGER && r->integer >= 0 && (unsigned long long)r->integer <= count) {
        s->stats.added += (uint64_t)r->integer;
        s->stats.duplicates += count - (uint64_t)r->integer;
        s->stats.flushes++;
        kind = REPLY_OK;
    } else if (r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "NOSCRIPT", 8)) {
        kind = REPLY_NOSCRIPT; /* the script cache was flushed (restart, SCRIPT FLUSH) */
    } else if (r->type == REDIS_REPLY_ERROR && (!strncmp(r->str, "LOADING", 7) || !strncmp(r->str, "BUSY", 4))) {
        SINK_ERROR(s, "redis %s: %s", address, r->str);
        kind = REPLY_TRANSIENT;
    } else {
        SINK_ERROR(s, "redis %s: batch of %zu flags refused: %s", address, count,
                   r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
        redis_link_judge(s->link, r->type == REDIS_REPLY_ERROR ? r->str : "");
        kind = REPLY_REFUSED;
    }
    freeReplyObject(r);
    return kind;
}

/* Reads the oldest in-flight reply. On success its flags are freed. On an
 * error reply the other in-flight replies are read too (those that succeeded
 * are freed, out of order) and what is left becomes unsent again. */
static enum reply_kind read_oldest(redis_sink *s)
{
    size_t count = s->inflight[0];
    enum reply_kind kind = read_reply(s, count);
    if (kind == REPLY_OK) {
        for (size_t j = 0; j < count; j++)
            free(s->flags[j].id);
        memmove(&s->flags[0], &s->flags[count], (s->count - count) * sizeof *s->flags);
        s->count -= count;
        s->sent -= count;
        memmove(&s->inflight[0], &s->inflight[1], (s->ninflight - 1) * sizeof s->inflight[0]);
        s->ninflight--;
        return REPLY_OK;
    }
    if (kind == REPLY_LOST)
        return kind;
    batch_range ranges[SINK_PIPELINE];
    size_t start = 0;
    for (size_t i = 0; i < s->ninflight; i++) {
        ranges[i] = (batch_range){start, s->inflight[i], false};
        start += s->inflight[i];
    }
    enum reply_kind worst = kind;
    for (size_t i = 1; i < s->ninflight && worst != REPLY_LOST; i++) {
        enum reply_kind k = read_reply(s, ranges[i].count);
        if (k == REPLY_OK)
            ranges[i].done = true;
        else if (k > worst)
            worst = k;
    }
    compact(s, ranges, s->ninflight);
    s->sent = 0;
    s->ninflight = 0;
    return worst;
}

/* Sends full batches while the window allows (with `drain`, the last partial
 * one too) and reads replies: without `drain` only while the window is full,
 * with `drain` until everything is confirmed. Reconnects with backoff. */
static int advance(redis_sink *s, bool drain)
{
    unsigned attempts = 0;
    for (;;) {
        if (!redis_link_context(s->link) && reconnect(s, &attempts) < 0)
            return -1;
        while (s->ninflight < SINK_PIPELINE) {
            size_t unsent = s->count - s->sent;
            size_t n = unsent < s->batch ? unsent : s->batch;
            if (n == 0 || (n < s->batch && !drain))
                break;
            if (append_batch(s, n) < 0) {
                disconnect(s); /* the output buffer may hold part of a command */
                return -1;
            }
        }
        if (write_all(s) < 0) {
            disconnect(s);
            continue;
        }
        if (drain ? s->ninflight == 0 : s->ninflight < SINK_PIPELINE)
            return 0;
        switch (read_oldest(s)) {
        case REPLY_OK:
            break;
        case REPLY_NOSCRIPT:
            s->eval_next = true; /* EVAL runs the script and caches it again */
            break;
        case REPLY_TRANSIENT:
        case REPLY_LOST:
            disconnect(s);
            break;
        case REPLY_REFUSED:
            return -1;
        }
    }
}

/* ---- the spool (docs/redis.md, "When Redis is away") ----
 *
 * With a spool, a flush that gave up moves the unconfirmed flags into the
 * spool file and the sink switches to spooling: pushes are buffered up to a
 * batch and then appended to the spool (one write + fdatasync per batch), so
 * memory stays bounded and the order is kept. A flag leaves memory only once
 * Redis confirmed it or the spool's fdatasync returned. While spooling,
 * sink_flush (always) and sink_push (at a batch boundary, at most once per
 * PROBE_MIN_MS doubling to PROBE_MAX_MS) try one reconnect; once connected
 * the whole spool is replayed through the same script (idempotent: what
 * Redis already has counts as a duplicate) and then truncated. */

static long long monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void note_spool_size(redis_sink *s)
{
    atomic_store_explicit(&s->spool_bytes, spool_bytes(s->spool), memory_order_relaxed);
}

/* Appends every buffered flag to the spool and frees them. The connection
 * must hold nothing in flight (disconnected, or drained). */
static int spill(redis_sink *s)
{
    if (s->count == 0)
        return 0;
    if (s->before_send)
        s->before_send(s->before_send_ctx);
    for (size_t i = 0; i < s->count; i++) {
        s->spool_ids[i] = s->flags[i].id;
        s->spool_flags[i] = s->flags[i].json;
        s->spool_lengths[i] = s->flags[i].json_length;
    }
    if (spool_append_batch(s->spool, s->spool_ids, s->spool_flags, s->spool_lengths, s->count) < 0) {
        char last[sizeof s->error];
        snprintf(last, sizeof last, "%s", s->error);
        SINK_ERROR(s, "%s; %zu flags kept in memory (last redis error: %s)", spool_error(s->spool), s->count,
                   last[0] ? last : "none");
        return -1;
    }
    for (size_t i = 0; i < s->count; i++)
        free(s->flags[i].id);
    s->stats.spooled += s->count;
    s->count = 0;
    s->sent = 0;
    s->ninflight = 0;
    note_spool_size(s);
    return 0;
}

static void schedule_probe(redis_sink *s, bool failed)
{
    if (!failed || s->probe_interval_ms == 0)
        s->probe_interval_ms = PROBE_MIN_MS;
    else if (s->probe_interval_ms < PROBE_MAX_MS)
        s->probe_interval_ms *= 2;
    s->next_probe_ms = monotonic_ms() + s->probe_interval_ms;
}

/* Appends "; spooling to PATH (N bytes)" to the error message. */
static void note_spooling(redis_sink *s)
{
    char last[sizeof s->error];
    snprintf(last, sizeof last, "%s", s->error);
    SINK_ERROR(s, "%s; spooling to %s (%llu bytes)", last, spool_path(s->spool),
               (unsigned long long)spool_bytes(s->spool));
}

/* Redis gave up on the buffered flags: move them to the spool. */
static int fail_over(redis_sink *s)
{
    disconnect(s); /* what was in flight is unconfirmed: it is spooled too */
    if (spill(s) < 0)
        return -1;
    atomic_store(&s->spooling, true);
    schedule_probe(s, false);
    note_spooling(s);
    return 0;
}

typedef struct replay_context {
    redis_sink *s;
    uint64_t records;
} replay_context;

static int replay_record(void *context, const char *id, size_t id_length, const char *flag, size_t flag_length)
{
    replay_context *r = context;
    redis_sink *s = r->s;
    if (id_length > SINK_MAX_FLAG_ID || flag_length > SINK_MAX_FLAG_JSON || s->count >= s->capacity) {
        SINK_ERROR(s, "spool %s: record %llu does not fit the sink (id %zu, flag %zu bytes)", spool_path(s->spool),
                   (unsigned long long)r->records, id_length, flag_length);
        return 1;
    }
    char *copy = malloc(id_length + 1 + flag_length + 1);
    if (!copy) {
        SINK_ERROR(s, "sink: out of memory replaying the spool");
        return 1;
    }
    memcpy(copy, id, id_length + 1);
    memcpy(copy + id_length + 1, flag, flag_length);
    copy[id_length + 1 + flag_length] = '\0';
    s->flags[s->count++] = (pending_flag){copy, id_length, copy + id_length + 1, flag_length};
    r->records++;
    if ((s->count - s->sent) % s->batch == 0 && advance(s, false) < 0)
        return 1;
    return 0;
}

/* Sends the whole spool (connected, nothing buffered) and truncates it. On
 * failure the spool is kept whole and the copies read from it are freed. */
static int replay(redis_sink *s)
{
    replay_context r = {s, 0};
    if (spool_bytes(s->spool) > 0) {
        int rc = spool_for_each(s->spool, replay_record, &r);
        if (rc < 0)
            SINK_ERROR(s, "%s", spool_error(s->spool));
        if (rc == 0)
            rc = advance(s, true);
        if (rc != 0) {
            disconnect(s);
            for (size_t i = 0; i < s->count; i++)
                free(s->flags[i].id);
            s->count = 0;
            return -1;
        }
        if (spool_truncate(s->spool) < 0) {
            SINK_ERROR(s, "%s (its %llu records are in redis; a later replay counts them as duplicates)",
                       spool_error(s->spool), (unsigned long long)r.records);
            note_spool_size(s);
            return -1;
        }
        note_spool_size(s);
    }
    s->stats.replayed += r.records;
    atomic_store(&s->spooling, false);
    s->probe_interval_ms = 0;
    return 0;
}

/* While spooling (nothing buffered): one reconnect attempt, then the replay. */
static int probe(redis_sink *s)
{
    if (!redis_link_context(s->link)) {
        if (connect_and_setup(s) < 0) {
            schedule_probe(s, true);
            note_spooling(s);
            return -1;
        }
        s->stats.reconnects++;
    }
    if (replay(s) < 0) {
        schedule_probe(s, true);
        note_spooling(s);
        return -1;
    }
    return 0;
}

/* ---- the calls ---- */

static int advance_guarded(redis_sink *s, bool drain)
{
    redis_sigpipe_guard guard;
    redis_sigpipe_block(&guard);
    int rc = advance(s, drain);
    if (rc < 0) {
        s->stats.failures++;
        if (s->spool && fail_over(s) == 0)
            rc = 0; /* every flag is in Redis or in the spool */
    }
    redis_sigpipe_restore(&guard);
    return rc;
}

/* Spooling: appends what is buffered to the spool and, when `force` or when
 * the probe interval has passed, tries to reconnect and replay. -1 only when
 * the spool could not be written (the flags stay buffered). */
static int spool_step(redis_sink *s, bool force)
{
    redis_sigpipe_guard guard;
    redis_sigpipe_block(&guard);
    int rc = spill(s);
    if (rc < 0)
        s->stats.failures++;
    else if (force || monotonic_ms() >= s->next_probe_ms)
        (void)probe(s);
    redis_sigpipe_restore(&guard);
    return rc;
}

static sink_result flush(redis_sink *s)
{
    if (!s)
        return SINK_ERROR_ARGUMENT;
    if (atomic_load(&s->spooling))
        return spool_step(s, true) < 0 ? SINK_ERROR_SPOOL : SINK_OK;
    if (s->count == 0)
        return SINK_OK;
    if (advance_guarded(s, true) == 0)
        return SINK_OK;
    return s->spool ? SINK_ERROR_SPOOL : SINK_ERROR_REDIS;
}

static sink_result push(redis_sink *s, const char *flag_id, const char *flag_json, size_t length);

int sink_push(redis_sink *s, const char *flag_id, const char *flag_json, size_t length)
{
    sink_result r = push(s, flag_id, flag_json, length);
    if (s)
        s->last_result = r;
    return r == SINK_OK ? 0 : -1;
}

int sink_flush(redis_sink *s)
{
    sink_result r = flush(s);
    if (s)
        s->last_result = r;
    return r == SINK_OK ? 0 : -1;
}

sink_result sink_last_result(const redis_sink *s)
{
    return s ? s->last_result : SINK_ERROR_ARGUMENT;
}

const char *sink_strerror(sink_result r)
{
    switch (r) {
    case SINK_OK: return "ok";
    case SINK_ERROR_ARGUMENT: return "a missing argument";
    case SINK_ERROR_BAD_FLAG: return "the flag id or JSON is empty or too long";
    case SINK_ERROR_BACKLOG_FULL: return "the backlog of unconfirmed flags is full";
    case SINK_ERROR_MEMORY: return "out of memory";
    case SINK_ERROR_REDIS: return "Redis did not take the flags";
    case SINK_ERROR_SPOOL: return "the spool cannot be written";
    }
    return "unknown error";
}

/* ---- lifetime ---- */

int sink_create(const sink_options *o, redis_sink **out, char *error, size_t error_size)
{
    if (out)
        *out = NULL;
    if (!o || !out) {
        error_message_set(error, error_size, "sink: missing argument");
        return -1;
    }
    const char *prefix = o->prefix ? o->prefix : DEFAULT_PREFIX;
    size_t batch = o->batch ? o->batch : DEFAULT_BATCH;
    if (strlen(prefix) > MAX_PREFIX) {
        error_message_set(error, error_size, "sink: key prefix longer than %d bytes", MAX_PREFIX);
        return -1;
    }
    if (batch > SINK_MAX_BATCH) {
        error_message_set(error, error_size, "sink: batch %zu is larger than %d", batch, SINK_MAX_BATCH);
        return -1;
    }
    redis_sink *s = calloc(1, sizeof *s);
    if (!s) {
        error_message_set(error, error_size, "sink: out of memory");
        return -1;
    }
    redis_options link_options = {.url = o->url, .username = o->username, .password = o->password,
                                  .connect_timeout_ms = o->connect_timeout_ms, .command_timeout_ms = o->command_timeout_ms};
    if (redis_link_create(&link_options, &s->link, error, error_size) < 0) {
        free(s);
        return -1;
    }
    s->batch = batch;
    s->before_send = o->before_send;
    s->before_send_ctx = o->before_send_ctx;
    s->capacity = batch * SINK_BACKLOG_BATCHES;
    s->max_retries = o->max_retries ? o->max_retries : DEFAULT_MAX_RETRIES;
    size_t prefix_length = strlen(prefix);
    s->key_seen = malloc(prefix_length + sizeof "seen");
    s->key_flags = malloc(prefix_length + sizeof "flags");
    s->flags = calloc(s->capacity, sizeof *s->flags);
    s->key_sightings = malloc(prefix_length + sizeof "sightings");
    s->argv = calloc(6 + 2 * batch, sizeof *s->argv);
    s->argvlen = calloc(6 + 2 * batch, sizeof *s->argvlen);
    if (!s->key_seen || !s->key_flags || !s->key_sightings || !s->flags || !s->argv || !s->argvlen) {
        error_message_set(error, error_size, "sink: out of memory");
        sink_destroy(s);
        return -1;
    }
    memcpy(s->key_seen, prefix, prefix_length);
    memcpy(s->key_seen + prefix_length, "seen", sizeof "seen");
    memcpy(s->key_sightings, prefix, prefix_length);
    memcpy(s->key_sightings + prefix_length, "sightings", sizeof "sightings");
    memcpy(s->key_flags, prefix, prefix_length);
    memcpy(s->key_flags + prefix_length, "flags", sizeof "flags");
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    s->rng = (uint64_t)now.tv_nsec ^ ((uint64_t)now.tv_sec << 32) ^ (uint64_t)(uintptr_t)s;
    if (o->spool_path) {
        s->spool_ids = calloc(s->capacity, sizeof *s->spool_ids);
        s->spool_flags = calloc(s->capacity, sizeof *s->spool_flags);
        s->spool_lengths = calloc(s->capacity, sizeof *s->spool_lengths);
        if (!s->spool_ids || !s->spool_flags || !s->spool_lengths) {
            error_message_set(error, error_size, "sink: out of memory");
            sink_destroy(s);
            return -1;
        }
        if (spool_open(o->spool_path, &s->spool, error, error_size) < 0) {
            sink_destroy(s);
            return -1;
        }
        note_spool_size(s);
    }

    redis_sigpipe_guard guard;
    redis_sigpipe_block(&guard);
    int rc = connect_and_setup(s);
    if (rc == 0 && s->spool && spool_bytes(s->spool) > 0) {
        /* A previous run left flags in the spool (killed while spooling): they go first. */
        atomic_store(&s->spooling, true);
        if (replay(s) < 0) {
            schedule_probe(s, true);
            note_spooling(s);
        }
    } else if (rc < 0 && s->spool && !redis_link_permanent(s->link)) {
        /* Redis is away: start spooling (sink_error says why), replay once it is back. */
        atomic_store(&s->spooling, true);
        schedule_probe(s, true);
        note_spooling(s);
        rc = 0;
    }
    redis_sigpipe_restore(&guard);
    if (rc < 0) {
        error_message_set(error, error_size, "%s", s->error);
        sink_destroy(s);
        return -1;
    }
    *out = s;
    if (error && error_size)
        error[0] = '\0';
    return 0;
}

static sink_result push(redis_sink *s, const char *flag_id, const char *flag_json, size_t length)
{
    if (!s)
        return SINK_ERROR_ARGUMENT;
    if (!flag_id || !flag_json) {
        SINK_ERROR(s, "sink: missing flag id or JSON");
        return SINK_ERROR_ARGUMENT;
    }
    size_t id_length = strlen(flag_id);
    if (id_length == 0 || id_length > SINK_MAX_FLAG_ID) {
        SINK_ERROR(s, "sink: flag id is empty or longer than %d bytes", SINK_MAX_FLAG_ID);
        return SINK_ERROR_BAD_FLAG;
    }
    if (length == 0 || length > SINK_MAX_FLAG_JSON) {
        SINK_ERROR(s, "sink: flag %s: JSON is empty or longer than %u bytes", flag_id, SINK_MAX_FLAG_JSON);
        return SINK_ERROR_BAD_FLAG;
    }
    if (s->count >= s->capacity) {
        char last[sizeof s->error];
        snprintf(last, sizeof last, "%s", s->error);
        SINK_ERROR(s, "sink backlog full: %zu flags not confirmed by redis %s (last error: %s)", s->count,
                   redis_link_address(s->link), last[0] ? last : "none");
        return SINK_ERROR_BACKLOG_FULL;
    }
    char *copy = malloc(id_length + 1 + length + 1);
    if (!copy) {
        SINK_ERROR(s, "sink: out of memory");
        return SINK_ERROR_MEMORY;
    }
    memcpy(copy, flag_id, id_length + 1);
    memcpy(copy + id_length + 1, flag_json, length);
    copy[id_length + 1 + length] = '\0';
    s->flags[s->count++] = (pending_flag){copy, id_length, copy + id_length + 1, length};
    s->stats.pushed++;
    if (atomic_load(&s->spooling)) {
        if (s->count % s->batch == 0) /* a batch for the spool (after a spool failure: each batch boundary) */
            (void)spool_step(s, false); /* a failure is counted and kept in s->error; the flag stays buffered */
    } else if ((s->count - s->sent) % s->batch == 0) { /* a batch is full (after a failure: each batch boundary) */
        (void)advance_guarded(s, false); /* a failure is counted and kept in s->error; the flag stays buffered */
    }
    return SINK_OK;
}

size_t sink_pending(const redis_sink *s)
{
    return s ? s->count : 0;
}

const char *sink_error(const redis_sink *s)
{
    return s ? s->error : "sink: no sink";
}

size_t sink_spool_bytes(const redis_sink *s)
{
    return s ? (size_t)atomic_load_explicit(&s->spool_bytes, memory_order_relaxed) : 0;
}

uint64_t sink_spool_records(const redis_sink *s)
{
    return s && s->spool ? spool_records(s->spool) : 0;
}

const char *sink_spool_path(const redis_sink *s)
{
    return s && s->spool ? spool_path(s->spool) : NULL;
}

bool sink_spooling(const redis_sink *s)
{
    return s && atomic_load(&s->spooling);
}

void sink_get_stats(const redis_sink *s, sink_stats *out)
{
    if (!out)
        return;
    if (s)
        *out = s->stats;
    else
        memset(out, 0, sizeof *out);
}

void sink_destroy(redis_sink *s)
{
    if (!s)
        return;
    disconnect(s);
    if (s->spool && s->flags && s->count)
        (void)spill(s); /* unconfirmed flags are kept for the next run (a failure leaves them to be freed) */
    spool_close(s->spool);
    free(s->spool_ids);
    free(s->spool_flags);
    free(s->spool_lengths);
    if (s->flags)
        for (size_t i = 0; i < s->count; i++)
            free(s->flags[i].id);
    free(s->flags);
    free(s->argv);
    free(s->argvlen);
    free(s->key_seen);
    free(s->key_sightings);
    free(s->key_flags);
    redis_link_destroy(s->link);
    free(s);
}

bool sink_permanent_failure(const redis_sink *s)
{
    return s && redis_link_permanent(s->link);
}
