/* flag: a suspected violation as the review queue sees it
 * (contracts/records.md, "Flag"), and its one-sentence explanation.
 * Pure functions of their inputs; thread-safe. */
#ifndef LSCAN_FLAG_H
#define LSCAN_FLAG_H

#include <stdint.h>

#include "rules/base/bytebuf.h"
#include "scanner/evidence/warc.h"
#include "scanner/record/listing.h"
#include "rules/ruleset.h"
#include "workers/fetch.h"

typedef enum flag_language { FLAG_LANGUAGE_VIETNAMESE = 0, FLAG_LANGUAGE_ENGLISH } flag_language;

/* Where and when a crawled listing was seen (records.md, evidence). */
typedef struct flag_evidence {
    const char *url;            /* the URL that served the content (after redirects) */
    const char *fetched_at;     /* RFC 3339 UTC */
    long http_status;
    const char *sha256;         /* hex of the response body as received on the wire */
    const char *requested_url;  /* the URL first asked for; NULL or equal to url when not redirected */
    const fetch_hop *redirects;    /* each hop: its status and the Location it named */
    size_t redirect_count;
    const char *ip;             /* the server's address, or NULL */
    const warc_location *screenshot; /* the listing's screenshot (a resource record), or NULL */
    const warc_location *warc;  /* where the page is archived, or NULL (written as null) */
} flag_evidence;

#define FLAG_MAX_BYTES ((size_t)1 << 20)   /* one flag's JSON at most (the sink's SINK_MAX_FLAG_JSON) */

/* Appends the flag JSON (one line, no newline) for a listing whose match
 * result fired at least one rule. scan_id and evidence may be NULL (lscan
 * match). The flag is bounded (FLAG_MAX_BYTES): overlong listing strings and
 * arrays are cut and named in a "cut" object, and a flag still too big is
 * written again with only the contract's fields. Returns 0 (whole), 1 (cut
 * to fit), or -1 when `out` overflowed (out->overflow set). */
int flag_to_json(const ruleset *rs, const listing *l, const match_result *result, flag_language language,
                 const char *scan_id, const flag_evidence *evidence, bytebuf *out);
/* Appends the explanation: one plain sentence naming each rule and why. */
void flag_explain(const ruleset *rs, const listing_facts *l, const match_result *result, flag_language language,
                  bytebuf *out);
/* 16 lowercase hex digits and a NUL. */
void flag_id_hex(uint64_t id, char out[17]);
/* The score of a fired rule in [0,1]: its severity, raised by each extra signal. */
double flag_rule_score(severity s, size_t signals);

#endif
