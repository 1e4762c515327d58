/* Compiling packs into one set, and deciding listings with it. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "rules/ruleset.h"

#include <math.h>
#include <stdarg.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* the XXH3 state struct is public only with this; it lets the flag id be
 * hashed from a stack state, no allocation per flagged listing */
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "rules/base/bytebuf.h"
#include "rules/base/string_set.h"

#define MAX_VIEW_HITS 512      /* automaton hits kept per view of a field */
#define MAX_FOUND 2048         /* hits kept per listing */
#define MAX_REGEX_MATCHES 64   /* matches of one regex in one field */
#define MAX_REGEX_SUBJECT (64u << 10)

typedef enum literal_kind { LITERAL_RULE_TERM = 0, LITERAL_LIST_TERM, LITERAL_CONDITION_TERM } literal_kind;

typedef struct literal_entry {
    literal_kind kind;
    uint32_t owner;        /* rule index, global list index or condition-term index */
    const char *text;      /* as written in the pack */
} literal_entry;

typedef struct compiled_list {
    const term_list *source;
    const pack *pack;
} compiled_list;

typedef struct compiled_regex {
    pcre2_code *code;
    const char *text;
    uint32_t min_length;
    char *prefilter;       /* a literal every match contains, or NULL */
} compiled_regex;

typedef struct authorized_seller {
    char *platform;        /* NULL: any platform */
    const char *seller;
} authorized_seller;

typedef struct compiled_rule {
    const rule *source;
    const pack *pack;
    uint32_t *regexes;     /* indexes of the rule's `patterns` */
    size_t regex_count;
    char **region;         /* normalized, padded with spaces: " bac ninh " */
    size_t region_count;
    authorized_seller *authorized;
    size_t authorized_count;
} compiled_rule;

struct ruleset {
    normalizer *normalizer;
    mpm_context *mpm;
    literal_entry *literals;
    size_t literal_count, literal_capacity;
    compiled_list *lists;
    size_t list_count;
    compiled_regex *regexes;
    size_t regex_count, regex_capacity;
    compiled_rule *rules;
    size_t rule_count;
    uint32_t *pattern_rules;   /* rules with `patterns`, run on every listing */
    size_t pattern_rule_count;
    size_t condition_term_count;
    char ***categories;        /* category conditions: normalized, padded values */
    size_t *category_counts;
    size_t category_condition_count;
    pack **packs;
    size_t pack_count;
    ruleset_options options;
};

/* ---- compile -------------------------------------------------------------- */

typedef struct compiler {
    ruleset *rs;
    diagnostics *diag;
    size_t errors_before;
    size_t list_base;        /* index in rs->lists of the current pack's first list */
} compiler;

/* A failed allocation while compiling is a mistake like any other: the set
 * is refused whole, never built half way. */
static void out_of_memory(compiler *c, const char *file)
{
    diagnostics_add(c->diag, file, 0, 0, "out of memory while compiling the rules");
}

static int add_literal(compiler *c, const char *file, position at, const char *text, literal_kind kind, uint32_t owner,
                       bool report_empty)
{
    ruleset *rs = c->rs;
    char *normalized = normalize_string(rs->normalizer, text);
    if (!normalized) {
        diagnostics_add(c->diag, file, at.line, at.column, "cannot normalize '%s'", text);
        return -1;
    }
    if (!*normalized) {
        if (report_empty)
            diagnostics_add(c->diag, file, at.line, at.column, "'%s' normalizes to nothing (only punctuation, marks "
                                                               "or invisible characters)", text);
        free(normalized);
        return -1;
    }
    if (rs->literal_count == rs->literal_capacity) {
        size_t capacity = rs->literal_capacity ? rs->literal_capacity * 2 : 1024;
        literal_entry *grown = realloc(rs->literals, capacity * sizeof *grown);
        if (!grown) {
            free(normalized);
            out_of_memory(c, file);
            return -1;
        }
        rs->literals = grown;
        rs->literal_capacity = capacity;
    }
    uint32_t id = (uint32_t)rs->literal_count++;
    rs->literals[id] = (literal_entry){kind, owner, text};
    int rc = mpm_add(rs->mpm, normalized, strlen(normalized), id);
    if (rc < 0)
        diagnostics_add(c->diag, file, at.line, at.column, "cannot add '%s': %s", text, mpm_strerror(rc));
    free(normalized);
    return rc < 0 ? -1 : 0;
}

/* The longest literal run that every match must contain, found by a
 * conservative walk over the regex: none when there is any alternation. */
static char *required_literal(const char *regex)
{
    if (strchr(regex, '|'))
        return NULL;
    char best[256] = "", run[256] = "";
    size_t run_length = 0;
    int depth = 0;
    for (const char *p = regex; *p; p++) {
        char ch = *p;
        bool plain = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == ' ';
        if (plain && depth == 0) {
            char next = p[1];
            if (next == '?' || next == '*' || next == '{') { /* optional: the run ends before it */
                run[run_length] = '\0';
                if (run_length > strlen(best))
                    memcpy(best, run, run_length + 1);
                run_length = 0;
                continue;
            }
            if (run_length + 1 < sizeof run)
                run[run_length++] = ch;
            continue;
        }
        run[run_length] = '\0';
        if (run_length > strlen(best))
            memcpy(best, run, run_length + 1);
        run_length = 0;
        if (ch == '\\' && p[1])
            p++;
        else if (ch == '[') {
            while (p[1] && p[1] != ']')
                p += p[1] == '\\' && p[2] ? 2 : 1;
        } else if (ch == '(')
            depth++;
        else if (ch == ')' && depth > 0)
            depth--;
    }
    run[run_length] = '\0';
    if (run_length > strlen(best))
        memcpy(best, run, run_length + 1);
    /* trim spaces: the normalized text's spaces are single, but a run may end in one */
    size_t n = strlen(best);
    while (n && best[n - 1] == ' ')
        best[--n] = '\0';
    char *start = best;
    while (*start == ' ')
        start++;
    return strlen(start) >= 3 ? strdup(start) : NULL;
}

static int add_regex(compiler *c, const char *file, position at, const char *text)
{
    ruleset *rs = c->rs;
    int error_code;
    PCRE2_SIZE error_offset;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)text, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_NO_UTF_CHECK,
                                     &error_code, &error_offset, NULL);
    if (!code) {
        PCRE2_UCHAR message[256];
        pcre2_get_error_message(error_code, message, sizeof message);
        diagnostics_add(c->diag, file, at.line, at.column, "bad regex '%s': %s at offset %zu", text, (char *)message,
                        (size_t)error_offset);
        return -1;
    }
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* without JIT, the interpreter runs it under the same limits */
    if (rs->regex_count == rs->regex_capacity) {
        size_t capacity = rs->regex_capacity ? rs->regex_capacity * 2 : 16;
        compiled_regex *grown = realloc(rs->regexes, capacity * sizeof *grown);
        if (!grown) {
            pcre2_code_free(code);
            out_of_memory(c, file);
            return -1;
        }
        rs->regexes = grown;
        rs->regex_capacity = capacity;
    }
    uint32_t min_length = 0;
    pcre2_pattern_info(code, PCRE2_INFO_MINLENGTH, &min_length);
    rs->regexes[rs->regex_count] = (compiled_regex){code, text, min_length, required_literal(text)};
    return (int)rs->regex_count++;
}

static char *padded_normalized(const ruleset *rs, const char *text)
{
    char *n = normalize_string(rs->normalizer, text);
    if (!n)
        return NULL;
    size_t len = strlen(n);
    char *padded = malloc(len + 3);
    if (padded) {
        padded[0] = ' ';
        memcpy(padded + 1, n, len);
        padded[len + 1] = ' ';
        padded[len + 2] = '\0';
    }
    free(n);
    return padded;
}

static void compile_condition(compiler *c, const pack *p, condition *cond)
{
    ruleset *rs = c->rs;
    for (size_t i = 0; i < cond->child_count; i++)
        compile_condition(c, p, cond->children[i]);
    switch (cond->type) {
    case CONDITION_LIST: {
        const term_list *list = cond->text ? pack_find_list(p, cond->text) : NULL;
        if (list)
            cond->compiled = (int)(c->list_base + (size_t)(list - p->lists));
        break;
    }
    case CONDITION_TERM:
        cond->compiled = (int)rs->condition_term_count++;
        add_literal(c, p->file, cond->text_at, cond->text, LITERAL_CONDITION_TERM, (uint32_t)cond->compiled, true);
        break;
    case CONDITION_PATTERN:
        cond->compiled = add_regex(c, p->file, cond->text_at, cond->text);
        break;
    case CONDITION_CATEGORY: {
        size_t index = rs->category_condition_count;
        char ***grown = realloc(rs->categories, (index + 1) * sizeof *grown);
        if (grown)
            rs->categories = grown;
        size_t *counts = grown ? realloc(rs->category_counts, (index + 1) * sizeof *counts) : NULL;
        if (counts)
            rs->category_counts = counts;
        if (!grown || !counts) {
            out_of_memory(c, p->file);
            return;
        }
        rs->categories[index] = calloc(cond->value_count ? cond->value_count : 1, sizeof(char *));
        rs->category_counts[index] = 0;
        rs->category_condition_count++;
        if (!rs->categories[index]) {
            out_of_memory(c, p->file);
            return;
        }
        for (size_t v = 0; v < cond->value_count; v++) {
            char *n = padded_normalized(rs, cond->values[v]);
            if (!n) {
                out_of_memory(c, p->file);
                return;
            }
            rs->categories[index][rs->category_counts[index]++] = n;
        }
        cond->compiled = (int)index;
        break;
    }
    default:
        break;
    }
}

static int compile_rule(compiler *c, const pack *p, rule *r, uint32_t index)
{
    ruleset *rs = c->rs;
    compiled_rule *cr = &rs->rules[index];
    cr->source = r;
    cr->pack = p;
    for (size_t t = 0; t < r->terms.count; t++)
        add_literal(c, p->file, r->terms.at[t], r->terms.items[t], LITERAL_RULE_TERM, index, true);
    if (r->patterns.count) {
        cr->regexes = calloc(r->patterns.count, sizeof *cr->regexes);
        if (!cr->regexes)
            out_of_memory(c, p->file);
        for (size_t i = 0; cr->regexes && i < r->patterns.count; i++) {
            int regex = add_regex(c, p->file, r->patterns.at[i], r->patterns.items[i]);
            if (regex >= 0)
                cr->regexes[cr->regex_count++] = (uint32_t)regex;
        }
        rs->pattern_rules[rs->pattern_rule_count++] = index;
    }
    if (r->region.count) {
        cr->region = calloc(r->region.count, sizeof *cr->region);
        if (!cr->region)
            out_of_memory(c, p->file);
        for (size_t i = 0; cr->region && i < r->region.count; i++) {
            char *n = padded_normalized(rs, r->region.items[i]);
            if (n && strlen(n) > 2)
                cr->region[cr->region_count++] = n;
            else {
                diagnostics_add(c->diag, p->file, r->region.at[i].line, r->region.at[i].column,
                                "region '%s' normalizes to nothing", r->region.items[i]);
                free(n);
            }
        }
    }
    if (r->authorized_sellers.count) {
        cr->authorized = calloc(r->authorized_sellers.count, sizeof *cr->authorized);
        if (!cr->authorized)
            out_of_memory(c, p->file);
        for (size_t i = 0; cr->authorized && i < r->authorized_sellers.count; i++) {
            const char *entry = r->authorized_sellers.items[i], *colon = strchr(entry, ':');
            authorized_seller *a = &cr->authorized[cr->authorized_count++];
            a->platform = colon ? strndup(entry, (size_t)(colon - entry)) : NULL;
            if (colon && !a->platform)
                out_of_memory(c, p->file);
            a->seller = colon ? colon + 1 : entry;
            if (!*a->seller)
                diagnostics_add(c->diag, p->file, r->authorized_sellers.at[i].line,
                                r->authorized_sellers.at[i].column, "authorized seller '%s' has no seller id", entry);
        }
    }
    if (r->flag)
        compile_condition(c, p, r->flag);
    for (size_t i = 0; i < r->unless_count; i++)
        compile_condition(c, p, r->unless[i]);
    return 0;
}

int ruleset_compile(pack *const *packs, size_t pack_count, const ruleset_options *options, ruleset **out,
                    diagnostics *diag)
{
    *out = NULL;
    ruleset *rs = calloc(1, sizeof *rs);
    if (!rs) {
        diagnostics_add(diag, "rules", 0, 0, "out of memory");
        return -1;
    }
    rs->options.backend = options ? options->backend : MPM_BACKEND_AHO_CORASICK;
    rs->options.regex_match_limit = options && options->regex_match_limit ? options->regex_match_limit : 100000;
    rs->options.regex_depth_limit = options && options->regex_depth_limit ? options->regex_depth_limit : 2000;
    compiler c = {rs, diag, diagnostics_total(diag), 0};
    char error[512];
    if (normalizer_create(&rs->normalizer, error, sizeof error) < 0) {
        diagnostics_add(diag, "rules", 0, 0, "cannot build the normalizer: %s", error);
        ruleset_destroy(rs);
        return -1;
    }
    int rc = mpm_context_create(&rs->mpm, rs->options.backend);
    if (rc < 0) {
        diagnostics_add(diag, "rules", 0, 0, "cannot create the matcher: %s", mpm_strerror(rc));
        ruleset_destroy(rs);
        return -1;
    }
    size_t rule_total = 0, list_total = 0;
    for (size_t i = 0; i < pack_count; i++) {
        rule_total += packs[i]->rule_count;
        list_total += packs[i]->list_count;
    }
    rs->rules = calloc(rule_total ? rule_total : 1, sizeof *rs->rules);
    rs->pattern_rules = calloc(rule_total ? rule_total : 1, sizeof *rs->pattern_rules);
    rs->lists = calloc(list_total ? list_total : 1, sizeof *rs->lists);
    if (!rs->rules || !rs->pattern_rules || !rs->lists) {
        diagnostics_add(diag, "rules", 0, 0, "out of memory");
        ruleset_destroy(rs);
        return -1;
    }
    for (size_t i = 0; i < pack_count; i++) {
        for (size_t l = 0; l < packs[i]->list_count; l++) {
            uint32_t index = (uint32_t)rs->list_count++;
            rs->lists[index] = (compiled_list){&packs[i]->lists[l], packs[i]};
            const string_list *terms = &packs[i]->lists[l].terms;
            for (size_t t = 0; t < terms->count; t++)
                add_literal(&c, packs[i]->file, terms->at[t], terms->items[t], LITERAL_LIST_TERM, index, true);
        }
    }
    string_set ids;
    string_set_init(&ids);
    for (size_t i = 0; i < pack_count; i++) {
        for (size_t r = 0; r < packs[i]->rule_count; r++) {
            if (r == 0) {
                c.list_base = 0;
                for (size_t k = 0; k < i; k++)
                    c.list_base += packs[k]->list_count;
            }
            rule *rl = &packs[i]->rules[r];
            uint32_t index = (uint32_t)rs->rule_count++;
            long first = string_set_add(&ids, rl->id, index);
            if (first == -2)
                out_of_memory(&c, packs[i]->file);
            if (first >= 0)
                diagnostics_add(diag, packs[i]->file, rl->at.line, rl->at.column,
                                "duplicate rule id '%s' (also in %s:%d)", rl->id, rs->rules[first].pack->file,
                                rs->rules[first].source->at.line);
            compile_rule(&c, packs[i], rl, index);
        }
    }
    string_set_free(&ids);
    if (diagnostics_total(diag) == c.errors_before) {
        rc = mpm_prepare(rs->mpm, error, sizeof error);
        if (rc < 0)
            diagnostics_add(diag, "rules", 0, 0, "cannot compile the literal set: %s", error);
    }
    if (diagnostics_total(diag) > c.errors_before) {
        ruleset_destroy(rs); /* rs->packs is still NULL: the caller keeps the packs */
        return -1;
    }
    rs->packs = malloc((pack_count ? pack_count : 1) * sizeof *rs->packs);
    if (!rs->packs) {
        diagnostics_add(diag, "rules", 0, 0, "out of memory");
        ruleset_destroy(rs);
        return -1;
    }
    memcpy(rs->packs, packs, pack_count * sizeof *packs);
    rs->pack_count = pack_count;
    *out = rs;
    return 0;
}

void ruleset_destroy(ruleset *rs)
{
    if (!rs)
        return;
    for (size_t i = 0; i < rs->rule_count; i++) {
        compiled_rule *r = &rs->rules[i];
        free(r->regexes);
        for (size_t k = 0; k < r->region_count; k++)
            free(r->region[k]);
        free(r->region);
        for (size_t k = 0; k < r->authorized_count; k++)
            free(r->authorized[k].platform);
        free(r->authorized);
    }
    free(rs->rules);
    free(rs->pattern_rules);
    free(rs->lists);
    for (size_t i = 0; i < rs->regex_count; i++) {
        pcre2_code_free(rs->regexes[i].code);
        free(rs->regexes[i].prefilter);
    }
    free(rs->regexes);
    for (size_t i = 0; i < rs->category_condition_count; i++) {
        for (size_t k = 0; rs->categories && rs->categories[i] && k < rs->category_counts[i]; k++)
            free(rs->categories[i][k]);
        if (rs->categories)
            free(rs->categories[i]);
    }
    free(rs->categories);
    free(rs->category_counts);
    free(rs->literals);
    mpm_context_destroy(rs->mpm);
    normalizer_destroy(rs->normalizer);
    for (size_t i = 0; i < rs->pack_count; i++)
        pack_free(rs->packs[i]);
    free(rs->packs);
    free(rs);
}

size_t ruleset_rule_count(const ruleset *rs) { return rs->rule_count; }
const rule *ruleset_rule(const ruleset *rs, size_t i) { return rs->rules[i].source; }
const pack *ruleset_rule_pack(const ruleset *rs, size_t i) { return rs->rules[i].pack; }
size_t ruleset_pack_count(const ruleset *rs) { return rs->pack_count; }
const pack *ruleset_pack(const ruleset *rs, size_t i) { return rs->packs[i]; }
size_t ruleset_literal_count(const ruleset *rs) { return rs->literal_count; }
const normalizer *ruleset_normalizer(const ruleset *rs) { return rs->normalizer; }

const char *signal_type_name(signal_type t)
{
    static const char *const names[] = {"list", "term", "pattern", "price_below", "seller_outside_region",
                                        "seller_in_region", "unauthorized_seller", "official_store", "livestream",
                                        "category"};
    return (unsigned)t <= SIGNAL_CATEGORY ? names[t] : "unknown";
}

/* ---- scratch ----------------------------------------------------------------- */

typedef enum found_kind { FOUND_LITERAL = 0, FOUND_REGEX } found_kind;

typedef struct found_hit {
    found_kind kind;
    uint32_t index;              /* literal id, or regex index */
    uint32_t rule;               /* FOUND_REGEX: the rule whose pattern it is */
    listing_field field;
    uint32_t start, end;         /* original offsets */
    uint32_t word_start, word_end;
} found_hit;

typedef struct field_views {
    normalized_text main, joined;
    uint32_t *spaces;            /* positions of spaces in the main view */
    size_t space_count, space_capacity;
    bool present;
} field_views;

struct ruleset_scratch {
    const ruleset *rs;
    mpm_scratch *mpm;
    pcre2_match_data *match_data;
    pcre2_match_context *match_context;
    pcre2_jit_stack *jit_stack;
    field_views fields[2];
    normalized_text location, category;
    mpm_hit *view_hits;
    found_hit *found;
    size_t found_count;
    uint32_t epoch;
    uint32_t *rule_epoch, *list_epoch, *term_epoch, *regex_epoch;
    bool *regex_result;
    match_signal *regex_span;    /* where each regex first matched (field, start, end) */
    uint32_t *candidates;
    size_t candidate_count;
    /* the result */
    uint32_t *fired;
    size_t fired_count;
    match_hit *hits;
    size_t hit_count, hit_capacity;
    match_signal *signals;
    size_t signal_count, signal_capacity;
    size_t regex_limit_hits;
    bool hits_truncated;
    /* facts of the listing being matched */
    const listing_facts *listing;
    bool location_ready, category_ready;
    bytebuf *trace;              /* ruleset_explain only */
};

int ruleset_scratch_create(const ruleset *rs, ruleset_scratch **out)
{
    ruleset_scratch *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    s->rs = rs;
    size_t rules = rs->rule_count ? rs->rule_count : 1;
    size_t lists = rs->list_count ? rs->list_count : 1;
    size_t terms = rs->condition_term_count ? rs->condition_term_count : 1;
    size_t regexes = rs->regex_count ? rs->regex_count : 1;
    s->rule_epoch = calloc(rules, sizeof *s->rule_epoch);
    s->list_epoch = calloc(lists, sizeof *s->list_epoch);
    s->term_epoch = calloc(terms, sizeof *s->term_epoch);
    s->regex_epoch = calloc(regexes, sizeof *s->regex_epoch);
    s->regex_result = calloc(regexes, sizeof *s->regex_result);
    s->regex_span = calloc(regexes, sizeof *s->regex_span);
    s->candidates = calloc(rules, sizeof *s->candidates);
    s->fired = calloc(rules, sizeof *s->fired);
    s->view_hits = calloc(MAX_VIEW_HITS, sizeof *s->view_hits);
    s->found = calloc(MAX_FOUND, sizeof *s->found);
    s->match_data = pcre2_match_data_create(32, NULL);
    s->match_context = pcre2_match_context_create(NULL);
    s->jit_stack = pcre2_jit_stack_create(32 * 1024, 512 * 1024, NULL);
    for (int f = 0; f < 2; f++) {
        normalized_text_init(&s->fields[f].main);
        normalized_text_init(&s->fields[f].joined);
    }
    normalized_text_init(&s->location);
    normalized_text_init(&s->category);
    if (!s->rule_epoch || !s->list_epoch || !s->term_epoch || !s->regex_epoch || !s->regex_result ||
        !s->regex_span || !s->candidates || !s->fired || !s->view_hits || !s->found || !s->match_data || !s->match_context ||
        !s->jit_stack || mpm_scratch_create(rs->mpm, &s->mpm) < 0) {
        ruleset_scratch_destroy(s);
        return -1;
    }
    pcre2_set_match_limit(s->match_context, rs->options.regex_match_limit);
    pcre2_set_depth_limit(s->match_context, rs->options.regex_depth_limit);
    pcre2_jit_stack_assign(s->match_context, NULL, s->jit_stack);
    *out = s;
    return 0;
}

void ruleset_scratch_destroy(ruleset_scratch *s)
{
    if (!s)
        return;
    mpm_scratch_destroy(s->mpm);
    pcre2_match_data_free(s->match_data);
    pcre2_match_context_free(s->match_context);
    if (s->jit_stack)
        pcre2_jit_stack_free(s->jit_stack);
    for (int f = 0; f < 2; f++) {
        normalized_text_free(&s->fields[f].main);
        normalized_text_free(&s->fields[f].joined);
        free(s->fields[f].spaces);
    }
    normalized_text_free(&s->location);
    normalized_text_free(&s->category);
    free(s->rule_epoch);
    free(s->list_epoch);
    free(s->term_epoch);
    free(s->regex_epoch);
    free(s->regex_result);
    free(s->regex_span);
    free(s->candidates);
    free(s->fired);
    free(s->view_hits);
    free(s->found);
    free(s->hits);
    free(s->signals);
    free(s);
}

/* ---- matching ------------------------------------------------------------------ */

static size_t words_before(const field_views *v, uint32_t original_offset)
{
    /* first main-view byte that comes from at or after the offset */
    size_t lo = 0, hi = v->main.length;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v->main.source_start[mid] < original_offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t a = 0, b = v->space_count;
    while (a < b) {
        size_t mid = (a + b) / 2;
        if (v->spaces[mid] < lo)
            a = mid + 1;
        else
            b = mid;
    }
    return a;
}

static void add_found(ruleset_scratch *s, found_kind kind, uint32_t index, uint32_t rule, listing_field field,
                      uint32_t start, uint32_t end)
{
    for (size_t i = 0; i < s->found_count; i++) { /* main and joined views often agree */
        found_hit *f = &s->found[i];
        if (f->kind == kind && f->index == index && f->field == field && f->start == start && f->end == end)
            return;
    }
    if (s->found_count == MAX_FOUND) {
        s->hits_truncated = true;
        return;
    }
    const field_views *v = &s->fields[field];
    found_hit *f = &s->found[s->found_count++];
    *f = (found_hit){kind, index, rule, field, start, end, (uint32_t)words_before(v, start),
                     (uint32_t)words_before(v, end ? end - 1 : 0)};
    if (kind == FOUND_LITERAL) {
        const literal_entry *e = &s->rs->literals[index];
        uint32_t *epoch = e->kind == LITERAL_RULE_TERM   ? &s->rule_epoch[e->owner]
                          : e->kind == LITERAL_LIST_TERM ? &s->list_epoch[e->owner]
                                                         : &s->term_epoch[e->owner];
        if (e->kind == LITERAL_RULE_TERM && *epoch != s->epoch)
            s->candidates[s->candidate_count++] = e->owner;
        *epoch = s->epoch;
    } else if (s->rule_epoch[rule] != s->epoch) {
        s->rule_epoch[rule] = s->epoch;
        s->candidates[s->candidate_count++] = rule;
    }
}

static int prepare_field(ruleset_scratch *s, listing_field field, const char *text, size_t length, match_result *out)
{
    field_views *v = &s->fields[field];
    v->present = text != NULL;
    v->main.length = v->joined.length = 0;
    v->space_count = 0;
    if (!text)
        return 0;
    if (length > NORMALIZE_MAX_INPUT) {
        length = NORMALIZE_MAX_INPUT;
        while (length && ((unsigned char)text[length] & 0xC0) == 0x80)
            length--;
        out->text_truncated = true;
    }
    size_t invalid = 0;
    if (normalize_text(s->rs->normalizer, text, length, &v->main, &invalid) < 0 ||
        normalize_joined(&v->main, &v->joined) < 0)
        return -1;
    out->invalid_utf8_bytes += invalid;
    for (size_t i = 0; i < v->main.length; i++) {
        if (v->main.text[i] != ' ')
            continue;
        if (v->space_count == v->space_capacity) {
            size_t capacity = v->space_capacity ? v->space_capacity * 2 : 256;
            uint32_t *grown = realloc(v->spaces, capacity * sizeof *grown);
            if (!grown)
                return -1;
            v->spaces = grown;
            v->space_capacity = capacity;
        }
        v->spaces[v->space_count++] = (uint32_t)i;
    }
    const normalized_text *views[2] = {&v->main, &v->joined};
    for (int k = 0; k < 2; k++) {
        const normalized_text *view = views[k];
        if (!view->length)
            continue;
        long n = mpm_search(s->rs->mpm, s->mpm, view->text, view->length, s->view_hits, MAX_VIEW_HITS);
        if (n < 0)
            return -1;
        if (n > MAX_VIEW_HITS) {
            s->hits_truncated = true;
            n = MAX_VIEW_HITS;
        }
        for (long i = 0; i < n; i++) {
            const mpm_hit *h = &s->view_hits[i];
            add_found(s, FOUND_LITERAL, h->id, 0, field, view->source_start[h->start], view->source_end[h->end - 1]);
        }
    }
    return 0;
}

/* Runs one regex over one field's main view; adds hits when `rule` is not
 * UINT32_MAX. Returns whether it matched. */
static bool run_regex(ruleset_scratch *s, uint32_t regex, listing_field field, uint32_t rule)
{
    const compiled_regex *re = &s->rs->regexes[regex];
    const field_views *v = &s->fields[field];
    if (!v->present || v->main.length < re->min_length || v->main.length > MAX_REGEX_SUBJECT)
        return false;
    if (re->prefilter && !memmem(v->main.text, v->main.length, re->prefilter, strlen(re->prefilter)))
        return false;
    bool matched = false;
    size_t offset = 0;
    for (int count = 0; count < MAX_REGEX_MATCHES && offset <= v->main.length; count++) {
        int rc = pcre2_match(re->code, (PCRE2_SPTR)v->main.text, v->main.length, offset, PCRE2_NO_UTF_CHECK,
                             s->match_data, s->match_context);
        if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT) {
            s->regex_limit_hits++;
            break;
        }
        if (rc < 0)
            break;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->match_data);
        if (!matched && rule == UINT32_MAX && ov[1] > ov[0]) {
            match_signal *span = &s->regex_span[regex];
            span->has_span = true;
            span->field = field;
            span->start = v->main.source_start[ov[0]];
            span->end = v->main.source_end[ov[1] - 1];
        }
        matched = true;
        if (ov[1] > ov[0] && rule != UINT32_MAX)
            add_found(s, FOUND_REGEX, regex, rule, field, v->main.source_start[ov[0]], v->main.source_end[ov[1] - 1]);
        if (rule == UINT32_MAX)
            break;
        offset = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
        while (offset < v->main.length && ((unsigned char)v->main.text[offset] & 0xC0) == 0x80)
            offset++;
    }
    return matched;
}

static bool regex_anywhere(ruleset_scratch *s, uint32_t regex)
{
    if (s->regex_epoch[regex] != s->epoch) {
        s->regex_epoch[regex] = s->epoch;
        s->regex_span[regex].has_span = false;
        s->regex_result[regex] = run_regex(s, regex, FIELD_TITLE, UINT32_MAX) ||
                                 run_regex(s, regex, FIELD_DESCRIPTION, UINT32_MAX);
    }
    return s->regex_result[regex];
}

static int push_signal(ruleset_scratch *s, const match_signal *signal)
{
    if (s->signal_count == s->signal_capacity) {
        size_t capacity = s->signal_capacity ? s->signal_capacity * 2 : 32;
        match_signal *grown = realloc(s->signals, capacity * sizeof *grown);
        if (!grown)
            return -1;
        s->signals = grown;
        s->signal_capacity = capacity;
    }
    s->signals[s->signal_count++] = *signal;
    return 0;
}

static bool text_contains_padded(const normalized_text *t, const char *padded)
{
    /* padded is " words "; the text is matched as " text " */
    size_t n = strlen(padded);
    if (t->length + 2 < n)
        return false;
    if (t->length + 2 == n)
        return !memcmp(padded + 1, t->text, t->length);
    if (!memcmp(t->text, padded + 1, n - 1)) /* at the start */
        return true;
    if (t->length >= n - 1 && !memcmp(t->text + t->length - (n - 1), padded, n - 1)) /* at the end */
        return true;
    return memmem(t->text, t->length, padded, n) != NULL;
}

static const normalized_text *normalized_fact(ruleset_scratch *s, const char *text, normalized_text *buffer, bool *ready)
{
    if (!*ready) {
        buffer->length = 0;
        if (text && strlen(text) < 4096)
            normalize_text(s->rs->normalizer, text, strlen(text), buffer, NULL);
        *ready = true;
    }
    return buffer;
}

static void trace(ruleset_scratch *s, int depth, const char *format, ...) __attribute__((format(printf, 3, 4)));

static bool seller_authorized(const compiled_rule *r, const listing_facts *l)
{
    if (!l->seller_id)
        return false;
    for (size_t i = 0; i < r->authorized_count; i++) {
        const authorized_seller *a = &r->authorized[i];
        if (!strcmp(a->seller, l->seller_id) && (!a->platform || (l->platform && !strcmp(a->platform, l->platform))))
            return true;
    }
    return false;
}

/* Evaluates a condition for a rule with hits; appends signals when `collect`. */
static bool evaluate(ruleset_scratch *s, uint32_t rule_index, const condition *c, bool collect, int depth)
{
    const ruleset *rs = s->rs;
    const compiled_rule *r = &rs->rules[rule_index];
    const listing_facts *l = s->listing;
    match_signal signal = {.rule = rule_index};
    bool result = false;
    switch (c->type) {
    case CONDITION_ANY:
    case CONDITION_ALL: {
        trace(s, depth, "%s:", c->type == CONDITION_ANY ? "any" : "all");
        size_t mark = s->signal_count;
        bool any = false, all = true;
        for (size_t i = 0; i < c->child_count; i++) {
            bool v = evaluate(s, rule_index, c->children[i], collect, depth + 1);
            any |= v;
            all &= v;
        }
        result = c->type == CONDITION_ANY ? any : all;
        if (!result)
            s->signal_count = mark; /* a failed combination gives no reasons */
        trace(s, depth, "=> %s", result ? "true" : "false");
        return result;
    }
    case CONDITION_NOT:
        trace(s, depth, "not:");
        result = c->child_count && !evaluate(s, rule_index, c->children[0], false, depth + 1);
        trace(s, depth, "=> %s", result ? "true" : "false");
        return result;
    case CONDITION_LIST: {
        if (c->compiled < 0 || s->list_epoch[c->compiled] != s->epoch) {
            trace(s, depth, "list %s: no term of it in the text => false", c->text);
            return false;
        }
        for (size_t i = 0; i < s->found_count && !result; i++) {
            const found_hit *f = &s->found[i];
            if (f->kind != FOUND_LITERAL || rs->literals[f->index].kind != LITERAL_LIST_TERM ||
                rs->literals[f->index].owner != (uint32_t)c->compiled)
                continue;
            bool near = c->near < 0;
            for (size_t k = 0; k < s->found_count && !near; k++) {
                const found_hit *h = &s->found[k];
                bool of_rule = (h->kind == FOUND_LITERAL && rs->literals[h->index].kind == LITERAL_RULE_TERM &&
                                rs->literals[h->index].owner == rule_index) ||
                               (h->kind == FOUND_REGEX && h->rule == rule_index);
                if (!of_rule || h->field != f->field)
                    continue;
                uint32_t distance = f->word_start > h->word_end   ? f->word_start - h->word_end
                                    : h->word_start > f->word_end ? h->word_start - f->word_end
                                                                  : 0;
                near = distance <= (uint32_t)c->near;
            }
            if (near) {
                result = true;
                signal.type = SIGNAL_LIST;
                signal.list = c->text;
                signal.term = rs->literals[f->index].text;
                signal.has_span = true;
                signal.field = f->field;
                signal.start = f->start;
                signal.end = f->end;
            }
        }
        if (c->near >= 0)
            trace(s, depth, "list %s within %d words of a hit => %s%s%s", c->text, c->near, result ? "true (\"" : "false",
                  result ? signal.term : "", result ? "\")" : "");
        else
            trace(s, depth, "list %s => %s%s%s", c->text, result ? "true (\"" : "false", result ? signal.term : "", result ? "\")" : "");
        break;
    }
    case CONDITION_TERM:
        result = c->compiled >= 0 && s->term_epoch[c->compiled] == s->epoch;
        signal.type = SIGNAL_TERM;
        signal.term = c->text;
        for (size_t i = 0; result && i < s->found_count && !signal.has_span; i++) {
            const found_hit *f = &s->found[i];
            if (f->kind == FOUND_LITERAL && rs->literals[f->index].kind == LITERAL_CONDITION_TERM &&
                rs->literals[f->index].owner == (uint32_t)c->compiled) {
                signal.has_span = true;
                signal.field = f->field;
                signal.start = f->start;
                signal.end = f->end;
            }
        }
        trace(s, depth, "term \"%s\" => %s", c->text, result ? "true" : "false");
        break;
    case CONDITION_PATTERN:
        result = c->compiled >= 0 && regex_anywhere(s, (uint32_t)c->compiled);
        signal.type = SIGNAL_PATTERN;
        signal.term = c->text;
        if (result && s->regex_span[c->compiled].has_span) {
            signal.has_span = true;
            signal.field = s->regex_span[c->compiled].field;
            signal.start = s->regex_span[c->compiled].start;
            signal.end = s->regex_span[c->compiled].end;
        }
        trace(s, depth, "pattern '%s' => %s", c->text, result ? "true" : "false");
        break;
    case CONDITION_PRICE_BELOW: {
        /* a price of 0 is "ask the seller", not a bargain: treated as unknown */
        bool vnd = !l->currency || !strcmp(l->currency, "VND");
        bool known = l->has_price && l->price > 0;
        double ratio = known && r->source->reference_price > 0 ? l->price / r->source->reference_price : NAN;
        result = vnd && known && ratio < c->ratio;
        signal.type = SIGNAL_PRICE_BELOW;
        signal.ratio = ratio;
        if (!known)
            trace(s, depth, "price_below %g: the listing has no price => false", c->ratio);
        else if (!vnd)
            trace(s, depth, "price_below %g: the price is in %s, not VND => false", c->ratio, l->currency);
        else
            trace(s, depth, "price_below %g: price %.0f %s is %.0f%% of the reference %.0f => %s", c->ratio, l->price,
                  l->currency ? l->currency : "VND", ratio * 100, r->source->reference_price,
                  result ? "true" : "false");
        break;
    }
    case CONDITION_SELLER_OUTSIDE_REGION: {
        const normalized_text *loc = normalized_fact(s, l->seller_location, &s->location, &s->location_ready);
        if (loc->length == 0) {
            trace(s, depth, "seller_outside_region: the seller's location is unknown => false");
            return false;
        }
        bool inside = false;
        for (size_t i = 0; i < r->region_count && !inside; i++)
            inside = text_contains_padded(loc, r->region[i]);
        result = c->value ? !inside : inside;
        signal.type = c->value ? SIGNAL_SELLER_OUTSIDE_REGION : SIGNAL_SELLER_IN_REGION;
        signal.term = l->seller_location;
        trace(s, depth, "seller_outside_region: the seller is in \"%s\", %s the region => %s", l->seller_location,
              inside ? "inside" : "outside", result ? "true" : "false");
        break;
    }
    case CONDITION_UNAUTHORIZED_SELLER: {
        bool unauthorized = !seller_authorized(r, l);
        result = c->value ? unauthorized : !unauthorized;
        signal.type = SIGNAL_UNAUTHORIZED_SELLER;
        trace(s, depth, "unauthorized_seller: seller %s is %s => %s", l->seller_id ? l->seller_id : "(unknown)",
              unauthorized ? "not authorized" : "authorized", result ? "true" : "false");
        break;
    }
    case CONDITION_OFFICIAL_STORE:
        result = l->seller_official == c->value;
        signal.type = SIGNAL_OFFICIAL_STORE;
        signal.value = l->seller_official;
        trace(s, depth, "official_store %s => %s", c->value ? "true" : "false", result ? "true" : "false");
        break;
    case CONDITION_LIVESTREAM:
        result = l->is_livestream == c->value;
        signal.type = SIGNAL_LIVESTREAM;
        signal.value = l->is_livestream;
        trace(s, depth, "livestream %s => %s", c->value ? "true" : "false", result ? "true" : "false");
        break;
    case CONDITION_CATEGORY: {
        const normalized_text *cat = normalized_fact(s, l->category, &s->category, &s->category_ready);
        for (size_t i = 0; c->compiled >= 0 && i < rs->category_counts[c->compiled] && !result; i++)
            result = cat->length && text_contains_padded(cat, rs->categories[c->compiled][i]);
        signal.type = SIGNAL_CATEGORY;
        signal.term = l->category;
        trace(s, depth, "category of \"%s\" => %s", l->category ? l->category : "", result ? "true" : "false");
        break;
    }
    }
    if (result && collect)
        push_signal(s, &signal);
    return result;
}

static int push_hit(ruleset_scratch *s, const match_hit *hit)
{
    if (s->hit_count == s->hit_capacity) {
        size_t capacity = s->hit_capacity ? s->hit_capacity * 2 : 64;
        match_hit *grown = realloc(s->hits, capacity * sizeof *grown);
        if (!grown)
            return -1;
        s->hits = grown;
        s->hit_capacity = capacity;
    }
    s->hits[s->hit_count++] = *hit;
    return 0;
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int compare_rule_ids(const void *a, const void *b, void *rs)
{
    const ruleset *set = rs;
    return strcmp(set->rules[*(const uint32_t *)a].source->id, set->rules[*(const uint32_t *)b].source->id);
}

/* Decides one candidate rule; true when it fires. */
static bool decide_rule(ruleset_scratch *s, uint32_t index)
{
    const compiled_rule *r = &s->rs->rules[index];
    const listing_facts *l = s->listing;
    size_t mark = s->signal_count;
    trace(s, 0, "rule %s (%s):", r->source->id, r->source->name);
    if (seller_authorized(r, l)) {
        trace(s, 1, "seller %s is an authorized seller => does not fire", l->seller_id);
        return false;
    }
    bool flag;
    if (r->source->flag) {
        trace(s, 1, "flag:");
        flag = evaluate(s, index, r->source->flag, true, 2);
    } else {
        flag = true;
        match_signal signal = {.rule = index, .type = SIGNAL_UNAUTHORIZED_SELLER};
        push_signal(s, &signal);
        trace(s, 1, "flag (default): a hit by a seller not in authorized_sellers => true");
    }
    if (!flag) {
        s->signal_count = mark;
        trace(s, 1, "=> does not fire");
        return false;
    }
    for (size_t i = 0; i < r->source->unless_count; i++) {
        trace(s, 1, "unless:");
        if (evaluate(s, index, r->source->unless[i], false, 2)) {
            s->signal_count = mark;
            trace(s, 1, "=> an exception holds: does not fire");
            return false;
        }
    }
    trace(s, 1, "=> FIRES");
    return true;
}

static int match_listing(const ruleset *rs, ruleset_scratch *s, const listing_facts *l, match_result *out)
{
    memset(out, 0, sizeof *out);
    if (++s->epoch == 0) { /* wrapped: clear the stamps */
        memset(s->rule_epoch, 0, rs->rule_count * sizeof *s->rule_epoch);
        memset(s->list_epoch, 0, rs->list_count * sizeof *s->list_epoch);
        memset(s->term_epoch, 0, rs->condition_term_count * sizeof *s->term_epoch);
        memset(s->regex_epoch, 0, rs->regex_count * sizeof *s->regex_epoch);
        s->epoch = 1;
    }
    s->listing = l;
    s->found_count = s->candidate_count = s->fired_count = s->hit_count = s->signal_count = 0;
    s->regex_limit_hits = 0;
    s->hits_truncated = false;
    s->location_ready = s->category_ready = false;
    if (prepare_field(s, FIELD_TITLE, l->title, l->title ? l->title_length : 0, out) < 0 ||
        prepare_field(s, FIELD_DESCRIPTION, l->description, l->description ? l->description_length : 0, out) < 0)
        return -1;
    for (size_t i = 0; i < rs->pattern_rule_count; i++) {
        uint32_t rule = rs->pattern_rules[i];
        const compiled_rule *r = &rs->rules[rule];
        for (size_t k = 0; k < r->regex_count; k++) {
            run_regex(s, r->regexes[k], FIELD_TITLE, rule);
            run_regex(s, r->regexes[k], FIELD_DESCRIPTION, rule);
        }
    }
    qsort(s->candidates, s->candidate_count, sizeof *s->candidates, compare_u32);
    for (size_t i = 0; i < s->candidate_count; i++) {
        uint32_t index = s->candidates[i];
        if (!decide_rule(s, index))
            continue;
        s->fired[s->fired_count++] = index;
        severity sev = rs->rules[index].source->severity;
        if (sev > out->severity || s->fired_count == 1)
            out->severity = sev;
        for (size_t k = 0; k < s->found_count; k++) {
            const found_hit *f = &s->found[k];
            match_hit hit = {index, f->field, f->start, f->end, NULL};
            if (f->kind == FOUND_LITERAL && rs->literals[f->index].kind == LITERAL_RULE_TERM &&
                rs->literals[f->index].owner == index)
                hit.term = rs->literals[f->index].text;
            else if (f->kind == FOUND_REGEX && f->rule == index)
                hit.term = rs->regexes[f->index].text;
            else
                continue;
            if (push_hit(s, &hit) < 0)
                return -1;
        }
    }
    out->rules = s->fired;
    out->rule_count = s->fired_count;
    out->hits = s->hits;
    out->hit_count = s->hit_count;
    out->signals = s->signals;
    out->signal_count = s->signal_count;
    out->hits_truncated = s->hits_truncated;
    out->regex_limit_hits = s->regex_limit_hits;
    if (s->fired_count) {
        uint32_t sorted[s->fired_count];
        memcpy(sorted, s->fired, sizeof sorted);
        qsort_r(sorted, s->fired_count, sizeof *sorted, compare_rule_ids, (void *)rs);
        XXH3_state_t stack_state;
        XXH3_state_t *state = &stack_state;
        XXH3_INITSTATE(state);
        XXH3_64bits_reset(state);
        const char *platform = l->platform ? l->platform : "", *id = l->listing_id ? l->listing_id : "";
        XXH3_64bits_update(state, platform, strlen(platform) + 1);
        XXH3_64bits_update(state, id, strlen(id) + 1);
        for (size_t i = 0; i < s->fired_count; i++) {
            const char *rule_id = rs->rules[sorted[i]].source->id;
            XXH3_64bits_update(state, rule_id, strlen(rule_id) + 1);
        }
        out->flag_id = XXH3_64bits_digest(state);
    }
    return 0;
}

int ruleset_match(const ruleset *rs, ruleset_scratch *s, const listing_facts *l, match_result *out)
{
    s->trace = NULL;
    return match_listing(rs, s, l, out);
}

/* ---- explain -------------------------------------------------------------------- */

static void trace(ruleset_scratch *s, int depth, const char *format, ...)
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

int ruleset_explain(const ruleset *rs, ruleset_scratch *s, const listing_facts *l, bytebuf *out)
{
    bytebuf decisions;
    bytebuf_init(&decisions, 1 << 20);
    s->trace = &decisions;
    match_result result;
    int rc = match_listing(rs, s, l, &result);
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
                                                  : "term condition";
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
            const rule_example *examples = set == 0 ? rl->flag_examples : rl->pass_examples;
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
                if (match_listing(rs, s, &l, &result) < 0) {
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
