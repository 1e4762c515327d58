/* hash_set: a set of 64-bit keys (XXH3 hashes of URLs or listings), open
 * addressing, growing by doubling. Not thread-safe: its owner names the
 * lock that guards it. */
#ifndef LSCAN_HASH_SET_H
#define LSCAN_HASH_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hash_set {
    uint64_t *slots;        /* 0 = empty; keys are stored with the low bit set */
    size_t capacity, count;
} hash_set;

int hash_set_init(hash_set *s, size_t initial_capacity);   /* 0 or -1 */
void hash_set_free(hash_set *s);
/* 1 if the key is new (now remembered), 0 if it was there, -1 out of memory. */
int hash_set_insert(hash_set *s, uint64_t key);

#endif
