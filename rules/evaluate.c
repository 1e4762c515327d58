/* Deciding one listing with a compiled set (ruleset.h): the views, the
 * automaton's hits, the conditions of the rules that have hits, signals and
 * the flag id. */
#include "rules/ruleset_internal.h"
#include "rules/text/marks.h"
#include "rules/quantity.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
/* the XXH3 state struct is public only with this; it lets the flag id be
 * hashed from a stack state, no allocation per flagged listing */
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>
#include <utf8proc.h>

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
    s->slot_epoch = calloc(FOUND_SLOTS, sizeof *s->slot_epoch);
    s->slot_found = calloc(FOUND_SLOTS, sizeof *s->slot_found);
    s->found_next = calloc(MAX_FOUND, sizeof *s->found_next);
    s->cue_next = calloc(MAX_FOUND, sizeof *s->cue_next);
    s->rule_first = calloc(rules, sizeof *s->rule_first);
    s->rule_last = calloc(rules, sizeof *s->rule_last);
    s->list_first = calloc(lists, sizeof *s->list_first);
    s->list_last = calloc(lists, sizeof *s->list_last);
    s->term_first = calloc(terms, sizeof *s->term_first);
    s->term_last = calloc(terms, sizeof *s->term_last);
    s->match_data = pcre2_match_data_create(32, NULL);
    s->match_context = pcre2_match_context_create(NULL);
    s->jit_stack = pcre2_jit_stack_create(32 * 1024, 512 * 1024, NULL);
    for (int f = 0; f < 2; f++) {
        normalized_text_init(&s->fields[f].main);
        normalized_text_init(&s->fields[f].joined);
        normalized_text_init(&s->fields[f].variants);
        normalized_text_init(&s->fields[f].abbrev);
        normalized_text_init(&s->fields[f].tags);
    }
    normalized_text_init(&s->location);
    normalized_text_init(&s->category);
    if (rs->phrase_count) { /* phrase tolerance: only sets that use it pay for its tables */
        s->anchor_hits = calloc(MAX_ANCHOR_HITS, sizeof *s->anchor_hits);
        s->phrase_epoch = calloc(rs->phrase_count, sizeof *s->phrase_epoch);
        s->touched = calloc(MAX_ANCHOR_HITS, sizeof *s->touched);
        if (!s->anchor_hits || !s->phrase_epoch || !s->touched) {
            ruleset_scratch_destroy(s);
            return -1;
        }
    }
    if (!s->rule_epoch || !s->list_epoch || !s->term_epoch || !s->regex_epoch || !s->regex_result ||
        !s->regex_span || !s->candidates || !s->fired || !s->view_hits || !s->found || !s->match_data || !s->match_context ||
        !s->jit_stack || !s->slot_epoch || !s->slot_found || !s->found_next || !s->cue_next || !s->rule_first || !s->rule_last ||
        !s->list_first || !s->list_last || !s->term_first || !s->term_last || mpm_scratch_create(rs->mpm, &s->mpm) < 0) {
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
        normalized_text_free(&s->fields[f].variants);
        normalized_text_free(&s->fields[f].abbrev);
        normalized_text_free(&s->fields[f].tags);
        free(s->fields[f].spaces);
        free(s->fields[f].word_at);
        free(s->fields[f].cue_first);
        free(s->fields[f].cue_last);
        free(s->fields[f].cue_epoch);
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
    free(s->slot_epoch);
    free(s->slot_found);
    free(s->found_next);
    free(s->cue_next);
    free(s->rule_first);
    free(s->rule_last);
    free(s->list_first);
    free(s->list_last);
    free(s->term_first);
    free(s->term_last);
    free(s->hits);
    free(s->signals);
    free(s->anchor_hits);
    free(s->phrase_epoch);
    free(s->touched);
    free(s);
}

/* ---- matching ------------------------------------------------------------------ */

static size_t words_before_searched(const field_views *v, uint32_t original_offset)
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

/* The words of the main view before each original offset, in one pass over
 * the field's views: then a hit's word positions cost a lookup each, not two
 * binary searches. */
static bool build_word_at(field_views *v)
{
    size_t n = v->original_length + 1;
    if (n > v->word_at_capacity) {
        uint32_t *grown = realloc(v->word_at, n * sizeof *grown);
        if (!grown)
            return false;
        v->word_at = grown;
        v->word_at_capacity = n;
    }
    size_t j = 0;
    uint32_t spaces = 0;
    for (size_t o = 0; o < n; o++) {
        while (j < v->main.length && v->main.source_start[j] < o)
            spaces += v->main.text[j++] == ' ';
        v->word_at[o] = spaces;
    }
    v->word_at_ready = true;
    return true;
}

/* The first hits of a field search (two binary searches each); from the
 * ninth lookup on, a table built once answers each in one read, so a
 * listing's hits cost no more than its length and their number. */
#define WORD_TABLE_AFTER 8

static size_t words_before(field_views *v, uint32_t original_offset)
{
    if (original_offset <= v->original_length && ++v->lookups > WORD_TABLE_AFTER &&
        (v->word_at_ready || build_word_at(v)))
        return v->word_at[original_offset];
    return words_before_searched(v, original_offset);
}

static uint32_t found_slot(found_kind kind, uint32_t index, listing_field field,
                           uint32_t start, uint32_t end)
{
    uint64_t h = ((uint64_t)index * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)start << 20) ^ ((uint64_t)end << 1) ^
                 ((uint64_t)kind << 62) ^ ((uint64_t)field << 63);
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    return (uint32_t)(h >> 40) & (FOUND_SLOTS - 1);
}

/* Chains hit i after the owner's earlier hits (found order). */
static void chain_found(ruleset_scratch *s, uint32_t *first, uint32_t *last, bool is_first, uint32_t i)
{
    s->found_next[i] = NO_FOUND;
    if (is_first)
        *first = i;
    else
        s->found_next[*last] = i;
    *last = i;
}

static void add_found(ruleset_scratch *s, found_kind kind, uint32_t index, uint32_t rule, listing_field field,
                      uint32_t start, uint32_t end)
{
    /* main and joined views often agree: a hit already found is found once (a table by value, O(1) a hit) */
    uint32_t slot = found_slot(kind, index, field, start, end);
    for (; s->slot_epoch[slot] == s->epoch; slot = (slot + 1) & (FOUND_SLOTS - 1)) {
        const found_hit *f = &s->found[s->slot_found[slot]];
        if (f->kind == kind && f->index == index && f->field == field && f->start == start && f->end == end)
            return;
    }
    if (s->found_count == MAX_FOUND) {
        s->hits_truncated = true;
        return;
    }
    field_views *v = &s->fields[field];
    uint32_t i = (uint32_t)s->found_count++;
    s->slot_epoch[slot] = s->epoch;
    s->slot_found[slot] = i;
    found_hit *f = &s->found[i];
    *f = (found_hit){kind, index, rule, field, start, end, (uint32_t)words_before(v, start),
                     (uint32_t)words_before(v, end ? end - 1 : 0)};
    if (kind == FOUND_LITERAL) {
        const literal_entry *e = &s->rs->literals[index];
        uint32_t *epoch = e->kind == LITERAL_RULE_TERM   ? &s->rule_epoch[e->owner]
                          : e->kind == LITERAL_LIST_TERM ? &s->list_epoch[e->owner]
                                                         : &s->term_epoch[e->owner];
        if (e->kind == LITERAL_RULE_TERM && *epoch != s->epoch)
            s->candidates[s->candidate_count++] = e->owner;
        if (e->kind != LITERAL_RULE_TERM && f->word_end < v->cue_capacity) { /* a cue, by the word it ends on */
            s->cue_next[i] = NO_FOUND;
            if (v->cue_epoch[f->word_end] != s->epoch) {
                v->cue_epoch[f->word_end] = s->epoch;
                v->cue_first[f->word_end] = i;
            } else {
                s->cue_next[v->cue_last[f->word_end]] = i;
            }
            v->cue_last[f->word_end] = i;
        }
        if (e->kind == LITERAL_RULE_TERM)
            chain_found(s, &s->rule_first[e->owner], &s->rule_last[e->owner], *epoch != s->epoch, i);
        else if (e->kind == LITERAL_LIST_TERM)
            chain_found(s, &s->list_first[e->owner], &s->list_last[e->owner], *epoch != s->epoch, i);
        else
            chain_found(s, &s->term_first[e->owner], &s->term_last[e->owner], *epoch != s->epoch, i);
        *epoch = s->epoch;
    } else {
        chain_found(s, &s->rule_first[rule], &s->rule_last[rule], s->rule_epoch[rule] != s->epoch, i);
        if (s->rule_epoch[rule] != s->epoch) {
            s->rule_epoch[rule] = s->epoch;
            s->candidates[s->candidate_count++] = rule;
        }
    }
}

/* The first of the hits of a rule (its terms' and patterns'), a list's or a
 * condition term's, in the order found; then s->found_next. */
static uint32_t first_found(const ruleset_scratch *s, const uint32_t *epoch, const uint32_t *first, int owner)
{
    return owner >= 0 && epoch[owner] == s->epoch ? first[owner] : NO_FOUND;
}

/* ---- hashtags and abbreviations (docs/rules.md, "Hashtags and abbreviations") ----
 * Two more views of a field, searched only when it has a #tag or a chat
 * abbreviation: the abbreviations expanded ("hg rep" reads "hang rep"), and
 * the tags split ("#LumoraLipCare", "#kavessininon"). In the tags' one-space
 * variants only rule terms count: "#nofake" is no "fake" cue. */

/* Whether a hit keeps its marks (docs/rules.md, "Marks"): a word marked on
 * both sides must agree; and a cue (list term, `term:`) written with marks
 * whose hit writes one of its marked words bare while writing another with
 * marks ("hàng cho bé" for "hàng chợ") is another word. Names keep such
 * hits: sellers type a place or a brand bare. */
static bool hit_marks_hold(const ruleset_scratch *s, uint32_t literal, const char *text, uint32_t start, uint32_t end)
{
    const literal_entry *e = &s->rs->literals[literal];
    if (!e->marked)
        return true; /* an ASCII term has no marks to disagree with (marks_judge says so too, after a strlen) */
    bool cue = e->kind == LITERAL_LIST_TERM || e->kind == LITERAL_CONDITION_TERM, dropped = false;
    size_t tn = e->marks_count ? e->text_length : 0;
    if (tn == end - start && !strncasecmp(e->text, text + start, tn))
        return true; /* written as the term is (or only its ASCII case differs): the common case */
    if (e->marks_count)
        return marks_judge_words(s->rs->literal_marks + e->marks_at, e->marks_count, text + start, end - start,
                                 cue ? &dropped : NULL) &&
               !dropped;
    return marks_judge(e->text, text + start, end - start, cue ? &dropped : NULL) && !dropped;
}

static int search_view(ruleset_scratch *s, listing_field field, const char *text, const normalized_text *view,
                       size_t rule_terms_from)
{
    long n = mpm_search(s->rs->mpm, s->mpm, view->text, view->length, s->view_hits, MAX_VIEW_HITS);
    if (n < 0)
        return -1;
    if (n > MAX_VIEW_HITS) {
        s->hits_truncated = true;
        n = MAX_VIEW_HITS;
    }
    for (long i = 0; i < n; i++) {
        const mpm_hit *h = &s->view_hits[i];
        if ((h->start >= rule_terms_from && s->rs->literals[h->id].kind != LITERAL_RULE_TERM) ||
            s->rs->literals[h->id].kind >= LITERAL_WORD_ANCHOR) /* phrases and origins are read in the main views */
            continue;
        uint32_t start = view->source_start[h->start], end = view->source_end[h->end - 1];
        if (end <= start)
            continue;
        if (!s->rs->options.no_marks && !hit_marks_hold(s, h->id, text, start, end)) {
            s->marks_refused++;
            continue;
        }
        add_found(s, FOUND_LITERAL, h->id, 0, field, start, end);
    }
    return 0;
}

/* The abbreviation views of both fields, once a rule has a hit: the table
 * expands to common words ("khong", "hang"), which make cues, not names, so
 * a listing no rule names costs nothing more. */
static int prepare_abbreviations(ruleset_scratch *s)
{
    for (int f = 0; f < 2; f++) /* patterns read the view too: never a previous listing's */
        s->fields[f].abbrev.length = 0;
    if (s->rs->options.no_chat || !s->candidate_count)
        return 0;
    for (int f = 0; f < 2; f++) {
        field_views *v = &s->fields[f];
        const char *text = f == FIELD_TITLE ? s->listing->title : s->listing->description;
        if (!v->present || !text)
            continue;
        long expanded = abbrev_expand_text(&v->main, v->spaces, v->space_count, text, &v->abbrev);
        if (expanded < 0)
            return -1;
        if (expanded > 0 && search_view(s, (listing_field)f, text, &v->abbrev, SIZE_MAX) < 0)
            return -1;
    }
    return 0;
}

static int prepare_chat_views(ruleset_scratch *s, listing_field field, const char *text, size_t length)
{
    field_views *v = &s->fields[field];
    if (s->rs->options.no_chat)
        return 0;
    long tags = hashtag_view(&v->main, text, length, &v->tag_spans, &v->tags, &v->tag_variants_from);
    if (tags < 0)
        return -1;
    if (tags > 0 && v->tags.length && search_view(s, field, text, &v->tags, v->tag_variants_from) < 0)
        return -1;
    return 0;
}

/* Whether the hit lies inside one of its field's #tags. */
static bool in_hashtag(const ruleset_scratch *s, const found_hit *f)
{
    const hashtag_spans *t = &s->fields[f->field].tag_spans;
    for (size_t i = 0; i < t->count; i++)
        if (f->start >= t->start[i] && f->end <= t->end[i])
            return true;
    return false;
}

/* A hit in a tag where the tag's writer put a boundary ('#', '_', a change
 * of case or from letters to digits, the tag's end): "#Lumora", "#LumoraLipCare",
 * "#zorvik_airrun". A name run into another word ("#kavessistyle") is a
 * weaker reading: it makes the rule a candidate but is no stuffing. */
static bool written_apart(const ruleset_scratch *s, const found_hit *f)
{
    const char *text = f->field == FIELD_TITLE ? s->listing->title : s->listing->description;
    const hashtag_spans *t = &s->fields[f->field].tag_spans;
    for (size_t i = 0; i < t->count; i++) {
        if (f->start < t->start[i] || f->end > t->end[i])
            continue;
        unsigned char before = (unsigned char)text[f->start - 1], first = (unsigned char)text[f->start];
        unsigned char last = (unsigned char)text[f->end - 1], after = f->end < t->end[i] ? (unsigned char)text[f->end] : ' ';
        bool left = before == '#' || before == '_' || (first >= 'A' && first <= 'Z' && before >= 'a' && before <= 'z') ||
                    ((first >= '0' && first <= '9') != (before >= '0' && before <= '9'));
        bool right = f->end == t->end[i] || after == '_' || (after >= 'A' && after <= 'Z' && last >= 'a' && last <= 'z') ||
                     ((after >= '0' && after <= '9') != (last >= '0' && last <= '9'));
        return left && right;
    }
    return false;
}

static bool accessory_title(ruleset_scratch *s);

static bool negated_hit(const ruleset_scratch *s, const found_hit *f);
static bool hashtags_hold(ruleset_scratch *s, uint32_t rule_index, const condition *c, match_signal *signal, int depth)
{
    size_t inside = 0, outside = 0;
    for (size_t i = 0; i < s->found_count; i++) {
        const found_hit *f = &s->found[i];
        bool of_rule = (f->kind == FOUND_LITERAL && s->rs->literals[f->index].kind == LITERAL_RULE_TERM &&
                        s->rs->literals[f->index].owner == rule_index) ||
                       (f->kind == FOUND_REGEX && f->rule == rule_index);
        if (!of_rule)
            continue;
        if (in_hashtag(s, f) && !written_apart(s, f))
            continue; /* run into another word: neither in a tag nor elsewhere */
        if (in_hashtag(s, f)) {
            if (!inside++) {
                signal->has_span = true;
                signal->field = f->field;
                signal->start = f->start;
                signal->end = f->end;
            }
        } else {
            outside++;
        }
    }
    bool result = c->hashtags == HASHTAGS_ONLY ? inside && !outside : c->hashtags == HASHTAGS_SOME ? inside > 0 : !inside;
    /* brand tags on an accessory ("Dây giày phản quang #nike") name what it fits: no stuffing */
    if (result && c->hashtags == HASHTAGS_ONLY && accessory_title(s)) {
        ruleset_trace(s, depth, "hashtags only: the title opens with an accessory's head noun => false");
        result = false;
    }
    static const char *const modes[] = {"only", "some", "none"};
    signal->type = SIGNAL_HASHTAGS;
    signal->value = c->hashtags == HASHTAGS_ONLY;
    signal->has_span &= c->hashtags != HASHTAGS_NONE;
    ruleset_trace(s, depth, "hashtags %s: %zu mention(s) in #tags, %zu elsewhere => %s", modes[c->hashtags], inside,
                  outside, result ? "true" : "false");
    return result;
}

/* Phrase tolerance: a word of a tolerant phrase hit the main view; kept
 * apart until both fields are read (assemble_phrases). */
static void add_anchor_hit(ruleset_scratch *s, uint32_t literal, listing_field field, uint32_t start, uint32_t end)
{
    if (s->anchor_hit_count == MAX_ANCHOR_HITS) {
        s->hits_truncated = true;
        return;
    }
    uint32_t anchor = s->rs->literals[literal].owner, phrase = s->rs->anchors[anchor].phrase;
    /* its word number is counted only if its phrase turns out complete (assemble_phrases): a common word such as
     * "hùng" alone costs one store */
    s->anchor_hits[s->anchor_hit_count++] = (anchor_hit){anchor, (uint32_t)field, UINT32_MAX, start, end};
    if (s->phrase_epoch[phrase] != s->epoch) {
        s->phrase_epoch[phrase] = s->epoch;
        s->touched[s->touched_count++] = phrase; /* at most one per anchor hit: bounded by MAX_ANCHOR_HITS */
    }
}

/* An origin cue hit the main view of a field (kept only when a rule reads origins: the literals exist only then). */
static void add_cue_hit(ruleset_scratch *s, uint32_t literal, listing_field field, uint32_t start, uint32_t end)
{
    if (s->cue_hit_count < MAX_ORIGIN_STATEMENTS)
        s->cue_hits[s->cue_hit_count++] = (origin_cue_hit){(uint32_t)field, s->rs->literals[literal].owner, start, end};
}

/* Whether the rule owning a rule-term literal already has a hit with exactly this span. */
static bool rule_hit_at(const ruleset_scratch *s, const literal_entry *e, listing_field field, uint32_t start,
                        uint32_t end)
{
    if (e->kind != LITERAL_RULE_TERM)
        return false;
    for (uint32_t i = first_found(s, s->rule_epoch, s->rule_first, (int)e->owner); i != NO_FOUND;
         i = s->found_next[i]) {
        const found_hit *f = &s->found[i]; /* a hit of the rule */
        if (f->field == field && f->start == start && f->end == end)
            return true;
    }
    return false;
}

static int prepare_field(ruleset_scratch *s, listing_field field, const char *text, size_t length, match_result *out)
{
    field_views *v = &s->fields[field];
    v->present = text != NULL;
    v->main.length = v->joined.length = v->variants.length = 0;
    v->space_count = 0;
    v->original_length = 0;
    v->word_at_ready = false;
    v->lookups = 0;
    v->tag_spans.count = 0;
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
        normalize_joined_runs_variants(&v->main, text, length, &v->joined, &v->variants) < 0)
        return -1;
    out->invalid_utf8_bytes += invalid;
    v->original_length = length;
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
    if (v->space_count + 1 > v->cue_capacity) {
        size_t capacity = v->space_count + 1 > 2 * v->cue_capacity ? v->space_count + 1 : 2 * v->cue_capacity;
        uint32_t *first = realloc(v->cue_first, capacity * sizeof *first);
        if (first)
            v->cue_first = first;
        uint32_t *last = first ? realloc(v->cue_last, capacity * sizeof *last) : NULL;
        if (last)
            v->cue_last = last;
        uint32_t *epoch = last ? realloc(v->cue_epoch, capacity * sizeof *epoch) : NULL;
        if (!epoch)
            return -1;
        memset(epoch + v->cue_capacity, 0, (capacity - v->cue_capacity) * sizeof *epoch);
        v->cue_epoch = epoch;
        v->cue_capacity = capacity;
    }
    const normalized_text *views[3] = {&v->main, &v->joined, &v->variants};
    for (int k = 0; k < 3; k++) {
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
            uint32_t start = view->source_start[h->start], end = view->source_end[h->end - 1];
            if (!s->rs->options.no_marks && end > start && !hit_marks_hold(s, h->id, text, start, end)) {
                s->marks_refused++;
                continue;
            }
            if (s->rs->literals[h->id].kind >= LITERAL_WORD_ANCHOR) {
                if (k == 0 && s->rs->literals[h->id].kind == LITERAL_WORD_ANCHOR) /* joined views add nothing here */
                    add_anchor_hit(s, h->id, field, start, end);
                else if (k == 0)
                    add_cue_hit(s, h->id, field, h->start, h->end);
                continue;
            }
            if (k > 0 && rule_hit_at(s, &s->rs->literals[h->id], field, start, end))
                continue; /* "Ray-Ban": "rayban" joined where "ray-ban" already hit, one mention */
            add_found(s, FOUND_LITERAL, h->id, 0, field, start, end);
        }
    }
    return prepare_chat_views(s, field, text, length);
}

/* Runs one regex over one view of a field; adds hits when `rule` is not
 * UINT32_MAX. Returns whether it matched. */
static bool run_regex_view_opts(ruleset_scratch *s, uint32_t regex, listing_field field, uint32_t rule,
                                const normalized_text *view, uint32_t options);

static bool run_regex_view(ruleset_scratch *s, uint32_t regex, listing_field field, uint32_t rule,
                           const normalized_text *view)
{
    return run_regex_view_opts(s, regex, field, rule, view, 0);
}

/* A regex over the abbreviation view, one window at a time (windows are
 * joined by '\n': a match never spans two), each window as a subject of its
 * own; '^' holds only where a window starts at the field's first word, '$'
 * only where it ends at its last (PCRE2_NOTBOL, PCRE2_NOTEOL): an anchored
 * pattern ("^(sua|dich vu) ...") never takes a window's edge for the
 * field's. Returns whether it matched. Reads the scratch's views. */
static bool run_regex_abbrev(ruleset_scratch *s, uint32_t regex, listing_field field, uint32_t rule)
{
    const field_views *v = &s->fields[field];
    const normalized_text *a = &v->abbrev;
    if (!v->present || !a->length || !v->main.length)
        return false;
    uint32_t field_start = v->main.source_start[0], field_end = v->main.source_end[v->main.length - 1];
    bool matched = false;
    size_t from = 0;
    while (from < a->length && (!matched || rule != UINT32_MAX)) {
        const char *nl = memchr(a->text + from, '\n', a->length - from);
        size_t to = nl ? (size_t)(nl - a->text) : a->length;
        if (to > from) {
            normalized_text window = {.text = a->text + from, .length = to - from,
                                      .source_start = a->source_start + from, .source_end = a->source_end + from,
                                      .capacity = to - from};
            uint32_t options = (a->source_start[from] > field_start ? PCRE2_NOTBOL : 0) |
                               (a->source_end[to - 1] < field_end ? PCRE2_NOTEOL : 0);
            matched |= run_regex_view_opts(s, regex, field, rule, &window, options);
        }
        from = to + 1;
    }
    return matched;
}

static bool run_regex_view_opts(ruleset_scratch *s, uint32_t regex, listing_field field, uint32_t rule,
                                const normalized_text *view, uint32_t options)
{
    const compiled_regex *re = &s->rs->regexes[regex];
    const field_views *v = &s->fields[field];
    if (!v->present || view->length < re->min_length || view->length > MAX_REGEX_SUBJECT)
        return false;
    if (re->prefilter && !memmem(view->text, view->length, re->prefilter, strlen(re->prefilter)))
        return false;
    bool matched = false;
    size_t offset = 0;
    for (int count = 0; count < MAX_REGEX_MATCHES && offset <= view->length; count++) {
        int rc = pcre2_match(re->code, (PCRE2_SPTR)view->text, view->length, offset, PCRE2_NO_UTF_CHECK | options,
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
            span->start = view->source_start[ov[0]];
            span->end = view->source_end[ov[1] - 1];
        }
        matched = true;
        if (ov[1] > ov[0] && rule != UINT32_MAX)
            add_found(s, FOUND_REGEX, regex, rule, field, view->source_start[ov[0]], view->source_end[ov[1] - 1]);
        if (rule == UINT32_MAX)
            break;
        offset = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
        while (offset < view->length && ((unsigned char)view->text[offset] & 0xC0) == 0x80)
            offset++;
    }
    return matched;
}

/* A regex over a field's main view, then over its joined view when letters
 * were joined there ("Q-V" is "qv"): patterns see split letters as terms do;
 * then over its abbreviation view when there is one (built once a rule has a
 * hit, before any condition is read): patterns see chat as terms and cues do
 * ("cam kết ko bán hàng giả" is read by a pattern written "cam ket khong"). */
static bool run_regex(ruleset_scratch *s, uint32_t regex, listing_field field, uint32_t rule)
{
    const field_views *v = &s->fields[field];
    bool matched = run_regex_view(s, regex, field, rule, &v->main);
    if ((!matched || rule != UINT32_MAX) && v->present && v->joined.length && v->joined.length != v->main.length)
        matched |= run_regex_view(s, regex, field, rule, &v->joined);
    if ((!matched || rule != UINT32_MAX) && v->present && v->abbrev.length)
        matched |= run_regex_abbrev(s, regex, field, rule);
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


/* ---- negation (docs/rules.md, "Negation and disclaimers") -------------------
 * A mention or cue directly after a negator in the same clause ("không phải
 * hàng fake", "not a product of Nike", "without replica") is not a signal.
 * A negated authenticity claim ("không chính hãng", "not genuine") is an
 * admission: what follows it still counts. The negator must be within
 * NEGATION_WINDOW words before the hit with no clause punctuation between
 * (lists joined by "hay", "hoặc", "và", "or", "and" stay inside the window).
 * Words are read in the main view (folded: "không" is "khong"). */

#define NEGATION_WINDOW 5

/* Word `index` of a field's main view: [*start, *end) in the view. */
static bool view_word(const field_views *v, size_t index, size_t *start, size_t *end)
{
    if (index > v->space_count)
        return false;
    *start = index == 0 ? 0 : v->spaces[index - 1] + 1;
    *end = index < v->space_count ? v->spaces[index] : v->main.length;
    return *end > *start;
}

static bool word_is(const field_views *v, size_t index, const char *const *words)
{
    size_t a, b;
    if (!view_word(v, index, &a, &b))
        return false;
    for (size_t i = 0; words[i]; i++)
        if (words[i][0] == v->main.text[a] && strlen(words[i]) == b - a && !memcmp(v->main.text + a, words[i], b - a))
            return true;
    return false;
}

static bool word_is_number(const field_views *v, size_t index)
{
    size_t a, b;
    if (!view_word(v, index, &a, &b))
        return false;
    for (size_t i = a; i < b; i++)
        if (v->main.text[i] < '0' || v->main.text[i] > '9')
            return false;
    return true;
}

/* The chat "k" for "không": a lone lower-case k (or a capital K before a
 * word in capitals: "K PHẢI HÀNG FAKE"), not right after a number ("50 k" is
 * a price; "GA-2100 (k logo)" is not), followed by a space, a clause mark or
 * the end ("K+", a TV brand, and "K" are not). Reads the view and the
 * original only. */
static bool lone_chat_k(const field_views *v, size_t index, const char *original)
{
    static const char *const k[] = {"k", NULL}, *const vitamin[] = {"vitamin", "vit", NULL};
    if (!original || !word_is(v, index, k) || (index > 0 && word_is(v, index - 1, vitamin))) /* "vitamin K" */
        return false;
    size_t a = 0, b = 0, c = 0, d = 0;
    view_word(v, index, &a, &b);
    uint32_t from = v->main.source_start[a], to = v->main.source_end[b - 1];
    if (index > 0 && word_is_number(v, index - 1) && view_word(v, index - 1, &c, &d)) {
        bool spaces_only = true; /* "50 k" is a price; "GA-2100 (k logo)" is not */
        for (uint32_t i = v->main.source_end[d - 1]; i < from && spaces_only; i++)
            spaces_only = original[i] == ' ';
        if (spaces_only)
            return false;
    }
    bool capital = original[from] == 'K' && view_word(v, index + 1, &c, &d) &&
                   abbrev_capitals_after(original, v->main.source_start[c], v->main.source_end[d - 1]);
    return to == from + 1 && (original[from] == 'k' || capital) &&
           (original[to] == ' ' || original[to] == '\0' || original[to] == ',' || original[to] == '.');
}

/* "Đừng" (don't) before buying or believing ("đừng mua tài khoản dùng chung", "đừng ham hàng fake", "đừng tin
 * hàng rep"), as written: ừ (U+1EEB, U+1EEA, or u + horn + grave in NFD); "dung" also folds "dùng" (use), "đúng",
 * "dũng". A seller's "đừng bỏ lỡ hàng rep" (don't miss) or "đừng ngại inbox" negates nothing. Reads the view and
 * the original only. */
static bool written_dung_negator(const field_views *v, size_t index, const char *original)
{
    static const char *const dung[] = {"dung", NULL};
    static const char *const verbs[] = {"mua", "tin", "ham", "dung", "dat", "chon", "lay", "xai", "nham", NULL};
    size_t a = 0, b = 0;
    if (!original || !word_is(v, index, dung) || !word_is(v, index + 1, verbs) || !view_word(v, index, &a, &b))
        return false;
    const unsigned char *o = (const unsigned char *)original;
    for (uint32_t i = v->main.source_start[a], to = v->main.source_end[b - 1]; i + 1 < to; i++) {
        if (i + 2 < to && o[i] == 0xE1 && o[i + 1] == 0xBB && (o[i + 2] == 0xAB || o[i + 2] == 0xAA))
            return true; /* ừ, Ừ */
        if (i + 3 < to && o[i] == 0xCC && o[i + 1] == 0x9B && o[i + 2] == 0xCC && o[i + 3] == 0x80)
            return true; /* the combining horn, then the grave (NFD) */
    }
    return false;
}

/* The southern "hông" for "không" ("hông phải hàng fake"): written with its
 * circumflex and no tone ("hồng", pink, folds to the same word), not after a
 * word that makes it the hip ("túi đeo hông", "bên hông"). Reads the view
 * and the original only. */
static bool written_hong_negator(const field_views *v, size_t index, const char *original)
{
    static const char *const hong[] = {"hong", NULL};
    size_t a = 0, b = 0, c = 0, d = 0;
    if (!original || !word_is(v, index, hong) || !view_word(v, index, &a, &b))
        return false;
    static const char *const phai[] = {"phai", "ban", "dung", "xai", NULL}, *const pink[] = {"mau", "hoa", NULL};
    uint32_t from = v->main.source_start[a], to = v->main.source_end[b - 1];
    /* unmarked, only before "phai", "ban", "dung", "xai" ("hong phai hang fake", "hong ban quyen", "hong dung
     * logo": "hồng" rarely comes before these), not after "màu", "hoa" */
    bool plain = to == from + 4 && !strncasecmp(original + from, "hong", 4) && word_is(v, index + 1, phai) &&
                 !(index > 0 && word_is(v, index - 1, pink));
    if (!plain && !abbrev_written_hong(original, from, to))
        return false;
    return !(index > 0 && view_word(v, index - 1, &c, &d) && abbrev_hip_word(v->main.text + c, d - c));
}

/* "không", "ko", "chưa", "not", "without", "never", the southern "hông"; the chat "k" unless it
 * is a price's thousands ("50 k"). Words that fold to a common other word
 * ("nó" is "no", "hồng" is "hong", "chàng" is "chang") are not negators. */
static bool negator_at(const field_views *v, size_t index, const char *original)
{
    static const char *const negators[] = {"khong", "ko", "kh", "khg", "hok", "not", "without", "never",
                                           "cannot", "isnt", "arent", "doesnt", "dont", NULL};
    static const char *const chua[] = {"chua", NULL};
    /* "không" that makes a word with the next one describes the goods and
     * negates nothing after it: "tai nghe không dây" (wireless), "không
     * gian", "không khí", "sữa không đường" (sugar-free), "màn hình không viền",
     * "nồi chiên không dầu" (oil-free), "không mùi" (odourless), "xăng không
     * chì" (unleaded; "không chỉ", not only, negates nothing either), "vỏ
     * không ruột" (tubeless), "không lactose", "không gluten" */
    static const char *const compound[] = {"day", "gian", "khi", "duong", "vien", "dau", "mui", "chi", "ruot",
                                           "lactose", "gluten", NULL};
    static const char *const khong[] = {"khong", "ko", "kh", "khg", NULL};
    if (word_is(v, index, negators))
        return !(word_is(v, index, khong) && word_is(v, index + 1, compound));
    if (word_is(v, index, chua)) {
        /* "chưa" (not yet) only as written with its horn: "chua" is also "chua" (sour: sữa chua, nem chua) */
        size_t a = 0, b = 0;
        view_word(v, index, &a, &b);
        uint32_t from = v->main.source_start[a], to = v->main.source_end[b - 1];
        for (uint32_t i = from; original && i + 1 < to; i++)
            if ((unsigned char)original[i] == 0xC6 && ((unsigned char)original[i + 1] == 0xB0 ||
                                                       (unsigned char)original[i + 1] == 0xAF))
                return true; /* ư, Ư (NFC) */
            else if ((unsigned char)original[i] == 0xCC && (unsigned char)original[i + 1] == 0x9B)
                return true; /* the combining horn (NFD) */
        return false;
    }
    if (written_hong_negator(v, index, original) || written_dung_negator(v, index, original))
        return true;
    return lone_chat_k(v, index, original);
}

/* A guarantee is no sale of copies: "phát hiện hàng fake hoàn tiền"
 * (should you find a fake), and "nếu" (if) right before the cue, with at
 * most "là", "phải", "hàng", "sản phẩm", "mua", "bị" between: "đền gấp 10
 * nếu là hàng fake", "hoàn tiền nếu không chính hãng". "Nếu bạn cần hàng
 * rep" (if you want a copy) is an offer: other words between, no guarantee. */
static bool guarantee_at(const field_views *v, size_t index, size_t hit_word)
{
    static const char *const hien[] = {"hien", NULL}, *const phat[] = {"phat", NULL}, *const neu[] = {"neu", NULL};
    static const char *const between[] = {"la", "phai", "hang", "san", "pham", "sp", "mua", "bi", "do", NULL};
    if (index > 0 && word_is(v, index, hien) && word_is(v, index - 1, phat))
        return true;
    if (!word_is(v, index, neu))
        return false;
    for (size_t i = index + 1; i < hit_word; i++)
        if (!word_is(v, i, between))
            return false;
    return true;
}

static bool same_pack(const ruleset *rs, const found_hit *a, const found_hit *b);

/* A negator word that is part of a name some rule with a hit here names
 * ("Thám tử Kiên: Kỳ án không đầu", a film) is no negator: inside one of
 * its terms' hits, or, with the words on each side, inside the rule's name.
 * Only the rules of the judged hit's pack count (same_pack; a pattern's or
 * a built-in hit goes with any): another pack's name ("Hồng không hạt", a
 * film "Tử chiến trên không") never hides a negator from a cue or mention
 * of this one, as another pack's cue never does. judged: the hit whose
 * negation is read; `word` is in its field. Reads the scratch only. */
static bool inside_a_name(const ruleset_scratch *s, const found_hit *judged, size_t word)
{
    listing_field field = judged->field;
    const field_views *v = &s->fields[field];
    size_t a0 = 0, b0 = 0, a2 = 0, b2 = 0;
    bool before = word > 0 && view_word(v, word - 1, &a0, &b0), after = view_word(v, word + 1, &a2, &b2);
    for (size_t i = 0; i < s->found_count; i++) {
        const found_hit *f = &s->found[i];
        if (f->field != field || f->kind != FOUND_LITERAL || s->rs->literals[f->index].kind != LITERAL_RULE_TERM ||
            !same_pack(s->rs, judged, f))
            continue;
        if (f->word_start <= word && word <= f->word_end)
            return true;
        const char *name = s->rs->rules[s->rs->literals[f->index].owner].name_folded;
        if (!name || !before || !after)
            continue;
        /* " an khong dau " inside " tham tu kien ky an khong dau " */
        size_t n = b2 - a0;
        for (const char *p = strstr(name, " "); p && p[1]; p = strchr(p + 1, ' '))
            if (!strncmp(p + 1, v->main.text + a0, n) && (p[1 + n] == ' '))
                return true;
    }
    return false;
}

/* After a negator: an authenticity word makes it an admission ("không
 * chính hãng", "ko auth", "not genuine"), not a disclaimer. */
static bool admission_after(const ruleset_scratch *s, listing_field field, size_t negator)
{
    const field_views *v = &s->fields[field];
    static const char *const fillers[] = {"phai", "la", "co", "duoc", "a", "an", "the", "is", "are", "hang", "san", "pham",
                                          "sp", "do", NULL};
    static const char *const genuine[] = {"chinh", "auth", "authentic", "genuine", "real", "original", "xin", "zin",
                                          "that", "chuan", "official", "hang", NULL};
    size_t i = negator + 1;
    for (int skip = 0; skip < 3 && word_is(v, i, fillers) && !word_is(v, i, genuine); skip++)
        i++;
    /* the name itself between: "không phải Nike chính hãng" (not genuine Nike) admits a copy */
    static const char *const real_after_name[] = {"chinh", "auth", "authentic", "genuine", "real", "original", "xin",
                                                  "zin", "that", NULL};
    for (size_t k = 0; k < s->found_count; k++) {
        const found_hit *h = &s->found[k];
        if (h->field == field && h->word_start == i && h->kind == FOUND_LITERAL &&
            s->rs->literals[h->index].kind == LITERAL_RULE_TERM)
            return word_is(v, h->word_end + 1, real_after_name);
    }
    if (word_is(v, i, genuine)) {
        /* "hàng" alone is not a claim; "hàng thật", "hàng chuẩn" are */
        static const char *const hang[] = {"hang", NULL};
        static const char *const real[] = {"that", "chuan", "xin", "zin", "auth", "chinh", NULL};
        return !word_is(v, i, hang) || word_is(v, i + 1, real);
    }
    return false;
}

/* Punctuation that ends a clause, in the original text between two offsets. */
static bool clause_break(const char *text, uint32_t from, uint32_t to)
{
    for (uint32_t i = from; text && i < to; i++)
        if (strchr(".,;!?()[]{}|\n\r", text[i]) && text[i])
            return true;
    return false;
}

/* ---- phrase tolerance and context (docs/rules.md, "Phrase tolerance and context") ----
 * A tolerant phrase hits when its words appear in one clause of a field in
 * the phrase's order (or, with either_order, a rotation: its last words
 * first) with at most `gap` other words inserted in all. The hit is found
 * as the phrase's own exact literal, so everything after (negation, near,
 * hashtags, the flag's hits) treats it like an exact hit; its span runs
 * from the first word to the last. */

static const char *field_text(const ruleset_scratch *s, uint32_t field)
{
    return field == FIELD_TITLE ? s->listing->title : s->listing->description;
}

/* The hits of `phrase` with its words in the order that starts at word `rotation`. */
static void assemble_rotation(ruleset_scratch *s, uint32_t phrase, uint32_t field, uint32_t rotation)
{
    const ruleset *rs = s->rs;
    const tolerant_phrase *p = &rs->phrases[phrase];
    const char *text = field_text(s, field);
    size_t count = s->anchor_hit_count; /* add_found below does not add anchor hits */
    for (size_t a = 0; a < count; a++) {
        const anchor_hit *first = &s->anchor_hits[a];
        if (first->field != field || rs->anchors[first->anchor].phrase != phrase ||
            rs->anchors[first->anchor].word != rotation)
            continue;
        const anchor_hit *previous = first;
        uint32_t inserted = 0;
        bool whole = true;
        for (uint32_t j = 1; j < p->word_count && whole; j++) {
            uint32_t want = (rotation + j) % p->word_count;
            const anchor_hit *next = NULL; /* the nearest hit of the next word after the previous one */
            for (size_t b = 0; b < count; b++) {
                const anchor_hit *h = &s->anchor_hits[b];
                if (h->field == field && h->word > previous->word && rs->anchors[h->anchor].phrase == phrase &&
                    rs->anchors[h->anchor].word == want && (!next || h->word < next->word))
                    next = h;
            }
            if (!next || inserted + (next->word - previous->word - 1) > p->gap ||
                clause_break(text, previous->end, next->start)) {
                whole = false;
            } else {
                inserted += next->word - previous->word - 1;
                previous = next;
            }
        }
        if (whole)
            add_found(s, FOUND_LITERAL, p->literal, 0, (listing_field)field, first->start, previous->end);
    }
}

/* Turns this listing's word-anchor hits into hits of their phrases. Runs
 * only when some anchor hit (a listing that names no word of a tolerant
 * phrase costs nothing). */
static void assemble_phrases(ruleset_scratch *s)
{
    for (size_t t = 0; t < s->touched_count; t++) {
        uint32_t phrase = s->touched[t];
        const tolerant_phrase *p = &s->rs->phrases[phrase];
        for (uint32_t field = 0; field < 2; field++) {
            uint32_t seen = 0, all = p->word_count >= 32 ? UINT32_MAX : (1u << p->word_count) - 1;
            for (size_t a = 0; a < s->anchor_hit_count; a++) {
                const anchor_hit *h = &s->anchor_hits[a];
                if (h->field == field && s->rs->anchors[h->anchor].phrase == phrase)
                    seen |= 1u << s->rs->anchors[h->anchor].word;
            }
            if (seen != all)
                continue; /* a word of it is missing in this field */
            for (size_t a = 0; a < s->anchor_hit_count; a++) {
                anchor_hit *h = &s->anchor_hits[a];
                if (h->field == field && h->word == UINT32_MAX && s->rs->anchors[h->anchor].phrase == phrase)
                    h->word = (uint32_t)words_before(&s->fields[field], h->start);
            }
            if (p->gap > 0) /* with no gap the exact literal already found the phrase in order */
                assemble_rotation(s, phrase, field, 0);
            for (uint32_t rotation = 1; p->either_order && rotation < p->word_count; rotation++)
                assemble_rotation(s, phrase, field, rotation);
        }
    }
}

/* context: {list, near} (or near_before / near_after): some hit of the rule
 * (a pattern hit counts as itself) has a term of the list, not under a
 * negator, within the window in the same field: the list term at most
 * context_before words before the hit or context_after words after it
 * (overlapping: either side). Reads the scratch's hits; the scratch is one
 * thread's. */
static bool context_holds(ruleset_scratch *s, uint32_t index, int depth)
{
    const ruleset *rs = s->rs;
    const compiled_rule *r = &rs->rules[index];
    const char *list = r->source->context_list;
    for (uint32_t k = first_found(s, s->rule_epoch, s->rule_first, (int)index); k != NO_FOUND; k = s->found_next[k]) {
        const found_hit *h = &s->found[k]; /* a hit of the rule */
        if (h->kind == FOUND_REGEX) {
            ruleset_trace(s, depth, "context: a pattern hit needs none");
            return true;
        }
        for (uint32_t i = first_found(s, s->list_epoch, s->list_first, r->context_list); i != NO_FOUND;
             i = s->found_next[i]) {
            const found_hit *f = &s->found[i]; /* a hit of the context list */
            if (f->field != h->field || (!rs->options.no_negation && negated_hit(s, f)))
                continue;
            bool after = f->word_start > h->word_end, before = h->word_start > f->word_end;
            uint32_t distance = after ? f->word_start - h->word_end : before ? h->word_start - f->word_end : 0;
            int16_t window = after ? r->context_after : before ? r->context_before : 0;
            if (window >= 0 && distance <= (uint32_t)window) {
                ruleset_trace(s, depth, "context: \"%s\" (list %s) is %u words %s \"%s\"", rs->literals[f->index].text,
                              list, distance, after ? "after" : before ? "before" : "from", rs->literals[h->index].text);
                return true;
            }
        }
    }
    return false;
}

/* Between two cues of a list only joiners: "hay", "hoặc", "và", "or", "and",
 * "hàng", commas, slashes. */
static bool only_joiners(const field_views *v, const char *text, size_t from_word, size_t to_word, uint32_t from,
                         uint32_t to)
{
    static const char *const joiners[] = {"hay", "hoac", "va", "voi", "or", "and", "nor", "hang", "hay la", "cung",
                                          "lan", NULL};
    for (size_t j = from_word; j < to_word; j++)
        if (!word_is(v, j, joiners))
            return false;
    for (uint32_t i = from; text && i < to; i++)
        if (strchr(".;!?()[]{}|\n\r", text[i]) && text[i])
            return false;
    return true;
}

/* Between two cues of a list, other goods listed: items that open with
 * "hàng", "đồ", "sp", "sản phẩm" (at most 3, of at most 5 words), split by
 * commas or joiners ("không bán hàng fake, hàng kém chất lượng hay hàng
 * nhái"). */
static bool goods_items_between(const field_views *v, const char *text, size_t from_word, size_t to_word, uint32_t from,
                                uint32_t to)
{
    static const char *const joiners[] = {"hay", "hoac", "va", "voi", "or", "and", "nor", "cung", NULL};
    static const char *const heads[] = {"hang", "do", "sp", "san", NULL};
    size_t items = 0, length = 0;
    bool open = false;
    uint32_t previous_end = from;
    for (size_t j = from_word; j < to_word; j++) {
        size_t a, b;
        if (!view_word(v, j, &a, &b))
            return false;
        uint32_t start = v->main.source_start[a];
        for (uint32_t i = previous_end; i < start; i++)
            open |= text[i] == ',' || text[i] == '/';
        previous_end = v->main.source_end[b - 1];
        if (word_is(v, j, joiners)) {
            open = true;
            continue;
        }
        if (open) {
            if (!word_is(v, j, heads) || ++items > 3)
                return false;
            length = 0;
            open = false;
        } else if (!items) {
            return false; /* words before any separator: not a list */
        }
        if (++length > 5)
            return false;
    }
    for (uint32_t i = previous_end; i < to; i++)
        open |= text[i] == ',' || text[i] == '/';
    if (!items || !(open || length <= 1)) /* the cue opens the next item, or ends "hàng" + cue */
        return false;
    for (uint32_t i = from; i < to; i++)
        if (text[i] && strchr(".;:!?()[]{}|\n\r", text[i]))
            return false;
    return true;
}

#define LIST_WINDOW 20 /* words back to the cue a list of goods started from */

/* Is the hit f a mention or cue under a negator? A cue listed right after
 * another ("không bán hàng nhái, hàng copy", "không phải hàng f1 hay hàng
 * siêu cấp") shares that one's fate. */
static bool negated_from(const ruleset_scratch *s, const found_hit *f, int depth);
static bool guarantee_after(const ruleset_scratch *s, const found_hit *f, int depth);
static bool phrase_at_n(const normalized_text *t, size_t at, const char *phrase, size_t n);

static bool refund_if(const field_views *v, const char *text, size_t j, const found_hit *f);

/* Do two hits come from one pack (a rule's term, a list's or a condition's)? A pattern's hit or a built-in literal
 * goes with any. Reads the compiled set only. */
static bool same_pack(const ruleset *rs, const found_hit *a, const found_hit *b)
{
    if (a->kind != FOUND_LITERAL || b->kind != FOUND_LITERAL)
        return true;
    const struct pack *pa = rs->literals[a->index].pack, *pb = rs->literals[b->index].pack;
    return !pa || !pb || pa == pb;
}

/* Is word `index` of a field's main view a contrast that ends a negation's scope, "nhưng" (but: also written bare,
 * "nhung") or "but"? "hàng ko phải Syngenta nhưng chai giống": what follows the contrast is asserted, not denied.
 * Reads the view only; thread-safe. */
static bool contrast_at(const field_views *v, size_t index)
{
    static const char *const contrast[] = {"nhung", "but", NULL};
    return word_is(v, index, contrast);
}

/* Is hit `f` under a negator of its clause (docs/rules.md, "Negation and disclaimers"): a negator at most
 * NEGATION_WINDOW words before it, no clause break or contrast ("nhưng") between, or a cue before it that is
 * negated and carries it over. Reads the listing's hits and views; the scratch is one thread's. */
static bool negated_itself(const ruleset_scratch *s, const found_hit *f, int depth)
{
    const field_views *v = &s->fields[f->field];
    const char *text = f->field == FIELD_TITLE ? s->listing->title : s->listing->description;
    if (!v->present || !text)
        return false;
    size_t w = f->word_start;
    if (contrast_at(v, w))
        return false; /* a cue that opens with "nhưng" ("nhưng chai giống") asserts */
    uint32_t gap_end = f->start; /* the original bytes up to here are checked for clause breaks already */
    for (size_t back = 1; back <= NEGATION_WINDOW && back <= w; back++) {
        size_t j = w - back, a, b;
        if (!view_word(v, j, &a, &b))
            return false;
        if (contrast_at(v, j))
            return false; /* "không phải Syngenta nhưng gói giống 100%": the contrast ends the negation */
        uint32_t gap_start = v->main.source_end[b - 1];
        bool broken = gap_start < gap_end && clause_break(text, gap_start, gap_end);
        /* a guarantee's words may be a cue of their own ("phát hiện" in a pack's list): read before the cues */
        if (!broken && (guarantee_at(v, j, w) || refund_if(v, text, j, f)) && !inside_a_name(s, f, j))
            return true;
        /* the cues that end on word j, in the order found */
        for (uint32_t i = depth < 8 && v->cue_epoch[j] == s->epoch ? v->cue_first[j] : NO_FOUND; i != NO_FOUND;
             i = s->cue_next[i]) {
            const found_hit *g = &s->found[i];
            if (g == f || g->end > f->start)
                continue;
            /* a cue of f's own pack decides for it (a phrase that begins with a negator keeps it: "không rõ
             * nguồn gốc hàng fake"); another pack's cue can only carry its negation over, never hide a negator */
            if (only_joiners(v, text, j + 1, w, g->end, f->start)) {
                bool negated = negated_from(s, g, depth + 1);
                if (negated || same_pack(s->rs, f, g))
                    return negated;
            }
        }
        if (broken)
            return false;
        if (gap_start < gap_end)
            gap_end = gap_start;
        if (negator_at(v, j, text) && !inside_a_name(s, f, j))
            return !admission_after(s, f->field, j);
    }
    return false;
}

/* A mention or a cue asked and answered no: "#kavessistyle? không, túi vải trơn", "Nike? Không phải." — the hit
 * (through the rest of its word: a name run into a tag), then "?", then a negator ("không", "ko", "no"...), alone
 * in its clause or with "phải" ("không phải."), then a clause break or the end. "Nike? Không lo hết hàng" is no
 * answer. Reads the field's views; the scratch is one thread's. */
static bool answered_no(const ruleset_scratch *s, const found_hit *f)
{
    static const char *const no[] = {"khong", "ko", "kh", "khg", "no", "not", "nope", NULL}, *const phai[] = {"phai", NULL};
    const field_views *v = &s->fields[f->field];
    const char *text = f->field == FIELD_TITLE ? s->listing->title : s->listing->description;
    size_t length = f->field == FIELD_TITLE ? s->listing->title_length : s->listing->description_length;
    if (!v->present || !text || f->end >= length)
        return false;
    uint32_t i = f->end;
    while (i < length && (((unsigned char)text[i] >= 0x80) || ((text[i] | 0x20) >= 'a' && (text[i] | 0x20) <= 'z') ||
                          (text[i] >= '0' && text[i] <= '9')))
        i++; /* the rest of the word */
    while (i < length && text[i] == ' ')
        i++;
    if (i >= length || text[i] != '?')
        return false;
    while (i < length && (text[i] == '?' || text[i] == '!' || text[i] == ' '))
        i++;
    size_t w = words_before_searched(v, i), a, b;
    if (!word_is(v, w, no) && !written_hong_negator(v, w, text) && !lone_chat_k(v, w, text))
        return false;
    if (word_is(v, w + 1, phai))
        w++;
    if (!view_word(v, w, &a, &b))
        return false;
    size_t c, d;
    uint32_t end = v->main.source_end[b - 1];
    return !view_word(v, w + 1, &c, &d) || clause_break(text, end, v->main.source_start[c]);
}

/* ... or inside a longer cue that starts before it and is negated: "fake"
 * in "các loại hàng fake" shares the fate of "hàng fake", whose negator is
 * within the window ("không kinh doanh các loại hàng fake"). */
static bool negated_from(const ruleset_scratch *s, const found_hit *f, int depth)
{
    /* a guarantee after the cue: read for the hit asked about (its forward chain covers the cues before it) */
    if (negated_itself(s, f, depth) || (depth == 0 && (guarantee_after(s, f, depth) || answered_no(s, f))))
        return true;
    const field_views *v = &s->fields[f->field];
    const found_hit *outer = NULL;
    for (size_t j = f->word_end; v->present && depth < 8 && j < f->word_end + 4 && j < v->cue_capacity; j++)
        for (uint32_t i = v->cue_epoch[j] == s->epoch ? v->cue_first[j] : NO_FOUND; i != NO_FOUND; i = s->cue_next[i]) {
            const found_hit *g = &s->found[i];
            if (g != f && g->field == f->field && g->start < f->start && g->end >= f->end &&
                (!outer || g->start < outer->start))
                outer = g;
        }
    if (outer) {
        bool negated = negated_from(s, outer, depth + 1);
        if (negated || same_pack(s->rs, f, outer))
            return negated;
    }
    /* a cue further down a list of goods that began with a negated cue */
    const char *text = f->field == FIELD_TITLE ? s->listing->title : s->listing->description;
    if (!v->present || !text || depth >= 8 || f->kind != FOUND_LITERAL ||
        s->rs->literals[f->index].kind == LITERAL_RULE_TERM)
        return false;
    size_t w = f->word_start;
    for (size_t back = 2; back <= LIST_WINDOW && back <= w; back++) {
        size_t j = w - back;
        for (uint32_t i = j < v->cue_capacity && v->cue_epoch[j] == s->epoch ? v->cue_first[j] : NO_FOUND;
             i != NO_FOUND; i = s->cue_next[i]) {
            const found_hit *g = &s->found[i];
            if (g != f && g->end <= f->start && goods_items_between(v, text, j + 1, w, g->end, f->start)) {
                bool negated = negated_from(s, g, depth + 1);
                if (negated || same_pack(s->rs, f, g))
                    return negated;
            }
        }
    }
    return false;
}

/* Does a refund phrase start at word w of the main view: "hoàn tiền", "hoàn lại tiền", "hoàn trả", "hoàn gấp",
 * "hoàn 200%", "đền tiền", "đền gấp", "đền bù", "đền 10 lần", "đền x10", "bao đền", "1 đền 10", "một đền mười",
 * "bồi thường", "bồi hoàn", "trả lại tiền", "refund"? Not "hoàn toàn", "hoàn hảo" (completely, perfect), nor the
 * other words that fold to "den" ("đến" to, "đèn" lamp, "đen" black) without a refund's next word. *last is the
 * phrase's last word. Reads the field's views only. */
static bool refund_at(const field_views *v, size_t w, size_t *last)
{
    static const char *const hoan[] = {"hoan", NULL}, *const hoan_next[] = {"tien", "tra", "gap", NULL},
                             *const lai[] = {"lai", NULL}, *const tien[] = {"tien", NULL}, *const den[] = {"den", NULL},
                             *const den_next[] = {"tien", "gap", "bu", NULL}, *const lan[] = {"lan", NULL},
                             *const boi[] = {"boi", NULL}, *const boi_next[] = {"thuong", "hoan", NULL},
                             *const tra[] = {"tra", NULL}, *const bao[] = {"bao", NULL}, *const one[] = {"1", "mot", NULL},
                             *const ten[] = {"10", "muoi", NULL},
                             *const refund[] = {"refund", NULL};
    size_t a, b;
    if (!view_word(v, w, &a, &b))
        return false;
    switch (v->main.text[a]) {
    case 'h':
        if (!word_is(v, w, hoan))
            return false;
        if (word_is(v, w + 1, hoan_next) || word_is_number(v, w + 1))
            return *last = w + 1, true;
        if (word_is(v, w + 1, lai) && word_is(v, w + 2, tien))
            return *last = w + 2, true;
        return false;
    case 'd':
        if (!word_is(v, w, den))
            return false;
        if (word_is(v, w + 1, den_next))
            return *last = w + 1, true;
        if (word_is_number(v, w + 1) && word_is(v, w + 2, lan))
            return *last = w + 2, true;
        if (view_word(v, w + 1, &a, &b) && b - a >= 2 && v->main.text[a] == 'x') { /* "đền x10" */
            for (size_t i = a + 1; i < b; i++)
                if (v->main.text[i] < '0' || v->main.text[i] > '9')
                    return false;
            return *last = w + 1, true;
        }
        return false;
    case 'b':
        if (word_is(v, w, boi) && word_is(v, w + 1, boi_next))
            return *last = w + 1, true;
        if (word_is(v, w, bao) && word_is(v, w + 1, den))
            return *last = w + 1, true;
        return false;
    case 't':
        if (word_is(v, w, tra) && word_is(v, w + 1, lai) && word_is(v, w + 2, tien))
            return *last = w + 2, true;
        return false;
    case '1':
    case 'm':
        if (word_is(v, w, one) && word_is(v, w + 1, den) && word_is(v, w + 2, ten)) /* not "1 đến 2 ngày" */
            return *last = w + 2, true;
        return false;
    case 'r':
        return word_is(v, w, refund) ? (*last = w, true) : false;
    default:
        return false;
    }
}

/* A refund promise right after an accusation cue is a guarantee, not a sale of copies: "hàng không auth hoặc
 * hàng fake đều hoàn tiền", "hàng fake hoàn tiền 100%", "hàng giả bao đền". The cue (or one listed after it,
 * joined by "hoặc", "hay", commas: the chain) names what the shop would pay back for: a word "fake", "giả",
 * "nhái", or a negated authenticity ("không auth", "không chính hãng"), not a grade of copy ("super fake", "fake
 * loại 1", "siêu cấp", "rep"); then at most 3 of "đều", "thì", "sẽ", "được", "shop"... in the same clause
 * (no comma), then the refund. "Hoàn tiền nếu không giống hình" (a refund on other terms) is no guarantee. */
static bool accusation_cue(const field_views *v, const found_hit *f)
{
    static const char *const accusing[] = {"fake", "gia", "nhai", NULL};
    static const char *const grade[] = {"super", "sieu", "loai", "like", "rep", "f1", "cap", "xin", NULL};
    static const char *const negator[] = {"khong", "ko", "kh", "not", NULL};
    bool accuses = word_is(v, f->word_start, negator) && f->word_end > f->word_start;
    for (size_t j = f->word_start; j <= f->word_end; j++) {
        if (word_is(v, j, grade))
            return false;
        accuses |= word_is(v, j, accusing);
    }
    return accuses;
}

static bool refund_after(const field_views *v, const char *text, const found_hit *f)
{
    static const char *const fillers[] = {"deu", "thi", "se", "duoc", "shop", "minh", "em", "ben", "cam", "ket", "xin",
                                          "lien", "ngay", "chiu", NULL};
    static const char *const neu[] = {"neu", "khi", NULL}, *const guarded[] = {"phat", "la", "phai", "bi", "dung", NULL};
    size_t j = f->word_end + 1, a, b, last;
    for (int k = 0; k < 3 && word_is(v, j, fillers); k++)
        j++;
    if (!view_word(v, j, &a, &b) || clause_break(text, f->end, v->main.source_start[a]))
        return false;
    if (!refund_at(v, j, &last))
        return false;
    /* "hoàn tiền nếu không giống hình": a refund on other terms; "hoàn tiền nếu phát hiện": the same guarantee */
    size_t e = 0, g = 0;
    if (!view_word(v, last, &e, &g))
        return true;
    for (size_t i = last + 1; i < last + 5; i++) {
        size_t c, d;
        if (!view_word(v, i, &c, &d) || clause_break(text, v->main.source_end[g - 1], v->main.source_start[c]))
            break;
        if (word_is(v, i, neu))
            return word_is(v, i + 1, guarded);
    }
    return true;
}

/* A refund promised for a condition that accuses: "hoàn tiền nếu chứng minh được hàng fake", "đền gấp 10 nếu check
 * ra hàng giả", "hoàn tiền gấp đôi nếu sai hàng hoặc hàng giả": word j is "nếu"/"khi", a refund phrase ends at most
 * 6 words before it in the same clause, the cue hit f after it accuses (accusation_cue: no grade of copy, so
 * "hoàn tiền nếu không thích hàng rep" stays an offer) and nothing but words stands between "nếu" and the cue (a
 * dash or a colon ends the condition: "hoàn tiền nếu lỗi - hàng fake giá rẻ"). */
static bool refund_if(const field_views *v, const char *text, size_t j, const found_hit *f)
{
    static const char *const neu[] = {"neu", "khi", NULL};
    /* a grade right after the cue makes it an offer ("nếu giao nhầm hàng fake loại 1") */
    static const char *const grade[] = {"super", "sieu", "loai", "like", "rep", "f1", "1", "11", NULL};
    size_t a, b, c, d, last;
    if (!word_is(v, j, neu) || !view_word(v, j, &a, &b) || !accusation_cue(v, f) || word_is(v, f->word_end + 1, grade))
        return false;
    for (uint32_t i = v->main.source_end[b - 1]; i < f->start; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch < 0x80 && ch != ' ' && !((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') && !(ch >= '0' && ch <= '9'))
            return false;
    }
    for (size_t back = 1; back <= 8 && back <= j; back++)
        if (refund_at(v, j - back, &last) && last < j && view_word(v, j - back, &c, &d))
            return last + 6 >= j && !clause_break(text, v->main.source_start[c], v->main.source_start[a]);
    return false;
}

static bool guarantee_after(const ruleset_scratch *s, const found_hit *f, int depth)
{
    field_views *v = (field_views *)&s->fields[f->field]; /* the scratch's own: its refund cache is written */
    const char *text = f->field == FIELD_TITLE ? s->listing->title : s->listing->description;
    if (!v->present || !text || depth >= 8 || f->kind != FOUND_LITERAL ||
        s->rs->literals[f->index].kind == LITERAL_RULE_TERM)
        return false;
    if (v->refund_epoch != s->epoch) { /* once per field and listing: most texts promise no refund */
        v->refund_epoch = s->epoch;
        /* a word every refund phrase below holds ("hoàn", "đền", "bồi", "trả", "refund"), found by its first letter */
        static const char *const words[] = {"hoan", "den", "boi", "tra", "refund", NULL};
        /* "đền tiền", "đền gấp", "đền bù", "đền x10", "bao đền", "1 đền 10": not "đen" (black), "đến" (to), "đèn"
         * (lamp) (refund_at) */
        static const char *const den_before[] = {"bao", "1", "mot", NULL};
        v->has_refund = false;
        for (size_t w = 0, last; w <= v->space_count && !v->has_refund; w++) {
            size_t a = w == 0 ? 0 : v->spaces[w - 1] + 1;
            char c = a < v->main.length ? v->main.text[a] : 0;
            if (c == 'h' || c == 'd' || c == 'b' || c == 't' || c == 'r')
                v->has_refund = word_is(v, w, words) && (c != 'd' || refund_at(v, w, &last) ||
                                                         (w > 0 && refund_at(v, w - 1, &last)) ||
                                                         (w > 0 && word_is(v, w - 1, den_before)));
        }
    }
    if (!v->has_refund)
        return false;
    if (!accusation_cue(v, f)) /* every cue of the chain accuses: "siêu cấp hoặc hàng fake đều hoàn tiền" sells copies */
        return false;
    if (refund_after(v, text, f))
        return true;
    /* the next cue of a list ("hàng không auth hoặc hàng fake"): the refund may follow it; the chain shares it */
    for (size_t j = f->word_end + 1; j < f->word_end + 8 && j < v->cue_capacity; j++)
        for (uint32_t i = v->cue_epoch[j] == s->epoch ? v->cue_first[j] : NO_FOUND; i != NO_FOUND; i = s->cue_next[i]) {
            const found_hit *g = &s->found[i];
            if (g == f || g->field != f->field || g->word_start <= f->word_end || g->start < f->end ||
                s->rs->literals[g->index].kind == LITERAL_RULE_TERM)
                continue;
            if ((only_joiners(v, text, f->word_end + 1, g->word_start, f->end, g->start) ||
                 goods_items_between(v, text, f->word_end + 1, g->word_start, f->end, g->start)) &&
                guarantee_after(s, g, depth + 1))
                return true;
        }
    return false;
}

static bool negated_hit(const ruleset_scratch *s, const found_hit *f)
{
    return negated_from(s, f, 0);
}

/* ---- compatibility scope (docs/rules.md, "Accessories and compatibility") ----
 * "Cường lực dành cho Samsung A54, Oppo Reno 8, Velonix X9", "Bao da cho
 * máy tính bảng (Samsung Tab S9 / Velonix Pad 2)": a brand after a
 * compatibility preposition, in the rest of its clause or parenthesis,
 * through lists joined by commas, slashes, "hay", "hoặc", "or", names a
 * device the goods fit, not the goods' maker. */

#define COMPAT_WINDOW 14

static bool compat_cue_at(const field_views *v, size_t j)
{
    static const char *const single[] = {"for", "fits", "fit", NULL};
    static const char *const cho[] = {"cho", NULL};
    static const char *const before_cho[] = {"danh", "dung", "thich", "hop", "vua", "thay", "the", "lap", NULL};
    static const char *const tuong[] = {"tuong", NULL}, *const thich[] = {"thich", NULL};
    static const char *const compatible[] = {"compatible", NULL};
    static const char *const lap[] = {"lap", NULL}, *const vua[] = {"vua", NULL};
    if (word_is(v, j, single) || word_is(v, j, compatible))
        return true;
    if (word_is(v, j, thich) && j > 0 && word_is(v, j - 1, tuong)) /* "tương thích" */
        return true;
    if (word_is(v, j, vua) && j > 0 && word_is(v, j - 1, lap)) /* "lắp vừa Seiko 5, Citizen" (fits) */
        return true;
    /* "cho" only as "dành cho", "dùng cho", "thích hợp cho", "vừa cho", "thay thế cho", "lắp cho", or right after the
     * accessory word that opens the title ("Ốp lưng cho ..."): "cho nam", "cho bé" are who wears it */
    if (word_is(v, j, cho))
        return j > 0 && word_is(v, j - 1, before_cho);
    return false;
}

/* Does the phrase start at byte `at` of the main view, ending on a word boundary? */
static bool phrase_at_n(const normalized_text *t, size_t at, const char *phrase, size_t n)
{
    return at + n <= t->length && !memcmp(t->text + at, phrase, n) && (at + n == t->length || t->text[at + n] == ' ');
}

static bool phrase_at(const normalized_text *t, size_t at, const char *phrase)
{
    return phrase_at_n(t, at, phrase, strlen(phrase));
}

/* phrase_at for a string literal, its length known at compile time */
#define LITERAL_AT(t, at, literal) phrase_at_n(t, at, literal, sizeof literal - 1)

/* Does the main view t hold an accessory's head noun at byte `at` (a word's start)? Pure. */
static bool accessory_head_at(const normalized_text *t, size_t at)
{
#define PHRASE(p) {p, sizeof p - 1}
    static const struct {
        const char *text;
        size_t length;
    } heads[] = {PHRASE("op"), PHRASE("cuong luc"), PHRASE("kinh cuong luc"), PHRASE("bao da"), PHRASE("cap sac"),
                 PHRASE("cap"), PHRASE("cu sac"), PHRASE("sac"), PHRASE("day deo"), PHRASE("day"),
                 PHRASE("mieng dan"), PHRASE("dan"), PHRASE("case"), PHRASE("bao"), PHRASE("gia do"),
                 PHRASE("phu kien"), PHRASE("linh kien"), PHRASE("vo"), PHRASE("tui chong soc"), PHRASE("de sac"),
                 PHRASE("but cam ung"), PHRASE("but"), PHRASE("ban phim"), PHRASE("chuot"), PHRASE("gimbal"),
                 PHRASE("tay cam"), PHRASE("de tan nhiet"), PHRASE("nut"), PHRASE("pin"), PHRASE("mat kinh"),
                 PHRASE("kinh")},
      /* glasses are the goods, not a glass for a phone: "Kính mát", "Kính râm", "Kính cận" */
      eyewear[] = {PHRASE("kinh mat"), PHRASE("kinh ram"), PHRASE("kinh can"), PHRASE("kinh thoi trang")};
#undef PHRASE
    if (at >= t->length)
        return false;
    char first = t->text[at];
    for (size_t i = 0; i < sizeof eyewear / sizeof *eyewear; i++)
        if (eyewear[i].text[0] == first && phrase_at_n(t, at, eyewear[i].text, eyewear[i].length))
            return false;
    for (size_t i = 0; i < sizeof heads / sizeof *heads; i++)
        if (heads[i].text[0] == first && phrase_at_n(t, at, heads[i].text, heads[i].length))
            return true;
    return false;
}

/* The title opens with an accessory's head noun: then any "cho" is a
 * compatibility word ("Cường lực camera cho Oppo A78 hay Velonix X9"). */
static bool accessory_title_uncached(const ruleset_scratch *s)
{
    const field_views *v = &s->fields[FIELD_TITLE];
    return v->present && v->main.length && accessory_head_at(&v->main, 0);
}

/* The sentence of the description that holds original offset `offset` opens with an accessory's head noun
 * ("Chống trầy. Cường lực camera cho Oppo A78 hay Velonix X9"): there, as in such a title, a plain "cho" is a
 * compatibility word. A sentence starts after `. ; ! ? | :` or a line break (a '.' between digits, "1.5m", is
 * none). Reads the scratch's views. */
static bool accessory_sentence(const ruleset_scratch *s, uint32_t offset)
{
    const field_views *v = &s->fields[FIELD_DESCRIPTION];
    const char *text = s->listing->description;
    if (!v->present || !text || !v->main.length || offset > s->listing->description_length)
        return false;
    uint32_t from = offset;
    while (from > 0) {
        char c = text[from - 1];
        if (c && strchr(";!?|:\n\r", c))
            break;
        if (c == '.' && !(from >= 2 && text[from - 2] >= '0' && text[from - 2] <= '9' && text[from] >= '0' &&
                          text[from] <= '9'))
            break;
        from--;
    }
    size_t w = words_before_searched(v, from);
    size_t at = w == 0 ? 0 : v->spaces[w - 1] + 1;
    return accessory_head_at(&v->main, at);
}

static bool accessory_title(ruleset_scratch *s)
{
    if (!s->accessory_ready) {
        s->accessory_ready = true;
        s->accessory = accessory_title_uncached(s);
    }
    return s->accessory;
}

static bool compat_scoped(ruleset_scratch *s, const found_hit *f)
{
    const field_views *v = &s->fields[f->field];
    static const char *const cho[] = {"cho", NULL};
    bool accessory = f->field == FIELD_TITLE ? accessory_title(s) : accessory_sentence(s, f->start);
    const char *text = f->field == FIELD_TITLE ? s->listing->title : s->listing->description;
    if (!v->present || !text)
        return false;
    size_t w = f->word_start;
    uint32_t gap_end = f->start;
    for (size_t back = 1; back <= COMPAT_WINDOW && back <= w; back++) {
        size_t j = w - back, a, b;
        if (!view_word(v, j, &a, &b))
            return false;
        /* commas, slashes and parentheses stay inside the scope; a sentence ends it (each gap read once) */
        for (uint32_t i = v->main.source_end[b - 1]; i < gap_end; i++)
            if (text[i] && strchr(".;!?|:\n\r", text[i]))
                return false;
        if (v->main.source_end[b - 1] < gap_end)
            gap_end = v->main.source_end[b - 1];
        if (compat_cue_at(v, j) || (accessory && word_is(v, j, cho)))
            return true;
    }
    return false;
}

/* ---- intent (docs/rules.md, "Intent") -----------------------------------------
 * Posts that are not sales: services (repair, cleaning, authentication,
 * rental, installation), notices, reviews and guides, books about a
 * subject. Read from the title, folded; a rule fires on them only with
 * `intent: any`. */

static const char *const intent_names[] = {"a sale", "a service", "a notice", "a review or guide", "a book about it",
                                           "a buy-back (the poster buys)"};

/* The original title holds U+1EED/U+1EEC (ử, Ử): "sửa" (repair), not "sữa" (milk). */
static bool title_has_sua_repair(const char *title, size_t length)
{
    for (size_t i = 0; title && i + 2 < length; i++)
        if ((unsigned char)title[i] == 0xE1 && (unsigned char)title[i + 1] == 0xBB &&
            ((unsigned char)title[i + 2] == 0xAD || (unsigned char)title[i + 2] == 0xAC))
            return true;
    return false;
}

/* The marks of word `index` of the field read from (`original` its text) as "sua": 1 "sửa" (repair: ử, or u + horn + hook above), -1
 * "sữa" (milk: ữ, or u + horn + tilde), 0 written bare or otherwise. */
static int sua_marks(const field_views *v, const char *original, size_t index)
{
    size_t a, b;
    if (!original || !view_word(v, index, &a, &b))
        return 0;
    const unsigned char *o = (const unsigned char *)original;
    for (uint32_t i = v->main.source_start[a], to = v->main.source_end[b - 1]; i + 1 < to; i++) {
        if (i + 2 < to && o[i] == 0xE1 && o[i + 1] == 0xBB && (o[i + 2] == 0xAD || o[i + 2] == 0xAC))
            return 1; /* ử, Ử */
        if (i + 2 < to && o[i] == 0xE1 && o[i + 1] == 0xBB && (o[i + 2] == 0xAF || o[i + 2] == 0xAE))
            return -1; /* ữ, Ữ */
        if (o[i] == 0xCC && o[i + 1] == 0x89)
            return 1; /* combining hook above (NFD) */
        if (o[i] == 0xCC && o[i + 1] == 0x83)
            return -1; /* combining tilde (NFD) */
    }
    return 0;
}

/* Does the title sell too, after word w: "bán" written with its acute (not "bạn", "bàn"), or "bán kèm", "có bán",
 * "bán thêm", "bán lại" in any writing ("Sửa máy hút bụi Dyson tại nhà, bán kèm máy Dyson V15 rep 1:1")? */
static bool title_sells_after(const field_views *v, const char *original, size_t w)
{
    static const char *const ban[] = {"ban", NULL}, *const with[] = {"kem", "them", "lai", "si", "le", NULL},
                             *const co[] = {"co", NULL};
    for (size_t j = w + 1; j <= v->space_count; j++) {
        size_t a, b;
        if (!word_is(v, j, ban) || !view_word(v, j, &a, &b))
            continue;
        if (word_is(v, j + 1, with) || word_is(v, j - 1, co))
            return true;
        const unsigned char *o = (const unsigned char *)original;
        for (uint32_t i = v->main.source_start[a], to = v->main.source_end[b - 1]; o && i + 1 < to; i++)
            if ((o[i] == 0xC3 && (o[i + 1] == 0xA1 || o[i + 1] == 0x81)) || (o[i] == 0xCC && o[i + 1] == 0x81))
                return true; /* á, Á, or a combining acute (NFD) */
    }
    return false;
}

/* "sửa" + something repaired ("sửa máy giặt", "nhận sửa tủ lạnh", "Sửa Máy Hút Bụi Dyson"), and buy-back posts
 * ("thu mua điện thoại cũ", a title that opens with "thu cũ (đổi mới)"): the kind starting at word w of the field
 * whose views are v and original text l (the title, or the description under a group's name), or INTENT_SALE. Unmarked "sua" is also "sữa" (milk): a bag ("sữa túi") counts only as written "sửa". */
static listing_intent repair_or_buying_at(const field_views *v, const char *l, size_t w, size_t at)
{
    const normalized_text *t = &v->main;
    static const char *const sua[] = {"sua", NULL}, *const thu[] = {"thu", NULL};
    /* tools and parts for repairs are goods ("bộ dụng cụ sửa đồng hồ", "linh kiện sửa máy giặt"); what was
     * repaired is a sale's detail ("máy zin chưa sửa", "đã sửa main") */
    static const char *const not_before_sua[] = {"cu", "nghe", "kien", "tung", "bo", "vit", "kit", "keo", "da", "chua",
                                                 "khong", "ko", "kh", NULL};
    if (word_is(v, w, sua) && !(w > 0 && word_is(v, w - 1, not_before_sua))) {
#define P(p) {p, sizeof p - 1}
        static const struct {
            const char *text;
            size_t length;
        } repaired[] = {P("may"), P("tu lanh"), P("tu dong"), P("tu mat"), P("dieu hoa"), P("tivi"), P("ti vi"), P("tv"),
                        P("dong ho"), P("dien thoai"), P("dt"), P("laptop"), P("macbook"), P("iphone"), P("ipad"), P("pc"),
                        P("xe"), P("o to"), P("oto"), P("loa"), P("tai nghe"), P("noi com"), P("noi chien"), P("bep"),
                        P("lo vi song"), P("lo nuong"), P("quat"), P("binh nong lanh"), P("man hinh"), P("camera"),
                        P("giay"), P("dien nuoc"), P("ong nuoc"), {NULL, 0}};
#undef P
        int marks = sua_marks(v, l, w);
        size_t next = at + 4;
        if (marks >= 0 && next < t->length) {
            bool repair = marks > 0 && (LITERAL_AT(t, next, "tui") || LITERAL_AT(t, next, "balo") ||
                                        LITERAL_AT(t, next, "vali"));
            for (size_t i = 0; repaired[i].text && !repair; i++) /* whole words: "xe", not "xem" */
                repair = repaired[i].text[0] == t->text[next] && phrase_at_n(t, next, repaired[i].text, repaired[i].length);
            if (repair && !title_sells_after(v, l, w))
                return INTENT_SERVICE;
        }
        return INTENT_SALE;
    }
    if (!word_is(v, w, thu))
        return INTENT_SALE;
    /* "thu cũ đổi mới", "thu cũ lên đời" opening the title: a trade-in service; after a name it is a sale's offer */
    if (w == 0 && LITERAL_AT(t, at, "thu cu"))
        return title_sells_after(v, l, w) ? INTENT_SALE : INTENT_BUYING;
    if (!LITERAL_AT(t, at, "thu mua"))
        return INTENT_SALE;
    /* "hàng thu mua", "can thu mua" (collected goods, refilled cans); "thu mua tại/ở/tận vườn/trực tiếp/từ"
     * (sourcing: where the seller got the goods); "thu mua (và) bán" (a trader that sells too) */
    static const char *const goods[] = {"hang", "vo", "can", "chai", "lon", "duoc", "da", "do", "gia", NULL};
    static const char *const sourcing[] = {"tai", "o", "tan", "truc", "tu", "ban", "va", NULL}, *const noi[] = {"noi", NULL};
    size_t a, b;
    if ((w > 0 && word_is(v, w - 1, goods)) || !view_word(v, w + 2, &a, &b))
        return INTENT_SALE;
    if (word_is(v, w + 2, sourcing) && !(LITERAL_AT(t, a, "tan") && word_is(v, w + 3, noi))) /* "thu mua tận nơi" buys */
        return INTENT_SALE;
    return title_sells_after(v, l, w) ? INTENT_SALE : INTENT_BUYING;
}

/* The cue phrases, folded, each with its kind; read word by word (a phrase
 * is tried only where a word starts with its first letter). */
#define CUE(phrase, kind) {phrase, sizeof phrase - 1, kind, false, false}
/* A cue that counts after the name too ("Nike Air Force 1: cách phân biệt thật giả") */
#define CUE_ANYWHERE(phrase, kind) {phrase, sizeof phrase - 1, kind, true, false}
static const intent_cue intent_cues[] = {
    CUE("dich vu", INTENT_SERVICE), CUE("nhan sua", INTENT_SERVICE), CUE("nhan ve sinh", INTENT_SERVICE),
    CUE("nhan check", INTENT_SERVICE), CUE("ve sinh tui", INTENT_SERVICE), CUE("ve sinh giay", INTENT_SERVICE),
    CUE("phuc hoi", INTENT_SERVICE), CUE("spa tui", INTENT_SERVICE), CUE("spa giay", INTENT_SERVICE),
    CUE("check authentic", INTENT_SERVICE), CUE("check auth", INTENT_SERVICE), CUE("check legit", INTENT_SERVICE),
    CUE("legit check", INTENT_SERVICE), CUE("kiem tra hang that", INTENT_SERVICE), CUE("giam dinh", INTENT_SERVICE),
    CUE("kiem dinh", INTENT_SERVICE), CUE("tham dinh", INTENT_SERVICE), CUE("thay pin", INTENT_SERVICE),
    CUE("thay day da", INTENT_SERVICE), CUE("lau dau", INTENT_SERVICE), CUE("cho thue", INTENT_SERVICE),
    CUE("boc lai", INTENT_SERVICE), CUE("son lai", INTENT_SERVICE), CUE("authentication service", INTENT_SERVICE),
    CUE("repair service", INTENT_SERVICE),
    /* before "cảnh báo": the longer cue counts after the name too */
    CUE_ANYWHERE("canh bao hang gia", INTENT_NOTICE), CUE_ANYWHERE("canh bao hang fake", INTENT_NOTICE),
    CUE_ANYWHERE("canh bao hang nhai", INTENT_NOTICE), CUE_ANYWHERE("canh bao lua dao", INTENT_NOTICE),
    CUE("thong bao", INTENT_NOTICE), CUE("canh bao", INTENT_NOTICE), CUE("khuyen cao", INTENT_NOTICE),
    CUE("cong van", INTENT_NOTICE), CUE("warning", INTENT_NOTICE), CUE("notice", INTENT_NOTICE),
    CUE("review", INTENT_GUIDE), CUE("huong dan", INTENT_GUIDE), CUE_ANYWHERE("cach phan biet", INTENT_GUIDE),
    CUE_ANYWHERE("cach nhan biet", INTENT_GUIDE), CUE_ANYWHERE("phan biet that gia", INTENT_GUIDE),
    CUE_ANYWHERE("phan biet real fake", INTENT_GUIDE), CUE_ANYWHERE("phan biet hang that", INTENT_GUIDE),
    CUE_ANYWHERE("dau hieu nhan biet", INTENT_GUIDE), CUE_ANYWHERE("so sanh that gia", INTENT_GUIDE),
    CUE("kinh nghiem", INTENT_GUIDE), CUE("hoi dap", INTENT_GUIDE),
    CUE("mua o dau", INTENT_GUIDE), CUE("co nen mua", INTENT_GUIDE), CUE_ANYWHERE("how to spot", INTENT_GUIDE),
    CUE_ANYWHERE("how to tell", INTENT_GUIDE), CUE_ANYWHERE("legit or fake", INTENT_GUIDE),
};
#undef CUE
#undef CUE_ANYWHERE

const intent_cue *builtin_intent_cues(size_t *count)
{
    *count = sizeof intent_cues / sizeof *intent_cues;
    return intent_cues;
}

/* Does a field offer goods ("shop có bán", "có sẵn", "inbox đặt", "ib mua", a price: "450k", "1.200.000đ") and, in
 * the same field, a grade of copy not under a negator ("rep", "replica", "siêu cấp", "super fake", "like auth",
 * "f1", "hàng copy")? A guide, review or notice that does both sells copies: "Hướng dẫn phân biệt Yeezy thật giả –
 * shop có bán hàng rep chuẩn". Reads the field's main view; the scratch is one thread's. */
static bool offers_copies(const ruleset_scratch *s, uint32_t field)
{
    static const char *const offers[] = {"co ban", "co san", "san hang", "inbox dat", "inbox mua", "inbox de mua",
                                         "ib dat", "ib mua", "ib de mua", "nhan order", "gia ban", "gia chi", NULL};
    static const char *const grades[] = {"rep", "replica", "sieu cap", "super fake", "like auth", "f1", "hang copy",
                                         "fake loai 1", NULL};
    static const char *const units[] = {"k", "d", "vnd", "dong", "tr", "trieu", NULL};
    const field_views *v = &s->fields[field];
    const char *text = field_text(s, field);
    if (!v->present || !text)
        return false;
    bool offer = false, grade = false;
    for (size_t w = 0; w <= v->space_count && !(offer && grade); w++) {
        size_t a, b;
        if (!view_word(v, w, &a, &b))
            continue;
        const char *word = v->main.text + a;
        if (!offer) {
            for (size_t i = 0; offers[i] && !offer; i++)
                offer = offers[i][0] == word[0] && phrase_at(&v->main, a, offers[i]);
            if (!offer && word[0] >= '1' && word[0] <= '9') { /* a price: digits, then a unit (joined or not) */
                size_t d = a;
                while (d < b && ((word[d - a] >= '0' && word[d - a] <= '9')))
                    d++;
                bool unit = false;
                for (size_t i = 0; units[i] && !unit; i++)
                    unit = d < b ? strlen(units[i]) == b - d && !memcmp(v->main.text + d, units[i], b - d)
                                 : word_is(v, w + 1, (const char *const[]){units[i], NULL});
                offer = unit && (d < b || b - a >= 2); /* "450k", "450 000 d"; not "1 1" */
            }
        }
        if (!grade)
            for (size_t i = 0; grades[i] && !grade; i++)
                if (grades[i][0] == word[0] && phrase_at(&v->main, a, grades[i])) {
                    grade = true;
                    for (size_t back = 1; back <= 3 && back <= w && grade; back++)
                        grade = !negator_at(v, w - back, text);
                }
    }
    return offer && grade;
}

/* Does the title name a group rather than say what the post offers: it opens with "Hội" (written with its marks:
 * "hỏi" is to ask; not "Hội An", a town), "Nhóm" (with its acute: "nhôm" is aluminium), "Cộng đồng", "CLB", "Câu
 * lạc bộ", "Group", "Diễn đàn", and holds no more than 8 words ("Hội Thợ Sửa Xe Máy", "Nhóm Mua Bán Đồ Cũ Hà
 * Nội")? Reads the title's main view and original text; the scratch is one thread's. */
static bool title_names_a_group(const ruleset_scratch *s)
{
    const field_views *v = &s->fields[FIELD_TITLE];
    const char *o = s->listing->title;
    if (!v->present || !o || !v->main.length || v->space_count > 7)
        return false;
    const normalized_text *t = &v->main;
    if (phrase_at(t, 0, "cong dong") || phrase_at(t, 0, "clb") || phrase_at(t, 0, "cau lac bo") ||
        phrase_at(t, 0, "group") || phrase_at(t, 0, "dien dan"))
        return true;
    size_t a, b;
    if (!view_word(v, 0, &a, &b))
        return false;
    uint32_t from = t->source_start[a], to = t->source_end[b - 1];
    const unsigned char *u = (const unsigned char *)o;
    if (phrase_at(t, 0, "hoi") && !phrase_at(t, 0, "hoi an")) /* ộ, Ộ (U+1ED9, U+1ED8) */
        for (uint32_t i = from; i + 2 < to; i++)
            if (u[i] == 0xE1 && u[i + 1] == 0xBB && (u[i + 2] == 0x99 || u[i + 2] == 0x98))
                return true;
    if (phrase_at(t, 0, "nhom")) /* ó, Ó */
        for (uint32_t i = from; i + 1 < to; i++)
            if (u[i] == 0xC3 && (u[i + 1] == 0xB3 || u[i + 1] == 0x93))
                return true;
    return false;
}

/* Is there a grade of copy ("rep", "replica", "siêu cấp", "super fake", "like auth", "f1", "hàng copy", "fake loại
 * 1"), not under a negator, in the field's main view before byte `at` (an intent cue)? Reads the field's views;
 * the scratch is one thread's. */
static bool grade_before(const ruleset_scratch *s, uint32_t field, size_t at)
{
    static const char *const grades[] = {"rep", "replica", "sieu cap", "super fake", "like auth", "f1", "hang copy",
                                         "fake loai 1", NULL};
    const field_views *v = &s->fields[field];
    const char *text = field_text(s, field);
    if (!v->present || !text)
        return false;
    for (size_t w = 0; w <= v->space_count; w++) {
        size_t a, b;
        if (!view_word(v, w, &a, &b) || a >= at)
            return false;
        for (size_t i = 0; grades[i]; i++)
            if (grades[i][0] == v->main.text[a] && phrase_at(&v->main, a, grades[i])) {
                bool negated = false;
                for (size_t back = 1; back <= 3 && back <= w && !negated; back++)
                    negated = negator_at(v, w - back, text);
                if (!negated)
                    return true;
            }
    }
    return false;
}

/* The listing's intent, read from its title once per listing (cached in the scratch, one thread's), or from its
 * description when the title names a group (title_names_a_group): the earliest cue of the ruleset's table
 * (built-in and the packs' intent_cues), "sửa chữa", repairs and buy-backs. */
static void read_intent(ruleset_scratch *s, uint32_t field);

static listing_intent detect_intent(ruleset_scratch *s)
{
    if (s->intent_ready)
        return (listing_intent)s->intent;
    s->intent_ready = true;
    /* a title that names a group ("Hội Thợ Sửa Xe Máy", a Facebook group a post was crawled from) says where the
     * post is, not what it offers: the intent is read from the description */
    read_intent(s, title_names_a_group(s) ? FIELD_DESCRIPTION : FIELD_TITLE);
    return (listing_intent)s->intent;
}

/* The intent the description opens with, for a listing whose title holds no intent cue and does not name the
 * rule (cached in the scratch, one thread's): "Cho thuê túi Kavessi chụp ảnh cưới" under the title "Túi chính
 * hãng, đặt cọc 5 triệu". Sets *at to where its cue starts in the description's main view. */
static listing_intent description_intent(ruleset_scratch *s, uint32_t *at)
{
    if (!s->description_intent_ready) {
        int intent = s->intent;
        uint32_t intent_at = s->intent_at, intent_field = s->intent_field;
        bool anywhere = s->intent_anywhere;
        read_intent(s, FIELD_DESCRIPTION);
        s->description_intent = s->intent;
        s->description_intent_at = s->intent_at;
        s->description_intent_ready = true;
        s->intent = intent;
        s->intent_at = intent_at;
        s->intent_field = intent_field;
        s->intent_anywhere = anywhere;
    }
    *at = s->description_intent_at;
    return (listing_intent)s->description_intent;
}

/* Reads the intent of one field into s->intent, s->intent_at, s->intent_anywhere, s->intent_field. */
static void read_intent(ruleset_scratch *s, uint32_t field)
{
    s->intent = INTENT_SALE;
    s->intent_at = 0;
    s->intent_anywhere = false;
    s->intent_field = field;
    const field_views *v = &s->fields[s->intent_field];
    const char *original = field_text(s, s->intent_field);
    size_t original_length = s->intent_field == FIELD_TITLE ? s->listing->title_length : s->listing->description_length;
    if (!v->present || !v->main.length || !original)
        return;
    const normalized_text *t = &v->main;
    static const char *const repairable[] = {"dong ho", "tui", "giay", "dien thoai", "laptop", "may", "xe", NULL};
    /* the built-in cues and the packs', chained by first letter (compile.c) */
    const intent_cue *cues = s->rs->intent_cues;
    const int32_t *cues_by_letter = s->rs->intent_by_letter, *cue_next = s->rs->intent_next;
    /* "có hướng dẫn", "kèm hướng dẫn", "sách hướng dẫn", "tặng hướng dẫn": a manual that comes with the goods, no guide */
    static const char *const included[] = {"co", "kem", "sach", "tang", "giay", "theo", NULL};
    /* "khó phân biệt thật giả", "không thể phân biệt": a copy's praise, no guide */
    static const char *const denial[] = {"kho", "khong", "ko", "kh", "chang", "the", NULL};
    /* the earliest cue wins: a sale that mentions a guide or a service after the brand stays a sale (below),
     * unless the title also holds a cue that counts anywhere */
    for (size_t w = 0; w <= v->space_count && !s->intent_anywhere; w++) {
        size_t at = w == 0 ? 0 : v->spaces[w - 1] + 1;
        if (at >= t->length)
            break;
        if (s->intent != INTENT_SALE) { /* only a cue that counts anywhere is looked for now */
            for (int32_t i = cues_by_letter[(unsigned char)t->text[at]]; i >= 0; i = cue_next[i])
                if (cues[i].anywhere && phrase_at_n(t, at, cues[i].phrase, cues[i].length) &&
                    !(w > 0 && word_is(v, w - 1, denial)) && !(w > 1 && word_is(v, w - 2, denial)))
                    s->intent_anywhere = true;
            continue;
        }
        char first = t->text[at];
        if (w == 0 && phrase_at(t, 0, "sach")) { /* a book about the subject: the title opens with "sách" */
            s->intent = INTENT_BOOK;
            break;
        }
        for (int32_t i = cues_by_letter[(unsigned char)first]; i >= 0; i = cue_next[i])
            if (phrase_at_n(t, at, cues[i].phrase, cues[i].length) &&
                !(cues[i].kind == INTENT_GUIDE && w > 0 && word_is(v, w - 1, included) &&
                  phrase_at_n(t, at, "huong dan", 9))) {
                s->intent = cues[i].kind;
                s->intent_at = (uint32_t)at;
                s->intent_anywhere = cues[i].anywhere && !(w > 0 && word_is(v, w - 1, denial)) &&
                                     !(w > 1 && word_is(v, w - 2, denial));
                break;
            }
        /* "sửa chữa" (repair) folds like "sữa chua" (yogurt): written with its marks, or before something repaired */
        if (s->intent == INTENT_SALE && first == 's' && phrase_at(t, at, "sua chua")) {
            bool repair = title_has_sua_repair(original, original_length);
            size_t next = at + 9;
            for (size_t i = 0; !repair && repairable[i] && next < t->length; i++)
                repair = phrase_at(t, next, repairable[i]);
            if (repair) {
                s->intent = INTENT_SERVICE;
                s->intent_at = (uint32_t)at;
            }
        }
        /* "sua" or "thu" as a word: the few titles with them are read further */
        if (s->intent == INTENT_SALE && (first == 's' || first == 't') && at + 3 <= t->length &&
            (at + 3 == t->length || t->text[at + 3] == ' ') &&
            ((first == 's' && t->text[at + 1] == 'u' && t->text[at + 2] == 'a') ||
             (first == 't' && t->text[at + 1] == 'h' && t->text[at + 2] == 'u'))) {
            listing_intent kind = repair_or_buying_at(v, original, w, at);
            if (kind != INTENT_SALE) {
                s->intent = kind;
                s->intent_at = (uint32_t)at;
            }
        }
    }
    /* a guide, review or notice that also offers copies is a sale (docs/rules.md, "Intent") */
    if ((s->intent == INTENT_GUIDE || s->intent == INTENT_NOTICE) &&
        (offers_copies(s, FIELD_TITLE) || offers_copies(s, FIELD_DESCRIPTION))) {
        s->intent = INTENT_SALE;
        s->intent_anywhere = false;
    }
}

/* Whether the listing's intent keeps rule r from firing: copyright rules
 * still fire on books (books are what they protect) and services (an
 * installation service of pirated software is the infringement). */
static bool intent_excludes(ruleset_scratch *s, uint32_t index, const compiled_rule *r, listing_intent *intent)
{
    if (r->source->any_intent)
        return false;
    *intent = detect_intent(s);
    uint32_t field = s->intent_field, at = s->intent_at;
    bool anywhere = s->intent_anywhere;
    if (*intent == INTENT_SALE && field == FIELD_TITLE) {
        /* a title with no intent cue that does not name the rule: what the description opens with decides */
        bool named = false;
        for (uint32_t i = first_found(s, s->rule_epoch, s->rule_first, (int)index); i != NO_FOUND && !named;
             i = s->found_next[i])
            named = s->found[i].field == FIELD_TITLE;
        if (!named) {
            *intent = description_intent(s, &at);
            field = FIELD_DESCRIPTION;
            anywhere = false; /* a description's guide words ("cách phân biệt: xem tem") count before the name only */
        }
    }
    if (*intent == INTENT_SALE)
        return false;
    if (anywhere) /* a guide or warning whatever its word order (its cues are guides and notices) */
        return true;
    /* the cue must come before the rule's first mention in its field: "Túi X like auth - review thật" is a sale */
    const field_views *v = &s->fields[field];
    uint32_t cue = at < v->main.length ? v->main.source_start[at] : 0;
    for (uint32_t i = first_found(s, s->rule_epoch, s->rule_first, (int)index); i != NO_FOUND; i = s->found_next[i]) {
        const found_hit *f = &s->found[i]; /* a hit of the rule */
        if (f->field == field && f->start < cue)
            return false;
    }
    /* ... and before a grade of copy the field offers: "Túi rep 1:1 cao cấp, check authentic pass 99%" is a sale */
    if (grade_before(s, field, at))
        return false;
    if (r->source->kind == RULE_KIND_COPYRIGHT)
        return *intent == INTENT_NOTICE || *intent == INTENT_GUIDE || *intent == INTENT_BUYING;
    return true;
}

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

/* ---- per-unit and per-model prices (docs/rules.md, "Per-unit and per-model prices") ----
 * A model's terms choose its own reference price (and unit); the quantity
 * sold is read from the title, then the description, only here: for rules
 * with a price condition, after a hit. */

/* Does hit a come before hit b for the model choice: the title before the description, then a model not after a
 * compatibility word (compat_scoped: "Ốp lưng cho iPhone 15 Pro Max" names the device the case fits) before one
 * after it, then the one named first, then at the same place the longer term. scoped_a/scoped_b: compat_scoped
 * of each. */
static bool model_hit_before(const found_hit *a, bool scoped_a, const found_hit *b, bool scoped_b)
{
    if (a->field != b->field)
        return a->field < b->field;
    if (scoped_a != scoped_b)
        return !scoped_a;
    if (a->start != b->start)
        return a->start < b->start;
    return a->end > b->end;
}

/* The model named by the listing (docs/rules.md, "Per-unit and per-model prices"): in the title before the
 * description; in a field, a model after a compatibility word only when no other is named there; the first named
 * (later names are comparisons, "kiểu dáng như X", or a set's extras), the longer term at the same place. A model
 * marked general (a kind of goods, "máy đo huyết áp") is the least specific: the first other model named in the
 * same field and scope wins over it, wherever it is named ("Máy đo huyết áp Omron HEM-7156" takes HEM-7156).
 * -1: none. The scratch is one thread's (compat_scoped caches the accessory title). */
static int select_model(ruleset_scratch *s, const compiled_rule *r)
{
    const found_hit *best = NULL, *specific = NULL;
    bool best_scoped = false, specific_scoped = false;
    int model = -1, specific_model = -1;
    const rule_model *models = r->source->more->models;
    for (size_t i = 0; r->model_term_count && i < s->found_count; i++) {
        const found_hit *f = &s->found[i];
        if (f->kind != FOUND_LITERAL || s->rs->literals[f->index].kind != LITERAL_CONDITION_TERM)
            continue;
        uint32_t owner = s->rs->literals[f->index].owner;
        if (owner < r->model_term_base || owner - r->model_term_base >= r->model_term_count)
            continue;
        bool scoped = !s->rs->options.no_negation && compat_scoped(s, f);
        int m = (int)r->model_of_term[owner - r->model_term_base];
        if (!best || model_hit_before(f, scoped, best, best_scoped)) {
            best = f;
            best_scoped = scoped;
            model = m;
        }
        if (!models[m].general && (!specific || model_hit_before(f, scoped, specific, specific_scoped))) {
            specific = f;
            specific_scoped = scoped;
            specific_model = m;
        }
    }
    if (model >= 0 && models[model].general && specific && specific->field == best->field &&
        specific_scoped == best_scoped)
        return specific_model;
    return model;
}

/* A listing of something that fits the brand's goods (a case, a screen
 * protector, a strap, laces, insoles, a stand) that does not claim to be the
 * brand's own genuine part: its price says nothing about the brand's. */
static bool fitting_accessory_unclaimed(ruleset_scratch *s)
{
    /* a plain "miếng dán" is also the goods (Salonpas): only what it covers makes it an accessory */
    static const char *const heads[] = {"op", "cuong luc", "kinh cuong luc", "mieng dan man hinh",
                                        "mieng dan cuong luc", "mieng dan lung", "mieng dan camera", "dan man hinh",
                                        "dan cuong luc", "dan lung", "dan camera", "bao da", "case", "day deo",
                                        "day dong ho", "day giay", "lot giay", "mieng lot giay", "gia do",
                                        "tui chong soc", "tui dung", "hop dung", NULL};
    static const char *const claims[] = {" chinh hang ", " zin ", " genuine ", " original ", " authentic ",
                                         " hang hang ", " nguyen ban ", NULL};
    const field_views *title = &s->fields[FIELD_TITLE];
    if (!title->present || !title->main.length)
        return false;
    bool fitting = false;
    for (size_t i = 0; heads[i] && !fitting; i++)
        fitting = phrase_at(&title->main, 0, heads[i]);
    if (!fitting)
        return false;
    for (int f = 0; f < 2; f++)
        for (size_t i = 0; claims[i]; i++)
            if (s->fields[f].present && text_contains_padded(&s->fields[f].main, claims[i]))
                return false;
    return true;
}

/* The part of a brand's own goods that the brand also makes and prices apart (docs/rules.md, "Accessories and
 * compatibility"): a title that opens with a charger, a cable, earphones or a battery ("Cáp sạc Velonix", "Tai nghe
 * Velonix Buds 3", "sac velonix 65w") under a rule for phones, tablets or computers (device_rule). A reference of a
 * device's price (OWN_PART_DEVICE_PRICE VND and up) is not the
 * part's: the part is compared with OWN_PART_SHARE of it. A lower reference is already a price of the brand's
 * cheaper goods (a power bank, a cable) and stays. */
#define OWN_PART_SHARE 0.1
#define OWN_PART_DEVICE_PRICE 2000000.0
/* Does the rule sell devices that have such parts: a category of phones, tablets, laptops or computers (a
 * headphones brand's "tai nghe" is its goods, not a part)? */
static bool device_rule(const compiled_rule *r)
{
    static const char *const devices[] = {"phones", "phone", "smartphones", "tablets", "laptops", "computers", NULL};
    const string_list *categories = &r->source->categories;
    for (size_t i = 0; i < categories->count; i++)
        for (size_t k = 0; devices[k]; k++)
            if (!strcasecmp(categories->items[i], devices[k]))
                return true;
    return false;
}

static bool own_part_title(const ruleset_scratch *s)
{
    static const char *const heads[] = {"cap sac", "cu sac", "bo sac", "de sac", "sac", "cap", "tai nghe", "pin",
                                        "adapter", NULL};
    const field_views *title = &s->fields[FIELD_TITLE];
    if (!title->present || !title->main.length)
        return false;
    for (size_t i = 0; heads[i]; i++)
        if (heads[i][0] == title->main.text[0] && phrase_at(&title->main, 0, heads[i]))
            return true;
    return false;
}

/* The title or the description claims the goods are the brand's own genuine ones ("chính hãng", "zin", "genuine",
 * "original", "nguyên bản"). */
static bool genuine_claimed(const ruleset_scratch *s)
{
    static const char *const claims[] = {" chinh hang ", " zin ", " genuine ", " original ", " authentic ",
                                         " hang hang ", " nguyen ban ", NULL};
    for (int f = 0; f < 2; f++)
        for (size_t i = 0; claims[i]; i++)
            if (s->fields[f].present && text_contains_padded(&s->fields[f].main, claims[i]))
                return true;
    return false;
}

/* A list hit that is the head noun opening the title, right before the rule's mention, of a part the brand makes
 * (own_part_title), claimed genuine: "Cáp sạc Velonix zin chính hãng" sells Velonix's own cable, so an accessory
 * list's "cáp sạc" names the goods, not something that fits them. Trademark rules only. */
static bool own_part_head(ruleset_scratch *s, uint32_t rule_index, const found_hit *f)
{
    if (f->field != FIELD_TITLE || f->word_start != 0 || s->rs->rules[rule_index].source->kind != RULE_KIND_TRADEMARK ||
        !device_rule(&s->rs->rules[rule_index]) || !own_part_title(s))
        return false;
    bool next = false;
    for (uint32_t k = first_found(s, s->rule_epoch, s->rule_first, (int)rule_index); k != NO_FOUND && !next;
         k = s->found_next[k])
        next = s->found[k].field == FIELD_TITLE && s->found[k].word_start == f->word_end + 1;
    return next && genuine_claimed(s);
}

static bool price_below(ruleset_scratch *s, uint32_t rule_index, const condition *c, match_signal *signal, int depth)
{
    const compiled_rule *r = &s->rs->rules[rule_index];
    const listing_facts *l = s->listing;
    const rule *source = r->source;
    int m = select_model(s, r);
    const rule_model *model = m >= 0 ? &source->more->models[m] : NULL;
    double reference = source->has_reference_price ? source->reference_price : 0;
    price_unit unit = source->more->unit;
    if (model && model->has_reference_price)
        reference = model->reference_price;
    if (model && model->unit.dimension != QUANTITY_NONE)
        unit = model->unit;
    signal->type = SIGNAL_PRICE_BELOW;
    signal->model = model ? (model->name ? model->name : model->terms.items[0]) : NULL;
    if (model)
        ruleset_trace(s, depth, "model %s: reference %.0f%s%s", signal->model, reference,
                      model->categories.count ? ", category " : "", model->categories.count ? model->categories.items[0] : "");
    if (unit.dimension != QUANTITY_NONE)
        price_unit_describe(&unit, signal->unit, sizeof signal->unit);
    /* a price of 0 is "ask the seller", not a bargain: treated as unknown */
    bool vnd = !l->currency || !strcmp(l->currency, "VND");
    bool known = l->has_price && l->price > 0;
    double price = l->price;
    if (!(reference > 0)) {
        ruleset_trace(s, depth, "price_below %g: no reference price for this listing => false", c->ratio);
        return false;
    }
    /* a model named here ("Apple Watch" in "Dây đồng hồ Apple Watch") is the device the accessory fits */
    if (source->kind == RULE_KIND_TRADEMARK && !s->rs->options.no_negation && fitting_accessory_unclaimed(s)) {
        ruleset_trace(s, depth, "price_below %g: an accessory that fits the brand's goods, not claimed as its own "
                                "genuine part: the brand's price is not its price => false", c->ratio);
        return false;
    }
    /* a charger, a cable, earphones sold under the brand: a part of its device's price, unless a model names it */
    if (source->kind == RULE_KIND_TRADEMARK && !model && reference >= OWN_PART_DEVICE_PRICE && device_rule(r) &&
        own_part_title(s)) {
        reference *= OWN_PART_SHARE;
        ruleset_trace(s, depth, "price_below: a part the brand makes (charger, cable, earphones, battery): compared "
                                "with %.0f%% of the reference, %.0f", OWN_PART_SHARE * 100, reference);
    }
    /* the quantity sold, title first */
    quantity_found q = {0};
    const char *q_text = "";
    listing_field q_field = FIELD_TITLE;
    if (unit.dimension != QUANTITY_NONE)
        for (int f = 0; f < 2 && !q.found; f++) {
            const char *text = f == FIELD_TITLE ? l->title : l->description;
            size_t length = f == FIELD_TITLE ? l->title_length : l->description_length;
            if (s->fields[f].present && text && quantity_read(&s->fields[f].main, text, length, &unit, &q)) {
                q_text = text;
                q_field = (listing_field)f;
            }
        }
    double effective = reference;
    if (q.found) {
        effective = reference * q.amount / unit.amount;
        if (q.per_unit_price) { /* "12tr/kg": the stated price per unit is compared, whatever the listing's price */
            price = q.price;
            known = true;
        }
        snprintf(signal->quantity, sizeof signal->quantity, "%s", q.text);
    } else if (unit.dimension != QUANTITY_NONE) {
        ruleset_trace(s, depth, "price_below: no quantity in the text; the reference %.0f per %s is taken as is",
                      reference, signal->unit);
    }
    signal->reference = effective;
    double ratio = known && effective > 0 ? price / effective : NAN;
    bool result = vnd && known && ratio < c->ratio;
    signal->ratio = ratio;
    if (!known)
        ruleset_trace(s, depth, "price_below %g: the listing has no price => false", c->ratio);
    else if (!vnd)
        ruleset_trace(s, depth, "price_below %g: the price is in %s, not VND => false", c->ratio, l->currency);
    else if (q.found)
        ruleset_trace(s, depth, "price_below %g: read \"%.*s\" in the %s: %s%s; the reference %.0f per %s is %.0f for it; "
                                "price %.0f is %.0f%% => %s",
                      c->ratio, (int)(q.end - q.start), q_text + q.start, q_field == FIELD_TITLE ? "title" : "description",
                      q.per_unit_price ? "a stated price of " : "", q.text, reference, signal->unit, effective, price,
                      ratio * 100, result ? "true" : "false");
    else
        ruleset_trace(s, depth, "price_below %g: price %.0f %s is %.0f%% of the reference %.0f => %s", c->ratio, price,
                      l->currency ? l->currency : "VND", ratio * 100, reference, result ? "true" : "false");
    return result;
}

/* ---- rated labels: claims and mentions (docs/rules.md, "Rated labels: claims and mentions") ---- */

/* Reads the label's claims and mentions of both fields once per listing (several rules of a pack ask). */
static void read_label_claims(ruleset_scratch *s, const char *label)
{
    if (s->claims_epoch == s->epoch && s->claims_label && !strcmp(s->claims_label, label))
        return;
    const listing_facts *l = s->listing;
    const normalized_text *title = s->fields[FIELD_TITLE].present ? &s->fields[FIELD_TITLE].main : NULL;
    for (int f = 0; f < 2; f++) {
        const char *text = f == FIELD_TITLE ? l->title : l->description;
        size_t length = f == FIELD_TITLE ? l->title_length : l->description_length;
        s->claim_count[f] = s->fields[f].present && text
                                ? label_claim_scan(&s->fields[f].main, text, length, label, title, s->claims[f],
                                                   LABEL_CLAIM_MAX)
                                : 0;
    }
    s->claims_epoch = s->epoch;
    s->claims_label = label;
}

/* Does claim c pass the condition's tests? Writes what was compared into out. */
static bool claim_counts(const condition *c, const compiled_rule *r, const label_claim *claim, char *out, size_t size)
{
    bool tests = c->label_above_rated || c->label_above || c->label_low || c->label_provincial_low ||
                 c->label_national_low;
    /* a level its council cannot give: "5 sao cấp tỉnh" (provincial: [3, 4]) */
    int scope_low = claim->scope == LABEL_SCOPE_PROVINCIAL ? c->label_provincial_low
                    : claim->scope == LABEL_SCOPE_NATIONAL ? c->label_national_low
                                                           : 0;
    int scope_high = claim->scope == LABEL_SCOPE_PROVINCIAL ? c->label_provincial_high
                     : claim->scope == LABEL_SCOPE_NATIONAL ? c->label_national_high
                                                            : 0;
    if (scope_low && (claim->low < scope_low || claim->high > scope_high)) {
        int level = claim->high > scope_high ? claim->high : claim->low;
        snprintf(out, size, "%d %s outside %d-%d", level, label_scope_name(claim->scope), scope_low, scope_high);
        return true;
    }
    if (c->label_low && (claim->low < c->label_low || claim->high > c->label_high)) {
        int level = claim->high > c->label_high ? claim->high : claim->low;
        snprintf(out, size, "%d outside %d-%d", level, c->label_low, c->label_high);
        return true;
    }
    int above = c->label_above_rated ? r->source->rated_level : c->label_above;
    if (above && claim->high > above) {
        snprintf(out, size, "%d > %d", claim->high, above);
        return true;
    }
    snprintf(out, size, "%d", claim->high);
    return !tests;
}

static bool label_claim_holds(ruleset_scratch *s, uint32_t rule_index, const condition *c, match_signal *signal,
                              int depth)
{
    const compiled_rule *r = &s->rs->rules[rule_index];
    read_label_claims(s, c->text);
    bool result = false, any_claim = false;
    for (int f = 0; f < 2 && !result; f++) {
        const char *text = f == FIELD_TITLE ? s->listing->title : s->listing->description;
        for (size_t i = 0; i < s->claim_count[f] && !result; i++) {
            const label_claim *claim = &s->claims[f][i];
            int shown = (int)(claim->end - claim->start > 60 ? 60 : claim->end - claim->start);
            if (claim->kind != LABEL_CLAIM) {
                ruleset_trace(s, depth, "label_claim %s: \"%.*s\" in the %s is a mention (%s), not a claim", c->text,
                              shown, text + claim->start, f == FIELD_TITLE ? "title" : "description",
                              label_claim_kind_name(claim->kind));
                continue;
            }
            any_claim = true;
            char compared[32];
            result = claim_counts(c, r, claim, compared, sizeof compared);
            char registered[32] = "";
            if (r->source->rated_level)
                snprintf(registered, sizeof registered, ", registered %d", r->source->rated_level);
            ruleset_trace(s, depth, "label_claim %s: \"%.*s\" in the %s claims %d%s%s%s => %s%s", c->text, shown,
                          text + claim->start, f == FIELD_TITLE ? "title" : "description", claim->high,
                          claim->scope ? " " : "", label_scope_name(claim->scope), registered,
                          result ? "true: " : "false (not above, not outside)", result ? compared : "");
            if (result) {
                signal->type = SIGNAL_LABEL_CLAIM;
                signal->term = c->text;
                signal->has_span = true;
                signal->field = (listing_field)f;
                signal->start = claim->start;
                signal->end = claim->end;
                signal->claimed = claim->high;
                signal->rated = r->source->rated_level;
                snprintf(signal->claim, sizeof signal->claim, "%s", compared);
                if (strstr(compared, " provincial ") || strstr(compared, " national ")) {
                    bool provincial = claim->scope == LABEL_SCOPE_PROVINCIAL;
                    signal->scope = label_scope_name(claim->scope);
                    signal->scope_low = provincial ? c->label_provincial_low : c->label_national_low;
                    signal->scope_high = provincial ? c->label_provincial_high : c->label_national_high;
                }
            }
        }
    }
    if (!any_claim)
        ruleset_trace(s, depth, "label_claim %s: no claim of a level => false", c->text);
    return result;
}

/* fallback: true — a programme-level rule gives way to the product rules of its kind that name the listing
 * (a plain mention: not every hit negated). */
static bool product_rule_names_listing(ruleset_scratch *s, uint32_t index)
{
    const compiled_rule *r = &s->rs->rules[index];
    for (size_t k = 0; k < s->candidate_count; k++) {
        uint32_t other = s->candidates[k];
        const rule *o = s->rs->rules[other].source;
        if (other == index || o->fallback || o->kind != r->source->kind)
            continue;
        for (uint32_t i = first_found(s, s->rule_epoch, s->rule_first, (int)other); i != NO_FOUND;
             i = s->found_next[i]) {
            const found_hit *f = &s->found[i];
            if (f->kind == FOUND_REGEX || s->rs->options.no_negation || !negated_hit(s, f)) {
                ruleset_trace(s, 1, "fallback: rule %s of the same kind names the listing => does not fire", o->id);
                return true;
            }
        }
    }
    return false;
}

/* ---- stated origin (docs/rules.md, "Stated origin") ----
 * Origin statements are read from the main views only when a rule with a
 * hit asks (stated_origin_outside_region, traceable_sourcing): a cue
 * ("trồng tại", "đóng gói tại", "xuất xứ", "nhập từ", ...) and the place
 * after it, compared with the rule's region word for word, then through the
 * province gazetteer (old and new province names, places abroad). */

/* Folded cues; the place follows. Bare "nguồn gốc" and "xuất xứ rõ ràng"
 * are common and say nothing: the place decides (a place the gazetteer does
 * not know is no statement). After them, "hàng" + a place abroad ("hàng
 * Trung Quốc", "hàng Thái"): "hàng" is in most listings, so only these. */
static const char *const origin_cues[] = {
    "trong tai", "trong o", "hai tai", "hai o", "thu hoach tai", "thu hoach o", "thu gom tai", "thu gom o",
    "thu mua tai", "dong goi tai", "dong goi o", "dong chai tai", "dong hop tai", "dong tui tai", "xay xat tai",
    "xay tai", "che bien tai", "san xuat tai", "san xuat o", "sx tai", "nau tai", "nau o", "chung cat tai", "nhap khau tu", "nhap khau", "nhap tu",
    /* blended or mixed at (2026.12.15): "nước mắm pha tại Hà Nội"; "pha tại chỗ" names no place */
    "pha tai", "pha che tai", "pha tron tai", "tron tai",
    "nhap ve tu", "nhap hang tu", "lay tu", "lay hang tu", "xuat xu tu", "xuat xu", "nguon goc tu", "made in", "origin",
    "grown in", "packed in", "product of",
    /* bought or gathered at a depot elsewhere: "mua tại vựa Tiền Giang", "thu gom từ Hậu Giang" (2026.12.11) */
    "thu gom tu", "thu mua tu", "mua tai vua", "mua o vua", "lay tai vua", "lay o vua", "lay hang tai vua", "lay hang o vua",
    /* the source or the orchard named: "nguồn hàng từ Sơn La", "gom từ Thanh Hóa", "vườn ở Tuyên Quang" (2026.12.15;
     * no cue here starts with "hàng ": those are the places abroad, below) */
    "nguon hang tu", "gom tu", "gom hang tu", "vuon o", "vuon tai",
    /* the place before: "xưởng Quảng Châu nhập về", "hàng Thái Lan mới nhập về" (read backward, below); goods
     * gathered from a place and brought here, "nhãn Sơn La gom về Hưng Yên" (2026.12.15) */
    /* bought or picked up at a place and brought back: "mua ở Yên Bái về", "lấy tại Quảng Tây về" (2026.12.15;
     * only with "về" right after the place: "khách mua ở Hà Nội" says where a buyer is) */
    "mua o", "mua tai", "lay o", "lay tai", "lay hang o", "lay hang tai",
    "nhap ve", "gom ve", "chuyen ve", /* "chuyển về" (shipped in) reads like "nhập về" (2026.12.15) */
    "hang noi dia trung", "hang trung quoc", "hang quang chau", "hang tau", "hang thai lan", "hang thai",
    "hang han quoc", "hang nhat ban", "hang nhat", "hang dai loan", "hang china"};
#define ORIGIN_CUE_COUNT (sizeof origin_cues / sizeof *origin_cues)

size_t origin_cue_count(void) { return ORIGIN_CUE_COUNT; }
const char *origin_cue(size_t i) { return i < ORIGIN_CUE_COUNT ? origin_cues[i] : NULL; }
#define MAX_PLACE_WORDS 6
#define MAX_PLACE_BYTES 200

/* Folded statements of traceable sourcing: from the registered producer
 * or co-operative, a traceability stamp, the GI certificate, an official
 * distributor. */
static const char *const sourcing_cues[] = {
    "truc tiep tu htx", "truc tiep htx", "truc tiep tu hop tac xa", "thu mua truc tiep", "lay truc tiep tu",
    "nhap truc tiep tu", "tem truy xuat", "truy xuat nguon goc", "ma qr truy xuat", "chung nhan chi dan dia ly",
    "tem chi dan dia ly", "nhan chi dan dia ly", "dai ly phan phoi chinh thuc", "dai ly chinh thuc",
    "nha phan phoi chinh thuc", "dai ly cua htx"};

static bool region_contains(const compiled_rule *r, const char *place, size_t length)
{
    normalized_text t = {0};
    t.text = (char *)place;
    t.length = length;
    for (size_t i = 0; i < r->region_count; i++)
        if (text_contains_padded(&t, r->region[i]))
            return true;
    return false;
}

static void add_statement(ruleset_scratch *s, uint32_t field, size_t start, size_t end, const char *province)
{
    if (s->origin_count < MAX_ORIGIN_STATEMENTS)
        s->origins[s->origin_count++] = (origin_statement){field, (uint32_t)start, (uint32_t)end, province, NULL, false};
}

/* The word of a field's main view that holds offset `at` (how many spaces come before it). */
static size_t word_of_offset(const field_views *v, size_t at)
{
    size_t lo = 0, hi = v->space_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->spaces[mid] < at)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Is a statement whose first word is w denied: a negator at most 3 words before it, in the clause, with only a
 * verb of mixing or sourcing between ("không trộn hàng Trung Quốc", "không phải hàng Trung Quốc", "không nhập từ
 * Trung Quốc", "cam kết không pha trộn hàng Trung Quốc")? "Hàng không tem nhập từ Trung Quốc" is no denial: the
 * negator is the stamp's. Reads the field's views only. */
static bool origin_denied(const ruleset_scratch *s, uint32_t field, size_t w)
{
    static const char *const between[] = {"phai", "la", "tron", "pha", "dung", "lay", "ban", "co", "nhap", "su",
                                          "hang", "mua", "lan", NULL}; /* "lan": "không lẫn tỏi Trung Quốc" (2026.12.15) */
    const field_views *v = &s->fields[field];
    const char *text = field_text(s, field);
    size_t a, b, c, d;
    if (!view_word(v, w, &c, &d))
        return false;
    for (size_t back = 1; back <= 3 && back <= w; back++) {
        size_t j = w - back;
        if (!view_word(v, j, &a, &b) || clause_break(text, v->main.source_end[b - 1], v->main.source_start[c]))
            return false;
        if (negator_at(v, j, text))
            return true;
        if (!word_is(v, j, between))
            return false;
    }
    return false;
}

/* Is the cue a packing one ("đóng gói tại", "đóng chai tại", "packed in"), not after "sản xuất và" ("sản xuất và
 * đóng gói tại Trung Quốc" states where the goods were made)? */
static bool packing_cue(const ruleset_scratch *s, const origin_cue_hit *cue, const char *phrase)
{
    if (strncmp(phrase, "dong ", 5) && strcmp(phrase, "packed in"))
        return false;
    static const char *const va[] = {"va", "and", NULL};
    static const char *const made[] = {"xuat", "sx", "bien", "trong", "hoach", "cat", "made", "produced", "grown", NULL};
    const field_views *v = &s->fields[cue->field];
    size_t w = word_of_offset(v, cue->start);
    return !(w >= 2 && word_is(v, w - 1, va) && word_is(v, w - 2, made));
}

/* Whether an origin cue starts at this offset of the field's main view (its cue hits, found by the automaton). */
static bool cue_starts_at(const ruleset_scratch *s, uint32_t field, size_t at)
{
    for (size_t i = 0; i < s->cue_hit_count; i++)
        if (s->cue_hits[i].field == field && s->cue_hits[i].start == at)
            return true;
    return false;
}

#define MAX_PLACE_WORDS_BEFORE 4

/* "PLACE nhập về" (imported from PLACE), "PLACE gom về" (gathered from PLACE): the nearest place the gazetteer
 * knows in the last words before the cue (at most 4, same clause, not past another cue), not after a shop's
 * location ("shop ở Hà Nội nhập về" says where the shop is) nor a destination ("giao", "cho"). */
static void read_place_before(ruleset_scratch *s, const origin_cue_hit *cue)
{
    const field_views *v = &s->fields[cue->field];
    const char *text = field_text(s, cue->field);
    if (!cue->start || !v->present)
        return;
    size_t cue_word = word_of_offset(v, cue->start); /* the cue's word */
    static const char *const location[] = {"o", "tai", "shop", "tiem", "cua", "cho", "giao", "khach", "ve", NULL};
    for (size_t k = 1; k <= MAX_PLACE_WORDS_BEFORE && k <= cue_word; k++) {
        size_t a, b, first = cue_word - k;
        if (!view_word(v, first, &a, &b) || clause_break(text, v->main.source_end[b - 1],
                                                         v->main.source_start[cue->start]))
            return;
        for (size_t i = 0; i < s->cue_hit_count; i++)
            if (s->cue_hits[i].field == cue->field && s->cue_hits[i].end > a && s->cue_hits[i].end <= cue->start - 1 &&
                s->cue_hits[i].start < cue->start && strncmp(origin_cues[s->cue_hits[i].cue], "hang ", 5))
                return; /* past another statement's cue */
        size_t end = cue->start - 1; /* the space before the cue */
        if (end <= a || end - a > MAX_PLACE_BYTES)
            return;
        const char *province = province_of_normalized(s->rs->provinces, v->main.text + a, end - a);
        if (!strcmp(province, PROVINCE_UNKNOWN))
            continue;
        if ((first > 0 && word_is(v, first - 1, location)) || origin_denied(s, cue->field, first))
            return;
        /* the place as named: words after the name dropped ("Sơn La mới nhập về" states "Sơn La") */
        for (size_t shorter = end; shorter > a;) {
            while (shorter > a && v->main.text[shorter - 1] != ' ')
                shorter--;
            if (shorter <= a + 1 || strcmp(province_of_normalized(s->rs->provinces, v->main.text + a, shorter - 1 - a), province))
                break;
            end = --shorter;
        }
        add_statement(s, cue->field, a, end, province);
        return;
    }
}

/* Goods nouns (folded) that name what is sold before its place of origin: "hàng vải Thanh Hà", "vải Thanh Hà
 * chính gốc", "hàng mắm Phan Thiết". Produce and specialties only, by first letter, longer first where one begins
 * another (a word is tried against its letter's few). */
#define MAX_NOUNS_PER_LETTER 8
static const char *const goods_nouns[26][MAX_NOUNS_PER_LETTER] = {
    ['b' - 'a'] = {"buoi", "banh", NULL},
    ['c' - 'a'] = {"chom chom", "ca phe", "ca cao", "chuoi", "chanh", "cam", "che", NULL},
    ['d' - 'a'] = {"dua hau", "dieu", "dua", "dao", NULL},
    ['g' - 'a'] = {"gung", "gao", NULL},
    ['h' - 'a'] = {"hat dieu", "hat de", "ho tieu", "hong", "hanh", "hoi", NULL},
    ['k' - 'a'] = {"khoai", "khe", NULL},
    ['l' - 'a'] = {"le", NULL},
    ['m' - 'a'] = {"mang cut", "mat ong", "mac ca", "mien", "man", "mam", "mo", NULL},
    ['n' - 'a'] = {"nhan long", "nuoc mam", "nhan", "nep", "nam", "na", NULL},
    ['o' - 'a'] = {"oi", NULL},
    ['q' - 'a'] = {"quyt", "que", NULL},
    ['r' - 'a'] = {"ruou", NULL},
    ['s' - 'a'] = {"sau rieng", "sa sam", "sam", NULL},
    ['t' - 'a'] = {"thanh long", "tieu", "tra", "toi", NULL},
    ['v' - 'a'] = {"vai thieu", "vu sua", "vai", NULL},
    ['x' - 'a'] = {"xoai", NULL},
};

#define MAX_GOODS_NOUNS 32 /* goods nouns followed per field (read_goods_places) */

/* The goods noun at word w: its length in words (0: none), the noun in *noun. */
static size_t goods_noun_at(const field_views *v, size_t w, const char **noun)
{
    size_t a, b;
    if (!view_word(v, w, &a, &b) || v->main.text[a] < 'a' || v->main.text[a] > 'z')
        return 0;
    const char *const *letter = goods_nouns[v->main.text[a] - 'a'];
    for (size_t i = 0; letter[i]; i++)
        if (phrase_at(&v->main, a, letter[i])) {
            size_t words = 1;
            *noun = letter[i];
            for (const char *c = letter[i]; *c; c++)
                words += *c == ' ';
            return words;
        }
    return 0;
}

/* A place the gazetteer knows that starts at word p (the name holds word p: "Hải Dương", not "mới về Hà Nội"), in
 * the clause, at most 4 words; the shortest such span. Returns its length in words (0: none) and its province. */
static size_t place_at(const ruleset_scratch *s, uint32_t field, size_t p, const char **province)
{
    const field_views *v = &s->fields[field];
    const char *text = field_text(s, field);
    size_t a, b, c, d, found = 0, widest = 0;
    if (!view_word(v, p, &a, &b))
        return 0;
    /* one lookup over the widest span first: most words after a goods noun name no place */
    for (size_t k = 1; k <= 4 && view_word(v, p + k - 1, &c, &d) && d - a <= MAX_PLACE_BYTES &&
                       !(k > 1 && clause_break(text, v->main.source_start[a], v->main.source_start[c]));
         k++)
        widest = d;
    if (!widest || !strcmp(province_of_normalized(s->rs->provinces, v->main.text + a, widest - a), PROVINCE_UNKNOWN))
        return 0;
    for (size_t k = 1; k <= 4; k++) {
        if (!view_word(v, p + k - 1, &c, &d) || d - a > MAX_PLACE_BYTES ||
            (k > 1 && clause_break(text, v->main.source_start[a], v->main.source_start[c])))
            break;
        const char *here = province_of_normalized(s->rs->provinces, v->main.text + a, d - a);
        if (!strcmp(here, PROVINCE_UNKNOWN))
            continue;
        size_t e, f;
        /* the name must hold word p: without it the span still names the place ("mới về Hà Nội") */
        if (k > 1 && view_word(v, p + 1, &e, &f) &&
            strcmp(province_of_normalized(s->rs->provinces, v->main.text + e, d - e), PROVINCE_UNKNOWN))
            return 0;
        *province = here;
        return k; /* the shortest name: "Quảng Tây", not "Quảng Tây sấy" */
    }
    return found;
}

/* One goods-noun statement with the noun at word w: after "hàng" (with_hang), or before the marker "gốc" at word
 * `marker` (the place ends right before it, or before "chính"/"chuẩn"/"nguyên" + "gốc"), and then not a name some
 * rule names. Adds the statement (with its noun) and gives its last word. The scratch is one thread's. */
static bool goods_statement(ruleset_scratch *s, uint32_t field, size_t w, bool with_hang, size_t marker,
                            size_t *last_word)
{
    static const char *const hang[] = {"hang", NULL}, *const before_goc[] = {"chinh", "chuan", "nguyen", NULL};
    const field_views *v = &s->fields[field];
    const char *text = field_text(s, field);
    const char *noun_text = NULL, *province = NULL;
    size_t noun = goods_noun_at(v, w, &noun_text), a, b, c, d, e, f;
    if (!noun || !view_word(v, w, &a, &b) || (!with_hang && w > 0 && word_is(v, w - 1, hang)))
        return false;
    size_t place = place_at(s, field, w + noun, &province);
    if (!place || !view_word(v, w + noun, &c, &d) ||
        clause_break(text, v->main.source_end[b - 1], v->main.source_start[c]))
        return false;
    size_t last = w + noun + place - 1;
    if (!view_word(v, last, &e, &f))
        return false;
    if (!with_hang) { /* the place, then the marker: "chính gốc", "gốc" */
        size_t m = last + 1, g, h;
        if (m + 1 == marker && word_is(v, m, before_goc))
            m++;
        if (m != marker || !view_word(v, m, &g, &h) ||
            clause_break(text, v->main.source_end[f - 1], v->main.source_start[g]))
            return false;
        uint32_t from = v->main.source_start[a], to = v->main.source_end[f - 1];
        for (size_t i = 0; i < s->found_count; i++) { /* words some rule names */
            const found_hit *x = &s->found[i];
            if (x->kind == FOUND_LITERAL && x->field == field && s->rs->literals[x->index].kind == LITERAL_RULE_TERM &&
                x->start < to && x->end > from)
                return false;
        }
    }
    add_statement(s, field, c, f, province);
    s->origins[s->origin_count - 1].goods = noun_text;
    *last_word = last;
    return true;
}

/* Places abroad that name where goods were grown when written right after the goods noun, and never a variety
 * grown in Vietnam ("xoài Thái", "mít Thái", "xoài Úc", "ổi Đài Loan" are varieties; "tỏi Trung Quốc", "xoài
 * Campuchia", "điều châu Phi" are imports). Folded, matched as the place's first words. */
static const char *const import_places[] = {"trung quoc", "tq", "tau", "china", "quang tay", "quang dong", "van nam",
                                            "campuchia", "cambodia", "lao", "laos", "chau phi", "africa", "ai cap",
                                            "egypt", "an do", "india", "indonesia", "myanmar", "nigeria",
                                            "bo bien nga", "ghana", "tanzania", "mozambique", NULL};

/* Goods noun + a place abroad from import_places, without "hàng" or "chính gốc" ("tỏi Trung Quốc bóc vỏ", "xoài
 * Campuchia", "cam Ai Cập", "tỏi TQ", "cam Tàu"), not after "hàng" (read_goods_places reads that form), not denied
 * ("không phải tỏi Trung Quốc") nor compared ("thơm hơn tỏi Trung Quốc", "so sánh cam Vinh và cam Trung Quốc": a
 * comparison word at most 5 words before the noun, in its clause). Adds one statement for the rules whose name
 * holds the noun (since 2026.12.15). Reads the field's views; the scratch is one thread's. */
static bool goods_abroad_statement(ruleset_scratch *s, uint32_t field, size_t w, size_t *last_word)
{
    static const char *const hang[] = {"hang", NULL}, *const china_short[] = {"tq", "tau", NULL};
    static const char *const compare[] = {"hon", "nhu", "khac", "voi", "thay", "giong", "kieu", "vs", "sanh", NULL};
    const field_views *v = &s->fields[field];
    const char *text = field_text(s, field);
    const char *noun_text = NULL, *province = NULL;
    size_t noun = goods_noun_at(v, w, &noun_text), a, b, c, d, e, f;
    if (!noun || !view_word(v, w, &a, &b) || (w > 0 && word_is(v, w - 1, hang)) || !view_word(v, w + noun, &c, &d))
        return false;
    bool listed = false;
    for (size_t i = 0; import_places[i] && !listed; i++) {
        size_t n = strlen(import_places[i]);
        listed = c + n <= v->main.length && !memcmp(v->main.text + c, import_places[i], n) &&
                 (c + n == v->main.length || v->main.text[c + n] == ' ');
    }
    if (!listed || clause_break(text, v->main.source_end[b - 1], v->main.source_start[c]) || origin_denied(s, field, w))
        return false;
    for (size_t back = 1; back <= 5 && back <= w; back++) {
        size_t g, h;
        if (!view_word(v, w - back, &g, &h) || clause_break(text, v->main.source_end[h - 1], v->main.source_start[a]))
            break;
        if (word_is(v, w - back, compare))
            return false;
    }
    /* "TQ", and "Tàu" written as a name (a capital T: "tàu" is also a ship), stand for China, which the gazetteer
     * does not spell so */
    size_t place = 0;
    if (word_is(v, w + noun, china_short)) {
        if (v->main.text[c + 1] != 'q' && text[v->main.source_start[c]] != 'T')
            return false;
        place = 1;
        province = PROVINCE_ABROAD;
    } else {
        place = place_at(s, field, w + noun, &province);
        if (!place || strcmp(province, PROVINCE_ABROAD))
            return false;
    }
    size_t last = w + noun + place - 1;
    if (!view_word(v, last, &e, &f))
        return false;
    add_statement(s, field, c, f, province);
    s->origins[s->origin_count - 1].goods = noun_text;
    *last_word = last;
    return true;
}

/* Goods noun + place (docs/rules.md, "Stated origin"): "hàng vải Thanh Hà" ("hàng" + goods noun + place), and
 * "vải Thanh Hà chính gốc" (goods noun + place + chính gốc, gốc, chuẩn gốc, nguyên gốc) unless the words are a
 * name some rule names (a GI's name holds its place: "nhãn lồng Hưng Yên chính gốc" in a combo of specialties is
 * no statement about the other goods). Only the words after "hàng" and before "gốc" are tried (goods_statement),
 * at most MAX_GOODS_NOUNS per field. Reads the field's views and the listing's hits; the scratch is one thread's. */
static void read_goods_places(ruleset_scratch *s, uint32_t field)
{
    const field_views *v = &s->fields[field];
    if (!v->present || !field_text(s, field))
        return;
    size_t tries = 0; /* a text of nothing but "hàng cam hàng cam..." costs no more */
    for (size_t w = 0; w <= v->space_count && s->origin_count < MAX_ORIGIN_STATEMENTS && tries < MAX_GOODS_NOUNS; w++) {
        size_t a, b, last;
        if (!view_word(v, w, &a, &b))
            continue;
        const char *word = v->main.text + a;
        if (b - a == 4 && !memcmp(word, "hang", 4)) {
            size_t noun_letter = a + 5 < v->main.length ? (unsigned char)v->main.text[a + 5] : 0;
            if (noun_letter < 'a' || noun_letter > 'z' || !goods_nouns[noun_letter - 'a'][0])
                continue;
            tries++;
            if (!origin_denied(s, field, w) && goods_statement(s, field, w + 1, true, 0, &last))
                w = last;
        } else if (b - a == 3 && !memcmp(word, "goc", 3)) {
            tries++;
            for (size_t back = 2; back <= 7 && back <= w; back++)
                if (goods_statement(s, field, w - back, false, w, &last))
                    break;
        } else if (word[0] >= 'a' && word[0] <= 'z' && goods_nouns[word[0] - 'a'][0]) {
            const char *noun_text = NULL;
            if (goods_noun_at(v, w, &noun_text) && ++tries && goods_abroad_statement(s, field, w, &last))
                w = last;
        }
    }
}

/* Does a comma segment of folded words ("tuyen quang", "tinh son la") open with a place the gazetteer knows, so
 * that it is a place on its own and continues the statement ("trồng tại Bắc Quang, Tuyên Quang")? A place further
 * in ("ship ha noi trong ngay": a delivery) is none: the segment names a place, and still does without its first
 * word, unless that word is an administrative one (tỉnh, tp, thành phố, huyện, quận, thị xã, xã, phường). Reads
 * the immutable table only; thread-safe. */
static bool place_opens(const province_table *provinces, const char *segment, size_t length)
{
    static const char *const admin[] = {"tinh", "tp", "thanh", "huyen", "quan", "thi", "xa", "phuong", NULL};
    if (!strcmp(province_of_normalized(provinces, segment, length), PROVINCE_UNKNOWN))
        return false;
    size_t first = 0;
    while (first < length && segment[first] != ' ')
        first++;
    if (first >= length)
        return true; /* one word that is a place */
    for (size_t i = 0; admin[i]; i++)
        if (strlen(admin[i]) == first && !memcmp(segment, admin[i], first))
            return true;
    return !strcmp(province_of_normalized(provinces, segment + first + 1, length - first - 1), PROVINCE_UNKNOWN);
}

/* Is the cue one of "bought or picked up at" ("mua ở", "lấy tại"), which states an origin only with "về" after
 * the place? Pure. */
static bool brought_back_cue(const char *phrase)
{
    static const char *const cues[] = {"mua o", "mua tai", "lay o", "lay tai", "lay hang o", "lay hang tai", NULL};
    for (size_t i = 0; cues[i]; i++)
        if (!strcmp(phrase, cues[i]))
            return true;
    return false;
}

/* "mua ở PLACE về", "lấy tại PLACE về" (bought at PLACE and brought back): the words between the cue and a "về"
 * at most MAX_PLACE_WORDS - 1 words on, in the same clause, when the gazetteer knows them as a place; nothing
 * otherwise ("khách mua ở Hà Nội được freeship" says where a buyer is; "mua ở vườn về" names no place). Adds at
 * most one statement to the scratch (one thread's). */
static void read_place_brought_back(ruleset_scratch *s, const origin_cue_hit *cue)
{
    static const char *const ve[] = {"ve", NULL};
    const field_views *v = &s->fields[cue->field];
    const char *text = field_text(s, cue->field);
    if (!v->present || !text || cue->end + 1 >= v->main.length)
        return;
    size_t first = word_of_offset(v, cue->end + 1), a, b, c, d, prev_end;
    if (!view_word(v, first, &a, &b) ||
        clause_break(text, v->main.source_end[cue->end - 1], v->main.source_start[a]))
        return;
    prev_end = b;
    for (size_t k = 1; k < MAX_PLACE_WORDS; k++) {
        if (!view_word(v, first + k, &c, &d) ||
            clause_break(text, v->main.source_end[prev_end - 1], v->main.source_start[c]))
            return;
        if (word_is(v, first + k, ve)) {
            if (prev_end - a > MAX_PLACE_BYTES)
                return;
            const char *province = province_of_normalized(s->rs->provinces, v->main.text + a, prev_end - a);
            if (strcmp(province, PROVINCE_UNKNOWN))
                add_statement(s, cue->field, a, prev_end, province);
            return;
        }
        prev_end = d;
    }
}

/* The origin statements of the listing, for every rule (the region is
 * compared per rule): read once, when a rule first asks, from the cue hits
 * the automaton found. */
static void read_statements(ruleset_scratch *s)
{
    const province_table *provinces = s->rs->provinces;
    for (size_t c = 0; c < s->cue_hit_count; c++) {
        const origin_cue_hit *cue = &s->cue_hits[c];
        const field_views *v = &s->fields[cue->field];
        const char *text = field_text(s, cue->field);
        bool longer = false; /* "nhập khẩu từ" over "nhập khẩu": the longest cue at a place speaks */
        for (size_t k = 0; k < s->cue_hit_count && !longer; k++)
            longer = s->cue_hits[k].field == cue->field && s->cue_hits[k].start == cue->start &&
                     s->cue_hits[k].end > cue->end;
        if (longer || origin_denied(s, cue->field, word_of_offset(v, cue->start)))
            continue; /* "không trộn hàng Trung Quốc" states no origin */
        size_t first_statement = s->origin_count;
        if (!strncmp(origin_cues[cue->cue], "hang ", 5)) { /* "hàng Trung Quốc": the place is the cue's last words */
            add_statement(s, cue->field, cue->start + 5, cue->end, PROVINCE_ABROAD);
            continue;
        }
        if (!strcmp(origin_cues[cue->cue], "nhap ve") || !strcmp(origin_cues[cue->cue], "gom ve") ||
            !strcmp(origin_cues[cue->cue], "chuyen ve")) {
            read_place_before(s, cue);
            continue;
        }
        if (brought_back_cue(origin_cues[cue->cue])) {
            read_place_brought_back(s, cue);
            continue;
        }
        if (cue->end + 1 >= v->main.length)
            continue;
        /* the place: up to 6 words in the same clause; past a comma only when what follows is itself a place
         * ("Bắc Quang, Tuyên Quang"), never into the next statement */
        size_t place_start = cue->end + 1, place_end = place_start, words = 0;
        while (place_end < v->main.length && v->main.text[place_end] != ' ')
            place_end++;
        if (clause_break(text, v->main.source_end[cue->end - 1], v->main.source_start[place_start]))
            continue;
        for (size_t word_start = place_end + 1; word_start < v->main.length && ++words < MAX_PLACE_WORDS;) {
            size_t word_end = word_start;
            while (word_end < v->main.length && v->main.text[word_end] != ' ')
                word_end++;
            if (cue_starts_at(s, cue->field, word_start))
                break;
            uint32_t gap_from = v->main.source_end[place_end - 1], gap_to = v->main.source_start[word_start];
            if (gap_from < gap_to && clause_break(text, gap_from, gap_to)) {
                bool comma_only = true;
                for (uint32_t i = gap_from; i < gap_to && comma_only; i++)
                    comma_only = text[i] != '\n' && text[i] != '\r' && !strchr(".;!?()[]{}|", text[i]);
                size_t next_end = word_end; /* the next comma segment, up to 3 words */
                for (int k = 0; k < 2 && next_end < v->main.length; k++) {
                    size_t ke = next_end + 1;
                    while (ke < v->main.length && v->main.text[ke] != ' ')
                        ke++;
                    if (clause_break(text, v->main.source_end[next_end - 1], v->main.source_start[next_end + 1]))
                        break;
                    next_end = ke;
                }
                if (!comma_only || next_end - word_start > MAX_PLACE_BYTES ||
                    !place_opens(provinces, v->main.text + word_start, next_end - word_start))
                    break;
            }
            place_end = word_end;
            word_start = word_end + 1;
        }
        if (place_end - place_start <= MAX_PLACE_BYTES) /* no place is longer: hostile text */
            add_statement(s, cue->field, place_start, place_end,
                          province_of_normalized(provinces, v->main.text + place_start, place_end - place_start));
        if (s->origin_count > first_statement && packing_cue(s, cue, origin_cues[cue->cue]))
            s->origins[s->origin_count - 1].packed = true;
    }
    for (uint32_t field = 0; field < 2; field++)
        read_goods_places(s, field);
}

/* Does the rule's name hold the goods noun as whole words (" vai thieu luc ngan " holds "vai"; " nuoc mam phu quoc "
 * holds "mam")? A "hàng vải Quảng Tây" statement speaks for the lychee, not for the fish sauce of the same combo. */
static bool rule_names_goods(const compiled_rule *r, const char *noun)
{
    size_t n = strlen(noun);
    for (const char *p = r->name_folded ? strstr(r->name_folded, noun) : NULL; p; p = strstr(p + 1, noun))
        if (p[-1] == ' ' && p[n] == ' ')
            return true;
    return false;
}

/* Do the words [from, from + count) of a field's main view spell the folded phrase exactly? */
static bool words_spell(const field_views *v, size_t from, uint32_t count, const char *phrase)
{
    size_t a, b, c, d;
    if (!view_word(v, from, &a, &b) || !view_word(v, from + count - 1, &c, &d))
        return false;
    return strlen(phrase) == d - a && !memcmp(v->main.text + a, phrase, d - a);
}

/* A list phrase with a slot ("vỏ {mark} in lại", docs/rules.md, "A slot for the rule's hit") around one of this
 * rule's hits: the words before the slot right before the hit, the words after it right after, no clause break
 * between them and the hit, the whole not under a negator. Fills the list signal (span: the whole phrase). Reads
 * the listing's hits and views; the scratch is one thread's. */
static bool slot_phrase_hit(ruleset_scratch *s, uint32_t rule_index, const compiled_list *list, const char *name,
                            match_signal *signal, int depth)
{
    for (uint32_t k = first_found(s, s->rule_epoch, s->rule_first, (int)rule_index); k != NO_FOUND;
         k = s->found_next[k]) {
        const found_hit *h = &s->found[k];
        const field_views *v = &s->fields[h->field];
        const char *text = field_text(s, h->field);
        if (!v->present || !text)
            continue;
        for (size_t i = 0; i < list->slot_count; i++) {
            const slot_phrase *p = &list->slots[i];
            size_t first = h->word_start, last = h->word_end, a, b;
            if (p->before_words && (first < p->before_words || !words_spell(v, first - p->before_words,
                                                                            p->before_words, p->before)))
                continue;
            if (p->after_words && !words_spell(v, last + 1, p->after_words, p->after))
                continue;
            first -= p->before_words;
            last += p->after_words;
            uint32_t start = h->start, end = h->end;
            if (p->before_words && view_word(v, first, &a, &b))
                start = v->main.source_start[a];
            if (p->after_words && view_word(v, last, &a, &b))
                end = v->main.source_end[b - 1];
            size_t c, d;
            if ((p->before_words && view_word(v, h->word_start - 1, &c, &d) &&
                 clause_break(text, v->main.source_end[d - 1], h->start)) ||
                (p->after_words && view_word(v, h->word_end + 1, &c, &d) &&
                 clause_break(text, h->end, v->main.source_start[c])))
                continue;
            found_hit whole = {FOUND_REGEX, 0, rule_index, h->field, start, end, (uint32_t)first, (uint32_t)last};
            if (!s->rs->options.no_negation && negated_hit(s, &whole)) {
                ruleset_trace(s, depth, "list %s: \"%s\" follows a negator => not a signal", name, p->text);
                continue;
            }
            signal->type = SIGNAL_LIST;
            signal->list = name;
            signal->term = p->text;
            signal->has_span = true;
            signal->field = h->field;
            signal->start = start;
            signal->end = end;
            return true;
        }
    }
    return false;
}

static bool stated_origin_outside(ruleset_scratch *s, uint32_t rule_index, const condition *c, match_signal *signal,
                                  int depth)
{
    const compiled_rule *r = &s->rs->rules[rule_index];
    if (!s->origins_ready) {
        s->origins_ready = true;
        s->origin_count = 0;
        read_statements(s);
    }
    bool outside = false;
    for (size_t i = 0; i < s->origin_count && !outside; i++) {
        const origin_statement *o = &s->origins[i];
        const field_views *v = &s->fields[o->field];
        const char *text = field_text(s, o->field), *why = NULL;
        const char *place = v->main.text + o->place_start;
        size_t length = o->place_end - o->place_start;
        if (o->goods && !rule_names_goods(r, o->goods)) {
            why = "the origin of other goods";
        } else if (o->packed && !r->origin_packing) {
            why = "where the goods were packed (the rule reads no packing statements: origin_packing)";
        } else if (region_contains(r, place, length)) {
            why = "inside the region";
        } else if (!strcmp(o->province, PROVINCE_UNKNOWN)) {
            why = "not a place the gazetteer knows";
        } else if (!strcmp(o->province, PROVINCE_ABROAD)) {
            outside = true;
        } else {
            bool same = false;
            for (size_t k = 0; k < r->region_province_count && !same; k++)
                same = !strcmp(r->region_provinces[k], o->province);
            if (same)
                why = "in the region's province";
            else
                outside = true;
        }
        uint32_t start = v->main.source_start[o->place_start], stop = v->main.source_end[o->place_end - 1];
        ruleset_trace(s, depth, "stated origin \"%.*s\" (%s) => %s", (int)(stop - start), text + start, o->province,
                      outside ? "outside the region" : why);
        if (outside) {
            signal->type = SIGNAL_STATED_ORIGIN;
            signal->has_span = true;
            signal->field = (listing_field)o->field;
            signal->start = start;
            signal->end = stop;
            size_t n = stop - start < sizeof signal->place ? stop - start : sizeof signal->place - 1;
            while (n && n < stop - start && ((unsigned char)text[start + n] & 0xC0) == 0x80)
                n--; /* cut at a character boundary */
            memcpy(signal->place, text + start, n);
            signal->place[n] = '\0';
            signal->province = o->province;
            signal->why = !strcmp(o->province, PROVINCE_ABROAD) ? "a place abroad"
                                                                : "a province other than the region's (after the 2025 merger)";
        }
    }
    bool result = c->value ? outside : !outside;
    ruleset_trace(s, depth, "stated_origin_outside_region %s => %s", c->value ? "true" : "false", result ? "true" : "false");
    if (!c->value) {
        signal->type = SIGNAL_STATED_ORIGIN;
        signal->has_span = false;
    }
    return result;
}

/* traceable_sourcing: a sourcing statement, at a price that is not below
 * half the reference (a "direct from the co-operative" stamp on goods at a
 * third of the price is no exception). */
static bool traceable_sourcing(ruleset_scratch *s, uint32_t rule_index, const condition *c, match_signal *signal,
                               int depth)
{
    const char *cue = NULL;
    listing_field where = FIELD_TITLE;
    uint32_t start = 0, end = 0;
    for (uint32_t field = 0; field < 2 && !cue; field++) {
        const field_views *v = &s->fields[field];
        size_t words = v->present && v->main.length ? v->space_count + 1 : 0;
        for (size_t w = 0; w < words && !cue; w++) {
            size_t at, stop;
            if (!view_word(v, w, &at, &stop))
                continue;
            for (size_t k = 0; k < sizeof sourcing_cues / sizeof *sourcing_cues && !cue; k++)
                if (phrase_at(&v->main, at, sourcing_cues[k])) {
                    cue = sourcing_cues[k];
                    where = (listing_field)field;
                    start = v->main.source_start[at];
                    end = v->main.source_end[at + strlen(cue) - 1];
                }
        }
    }
    bool holds = cue != NULL;
    if (holds) {
        condition half = {.type = CONDITION_PRICE_BELOW, .ratio = 0.5};
        match_signal unused = {0};
        if (price_below(s, rule_index, &half, &unused, depth + 1)) {
            ruleset_trace(s, depth, "traceable_sourcing: \"%s\", but at under half the reference price => not an exception", cue);
            holds = false;
        }
    }
    bool result = c->value ? holds : !holds;
    signal->type = SIGNAL_TRACEABLE_SOURCING;
    signal->term = cue;
    signal->has_span = holds;
    signal->field = where;
    signal->start = start;
    signal->end = end;
    ruleset_trace(s, depth, "traceable_sourcing %s => %s%s%s", c->value ? "true" : "false", result ? "true" : "false",
                  cue ? " (\"" : "", cue ? cue : "");
    return result;
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
        ruleset_trace(s, depth, "%s:", c->type == CONDITION_ANY ? "any" : "all");
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
        ruleset_trace(s, depth, "=> %s", result ? "true" : "false");
        return result;
    }
    case CONDITION_NOT:
        ruleset_trace(s, depth, "not:");
        result = c->child_count && !evaluate(s, rule_index, c->children[0], false, depth + 1);
        ruleset_trace(s, depth, "=> %s", result ? "true" : "false");
        return result;
    case CONDITION_LIST: {
        const compiled_list *list = c->compiled >= 0 ? &rs->lists[c->compiled] : NULL;
        if (!list || (s->list_epoch[c->compiled] != s->epoch && !list->slot_count)) {
            ruleset_trace(s, depth, "list %s: no term of it in the text => false", c->text);
            return false;
        }
        for (uint32_t i = first_found(s, s->list_epoch, s->list_first, c->compiled); i != NO_FOUND && !result;
             i = s->found_next[i]) {
            const found_hit *f = &s->found[i]; /* a hit of the list */
            if (!rs->options.no_negation && negated_hit(s, f)) {
                ruleset_trace(s, depth, "list %s: \"%s\" follows a negator => not a signal", c->text,
                              rs->literals[f->index].text);
                continue;
            }
            if (!rs->options.no_negation && own_part_head(s, rule_index, f)) {
                ruleset_trace(s, depth, "list %s: \"%s\" opens the title before the brand, claimed genuine: the "
                                        "brand's own part, not one that fits it => not a signal", c->text,
                              rs->literals[f->index].text);
                continue;
            }
            /* a compatibility cue of the list ("dành cho", "tương thích") scopes only the mentions after it:
             * "Zorvik Court dành cho nam" names who wears the shoe, not a device an accessory fits */
            bool cue_first = !rs->options.no_negation && compat_cue_at(&s->fields[f->field], f->word_end);
            bool near = c->near < 0 && !cue_first;
            for (uint32_t k = first_found(s, s->rule_epoch, s->rule_first, (int)rule_index); k != NO_FOUND && !near;
                 k = s->found_next[k]) {
                const found_hit *h = &s->found[k]; /* a hit of the rule */
                if (h->field != f->field || (cue_first && h->word_start <= f->word_end))
                    continue;
                if (c->near < 0) {
                    near = true;
                    break;
                }
                /* the list term after the hit, before it, or over it (0 words: allowed on either side) */
                if (f->word_start > h->word_end)
                    near = c->near_after >= 0 && f->word_start - h->word_end <= (uint32_t)c->near_after;
                else if (h->word_start > f->word_end)
                    near = c->near_before >= 0 && h->word_start - f->word_end <= (uint32_t)c->near_before;
                else
                    near = true;
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
        if (!result && list->slot_count)
            result = slot_phrase_hit(s, rule_index, list, c->text, &signal, depth);
        if (c->near >= 0 && c->near_before != c->near_after) {
            char window[64];
            if (c->near_before < 0 || c->near_after < 0)
                snprintf(window, sizeof window, "%d words %s", c->near, c->near_before < 0 ? "after" : "before");
            else
                snprintf(window, sizeof window, "%d words before or %d after", c->near_before, c->near_after);
            ruleset_trace(s, depth, "list %s within %s a hit => %s%s%s", c->text, window, result ? "true (\"" : "false",
                          result ? signal.term : "", result ? "\")" : "");
        }
        else if (c->near >= 0)
            ruleset_trace(s, depth, "list %s within %d words of a hit => %s%s%s", c->text, c->near, result ? "true (\"" : "false",
                  result ? signal.term : "", result ? "\")" : "");
        else
            ruleset_trace(s, depth, "list %s => %s%s%s", c->text, result ? "true (\"" : "false", result ? signal.term : "", result ? "\")" : "");
        break;
    }
    case CONDITION_TERM:
        result = c->compiled >= 0 && s->term_epoch[c->compiled] == s->epoch;
        signal.type = SIGNAL_TERM;
        signal.term = c->text;
        if (result) {
            /* true when at least one of its hits is not under a negator */
            bool plain = false;
            for (uint32_t i = first_found(s, s->term_epoch, s->term_first, c->compiled); i != NO_FOUND && !plain;
                 i = s->found_next[i])
                plain = rs->options.no_negation || !negated_hit(s, &s->found[i]); /* a hit of the term */
            if (!plain)
                ruleset_trace(s, depth, "term \"%s\": every hit follows a negator", c->text);
            result = plain;
        }
        for (uint32_t i = result ? first_found(s, s->term_epoch, s->term_first, c->compiled) : NO_FOUND;
             i != NO_FOUND && !signal.has_span; i = s->found_next[i]) {
            const found_hit *f = &s->found[i]; /* a hit of the term */
            if (rs->options.no_negation || !negated_hit(s, f)) {
                signal.has_span = true;
                signal.field = f->field;
                signal.start = f->start;
                signal.end = f->end;
            }
        }
        ruleset_trace(s, depth, "term \"%s\" => %s", c->text, result ? "true" : "false");
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
        ruleset_trace(s, depth, "pattern '%s' => %s", c->text, result ? "true" : "false");
        break;
    case CONDITION_PRICE_BELOW:
        result = price_below(s, rule_index, c, &signal, depth);
        break;
    case CONDITION_HASHTAGS:
        result = hashtags_hold(s, rule_index, c, &signal, depth);
        break;
    case CONDITION_LABEL_CLAIM:
        result = label_claim_holds(s, rule_index, c, &signal, depth);
        break;
    case CONDITION_STATED_ORIGIN_OUTSIDE_REGION:
        result = stated_origin_outside(s, rule_index, c, &signal, depth);
        break;
    case CONDITION_TRACEABLE_SOURCING:
        result = traceable_sourcing(s, rule_index, c, &signal, depth);
        break;
    case CONDITION_SELLER_OUTSIDE_REGION: {
        const normalized_text *loc = normalized_fact(s, l->seller_location, &s->location, &s->location_ready);
        if (loc->length == 0) {
            ruleset_trace(s, depth, "seller_outside_region: the seller's location is unknown => false");
            return false;
        }
        bool inside = false;
        for (size_t i = 0; i < r->region_count && !inside; i++)
            inside = text_contains_padded(loc, r->region[i]);
        result = c->value ? !inside : inside;
        signal.type = c->value ? SIGNAL_SELLER_OUTSIDE_REGION : SIGNAL_SELLER_IN_REGION;
        signal.term = l->seller_location;
        ruleset_trace(s, depth, "seller_outside_region: the seller is in \"%s\", %s the region => %s", l->seller_location,
              inside ? "inside" : "outside", result ? "true" : "false");
        break;
    }
    case CONDITION_UNAUTHORIZED_SELLER: {
        bool unauthorized = !seller_authorized(r, l);
        result = c->value ? unauthorized : !unauthorized;
        signal.type = SIGNAL_UNAUTHORIZED_SELLER;
        ruleset_trace(s, depth, "unauthorized_seller: seller %s is %s => %s", l->seller_id ? l->seller_id : "(unknown)",
              unauthorized ? "not authorized" : "authorized", result ? "true" : "false");
        break;
    }
    case CONDITION_OFFICIAL_STORE:
        result = l->seller_official == c->value;
        signal.type = SIGNAL_OFFICIAL_STORE;
        signal.value = l->seller_official;
        ruleset_trace(s, depth, "official_store %s => %s", c->value ? "true" : "false", result ? "true" : "false");
        break;
    case CONDITION_LIVESTREAM:
        result = l->is_livestream == c->value;
        signal.type = SIGNAL_LIVESTREAM;
        signal.value = l->is_livestream;
        ruleset_trace(s, depth, "livestream %s => %s", c->value ? "true" : "false", result ? "true" : "false");
        break;
    case CONDITION_CATEGORY: {
        const normalized_text *cat = normalized_fact(s, l->category, &s->category, &s->category_ready);
        for (size_t i = 0; c->compiled >= 0 && i < rs->category_counts[c->compiled] && !result; i++)
            result = cat->length && text_contains_padded(cat, rs->categories[c->compiled][i]);
        signal.type = SIGNAL_CATEGORY;
        signal.term = l->category;
        ruleset_trace(s, depth, "category of \"%s\" => %s", l->category ? l->category : "", result ? "true" : "false");
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
    ruleset_trace(s, 0, "rule %s (%s):", r->source->id, r->source->name);
    if (!r->source->authorized_not_exempt && seller_authorized(r, l)) {
        ruleset_trace(s, 1, "seller %s is an authorized seller => does not fire", l->seller_id);
        return false;
    }
    if (r->context_list >= 0 && !context_holds(s, index, 1)) {
        if (r->context_before == r->context_after)
            ruleset_trace(s, 1, "context: no term of list %s within %d words of a mention => does not fire",
                          r->source->context_list, r->context_near);
        else if (r->context_before < 0 || r->context_after < 0)
            ruleset_trace(s, 1, "context: no term of list %s within %d words %s a mention => does not fire",
                          r->source->context_list, r->context_near, r->context_before < 0 ? "after" : "before");
        else
            ruleset_trace(s, 1, "context: no term of list %s within %d words before or %d after a mention => does not "
                          "fire", r->source->context_list, r->context_before, r->context_after);
        return false;
    }
    listing_intent intent = INTENT_SALE;
    if (!s->rs->options.no_intent && intent_excludes(s, index, r, &intent)) {
        ruleset_trace(s, 1, "the listing is %s, not a sale (intent) => does not fire", intent_names[intent]);
        return false;
    }
    if (r->source->fallback && product_rule_names_listing(s, index))
        return false;
    if (!s->rs->options.no_negation) {
        /* a brand named only in disclaimers ("không phải hàng Nike") is not a mention */
        bool plain = false, any = false;
        for (uint32_t i = first_found(s, s->rule_epoch, s->rule_first, (int)index); i != NO_FOUND && !plain;
             i = s->found_next[i]) {
            const found_hit *f = &s->found[i]; /* a hit of the rule */
            any = true;
            plain = f->kind == FOUND_REGEX ||
                    (!negated_hit(s, f) && (r->source->kind != RULE_KIND_TRADEMARK || !compat_scoped(s, f)));
        }
        if (any && !plain) {
            ruleset_trace(s, 1, "every mention follows a negator (a disclaimer) or a compatibility word (a device the "
                                "goods fit) => does not fire");
            return false;
        }
    }
    bool flag;
    if (r->source->flag) {
        ruleset_trace(s, 1, "flag:");
        flag = evaluate(s, index, r->source->flag, true, 2);
    } else {
        flag = !seller_authorized(r, l); /* false only with authorized_exempt: false */
        match_signal signal = {.rule = index, .type = SIGNAL_UNAUTHORIZED_SELLER};
        if (flag)
            push_signal(s, &signal);
        ruleset_trace(s, 1, "flag (default): a hit by a seller not in authorized_sellers => %s", flag ? "true" : "false");
    }
    if (!flag) {
        s->signal_count = mark;
        ruleset_trace(s, 1, "=> does not fire");
        return false;
    }
    for (size_t i = 0; i < r->source->unless_count; i++) {
        ruleset_trace(s, 1, "unless:");
        if (evaluate(s, index, r->source->unless[i], false, 2)) {
            s->signal_count = mark;
            ruleset_trace(s, 1, "=> an exception holds: does not fire");
            return false;
        }
    }
    ruleset_trace(s, 1, "=> FIRES");
    return true;
}

int ruleset_match_listing(const ruleset *rs, ruleset_scratch *s, const listing_facts *l, match_result *out)
{
    memset(out, 0, sizeof *out);
    if (++s->epoch == 0) { /* wrapped: clear the stamps */
        memset(s->rule_epoch, 0, rs->rule_count * sizeof *s->rule_epoch);
        memset(s->list_epoch, 0, rs->list_count * sizeof *s->list_epoch);
        memset(s->term_epoch, 0, rs->condition_term_count * sizeof *s->term_epoch);
        memset(s->regex_epoch, 0, rs->regex_count * sizeof *s->regex_epoch);
        memset(s->slot_epoch, 0, FOUND_SLOTS * sizeof *s->slot_epoch);
        if (s->phrase_epoch)
            memset(s->phrase_epoch, 0, rs->phrase_count * sizeof *s->phrase_epoch);
        for (int f = 0; f < 2; f++) {
            if (s->fields[f].cue_epoch)
                memset(s->fields[f].cue_epoch, 0, s->fields[f].cue_capacity * sizeof *s->fields[f].cue_epoch);
            s->fields[f].refund_epoch = 0;
        }
        s->epoch = 1;
        s->claims_epoch = 0;
    }
    s->listing = l;
    s->found_count = s->candidate_count = s->fired_count = s->hit_count = s->signal_count = 0;
    s->anchor_hit_count = s->touched_count = 0;
    s->origins_ready = false;
    s->cue_hit_count = 0;
    s->regex_limit_hits = 0;
    s->marks_refused = 0;
    s->hits_truncated = false;
    s->location_ready = s->category_ready = s->intent_ready = s->accessory_ready = false;
    s->description_intent_ready = false;
    if (prepare_field(s, FIELD_TITLE, l->title, l->title ? l->title_length : 0, out) < 0 ||
        prepare_field(s, FIELD_DESCRIPTION, l->description, l->description ? l->description_length : 0, out) < 0)
        return -1;
    if (s->anchor_hit_count)
        assemble_phrases(s);
    if (prepare_abbreviations(s) < 0)
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
        for (uint32_t k = first_found(s, s->rule_epoch, s->rule_first, (int)index); k != NO_FOUND; k = s->found_next[k]) {
            const found_hit *f = &s->found[k]; /* a hit of the rule */
            match_hit hit = {index, f->field, f->start, f->end, NULL};
            hit.term = f->kind == FOUND_LITERAL ? rs->literals[f->index].text : rs->regexes[f->index].text;
            if (push_hit(s, &hit) < 0)
                return -1;
        }
    }
    /* a genuine price the seller states ("giá hãng 3.500.000đ, bên em chỉ 350k"), read once for the price
     * signals of the fired rules and shown with them; the pack's reference still decided (a seller's figure is
     * not checked). "giá hãng" at the price asked is the genuine article: nothing to add. */
    double stated = -1;
    for (size_t k = 0; k < s->signal_count; k++) {
        match_signal *g = &s->signals[k];
        if (g->type != SIGNAL_PRICE_BELOW || !l->has_price || !(l->price > 0))
            continue;
        for (int f = 0; stated < 0 && f < 2; f++) {
            const char *text = f == FIELD_TITLE ? l->title : l->description;
            size_t length = f == FIELD_TITLE ? l->title_length : l->description_length;
            double v = s->fields[f].present && text ? stated_genuine_price(&s->fields[f].main, text, length) : 0;
            if (v > 0 || f == 1)
                stated = v;
        }
        if (stated > l->price)
            g->stated_price = stated;
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
    return ruleset_match_listing(rs, s, l, out);
}

