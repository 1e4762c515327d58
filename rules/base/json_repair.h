/* json_repair: JSON text made safe to parse without losing a whole page to
 * one bad string (docs/campaigns.md, "Bad input").
 *
 * A lone UTF-16 surrogate escape ("\ud800" alone, what a title cut in the
 * middle of an emoji gives) makes a strict parser such as cJSON refuse the
 * whole document, losing every good listing on the page; "\u0000" or a raw
 * NUL byte inside a string silently cuts the string where C reads it, which
 * can make two listing ids equal. json_repair replaces each of them, inside
 * string literals, by U+FFFD (an escape by "\ufffd", six bytes for six; a
 * raw NUL by U+FFFD's three UTF-8 bytes), and a raw NUL byte outside strings
 * by a space; nothing else changes. The repaired text is at most three
 * times as long. Pure; thread-safe. */
#ifndef LSCAN_JSON_REPAIR_H
#define LSCAN_JSON_REPAIR_H

#include <stddef.h>

#include "rules/base/bytebuf.h"

/* Scans `length` bytes of JSON text. Returns the number of repairs needed.
 * When it is above 0 the repaired text is written to `out` (reset first;
 * NUL-terminated); when it is 0, `out` is not touched and the text can be
 * parsed as it is. If `out` overflows, out->overflow is set. */
size_t json_repair(const char *text, size_t length, bytebuf *out);

#endif
