/* arena: a bump allocator for many small pieces that live and die together
 * (a rule pack's strings, lists and conditions; a page's listing records):
 * no per-piece header or
 * rounding, one free for all. Pieces come from blocks of growing size
 * (malloc'd); a piece larger than a block gets a block of its own. An arena
 * belongs to one thread while it is filled; what it holds may then be read by
 * any number of threads. */
#ifndef LSCAN_ARENA_H
#define LSCAN_ARENA_H

#include <stddef.h>

typedef struct arena_block arena_block;

typedef struct arena {
    arena_block *blocks;     /* the newest first */
    size_t used, size;       /* in the newest block */
    size_t total;            /* bytes of every block, for accounting */
} arena;

/* An empty arena (allocates nothing until the first piece). */
void arena_init(arena *a);
/* Frees every block; the arena is empty again (and may be reused). NULL is a no-op. */
void arena_free(arena *a);

/* `size` bytes aligned for any of the types a pack holds (pointers, size_t,
 * double), or NULL out of memory. The piece lives until arena_free; never
 * free() it. */
void *arena_alloc(arena *a, size_t size);
/* count * size zeroed bytes (NULL on overflow or out of memory). */
void *arena_calloc(arena *a, size_t count, size_t size);
/* A copy of the string (no alignment padding), or NULL out of memory. */
char *arena_strdup(arena *a, const char *s);
/* A NUL-terminated copy of s[0..length), or NULL out of memory. */
char *arena_strndup(arena *a, const char *s, size_t length);

/* The same on the heap, for an owner that keeps a handle (a page's listing
 * records): an empty arena, or NULL out of memory; arena_destroy frees its
 * blocks and itself (NULL is a no-op). */
arena *arena_create(void);
void arena_destroy(arena *a);
/* Forgets every piece for the next use: keeps the newest block when it is
 * of ordinary size (so the next page allocates nothing), frees the others.
 * NULL is a no-op. */
void arena_reset(arena *a);

#endif
