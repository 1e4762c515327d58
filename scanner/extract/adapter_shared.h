/* adapter_shared: what every site adapter uses (scanner/extract only):
 * adding links and listing records to a result, reading JSON by dotted
 * paths. Pure helpers; thread-safe on distinct results. */
#ifndef LSCAN_ADAPTER_SHARED_H
#define LSCAN_ADAPTER_SHARED_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "scanner/extract/adapters.h"

#define ADAPTER_MAX_LINKS 8192

/* Adds a link (taking ownership of url; NULL is ignored); beyond
 * ADAPTER_MAX_LINKS it is dropped. */
void add_link_owned(adapter_result *r, char *url, page_kind kind);
/* Follows a dotted path ("data.items", "item_basic.name", "items.0"). */
const cJSON *json_path(const cJSON *root, const char *path);
/* The member `key` of object o, matched with its exact case as json_path
 * does (cJSON_GetObjectItem compares ignoring case, a slower loop that was
 * a tenth of a JSON page's adapter time); NULL when absent or o is not an
 * object. Thread-safe. */
static inline cJSON *json_member(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}
/* A string or a number as text (ids are numbers in some APIs). */
bool json_text(const cJSON *v, char *out, size_t size);
/* Adds name: value as a string when value is a string or a number. */
void add_string(cJSON *object, const char *name, const cJSON *value);

/* Where a listing's fields are in an item (NULL: absent). */
typedef struct listing_fields {
    const cJSON *id, *title, *description, *price, *currency, *seller_id, *seller_name, *seller_location,
        *seller_official, *category, *livestream;
    double price_divisor;
    const char *url;              /* built by the adapter */
    const cJSON *page_currency;   /* the currency the page gives for all its items (NULL: none) */
    const char *default_currency; /* the adapter's own, when its site sells in one currency (tiki: VND) */
    bool url_is_page;             /* url is the page the item was read from, not the item's own
                                     (the record says so: "url_source": "page") */
    const cJSON *price_max;       /* the highest price of its variants (same unit as price), or NULL */
    size_t variants;              /* its variants (models, tier options, configurable products); 0/1: none */
} listing_fields;

/* Builds a listing record into out->listings; false (nothing added,
 * counted in out->dropped by reason) without an id or a title. The price is a number (divided by
 * price_divisor), or text read by price_find_in_text (a caption) or
 * price_read (a short price field); a range adds "price_max". The currency
 * is the item's (its currency field, else the one written with its price),
 * then the page's, then the target's `currency:`, then the adapter's
 * default; a price in no known currency gets PRICE_CURRENCY_UNKNOWN, never
 * VND by assumption. */
bool add_listing(adapter_result *out, const campaign_target *t, const listing_fields *f);
/* Counts an item of the page that is not a JSON object (it gives no listing). */
void drop_item(adapter_result *out, item_drop reason);

/* The base a target's item links and URL templates resolve against: its
 * site_url, else its base_url's origin with "/" (an API at
 * https://api.shop.vn/v2 lists products of https://api.shop.vn/). Writes
 * into out; false when neither parses. */
bool target_site(const campaign_target *t, char *out, size_t size);

/* Expands t->fields.url_template for one item: each "{path}" is the item's
 * value at that dotted path (a string or a number), percent-encoded as a
 * path segment; then resolved against target_site. malloc'd, or NULL when
 * there is no template or a placeholder has no value. */
char *listing_url_from_template(const campaign_target *t, const cJSON *item);

/* Reads the items at t->fields.items in `root` (a JSON API page, or JSON
 * embedded in an HTML page) with the target's field paths into
 * out->listings. The item's URL: fields.url resolved against the site,
 * else fields.url_template, else page_url marked "url_source": "page".
 * Returns the listings added, or -1 when fields.items is not an array. */
int read_json_items(const campaign_target *t, const char *page_url, const cJSON *root, adapter_result *out);

/* The site shapes (one file each) the registry in adapters.c lists. */
typedef struct adapter_shape {
    const char *search, *search_suffix;  /* keyword search: path prefix and what follows the encoded word */
    const char *categories;              /* the category root (with `categories: true`) */
    const char *fallback;                /* the start page when there is no other */
    page_kind start_kind;                /* what a start page is */
    int (*json_page)(const campaign_target *t, page_kind kind, const char *url, const cJSON *root, adapter_result *out);
    int (*html_page)(const campaign_target *t, const char *url, const char *body, size_t length, adapter_result *out,
                     char *error, size_t error_size);
} adapter_shape;

extern const adapter_shape adapter_shopee, adapter_tiki, adapter_storefront, adapter_social, adapter_json,
    adapter_lazada, adapter_sendo, adapter_tiktok;

#endif
