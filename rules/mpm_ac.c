/* mpm backend: our own Aho-Corasick automaton, resolved into a dense DFA.
 *
 * Alphabet. Bytes that occur in some literal get a class each; all other
 * bytes fall into one "other word byte" or one "other non-word byte" class.
 * With normalized text that is about 40 classes, so a row of the table is
 * about 160 bytes.
 *
 * Word boundaries in the automaton. A hit must start where the previous byte
 * is not a word byte. The automaton only ever follows literals that began at
 * such a position: its state is the longest suffix of the text read so far
 * that starts on a boundary and is a prefix of some literal. Two roots
 * express "nothing matched": ROOT_B (the previous byte was a non-word byte,
 * or we are at the start; a literal may begin) and ROOT_W (we are inside a
 * word; none may). Mid-word the DFA idles in ROOT_W, so hot states stay few
 * and the only check left at a hit is the byte after it.
 *
 * Construction: the sorted literals make a trie in one pass (each literal
 * shares its prefix with the previous one), states are renumbered breadth
 * first (0 = ROOT_W, 1 = ROOT_B, then by depth) so the hot shallow states
 * share cache lines, then goto and failure are resolved row by row into the
 * table. Failure of the child of u on byte class c is delta(fail(u), c); for
 * children of ROOT_B it is ROOT_B after a non-word byte, ROOT_W otherwise.
 *
 * Dense and sparse states. A full row per state costs classes x 4 bytes; at
 * a national registry's size (100,000 marks, about 600,000 states) that is
 * about 90 MB, and a reload holds two. So only the first states in
 * breadth-first order, the shallow ones the text visits most, get a row, up
 * to DENSE_TABLE_BYTES; deeper states keep just their trie edges and their
 * failure link, and a step from one follows failure links until an edge or a
 * dense row answers (failure states are shallower, so this ends). Automata
 * that fit the budget (every shipped pack) are all dense, and their scan
 * loop has no sparse branch at all.
 *
 * A state reference is the state's row offset (state x row width) for a
 * dense state and sparse_base + its sparse index for a sparse one, with the
 * top bit set when that state has outputs. Outputs are (offset, count) per
 * state into one array of literal indices: the state's own literal, then the
 * outputs of its failure state (states without a literal share those).
 *
 * Search interleaves MPM_LANES independent scans (several texts in a batch,
 * or segments of one long text) so that the table loads of one lane overlap
 * with the others'. */
#define MPM_INTERNAL
#include "rules/mpm.h"

#include <stdio.h>
#include <stdlib.h>

#define ROOT_W 0u
#define ROOT_B 1u
#define HAS_OUTPUT 0x80000000u
#define STATE_MASK 0x7fffffffu
#define UNSET UINT32_MAX

/* A single text at least this long is split into lanes. */
#define SPLIT_MIN_BYTES 4096

typedef struct ac_data {
    uint8_t byte_class[256];
    uint32_t classes;          /* row width */
    uint32_t states;
    uint32_t dense;            /* states 0..dense-1 have a row */
    uint32_t sparse_base;      /* dense * classes: references at or above are sparse */
    uint32_t *table;           /* dense * classes references */
    uint32_t *sparse_edge;     /* per sparse state + 1: offset of its first edge */
    uint32_t *sparse_fail;     /* per sparse state: failure state's reference (no output bit) */
    uint8_t *edge_class;       /* per edge */
    uint32_t *edge_target;     /* per edge: reference */
    uint32_t *out_offset;      /* per state */
    uint32_t *out_count;       /* per state */
    uint32_t *outputs;         /* literal indices */
    uint32_t max_length;
} ac_data;

static void ac_destroy(void *data)
{
    ac_data *a = data;
    if (!a)
        return;
    free(a->table);
    free(a->sparse_edge);
    free(a->sparse_fail);
    free(a->edge_class);
    free(a->edge_target);
    free(a->out_offset);
    free(a->out_count);
    free(a->outputs);
    free(a);
}

/* Classes: the non-word and word bytes absent from every literal get one
 * class each (if there are any), then each byte that occurs gets its own. */
static void build_classes(ac_data *a, const mpm_literals *lits, bool *class_is_word)
{
    bool used[256] = { false };
    for (size_t i = 0; i < lits->count; i++)
        for (uint32_t j = 0; j < lits->length[i]; j++)
            used[lits->bytes[i][j]] = true;
    bool other_nonword = false, other_word = false;
    for (int b = 0; b < 256; b++) {
        if (!used[b]) {
            if (mpm_word_byte[b])
                other_word = true;
            else
                other_nonword = true;
        }
    }
    uint32_t n = 0;
    uint32_t nonword_class = 0, word_class = 0;
    if (other_nonword) {
        class_is_word[n] = false;
        nonword_class = n++;
    }
    if (other_word) {
        class_is_word[n] = true;
        word_class = n++;
    }
    for (int b = 0; b < 256; b++) {
        if (used[b]) {
            class_is_word[n] = mpm_word_byte[b];
            a->byte_class[b] = (uint8_t)n++;
        } else {
            a->byte_class[b] = (uint8_t)(mpm_word_byte[b] ? word_class : nonword_class);
        }
    }
    a->classes = n;
}

typedef struct trie {
    size_t nodes;
    uint32_t *parent;
    uint32_t *depth;
    uint8_t *in_class;   /* class of the edge from the parent */
    uint32_t *literal;   /* literal ending here, or UNSET */
} trie;

static void trie_free(trie *t)
{
    free(t->parent);
    free(t->depth);
    free(t->in_class);
    free(t->literal);
}

/* Node 0 is the root (ROOT_B); nodes come in depth-first order. */
static int trie_build(trie *t, const ac_data *a, const mpm_literals *lits)
{
    size_t max_nodes = 1;
    for (size_t i = 0; i < lits->count; i++)
        max_nodes += lits->length[i];
    if (max_nodes >= STATE_MASK)
        return MPM_ERR_TOO_BIG;
    t->parent = malloc(max_nodes * sizeof *t->parent);
    t->depth = malloc(max_nodes * sizeof *t->depth);
    t->in_class = malloc(max_nodes * sizeof *t->in_class);
    t->literal = malloc(max_nodes * sizeof *t->literal);
    uint32_t *path = malloc(((size_t)lits->max_length + 1) * sizeof *path);
    if (!t->parent || !t->depth || !t->in_class || !t->literal || !path) {
        free(path);
        return MPM_ERR_NOMEM;
    }
    t->parent[0] = 0;
    t->depth[0] = 0;
    t->in_class[0] = 0;
    t->literal[0] = UNSET;
    path[0] = 0;
    size_t n = 1;
    for (size_t i = 0; i < lits->count; i++) {
        const uint8_t *s = lits->bytes[i];
        uint32_t len = lits->length[i];
        uint32_t shared = 0;
        if (i > 0) {
            const uint8_t *p = lits->bytes[i - 1];
            uint32_t plen = lits->length[i - 1];
            while (shared < len && shared < plen && s[shared] == p[shared])
                shared++;
        }
        for (uint32_t d = shared; d < len; d++) {
            t->parent[n] = path[d];
            t->depth[n] = d + 1;
            t->in_class[n] = a->byte_class[s[d]];
            t->literal[n] = UNSET;
            path[d + 1] = (uint32_t)n++;
        }
        /* Literals are distinct and sorted, so no other literal ends here. */
        t->literal[path[len]] = (uint32_t)i;
    }
    t->nodes = n;
    free(path);
    return 0;
}

/* The state `v` reaches on class c, as a raw state number, during
 * construction: rows of dense states are final (table holds raw numbers
 * until the end) and failure links of sparse states are set, because both
 * are shallower than the state being resolved. */
static uint32_t build_delta(const ac_data *a, const uint32_t *fail, uint32_t v, uint32_t c)
{
    while (v >= a->dense) {
        uint32_t k = v - a->dense;
        for (uint32_t e = a->sparse_edge[k]; e < a->sparse_edge[k + 1]; e++)
            if (a->edge_class[e] == c)
                return a->edge_target[e];
        v = fail[v];
    }
    return a->table[(size_t)v * a->classes + c];
}

static uint32_t reference(const ac_data *a, uint32_t v)
{
    return v < a->dense ? v * a->classes : a->sparse_base + (v - a->dense);
}

static int ac_build(ac_data *a, const mpm_literals *lits, char *error, size_t error_size)
{
    bool class_is_word[256];
    build_classes(a, lits, class_is_word);
    a->max_length = lits->max_length;

    trie t = { 0 };
    uint32_t *state_of = NULL, *by_depth = NULL, *fail = NULL;
    int rc = trie_build(&t, a, lits);
    if (rc != 0)
        goto done;

    /* Breadth-first numbering: counting sort of the nodes by depth, stable,
     * so states of one depth keep the literals' byte order. */
    size_t states = t.nodes + 1;
    uint32_t C = a->classes;
    size_t dense = lits->dense_table_bytes / ((size_t)C * sizeof *a->table);
    if (dense < 2)
        dense = 2;
    if (dense > states)
        dense = states;
    if (dense * C + (states - dense) > STATE_MASK) {
        snprintf(error, error_size, "aho-corasick: %zu states x %u classes is too big", states, C);
        rc = MPM_ERR_TOO_BIG;
        goto done;
    }
    size_t sparse = states - dense;
    a->states = (uint32_t)states;
    a->dense = (uint32_t)dense;
    a->sparse_base = (uint32_t)(dense * C);
    state_of = malloc(t.nodes * sizeof *state_of);
    by_depth = calloc((size_t)a->max_length + 2, sizeof *by_depth);
    fail = malloc(states * sizeof *fail);
    a->table = malloc(dense * C * sizeof *a->table);
    a->sparse_edge = calloc(sparse + 1, sizeof *a->sparse_edge);
    a->sparse_fail = malloc((sparse ? sparse : 1) * sizeof *a->sparse_fail);
    a->edge_class = malloc(states * sizeof *a->edge_class);   /* at most one edge per state */
    a->edge_target = malloc(states * sizeof *a->edge_target);
    a->out_offset = malloc(states * sizeof *a->out_offset);
    a->out_count = malloc(states * sizeof *a->out_count);
    if (!state_of || !by_depth || !fail || !a->table || !a->sparse_edge || !a->sparse_fail || !a->edge_class ||
        !a->edge_target || !a->out_offset || !a->out_count) {
        rc = MPM_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < t.nodes; i++)
        by_depth[t.depth[i] + 1]++;
    for (uint32_t d = 1; d <= a->max_length + 1; d++)
        by_depth[d] += by_depth[d - 1];
    for (size_t i = 0; i < t.nodes; i++)
        state_of[i] = 1 + by_depth[t.depth[i]]++; /* root -> 1 == ROOT_B */

    /* Goto edges: into the rows of dense parents, into per-state edge lists
     * (counting sort by parent) for sparse ones. */
    for (size_t i = 0; i < dense * C; i++)
        a->table[i] = UNSET;
    uint32_t *literal_of = fail; /* borrow: literal of each state, until fail is filled */
    for (size_t i = 0; i < states; i++)
        literal_of[i] = UNSET;
    for (size_t i = 1; i < t.nodes; i++) {
        uint32_t parent = state_of[t.parent[i]];
        if (parent >= dense)
            a->sparse_edge[parent - dense + 1]++;
    }
    for (size_t k = 0; k < sparse; k++)
        a->sparse_edge[k + 1] += a->sparse_edge[k];
    uint32_t *fill = malloc((sparse ? sparse : 1) * sizeof *fill); /* next edge slot per sparse state */
    if (!fill) {
        rc = MPM_ERR_NOMEM;
        goto done;
    }
    for (size_t k = 0; k < sparse; k++)
        fill[k] = a->sparse_edge[k];
    for (size_t i = 0; i < t.nodes; i++) {
        literal_of[state_of[i]] = t.literal[i];
        if (i == 0)
            continue;
        uint32_t parent = state_of[t.parent[i]];
        if (parent < dense) {
            a->table[(size_t)parent * C + t.in_class[i]] = state_of[i];
        } else {
            uint32_t e = fill[parent - dense]++;
            a->edge_class[e] = t.in_class[i];
            a->edge_target[e] = state_of[i];
        }
    }
    free(fill);
    /* Outputs need literal_of; keep it in out_offset until used below. */
    for (size_t i = 0; i < states; i++)
        a->out_offset[i] = literal_of[i];

    size_t total_outputs = 0, output_capacity = 0;
    a->outputs = NULL;
    for (uint32_t c = 0; c < C; c++) {
        uint32_t after = class_is_word[c] ? ROOT_W : ROOT_B;
        a->table[(size_t)ROOT_W * C + c] = after;
        uint32_t *e = &a->table[(size_t)ROOT_B * C + c];
        if (*e == UNSET)
            *e = after;
        else
            fail[*e] = after;
    }
    fail[ROOT_W] = ROOT_W;
    fail[ROOT_B] = ROOT_B;
    for (uint32_t u = 0; u < states; u++) {
        if (u > ROOT_B && u < dense) {
            uint32_t f = fail[u];
            uint32_t *row = &a->table[(size_t)u * C];
            for (uint32_t c = 0; c < C; c++) {
                if (row[c] == UNSET)
                    row[c] = build_delta(a, fail, f, c);
                else
                    fail[row[c]] = build_delta(a, fail, f, c);
            }
        } else if (u >= dense) {
            uint32_t k = u - dense;
            for (uint32_t e = a->sparse_edge[k]; e < a->sparse_edge[k + 1]; e++)
                fail[a->edge_target[e]] = build_delta(a, fail, fail[u], a->edge_class[e]);
        }
        /* Outputs: own literal first, then the failure state's (already
         * final, being shallower). */
        uint32_t own = a->out_offset[u];
        uint32_t f = fail[u];
        if (u <= ROOT_B) {
            a->out_offset[u] = 0;
            a->out_count[u] = 0;
        } else if (own == UNSET) {
            a->out_offset[u] = a->out_offset[f];
            a->out_count[u] = a->out_count[f];
        } else {
            size_t need = total_outputs + 1 + a->out_count[f];
            if (need > UINT32_MAX) {
                rc = MPM_ERR_TOO_BIG;
                goto done;
            }
            if (need > output_capacity) {
                size_t cap = output_capacity ? output_capacity : 1024;
                while (cap < need)
                    cap *= 2;
                uint32_t *o = realloc(a->outputs, cap * sizeof *o);
                if (!o) {
                    rc = MPM_ERR_NOMEM;
                    goto done;
                }
                a->outputs = o;
                output_capacity = cap;
            }
            uint32_t off = (uint32_t)total_outputs;
            a->outputs[total_outputs++] = own;
            for (uint32_t k = 0; k < a->out_count[f]; k++)
                a->outputs[total_outputs++] = a->outputs[a->out_offset[f] + k];
            a->out_offset[u] = off;
            a->out_count[u] = 1 + a->out_count[f];
        }
    }
    if (!a->outputs && !(a->outputs = malloc(sizeof *a->outputs))) {
        rc = MPM_ERR_NOMEM;
        goto done;
    }
    /* Raw state numbers become references, flagged when the state has outputs. */
    for (size_t i = 0; i < dense * C; i++) {
        uint32_t v = a->table[i];
        a->table[i] = reference(a, v) | (a->out_count[v] ? HAS_OUTPUT : 0);
    }
    size_t edges = a->sparse_edge[sparse];
    for (size_t e = 0; e < edges; e++) {
        uint32_t v = a->edge_target[e];
        a->edge_target[e] = reference(a, v) | (a->out_count[v] ? HAS_OUTPUT : 0);
    }
    for (size_t k = 0; k < sparse; k++)
        a->sparse_fail[k] = reference(a, fail[dense + k]);
    /* The edge arrays were sized for the worst case; give the rest back. */
    if (edges < states) {
        uint8_t *ec = realloc(a->edge_class, (edges ? edges : 1) * sizeof *ec);
        if (ec)
            a->edge_class = ec;
        uint32_t *et = realloc(a->edge_target, (edges ? edges : 1) * sizeof *et);
        if (et)
            a->edge_target = et;
    }
    rc = 0;
done:
    trie_free(&t);
    free(state_of);
    free(by_depth);
    free(fail);
    return rc;
}

static int ac_prepare(const mpm_literals *lits, void **out, char *error, size_t error_size)
{
    ac_data *a = calloc(1, sizeof *a);
    if (!a)
        return MPM_ERR_NOMEM;
    int rc = ac_build(a, lits, error, error_size);
    if (rc != 0) {
        ac_destroy(a);
        return rc;
    }
    *out = a;
    return 0;
}

static int ac_scratch_create(const void *data, void **out)
{
    (void)data;
    *out = NULL; /* everything per-thread lives in mpm_scratch's collectors */
    return 0;
}

static void ac_scratch_destroy(void *scratch)
{
    (void)scratch;
}

/* ---- scanning ---- */

/* One scan in progress: text[pos..stop) remains; hits ending at or before
 * emit_after belong to the previous segment and are dropped. */
typedef struct lane {
    const uint8_t *text;
    size_t pos, stop, length, emit_after;
    uint32_t state;
    size_t index;           /* which text (batch) */
    mpm_collector *c;
} lane;

/* Reports the outputs of `state` for a hit ending at `end` (exclusive). */
static __attribute__((noinline)) void emit(const ac_data *a, const mpm_literals *lits,
                                           const lane *l, uint32_t state, size_t end)
{
    if (end <= l->emit_after)
        return;
    if (end < l->length && mpm_word_byte[l->text[end]])
        return;
    uint32_t s = state < a->sparse_base ? state / a->classes : a->dense + (state - a->sparse_base);
    const uint32_t *o = a->outputs + a->out_offset[s];
    for (uint32_t k = 0; k < a->out_count[s]; k++) {
        uint32_t lit = o[k];
        mpm_collector_add(l->c, (uint32_t)(end - lits->length[lit]), (uint32_t)end, lit,
                          lits->id_count[lit]);
    }
}

/* Starting state at text[from]: after a word byte no literal may begin. */
static uint32_t start_state(const ac_data *a, const uint8_t *text, size_t from)
{
    return (from > 0 && mpm_word_byte[text[from - 1]] ? ROOT_W : ROOT_B) * a->classes;
}

/* A step from a sparse state: its edges, else its failure state's, down
 * to a dense row. */
static __attribute__((noinline)) uint32_t sparse_step(const ac_data *a, uint32_t s, uint32_t c)
{
    do {
        uint32_t k = s - a->sparse_base;
        for (uint32_t e = a->sparse_edge[k]; e < a->sparse_edge[k + 1]; e++)
            if (a->edge_class[e] == c)
                return a->edge_target[e];
        s = a->sparse_fail[k];
    } while (s >= a->sparse_base);
    return a->table[s + c];
}

/* One step; `sparse` is a constant in each instantiation below, so an
 * all-dense automaton's loop is the plain table walk. */
static inline __attribute__((always_inline)) uint32_t step(const ac_data *a, bool sparse, uint32_t s, uint32_t c)
{
    if (!sparse || __builtin_expect(s < a->sparse_base, 1))
        return a->table[s + c];
    return sparse_step(a, s, c);
}

static inline __attribute__((always_inline)) void scan_lane_generic(const ac_data *a, bool sparse,
                                                                    const mpm_literals *lits, lane *l, size_t steps)
{
    const uint8_t *cls = a->byte_class;
    const uint8_t *t = l->text;
    uint32_t s = l->state;
    size_t end = l->pos + steps;
    for (size_t i = l->pos; i < end; i++) {
        uint32_t e = step(a, sparse, s, cls[t[i]]);
        s = e & STATE_MASK;
        if (__builtin_expect(e & HAS_OUTPUT, 0))
            emit(a, lits, l, s, i + 1);
    }
    l->state = s;
    l->pos = end;
}

/* Advances all MPM_LANES lanes by `steps` bytes in lockstep. */
static inline __attribute__((always_inline)) void scan_lockstep_generic(const ac_data *a, bool sparse,
                                                                        const mpm_literals *lits, lane *lanes,
                                                                        size_t steps)
{
    const uint8_t *cls = a->byte_class;
    uint32_t s[MPM_LANES];
    const uint8_t *p[MPM_LANES];
    for (int k = 0; k < MPM_LANES; k++) {
        s[k] = lanes[k].state;
        p[k] = lanes[k].text + lanes[k].pos;
    }
    for (size_t i = 0; i < steps; i++) {
#pragma GCC unroll 8
        for (int k = 0; k < MPM_LANES; k++) {
            uint32_t e = step(a, sparse, s[k], cls[p[k][i]]);
            s[k] = e & STATE_MASK;
            if (__builtin_expect(e & HAS_OUTPUT, 0))
                emit(a, lits, &lanes[k], s[k], lanes[k].pos + i + 1);
        }
    }
    for (int k = 0; k < MPM_LANES; k++) {
        lanes[k].state = s[k];
        lanes[k].pos += steps;
    }
}

static void scan_lane(const ac_data *a, const mpm_literals *lits, lane *l, size_t steps)
{
    if (a->dense == a->states)
        scan_lane_generic(a, false, lits, l, steps);
    else
        scan_lane_generic(a, true, lits, l, steps);
}

static void scan_lockstep(const ac_data *a, const mpm_literals *lits, lane *lanes, size_t steps)
{
    if (a->dense == a->states)
        scan_lockstep_generic(a, false, lits, lanes, steps);
    else
        scan_lockstep_generic(a, true, lits, lanes, steps);
}

/* Runs lanes until all are done: when fewer than MPM_LANES are active the
 * rest run one at a time. next() refills a finished lane (returns false when
 * there is no more work); finished() is told about each finished lane. */
typedef struct lane_source {
    bool (*next)(struct lane_source *src, lane *l);
    int (*finished)(struct lane_source *src, lane *l);
} lane_source;

static int run_lanes(const ac_data *a, const mpm_literals *lits, lane *lanes,
                     size_t active, lane_source *src)
{
    while (active > 0) {
        if (active == MPM_LANES) {
            size_t m = SIZE_MAX;
            for (size_t k = 0; k < active; k++)
                if (lanes[k].stop - lanes[k].pos < m)
                    m = lanes[k].stop - lanes[k].pos;
            scan_lockstep(a, lits, lanes, m);
        } else {
            for (size_t k = 0; k < active; k++)
                scan_lane(a, lits, &lanes[k], lanes[k].stop - lanes[k].pos);
        }
        for (size_t k = 0; k < active;) {
            if (lanes[k].pos < lanes[k].stop) {
                k++;
                continue;
            }
            int rc = src->finished(src, &lanes[k]);
            if (rc != 0)
                return rc;
            if (!src->next(src, &lanes[k])) {
                mpm_collector *c = lanes[k].c;
                lanes[k] = lanes[--active];
                lanes[active].c = c; /* park the collector with the dead slot */
            }
        }
    }
    return 0;
}

/* ---- one text ---- */

typedef struct segment_source {
    lane_source base;
    mpm_collector *c;
} segment_source;

static bool segment_next(lane_source *src, lane *l)
{
    (void)src;
    (void)l;
    return false;
}

static int segment_finished(lane_source *src, lane *l)
{
    (void)l;
    return ((segment_source *)src)->c->failed ? MPM_ERR_NOMEM : 0;
}

static int ac_search(const void *data, const mpm_literals *lits, void *scratch,
                     const uint8_t *text, size_t length, mpm_collector *c)
{
    (void)scratch;
    const ac_data *a = data;
    lane lanes[MPM_LANES];
    size_t warm = a->max_length;
    if (length < SPLIT_MIN_BYTES || length / MPM_LANES < 4 * warm) {
        lanes[0] = (lane){ text, 0, length, length, 0, ROOT_B * a->classes, 0, c };
        scan_lane(a, lits, &lanes[0], length);
        return c->failed ? MPM_ERR_NOMEM : 0;
    }
    /* Split into MPM_LANES segments; each starts max_length bytes early so
     * that its state is right at the segment start, and drops the hits
     * that end in the warm-up, which belong to the previous segment. */
    size_t seg = length / MPM_LANES;
    for (size_t k = 0; k < MPM_LANES; k++) {
        size_t from = k * seg;
        size_t stop = k + 1 == MPM_LANES ? length : from + seg;
        size_t begin = from > warm ? from - warm : 0;
        lanes[k] = (lane){ text, begin, stop, length, from, start_state(a, text, begin), 0, c };
    }
    segment_source src = { { segment_next, segment_finished }, c };
    return run_lanes(a, lits, lanes, MPM_LANES, &src.base);
}

/* ---- several texts ---- */

typedef struct batch_source {
    lane_source base;
    const uint8_t *const *texts;
    const size_t *lengths;
    size_t n, next;
    uint32_t root;
    int (*done)(void *arg, size_t text, mpm_collector *c);
    void *arg;
} batch_source;

static bool batch_next(lane_source *src, lane *l)
{
    batch_source *b = (batch_source *)src;
    if (b->next == b->n)
        return false;
    size_t i = b->next++;
    *l = (lane){ b->texts[i], 0, b->lengths[i], b->lengths[i], 0, b->root, i, l->c };
    return true;
}

static int batch_finished(lane_source *src, lane *l)
{
    batch_source *b = (batch_source *)src;
    return b->done(b->arg, l->index, l->c);
}

static int ac_search_batch(const void *data, const mpm_literals *lits, void *scratch,
                           const uint8_t *const *texts, const size_t *lengths, size_t n,
                           mpm_collector *c,
                           int (*done)(void *arg, size_t text, mpm_collector *c), void *arg)
{
    (void)scratch;
    const ac_data *a = data;
    batch_source b = { { batch_next, batch_finished }, texts, lengths, n, 0,
                       ROOT_B * a->classes, done, arg };
    lane lanes[MPM_LANES];
    size_t active = 0;
    for (size_t k = 0; k < MPM_LANES; k++) {
        lanes[k].c = &c[k];
        if (active == k && batch_next(&b.base, &lanes[k]))
            active++;
    }
    return run_lanes(a, lits, lanes, active, &b.base);
}

const mpm_ops mpm_ops_aho_corasick = {
    .backend = MPM_BACKEND_AHO_CORASICK,
    .prepare = ac_prepare,
    .destroy = ac_destroy,
    .scratch_create = ac_scratch_create,
    .scratch_destroy = ac_scratch_destroy,
    .search = ac_search,
    .search_batch = ac_search_batch,
};
