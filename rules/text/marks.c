/* marks: Vietnamese diacritics on words that already match folded (marks.h).
 * Words compare case-folded and composed: "bò" (cow) is not "bố". */
#include "rules/text/marks.h"

#include <pthread.h>
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

/* Whether a byte belongs to a word: an ASCII letter or digit, or any byte
 * past ASCII. */
static inline bool word_byte(unsigned char c)
{
    return c >= 0x80 || (unsigned)((c | 0x20) - 'a') < 26u || (unsigned)(c - '0') < 10u;
}

/* The next word of s[*at..n): letters and digits (and any non-ASCII byte). */
static bool next_word(const char *s, size_t n, size_t *at, size_t *start, size_t *end)
{
    size_t i = *at;
    while (i < n && !word_byte((unsigned char)s[i]))
        i++;
    if (i >= n)
        return false;
    *start = i;
    while (i < n && word_byte((unsigned char)s[i]))
        i++;
    *end = *at = i;
    return true;
}

/* What one code point adds to a word's marks, read from its canonical
 * decomposition: nothing, a letter (with the code of the marks it carries),
 * or one combining mark on the letter before. */
typedef enum { CP_NONE, CP_LETTER, CP_MARK, CP_SLOW } cp_kind;

typedef struct {
    uint32_t code;  /* CP_LETTER: the letter's mark code; CP_MARK: the mark */
    uint8_t kind;   /* cp_kind */
    uint8_t marked; /* CP_LETTER: whether the code carries a mark (or đ's stroke) */
} cp_marks;

static cp_kind classify(utf8proc_int32_t cp, cp_marks *out)
{
    utf8proc_int32_t parts[8];
    int options = 0;
    utf8proc_ssize_t count = utf8proc_decompose_char(cp, parts, 8, UTF8PROC_DECOMPOSE, &options);
    *out = (cp_marks){0, CP_NONE, 0};
    if (count <= 0)
        return CP_NONE;
    size_t letters = 0;
    for (utf8proc_ssize_t k = 0; k < count; k++) {
        utf8proc_int32_t c = parts[k];
        utf8proc_category_t cat = utf8proc_category(c);
        if (cat == UTF8PROC_CATEGORY_MN) {
            if (!letters) {
                if (count != 1)
                    return out->kind = CP_SLOW; /* marks only, several: rare, read the slow way */
                *out = (cp_marks){(uint32_t)c, CP_MARK, 0};
                return CP_MARK;
            }
            out->code = out->code * 31u + (uint32_t)c;
            out->marked = 1;
        } else if ((cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
                   (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO)) {
            if (++letters > 1)
                return out->kind = CP_SLOW;
            out->kind = CP_LETTER;
            out->code = (c == 0x111 || c == 0x110) ? 0x335u : 0u; /* đ, Đ */
            out->marked = c == 0x111 || c == 0x110;
        }
    }
    return (cp_kind)out->kind;
}

/* Latin, its supplements and extensions, Greek, Cyrillic and Latin Extended
 * Additional (all of Vietnamese) from a table built once; the rest through
 * utf8proc on every call. */
#define TABLE_CODE_POINTS 0x1F00
static cp_marks cp_table[TABLE_CODE_POINTS];
static pthread_once_t cp_table_once = PTHREAD_ONCE_INIT;

static void build_cp_table(void)
{
    for (utf8proc_int32_t cp = 0; cp < TABLE_CODE_POINTS; cp++)
        classify(cp, &cp_table[cp]);
}

/* The marks of a word, letter by letter: for each letter or digit, a small
 * code of the combining marks it carries once decomposed (0: none; đ counts
 * as d with a stroke). Look-alike letters (a Cyrillic О), case and invisible
 * characters do not matter: the hit already matched them folded. Returns
 * the number of letters (at most max), and *marked whether any has a mark. */
static size_t word_marks(const char *w, size_t n, uint32_t *marks, size_t max, bool *marked)
{
    pthread_once(&cp_table_once, build_cp_table);
    size_t letters = 0, i = 0;
    *marked = false;
    while (i < n) {
        unsigned char b = (unsigned char)w[i];
        if (b < 0x80) { /* ASCII: a letter or digit without marks, or nothing */
            i++;
            if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')) {
                if (letters == max)
                    return SIZE_MAX;
                marks[letters++] = 0;
            }
            continue;
        }
        utf8proc_int32_t cp;
        unsigned char c1 = i + 1 < n ? (unsigned char)w[i + 1] : 0, c2 = i + 2 < n ? (unsigned char)w[i + 2] : 0;
        if (b >= 0xC2 && b <= 0xDF && (c1 & 0xC0) == 0x80) { /* two bytes: Latin-1 and Latin Extended (ă, ơ, đ) */
            cp = (utf8proc_int32_t)(((b & 0x1Fu) << 6) | (c1 & 0x3Fu));
            i += 2;
        } else if (b == 0xE1 && (c1 & 0xC0) == 0x80 && (c2 & 0xC0) == 0x80) { /* U+1000-U+1FFF: ạ..ỹ */
            cp = (utf8proc_int32_t)(0x1000u | ((c1 & 0x3Fu) << 6) | (c2 & 0x3Fu));
            i += 3;
        } else {
            utf8proc_ssize_t step = utf8proc_iterate((const utf8proc_uint8_t *)w + i, (utf8proc_ssize_t)(n - i), &cp);
            if (step <= 0)
                return SIZE_MAX; /* unreadable: as folded */
            i += (size_t)step;
        }
        if (cp == 0xFFFD)
            return SIZE_MAX; /* a character lost to bad UTF-8: its marks are unknown */
        cp_marks m;
        if (cp < TABLE_CODE_POINTS)
            m = cp_table[cp];
        else
            classify(cp, &m);
        switch ((cp_kind)m.kind) {
        case CP_NONE:
            break;
        case CP_MARK: /* a combining mark: on the letter before */
            if (letters) {
                marks[letters - 1] = marks[letters - 1] * 31u + m.code;
                *marked = true;
            }
            break;
        case CP_LETTER:
            if (letters == max)
                return SIZE_MAX;
            marks[letters++] = m.code;
            *marked |= m.marked;
            break;
        case CP_SLOW: {
            utf8proc_int32_t parts[8];
            int options = 0;
            utf8proc_ssize_t count = utf8proc_decompose_char(cp, parts, 8, UTF8PROC_DECOMPOSE, &options);
            for (utf8proc_ssize_t k = 0; k < count; k++) {
                utf8proc_int32_t c = parts[k];
                utf8proc_category_t cat = utf8proc_category(c);
                if (cat == UTF8PROC_CATEGORY_MN) {
                    if (letters) {
                        marks[letters - 1] = marks[letters - 1] * 31u + (uint32_t)c;
                        *marked = true;
                    }
                } else if ((cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
                           (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO)) {
                    if (letters == max)
                        return SIZE_MAX;
                    marks[letters++] = (c == 0x111 || c == 0x110) ? 0x335u : 0u;
                    *marked |= c == 0x111 || c == 0x110;
                }
            }
            break;
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

/* Letters of an ASCII-or-UTF-8 word: code points, combining marks (U+0300-U+036F) not counted. */
static size_t letters_of(const char *w, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)w[i];
        if ((c & 0xC0) == 0x80)
            continue; /* a continuation byte */
        if ((c == 0xCC && i + 1 < n) || (c == 0xCD && i + 1 < n && (unsigned char)w[i + 1] <= 0xAF))
            continue; /* a combining mark */
        count++;
    }
    return count;
}

bool marks_judge(const char *term, const char *text, size_t length, bool *dropped)
{
    if (dropped)
        *dropped = false;
    size_t tn = strlen(term);
    if ((tn == length && !strncasecmp(term, text, tn)) || ascii_only(term, tn) || ascii_only(text, length))
        return true;
    bool bare = false, marked_text = false;
    size_t ta = 0, xa = 0, t0, t1, x0, x1;
    for (;;) {
        bool more_t = next_word(term, tn, &ta, &t0, &t1), more_x = next_word(text, length, &xa, &x0, &x1);
        if (!more_t || !more_x)
            break; /* words that do not line up (a joined N.I.K.E): as folded */
        if (!ascii_only(text + x0, x1 - x0)) {
            if (!ascii_only(term + t0, t1 - t0) && !same_marked_word(term + t0, t1 - t0, text + x0, x1 - x0))
                return false;
            marked_text = true;
        } else if (dropped && !bare) {
            bare = !ascii_only(term + t0, t1 - t0) && letters_of(term + t0, t1 - t0) == x1 - x0;
        }
    }
    if (dropped)
        *dropped = bare && marked_text;
    return true;
}

/* Header bits of a word in marks_term_words' output. */
#define WORD_ASCII (1u << 31)
#define WORD_MARKED (1u << 30)
#define WORD_UNREADABLE (1u << 29)
#define WORD_LETTERS 0x1FFFFFFFu /* letters_of the word */

size_t marks_term_words(const char *term, uint32_t *out, size_t max)
{
    size_t tn = strlen(term), at = 0, start, end, used = 0;
    while (next_word(term, tn, &at, &start, &end)) {
        uint32_t marks[64];
        bool marked;
        size_t letters = word_marks(term + start, end - start, marks, 64, &marked);
        size_t need = 2 + (letters == SIZE_MAX ? 0 : letters), code_points = letters_of(term + start, end - start);
        if (used + need > max || code_points > WORD_LETTERS)
            return SIZE_MAX;
        out[used++] = (uint32_t)code_points | (ascii_only(term + start, end - start) ? WORD_ASCII : 0) |
                      (marked ? WORD_MARKED : 0) | (letters == SIZE_MAX ? WORD_UNREADABLE : 0);
        out[used++] = letters == SIZE_MAX ? 0 : (uint32_t)letters;
        if (letters != SIZE_MAX) {
            memcpy(out + used, marks, letters * sizeof *marks);
            used += letters;
        }
    }
    return used;
}

bool marks_judge_words(const uint32_t *words, size_t count, const char *text, size_t length, bool *dropped)
{
    if (dropped)
        *dropped = false;
    if (ascii_only(text, length))
        return true;
    bool bare = false, marked_text = false;
    size_t w = 0, xa = 0, x0, x1;
    while (w + 2 <= count && next_word(text, length, &xa, &x0, &x1)) {
        uint32_t head = words[w], letters = words[w + 1];
        const uint32_t *marks = words + w + 2;
        w += 2 + letters;
        bool term_ascii = head & WORD_ASCII;
        if (!ascii_only(text + x0, x1 - x0)) {
            if (!term_ascii && (head & WORD_MARKED) && !(head & WORD_UNREADABLE)) {
                /* same_marked_word with the term's side read already */
                uint32_t mb[64];
                bool marked_b;
                size_t lb = word_marks(text + x0, x1 - x0, mb, 64, &marked_b);
                if (lb != SIZE_MAX && lb == letters && marked_b && memcmp(marks, mb, lb * sizeof *mb))
                    return false;
            }
            marked_text = true;
        } else if (dropped && !bare) {
            bare = !term_ascii && (head & WORD_LETTERS) == x1 - x0;
        }
    }
    if (dropped)
        *dropped = bare && marked_text;
    return true;
}

bool marks_agree(const char *term, const char *text, size_t length) { return marks_judge(term, text, length, NULL); }

bool marks_dropped(const char *term, const char *text, size_t length)
{
    bool dropped;
    marks_judge(term, text, length, &dropped);
    return dropped;
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
