/* string_set: which strings were seen, and where first (an index the
 * caller chooses). Open addressing on XXH3; strings are borrowed and must
 * outlive the set. Not thread-safe. */
#ifndef LSCAN_STRING_SET_H
#define LSCAN_STRING_SET_H

#include <stddef.h>

typedef struct string_set {
    const char **keys;
    size_t *values;
    size_t capacity, count;   /* capacity: a power of two */
} string_set;

void string_set_init(string_set *s);
void string_set_free(string_set *s);
/* Adds key -> value if the key is new and returns -1; if the key is already
 * there returns its first value (and keeps it). Returns -2 out of memory. */
long string_set_add(string_set *s, const char *key, size_t value);

/* The value of key, or -1 when it is not in the set. */
long string_set_find(const string_set *s, const char *key);

#endif
