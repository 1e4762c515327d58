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

/* How many variants an item has: its models, else the product of its
 * tier_variations' option counts (size x colour); 0 when none is given. */
static size_t shopee_variants(const cJSON *b)
{
    const cJSON *models = json_member(b, "models");
    if (cJSON_IsArray(models) && cJSON_GetArraySize(models) > 0)
        return (size_t)cJSON_GetArraySize(models);
    const cJSON *tiers = json_member(b, "tier_variations"), *tier;
    size_t n = 0;
    cJSON_ArrayForEach(tier, (cJSON_IsArray(tiers) ? tiers : NULL))
    {
        int options = cJSON_GetArraySize(json_member(tier, "options"));
        if (options > 0)
            n = (n ? n : 1) * (size_t)(options > 10000 ? 10000 : options);
    }
    return n;
}

/* The item's name and price in any of the shapes: item_basic, flat, item card. */
static const cJSON *shopee_name(const cJSON *item, const cJSON *b)
{
    const cJSON *name = json_member(b, "name");
    if (!cJSON_IsString(name))
        name = json_path(item, "item_card_displayed_asset.name");
    return name;
}

static const cJSON *shopee_price(const cJSON *item, const cJSON *b)
{
    const cJSON *price = json_member(b, "price");
    if (!cJSON_IsNumber(price) && !cJSON_IsString(price))
        price = json_path(item, "item_card_display_price.price");
    if (!cJSON_IsNumber(price) && !cJSON_IsString(price))
        price = json_member(b, "price_min");
    return price;
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
        snprintf(path, sizeof path, "/product/%s/%s", shop, item);
        char *person = url_join(t->base_url, path);
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
        const cJSON *b = json_member(item, "item_basic");
        if (!cJSON_IsObject(b))
            b = item;
        char shop[64] = "", id[64] = "";
        const cJSON *itemid = json_member(b, "itemid");
        if (!itemid)
            itemid = json_member(item, "itemid");
        const cJSON *shopid = json_member(b, "shopid");
        if (!shopid)
            shopid = json_member(item, "shopid");
        json_text(shopid, shop, sizeof shop);
        json_text(itemid, id, sizeof id);
        snprintf(path, sizeof path, "/product/%s/%s", shop, id);
        char *person = url_join(t->base_url, path);
        listing_fields f = {itemid, shopee_name(item, b), NULL,
                            shopee_price(item, b), json_member(b, "currency"),
                            shopid, json_member(b, "shop_name"),
                            json_member(b, "shop_location"), json_member(b, "is_official_shop"), NULL,
                            json_member(b, "is_live_streaming"), SHOPEE_PRICE_UNIT, person, NULL, NULL, false,
                            json_member(b, "price_max"), shopee_variants(b)};
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
