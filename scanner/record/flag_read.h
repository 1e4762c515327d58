/* flag_read: a flag (contracts/records.md, "Flag") read back from its JSON:
 * the one schema the sink writes and review, the case register, the console
 * and the reports read (flag.h writes it). Borrowed views into the parsed
 * JSON, which the record owns. Not thread-safe: a record belongs to one
 * thread. */
#ifndef LSCAN_FLAG_READ_H
#define LSCAN_FLAG_READ_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct flag_rule_ref {
    const char *id, *kind, *name, *severity, *goods_group;
    double score;
    double reference_price;            /* 0 when the rule has none */
} flag_rule_ref;

typedef struct flag_hit_ref {
    const char *rule, *field, *term;   /* field: "title" or "description" */
    size_t start, end;                 /* byte offsets into that field of the listing */
} flag_hit_ref;

#define FLAG_READ_MAX_RULES 64
#define FLAG_READ_MAX_HITS 256

typedef struct flag_record {
    cJSON *json;                       /* owned: the whole flag */
    const char *flag_id;
    const cJSON *listing;              /* the listing object as the flag carries it */
    const char *platform, *listing_id, *url, *title, *description, *currency, *category;
    bool has_price;
    double price;
    const char *seller_id, *seller_name, *seller_location;
    bool seller_official;
    flag_rule_ref rules[FLAG_READ_MAX_RULES];
    size_t rule_count;
    flag_hit_ref hits[FLAG_READ_MAX_HITS];
    size_t hit_count;
    const cJSON *signals;              /* as written (an array), may be NULL */
    const char *explain, *severity, *pack, *scan_id;
    /* evidence (absent for lscan match's flags) */
    bool has_evidence;
    const char *evidence_url, *requested_url, *fetched_at, *sha256;
    long http_status;
    const cJSON *evidence;             /* the evidence object, may be NULL */
} flag_record;

/* Reads one flag. 0, or -1 with the reason in error (not JSON, not an
 * object, no flag_id, no listing with platform, listing_id and title). The
 * caller frees with flag_record_free on success. */
int flag_read(const char *json, size_t length, flag_record *out, char *error, size_t error_size);
void flag_record_free(flag_record *r);

#endif
