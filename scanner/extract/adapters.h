/* adapters: how lscan reads each kind of site. An adapter names the start
 * pages of a campaign target, and turns a fetched page into listing records
 * (contracts/records.md, as cJSON objects) and the links worth following.
 * Pure functions of their inputs: thread-safe. */
#ifndef LSCAN_ADAPTERS_H
#define LSCAN_ADAPTERS_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "scanner/extract/target.h"
#include "rules/base/arena.h"
#include "scanner/record/listing.h"
#include "workers/counters.h"

typedef enum page_kind {
    PAGE_LISTING = 0,    /* a page of listings (search, category, seller, feed) */
    PAGE_CATEGORIES,     /* a list of categories, each a listing page */
    PAGE_DETAIL,         /* one listing with its description */
    PAGE_HTML            /* an HTML page: its products, and links to follow */
} page_kind;

typedef struct discovered_link {
    char *url;           /* absolute, owned */
    page_kind kind;
} discovered_link;

typedef struct adapter_result {
    cJSON *listings;              /* array of listing records, owned */
    /* Set by the caller before adapter_parse (`lscan scan`): the listings
     * the site adapters build go to `records` instead of `listings`, with
     * the same members, without a JSON tree each. Listings read from an
     * HTML page's structured data still go to `listings`; a page gives
     * one kind or the other, never both. */
    bool typed;
    listing_record *records;      /* owned; record_count of them, in the order found */
    size_t record_count, record_capacity;
    arena *arena;                 /* owned: the records' strings and the page's JSON tree, emptied by adapter_result_reset */
    discovered_link *links;
    size_t link_count, link_capacity;
    bool parse_failed;            /* the page was not what the adapter expects */
    size_t json_repairs;          /* bad string escapes repaired before parsing (json_repair.h) */
    size_t embedded_errors;       /* JSON embedded in an HTML page that did not parse (counted, never fatal) */
    size_t dropped[ITEM_DROP_COUNT]; /* items of the page that gave no listing, by reason (never silent) */
} adapter_result;

void adapter_result_init(adapter_result *r);
void adapter_result_reset(adapter_result *r);
void adapter_result_free(adapter_result *r);

/* The start pages of a target (its keywords, categories and start_urls);
 * `keywords` replace the target's own when it says `keywords: auto`. */
int adapter_seed(const campaign_target *t, const char *const *keywords, size_t keyword_count, adapter_result *out);
/* Reads one fetched page. Returns 0, or -1 when the page cannot be read
 * (not JSON, not the expected shape): the reason goes to `error` and
 * out->parse_failed is set. Never crashes on hostile input. */
int adapter_parse(const campaign_target *t, page_kind kind, const char *url, const char *body, size_t length,
                  adapter_result *out, char *error, size_t error_size);

#endif
