/* libFuzzer target: campaign_load_string on arbitrary bytes as a campaign. */
#include "tests/fuzz/bodies.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    /* So that "${LSCAN_MARKET}" in the seed campaigns resolves. */
    setenv("LSCAN_MARKET", "http://127.0.0.1:8080", 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    diagnostics diag;
    diagnostics_init(&diag);
    fuzz_campaign_one(data, size, &diag);
    diagnostics_free(&diag);
    return 0;
}
