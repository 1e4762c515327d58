/* decide: see decide.h. */
#include "scanner/pipeline/decide.h"

#include <stdlib.h>
#include <string.h>

struct decider {
    const ruleset *rules;
    ruleset_scratch *scratch;
    bytebuf flag;              /* the last flag written (FLAG_MAX_BYTES plus room for the second pass) */
};

const char *decide_strerror(decide_error e)
{
    switch (e) {
    case DECIDE_OK: return "ok";
    case DECIDE_ERROR_MEMORY: return "out of memory";
    }
    return "unknown error";
}

int decide_create(const ruleset *rs, decider **out)
{
    *out = NULL;
    decider *d = calloc(1, sizeof *d);
    if (!d)
        return -1;
    bytebuf_init(&d->flag, 0);
    if (ruleset_scratch_create(rs, &d->scratch) < 0) {
        free(d);
        return -1;
    }
    d->rules = rs;
    *out = d;
    return 0;
}

int decide_use_rules(decider *d, const ruleset *rs)
{
    if (rs == d->rules)
        return 0;
    ruleset_scratch *scratch;
    if (ruleset_scratch_create(rs, &scratch) < 0)
        return -1;
    ruleset_scratch_destroy(d->scratch);
    d->scratch = scratch;
    d->rules = rs;
    return 0;
}

const ruleset *decide_rules(const decider *d)
{
    return d->rules;
}

void decide_destroy(decider *d)
{
    if (!d)
        return;
    ruleset_scratch_destroy(d->scratch);
    bytebuf_free(&d->flag);
    free(d);
}

decide_error decide_listing(decider *d, const listing *l, const decide_context *context, decision *out)
{
    memset(out, 0, sizeof *out);
    if (ruleset_match(d->rules, d->scratch, &l->facts, &out->result) < 0)
        return DECIDE_ERROR_MEMORY;
    if (!out->result.rule_count)
        return DECIDE_OK;
    out->flagged = true;
    flag_id_hex(out->result.flag_id, out->flag_id);
    bytebuf_reset(&d->flag);
    const flag_evidence *evidence = context ? context->evidence : NULL;
    flag_evidence archived;
    if (evidence && context->capture) {
        archived = *evidence;
        archived.warc = context->capture(context->capture_ctx);
        if (archived.warc && context->screenshot)
            archived.screenshot = context->screenshot(context->capture_ctx, l, archived.warc);
        evidence = &archived;
    }
    int written = flag_to_json(d->rules, l, &out->result, context ? context->language : FLAG_LANGUAGE_VIETNAMESE,
                               context ? context->scan_id : NULL, evidence, &d->flag);
    if (written < 0)
        return DECIDE_ERROR_MEMORY;
    out->cut = written == 1;
    out->flag = d->flag.data;
    out->flag_length = d->flag.length;
    return DECIDE_OK;
}
