/* json_arena: cJSON trees built in an arena. A JSON page of 60 listings is
 * a few thousand cJSON nodes and strings; allocating each with malloc and
 * freeing each with cJSON_Delete was a fifth of a scan's CPU. Here every
 * node and string of one parse comes from the caller's arena, and the tree
 * goes away with the arena (arena_reset / arena_free), all at once.
 *
 * How: cJSON's allocation hooks are installed once, before main (a
 * constructor, so before any thread can be inside cJSON). The hooks take
 * memory from the arena set for the calling thread while json_arena_parse
 * runs, and from malloc/free at every other moment, so every other cJSON
 * use in the process (built with cJSON_Create*, freed with cJSON_Delete)
 * behaves as before. */
#ifndef LSCAN_JSON_ARENA_H
#define LSCAN_JSON_ARENA_H

#include <stddef.h>

#include <cJSON.h>

#include "rules/base/arena.h"

/* Parses text[0..length) (one JSON value; trailing bytes are an error, as
 * with cJSON_ParseWithLength) into a tree whose nodes and strings live in
 * `a`. Returns the root, or NULL when the text is not JSON, when out of
 * memory, or when a or text is NULL. The tree belongs to the arena: never
 * cJSON_Delete it or any node of it, never detach its nodes into a tree
 * that outlives the arena, and never free() its strings; it is gone at the
 * next arena_reset or arena_free. Read it like any cJSON tree. Nodes made
 * with cJSON_Create* later are ordinary heap nodes (do not add them to this
 * tree). Thread-safe with distinct arenas (the arena is per call and per
 * thread). */
cJSON *json_arena_parse(arena *a, const char *text, size_t length);
/* The same as cJSON_ParseWithLengthOpts(text, length, end, false): parses
 * the first JSON value and, when end is not NULL, sets *end past it (or, on
 * an error, at the error). */
cJSON *json_arena_parse_opts(arena *a, const char *text, size_t length, const char **end);

#endif
