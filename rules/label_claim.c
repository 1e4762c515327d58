/* label_claim: claims of a label's level versus mentions (rules/label_claim.h).
 *
 * Around each occurrence of the label word, a small window of words (at most
 * WINDOW_BEFORE before it and WINDOW_AFTER after it) is copied into a fixed
 * array of tokens, with the star symbols and clause breaks of the original
 * text between them turned into tokens of their own; the claim grammar and
 * the mention cues are read from that window only. Everything is bounded:
 * token text is cut at TOKEN_BYTES, the window at WINDOW_TOKENS. */
#include "rules/label_claim.h"

#include <stdbool.h>
#include <string.h>

#define WINDOW_BEFORE 10
#define WINDOW_AFTER 10
#define WINDOW_TOKENS 64
#define TOKEN_BYTES 24

typedef enum tok_type { TOK_WORD = 0, TOK_STARS, TOK_BREAK } tok_type;

typedef struct tok {
    tok_type type;
    char text[TOKEN_BYTES];      /* TOK_WORD: folded text ("" when longer than the buffer: it matches no cue) */
    int stars;                   /* TOK_STARS: how many */
    bool dash_before;            /* a '-', '–' or '~' in the gap before it (a range: "3-5") */
    bool horn;                   /* the original word has a horn (ư): "chưa", not "chua" (sour, as in "sữa chua") */
    bool label;                  /* the label occurrence this window is about */
    uint32_t os, oe;             /* original byte span */
} tok;

typedef struct window {
    tok t[WINDOW_TOKENS];
    size_t n;
} window;

const char *label_claim_kind_name(label_claim_kind kind)
{
    static const char *const names[] = {"claim", "not rated", "programme", "shelf", "fair", "other stars", "no level"};
    return (unsigned)kind <= LABEL_MENTION_NO_LEVEL ? names[kind] : "?";
}

const char *label_scope_name(label_scope scope)
{
    return scope == LABEL_SCOPE_PROVINCIAL ? "provincial" : scope == LABEL_SCOPE_NATIONAL ? "national" : "";
}

/* ---- the window ----------------------------------------------------------- */

static bool push(window *w, const tok *t)
{
    if (w->n == WINDOW_TOKENS)
        return false;
    w->t[w->n++] = *t;
    return true;
}

/* Star symbols and clause breaks in the original gap [from, to), as tokens. */
static void push_gap(window *w, const char *original, uint32_t from, uint32_t to, bool *dash)
{
    int stars = 0;
    uint32_t star_start = 0, star_end = 0;
    bool brk = false;
    *dash = false;
    for (uint32_t i = from; i < to; i++) {
        const unsigned char *p = (const unsigned char *)original + i;
        uint32_t len = 0;
        if (*p == '*')
            len = 1;
        else if (i + 3 <= to && p[0] == 0xE2 && ((p[1] == 0x98 && p[2] == 0x85) || (p[1] == 0xAD && p[2] == 0x90)))
            len = 3; /* ★ U+2605, ⭐ U+2B50 */
        else if (i + 4 <= to && p[0] == 0xF0 && p[1] == 0x9F && p[2] == 0x8C && p[3] == 0x9F)
            len = 4; /* 🌟 U+1F31F */
        if (len) {
            if (!stars++)
                star_start = i;
            star_end = i + len;
            i += len - 1;
            continue;
        }
        if (*p == '-' || *p == '~' || (i + 3 <= to && p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0x93 || p[2] == 0x94)))
            *dash = true;
        if (strchr(".!?;|()[]\n\r", *p) && *p)
            brk = true;
    }
    if (brk) {
        tok b = {.type = TOK_BREAK, .os = from, .oe = to};
        push(w, &b);
    }
    if (stars) {
        tok s = {.type = TOK_STARS, .stars = stars > LABEL_LEVEL_MAX ? LABEL_LEVEL_MAX + 1 : stars, .os = star_start,
                 .oe = star_end};
        push(w, &s);
    }
}

static bool has_horn(const char *original, uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i + 1 < to; i++) {
        unsigned char a = (unsigned char)original[i], b = (unsigned char)original[i + 1];
        if ((a == 0xC6 && (b == 0xB0 || b == 0xAF)) || (a == 0xCC && b == 0x9B))
            return true;
    }
    return false;
}

static bool ascii_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* One word of the main view [a, b): as it is, or split where its original
 * ASCII letters and digits meet ("OCOP4" normalizes to "ocopa", "4sao" to
 * "asao": the digit folding of normalize.h; the original keeps the digit). */
static void push_word(window *w, const normalized_text *v, const char *original, size_t a, size_t b, bool dash,
                      bool is_label)
{
    uint32_t os = v->source_start[a], oe = v->source_end[b - 1];
    bool mixed_digits = false, mixed_letters = false, plain = true;
    for (uint32_t i = os; i < oe; i++) {
        unsigned char c = (unsigned char)original[i];
        plain &= ascii_alnum(c);
        mixed_digits |= c >= '0' && c <= '9';
        mixed_letters |= !(c >= '0' && c <= '9');
    }
    if (plain && mixed_digits && mixed_letters && oe - os < 64) {
        for (uint32_t i = os; i < oe;) {
            bool digit = original[i] >= '0' && original[i] <= '9';
            uint32_t j = i;
            tok t = {.type = TOK_WORD, .os = i, .dash_before = dash && i == os};
            size_t k = 0;
            while (j < oe && ((original[j] >= '0' && original[j] <= '9') == digit)) {
                char c = original[j++];
                if (k + 1 < TOKEN_BYTES)
                    t.text[k++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
            }
            t.oe = j;
            t.label = is_label && i == os;
            push(w, &t);
            i = j;
        }
        return;
    }
    tok t = {.type = TOK_WORD, .os = os, .oe = oe, .dash_before = dash, .label = is_label,
             .horn = has_horn(original, os, oe)};
    if (b - a < TOKEN_BYTES)
        memcpy(t.text, v->text + a, b - a);
    push(w, &t);
}

/* The word of the main view that starts at or before `at` ends at: start of the previous word. */
static size_t word_start(const normalized_text *v, size_t end)
{
    size_t a = end;
    while (a > 0 && v->text[a - 1] != ' ')
        a--;
    return a;
}

static size_t word_end(const normalized_text *v, size_t start)
{
    size_t b = start;
    while (b < v->length && v->text[b] != ' ')
        b++;
    return b;
}

/* The window around the word [la, lb) of the main view. */
static void build_window(window *w, const normalized_text *v, const char *original, size_t length, size_t la, size_t lb)
{
    size_t starts[WINDOW_BEFORE], n_before = 0, a = la;
    while (n_before < WINDOW_BEFORE && a > 0) {
        a = word_start(v, a - 1); /* a - 1 is the space before the current word */
        starts[n_before++] = a;
    }
    w->n = 0;
    uint32_t prev_end = UINT32_MAX;
    bool dash = false;
    for (size_t k = n_before + 1; k-- > 0;) { /* the words before, then the label */
        size_t s = k ? starts[k - 1] : la, e = word_end(v, s);
        if (prev_end != UINT32_MAX)
            push_gap(w, original, prev_end, v->source_start[s], &dash);
        push_word(w, v, original, s, e, dash, k == 0);
        prev_end = v->source_end[e - 1];
    }
    size_t s = lb;
    for (int k = 0; k < WINDOW_AFTER && s < v->length; k++) {
        s++; /* the space */
        size_t e = word_end(v, s);
        push_gap(w, original, prev_end, v->source_start[s], &dash);
        push_word(w, v, original, s, e, dash, false);
        prev_end = v->source_end[e - 1];
        s = e;
    }
    if (s >= v->length) /* the label's words reach the end: what follows the last one ("OCOP 3⭐") */
        push_gap(w, original, prev_end, (uint32_t)length, &dash);
}

/* ---- reading the window ----------------------------------------------------- */

static bool word_is(const window *w, size_t i, const char *text)
{
    return i < w->n && w->t[i].type == TOK_WORD && !strcmp(w->t[i].text, text);
}

static bool word_in(const window *w, size_t i, const char *const *words)
{
    for (; *words; words++)
        if (word_is(w, i, *words))
            return true;
    return false;
}

static bool phrase_at(const window *w, size_t i, const char *first, const char *second)
{
    return word_is(w, i, first) && (!second || word_is(w, i + 1, second));
}

static bool is_marker(const window *w, size_t i)
{
    return i < w->n && (w->t[i].type == TOK_STARS || word_is(w, i, "sao"));
}

/* A level at i: digits 1..LABEL_LEVEL_MAX, or a number word right before the star word ("bốn sao"). */
static int level_at(const window *w, size_t i)
{
    if (i >= w->n || w->t[i].type != TOK_WORD)
        return 0;
    const char *t = w->t[i].text;
    if (t[0] >= '0' && t[0] <= '9') {
        int v = 0;
        for (; *t; t++) {
            if (*t < '0' || *t > '9' || v > LABEL_LEVEL_MAX)
                return 0;
            v = v * 10 + (*t - '0');
        }
        return v >= 1 && v <= LABEL_LEVEL_MAX ? v : 0;
    }
    /* "năm" is also a year, "ba" a father, "bay" to fly: words only before the star word */
    static const char *const words[] = {"mot", "hai", "ba", "bon", "nam", "sau", "bay", NULL};
    for (int k = 0; words[k]; k++)
        if (!strcmp(w->t[i].text, words[k]) && is_marker(w, i + 1))
            return k + 1;
    return 0;
}

typedef struct levels {
    uint32_t mask;
    int low, high;
    size_t first, last;      /* token range of the expression */
    bool marker;             /* with a star word or star symbols */
} levels;

static void add_level(levels *lv, int v)
{
    if (v < 1 || v > LABEL_LEVEL_MAX) {
        v = LABEL_LEVEL_MAX + 1; /* out of any scale: kept as "above everything" without a mask bit */
        lv->high = v;
        if (!lv->low)
            lv->low = v;
        return;
    }
    lv->mask |= 1u << v;
    if (!lv->low || v < lv->low)
        lv->low = v;
    if (v > lv->high)
        lv->high = v;
}

static bool joiner(const window *w, size_t i)
{
    static const char *const words[] = {"den", "toi", "va", "hoac", "hay", NULL};
    return word_in(w, i, words);
}

/* Levels written forward from i: "4 sao", "3-4 sao", "4, 5 sao", "3 đến 5 sao", "★★★★", "4⭐". */
static bool levels_forward(const window *w, size_t i, levels *lv)
{
    memset(lv, 0, sizeof *lv);
    lv->first = i;
    if (i < w->n && w->t[i].type == TOK_STARS) {
        add_level(lv, w->t[i].stars);
        lv->last = i;
        lv->marker = true;
        return true;
    }
    int v = level_at(w, i);
    if (!v)
        return false;
    add_level(lv, v);
    size_t j = i + 1;
    for (;;) {
        size_t k = joiner(w, j) ? j + 1 : j;
        int next = level_at(w, k);
        if (!next)
            break;
        if ((w->t[k].dash_before || k > j) && !word_is(w, j, "va") && !word_is(w, j, "hoac") && !word_is(w, j, "hay"))
            for (int x = v + 1; x < next && x <= LABEL_LEVEL_MAX; x++)
                add_level(lv, x); /* a range: "3-5" names 4 too */
        add_level(lv, next);
        v = next;
        j = k + 1;
    }
    lv->last = j - 1;
    if (is_marker(w, j)) {
        lv->marker = true;
        lv->last = j;
        if (w->t[j].type == TOK_WORD && j + 1 < w->n && w->t[j + 1].type == TOK_STARS)
            lv->last = j + 1; /* "4 sao ⭐" */
    }
    return true;
}

/* Levels written backward ending at the star marker at m: "4 sao", "3-5 sao", "★★★★". */
static bool levels_backward(const window *w, size_t m, levels *lv)
{
    if (!is_marker(w, m))
        return false;
    if (w->t[m].type == TOK_STARS && !level_at(w, m - 1)) {
        memset(lv, 0, sizeof *lv);
        add_level(lv, w->t[m].stars);
        lv->first = lv->last = m;
        lv->marker = true;
        return true;
    }
    size_t i = m;
    while (i > 0 && (level_at(w, i - 1) || (i > 1 && joiner(w, i - 1) && level_at(w, i - 2))))
        i -= level_at(w, i - 1) ? 1 : 2;
    if (i == m || !levels_forward(w, i, lv) || !lv->marker)
        return false;
    return true;
}

static bool other_stars_before(const window *w, size_t first);

/* A scope qualifier at token i ("cấp tỉnh", "cấp quốc gia", "trung ương"): its scope, and its length in *n. */
static label_scope scope_at(const window *w, size_t i, size_t *n)
{
    static const struct {
        const char *words[3];
        label_scope scope;
    } qualifiers[] = {
        {{"cap", "tinh", NULL}, LABEL_SCOPE_PROVINCIAL},     {{"cap", "thanh", "pho"}, LABEL_SCOPE_PROVINCIAL},
        {{"cap", "tp", NULL}, LABEL_SCOPE_PROVINCIAL},       {{"cap", "quoc", "gia"}, LABEL_SCOPE_NATIONAL},
        {{"quoc", "gia", NULL}, LABEL_SCOPE_NATIONAL},       {{"cap", "trung", "uong"}, LABEL_SCOPE_NATIONAL},
        {{"trung", "uong", NULL}, LABEL_SCOPE_NATIONAL},     {{"cap", "tw", NULL}, LABEL_SCOPE_NATIONAL},
    };
    *n = 0;
    if (i >= w->n || w->t[i].type != TOK_WORD || (w->t[i].text[0] != 'c' && w->t[i].text[0] != 'q' &&
                                                  w->t[i].text[0] != 't'))
        return LABEL_SCOPE_NONE; /* every qualifier starts with "cap", "quoc" or "trung" */
    for (size_t q = 0; q < sizeof qualifiers / sizeof *qualifiers; q++) {
        size_t k = 0;
        while (k < 3 && qualifiers[q].words[k] && word_is(w, i + k, qualifiers[q].words[k]))
            k++;
        if (k == 3 || (k > 0 && !qualifiers[q].words[k])) {
            *n = k;
            return qualifiers[q].scope;
        }
    }
    *n = 0;
    return LABEL_SCOPE_NONE;
}

/* The qualifier right after token i, across one clause mark ("OCOP 4 sao (cấp tỉnh)"). */
static label_scope scope_after(const window *w, size_t i)
{
    size_t n, j = i + 1;
    if (j < w->n && w->t[j].type == TOK_STARS)
        j++;
    if (j < w->n && w->t[j].type == TOK_BREAK)
        j++;
    return scope_at(w, j, &n);
}

static bool counter_word(const window *w, size_t i)
{
    /* "OCOP 3 tầng" is a three-tier shelf: a number with a counter or unit after it is a quantity */
    static const char *const words[] = {"tang", "kg", "g", "gr", "gram", "ml", "l", "lit", "hop", "goi", "chai", "hu",
                                        "lo", "tui", "cai", "chiec", "qua", "trai", "nam", "thang", "ngay", "loai",
                                        "mau", "vi", "vien", "bao", "thung", "can", "phan", "nguoi", "san", "sp",
                                        "mon", "co", "size", "ngan", "canh", "bo", "set", "combo", "x", NULL};
    return word_in(w, i, words);
}

/* A cue in the clause before token `from` (at most `span` words back, stopping at a clause break). */
static label_claim_kind cue_before(const window *w, size_t from, int span)
{
    int seen = 0;
    for (size_t i = from; i-- > 0 && seen < span;) {
        if (w->t[i].type == TOK_BREAK)
            break;
        if (w->t[i].type != TOK_WORD)
            continue;
        seen++;
        if (phrase_at(w, i, "hoi", "cho") || phrase_at(w, i, "trien", "lam") || word_is(w, i, "festival") ||
            phrase_at(w, i, "le", "hoi") || phrase_at(w, i, "su", "kien") || phrase_at(w, i, "hoi", "thao"))
            return LABEL_MENTION_FAIR;
        if (phrase_at(w, i, "trung", "bay") || phrase_at(w, i, "diem", "ban") || phrase_at(w, i, "gian", "hang"))
            return LABEL_MENTION_SHELF;
        if (word_is(w, i, "sach") || phrase_at(w, i, "tai", "lieu") || phrase_at(w, i, "cam", "nang") ||
            phrase_at(w, i, "giao", "trinh") || phrase_at(w, i, "tieu", "chi") ||
            (phrase_at(w, i, "huong", "dan") && word_is(w, i + 2, "danh")))
            return LABEL_MENTION_PROGRAMME;
        static const char *const after_chua[] = {"xep", "duoc", "dat", "co", "tham", "dang", "danh", "nop", "cong", NULL};
        if ((word_is(w, i, "chua") && (w->t[i].horn || word_in(w, i + 1, after_chua))) || word_is(w, i, "khong") ||
            word_is(w, i, "ko") || word_is(w, i, "kp") || phrase_at(w, i, "dang", "ky") ||
            (word_is(w, i, "cho") && (word_is(w, i + 1, "xep") || word_is(w, i + 1, "danh") ||
                                      word_is(w, i + 1, "cong") || word_is(w, i + 1, "ket"))) ||
            phrase_at(w, i, "du", "thi") || phrase_at(w, i, "ho", "so") || phrase_at(w, i, "muc", "tieu") ||
            phrase_at(w, i, "huong", "toi") || phrase_at(w, i, "phan", "dau") || phrase_at(w, i, "nang", "hang") ||
            phrase_at(w, i, "du", "kien"))
            return LABEL_MENTION_NOT_RATED;
    }
    return LABEL_CLAIM;
}

/* Stars of something else right before the levels: "khách sạn 4 sao", "khách đánh giá 5 sao". */
static bool other_stars_before(const window *w, size_t first)
{
    static const char *const words[] = {"resort", "hotel", "homestay", "vote", "rating", "review", "danh", "gia",
                                        "san", "hang", "khach", NULL};
    for (size_t i = first, k = 0; i-- > 0 && k < 2; k++) {
        if (w->t[i].type != TOK_WORD)
            return false;
        if (phrase_at(w, i, "khach", "san") || phrase_at(w, i, "nha", "hang") || phrase_at(w, i, "danh", "gia") ||
            (k == 0 && word_in(w, i, words) && !word_is(w, i, "hang")))
            return true;
    }
    return false;
}

/* The title as a whole: a fair notice, a book, a shelf. */
static label_claim_kind title_kind(const normalized_text *title)
{
    if (!title || !title->text || !title->length)
        return LABEL_CLAIM;
    const char *t = title->text;
    static const struct {
        const char *phrase;
        label_claim_kind kind;
        bool opening;
    } cues[] = {{"hoi cho", LABEL_MENTION_FAIR, false},   {"trien lam", LABEL_MENTION_FAIR, false},
                {"festival", LABEL_MENTION_FAIR, false},  {"trung bay", LABEL_MENTION_SHELF, false},
                {"sach", LABEL_MENTION_PROGRAMME, true},  {"tai lieu", LABEL_MENTION_PROGRAMME, true},
                {"cam nang", LABEL_MENTION_PROGRAMME, true}, {"giao trinh", LABEL_MENTION_PROGRAMME, true}};
    for (size_t k = 0; k < sizeof cues / sizeof *cues; k++) {
        size_t n = strlen(cues[k].phrase);
        for (const char *p = t; (p = strstr(p, cues[k].phrase)) != NULL; p++) {
            bool starts = p == t || p[-1] == ' ', ends = p[n] == ' ' || p[n] == '\0';
            if (starts && ends && (!cues[k].opening || p == t))
                return cues[k].kind;
            if (cues[k].opening)
                break;
        }
    }
    return LABEL_CLAIM;
}

/* ---- the scan ----------------------------------------------------------------- */

/* Is the word [a, b) of the main view the label ("ocop"), or the label run into digits ("OCOP4")? */
static bool label_word(const normalized_text *v, const char *original, size_t a, size_t b, const char *label,
                       size_t label_length)
{
    if (b - a < label_length || memcmp(v->text + a, label, label_length))
        return false;
    if (b - a == label_length)
        return true;
    uint32_t os = v->source_start[a], oe = v->source_end[b - 1];
    if (oe - os <= label_length)
        return false;
    for (uint32_t i = os + (uint32_t)label_length; i < oe; i++)
        if (original[i] < '0' || original[i] > '9')
            return false;
    return true;
}

size_t label_claim_scan(const normalized_text *view, const char *original, size_t length, const char *label,
                        const normalized_text *listing_title, label_claim *out, size_t max)
{
    size_t count = 0, label_length = label ? strlen(label) : 0;
    if (!view || !view->text || !original || !label_length || !max)
        return 0;
    /* what the whole title is (a fair, a book...): read once, and only once a claim is found */
    label_claim_kind whole = LABEL_CLAIM;
    bool whole_read = false;
    window w;
    for (size_t a = 0; a < view->length && count < max;) {
        size_t b = word_end(view, a);
        if (!label_word(view, original, a, b, label, label_length)) {
            a = b + 1;
            continue;
        }
        build_window(&w, view, original, length, a, b);
        size_t L = 0;
        while (L < w.n && !w.t[L].label)
            L++;
        label_claim *c = &out[count++];
        memset(c, 0, sizeof *c);
        c->start = L < w.n ? w.t[L].os : view->source_start[a];
        c->end = L < w.n ? w.t[L].oe : view->source_end[b - 1];
        c->kind = LABEL_MENTION_NO_LEVEL;
        levels fwd = {0}, back = {0}, far = {0}, *lv = NULL;
        label_scope scope = LABEL_SCOPE_NONE;
        if (L < w.n) {
            /* forward: the label, at most three linking words ("đạt", "chuẩn", "hạng") or a scope qualifier
             * ("OCOP cấp tỉnh 4 sao"), the levels */
            static const char *const links[] = {"dat", "chuan", "hang", "xep", "la", "cap", "tieu", NULL};
            size_t i = L + 1, n;
            label_scope before_level = LABEL_SCOPE_NONE; /* counts only for a forward claim */
            for (int k = 0; k < 3; k++) {
                label_scope qualifier = scope_at(&w, i, &n);
                if (qualifier != LABEL_SCOPE_NONE) {
                    before_level = qualifier;
                    i += n;
                } else if (word_in(&w, i, links)) {
                    i++;
                } else {
                    break;
                }
            }
            bool forward = levels_forward(&w, i, &fwd);
            /* backward: the levels and their star word, at most one linking word, the label ("4 sao OCOP") */
            size_t m = L > 0 ? L - 1 : 0;
            if (L > 1 && (word_is(&w, m, "chuan") || word_is(&w, m, "dat")))
                m--;
            bool backward = L > 0 && levels_backward(&w, m, &back);
            if (forward && fwd.marker)
                lv = &fwd;
            else if (backward)
                lv = &back;
            else if (forward && !counter_word(&w, fwd.last + 1))
                lv = &fwd;
            if (lv == &fwd)
                scope = before_level;
            if (lv && scope == LABEL_SCOPE_NONE) /* "OCOP 5 sao cấp quốc gia", "5 sao OCOP cấp tỉnh" */
                scope = scope_after(&w, lv == &back ? L : lv->last);
            /* further on in the clause, a level with its star word and a qualifier reads as this label's: "OCOP
             * của HTX Tân Cương đạt 3 sao cấp tỉnh" (stars rated by a council are the label's) */
            for (size_t j = L + 1; !lv && j < w.n && j <= L + 8 && w.t[j].type != TOK_BREAK; j++) {
                label_scope qualifier;
                if (levels_forward(&w, j, &far) && far.marker &&
                    (qualifier = scope_after(&w, far.last)) != LABEL_SCOPE_NONE &&
                    !other_stars_before(&w, j)) {
                    lv = &far;
                    scope = qualifier;
                }
            }
        }
        if (lv) {
            size_t first = lv == &back ? lv->first : L, last = lv == &back ? L : lv->last;
            c->kind = LABEL_CLAIM;
            c->scope = scope;
            c->low = lv->low;
            c->high = lv->high;
            c->levels = lv->mask;
            c->start = w.t[first].os;
            c->end = w.t[last].oe;
            if (!whole_read) {
                whole = title_kind(listing_title);
                whole_read = true;
            }
            if (whole != LABEL_CLAIM)
                c->kind = whole;
            else if (lv == &back && other_stars_before(&w, lv->first))
                c->kind = LABEL_MENTION_OTHER_STARS;
            else
                c->kind = cue_before(&w, first, 7);
        }
        a = b + 1;
    }
    return count;
}
