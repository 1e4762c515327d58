/* price: see price.h. */
#include "scanner/extract/price.h"

#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* "triệu" in any of the letter cases sellers type, or NULL. */
static const char *after_word(const char *p, const char *const *words, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (!strncmp(p, words[i], strlen(words[i])))
            return p + strlen(words[i]);
    return NULL;
}

/* Reads an amount starting at s (a digit): its number and multiplier.
 * Returns the end, and whether a multiplier was written in *multiplied. */
static const char *read_amount(const char *s, double *out, bool *multiplied)
{
    const char *p = s;
    while (is_digit(*p) || ((*p == '.' || *p == ',') && is_digit(p[1])))
        p++;
    size_t n = (size_t)(p - s);
    size_t dots = 0, commas = 0, last_dot = 0, last_comma = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            dots++;
            last_dot = i;
        } else if (s[i] == ',') {
            commas++;
            last_comma = i;
        }
    }
    char decimal = 0;
    if (dots && commas) {
        decimal = last_dot > last_comma ? '.' : ',';
    } else if (dots == 1 || commas == 1) {
        size_t pos = dots ? last_dot : last_comma;
        decimal = (n - pos - 1 == 3) ? 0 : (dots ? '.' : ',');
    }
    char digits[72];
    size_t d = 0;
    bool seen_decimal = false;
    for (size_t i = 0; i < n && d + 2 < sizeof digits; i++) {
        char c = s[i];
        if (is_digit(c))
            digits[d++] = c;
        else if (c == decimal && !seen_decimal) {
            digits[d++] = '.';
            seen_decimal = true;
        }
    }
    digits[d] = '\0';
    double value = d ? strtod(digits, NULL) : 0;
    /* a multiplier after the number */
    static const char *const millions[] = {"triệu", "Triệu", "TRIỆU", "trieu", "Trieu", "TRIEU"};
    static const char *const short_millions[] = {"tr", "Tr", "TR"};
    const char *u = p;
    while (*u == ' ')
        u++;
    const char *end;
    *multiplied = false;
    if ((end = after_word(u, millions, sizeof millions / sizeof *millions))) {
        value *= 1e6;
        p = end;
        *multiplied = true;
    } else if ((end = after_word(u, short_millions, 3)) && !isalpha((unsigned char)*end)) {
        /* "2tr5": the digits after "tr" are the fraction of the million */
        double fraction = 0, scale = 1;
        const char *f = end;
        while (is_digit(*f) && scale < 1e6) {
            fraction = fraction * 10 + (*f - '0');
            scale *= 10;
            f++;
        }
        if (u == p) /* written together: "2tr5"; "2 tr 5" is not one amount */
            value = (value + fraction / scale) * 1e6;
        else
            value *= 1e6, f = end;
        p = f;
        *multiplied = true;
    } else if ((u[0] == 'k' || u[0] == 'K') && !isalpha((unsigned char)u[1])) {
        value *= 1e3;
        p = u + 1;
        *multiplied = true;
    }
    *out = value;
    return p;
}

bool price_parse(const char *text, double *value)
{
    if (!text)
        return false;
    const char *p = text;
    while (*p && !is_digit(*p))
        p++;
    if (!*p)
        return false;
    double v;
    bool multiplied;
    read_amount(p, &v, &multiplied);
    if (!isfinite(v) || v < 0)
        return false;
    if (value)
        *value = v;
    return true;
}

bool price_find(const char *text, double *vnd)
{
    if (!text)
        return false;
    /* after "giá" first (any case, with or without its mark) */
    static const char *const labels[] = {"giá", "Giá", "GIÁ", "gia ", "Gia "};
    for (size_t k = 0; k < sizeof labels / sizeof labels[0]; k++) {
        for (const char *at = strstr(text, labels[k]); at; at = strstr(at + 1, labels[k])) {
            const char *p = at + strlen(labels[k]);
            for (int skip = 0; *p && skip < 24 && !is_digit(*p) && *p != '\n'; skip++)
                p++;
            double v;
            bool multiplied;
            if (is_digit(*p) && read_amount(p, &v, &multiplied) && v >= 1000 && isfinite(v)) {
                *vnd = v;
                return true;
            }
        }
    }
    /* else an amount with a money unit */
    for (const char *p = text; *p; p++) {
        if (!is_digit(*p) || (p > text && isalnum((unsigned char)p[-1])))
            continue;
        double v;
        bool multiplied;
        const char *end = read_amount(p, &v, &multiplied);
        const char *u = end;
        while (*u == ' ')
            u++;
        bool unit = multiplied || !strncmp(u, "đ", 2) || !strncmp(u, "₫", 3) || !strncmp(u, "VND", 3) ||
                    !strncmp(u, "vnd", 3) || v >= 1e6;
        if (unit && v >= 1000 && isfinite(v)) {
            *vnd = v;
            return true;
        }
        p = end > p ? end - 1 : p;
    }
    return false;
}
