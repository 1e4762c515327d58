/* libFuzzer target: adapter_parse on arbitrary bytes as a fetched page, for
 * every adapter (shopee, tiki, social, json with field paths, storefront)
 * and every page kind; and price_from_text on the bytes as a string. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adapters.h"
#include "extract_html.h"

static campaign_target targets[5];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    extract_html_init();
    targets[0] = (campaign_target){.name = "shopee", .adapter = ADAPTER_SHOPEE, .platform = "shopee",
                                   .base_url = "http://a.test/shopee", .details = true};
    targets[1] = (campaign_target){.name = "tiki", .adapter = ADAPTER_TIKI, .platform = "tiki",
                                   .base_url = "http://a.test/tiki", .details = true};
    targets[2] = (campaign_target){.name = "social", .adapter = ADAPTER_SOCIAL, .platform = "social",
                                   .base_url = "http://a.test/social"};
    targets[3] = (campaign_target){
        .name = "json", .adapter = ADAPTER_JSON, .platform = "json", .base_url = "http://a.test/api",
        .fields = {.items = "data.products", .listing_id = "id", .title = "title", .description = "body",
                   .url = "url", .price = "price.amount", .currency = "price.currency", .seller_id = "shop.id",
                   .seller_name = "shop.name", .seller_location = "shop.province",
                   .seller_official = "shop.verified", .category = "category.name", .next_url = "links.next",
                   .price_divisor = 100}};
    targets[4] = (campaign_target){.name = "storefront", .adapter = ADAPTER_STOREFRONT,
                                   .platform = "storefront", .base_url = "http://a.test/shop"};
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    adapter_result r;
    adapter_result_init(&r);
    char error[256];
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        const campaign_target *t = &targets[i];
        page_kind last = t->adapter == ADAPTER_STOREFRONT ? PAGE_HTML : PAGE_DETAIL;
        page_kind first = t->adapter == ADAPTER_STOREFRONT ? PAGE_HTML : PAGE_LISTING;
        for (int kind = first; kind <= (int)last; kind++) {
            adapter_parse(t, (page_kind)kind, "http://a.test/page?offset=0&newest=0", body, size, &r, error,
                          sizeof error);
            adapter_result_reset(&r);
        }
    }
    adapter_result_free(&r);

    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    double vnd = 0;
    price_from_text(text, &vnd);
    free(url_resolve("http://a.test/dir/page?x=1", text));
    free(text);
    return 0;
}
