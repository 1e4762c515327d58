/* The packs' own tests (ruleset.h, ruleset_run_tests). */
#include "rules/ruleset_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the packs' own tests -------------------------------------------------------- */

size_t ruleset_run_tests(const ruleset *rs, bytebuf *report, size_t *total)
{
    ruleset_scratch *s;
    *total = 0;
    if (ruleset_scratch_create(rs, &s) < 0) {
        bytebuf_append_string(report, "FAIL: out of memory\n");
        return 1;
    }
    size_t failures = 0;
    for (size_t r = 0; r < rs->rule_count; r++) {
        const rule *rl = rs->rules[r].source;
        for (int set = 0; set < 2; set++) {
            const rule_example *examples = set == 0 ? rl->more->flag_examples : rl->more->pass_examples;
            size_t count = set == 0 ? rl->flag_example_count : rl->pass_example_count;
            for (size_t i = 0; i < count; i++) {
                const rule_example *e = &examples[i];
                listing_facts l = {.platform = e->platform ? e->platform : "test",
                                   .listing_id = "test",
                                   .title = e->text,
                                   .title_length = strlen(e->text),
                                   .has_price = e->has_price,
                                   .price = e->price,
                                   .seller_id = e->seller,
                                   .seller_location = e->seller_location,
                                   .seller_official = e->official,
                                   .is_livestream = e->livestream,
                                   .category = e->category};
                match_result result;
                (*total)++;
                if (ruleset_match_listing(rs, s, &l, &result) < 0) {
                    failures++;
                    bytebuf_printf(report, "FAIL %s: out of memory\n", rl->id);
                    continue;
                }
                bool fired = false;
                for (size_t k = 0; k < result.rule_count; k++)
                    fired |= result.rules[k] == r;
                if (fired != (set == 0)) {
                    failures++;
                    bytebuf_printf(report, "FAIL %s (%s:%d): %s \"%s\" %s\n", rl->id, rs->rules[r].pack->file,
                                   e->at.line, set == 0 ? "flag example" : "pass example", e->text,
                                   set == 0 ? "did not fire the rule" : "fired the rule");
                }
            }
        }
    }
    ruleset_scratch_destroy(s);
    return failures;
}

