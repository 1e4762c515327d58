#include "rules/base/string_set.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

void string_set_init(string_set *s)
{
    memset(s, 0, sizeof *s);
}

void string_set_free(string_set *s)
{
    free(s->keys);
    free(s->values);
    memset(s, 0, sizeof *s);
}

static int grow(string_set *s)
{
    size_t capacity = s->capacity ? s->capacity * 2 : 16;
    const char **keys = calloc(capacity, sizeof *keys);
    size_t *values = calloc(capacity, sizeof *values);
    if (!keys || !values) {
        free(keys);
        free(values);
        return -1;
    }
    for (size_t i = 0; i < s->capacity; i++) {
        if (!s->keys[i])
            continue;
        size_t j = (size_t)XXH3_64bits(s->keys[i], strlen(s->keys[i])) & (capacity - 1);
        while (keys[j])
            j = (j + 1) & (capacity - 1);
        keys[j] = s->keys[i];
        values[j] = s->values[i];
    }
    free(s->keys);
    free(s->values);
    s->keys = keys;
    s->values = values;
    s->capacity = capacity;
    return 0;
}

long string_set_add(string_set *s, const char *key, size_t value)
{
    if ((s->count + 1) * 2 > s->capacity && grow(s) < 0)
        return -2;
    size_t i = (size_t)XXH3_64bits(key, strlen(key)) & (s->capacity - 1);
    for (; s->keys[i]; i = (i + 1) & (s->capacity - 1))
        if (!strcmp(s->keys[i], key))
            return (long)s->values[i];
    s->keys[i] = key;
    s->values[i] = value;
    s->count++;
    return -1;
}

long string_set_find(const string_set *s, const char *key)
{
    if (!s->capacity)
        return -1;
    size_t i = (size_t)XXH3_64bits(key, strlen(key)) & (s->capacity - 1);
    for (; s->keys[i]; i = (i + 1) & (s->capacity - 1))
        if (!strcmp(s->keys[i], key))
            return (long)s->values[i];
    return -1;
}
