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
    if (read_json_items(t, url, root, out) < 0)
        return -1;
    const cJSON *next = json_path(root, p->next_url);
    if (cJSON_IsString(next) && *next->valuestring)
        add_link_owned(out, url_resolve_dup(url, next->valuestring), PAGE_LISTING);
    return 0;
}

const adapter_shape adapter_json = {NULL, NULL, NULL, NULL, PAGE_LISTING, json_page, NULL};
