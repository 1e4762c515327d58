/* marks: Vietnamese diacritics on words that already match folded (marks.h).
 * Words compare case-folded and composed: "bò" (cow) is not "bố". */
#include "rules/text/marks.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

static bool ascii_only(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80)
            return false;
    return true;
}

/* The next word of s[*at..n): letters and digits (and any non-ASCII byte). */
static bool next_word(const char *s, size_t n, size_t *at, size_t *start, size_t *end)
{
    size_t i = *at;
    while (i < n && (unsigned char)s[i] < 0x80 && !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                                                     (s[i] >= '0' && s[i] <= '9')))
        i++;
    if (i >= n)
        return false;
    *start = i;
    while (i < n && ((unsigned char)s[i] >= 0x80 || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                     (s[i] >= '0' && s[i] <= '9')))
        i++;
    *end = *at = i;
    return true;
}

/* The marks of a word, letter by letter: for each letter or digit, a small
 * code of the combining marks it carries once decomposed (0: none; đ counts
 * as d with a stroke). Look-alike letters (a Cyrillic О), case and invisible
 * characters do not matter: the hit already matched them folded. Returns
 * the number of letters (at most max), and *marked whether any has a mark. */
static size_t word_marks(const char *w, size_t n, uint32_t *marks, size_t max, bool *marked)
{
    size_t letters = 0, i = 0;
    *marked = false;
    while (i < n) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t step = utf8proc_iterate((const utf8proc_uint8_t *)w + i, (utf8proc_ssize_t)(n - i), &cp);
        if (step <= 0)
            return SIZE_MAX; /* unreadable: as folded */
        i += (size_t)step;
        if (cp == 0xFFFD)
            return SIZE_MAX; /* a character lost to bad UTF-8: its marks are unknown */
        utf8proc_int32_t parts[8];
        int options = 0;
        utf8proc_ssize_t count = utf8proc_decompose_char(cp, parts, 8, UTF8PROC_DECOMPOSE, &options);
        if (count <= 0)
            continue;
        for (utf8proc_ssize_t k = 0; k < count; k++) {
            utf8proc_int32_t c = parts[k];
            utf8proc_category_t cat = utf8proc_category(c);
            if (cat == UTF8PROC_CATEGORY_MN) { /* a combining mark: on the letter before */
                if (letters) {
                    marks[letters - 1] = marks[letters - 1] * 31u + (uint32_t)c;
                    *marked = true;
                }
            } else if ((cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
                       (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO)) {
                if (letters == max)
                    return SIZE_MAX;
                marks[letters++] = (c == 0x111 || c == 0x110) ? 0x335u : 0u; /* đ, Đ */
                *marked |= c == 0x111 || c == 0x110;
            }
        }
    }
    return letters;
}

static bool same_marked_word(const char *a, size_t an, const char *b, size_t bn)
{
    if (an == bn && (!memcmp(a, b, an) || !strncasecmp(a, b, an)))
        return true; /* written as the term is (or only its ASCII case differs): the common case */
    uint32_t ma[64], mb[64];
    bool marked_a, marked_b;
    size_t la = word_marks(a, an, ma, 64, &marked_a), lb = word_marks(b, bn, mb, 64, &marked_b);
    if (la == SIZE_MAX || lb == SIZE_MAX || la != lb || !marked_a || !marked_b)
        return true; /* unmarked on a side, or letters that do not line up: as folded */
    return !memcmp(ma, mb, la * sizeof *ma);
}

bool marks_agree(const char *term, const char *text, size_t length)
{
    size_t tn = strlen(term);
    if (ascii_only(term, tn) || ascii_only(text, length))
        return true;
    size_t ta = 0, xa = 0, t0, t1, x0, x1;
    for (;;) {
        bool more_t = next_word(term, tn, &ta, &t0, &t1), more_x = next_word(text, length, &xa, &x0, &x1);
        if (!more_t || !more_x)
            return true; /* words that do not line up (a joined N.I.K.E): as folded */
        if (!ascii_only(term + t0, t1 - t0) && !ascii_only(text + x0, x1 - x0) &&
            !same_marked_word(term + t0, t1 - t0, text + x0, x1 - x0))
            return false;
    }
}

marks_relation marks_compare(const char *term, size_t tn, const char *text, size_t length)
{
    marks_relation worst = MARKS_SAME;
    size_t ta = 0, xa = 0, t0, t1, x0, x1;
    for (;;) {
        bool more_t = next_word(term, tn, &ta, &t0, &t1), more_x = next_word(text, length, &xa, &x0, &x1);
        if (!more_t || !more_x)
            return worst;
        const char *a = term + t0, *b = text + x0;
        size_t an = t1 - t0, bn = x1 - x0;
        if (an == bn && (!memcmp(a, b, an) || !strncasecmp(a, b, an)))
            continue;
        uint32_t ma[64], mb[64];
        bool marked_a, marked_b;
        size_t la = word_marks(a, an, ma, 64, &marked_a), lb = word_marks(b, bn, mb, 64, &marked_b);
        if (la == SIZE_MAX || lb == SIZE_MAX || la != lb)
            continue; /* letters that do not line up: as folded */
        if (marked_a && marked_b) {
            if (memcmp(ma, mb, la * sizeof *ma))
                return MARKS_REFUSED;
        } else if (marked_a != marked_b) {
            worst = MARKS_UNMARKED_SIDE;
        }
    }
}
