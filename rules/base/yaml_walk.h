/* yaml_walk: reading a YAML file (libyaml's document tree) with a check at
 * every step, every mistake reported as file:line:col and the walk going on,
 * so that one run names all of them. Shared by rule packs and campaigns.
 * A large file can be walked piece by piece: yaml_walk_build turns the
 * parser's events for one node into a small document of its own (rule packs
 * read each rule so). A yaml_walk belongs to one thread. */
#ifndef LSCAN_YAML_WALK_H
#define LSCAN_YAML_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "rules/base/diagnostics.h"

typedef struct position {
    int line, column; /* 1-based */
} position;

/* A list of strings with where each was written; owned by its holder. */
typedef struct string_list {
    char **items;
    position *at;
    size_t count;
} string_list;

typedef struct yaml_walk {
    const char *file;            /* for messages */
    yaml_document_t *document;
    diagnostics *diag;
} yaml_walk;

/* Reads a whole file of at most max_bytes into *data (malloc'd, NUL-terminated);
 * 0, or -1 with the reason added to diag. */
int yaml_read_file(const char *path, size_t max_bytes, char **data, size_t *length, diagnostics *diag);
/* Parses YAML text into *document; 0, or -1 with the syntax error (line and
 * column) added to diag. The caller deletes the document (yaml_document_delete). */
int yaml_walk_parse(const char *file, const char *text, size_t length, yaml_document_t *document, diagnostics *diag);

/* Streaming (a rule pack of 100,000 rules is read one rule at a time, not as
 * one document tree). The parser's next events, from `first` (an event that
 * starts a node, taken over by this call), become one node of `document`
 * (created empty by the caller with yaml_document_initialize), with the
 * positions libyaml's loader gives it; *node is its index. Returns 0; -1
 * with the syntax error added to diag; or 1 when the events hold an anchor
 * or an alias, which the caller reads through yaml_walk_parse instead
 * (so that they are refused, or reported, as they always were). */
int yaml_walk_build(const char *file, yaml_parser_t *parser, yaml_event_t *first, yaml_document_t *document, int *node,
                    diagnostics *diag);
/* Skips the rest of the node `first` starts (taken over by this call);
 * *items counts the entries of the sequence or mapping it starts. Returns
 * like yaml_walk_build. */
int yaml_walk_skip(const char *file, yaml_parser_t *parser, yaml_event_t *first, size_t *items, diagnostics *diag);
/* The next event, or -1 with the syntax error added to diag. */
int yaml_walk_next(const char *file, yaml_parser_t *parser, yaml_event_t *event, diagnostics *diag);

position yaml_position(const yaml_node_t *node);
yaml_node_t *yaml_walk_node(yaml_walk *w, int index);
/* The scalar's text, or NULL if the node is not a scalar. */
const char *yaml_scalar(const yaml_node_t *node);
void yaml_walk_error(yaml_walk *w, const yaml_node_t *node, const char *format, ...) __attribute__((format(printf, 3, 4)));

/* Reports "out of memory" at the node: a failed allocation is a mistake
 * like any other, so what was being loaded is refused whole. */
void yaml_walk_out_of_memory(yaml_walk *w, const yaml_node_t *node);

/* Each returns the value, or reports a mistake naming `what` (or that
 * memory ran out). */
char *yaml_walk_string(yaml_walk *w, yaml_node_t *node, const char *what);   /* malloc'd, or NULL */
/* The same from an arena (rules/base/arena.h; NULL: malloc'd): the string is
 * the arena's, never to be freed on its own. */
struct arena;
char *yaml_walk_string_in(yaml_walk *w, struct arena *arena, yaml_node_t *node, const char *what);
bool yaml_walk_bool(yaml_walk *w, yaml_node_t *node, const char *what, bool *out);
bool yaml_walk_number(yaml_walk *w, yaml_node_t *node, const char *what, double *out);
bool yaml_walk_int(yaml_walk *w, yaml_node_t *node, const char *what, int min, int max, int *out);
/* A sequence of non-empty strings (a single string counts as a list of one). */
void yaml_walk_string_list(yaml_walk *w, yaml_node_t *node, const char *what, string_list *out);
/* The same with the strings and both arrays from an arena (NULL: malloc'd); such a
 * list is the arena's: no string_list_free. */
void yaml_walk_string_list_in(yaml_walk *w, struct arena *arena, yaml_node_t *node, const char *what,
                              string_list *out);
void string_list_free(string_list *l);

/* Calls visit for each field of a mapping, reporting duplicate keys; false
 * (and a mistake) if the node is not a mapping. */
typedef void (*yaml_field_visitor)(yaml_walk *w, const char *key, yaml_node_t *key_node, yaml_node_t *value, void *ctx);
bool yaml_walk_fields(yaml_walk *w, yaml_node_t *node, const char *what, yaml_field_visitor visit, void *ctx);
/* The value of a mapping's field, or NULL. */
yaml_node_t *yaml_walk_find(yaml_walk *w, yaml_node_t *mapping, const char *name);

#endif
