/* collisions: how often the packs' terms hit differently accented words in
 * a reference corpus of real Vietnamese text (docs/rules.md, "Marks";
 * `lscan rules check --collisions`). Terms match folded, so "cam" (orange)
 * also finds "cám" (bran) and "cấm" (forbidden); when both sides carry marks
 * the matcher refuses a disagreeing hit, when one side has none it cannot
 * tell. This report names the terms whose hits are mostly other words.
 *
 * Every term of the set is counted: rule terms, list terms and `term:`
 * conditions. A hit is a run of whole words of the corpus's main (folded)
 * view equal to the term's folded words. Library code: silent; one call per
 * thread (it reads the immutable set). */
#ifndef LSCAN_COLLISIONS_H
#define LSCAN_COLLISIONS_H

#include <stddef.h>
#include <stdint.h>

#include "rules/ruleset.h"

#define COLLISIONS_MAX_FILE_BYTES ((size_t)64 << 20)

typedef struct collision_term {
    char *term;           /* as written in the pack */
    char *where;          /* the first place it is written: "file: rule ID", "file: list NAME" */
    uint64_t hits;        /* folded, whole-word occurrences in the corpus */
    uint64_t same;        /* written with the term's marks (or only the case differs) */
    uint64_t refused;     /* marked on both sides, differently: the matcher refuses these */
    uint64_t unmarked;    /* marked on one side only: the matcher keeps these */
    char example[200];    /* the first differently marked text it hit (UTF-8, control characters as spaces) */
} collision_term;

typedef struct collision_report {
    collision_term *terms; /* worst first: differently marked hits, then their share of the hits */
    size_t count;
    uint64_t files, lines, bytes;
} collision_report;

/* Reads each corpus file (at most COLLISIONS_MAX_FILE_BYTES, line by line)
 * and counts the hits of every term of `rs`. Fills *out (the caller frees it
 * with collision_report_free). Returns 0, or -1 with `error` (a file that
 * cannot be read, out of memory). */
int collisions_measure(const ruleset *rs, const char *const *paths, size_t path_count, collision_report *out,
                       char *error, size_t error_size);
void collision_report_free(collision_report *r);

#endif
