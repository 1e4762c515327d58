/* libFuzzer target: adapter_parse on arbitrary bytes as a fetched page, for
 * every adapter (shopee, tiki, social, json with field paths, storefront)
 * and every page kind; and price_find on the bytes as a string. */
#include "tests/fuzz/bodies.h"

static campaign_target targets[FUZZ_ADAPTER_TARGETS];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    extract_html_init();
    fuzz_adapter_targets(targets);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_adapters_one(targets, data, size);
    return 0;
}
