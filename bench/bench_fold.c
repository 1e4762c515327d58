/* bench-fold: text normalization speed on real Vietnamese text.
 *
 * Input: every line of $LSCAN_SHARED/corpus/vn-text-normalizer-testdata/ (*.txt)
 * and of vn-memoryzone-products/memoryzone.jsonl (LSCAN_SHARED defaults to
 * ../shared), each line normalized as one text, as a worker does per field.
 * Reports MB/s of input (CPU time of this thread) for:
 *   fold       normalize_text (the table-driven fast path, with offsets)
 *   portable   normalize_text_portable (the same without its SSE4.1 path)
 *   joined     normalize_joined on top of normalize_text
 *   reference  normalize_text_reference (utf8proc_map per code point)
 *   utf8proc   plain utf8proc_map on each whole line, same flags, no offsets
 *   memcpy     copying the same bytes (memory bandwidth reference)
 * The kinds are measured in interleaved rounds (every kind once per round),
 * so that load from other processes on a shared machine falls on all of
 * them alike; each figure is the median over the rounds, and
 * ratio_fold_vs_utf8proc is the median of the per-round ratios, with their
 * range. `--json` prints one JSON object instead of the table; `--rounds N`
 * (default 7). Runs in about 5 s. */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <utf8proc.h>

#include "rules/text/normalize.h"

typedef struct {
    char *data;           /* all lines, back to back */
    size_t length;
    size_t *starts;       /* lines + 1 entries */
    size_t lines, cap;
} corpus;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this thread: time spent descheduled by other processes does
 * not count (their load on a shared core still does). */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int load_file(corpus *c, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "bench-fold: cannot open %s (set LSCAN_SHARED)\n", path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        if ((size_t)len > NORMALIZE_MAX_INPUT)
            continue;
        char *d = realloc(c->data, c->length + (size_t)len);
        size_t *s = c->lines + 2 > c->cap ? realloc(c->starts, (c->cap = c->cap * 2 + 1024) * sizeof *s)
                                          : c->starts;
        if (!d || !s) {
            free(line);
            fclose(f);
            fprintf(stderr, "bench-fold: out of memory\n");
            return -1;
        }
        c->data = d;
        c->starts = s;
        memcpy(c->data + c->length, line, (size_t)len);
        c->starts[c->lines++] = c->length;
        c->length += (size_t)len;
        c->starts[c->lines] = c->length;
    }
    free(line);
    fclose(f);
    return 0;
}

static int load_corpus(corpus *c)
{
    const char *dir = getenv("LSCAN_SHARED");
    if (!dir || !*dir)
        dir = "../shared";
    char pattern[4096];
    snprintf(pattern, sizeof pattern, "%s/corpus/vn-text-normalizer-testdata/*.txt", dir);
    glob_t g;
    if (glob(pattern, 0, NULL, &g) != 0) {
        fprintf(stderr, "bench-fold: corpus missing: %s (set LSCAN_SHARED)\n", pattern);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < g.gl_pathc && rc == 0; i++)
        rc = load_file(c, g.gl_pathv[i]);
    globfree(&g);
    snprintf(pattern, sizeof pattern, "%s/corpus/vn-memoryzone-products/memoryzone.jsonl", dir);
    return rc ? rc : load_file(c, pattern);
}

typedef enum { RUN_FOLD, RUN_PORTABLE, RUN_JOINED, RUN_REFERENCE, RUN_UTF8PROC, RUN_MEMCPY, RUN_KINDS } run_kind;

/* Runs one kind over the whole corpus, repeated for at least min_seconds
 * of CPU time; returns MB/s (10^6 bytes of input per CPU second), or -1 on
 * error. */
static double measure(run_kind kind, const corpus *c, const normalizer *n, double min_seconds)
{
    normalized_text t, j;
    normalized_text_init(&t);
    normalized_text_init(&j);
    char *copy = kind == RUN_MEMCPY ? malloc(c->length) : NULL;
    size_t bytes = 0, sink = 0;
    double start = cpu_now(), elapsed = 0;
    int failed = kind == RUN_MEMCPY && !copy;
    while (!failed && elapsed < min_seconds) {
        if (kind == RUN_MEMCPY) {
            memcpy(copy, c->data, c->length);
            sink += (unsigned char)copy[bytes % c->length];
        }
        for (size_t i = 0; kind != RUN_MEMCPY && i < c->lines && !failed; i++) {
            const char *s = c->data + c->starts[i];
            size_t len = c->starts[i + 1] - c->starts[i];
            if (kind == RUN_FOLD) {
                failed = normalize_text(n, s, len, &t, NULL) != 0;
            } else if (kind == RUN_PORTABLE) {
                failed = normalize_text_portable(n, s, len, &t, NULL) != 0;
            } else if (kind == RUN_JOINED) {
                failed = normalize_text(n, s, len, &t, NULL) != 0 || normalize_joined(&t, &j) != 0;
            } else if (kind == RUN_REFERENCE) {
                failed = normalize_text_reference(s, len, &t, NULL) != 0;
            } else {
                utf8proc_uint8_t *mapped = NULL;
                utf8proc_ssize_t m = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &mapped,
                                                  UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD |
                                                      UTF8PROC_STRIPMARK | UTF8PROC_IGNORE);
                /* lines with invalid UTF-8 are refused by utf8proc: still counted */
                sink += m > 0 ? (size_t)m : 0;
                free(mapped);
            }
            sink += t.length;
        }
        bytes += c->length;
        elapsed = cpu_now() - start;
    }
    free(copy);
    normalized_text_free(&t);
    normalized_text_free(&j);
    if (failed)
        return -1;
    if (sink == 1)   /* keeps the work observable */
        fputc(' ', stderr);
    return (double)bytes / 1e6 / elapsed;
}

#define MAX_ROUNDS 51

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(const double *v, int count)
{
    double sorted[MAX_ROUNDS];
    memcpy(sorted, v, (size_t)count * sizeof *v);
    qsort(sorted, (size_t)count, sizeof *sorted, compare_double);
    return count % 2 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2;
}

int main(int argc, char **argv)
{
    int json = 0, rounds = 7;
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[a], "--rounds") == 0 && a + 1 < argc) {
            char *end;
            long v = strtol(argv[++a], &end, 10);
            if (*end || v < 1 || v > MAX_ROUNDS) {
                fprintf(stderr, "bench-fold: --rounds takes 1..%d\n", MAX_ROUNDS);
                return 2;
            }
            rounds = (int)v;
        } else {
            fprintf(stderr, "usage: bench-fold [--json] [--rounds N]\n");
            return 2;
        }
    }
    corpus c = {0};
    if (load_corpus(&c) != 0 || c.length == 0) {
        free(c.data);
        free(c.starts);
        return 1;
    }
    char error[256];
    normalizer *n = NULL;
    double t0 = now();
    if (normalizer_create(&n, error, sizeof error) != 0) {
        fprintf(stderr, "bench-fold: %s\n", error);
        free(c.data);
        free(c.starts);
        return 1;
    }
    double create_ms = (now() - t0) * 1e3;

    measure(RUN_FOLD, &c, n, 0.05);   /* warm the tables and buffers */
    /* per round: fold and portable 0.15 s each, the others one pass or more */
    static const double min_seconds[RUN_KINDS] = {0.15, 0.15, 0.1, 0.05, 0.05, 0.05};
    double mbps[RUN_KINDS][MAX_ROUNDS], ratio[MAX_ROUNDS], port_ratio[MAX_ROUNDS];
    int rc = 0;
    for (int r = 0; r < rounds && rc == 0; r++) {
        for (int k = 0; k < RUN_KINDS && rc == 0; k++) {
            mbps[k][r] = measure((run_kind)k, &c, n, min_seconds[k]);
            rc = mbps[k][r] > 0 ? 0 : 1;
        }
        if (rc == 0) {
            ratio[r] = mbps[RUN_FOLD][r] / mbps[RUN_UTF8PROC][r];
            port_ratio[r] = mbps[RUN_PORTABLE][r] / mbps[RUN_UTF8PROC][r];
        }
    }
    if (rc != 0) {
        fprintf(stderr, "bench-fold: a run failed\n");
        normalizer_destroy(n);
        free(c.data);
        free(c.starts);
        return 1;
    }
    double med[RUN_KINDS];
    for (int k = 0; k < RUN_KINDS; k++)
        med[k] = median(mbps[k], rounds);
    double ratio_lo = ratio[0], ratio_hi = ratio[0];
    for (int r = 1; r < rounds; r++) {
        ratio_lo = ratio[r] < ratio_lo ? ratio[r] : ratio_lo;
        ratio_hi = ratio[r] > ratio_hi ? ratio[r] : ratio_hi;
    }
    double ratio_med = median(ratio, rounds), port_med = median(port_ratio, rounds);

    if (json) {
        printf("{\"bench\":\"fold\",\"input_bytes\":%zu,\"lines\":%zu,\"rounds\":%d,\"create_ms\":%.1f,"
               "\"fold_mbps\":%.1f,\"portable_mbps\":%.1f,\"joined_mbps\":%.1f,\"reference_mbps\":%.1f,"
               "\"utf8proc_map_mbps\":%.1f,\"memcpy_mbps\":%.1f,"
               "\"ratio_fold_vs_utf8proc\":%.2f,\"ratio_fold_vs_utf8proc_min\":%.2f,"
               "\"ratio_fold_vs_utf8proc_max\":%.2f,\"ratio_portable_vs_utf8proc\":%.2f,"
               "\"ratio_fold_vs_reference\":%.2f}\n",
               c.length, c.lines, rounds, create_ms, med[RUN_FOLD], med[RUN_PORTABLE], med[RUN_JOINED],
               med[RUN_REFERENCE], med[RUN_UTF8PROC], med[RUN_MEMCPY], ratio_med, ratio_lo, ratio_hi, port_med,
               med[RUN_FOLD] / med[RUN_REFERENCE]);
    } else {
        printf("corpus: %zu bytes in %zu lines; normalizer_create %.1f ms; medians of %d interleaved rounds, "
               "MB per CPU second\n", c.length, c.lines, create_ms, rounds);
        printf("%-38s %10.1f MB/s\n", "fold (normalize_text)", med[RUN_FOLD]);
        printf("%-38s %10.1f MB/s\n", "portable (normalize_text_portable)", med[RUN_PORTABLE]);
        printf("%-38s %10.1f MB/s\n", "fold + joined view", med[RUN_JOINED]);
        printf("%-38s %10.1f MB/s\n", "reference (utf8proc per code point)", med[RUN_REFERENCE]);
        printf("%-38s %10.1f MB/s\n", "utf8proc_map per line, no offsets", med[RUN_UTF8PROC]);
        printf("%-38s %10.1f MB/s\n", "memcpy", med[RUN_MEMCPY]);
        printf("ratio_fold_vs_utf8proc %.2f [%.2f-%.2f], ratio_portable_vs_utf8proc %.2f, "
               "ratio_fold_vs_reference %.2f\n", ratio_med, ratio_lo, ratio_hi, port_med,
               med[RUN_FOLD] / med[RUN_REFERENCE]);
    }
    normalizer_destroy(n);
    free(c.data);
    free(c.starts);
    return rc;
}
