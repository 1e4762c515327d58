#include "rules/base/hash_set.h"

#include <stdlib.h>

int hash_set_init(hash_set *s, size_t initial_capacity)
{
    size_t capacity = 64;
    while (capacity < initial_capacity)
        capacity *= 2;
    s->slots = calloc(capacity, sizeof *s->slots);
    s->capacity = s->slots ? capacity : 0;
    s->count = 0;
    return s->slots ? 0 : -1;
}

void hash_set_free(hash_set *s)
{
    free(s->slots);
    s->slots = NULL;
    s->capacity = s->count = 0;
}

int hash_set_insert(hash_set *s, uint64_t key)
{
    key |= 1;
    if ((s->count + 1) * 2 > s->capacity) {
        size_t capacity = s->capacity ? s->capacity * 2 : 64;
        uint64_t *grown = calloc(capacity, sizeof *grown);
        if (!grown)
            return -1;
        for (size_t i = 0; i < s->capacity; i++) {
            uint64_t k = s->slots[i];
            if (!k)
                continue;
            size_t j = (size_t)k & (capacity - 1);
            while (grown[j])
                j = (j + 1) & (capacity - 1);
            grown[j] = k;
        }
        free(s->slots);
        s->slots = grown;
        s->capacity = capacity;
    }
    size_t i = (size_t)key & (s->capacity - 1);
    for (; s->slots[i]; i = (i + 1) & (s->capacity - 1))
        if (s->slots[i] == key)
            return 0;
    s->slots[i] = key;
    s->count++;
    return 1;
}
