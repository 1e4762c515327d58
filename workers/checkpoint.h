/* checkpoint: the file a crawl's state is saved in, so a killed scan can go
 * on where it was (docs/campaigns.md, "Crashes and restarts").
 *
 * File: "LSCANCK2", u32 size of the counters, the counters (u64 each), then
 * records 'T' (u32 index, u64 fingerprint, u16 name length, name: one per
 * target), 'U' (u32 target, u16 kind, u16 attempt, u32 length, URL: a URL
 * still to fetch) and 'K' (u64: the key of a URL seen), then 'E', then a
 * CRC-32 of everything before it. Little-endian x86-64 layout, like the
 * spool; not meant to move between machines. Written to PATH.tmp, fsynced,
 * renamed over PATH: a crash leaves the old checkpoint or the new one.
 *
 * What the records mean (which target an index is, how counters map) is the
 * caller's; this module only writes and reads them. Not thread-safe: a
 * writer or a read belongs to one thread. */
#ifndef LSCAN_CHECKPOINT_H
#define LSCAN_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

typedef struct checkpoint_writer checkpoint_writer;

/* Starts PATH.tmp with the magic and the counters. NULL with a message. */
checkpoint_writer *checkpoint_begin(const char *path, const uint64_t *counters, size_t counter_count, char *error,
                                    size_t error_size);
void checkpoint_put_target(checkpoint_writer *w, uint32_t index, uint64_t fingerprint, const char *name);
void checkpoint_put_url(checkpoint_writer *w, const char *url, uint32_t target, uint16_t kind, uint16_t attempt);
void checkpoint_put_key(checkpoint_writer *w, uint64_t key);
/* Ends the file, fsyncs and renames it over PATH; frees the writer. 0, or
 * -1 with a message (PATH is then untouched). */
int checkpoint_commit(checkpoint_writer *w, char *error, size_t error_size);

/* What a read hands back, record by record; each returns 0 to go on, or -1
 * to stop the read (it then fails with the callback's message). */
typedef struct checkpoint_visitor {
    int (*counters)(void *ctx, const uint64_t *values, size_t count);
    int (*target)(void *ctx, uint32_t index, uint64_t fingerprint, const char *name, size_t name_length);
    int (*url)(void *ctx, const char *url, size_t length, uint32_t target, uint16_t kind, uint16_t attempt);
    int (*key)(void *ctx, uint64_t key);
} checkpoint_visitor;

/* Reads PATH: 1 when there is no such file, 0 when every record was read,
 * -1 with a message (not a checkpoint, damaged, counters of another size,
 * or a callback stopped it: its own message is kept when it wrote one). */
int checkpoint_read(const char *path, size_t counter_count, const checkpoint_visitor *v, void *ctx, char *error,
                    size_t error_size);

#endif
