/* adapter_shared: see adapter_shared.h. */
#include "scanner/extract/adapter_shared.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* A string or a number as text (ids are numbers in some APIs). */
bool json_text(const cJSON *v, char *out, size_t size)
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

void add_string(cJSON *object, const char *name, const cJSON *value)
{
    char text[8192];
    if (json_text(value, text, sizeof text))
        cJSON_AddStringToObject(object, name, text);
}


/* Builds a listing record; false (nothing added) without an id or a title. */
bool add_listing(adapter_result *out, const campaign_target *t, const listing_fields *f)
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
    else if (cJSON_IsString(f->price) && !price_find(f->price->valuestring, &price))
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

