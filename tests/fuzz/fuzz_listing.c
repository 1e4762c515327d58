/* libFuzzer target: listing_parse on arbitrary bytes as a JSON line; a
 * listing that parses is matched against the shipped packs (rules/packs
 * under $LSCAN_ROOT, default ".") and its flag written as JSON. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "flag.h"
#include "listing.h"
#include "loader.h"

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
    listing l;
    char error[256];
    if (listing_parse((const char *)data, size, &l, error, sizeof error) != 0)
        return 0;
    match_result result;
    if (ruleset_match(rs, scratch, &l.facts, &result) == 0 && result.rule_count > 0) {
        for (int language = FLAG_LANGUAGE_VIETNAMESE; language <= FLAG_LANGUAGE_ENGLISH; language++) {
            bytebuf out;
            bytebuf_init(&out, 0);
            flag_to_json(rs, &l, &result, (flag_language)language, NULL, NULL, &out);
            bytebuf_free(&out);
        }
    }
    listing_free(&l);
    return 0;
}
