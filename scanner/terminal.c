#include "terminal.h"

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
        bool control = (n == 2 && c == 0xC2 && s[i + 1] < 0xA0) ||                          /* C1 */
                       (n == 3 && c == 0xE2 && s[i + 1] == 0x80 && s[i + 2] >= 0xAA && s[i + 2] <= 0xAE) || /* LRE..RLO */
                       (n == 3 && c == 0xE2 && s[i + 1] == 0x81 && s[i + 2] >= 0xA6 && s[i + 2] <= 0xA9);   /* LRI..PDI */
        if (control)
            bytebuf_append_char(out, '?');
        else
            bytebuf_append(out, s + i, n);
        i += n;
    }
}
