/* mpm: multi-pattern literal matcher with word-boundary hits.
 *
 * One shared, immutable context holds the compiled literal set; each thread
 * brings its own scratch. The lifecycle follows Vectorscan's: create a
 * context, add literals, prepare (compile, then freeze), create one scratch
 * per thread, search many times, destroy.
 *
 * Two backends give identical results: our own Aho-Corasick DFA (fastest with
 * thousands of names) and Vectorscan's literal mode.
 *
 * Text and literals are byte strings in the normalized alphabet (lowercase
 * ASCII letters and digits separated by single spaces, plus UTF-8 bytes of
 * other scripts), but any bytes work. A hit must sit on word boundaries: the
 * byte before it and the byte after it are not word bytes ([a-z0-9] or
 * >= 0x80), or lie outside the text.
 *
 * Errors are small negative mpm_error codes; mpm_strerror names them. */
#ifndef LSCAN_MPM_H
#define LSCAN_MPM_H

#include <stddef.h>
#include <stdint.h>

typedef enum mpm_backend {
    MPM_BACKEND_AHO_CORASICK = 0,
    MPM_BACKEND_VECTORSCAN = 1
} mpm_backend;

/* Error codes; the numbers never change. */
typedef enum mpm_error {
    MPM_OK = 0,
    MPM_ERR_NOMEM = -1,        /* out of memory */
    MPM_ERR_INVALID = -2,      /* bad argument (NULL, empty or too long literal, ...) */
    MPM_ERR_FROZEN = -3,       /* mpm_add or mpm_prepare after mpm_prepare */
    MPM_ERR_NOT_PREPARED = -4, /* scratch or search before mpm_prepare */
    MPM_ERR_BACKEND = -5,      /* the backend failed (detail in the error message) */
    MPM_ERR_TOO_BIG = -6,      /* text over 4 GiB or too many patterns/states */
    MPM_ERR_SCRATCH = -7       /* scratch was made for another context */
} mpm_error;

/* Longest literal accepted by mpm_add, in bytes. */
#define MPM_MAX_LITERAL 4096

typedef struct mpm_context mpm_context; /* built by one thread, then immutable and shared read-only */
typedef struct mpm_scratch mpm_scratch; /* per thread */

/* One hit: pattern id and the byte range [start, end) in the searched text. */
typedef struct mpm_hit {
    uint32_t id;
    uint32_t start;
    uint32_t end;
} mpm_hit;

/* Creates an empty context for `backend`; *out is owned by the caller
 * (free with mpm_context_destroy). Returns 0 or a negative mpm_error. */
int mpm_context_create(mpm_context **out, mpm_backend backend);

/* Frees the context and everything it owns. NULL is a no-op. No scratch made
 * from it may be used afterwards (destroy those too). */
void mpm_context_destroy(mpm_context *ctx);

/* Adds a literal of `length` bytes (1..MPM_MAX_LITERAL, any bytes) with a
 * caller-chosen id. The bytes are copied. The same literal may be added with
 * several ids; a repeated (literal, id) pair is harmless and reported once.
 * Only before mpm_prepare; not thread-safe. Returns 0 or a negative mpm_error. */
int mpm_add(mpm_context *ctx, const char *literal, size_t length, uint32_t id);

/* Compiles the literals and freezes the context: afterwards it is immutable
 * and may be shared read-only by any number of threads. On failure, a
 * NUL-terminated message is written to error[0..error_size) (error may be
 * NULL) and the context stays unusable. Returns 0 or a negative mpm_error. */
int mpm_prepare(mpm_context *ctx, char *error, size_t error_size);

/* Aho-Corasick only (ignored by other backends): the automaton keeps a full
 * transition row only for its shallowest states, up to `bytes` of table
 * (default MPM_DENSE_TABLE_BYTES); deeper states keep their edges and follow
 * failure links, which is slower per step there but keeps a registry of
 * 100,000 marks in tens of MB. Smaller limits are for tests. Only before
 * mpm_prepare; not thread-safe. Returns 0 or a negative mpm_error. */
#define MPM_DENSE_TABLE_BYTES ((size_t)24 << 20)
int mpm_set_dense_table_limit(mpm_context *ctx, size_t bytes);

/* Before mpm_prepare: the number of literals accepted by mpm_add; after it:
 * the number of distinct (literal, id) pairs. Thread-safe once prepared. */
size_t mpm_pattern_count(const mpm_context *ctx);

/* The backend the context was created with. */
mpm_backend mpm_context_backend(const mpm_context *ctx);

/* Creates search scratch for one thread; needs a prepared context. *out is
 * owned by the caller (mpm_scratch_destroy) and must be used with this
 * context only, by one thread at a time. Returns 0 or a negative mpm_error. */
int mpm_scratch_create(const mpm_context *ctx, mpm_scratch **out);

/* Frees the scratch. NULL is a no-op. */
void mpm_scratch_destroy(mpm_scratch *s);

/* Finds every occurrence of every literal that sits on word boundaries;
 * overlapping hits are all reported, and a literal added with k ids gives k
 * hits. The hits, sorted by (start, end, id), are stored into
 * hits[0..max_hits) (hits may be NULL when max_hits is 0). Returns the number
 * of hits found, which may exceed max_hits: then the first max_hits in that
 * order were stored. Returns -1 on error (text over 4 GiB, foreign scratch,
 * out of memory). Thread-safe with distinct scratch. */
long mpm_search(const mpm_context *ctx, mpm_scratch *s, const char *text,
                size_t length, mpm_hit *hits, size_t max_hits);

/* Searches n texts at once: for each i, hits_out[i][0..max_hits_each) and
 * counts[i] get what mpm_search(texts[i], lengths[i]) would give. The
 * Aho-Corasick backend scans several texts interleaved to hide memory
 * latency; Vectorscan scans them one after another. Returns 0 or a negative
 * mpm_error (then counts are undefined). Thread-safe with distinct scratch. */
int mpm_search_batch(const mpm_context *ctx, mpm_scratch *s,
                     const char *const *texts, const size_t *lengths, size_t n,
                     mpm_hit *const *hits_out, size_t max_hits_each,
                     long *counts);

/* "aho-corasick" or "vectorscan" ("unknown" otherwise); static storage. */
const char *mpm_backend_name(mpm_backend b);

/* A short English description of an mpm_error code; static storage. */
const char *mpm_strerror(int err);

/* ------------------------------------------------------------------------
 * Internal: shared by rules/mpm*.c only. Other modules must not define
 * MPM_INTERNAL nor rely on anything below.
 * ------------------------------------------------------------------------ */
#ifdef MPM_INTERNAL
#include <stdbool.h>
#include <string.h>

#define MPM_LANES 8 /* texts scanned in lockstep by the AC backend */

/* The byte is a word byte: [a-z0-9] or >= 0x80. */
extern const uint8_t mpm_word_byte[256];

/* A hit on a distinct literal, before it is expanded into its ids. */
typedef struct mpm_raw_hit {
    uint32_t start;
    uint32_t end;
    uint32_t lit;
} mpm_raw_hit;

/* Collects raw hits for one text. Keeps at most the `keep` smallest hits in
 * (start, end) order (a raw hit yields at least one mpm_hit, so keep =
 * max_hits is enough) and counts every expanded hit. */
typedef struct mpm_collector {
    mpm_raw_hit *buf;
    size_t n, cap;
    size_t keep;
    uint64_t total;       /* expanded hits found so far */
    bool failed;          /* out of memory */
} mpm_collector;

/* The distinct literals, sorted by bytes, each with its sorted distinct ids. */
typedef struct mpm_literals {
    size_t count;
    const uint8_t **bytes;   /* bytes[i] points into the context's arena */
    uint32_t *length;
    uint32_t *id_offset;     /* ids of literal i: ids[id_offset[i] .. + id_count[i]) */
    uint32_t *id_count;
    uint32_t *ids;
    uint32_t max_length;
    size_t dense_table_bytes;   /* mpm_set_dense_table_limit */
} mpm_literals;

typedef struct mpm_ops {
    mpm_backend backend;
    /* Builds the backend data from the literals (count may be 0). */
    int (*prepare)(const mpm_literals *lits, void **data, char *error, size_t error_size);
    void (*destroy)(void *data);
    int (*scratch_create)(const void *data, void **scratch);
    void (*scratch_destroy)(void *scratch);
    /* Adds the raw hits of one text to c; 0 or a negative mpm_error. */
    int (*search)(const void *data, const mpm_literals *lits, void *scratch,
                  const uint8_t *text, size_t length, mpm_collector *c);
    /* Several texts; calls done(i) when text i is complete and c[lane] has
     * its hits (c has MPM_LANES collectors). NULL: one after another. */
    int (*search_batch)(const void *data, const mpm_literals *lits, void *scratch,
                        const uint8_t *const *texts, const size_t *lengths, size_t n,
                        mpm_collector *c,
                        int (*done)(void *arg, size_t text, mpm_collector *c), void *arg);
} mpm_ops;

extern const mpm_ops mpm_ops_aho_corasick;
extern const mpm_ops mpm_ops_vectorscan;

/* Makes room when the buffer is full (grow, or sort and keep `keep`). */
int mpm_collector_make_room(mpm_collector *c);

/* Records a raw hit whose literal has id_count ids. */
static inline void mpm_collector_add(mpm_collector *c, uint32_t start, uint32_t end,
                                     uint32_t lit, uint32_t id_count)
{
    c->total += id_count;
    if (c->keep == 0)
        return;
    if (c->n == c->cap && mpm_collector_make_room(c) != 0)
        return;
    mpm_raw_hit *h = &c->buf[c->n++];
    h->start = start;
    h->end = end;
    h->lit = lit;
}

/* The range [start, end) of text[0..length) sits on word boundaries. */
static inline bool mpm_on_boundaries(const uint8_t *text, size_t length,
                                     size_t start, size_t end)
{
    return (start == 0 || !mpm_word_byte[text[start - 1]]) &&
           (end == length || !mpm_word_byte[text[end]]);
}
#endif /* MPM_INTERNAL */

#endif
