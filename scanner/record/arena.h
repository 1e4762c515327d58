/* arena: bump allocation for what lives as long as one page (its typed
 * listing records and their strings), freed all at once.
 *
 * Allocation takes memory from the current chunk and starts a new chunk
 * (malloc) when it is full; nothing is freed one by one. arena_reset
 * empties the arena for the next page and keeps only its first chunk, so
 * a huge page does not pin its memory afterwards. Not thread-safe: an
 * arena belongs to one thread at a time. */
#ifndef LSCAN_ARENA_H
#define LSCAN_ARENA_H

#include <stddef.h>

typedef struct arena arena;

/* An empty arena whose chunks are at least `chunk_size` bytes (0: 64 KiB).
 * NULL when out of memory. Free with arena_destroy. */
arena *arena_create(size_t chunk_size);
/* Frees every chunk; NULL is a no-op. */
void arena_destroy(arena *a);
/* Forgets every allocation (their memory is reused); keeps the first chunk. */
void arena_reset(arena *a);
/* `size` bytes aligned for any type, valid until the next reset or destroy;
 * NULL when out of memory or `size` is absurd. */
void *arena_alloc(arena *a, size_t size);
/* A NUL-terminated copy of s[0..length) in the arena, or NULL. */
char *arena_strndup(arena *a, const char *s, size_t length);
/* Bytes handed out since the last reset (for bounds and tests). */
size_t arena_used(const arena *a);

#endif
