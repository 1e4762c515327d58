/* The layers (README, "Layers"; `make check-layers` enforces them). Every
 * #include is written from the repository root and points down this list,
 * never up:
 *
 *   scanner/cli          the command: the only code that prints
 *   scanner/review, scanner/report, scanner/export
 *   scanner/pipeline     campaign, decide, page handler, scan, run
 *   scanner/record, scanner/extract, scanner/output, scanner/evidence, scanner/cases
 *   workers              crawl runtime: fetch, frontier, checkpoint, counters, Redis, HTTP server
 *   rules                detection core: packs, matcher, engine
 *   rules/text           normalization
 *   rules/base           primitives: this buffer, sets, URL, JSON repair, errors, diagnostics, YAML walk
 *
 * This folder includes nothing of lscan's but itself.
 *
 * bytebuf: a growable byte buffer with a hard maximum.
 *
 * Every buffer fed by untrusted input has a ceiling (design.md, habit 3):
 * an append that would pass `max` fails and sets `overflow`, and later
 * appends keep failing, so a caller checks once at the end. The buffer is
 * always NUL-terminated (the NUL is not counted in `length`).
 * Not thread-safe: a buffer belongs to one thread at a time. */
#ifndef LSCAN_BYTEBUF_H
#define LSCAN_BYTEBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct bytebuf {
    char  *data;      /* owned; NULL until the first append */
    size_t length;
    size_t capacity;
    size_t max;       /* ceiling on length; 0 means SIZE_MAX/2 */
    bool   overflow;  /* an append was refused (too big or out of memory) */
} bytebuf;

/* Initializes an empty buffer that may grow up to `max` bytes (0: no ceiling). */
void bytebuf_init(bytebuf *b, size_t max);
/* Frees the storage; the buffer may be initialized again. */
void bytebuf_free(bytebuf *b);
/* Empties the buffer, keeping its storage and clearing `overflow`. */
void bytebuf_reset(bytebuf *b);
/* Hands the storage to the caller (free() it) and leaves the buffer empty.
 * Returns NULL if nothing was ever appended. */
char *bytebuf_detach(bytebuf *b, size_t *length);

/* Makes room for `extra` more bytes plus a NUL (for writing into data +
 * length directly, then raising length): 0, or -1 (and sets overflow). */
int bytebuf_reserve(bytebuf *b, size_t extra);

/* Appends; each returns 0, or -1 (and sets overflow) when refused.
 * bytebuf_append, _string and _char are inline when the bytes fit in the
 * storage already there (flag JSON makes a million small appends a page);
 * bytebuf_append_grow is their out-of-line rest (growth, refusal). */
int bytebuf_append_grow(bytebuf *b, const void *bytes, size_t length);
static inline int bytebuf_append(bytebuf *b, const void *bytes, size_t length)
{
    /* room for the bytes and the NUL, and under the ceiling (as bytebuf_reserve) */
    if (!b->overflow && length < b->capacity - b->length && length <= b->max - b->length) {
        if (length)
            memcpy(b->data + b->length, bytes, length);
        b->length += length;
        b->data[b->length] = '\0';
        return 0;
    }
    return bytebuf_append_grow(b, bytes, length);
}
static inline int bytebuf_append_string(bytebuf *b, const char *s) { return bytebuf_append(b, s, strlen(s)); }
static inline int bytebuf_append_char(bytebuf *b, char c) { return bytebuf_append(b, &c, 1); }
int bytebuf_printf(bytebuf *b, const char *format, ...) __attribute__((format(printf, 2, 3)));
int bytebuf_append_u64(bytebuf *b, uint64_t value);
int bytebuf_append_i64(bytebuf *b, int64_t value);
/* Appends `value` with `decimals` digits after the point, byte for byte as
 * printf's "%.*f" writes it (prices, ratios, scores in flag JSON): without
 * printf when the value is non-negative and under 1e15 once scaled (and,
 * with decimals, not within a rounding error of a tie); printf otherwise. */
int bytebuf_append_fixed(bytebuf *b, double value, unsigned decimals);
/* What "%.*f" writes for `value`, NUL-terminated in out, and its length,
 * when bytebuf_append_fixed would write it without printf; 0 (out
 * unspecified) when printf must. Pure; thread-safe. */
size_t fixed_point_digits(double value, unsigned decimals, char out[32]);
/* Appends `s` as a JSON string literal (with quotes). Invalid UTF-8 bytes are
 * replaced by U+FFFD so the output is always valid JSON. '<', '>', '&',
 * U+2028 and U+2029 are written as \u escapes, so JSON inlined in a web page
 * can neither close a <script> element nor break a JavaScript string. */
int bytebuf_append_json_string(bytebuf *b, const char *s, size_t length);
/* Appends `s` escaped for HTML text and attribute values (& < > " '). */
int bytebuf_append_html_escaped(bytebuf *b, const char *s, size_t length);

/* Length of the valid UTF-8 sequence at s[0..length), or 0 if invalid. */
size_t utf8_sequence_length(const unsigned char *s, size_t length);
/* The common case of utf8_sequence_length inline, for hot loops over
 * Vietnamese text: 2 for a valid two-byte sequence, 3 for a three-byte one
 * led by E1..EC, EE or EF (E0 and ED have narrower second bytes), 0 for
 * anything else (ask utf8_sequence_length). */
static inline size_t utf8_common_length(const unsigned char *s, size_t length)
{
    if (s[0] >= 0xC2 && s[0] <= 0xDF && length >= 2 && (s[1] & 0xC0) == 0x80)
        return 2;
    if (s[0] >= 0xE1 && s[0] <= 0xEF && s[0] != 0xED && length >= 3 && (s[1] & 0xC0) == 0x80 &&
        (s[2] & 0xC0) == 0x80)
        return 3;
    return 0;
}

#endif
