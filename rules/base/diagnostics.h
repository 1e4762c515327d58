/* diagnostics: the list of mistakes found while loading rule packs, each
 * "file:line:col: message". Loading goes on after a mistake so that every
 * one is reported at once (contracts/rules.md, "Errors").
 * Not thread-safe: one loader owns one list. */
#ifndef LSCAN_DIAGNOSTICS_H
#define LSCAN_DIAGNOSTICS_H

#include <stddef.h>

typedef struct diagnostics {
    char **messages;   /* owned */
    size_t count, capacity;
} diagnostics;

void diagnostics_init(diagnostics *d);
void diagnostics_free(diagnostics *d);
/* Adds "file:line:col: message" (line and col are 1-based; 0 omits them). */
void diagnostics_add(diagnostics *d, const char *file, int line, int column, const char *format, ...)
    __attribute__((format(printf, 5, 6)));

#endif
