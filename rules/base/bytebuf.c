#include "rules/base/bytebuf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

void bytebuf_init(bytebuf *b, size_t max)
{
    b->data = NULL;
    b->length = 0;
    b->capacity = 0;
    b->max = max ? max : SIZE_MAX / 2;
    b->overflow = false;
}

void bytebuf_free(bytebuf *b)
{
    free(b->data);
    b->data = NULL;
    b->length = b->capacity = 0;
    b->overflow = false;
}

void bytebuf_reset(bytebuf *b)
{
    b->length = 0;
    b->overflow = false;
    if (b->data)
        b->data[0] = '\0';
}

char *bytebuf_detach(bytebuf *b, size_t *length)
{
    char *data = b->data;
    if (length)
        *length = b->length;
    b->data = NULL;
    b->length = b->capacity = 0;
    return data;
}

int bytebuf_reserve(bytebuf *b, size_t extra)
{
    if (b->overflow)
        return -1;
    if (extra > b->max - b->length) {
        b->overflow = true;
        return -1;
    }
    size_t need = b->length + extra + 1;
    if (need <= b->capacity)
        return 0;
    size_t capacity = b->capacity ? b->capacity : 256;
    while (capacity < need)
        capacity *= 2;
    char *data = realloc(b->data, capacity);
    if (!data) {
        b->overflow = true;
        return -1;
    }
    b->data = data;
    b->capacity = capacity;
    return 0;
}

int bytebuf_append_grow(bytebuf *b, const void *bytes, size_t length)
{
    if (bytebuf_reserve(b, length) < 0)
        return -1;
    if (length)
        memcpy(b->data + b->length, bytes, length);
    b->length += length;
    b->data[b->length] = '\0';
    return 0;
}

int bytebuf_printf(bytebuf *b, const char *format, ...)
{
    char small[256];
    va_list args;
    va_start(args, format);
    int n = vsnprintf(small, sizeof small, format, args);
    va_end(args);
    if (n < 0) {
        b->overflow = true;
        return -1;
    }
    if ((size_t)n < sizeof small)
        return bytebuf_append(b, small, (size_t)n);
    if (bytebuf_reserve(b, (size_t)n) < 0)
        return -1;
    va_start(args, format);
    vsnprintf(b->data + b->length, (size_t)n + 1, format, args);
    va_end(args);
    b->length += (size_t)n;
    return 0;
}

int bytebuf_append_u64(bytebuf *b, uint64_t value)
{
    char digits[24];
    size_t i = sizeof digits;
    do {
        digits[--i] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    return bytebuf_append(b, digits + i, sizeof digits - i);
}

int bytebuf_append_i64(bytebuf *b, int64_t value)
{
    if (value < 0) {
        bytebuf_append_char(b, '-');
        return bytebuf_append_u64(b, (uint64_t)0 - (uint64_t)value);
    }
    return bytebuf_append_u64(b, (uint64_t)value);
}

size_t fixed_point_digits(double value, unsigned decimals, char out[32])
{
    static const double scale[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
    if (decimals >= sizeof scale / sizeof *scale || !(value >= 0) || signbit(value))
        return 0;
    /* Without decimals the value is its own scaled value and nearbyint
     * rounds a tie to even as printf does. With them the product is off the
     * exact one by half an ulp at most, so away from a tie its nearest
     * integer is the one printf rounds the exact value to. */
    double scaled = value * scale[decimals];
    double k = nearbyint(scaled);
    if (!(scaled < 1e15) || (decimals && fabs(fabs(scaled - k) - 0.5) <= 1e-9 + scaled * 4e-16))
        return 0;
    char digits[32];
    size_t i = sizeof digits;
    uint64_t n = (uint64_t)k;
    digits[--i] = '\0';
    for (unsigned d = 0; d < decimals; d++) {
        digits[--i] = (char)('0' + n % 10);
        n /= 10;
    }
    if (decimals)
        digits[--i] = '.';
    do {
        digits[--i] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    memcpy(out, digits + i, sizeof digits - i);
    return sizeof digits - i - 1;
}

int bytebuf_append_fixed(bytebuf *b, double value, unsigned decimals)
{
    char digits[32];
    size_t n = fixed_point_digits(value, decimals, digits);
    return n ? bytebuf_append(b, digits, n) : bytebuf_printf(b, "%.*f", (int)decimals, value);
}

size_t utf8_sequence_length(const unsigned char *s, size_t length)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t need;
    uint32_t min;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
        need = 2; min = 0x80; cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        need = 3; min = 0x800; cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        need = 4; min = 0x10000; cp = c & 0x07;
    } else {
        return 0;
    }
    if (length < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return need;
}

/* 1 for the bytes a JSON string carries verbatim: printable ASCII but
 * " \ < > & (escaped so that the JSON stays inert inside a page). */
static const unsigned char json_verbatim[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

int bytebuf_append_json_string(bytebuf *b, const char *s, size_t length)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    if (bytebuf_append_char(b, '"') < 0)
        return -1;
    size_t run = 0; /* start of the current run of bytes copied verbatim */
    size_t i = 0;
    while (i < length) {
#ifdef __SSE2__
        /* 16 verbatim bytes at a time: a byte below 0x20 or from 0x80 up
         * (negative as a signed byte) or one of " \ < > & stops the skip */
        while (length - i >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
            __m128i stop = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)), _mm_cmpeq_epi8(v, _mm_set1_epi8('"')));
            stop = _mm_or_si128(stop, _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
            stop = _mm_or_si128(stop, _mm_cmpeq_epi8(v, _mm_set1_epi8('<')));
            stop = _mm_or_si128(stop, _mm_cmpeq_epi8(v, _mm_set1_epi8('>')));
            stop = _mm_or_si128(stop, _mm_cmpeq_epi8(v, _mm_set1_epi8('&')));
            unsigned mask = (unsigned)_mm_movemask_epi8(stop);
            if (mask) {
                i += (size_t)__builtin_ctz(mask);
                break;
            }
            i += 16;
        }
        if (i >= length)
            break;
#endif
        unsigned char c = p[i];
        if (json_verbatim[c]) {
            i++;
            continue;
        }
        /* Vietnamese letters without the call (E2 leads U+2028 and U+2029, below) */
        size_t common = c != 0xE2 ? utf8_common_length(p + i, length - i) : 0;
        if (common) {
            i += common;
            continue;
        }
        if (c >= 0x80) {
            size_t n = utf8_sequence_length(p + i, length - i);
            /* U+2028 and U+2029 end a line in JavaScript: escaped like < > & so
             * the JSON stays inert when a page inlines it */
            if (n == 3 && c == 0xE2 && p[i + 1] == 0x80 && (p[i + 2] == 0xA8 || p[i + 2] == 0xA9)) {
                bytebuf_append(b, p + run, i - run);
                bytebuf_append(b, p[i + 2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
                i += 3;
                run = i;
                continue;
            }
            if (n) {
                i += n;
                continue;
            }
        }
        bytebuf_append(b, p + run, i - run);
        switch (c) {
        case '"': bytebuf_append(b, "\\\"", 2); break;
        case '\\': bytebuf_append(b, "\\\\", 2); break;
        case '\n': bytebuf_append(b, "\\n", 2); break;
        case '\r': bytebuf_append(b, "\\r", 2); break;
        case '\t': bytebuf_append(b, "\\t", 2); break;
        default:
            if (c < 0x20 || c == '<' || c == '>' || c == '&') {
                char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                bytebuf_append(b, esc, 6);
            } else {
                bytebuf_append(b, "\xEF\xBF\xBD", 3); /* invalid UTF-8 */
            }
        }
        i++;
        run = i;
    }
    bytebuf_append(b, p + run, i - run);
    return bytebuf_append_char(b, '"');
}

int bytebuf_append_html_escaped(bytebuf *b, const char *s, size_t length)
{
    size_t run = 0;
    for (size_t i = 0; i < length; i++) {
        const char *entity = NULL;
        switch (s[i]) {
        case '&': entity = "&amp;"; break;
        case '<': entity = "&lt;"; break;
        case '>': entity = "&gt;"; break;
        case '"': entity = "&quot;"; break;
        case '\'': entity = "&#39;"; break;
        default: continue;
        }
        bytebuf_append(b, s + run, i - run);
        bytebuf_append_string(b, entity);
        run = i + 1;
    }
    return bytebuf_append(b, s + run, length - run);
}
