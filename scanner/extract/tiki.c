/* The Tiki-like shape (tiki.vn sells in VND only: its default currency): the v2 products API (page numbers until
 * paging.last_page), categories, product details. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/base/bytebuf.h"
#include "rules/base/url.h"
#include "scanner/extract/adapter_shared.h"
#include "scanner/extract/price.h"

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
                            json_path(root, "categories.name"), NULL, 1, person, NULL, "VND", false};
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
                            cJSON_GetObjectItem(item, "primary_category_name"), NULL, 1, person, NULL, "VND", false};
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

const adapter_shape adapter_tiki = {"/api/v2/products?q=", "&page=1&limit=40", "/api/v2/categories", NULL,
                                    PAGE_LISTING, tiki_page, NULL};
