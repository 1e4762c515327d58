/* How a set judged one listing, for `lscan rules explain` (ruleset.h). */
#include "rules/ruleset_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- explain -------------------------------------------------------------------- */

void ruleset_trace(ruleset_scratch *s, int depth, const char *format, ...)
{
    if (!s->trace)
        return;
    for (int i = 0; i < depth + 1; i++)
        bytebuf_append_string(s->trace, "  ");
    char line[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(line, sizeof line, format, args);
    va_end(args);
    bytebuf_append_string(s->trace, line);
    bytebuf_append_char(s->trace, '\n');
}

/* Copies the original text with every hit of the given field in [brackets]. */
static void marked_text(const ruleset_scratch *s, listing_field field, const char *text, size_t length, bytebuf *out)
{
    size_t at = 0;
    for (size_t i = 0; i < s->found_count; i++) {
        const found_hit *f = &s->found[i];
        if (f->field != field || f->start < at || f->end > length)
            continue;
        bytebuf_append(out, text + at, f->start - at);
        bytebuf_append_char(out, '[');
        bytebuf_append(out, text + f->start, f->end - f->start);
        bytebuf_append_char(out, ']');
        at = f->end;
    }
    bytebuf_append(out, text + at, length - at);
}

static int compare_found(const void *a, const void *b)
{
    const found_hit *x = a, *y = b;
    if (x->field != y->field)
        return x->field < y->field ? -1 : 1;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

/* A condition term that is a model's term names its rule ("a model of tm.x"); explain only, so a scan is fine. */
static const char *model_owner(const ruleset *rs, uint32_t term)
{
    static _Thread_local char what[160];
    for (size_t i = 0; i < rs->rule_count; i++) {
        const compiled_rule *r = &rs->rules[i];
        if (r->model_term_count && term >= r->model_term_base && term - r->model_term_base < r->model_term_count) {
            const rule_model *m = &r->source->more->models[r->model_of_term[term - r->model_term_base]];
            snprintf(what, sizeof what, "model %s of %s", m->name ? m->name : m->terms.items[0], r->source->id);
            return what;
        }
    }
    return "term condition";
}

int ruleset_explain(const ruleset *rs, ruleset_scratch *s, const listing_facts *l, bytebuf *out)
{
    bytebuf decisions;
    bytebuf_init(&decisions, 1 << 20);
    s->trace = &decisions;
    match_result result;
    int rc = ruleset_match_listing(rs, s, l, &result);
    s->trace = NULL;
    if (rc < 0) {
        bytebuf_free(&decisions);
        return -1;
    }
    static const char *const field_names[2] = {"title", "description"};
    for (int f = 0; f < 2; f++) {
        const field_views *v = &s->fields[f];
        if (!v->present)
            continue;
        bytebuf_printf(out, "%s (normalized): %s\n", field_names[f], v->main.text ? v->main.text : "");
        if (v->joined.length && strcmp(v->joined.text, v->main.text))
            bytebuf_printf(out, "%s (joined):     %s\n", field_names[f], v->joined.text);
    }
    qsort(s->found, s->found_count, sizeof *s->found, compare_found);
    bytebuf_printf(out, "hits: %zu\n", s->found_count);
    for (size_t i = 0; i < s->found_count; i++) {
        const found_hit *f = &s->found[i];
        const char *what, *term;
        if (f->kind == FOUND_REGEX) {
            what = rs->rules[f->rule].source->id;
            term = rs->regexes[f->index].text;
        } else {
            const literal_entry *e = &rs->literals[f->index];
            term = e->text;
            what = e->kind == LITERAL_RULE_TERM   ? rs->rules[e->owner].source->id
                   : e->kind == LITERAL_LIST_TERM ? rs->lists[e->owner].source->name
                                                  : model_owner(rs, e->owner);
        }
        bytebuf_printf(out, "  %s [%u,%u) \"%s\" -> %s%s\n", field_names[f->field], f->start, f->end, term,
                       f->kind == FOUND_LITERAL && rs->literals[f->index].kind == LITERAL_LIST_TERM ? "list " : "",
                       what);
    }
    for (int f = 0; f < 2; f++) {
        const char *text = f == FIELD_TITLE ? l->title : l->description;
        size_t length = f == FIELD_TITLE ? l->title_length : l->description_length;
        if (!text || !length)
            continue;
        bytebuf_printf(out, "%s: ", field_names[f]);
        marked_text(s, (listing_field)f, text, length, out);
        bytebuf_append_char(out, '\n');
    }
    bytebuf_append_string(out, "decisions:\n");
    if (decisions.length)
        bytebuf_append(out, decisions.data, decisions.length);
    else
        bytebuf_append_string(out, "  no rule has a hit\n");
    bytebuf_printf(out, "verdict: %s", result.rule_count ? "suspected violation" : "no violation");
    for (size_t i = 0; i < result.rule_count; i++)
        bytebuf_printf(out, "%s%s", i ? ", " : " (", rs->rules[result.rules[i]].source->id);
    bytebuf_append_string(out, result.rule_count ? ")\n" : "\n");
    bytebuf_free(&decisions);
    return 0;
}

