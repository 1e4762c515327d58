/* collisions: the packs' terms against a corpus of real text (collisions.h). */
#include "rules/collisions.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/base/error_message.h"
#include "rules/base/string_set.h"
#include "rules/text/marks.h"

typedef struct entry {
    collision_term t;
    char *folded;        /* the term's main view: words split by single spaces */
    size_t word_count;
    long next;           /* the next entry with the same first folded word, -1 at the end */
} entry;

typedef struct builder {
    const normalizer *n;
    entry *entries;
    size_t count, capacity;
    string_set by_term;  /* term as written -> entry */
    bool oom;
} builder;

static void add_term(builder *b, const char *term, const char *file, const char *kind, const char *name)
{
    if (!term || b->oom || string_set_find(&b->by_term, term) >= 0)
        return;
    if (b->count == b->capacity) {
        size_t grown = b->capacity ? b->capacity * 2 : 256;
        entry *e = realloc(b->entries, grown * sizeof *e);
        if (!e) {
            b->oom = true;
            return;
        }
        b->entries = e;
        b->capacity = grown;
    }
    entry *e = &b->entries[b->count];
    memset(e, 0, sizeof *e);
    e->next = -1;
    e->t.term = strdup(term);
    char where[512];
    snprintf(where, sizeof where, "%s: %s %s", file ? file : "?", kind, name ? name : "?");
    e->t.where = strdup(where);
    e->folded = normalize_string(b->n, term);
    if (!e->t.term || !e->t.where || !e->folded) { /* a term the compiler took always folds: memory ran out */
        free(e->t.term);
        free(e->t.where);
        free(e->folded);
        b->oom = true;
        return;
    }
    if (!*e->folded) { /* folds to nothing: never hits */
        e->word_count = 0;
    } else {
        e->word_count = 1;
        for (const char *p = e->folded; *p; p++)
            e->word_count += *p == ' ';
    }
    if (string_set_add(&b->by_term, e->t.term, b->count) == -2) {
        b->oom = true;
        free(e->t.term);
        free(e->t.where);
        free(e->folded);
        return;
    }
    b->count++;
}

static void add_condition(builder *b, const condition *c, const char *file, const char *rule_id)
{
    if (!c)
        return;
    if (c->type == CONDITION_TERM)
        add_term(b, c->text, file, "rule", rule_id);
    for (size_t i = 0; i < c->child_count; i++)
        add_condition(b, c->children[i], file, rule_id);
}

static int worst_first(const void *x, const void *y)
{
    const collision_term *a = x, *b = y;
    uint64_t oa = a->refused + a->unmarked, ob = b->refused + b->unmarked;
    if (oa != ob)
        return oa < ob ? 1 : -1;
    double sa = a->hits ? (double)oa / (double)a->hits : -1, sb = b->hits ? (double)ob / (double)b->hits : -1;
    if (sa != sb)
        return sa < sb ? 1 : -1;
    return strcmp(a->term, b->term);
}

/* Control characters of hostile text become spaces, cut on a character boundary. */
static void example_of(const char *s, size_t n, char *out, size_t size)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < size; i++)
        out[k++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7F ? ' ' : s[i];
    while (k && k == size - 1 && ((unsigned char)out[k - 1] & 0xC0) == 0x80)
        k--;
    if (k && k == size - 1 && (unsigned char)out[k - 1] >= 0xC0)
        k--;
    out[k] = 0;
}

typedef struct word {
    size_t start, end; /* in the view */
} word;

/* Counts the hits of every term in one line of the corpus. */
static int scan_line(builder *b, const string_set *first, const char *line, size_t length, normalized_text *view,
                     word **words, size_t *words_capacity)
{
    if (normalize_text(b->n, line, length, view, NULL) < 0)
        return -1;
    size_t count = 0;
    for (size_t i = 0; i < view->length;) {
        while (i < view->length && view->text[i] == ' ')
            i++;
        if (i >= view->length)
            break;
        size_t start = i;
        while (i < view->length && view->text[i] != ' ')
            i++;
        if (count == *words_capacity) {
            size_t grown = *words_capacity ? *words_capacity * 2 : 256;
            word *w = realloc(*words, grown * sizeof *w);
            if (!w)
                return -1;
            *words = w;
            *words_capacity = grown;
        }
        (*words)[count++] = (word){start, i};
    }
    word *w = *words;
    for (size_t i = 0; i < count; i++) {
        char saved = view->text[w[i].end];
        view->text[w[i].end] = 0; /* the view is ours: a NUL for the lookup, put back at once */
        long at = string_set_find(first, view->text + w[i].start);
        view->text[w[i].end] = saved;
        for (; at >= 0; at = b->entries[at].next) {
            entry *e = &b->entries[at];
            if (i + e->word_count > count)
                continue;
            const char *f = e->folded;
            bool match = true;
            for (size_t k = 0; k < e->word_count && match; k++) {
                size_t n = strcspn(f, " ");
                match = n == w[i + k].end - w[i + k].start && !memcmp(f, view->text + w[i + k].start, n);
                f += n + (f[n] == ' ');
            }
            if (!match)
                continue;
            size_t last = i + e->word_count - 1;
            uint32_t s0 = view->source_start[w[i].start], s1 = view->source_end[w[last].end - 1];
            if (s1 <= s0 || s1 > length)
                continue;
            e->t.hits++;
            marks_relation r = marks_compare(e->t.term, strlen(e->t.term), line + s0, s1 - s0);
            if (r == MARKS_SAME)
                e->t.same++;
            else
                r == MARKS_REFUSED ? e->t.refused++ : e->t.unmarked++;
            if (r != MARKS_SAME && !e->t.example[0])
                example_of(line + s0, s1 - s0, e->t.example, sizeof e->t.example);
        }
    }
    return 0;
}

int collisions_measure(const ruleset *rs, const char *const *paths, size_t path_count, collision_report *out,
                       char *error, size_t error_size)
{
    memset(out, 0, sizeof *out);
    if (error_size)
        *error = 0;
    builder b = {.n = ruleset_normalizer(rs)};
    string_set_init(&b.by_term);
    for (size_t p = 0; p < ruleset_pack_count(rs); p++) {
        const pack *pk = ruleset_pack(rs, p);
        for (size_t l = 0; l < pk->list_count; l++)
            for (size_t t = 0; t < pk->lists[l].terms.count; t++)
                add_term(&b, pk->lists[l].terms.items[t], pk->file, "list", pk->lists[l].name);
        for (size_t r = 0; r < pk->rule_count; r++) {
            const rule *ru = &pk->rules[r];
            for (size_t t = 0; t < ru->terms.count; t++)
                add_term(&b, ru->terms.items[t], pk->file, "rule", ru->id);
            add_condition(&b, ru->flag, pk->file, ru->id);
            for (size_t u = 0; u < ru->unless_count; u++)
                add_condition(&b, ru->unless[u], pk->file, ru->id);
        }
    }
    string_set first;
    string_set_init(&first);
    int rc = b.oom ? -1 : 0;
    if (rc)
        error_message_set(error, error_size, "collisions: out of memory");
    /* the first folded word of each term -> a chain of the terms that start with it */
    char **first_words = calloc(b.count ? b.count : 1, sizeof *first_words);
    for (size_t i = 0; !rc && i < b.count; i++) {
        entry *e = &b.entries[i];
        if (!e->word_count)
            continue;
        first_words[i] = strndup(e->folded, strcspn(e->folded, " "));
        long head = first_words[i] ? string_set_add(&first, first_words[i], i) : -2;
        if (head == -2) {
            rc = -1;
            error_message_set(error, error_size, "collisions: out of memory");
        } else if (head >= 0) { /* the chain's head stays; this one goes second */
            e->next = b.entries[head].next;
            b.entries[head].next = (long)i;
        }
    }
    normalized_text view;
    normalized_text_init(&view);
    word *words = NULL;
    size_t words_capacity = 0;
    for (size_t f = 0; !rc && f < path_count; f++) {
        FILE *in = fopen(paths[f], "rb");
        if (!in) {
            error_message_set(error, error_size, "%s: %s", paths[f], strerror(errno));
            rc = -1;
            break;
        }
        out->files++;
        char *line = NULL;
        size_t capacity = 0, read_bytes = 0;
        ssize_t n;
        while (!rc && (n = getline(&line, &capacity, in)) > 0 && read_bytes < COLLISIONS_MAX_FILE_BYTES) {
            read_bytes += (size_t)n;
            size_t len = (size_t)n;
            while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                len--;
            if (len > NORMALIZE_MAX_INPUT)
                len = NORMALIZE_MAX_INPUT;
            out->lines++;
            out->bytes += len;
            if (scan_line(&b, &first, line, len, &view, &words, &words_capacity) < 0) {
                error_message_set(error, error_size, "collisions: out of memory");
                rc = -1;
            }
        }
        free(line);
        fclose(in);
    }
    normalized_text_free(&view);
    free(words);
    string_set_free(&first);
    for (size_t i = 0; i < b.count; i++)
        free(first_words ? first_words[i] : NULL);
    free(first_words);
    string_set_free(&b.by_term);
    if (!rc) {
        out->terms = calloc(b.count ? b.count : 1, sizeof *out->terms);
        rc = out->terms ? 0 : -1;
    }
    for (size_t i = 0; i < b.count; i++) {
        free(b.entries[i].folded);
        if (!rc)
            out->terms[out->count++] = b.entries[i].t;
        else {
            free(b.entries[i].t.term);
            free(b.entries[i].t.where);
        }
    }
    free(b.entries);
    if (rc) {
        if (error_size && !*error)
            error_message_set(error, error_size, "collisions: out of memory");
        collision_report_free(out);
        return -1;
    }
    qsort(out->terms, out->count, sizeof *out->terms, worst_first);
    return 0;
}

void collision_report_free(collision_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->count; i++) {
        free(r->terms[i].term);
        free(r->terms[i].where);
    }
    free(r->terms);
    memset(r, 0, sizeof *r);
}
