/* diagnostics: the list of mistakes found while loading rule packs, each
 * "file:line:col: message". Loading goes on after a mistake so that every
 * one is reported at once (contracts/rules.md, "Errors").
 * Not thread-safe: one loader owns one list. */
#ifndef LSCAN_DIAGNOSTICS_H
#define LSCAN_DIAGNOSTICS_H

#include <stddef.h>

typedef struct diagnostics {
    char **messages;   /* owned; count of them */
    size_t count, capacity;
    size_t dropped;    /* mistakes that could not be stored (out of memory): they still count */
} diagnostics;

void diagnostics_init(diagnostics *d);
void diagnostics_free(diagnostics *d);
/* Adds "file:line:col: message" (line and col are 1-based; 0 omits them).
 * When memory runs out the mistake is still counted (in `dropped`), so a
 * loader that checks diagnostics_total never takes a failure for success. */
void diagnostics_add(diagnostics *d, const char *file, int line, int column, const char *format, ...)
    __attribute__((format(printf, 5, 6)));

/* Every mistake added: described (count) and not (dropped). */
size_t diagnostics_total(const diagnostics *d);

#endif
