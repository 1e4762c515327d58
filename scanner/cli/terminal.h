/* terminal: text from sellers made safe to print on a terminal. */
#ifndef LSCAN_TERMINAL_H
#define LSCAN_TERMINAL_H

#include <stdbool.h>
#include <stddef.h>

#include "rules/base/bytebuf.h"

/* Appends `text` without control characters: C0, DEL, C1 (so no ANSI escape
 * sequence survives) and bidirectional overrides and isolates each become
 * '?'; '\t', '\n', '\r', U+2028 and U+2029 become spaces; invisible format
 * characters (zero-width spaces and joiners, LRM, RLM, ALM, word joiners,
 * BOM, soft hyphen, TAG characters) are dropped; invalid UTF-8 becomes
 * U+FFFD. Thread-safe. */
void terminal_safe_append(bytebuf *out, const char *text, size_t length);

#endif
