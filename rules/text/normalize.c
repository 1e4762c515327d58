/* normalize: table-driven text folding with offsets. Rules: normalize.h. */
#include "rules/text/normalize.h"
#include "rules/base/error_message.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

/* SSE2 (every x86-64) classifies 16 ASCII bytes at once; elsewhere a scalar
 * loop does. */
#if defined(__SSE2__)
#include <emmintrin.h>
#define LSCAN_ASCII_SIMD 1
#endif
/* With SSE4.1 (checked at run time), whole 16-byte blocks of ASCII and
 * Vietnamese letters are folded at once (fold_blocks). */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <smmintrin.h>
#include <immintrin.h>
#define LSCAN_BLOCKS 1
#endif

#define MAP_FLAGS (UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD | \
                   UTF8PROC_STRIPMARK | UTF8PROC_IGNORE)
#define CODE_POINTS 0x110000u
#define BLOCK_BITS 8
#define BLOCK_SIZE (1u << BLOCK_BITS)
#define BLOCKS (CODE_POINTS >> BLOCK_BITS)
/* Output bytes a single code point may produce (U+FDFA is the longest). */
#define MAX_FOLD 63
/* Spare entries kept past the output: the fast path always stores 4 bytes
 * and 4 offsets, ascii_chunk up to 32 (two 16-entry stores), and a slow
 * output may add up to MAX_FOLD. */
#define SLACK 80

/* ---- table entries ------------------------------------------------------
 * Built as one uint64_t per code point (stage1/stage2, all planes):
 *   bits 0..31   the output bytes (up to 4, in memory order), or for a slow
 *                entry the offset of its output in the pool
 *   bits 32..39  output length (0: the code point vanishes)
 *   bit  40      separator (output is one ' ')
 *   bit  41      candidate: the output holds '@', '$' or one of the digits
 *                0 1 3 4 5, so rule 3 may apply to its token
 *   bit  42      slow: handled out of line (kind in bits 43..45)
 * Fast entries are separators, vanishing code points and outputs of 1..4
 * bytes without spaces; the rest (marks, longer outputs, outputs with spaces
 * inside) are slow.
 *
 * Fast entries never output more bytes than their input has (so the output
 * buffer reserved up front is enough for them).
 *
 * The hot path uses two flat tables derived from it:
 *   pair[b0 | b1 << 8]: for the first two bytes of a sequence, its length and
 *     where its entry is: ent[base + (b2 & mask)], mask 0xFF for a
 *     three-byte sequence (so the third byte is checked by the table), 0
 *     otherwise. Invalid and four-byte sequences, overlong three-byte forms
 *     and surrogates point to the K_DECODE entry.
 *   ent: fentry, laid out so that the update needs no branch (adv and the
 *     space bits are indexed by whether the output so far ends with a
 *     space). */
#define E_LEN(e) ((unsigned)((e) >> 32) & 0xFFu)
#define E_SEP ((uint64_t)1 << 40)
#define E_CAND ((uint64_t)1 << 41)
#define E_SLOW ((uint64_t)1 << 42)
#define E_KIND(e) ((unsigned)((e) >> 43) & 7u)
enum {
    K_FAST = 0,
    K_MARK = 1,     /* nothing, but extends the code point before it */
    K_LONG = 2,     /* pool bytes without spaces */
    K_COMPLEX = 3,  /* pool bytes with spaces inside */
    K_DECODE = 4,   /* from pair only: decode with decode() */
};
#define POOL_MAX (1u << 30)

typedef struct {
    uint32_t bytes;   /* output bytes, or the pool offset of a slow output */
    uint8_t adv[2];   /* entries added when the output so far ends without
                         [0] / with [1] a space (a separator collapses) */
    uint8_t flags;    /* F_* | kind << 4 */
    uint8_t len;      /* output length */
} fentry;
#define F_SPACE0 1u   /* output ends with a space afterwards, from space = 0 */
#define F_SPACE1 2u   /* ... from space = 1 */
#define F_CAND 4u
#define F_SEP 8u
#define F_KIND(f) (((f) >> 4) & 7u)

/* ent: U+0000..U+07FF at their code point; from ENT_THREE, 256 entries per
 * three-byte prefix (U+0800..U+FFFF >> 6), indexed by the third byte (the
 * 64 continuation bytes hold code points, the rest K_DECODE); then one
 * K_DECODE entry. */
#define ENT_THREE 0x800u
#define ENT_DECODE (ENT_THREE + (0x400u - 0x20u) * 256u)
#define ENT_COUNT (ENT_DECODE + 1u)

typedef struct {
    uint32_t base;
    uint8_t mask;
    uint8_t k;        /* sequence length 1..3 (for K_DECODE: 1, unused) */
    uint16_t unused;
} pentry;

struct normalizer {
    uint16_t stage1[BLOCKS];    /* block number per 256 code points */
    uint64_t *stage2;           /* blocks * 256 entries */
    fentry *ent;                /* ENT_COUNT entries, see ENT_THREE */
    pentry *pair;               /* by the first two bytes of a sequence */
    size_t blocks;
    uint8_t *pool;              /* outputs of slow entries */
    size_t pool_length;
    bool ascii_fast;            /* every ASCII byte has a fast one-byte entry */
    bool ascii_simd;            /* ... and ascii_chunk classifies them all right */
    bool simd_blocks;           /* ... and the CPU has SSE4.1: fold_blocks */
    bool avx2_blocks;           /* ... and AVX2 as well: fold_blocks_avx2 */
    uint8_t compress[256][8];   /* positions of the set bits of a byte, in order */
    uint8_t compress_count[256];
};

/* ---- the look-alike tables (documented in normalize.h) ------------------ */

/* Input code points folded before utf8proc (Greek capitals). */
static char greek_capital(int32_t cp)
{
    switch (cp) {
    case 0x0391: return 'a'; case 0x0392: return 'b'; case 0x0395: return 'e';
    case 0x0396: return 'z'; case 0x0397: return 'h'; case 0x0399: return 'i';
    case 0x039A: return 'k'; case 0x039C: return 'm'; case 0x039D: return 'n';
    case 0x039F: return 'o'; case 0x03A1: return 'p'; case 0x03A4: return 't';
    case 0x03A5: return 'y'; case 0x03A7: return 'x';
    default: return 0;
    }
}

/* Code points coming out of utf8proc that look like a Latin letter. */
static char look_alike(int32_t cp)
{
    switch (cp) {
    /* d */
    case 0x0111: case 0x00F0: case 0x0256: return 'd';
    /* Latin */
    case 0x0131: return 'i'; case 0x0261: return 'g'; case 0x0251: return 'a';
    /* Cyrillic */
    case 0x0430: return 'a'; case 0x0432: return 'b'; case 0x0435: return 'e';
    case 0x043A: return 'k'; case 0x043C: return 'm'; case 0x043D: return 'h';
    case 0x043E: return 'o'; case 0x0440: return 'p'; case 0x0441: return 'c';
    case 0x0442: return 't'; case 0x0443: return 'y'; case 0x0445: return 'x';
    case 0x0456: return 'i'; case 0x0458: return 'j'; case 0x0455: return 's';
    case 0x04BB: return 'h'; case 0x0501: return 'd'; case 0x04CF: return 'l';
    case 0x051B: return 'q'; case 0x051D: return 'w'; case 0x04AF: return 'y';
    /* Greek */
    case 0x03B1: return 'a'; case 0x03B2: return 'b'; case 0x03B5: return 'e';
    case 0x03B9: return 'i'; case 0x03BA: return 'k'; case 0x03BD: return 'v';
    case 0x03BF: return 'o'; case 0x03C1: return 'p'; case 0x03C4: return 't';
    case 0x03C5: return 'u'; case 0x03C7: return 'x';
    default: return 0;
    }
}

static bool is_mark(int32_t cp)
{
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_MC || c == UTF8PROC_CATEGORY_ME;
}

/* Appends what rule 1 keeps of one code point c coming out of utf8proc:
 * its look-alike letter, itself when it is a letter or a number, nothing for
 * a format character, else one ' '. */
static size_t fold_output(int32_t c, uint8_t *buf, size_t o)
{
    char a = look_alike(c);
    if (a) {
        buf[o++] = (uint8_t)a;
    } else if (c < 0x80) {
        bool keep = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                    (c >= 'A' && c <= 'Z') || c == '@' || c == '$';
        buf[o++] = keep ? (uint8_t)c : ' ';
    } else {
        utf8proc_category_t cat = utf8proc_category(c);
        if ((cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
            (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO))
            o += (size_t)utf8proc_encode_char(c, buf + o);
        else if (cat != UTF8PROC_CATEGORY_CF)
            buf[o++] = ' ';
    }
    return o;
}

/* Rule 1 for one code point, through utf8proc_map: kept code points as
 * UTF-8, one ' ' per separator. Returns the length written into buf (at most
 * cap), or -1 if utf8proc fails or the output does not fit. */
static int fold_code_point(int32_t cp, uint8_t *buf, size_t cap)
{
    char g = greek_capital(cp);
    if (g) {
        buf[0] = (uint8_t)g;
        return 1;
    }
    uint8_t src[4];
    utf8proc_ssize_t srclen = utf8proc_encode_char(cp, src);
    utf8proc_uint8_t *mapped = NULL;
    utf8proc_ssize_t m = utf8proc_map(src, srclen, &mapped, MAP_FLAGS);
    if (m < 0)
        return -1;
    size_t o = 0;
    for (utf8proc_ssize_t pos = 0; pos < m;) {
        int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate(mapped + pos, m - pos, &c);
        if (k <= 0 || o + 4 > cap) {
            free(mapped);
            return -1;
        }
        pos += k;
        o = fold_output(c, buf, o);
    }
    free(mapped);
    return (int)o;
}

static bool maps_to_itself(const utf8proc_property_t *p) /* with MAP_FLAGS, Hangul and Greek capitals aside */
{
    return p->decomp_seqindex == UINT16_MAX && p->casefold_seqindex == UINT16_MAX && !p->ignorable &&
           p->category != UTF8PROC_CATEGORY_MN && p->category != UTF8PROC_CATEGORY_MC &&
           p->category != UTF8PROC_CATEGORY_ME;
}

/* fold_code_point for building the tables: the same result, without calling
 * utf8proc_map for the code points it maps to themselves (no decomposition,
 * no case folding, not ignorable, not a mark, not a Hangul syllable: with
 * MAP_FLAGS utf8proc then emits the code point unchanged, and composing a
 * single code point changes nothing). Those are nearly all of the 1.1M code
 * points (unassigned planes, private use, CJK), and utf8proc_map's two
 * passes and malloc per code point were most of normalizer_create's time.
 * The differential tests on every code point (tests/test_normalize.c)
 * compare the tables with normalize_text_reference, which maps each one. */
static int fold_code_point_for_table(int32_t cp, uint8_t *buf, size_t cap)
{
    bool hangul = cp >= 0xAC00 && cp <= 0xD7A3;
    if (greek_capital(cp) || hangul || !maps_to_itself(utf8proc_get_property(cp)))
        return fold_code_point(cp, buf, cap);
    return (int)fold_output(cp, buf, 0);
}

static bool is_candidate(uint8_t c)
{
    return c == '@' || c == '$' || c == '0' || c == '1' || c == '3' || c == '4' || c == '5';
}

/* ---- output buffers ----------------------------------------------------- */

void normalized_text_init(normalized_text *t)
{
    memset(t, 0, sizeof *t);
}

void normalized_text_free(normalized_text *t)
{
    free(t->text);
    free(t->source_start);
    free(t->source_end);
    normalized_text_init(t);
}

/* Makes room for `need` entries (and the NUL), keeping the content. */
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

static void clear(normalized_text *t)
{
    t->length = 0;
    if (t->text)
        t->text[0] = '\0';
}

/* ---- rules 2 and 3 on a finished view ----------------------------------- */

/* Collapses runs of spaces to their first, drops leading/trailing spaces
 * (without branches: every entry is written, the index advances or not). */
static void collapse_spaces(normalized_text *t)
{
    char *s = t->text;
    size_t o = 0;
    unsigned space = 1;
    for (size_t i = 0; i < t->length; i++) {
        unsigned is_space = s[i] == ' ';
        s[o] = s[i];
        t->source_start[o] = t->source_start[i];
        t->source_end[o] = t->source_end[i];
        o += !(is_space & space);
        space = is_space;
    }
    if (o && s[o - 1] == ' ')
        o--;
    s[o] = '\0';
    t->length = o;
}

static bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
static bool is_symbol(uint8_t c) { return c == '@' || c == '$'; }

/* Rule 3 on the token s[ts..te). Returns true if a byte became a space. */
static bool fold_token(char *text, size_t ts, size_t te)
{
    uint8_t *s = (uint8_t *)text;
    size_t letters = 0;
    for (size_t k = ts; k < te; k++)
        letters += (unsigned)(s[k] - 'a') < 26u;
    bool fold = letters >= 3, spaced = false;
    for (size_t k = ts; k < te;) {
        size_t r = k + 1;
        if (is_digit(s[k])) {
            while (r < te && is_digit(s[r]))
                r++;
            if (fold && r - k == 1) {
                static const char digit_letter[10] = {'o', 'i', 0, 'e', 'a', 's', 0, 0, 0, 0};
                char l = digit_letter[s[k] - '0'];
                if (l)
                    s[k] = (uint8_t)l;
            }
        } else if (is_symbol(s[k])) {
            while (r < te && is_symbol(s[r]))
                r++;
            if (fold && r - k == 1) {
                s[k] = s[k] == '@' ? 'a' : 's';
            } else {
                memset(s + k, ' ', r - k);
                spaced = true;
            }
        }
        k = r;
    }
    return spaced;
}

/* Rule 3 on every token of t holding a candidate byte. */
static void apply_token_rules(normalized_text *t)
{
    char *s = t->text;
    size_t n = t->length;
    bool spaced = false;
    for (size_t i = 0; i < n;) {
#ifdef LSCAN_ASCII_SIMD
        /* 16 bytes at a time to the next candidate: '0' '1' '3' '4' '5' '@' '$' */
        for (; i + 16 <= n; i += 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(s + i));
            __m128i d = _mm_sub_epi8(x, _mm_set1_epi8('0'));
            __m128i digit = _mm_andnot_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('2')),
                                             _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(5)), d));
            __m128i hit = _mm_or_si128(digit, _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('@')),
                                                           _mm_cmpeq_epi8(x, _mm_set1_epi8('$'))));
            unsigned m = (unsigned)_mm_movemask_epi8(hit);
            if (m) {
                i += (unsigned)__builtin_ctz(m);
                break;
            }
        }
#else
        /* 8 bytes at a time while none can be '$' (0x24), '@' (0x40) or
         * '0'..'7' (0x30..0x37, a superset of the candidate digits) */
        const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
        while (i + 8 <= n) {
            uint64_t x;
            memcpy(&x, s + i, 8);
            uint64_t d = x ^ (ones * 0x30), a = x ^ (ones * 0x24), b = x ^ (ones * 0x40);
            uint64_t hit = ((d - ones * 8) & ~d) | ((a - ones) & ~a) | ((b - ones) & ~b);
            if (hit & highs)
                break;
            i += 8;
        }
#endif
        while (i < n && !is_candidate((uint8_t)s[i]))
            i++;
        if (i >= n)
            break;
#ifdef LSCAN_ASCII_SIMD
        /* Most candidate tokens are numbers ("2005", "0978"), which rule 3
         * leaves alone: a 16-byte window around the candidate gives the
         * token's bounds, whether it holds 3 letters and whether it holds a
         * '@' or '$', without a loop; longer tokens take the loops below. */
        if (n >= 16) {
            size_t w = i < 8 ? 0 : i - 8;
            w = w + 16 <= n ? w : n - 16;
            __m128i x = _mm_loadu_si128((const __m128i *)(s + w));
            unsigned spaces = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')));
            unsigned q = (unsigned)(i - w), below = spaces & ((1u << q) - 1), above = spaces >> q;
            if ((below || w == 0) && (above || w + 16 == n)) {
                unsigned start = below ? 32u - (unsigned)__builtin_clz(below) : 0;
                unsigned end = above ? q + (unsigned)__builtin_ctz(above) : 16;
                unsigned token = ((1u << end) - 1) & ~((1u << start) - 1);
                __m128i d = _mm_sub_epi8(x, _mm_set1_epi8('a'));
                unsigned letters = (unsigned)_mm_movemask_epi8(
                    _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(25)), d)) & token;
                unsigned symbols = (unsigned)_mm_movemask_epi8(_mm_or_si128(
                    _mm_cmpeq_epi8(x, _mm_set1_epi8('@')), _mm_cmpeq_epi8(x, _mm_set1_epi8('$')))) & token;
                letters &= letters - 1;
                letters &= letters - 1;   /* now non-zero iff 3 letters or more */
                if (letters || symbols)
                    spaced |= fold_token(s, w + start, w + end);
                i = w + end;
                continue;
            }
        }
#endif
        size_t ts = i, te = i;
        while (ts > 0 && s[ts - 1] != ' ')
            ts--;
        while (te < n && s[te] != ' ')
            te++;
        spaced |= fold_token(s, ts, te);
        i = te;
    }
    if (spaced)
        collapse_spaces(t);
}

/* ---- UTF-8 -------------------------------------------------------------- */

static bool cont(uint8_t c) { return (c & 0xC0) == 0x80; }

/* Decodes one valid UTF-8 sequence (the rules of utf8proc_iterate) at
 * s[0..avail), s[0] >= 0x80. Returns its length, or 0 if invalid. */
static size_t decode(const uint8_t *s, size_t avail, uint32_t *cp)
{
    uint8_t c = s[0];
    if (c < 0xC2)
        return 0;
    if (c < 0xE0) {
        if (avail < 2 || !cont(s[1]))
            return 0;
        *cp = ((uint32_t)(c & 0x1F) << 6) | (s[1] & 0x3F);
        return 2;
    }
    if (c < 0xF0) {
        if (avail < 3 || !cont(s[1]) || !cont(s[2]))
            return 0;
        if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F))
            return 0;
        *cp = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        return 3;
    }
    if (c < 0xF5) {
        if (avail < 4 || !cont(s[1]) || !cont(s[2]) || !cont(s[3]))
            return 0;
        if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
            return 0;
        *cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
              ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
        return 4;
    }
    return 0;
}

/* ---- building the tables ------------------------------------------------ */

typedef struct {
    uint8_t *pool;
    size_t length, capacity;
    uint32_t *slots;        /* open addressing: pool offset + 1, 0 = empty */
    uint8_t *slot_len;
    size_t slot_count, used;
} pool_builder;

static uint32_t hash_bytes(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

/* Stores bytes in the pool once; returns the offset or -1. */
static long pool_intern(pool_builder *b, const uint8_t *p, size_t n)
{
    if (b->used * 2 >= b->slot_count)
        return -1;
    size_t mask = b->slot_count - 1;
    for (size_t i = hash_bytes(p, n) & mask;; i = (i + 1) & mask) {
        uint32_t s = b->slots[i];
        if (!s)  {
            if (b->length + n + 8 > POOL_MAX)
                return -1;
            if (b->length + n + 8 > b->capacity) {
                size_t cap = b->capacity * 2;
                uint8_t *np = realloc(b->pool, cap);
                if (!np)
                    return -1;
                memset(np + b->capacity, 0, cap - b->capacity);
                b->pool = np;
                b->capacity = cap;
            }
            memcpy(b->pool + b->length, p, n);
            b->slots[i] = (uint32_t)b->length + 1;
            b->slot_len[i] = (uint8_t)n;
            b->used++;
            b->length += n;
            return (long)b->slots[i] - 1;
        }
        if (b->slot_len[i] == n && memcmp(b->pool + s - 1, p, n) == 0)
            return (long)s - 1;
    }
}

/* The entry of one code point (rule 1 through utf8proc). */
static int build_entry(pool_builder *b, int32_t cp, uint64_t *entry)
{
    const uint64_t sep = E_SEP | ((uint64_t)1 << 32) | ' ';
    if (cp >= 0xD800 && cp <= 0xDFFF) {      /* never decoded */
        *entry = sep;
        return 0;
    }
    uint8_t buf[MAX_FOLD + 4];
    int len = fold_code_point_for_table(cp, buf, MAX_FOLD);
    if (len < 0)
        return -1;
    bool spaces = false, letters = false, cand = false;
    for (int i = 0; i < len; i++) {
        if (buf[i] == ' ')
            spaces = true;
        else
            letters = true;
        cand |= is_candidate(buf[i]);
    }
    if (len == 0) {
        *entry = is_mark(cp) ? E_SLOW | ((uint64_t)K_MARK << 43) : 0;
        return 0;
    }
    if (!letters) {
        *entry = sep;
        return 0;
    }
    uint64_t flags = ((uint64_t)len << 32) | (cand ? E_CAND : 0);
    uint8_t src[4];
    if (!spaces && len <= utf8proc_encode_char(cp, src)) {   /* never longer than its input */
        uint32_t bytes = 0;
        memcpy(&bytes, buf, (size_t)len);
        *entry = flags | bytes;
        return 0;
    }
    long off = pool_intern(b, buf, (size_t)len);
    if (off < 0)
        return -1;
    *entry = flags | E_SLOW | ((uint64_t)(spaces ? K_COMPLEX : K_LONG) << 43) | (uint64_t)off;
    return 0;
}

/* The hot-path form of a table entry. */
static fentry fast_entry(uint64_t e)
{
    fentry f = {(uint32_t)e, {0, 0}, 0, (uint8_t)E_LEN(e)};
    if (e & E_SLOW) {
        f.flags = (uint8_t)(E_KIND(e) << 4);
    } else if (e & E_SEP) {
        f.adv[0] = 1;                             /* a collapsed space adds nothing */
        f.flags = F_SEP | F_SPACE0 | F_SPACE1;
    } else if (E_LEN(e) == 0) {
        f.flags = F_SPACE1;                       /* nothing: the state stays */
    } else {
        f.adv[0] = f.adv[1] = f.len;
    }
    if (e & E_CAND)
        f.flags |= F_CAND;
    return f;
}

/* Whether every code point of block bi gets the same entry without being
 * looked at: they share one utf8proc property (utf8proc keeps one copy of
 * each distinct property, so the pointers are equal) that maps a code point
 * to itself (fold_code_point_for_table's shortcut) and is no letter, number
 * or mark, so rule 1 gives a separator or nothing whatever the code point.
 * The unassigned planes and private use, two thirds of the code points. */
static bool uniform_block(uint32_t bi)
{
    int32_t first = (int32_t)(bi << BLOCK_BITS);
    const utf8proc_property_t *p = utf8proc_get_property(first);
    utf8proc_propval_t c = p->category;
    if (!maps_to_itself(p) || (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_NO))
        return false;
    for (uint32_t k = 1; k < BLOCK_SIZE; k++)
        if (utf8proc_get_property(first + (int32_t)k) != p)
            return false;
    return true;
}

static int build_tables(normalizer *n, char *error, size_t error_size)
{
    int rc = -1;
    pool_builder b = {0};
    uint64_t *block = NULL;
    uint32_t *block_hash = NULL;
    uint16_t *hash_slots = NULL;
    b.capacity = 1 << 16;
    b.pool = calloc(b.capacity, 1);
    b.slot_count = 1 << 18;
    b.slots = calloc(b.slot_count, sizeof *b.slots);
    b.slot_len = calloc(b.slot_count, 1);
    n->stage2 = malloc((size_t)BLOCKS * BLOCK_SIZE * sizeof *n->stage2);
    block_hash = malloc(BLOCKS * sizeof *block_hash);
    const size_t hash_size = 8192;   /* > 2 * BLOCKS */
    hash_slots = calloc(hash_size, sizeof *hash_slots);   /* block + 1 */
    if (!b.pool || !b.slots || !b.slot_len || !n->stage2 || !block_hash || !hash_slots) {
        error_message_set(error, error_size, "normalizer: out of memory");
        goto done;
    }
    n->blocks = 0;
    for (uint32_t bi = 0; bi < BLOCKS; bi++) {
        block = n->stage2 + n->blocks * BLOCK_SIZE;
        bool same = uniform_block(bi);
        for (uint32_t k = 0; k < BLOCK_SIZE; k++) {
            int32_t cp = (int32_t)((bi << BLOCK_BITS) | k);
            if (same && k > 0) {
                block[k] = block[0];
                continue;
            }
            if (build_entry(&b, cp, &block[k]) != 0) {
                error_message_set(error, error_size,
                          "normalizer: cannot build the entry of U+%04X "
                          "(utf8proc error, output over %d bytes or pool full)",
                          (unsigned)cp, MAX_FOLD);
                goto done;
            }
        }
        /* share identical blocks */
        uint32_t h = hash_bytes((const uint8_t *)block, BLOCK_SIZE * sizeof *block);
        size_t i = h & (hash_size - 1);
        for (; hash_slots[i]; i = (i + 1) & (hash_size - 1)) {
            size_t other = hash_slots[i] - 1u;
            if (block_hash[other] == h &&
                memcmp(n->stage2 + other * BLOCK_SIZE, block, BLOCK_SIZE * sizeof *block) == 0)
                break;
        }
        if (hash_slots[i]) {
            n->stage1[bi] = (uint16_t)(hash_slots[i] - 1u);
        } else {
            hash_slots[i] = (uint16_t)(n->blocks + 1);
            block_hash[n->blocks] = h;
            n->stage1[bi] = (uint16_t)n->blocks;
            n->blocks++;
        }
    }
    uint64_t *shrunk = realloc(n->stage2, n->blocks * BLOCK_SIZE * sizeof *shrunk);
    if (shrunk)
        n->stage2 = shrunk;
    n->ent = malloc(ENT_COUNT * sizeof *n->ent);
    n->pair = malloc(0x10000 * sizeof *n->pair);
    if (!n->ent || !n->pair) {
        error_message_set(error, error_size, "normalizer: out of memory");
        goto done;
    }
    const fentry decode_entry = fast_entry(E_SLOW | ((uint64_t)K_DECODE << 43));
    for (uint32_t i = 0; i < ENT_COUNT; i++)
        n->ent[i] = decode_entry;
    for (uint32_t cp = 0; cp < 0x10000; cp++) {
        uint64_t e = n->stage2[((size_t)n->stage1[cp >> BLOCK_BITS] << BLOCK_BITS) | (cp & 0xFF)];
        size_t at = cp < 0x800 ? cp : ENT_THREE + ((size_t)(cp >> 6) - 0x20) * 256 + 0x80 + (cp & 0x3F);
        n->ent[at] = fast_entry(e);
    }
    for (uint32_t w = 0; w < 0x10000; w++) {
        uint8_t bytes[4] = {(uint8_t)w, (uint8_t)(w >> 8), 0x80, 0x80};
        uint32_t cp = 0;
        size_t k = bytes[0] < 0x80 ? 1 : decode(bytes, 4, &cp);
        pentry pe = {ENT_DECODE, 0, 1, 0};
        if (k == 1)
            pe = (pentry){bytes[0], 0, 1, 0};
        else if (k == 2)
            pe = (pentry){cp, 0, 2, 0};
        else if (k == 3)   /* the third byte picks one of 256 entries */
            pe = (pentry){(uint32_t)(ENT_THREE + ((cp >> 6) - 0x20) * 256), 0xFF, 3, 0};
        n->pair[w] = pe;
    }
    n->pool = b.pool;
    n->pool_length = b.length;
    b.pool = NULL;
    rc = 0;
done:
    free(b.pool);
    free(b.slots);
    free(b.slot_len);
    free(block_hash);
    free(hash_slots);
    return rc;
}

int normalizer_create(normalizer **out, char *error, size_t error_size)
{
    if (error && error_size)
        error[0] = '\0';
    if (!out) {
        error_message_set(error, error_size, "normalizer: no output pointer");
        return -1;
    }
    *out = NULL;
    normalizer *n = calloc(1, sizeof *n);
    if (!n) {
        error_message_set(error, error_size, "normalizer: out of memory");
        return -1;
    }
    if (build_tables(n, error, error_size) != 0) {
        normalizer_destroy(n);
        return -1;
    }
    n->ascii_fast = true;
    for (unsigned c = 0; c < 128; c++)
        n->ascii_fast &= (n->ent[c].flags & 0x70) == 0 && n->ent[c].len <= 1 && n->ent[c].adv[0] <= 1;
    /* the classification ascii_chunk hard-codes, checked against the table */
    n->ascii_simd = true;
    for (unsigned c = 0; c < 128; c++) {
        const fentry *e = &n->ent[c];
        unsigned folded = c | 0x20;
        bool letter = folded >= 'a' && folded <= 'z', digit = c >= '0' && c <= '9';
        bool keep = letter || digit || c == '@' || c == '$';
        bool cand = (digit && c <= '5' && c != '2') || c == '@' || c == '$';
        if (keep)
            n->ascii_simd &= e->flags == (cand ? F_CAND : 0) && e->len == 1 &&
                             (e->bytes & 0xFF) == (letter ? folded : c) && e->adv[0] == 1 && e->adv[1] == 1;
        else
            n->ascii_simd &= (e->flags & ~F_CAND) == (F_SEP | F_SPACE0 | F_SPACE1);
    }
#ifdef LSCAN_BLOCKS
    n->simd_blocks = n->ascii_simd && __builtin_cpu_supports("sse4.1");
    n->avx2_blocks = n->simd_blocks && __builtin_cpu_supports("avx2");
#endif
    for (unsigned m = 0; m < 256; m++) {
        unsigned c = 0;
        for (unsigned b = 0; b < 8; b++)
            if (m & (1u << b))
                n->compress[m][c++] = (uint8_t)b;
        n->compress_count[m] = (uint8_t)c;
    }
    *out = n;
    return 0;
}

void normalizer_destroy(normalizer *n)
{
    if (!n)
        return;
    free(n->stage2);
    free(n->ent);
    free(n->pair);
    free(n->pool);
    free(n);
}

/* ---- the fast path ------------------------------------------------------ */

#define UNLIKELY(x) __builtin_expect(!!(x), 0)

#ifdef LSCAN_ASCII_SIMD
/* Stores the 16 bytes m at text + o and the offsets [i + q, i + q + 1) of
 * them (only the first ones count: the caller advances o by fewer). */
static inline void store16(uint8_t *text, uint32_t *st, uint32_t *en, size_t o, __m128i m, uint32_t i)
{
    _mm_storeu_si128((__m128i *)(text + o), m);
    __m128i s = _mm_add_epi32(_mm_set1_epi32((int)i), _mm_setr_epi32(0, 1, 2, 3));
    const __m128i four = _mm_set1_epi32(4), one = _mm_set1_epi32(1);
    for (unsigned q = 0; q < 4; q++) {
        _mm_storeu_si128((__m128i *)(st + o + 4 * q), s);
        _mm_storeu_si128((__m128i *)(en + o + 4 * q), _mm_add_epi32(s, one));
        s = _mm_add_epi32(s, four);
    }
}

/* Rules 1 and 2 on the ASCII bytes c[0..16) at input offset i, up to the
 * first non-ASCII byte or the first bit not in `limit` (c[0] is ASCII and in
 * it). Returns the input bytes consumed (>= 1).
 *
 * Without a branch per byte: the bytes are classified at once (the ASCII
 * part of the tables, checked by normalizer_create) and stored 16 at a time.
 * How far the input advances depends only on where the ASCII ends (short
 * latency from the load, so the next chunk can start early); separators that
 * collapse into the one before them cut the output into segments, each
 * stored whole. The caller guarantees room for 32 entries at *o. */
static inline size_t ascii_chunk(const uint8_t *c, uint32_t i, unsigned limit, uint8_t *text,
                                 uint32_t *st, uint32_t *en, size_t *o, uint32_t *space,
                                 uint32_t *any_flags)
{
    __m128i v = _mm_loadu_si128((const __m128i *)c);
    unsigned ascii = ~(unsigned)_mm_movemask_epi8(v) & limit;
    unsigned len = (unsigned)__builtin_ctz(~ascii);   /* the leading ASCII bytes */
    unsigned prefix = (1u << len) - 1;
    /* (signed compares: the non-ASCII bytes are outside the prefix anyway) */
    __m128i folded = _mm_or_si128(v, _mm_set1_epi8(0x20));   /* A-Z onto a-z */
    __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(folded, _mm_set1_epi8('a' - 1)),
                                   _mm_cmplt_epi8(folded, _mm_set1_epi8('z' + 1)));
    __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                                  _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
    __m128i symbol = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('@')),
                                  _mm_cmpeq_epi8(v, _mm_set1_epi8('$')));
    __m128i other = _mm_or_si128(digit, symbol);                /* kept as they are */
    __m128i keep = _mm_or_si128(letter, other);
    __m128i mapped = _mm_or_si128(_mm_or_si128(_mm_and_si128(letter, folded), _mm_and_si128(other, v)),
                                  _mm_andnot_si128(keep, _mm_set1_epi8(' ')));
    /* rule 3 candidates: '0' '1' '3' '4' '5' '@' '$' */
    __m128i cand = _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('2')),
                                                 _mm_and_si128(digit, _mm_cmplt_epi8(v, _mm_set1_epi8('6')))),
                                symbol);
    unsigned sep = ~(unsigned)_mm_movemask_epi8(keep) & prefix;
    unsigned drop = sep & ((sep << 1) | *space);   /* separators after a separator */
    if (_mm_movemask_epi8(cand) & prefix)
        *any_flags |= F_CAND;
    *space = (sep >> (len - 1)) & 1;
    if (!drop) {
        store16(text, st, en, *o, mapped, i);
        *o += len;
        return len;
    }
    /* segments between the dropped separators, each stored from a copy */
    uint8_t buf[32] = {0};
    _mm_storeu_si128((__m128i *)buf, mapped);
    for (unsigned a = 0; a < len;) {
        unsigned b = (unsigned)__builtin_ctz(drop | (prefix + 1));   /* segment [a, b) */
        store16(text, st, en, *o, _mm_loadu_si128((const __m128i *)(buf + a)), i + a);
        *o += b - a;
        a = b + (unsigned)__builtin_ctz(~(drop >> b));           /* past the dropped run */
        drop &= ~((1u << a) - 1);
    }
    return len;
}
#endif

#ifdef LSCAN_BLOCKS
typedef struct {
    size_t i, o;
    uint32_t space, any_flags;
} fold_state;

/* Stores 8 output bytes of a block: the entries at the block positions idx
 * (bytes 0..7 of it) of mapped, their offsets [i + q, i + q + lens[q]). */
__attribute__((target("sse4.1"))) static inline void store_half(uint8_t *text, uint32_t *st, uint32_t *en,
                                                                size_t o, __m128i mapped, __m128i lens,
                                                                __m128i idx, __m128i base)
{
    _mm_storel_epi64((__m128i *)(text + o), _mm_shuffle_epi8(mapped, idx));
    __m128i ln = _mm_shuffle_epi8(lens, idx);
    __m128i p0 = _mm_add_epi32(_mm_cvtepu8_epi32(idx), base);
    __m128i p1 = _mm_add_epi32(_mm_cvtepu8_epi32(_mm_srli_si128(idx, 4)), base);
    _mm_storeu_si128((__m128i *)(st + o), p0);
    _mm_storeu_si128((__m128i *)(st + o + 4), p1);
    _mm_storeu_si128((__m128i *)(en + o), _mm_add_epi32(p0, _mm_cvtepu8_epi32(ln)));
    _mm_storeu_si128((__m128i *)(en + o + 4), _mm_add_epi32(p1, _mm_cvtepu8_epi32(_mm_srli_si128(ln, 4))));
}

/* store_half with AVX2: the eight offsets of each array in one store. */
__attribute__((target("avx2"))) static inline void store_half_wide(uint8_t *text, uint32_t *st, uint32_t *en,
                                                                   size_t o, __m128i mapped, __m128i lens,
                                                                   __m128i idx, __m128i base)
{
    _mm_storel_epi64((__m128i *)(text + o), _mm_shuffle_epi8(mapped, idx));
    __m256i p = _mm256_add_epi32(_mm256_cvtepu8_epi32(idx), _mm256_broadcastsi128_si256(base));
    _mm256_storeu_si256((__m256i *)(st + o), p);
    _mm256_storeu_si256((__m256i *)(en + o), _mm256_add_epi32(p, _mm256_cvtepu8_epi32(_mm_shuffle_epi8(lens, idx))));
}

/* Rules 1 and 2 on whole 16-byte blocks from s->i, as long as a block
 * starts with something it handles: ASCII (classified as ascii_chunk does),
 * and valid two- and three-byte sequences whose entry is one output byte
 * that is not a space (Vietnamese letters: à ạ ư đ ế ...). Vietnamese words
 * are short, so ASCII runs alone would stop every few bytes.
 *
 * Per block, without a branch per byte: the lead and continuation bytes are
 * classified at once and checked against each other (the block ends before
 * the first invalid, cut or four-byte sequence); each lead's entry is
 * looked up (independent loads; the block ends before the first one that
 * is not a single byte); the output is the ASCII mapping with the folded
 * letters blended in at their lead bytes, continuation bytes and collapsed
 * separators dropped, compacted with a shuffle 8 positions at a time, and
 * the offsets [start, start + sequence length) computed the same way.
 * Returns at the end of the input or when a block would end at its first
 * byte (left to the caller's slower paths). A block reads up to two bytes
 * past itself (a lead at 14 or 15), so the last 18 bytes are read from a
 * padded copy. Room: as ascii_chunk (16 entries are stored past o, no more
 * output than input). */
__attribute__((target("sse4.1"), always_inline)) static inline void
fold_blocks_with(const normalizer *n, const uint8_t *in, size_t length, uint8_t *text, uint32_t *st, uint32_t *en,
                 fold_state *s, const bool wide)
{
    size_t i = s->i, o = s->o;
    uint32_t space = s->space, any = s->any_flags;
    const pentry *pair = n->pair;
    const fentry *ent = n->ent;
    uint8_t pad[32];
    for (;;) {
        const uint8_t *c = in + i;
        unsigned limit = 16;
        if (UNLIKELY(i + 19 > length)) {
            /* the last bytes, from a copy padded with zeros (ASCII: a
             * sequence cut by the end fails the continuation check) */
            if (i >= length)
                break;
            memset(pad, 0, sizeof pad);
            memcpy(pad, in + i, length - i);
            c = pad;
            limit = length - i < 16 ? (unsigned)(length - i) : 16;
        }
        __m128i v = _mm_loadu_si128((const __m128i *)c);
        __m128i high = _mm_cmplt_epi8(v, _mm_setzero_si128());                               /* 80..FF */
        __m128i lead_v = _mm_and_si128(high, _mm_cmpgt_epi8(v, _mm_set1_epi8(-65)));         /* C0..FF */
        __m128i lead3_v = _mm_and_si128(high, _mm_cmpgt_epi8(v, _mm_set1_epi8(-33)));        /* E0..FF */
        unsigned hi = (unsigned)_mm_movemask_epi8(high), lead = (unsigned)_mm_movemask_epi8(lead_v);
        unsigned ge_e0 = (unsigned)_mm_movemask_epi8(lead3_v);
        unsigned ge_f0 = (unsigned)_mm_movemask_epi8(_mm_and_si128(high, _mm_cmpgt_epi8(v, _mm_set1_epi8(-17))));
        unsigned cont = hi & ~lead, lead3 = ge_e0 & ~ge_f0, lead2 = lead & ~ge_e0;
        /* continuation bytes the leads call for (past bit 15: cut by the block) */
        unsigned expected = (lead2 << 1) | (lead3 << 1) | (lead3 << 2);
        unsigned bad = (expected ^ cont) | ge_f0, len = 16;
        if (bad) {
            unsigned f = (unsigned)__builtin_ctz(bad);
            /* a missing continuation: the block ends before its lead */
            len = (expected >> f) & 1 ? 31u - (unsigned)__builtin_clz(lead & ((1u << f) - 1)) : f;
        }
        len = len < limit ? len : limit;
        uint64_t sub_lo = 0, sub_hi = 0;
        for (unsigned m = lead & ((1u << len) - 1); m; m &= m - 1) {
            unsigned p = (unsigned)__builtin_ctz(m);
            const pentry *pe = &pair[c[p] | ((uint32_t)c[p + 1] << 8)];
            const fentry *e = &ent[pe->base + (c[p + 2] & pe->mask)];
            if (UNLIKELY((e->flags & ~F_CAND) || e->len != 1)) {
                len = p;
                break;
            }
            /* a mask, not a condition: the compiler would branch on it */
            uint64_t b = (uint64_t)(e->bytes & 0xFF) << ((p & 7) * 8), low = (uint64_t)(((int64_t)p - 8) >> 63);
            sub_lo |= b & low;
            sub_hi |= b & ~low;
            any |= e->flags;
        }
        if (!len)
            break;
        unsigned prefix = (1u << len) - 1;
        /* ASCII: as ascii_chunk (the non-ASCII bytes fail every signed test) */
        __m128i folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
        __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(folded, _mm_set1_epi8('a' - 1)),
                                       _mm_cmplt_epi8(folded, _mm_set1_epi8('z' + 1)));
        __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                                      _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
        __m128i symbol = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('@')),
                                      _mm_cmpeq_epi8(v, _mm_set1_epi8('$')));
        __m128i other = _mm_or_si128(digit, symbol);
        __m128i keep = _mm_or_si128(letter, other);
        __m128i mapped = _mm_or_si128(_mm_or_si128(_mm_and_si128(letter, folded), _mm_and_si128(other, v)),
                                      _mm_andnot_si128(keep, _mm_set1_epi8(' ')));
        mapped = _mm_blendv_epi8(mapped, _mm_set_epi64x((long long)sub_hi, (long long)sub_lo), lead_v);
        __m128i cand = _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('2')),
                                                     _mm_and_si128(digit, _mm_cmplt_epi8(v, _mm_set1_epi8('6')))),
                                    symbol);
        if ((unsigned)_mm_movemask_epi8(cand) & prefix)
            any |= F_CAND;
        /* separators are ASCII here; one right after another collapses */
        unsigned sep = ~((unsigned)_mm_movemask_epi8(keep) | hi) & prefix;
        unsigned kept = ~(cont | (sep & ((sep << 1) | space))) & prefix;
        space = (sep >> (len - 1)) & 1;
        /* sequence lengths: 1, 2 for C0..DF, 3 for E0..EF */
        __m128i lens = _mm_sub_epi8(_mm_sub_epi8(_mm_set1_epi8(1), lead_v), lead3_v);
        __m128i base = _mm_set1_epi32((int)i);
        unsigned klo = kept & 0xFF, khi = kept >> 8;
        __m128i idx_lo = _mm_loadl_epi64((const __m128i *)n->compress[klo]);
        __m128i idx_hi = _mm_add_epi8(_mm_loadl_epi64((const __m128i *)n->compress[khi]), _mm_set1_epi8(8));
        if (wide)
            store_half_wide(text, st, en, o, mapped, lens, idx_lo, base);
        else
            store_half(text, st, en, o, mapped, lens, idx_lo, base);
        o += n->compress_count[klo];
        if (wide)
            store_half_wide(text, st, en, o, mapped, lens, idx_hi, base);
        else
            store_half(text, st, en, o, mapped, lens, idx_hi, base);
        o += n->compress_count[khi];
        i += len;
    }
    s->i = i;
    s->o = o;
    s->space = space;
    s->any_flags = any;
}

/* fold_blocks_with for SSE4.1, and for AVX2 (a seventh faster on the
 * shared corpus: the offsets go out eight at a time). */
__attribute__((target("sse4.1"), flatten)) static void fold_blocks(const normalizer *n, const uint8_t *in,
                                                                   size_t length, uint8_t *text, uint32_t *st,
                                                                   uint32_t *en, fold_state *s)
{
    fold_blocks_with(n, in, length, text, st, en, s, false);
}

__attribute__((target("avx2"), flatten)) static void fold_blocks_avx2(const normalizer *n, const uint8_t *in,
                                                                      size_t length, uint8_t *text, uint32_t *st,
                                                                      uint32_t *en, fold_state *s)
{
    fold_blocks_with(n, in, length, text, st, en, s, true);
}
#endif

/* normalize_text, with or without fold_blocks. */
/* Which block path fold_text may take: none, SSE4.1 only, the best the CPU has. */
typedef enum { BLOCKS_NONE, BLOCKS_SSE41, BLOCKS_BEST } blocks_level;

static int fold_text(const normalizer *n, const char *input, size_t length, normalized_text *out,
                     size_t *invalid_bytes, blocks_level use_blocks)
{
    (void)use_blocks;   /* without LSCAN_BLOCKS */
    if (invalid_bytes)
        *invalid_bytes = 0;
    clear(out);
    if (!n || length > NORMALIZE_MAX_INPUT || (!input && length))
        return -1;
    if (reserve(out, length + SLACK) != 0)
        return -1;
    const fentry separator = fast_entry(E_SEP | ((uint64_t)1 << 32) | ' ');
    const uint8_t *in = (const uint8_t *)input;
    const fentry *ent = n->ent;
    uint8_t *text = (uint8_t *)out->text;
    uint32_t *st = out->source_start, *en = out->source_end;
    size_t cap = out->capacity;
    size_t o = 0, i = 0, invalid = 0;
    uint32_t space = 1;        /* output is empty or ends with a space */
    uint32_t any_flags = 0;    /* F_CAND: some output byte is a rule-3 candidate */
    uint8_t tail[8];
    const pentry *pair = n->pair;
    fentry decoded;
    /* Room: fast entries never output more bytes than they read, so the
     * reservation above (length + SLACK) lasts unless a slow entry (longer
     * output) runs it low: those check. */
    uint64_t start2 = 0;        /* i in both halves, for the offset stores */
    size_t safe = length > 2 ? length - 2 : 0;   /* p[0..2] readable below */
#ifdef LSCAN_ASCII_SIMD
    const bool ascii_simd = n->ascii_simd;
    uint8_t tail16[16];
#else
    const bool ascii_fast = n->ascii_fast;
#endif
#ifdef LSCAN_BLOCKS
    const bool blocks = use_blocks != BLOCKS_NONE && n->simd_blocks;
    const bool wide = use_blocks == BLOCKS_BEST && n->avx2_blocks;
#endif
    for (;;) {
#ifdef LSCAN_BLOCKS
        if (blocks && i < length) {
            fold_state fs = {i, o, space, any_flags};
            if (wide)
                fold_blocks_avx2(n, in, length, text, st, en, &fs);
            else
                fold_blocks(n, in, length, text, st, en, &fs);
            i = fs.i;
            o = fs.o;
            space = fs.space;
            any_flags = fs.any_flags;
            start2 = (uint64_t)i * 0x100000001u;
        }
#endif
#ifdef LSCAN_ASCII_SIMD
        /* Runs of ASCII (most of a listing: names, models, numbers, spaces),
         * 16 bytes at a time; a tail under 16 bytes through a padded copy.
         * Room: o + 32 <= cap, as cap - o >= (length - i) + SLACK always. */
        if (ascii_simd && i < length && in[i] < 0x80) {
            const uint8_t *c = in + i;
            unsigned limit = 0xFFFF;
            if (length - i < 16) {
                memset(tail16, 0, sizeof tail16);
                memcpy(tail16, c, length - i);
                c = tail16;
                limit = (1u << (length - i)) - 1;
            }
            i += ascii_chunk(c, (uint32_t)i, limit, text, st, en, &o, &space, &any_flags);
            start2 = (uint64_t)i * 0x100000001u;
            continue;
        }
#else
        /* Runs of ASCII (most of a listing: names, models, numbers, spaces):
         * every byte is one code point of one output byte at most, so the
         * bytes are independent and only the output index carries over. */
        if (ascii_fast && i + 8 <= length) {
            uint64_t x;
            memcpy(&x, in + i, 8);
            size_t run = !(x & 0x8080808080808080ull) ? 8 : !(x & 0x80808080u) ? 4 : 0;
            if (run) {
                for (size_t end = i + run; i < end; i++) {
                    const fentry *a = &ent[in[i]];
                    uint32_t f = a->flags;
                    text[o] = (uint8_t)a->bytes;
                    st[o] = (uint32_t)i;
                    en[o] = (uint32_t)i + 1;
                    o += a->adv[space];
                    space = (f >> space) & 1;
                    any_flags |= f;
                }
                start2 = (uint64_t)i * 0x100000001u;
                continue;
            }
        }
#endif
        if (UNLIKELY(i >= safe) && i >= length)
            break;   /* (before in + i: in may be NULL when length is 0) */
        const uint8_t *p = in + i;
        if (UNLIKELY(i >= safe)) {
            memset(tail, 0, sizeof tail);   /* zeros fail every continuation test */
            memcpy(tail, p, length - i);
            p = tail;
        }
        /* one- to three-byte sequences without a branch on which */
        const pentry *pe = &pair[p[0] | ((uint32_t)p[1] << 8)];
        const fentry *e = &ent[pe->base + (p[2] & pe->mask)];
        /* The length from the lead byte alone (valid sequences only: invalid
         * and four-byte ones take the slow path, which decodes k again), so
         * the next position does not wait for the table loads. */
        unsigned k = 1u + (p[0] >= 0xC0) + (p[0] >= 0xE0);
        uint32_t flags = e->flags;
        if (UNLIKELY(flags & 0x70)) {
            uint32_t s0 = (uint32_t)i;
            if (F_KIND(flags) == K_DECODE) {
                uint32_t cp = 0;
                k = (unsigned)decode(p, length - i, &cp);
                if (k) {
                    decoded = fast_entry(n->stage2[((size_t)n->stage1[cp >> BLOCK_BITS] << BLOCK_BITS) |
                                                   (cp & 0xFF)]);
                    e = &decoded;
                } else {
                    k = 1;
                    e = &separator;
                    invalid++;
                }
                flags = e->flags;
            }
            uint32_t s1 = s0 + k;
            if (F_KIND(flags) == K_MARK) {
                /* extends the output of the code point just before, if kept */
                if (o && text[o - 1] != ' ' && en[o - 1] == s0) {
                    uint32_t first = st[o - 1];
                    for (size_t q = o; q > 0 && en[q - 1] == s0 && st[q - 1] == first; q--)
                        en[q - 1] = s1;
                }
                i += k;
                start2 = (uint64_t)i * 0x100000001u;
                continue;
            }
            if (F_KIND(flags) != K_FAST) {
                /* an output longer than its input, or with spaces inside */
                if (cap - o < (length - i) + SLACK + e->len) {
                    out->length = o;
                    if (reserve(out, o + (length - i) + SLACK + e->len) != 0) {
                        clear(out);
                        return -1;
                    }
                    text = (uint8_t *)out->text;
                    st = out->source_start;
                    en = out->source_end;
                    cap = out->capacity;
                }
                const uint8_t *pp = n->pool + e->bytes;
                for (unsigned q = 0; q < e->len; q++) {
                    uint8_t b = pp[q];
                    unsigned is_space = b == ' ';
                    text[o] = b;
                    st[o] = s0;
                    en[o] = s1;
                    o += !(is_space & space);
                    space = is_space;
                }
                any_flags |= flags;
                i += k;
                start2 = (uint64_t)i * 0x100000001u;
                continue;
            }
            /* a fast entry after all: fall through */
        }

        /* emit: a separator, nothing, or 1..4 bytes, without branches */
        i += k;
        uint64_t end2 = (uint64_t)i * 0x100000001u;
        memcpy(text + o, &e->bytes, 4);
        memcpy(st + o, &start2, 8);
        memcpy(st + o + 2, &start2, 8);
        memcpy(en + o, &end2, 8);
        memcpy(en + o + 2, &end2, 8);
        start2 = end2;
        o += e->adv[space];
        space = (flags >> space) & 1;
        any_flags |= flags;
    }
    if (o && text[o - 1] == ' ')
        o--;
    text[o] = '\0';
    out->length = o;
    if (any_flags & F_CAND)
        apply_token_rules(out);   /* rule 3 */
    if (invalid_bytes)
        *invalid_bytes = invalid;
    return 0;
}

int normalize_text(const normalizer *n, const char *input, size_t length,
                   normalized_text *out, size_t *invalid_bytes)
{
    return fold_text(n, input, length, out, invalid_bytes, BLOCKS_BEST);
}

int normalize_text_sse41(const normalizer *n, const char *input, size_t length,
                         normalized_text *out, size_t *invalid_bytes)
{
    return fold_text(n, input, length, out, invalid_bytes, BLOCKS_SSE41);
}

int normalize_text_portable(const normalizer *n, const char *input, size_t length,
                            normalized_text *out, size_t *invalid_bytes)
{
    return fold_text(n, input, length, out, invalid_bytes, BLOCKS_NONE);
}

char *normalize_string(const normalizer *n, const char *input)
{
    if (!n || !input)
        return NULL;
    normalized_text t;
    normalized_text_init(&t);
    char *result = NULL;
    if (normalize_text(n, input, strlen(input), &t, NULL) == 0)
        result = strndup(t.text, t.length);
    normalized_text_free(&t);
    return result;
}

/* ---- the joined view ---------------------------------------------------- */

static size_t utf8_lead_length(uint8_t c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

static size_t token_end(const char *s, size_t n, size_t i)
{
    const char *sp = memchr(s + i, ' ', n - i);
    return sp ? (size_t)(sp - s) : n;
}

static bool single_character(const char *s, size_t ts, size_t te)
{
    return te > ts && utf8_lead_length((uint8_t)s[ts]) == te - ts;
}

/* Appends in[from..to) to out at *o. */
static void copy_range(normalized_text *out, size_t *o, const normalized_text *in, size_t from, size_t to)
{
    size_t len = to - from;
    if (!len)
        return;
    memcpy(out->text + *o, in->text + from, len);
    memcpy(out->source_start + *o, in->source_start + from, len * sizeof *out->source_start);
    memcpy(out->source_end + *o, in->source_end + from, len * sizeof *out->source_end);
    *o += len;
}


/* The original bytes between token [.., prev_end) and token [next, ..) of a
 * view: where the separator was. */
static void separator_of(const normalized_text *v, size_t prev_end, size_t next, size_t original_length,
                         size_t *from, size_t *to)
{
    *from = v->source_end[prev_end - 1];
    *to = v->source_start[next];
    if (*from > original_length)
        *from = original_length;
    if (*to < *from)
        *to = *from;
    if (*to > original_length)
        *to = original_length;
}

/* Copies the view's [copied, from) as it is, then [from, to) without its
 * spaces as one word, folded again (rule 3). Returns whether the fold put
 * a space in it. */
static bool join_run(normalized_text *out, size_t *o, const normalized_text *v, size_t copied, size_t from, size_t to)
{
    copy_range(out, o, v, copied, from);
    size_t word = *o;
    for (size_t q = from; q < to; q++)
        if (v->text[q] != ' ')
            copy_range(out, o, v, q, q + 1);
    return fold_token(out->text, word, *o);
}

/* Characters in the token [ts, te) of a view. */
static size_t token_characters(const char *s, size_t ts, size_t te)
{
    size_t count = 0;
    for (size_t q = ts; q < te; q += utf8_lead_length((uint8_t)s[q]) ? utf8_lead_length((uint8_t)s[q]) : 1)
        count++;
    return count;
}

/* Whether the original bytes [from, to) hold a space of any kind (ASCII, NBSP). */
static bool has_space(const char *original, size_t from, size_t to)
{
    for (size_t q = from; q < to; q++)
        if (original[q] == ' ' || original[q] == '\t' || original[q] == '\n' || original[q] == '\r' ||
            ((uint8_t)original[q] == 0xC2 && q + 1 < to && (uint8_t)original[q + 1] == 0xA0))
            return true;
    return false;
}

/* A word written in short pieces: the token [i, te) of two or three
 * characters, then tokens of one to three, each after the same separator
 * of the original text, with no space in it ("fa-ke", "lu.mo.ra",
 * "co💥py"). Returns the end of the last piece, or 0 when there are not two
 * pieces. */
static size_t chunk_run_end(const normalized_text *v, size_t i, size_t te, const char *original,
                            size_t original_length)
{
    const char *s = v->text;
    /* most tokens are longer, or followed by a space in the original: answered before any counting */
    if (te - i > 12 || te >= v->length)
        return 0;
    size_t after = v->source_end[te - 1];
    if (after >= original_length || original[after] == ' ' || original[after] == '\n')
        return 0;
    size_t n = v->length, chars = token_characters(s, i, te);
    if (chars < 2 || chars > 3)
        return 0;
    size_t count = 1, run_end = te, k = te + 1, sep_from = 0, sep_to = 0;
    bool singles = true; /* every piece after the first is one character */
    while (k < n && count < 8) {
        size_t e = token_end(s, n, k), f, t;
        size_t c = token_characters(s, k, e);
        if (c < 1 || c > 3)
            break;
        separator_of(v, run_end, k, original_length, &f, &t);
        if (t - f == 0 || t - f > 16 || has_space(original, f, t))
            break;
        if (count == 1) {
            sep_from = f;
            sep_to = t;
        } else if (t - f != sep_to - sep_from || memcmp(original + f, original + sep_from, t - f)) {
            break;
        }
        singles &= c == 1;
        count++;
        run_end = e;
        k = e + 1;
    }
    /* a whole short word glued to letters of their own ("nam.C.K", "lót...C.K": the letters are a run, "ck"), not
     * a word in pieces: three characters, then single ones that are two or more, or one that the next single
     * character follows without a space */
    if (count >= 2 && chars == 3 && singles) {
        if (count >= 3)
            return 0;
        if (k < n) {
            size_t e = token_end(s, n, k), f, t;
            if (single_character(s, k, e)) {
                separator_of(v, run_end, k, original_length, &f, &t);
                if (t > f && t - f <= 16 && !has_space(original, f, t))
                    return 0;
            }
        }
    }
    return count >= 2 ? run_end : 0;
}

int normalize_joined_runs_variants(const normalized_text *main_view, const char *original, size_t original_length,
                                   normalized_text *out, normalized_text *variants)
{
    clear(out);
    if (variants)
        clear(variants);
    if (!main_view || main_view == out || main_view == variants || out == variants)
        return -1;
    size_t n = main_view->length;
    if (reserve(out, n + SLACK) != 0)
        return -1;
    const char *s = main_view->text;
    size_t o = 0, copied = 0;
    bool spaced = false;
    /* runs of four or more: their trimmed variants are added at the end (below) */
    enum { TRIMMED_RUNS = 4, TRIM = 2 };
    size_t trimmed_from[TRIMMED_RUNS], trimmed_to[TRIMMED_RUNS], trimmed = 0;
    for (size_t i = 0; i < n;) {
        size_t te = token_end(s, n, i);
        if (!single_character(s, i, te)) {
            size_t chunks_end = original ? chunk_run_end(main_view, i, te, original, original_length) : 0;
            if (chunks_end) { /* "fa-ke", "lu.mo.ra": one word written in short pieces */
                spaced |= join_run(out, &o, main_view, copied, i, chunks_end);
                copied = chunks_end;
                i = chunks_end < n ? chunks_end + 1 : n;
            } else {
                i = te + 1;
            }
            continue;
        }
        /* a run of one-character tokens with one repeated separator */
        size_t count = 1, run_end = te, k = te + 1, sep_from = 0, sep_to = 0;
        bool space_only = true;
        while (k < n) {
            size_t e = token_end(s, n, k);
            if (!single_character(s, k, e))
                break;
            if (original) { /* without it, every separator is the view's single space: one run */
                size_t f, t;
                separator_of(main_view, run_end, k, original_length, &f, &t);
                if (t - f == 0 || t - f > 16)
                    break;
                if (count == 1) {
                    sep_from = f;
                    sep_to = t;
                    for (size_t q = f; q < t; q++)
                        space_only &= original[q] == ' ';
                } else if (t - f != sep_to - sep_from || memcmp(original + f, original + sep_from, t - f)) {
                    break;
                }
            }
            count++;
            run_end = e;
            k = e + 1;
        }
        if (count >= 3 || (count == 2 && original && !space_only)) {
            if (count >= 4 && original && variants && trimmed < TRIMMED_RUNS) {
                trimmed_from[trimmed] = i;
                trimmed_to[trimmed++] = run_end;
            }
            spaced |= join_run(out, &o, main_view, copied, i, run_end);
            copied = run_end;
            i = run_end < n ? run_end + 1 : n;
        } else {
            i = te + 1;
        }
    }
    copy_range(out, &o, main_view, copied, n);
    out->text[o] = '\0';
    out->length = o;
    if (spaced)
        collapse_spaces(out);
    /* A lone letter or digit after (or before) a run with the same separator is pulled into it ("K A V E S S I
     * x 2" is "kavessix2"): each run of four or more is written again into *variants without up to two of its
     * first and last characters, one word each, after a line break no term can span ("kavessi", "kavessix",
     * "avessix2"...), so a name ends (or starts) at any of those token boundaries. */
    size_t v = 0;
    bool variant_spaced = false;
    for (size_t r = 0; r < trimmed; r++) {
        size_t starts[64], ends[64], tokens = 0;
        for (size_t q = trimmed_from[r]; q < trimmed_to[r] && tokens < 64;) {
            size_t e = token_end(s, n, q);
            starts[tokens] = q;
            ends[tokens++] = e;
            q = e + 1;
        }
        size_t bytes = trimmed_to[r] - trimmed_from[r] + 1;
        if (reserve(variants, v + (TRIM + 1) * (TRIM + 1) * bytes + SLACK) != 0)
            return -1;
        for (size_t front = 0; front <= TRIM; front++)
            for (size_t back = 0; back <= TRIM; back++) {
                if ((!front && !back) || front + back + 3 > tokens)
                    continue;
                if (v) { /* the break points at the word after it: every byte keeps a non-empty source range */
                    variants->text[v] = '\n';
                    variants->source_start[v] = main_view->source_start[starts[front]];
                    variants->source_end[v] = main_view->source_end[starts[front]];
                    v++;
                }
                size_t word = v;
                for (size_t t = front; t < tokens - back; t++)
                    copy_range(variants, &v, main_view, starts[t], ends[t]);
                variant_spaced |= fold_token(variants->text, word, v);
            }
    }
    if (variants && variants->text) {
        variants->text[v] = '\0';
        variants->length = v;
        if (variant_spaced)
            collapse_spaces(variants);
    }
    return 0;
}

int normalize_joined_runs(const normalized_text *main_view, const char *original, size_t original_length,
                          normalized_text *out)
{
    return normalize_joined_runs_variants(main_view, original, original_length, out, NULL);
}

int normalize_joined(const normalized_text *main_view, normalized_text *out)
{
    return normalize_joined_runs(main_view, NULL, 0, out);
}

/* ---- the reference ------------------------------------------------------ */

static int push(normalized_text *t, uint8_t c, uint32_t s0, uint32_t s1)
{
    if (t->length + 1 > t->capacity && reserve(t, t->length + 1) != 0)
        return -1;
    t->text[t->length] = (char)c;
    t->source_start[t->length] = s0;
    t->source_end[t->length] = s1;
    t->length++;
    return 0;
}

int normalize_text_reference(const char *input, size_t length,
                             normalized_text *out, size_t *invalid_bytes)
{
    if (invalid_bytes)
        *invalid_bytes = 0;
    clear(out);
    if (length > NORMALIZE_MAX_INPUT || (!input && length))
        return -1;
    if (reserve(out, length + 1) != 0)
        return -1;
    const uint8_t *in = (const uint8_t *)input;
    size_t invalid = 0;
    /* rule 1 into out, every separator as its own space */
    for (size_t i = 0; i < length;) {
        int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(in + i, (utf8proc_ssize_t)(length - i), &cp);
        if (k <= 0) {
            invalid++;
            if (push(out, ' ', (uint32_t)i, (uint32_t)i + 1) != 0)
                goto fail;
            i++;
            continue;
        }
        uint8_t buf[MAX_FOLD + 4];
        int m = fold_code_point(cp, buf, MAX_FOLD);
        if (m < 0)
            goto fail;
        uint32_t s0 = (uint32_t)i, s1 = (uint32_t)(i + (size_t)k);
        size_t last = out->length - 1;
        if (m == 0 && is_mark(cp) && out->length && out->text[last] != ' ' &&
            out->source_end[last] == s0) {
            /* rule 4: a mark extends the output of the code point before it */
            uint32_t first = out->source_start[last];
            for (size_t q = out->length; q > 0 && out->source_end[q - 1] == s0 &&
                                         out->source_start[q - 1] == first; q--)
                out->source_end[q - 1] = s1;
        } else {
            for (int q = 0; q < m; q++)
                if (push(out, buf[q], s0, s1) != 0)
                    goto fail;
        }
        i += (size_t)k;
    }
    if (reserve(out, out->length + 1) != 0)
        goto fail;
    out->text[out->length] = '\0';
    collapse_spaces(out);     /* rule 2 */
    apply_token_rules(out);   /* rule 3 */
    if (invalid_bytes)
        *invalid_bytes = invalid;
    return 0;
fail:
    clear(out);
    return -1;
}
