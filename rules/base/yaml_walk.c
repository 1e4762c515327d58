/* Shared YAML walking: see yaml_walk.h. */
#include "rules/base/yaml_walk.h"
#include "rules/base/string_set.h"
#include "rules/base/arena.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static void parser_error(const char *file, const yaml_parser_t *parser, diagnostics *diag);

int yaml_read_file(const char *path, size_t max_bytes, char **data, size_t *length, diagnostics *diag)
{
    *data = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        diagnostics_add(diag, path, 0, 0, "cannot open: %s", strerror(errno));
        return -1;
    }
    /* the buffer fits the file (a pack of 2 KB does not cost max_bytes) */
    struct stat st;
    size_t expected = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 ? (size_t)st.st_size : 0;
    if (expected > max_bytes) {
        fclose(f);
        diagnostics_add(diag, path, 0, 0, "larger than %zu bytes", max_bytes);
        return -1;
    }
    size_t capacity = expected + 1, n = 0;
    char *buffer = malloc(capacity + 1);
    bool error = false;
    while (buffer) {
        n += fread(buffer + n, 1, capacity - n, f);
        if (ferror(f)) {
            error = true;
            break;
        }
        if (n < capacity || n > max_bytes)
            break; /* the end (or too much: the check below) */
        size_t bigger = capacity * 2 > max_bytes + 1 ? max_bytes + 1 : capacity * 2;
        char *grown = realloc(buffer, bigger + 1);
        if (!grown) {
            free(buffer);
            buffer = NULL;
            break;
        }
        buffer = grown;
        capacity = bigger;
    }
    fclose(f);
    if (!buffer || error) {
        diagnostics_add(diag, path, 0, 0, "cannot read: %s", buffer ? strerror(errno) : "out of memory");
        free(buffer);
        return -1;
    }
    if (n > max_bytes) {
        diagnostics_add(diag, path, 0, 0, "larger than %zu bytes", max_bytes);
        free(buffer);
        return -1;
    }
    buffer[n] = '\0';
    *data = buffer;
    *length = n;
    return 0;
}

/* Aliases (*name) are refused: a document whose nodes are shared by
 * aliases is small to load but exponential to walk (a 574-byte "billion
 * laughs" pack), and packs and campaigns have no need of them. libyaml
 * resolves an alias to the anchored node's index, so a node reached twice
 * is an alias; one pass over the tree, with a mark per node. */
static int refuse_aliases(const char *file, yaml_document_t *document, diagnostics *diag)
{
    size_t nodes = (size_t)(document->nodes.top - document->nodes.start);
    if (nodes == 0)
        return 0;
    unsigned char *seen = calloc(nodes + 1, 1);
    int *stack = malloc((nodes + 1) * sizeof *stack);
    int rc = 0;
    if (!seen || !stack) {
        diagnostics_add(diag, file, 0, 0, "out of memory");
        rc = -1;
        goto done;
    }
    size_t depth = 0;
    stack[depth++] = 1; /* the root */
    seen[1] = 1;
    while (depth && rc == 0) {
        yaml_node_t *node = yaml_document_get_node(document, stack[--depth]);
        if (!node)
            continue;
        int children[2];
        yaml_node_item_t *items = NULL, *items_end = NULL;
        yaml_node_pair_t *pairs = NULL, *pairs_end = NULL;
        if (node->type == YAML_SEQUENCE_NODE) {
            items = node->data.sequence.items.start;
            items_end = node->data.sequence.items.top;
        } else if (node->type == YAML_MAPPING_NODE) {
            pairs = node->data.mapping.pairs.start;
            pairs_end = node->data.mapping.pairs.top;
        }
        for (; (items && items < items_end) || (pairs && pairs < pairs_end);) {
            int count = 0;
            if (items)
                children[count++] = *items++;
            else {
                children[count++] = pairs->key;
                children[count++] = pairs->value;
                pairs++;
            }
            for (int i = 0; i < count; i++) {
                int child = children[i];
                if (child < 1 || (size_t)child > nodes)
                    continue;
                if (seen[child]) {
                    yaml_node_t *shared = yaml_document_get_node(document, child);
                    position p = yaml_position(node);
                    diagnostics_add(diag, file, p.line, p.column,
                                    "YAML aliases (*name) are not allowed here: an entry here refers to the node at "
                                    "line %d; write the value out",
                                    shared ? (int)shared->start_mark.line + 1 : 0);
                    rc = -1;
                    break;
                }
                seen[child] = 1;
                if (depth <= nodes)
                    stack[depth++] = child;
            }
            if (rc)
                break;
        }
    }
done:
    free(seen);
    free(stack);
    return rc;
}

int yaml_walk_parse(const char *file, const char *text, size_t length, yaml_document_t *document, diagnostics *diag)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        diagnostics_add(diag, file, 0, 0, "cannot start the YAML parser");
        return -1;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, length);
    int rc = 0;
    if (!yaml_parser_load(&parser, document)) {
        parser_error(file, &parser, diag);
        rc = -1;
    }
    yaml_parser_delete(&parser);
    if (rc == 0 && refuse_aliases(file, document, diag) < 0) {
        yaml_document_delete(document);
        rc = -1;
    }
    return rc;
}

static void parser_error(const char *file, const yaml_parser_t *parser, diagnostics *diag)
{
    diagnostics_add(diag, file, (int)parser->problem_mark.line + 1, (int)parser->problem_mark.column + 1,
                    "YAML: %s%s%s", parser->problem ? parser->problem : "syntax error", parser->context ? " " : "",
                    parser->context ? parser->context : "");
}

int yaml_walk_next(const char *file, yaml_parser_t *parser, yaml_event_t *event, diagnostics *diag)
{
    if (yaml_parser_parse(parser, event))
        return 0;
    parser_error(file, parser, diag);
    return -1;
}

static bool anchored(const yaml_event_t *e)
{
    return e->type == YAML_ALIAS_EVENT || (e->type == YAML_SCALAR_EVENT && e->data.scalar.anchor) ||
           (e->type == YAML_SEQUENCE_START_EVENT && e->data.sequence_start.anchor) ||
           (e->type == YAML_MAPPING_START_EVENT && e->data.mapping_start.anchor);
}

/* The tag libyaml's loader keeps: none or "!" is the default one. */
static const yaml_char_t *kept_tag(const yaml_char_t *tag)
{
    return tag && strcmp((const char *)tag, "!") ? tag : NULL;
}

int yaml_walk_build(const char *file, yaml_parser_t *parser, yaml_event_t *first, yaml_document_t *document, int *node,
                    diagnostics *diag)
{
    /* open collections, innermost last; a mapping's key waiting for its value */
    int *open = NULL, *key = NULL;
    size_t depth = 0, capacity = 0;
    int rc = 0;
    yaml_event_t e = *first;
    *node = 0;
    for (bool have = true;; have = false) {
        if (!have && yaml_walk_next(file, parser, &e, diag) < 0) {
            rc = -1;
            break;
        }
        if (anchored(&e)) {
            yaml_event_delete(&e);
            rc = 1;
            break;
        }
        int id = 0;
        if (e.type == YAML_SCALAR_EVENT)
            id = yaml_document_add_scalar(document, kept_tag(e.data.scalar.tag), e.data.scalar.value,
                                          (int)e.data.scalar.length, e.data.scalar.style);
        else if (e.type == YAML_SEQUENCE_START_EVENT)
            id = yaml_document_add_sequence(document, kept_tag(e.data.sequence_start.tag), e.data.sequence_start.style);
        else if (e.type == YAML_MAPPING_START_EVENT)
            id = yaml_document_add_mapping(document, kept_tag(e.data.mapping_start.tag), e.data.mapping_start.style);
        if (e.type == YAML_SEQUENCE_END_EVENT || e.type == YAML_MAPPING_END_EVENT) {
            if (depth)
                yaml_document_get_node(document, open[--depth])->end_mark = e.end_mark;
        } else if (!id) {
            diagnostics_add(diag, file, (int)e.start_mark.line + 1, (int)e.start_mark.column + 1,
                            e.type == YAML_SCALAR_EVENT || e.type == YAML_SEQUENCE_START_EVENT ||
                                    e.type == YAML_MAPPING_START_EVENT
                                ? "out of memory"
                                : "YAML: unexpected event");
            yaml_event_delete(&e);
            rc = -1;
            break;
        } else {
            yaml_node_t *n = yaml_document_get_node(document, id);
            n->start_mark = e.start_mark;
            n->end_mark = e.end_mark;
            bool attached = true;
            if (!depth) {
                *node = id;
            } else if (yaml_document_get_node(document, open[depth - 1])->type == YAML_SEQUENCE_NODE) {
                attached = yaml_document_append_sequence_item(document, open[depth - 1], id);
            } else if (!key[depth - 1]) {
                key[depth - 1] = id;
            } else {
                attached = yaml_document_append_mapping_pair(document, open[depth - 1], key[depth - 1], id);
                key[depth - 1] = 0;
            }
            if (attached && e.type != YAML_SCALAR_EVENT) {
                if (depth == capacity) {
                    size_t bigger = capacity ? capacity * 2 : 16;
                    int *o = realloc(open, bigger * sizeof *o), *k = o ? realloc(key, bigger * sizeof *k) : NULL;
                    if (o)
                        open = o;
                    if (k)
                        key = k;
                    if (!o || !k)
                        attached = false;
                    else
                        capacity = bigger;
                }
                if (attached) {
                    open[depth] = id;
                    key[depth++] = 0;
                }
            }
            if (!attached) {
                diagnostics_add(diag, file, (int)e.start_mark.line + 1, (int)e.start_mark.column + 1, "out of memory");
                yaml_event_delete(&e);
                rc = -1;
                break;
            }
        }
        yaml_event_delete(&e);
        if (!depth)
            break; /* the node is whole */
    }
    free(open);
    free(key);
    return rc;
}

int yaml_walk_skip(const char *file, yaml_parser_t *parser, yaml_event_t *first, size_t *items, diagnostics *diag)
{
    size_t depth = 0, keys = 0;
    bool mapping = first->type == YAML_MAPPING_START_EVENT;
    int rc = 0;
    yaml_event_t e = *first;
    *items = 0;
    for (bool have = true;; have = false) {
        if (!have && yaml_walk_next(file, parser, &e, diag) < 0)
            return -1;
        if (anchored(&e)) {
            rc = 1;
        } else if (e.type == YAML_SEQUENCE_END_EVENT || e.type == YAML_MAPPING_END_EVENT) {
            depth--;
        } else {
            if (depth == 1)
                keys++; /* an entry of the node, or a key or a value of it */
            if (e.type != YAML_SCALAR_EVENT)
                depth++;
        }
        yaml_event_delete(&e);
        if (!depth || rc)
            break;
    }
    *items = mapping ? keys / 2 : keys;
    return rc;
}

void yaml_walk_error(yaml_walk *w, const yaml_node_t *node, const char *format, ...)
{
    char message[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    position p = yaml_position(node);
    diagnostics_add(w->diag, w->file, p.line, p.column, "%s", message);
}

position yaml_position(const yaml_node_t *node)
{
    position p = {(int)node->start_mark.line + 1, (int)node->start_mark.column + 1};
    return p;
}

#define yaml_walk_error(ld, node, ...) diagnostics_add((ld)->diag, (ld)->file, yaml_position(node).line, yaml_position(node).column, __VA_ARGS__)

yaml_node_t *yaml_walk_node(yaml_walk *ld, int index)
{
    return yaml_document_get_node(ld->document, index);
}

const char *yaml_scalar(const yaml_node_t *node)
{
    return node && node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value : NULL;
}

void yaml_walk_out_of_memory(yaml_walk *ld, const yaml_node_t *node)
{
    yaml_walk_error(ld, node, "out of memory");
}

static void *walk_calloc(arena *a, size_t count, size_t size)
{
    return a ? arena_calloc(a, count, size) : calloc(count, size);
}

static char *walk_strdup(arena *a, const char *s)
{
    return a ? arena_strdup(a, s) : strdup(s);
}

char *yaml_walk_string_in(yaml_walk *ld, arena *a, yaml_node_t *node, const char *what)
{
    const char *s = yaml_scalar(node);
    if (!s) {
        yaml_walk_error(ld, node, "%s must be a string", what);
        return NULL;
    }
    char *copy = walk_strdup(a, s);
    if (!copy)
        yaml_walk_out_of_memory(ld, node);
    return copy;
}

char *yaml_walk_string(yaml_walk *ld, yaml_node_t *node, const char *what)
{
    return yaml_walk_string_in(ld, NULL, node, what);
}

bool yaml_walk_bool(yaml_walk *ld, yaml_node_t *node, const char *what, bool *out)
{
    const char *s = yaml_scalar(node);
    if (s && (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on"))) {
        *out = true;
        return true;
    }
    if (s && (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "off"))) {
        *out = false;
        return true;
    }
    yaml_walk_error(ld, node, "%s must be true or false", what);
    return false;
}

bool yaml_walk_number(yaml_walk *ld, yaml_node_t *node, const char *what, double *out)
{
    const char *s = yaml_scalar(node);
    if (s && *s) {
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (!errno && !*end && isfinite(v)) {
            *out = v;
            return true;
        }
    }
    yaml_walk_error(ld, node, "%s must be a number", what);
    return false;
}

bool yaml_walk_int(yaml_walk *ld, yaml_node_t *node, const char *what, int min, int max, int *out)
{
    double v;
    if (!yaml_walk_number(ld, node, what, &v))
        return false;
    if (v != floor(v) || v < min || v > max) {
        yaml_walk_error(ld, node, "%s must be a whole number from %d to %d", what, min, max);
        return false;
    }
    *out = (int)v;
    return true;
}

/* A sequence of strings (a single string is accepted as a list of one). */
void yaml_walk_string_list(yaml_walk *ld, yaml_node_t *node, const char *what, string_list *out)
{
    yaml_walk_string_list_in(ld, NULL, node, what, out);
}

void yaml_walk_string_list_in(yaml_walk *ld, arena *a, yaml_node_t *node, const char *what, string_list *out)
{
    if (node->type == YAML_SCALAR_NODE) {
        out->items = walk_calloc(a, 1, sizeof *out->items);
        out->at = walk_calloc(a, 1, sizeof *out->at);
        if (out->items && out->at && (out->items[0] = walk_strdup(a, yaml_scalar(node)))) {
            out->at[0] = yaml_position(node);
            out->count = 1;
        } else {
            yaml_walk_out_of_memory(ld, node);
        }
        return;
    }
    if (node->type != YAML_SEQUENCE_NODE) {
        yaml_walk_error(ld, node, "%s must be a list of strings", what);
        return;
    }
    size_t n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    out->items = walk_calloc(a, n ? n : 1, sizeof *out->items);
    out->at = walk_calloc(a, n ? n : 1, sizeof *out->at);
    if (!out->items || !out->at) {
        yaml_walk_out_of_memory(ld, node);
        return;
    }
    for (yaml_node_item_t *item = node->data.sequence.items.start; item < node->data.sequence.items.top; item++) {
        yaml_node_t *child = yaml_walk_node(ld, *item);
        const char *s = yaml_scalar(child);
        if (!s) {
            yaml_walk_error(ld, child, "each entry of %s must be a string", what);
            continue;
        }
        if (!*s) {
            yaml_walk_error(ld, child, "empty string in %s", what);
            continue;
        }
        if (!(out->items[out->count] = walk_strdup(a, s))) {
            yaml_walk_out_of_memory(ld, child);
            continue;
        }
        out->at[out->count] = yaml_position(child);
        out->count++;
    }
}

void string_list_free(string_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i]);
    free(l->items);
    free(l->at);
    memset(l, 0, sizeof *l);
}

/* Calls `visit` for each key of a mapping, reporting duplicate keys. */

bool yaml_walk_fields(yaml_walk *ld, yaml_node_t *node, const char *what, yaml_field_visitor visit, void *ctx)
{
    if (node->type != YAML_MAPPING_NODE) {
        yaml_walk_error(ld, node, "%s must be a mapping of fields", what);
        return false;
    }
    /* duplicates through a hash set: linear in the number of keys (a pack
     * of 160,000 keys once took 73 s to check) */
    string_set keys;
    string_set_init(&keys);
    for (yaml_node_pair_t *pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; pair++) {
        yaml_node_t *key = yaml_walk_node(ld, pair->key);
        const char *name = yaml_scalar(key);
        if (!name) {
            yaml_walk_error(ld, key, "field names must be strings");
            continue;
        }
        long first = string_set_add(&keys, name, 0);
        if (first == -2) {
            yaml_walk_out_of_memory(ld, key);
            break;
        }
        if (first >= 0) {
            yaml_walk_error(ld, key, "duplicate field '%s'", name);
            continue;
        }
        visit(ld, name, key, yaml_walk_node(ld, pair->value), ctx);
    }
    string_set_free(&keys);
    return true;
}

yaml_node_t *yaml_walk_find(yaml_walk *ld, yaml_node_t *mapping, const char *name)
{
    for (yaml_node_pair_t *pair = mapping->data.mapping.pairs.start; pair < mapping->data.mapping.pairs.top; pair++) {
        const char *k = yaml_scalar(yaml_walk_node(ld, pair->key));
        if (k && !strcmp(k, name))
            return yaml_walk_node(ld, pair->value);
    }
    return NULL;
}

