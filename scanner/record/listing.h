/* listing: one listing record (contracts/records.md) parsed from a JSON line.
 *
 * The parsed JSON is kept whole, unknown fields included, so a flag passes
 * the listing on unchanged. Strings with invalid UTF-8 are repaired (each
 * bad byte becomes U+FFFD) before anything reads them, so hit offsets refer
 * to the text exactly as lscan writes it out. Not thread-safe: one listing
 * belongs to one thread. */
#ifndef LSCAN_LISTING_H
#define LSCAN_LISTING_H

#include <cJSON.h>
#include <stddef.h>

#include "rules/base/bytebuf.h"
#include "rules/ruleset.h"

#define LISTING_MAX_LINE ((size_t)4 << 20)

typedef struct listing {
    cJSON *json;             /* owned: the whole record */
    listing_facts facts;     /* borrows from json */
    size_t repaired_bytes;   /* invalid UTF-8 bytes replaced */
    size_t json_repairs;     /* lone surrogate or NUL escapes replaced before parsing (json_repair.h) */
} listing;

/* Parses one JSON line. Returns 0, or -1 with the reason in `error` (not
 * JSON, not an object, a required field missing or of the wrong type).
 * On success the caller frees with listing_free. */
int listing_parse(const char *line, size_t length, listing *out, char *error, size_t error_size);
/* Same from an already parsed object, whose ownership passes to the listing
 * (also on failure, when it is freed). */
int listing_from_json(cJSON *json, listing *out, char *error, size_t error_size);
void listing_free(listing *l);

/* Writes a cJSON value as compact JSON; strings are always valid UTF-8. */
void json_write(const cJSON *value, bytebuf *out);

#endif
