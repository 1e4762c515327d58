/* Any JSON API, read by the field paths the campaign gives (fields:). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/base/bytebuf.h"
#include "rules/base/url.h"
#include "scanner/extract/adapter_shared.h"
#include "scanner/extract/price.h"

static int json_page(const campaign_target *t, page_kind kind, const char *url, const cJSON *root, adapter_result *out)
{
    (void)kind;
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

const adapter_shape adapter_json = {NULL, NULL, NULL, NULL, PAGE_LISTING, json_page, NULL};
