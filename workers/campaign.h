/* campaign: what one scan crawls, read from a YAML file (docs/campaigns.md).
 * Mistakes are reported as file:line:col, all at once. String values may
 * name environment variables as ${NAME} (so a campaign can point at a port
 * chosen at run time). A loaded campaign is plain data owned by the caller;
 * threads may read it. */
#ifndef LSCAN_CAMPAIGN_H
#define LSCAN_CAMPAIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diagnostics.h"
#include "yaml_walk.h"

typedef enum adapter_kind {
    ADAPTER_SHOPEE = 0,   /* Shopee v4 search API shape */
    ADAPTER_TIKI,         /* Tiki v2 products API shape */
    ADAPTER_STOREFRONT,   /* HTML pages with schema.org / OpenGraph product data */
    ADAPTER_SOCIAL,       /* Graph-API-like post feeds, prices in captions */
    ADAPTER_JSON,         /* any JSON API, field paths from the campaign */
    ADAPTER_COUNT
} adapter_kind;

/* Dotted paths into a JSON page for the generic adapter ("data.items",
 * "item_basic.name"); NULL when absent. */
typedef struct json_fields {
    char *items, *listing_id, *title, *description, *url, *price, *currency, *seller_id, *seller_name,
        *seller_location, *seller_official, *category, *next_url;
    double price_divisor;          /* price as sent / price_divisor = VND (default 1) */
} json_fields;

typedef struct campaign_target {
    char *name;
    position at;
    adapter_kind adapter;
    char *platform;                /* listing records' platform (default: the adapter's) */
    char *base_url;                /* http(s)://host[:port][/prefix] */
    string_list keywords;          /* searches */
    bool keywords_from_rules;      /* no keywords:, or keywords: auto -> every loaded rule's name */
    bool categories;               /* walk every category page */
    bool details;                  /* fetch each listing's detail page too (descriptions) */
    string_list start_urls;        /* extra start pages (absolute or relative to base_url) */
    string_list follow;            /* storefront: follow only links containing one of these (default: all under base_url) */
    string_list hosts;             /* other origins ("https://cdn.shop.vn") its links and redirects may go to */
    uint64_t max_pages;            /* 0: no limit */
    json_fields fields;            /* ADAPTER_JSON only */
} campaign_target;

typedef struct campaign_limits {
    unsigned per_host_concurrency; /* transfers in flight per host (default 8) */
    double requests_per_second;    /* per host (default 100; 0 = unlimited) */
    size_t max_body_bytes;         /* per response, decoded (default 8 MiB) */
    unsigned connect_timeout_ms;   /* default 3000 */
    unsigned timeout_ms;           /* whole transfer, default 15000 */
    unsigned max_redirects;        /* default 5 */
    unsigned retries;              /* per page after the first attempt, default 4 */
    size_t frontier_max;           /* URLs waiting at most (default 1,000,000) */
    uint64_t max_pages;            /* whole scan; 0: no limit */
    bool gzip;                     /* ask for gzip (default true) */
    unsigned max_retry_after_s;    /* a longer Retry-After gives the page up (default 120) */
    size_t body_memory_bytes;      /* response bodies in flight, all transfers together (default 128 MiB) */
} campaign_limits;

typedef struct campaign {
    char *file;
    char *name;
    char *window_start, *window_end;   /* "2026-05-07", inclusive; may be NULL */
    string_list rules;                 /* rule pack files or directories, relative to the campaign file's folder */
    char *redis_url, *redis_prefix;
    char *redis_user;                  /* ACL user, or NULL ("default") */
    char *redis_password_env;          /* the password is in this environment variable, or */
    char *redis_password_file;         /* in this file (first line); never in the file itself */
    campaign_limits limits;
    campaign_target *targets;
    size_t target_count;
} campaign;

/* Loads a campaign. NULL (and every mistake in diag) if there is any. */
campaign *campaign_load(const char *path, diagnostics *diag);
campaign *campaign_load_string(const char *name, const char *yaml, size_t length, diagnostics *diag);
void campaign_free(campaign *c);
const char *adapter_name(adapter_kind k);

/* Whether a scan of target `t` may fetch `url`: it is under the target's
 * base_url (same scheme, host and port, and the base path on a segment
 * boundary), or on one of the target's `hosts` (same scheme, host and
 * port). Pure; thread-safe. */
bool campaign_target_allows(const campaign_target *t, const char *url);

/* A 64-bit fingerprint of what defines a target (adapter, platform,
 * base_url, hosts, json fields), to tell whether a checkpoint's target is
 * still the same one. */
uint64_t campaign_target_fingerprint(const campaign_target *t);
/* The default platform name an adapter's listings carry. */
const char *adapter_platform(adapter_kind k);

#endif
