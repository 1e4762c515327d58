/* libFuzzer target: the spool file reader on arbitrary file contents
 * (tests/fuzz/bodies.h). Each input is written to one file in a private
 * temporary directory, then opened as a spool. */
#include "tests/fuzz/bodies.h"

static char path[4096], dir[4000];

static void clean_up(void)
{
    unlink(path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/lscan-fuzz-spool-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        abort();
    snprintf(path, sizeof path, "%s/spool.bin", dir);
    atexit(clean_up);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_spool_one(path, data, size);
    return 0;
}
