/* libFuzzer target: listing_parse on arbitrary bytes as a JSON line; a
 * listing that parses is matched against the shipped packs (rules/packs
 * under $LSCAN_ROOT, default ".") and its flag written as JSON. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/fuzz/bodies.h"
#include "rules/loader.h"

static ruleset *rs;
static ruleset_scratch *scratch;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *root = getenv("LSCAN_ROOT");
    char path[4096];
    snprintf(path, sizeof path, "%s/rules/packs", root && *root ? root : ".");
    const char *paths[] = {path};
    diagnostics diag;
    diagnostics_init(&diag);
    if (ruleset_load(paths, 1, NULL, &rs, &diag) != 0) {
        for (size_t i = 0; i < diag.count; i++)
            fprintf(stderr, "%s\n", diag.messages[i]);
        fprintf(stderr, "fuzz_listing: cannot load %s (set LSCAN_ROOT)\n", path);
        abort();
    }
    diagnostics_free(&diag);
    if (ruleset_scratch_create(rs, &scratch) != 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_listing_one(rs, scratch, data, size);
    return 0;
}
