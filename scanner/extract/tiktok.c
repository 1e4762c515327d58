/* The TikTok Shop shape: product lists (search, a shop's products) as
 * {"data": {"products": [...], "has_more", "next_offset"}} or a top-level
 * "products"; each product's product_id, title, product_price_info
 * (sale_price_decimal, currency_name), seller_info (seller_id, shop_name)
 * and seo_url.canonical_url (else /view/product/ID on the site). A page of
 * one product ({"data": {"product": {...}}}) gives that product. TikTok
 * publishes no public search URL: a campaign names its start_urls.
 * docs/campaigns.md, "What the adapters read". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void tiktok_product(const campaign_target *t, const char *url, const char *site, const cJSON *p,
                           adapter_result *out)
{
    if (!cJSON_IsObject(p)) {
        drop_item(out, ITEM_DROP_NOT_OBJECT);
        return;
    }
    const cJSON *id = first_of(p, (const char *const[]){"product_id", "id", NULL});
    char *person = NULL;
    const cJSON *link = first_of(p, (const char *const[]){"seo_url.canonical_url", "product_url", NULL});
    if (cJSON_IsString(link)) {
        person = url_resolve_dup(site ? site : url, link->valuestring);
    } else {
        char text[64], path[128];
        if (json_text(id, text, sizeof text)) {
            snprintf(path, sizeof path, "/view/product/%s", text);
            person = url_resolve_dup(site ? site : url, path);
        }
    }
    listing_fields f = {id, first_of(p, (const char *const[]){"title", "product_name", "name", NULL}), NULL,
                        first_of(p, (const char *const[]){"product_price_info.sale_price_decimal",
                                                          "product_price_info.sale_price_format", "price.sale_price",
                                                          "price", NULL}),
                        first_of(p, (const char *const[]){"product_price_info.currency_name", "price.currency", NULL}),
                        first_of(p, (const char *const[]){"seller_info.seller_id", "seller.seller_id", "shop_id", NULL}),
                        first_of(p, (const char *const[]){"seller_info.shop_name", "seller.name", "shop_name", NULL}),
                        first_of(p, (const char *const[]){"seller_info.region", "seller.region", NULL}), NULL, NULL,
                        NULL, 1, person ? person : url, NULL, NULL, person == NULL, NULL,
                        (size_t)cJSON_GetArraySize(first_of(p, (const char *const[]){"skus", NULL}))};
    add_listing(out, t, &f);
    free(person);
}

static int tiktok_page(const campaign_target *t, page_kind kind, const char *url, const cJSON *root,
                       adapter_result *out)
{
    (void)kind;
    char site_buf[URL_MAX];
    const char *site = target_site(t, site_buf, sizeof site_buf) ? site_buf : NULL;
    const cJSON *one = json_path(root, "data.product");
    if (cJSON_IsObject(one)) {
        tiktok_product(t, url, site, one, out);
        return 0;
    }
    const cJSON *products = json_path(root, "data.products"), *p;
    if (!cJSON_IsArray(products))
        products = json_member(root, "products");
    if (!cJSON_IsArray(products))
        return -1;
    int count = 0;
    cJSON_ArrayForEach(p, products)
    {
        count++;
        tiktok_product(t, url, site, p, out);
    }
    const cJSON *more = first_of(root, (const char *const[]){"data.has_more", "has_more", NULL});
    if (count && cJSON_IsTrue(more)) {
        /* the API's own next offset (entries that are no product count in it), else offset + entries */
        const cJSON *given = first_of(root, (const char *const[]){"data.next_offset", "next_offset", NULL});
        long offset = url_query_long(url, "offset", 0);
        long next_offset = cJSON_IsNumber(given) ? (long)given->valuedouble : offset + count;
        if (next_offset > offset && next_offset < 100000000) {
            char next[32];
            snprintf(next, sizeof next, "%ld", next_offset);
            add_link_owned(out, url_with_parameter(url, "offset", next), PAGE_LISTING);
        }
    }
    return 0;
}

const adapter_shape adapter_tiktok = {NULL, NULL, NULL, NULL, PAGE_LISTING, tiktok_page, NULL};
