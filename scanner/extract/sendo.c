/* The Sendo shape: the search API (`/m/wap_v2/search/product?q=WORD&p=N`),
 * items in `data` (each flat or wrapped as {"item": {...}}), prices in VND
 * (final_price, the price after discount, else price), the shop flat
 * (shop_id, shop_name, shop_warehouse_city) or in shop_info; the product
 * page is the item's cat_path / category_path ("slug-123.html") on the
 * site. Paging by `p` while items come, up to meta.total_page when given.
 * docs/campaigns.md, "What the adapters read". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/base/bytebuf.h"
#include "rules/base/url.h"
#include "scanner/extract/adapter_shared.h"

static const cJSON *first_of(const cJSON *item, const char *const *paths)
{
    for (; *paths; paths++) {
        const cJSON *v = json_path(item, *paths);
        if (v && !cJSON_IsNull(v) && !(cJSON_IsString(v) && !*v->valuestring))
            return v;
    }
    return NULL;
}

static int sendo_page(const campaign_target *t, page_kind kind, const char *url, const cJSON *root,
                      adapter_result *out)
{
    (void)kind;
    const cJSON *items = json_member(root, "data"), *entry;
    if (cJSON_IsObject(items))
        items = json_member(items, "list");
    if (!cJSON_IsArray(items))
        return -1;
    char site[URL_MAX];
    bool has_site = target_site(t, site, sizeof site);
    int count = 0;
    cJSON_ArrayForEach(entry, items)
    {
        count++;
        const cJSON *item = cJSON_IsObject(json_member(entry, "item")) ? json_member(entry, "item") : entry;
        if (!cJSON_IsObject(item)) {
            drop_item(out, ITEM_DROP_NOT_OBJECT);
            continue;
        }
        char *person = NULL;
        const cJSON *path = first_of(item, (const char *const[]){"cat_path", "category_path", "url_key", NULL});
        if (cJSON_IsString(path)) {
            bytebuf b;
            bytebuf_init(&b, 4096);
            if (path->valuestring[0] != '/')
                bytebuf_append_char(&b, '/');
            bytebuf_append_string(&b, path->valuestring);
            if (!strstr(path->valuestring, ".html"))
                bytebuf_append_string(&b, ".html");
            if (!b.overflow)
                person = url_resolve_dup(has_site ? site : url, b.data);
            bytebuf_free(&b);
        }
        listing_fields f = {first_of(item, (const char *const[]){"product_id", "id", NULL}),
                            json_member(item, "name"), NULL,
                            first_of(item, (const char *const[]){"final_price", "price", NULL}), NULL,
                            first_of(item, (const char *const[]){"shop_id", "shop_info.shop_id", "seller_admin_id", NULL}),
                            first_of(item, (const char *const[]){"shop_name", "shop_info.shop_name", NULL}),
                            first_of(item, (const char *const[]){"shop_warehouse_city", "shop_info.warehouse_city", NULL}),
                            first_of(item, (const char *const[]){"shop_info.is_certified", "is_certified", NULL}), NULL, NULL, 1,
                            person ? person : url, NULL, "VND", person == NULL,
                            first_of(item, (const char *const[]){"max_final_price", "max_price", NULL}), 0};
        add_listing(out, t, &f);
        free(person);
    }
    long page = url_query_long(url, "p", 1);
    const cJSON *total = json_path(root, "meta.total_page");
    if (count && page >= 1 && page < 10000 && (!cJSON_IsNumber(total) || page < total->valuedouble)) {
        char next[32];
        snprintf(next, sizeof next, "%ld", page + 1);
        add_link_owned(out, url_with_parameter(url, "p", next), PAGE_LISTING);
    }
    return 0;
}

const adapter_shape adapter_sendo = {"/m/wap_v2/search/product?q=", "&p=1&s=60", NULL, NULL, PAGE_LISTING, sendo_page,
                                     NULL};
