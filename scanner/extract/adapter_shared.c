/* adapter_shared: see adapter_shared.h. */
#include "scanner/extract/adapter_shared.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/base/bytebuf.h"
#include "rules/base/url.h"
#include "scanner/extract/price.h"

void add_link_owned(adapter_result *r, char *url, page_kind kind)
{
    if (!url)
        return;
    if (r->link_count == ADAPTER_MAX_LINKS) {
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

/* ---- JSON helpers ---------------------------------------------------------------- */

/* Follows a dotted path ("data.items", "item_basic.name", "items.0"). */
const cJSON *json_path(const cJSON *root, const char *path)
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

/* What snprintf(out, size, "%s", text) writes, without printf (this runs
 * several times per listing). */
static void copy_bounded(char *out, size_t size, const char *text, size_t length)
{
    if (!size)
        return;
    if (length > size - 1)
        length = size - 1;
    memcpy(out, text, length);
    out[length] = '\0';
}

/* A string or a number as text (ids are numbers in some APIs). */
bool json_text(const cJSON *v, char *out, size_t size)
{
    if (cJSON_IsString(v) && v->valuestring) {
        copy_bounded(out, size, v->valuestring, strlen(v->valuestring));
        return true;
    }
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == floor(d) && fabs(d) < 9007199254740992.0 && !(d == 0 && signbit(d))) {
            /* ids: what %lld (and %.0f) writes, without the formatting machinery */
            long long n = (long long)d;
            unsigned long long u = n < 0 ? 0ull - (unsigned long long)n : (unsigned long long)n;
            char digits[24];
            size_t i = sizeof digits;
            do {
                digits[--i] = (char)('0' + u % 10);
                u /= 10;
            } while (u);
            if (n < 0)
                digits[--i] = '-';
            copy_bounded(out, size, digits + i, sizeof digits - i);
        } else {
            snprintf(out, size, "%.0f", d);
        }
        return true;
    }
    return false;
}

void add_string(cJSON *object, const char *name, const cJSON *value)
{
    char text[8192];
    if (json_text(value, text, sizeof text))
        cJSON_AddStringToObject(object, name, text);
}


/* A price field's text that is a price and not a caption: a number alone
 * ("179.99", "1 234,50") or an amount with its currency ("12,50 €"). */
static bool price_field_text(const char *s, const char *region, price_reading *r)
{
    if (!price_read(s, region, r))
        return false;
    if (r->currency[0])
        return true;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s) && !strchr(".,' \t", *s))
            return false;
    return true;
}

static bool currency_of(const cJSON *v, const char *region, char code[4])
{
    return cJSON_IsString(v) && currency_normalize(v->valuestring, region, code);
}

void drop_item(adapter_result *out, item_drop reason)
{
    if ((unsigned)reason < ITEM_DROP_COUNT)
        out->dropped[reason]++;
}

/* A typed record's string: a copy in the result's arena (NULL stays NULL). */
static bool keep(adapter_result *out, const char **s)
{
    if (!*s)
        return true;
    *s = arena_strndup(out->arena, *s, strlen(*s));
    return *s != NULL;
}

/* Appends the record, its strings copied into the arena; false when out of memory. */
static bool add_record(adapter_result *out, listing_record r)
{
    if (!out->arena && !(out->arena = arena_create()))
        return false;
    if (out->record_count == out->record_capacity) {
        size_t capacity = out->record_capacity ? out->record_capacity * 2 : 64;
        listing_record *grown = realloc(out->records, capacity * sizeof *grown);
        if (!grown)
            return false;
        out->records = grown;
        out->record_capacity = capacity;
    }
    /* platform is the campaign's and outlives the page; the rest is the page's or the caller's */
    if (!keep(out, &r.listing_id) || !keep(out, &r.url) || !keep(out, &r.title) || !keep(out, &r.description) ||
        !keep(out, &r.currency) || !keep(out, &r.seller_id) || !keep(out, &r.seller_name) ||
        !keep(out, &r.seller_location) || !keep(out, &r.category))
        return false;
    out->records[out->record_count++] = r;
    return true;
}

/* The JSON form of a record (listing.h gives the members and their order). */
static cJSON *record_json(const listing_record *r)
{
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "platform", r->platform);
    cJSON_AddStringToObject(l, "listing_id", r->listing_id);
    cJSON_AddStringToObject(l, "url", r->url);
    if (r->url_is_page)
        cJSON_AddStringToObject(l, "url_source", "page");
    cJSON_AddStringToObject(l, "title", r->title);
    if (r->description)
        cJSON_AddStringToObject(l, "description", r->description);
    if (r->has_price)
        cJSON_AddNumberToObject(l, "price", r->price);
    if (r->has_price_max)
        cJSON_AddNumberToObject(l, "price_max", r->price_max);
    if (r->has_variants)
        cJSON_AddNumberToObject(l, "variants", r->variants);
    if (r->currency)
        cJSON_AddStringToObject(l, "currency", r->currency);
    cJSON *seller = cJSON_CreateObject();
    if (r->seller_id)
        cJSON_AddStringToObject(seller, "id", r->seller_id);
    if (r->seller_name)
        cJSON_AddStringToObject(seller, "name", r->seller_name);
    if (r->seller_location)
        cJSON_AddStringToObject(seller, "location", r->seller_location);
    cJSON_AddBoolToObject(seller, "official", r->seller_official);
    cJSON_AddItemToObject(l, "seller", seller);
    if (r->category)
        cJSON_AddStringToObject(l, "category", r->category);
    if (r->has_livestream)
        cJSON_AddBoolToObject(l, "is_livestream", r->is_livestream);
    return l;
}

bool add_listing(adapter_result *out, const campaign_target *t, const listing_fields *f)
{
    char id[256];
    if (!json_text(f->id, id, sizeof id) || !*id) {
        out->dropped[ITEM_DROP_NO_ID]++;
        return false;
    }
    if (!cJSON_IsString(f->title) || !*f->title->valuestring) {
        out->dropped[ITEM_DROP_NO_TITLE]++;
        return false;
    }
    char region_text[3];
    const char *region = price_region(t->site_url ? t->site_url : t->base_url, region_text) ? region_text : NULL;
    listing_record r = {.platform = t->platform, .listing_id = id, .url = f->url ? f->url : "",
                        .url_is_page = f->url_is_page, .title = f->title->valuestring};
    if (cJSON_IsString(f->description))
        r.description = f->description->valuestring;
    price_reading reading = {NAN, NAN, "", false};
    bool has_price = false;
    /* an amount in API units written as a string ("400000", Shopee's
     * newer cards) is the same number as when written as one */
    double as_number = NAN;
    if (cJSON_IsString(f->price) && f->price_divisor > 0 && f->price_divisor != 1) {
        char *end;
        double d = strtod(f->price->valuestring, &end);
        if (end != f->price->valuestring && !*end)
            as_number = d;
    }
    if (cJSON_IsNumber(f->price) || isfinite(as_number)) {
        double divisor = f->price_divisor > 0 ? f->price_divisor : 1;
        double v = (isfinite(as_number) ? as_number : f->price->valuedouble) / divisor;
        if (divisor != 1)
            v = round(v * 1e4) / 1e4; /* 17999000 / 100000: no binary noise in 179.99 */
        reading.amount = reading.high = v;
        has_price = isfinite(v) && v >= 0;
    } else if (cJSON_IsString(f->price)) {
        const char *text = f->price->valuestring;
        has_price = price_find_in_text(text, region, &reading) || price_field_text(text, region, &reading);
    }
    /* the item's currency, the one written with its price, the page's, the
     * target's, the adapter's: the first known */
    char code[4] = "";
    if (currency_of(f->currency, region, code))
        ;
    else if (has_price && reading.currency[0])
        memcpy(code, reading.currency, sizeof code);
    else if (currency_of(f->page_currency, region, code))
        ;
    else if (t->currency)
        snprintf(code, sizeof code, "%s", t->currency);
    else if (f->default_currency)
        snprintf(code, sizeof code, "%s", f->default_currency);
    if (has_price) {
        double high = reading.high;
        double max_number = cJSON_IsNumber(f->price_max) ? f->price_max->valuedouble
                            : cJSON_IsString(f->price_max)  ? strtod(f->price_max->valuestring, NULL)
                                                            : NAN;
        if (isfinite(max_number) && (cJSON_IsNumber(f->price) || isfinite(as_number))) {
            double divisor = f->price_divisor > 0 ? f->price_divisor : 1;
            double v = max_number / divisor;
            if (divisor != 1)
                v = round(v * 1e4) / 1e4;
            if (isfinite(v) && v > high)
                high = v;
        }
        r.has_price = true;
        r.price = reading.amount;
        if (high > reading.amount) {
            r.has_price_max = true;
            r.price_max = high;
        }
    }
    if (f->variants > 1) {
        r.has_variants = true;
        r.variants = (double)f->variants;
    }
    if (code[0] || has_price)
        r.currency = code[0] ? code : PRICE_CURRENCY_UNKNOWN;
    /* seller and category as text (ids are numbers in some APIs), each at most 8191 bytes */
    char seller_id[8192], seller_name[8192], seller_location[8192], category[8192];
    r.seller_id = json_text(f->seller_id, seller_id, sizeof seller_id) ? seller_id : NULL;
    r.seller_name = json_text(f->seller_name, seller_name, sizeof seller_name) ? seller_name : NULL;
    r.seller_location = json_text(f->seller_location, seller_location, sizeof seller_location) ? seller_location : NULL;
    /* true, or 1 (some APIs write flags as numbers) */
    r.seller_official = cJSON_IsTrue(f->seller_official) ||
                        (cJSON_IsNumber(f->seller_official) && f->seller_official->valuedouble != 0);
    r.category = json_text(f->category, category, sizeof category) ? category : NULL;
    if (f->livestream) {
        r.has_livestream = true;
        r.is_livestream = cJSON_IsTrue(f->livestream);
    }
    /* out of memory for the typed record: the JSON form, which says the same */
    if (!out->typed || !add_record(out, r))
        cJSON_AddItemToArray(out->listings, record_json(&r));
    return true;
}

/* ---- listing URLs ---------------------------------------------------------------- */

bool target_site(const campaign_target *t, char *out, size_t size)
{
    if (t->site_url && strlen(t->site_url) < size) {
        snprintf(out, size, "%s", t->site_url);
        return true;
    }
    if (!t->base_url || !url_origin(t->base_url, out, size))
        return false;
    size_t n = strlen(out);
    if (n + 2 > size)
        return false;
    out[n] = '/';
    out[n + 1] = '\0';
    return true;
}

char *listing_url_from_template(const campaign_target *t, const cJSON *item)
{
    const char *tpl = t->fields.url_template;
    char site[URL_MAX];
    if (!tpl || !target_site(t, site, sizeof site))
        return NULL;
    bytebuf path;
    bytebuf_init(&path, URL_MAX);
    bool ok = true;
    for (const char *p = tpl; *p && ok;) {
        const char *close = *p == '{' ? strchr(p, '}') : NULL;
        if (!close) {
            bytebuf_append_char(&path, *p++);
            continue;
        }
        char name[128], value[1024];
        size_t n = (size_t)(close - p - 1);
        ok = n > 0 && n < sizeof name;
        if (ok) {
            memcpy(name, p + 1, n);
            name[n] = '\0';
            ok = json_text(json_path(item, name), value, sizeof value) && *value;
        }
        if (ok)
            url_encode_component(&path, value);
        p = close + 1;
    }
    char *url = ok && !path.overflow ? url_resolve_dup(site, path.data) : NULL;
    bytebuf_free(&path);
    return url;
}

int read_json_items(const campaign_target *t, const char *page_url, const cJSON *root, adapter_result *out)
{
    const json_fields *p = &t->fields;
    const cJSON *items = json_path(root, p->items);
    if (!cJSON_IsArray(items))
        return -1;
    char site[URL_MAX];
    bool has_site = target_site(t, site, sizeof site);
    int added = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, items)
    {
        if (!cJSON_IsObject(item)) {
            drop_item(out, ITEM_DROP_NOT_OBJECT);
            continue;
        }
        const cJSON *item_url = json_path(item, p->url);
        char *person = NULL;
        if (cJSON_IsString(item_url) && *item_url->valuestring)
            person = url_resolve_dup(has_site ? site : page_url, item_url->valuestring);
        if (!person)
            person = listing_url_from_template(t, item);
        bool from_page = !person;
        if (!person)
            person = strdup(page_url);
        /* the currency path, when the item has none, is looked up on the page ("meta.currency") */
        const cJSON *currency = json_path(item, p->currency);
        listing_fields f = {json_path(item, p->listing_id), json_path(item, p->title), json_path(item, p->description),
                            json_path(item, p->price), currency, json_path(item, p->seller_id),
                            json_path(item, p->seller_name), json_path(item, p->seller_location),
                            json_path(item, p->seller_official), json_path(item, p->category), NULL,
                            p->price_divisor, person, currency ? NULL : json_path(root, p->currency), NULL, from_page, NULL, 0};
        added += add_listing(out, t, &f);
        free(person);
    }
    return added;
}
