/* The Tiki-like shape (tiki.vn sells in VND only: its default currency): the v2 products API (page numbers until
 * paging.last_page), categories, product details. The official-store flag
 * is is_official_store (true or 1) on the item or its current_seller, or an
 * "official" badge (badges_new[].code); a product's variants are its
 * configurable_products (count and price range). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/base/bytebuf.h"
#include "rules/base/url.h"
#include "scanner/extract/adapter_shared.h"
#include "scanner/extract/price.h"

/* cJSON values standing for a flag read from elsewhere (never freed) */
static const cJSON tiki_true = {.type = cJSON_True};

static const cJSON *tiki_official(const cJSON *item)
{
    const cJSON *flag = json_member(item, "is_official_store");
    if (!flag)
        flag = json_path(item, "current_seller.is_official_store");
    if (cJSON_IsTrue(flag) || (cJSON_IsNumber(flag) && flag->valuedouble != 0))
        return flag;
    const cJSON *badge;
    cJSON_ArrayForEach(badge, json_member(item, "badges_new"))
    {
        const cJSON *code = json_member(badge, "code");
        if (cJSON_IsString(code) && strstr(code->valuestring, "official"))
            return &tiki_true;
    }
    return flag;
}

/* The highest price among its configurable products (variants), or NULL;
 * *count gets how many there are. */
static const cJSON *tiki_variants(const cJSON *item, size_t *count)
{
    const cJSON *products = json_member(item, "configurable_products"), *p, *top = NULL;
    *count = 0;
    cJSON_ArrayForEach(p, (cJSON_IsArray(products) ? products : NULL))
    {
        const cJSON *price = json_member(p, "price");
        (*count)++;
        if (cJSON_IsNumber(price) && (!top || price->valuedouble > top->valuedouble))
            top = price;
    }
    return top;
}

static int tiki_page(const campaign_target *t, page_kind kind, const char *url, const cJSON *root, adapter_result *out)
{
    char path[512];
    const cJSON *data = json_member(root, "data");
    if (kind == PAGE_CATEGORIES) {
        const cJSON *c;
        cJSON_ArrayForEach(c, data)
        {
            char id[64];
            if (!json_text(json_member(c, "id"), id, sizeof id))
                continue;
            snprintf(path, sizeof path, "/api/v2/products?category=%s&page=1&limit=40", id);
            add_link_owned(out, url_join(t->base_url, path), PAGE_LISTING);
        }
        return cJSON_IsArray(data) ? 0 : -1;
    }
    if (kind == PAGE_DETAIL) {
        const cJSON *seller = json_member(root, "current_seller");
        char *person = NULL;
        const cJSON *url_path = json_member(root, "url_path");
        if (cJSON_IsString(url_path)) {
            snprintf(path, sizeof path, "/%s", url_path->valuestring);
            person = url_join(t->base_url, path);
        }
        listing_fields f = {json_member(root, "id"), json_member(root, "name"),
                            json_member(root, "short_description"), json_member(root, "price"), NULL,
                            json_member(seller, "id"), json_member(seller, "name"),
                            json_member(seller, "store_location"), tiki_official(root),
                            json_path(root, "categories.name"), NULL, 1, person, NULL, "VND", false, NULL, 0};
        f.price_max = tiki_variants(root, &f.variants);
        bool ok = add_listing(out, t, &f);
        free(person);
        return ok ? 0 : -1;
    }
    if (!cJSON_IsArray(data))
        return -1;
    const cJSON *item;
    cJSON_ArrayForEach(item, data)
    {
        if (!cJSON_IsObject(item)) {
            drop_item(out, ITEM_DROP_NOT_OBJECT);
            continue;
        }
        char id[64] = "";
        json_text(json_member(item, "id"), id, sizeof id);
        if (t->details) {
            snprintf(path, sizeof path, "/api/v2/products/%s", id);
            add_link_owned(out, url_join(t->base_url, path), PAGE_DETAIL);
            continue;
        }
        char *person = NULL;
        const cJSON *url_path = json_member(item, "url_path");
        if (cJSON_IsString(url_path)) {
            snprintf(path, sizeof path, "/%s", url_path->valuestring);
            person = url_join(t->base_url, path);
        }
        listing_fields f = {json_member(item, "id"), json_member(item, "name"), NULL,
                            json_member(item, "price"), NULL, json_member(item, "seller_id"),
                            json_member(item, "seller_name"), json_member(item, "seller_location"),
                            tiki_official(item),
                            json_member(item, "primary_category_name"), NULL, 1, person, NULL, "VND", false, NULL, 0};
        f.price_max = tiki_variants(item, &f.variants);
        add_listing(out, t, &f);
        free(person);
    }
    const cJSON *paging = json_member(root, "paging");
    double current = cJSON_GetNumberValue(json_member(paging, "current_page"));
    double last = cJSON_GetNumberValue(json_member(paging, "last_page"));
    if (isfinite(current) && isfinite(last) && current < last && cJSON_GetArraySize(data) > 0) {
        char next[32];
        snprintf(next, sizeof next, "%.0f", current + 1);
        add_link_owned(out, url_with_parameter(url, "page", next), PAGE_LISTING);
    }
    return 0;
}

const adapter_shape adapter_tiki = {"/api/v2/products?q=", "&page=1&limit=40", "/api/v2/categories", NULL,
                                    PAGE_LISTING, tiki_page, NULL};
