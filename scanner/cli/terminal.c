#include "scanner/cli/terminal.h"

#include <stdint.h>

/* The code point of the valid UTF-8 sequence s[0..n). */
static uint32_t code_point(const unsigned char *s, size_t n)
{
    switch (n) {
    case 2: return (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
    case 3: return (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
    case 4: return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 | (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
    default: return s[0];
    }
}

/* Invisible format characters: shown as nothing, they could hide or reorder
 * what a reviewer reads, so they are dropped. */
static bool invisible(uint32_t c)
{
    return c == 0x00AD || c == 0x061C || c == 0x180E || (c >= 0x200B && c <= 0x200F) ||
           (c >= 0x2060 && c <= 0x2064) || (c >= 0x206A && c <= 0x206F) || c == 0xFEFF ||
           (c >= 0xFFF9 && c <= 0xFFFB) || (c >= 0xE0000 && c <= 0xE007F);
}

void terminal_safe_append(bytebuf *out, const char *text, size_t length)
{
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < length;) {
        unsigned char c = s[i];
        if (c < 0x80) {
            if (c == '\t' || c == '\n' || c == '\r')
                bytebuf_append_char(out, ' ');
            else if (c < 0x20 || c == 0x7F)
                bytebuf_append_char(out, '?');
            else
                bytebuf_append_char(out, (char)c);
            i++;
            continue;
        }
        size_t n = utf8_sequence_length(s + i, length - i);
        if (!n) {
            bytebuf_append(out, "\xEF\xBF\xBD", 3);
            i++;
            continue;
        }
        uint32_t cp = code_point(s + i, n);
        if (cp < 0xA0) /* C1 controls */
            bytebuf_append_char(out, '?');
        else if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) /* bidi overrides, isolates */
            bytebuf_append_char(out, '?');
        else if (cp == 0x2028 || cp == 0x2029) /* line and paragraph separators: a space, like '\n' */
            bytebuf_append_char(out, ' ');
        else if (!invisible(cp))
            bytebuf_append(out, s + i, n);
        i += n;
    }
}
