/* terminal: text from sellers made safe to print on a terminal. */
#ifndef LSCAN_TERMINAL_H
#define LSCAN_TERMINAL_H

#include <stdbool.h>
#include <stddef.h>

#include "bytebuf.h"

/* Appends `text` without control characters (C0, DEL, C1, ANSI escape
 * sequences, bidirectional overrides): each is replaced by '?' ('\t' and
 * '\n' become spaces), and invalid UTF-8 by U+FFFD. */
void terminal_safe_append(bytebuf *out, const char *text, size_t length);

#endif
