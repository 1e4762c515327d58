#include "scanner/record/listing.h"
#include "rules/base/json_arena.h"
#include "rules/base/json_repair.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of s[0..length) that start no valid UTF-8 sequence; runs of ASCII
 * are skipped eight bytes at a time (most listing text is ASCII). */
static size_t invalid_utf8_bytes(const unsigned char *s, size_t length)
{
    size_t bad = 0;
    for (size_t i = 0; i < length;) {
        if (i + 8 <= length) {
            uint64_t word;
            memcpy(&word, s + i, 8);
            if (!(word & 0x8080808080808080ull)) {
                i += 8;
                continue;
            }
        }
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = utf8_common_length(s + i, length - i); /* Vietnamese letters without the call */
        if (!n)
            n = utf8_sequence_length(s + i, length - i);
        bad += n == 0;
        i += n ? n : 1;
    }
    return bad;
}

/* Copies s[0..length) to `fixed` with each byte that starts no valid UTF-8
 * sequence replaced by U+FFFD (room: length + 2 * bad + 1); returns the
 * bytes written, without the NUL it adds. */
static size_t repair_into(const unsigned char *s, size_t length, char *fixed)
{
    size_t o = 0;
    for (size_t i = 0; i < length;) {
        size_t n = utf8_sequence_length(s + i, length - i);
        if (n) {
            memcpy(fixed + o, s + i, n);
            o += n;
            i += n;
        } else {
            memcpy(fixed + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    fixed[o] = '\0';
    return o;
}

/* Replaces invalid UTF-8 in every string of the tree; returns bytes
 * replaced. The repaired copies come from `a` when the tree lives there
 * (the old string dies with the arena), else from malloc. */
static size_t repair_strings(cJSON *item, arena *a)
{
    size_t repaired = 0;
    for (; item; item = item->next) {
        if (cJSON_IsString(item) && item->valuestring) {
            const unsigned char *s = (const unsigned char *)item->valuestring;
            size_t length = strlen(item->valuestring), bad = invalid_utf8_bytes(s, length);
            if (bad) {
                char *fixed = a ? arena_alloc(a, length + bad * 2 + 1) : malloc(length + bad * 2 + 1);
                if (fixed) {
                    repair_into(s, length, fixed);
                    if (!a)
                        cJSON_free(item->valuestring);
                    item->valuestring = fixed; /* cJSON_Delete frees with free() through cJSON_free's default */
                    repaired += bad;
                }
            }
        }
        if (item->child)
            repaired += repair_strings(item->child, a);
    }
    return repaired;
}

static const char *string_field(const cJSON *v, const char *name, bool required, const char **error_field,
                                const char **error_kind)
{
    if (!v || cJSON_IsNull(v)) {
        if (required) {
            *error_field = name;
            *error_kind = "missing";
        }
        return NULL;
    }
    if (!cJSON_IsString(v)) {
        *error_field = name;
        *error_kind = "not a string";
        return NULL;
    }
    if (required && !*v->valuestring) {
        *error_field = name;
        *error_kind = "empty";
    }
    return v->valuestring;
}

static int from_json(cJSON *json, listing *out, char *error, size_t error_size, arena *a);

/* listing_parse and listing_parse_in: the tree from malloc (a NULL) or in a. */
static int parse_line(const char *line, size_t length, listing *out, char *error, size_t error_size, arena *a)
{
    memset(out, 0, sizeof *out);
    if (length > LISTING_MAX_LINE) {
        snprintf(error, error_size, "line longer than %zu MiB", LISTING_MAX_LINE >> 20);
        return -1;
    }
    const char *end = NULL;
    bytebuf repaired;
    bytebuf_init(&repaired, length * 3 + 64);
    size_t repairs = json_repair(line, length, &repaired);
    if (repairs && !repaired.overflow) {
        line = repaired.data;
        length = repaired.length;
    }
    cJSON *json = a ? json_arena_parse_opts(a, line, length, &end) : cJSON_ParseWithLengthOpts(line, length, &end, false);
    if (!json) {
        size_t offset = end && end >= line ? (size_t)(end - line) : 0;
        snprintf(error, error_size, "not valid JSON (near byte %zu)", offset);
        bytebuf_free(&repaired);
        return -1;
    }
    bytebuf_free(&repaired);
    int rc = from_json(json, out, error, error_size, a);
    out->json_repairs = repairs;
    return rc;
}

int listing_parse(const char *line, size_t length, listing *out, char *error, size_t error_size)
{
    return parse_line(line, length, out, error, error_size, NULL);
}

int listing_parse_in(arena *a, const char *line, size_t length, listing *out, char *error, size_t error_size)
{
    if (!a) {
        memset(out, 0, sizeof *out);
        snprintf(error, error_size, "no arena");
        return -1;
    }
    return parse_line(line, length, out, error, error_size, a);
}

int listing_from_json(cJSON *json, listing *out, char *error, size_t error_size)
{
    return from_json(json, out, error, error_size, NULL);
}

static int from_json(cJSON *json, listing *out, char *error, size_t error_size, arena *a)
{
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(json)) {
        snprintf(error, error_size, "a listing must be a JSON object");
        if (!a)
            cJSON_Delete(json);
        return -1;
    }
    out->json = json;
    out->json_in_arena = a != NULL;
    out->repaired_bytes = repair_strings(json->child, a);
    listing_facts *f = &out->facts;
    /* one pass over the members (the first of a repeated name counts, as
     * with cJSON_GetObjectItemCaseSensitive) instead of a lookup per field */
    enum { F_PLATFORM, F_LISTING_ID, F_URL, F_TITLE, F_DESCRIPTION, F_CURRENCY, F_CATEGORY, F_PRICE, F_SELLER,
           F_LIVESTREAM, F_COUNT };
    static const char *const names[F_COUNT] = {"platform", "listing_id", "url", "title", "description",
                                               "currency", "category", "price", "seller", "is_livestream"};
    const cJSON *member[F_COUNT] = {NULL};
    for (const cJSON *c = json->child; c; c = c->next) {
        const char *k = c->string;
        if (!k)
            continue;
        int which = -1;
        switch (k[0]) {
        case 'p': which = k[1] == 'l' ? F_PLATFORM : F_PRICE; break;
        case 'l': which = F_LISTING_ID; break;
        case 'u': which = F_URL; break;
        case 't': which = F_TITLE; break;
        case 'd': which = F_DESCRIPTION; break;
        case 'c': which = k[1] == 'u' ? F_CURRENCY : F_CATEGORY; break;
        case 's': which = F_SELLER; break;
        case 'i': which = F_LIVESTREAM; break;
        default: break;
        }
        if (which >= 0 && !member[which] && !strcmp(k, names[which]))
            member[which] = c;
    }
    const char *bad_field = NULL, *bad_kind = NULL;
    f->platform = string_field(member[F_PLATFORM], "platform", true, &bad_field, &bad_kind);
    f->listing_id = string_field(member[F_LISTING_ID], "listing_id", true, &bad_field, &bad_kind);
    string_field(member[F_URL], "url", true, &bad_field, &bad_kind);
    f->title = string_field(member[F_TITLE], "title", true, &bad_field, &bad_kind);
    f->description = string_field(member[F_DESCRIPTION], "description", false, &bad_field, &bad_kind);
    f->currency = string_field(member[F_CURRENCY], "currency", false, &bad_field, &bad_kind);
    f->category = string_field(member[F_CATEGORY], "category", false, &bad_field, &bad_kind);
    const cJSON *price = member[F_PRICE];
    if (price && !cJSON_IsNull(price)) {
        if (!cJSON_IsNumber(price) || !isfinite(price->valuedouble) || price->valuedouble < 0) {
            bad_field = "price";
            bad_kind = "not a non-negative number";
        } else {
            f->has_price = true;
            f->price = price->valuedouble;
        }
    }
    const cJSON *seller = member[F_SELLER];
    if (seller && !cJSON_IsNull(seller)) {
        if (!cJSON_IsObject(seller)) {
            bad_field = "seller";
            bad_kind = "not an object";
        } else {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(seller, "id");
            if (cJSON_IsString(id))
                f->seller_id = id->valuestring;
            else if (id && !cJSON_IsNull(id)) {
                bad_field = "seller.id";
                bad_kind = "not a string";
            }
            const cJSON *location = cJSON_GetObjectItemCaseSensitive(seller, "location");
            if (cJSON_IsString(location))
                f->seller_location = location->valuestring;
            f->seller_official = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(seller, "official"));
        }
    }
    const cJSON *live = member[F_LIVESTREAM];
    if (live && !cJSON_IsNull(live) && !cJSON_IsBool(live)) {
        bad_field = "is_livestream";
        bad_kind = "not true or false";
    }
    f->is_livestream = cJSON_IsTrue(live);
    if (bad_field) {
        snprintf(error, error_size, "field '%s' is %s", bad_field, bad_kind);
        listing_free(out);
        return -1;
    }
    f->title_length = strlen(f->title);
    f->description_length = f->description ? strlen(f->description) : 0;
    return 0;
}

/* The record's strings, in one list for the repair. */
#define RECORD_STRINGS 10

static void record_strings(listing_record *r, const char **slot[RECORD_STRINGS])
{
    const char **s[RECORD_STRINGS] = {&r->platform,  &r->listing_id, &r->url,       &r->title,
                                      &r->description, &r->currency, &r->seller_id, &r->seller_name,
                                      &r->seller_location, &r->category};
    memcpy(slot, s, sizeof s);
}

/* What string_field says of a typed member: NULL is missing, "" empty when required. */
static void record_field(const char *v, const char *name, bool required, const char **error_field,
                         const char **error_kind)
{
    if (!required)
        return;
    if (!v) {
        *error_field = name;
        *error_kind = "missing";
    } else if (!*v) {
        *error_field = name;
        *error_kind = "empty";
    }
}

int listing_from_record(const listing_record *r, listing *out, char *error, size_t error_size)
{
    memset(out, 0, sizeof *out);
    out->record = *r;
    listing_record *rec = &out->record;
    /* invalid UTF-8 is rare: count first, and copy only what needs it into one block */
    const char **slot[RECORD_STRINGS];
    record_strings(rec, slot);
    size_t length[RECORD_STRINGS], bad[RECORD_STRINGS], need = 0, total_bad = 0;
    for (int i = 0; i < RECORD_STRINGS; i++) {
        const char *s = *slot[i];
        length[i] = s ? strlen(s) : 0;
        bad[i] = s ? invalid_utf8_bytes((const unsigned char *)s, length[i]) : 0;
        if (bad[i])
            need += length[i] + bad[i] * 2 + 1;
        total_bad += bad[i];
    }
    if (total_bad) {
        out->repaired = malloc(need);
        if (out->repaired) { /* out of memory: kept as it is, as repair_strings does */
            char *at = out->repaired;
            for (int i = 0; i < RECORD_STRINGS; i++) {
                if (!bad[i])
                    continue;
                size_t n = repair_into((const unsigned char *)*slot[i], length[i], at);
                *slot[i] = at;
                length[i] = n;
                at += n + 1;
            }
            out->repaired_bytes = total_bad;
        }
    }
    /* the same checks, in the same order, as listing_from_json: the last bad field is named */
    const char *bad_field = NULL, *bad_kind = NULL;
    record_field(rec->platform, "platform", true, &bad_field, &bad_kind);
    record_field(rec->listing_id, "listing_id", true, &bad_field, &bad_kind);
    record_field(rec->url, "url", true, &bad_field, &bad_kind);
    record_field(rec->title, "title", true, &bad_field, &bad_kind);
    if (rec->has_price && (!isfinite(rec->price) || rec->price < 0)) {
        bad_field = "price";
        bad_kind = "not a non-negative number";
    }
    if (bad_field) {
        snprintf(error, error_size, "field '%s' is %s", bad_field, bad_kind);
        listing_free(out);
        return -1;
    }
    listing_facts *f = &out->facts;
    f->platform = rec->platform;
    f->listing_id = rec->listing_id;
    f->title = rec->title;
    f->title_length = length[3];
    f->description = rec->description;
    f->description_length = rec->description ? length[4] : 0;
    f->currency = rec->currency;
    f->category = rec->category;
    f->has_price = rec->has_price;
    f->price = rec->has_price ? rec->price : 0;
    f->seller_id = rec->seller_id;
    f->seller_location = rec->seller_location;
    f->seller_official = rec->seller_official;
    f->is_livestream = rec->has_livestream && rec->is_livestream;
    return 0;
}

void listing_free(listing *l)
{
    if (!l->json_in_arena)
        cJSON_Delete(l->json);
    free(l->repaired);
    memset(l, 0, sizeof *l);
}

const char *listing_url(const listing *l)
{
    if (!l->json)
        return l->record.url;
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(l->json, "url");
    return cJSON_IsString(url) ? url->valuestring : NULL;
}

void json_write(const cJSON *v, bytebuf *out)
{
    if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        bool object = cJSON_IsObject(v);
        bytebuf_append_char(out, object ? '{' : '[');
        for (const cJSON *c = v->child; c; c = c->next) {
            if (c != v->child)
                bytebuf_append_char(out, ',');
            if (object) {
                bytebuf_append_json_string(out, c->string ? c->string : "", c->string ? strlen(c->string) : 0);
                bytebuf_append_char(out, ':');
            }
            json_write(c, out);
        }
        bytebuf_append_char(out, object ? '}' : ']');
    } else if (cJSON_IsString(v)) {
        bytebuf_append_json_string(out, v->valuestring, strlen(v->valuestring));
    } else if (cJSON_IsNumber(v)) {
        json_write_number(v->valuedouble, out);
    } else if (cJSON_IsTrue(v)) {
        bytebuf_append_string(out, "true");
    } else if (cJSON_IsFalse(v)) {
        bytebuf_append_string(out, "false");
    } else {
        bytebuf_append_string(out, "null");
    }
}

void json_write_number(double d, bytebuf *out)
{
    if (!isfinite(d))
        bytebuf_append_string(out, "null");
    else if (d == floor(d) && fabs(d) < 9007199254740992.0)
        bytebuf_append_i64(out, (int64_t)d); /* ids and prices: no printf on the hot path */
    else
        bytebuf_printf(out, "%.17g", d);
}
