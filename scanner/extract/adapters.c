/* Site adapters: Shopee-like, Tiki-like, storefront HTML, social feeds and
 * a configurable JSON adapter. Field names follow the real sites' public
 * JSON; see docs/fixture-market.md for the shapes. */
#include "scanner/extract/adapters.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/base/bytebuf.h"
#include "rules/base/json_repair.h"
#include "rules/base/url.h"
#include "scanner/extract/extract_html.h"

#define MAX_LINKS 8192
#define SHOPEE_PRICE_UNIT 100000.0

void adapter_result_init(adapter_result *r)
{
    memset(r, 0, sizeof *r);
    r->listings = cJSON_CreateArray();
}

void adapter_result_reset(adapter_result *r)
{
    for (size_t i = 0; i < r->link_count; i++)
        free(r->links[i].url);
    r->link_count = 0;
    r->parse_failed = false;
    r->json_repairs = 0;
    cJSON_Delete(r->listings);
    r->listings = cJSON_CreateArray();
}

void adapter_result_free(adapter_result *r)
{
    adapter_result_reset(r);
    cJSON_Delete(r->listings);
    free(r->links);
    memset(r, 0, sizeof *r);
}

static void add_link_owned(adapter_result *r, char *url, page_kind kind)
{
    if (!url)
        return;
    if (r->link_count == MAX_LINKS) {
        free(url);
        return;
    }
    if (r->link_count == r->link_capacity) {
        size_t capacity = r->link_capacity ? r->link_capacity * 2 : 64;
        discovered_link *grown = realloc(r->links, capacity * sizeof *grown);
        if (!grown) {
            free(url);
            return;
        }
        r->links = grown;
        r->link_capacity = capacity;
    }
    r->links[r->link_count++] = (discovered_link){url, kind};
}

/* ---- prices in text ------------------------------------------------------------- */

/* Reads a price starting at s (a digit); returns its end or NULL. */
static const char *read_price(const char *s, double *out)
{
    const char *p = s;
    double whole = 0;
    size_t digits = 0;
    while (isdigit((unsigned char)*p)) {
        whole = whole * 10 + (*p - '0');
        p++;
        digits++;
    }
    if (!digits)
        return NULL;
    /* "2tr5", "2tr", "2 triệu", "1,2 triệu", "350k" */
    double fraction = 0, scale = 0;
    const char *q = p;
    if ((*q == ',' || *q == '.') && isdigit((unsigned char)q[1])) {
        const char *r = q + 1;
        double f = 0, div = 1;
        size_t n = 0;
        while (isdigit((unsigned char)*r)) {
            f = f * 10 + (*r - '0');
            div *= 10;
            r++;
            n++;
        }
        const char *after = r;
        while (*after == ' ')
            after++;
        if (n <= 2 && (!strncmp(after, "triệu", 6) || !strncmp(after, "tr", 2))) {
            fraction = f / div;
            q = r;
        } else {
            /* grouped thousands: 1.200.000 or 1,200,000 */
            const char *g = p;
            double v = whole;
            while ((*g == '.' || *g == ',') && isdigit((unsigned char)g[1]) && isdigit((unsigned char)g[2]) &&
                   isdigit((unsigned char)g[3]) && !isdigit((unsigned char)g[4])) {
                v = v * 1000 + (g[1] - '0') * 100 + (g[2] - '0') * 10 + (g[3] - '0');
                g += 4;
            }
            if (g != p) {
                *out = v;
                return g;
            }
        }
    }
    const char *u = q;
    while (*u == ' ')
        u++;
    if (!strncmp(u, "triệu", 6) || !strncmp(u, "Triệu", 6)) {
        scale = 1e6;
        q = u + 6;
    } else if ((u[0] == 't' || u[0] == 'T') && (u[1] == 'r' || u[1] == 'R')) {
        scale = 1e6;
        q = u + 2;
        if (isdigit((unsigned char)*q) && !isdigit((unsigned char)q[1])) { /* 2tr5 */
            fraction = (*q - '0') / 10.0;
            q++;
        }
    } else if ((u[0] == 'k' || u[0] == 'K') && !isalpha((unsigned char)u[1])) {
        scale = 1e3;
        q = u + 1;
    } else {
        scale = 1;
    }
    *out = (whole + fraction) * scale;
    return q;
}

bool price_from_text(const char *text, double *vnd)
{
    if (!text)
        return false;
    /* after "giá" first (any case, with or without its mark) */
    static const char *const labels[] = {"giá", "Giá", "GIÁ", "gia ", "Gia "};
    for (size_t k = 0; k < sizeof labels / sizeof labels[0]; k++) {
        for (const char *at = strstr(text, labels[k]); at; at = strstr(at + 1, labels[k])) {
            const char *p = at + strlen(labels[k]);
            for (int skip = 0; *p && skip < 24 && !isdigit((unsigned char)*p) && *p != '\n'; skip++)
                p++;
            double v;
            if (isdigit((unsigned char)*p) && read_price(p, &v) && v >= 1000) {
                *vnd = v;
                return true;
            }
        }
    }
    /* else a number with a money unit */
    for (const char *p = text; *p; p++) {
        if (!isdigit((unsigned char)*p) || (p > text && (isalnum((unsigned char)p[-1]))))
            continue;
        double v;
        const char *end = read_price(p, &v);
        if (!end)
            continue;
        const char *u = end;
        while (*u == ' ')
            u++;
        bool unit = end != p && (u != end || true) &&
                    (!strncmp(u, "đ", 2) || !strncmp(u, "₫", 3) || !strncmp(u, "VND", 3) || !strncmp(u, "vnd", 3) ||
                     end[-1] == 'k' || end[-1] == 'K' || v >= 1e6);
        if (unit && v >= 1000) {
            *vnd = v;
            return true;
        }
        p = end - 1;
    }
    return false;
}

/* ---- JSON helpers ---------------------------------------------------------------- */

/* Follows a dotted path ("data.items", "item_basic.name", "items.0"). */
static const cJSON *json_path(const cJSON *root, const char *path)
{
    if (!path)
        return NULL;
    const cJSON *at = root;
    char part[128];
    while (at && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof part)
            return NULL;
        memcpy(part, path, n);
        part[n] = '\0';
        if (cJSON_IsArray(at) && isdigit((unsigned char)part[0]))
            at = cJSON_GetArrayItem(at, (int)strtol(part, NULL, 10));
        else
            at = cJSON_GetObjectItemCaseSensitive(at, part);
        path += n + (path[n] == '.');
    }
    return at;
}

/* A string or a number as text (ids are numbers in some APIs). */
static bool json_text(const cJSON *v, char *out, size_t size)
{
    if (cJSON_IsString(v) && v->valuestring) {
        snprintf(out, size, "%s", v->valuestring);
        return true;
    }
    if (cJSON_IsNumber(v)) {
        snprintf(out, size, "%.0f", v->valuedouble);
        return true;
    }
    return false;
}

static void add_string(cJSON *object, const char *name, const cJSON *value)
{
    char text[8192];
    if (json_text(value, text, sizeof text))
        cJSON_AddStringToObject(object, name, text);
}

typedef struct listing_fields {
    const cJSON *id, *title, *description, *price, *currency, *seller_id, *seller_name, *seller_location,
        *seller_official, *category, *livestream;
    double price_divisor;
    const char *url;   /* built by the adapter */
} listing_fields;

/* Builds a listing record; false (nothing added) without an id or a title. */
static bool add_listing(adapter_result *out, const campaign_target *t, const listing_fields *f)
{
    char id[256];
    if (!json_text(f->id, id, sizeof id) || !cJSON_IsString(f->title) || !*f->title->valuestring)
        return false;
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "platform", t->platform);
    cJSON_AddStringToObject(l, "listing_id", id);
    cJSON_AddStringToObject(l, "url", f->url ? f->url : "");
    cJSON_AddStringToObject(l, "title", f->title->valuestring);
    if (cJSON_IsString(f->description))
        cJSON_AddStringToObject(l, "description", f->description->valuestring);
    double price = NAN;
    if (cJSON_IsNumber(f->price))
        price = f->price->valuedouble / (f->price_divisor > 0 ? f->price_divisor : 1);
    else if (cJSON_IsString(f->price) && !price_from_text(f->price->valuestring, &price))
        price = NAN;
    if (isfinite(price) && price >= 0)
        cJSON_AddNumberToObject(l, "price", round(price));
    cJSON_AddStringToObject(l, "currency", cJSON_IsString(f->currency) ? f->currency->valuestring : "VND");
    cJSON *seller = cJSON_CreateObject();
    add_string(seller, "id", f->seller_id);
    add_string(seller, "name", f->seller_name);
    add_string(seller, "location", f->seller_location);
    cJSON_AddBoolToObject(seller, "official", cJSON_IsTrue(f->seller_official));
    cJSON_AddItemToObject(l, "seller", seller);
    add_string(l, "category", f->category);
    if (f->livestream)
        cJSON_AddBoolToObject(l, "is_livestream", cJSON_IsTrue(f->livestream));
    cJSON_AddItemToArray(out->listings, l);
    return true;
}

/* ---- Shopee-like ------------------------------------------------------------------ */

static int shopee_page(const campaign_target *t, page_kind kind, const char *url, const cJSON *root,
                       adapter_result *out)
{
    char path[512];
    if (kind == PAGE_CATEGORIES) {
        const cJSON *c;
        cJSON_ArrayForEach(c, json_path(root, "data.category_list"))
        {
            char id[64];
            if (!json_text(cJSON_GetObjectItem(c, "catid"), id, sizeof id))
                continue;
            snprintf(path, sizeof path, "/api/v4/search/search_items?match_id=%s&limit=60&newest=0", id);
            add_link_owned(out, url_join(t->base_url, path), PAGE_LISTING);
        }
        return json_path(root, "data.category_list") ? 0 : -1;
    }
    if (kind == PAGE_DETAIL) {
        const cJSON *d = cJSON_GetObjectItem(root, "data");
        if (!cJSON_IsObject(d))
            return -1;
        char shop[64] = "", item[64] = "";
        json_text(cJSON_GetObjectItem(d, "shopid"), shop, sizeof shop);
        json_text(cJSON_GetObjectItem(d, "itemid"), item, sizeof item);
        snprintf(path, sizeof path, "/product/%s/%s", shop, item);
        char *person = url_join(t->base_url, path);
        listing_fields f = {cJSON_GetObjectItem(d, "itemid"), cJSON_GetObjectItem(d, "name"),
                            cJSON_GetObjectItem(d, "description"), cJSON_GetObjectItem(d, "price"),
                            cJSON_GetObjectItem(d, "currency"), cJSON_GetObjectItem(d, "shopid"),
                            cJSON_GetObjectItem(d, "shop_name"), cJSON_GetObjectItem(d, "shop_location"),
                            cJSON_GetObjectItem(d, "is_official_shop"), NULL, cJSON_GetObjectItem(d, "is_live_streaming"),
                            SHOPEE_PRICE_UNIT, person};
        add_listing(out, t, &f);
        free(person);
        return 0;
    }
    /* a search, category or shop page: items, or data.items */
    const cJSON *items = cJSON_GetObjectItem(root, "items");
    if (!items)
        items = json_path(root, "data.items");
    if (!cJSON_IsArray(items))
        return -1;
    const cJSON *item;
    int count = 0;
    cJSON_ArrayForEach(item, items)
    {
        const cJSON *b = cJSON_GetObjectItem(item, "item_basic");
        if (!b)
            b = item;
        char shop[64] = "", id[64] = "";
        json_text(cJSON_GetObjectItem(b, "shopid"), shop, sizeof shop);
        json_text(cJSON_GetObjectItem(b, "itemid"), id, sizeof id);
        snprintf(path, sizeof path, "/product/%s/%s", shop, id);
        char *person = url_join(t->base_url, path);
        listing_fields f = {cJSON_GetObjectItem(b, "itemid"), cJSON_GetObjectItem(b, "name"), NULL,
                            cJSON_GetObjectItem(b, "price"), cJSON_GetObjectItem(b, "currency"),
                            cJSON_GetObjectItem(b, "shopid"), cJSON_GetObjectItem(b, "shop_name"),
                            cJSON_GetObjectItem(b, "shop_location"), cJSON_GetObjectItem(b, "is_official_shop"), NULL,
                            cJSON_GetObjectItem(b, "is_live_streaming"), SHOPEE_PRICE_UNIT, person};
        if (t->details) {
            snprintf(path, sizeof path, "/api/v4/item/get?itemid=%s&shopid=%s", id, shop);
            add_link_owned(out, url_join(t->base_url, path), PAGE_DETAIL);
        } else {
            add_listing(out, t, &f);
        }
        free(person);
        count++;
    }
    const cJSON *nomore = cJSON_GetObjectItem(root, "nomore");
    if (!nomore)
        nomore = json_path(root, "data.nomore");
    if (count && nomore && !cJSON_IsTrue(nomore)) {
        bool shop_page = strstr(url, "/shop/search_items") != NULL;
        const char *offset_name = shop_page ? "offset" : "newest";
        char next[32];
        snprintf(next, sizeof next, "%ld", url_query_long(url, offset_name, 0) + count);
        add_link_owned(out, url_with_parameter(url, offset_name, next), PAGE_LISTING);
    }
    return 0;
}

/* ---- Tiki-like ---------------------------------------------------------------------- */

static int tiki_page(const campaign_target *t, page_kind kind, const char *url, const cJSON *root, adapter_result *out)
{
    char path[512];
    const cJSON *data = cJSON_GetObjectItem(root, "data");
    if (kind == PAGE_CATEGORIES) {
        const cJSON *c;
        cJSON_ArrayForEach(c, data)
        {
            char id[64];
            if (!json_text(cJSON_GetObjectItem(c, "id"), id, sizeof id))
                continue;
            snprintf(path, sizeof path, "/api/v2/products?category=%s&page=1&limit=40", id);
            add_link_owned(out, url_join(t->base_url, path), PAGE_LISTING);
        }
        return cJSON_IsArray(data) ? 0 : -1;
    }
    if (kind == PAGE_DETAIL) {
        const cJSON *seller = cJSON_GetObjectItem(root, "current_seller");
        char *person = NULL;
        const cJSON *url_path = cJSON_GetObjectItem(root, "url_path");
        if (cJSON_IsString(url_path)) {
            snprintf(path, sizeof path, "/%s", url_path->valuestring);
            person = url_join(t->base_url, path);
        }
        listing_fields f = {cJSON_GetObjectItem(root, "id"), cJSON_GetObjectItem(root, "name"),
                            cJSON_GetObjectItem(root, "short_description"), cJSON_GetObjectItem(root, "price"), NULL,
                            cJSON_GetObjectItem(seller, "id"), cJSON_GetObjectItem(seller, "name"),
                            cJSON_GetObjectItem(seller, "store_location"), cJSON_GetObjectItem(seller, "is_official_store"),
                            json_path(root, "categories.name"), NULL, 1, person};
        bool ok = add_listing(out, t, &f);
        free(person);
        return ok ? 0 : -1;
    }
    if (!cJSON_IsArray(data))
        return -1;
    const cJSON *item;
    cJSON_ArrayForEach(item, data)
    {
        char id[64] = "";
        json_text(cJSON_GetObjectItem(item, "id"), id, sizeof id);
        if (t->details) {
            snprintf(path, sizeof path, "/api/v2/products/%s", id);
            add_link_owned(out, url_join(t->base_url, path), PAGE_DETAIL);
            continue;
        }
        char *person = NULL;
        const cJSON *url_path = cJSON_GetObjectItem(item, "url_path");
        if (cJSON_IsString(url_path)) {
            snprintf(path, sizeof path, "/%s", url_path->valuestring);
            person = url_join(t->base_url, path);
        }
        listing_fields f = {cJSON_GetObjectItem(item, "id"), cJSON_GetObjectItem(item, "name"), NULL,
                            cJSON_GetObjectItem(item, "price"), NULL, cJSON_GetObjectItem(item, "seller_id"),
                            cJSON_GetObjectItem(item, "seller_name"), cJSON_GetObjectItem(item, "seller_location"),
                            cJSON_GetObjectItem(item, "is_official_store"),
                            cJSON_GetObjectItem(item, "primary_category_name"), NULL, 1, person};
        add_listing(out, t, &f);
        free(person);
    }
    const cJSON *paging = cJSON_GetObjectItem(root, "paging");
    double current = cJSON_GetNumberValue(cJSON_GetObjectItem(paging, "current_page"));
    double last = cJSON_GetNumberValue(cJSON_GetObjectItem(paging, "last_page"));
    if (isfinite(current) && isfinite(last) && current < last && cJSON_GetArraySize(data) > 0) {
        char next[32];
        snprintf(next, sizeof next, "%.0f", current + 1);
        add_link_owned(out, url_with_parameter(url, "page", next), PAGE_LISTING);
    }
    return 0;
}

/* ---- social feeds --------------------------------------------------------------------- */

static int social_page(const campaign_target *t, page_kind kind, const char *url, const cJSON *root,
                       adapter_result *out)
{
    const cJSON *data = cJSON_GetObjectItem(root, "data");
    if (!cJSON_IsArray(data))
        return -1;
    if (kind == PAGE_CATEGORIES) {
        const cJSON *topic;
        cJSON_ArrayForEach(topic, data)
        {
            const cJSON *feed = cJSON_GetObjectItem(topic, "feed");
            if (cJSON_IsString(feed))
                add_link_owned(out, url_resolve_dup(url, feed->valuestring), PAGE_LISTING);
        }
        return 0;
    }
    const cJSON *post;
    cJSON_ArrayForEach(post, data)
    {
        const cJSON *message = cJSON_GetObjectItem(post, "message"), *from = cJSON_GetObjectItem(post, "from");
        if (!cJSON_IsString(message))
            continue;
        /* the title is the caption's first line */
        size_t first = strcspn(message->valuestring, "\n");
        char *title_text = strndup(message->valuestring, first > 1024 ? 1024 : first);
        cJSON *title = cJSON_CreateString(title_text ? title_text : "");
        free(title_text);
        double price;
        cJSON *price_value = price_from_text(message->valuestring, &price) ? cJSON_CreateNumber(price) : NULL;
        const cJSON *permalink = cJSON_GetObjectItem(post, "permalink_url");
        char *person = cJSON_IsString(permalink) ? url_resolve_dup(url, permalink->valuestring) : NULL;
        listing_fields f = {cJSON_GetObjectItem(post, "id"), title, message, price_value, NULL,
                            cJSON_GetObjectItem(from, "id"), cJSON_GetObjectItem(from, "name"),
                            cJSON_GetObjectItem(from, "location"), cJSON_GetObjectItem(from, "verified"),
                            cJSON_GetObjectItem(post, "topic"), cJSON_GetObjectItem(post, "is_live"), 1, person};
        add_listing(out, t, &f);
        free(person);
        cJSON_Delete(title);
        cJSON_Delete(price_value);
    }
    const cJSON *next = json_path(root, "paging.next");
    if (cJSON_IsString(next))
        add_link_owned(out, url_resolve_dup(url, next->valuestring), PAGE_LISTING);
    return 0;
}

/* ---- configurable JSON ------------------------------------------------------------------ */

static int json_page(const campaign_target *t, const char *url, const cJSON *root, adapter_result *out)
{
    const json_fields *p = &t->fields;
    const cJSON *items = json_path(root, p->items);
    if (!cJSON_IsArray(items))
        return -1;
    const cJSON *item;
    cJSON_ArrayForEach(item, items)
    {
        const cJSON *item_url = json_path(item, p->url);
        char *person = cJSON_IsString(item_url) ? url_resolve_dup(url, item_url->valuestring) : strdup(url);
        listing_fields f = {json_path(item, p->listing_id), json_path(item, p->title), json_path(item, p->description),
                            json_path(item, p->price), json_path(item, p->currency), json_path(item, p->seller_id),
                            json_path(item, p->seller_name), json_path(item, p->seller_location),
                            json_path(item, p->seller_official), json_path(item, p->category), NULL,
                            p->price_divisor, person};
        add_listing(out, t, &f);
        free(person);
    }
    const cJSON *next = json_path(root, p->next_url);
    if (cJSON_IsString(next) && *next->valuestring)
        add_link_owned(out, url_resolve_dup(url, next->valuestring), PAGE_LISTING);
    return 0;
}

/* ---- storefront HTML --------------------------------------------------------------------- */

/* A link on a storefront page worth following: within the target (its
 * base_url's scope or one of its hosts; other links on a page are ordinary
 * off-site anchors, not followed and not counted) and, with `follow:`,
 * containing one of those strings in its path. */
static bool follows(const campaign_target *t, const char *link)
{
    if (!campaign_target_allows(t, link))
        return false;
    if (!t->follow.count)
        return true;
    url_parts p;
    if (!url_parse(link, &p))
        return false;
    for (size_t i = 0; i < t->follow.count; i++)
        if (memmem(p.path, p.path_length + (p.query ? 1 + p.query_length : 0), t->follow.items[i],
                   strlen(t->follow.items[i])))
            return true;
    return false;
}

static int storefront_page(const campaign_target *t, const char *url, const char *body, size_t length,
                           adapter_result *out, char *error, size_t error_size)
{
    html_page page;
    int rc = extract_html(body, length, url, &page, error, error_size);
    if (rc < 0)
        return -1;
    html_page_listings(&page, t->platform, url, out->listings);
    for (size_t i = 0; i < page.link_count; i++)
        if (follows(t, page.links[i]))
            add_link_owned(out, strdup(page.links[i]), PAGE_HTML);
    html_page_free(&page);
    return 0;
}

/* ---- entry points ------------------------------------------------------------------------ */

int adapter_seed(const campaign_target *t, const char *const *keywords, size_t keyword_count, adapter_result *out)
{
    const char *const *words = t->keywords_from_rules ? keywords : (const char *const *)t->keywords.items;
    size_t word_count = t->keywords_from_rules ? keyword_count : t->keywords.count;
    for (size_t i = 0; i < word_count; i++) {
        bytebuf path;
        bytebuf_init(&path, 4096);
        switch (t->adapter) {
        case ADAPTER_SHOPEE: bytebuf_append_string(&path, "/api/v4/search/search_items?keyword="); break;
        case ADAPTER_TIKI: bytebuf_append_string(&path, "/api/v2/products?q="); break;
        case ADAPTER_STOREFRONT: bytebuf_append_string(&path, "/search?q="); break;
        case ADAPTER_SOCIAL: bytebuf_append_string(&path, "/api/search?q="); break;
        default: break;
        }
        if (path.length) {
            url_encode_component(&path, words[i]);
            bytebuf_append_string(&path, t->adapter == ADAPTER_SHOPEE ? "&limit=60&newest=0"
                                         : t->adapter == ADAPTER_TIKI ? "&page=1&limit=40"
                                                                      : "");
            add_link_owned(out, url_join(t->base_url, path.data),
                           t->adapter == ADAPTER_STOREFRONT ? PAGE_HTML : PAGE_LISTING);
        }
        bytebuf_free(&path);
    }
    if (t->categories) {
        switch (t->adapter) {
        case ADAPTER_SHOPEE: add_link_owned(out, url_join(t->base_url, "/api/v4/pages/get_category_tree"), PAGE_CATEGORIES); break;
        case ADAPTER_TIKI: add_link_owned(out, url_join(t->base_url, "/api/v2/categories"), PAGE_CATEGORIES); break;
        case ADAPTER_SOCIAL: add_link_owned(out, url_join(t->base_url, "/api/topics"), PAGE_CATEGORIES); break;
        case ADAPTER_STOREFRONT: add_link_owned(out, url_join(t->base_url, "/"), PAGE_HTML); break;
        default: break;
        }
    }
    /* start URLs are absolute, or paths under base_url (which may itself
     * have a path: "http://host/social" + "/api/feed") */
    for (size_t i = 0; i < t->start_urls.count; i++) {
        const char *start = t->start_urls.items[i];
        char *url;
        if (!strncmp(start, "http://", 7) || !strncmp(start, "https://", 8)) {
            url = strdup(start);
        } else {
            bytebuf path;
            bytebuf_init(&path, 4096);
            if (start[0] != '/')
                bytebuf_append_char(&path, '/');
            bytebuf_append_string(&path, start);
            url = path.overflow ? NULL : url_join(t->base_url, path.data);
            bytebuf_free(&path);
        }
        add_link_owned(out, url, t->adapter == ADAPTER_STOREFRONT ? PAGE_HTML : PAGE_LISTING);
    }
    if (out->link_count == 0 && t->adapter == ADAPTER_SOCIAL)
        add_link_owned(out, url_join(t->base_url, "/api/feed?limit=20"), PAGE_LISTING);
    return 0;
}

int adapter_parse(const campaign_target *t, page_kind kind, const char *url, const char *body, size_t length,
                  adapter_result *out, char *error, size_t error_size)
{
    int rc;
    if (t->adapter == ADAPTER_STOREFRONT || kind == PAGE_HTML) {
        rc = storefront_page(t, url, body, length, out, error, error_size);
    } else {
        /* one bad string (a lone surrogate escape, a NUL) must not lose the page */
        bytebuf repaired;
        bytebuf_init(&repaired, length * 3 + 64);
        size_t repairs = json_repair(body, length, &repaired);
        if (repairs && !repaired.overflow) {
            body = repaired.data;
            length = repaired.length;
            out->json_repairs += repairs;
        }
        cJSON *root = cJSON_ParseWithLength(body, length);
        bytebuf_free(&repaired);
        if (!root) {
            snprintf(error, error_size, "not valid JSON");
            out->parse_failed = true;
            return -1;
        }
        switch (t->adapter) {
        case ADAPTER_SHOPEE: rc = shopee_page(t, kind, url, root, out); break;
        case ADAPTER_TIKI: rc = tiki_page(t, kind, url, root, out); break;
        case ADAPTER_SOCIAL: rc = social_page(t, kind, url, root, out); break;
        default: rc = json_page(t, url, root, out); break;
        }
        cJSON_Delete(root);
        if (rc < 0)
            snprintf(error, error_size, "not the %s page shape this adapter reads", adapter_name(t->adapter));
    }
    if (rc < 0)
        out->parse_failed = true;
    return rc;
}
