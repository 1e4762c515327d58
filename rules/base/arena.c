/* A bump allocator: see arena.h. */
#include "rules/base/arena.h"

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FIRST_BLOCK 4096u
#define LARGEST_BLOCK (1u << 20) /* blocks double up to this (a 100k-rule pack fills ~20 of them) */
#define ALIGN 8u                 /* pointers, size_t, double */

struct arena_block {
    arena_block *next;
    alignas(ALIGN) unsigned char data[]; /* the pieces */
};

void arena_init(arena *a)
{
    memset(a, 0, sizeof *a);
}

void arena_free(arena *a)
{
    if (!a)
        return;
    for (arena_block *b = a->blocks, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    arena_init(a);
}

/* A new block for at least `size` bytes, made the newest (a piece larger than
 * a block gets one of its own, put behind the newest so its room is kept). */
static void *new_block(arena *a, size_t size)
{
    size_t block = a->size ? a->size * 2 : FIRST_BLOCK;
    if (block > LARGEST_BLOCK)
        block = LARGEST_BLOCK;
    bool own = size > block / 4;
    size_t bytes = own ? size : block;
    if (bytes > SIZE_MAX - sizeof(arena_block))
        return NULL;
    arena_block *b = malloc(sizeof(arena_block) + bytes);
    if (!b)
        return NULL;
    a->total += bytes;
    if (own && a->blocks) {
        b->next = a->blocks->next;
        a->blocks->next = b;
        return b->data;
    }
    b->next = a->blocks;
    a->blocks = b;
    a->size = bytes;
    a->used = size;
    return b->data;
}

static void *take(arena *a, size_t size, size_t align)
{
    if (a->blocks) {
        size_t at = (a->used + align - 1) & ~(align - 1);
        if (at <= a->size && size <= a->size - at) {
            a->used = at + size;
            return a->blocks->data + at;
        }
    }
    return new_block(a, size);
}

void *arena_alloc(arena *a, size_t size)
{
    return take(a, size ? size : 1, ALIGN);
}

void *arena_calloc(arena *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = arena_alloc(a, count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

char *arena_strdup(arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = take(a, n, 1);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}

char *arena_strndup(arena *a, const char *s, size_t length)
{
    if (length == SIZE_MAX)
        return NULL;
    char *copy = take(a, length + 1, 1);
    if (copy) {
        memcpy(copy, s, length);
        copy[length] = '\0';
    }
    return copy;
}

arena *arena_create(void)
{
    arena *a = malloc(sizeof *a);
    if (a)
        arena_init(a);
    return a;
}

void arena_destroy(arena *a)
{
    if (!a)
        return;
    arena_free(a);
    free(a);
}

void arena_reset(arena *a)
{
    if (!a || !a->blocks)
        return;
    arena_block *keep = a->blocks; /* the newest, the one pieces come from */
    size_t size = a->size;
    for (arena_block *b = keep->next, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    if (size > LARGEST_BLOCK) { /* a huge page made it: let it go */
        free(keep);
        arena_init(a);
        return;
    }
    keep->next = NULL;
    a->used = 0;
    a->total = size;
}
