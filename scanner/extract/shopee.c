/* The Shopee-like shape: the v4 search API (offset paging by `newest` until
 * `nomore`), the category tree, item details; prices in units of 1/100000
 * VND. Items come as {item_basic: {...}}, flat, or in the newer item-card
 * shape (item_card_displayed_asset.name, item_card_display_price.price);
 * variants are `models` / `tier_variations` with price_min..price_max.
 * docs/campaigns.md, "What the adapters read". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/base/bytebuf.h"
#include "rules/base/url.h"
#include "scanner/extract/adapter_shared.h"
#include "scanner/extract/price.h"

#define SHOPEE_PRICE_UNIT 100000.0

/* The members of an item (or its item_basic) the adapter reads, found in
 * one walk over the object: a page of 60 items with two dozen members each
 * made cJSON_GetObjectItemCaseSensitive's linear search, a dozen per item,
 * show in profiles. The first member of a name wins, as in that search. */
typedef struct shopee_members {
    const cJSON *item_basic, *itemid, *shopid, *name, *price, *price_min, *price_max, *currency, *shop_name,
        *shop_location, *is_official_shop, *is_live_streaming, *models, *tier_variations;
} shopee_members;

static void shopee_read_members(const cJSON *o, shopee_members *m)
{
    *m = (shopee_members){0};
    for (const cJSON *c = o ? o->child : NULL; c && c->string; c = c->next) {
        const char *k = c->string;
        const cJSON **slot = NULL;
        switch (k[0]) {
        case 'c': slot = !strcmp(k, "currency") ? &m->currency : NULL; break;
        case 'i':
            slot = !strcmp(k, "itemid")              ? &m->itemid
                   : !strcmp(k, "item_basic")        ? &m->item_basic
                   : !strcmp(k, "is_official_shop")  ? &m->is_official_shop
                   : !strcmp(k, "is_live_streaming") ? &m->is_live_streaming
                                                     : NULL;
            break;
        case 'm': slot = !strcmp(k, "models") ? &m->models : NULL; break;
        case 'n': slot = !strcmp(k, "name") ? &m->name : NULL; break;
        case 'p':
            slot = !strcmp(k, "price")       ? &m->price
                   : !strcmp(k, "price_min") ? &m->price_min
                   : !strcmp(k, "price_max") ? &m->price_max
                                             : NULL;
            break;
        case 's':
            slot = !strcmp(k, "shopid")          ? &m->shopid
                   : !strcmp(k, "shop_name")     ? &m->shop_name
                   : !strcmp(k, "shop_location") ? &m->shop_location
                                                 : NULL;
            break;
        case 't': slot = !strcmp(k, "tier_variations") ? &m->tier_variations : NULL; break;
        default: break;
        }
        if (slot && !*slot)
            *slot = c;
    }
}

/* How many variants an item has: its models, else the product of its
 * tier_variations' option counts (size x colour); 0 when none is given. */
static size_t shopee_variants_of(const cJSON *models, const cJSON *tiers)
{
    if (cJSON_IsArray(models) && cJSON_GetArraySize(models) > 0)
        return (size_t)cJSON_GetArraySize(models);
    const cJSON *tier;
    size_t n = 0;
    cJSON_ArrayForEach(tier, (cJSON_IsArray(tiers) ? tiers : NULL))
    {
        int options = cJSON_GetArraySize(json_member(tier, "options"));
        if (options > 0)
            n = (n ? n : 1) * (size_t)(options > 10000 ? 10000 : options);
    }
    return n;
}

static size_t shopee_variants(const cJSON *b)
{
    return shopee_variants_of(json_member(b, "models"), json_member(b, "tier_variations"));
}

/* The item's price in any of the shapes: item_basic, flat, item card. */
static const cJSON *shopee_price_of(const cJSON *item, const cJSON *price, const cJSON *price_min)
{
    if (!cJSON_IsNumber(price) && !cJSON_IsString(price))
        price = json_path(item, "item_card_display_price.price");
    if (!cJSON_IsNumber(price) && !cJSON_IsString(price))
        price = price_min;
    return price;
}

static const cJSON *shopee_price(const cJSON *item, const cJSON *b)
{
    return shopee_price_of(item, json_member(b, "price"), json_member(b, "price_min"));
}

/* base_url/product/SHOP/ITEM (what url_join of that path gives), malloc'd;
 * NULL when out of memory. */
static char *shopee_product_url(const campaign_target *t, const char *shop, const char *item)
{
    size_t base = strlen(t->base_url), shop_length = strlen(shop), item_length = strlen(item);
    while (base && t->base_url[base - 1] == '/')
        base--;
    char *url = malloc(base + 9 + shop_length + 1 + item_length + 1);
    if (!url)
        return NULL;
    char *p = url;
    memcpy(p, t->base_url, base);
    p += base;
    memcpy(p, "/product/", 9);
    p += 9;
    memcpy(p, shop, shop_length);
    p += shop_length;
    *p++ = '/';
    memcpy(p, item, item_length + 1);
    return url;
}

static int shopee_page(const campaign_target *t, page_kind kind, const char *url, const cJSON *root,
                       adapter_result *out)
{
    char path[512];
    if (kind == PAGE_CATEGORIES) {
        const cJSON *c;
        cJSON_ArrayForEach(c, json_path(root, "data.category_list"))
        {
            char id[64];
            if (!json_text(json_member(c, "catid"), id, sizeof id))
                continue;
            snprintf(path, sizeof path, "/api/v4/search/search_items?match_id=%s&limit=60&newest=0", id);
            add_link_owned(out, url_join(t->base_url, path), PAGE_LISTING);
        }
        return json_path(root, "data.category_list") ? 0 : -1;
    }
    if (kind == PAGE_DETAIL) {
        const cJSON *d = json_member(root, "data");
        if (!cJSON_IsObject(d))
            return -1;
        /* the newer product page (pdp/get_pc): data.item with item_id,
         * shop_id, title; the shop in data.shop_detailed */
        const cJSON *shop_info = NULL;
        if (cJSON_IsObject(json_member(d, "item"))) {
            shop_info = json_member(d, "shop_detailed");
            d = json_member(d, "item");
        }
        const cJSON *itemid = json_member(d, "itemid"), *shopid = json_member(d, "shopid");
        const cJSON *name = json_member(d, "name"), *shop_name = json_member(d, "shop_name");
        const cJSON *location = json_member(d, "shop_location");
        if (!itemid)
            itemid = json_member(d, "item_id");
        if (!shopid)
            shopid = json_member(d, "shop_id");
        if (!cJSON_IsString(name))
            name = json_member(d, "title");
        if (!shop_name)
            shop_name = json_member(shop_info, "name");
        if (!location)
            location = json_member(shop_info, "shop_location");
        char shop[64] = "", item[64] = "";
        json_text(shopid, shop, sizeof shop);
        json_text(itemid, item, sizeof item);
        char *person = shopee_product_url(t, shop, item);
        listing_fields f = {itemid, name,
                            json_member(d, "description"), shopee_price(d, d),
                            json_member(d, "currency"), shopid,
                            shop_name, location,
                            json_member(d, "is_official_shop"), NULL, json_member(d, "is_live_streaming"),
                            SHOPEE_PRICE_UNIT, person, NULL, NULL, false, json_member(d, "price_max"),
                            shopee_variants(d)};
        add_listing(out, t, &f);
        free(person);
        return 0;
    }
    /* a search, category or shop page: items, or data.items */
    const cJSON *items = json_member(root, "items");
    if (!items)
        items = json_path(root, "data.items");
    if (!cJSON_IsArray(items))
        return -1;
    const cJSON *item;
    int count = 0;
    cJSON_ArrayForEach(item, items)
    {
        if (!cJSON_IsObject(item)) {
            drop_item(out, ITEM_DROP_NOT_OBJECT);
            continue;
        }
        /* item_basic's members, or the item's own (the flat shape) */
        shopee_members im, bm;
        shopee_read_members(item, &im);
        if (cJSON_IsObject(im.item_basic))
            shopee_read_members(im.item_basic, &bm);
        else
            bm = im;
        char shop[64] = "", id[64] = "";
        const cJSON *itemid = bm.itemid ? bm.itemid : im.itemid;
        const cJSON *shopid = bm.shopid ? bm.shopid : im.shopid;
        json_text(shopid, shop, sizeof shop);
        json_text(itemid, id, sizeof id);
        const cJSON *name = bm.name;
        if (!cJSON_IsString(name))
            name = json_path(item, "item_card_displayed_asset.name");
        char *person = shopee_product_url(t, shop, id);
        listing_fields f = {itemid, name, NULL,
                            shopee_price_of(item, bm.price, bm.price_min), bm.currency,
                            shopid, bm.shop_name,
                            bm.shop_location, bm.is_official_shop, NULL,
                            bm.is_live_streaming, SHOPEE_PRICE_UNIT, person, NULL, NULL, false,
                            bm.price_max, shopee_variants_of(bm.models, bm.tier_variations)};
        if (t->details) {
            snprintf(path, sizeof path, "/api/v4/item/get?itemid=%s&shopid=%s", id, shop);
            add_link_owned(out, url_join(t->base_url, path), PAGE_DETAIL);
        } else {
            add_listing(out, t, &f);
        }
        free(person);
        count++;
    }
    const cJSON *nomore = json_member(root, "nomore");
    if (!nomore)
        nomore = json_path(root, "data.nomore");
    if (count && nomore && !cJSON_IsTrue(nomore)) {
        bool shop_page = strstr(url, "/shop/search_items") != NULL;
        const char *offset_name = shop_page ? "offset" : "newest";
        char next[32];
        snprintf(next, sizeof next, "%ld", url_query_long(url, offset_name, 0) + count);
        add_link_owned(out, url_with_parameter(url, offset_name, next), PAGE_LISTING);
    }
    return 0;
}

const adapter_shape adapter_shopee = {"/api/v4/search/search_items?keyword=", "&limit=60&newest=0",
                                      "/api/v4/pages/get_category_tree", NULL, PAGE_LISTING, shopee_page, NULL};
