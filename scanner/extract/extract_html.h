/* extract_html: products, links and the next page out of one storefront HTML
 * page, in one pass of libxml2's HTML push parser with SAX callbacks (no DOM).
 *
 * What it reads: schema.org Product JSON-LD (a top-level object, an array,
 * "@graph", and "mainEntity"/"itemListElement"/"item" inside them), OpenGraph
 * and product: meta tags, schema.org (and the legacy data-vocabulary.org)
 * Product microdata (with its Offer, the offer's seller and the seller's
 * PostalAddress), <a href>, <link rel="next">, <base href> and <title>.
 * Tolerant of how sites write it: types and property names in any letter
 * case; Product's subtypes (IndividualProduct, ProductModel, SomeProducts,
 * ProductGroup, ProductCollection, Vehicle, Car, Motorcycle, ...) and @type
 * arrays; offers nested in offers (an AggregateOffer's list), lowPrice; the
 * current price over a crossed-out one (a priceSpecification whose priceType
 * is StrikethroughPrice, ListPrice, SRP or MSRP is not the price).
 * One listing per product:
 *   - variants merge: a ProductGroup's hasVariant products (JSON-LD or
 *     microdata), and JSON-LD
 *     products sharing a productGroupID / inProductGroupWithID / isVariantOf,
 *     give one product with `variants` and the lowest and highest price;
 *   - products that are properties of another item (microdata with an
 *     itemprop such as isRelatedTo, isSimilarTo; JSON-LD isRelatedTo ...) or
 *     sit inside a "related"/"recommended"/"similar" widget (an element whose
 *     class or id says so) are not the page's products: they are links.
 * How the three sources combine:
 *   - JSON-LD products come first;
 *   - OpenGraph describes the page's main product: it fills the missing
 *     fields of the one JSON-LD product (or of the one whose name or url
 *     matches og:title / og:url), else of the first microdata product; a page
 *     with OpenGraph product tags and nothing else gives one "opengraph"
 *     product;
 *   - a microdata product whose name equals a JSON-LD product's name fills
 *     that product's missing fields instead of being added again.
 * Malformed HTML and malformed JSON-LD never fail a call: JSON-LD is read
 * leniently (HTML and JS comments, CDATA markers, raw control characters in
 * strings and trailing commas are tolerated) and what still does not parse
 * is counted in json_ld_errors. Invalid UTF-8 and NUL bytes in the input are
 * replaced by U+FFFD before parsing, so every string out is valid UTF-8.
 *
 * Memory is bounded: at most EXTRACT_HTML_MAX_INPUT bytes of input are read,
 * EXTRACT_HTML_MAX_PRODUCTS products and EXTRACT_HTML_MAX_LINKS links kept,
 * each text value capped at 64 KiB, each JSON-LD block at 2 MiB.
 *
 * libxml2 keeps process-wide tables that must be built once before threads
 * use it: call extract_html_init() once from main before starting threads.
 * After that every function here is thread-safe (no global mutable state). */
#ifndef LSCAN_EXTRACT_HTML_H
#define LSCAN_EXTRACT_HTML_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#define EXTRACT_HTML_MAX_INPUT ((size_t)8 << 20)
#define EXTRACT_HTML_MAX_PRODUCTS 64
#define EXTRACT_HTML_MAX_LINKS 4096
#define EXTRACT_HTML_MAX_EMBEDDED 8

/* One schema.org Product (or OpenGraph product) found on a page. Every
 * string is owned by the page (NULL when absent), valid UTF-8, trimmed;
 * text taken from element content has its whitespace runs collapsed. */
typedef struct html_product {
    char *name, *description, *brand, *sku, *url, *image; /* url, image resolved when possible */
    char *price;        /* as written ("1250000", "5.29", "1.250.000 ₫") */
    char *currency;     /* "VND", "GBP", ... */
    char *seller_name, *seller_id, *seller_region; /* offers.seller: name, identifier, address.addressRegion */
    char *category;
    char *price_max;    /* the highest price of its variants or offers, as written, when above price; or NULL */
    size_t variants;    /* variants merged into it (0 or 1: none) */
    const char *source; /* static string: "json-ld", "microdata" or "opengraph" */
} html_product;

/* Everything useful found in one page; owned by the caller, free with
 * html_page_free. */
typedef struct html_page {
    html_product *products;
    size_t product_count;
    char **links;            /* <a href> and <link rel="next"> resolved against the page URL (or
                                <base href>), http/https only, fragment removed, deduplicated,
                                in document order, at most EXTRACT_HTML_MAX_LINKS */
    size_t link_count;
    char *next_page;         /* first <link rel="next"> or <a rel="next">, resolved, or NULL */
    char *title;             /* first <title> text, or NULL */
    size_t json_ld_errors;   /* JSON-LD blocks that did not parse (counted, never fatal) */
    size_t related_products; /* products read as links, not as the page's (related widgets, properties) */
    char *embedded_json[EXTRACT_HTML_MAX_EMBEDDED]; /* JSON a page renders from, as written (not parsed):
                                <script type="application/json"> (any +json but ld+json),
                                <script id="__NEXT_DATA__">, and objects assigned in scripts
                                (window.__STATE__ = {...}, window["__X__"] = {...},
                                self.__DATA = {...}); each at most 2 MiB, at most 8 */
    size_t embedded_count;
    char *heading;           /* the first <h1> text, or NULL */
    char *near_heading;      /* the text right after it, up to the next heading, list or table
                                (at most 600 bytes), or NULL */
} html_page;

/* Initialises libxml2 (xmlInitParser). Call once from main before any thread
 * calls extract_html; calling it again is harmless. Not thread-safe itself. */
void extract_html_init(void);

/* Parses one page of `length` bytes (need not be NUL-terminated). page_url
 * (may be NULL: then only absolute http(s) links are kept) is the base for
 * relative URLs. Bounded: at most 64 products, 4096 links and 8 MiB of input
 * (longer input is cut and reported by returning 1). Returns 0 ok, 1 ok but
 * input cut, -1 error (bad arguments or out of memory; message in `error`,
 * `out` left empty). On 0 and 1 the caller frees `out` with html_page_free.
 * Thread-safe (after extract_html_init). */
int extract_html(const char *body, size_t length, const char *page_url, html_page *out, char *error,
                 size_t error_size);

/* Frees everything the page owns and zeroes it; NULL and a zeroed page are fine. */
void html_page_free(html_page *p);

/* Appends one listing record per product (contracts/records.md) as cJSON
 * objects to `listings` (a cJSON array): platform as given; listing_id = sku,
 * else the product url, else the page URL; url = the product url resolved,
 * else the page URL; title = name; description; price as a number (see
 * price_read in scanner/extract/price.h; absent when unparseable; a range
 * gives its lowest and "price_max"); currency: the product's normalized to
 * ISO 4217, else the one written with the price, else `currency` (the
 * target's, NULL: none), else "XXX" when there is a price; seller
 * {id, name, location} (only the fields known; absent when none); category;
 * images [image]; "variants": n when variants were merged (an extra field,
 * records pass it through), with "price_max" the highest. Only the page's
 * main product (the first) may take the page URL: a later product without
 * its own URL is not a listing of this page and is skipped. Products without
 * a name, or without any id or URL, are skipped. Returns how many were added. The new objects belong to
 * `listings`. Thread-safe (the page and the array are not shared). */
size_t html_page_listings(const html_page *page, const char *platform, const char *page_url, const char *currency,
                          cJSON *listings);

/* The page read by heuristics, for a page with no structured data at all:
 * its first <h1> as the title and the first price written with a currency
 * or a Vietnamese unit right after it (near_heading, price_read); listing_id
 * and url = the page URL; "extraction": "fallback" (an extra field, records
 * pass it through). Adds nothing (returns false) without a heading, without
 * such a price, without a page URL, or when the page has products that are
 * only properties of other items or related products (related_products).
 * Thread-safe. */
bool html_page_fallback_listing(const html_page *page, const char *platform, const char *page_url, cJSON *listings);

#endif
