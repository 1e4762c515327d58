/* recheck: fetch a case's listing again, archive it, and say what became
 * of it (docs/evidence.md, "Re-checks"): still online and unchanged,
 * changed (price, title, seller), or removed (HTTP 404 or 410, or a "product
 * not found" page). Each re-check is archived as WARC records like a scan's
 * pages and recorded in the case register as a sighting, so a takedown is
 * proven by the register and the archive together.
 *
 * A re-check only fetches a URL a target of the campaign covers (its hosts),
 * with the campaign's limits, and follows redirects only on those hosts.
 * It obeys robots.txt as a scan does (workers/robots.h; one cache per
 * recheck_cases call, Crawl-delay spacing the cases of one site): a URL the
 * file forbids, or whose file is unreachable, is not fetched and comes back
 * RECHECK_DISALLOWED with the reason. A target with `robots: ignore` is
 * fetched regardless; its reason is in the re-check WARC's warcinfo and on
 * the sighting (evidence "recheck": {"robots_ignored": REASON}).
 * Not thread-safe: one recheck run at a time per register handle is fine
 * (the register is thread-safe; the fetcher here is the caller's thread's). */
#ifndef LSCAN_RECHECK_H
#define LSCAN_RECHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/cases/register.h"
#include "scanner/evidence/warc.h"
#include "scanner/pipeline/campaign.h"

typedef enum recheck_outcome {
    RECHECK_UNCHANGED = 0,  /* online, title, price and seller as the case has them */
    RECHECK_CHANGED,        /* online, something changed (changes names what) */
    RECHECK_REMOVED,        /* 404, 410, or a page saying the product is gone */
    RECHECK_UNREADABLE,     /* online, but no product could be read from the page */
    RECHECK_FAILED,         /* no answer (network, 5xx after retries, 403...): nothing recorded */
    RECHECK_DISALLOWED      /* robots.txt forbids the URL (or is unreachable): not fetched, nothing recorded */
} recheck_outcome;

const char *recheck_outcome_name(recheck_outcome o);           /* "unchanged", ..., "disallowed" */
const char *recheck_outcome_label(recheck_outcome o, bool vi); /* "Vẫn còn, không đổi", ... */

typedef struct recheck_result {
    char case_id[64];
    recheck_outcome outcome;
    long http_status;
    char changes[128];        /* "price,title" ("" when none) */
    char detail[512];         /* why it failed, or what changed */
    bool archived;
    warc_location where;      /* the response record, when archived */
    const char *robots_reason;  /* robots.txt was not asked (`robots: ignore`): why; borrowed from the campaign,
                                   NULL when it was obeyed */
} recheck_result;

typedef struct recheck_options {
    const campaign *campaign;      /* whose targets and limits apply (borrowed) */
    case_register *reg;            /* borrowed */
    const char *evidence_dir;      /* where the WARC records go */
    const char *software;          /* for the warcinfo */
    const char *operator_name;
    unsigned attempts;             /* per case, for timeouts and 5xx; 0: the campaign's retries + 1 (at most 5) */
} recheck_options;

/* Re-checks each case; results[i] says what became of ids[i]. Returns 0,
 * or -1 when nothing could be done at all (the archive cannot be opened,
 * out of memory), with a message. A case that cannot be re-checked has
 * RECHECK_FAILED (or RECHECK_DISALLOWED) and its reason in detail; the
 * others are in the register when this returns. */
int recheck_cases(const recheck_options *o, const char *const *ids, size_t count, recheck_result *results, char *error,
                  size_t error_size);

/* What changed between the case and what the page shows now: appends
 * "title", "price", "seller" to changes (comma-separated). Either side's
 * missing value is not a change. Exposed for tests. */
void recheck_compare(const char *old_title, const double *old_price, const char *old_seller, const char *new_title,
                     const double *new_price, const char *new_seller, char *changes, size_t size);

#endif
