/* target: one site a campaign scans, as the extraction layer reads it:
 * which adapter, where (base_url and other allowed hosts), what to start
 * from, and for the json adapter the field paths. Plain data, loaded by the
 * campaign (scanner/pipeline/campaign.h) and owned by it; threads may read
 * it. */
#ifndef LSCAN_TARGET_H
#define LSCAN_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/base/yaml_walk.h"

typedef enum adapter_kind {
    ADAPTER_SHOPEE = 0,   /* Shopee v4 search API shape */
    ADAPTER_TIKI,         /* Tiki v2 products API shape */
    ADAPTER_STOREFRONT,   /* HTML pages with schema.org / OpenGraph product data */
    ADAPTER_SOCIAL,       /* Graph-API-like post feeds, prices in captions */
    ADAPTER_JSON,         /* any JSON API, field paths from the campaign */
    ADAPTER_LAZADA,       /* Lazada catalog search JSON (mods.listItems) */
    ADAPTER_SENDO,        /* Sendo search API JSON (data) */
    ADAPTER_TIKTOK,       /* TikTok Shop product lists (data.products) */
    ADAPTER_COUNT
} adapter_kind;

/* Dotted paths into a JSON page for the generic adapter ("data.items",
 * "item_basic.name"); NULL when absent. */
typedef struct json_fields {
    char *items, *listing_id, *title, *description, *url, *price, *currency, *seller_id, *seller_name,
        *seller_location, *seller_official, *category, *next_url;
    char *url_template;            /* "/product/{shopid}/{itemid}": each {path} an item's value, resolved
                                      against the target's site (site_url, else base_url's origin) */
    double price_divisor;          /* price as sent / price_divisor = the amount in its currency (default 1) */
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
    char *currency;                /* ISO 4217 of prices that neither the item nor the page names
                                      (campaign `currency:`, normalized); NULL: unknown */
    char *site_url;                /* where people see the listings (campaign `site_url:`); NULL:
                                      base_url's origin. Relative item links resolve against it */
    json_fields fields;            /* ADAPTER_JSON only */
    bool robots_ignore;            /* `robots: ignore`: robots.txt is not asked (only with a reason) */
    char *robots_reason;           /* `reason:` why (logged, in the summary and the WARC warcinfo) */
    size_t base_prefix;            /* set by campaign_target_prepare: base_url's length without trailing '/'
                                      when a byte prefix decides "under base_url"; 0: always parse */
} campaign_target;

/* The adapter's name as a campaign writes it ("shopee"), and the platform
 * name its listings carry by default. */
const char *adapter_name(adapter_kind k);
const char *adapter_platform(adapter_kind k);
/* The adapter named `name`, or ADAPTER_COUNT. */
adapter_kind adapter_named(const char *name);

/* Whether a scan of target `t` may fetch `url`: it is under the target's
 * base_url (same scheme, host and port, and the base path on a segment
 * boundary), or on one of the target's `hosts` (same scheme, host and
 * port). Pure; thread-safe. */
bool campaign_target_allows(const campaign_target *t, const char *url);

/* Precomputes what campaign_target_allows uses to answer without parsing
 * a URL that starts with base_url (t->base_prefix). Call it once base_url is
 * set, and again whenever base_url changes; a target never prepared is
 * still answered right, only slower. Not thread-safe (it writes t). */
void campaign_target_prepare(campaign_target *t);

/* A 64-bit fingerprint of what defines a target (adapter, platform,
 * base_url, hosts, json fields, currency, site_url), to tell whether a checkpoint's target is
 * still the same one. Pure; thread-safe. */
uint64_t campaign_target_fingerprint(const campaign_target *t);

#endif
