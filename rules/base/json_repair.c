/* json_repair: see json_repair.h. */
#include "rules/base/json_repair.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Eight bytes at a time: a byte of v is zero / equals c (SWAR). */
#define ONES 0x0101010101010101ull
#define HAS_ZERO(v) (((v) - ONES) & ~(v) & 0x8080808080808080ull)
#define HAS_BYTE(v, c) HAS_ZERO((v) ^ (ONES * (unsigned char)(c)))

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 32;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The code unit of "\uXXXX" at s[0..6), or -1. */
static long escape_unit(const unsigned char *s, size_t available)
{
    if (available < 6 || s[0] != '\\' || s[1] != 'u')
        return -1;
    long v = 0;
    for (int i = 2; i < 6; i++) {
        int h = hex_value(s[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* One pass; with out == NULL it only counts. */
static size_t walk(const unsigned char *p, size_t length, bytebuf *out)
{
    size_t repairs = 0, run = 0;
    bool in_string = false;
#define FLUSH_TO(i) do { if (out) bytebuf_append(out, p + run, (i) - run); } while (0)
    for (size_t i = 0; i < length;) {
        /* skip eight bytes that hold no NUL, no quote and (in a string) no backslash */
        if (i + 8 <= length) {
            uint64_t v;
            memcpy(&v, p + i, 8);
            if (!(HAS_ZERO(v) | HAS_BYTE(v, '"') | (in_string ? HAS_BYTE(v, '\\') : 0))) {
                i += 8;
                continue;
            }
        }
        unsigned char c = p[i];
        if (c == 0) {
            FLUSH_TO(i);
            if (out)
                bytebuf_append(out, in_string ? "\xEF\xBF\xBD" : " ", in_string ? 3 : 1); /* U+FFFD, as UTF-8 */
            repairs++;
            run = ++i;
            continue;
        }
        if (!in_string) {
            in_string = c == '"';
            i++;
            continue;
        }
        if (c == '"') {
            in_string = false;
            i++;
            continue;
        }
        if (c != '\\') {
            i++;
            continue;
        }
        long unit = escape_unit(p + i, length - i);
        if (unit < 0) { /* another escape: skip it whole (a lone backslash is the parser's to refuse), but
                           never a NUL after the backslash: that one is repaired like any other */
            i += i + 1 < length && p[i + 1] != 0 ? 2 : 1;
            continue;
        }
        if (unit >= 0xD800 && unit <= 0xDBFF) {
            long low = escape_unit(p + i + 6, length - i - 6);
            if (low >= 0xDC00 && low <= 0xDFFF) { /* a pair */
                i += 12;
                continue;
            }
        } else if (unit != 0 && !(unit >= 0xDC00 && unit <= 0xDFFF)) {
            i += 6;
            continue;
        }
        /* a lone surrogate, or \u0000: the same six bytes, U+FFFD */
        FLUSH_TO(i);
        if (out)
            bytebuf_append(out, "\\ufffd", 6);
        repairs++;
        i += 6;
        run = i;
    }
    FLUSH_TO(length);
#undef FLUSH_TO
    return repairs;
}

/* Whether walk could find anything: it repairs only NUL bytes and "\u"
 * escapes, and most texts have neither (memchr is much faster than the
 * walk over every string). */
static bool may_need_repair(const char *text, size_t length)
{
    if (memchr(text, 0, length))
        return true;
    const char *end = text + length;
    for (const char *p = text; (p = memchr(p, '\\', (size_t)(end - p))); p++)
        if (p + 1 < end && p[1] == 'u')
            return true;
    return false;
}

size_t json_repair(const char *text, size_t length, bytebuf *out)
{
    if (!text || !length || !may_need_repair(text, length))
        return 0;
    size_t repairs = walk((const unsigned char *)text, length, NULL);
    if (repairs && out) {
        bytebuf_reset(out);
        walk((const unsigned char *)text, length, out);
        bytebuf_append(out, "", 0);
    }
    return repairs;
}
