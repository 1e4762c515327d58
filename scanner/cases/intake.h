/* intake: flags from the Redis streams into the case register
 * (docs/cases.md, "Intake"). It reads PREFIXflags and PREFIXsightings
 * through the consumer group `review`, commits each batch to the register,
 * and acknowledges only after the commit: killed at any point, it loses
 * nothing (what it read and did not acknowledge is read again first, from
 * its pending list) and duplicates nothing (the register is idempotent on
 * flag id and scan id). It also publishes the register's decisions to
 * PREFIXdecisions (idempotent: each decision's stream id is 0-SEQ), and
 * trims the flag streams behind every consumer group once entries are
 * older than the retention.
 *
 * One intake per thread (it owns its Redis connection); the register it
 * writes to is thread-safe. */
#ifndef LSCAN_INTAKE_H
#define LSCAN_INTAKE_H

#include <stddef.h>
#include <stdint.h>

#include "scanner/cases/register.h"

typedef struct intake_options {
    const char *redis_url;         /* NULL: redis://127.0.0.1:6379 */
    const char *username, *password;
    const char *prefix;            /* NULL: "lscan:" */
    const char *consumer;          /* the consumer name in the group (NULL: "register") */
    size_t batch;                  /* entries per stream per round (0: 500) */
    int64_t retention_ms;          /* trim acknowledged entries older than this; < 0: never trim (default 24 h) */
} intake_options;

typedef struct intake intake;

/* Connects and creates the groups (an existing one is fine). NULL with a
 * message (Redis unreachable or refusing). */
intake *intake_create(const intake_options *o, case_register *r, char *error, size_t error_size);
void intake_destroy(intake *in);

/* One round: this consumer's pending entries first, then new ones (waiting
 * up to block_ms for some); commit, acknowledge, publish, trim. Returns the
 * entries taken in this round (0: nothing came), or -1 with a message;
 * adds to *stats. */
long intake_step(intake *in, int block_ms, int64_t now_ms, intake_stats *stats, char *error, size_t error_size);

/* Publishes the decisions not published yet. The number published, or -1. */
long intake_publish(intake *in, char *error, size_t error_size);

#endif
