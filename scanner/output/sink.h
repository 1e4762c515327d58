/* sink: pushes flags into the Redis review stream (docs/redis.md).
 *
 * Flags are buffered and sent in batches; each batch is one EVALSHA of a Lua
 * script that, per flag, does "SADD PREFIXseen id; if it was new, XADD
 * PREFIXflags * flag_id id flag json". The script is atomic per batch and
 * idempotent, so a batch whose reply was lost can be sent again, and a second
 * scan never duplicates a flag. A full batch is appended with
 * redisAppendCommandArgv and written at once, without waiting for its reply;
 * up to SINK_PIPELINE batches are in flight, and a reply is read when the
 * window is full or on sink_flush. So Redis runs one batch while the caller
 * fills the next. When the connection
 * is lost the sink reconnects with exponential backoff (50 ms .. 2 s, with
 * jitter) and resends what Redis has not confirmed.
 *
 * With a spool file (sink_options.spool_path, scanner/spool.h) an outage
 * does not stop the scan: when a flush gives up, the unconfirmed flags are
 * appended to the spool (fdatasync per batch) and the sink is "spooling":
 * later pushes go to the spool a batch at a time, and the sink tries to
 * reconnect on every sink_flush and, from sink_push, at most once a second
 * (backing off to 8 s). Once Redis answers, the whole spool is replayed
 * through the same idempotent script, then truncated. A flag leaves memory
 * only after Redis confirmed its batch or the spool's fdatasync returned.
 *
 * One sink per thread: a sink owns its connection and is not thread-safe.
 * There is no global mutable state; different sinks may be used concurrently
 * from different threads. Functions that fail return -1 and leave a message
 * (naming host:port and what failed first) in sink_error(). */
#ifndef LSCAN_SINK_H
#define LSCAN_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sink_options {
    const char *url;            /* "redis://127.0.0.1:6379" (optionally "/DB"); only host:port and db.
                                   NULL: "redis://127.0.0.1:6379" */
    const char *prefix;         /* key prefix; NULL: "lscan:" */
    size_t batch;               /* flags per script call; 0: 100 (at most SINK_MAX_BATCH) */
    unsigned connect_timeout_ms; /* 0: 2000 */
    unsigned command_timeout_ms; /* 0: 5000 */
    unsigned max_retries;       /* reconnect attempts per flush before giving up; 0: 5 */
    const char *spool_path;     /* the spool file (its directory must exist; one sink per file, it is
                                   locked); NULL: no spool, flags wait in memory (bounded backlog) */
    const char *username;       /* Redis 6 ACL user for AUTH, or NULL ("default") */
    const char *password;       /* AUTH after each connect when not NULL (copied; wiped on destroy) */
    /* Called before buffered flags leave the process (a batch to Redis or to
     * the spool), on the sink's thread: the scan makes the archive records
     * its flags point at durable there (one fdatasync per batch, not per
     * page). May be NULL. */
    void (*before_send)(void *ctx);
    void *before_send_ctx;
} sink_options;

typedef struct sink_stats {
    uint64_t pushed;      /* flags accepted by sink_push */
    uint64_t added;       /* flags Redis confirmed as new (XADDed) */
    uint64_t duplicates;  /* flags Redis confirmed as already seen (not XADDed) */
    uint64_t flushes;     /* script calls (batches) Redis answered */
    uint64_t reconnects;  /* successful reconnections after a lost connection */
    uint64_t failures;    /* flushes that gave up (without a spool sink_flush returned -1), and
                             failed spool writes */
    uint64_t spooled;     /* flags appended to the spool */
    uint64_t replayed;    /* spool records Redis confirmed in a replay (then the spool was truncated);
                             they are in added or duplicates too */
} sink_stats;

/* Why the last sink_push or sink_flush returned -1 (sink_last_result); the
 * detail (the Redis error, the spool's errno) is in sink_error(). */
typedef enum sink_result {
    SINK_OK = 0,
    SINK_ERROR_ARGUMENT = -1,      /* no sink, no id or JSON */
    SINK_ERROR_BAD_FLAG = -2,      /* the id or JSON is empty or longer than its bound */
    SINK_ERROR_BACKLOG_FULL = -3,  /* batch * SINK_BACKLOG_BATCHES flags unconfirmed and no spool to move them to */
    SINK_ERROR_MEMORY = -4,
    SINK_ERROR_REDIS = -5,         /* flush: Redis did not confirm (without a spool); the flags stay buffered */
    SINK_ERROR_SPOOL = -6          /* flush: the spool cannot be written; the flags stay buffered */
} sink_result;

const char *sink_strerror(sink_result r);


/* A sink: one Redis connection and its buffer of unconfirmed flags. Opaque. */
typedef struct redis_sink redis_sink;

/* The cause of the last failed sink_push or sink_flush (SINK_OK after a
 * success). */
sink_result sink_last_result(const redis_sink *s);

#define SINK_MAX_BATCH 10000           /* largest batch option */
#define SINK_BACKLOG_BATCHES 8          /* at most batch * 8 flags buffered */
#define SINK_PIPELINE 4                 /* batches appended before reading replies */
#define SINK_MAX_FLAG_ID 256            /* bytes in a flag id */
#define SINK_MAX_FLAG_JSON (1u << 20)   /* bytes in one flag's JSON */

/* Creates a sink: connects (connect timeout), authenticates (AUTH, when a
 * password is given), selects the db, loads the script (SCRIPT LOAD) and creates the consumer group 'review' on PREFIXflags
 * with MKSTREAM (an existing group is fine). Does not retry: when Redis is
 * unreachable it fails at once with a message naming host:port. On success
 * *out is a new sink the caller frees with sink_destroy; on -1 *out is NULL
 * and error (may be NULL) holds why. The options' strings are copied.
 *
 * With spool_path: the spool is opened first (a torn tail from a crash is
 * cut; a damaged spool or one locked by another sink fails the create). When
 * it holds records (a previous run stopped while spooling) and Redis is
 * reachable, they are replayed before sink_create returns. When Redis is
 * unreachable, sink_create still succeeds, in spooling mode
 * (sink_spooling() is true, sink_error() describes the outage); a permanent
 * refusal (sink_permanent_failure) fails it even with a spool. */
int sink_create(const sink_options *o, redis_sink **out, char *error, size_t error_size);

/* Buffers one flag (id and JSON are copied; the JSON need not be
 * NUL-terminated). When `batch` unsent flags are buffered it sends them as
 * one batch, blocking only to read the oldest reply when SINK_PIPELINE
 * batches are in flight (and to reconnect). Returns 0
 * when the flag was accepted: it will reach Redis with a later flush, even if
 * the flush this push triggered failed (that failure is counted in
 * stats.failures and described by sink_error; sink_flush reports it again).
 * Returns -1 when the flag was NOT accepted: the backlog is full
 * (batch * SINK_BACKLOG_BATCHES flags unconfirmed, "sink backlog full"), the
 * id or JSON is empty or too long, or memory ran out.
 * With a spool a flush that gave up moves the flags to the spool instead
 * (stats.spooled), and while spooling a push buffers at most a batch before
 * appending it to the spool; so the backlog fills only when the spool cannot
 * be written either. */
int sink_push(redis_sink *s, const char *flag_id, const char *flag_json, size_t length);

/* Sends everything buffered, SINK_PIPELINE batches per round trip, and
 * returns 0 when Redis confirmed all of it. On a lost connection (or a
 * command timeout) it reconnects with backoff and resends the unconfirmed
 * batches (safe: the script is idempotent). Returns -1 after max_retries
 * reconnect attempts, or when Redis answers a batch with an error; the
 * unconfirmed flags stay buffered (nothing is lost) and a later sink_flush
 * tries again.
 *
 * With a spool, instead of returning -1 it appends the unconfirmed flags to
 * the spool and returns 0 (every flag is then in Redis or durably in the
 * spool; the failure is counted and described by sink_error). While
 * spooling it appends what is buffered to the spool and tries one reconnect;
 * when that works it replays the spool and truncates it. It returns -1 only
 * when the spool could not be written (the flags stay buffered). So after 0,
 * sink_pending() is 0 and sink_spool_bytes() says what waits in the spool. */
int sink_flush(redis_sink *s);

/* Flags buffered and not yet confirmed by Redis. */
size_t sink_pending(const redis_sink *s);

/* Bytes of records in the spool (0: none, or no spool). Unlike the other
 * calls it may be called from any thread (for a progress line). */
size_t sink_spool_bytes(const redis_sink *s);

/* Flags (records) in the spool now; 0 without a spool. Call from the
 * sink's own thread. */
uint64_t sink_spool_records(const redis_sink *s);

/* The spool's path as given in the options, or NULL without a spool. */
const char *sink_spool_path(const redis_sink *s);

/* True while flags go to the spool instead of Redis (Redis was unreachable
 * and has not been reached since). May be called from any thread. */
bool sink_spooling(const redis_sink *s);

/* True when the last failure was not an outage but a refusal that waiting
 * will not mend: AUTH refused (NOAUTH, WRONGPASS), no permission (NOPERM),
 * a database that does not exist, the stream key of another type. Then
 * sink_create fails even with a spool, reconnects stop at once, and the
 * caller should stop rather than spool forever. */
bool sink_permanent_failure(const redis_sink *s);

/* The last error message ("" when none); valid until the next call on s. */
const char *sink_error(const redis_sink *s);

/* Copies the counters into *out. */
void sink_get_stats(const redis_sink *s, sink_stats *out);

/* Closes the connection and frees the sink and whatever is still buffered
 * (it does not flush: call sink_flush first). With a spool, what is still
 * buffered is appended to the spool first, so the next run replays it.
 * NULL is a no-op. */
void sink_destroy(redis_sink *s);

#endif
