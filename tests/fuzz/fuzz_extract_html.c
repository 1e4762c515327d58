/* libFuzzer target: extract_html and html_page_listings on arbitrary bytes
 * as a storefront page, with and without a page URL. */
#include "tests/fuzz/bodies.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    extract_html_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_extract_html_one(data, size);
    return 0;
}
