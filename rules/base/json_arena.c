/* cJSON trees in an arena: see json_arena.h. */
#include "rules/base/json_arena.h"

#include <stdbool.h>
#include <stdlib.h>

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
