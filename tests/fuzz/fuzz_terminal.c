/* libFuzzer target: terminal_safe_append and json_repair on arbitrary bytes
 * (tests/fuzz/bodies.h). */
#include "tests/fuzz/bodies.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_terminal_one(data, size);
    return 0;
}
