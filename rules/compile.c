/* Compiling packs into one set (ruleset.h): every term and list term in one
 * automaton, regexes with PCRE2 JIT, conditions resolved. */
#include "rules/ruleset_internal.h"
#include "rules/text/marks.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/base/string_set.h"

/* ---- compile -------------------------------------------------------------- */

typedef struct compiler {
    ruleset *rs;
    diagnostics *diag;
    size_t errors_before;
    size_t list_base;        /* index in rs->lists of the current pack's first list */
    const pack *pack;        /* the pack being compiled (its literals are its own: literal_entry.pack) */
    string_set regex_ids;    /* pattern text -> its index in rs->regexes: a pattern guard shared by
                                hundreds of rules is compiled, JIT-compiled and run once */
} compiler;

/* A failed allocation while compiling is a mistake like any other: the set
 * is refused whole, never built half way. */
static void out_of_memory(compiler *c, const char *file)
{
    diagnostics_add(c->diag, file, 0, 0, "out of memory while compiling the rules");
}

/* The intent cues (docs/rules.md, "Intent"): the built-in ones, then each pack's intent_cues normalized like the
 * text, chained by first letter with the longest first (ties in table order), so that "cảnh báo hàng giả" is tried
 * before "cảnh báo". Built once per ruleset; the table is the ruleset's (freed by ruleset_destroy). A phrase that
 * normalizes to nothing is a mistake. */
static void compile_intent_cues(compiler *c, pack *const *packs, size_t pack_count)
{
    ruleset *rs = c->rs;
    size_t builtin_count, total;
    const intent_cue *builtin = builtin_intent_cues(&builtin_count);
    total = builtin_count;
    for (size_t i = 0; i < pack_count; i++)
        for (int k = 0; k < INTENT_CLASS_COUNT; k++)
            total += packs[i]->intent_cues[k][0].count + packs[i]->intent_cues[k][1].count;
    rs->intent_cues = calloc(total, sizeof *rs->intent_cues);
    rs->intent_next = malloc(total * sizeof *rs->intent_next);
    uint32_t *order = malloc(total * sizeof *order);
    if (!rs->intent_cues || !rs->intent_next || !order) {
        free(order);
        out_of_memory(c, "rules");
        return;
    }
    memcpy(rs->intent_cues, builtin, builtin_count * sizeof *builtin);
    rs->intent_cue_count = builtin_count;
    for (size_t i = 0; i < pack_count; i++)
        for (int k = 0; k < INTENT_CLASS_COUNT; k++)
            for (int anywhere = 0; anywhere < 2; anywhere++) {
                const string_list *cues = &packs[i]->intent_cues[k][anywhere];
                for (size_t t = 0; t < cues->count; t++) {
                    char *folded = normalize_string(rs->normalizer, cues->items[t]);
                    if (!folded) {
                        out_of_memory(c, packs[i]->file);
                        continue;
                    }
                    if (!*folded) {
                        diagnostics_add(c->diag, packs[i]->file, cues->at[t].line, cues->at[t].column,
                                        "intent cue '%s' normalizes to nothing (only punctuation, marks or invisible "
                                        "characters)", cues->items[t]);
                        free(folded);
                        continue;
                    }
                    rs->intent_cues[rs->intent_cue_count++] = (intent_cue){
                        folded, (uint32_t)strlen(folded), (uint8_t)(INTENT_SERVICE + k), anywhere != 0, true};
                }
            }
    /* each chain reads longest first, table order at equal length: sort so (insertion sort, stable; the table
     * holds a few hundred at most), then push from the last to the first at the head of its letter's chain */
    for (size_t i = 0; i < rs->intent_cue_count; i++) {
        uint32_t x = (uint32_t)i;
        size_t j = i;
        while (j > 0 && rs->intent_cues[order[j - 1]].length < rs->intent_cues[x].length) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = x;
    }
    for (size_t i = 0; i < 256; i++)
        rs->intent_by_letter[i] = -1;
    for (size_t n = rs->intent_cue_count; n-- > 0;) {
        uint32_t i = order[n];
        unsigned char first = (unsigned char)rs->intent_cues[i].phrase[0];
        rs->intent_next[i] = rs->intent_by_letter[first];
        rs->intent_by_letter[first] = (int32_t)i;
    }
    free(order);
}

#define SLOT_MARK "{mark}"

/* The words of a folded phrase (0 for ""). */
static uint32_t folded_words(const char *folded)
{
    uint32_t words = *folded ? 1 : 0;
    for (const char *p = folded; *p; p++)
        words += *p == ' ';
    return words;
}

/* A list phrase with a slot for the rule's hit ("vỏ {mark} in lại"): one "{mark}", words on at least one side;
 * the sides folded like the text and kept in the list (owned by the ruleset). A mistake otherwise. */
static void add_slot(compiler *c, const char *file, position at, const char *text, compiled_list *list)
{
    const char *mark = strstr(text, SLOT_MARK);
    if (strstr(mark + strlen(SLOT_MARK), SLOT_MARK)) {
        diagnostics_add(c->diag, file, at.line, at.column, "'%s': one {mark} per phrase", text);
        return;
    }
    char *head = strndup(text, (size_t)(mark - text));
    char *before = head ? normalize_string(c->rs->normalizer, head) : NULL;
    char *after = normalize_string(c->rs->normalizer, mark + strlen(SLOT_MARK));
    free(head);
    slot_phrase *grown = before && after ? realloc(list->slots, (list->slot_count + 1) * sizeof *grown) : NULL;
    if (!grown) {
        free(before);
        free(after);
        out_of_memory(c, file);
        return;
    }
    list->slots = grown;
    if (!*before && !*after) {
        diagnostics_add(c->diag, file, at.line, at.column, "'%s': words before or after {mark} are needed", text);
        free(before);
        free(after);
        return;
    }
    list->slots[list->slot_count++] = (slot_phrase){before, after, folded_words(before), folded_words(after), text};
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
    bool marked = false;
    for (const unsigned char *b = (const unsigned char *)text; *b && !marked; b++)
        marked = *b >= 0x80;
    rs->literals[id] = (literal_entry){kind, owner, text, kind == LITERAL_ORIGIN_CUE ? NULL : c->pack, marked, (uint32_t)strlen(text), 0, 0};
    if (marked) { /* its words' marks, read once here instead of at every hit */
        uint32_t words[256];
        size_t count = marks_term_words(text, words, sizeof words / sizeof *words);
        if (count != SIZE_MAX && count) {
            if (rs->literal_marks_count + count > rs->literal_marks_capacity) {
                size_t capacity = rs->literal_marks_capacity ? rs->literal_marks_capacity * 2 : 4096;
                while (capacity < rs->literal_marks_count + count)
                    capacity *= 2;
                uint32_t *grown = realloc(rs->literal_marks, capacity * sizeof *grown);
                if (!grown) {
                    free(normalized);
                    out_of_memory(c, file);
                    return -1;
                }
                rs->literal_marks = grown;
                rs->literal_marks_capacity = capacity;
            }
            memcpy(rs->literal_marks + rs->literal_marks_count, words, count * sizeof *words);
            rs->literals[id].marks_at = (uint32_t)rs->literal_marks_count;
            rs->literals[id].marks_count = (uint32_t)count;
            rs->literal_marks_count += count;
        }
    }
    int rc = mpm_add(rs->mpm, normalized, strlen(normalized), id);
    if (rc < 0)
        diagnostics_add(c->diag, file, at.line, at.column, "cannot add '%s': %s", text, mpm_strerror(rc));
    free(normalized);
    return rc < 0 ? -1 : 0;
}

/* Phrase tolerance (docs/rules.md, "Phrase tolerance and context"): the
 * phrase whose exact literal is `literal` also hits word by word. Each word
 * becomes an anchor literal; the matcher assembles anchors into hits of the
 * phrase. Only phrases of rules and packs that ask for it get here, so every
 * other listing and rule keeps the one exact literal per phrase. */
static void add_tolerant(compiler *c, const char *file, position at, const char *text, uint32_t literal, int gap,
                         bool either_order)
{
    ruleset *rs = c->rs;
    char *normalized = normalize_string(rs->normalizer, text);
    if (!normalized) {
        out_of_memory(c, file);
        return;
    }
    size_t words = 1;
    for (const char *q = normalized; *q; q++)
        words += *q == ' ';
    /* the words as written, for their marks, when they line up with the normalized words; else the folded ones */
    char *written = strdup(text);
    size_t written_words = 0;
    char *saveptr = NULL;
    for (char *w = written ? strtok_r(written, " \t", &saveptr) : NULL; w; w = strtok_r(NULL, " \t", &saveptr))
        written_words++;
    free(written);
    if (words < 2 || words > MAX_TOLERANT_WORDS) { /* one word has nothing to tolerate; a long one stays exact */
        free(normalized);
        return;
    }
    if (rs->phrase_count == rs->phrase_capacity) {
        size_t capacity = rs->phrase_capacity ? rs->phrase_capacity * 2 : 16;
        tolerant_phrase *grown = realloc(rs->phrases, capacity * sizeof *grown);
        if (!grown) {
            free(normalized);
            out_of_memory(c, file);
            return;
        }
        rs->phrases = grown;
        rs->phrase_capacity = capacity;
    }
    uint32_t phrase = (uint32_t)rs->phrase_count++;
    rs->phrases[phrase] = (tolerant_phrase){literal, (uint16_t)words, (uint8_t)gap, either_order};
    const char *source = written_words == words ? text : normalized;
    char *copy = strdup(source);
    saveptr = NULL;
    uint32_t j = 0;
    for (char *w = copy ? strtok_r(copy, " \t", &saveptr) : NULL; w && j < words; w = strtok_r(NULL, " \t", &saveptr)) {
        if (rs->anchor_count == rs->anchor_capacity) {
            size_t capacity = rs->anchor_capacity ? rs->anchor_capacity * 2 : 32;
            word_anchor *grown = realloc(rs->anchors, capacity * sizeof *grown);
            if (!grown)
                break;
            rs->anchors = grown;
            rs->anchor_capacity = capacity;
        }
        char *word = strdup(w);
        if (!word)
            break;
        uint32_t anchor = (uint32_t)rs->anchor_count++;
        rs->anchors[anchor] = (word_anchor){phrase, j++, word};
        if (add_literal(c, file, at, word, LITERAL_WORD_ANCHOR, anchor, true) < 0)
            break;
    }
    if (!copy || j < words)
        out_of_memory(c, file);
    free(copy);
    free(normalized);
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
    long known = string_set_find(&c->regex_ids, text);
    if (known >= 0)
        return (int)known;
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
    if (string_set_add(&c->regex_ids, text, rs->regex_count) == -2) {
        rs->regex_count++; /* kept (ruleset_destroy frees it), only not shared */
        out_of_memory(c, file);
        return -1;
    }
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

/* A rule's goods group: its first category any loaded pack's goods_groups
 * (or the built-in table) knows; else what its kind usually is. */
static goods_group rule_goods_group(pack *const *packs, size_t pack_count, const rule *r)
{
    for (size_t c = 0; c < r->categories.count; c++) {
        const char *category = r->categories.items[c];
        for (size_t p = 0; p < pack_count; p++)
            for (size_t i = 0; i < packs[p]->group_categories.count; i++)
                if (!strcmp(packs[p]->group_categories.items[i], category))
                    return packs[p]->group_values[i];
        goods_group g = goods_group_of_category(category);
        if (g != GOODS_GROUP_COUNT)
            return g;
    }
    switch (r->kind) {
    case RULE_KIND_GI: case RULE_KIND_OCOP: case RULE_KIND_COLLECTIVE_MARK: case RULE_KIND_CERTIFICATION_MARK:
        return GOODS_REGIONAL_SPECIALTIES;
    case RULE_KIND_PLANT_VARIETY: return GOODS_PLANT_VARIETIES;
    case RULE_KIND_TRADEMARK: return GOODS_CONSUMER;
    default: return GOODS_OTHER;
    }
}

/* A rule's models: their terms become condition terms (they choose a
 * reference price once the rule has a hit; they are no mention by
 * themselves, so they make no rule a candidate). */
static void compile_models(compiler *c, const pack *p, const rule *r, compiled_rule *cr)
{
    ruleset *rs = c->rs;
    size_t terms = 0;
    const rule_details *d = r->more;
    for (size_t m = 0; m < d->model_count; m++)
        terms += d->models[m].terms.count;
    if (!terms)
        return;
    if (!(cr->model_of_term = calloc(terms, sizeof *cr->model_of_term))) {
        out_of_memory(c, p->file);
        return;
    }
    cr->model_term_base = (uint32_t)rs->condition_term_count;
    for (size_t m = 0; m < d->model_count; m++)
        for (size_t t = 0; t < d->models[m].terms.count; t++) {
            cr->model_of_term[cr->model_term_count++] = (uint32_t)m;
            add_literal(c, p->file, d->models[m].terms.at[t], d->models[m].terms.items[t], LITERAL_CONDITION_TERM,
                        (uint32_t)rs->condition_term_count++, true);
        }
}

static bool condition_uses(const condition *cond, condition_type type)
{
    if (!cond)
        return false;
    if (cond->type == type)
        return true;
    for (size_t i = 0; i < cond->child_count; i++)
        if (condition_uses(cond->children[i], type))
            return true;
    return false;
}

/* Stated origin: the gazetteer (built once per set, only when a rule reads
 * origins) and the post-merger provinces the rule's region names, so that
 * "trồng tại Hải Phòng" is in the province of a region that says "Hải
 * Dương" (merged into Hải Phòng in 2025). */
static position r_position(const compiled_rule *cr)
{
    return cr->source->at;
}

static void compile_region_provinces(compiler *c, const pack *p, compiled_rule *cr)
{
    ruleset *rs = c->rs;
    if (!rs->provinces) {
        if (province_table_create(rs->normalizer, &rs->provinces) < 0) {
            out_of_memory(c, p->file);
            return;
        }
        for (size_t i = 0; i < origin_cue_count(); i++)
            add_literal(c, p->file, r_position(cr), origin_cue(i), LITERAL_ORIGIN_CUE, (uint32_t)i, true);
    }
    const rule *r = cr->source;
    cr->region_provinces = calloc(r->region.count ? r->region.count : 1, sizeof *cr->region_provinces);
    if (!cr->region_provinces) {
        out_of_memory(c, p->file);
        return;
    }
    for (size_t i = 0; i < r->region.count; i++) {
        const char *province = province_of(rs->provinces, r->region.items[i]);
        if (!strcmp(province, PROVINCE_UNKNOWN) || !strcmp(province, PROVINCE_ABROAD))
            continue;
        bool known = false;
        for (size_t k = 0; k < cr->region_province_count && !known; k++)
            known = !strcmp(cr->region_provinces[k], province);
        if (!known)
            cr->region_provinces[cr->region_province_count++] = province;
    }
}

static int compile_rule(compiler *c, const pack *p, rule *r, uint32_t index)
{
    ruleset *rs = c->rs;
    compiled_rule *cr = &rs->rules[index];
    cr->source = r;
    cr->pack = p;
    c->pack = p;
    int gap = r->gap >= 0 ? r->gap : p->gap > 0 ? p->gap : 0;
    for (size_t t = 0; t < r->terms.count; t++)
        if (strstr(r->terms.items[t], SLOT_MARK))
            diagnostics_add(c->diag, p->file, r->terms.at[t].line, r->terms.at[t].column,
                            "'%s': {mark} is a slot of list phrases only", r->terms.items[t]);
        else if (add_literal(c, p->file, r->terms.at[t], r->terms.items[t], LITERAL_RULE_TERM, index, true) == 0 &&
            (gap > 0 || r->either_order))
            add_tolerant(c, p->file, r->terms.at[t], r->terms.items[t], (uint32_t)rs->literal_count - 1, gap,
                         r->either_order);
    cr->context_list = -1;
    if (r->context_list) {
        const term_list *list = pack_find_list(p, r->context_list);
        if (list)
            cr->context_list = (int)(c->list_base + (size_t)(list - p->lists));
        cr->context_near = r->context_near;
        cr->context_before = r->context_before;
        cr->context_after = r->context_after;
    }
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
    cr->name_folded = r->name ? padded_normalized(rs, r->name) : NULL;
    cr->origin_packing = r->origin_packing >= 0 ? r->origin_packing > 0 : p->origin_packing;
    compile_models(c, p, r, cr);
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
    bool origin = condition_uses(r->flag, CONDITION_STATED_ORIGIN_OUTSIDE_REGION);
    for (size_t i = 0; i < r->unless_count; i++)
        origin |= condition_uses(r->unless[i], CONDITION_STATED_ORIGIN_OUTSIDE_REGION);
    if (origin)
        compile_region_provinces(c, p, cr);
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
    rs->options.no_negation = options ? options->no_negation : false;
    rs->options.no_intent = options ? options->no_intent : false;
    rs->options.no_marks = options ? options->no_marks : false;
    rs->options.no_chat = options ? options->no_chat : false;
    compiler c = {.rs = rs, .diag = diag, .errors_before = diagnostics_total(diag)};
    string_set_init(&c.regex_ids);
    char error[512];
    if (options && options->normalizer) {
        rs->normalizer = options->normalizer; /* built once per process by the caller */
    } else if (normalizer_create(&rs->owned_normalizer, error, sizeof error) < 0) {
        diagnostics_add(diag, "rules", 0, 0, "cannot build the normalizer: %s", error);
        ruleset_destroy(rs);
        return -1;
    } else {
        rs->normalizer = rs->owned_normalizer;
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
            rs->lists[index] = (compiled_list){&packs[i]->lists[l], packs[i], NULL, 0};
            c.pack = packs[i];
            const string_list *terms = &packs[i]->lists[l].terms;
            for (size_t t = 0; t < terms->count; t++)
                if (strstr(terms->items[t], SLOT_MARK))
                    add_slot(&c, packs[i]->file, terms->at[t], terms->items[t], &rs->lists[index]);
                else if (add_literal(&c, packs[i]->file, terms->at[t], terms->items[t], LITERAL_LIST_TERM, index, true) == 0 &&
                    packs[i]->gap > 0) /* a pack's gap covers its list phrases too */
                    add_tolerant(&c, packs[i]->file, terms->at[t], terms->items[t], (uint32_t)rs->literal_count - 1,
                                 packs[i]->gap, false);
        }
    }
    compile_intent_cues(&c, packs, pack_count);
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
            rs->rules[index].group = rule_goods_group(packs, pack_count, rl);
        }
    }
    string_set_free(&ids);
    string_set_free(&c.regex_ids);
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
        free(r->name_folded);
        free(r->model_of_term);
        free(r->region_provinces);
        for (size_t k = 0; k < r->authorized_count; k++)
            free(r->authorized[k].platform);
        free(r->authorized);
    }
    free(rs->rules);
    free(rs->pattern_rules);
    for (size_t i = 0; rs->lists && i < rs->list_count; i++) {
        for (size_t k = 0; k < rs->lists[i].slot_count; k++) {
            free(rs->lists[i].slots[k].before);
            free(rs->lists[i].slots[k].after);
        }
        free(rs->lists[i].slots);
    }
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
    free(rs->literal_marks);
    for (size_t i = 0; i < rs->intent_cue_count; i++)
        if (rs->intent_cues[i].owned)
            free((char *)rs->intent_cues[i].phrase);
    free(rs->intent_cues);
    free(rs->intent_next);
    free(rs->phrases);
    province_table_destroy(rs->provinces);
    for (size_t i = 0; i < rs->anchor_count; i++)
        free(rs->anchors[i].text);
    free(rs->anchors);
    mpm_context_destroy(rs->mpm);
    normalizer_destroy(rs->owned_normalizer);
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
goods_group ruleset_rule_goods_group(const ruleset *rs, size_t i) { return rs->rules[i].group; }

const char *signal_type_name(signal_type t)
{
    static const char *const names[] = {"list", "term", "pattern", "price_below", "seller_outside_region",
                                        "seller_in_region", "unauthorized_seller", "official_store", "livestream",
                                        "category", "hashtags", "label_claim", "stated_origin", "traceable_sourcing"};
    return (unsigned)t <= SIGNAL_TRACEABLE_SOURCING ? names[t] : "unknown";
}

