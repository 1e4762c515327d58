/* The Lazada shape: the catalog search (`/catalog/?ajax=true&q=WORD&page=N`),
 * items in mods.listItems, paging by mainInfo.page / pageSize / totalResults
 * (numbers written as strings). A price is read as the site shows it
 * (priceShow "₫123,000", which names the currency), else `price`
 * ("123000.00"). Links are protocol-relative ("//www.lazada.vn/products/
 * ...-i123-s456.html") and resolve against the site. docs/campaigns.md,
 * "What the adapters read". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/base/url.h"
#include "scanner/extract/adapter_shared.h"

static double number_or_text(const cJSON *v)
{
    if (cJSON_IsNumber(v))
        return v->valuedouble;
    if (cJSON_IsString(v)) {
        char *end;
        double d = strtod(v->valuestring, &end);
        if (end != v->valuestring && !*end)
            return d;
    }
    return NAN;
}

static int lazada_page(const campaign_target *t, page_kind kind, const char *url, const cJSON *root,
                       adapter_result *out)
{
    (void)kind;
    const cJSON *items = json_path(root, "mods.listItems"), *item;
    if (!cJSON_IsArray(items))
        return -1;
    char site[URL_MAX];
    bool has_site = target_site(t, site, sizeof site);
    int count = 0;
    cJSON_ArrayForEach(item, items)
    {
        count++;
        if (!cJSON_IsObject(item)) {
            drop_item(out, ITEM_DROP_NOT_OBJECT);
            continue;
        }
        const cJSON *id = json_member(item, "itemId");
        if (!id)
            id = json_member(item, "nid");
        const cJSON *price = json_member(item, "priceShow");
        if (!cJSON_IsString(price) || !*price->valuestring)
            price = json_member(item, "price");
        const cJSON *link = json_member(item, "productUrl");
        if (!cJSON_IsString(link))
            link = json_member(item, "itemUrl");
        char *person = cJSON_IsString(link) ? url_resolve_dup(has_site ? site : url, link->valuestring) : NULL;
        listing_fields f = {id, json_member(item, "name"), NULL, price, json_member(item, "currency"),
                            json_member(item, "sellerId"), json_member(item, "sellerName"),
                            json_member(item, "location"), json_member(item, "isLazMall"),
                            json_member(item, "categories"), NULL, 1, person ? person : url, NULL, NULL,
                            person == NULL, NULL, 0};
        add_listing(out, t, &f);
        free(person);
    }
    double page = number_or_text(json_path(root, "mainInfo.page"));
    double size = number_or_text(json_path(root, "mainInfo.pageSize"));
    double total = number_or_text(json_path(root, "mainInfo.totalResults"));
    if (count && isfinite(page) && isfinite(size) && isfinite(total) && page >= 1 && page < 10000 &&
        page * size < total) {
        char next[32];
        snprintf(next, sizeof next, "%.0f", page + 1);
        add_link_owned(out, url_with_parameter(url, "page", next), PAGE_LISTING);
    }
    return 0;
}

const adapter_shape adapter_lazada = {"/catalog/?ajax=true&q=", "&page=1", NULL, NULL, PAGE_LISTING, lazada_page, NULL};
