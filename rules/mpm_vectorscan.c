/* mpm backend on Vectorscan's pure-literal mode.
 *
 * Each distinct literal is one expression whose Vectorscan id is its index in
 * mpm_literals; the index maps to the list of user ids. Literal mode reports
 * the end offset of every occurrence, and start = end - length exactly, so
 * the word-boundary check is done in the callback. Deliberately no
 * HS_FLAG_SINGLEMATCH (a rejected hit inside a longer word would hide a later
 * real one) and no \b in the expressions (far too slow to compile). */
#define MPM_INTERNAL
#include "rules/mpm.h"

#include <hs.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct vs_data {
    hs_database_t *db;         /* NULL when there are no literals */
    hs_scratch_t *prototype;   /* never scanned with; cloned per mpm_scratch */
} vs_data;

typedef struct vs_scratch {
    hs_scratch_t *scratch;
} vs_scratch;

static int vs_prepare(const mpm_literals *lits, void **out, char *error, size_t error_size)
{
    vs_data *d = calloc(1, sizeof *d);
    if (!d)
        return MPM_ERR_NOMEM;
    *out = d;
    if (lits->count == 0)
        return 0;
    if (lits->count > UINT32_MAX) {
        snprintf(error, error_size, "too many literals for vectorscan");
        return MPM_ERR_TOO_BIG;
    }
    unsigned n = (unsigned)lits->count;
    unsigned *ids = malloc(n * sizeof *ids);
    size_t *lens = malloc(n * sizeof *lens);
    if (!ids || !lens) {
        free(ids);
        free(lens);
        return MPM_ERR_NOMEM;
    }
    for (unsigned i = 0; i < n; i++) {
        ids[i] = i;
        lens[i] = lits->length[i];
    }
    hs_compile_error_t *err = NULL;
    hs_error_t rc = hs_compile_lit_multi((const char *const *)lits->bytes, NULL, ids, lens, n,
                                         HS_MODE_BLOCK, NULL, &d->db, &err);
    free(ids);
    free(lens);
    if (rc != HS_SUCCESS) {
        if (err) {
            if (error && error_size > 0) {
                if (err->expression >= 0)
                    snprintf(error, error_size, "vectorscan: literal %d (\"%.*s\"): %s",
                             err->expression,
                             (int)(lits->length[err->expression] > 64
                                       ? 64 : lits->length[err->expression]),
                             (const char *)lits->bytes[err->expression], err->message);
                else
                    snprintf(error, error_size, "vectorscan: %s", err->message);
            }
            hs_free_compile_error(err);
        }
        d->db = NULL;
        return MPM_ERR_BACKEND;
    }
    if (hs_alloc_scratch(d->db, &d->prototype) != HS_SUCCESS) {
        snprintf(error, error_size, "vectorscan: cannot allocate scratch");
        return MPM_ERR_NOMEM;
    }
    return 0;
}

static void vs_destroy(void *data)
{
    vs_data *d = data;
    if (!d)
        return;
    hs_free_scratch(d->prototype);
    hs_free_database(d->db);
    free(d);
}

static int vs_scratch_create(const void *data, void **out)
{
    const vs_data *d = data;
    vs_scratch *s = calloc(1, sizeof *s);
    if (!s)
        return MPM_ERR_NOMEM;
    if (d->prototype && hs_clone_scratch(d->prototype, &s->scratch) != HS_SUCCESS) {
        free(s);
        return MPM_ERR_NOMEM;
    }
    *out = s;
    return 0;
}

static void vs_scratch_destroy(void *scratch)
{
    vs_scratch *s = scratch;
    if (!s)
        return;
    hs_free_scratch(s->scratch);
    free(s);
}

typedef struct vs_match_context {
    const mpm_literals *lits;
    const uint8_t *text;
    size_t length;
    mpm_collector *c;
} vs_match_context;

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
                    unsigned int flags, void *arg)
{
    (void)from;
    (void)flags;
    const vs_match_context *m = arg;
    size_t start = (size_t)to - m->lits->length[id];
    if (mpm_on_boundaries(m->text, m->length, start, (size_t)to))
        mpm_collector_add(m->c, (uint32_t)start, (uint32_t)to, id, m->lits->id_count[id]);
    return m->c->failed; /* non-zero stops the scan */
}

static int vs_search(const void *data, const mpm_literals *lits, void *scratch,
                     const uint8_t *text, size_t length, mpm_collector *c)
{
    const vs_data *d = data;
    vs_scratch *s = scratch;
    if (!d->db || length == 0)
        return 0;
    vs_match_context m = { lits, text, length, c };
    hs_error_t rc = hs_scan(d->db, (const char *)text, (unsigned)length, 0, s->scratch,
                            on_match, &m);
    if (c->failed)
        return MPM_ERR_NOMEM;
    return rc == HS_SUCCESS ? 0 : MPM_ERR_BACKEND;
}

const mpm_ops mpm_ops_vectorscan = {
    .backend = MPM_BACKEND_VECTORSCAN,
    .prepare = vs_prepare,
    .destroy = vs_destroy,
    .scratch_create = vs_scratch_create,
    .scratch_destroy = vs_scratch_destroy,
    .search = vs_search,
    .search_batch = NULL,
};
