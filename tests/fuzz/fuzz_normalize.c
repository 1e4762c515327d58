/* libFuzzer target: normalize_text and normalize_joined on arbitrary bytes,
 * with the invariants of both views checked (tests/fuzz/bodies.h). */
#include "tests/fuzz/bodies.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_normalize_one(n, &main_view, &joined, &reference, data, size);
    return 0;
}
