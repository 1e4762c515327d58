/* bench-fold: text normalization speed on real Vietnamese text.
 *
 * Input: every line of $LSCAN_SHARED/corpus/vn-text-normalizer-testdata/ (*.txt)
 * and of vn-memoryzone-products/memoryzone.jsonl (LSCAN_SHARED defaults to
 * ../shared), each line normalized as one text, as a worker does per field.
 * Reports MB/s of input for:
 *   fold       normalize_text (the table-driven fast path, with offsets)
 *   joined     normalize_joined on top of it
 *   reference  normalize_text_reference (utf8proc_map per code point)
 *   utf8proc   plain utf8proc_map on each whole line, same flags, no offsets
 *   memcpy     copying the same bytes (memory bandwidth reference)
 * and ratio_fold_vs_utf8proc = fold / utf8proc. `--json` prints one JSON
 * object instead of the table. Runs in about 3 s. */
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

typedef enum { RUN_FOLD, RUN_JOINED, RUN_REFERENCE, RUN_UTF8PROC, RUN_MEMCPY } run_kind;

/* Runs one kind over the whole corpus, repeated for at least min_seconds;
 * returns MB/s (10^6 bytes of input per second), or -1 on error. */
static double measure(run_kind kind, const corpus *c, const normalizer *n, double min_seconds)
{
    normalized_text t, j;
    normalized_text_init(&t);
    normalized_text_init(&j);
    char *copy = kind == RUN_MEMCPY ? malloc(c->length) : NULL;
    size_t bytes = 0, sink = 0;
    double start = now(), elapsed = 0;
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
        elapsed = now() - start;
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

int main(int argc, char **argv)
{
    int json = argc > 1 && strcmp(argv[1], "--json") == 0;
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
    double fold = measure(RUN_FOLD, &c, n, 0.6);
    double joined = measure(RUN_JOINED, &c, n, 0.5);
    double reference = measure(RUN_REFERENCE, &c, n, 0.5);
    double utf8proc = measure(RUN_UTF8PROC, &c, n, 0.5);
    double copy = measure(RUN_MEMCPY, &c, n, 0.3);
    int rc = fold > 0 && joined > 0 && reference > 0 && utf8proc > 0 && copy > 0 ? 0 : 1;

    if (json) {
        printf("{\"bench\":\"fold\",\"input_bytes\":%zu,\"lines\":%zu,\"create_ms\":%.1f,"
               "\"fold_mbps\":%.1f,\"joined_mbps\":%.1f,\"reference_mbps\":%.1f,"
               "\"utf8proc_map_mbps\":%.1f,\"memcpy_mbps\":%.1f,"
               "\"ratio_fold_vs_utf8proc\":%.2f,\"ratio_fold_vs_reference\":%.2f}\n",
               c.length, c.lines, create_ms, fold, joined, reference, utf8proc, copy,
               fold / utf8proc, fold / reference);
    } else {
        printf("corpus: %zu bytes in %zu lines; normalizer_create %.1f ms\n", c.length, c.lines, create_ms);
        printf("%-34s %10.1f MB/s\n", "fold (normalize_text)", fold);
        printf("%-34s %10.1f MB/s\n", "fold + joined view", joined);
        printf("%-34s %10.1f MB/s\n", "reference (utf8proc per code point)", reference);
        printf("%-34s %10.1f MB/s\n", "utf8proc_map per line, no offsets", utf8proc);
        printf("%-34s %10.1f MB/s\n", "memcpy", copy);
        printf("ratio_fold_vs_utf8proc %.2f, ratio_fold_vs_reference %.2f\n", fold / utf8proc,
               fold / reference);
    }
    normalizer_destroy(n);
    free(c.data);
    free(c.starts);
    return rc;
}
