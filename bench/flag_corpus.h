/* flag_corpus: realistic flag documents for the register's benchmarks
 * (bench-cases, bench-console): distinct listings on five platforms, six
 * titles, seller locations in many spellings, every severity, about 1.2 KB
 * each as the sink writes them. Built before any clock starts. */
#ifndef LSCAN_FLAG_CORPUS_H
#define LSCAN_FLAG_CORPUS_H

#include <stddef.h>

typedef struct flag_row {
    const char *platform, *title, *location, *severity;
    char listing_id[24], flag_id[17], case_id[17], seller_id[24];
    double price;
} flag_row;

typedef struct flag_corpus {
    char *data;
    size_t *starts;    /* count + 1 */
    flag_row *rows;    /* the values each document holds, for plain inserts */
    size_t count;
} flag_corpus;

/* 0, or -1 out of memory. Deterministic. */
int flag_corpus_build(flag_corpus *c, size_t count);
void flag_corpus_free(flag_corpus *c);
/* Document i and its length. */
const char *flag_corpus_doc(const flag_corpus *c, size_t i, size_t *length);

#endif
