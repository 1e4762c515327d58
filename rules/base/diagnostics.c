#include "rules/base/diagnostics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void diagnostics_init(diagnostics *d)
{
    memset(d, 0, sizeof *d);
}

void diagnostics_free(diagnostics *d)
{
    for (size_t i = 0; i < d->count; i++)
        free(d->messages[i]);
    free(d->messages);
    memset(d, 0, sizeof *d);
}

void diagnostics_add(diagnostics *d, const char *file, int line, int column, const char *format, ...)
{
    char message[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    char full[1400];
    if (line > 0)
        snprintf(full, sizeof full, "%s:%d:%d: %s", file, line, column, message);
    else
        snprintf(full, sizeof full, "%s: %s", file, message);
    if (d->count == d->capacity) {
        size_t capacity = d->capacity ? d->capacity * 2 : 16;
        char **grown = realloc(d->messages, capacity * sizeof *grown);
        if (!grown) {
            d->dropped++;
            return;
        }
        d->messages = grown;
        d->capacity = capacity;
    }
    char *copy = strdup(full);
    if (copy)
        d->messages[d->count++] = copy;
    else
        d->dropped++;
}

size_t diagnostics_total(const diagnostics *d)
{
    return d->count + d->dropped;
}
