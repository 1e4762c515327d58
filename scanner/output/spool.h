/* spool: the sink's local, append-only file of flags Redis has not taken yet
 * (docs/redis.md, "When Redis is away").
 *
 * The file is a sequence of records, little-endian:
 *
 *   [u32 length][u32 crc32][payload: u16 id length, id bytes, flag bytes]
 *
 * where `length` is the payload's size and crc32 is zlib's crc32 of the
 * payload. There is no file header: an empty file is an empty spool.
 *
 * Durability: spool_append_batch writes all records of a batch and then
 * fdatasyncs; when it returns 0 the records survive a crash (kill -9, power
 * loss). A crash in the middle of an append leaves a torn tail (a partial
 * last record, or a last record whose bytes were not all written), which
 * spool_open cuts back to the last good record. A bad record anywhere else is
 * not a crash artifact (the file was damaged, or is not a spool): spool_open
 * refuses it rather than cut good records after it.
 *
 * One writer: spool_open takes an exclusive flock(2) on the file, so a second
 * spool on the same path (in this process or another) fails with "in use";
 * the lock dies with the process, so a killed scan leaves no stale lock.
 *
 * A spool is not thread-safe (one per sink, i.e. per thread). Functions that
 * fail return -1 and leave a message naming the path in spool_error(). */
#ifndef LSCAN_SPOOL_H
#define LSCAN_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define SPOOL_MAX_ID 256u             /* bytes in a record's id */
#define SPOOL_MAX_FLAG (1u << 20)     /* bytes in a record's flag */
#define SPOOL_RECORD_HEADER 8u        /* length + crc32 */
#define SPOOL_MAX_PAYLOAD (2u + SPOOL_MAX_ID + SPOOL_MAX_FLAG)

typedef struct spool spool;

/* Opens (creating it, mode 0600, when missing; its directory must exist) the
 * spool at `path`, locks it, and checks every record: a torn tail is cut
 * (ftruncate + fdatasync) and counted in spool_cut_bytes(); a bad record
 * that is not the tail fails the open. On success *out is a new spool the
 * caller closes with spool_close; on -1 *out is NULL and error (may be NULL)
 * holds why. */
int spool_open(const char *path, spool **out, char *error, size_t error_size);

/* Appends n records (ids NUL-terminated, 1..SPOOL_MAX_ID bytes; flags
 * flag_lengths[i] bytes, 1..SPOOL_MAX_FLAG) with writev and then fdatasync.
 * Returns 0 when all n are durable. On -1 (a bad argument, a write or sync
 * error such as ENOSPC) the file is cut back to its size before the call, so
 * none of the n is in the spool and the caller still owns them. */
int spool_append_batch(spool *sp, const char *const *ids, const char *const *flags, const size_t *flag_lengths,
                       size_t n);

/* Called per record, in append order. id is NUL-terminated; flag is
 * flag_length bytes followed by a NUL (not part of the flag). Both are valid
 * only during the call. Return 0 to go on, a positive value to stop. */
typedef int (*spool_callback)(void *context, const char *id, size_t id_length, const char *flag,
                              size_t flag_length);

/* Reads the records back in order. Returns 0 after the last one, the
 * callback's positive value when it stopped early, or -1 when a record could
 * not be read or is bad (its offset and why in spool_error; the records
 * before it were delivered). */
int spool_for_each(spool *sp, spool_callback callback, void *context);

/* Empties the spool (ftruncate 0 + fdatasync); 0 or -1. */
int spool_truncate(spool *sp);

/* Bytes of records in the spool (0: empty), and how many records. */
uint64_t spool_bytes(const spool *sp);
uint64_t spool_records(const spool *sp);

/* Bytes spool_open cut from a torn tail (0 when the file was whole). */
uint64_t spool_cut_bytes(const spool *sp);

const char *spool_path(const spool *sp);

/* The last error message ("" when none). */
const char *spool_error(const spool *sp);

/* Unlocks and closes; NULL is a no-op. The file stays. */
void spool_close(spool *sp);

#endif
