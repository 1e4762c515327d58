/* libFuzzer target: pack_load_string on arbitrary bytes as a rule pack; a
 * pack that loads is compiled and runs its own tests. */
#include "tests/fuzz/bodies.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_pack_one(data, size);
    return 0;
}
