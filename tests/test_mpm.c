/* Tests for rules/mpm: word boundaries, overlaps, ids, truncation, batch,
 * errors, and the differential test: both backends (and a brute-force
 * reference) give identical hit arrays on real Vietnamese text and on random
 * text full of overlapping patterns. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/mpm.h"

static const mpm_backend BACKENDS[] = { MPM_BACKEND_AHO_CORASICK, MPM_BACKEND_VECTORSCAN };
#define NBACKENDS (sizeof BACKENDS / sizeof BACKENDS[0])

typedef struct pattern {
    const char *literal;
    uint32_t id;
} pattern;

typedef struct matcher {
    mpm_context *ctx;
    mpm_scratch *scratch;
} matcher;

static matcher make_matcher(mpm_backend b, const pattern *p, size_t n)
{
    matcher m = { 0 };
    char err[256];
    cr_assert_eq(mpm_context_create(&m.ctx, b), 0);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(mpm_add(m.ctx, p[i].literal, strlen(p[i].literal), p[i].id), 0);
    cr_assert_eq(mpm_prepare(m.ctx, err, sizeof err), 0, "%s: %s", mpm_backend_name(b), err);
    cr_assert_eq(mpm_scratch_create(m.ctx, &m.scratch), 0);
    return m;
}

static void free_matcher(matcher *m)
{
    mpm_scratch_destroy(m->scratch);
    mpm_context_destroy(m->ctx);
}

/* ---- one expectation per row ---- */

typedef struct expect {
    const char *text;
    size_t count;
    mpm_hit hits[6];
} expect;

static void check_table(const pattern *p, size_t np, const expect *e, size_t ne)
{
    for (size_t b = 0; b < NBACKENDS; b++) {
        matcher m = make_matcher(BACKENDS[b], p, np);
        for (size_t i = 0; i < ne; i++) {
            mpm_hit hits[8];
            long n = mpm_search(m.ctx, m.scratch, e[i].text, strlen(e[i].text), hits, 8);
            cr_assert_eq(n, (long)e[i].count, "%s: \"%s\": %ld hits, want %zu",
                         mpm_backend_name(BACKENDS[b]), e[i].text, n, e[i].count);
            for (size_t k = 0; k < e[i].count; k++)
                cr_assert(hits[k].id == e[i].hits[k].id && hits[k].start == e[i].hits[k].start &&
                              hits[k].end == e[i].hits[k].end,
                          "%s: \"%s\" hit %zu: got (%u,%u,%u) want (%u,%u,%u)",
                          mpm_backend_name(BACKENDS[b]), e[i].text, k, hits[k].id,
                          hits[k].start, hits[k].end, e[i].hits[k].id, e[i].hits[k].start,
                          e[i].hits[k].end);
        }
        free_matcher(&m);
    }
}

Test(mpm, word_boundaries)
{
    static const pattern p[] = { { "nike", 1 } };
    static const expect e[] = {
        { "nike", 1, { { 1, 0, 4 } } },
        { "nikeland", 0, { { 0 } } },
        { "snike", 0, { { 0 } } },
        { "snikes", 0, { { 0 } } },
        { "nike2", 0, { { 0 } } },
        { "2nike", 0, { { 0 } } },
        { "nike air", 1, { { 1, 0, 4 } } },
        { "giay nike", 1, { { 1, 5, 9 } } },
        { "a nike b", 1, { { 1, 2, 6 } } },
        { "nike nike", 2, { { 1, 0, 4 }, { 1, 5, 9 } } },
        { "nikenike nike", 1, { { 1, 9, 13 } } },
        { "nike\xc3\xa1", 0, { { 0 } } },      /* UTF-8 bytes are word bytes */
        { "\xc3\xa1nike", 0, { { 0 } } },
        { "nike,air-nike", 2, { { 1, 0, 4 }, { 1, 9, 13 } } },
        { "nik", 0, { { 0 } } },
    };
    check_table(p, 1, e, sizeof e / sizeof e[0]);
}

Test(mpm, multi_word_literals)
{
    static const pattern p[] = { { "vai thieu luc ngan", 1 }, { "rep 1 1", 2 } };
    static const expect e[] = {
        { "ban vai thieu luc ngan ngon", 1, { { 1, 4, 22 } } },
        { "vai thieu luc nganh", 0, { { 0 } } },
        { "vai thieu luc", 0, { { 0 } } },
        { "hang rep 1 1 gia re", 1, { { 2, 5, 12 } } },
        { "rep 1 11", 0, { { 0 } } },
        { "rep 1 1", 1, { { 2, 0, 7 } } },
        { "xrep 1 1 rep 1 1", 1, { { 2, 9, 16 } } },
    };
    check_table(p, 2, e, sizeof e / sizeof e[0]);
}

Test(mpm, overlapping_literals)
{
    static const pattern p[] = { { "louis", 10 }, { "louis vuitton", 11 }, { "vuitton", 12 } };
    static const expect e[] = {
        { "tui louis vuitton", 3, { { 10, 4, 9 }, { 11, 4, 17 }, { 12, 10, 17 } } },
        { "louis vuittonx", 1, { { 10, 0, 5 } } },
        { "louis vuitton louis", 4,
          { { 10, 0, 5 }, { 11, 0, 13 }, { 12, 6, 13 }, { 10, 14, 19 } } },
    };
    check_table(p, 3, e, sizeof e / sizeof e[0]);
}

Test(mpm, same_literal_several_ids)
{
    static const pattern p[] = { { "gucci", 7 }, { "gucci", 3 }, { "gucci", 5 }, { "gucci", 3 },
                                 { "gu", 9 } };
    static const expect e[] = {
        { "tui gucci", 3, { { 3, 4, 9 }, { 5, 4, 9 }, { 7, 4, 9 } } },
        { "gu gucci", 4, { { 9, 0, 2 }, { 3, 3, 8 }, { 5, 3, 8 }, { 7, 3, 8 } } },
    };
    check_table(p, 5, e, sizeof e / sizeof e[0]);
    for (size_t b = 0; b < NBACKENDS; b++) {
        matcher m = make_matcher(BACKENDS[b], p, 5);
        cr_expect_eq(mpm_pattern_count(m.ctx), 4);
        free_matcher(&m);
    }
}

Test(mpm, empty_text_and_empty_set)
{
    static const pattern p[] = { { "a", 1 } };
    for (size_t b = 0; b < NBACKENDS; b++) {
        matcher m = make_matcher(BACKENDS[b], p, 1);
        mpm_hit h[1];
        cr_expect_eq(mpm_search(m.ctx, m.scratch, "", 0, h, 1), 0);
        cr_expect_eq(mpm_search(m.ctx, m.scratch, NULL, 0, NULL, 0), 0);
        free_matcher(&m);
        matcher none = make_matcher(BACKENDS[b], NULL, 0);
        cr_expect_eq(mpm_pattern_count(none.ctx), 0);
        cr_expect_eq(mpm_search(none.ctx, none.scratch, "a b", 3, h, 1), 0);
        free_matcher(&none);
    }
}

Test(mpm, truncation_at_max_hits)
{
    static const pattern p[] = { { "a", 1 }, { "a", 2 }, { "a a", 3 } };
    const char *text = "a a a a a";
    /* All hits: per start s in 0,2,4,6,8: (1,s,s+1) (2,s,s+1) then (3,s,s+3) for s<=4. */
    for (size_t b = 0; b < NBACKENDS; b++) {
        matcher m = make_matcher(BACKENDS[b], p, 3);
        mpm_hit all[32];
        long total = mpm_search(m.ctx, m.scratch, text, strlen(text), all, 32);
        cr_assert_eq(total, 14);
        static const size_t caps[] = { 0, 1, 2, 3, 5, 13, 14 };
        for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
            mpm_hit h[16];
            memset(h, 0xee, sizeof h);
            long n = mpm_search(m.ctx, m.scratch, text, strlen(text), caps[c] ? h : NULL, caps[c]);
            cr_assert_eq(n, 14);
            cr_assert_eq(memcmp(h, all, caps[c] * sizeof *h), 0, "cap %zu", caps[c]);
            cr_assert_eq(h[caps[c]].id, 0xeeeeeeeeu, "wrote past max_hits %zu", caps[c]);
        }
        free_matcher(&m);
    }
}

Test(mpm, errors_and_lifecycle)
{
    mpm_context_destroy(NULL);
    mpm_scratch_destroy(NULL);
    for (size_t b = 0; b < NBACKENDS; b++) {
        mpm_context *ctx = NULL, *other = NULL;
        mpm_scratch *s = NULL;
        cr_assert_eq(mpm_context_create(&ctx, BACKENDS[b]), 0);
        cr_expect_eq(mpm_add(ctx, "", 0, 1), MPM_ERR_INVALID);
        cr_expect_eq(mpm_add(ctx, NULL, 3, 1), MPM_ERR_INVALID);
        cr_expect_eq(mpm_scratch_create(ctx, &s), MPM_ERR_NOT_PREPARED);
        cr_expect_null(s);
        cr_expect_eq(mpm_add(ctx, "abc", 3, 1), 0);
        cr_expect_eq(mpm_add(ctx, "a\0c", 3, 2), 0); /* any bytes */
        cr_expect_eq(mpm_prepare(ctx, NULL, 0), 0);
        cr_expect_eq(mpm_add(ctx, "x", 1, 1), MPM_ERR_FROZEN);
        cr_expect_eq(mpm_prepare(ctx, NULL, 0), MPM_ERR_FROZEN);
        cr_expect_eq(mpm_context_backend(ctx), BACKENDS[b]);
        cr_assert_eq(mpm_context_create(&other, BACKENDS[b]), 0);
        cr_assert_eq(mpm_prepare(other, NULL, 0), 0);
        cr_assert_eq(mpm_scratch_create(other, &s), 0);
        mpm_hit h[4];
        cr_expect_eq(mpm_search(ctx, s, "abc", 3, h, 4), -1, "foreign scratch");
        mpm_scratch_destroy(s);
        cr_assert_eq(mpm_scratch_create(ctx, &s), 0);
        cr_expect_eq(mpm_search(ctx, s, "x a\0c abc", 9, h, 4), 2);
        cr_expect(h[0].id == 2 && h[0].start == 2 && h[1].id == 1 && h[1].start == 6);
        mpm_scratch_destroy(s);
        mpm_context_destroy(other);
        mpm_context_destroy(ctx);
    }
    cr_expect_str_eq(mpm_backend_name(MPM_BACKEND_AHO_CORASICK), "aho-corasick");
    cr_expect_str_eq(mpm_backend_name(MPM_BACKEND_VECTORSCAN), "vectorscan");
    cr_expect_str_eq(mpm_strerror(MPM_ERR_FROZEN), "context already prepared");
    mpm_context *bad = NULL;
    cr_expect_eq(mpm_context_create(&bad, (mpm_backend)7), MPM_ERR_INVALID);
}

/* ---- brute force reference and comparison ---- */

typedef struct pattern_set {
    char **literal;
    size_t *length;
    uint32_t *id;
    size_t n, cap;
} pattern_set;

static void set_add(pattern_set *s, const char *lit, size_t len, uint32_t id)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->literal = realloc(s->literal, s->cap * sizeof *s->literal);
        s->length = realloc(s->length, s->cap * sizeof *s->length);
        s->id = realloc(s->id, s->cap * sizeof *s->id);
        cr_assert(s->literal && s->length && s->id);
    }
    s->literal[s->n] = malloc(len);
    cr_assert_not_null(s->literal[s->n]);
    memcpy(s->literal[s->n], lit, len);
    s->length[s->n] = len;
    s->id[s->n++] = id;
}

static void set_free(pattern_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->literal[i]);
    free(s->literal);
    free(s->length);
    free(s->id);
}

/* The AC table limit for the next matchers made (0: the default); the
 * sparse tests shrink it so that most states go sparse. */
static size_t ac_dense_limit;

static matcher make_set_matcher(mpm_backend b, const pattern_set *s)
{
    matcher m = { 0 };
    char err[256];
    cr_assert_eq(mpm_context_create(&m.ctx, b), 0);
    if (ac_dense_limit)
        cr_assert_eq(mpm_set_dense_table_limit(m.ctx, ac_dense_limit), 0);
    for (size_t i = 0; i < s->n; i++)
        cr_assert_eq(mpm_add(m.ctx, s->literal[i], s->length[i], s->id[i]), 0);
    cr_assert_eq(mpm_prepare(m.ctx, err, sizeof err), 0, "%s", err);
    cr_assert_eq(mpm_scratch_create(m.ctx, &m.scratch), 0);
    return m;
}

static int is_word(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

static int compare_hits(const void *pa, const void *pb)
{
    const mpm_hit *a = pa, *b = pb;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    if (a->end != b->end)
        return a->end < b->end ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* Every occurrence of every (literal, id) pair, deduplicated, sorted. */
static size_t brute_force(const pattern_set *s, const char *t, size_t len, mpm_hit **out)
{
    size_t n = 0, cap = 64;
    mpm_hit *h = malloc(cap * sizeof *h);
    cr_assert_not_null(h);
    for (size_t i = 0; i < s->n; i++) {
        const char *p = t;
        size_t left = len;
        const char *q;
        while ((q = memmem(p, left, s->literal[i], s->length[i])) != NULL) {
            size_t start = (size_t)(q - t), end = start + s->length[i];
            if ((start == 0 || !is_word((unsigned char)t[start - 1])) &&
                (end == len || !is_word((unsigned char)t[end]))) {
                if (n == cap) {
                    cap *= 2;
                    h = realloc(h, cap * sizeof *h);
                    cr_assert_not_null(h);
                }
                h[n++] = (mpm_hit){ s->id[i], (uint32_t)start, (uint32_t)end };
            }
            left -= (size_t)(q - p) + 1;
            p = q + 1;
        }
    }
    qsort(h, n, sizeof *h, compare_hits);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || compare_hits(&h[u - 1], &h[i]) != 0)
            h[u++] = h[i];
    *out = h;
    return u;
}

static void assert_same_hits(const char *what, const char *text, size_t len,
                             const mpm_hit *a, long na, const mpm_hit *b, long nb)
{
    cr_assert_eq(na, nb, "%s: %ld vs %ld hits on \"%.*s\"", what, na, nb,
                 (int)(len > 200 ? 200 : len), text);
    for (long i = 0; i < na; i++)
        cr_assert(a[i].id == b[i].id && a[i].start == b[i].start && a[i].end == b[i].end,
                  "%s: hit %ld differs: (%u,%u,%u) vs (%u,%u,%u) on \"%.*s\"", what, i,
                  a[i].id, a[i].start, a[i].end, b[i].id, b[i].start, b[i].end,
                  (int)(len > 200 ? 200 : len), text);
}

/* ---- deterministic randomness ---- */

static uint64_t rng_state;

static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* ---- the corpus, crudely normalized ---- */

typedef struct corpus {
    char **line;
    size_t *length;
    size_t n, cap;
} corpus;

/* Lowercase ASCII; every other ASCII byte but [a-z0-9] becomes a space;
 * runs of spaces collapse; bytes >= 0x80 stay. In place; returns length. */
static size_t crude_normalize(char *s, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        if (c < 0x80 && !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            c = ' ';
        if (c == ' ' && (o == 0 || s[o - 1] == ' '))
            continue;
        s[o++] = (char)c;
    }
    while (o > 0 && s[o - 1] == ' ')
        o--;
    return o;
}

static void corpus_add(corpus *c, const char *s, size_t len)
{
    char *copy = malloc(len + 1);
    cr_assert_not_null(copy);
    memcpy(copy, s, len);
    len = crude_normalize(copy, len);
    if (len == 0) {
        free(copy);
        return;
    }
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 1024;
        c->line = realloc(c->line, c->cap * sizeof *c->line);
        c->length = realloc(c->length, c->cap * sizeof *c->length);
        cr_assert(c->line && c->length);
    }
    c->line[c->n] = copy;
    c->length[c->n++] = len;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s (set LSCAN_SHARED to the shared folder)", path);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    cr_assert_not_null(buf);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            cr_assert_not_null(buf);
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static void load_lines(corpus *c, const char *path)
{
    size_t len;
    char *buf = read_file(path, &len);
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || buf[i] == '\n') {
            corpus_add(c, buf + start, i - start);
            start = i + 1;
        }
    }
    free(buf);
}

/* The "title" string of each JSON line (escapes kept as they are: crude). */
static void load_titles(corpus *c, const char *path)
{
    size_t len;
    char *buf = read_file(path, &len);
    static const char key[] = "\"title\":\"";
    const char *p = buf, *end = buf + len;
    size_t found = 0;
    while ((p = memmem(p, (size_t)(end - p), key, sizeof key - 1)) != NULL) {
        p += sizeof key - 1;
        const char *q = p;
        while (q < end && *q != '"')
            q += (*q == '\\' && q + 1 < end) ? 2 : 1;
        corpus_add(c, p, (size_t)(q - p));
        found++;
        p = q;
    }
    cr_assert_gt(found, 1000, "%s: expected over 1000 titles", path);
    free(buf);
}

static void load_corpus(corpus *c)
{
    const char *shared = getenv("LSCAN_SHARED");
    if (!shared || !*shared)
        shared = "../shared";
    static const char *const texts[] = {
        "baomoi.first3009lines.txt", "duochanoi.txt", "lamchame.txt", "tathy.txt",
    };
    char path[4096];
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        snprintf(path, sizeof path, "%s/corpus/vn-text-normalizer-testdata/%s", shared, texts[i]);
        load_lines(c, path);
    }
    snprintf(path, sizeof path, "%s/corpus/vn-memoryzone-products/memoryzone.jsonl", shared);
    load_titles(c, path);
    cr_assert_gt(c->n, 10000, "corpus too small: %zu lines", c->n);
}

static void corpus_free(corpus *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->line[i]);
    free(c->line);
    free(c->length);
}

/* The i-th word of a normalized line (or the pair starting there). */
static int pick_words(const char *line, size_t len, size_t *start, size_t *wlen, int words)
{
    size_t spaces = 0;
    for (size_t i = 0; i < len; i++)
        spaces += line[i] == ' ';
    size_t w = (size_t)(rng() % (spaces + 1)), at = 0, seen = 0;
    while (seen < w) {
        if (line[at] == ' ')
            seen++;
        at++;
    }
    size_t e = at, got = 0;
    while (e < len && got < (size_t)words) {
        while (e < len && line[e] != ' ')
            e++;
        got++;
        if (got < (size_t)words && e < len)
            e++;
    }
    *start = at;
    *wlen = e - at;
    return got == (size_t)words && e > at;
}

static void sample_patterns(const corpus *c, pattern_set *s)
{
    static const char *const brands[] = {
        "nike", "adidas", "gucci", "louis vuitton", "louis", "vuitton", "chanel", "samsung",
        "apple", "iphone", "sony", "hp", "dell", "asus", "lg", "kingston", "seagate", "wd",
        "intel", "amd", "corsair", "logitech", "ssd", "gb", "usb", "rep 1 1", "sata iii",
    };
    uint32_t id = 0;
    for (size_t i = 0; i < sizeof brands / sizeof brands[0]; i++)
        set_add(s, brands[i], strlen(brands[i]), id++);
    rng_state = 20240601;
    size_t unigrams = 0, bigrams = 0, pieces = 0;
    while (unigrams + bigrams + pieces < 2000) {
        size_t li = (size_t)(rng() % c->n), st, wl;
        int kind = (int)(rng() % 10); /* 0-5 word, 6-8 bigram, 9 piece of a word */
        if (!pick_words(c->line[li], c->length[li], &st, &wl, kind >= 6 && kind <= 8 ? 2 : 1))
            continue;
        if (kind == 9) { /* a few bytes from inside a word: often hits mid-word */
            if (wl < 3)
                continue;
            size_t a = (size_t)(rng() % (wl - 1)), b = a + 1 + (size_t)(rng() % (wl - a - 1));
            st += a;
            wl = b - a + 1 > wl - a ? wl - a : b - a + 1;
            pieces++;
        } else if (kind >= 6) {
            bigrams++;
        } else {
            unigrams++;
        }
        set_add(s, c->line[li] + st, wl, id++);
        if (rng() % 40 == 0) /* the same literal with a second id */
            set_add(s, c->line[li] + st, wl, 1000000 + id);
    }
}

/* Compares AC, Vectorscan and (on every step-th text) brute force, one text
 * at a time and in batches. */
static void differential(const pattern_set *ps, char *const *texts, const size_t *lengths,
                         size_t n, size_t brute_step, size_t *total_hits)
{
    matcher ac = make_set_matcher(MPM_BACKEND_AHO_CORASICK, ps);
    matcher vs = make_set_matcher(MPM_BACKEND_VECTORSCAN, ps);
    size_t cap = (size_t)1 << 20;
    mpm_hit *ha = malloc(cap * sizeof *ha), *hv = malloc(cap * sizeof *hv);
    cr_assert(ha && hv);
    for (size_t i = 0; i < n; i++) {
        long na = mpm_search(ac.ctx, ac.scratch, texts[i], lengths[i], ha, cap);
        long nv = mpm_search(vs.ctx, vs.scratch, texts[i], lengths[i], hv, cap);
        cr_assert(na >= 0 && na <= (long)cap && nv >= 0);
        assert_same_hits("aho-corasick vs vectorscan", texts[i], lengths[i], ha, na, hv, nv);
        *total_hits += (size_t)na;
        if (i % brute_step == 0) {
            mpm_hit *hb;
            size_t nb = brute_force(ps, texts[i], lengths[i], &hb);
            assert_same_hits("aho-corasick vs brute force", texts[i], lengths[i], ha, na, hb,
                             (long)nb);
            free(hb);
        }
    }
    /* Batches of uneven sizes (some larger than the lane count). */
    size_t each = 64;
    mpm_hit *bh = malloc(37 * each * sizeof *bh);
    mpm_hit *bp[37];
    long counts[37];
    cr_assert_not_null(bh);
    for (size_t k = 0; k < 37; k++)
        bp[k] = bh + k * each;
    size_t batch_sizes[] = { 1, 3, 8, 9, 37 };
    for (size_t i = 0, r = 0; i < n; r++) {
        size_t m = batch_sizes[r % 5];
        if (m > n - i)
            m = n - i;
        for (size_t b = 0; b < NBACKENDS; b++) {
            matcher *mm = b == 0 ? &ac : &vs;
            cr_assert_eq(mpm_search_batch(mm->ctx, mm->scratch, (const char *const *)texts + i,
                                          lengths + i, m, bp, each, counts), 0);
            for (size_t k = 0; k < m; k++) {
                long ns = mpm_search(mm->ctx, mm->scratch, texts[i + k], lengths[i + k], ha, each);
                assert_same_hits("batch vs single", texts[i + k], lengths[i + k], bp[k],
                                 counts[k] < (long)each ? counts[k] : (long)each, ha,
                                 ns < (long)each ? ns : (long)each);
                cr_assert_eq(counts[k], ns);
            }
        }
        i += m;
    }
    free(bh);
    free(ha);
    free(hv);
    free_matcher(&ac);
    free_matcher(&vs);
}

Test(mpm, differential_corpus, .timeout = 300)
{
    corpus c = { 0 };
    load_corpus(&c);
    pattern_set ps = { 0 };
    sample_patterns(&c, &ps);
    cr_assert_gt(ps.n, 2000);
    size_t hits = 0;
    differential(&ps, c.line, c.length, c.n, 13, &hits);
    cr_expect_gt(hits, 10000, "the pattern set should hit often (%zu hits)", hits);

    /* The whole corpus as one text: the AC backend splits it into lanes. */
    size_t total = 0;
    for (size_t i = 0; i < c.n; i++)
        total += c.length[i] + 1;
    char *all = malloc(total);
    cr_assert_not_null(all);
    size_t o = 0;
    for (size_t i = 0; i < c.n; i++) {
        memcpy(all + o, c.line[i], c.length[i]);
        o += c.length[i];
        all[o++] = ' ';
    }
    matcher ac = make_set_matcher(MPM_BACKEND_AHO_CORASICK, &ps);
    matcher vs = make_set_matcher(MPM_BACKEND_VECTORSCAN, &ps);
    size_t cap = hits + 1000;
    mpm_hit *ha = malloc(cap * sizeof *ha), *hv = malloc(cap * sizeof *hv);
    cr_assert(ha && hv);
    long na = mpm_search(ac.ctx, ac.scratch, all, o, ha, cap);
    long nv = mpm_search(vs.ctx, vs.scratch, all, o, hv, cap);
    cr_assert_lt(na, (long)cap);
    assert_same_hits("whole corpus", all, o, ha, na, hv, nv);
    /* Truncated: the stored prefix is the same. */
    long ta = mpm_search(ac.ctx, ac.scratch, all, o, ha, 1000);
    long tv = mpm_search(vs.ctx, vs.scratch, all, o, hv, 1000);
    cr_assert_eq(ta, na);
    cr_assert_eq(tv, nv);
    assert_same_hits("whole corpus, truncated", all, o, ha, 1000, hv, 1000);
    free(ha);
    free(hv);
    free(all);
    free_matcher(&ac);
    free_matcher(&vs);
    set_free(&ps);
    corpus_free(&c);
}

static void differential_random_run(void)
{
    /* Alphabet "ab " plus a UTF-8 pair and a comma: many overlapping
     * literals, words that begin and end anywhere. */
    static const char alphabet[] = { 'a', 'b', ' ', 'a', 'b', ' ', (char)0xc3, (char)0xa1, ',' };
    rng_state = 7;
    pattern_set ps = { 0 };
    for (uint32_t i = 0; i < 300; i++) {
        char lit[12];
        size_t len = 1 + (size_t)(rng() % 8);
        for (size_t k = 0; k < len; k++)
            lit[k] = alphabet[rng() % sizeof alphabet];
        set_add(&ps, lit, len, i % 250);  /* some ids shared by two literals */
    }
    size_t n = 2000;
    char **texts = malloc(n * sizeof *texts);
    size_t *lengths = malloc(n * sizeof *lengths);
    cr_assert(texts && lengths);
    for (size_t i = 0; i < n; i++) {
        lengths[i] = i % 97 == 0 ? 0 : (size_t)(rng() % (i % 10 == 0 ? 6000 : 120));
        texts[i] = malloc(lengths[i] + 1);
        cr_assert_not_null(texts[i]);
        for (size_t k = 0; k < lengths[i];) {
            if (rng() % 4 == 0) { /* a whole literal, so long ones hit too */
                size_t p = (size_t)(rng() % ps.n), l = ps.length[p];
                if (l > lengths[i] - k)
                    l = lengths[i] - k;
                memcpy(texts[i] + k, ps.literal[p], l);
                k += l;
            } else {
                texts[i][k++] = alphabet[rng() % sizeof alphabet];
            }
        }
    }
    size_t hits = 0;
    differential(&ps, texts, lengths, n, 1, &hits);
    cr_expect_gt(hits, 10000);
    for (size_t i = 0; i < n; i++)
        free(texts[i]);
    free(texts);
    free(lengths);
    set_free(&ps);
}

Test(mpm, differential_random, .timeout = 300)
{
    differential_random_run();
}

/* Sparse deep states (rules/mpm_ac.c): with table limits from the two roots
 * only to a few dozen rows, most steps follow edges and failure links, and
 * the hits stay those of Vectorscan and brute force. */
Test(mpm, differential_sparse_states, .timeout = 300)
{
    static const size_t limits[] = { 1, 64 * 40, 256 * 40 };
    for (size_t i = 0; i < sizeof limits / sizeof *limits; i++) {
        ac_dense_limit = limits[i];
        differential_random_run();
        corpus c = { 0 };
        load_corpus(&c);
        pattern_set ps = { 0 };
        sample_patterns(&c, &ps);
        size_t hits = 0;
        differential(&ps, c.line, c.length, c.n < 3000 ? c.n : 3000, 7, &hits);
        cr_expect_gt(hits, 1000);
        set_free(&ps);
        corpus_free(&c);
    }
    ac_dense_limit = 0;
}

/* A long text is scanned in segments by the AC backend: a literal as long
 * as the longest one, straddling a segment start at every offset, is found
 * exactly once. */
Test(mpm, long_text_segments)
{
    static const pattern p[] = { { "abcdefghij klmnop", 1 }, { "abcdefghij", 2 }, { "klmnop", 3 } };
    const size_t len = 64 * 1024, lit = strlen(p[0].literal);
    char *text = malloc(len);
    cr_assert_not_null(text);
    matcher m[NBACKENDS];
    for (size_t b = 0; b < NBACKENDS; b++)
        m[b] = make_matcher(BACKENDS[b], p, 3);
    for (size_t shift = 0; shift <= lit + 1; shift++) {
        memset(text, ' ', len);
        size_t placed = 0;
        for (size_t at = len / 16; at < len; at += len / 16) { /* covers every 1/8 */
            memcpy(text + at - shift, p[0].literal, lit);
            placed++;
        }
        for (size_t b = 0; b < NBACKENDS; b++) {
            mpm_hit h[64];
            long n = mpm_search(m[b].ctx, m[b].scratch, text, len, h, 64);
            cr_assert_eq(n, (long)(3 * placed), "%s shift %zu: %ld hits",
                         mpm_backend_name(BACKENDS[b]), shift, n);
            for (size_t k = 0; k < placed; k++)
                cr_assert(h[3 * k].id == 2 && h[3 * k].start == (k + 1) * (len / 16) - shift &&
                              h[3 * k + 1].id == 1 && h[3 * k + 1].end == h[3 * k].start + lit &&
                              h[3 * k + 2].id == 3 && h[3 * k + 2].start == h[3 * k].start + 11,
                          "%s shift %zu hit %zu", mpm_backend_name(BACKENDS[b]), shift, k);
        }
    }
    for (size_t b = 0; b < NBACKENDS; b++)
        free_matcher(&m[b]);
    free(text);
}

/* One shared context, one scratch per thread: every thread gets the hits a
 * single thread got. */
typedef struct thread_job {
    const mpm_context *ctx;
    char *const *texts;
    const size_t *lengths;
    size_t n;
    const mpm_hit *expected;   /* 64 per text */
    const long *expected_count;
    size_t mismatches;
    int error;
} thread_job;

static void *thread_main(void *p)
{
    thread_job *j = p;
    mpm_scratch *s = NULL;
    j->error = mpm_scratch_create(j->ctx, &s);
    mpm_hit h[64];
    for (int round = 0; round < 5 && j->error == 0; round++) {
        for (size_t i = 0; i < j->n; i++) {
            long n = mpm_search(j->ctx, s, j->texts[i], j->lengths[i], h, 64);
            size_t stored = n < 64 ? (size_t)n : 64;
            if (n != j->expected_count[i] ||
                memcmp(h, j->expected + 64 * i, stored * sizeof *h) != 0)
                j->mismatches++;
        }
    }
    mpm_scratch_destroy(s);
    return NULL;
}

Test(mpm, threads_share_one_context)
{
    rng_state = 99;
    pattern_set ps = { 0 };
    static const char alphabet[] = "ab c";
    for (uint32_t i = 0; i < 200; i++) {
        char lit[8];
        size_t len = 1 + (size_t)(rng() % 6);
        for (size_t k = 0; k < len; k++)
            lit[k] = alphabet[rng() % 4];
        set_add(&ps, lit, len, i);
    }
    enum { N = 300, THREADS = 4 };
    char *texts[N];
    size_t lengths[N];
    for (size_t i = 0; i < N; i++) {
        lengths[i] = (size_t)(rng() % 200);
        texts[i] = malloc(lengths[i] + 1);
        cr_assert_not_null(texts[i]);
        for (size_t k = 0; k < lengths[i]; k++)
            texts[i][k] = alphabet[rng() % 4];
    }
    mpm_hit *expected = malloc(N * 64 * sizeof *expected);
    long counts[N];
    cr_assert_not_null(expected);
    for (size_t b = 0; b < NBACKENDS; b++) {
        matcher m = make_set_matcher(BACKENDS[b], &ps);
        for (size_t i = 0; i < N; i++)
            counts[i] = mpm_search(m.ctx, m.scratch, texts[i], lengths[i], expected + 64 * i, 64);
        pthread_t t[THREADS];
        thread_job jobs[THREADS];
        for (int k = 0; k < THREADS; k++) {
            jobs[k] = (thread_job){ m.ctx, texts, lengths, N, expected, counts, 0, 0 };
            cr_assert_eq(pthread_create(&t[k], NULL, thread_main, &jobs[k]), 0);
        }
        for (int k = 0; k < THREADS; k++) {
            cr_assert_eq(pthread_join(t[k], NULL), 0);
            cr_expect_eq(jobs[k].error, 0);
            cr_expect_eq(jobs[k].mismatches, 0, "%s thread %d: %zu mismatches",
                         mpm_backend_name(BACKENDS[b]), k, jobs[k].mismatches);
        }
        free_matcher(&m);
    }
    for (size_t i = 0; i < N; i++)
        free(texts[i]);
    free(expected);
    set_free(&ps);
}
