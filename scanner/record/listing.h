/* listing: one listing record (contracts/records.md), parsed from a JSON
 * line or taken from a site adapter's typed record.
 *
 * The parsed JSON is kept whole, unknown fields included, so a flag passes
 * the listing on unchanged. A typed record (what `lscan scan`'s adapters
 * build, listing_record) is written into a flag exactly as its JSON form
 * would be, without building a JSON tree per listing. Strings with invalid UTF-8 are repaired (each
 * bad byte becomes U+FFFD) before anything reads them, so hit offsets refer
 * to the text exactly as lscan writes it out. Not thread-safe: one listing
 * belongs to one thread. */
#ifndef LSCAN_LISTING_H
#define LSCAN_LISTING_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "rules/base/arena.h"
#include "rules/base/bytebuf.h"
#include "rules/ruleset.h"

#define LISTING_MAX_LINE ((size_t)4 << 20)

/* A listing as a site adapter builds it (scanner/extract, add_listing):
 * the members its JSON form has, in that order:
 * platform, listing_id, url, url_source ("page", when url_is_page), title,
 * description, price, price_max, variants, currency,
 * seller {id, name, location, official}, category, is_livestream.
 * Strings are NUL-terminated and borrowed (the page's arena); NULL means
 * the member is absent. A plain struct: thread-safe to read. */
typedef struct listing_record {
    const char *platform, *listing_id, *url;
    bool url_is_page;
    const char *title, *description;
    bool has_price, has_price_max, has_variants;
    double price, price_max, variants;
    const char *currency;
    const char *seller_id, *seller_name, *seller_location;
    bool seller_official;
    const char *category;
    bool has_livestream, is_livestream;
} listing_record;

typedef struct listing {
    cJSON *json;             /* owned: the whole record; NULL for a typed record */
    bool json_in_arena;      /* json lives in the caller's arena (listing_parse_in): not freed here */
    listing_record record;   /* when json is NULL: the typed record, its strings repaired */
    char *repaired;          /* owned: the repaired copies of the record's strings, or NULL */
    listing_facts facts;     /* borrows from json */
    size_t repaired_bytes;   /* invalid UTF-8 bytes replaced */
    size_t json_repairs;     /* lone surrogate or NUL escapes replaced before parsing (json_repair.h) */
} listing;

/* Parses one JSON line. Returns 0, or -1 with the reason in `error` (not
 * JSON, not an object, a required field missing or of the wrong type).
 * On success the caller frees with listing_free. */
int listing_parse(const char *line, size_t length, listing *out, char *error, size_t error_size);
/* The same with the JSON tree (and repaired strings) in `a` instead of the
 * heap: a line's few dozen nodes cost one bump each and no free. The
 * listing must be freed with listing_free before `a` is reset or freed;
 * the tree then goes with the arena. Thread-safe with distinct arenas. */
int listing_parse_in(arena *a, const char *line, size_t length, listing *out, char *error, size_t error_size);
/* Same from an already parsed object, whose ownership passes to the listing
 * (also on failure, when it is freed). */
int listing_from_json(cJSON *json, listing *out, char *error, size_t error_size);
/* From a typed record: borrows its strings (they must outlive the
 * listing), except those with invalid UTF-8, which are repaired into memory
 * the listing owns. Checks the fields as listing_from_json does (same
 * errors). On success the caller frees with listing_free. */
int listing_from_record(const listing_record *r, listing *out, char *error, size_t error_size);
void listing_free(listing *l);
/* The listing's url member when it is a string, else NULL. */
const char *listing_url(const listing *l);

/* Writes a cJSON value as compact JSON; strings are always valid UTF-8. */
void json_write(const cJSON *value, bytebuf *out);
/* Writes a number as json_write writes a cJSON number. */
void json_write_number(double value, bytebuf *out);

#endif
