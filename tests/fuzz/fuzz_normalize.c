/* libFuzzer target: normalize_text and normalize_joined on arbitrary bytes,
 * checking the documented invariants of both views (normalize.h): the output
 * is bounded by the input, NUL-free, valid UTF-8, single-spaced with no
 * leading or trailing space, and every output byte's source range lies inside
 * the input, is non-empty and does not go backwards. Small inputs are also
 * checked against normalize_text_reference (the utf8proc oracle). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytebuf.h"
#include "normalize.h"

/* utf8proc's largest expansion of one code point is U+FDFA: 3 bytes in, 33
 * bytes out; every other byte becomes at most one separator. */
#define EXPANSION 11

static normalizer *n;
static normalized_text main_view, joined, reference;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    char error[256];
    if (normalizer_create(&n, error, sizeof error) != 0) {
        fprintf(stderr, "fuzz_normalize: %s\n", error);
        abort();
    }
    normalized_text_init(&main_view);
    normalized_text_init(&joined);
    normalized_text_init(&reference);
    return 0;
}

static void check_view(const char *what, const normalized_text *t, size_t input_length, size_t bound)
{
    if (t->length > bound) {
        fprintf(stderr, "%s: %zu bytes out of %zu in (bound %zu)\n", what, t->length, input_length, bound);
        abort();
    }
    if (t->length == 0)
        return;
    if (t->text[t->length] != '\0' || memchr(t->text, 0, t->length)) {
        fprintf(stderr, "%s: not NUL-terminated, or a NUL inside\n", what);
        abort();
    }
    if (t->text[0] == ' ' || t->text[t->length - 1] == ' ' || strstr(t->text, "  ")) {
        fprintf(stderr, "%s: leading, trailing or double space\n", what);
        abort();
    }
    for (size_t i = 0; i < t->length;) {
        size_t k = utf8_sequence_length((const unsigned char *)t->text + i, t->length - i);
        if (k == 0) {
            fprintf(stderr, "%s: invalid UTF-8 at output byte %zu\n", what, i);
            abort();
        }
        i += k;
    }
    for (size_t i = 0; i < t->length; i++) {
        uint32_t s = t->source_start[i], e = t->source_end[i];
        if (!(s < e) || e > input_length) {
            fprintf(stderr, "%s: output byte %zu maps to [%u,%u) of %zu input bytes\n", what, i, s, e,
                    input_length);
            abort();
        }
        if (i > 0 && s < t->source_start[i - 1]) {
            fprintf(stderr, "%s: output byte %zu starts at %u, before byte %zu at %u\n", what, i, s, i - 1,
                    t->source_start[i - 1]);
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *input = (const char *)data;
    size_t invalid = 0;
    if (normalize_text(n, input, size, &main_view, &invalid) != 0) {
        if (size <= NORMALIZE_MAX_INPUT) {
            fprintf(stderr, "normalize_text failed on %zu bytes\n", size);
            abort();
        }
        return 0;
    }
    if (invalid > size)
        abort();
    check_view("main", &main_view, size, size * EXPANSION);
    if (normalize_joined(&main_view, &joined) != 0) {
        fprintf(stderr, "normalize_joined failed\n");
        abort();
    }
    check_view("joined", &joined, size, main_view.length);

    if (size <= 256) {
        size_t ref_invalid = 0;
        if (normalize_text_reference(input, size, &reference, &ref_invalid) != 0)
            abort();
        if (reference.length != main_view.length || ref_invalid != invalid ||
            memcmp(reference.text, main_view.text, main_view.length) != 0 ||
            memcmp(reference.source_start, main_view.source_start, main_view.length * sizeof(uint32_t)) != 0 ||
            memcmp(reference.source_end, main_view.source_end, main_view.length * sizeof(uint32_t)) != 0) {
            fprintf(stderr, "normalize_text differs from normalize_text_reference:\n  fast: %s\n  ref:  %s\n",
                    main_view.text ? main_view.text : "", reference.text ? reference.text : "");
            abort();
        }
    }
    return 0;
}
