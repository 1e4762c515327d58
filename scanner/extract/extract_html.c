/* extract_html: one SAX pass of libxml2's HTML push parser over a page.
 * See extract_html.h for what is read and how the sources combine.
 *
 * The SAX callbacks keep a small stack of "frames", one per open element
 * that matters: a microdata item (itemscope), an itemprop whose value is the
 * element's text, the <title>. An element's frames are closed when its end
 * tag arrives (libxml2 reports an end for every start it reported, implied
 * ones included), so the depth at which a frame opened identifies it. */
#include "scanner/extract/extract_html.h"
#include "rules/base/error_message.h"
#include "rules/base/json_arena.h"

#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <xxhash.h>

#include "rules/base/bytebuf.h"
#include "rules/base/json_repair.h"
#include "rules/base/url.h"
#include "scanner/extract/price.h"

#define TEXT_MAX ((size_t)64 << 10)   /* one text value */
#define JSONLD_MAX ((size_t)2 << 20)  /* one JSON-LD block */
#define MAX_FRAMES 128
#define JSONLD_MAX_DEPTH 12
#define CHUNK ((size_t)64 << 10)      /* input fed to libxml2 per call */

/* ---- small string helpers ------------------------------------------------ */

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* A malloc'd copy of s[0..n) without leading/trailing ASCII whitespace, or
 * NULL when nothing is left (or out of memory). */
static char *dup_trimmed(const char *s, size_t n)
{
    if (!s)
        return NULL;
    while (n && is_space((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n && is_space((unsigned char)s[n - 1]))
        n--;
    if (!n)
        return NULL;
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static char *dup_str(const char *s)
{
    return s ? dup_trimmed(s, strlen(s)) : NULL;
}

/* Equal when equal after trimming and collapsing runs of ASCII whitespace. */
static bool same_text(const char *a, const char *b)
{
    if (!a || !b)
        return false;
    for (;;) {
        while (is_space((unsigned char)*a))
            a++;
        while (is_space((unsigned char)*b))
            b++;
        while (*a && *b && !is_space((unsigned char)*a) && *a == *b) {
            a++;
            b++;
        }
        bool end_a = !*a || is_space((unsigned char)*a), end_b = !*b || is_space((unsigned char)*b);
        if (!end_a || !end_b)
            return false;
        while (is_space((unsigned char)*a))
            a++;
        while (is_space((unsigned char)*b))
            b++;
        if (!*a || !*b)
            return !*a && !*b;
    }
}

/* Does the space-separated list contain `token` (ASCII case-insensitive)? */
static bool has_token(const char *list, const char *token)
{
    size_t n = strlen(token);
    const char *p = list;
    while (p && *p) {
        while (is_space((unsigned char)*p))
            p++;
        const char *s = p;
        while (*p && !is_space((unsigned char)*p))
            p++;
        if ((size_t)(p - s) == n && !strncasecmp(s, token, n))
            return true;
    }
    return false;
}

/* The local name of a type or property: what follows the last '/', '#' or ':'. */
static const char *local_name(const char *s, size_t n, size_t *local_length)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '/' || s[i] == '#' || s[i] == ':')
            start = i + 1;
    *local_length = n - start;
    return s + start;
}

/* Product and the schema.org types derived from it, in any letter case
 * (sites write "product" and "PRODUCT" too). */
static bool local_is_product(const char *local, size_t n)
{
    static const char *const names[] = {"Product",         "IndividualProduct", "ProductModel", "SomeProducts",
                                        "ProductGroup",    "ProductCollection", "Vehicle",      "Car",
                                        "Motorcycle",      "BusOrCoach",        "MotorizedBicycle",
                                        "DietarySupplement"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strlen(names[i]) == n && !strncasecmp(names[i], local, n))
            return true;
    return false;
}

/* Steps *cursor over the next space-separated token of an attribute value
 * (itemtype, itemprop) and gives its local name; false when none is left. */
static bool next_local_name(const char **cursor, const char **local, size_t *local_length)
{
    const char *p = *cursor;
    while (is_space((unsigned char)*p))
        p++;
    if (!*p)
        return false;
    const char *start = p;
    while (*p && !is_space((unsigned char)*p))
        p++;
    *cursor = p;
    *local = local_name(start, (size_t)(p - start), local_length);
    return true;
}

/* Is any space-separated type in `types` a schema.org product type? */
static bool types_include_product(const char *types)
{
    const char *cursor = types, *local;
    size_t ln;
    while (cursor && next_local_name(&cursor, &local, &ln))
        if (ln && local_is_product(local, ln))
            return true;
    return false;
}

/* ---- extraction state ---------------------------------------------------- */

enum { FRAME_ITEM, FRAME_PROP, FRAME_TITLE, FRAME_HEADING };
enum { ROLE_OTHER, ROLE_PRODUCT, ROLE_OFFER, ROLE_SELLER, ROLE_ADDRESS, ROLE_BRAND, ROLE_VARIANT, ROLE_VARIANT_OFFER };

/* itemprop names we read, as bits */
enum {
    P_NAME = 1u << 0, P_DESCRIPTION = 1u << 1, P_BRAND = 1u << 2, P_SKU = 1u << 3, P_URL = 1u << 4,
    P_IMAGE = 1u << 5, P_CATEGORY = 1u << 6, P_OFFERS = 1u << 7, P_PRICE = 1u << 8, P_LOWPRICE = 1u << 9,
    P_CURRENCY = 1u << 10, P_SELLER = 1u << 11, P_IDENTIFIER = 1u << 12, P_ADDRESS = 1u << 13,
    P_REGION = 1u << 14, P_PRODUCTID = 1u << 15, P_PAGE_ENTITY = 1u << 16, P_HAS_VARIANT = 1u << 17,
};

static const struct {
    const char *name;
    unsigned bit;
} prop_names[] = {
    {"name", P_NAME},         {"description", P_DESCRIPTION}, {"brand", P_BRAND},
    {"sku", P_SKU},           {"url", P_URL},                 {"image", P_IMAGE},
    {"category", P_CATEGORY}, {"offers", P_OFFERS},           {"price", P_PRICE},
    {"lowPrice", P_LOWPRICE}, {"priceCurrency", P_CURRENCY},  {"seller", P_SELLER},
    {"identifier", P_IDENTIFIER}, {"address", P_ADDRESS},     {"addressRegion", P_REGION},
    {"productID", P_PRODUCTID},
    /* data-vocabulary.org (the legacy vocabulary) names these differently */
    {"offerDetails", P_OFFERS}, {"currency", P_CURRENCY}, {"region", P_REGION},
    /* a product that is one of these properties is still the page's */
    {"mainEntity", P_PAGE_ENTITY}, {"mainEntityOfPage", P_PAGE_ENTITY}, {"item", P_PAGE_ENTITY},
    {"itemListElement", P_PAGE_ENTITY}, {"about", P_PAGE_ENTITY}, {"itemOffered", P_PAGE_ENTITY},
    {"hasVariant", P_HAS_VARIANT},
};

/* Properties read from text/attribute values, per role of the owning item. */
static const unsigned role_props[] = {
    [ROLE_OTHER] = 0,
    [ROLE_PRODUCT] = P_NAME | P_DESCRIPTION | P_BRAND | P_SKU | P_PRODUCTID | P_URL | P_IMAGE | P_CATEGORY | P_SELLER,
    [ROLE_OFFER] = P_PRICE | P_LOWPRICE | P_CURRENCY | P_SELLER,
    [ROLE_SELLER] = P_NAME | P_IDENTIFIER,
    [ROLE_ADDRESS] = P_REGION,
    [ROLE_BRAND] = P_NAME,
    [ROLE_VARIANT] = 0,
    [ROLE_VARIANT_OFFER] = P_PRICE | P_LOWPRICE,
};

static unsigned parse_props(const char *list)
{
    unsigned mask = 0;
    const char *cursor = list, *local;
    size_t ln;
    while (cursor && next_local_name(&cursor, &local, &ln)) {
        for (size_t i = 0; i < sizeof prop_names / sizeof *prop_names; i++)
            if (strlen(prop_names[i].name) == ln && !strncasecmp(prop_names[i].name, local, ln))
                mask |= prop_names[i].bit;
    }
    return mask;
}

typedef struct work_product {
    html_product p;
    char *group;           /* JSON-LD: the product group it is a variant of (or is), for merging */
    bool is_group;         /* JSON-LD: a ProductGroup */
    bool price_from_low;   /* price is an AggregateOffer's lowPrice, a real price replaces it */
    bool offer_taken;      /* the first offer is read, later ones are not */
    bool seller_taken;
    double variant_low, variant_high; /* microdata: the range of its variants' prices (when variants) */
    char *variant_low_text, *variant_high_text;
} work_product;

typedef struct frame {
    int kind;
    int role;        /* ITEM: this item's role; PROP: the owner's role */
    int product;     /* index into md[], or -1 */
    unsigned props;  /* PROP: the wanted properties */
    size_t depth;
    bool pending_space;
    bytebuf text;
} frame;

typedef struct og_tags {
    char *title, *description, *url, *image, *type, *price, *currency, *brand, *sku, *category;
} og_tags;

typedef struct state {
    bool have_base, base_tag_seen;
    size_t depth;
    size_t nframes;
    size_t frames_made;     /* frames[0..frames_made) initialized (push_frame) */
    size_t text_frames;     /* open PROP and TITLE frames */
    size_t ignore_from;     /* microdata ignored at depth >= this (0: none) */
    size_t open_products;   /* open ITEM frames of role PRODUCT */
    size_t raw_depth;       /* depth of the open <script>/<style>, or 0 */
    bool in_jsonld;
    bytebuf jsonld;
    arena jsonld_nodes;     /* the JSON-LD block's cJSON tree (json_arena_parse_opts) */
    size_t json_count;
    size_t md_count;
    og_tags og;
    char **links;
    size_t link_count;
    size_t link_capacity;
    uint64_t *link_hashes;
    uint32_t *slots;        /* open addressing: index + 1 into links, 0 empty; 2 * link_capacity */
    char *next_page;
    char *title;
    bool title_done;
    size_t json_ld_errors;
    int data_kind;          /* the open <script>: DATA_JSON, DATA_SCRIPT or DATA_NONE */
    bytebuf data;           /* its text */
    char *embedded[EXTRACT_HTML_MAX_EMBEDDED];
    size_t embedded_count;
    char *heading;          /* the first <h1> */
    bool heading_done;
    bool near_open;         /* collecting the text after the first <h1> */
    bytebuf near;
    const char *region;     /* the page's country, for reading prices (NULL: unknown) */
    char region_text[3];
    size_t related_depth;   /* depth of the open "related products" widget, or 0 */
    size_t related_products;
    /* Not zeroed when the state is made (a page's state was ~45 KB of
     * memset, a tenth of a product page's extraction): an entry is
     * initialized when it is taken (push_frame, take_product), base when
     * have_base is set. Everything above is zeroed (state_create). */
    char base[URL_MAX];
    frame frames[MAX_FRAMES];
    work_product json[EXTRACT_HTML_MAX_PRODUCTS];
    work_product md[EXTRACT_HTML_MAX_PRODUCTS];
} state;

enum { DATA_NONE = 0, DATA_JSON, DATA_SCRIPT };
#define NEAR_HEADING_MAX 600

static void set_field(char **field, char *value)
{
    if (!*field && value)
        *field = value;
    else
        free(value);
}

static void product_free(html_product *p)
{
    free(p->name);
    free(p->description);
    free(p->brand);
    free(p->sku);
    free(p->url);
    free(p->image);
    free(p->price);
    free(p->currency);
    free(p->seller_name);
    free(p->seller_id);
    free(p->seller_region);
    free(p->category);
    free(p->price_max);
    memset(p, 0, sizeof *p);
}

/* Fills dst's missing fields with copies of src's. */
static void product_fill(html_product *dst, const html_product *src)
{
    set_field(&dst->name, dup_str(dst->name ? NULL : src->name));
    set_field(&dst->description, dup_str(dst->description ? NULL : src->description));
    set_field(&dst->brand, dup_str(dst->brand ? NULL : src->brand));
    set_field(&dst->sku, dup_str(dst->sku ? NULL : src->sku));
    set_field(&dst->url, dup_str(dst->url ? NULL : src->url));
    set_field(&dst->image, dup_str(dst->image ? NULL : src->image));
    set_field(&dst->price, dup_str(dst->price ? NULL : src->price));
    set_field(&dst->currency, dup_str(dst->currency ? NULL : src->currency));
    set_field(&dst->seller_name, dup_str(dst->seller_name ? NULL : src->seller_name));
    set_field(&dst->seller_id, dup_str(dst->seller_id ? NULL : src->seller_id));
    set_field(&dst->seller_region, dup_str(dst->seller_region ? NULL : src->seller_region));
    set_field(&dst->category, dup_str(dst->category ? NULL : src->category));
    if (!dst->price_max && src->price_max && dst->price && src->price && !strcmp(dst->price, src->price))
        dst->price_max = dup_str(src->price_max);
    if (!dst->variants)
        dst->variants = src->variants;
}

/* A resolved copy of a URL value, or NULL. */
static char *resolve_dup(const state *st, const char *value)
{
    char buf[URL_MAX];
    if (!value || !url_resolve(st->have_base ? st->base : NULL, value, buf, sizeof buf))
        return NULL;
    return dup_str(buf);
}

/* ---- links --------------------------------------------------------------- */

/* Grows links, their hashes and the hash slots to `capacity` links. */
static bool links_grow(state *st, size_t capacity)
{
    char **links = realloc(st->links, capacity * sizeof *links);
    if (!links)
        return false;
    st->links = links;
    uint64_t *hashes = realloc(st->link_hashes, capacity * sizeof *hashes);
    if (!hashes)
        return false;
    st->link_hashes = hashes;
    uint32_t *slots = calloc(capacity * 2, sizeof *slots);
    if (!slots)
        return false;
    free(st->slots);
    st->slots = slots;
    st->link_capacity = capacity;
    for (size_t k = 0; k < st->link_count; k++) {
        size_t slot = (size_t)(hashes[k] & (capacity * 2 - 1));
        while (slots[slot])
            slot = (slot + 1) & (capacity * 2 - 1);
        slots[slot] = (uint32_t)(k + 1);
    }
    return true;
}

static void add_link(state *st, const char *href, bool next)
{
    char buf[URL_MAX];
    if (!href || !url_resolve(st->have_base ? st->base : NULL, href, buf, sizeof buf))
        return;
    if (next && !st->next_page)
        st->next_page = dup_str(buf);
    if (st->link_count >= EXTRACT_HTML_MAX_LINKS)
        return;
    if (st->link_count == st->link_capacity &&
        !links_grow(st, st->link_capacity ? st->link_capacity * 2 : 64))
        return;
    size_t len = strlen(buf), mask = st->link_capacity * 2 - 1;
    uint64_t h = XXH3_64bits(buf, len);
    size_t slot = (size_t)(h & mask);
    while (st->slots[slot]) {
        size_t k = st->slots[slot] - 1;
        if (st->link_hashes[k] == h && !strcmp(st->links[k], buf))
            return;
        slot = (slot + 1) & mask;
    }
    char *copy = dup_str(buf);
    if (!copy)
        return;
    st->links[st->link_count] = copy;
    st->link_hashes[st->link_count] = h;
    st->slots[slot] = (uint32_t)(++st->link_count);
}

/* ---- JSON-LD ------------------------------------------------------------- */

/* Copies a JSON-LD block into `out`, leniently: HTML comments (dropped whole,
 * or only their markers when they wrap JSON), CDATA markers, JS comments and
 * trailing commas outside strings are removed, raw control characters inside
 * strings escaped. */
static void jsonld_clean(const char *s, size_t n, bytebuf *out)
{
    bool in_string = false;
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (in_string) {
            size_t j = i; /* a run of ordinary string bytes */
            while (j < n && s[j] != '"' && s[j] != '\\' && (unsigned char)s[j] >= 0x20)
                j++;
            if (j > i) {
                bytebuf_append(out, s + i, j - i);
                i = j;
                continue;
            }
            if (c == '\\' && i + 1 < n) {
                bytebuf_append(out, s + i, 2);
                i += 2;
                continue;
            }
            if (c == '"')
                in_string = false;
            if (c < 0x20) {
                switch (c) {
                case '\n': bytebuf_append(out, "\\n", 2); break;
                case '\r': bytebuf_append(out, "\\r", 2); break;
                case '\t': bytebuf_append(out, "\\t", 2); break;
                default: bytebuf_printf(out, "\\u%04x", c); break;
                }
            } else {
                bytebuf_append_char(out, (char)c);
            }
            i++;
            continue;
        }
        if (c == '"') {
            in_string = true;
            bytebuf_append_char(out, '"');
            i++;
        } else if (c == '<' && i + 3 < n && !memcmp(s + i, "<!--", 4)) {
            const char *close = memmem(s + i + 4, n - i - 4, "-->", 3);
            size_t end = close ? (size_t)(close - s) : n;
            bool wraps_json = memchr(s + i + 4, '{', end - i - 4) || memchr(s + i + 4, '[', end - i - 4);
            i = wraps_json ? i + 4 : (close ? end + 3 : n);
        } else if (c == '-' && i + 2 < n && !memcmp(s + i, "-->", 3)) {
            i += 3;
        } else if (c == '<' && i + 8 < n && !memcmp(s + i, "<![CDATA[", 9)) {
            i += 9;
        } else if (c == ']' && i + 2 < n && !memcmp(s + i, "]]>", 3)) {
            i += 3;
        } else if (c == '/' && i + 1 < n && s[i + 1] == '/') {
            while (i < n && s[i] != '\n')
                i++;
        } else if (c == '/' && i + 1 < n && s[i + 1] == '*') {
            const char *close = memmem(s + i + 2, n - i - 2, "*/", 2);
            i = close ? (size_t)(close - s) + 2 : n;
        } else if (c == '}' || c == ']') {
            size_t k = out->length; /* a trailing comma before the close goes */
            while (k && is_space((unsigned char)out->data[k - 1]))
                k--;
            if (k && out->data[k - 1] == ',')
                out->data[k - 1] = ' ';
            bytebuf_append_char(out, (char)c);
            i++;
        } else {
            size_t j = i + 1; /* a run of bytes with no meaning to the cleaner */
            while (j < n && !strchr("\"<-]/},", s[j]))
                j++;
            bytebuf_append(out, s + i, j - i);
            i = j;
        }
    }
}

static const cJSON *json_first(const cJSON *v)
{
    if (cJSON_IsArray(v)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, v)
            if (!cJSON_IsNull(e))
                return e;
        return NULL;
    }
    return v;
}

/* A string or number as text (malloc'd), or NULL. */
static char *json_text(const cJSON *v)
{
    v = json_first(v);
    if (cJSON_IsString(v))
        return dup_str(v->valuestring);
    if (cJSON_IsNumber(v)) {
        char *printed = cJSON_PrintUnformatted(v);
        char *copy = dup_str(printed);
        free(printed);
        return copy;
    }
    return NULL;
}

/* Text of a value that may be an object holding it under `key`. */
static char *json_text_or(const cJSON *v, const char *key)
{
    v = json_first(v);
    if (cJSON_IsObject(v))
        return json_text(cJSON_GetObjectItem(v, key));
    return json_text(v);
}

/* A member in any letter case ("Offers", "PriceCurrency": sites write both). */
static const cJSON *json_get(const cJSON *obj, const char *key)
{
    obj = json_first(obj);
    return cJSON_IsObject(obj) ? cJSON_GetObjectItem(obj, key) : NULL;
}

static bool json_is_product(const cJSON *obj)
{
    const cJSON *type = cJSON_GetObjectItem(obj, "@type");
    const cJSON *e;
    if (cJSON_IsString(type))
        return types_include_product(type->valuestring);
    if (cJSON_IsArray(type))
        cJSON_ArrayForEach(e, type)
            if (cJSON_IsString(e) && types_include_product(e->valuestring))
                return true;
    return false;
}

/* The prices of a product's offers and variants: the lowest and the
 * highest, each kept as written. */
typedef struct price_set {
    const char *region;
    char *low, *high, *currency; /* malloc'd; currency: the lowest's */
    double low_value, high_value;
    size_t count;
} price_set;

static void price_set_free(price_set *ps)
{
    free(ps->low);
    free(ps->high);
    free(ps->currency);
}

/* Adds one price (takes `text` and `currency`); text that is no price is dropped. */
static void price_set_add(price_set *ps, char *text, char *currency)
{
    price_reading r;
    if (text && price_read(text, ps->region, &r)) {
        double top = r.high > r.amount ? r.high : r.amount;
        ps->count++;
        if (!ps->low || r.amount < ps->low_value) {
            free(ps->low);
            ps->low = dup_str(text);
            ps->low_value = r.amount;
            free(ps->currency);
            ps->currency = currency;
            currency = NULL;
        }
        if (!ps->high || top > ps->high_value) {
            free(ps->high);
            ps->high = dup_str(text);
            ps->high_value = top;
        }
    }
    free(text);
    free(currency);
}

/* A priceSpecification that is a crossed-out price (the price before a
 * discount, a list or recommended price), not what the item costs now. */
static bool price_is_struck(const cJSON *spec)
{
    static const char *const struck[] = {"StrikethroughPrice", "ListPrice", "SRP", "MSRP"};
    char *type = json_text(json_get(spec, "priceType"));
    bool yes = false;
    if (type) {
        size_t n;
        const char *local = local_name(type, strlen(type), &n);
        for (size_t i = 0; i < sizeof struck / sizeof *struck && !yes; i++)
            yes = strlen(struck[i]) == n && !strncasecmp(struck[i], local, n);
    }
    free(type);
    return yes;
}

/* The prices of `offers` (an Offer, an AggregateOffer, a list, offers
 * nested in offers) into ps. An offer's own price first; else its
 * lowPrice..highPrice; else its current priceSpecifications; else the
 * offers nested in it. */
static void offers_prices(const cJSON *offers, price_set *ps, int depth)
{
    if (!offers || depth > 6)
        return;
    if (cJSON_IsArray(offers)) {
        const cJSON *e;
        size_t n = 0;
        cJSON_ArrayForEach(e, offers)
            if (n++ < EXTRACT_HTML_MAX_PRODUCTS)
                offers_prices(e, ps, depth + 1);
        return;
    }
    if (!cJSON_IsObject(offers))
        return;
    char *currency = json_text(json_get(offers, "priceCurrency"));
    size_t before = ps->count;
    price_set_add(ps, json_text(json_get(offers, "price")), dup_str(currency));
    if (ps->count == before) {
        price_set_add(ps, json_text(json_get(offers, "lowPrice")), dup_str(currency));
        price_set_add(ps, json_text(json_get(offers, "highPrice")), dup_str(currency));
    }
    if (ps->count == before) {
        const cJSON *specs = json_get(offers, "priceSpecification"), *spec;
        if (cJSON_IsObject(specs)) {
            if (!price_is_struck(specs))
                price_set_add(ps, json_text(json_get(specs, "price")),
                              json_text(json_get(specs, "priceCurrency")) ?: dup_str(currency));
        } else if (cJSON_IsArray(specs)) {
            cJSON_ArrayForEach(spec, specs)
                if (cJSON_IsObject(spec) && !price_is_struck(spec)) {
                    char *spec_currency = json_text(json_get(spec, "priceCurrency"));
                    price_set_add(ps, json_text(json_get(spec, "price")), spec_currency ? spec_currency : dup_str(currency));
                }
        }
    }
    if (ps->count == before)
        offers_prices(json_get(offers, "offers"), ps, depth + 1);
    free(currency);
}

/* The first offer that names a seller (an AggregateOffer's list included). */
static const cJSON *offer_seller(const cJSON *offers, int depth)
{
    const cJSON *offer = json_first(offers);
    if (!cJSON_IsObject(offer) || depth > 6)
        return NULL;
    const cJSON *seller = json_first(json_get(offer, "seller"));
    return seller ? seller : offer_seller(json_get(offer, "offers"), depth + 1);
}

/* Moves the lowest and highest price of ps into p (ps is emptied). */
static void take_prices(html_product *p, price_set *ps)
{
    if (ps->low) {
        free(p->price);
        p->price = ps->low;
        ps->low = NULL;
        set_field(&p->currency, ps->currency);
        ps->currency = NULL;
        if (ps->high && ps->high_value > ps->low_value) {
            free(p->price_max);
            p->price_max = ps->high;
            ps->high = NULL;
        }
    }
    price_set_free(ps);
    memset(ps, 0, sizeof *ps);
}

/* The group a JSON-LD product belongs to: a ProductGroup's productGroupID
 * (else its @id); a variant's inProductGroupWithID, else its isVariantOf
 * (an id, or the group's productGroupID, @id or name). NULL: none. */
static char *jsonld_group(const cJSON *obj, bool is_group)
{
    char *g = NULL;
    if (is_group) {
        set_field(&g, json_text(json_get(obj, "productGroupID")));
        set_field(&g, json_text(json_get(obj, "@id")));
        return g;
    }
    set_field(&g, json_text(json_get(obj, "inProductGroupWithID")));
    const cJSON *of = json_first(json_get(obj, "isVariantOf"));
    if (cJSON_IsObject(of)) {
        set_field(&g, json_text(json_get(of, "productGroupID")));
        set_field(&g, json_text(json_get(of, "@id")));
        set_field(&g, json_text(json_get(of, "name")));
    } else {
        set_field(&g, json_text(of));
    }
    return g;
}

static bool json_type_is(const cJSON *obj, const char *name)
{
    const cJSON *type = cJSON_GetObjectItem(obj, "@type"), *e;
    char *one = cJSON_IsString(type) ? type->valuestring : NULL;
    size_t n;
    if (one) {
        const char *local = local_name(one, strlen(one), &n);
        return strlen(name) == n && !strncasecmp(local, name, n);
    }
    cJSON_ArrayForEach(e, (cJSON_IsArray(type) ? type : NULL))
        if (cJSON_IsString(e)) {
            const char *local = local_name(e->valuestring, strlen(e->valuestring), &n);
            if (strlen(name) == n && !strncasecmp(local, name, n))
                return true;
        }
    return false;
}

static void jsonld_product(state *st, const cJSON *obj)
{
    if (st->json_count >= EXTRACT_HTML_MAX_PRODUCTS)
        return;
    work_product *w = &st->json[st->json_count++];
    memset(w, 0, sizeof *w);
    html_product *p = &w->p;
    p->source = "json-ld";
    w->is_group = json_type_is(obj, "ProductGroup");
    w->group = jsonld_group(obj, w->is_group);
    set_field(&p->name, json_text(json_get(obj, "name")));
    set_field(&p->description, json_text(json_get(obj, "description")));
    set_field(&p->brand, json_text_or(json_get(obj, "brand"), "name"));
    set_field(&p->sku, json_text(json_get(obj, "sku")));
    set_field(&p->sku, json_text(json_get(obj, "productID")));
    char *url = json_text(json_get(obj, "url"));
    set_field(&p->url, resolve_dup(st, url));
    free(url);
    char *image = json_text_or(json_get(obj, "image"), "url");
    set_field(&p->image, resolve_dup(st, image));
    free(image);
    set_field(&p->category, json_text_or(json_get(obj, "category"), "name"));

    const cJSON *offers = json_get(obj, "offers");
    set_field(&p->currency, json_text(json_get(offers, "priceCurrency")));
    price_set ps = {.region = st->region};
    offers_prices(offers, &ps, 0);
    const cJSON *seller = offer_seller(offers, 0);
    /* a ProductGroup's variants (size, colour) are one listing: count them,
     * keep the lowest and highest price */
    const cJSON *variants = json_get(obj, "hasVariant"), *v;
    if (cJSON_IsObject(variants) || cJSON_IsArray(variants)) {
        size_t n = 0;
        cJSON_ArrayForEach(v, (cJSON_IsArray(variants) ? variants : NULL))
            if (cJSON_IsObject(v) && n++ < EXTRACT_HTML_MAX_PRODUCTS) {
                offers_prices(json_get(v, "offers"), &ps, 0);
                set_field(&p->name, json_text(json_get(v, "name")));
                set_field(&p->currency, json_text(json_get(json_get(v, "offers"), "priceCurrency")));
                if (!seller)
                    seller = offer_seller(json_get(v, "offers"), 0);
            }
        if (cJSON_IsObject(variants)) {
            n = 1;
            offers_prices(json_get(variants, "offers"), &ps, 0);
        }
        p->variants = n;
    }
    take_prices(p, &ps);
    if (!seller)
        seller = json_first(json_get(obj, "seller"));
    if (cJSON_IsObject(seller)) {
        set_field(&p->seller_name, json_text(json_get(seller, "name")));
        set_field(&p->seller_id, json_text_or(json_get(seller, "identifier"), "value"));
        set_field(&p->seller_region, json_text(json_get(json_get(seller, "address"), "addressRegion")));
    } else {
        set_field(&p->seller_name, json_text(seller));
    }
}

/* Variants given as separate JSON-LD products of one group (the same
 * productGroupID / inProductGroupWithID / isVariantOf) become one product:
 * the first of the group, with the variant count and the price range. */
static void merge_variants(state *st)
{
    size_t kept = 0;
    for (size_t i = 0; i < st->json_count; i++) {
        work_product *w = &st->json[i];
        size_t into = SIZE_MAX;
        for (size_t k = 0; k < kept && w->group && into == SIZE_MAX; k++)
            if (st->json[k].group && !strcmp(st->json[k].group, w->group))
                into = k;
        if (into == SIZE_MAX) {
            if (kept != i) {
                st->json[kept] = *w;
                memset(w, 0, sizeof *w);
            }
            kept++;
            continue;
        }
        work_product *t = &st->json[into];
        if (!(t->is_group && t->p.variants))
            t->p.variants = (t->p.variants ? t->p.variants : (t->is_group ? 0 : 1)) + 1;
        price_set ps = {.region = st->region};
        price_set_add(&ps, dup_str(t->p.price), dup_str(t->p.currency));
        price_set_add(&ps, dup_str(t->p.price_max), dup_str(t->p.currency));
        price_set_add(&ps, dup_str(w->p.price), dup_str(w->p.currency));
        price_set_add(&ps, dup_str(w->p.price_max), dup_str(w->p.currency));
        take_prices(&t->p, &ps);
        product_fill(&t->p, &w->p);
        product_free(&w->p);
        free(w->group);
        w->group = NULL;
    }
    st->json_count = kept;
}

static void jsonld_visit(state *st, const cJSON *node, int depth)
{
    if (!node || depth > JSONLD_MAX_DEPTH || st->json_count >= EXTRACT_HTML_MAX_PRODUCTS)
        return;
    if (cJSON_IsArray(node)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, node)
            jsonld_visit(st, e, depth + 1);
        return;
    }
    if (!cJSON_IsObject(node))
        return;
    if (json_is_product(node)) {
        jsonld_product(st, node);
        return;
    }
    static const char *const containers[] = {"@graph", "mainEntity", "itemListElement", "item"};
    for (size_t i = 0; i < sizeof containers / sizeof *containers; i++)
        jsonld_visit(st, cJSON_GetObjectItem(node, containers[i]), depth + 1);
}

static void jsonld_process(state *st)
{
    if (st->jsonld.overflow) {
        st->json_ld_errors++;
        return;
    }
    bytebuf clean;
    bytebuf_init(&clean, JSONLD_MAX * 2);
    jsonld_clean(st->jsonld.data ? st->jsonld.data : "", st->jsonld.length, &clean);
    if (clean.overflow) {
        st->json_ld_errors++;
        bytebuf_free(&clean);
        return;
    }
    /* a lone surrogate escape or \u0000 would lose the whole block */
    bytebuf repaired;
    bytebuf_init(&repaired, JSONLD_MAX * 3);
    if (json_repair(clean.data, clean.length, &repaired) && !repaired.overflow) {
        bytebuf_free(&clean);
        clean = repaired;
    } else {
        bytebuf_free(&repaired);
    }
    const char *p = clean.data ? clean.data : "", *end = p + clean.length;
    for (;;) {
        while (p < end && (is_space((unsigned char)*p) || *p == ';' || *p == ','))
            p++;
        if (p >= end)
            break;
        const char *parse_end = NULL;
        /* the tree in the page's arena: what the visit keeps, it copies */
        arena_reset(&st->jsonld_nodes);
        cJSON *root = json_arena_parse_opts(&st->jsonld_nodes, p, (size_t)(end - p), &parse_end);
        if (!root) {
            st->json_ld_errors++;
            break;
        }
        jsonld_visit(st, root, 0);
        if (!parse_end || parse_end <= p)
            break;
        p = parse_end;
    }
    bytebuf_free(&clean);
}

/* ---- microdata ----------------------------------------------------------- */

static frame *nearest_item(state *st)
{
    for (size_t i = st->nframes; i > 0; i--)
        if (st->frames[i - 1].kind == FRAME_ITEM)
            return &st->frames[i - 1];
    return NULL;
}

static frame *push_frame(state *st, int kind, size_t depth)
{
    if (st->nframes >= MAX_FRAMES) {
        if (!st->ignore_from)
            st->ignore_from = depth;
        return NULL;
    }
    frame *f = &st->frames[st->nframes++];
    if (st->nframes > st->frames_made) { /* first use: no storage yet */
        memset(f, 0, sizeof *f);
        st->frames_made = st->nframes;
    }
    bytebuf saved = f->text; /* keep the storage of an earlier frame */
    memset(f, 0, sizeof *f);
    f->text = saved;
    bytebuf_reset(&f->text);
    f->text.max = TEXT_MAX;
    f->kind = kind;
    f->depth = depth;
    f->product = -1;
    if (kind != FRAME_ITEM)
        st->text_frames++;
    return f;
}

/* Stores one property value (taken over: `value` is malloc'd or NULL). */
static void assign(state *st, int role, int product, unsigned props, char *value)
{
    if (!value || product < 0) {
        free(value);
        return;
    }
    work_product *w = &st->md[product];
    html_product *p = &w->p;
    char **field = NULL;
    switch (role) {
    case ROLE_PRODUCT:
        if (props & P_NAME) field = &p->name;
        else if (props & P_DESCRIPTION) field = &p->description;
        else if (props & P_BRAND) field = &p->brand;
        else if (props & P_SKU) field = &p->sku;
        else if (props & P_PRODUCTID) field = &p->sku;
        else if (props & P_URL) {
            char *r = resolve_dup(st, value);
            free(value);
            value = r;
            field = &p->url;
        } else if (props & P_IMAGE) {
            char *r = resolve_dup(st, value);
            free(value);
            value = r;
            field = &p->image;
        } else if (props & P_CATEGORY) field = &p->category;
        else if ((props & P_SELLER) && !w->seller_taken) {
            w->seller_taken = true;
            field = &p->seller_name;
        }
        break;
    case ROLE_OFFER:
        if (props & P_PRICE) {
            if (w->price_from_low) {
                free(p->price);
                p->price = NULL;
                w->price_from_low = false;
            }
            field = &p->price;
        } else if (props & P_LOWPRICE) {
            if (!p->price)
                w->price_from_low = true;
            field = &p->price;
        } else if (props & P_CURRENCY) field = &p->currency;
        else if ((props & P_SELLER) && !w->seller_taken) {
            w->seller_taken = true;
            field = &p->seller_name;
        }
        break;
    case ROLE_SELLER:
        if (props & P_NAME) field = &p->seller_name;
        else if (props & P_IDENTIFIER) field = &p->seller_id;
        break;
    case ROLE_ADDRESS:
        if (props & P_REGION) field = &p->seller_region;
        break;
    case ROLE_BRAND:
        if (props & P_NAME) field = &p->brand;
        break;
    case ROLE_VARIANT_OFFER: {
        price_reading r;
        if (value && price_read(value, st->region, &r)) {
            if (!w->variant_low_text || r.amount < w->variant_low) {
                free(w->variant_low_text);
                w->variant_low_text = dup_str(value);
                w->variant_low = r.amount;
            }
            if (!w->variant_high_text || r.amount > w->variant_high) {
                free(w->variant_high_text);
                w->variant_high_text = dup_str(value);
                w->variant_high = r.amount;
            }
        }
        break;
    }
    default:
        break;
    }
    if (field)
        set_field(field, value);
    else
        free(value);
}

typedef struct attrs {
    const char *itemprop, *itemtype, *content, *href, *src, *rel, *type, *property, *name, *value, *datetime,
        *data, *id, *class_name;
    bool itemscope, has_content;
} attrs;

static void read_attrs(const xmlChar **atts, attrs *a)
{
    memset(a, 0, sizeof *a);
    for (size_t i = 0; atts && atts[i]; i += 2) {
        const char *k = (const char *)atts[i], *v = (const char *)atts[i + 1];
        switch (k[0]) {
        case 'c':
            if (!strcmp(k, "content")) { a->content = v; a->has_content = true; }
            else if (!strcmp(k, "class")) a->class_name = v;
            break;
        case 'd': if (!strcmp(k, "datetime")) a->datetime = v; else if (!strcmp(k, "data")) a->data = v; break;
        case 'h': if (!strcmp(k, "href")) a->href = v; break;
        case 'i':
            if (!strcmp(k, "itemprop")) a->itemprop = v;
            else if (!strcmp(k, "itemtype")) a->itemtype = v;
            else if (!strcmp(k, "itemscope")) a->itemscope = true;
            else if (!strcmp(k, "id")) a->id = v;
            break;
        case 'n': if (!strcmp(k, "name")) a->name = v; break;
        case 'p': if (!strcmp(k, "property")) a->property = v; break;
        case 'r': if (!strcmp(k, "rel")) a->rel = v; break;
        case 's': if (!strcmp(k, "src")) a->src = v; break;
        case 't': if (!strcmp(k, "type")) a->type = v; break;
        case 'v': if (!strcmp(k, "value")) a->value = v; break;
        default: break;
        }
    }
}

static void open_item(state *st, const attrs *a, size_t depth)
{
    frame *parent = nearest_item(st);
    unsigned props = a->itemprop ? parse_props(a->itemprop) : 0;
    int role = ROLE_OTHER, product = parent ? parent->product : -1;
    bool is_product = a->itemtype && types_include_product(a->itemtype);
    /* a product that is a property of another item (isRelatedTo,
     * isSimilarTo, ...) or sits in a related-products widget is a link,
     * not one of the page's products */
    if (is_product && !st->open_products &&
        (st->related_depth || (a->itemprop && !(parse_props(a->itemprop) & P_PAGE_ENTITY)))) {
        st->related_products++;
        is_product = false;
    }
    if (is_product && !st->open_products) {
        if (st->md_count < EXTRACT_HTML_MAX_PRODUCTS) {
            product = (int)st->md_count++;
            memset(&st->md[product], 0, sizeof st->md[product]);
            st->md[product].p.source = "microdata";
            role = ROLE_PRODUCT;
        }
    } else if (parent && parent->product >= 0) {
        work_product *w = &st->md[parent->product];
        if (parent->role == ROLE_PRODUCT && (props & P_OFFERS) && !w->offer_taken) {
            w->offer_taken = true;
            role = ROLE_OFFER;
        } else if ((parent->role == ROLE_PRODUCT || parent->role == ROLE_OFFER) && (props & P_SELLER) &&
                   !w->seller_taken) {
            w->seller_taken = true;
            role = ROLE_SELLER;
        } else if (parent->role == ROLE_SELLER && (props & P_ADDRESS)) {
            role = ROLE_ADDRESS;
        } else if (parent->role == ROLE_PRODUCT && (props & P_BRAND)) {
            role = ROLE_BRAND;
        } else if (parent->role == ROLE_PRODUCT && (props & P_HAS_VARIANT) && is_product) {
            /* a ProductGroup's variant: counted, its offers' prices make the range */
            w->p.variants++;
            role = ROLE_VARIANT;
        } else if (parent->role == ROLE_VARIANT && (props & P_OFFERS)) {
            role = ROLE_VARIANT_OFFER;
        }
    }
    frame *f = push_frame(st, FRAME_ITEM, depth);
    if (!f) {
        if (role == ROLE_PRODUCT && product == (int)st->md_count - 1) {
            st->md_count--; /* never opened: forget it */
        }
        return;
    }
    f->role = role;
    f->product = role == ROLE_OTHER ? -1 : product;
    if (role == ROLE_PRODUCT)
        st->open_products++;
}

static void open_prop(state *st, const char *tag, const attrs *a, size_t depth)
{
    frame *owner = nearest_item(st);
    if (!owner || owner->role == ROLE_OTHER || owner->product < 0)
        return;
    unsigned props = parse_props(a->itemprop) & role_props[owner->role];
    if (!props)
        return;
    const char *value = NULL;
    bool from_attr = true;
    if (a->has_content)
        value = a->content;
    else if (!strcmp(tag, "meta"))
        value = NULL;
    else if (!strcmp(tag, "img") || !strcmp(tag, "audio") || !strcmp(tag, "video") || !strcmp(tag, "source") ||
             !strcmp(tag, "embed") || !strcmp(tag, "iframe") || !strcmp(tag, "track"))
        value = a->src;
    else if (!strcmp(tag, "a") || !strcmp(tag, "area") || !strcmp(tag, "link"))
        value = a->href;
    else if (!strcmp(tag, "object"))
        value = a->data;
    else if (!strcmp(tag, "data") || !strcmp(tag, "meter"))
        value = a->value;
    else if (!strcmp(tag, "time") && a->datetime)
        value = a->datetime;
    else
        from_attr = false;
    if (from_attr) {
        assign(st, owner->role, owner->product, props, dup_str(value));
        return;
    }
    int role = owner->role, product = owner->product;
    frame *f = push_frame(st, FRAME_PROP, depth);
    if (!f)
        return;
    f->role = role;
    f->product = product;
    f->props = props;
}

static void close_frame(state *st, frame *f)
{
    if (f->kind == FRAME_ITEM) {
        if (f->role == ROLE_PRODUCT && st->open_products)
            st->open_products--;
        return;
    }
    st->text_frames--;
    char *text = dup_str(f->text.data); /* at the cap, what fit */
    if (f->kind == FRAME_TITLE) {
        set_field(&st->title, text);
        st->title_done = true;
    } else if (f->kind == FRAME_HEADING) {
        set_field(&st->heading, text);
        st->heading_done = true;
        st->near_open = true;
        bytebuf_reset(&st->near);
    } else {
        assign(st, f->role, f->product, f->props, text);
    }
}

static void text_append(frame *f, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (is_space((unsigned char)s[i])) {
            if (f->text.length)
                f->pending_space = true;
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && !is_space((unsigned char)s[j]))
            j++;
        if (f->pending_space) {
            bytebuf_append_char(&f->text, ' ');
            f->pending_space = false;
        }
        bytebuf_append(&f->text, s + i, j - i);
        i = j;
    }
}

/* Elements that separate words: text on either side of them must not run
 * together ("Pack<br>For" reads "Pack For"). */
static bool breaks_words(const char *tag)
{
    static const char *const tags[] = {"br", "p", "div", "li", "tr", "td", "th", "dd", "dt", "h1", "h2", "h3",
                                       "h4", "h5", "h6", "ul", "ol", "table", "section", "article", "blockquote",
                                       "hr", "option", "figcaption", "header", "footer", "nav", "pre"};
    for (size_t i = 0; i < sizeof tags / sizeof *tags; i++)
        if (!strcmp(tag, tags[i]))
            return true;
    return false;
}

static void break_words(state *st)
{
    for (size_t i = 0; i < st->nframes; i++)
        if (st->frames[i].kind != FRAME_ITEM && st->frames[i].text.length)
            st->frames[i].pending_space = true;
}

/* ---- OpenGraph ----------------------------------------------------------- */

static void og_meta(state *st, const attrs *a)
{
    const char *key = a->property ? a->property : a->name;
    if (!key || !a->content)
        return;
    static const struct {
        const char *key;
        size_t offset;
    } map[] = {
        {"og:title", offsetof(og_tags, title)},
        {"og:description", offsetof(og_tags, description)},
        {"og:url", offsetof(og_tags, url)},
        {"og:image", offsetof(og_tags, image)},
        {"og:image:url", offsetof(og_tags, image)},
        {"og:image:secure_url", offsetof(og_tags, image)},
        {"og:type", offsetof(og_tags, type)},
        {"product:price:amount", offsetof(og_tags, price)},
        {"og:price:amount", offsetof(og_tags, price)},
        {"product:price:currency", offsetof(og_tags, currency)},
        {"og:price:currency", offsetof(og_tags, currency)},
        {"product:brand", offsetof(og_tags, brand)},
        {"og:brand", offsetof(og_tags, brand)},
        {"product:retailer_item_id", offsetof(og_tags, sku)},
        {"product:category", offsetof(og_tags, category)},
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++) {
        if (strcasecmp(key, map[i].key))
            continue;
        char **field = (char **)((char *)&st->og + map[i].offset);
        if (map[i].offset == offsetof(og_tags, url) || map[i].offset == offsetof(og_tags, image))
            set_field(field, resolve_dup(st, a->content));
        else
            set_field(field, dup_str(a->content));
        return;
    }
}

static bool og_is_product(const og_tags *og)
{
    return (og->type && strcasestr(og->type, "product")) || og->price || og->brand;
}

static void og_free(og_tags *og)
{
    free(og->title);
    free(og->description);
    free(og->url);
    free(og->image);
    free(og->type);
    free(og->price);
    free(og->currency);
    free(og->brand);
    free(og->sku);
    free(og->category);
}

/* ---- data embedded in scripts ------------------------------------------- */

/* What a <script> holds: JSON (type application/json or any +json but
 * ld+json, id __NEXT_DATA__ / __NUXT_DATA__), or script that may assign
 * one (no type, or a JavaScript type). */
static int script_data_kind(const attrs *a)
{
    if (a->id && (!strcmp(a->id, "__NEXT_DATA__") || !strcmp(a->id, "__NUXT_DATA__")))
        return DATA_JSON;
    if (!a->type || !*a->type)
        return DATA_SCRIPT;
    if (strcasestr(a->type, "json"))
        return DATA_JSON;
    if (strcasestr(a->type, "javascript") || strcasestr(a->type, "ecmascript") || !strcasecmp(a->type, "module"))
        return DATA_SCRIPT;
    return DATA_NONE;
}

static void keep_embedded(state *st, const char *s, size_t n)
{
    if (st->embedded_count >= EXTRACT_HTML_MAX_EMBEDDED)
        return;
    char *copy = dup_trimmed(s, n);
    if (copy && (copy[0] == '{' || copy[0] == '['))
        st->embedded[st->embedded_count++] = copy;
    else
        free(copy);
}

/* The end of the balanced {...} starting at s[0] == '{' (strings and
 * escapes respected), or 0 when it does not close within n. */
static size_t balanced_object(const char *s, size_t n)
{
    size_t depth = 0;
    char quote = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (quote) {
            if (c == '\\')
                i++;
            else if (c == quote)
                quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '{' || c == '[') {
            if (++depth > 512)
                return 0;
        } else if (c == '}' || c == ']') {
            if (!depth)
                return 0;
            if (--depth == 0)
                return i + 1;
        }
    }
    return 0;
}

/* A script's assignments of an object to a page-state name:
 * window.__INITIAL_STATE__ = {...}, window["__STATE__"] = {...},
 * self.__DATA = {...}, var __APOLLO_STATE__ = {...}. */
static void script_assignments(state *st, const char *s, size_t n)
{
    for (size_t i = 1; i + 1 < n && st->embedded_count < EXTRACT_HTML_MAX_EMBEDDED; i++) {
        if (s[i] != '=' || s[i + 1] == '=' || strchr("=!<>+-*/%&|^", s[i - 1]))
            continue;
        size_t v = i + 1;
        while (v < n && is_space((unsigned char)s[v]))
            v++;
        if (v >= n || s[v] != '{')
            continue;
        size_t e = i;
        while (e > 0 && is_space((unsigned char)s[e - 1]))
            e--;
        size_t b = e;
        while (b > 0 && (isalnum((unsigned char)s[b - 1]) || strchr("_$.[]\"'", s[b - 1])))
            b--;
        if (b == e)
            continue;
        bool named = memmem(s + b, e - b, "__", 2) || (e - b > 7 && !memcmp(s + b, "window.", 7)) ||
                     (e - b > 5 && !memcmp(s + b, "self.", 5)) || (e - b > 7 && !memcmp(s + b, "window[", 7));
        if (!named)
            continue;
        size_t length = balanced_object(s + v, n - v);
        if (!length)
            continue;
        keep_embedded(st, s + v, length);
        i = v + length - 1;
    }
}

static void data_process(state *st)
{
    if (st->data.overflow || !st->data.length)
        return;
    if (st->data_kind == DATA_JSON)
        keep_embedded(st, st->data.data, st->data.length);
    else
        script_assignments(st, st->data.data, st->data.length);
}

/* Where the text that may hold a heading's price ends: the next heading,
 * a list or a table (a product grid, related products, specifications). */
static bool stops_near_text(const char *tag)
{
    static const char *const tags[] = {"h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li",
                                       "table", "nav", "footer", "aside", "textarea", "select"};
    for (size_t i = 0; i < sizeof tags / sizeof *tags; i++)
        if (!strcmp(tag, tags[i]))
            return true;
    return false;
}

/* ---- SAX callbacks ------------------------------------------------------- */

/* Does a class or id name a widget of other products (related, recommended,
 * similar; in English and Vietnamese without marks)? */
static bool names_related_widget(const char *v)
{
    static const char *const words[] = {"related",   "recommend",  "similar",   "upsell",   "up-sell",
                                        "cross-sell", "crosssell", "also-bought", "also-viewed", "lien-quan",
                                        "lienquan",  "tuong-tu",   "tuongtu",   "goi-y",    "goiy"};
    /* the first letters of the words: most bytes of a class start none */
    static const bool starts[256] = {['r'] = true, ['s'] = true, ['u'] = true, ['c'] = true,
                                     ['a'] = true, ['l'] = true, ['t'] = true, ['g'] = true};
    if (!v)
        return false;
    size_t n = strlen(v);
    if (n >= 256) {
        for (size_t i = 0; i < sizeof words / sizeof *words; i++)
            if (strcasestr(v, words[i]))
                return true;
        return false;
    }
    /* one pass over a lower-case copy instead of a strcasestr per word
     * (this runs for every element with a class or an id) */
    char low[256];
    for (size_t i = 0; i < n; i++)
        low[i] = (char)((v[i] >= 'A' && v[i] <= 'Z') ? v[i] + ('a' - 'A') : v[i]);
    for (size_t i = 0; i < n; i++) {
        if (!starts[(unsigned char)low[i]])
            continue;
        for (size_t k = 0; k < sizeof words / sizeof *words; k++) {
            size_t len = strlen(words[k]);
            if (words[k][0] == low[i] && len <= n - i && !memcmp(low + i, words[k], len))
                return true;
        }
    }
    return false;
}

static void on_start(void *ctx, const xmlChar *xname, const xmlChar **atts)
{
    state *st = ctx;
    size_t depth = ++st->depth;
    const char *tag = (const char *)xname;
    if (!tag)
        return;
    attrs a;
    read_attrs(atts, &a);
    if (st->text_frames && breaks_words(tag))
        break_words(st);

    if (!strcmp(tag, "script") || !strcmp(tag, "style")) {
        if (!st->raw_depth) {
            st->raw_depth = depth;
            if (tag[1] == 'c' && a.type) {
                const char *t = a.type;
                while (is_space((unsigned char)*t))
                    t++;
                if (!strncasecmp(t, "application/ld+json", 19)) {
                    st->in_jsonld = true;
                    bytebuf_reset(&st->jsonld);
                }
            }
            if (tag[1] == 'c' && !st->in_jsonld && st->embedded_count < EXTRACT_HTML_MAX_EMBEDDED) {
                st->data_kind = script_data_kind(&a);
                bytebuf_reset(&st->data);
            }
        }
        return;
    }
    if (st->near_open && stops_near_text(tag))
        st->near_open = false;
    if (!strcmp(tag, "h1") && !st->heading_done && !st->heading && !st->raw_depth && st->nframes < MAX_FRAMES)
        push_frame(st, FRAME_HEADING, depth);
    if (!strcmp(tag, "a")) {
        if (a.href)
            add_link(st, a.href, a.rel && has_token(a.rel, "next"));
    } else if (!strcmp(tag, "link")) {
        if (a.href && a.rel && has_token(a.rel, "next"))
            add_link(st, a.href, true);
    } else if (!strcmp(tag, "meta")) {
        if (a.property || a.name)
            og_meta(st, &a);
    } else if (!strcmp(tag, "title")) {
        if (!st->title_done && !st->title)
            push_frame(st, FRAME_TITLE, depth);
    } else if (!strcmp(tag, "base")) {
        if (a.href && !st->base_tag_seen) {
            char buf[URL_MAX];
            st->base_tag_seen = true;
            if (url_resolve(st->have_base ? st->base : NULL, a.href, buf, sizeof buf)) {
                memcpy(st->base, buf, strlen(buf) + 1);
                st->have_base = true;
            }
        }
    }
    /* a widget is a part of the page: <html>, <body> and <main> classes
     * describe the whole page ("has-related-products") */
    if (!st->related_depth && strcmp(tag, "html") && strcmp(tag, "body") && strcmp(tag, "main") &&
        (names_related_widget(a.class_name) || names_related_widget(a.id)))
        st->related_depth = depth;
    if (st->ignore_from && depth >= st->ignore_from)
        return;
    if (a.itemscope)
        open_item(st, &a, depth);
    else if (a.itemprop)
        open_prop(st, tag, &a, depth);
}

static void on_end(void *ctx, const xmlChar *xname)
{
    state *st = ctx;
    size_t depth = st->depth;
    if (!depth)
        return;
    if (st->text_frames && xname && breaks_words((const char *)xname))
        break_words(st);
    if (st->raw_depth == depth) {
        if (st->in_jsonld)
            jsonld_process(st);
        if (st->data_kind)
            data_process(st);
        st->in_jsonld = false;
        st->data_kind = DATA_NONE;
        st->raw_depth = 0;
    }
    while (st->nframes && st->frames[st->nframes - 1].depth >= depth) {
        st->nframes--;
        close_frame(st, &st->frames[st->nframes]);
    }
    if (st->ignore_from && depth <= st->ignore_from)
        st->ignore_from = 0;
    if (st->related_depth && depth <= st->related_depth)
        st->related_depth = 0;
    st->depth--;
}

static void on_text(void *ctx, const xmlChar *ch, int len)
{
    state *st = ctx;
    if (len <= 0)
        return;
    if (st->in_jsonld) {
        bytebuf_append(&st->jsonld, ch, (size_t)len);
        return;
    }
    if (st->data_kind) {
        bytebuf_append(&st->data, ch, (size_t)len);
        return;
    }
    if (st->near_open && !st->raw_depth) {
        size_t room = NEAR_HEADING_MAX - st->near.length;
        bytebuf_append(&st->near, ch, (size_t)len < room ? (size_t)len : room);
        bytebuf_append_char(&st->near, ' ');
        if (st->near.length >= NEAR_HEADING_MAX - 1)
            st->near_open = false;
    }
    if (st->raw_depth || !st->text_frames)
        return;
    for (size_t i = 0; i < st->nframes; i++)
        if (st->frames[i].kind != FRAME_ITEM)
            text_append(&st->frames[i], (const char *)ch, (size_t)len);
}

static void on_cdata(void *ctx, const xmlChar *ch, int len)
{
    state *st = ctx;
    if (st->in_jsonld && len > 0)
        bytebuf_append(&st->jsonld, ch, (size_t)len);
    else if (st->data_kind && len > 0)
        bytebuf_append(&st->data, ch, (size_t)len);
}

/* ---- driving the parser -------------------------------------------------- */

/* Copies in[0..n) to out, each invalid UTF-8 byte and NUL replaced by U+FFFD.
 * out has room for 3 * n bytes. Returns the length written. */
static size_t sanitize_utf8(const unsigned char *in, size_t n, unsigned char *out)
{
    size_t o = 0, i = 0;
    while (i < n) {
        unsigned char c = in[i];
        if (c && c < 0x80) {
            size_t j = i + 1;
            /* eight ASCII bytes at a time: no high bit and no zero byte */
            while (j + 8 <= n) {
                uint64_t w;
                memcpy(&w, in + j, 8);
                if ((w & 0x8080808080808080ull) || ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull))
                    break;
                j += 8;
            }
            while (j < n && in[j] && in[j] < 0x80)
                j++;
            memcpy(out + o, in + i, j - i);
            o += j - i;
            i = j;
            continue;
        }
        size_t len = c ? utf8_sequence_length(in + i, n - i) : 0;
        if (len) {
            memcpy(out + o, in + i, len);
            o += len;
            i += len;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    return o;
}

void extract_html_init(void)
{
    xmlInitParser();
}

static void state_free(state *st)
{
    for (size_t i = 0; i < st->frames_made; i++)
        bytebuf_free(&st->frames[i].text);
    bytebuf_free(&st->jsonld);
    arena_free(&st->jsonld_nodes);
    bytebuf_free(&st->data);
    bytebuf_free(&st->near);
    for (size_t i = 0; i < st->embedded_count; i++)
        free(st->embedded[i]);
    free(st->heading);
    for (size_t i = 0; i < st->json_count; i++) {
        product_free(&st->json[i].p);
        free(st->json[i].group);
    }
    for (size_t i = 0; i < st->md_count; i++) {
        product_free(&st->md[i].p);
        free(st->md[i].variant_low_text);
        free(st->md[i].variant_high_text);
    }
    og_free(&st->og);
    for (size_t i = 0; i < st->link_count; i++)
        free(st->links[i]);
    free(st->links);
    free(st->link_hashes);
    free(st->slots);
    free(st->next_page);
    free(st->title);
    free(st);
}

/* Moves what the state found into the page, combining the three sources. */
static int build_page(state *st, html_page *out)
{
    html_product *list = calloc(EXTRACT_HTML_MAX_PRODUCTS, sizeof *list);
    if (!list)
        return -1;
    size_t n = 0;
    merge_variants(st);
    out->related_products = st->related_products;
    for (size_t i = 0; i < st->json_count; i++) {
        list[n++] = st->json[i].p;
        memset(&st->json[i].p, 0, sizeof st->json[i].p);
    }
    size_t json_n = n, first_md = SIZE_MAX;
    for (size_t i = 0; i < st->md_count; i++) {
        html_product *m = &st->md[i].p;
        work_product *w = &st->md[i];
        if (w->variant_low_text && !m->price) { /* a group's own offer first, else its variants' range */
            m->price = w->variant_low_text;
            w->variant_low_text = NULL;
            if (w->variant_high > w->variant_low) {
                m->price_max = w->variant_high_text;
                w->variant_high_text = NULL;
            }
        }
        size_t same = SIZE_MAX;
        for (size_t k = 0; k < json_n && m->name; k++)
            if (same_text(list[k].name, m->name))
                same = k;
        if (same != SIZE_MAX) {
            product_fill(&list[same], m);
            continue;
        }
        if (n >= EXTRACT_HTML_MAX_PRODUCTS)
            continue;
        if (first_md == SIZE_MAX)
            first_md = n;
        list[n++] = *m;
        memset(m, 0, sizeof *m);
    }
    og_tags *og = &st->og;
    html_product from_og = {
        .name = og->title, .description = og->description, .brand = og->brand, .sku = og->sku,
        .url = og->url, .image = og->image, .price = og->price, .currency = og->currency,
        .category = og->category,
    };
    size_t target = SIZE_MAX;
    if (json_n == 1) {
        target = 0;
    } else if (json_n > 1) {
        for (size_t k = 0; k < json_n && target == SIZE_MAX; k++)
            if ((og->title && same_text(list[k].name, og->title)) || (og->url && list[k].url && !strcmp(list[k].url, og->url)))
                target = k;
    } else if (og_is_product(og) && first_md != SIZE_MAX) {
        target = first_md;
    }
    if (target != SIZE_MAX) {
        product_fill(&list[target], &from_og);
    } else if (!json_n && first_md == SIZE_MAX && og_is_product(og) && og->title && n < EXTRACT_HTML_MAX_PRODUCTS) {
        list[n].source = "opengraph";
        product_fill(&list[n], &from_og);
        n++;
    }
    if (n) {
        out->products = list;
        out->product_count = n;
    } else {
        free(list);
    }
    out->links = st->links;
    out->link_count = st->link_count;
    st->links = NULL;
    st->link_count = 0;
    out->next_page = st->next_page;
    st->next_page = NULL;
    out->title = st->title;
    st->title = NULL;
    out->json_ld_errors = st->json_ld_errors;
    for (size_t i = 0; i < st->embedded_count; i++) {
        out->embedded_json[i] = st->embedded[i];
        st->embedded[i] = NULL;
    }
    out->embedded_count = st->embedded_count;
    st->embedded_count = 0;
    out->heading = st->heading;
    st->heading = NULL;
    if (st->near.length && !st->near.overflow)
        out->near_heading = dup_trimmed(st->near.data, st->near.length);
    return 0;
}

int extract_html(const char *body, size_t length, const char *page_url, html_page *out, char *error,
                 size_t error_size)
{
    if (!out) {
        error_message_set(error, error_size, "%s", "no output page");
        return -1;
    }
    memset(out, 0, sizeof *out);
    if (!body && length) {
        error_message_set(error, error_size, "%s", "no input");
        return -1;
    }
    int rc = 0;
    if (length > EXTRACT_HTML_MAX_INPUT) {
        length = EXTRACT_HTML_MAX_INPUT;
        rc = 1;
    }
    state *st = malloc(sizeof *st);
    if (st)
        memset(st, 0, offsetof(state, base)); /* the rest: see struct state */
    unsigned char *chunk = malloc((length < CHUNK ? length : CHUNK) * 3 + 16);
    if (!st || !chunk) {
        free(st);
        free(chunk);
        error_message_set(error, error_size, "%s", "out of memory");
        return -1;
    }
    bytebuf_init(&st->jsonld, JSONLD_MAX);
    bytebuf_init(&st->data, JSONLD_MAX);
    bytebuf_init(&st->near, NEAR_HEADING_MAX + 8);
    if (page_url && url_resolve(NULL, page_url, st->base, sizeof st->base))
        st->have_base = true;
    st->region = page_url && price_region(page_url, st->region_text) ? st->region_text : NULL;

    htmlSAXHandler sax;
    memset(&sax, 0, sizeof sax);
    sax.startElement = on_start;
    sax.endElement = on_end;
    sax.characters = on_text;
    sax.ignorableWhitespace = on_text;
    sax.cdataBlock = on_cdata;
    htmlParserCtxtPtr ctxt = htmlCreatePushParserCtxt(&sax, st, NULL, 0, NULL, XML_CHAR_ENCODING_UTF8);
    if (!ctxt) {
        free(chunk);
        state_free(st);
        error_message_set(error, error_size, "%s", "out of memory (HTML parser)");
        return -1;
    }
    htmlCtxtUseOptions(ctxt, HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                 HTML_PARSE_IGNORE_ENC);
    const unsigned char *in = (const unsigned char *)body;
    size_t at = 0;
    while (at < length) {
        size_t end = at + CHUNK < length ? at + CHUNK : length;
        /* end the chunk on a character boundary (a sequence cut in two would be replaced) */
        for (int back = 0; back < 3 && end < length && end > at + 1 && (in[end] & 0xC0) == 0x80; back++)
            end--;
        size_t n = sanitize_utf8(in + at, end - at, chunk);
        htmlParseChunk(ctxt, (const char *)chunk, (int)n, 0);
        at = end;
    }
    htmlParseChunk(ctxt, NULL, 0, 1);
    htmlFreeParserCtxt(ctxt);
    free(chunk);

    /* whatever is still open (a cut page) ends here */
    if (st->in_jsonld)
        jsonld_process(st);
    st->in_jsonld = false;
    if (st->data_kind)
        data_process(st);
    st->data_kind = DATA_NONE;
    while (st->nframes) {
        st->nframes--;
        close_frame(st, &st->frames[st->nframes]);
    }
    if (build_page(st, out) < 0) {
        state_free(st);
        html_page_free(out);
        error_message_set(error, error_size, "%s", "out of memory");
        return -1;
    }
    state_free(st);
    return rc;
}

void html_page_free(html_page *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->product_count; i++)
        product_free(&p->products[i]);
    free(p->products);
    for (size_t i = 0; i < p->link_count; i++)
        free(p->links[i]);
    free(p->links);
    free(p->next_page);
    free(p->title);
    for (size_t i = 0; i < p->embedded_count; i++)
        free(p->embedded_json[i]);
    free(p->heading);
    free(p->near_heading);
    memset(p, 0, sizeof *p);
}

/* ---- listing records ----------------------------------------------------- */

size_t html_page_listings(const html_page *page, const char *platform, const char *page_url, const char *currency,
                          cJSON *listings)
{
    char region_text[3];
    const char *region = price_region(page_url, region_text) ? region_text : NULL;
    if (!page || !listings)
        return 0;
    size_t added = 0;
    bool page_url_taken = false;
    for (size_t i = 0; i < page->product_count; i++) {
        const html_product *p = &page->products[i];
        if (!p->name || !*p->name)
            continue;
        char resolved[URL_MAX], image[URL_MAX];
        const char *product_url = NULL;
        if (p->url && url_resolve(page_url, p->url, resolved, sizeof resolved))
            product_url = resolved;
        /* the page is the listing of its main product only */
        if (!product_url && page_url_taken)
            continue;
        if (!product_url)
            page_url_taken = true;
        const char *url = product_url ? product_url : page_url;
        const char *id = p->sku ? p->sku : url;
        if (!url || !id)
            continue;
        cJSON *o = cJSON_CreateObject();
        if (!o)
            break;
        cJSON_AddStringToObject(o, "platform", platform ? platform : "web");
        cJSON_AddStringToObject(o, "listing_id", id);
        cJSON_AddStringToObject(o, "url", url);
        cJSON_AddStringToObject(o, "title", p->name);
        if (p->description)
            cJSON_AddStringToObject(o, "description", p->description);
        price_reading reading;
        bool has_price = price_read(p->price, region, &reading);
        if (has_price) {
            double high = reading.high;
            price_reading top;
            if (p->price_max && price_read(p->price_max, region, &top))
                high = fmax(high, fmax(top.amount, top.high));
            cJSON_AddNumberToObject(o, "price", reading.amount);
            if (high > reading.amount)
                cJSON_AddNumberToObject(o, "price_max", high);
        }
        if (p->variants > 1)
            cJSON_AddNumberToObject(o, "variants", (double)p->variants);
        /* the product's (or the page's OpenGraph) currency, the one written
         * with the price, the target's; never VND by assumption */
        char code[4] = "";
        if (!currency_normalize(p->currency, region, code)) {
            if (has_price && reading.currency[0])
                memcpy(code, reading.currency, sizeof code);
            else if (currency && strlen(currency) == 3)
                memcpy(code, currency, sizeof code);
        }
        if (code[0] || has_price)
            cJSON_AddStringToObject(o, "currency", code[0] ? code : PRICE_CURRENCY_UNKNOWN);
        if (p->seller_id || p->seller_name || p->seller_region) {
            cJSON *s = cJSON_AddObjectToObject(o, "seller");
            if (s && p->seller_id)
                cJSON_AddStringToObject(s, "id", p->seller_id);
            if (s && p->seller_name)
                cJSON_AddStringToObject(s, "name", p->seller_name);
            if (s && p->seller_region)
                cJSON_AddStringToObject(s, "location", p->seller_region);
        }
        if (p->category)
            cJSON_AddStringToObject(o, "category", p->category);
        if (p->image && url_resolve(page_url, p->image, image, sizeof image)) {
            cJSON *images = cJSON_AddArrayToObject(o, "images");
            if (images)
                cJSON_AddItemToArray(images, cJSON_CreateString(image));
        }
        cJSON_AddItemToArray(listings, o);
        added++;
    }
    return added;
}

bool html_page_fallback_listing(const html_page *page, const char *platform, const char *page_url, cJSON *listings)
{
    if (!page || !listings || !page->heading || !*page->heading || !page->near_heading || !page_url)
        return false;
    /* structured data that names only other items' products (an order, a
     * related product) says this page is not a product page */
    if (page->related_products)
        return false;
    char url[URL_MAX], region_text[3];
    if (!url_resolve(NULL, page_url, url, sizeof url))
        return false;
    const char *region = price_region(url, region_text) ? region_text : NULL;
    price_reading reading;
    /* only an amount written as money: "12 sản phẩm" or "4.5 (120 reviews)" is not a price */
    if (!price_read(page->near_heading, region, &reading) || !reading.currency[0])
        return false;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return false;
    cJSON_AddStringToObject(o, "platform", platform ? platform : "web");
    cJSON_AddStringToObject(o, "listing_id", url);
    cJSON_AddStringToObject(o, "url", url);
    cJSON_AddStringToObject(o, "title", page->heading);
    cJSON_AddNumberToObject(o, "price", reading.amount);
    if (reading.high > reading.amount)
        cJSON_AddNumberToObject(o, "price_max", reading.high);
    cJSON_AddStringToObject(o, "currency", reading.currency);
    cJSON_AddStringToObject(o, "extraction", "fallback");
    cJSON_AddItemToArray(listings, o);
    return true;
}
