/* libFuzzer target: extract_html and html_page_listings on arbitrary bytes
 * as a storefront page, with and without a page URL. */
#include <stdint.h>
#include <stdlib.h>

#include "extract_html.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    extract_html_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const urls[] = {"http://shop.test/c/giay/index.html?page=2", NULL};
    for (size_t u = 0; u < sizeof urls / sizeof urls[0]; u++) {
        html_page page = {0};
        char error[256];
        int rc = extract_html((const char *)data, size, urls[u], &page, error, sizeof error);
        if (rc < 0)
            continue;
        cJSON *listings = cJSON_CreateArray();
        if (!listings)
            abort();
        html_page_listings(&page, "storefront", urls[u], listings);
        char *text = cJSON_PrintUnformatted(listings);
        free(text);
        cJSON_Delete(listings);
        html_page_free(&page);
    }
    return 0;
}
