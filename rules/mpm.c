/* mpm: the backend-independent part. Collects literals, groups identical
 * ones, dispatches to a backend, and turns raw hits into sorted mpm_hit
 * arrays, so that both backends return identical results. */
#define MPM_INTERNAL
#include "rules/mpm.h"
#include "rules/base/error_message.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W1 1
const uint8_t mpm_word_byte[256] = {
    ['0'] = W1, ['1'] = W1, ['2'] = W1, ['3'] = W1, ['4'] = W1,
    ['5'] = W1, ['6'] = W1, ['7'] = W1, ['8'] = W1, ['9'] = W1,
    ['a'] = W1, ['b'] = W1, ['c'] = W1, ['d'] = W1, ['e'] = W1, ['f'] = W1,
    ['g'] = W1, ['h'] = W1, ['i'] = W1, ['j'] = W1, ['k'] = W1, ['l'] = W1,
    ['m'] = W1, ['n'] = W1, ['o'] = W1, ['p'] = W1, ['q'] = W1, ['r'] = W1,
    ['s'] = W1, ['t'] = W1, ['u'] = W1, ['v'] = W1, ['w'] = W1, ['x'] = W1,
    ['y'] = W1, ['z'] = W1,
    [0x80 ... 0xff] = W1,
};
#undef W1

typedef struct mpm_entry {
    size_t offset;    /* into the arena */
    uint32_t length;
    uint32_t id;
} mpm_entry;

struct mpm_context {
    const mpm_ops *ops;
    bool prepared;
    bool failed;              /* mpm_prepare failed: unusable */
    /* What mpm_add collected; freed by mpm_prepare except the arena. */
    uint8_t *arena;
    size_t arena_length, arena_capacity;
    mpm_entry *entries;
    size_t entry_count, entry_capacity;
    size_t pattern_count;
    mpm_literals lits;
    size_t dense_table_bytes; /* mpm_set_dense_table_limit */
    void *data;               /* backend's compiled form */
};

struct mpm_scratch {
    const mpm_context *ctx;
    void *backend;
    mpm_collector lanes[MPM_LANES];
};

const char *mpm_backend_name(mpm_backend b)
{
    switch (b) {
    case MPM_BACKEND_AHO_CORASICK: return "aho-corasick";
    case MPM_BACKEND_VECTORSCAN: return "vectorscan";
    }
    return "unknown";
}

const char *mpm_strerror(int err)
{
    switch (err) {
    case MPM_OK: return "success";
    case MPM_ERR_NOMEM: return "out of memory";
    case MPM_ERR_INVALID: return "invalid argument";
    case MPM_ERR_FROZEN: return "context already prepared";
    case MPM_ERR_NOT_PREPARED: return "context not prepared";
    case MPM_ERR_BACKEND: return "matcher backend failed";
    case MPM_ERR_TOO_BIG: return "input too big";
    case MPM_ERR_SCRATCH: return "scratch belongs to another context";
    }
    return "unknown error";
}

int mpm_context_create(mpm_context **out, mpm_backend backend)
{
    if (!out)
        return MPM_ERR_INVALID;
    *out = NULL;
    const mpm_ops *ops;
    switch (backend) {
    case MPM_BACKEND_AHO_CORASICK: ops = &mpm_ops_aho_corasick; break;
    case MPM_BACKEND_VECTORSCAN: ops = &mpm_ops_vectorscan; break;
    default: return MPM_ERR_INVALID;
    }
    mpm_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return MPM_ERR_NOMEM;
    ctx->ops = ops;
    ctx->dense_table_bytes = MPM_DENSE_TABLE_BYTES;
    *out = ctx;
    return MPM_OK;
}

static void free_literals(mpm_literals *l)
{
    free(l->bytes);
    free(l->length);
    free(l->id_offset);
    free(l->id_count);
    free(l->ids);
    memset(l, 0, sizeof *l);
}

void mpm_context_destroy(mpm_context *ctx)
{
    if (!ctx)
        return;
    if (ctx->data)
        ctx->ops->destroy(ctx->data);
    free_literals(&ctx->lits);
    free(ctx->entries);
    free(ctx->arena);
    free(ctx);
}

mpm_backend mpm_context_backend(const mpm_context *ctx)
{
    return ctx->ops->backend;
}

size_t mpm_pattern_count(const mpm_context *ctx)
{
    return ctx ? ctx->pattern_count : 0;
}

/* Grows *p (of *cap elements of `size` bytes) to hold at least `need`. */
static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need) {
        if (n > SIZE_MAX / 2 / size)
            return MPM_ERR_NOMEM;
        n *= 2;
    }
    void *q = realloc(*p, n * size);
    if (!q)
        return MPM_ERR_NOMEM;
    *p = q;
    *cap = n;
    return 0;
}

int mpm_add(mpm_context *ctx, const char *literal, size_t length, uint32_t id)
{
    if (!ctx || !literal || length == 0 || length > MPM_MAX_LITERAL)
        return MPM_ERR_INVALID;
    if (ctx->prepared || ctx->failed)
        return MPM_ERR_FROZEN;
    if (ctx->entry_count >= UINT32_MAX - 1)
        return MPM_ERR_TOO_BIG;
    int rc = grow((void **)&ctx->arena, &ctx->arena_capacity, ctx->arena_length + length, 1);
    if (rc == 0)
        rc = grow((void **)&ctx->entries, &ctx->entry_capacity, ctx->entry_count + 1,
                  sizeof(mpm_entry));
    if (rc != 0)
        return rc;
    memcpy(ctx->arena + ctx->arena_length, literal, length);
    ctx->entries[ctx->entry_count++] = (mpm_entry){ ctx->arena_length, (uint32_t)length, id };
    ctx->arena_length += length;
    ctx->pattern_count = ctx->entry_count;
    return MPM_OK;
}

typedef struct sort_entry {
    const uint8_t *bytes;
    uint32_t length;
    uint32_t id;
} sort_entry;

static int compare_bytes(const uint8_t *a, uint32_t la, const uint8_t *b, uint32_t lb)
{
    int c = memcmp(a, b, la < lb ? la : lb);
    if (c != 0)
        return c;
    return la < lb ? -1 : la > lb;
}

static int compare_sort_entry(const void *pa, const void *pb)
{
    const sort_entry *a = pa, *b = pb;
    int c = compare_bytes(a->bytes, a->length, b->bytes, b->length);
    if (c != 0)
        return c;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* Sorts the added literals and groups identical ones with their ids. */
static int build_literals(mpm_context *ctx)
{
    size_t n = ctx->entry_count;
    mpm_literals *l = &ctx->lits;
    sort_entry *e = malloc((n ? n : 1) * sizeof *e);
    l->bytes = malloc((n ? n : 1) * sizeof *l->bytes);
    l->length = malloc((n ? n : 1) * sizeof *l->length);
    l->id_offset = malloc((n ? n : 1) * sizeof *l->id_offset);
    l->id_count = malloc((n ? n : 1) * sizeof *l->id_count);
    l->ids = malloc((n ? n : 1) * sizeof *l->ids);
    if (!e || !l->bytes || !l->length || !l->id_offset || !l->id_count || !l->ids) {
        free(e);
        free_literals(l);
        return MPM_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        e[i] = (sort_entry){ ctx->arena + ctx->entries[i].offset, ctx->entries[i].length,
                             ctx->entries[i].id };
    qsort(e, n, sizeof *e, compare_sort_entry);
    size_t lits = 0, ids = 0;
    for (size_t i = 0; i < n; i++) {
        bool same_literal = i > 0 && e[i].length == e[i - 1].length &&
                            memcmp(e[i].bytes, e[i - 1].bytes, e[i].length) == 0;
        if (same_literal && e[i].id == e[i - 1].id)
            continue; /* a repeated (literal, id) pair */
        if (!same_literal) {
            l->bytes[lits] = e[i].bytes;
            l->length[lits] = e[i].length;
            l->id_offset[lits] = (uint32_t)ids;
            l->id_count[lits] = 0;
            if (e[i].length > l->max_length)
                l->max_length = e[i].length;
            lits++;
        }
        l->ids[ids++] = e[i].id;
        l->id_count[lits - 1]++;
    }
    l->count = lits;
    ctx->pattern_count = ids;
    free(e);
    free(ctx->entries);
    ctx->entries = NULL;
    ctx->entry_count = ctx->entry_capacity = 0;
    return MPM_OK;
}

int mpm_set_dense_table_limit(mpm_context *ctx, size_t bytes)
{
    if (!ctx)
        return MPM_ERR_INVALID;
    if (ctx->prepared || ctx->failed)
        return MPM_ERR_FROZEN;
    ctx->dense_table_bytes = bytes;
    return MPM_OK;
}

int mpm_prepare(mpm_context *ctx, char *error, size_t error_size)
{
    error_message_set(error, error_size, "%s", "");
    if (!ctx)
        return MPM_ERR_INVALID;
    if (ctx->prepared || ctx->failed) {
        error_message_set(error, error_size, "%s", "context already prepared");
        return MPM_ERR_FROZEN;
    }
    int rc = build_literals(ctx);
    ctx->lits.dense_table_bytes = ctx->dense_table_bytes;
    if (rc == 0)
        rc = ctx->ops->prepare(&ctx->lits, &ctx->data, error, error_size);
    if (rc != 0) {
        if (error && error_size > 0 && error[0] == '\0')
            error_message_set(error, error_size, "%s", mpm_strerror(rc));
        ctx->failed = true;
        return rc;
    }
    ctx->prepared = true;
    return MPM_OK;
}

int mpm_scratch_create(const mpm_context *ctx, mpm_scratch **out)
{
    if (!out)
        return MPM_ERR_INVALID;
    *out = NULL;
    if (!ctx)
        return MPM_ERR_INVALID;
    if (!ctx->prepared)
        return MPM_ERR_NOT_PREPARED;
    mpm_scratch *s = calloc(1, sizeof *s);
    if (!s)
        return MPM_ERR_NOMEM;
    s->ctx = ctx;
    int rc = ctx->ops->scratch_create(ctx->data, &s->backend);
    if (rc != 0) {
        free(s);
        return rc;
    }
    *out = s;
    return MPM_OK;
}

void mpm_scratch_destroy(mpm_scratch *s)
{
    if (!s)
        return;
    s->ctx->ops->scratch_destroy(s->backend);
    for (size_t i = 0; i < MPM_LANES; i++)
        free(s->lanes[i].buf);
    free(s);
}

/* ---- collecting and ordering hits ---- */

static inline uint64_t raw_key(const mpm_raw_hit *h)
{
    return (uint64_t)h->start << 32 | h->end;
}

static int compare_raw(const void *pa, const void *pb)
{
    uint64_t a = raw_key(pa), b = raw_key(pb);
    return a < b ? -1 : a > b;
}

/* Sorts by (start, end); a distinct literal is fixed by its range, so this is
 * a total order. Hits arrive ordered by end, so starts are nearly sorted:
 * insertion sort, unless that turns out to move too much. */
static void sort_raw(mpm_raw_hit *h, size_t n)
{
    size_t budget = 8 * n + 64;
    for (size_t i = 1; i < n; i++) {
        mpm_raw_hit x = h[i];
        uint64_t k = raw_key(&x);
        size_t j = i;
        while (j > 0 && raw_key(&h[j - 1]) > k) {
            h[j] = h[j - 1];
            j--;
            if (--budget == 0) {
                h[j] = x;
                qsort(h, n, sizeof *h, compare_raw);
                return;
            }
        }
        h[j] = x;
    }
}

int mpm_collector_make_room(mpm_collector *c)
{
    size_t limit = c->keep > SIZE_MAX / 4 ? SIZE_MAX / 4 : 2 * c->keep;
    if (c->cap < limit) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        if (cap > limit)
            cap = limit;
        if (cap > SIZE_MAX / sizeof(mpm_raw_hit)) {
            c->failed = true;
            return MPM_ERR_NOMEM;
        }
        mpm_raw_hit *b = realloc(c->buf, cap * sizeof *b);
        if (!b) {
            c->failed = true;
            return MPM_ERR_NOMEM;
        }
        c->buf = b;
        c->cap = cap;
        return 0;
    }
    /* Full at twice what we keep: only the smallest `keep` can be stored. */
    sort_raw(c->buf, c->n);
    c->n = c->keep;
    return 0;
}

static void collector_reset(mpm_collector *c, size_t keep)
{
    c->n = 0;
    c->keep = keep;
    c->total = 0;
    c->failed = false;
}

/* Sorts, expands literals into ids, stores up to max_hits; returns the count
 * of hits or -1. */
static long collector_finish(const mpm_literals *lits, mpm_collector *c,
                             mpm_hit *hits, size_t max_hits)
{
    if (c->failed)
        return -1;
    sort_raw(c->buf, c->n);
    size_t stored = 0;
    for (size_t i = 0; i < c->n && stored < max_hits; i++) {
        const mpm_raw_hit *r = &c->buf[i];
        const uint32_t *ids = lits->ids + lits->id_offset[r->lit];
        uint32_t k = lits->id_count[r->lit];
        for (uint32_t j = 0; j < k && stored < max_hits; j++)
            hits[stored++] = (mpm_hit){ ids[j], r->start, r->end };
    }
    return (long)c->total;
}

static int check_search(const mpm_context *ctx, const mpm_scratch *s)
{
    if (!ctx || !s)
        return MPM_ERR_INVALID;
    if (!ctx->prepared)
        return MPM_ERR_NOT_PREPARED;
    if (s->ctx != ctx)
        return MPM_ERR_SCRATCH;
    return 0;
}

long mpm_search(const mpm_context *ctx, mpm_scratch *s, const char *text,
                size_t length, mpm_hit *hits, size_t max_hits)
{
    if (check_search(ctx, s) != 0 || (!text && length > 0) || (!hits && max_hits > 0))
        return -1;
    if (length > UINT32_MAX)
        return -1;
    if (length == 0 || ctx->lits.count == 0)
        return 0;
    mpm_collector *c = &s->lanes[0];
    collector_reset(c, max_hits);
    if (ctx->ops->search(ctx->data, &ctx->lits, s->backend, (const uint8_t *)text, length, c) != 0)
        return -1;
    return collector_finish(&ctx->lits, c, hits, max_hits);
}

typedef struct batch_state {
    const mpm_literals *lits;
    mpm_hit *const *hits_out;
    size_t max_hits;
    long *counts;
} batch_state;

static int batch_done(void *arg, size_t i, mpm_collector *c)
{
    batch_state *b = arg;
    long n = collector_finish(b->lits, c, b->hits_out[i], b->max_hits);
    collector_reset(c, b->max_hits);
    if (n < 0)
        return MPM_ERR_NOMEM;
    b->counts[i] = n;
    return 0;
}

int mpm_search_batch(const mpm_context *ctx, mpm_scratch *s,
                     const char *const *texts, const size_t *lengths, size_t n,
                     mpm_hit *const *hits_out, size_t max_hits_each,
                     long *counts)
{
    int rc = check_search(ctx, s);
    if (rc != 0)
        return rc;
    if (n == 0)
        return 0;
    if (!texts || !lengths || !counts || (!hits_out && max_hits_each > 0))
        return MPM_ERR_INVALID;
    for (size_t i = 0; i < n; i++) {
        if (lengths[i] > UINT32_MAX)
            return MPM_ERR_TOO_BIG;
        if ((!texts[i] && lengths[i] > 0) || (max_hits_each > 0 && !hits_out[i]))
            return MPM_ERR_INVALID;
        counts[i] = 0;
    }
    if (ctx->lits.count == 0)
        return 0;
    batch_state b = { &ctx->lits, hits_out, max_hits_each, counts };
    for (size_t l = 0; l < MPM_LANES; l++)
        collector_reset(&s->lanes[l], max_hits_each);
    const uint8_t *const *t = (const uint8_t *const *)texts;
    if (ctx->ops->search_batch)
        return ctx->ops->search_batch(ctx->data, &ctx->lits, s->backend, t, lengths, n,
                                      s->lanes, batch_done, &b);
    for (size_t i = 0; i < n; i++) {
        if (lengths[i] > 0) {
            rc = ctx->ops->search(ctx->data, &ctx->lits, s->backend, t[i], lengths[i],
                                  &s->lanes[0]);
            if (rc != 0)
                return rc;
        }
        rc = batch_done(&b, i, &s->lanes[0]);
        if (rc != 0)
            return rc;
    }
    return 0;
}
