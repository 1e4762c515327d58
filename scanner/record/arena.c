/* arena: see arena.h. */
#include "scanner/record/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct chunk {
    struct chunk *next;
    size_t size, used;
    alignas(max_align_t) unsigned char data[];
} chunk;

struct arena {
    chunk *head;        /* the chunk allocations come from; older ones follow */
    size_t chunk_size;
    size_t used;
};

#define ALIGN (alignof(max_align_t))

arena *arena_create(size_t chunk_size)
{
    arena *a = calloc(1, sizeof *a);
    if (a)
        a->chunk_size = chunk_size ? chunk_size : (size_t)64 << 10;
    return a;
}

void arena_destroy(arena *a)
{
    if (!a)
        return;
    for (chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(a);
}

void arena_reset(arena *a)
{
    if (!a)
        return;
    chunk *c = a->head, *first = NULL;
    /* the first chunk made is the last in the list: keep it, free the rest */
    while (c) {
        chunk *next = c->next;
        if (!next)
            first = c;
        else
            free(c);
        c = next;
    }
    if (first && first->size > a->chunk_size) { /* one huge allocation made it: let it go */
        free(first);
        first = NULL;
    }
    a->head = first;
    if (first)
        first->used = 0;
    a->used = 0;
}

void *arena_alloc(arena *a, size_t size)
{
    if (!a || size > SIZE_MAX / 4)
        return NULL;
    size_t rounded = (size + ALIGN - 1) & ~(ALIGN - 1);
    chunk *c = a->head;
    if (!c || c->size - c->used < rounded) {
        size_t want = rounded > a->chunk_size ? rounded : a->chunk_size;
        chunk *grown = malloc(sizeof *grown + want);
        if (!grown)
            return NULL;
        grown->size = want;
        grown->used = 0;
        grown->next = c;
        a->head = c = grown;
    }
    void *p = c->data + c->used;
    c->used += rounded;
    a->used += rounded;
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t length)
{
    if (length == SIZE_MAX)
        return NULL;
    char *copy = arena_alloc(a, length + 1);
    if (copy) {
        memcpy(copy, s, length);
        copy[length] = '\0';
    }
    return copy;
}

size_t arena_used(const arena *a)
{
    return a ? a->used : 0;
}
