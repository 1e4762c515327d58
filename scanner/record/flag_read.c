/* flag_read: see flag_read.h. */
#include "scanner/record/flag_read.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rules/base/error_message.h"

static const char *text(const cJSON *object, const char *name)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(object, name));
}

int flag_read(const char *json, size_t length, flag_record *out, char *error, size_t error_size)
{
    memset(out, 0, sizeof *out);
    cJSON *root = cJSON_ParseWithLength(json, length);
    if (!root) {
        error_message_set(error, error_size, "not valid JSON");
        return -1;
    }
    if (!cJSON_IsObject(root)) {
        error_message_set(error, error_size, "a flag must be a JSON object");
        cJSON_Delete(root);
        return -1;
    }
    out->json = root;
    out->flag_id = text(root, "flag_id");
    out->listing = cJSON_GetObjectItemCaseSensitive(root, "listing");
    out->platform = text(out->listing, "platform");
    out->listing_id = text(out->listing, "listing_id");
    out->title = text(out->listing, "title");
    if (!out->flag_id || !cJSON_IsObject(out->listing) || !out->platform || !out->listing_id || !out->title) {
        error_message_set(error, error_size, "not a flag (flag_id and a listing with platform, listing_id and title)");
        flag_record_free(out);
        return -1;
    }
    out->url = text(out->listing, "url");
    out->description = text(out->listing, "description");
    out->currency = text(out->listing, "currency");
    out->category = text(out->listing, "category");
    const cJSON *price = cJSON_GetObjectItemCaseSensitive(out->listing, "price");
    if (cJSON_IsNumber(price) && isfinite(price->valuedouble)) {
        out->has_price = true;
        out->price = price->valuedouble;
    }
    const cJSON *seller = cJSON_GetObjectItemCaseSensitive(out->listing, "seller");
    out->seller_id = text(seller, "id");
    out->seller_name = text(seller, "name");
    out->seller_location = text(seller, "location");
    out->seller_official = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(seller, "official"));
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(root, "rules"))
    {
        if (out->rule_count == FLAG_READ_MAX_RULES)
            break;
        flag_rule_ref *r = &out->rules[out->rule_count];
        r->id = text(item, "id");
        if (!r->id)
            continue;
        r->kind = text(item, "kind");
        r->goods_group = text(item, "goods_group");
        r->name = text(item, "name");
        r->severity = text(item, "severity");
        r->score = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(item, "score"));
        const cJSON *reference = cJSON_GetObjectItemCaseSensitive(item, "reference_price");
        r->reference_price = cJSON_IsNumber(reference) ? reference->valuedouble : 0;
        out->rule_count++;
    }
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(root, "hits"))
    {
        if (out->hit_count == FLAG_READ_MAX_HITS)
            break;
        double start = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(item, "start")),
               end = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(item, "end"));
        const char *field = text(item, "field");
        if (!field || !(start >= 0) || !(end > start) || end > 1e9)
            continue;
        out->hits[out->hit_count++] = (flag_hit_ref){text(item, "rule"), field, text(item, "term"), (size_t)start,
                                                     (size_t)end};
    }
    out->signals = cJSON_GetObjectItemCaseSensitive(root, "signals");
    out->explain = text(root, "explain");
    out->severity = text(root, "severity");
    out->pack = text(root, "pack");
    out->scan_id = text(root, "scan_id");
    out->evidence = cJSON_GetObjectItemCaseSensitive(root, "evidence");
    if (cJSON_IsObject(out->evidence)) {
        out->has_evidence = true;
        out->evidence_url = text(out->evidence, "url");
        out->requested_url = text(out->evidence, "requested_url");
        out->fetched_at = text(out->evidence, "fetched_at");
        out->sha256 = text(out->evidence, "sha256");
        out->http_status = (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(out->evidence, "http_status"));
    }
    return 0;
}

void flag_record_free(flag_record *r)
{
    if (!r)
        return;
    cJSON_Delete(r->json);
    memset(r, 0, sizeof *r);
}
