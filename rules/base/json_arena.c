/* cJSON trees in an arena: see json_arena.h. */
#include "rules/base/json_arena.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* ---- numbers ----
 * cJSON reads every number by copying its characters into a buffer of its
 * own, which ends right after them, and calling strtod on that buffer.
 * glibc's strtod took ~550 instructions a number (locale, multi-precision
 * setup), a fifth of a JSON page's parse; a marketplace page's numbers are
 * nearly all integers (ids, prices, counts, timestamps). This strtod,
 * defined in the program, is the one the dynamic linker gives cJSON (and
 * every other caller in the process): it answers a string that is an
 * optional '-' and 1 to 15 decimal digits and nothing after them itself,
 * exactly, since every integer under 2^53 is a double; every other string
 * (a fraction, an exponent, a sign '+', spaces, hex, inf, nan, text after
 * the digits, more digits) goes to the C library's strtod, found once
 * with dlsym(RTLD_NEXT). tests/test_json_arena.c compares the two. */
static double (*libc_strtod)(const char *, char **);
static pthread_once_t libc_strtod_once = PTHREAD_ONCE_INIT;

static void find_libc_strtod(void)
{
    libc_strtod = (double (*)(const char *, char **))dlsym(RTLD_NEXT, "strtod");
}

double strtod(const char *restrict text, char **restrict end)
{
    const char *p = text;
    bool negative = *p == '-';
    p += negative;
    uint64_t value = 0;
    const char *digits = p;
    while ((unsigned)(*p - '0') < 10u && p - digits < 16) {
        value = value * 10 + (uint64_t)(*p - '0');
        p++;
    }
    if (p > digits && p - digits <= 15 && !*p) {
        if (end)
            *end = (char *)p;
        return negative ? -(double)value : (double)value;
    }
    pthread_once(&libc_strtod_once, find_libc_strtod);
    if (!libc_strtod) /* not with a shared C library; strtold's answer rounded again is still the number */
        return (double)strtold(text, end);
    return libc_strtod(text, end);
}

/* The arena of the parse running on this thread, NULL outside
 * json_arena_parse: owned by the thread, so no guard. */
static _Thread_local arena *parse_arena;

static void *hook_malloc(size_t size)
{
    arena *a = parse_arena;
    return a ? arena_alloc(a, size) : malloc(size);
}

/* During a parse cJSON frees only what that parse allocated (a failed
 * parse's partial tree): those pieces die with the arena. */
static void hook_free(void *p)
{
    if (!parse_arena)
        free(p);
}

/* Before main, so before any thread can be inside cJSON: cJSON_InitHooks
 * writes cJSON's global hooks without a lock. */
__attribute__((constructor)) static void install_hooks(void)
{
    cJSON_Hooks hooks = {hook_malloc, hook_free};
    cJSON_InitHooks(&hooks);
}

cJSON *json_arena_parse(arena *a, const char *text, size_t length)
{
    if (!a || !text)
        return NULL;
    parse_arena = a;
    cJSON *root = cJSON_ParseWithLength(text, length);
    parse_arena = NULL;
    return root;
}

cJSON *json_arena_parse_opts(arena *a, const char *text, size_t length, const char **end)
{
    if (end)
        *end = text;
    if (!a || !text)
        return NULL;
    parse_arena = a;
    cJSON *root = cJSON_ParseWithLengthOpts(text, length, end, false);
    parse_arena = NULL;
    return root;
}
