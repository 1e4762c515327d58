/* libFuzzer target: pack_load_string on arbitrary bytes as a rule pack; a
 * pack that loads is compiled with ruleset_compile (then destroyed with the
 * set, or freed when compiling fails). */
#include <stdint.h>
#include <stdlib.h>

#include "bytebuf.h"
#include "pack.h"
#include "ruleset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    diagnostics diag;
    diagnostics_init(&diag);
    pack *p = pack_load_string("fuzz.yaml", (const char *)data, size, &diag);
    if (p) {
        ruleset *rs = NULL;
        pack *packs[] = {p};
        if (ruleset_compile(packs, 1, NULL, &rs, &diag) == 0) {
            size_t total = 0;
            bytebuf report;
            bytebuf_init(&report, 1 << 20);
            ruleset_run_tests(rs, &report, &total);
            bytebuf_free(&report);
            ruleset_destroy(rs);
        } else {
            pack_free(p);
        }
    }
    diagnostics_free(&diag);
    return 0;
}
