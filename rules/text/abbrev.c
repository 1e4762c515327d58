/* Chat abbreviations and hashtags as extra views (abbrev.h). */
#include "rules/text/abbrev.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The table (ABBREV_TABLE_VERSION), folded. Only forms that are not also a
 * common word once marks are gone: "kg" a kilogram, "r" a size, "dt" an
 * area, "vs" a comparison ("versus"). Two forms need the original text and
 * are read apart (chat_negator): the chat "k" (also "50 k", a price; "K+", a
 * TV brand) and the southern "hông" (folded "hong" is also "hồng", pink;
 * "hông" is also the hip: "túi đeo hông"). "dc" ("đc", "được") is a model
 * code or direct current before a number ("DC 12V"), as "sc" is. */
static const struct {
    const char *abbreviation, *stands_for;
} table[] = {
    {"ko", "khong"},  {"k0", "khong"},   {"kh", "khong"},   {"khg", "khong"},     {"hk", "khong"},
    {"hok", "khong"}, {"khum", "khong"}, {"kp", "khong phai"},
    {"hg", "hang"},   {"hag", "hang"},   {"sc", "sieu cap"}, {"chh", "chinh hang"}, {"sp", "san pham"},
    {"tk", "tai khoan"}, {"dc", "duoc"},
};

/* The forms' first two letters, as a bitmap built once from the table:
 * most short words starting with one of the forms' letters ("cho", "hang",
 * "tot") are refused by one bit. */
static uint8_t prefixes[65536 / 8];
static pthread_once_t prefixes_once = PTHREAD_ONCE_INIT;

static void build_prefixes(void)
{
    for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
        unsigned key = (unsigned char)table[i].abbreviation[0] << 8 | (unsigned char)table[i].abbreviation[1];
        prefixes[key >> 3] |= (uint8_t)(1u << (key & 7));
    }
}

/* The test abbrev_lookup starts with, inlined where every word of a field is tried. */
static inline bool may_abbreviate(const char *word, size_t n)
{
    if (n < 2 || n > 4)
        return false;
    unsigned key = (unsigned char)word[0] << 8 | (unsigned char)word[1];
    return prefixes[key >> 3] >> (key & 7) & 1;
}

const char *abbrev_lookup(const char *word, size_t n)
{
    pthread_once(&prefixes_once, build_prefixes);
    if (!may_abbreviate(word, n))
        return NULL;
    for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
        const char *a = table[i].abbreviation;
        if (a[0] == word[0] && a[1] == word[1] && !strncmp(a + 2, word + 2, n - 2) && a[n] == '\0')
            return table[i].stands_for;
    }
    return NULL;
}

/* "sc" is "siêu cấp" only as a word of its own: before a number it is a
 * model code ("Máy SC-1200", "SC 300"; the view reads the hyphen as a
 * space), except before the grade "1:1" ("sc 1:1" is "siêu cấp 1:1"). */
static bool model_code(const char *word, size_t n, const char *next, size_t next_n)
{
    if (n == 2 && word[0] == 'd' && word[1] == 'c') /* "DC 12V", "dc 5v": direct current, never "được" */
        return next_n > 0 && next[0] >= '0' && next[0] <= '9';
    return n == 2 && word[0] == 's' && word[1] == 'c' && next_n > 0 && next[0] >= '0' && next[0] <= '9' &&
           !(next_n == 1 && next[0] == '1');
}

bool abbrev_written_hong(const char *original, uint32_t from, uint32_t to)
{
    if (!original || to <= from || to - from > 8)
        return false;
    const unsigned char *p = (const unsigned char *)original + from;
    size_t n = to - from, i = 0;
    if (p[i] != 'h' && p[i] != 'H')
        return false;
    i++;
    if (i + 1 < n && p[i] == 0xC3 && (p[i + 1] == 0xB4 || p[i + 1] == 0x94))
        i += 2; /* ô, Ô (NFC) */
    else if (i + 2 < n && (p[i] == 'o' || p[i] == 'O') && p[i + 1] == 0xCC && p[i + 2] == 0x82)
        i += 3; /* o + the combining circumflex (NFD) */
    else
        return false;
    return n - i == 2 && (p[i] | 0x20) == 'n' && (p[i + 1] | 0x20) == 'g';
}

bool abbrev_capitals_after(const char *original, uint32_t from, uint32_t to)
{
    bool upper = false;
    for (uint32_t i = from; original && i < to; i++) {
        unsigned char c = (unsigned char)original[i];
        if (c >= 'a' && c <= 'z')
            return false;
        upper |= c >= 'A' && c <= 'Z';
    }
    return upper && to - from >= 2;
}

bool abbrev_hip_word(const char *word, size_t n)
{
    /* "túi đeo hông", "bên hông", "vòng hông", "đai hông", "ở hông", "cạnh hông", "eo hông", "đau hông", "mỡ hông" */
    static const char *const hip[] = {"deo", "ben", "vong", "dai", "tui", "o", "canh", "eo", "dau", "mo", NULL};
    for (size_t i = 0; hip[i]; i++)
        if (strlen(hip[i]) == n && !memcmp(hip[i], word, n))
            return true;
    return false;
}

/* Is word k the chat "k" or the southern "hông" used as "không"? The "k":
 * a lone lower-case k in the original (or a capital K before a word in
 * capitals: "K PHẢI HÀNG FAKE"; "K+" is no word), not right after a number
 * ("50 k") nor before one, with a word after it ("k phải", "k bán"). Either is followed
 * by a space in the original: "k, chính hãng" is an answer, then a claim,
 * no "không chính hãng". The "hông": written
 * with its circumflex and no tone ("hồng" is pink), not after a word that
 * makes it the hip; unmarked "hong" only before "phai", "ban", "dung",
 * "xai" ("hong phai hang fake"; not after "mau", "hoa": pink). Reads `original` through the view's offsets; NULL
 * original: neither form is read. */
static bool chat_negator(const normalized_text *v, const size_t *starts, const size_t *ends, size_t count, size_t k,
                         const char *original)
{
    const char *word = v->text + starts[k];
    size_t n = ends[k] - starts[k];
    if (!original || !((n == 1 && word[0] == 'k') || (n == 4 && !memcmp(word, "hong", 4))))
        return false;
    uint32_t from = v->source_start[starts[k]], to = v->source_end[ends[k] - 1];
    /* "50 k": the thousands of the number right before (spaces only between); after "120k." or "2100 (" the k
     * is a word of its own */
    bool number_before = k > 0;
    for (size_t i = k > 0 ? starts[k - 1] : 0; number_before && i < ends[k - 1]; i++)
        number_before = v->text[i] >= '0' && v->text[i] <= '9';
    for (uint32_t i = number_before ? v->source_end[ends[k - 1] - 1] : from; i < from; i++)
        number_before = original[i] == ' ';
    if (original[to] != ' ') /* "k, chính hãng" (an answer, then a claim) is no "không chính hãng" */
        return false;
    if (n == 1 && k > 0 && ((ends[k - 1] - starts[k - 1] == 7 && !memcmp(v->text + starts[k - 1], "vitamin", 7)) ||
                            (ends[k - 1] - starts[k - 1] == 3 && !memcmp(v->text + starts[k - 1], "vit", 3))))
        return false; /* "vitamin K chính hãng" */
    if (n == 1)
        return to == from + 1 && !number_before && k + 1 < count &&
               !(v->text[starts[k + 1]] >= '0' && v->text[starts[k + 1]] <= '9') &&
               (original[from] == 'k' ||
                (original[from] == 'K' && abbrev_capitals_after(original, v->source_start[starts[k + 1]],
                                                                 v->source_end[ends[k + 1] - 1])));
    /* unmarked, only before "phai", "ban", "dung", "xai" ("hong phai hang fake", "hong ban quyen": "hồng" rarely
     * comes before these), not after "màu", "hoa" */
    static const char *const after_plain[] = {"phai", "ban", "dung", "xai", NULL};
    bool next_ok = false;
    for (size_t i = 0; k + 1 < count && after_plain[i] && !next_ok; i++)
        next_ok = ends[k + 1] - starts[k + 1] == strlen(after_plain[i]) &&
                  !memcmp(v->text + starts[k + 1], after_plain[i], strlen(after_plain[i]));
    bool plain = to == from + 4 && !strncasecmp(original + from, "hong", 4) && next_ok &&
                 !(k > 0 && ends[k - 1] - starts[k - 1] == 3 &&
                   (!memcmp(v->text + starts[k - 1], "mau", 3) || !memcmp(v->text + starts[k - 1], "hoa", 3)));
    return (plain || abbrev_written_hong(original, from, to)) &&
           !(k > 0 && abbrev_hip_word(v->text + starts[k - 1], ends[k - 1] - starts[k - 1]));
}

/* The expansion of word k of `count` (NULL: none); `original` (may be NULL)
 * lets the forms that need it be read. */
static const char *expansion(const normalized_text *v, const size_t *starts, const size_t *ends, size_t count,
                             size_t k, const char *original)
{
    const char *word = v->text + starts[k];
    size_t n = ends[k] - starts[k];
    if (chat_negator(v, starts, ends, count, k, original))
        return "khong";
    if (!may_abbreviate(word, n))
        return NULL;
    const char *full = abbrev_lookup(word, n);
    if (full && k + 1 < count && model_code(word, n, v->text + starts[k + 1], ends[k + 1] - starts[k + 1]))
        return NULL;
    return full;
}

/* Room for `need` bytes and their offsets (and the NUL). */
static int reserve(normalized_text *t, size_t need)
{
    if (t->capacity >= need && t->text)
        return 0;
    size_t cap = t->capacity ? t->capacity : 256;
    while (cap < need)
        cap *= 2;
    char *text = realloc(t->text, cap + 1);
    if (!text)
        return -1;
    t->text = text;
    uint32_t *s = realloc(t->source_start, cap * sizeof *s);
    if (!s)
        return -1;
    t->source_start = s;
    uint32_t *e = realloc(t->source_end, cap * sizeof *e);
    if (!e)
        return -1;
    t->source_end = e;
    t->capacity = cap;
    return 0;
}

static int put(normalized_text *t, char c, uint32_t start, uint32_t end)
{
    if (reserve(t, t->length + 1) < 0)
        return -1;
    t->text[t->length] = c;
    t->source_start[t->length] = start;
    t->source_end[t->length] = end;
    t->length++;
    t->text[t->length] = '\0';
    return 0;
}

#define WINDOW 6   /* words kept on each side of an abbreviation: enough for any cue or name it is part of */

#define MAX_WORDS 512

long abbrev_expand(const normalized_text *v, const uint32_t *spaces, size_t space_count, normalized_text *out)
{
    return abbrev_expand_text(v, spaces, space_count, NULL, out);
}

long abbrev_expand_text(const normalized_text *v, const uint32_t *spaces, size_t space_count, const char *original,
                        normalized_text *out)
{
    pthread_once(&prefixes_once, build_prefixes);
    out->length = 0;
    if (out->text)
        out->text[0] = '\0';
    /* the words, and which are abbreviations: most texts hold none */
    uint32_t found_spaces[MAX_WORDS];
    if (!spaces) {
        space_count = 0;
        for (size_t i = 0; i < v->length && space_count < MAX_WORDS; i++)
            if (v->text[i] == ' ')
                found_spaces[space_count++] = (uint32_t)i;
        spaces = found_spaces;
    }
    size_t starts[MAX_WORDS], ends[MAX_WORDS], count = 0;
    bool any = false;
    for (size_t k = 0; k <= space_count && count < MAX_WORDS; k++) {
        size_t at = k ? spaces[k - 1] + 1 : 0, e = k < space_count ? spaces[k] : v->length;
        if (at >= v->length)
            break;
        starts[count] = at;
        ends[count++] = e;
        any |= (may_abbreviate(v->text + at, e - at) && abbrev_lookup(v->text + at, e - at)) ||
               (original && ((e - at == 1 && v->text[at] == 'k') || (e - at == 4 && !memcmp(v->text + at, "hong", 4))));
    }
    if (any) { /* a model code is no abbreviation: look again */
        any = false;
        for (size_t k = 0; k < count && !any; k++)
            any = expansion(v, starts, ends, count, k, original) != NULL;
    }
    if (!any)
        return 0;
    /* only the windows around the abbreviations are written, joined by a line break no term can span */
    long expanded = 0;
    size_t written_to = 0; /* words [0, written_to) are written */
    for (size_t w = 0; w < count; w++) {
        if (!expansion(v, starts, ends, count, w, original))
            continue;
        size_t from = w > WINDOW ? w - WINDOW : 0, to = w + WINDOW + 1 < count ? w + WINDOW + 1 : count;
        bool contiguous = written_to > 0 && from <= written_to;
        if (contiguous)
            from = written_to;
        else if (out->length && put(out, '\n', v->source_start[starts[from]], v->source_start[starts[from]]) < 0)
            return -1;
        for (size_t k = from; k < to; k++) {
            const char *full = expansion(v, starts, ends, count, k, original);
            if (k > from || contiguous) {
                uint32_t gap = v->source_start[starts[k]];
                if (put(out, ' ', gap, gap) < 0)
                    return -1;
            }
            if (full) {
                uint32_t start = v->source_start[starts[k]], end = v->source_end[ends[k] - 1];
                for (const char *c = full; *c; c++)
                    if (put(out, *c, start, end) < 0)
                        return -1;
                expanded++;
            } else {
                for (size_t i = starts[k]; i < ends[k]; i++)
                    if (put(out, v->text[i], v->source_start[i], v->source_end[i]) < 0)
                        return -1;
            }
        }
        if (to > written_to)
            written_to = to;
    }
    return expanded;
}

static bool word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80 || c == '_';
}

static bool upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
static bool lower(unsigned char c) { return c >= 'a' && c <= 'z'; }
static bool digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* The first main-view byte that comes from at or after `offset`. */
static size_t view_at(const normalized_text *v, uint32_t offset)
{
    size_t lo = 0, hi = v->length;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v->source_start[mid] < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

long hashtag_view(const normalized_text *v, const char *original, size_t length, hashtag_spans *spans,
                  normalized_text *out, size_t *variants_from)
{
    out->length = 0;
    if (out->text)
        out->text[0] = '\0';
    spans->count = 0;
    *variants_from = 0;
    if (!original || !memchr(original, '#', length))
        return 0;
    /* the tags: '#' then word bytes ('_' joins words: #zorvik_airrun) */
    size_t first_view[HASHTAG_MAX], last_view[HASHTAG_MAX];
    for (size_t i = 0; i < length && spans->count < HASHTAG_MAX; i++) {
        if (original[i] != '#' || i + 1 >= length || !word_byte((unsigned char)original[i + 1]) ||
            (i > 0 && word_byte((unsigned char)original[i - 1])))
            continue;
        size_t e = i + 1;
        while (e < length && word_byte((unsigned char)original[e]))
            e++;
        size_t a = view_at(v, (uint32_t)(i + 1)), b = a;
        while (b < v->length && v->source_start[b] < e)
            b++;
        if (b > a) {
            spans->start[spans->count] = (uint32_t)i;
            spans->end[spans->count] = (uint32_t)e;
            first_view[spans->count] = a;
            last_view[spans->count] = b;
            spans->count++;
        }
        i = e - 1;
    }
    /* each tag split where its writer split it: case, letters and digits, '_' (already a space in the view) */
    for (size_t t = 0; t < spans->count; t++) {
        for (size_t k = first_view[t]; k < last_view[t]; k++) {
            uint32_t here = v->source_start[k];
            if (k > first_view[t] && v->text[k] != ' ' && v->text[k - 1] != ' ' && here > 0 && here < length) {
                unsigned char prev = (unsigned char)original[v->source_start[k - 1]], cur = (unsigned char)original[here];
                /* letters then digits split ("rep11", "iphone15"), but not after a one-letter word ("hangF1": f1) */
                unsigned char prev2 = k >= first_view[t] + 2 ? (unsigned char)original[v->source_start[k - 2]] : '#';
                bool letter_word = (lower(prev) || upper(prev)) && (lower(prev2) || upper(prev2)) &&
                                   !(upper(prev) && lower(prev2));
                bool split = (upper(cur) && lower(prev)) || (digit(cur) && letter_word) ||
                             (digit(prev) && (lower(cur) || upper(cur)));
                if (split && put(out, ' ', here, here) < 0)
                    return -1;
            }
            /* the digit as written: the main view reads "hangF1" as "hangfi" (a 1 inside a word is an i) */
            unsigned char written = (unsigned char)original[v->source_start[k]];
            char c = digit(written) && v->source_end[k] == v->source_start[k] + 1 ? (char)written : v->text[k];
            if (put(out, c, v->source_start[k], v->source_end[k]) < 0)
                return -1;
        }
        if (put(out, ' ', spans->end[t], spans->end[t]) < 0)
            return -1;
    }
    /* then each tag again with one space at every inner position: a name run into another word */
    *variants_from = out->length;
    for (size_t t = 0; t < spans->count; t++) {
        size_t a = first_view[t], b = last_view[t];
        if (b - a < 4 || b - a > 40 || memchr(v->text + a, ' ', b - a))
            continue;
        for (size_t cut = a + 2; cut + 2 <= b; cut++) {
            for (size_t k = a; k < b; k++) {
                if (k == cut && put(out, ' ', v->source_start[k], v->source_start[k]) < 0)
                    return -1;
                if (put(out, v->text[k], v->source_start[k], v->source_end[k]) < 0)
                    return -1;
            }
            if (put(out, ' ', spans->end[t], spans->end[t]) < 0)
                return -1;
        }
    }
    return (long)spans->count;
}
