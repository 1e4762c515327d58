/* normalize: the text views the matcher scans, with offsets back to the
 * original bytes (design.md section 3, rules.md "Normalization").
 *
 * Public API first; the exact folding rules follow below it.
 *
 * Threads: a normalizer is immutable after normalizer_create and may be
 * shared read-only by any number of threads. A normalized_text belongs to one
 * thread at a time (typically one per worker, reused across listings). */
#ifndef LSCAN_NORMALIZE_H
#define LSCAN_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

/* Longest input accepted by normalize_text / normalize_text_reference. */
#define NORMALIZE_MAX_INPUT ((size_t)1 << 20)

/* Opaque: the folding tables, built once from utf8proc's data. */
typedef struct normalizer normalizer;

/* Builds the tables (about 0.1 s). On success stores a new normalizer in
 * *out and returns 0; on failure returns -1 and writes a NUL-terminated
 * message into error[0..error_size). The caller owns the result and frees it
 * with normalizer_destroy. Thread-safe. */
int normalizer_create(normalizer **out, char *error, size_t error_size);
/* Frees a normalizer; NULL is a no-op. No call may be using it any more. */
void normalizer_destroy(normalizer *n);

/* A normalized view of a text: bytes plus, for every output byte, the byte
 * range [source_start, source_end) of the ORIGINAL text it came from. Owned by
 * the caller, reused across calls: buffers grow, never shrink. */
typedef struct normalized_text {
    char     *text;          /* NUL-terminated normalized bytes */
    size_t    length;
    uint32_t *source_start;  /* length entries */
    uint32_t *source_end;    /* length entries */
    size_t    capacity;      /* entries allocated (text has capacity + 1 bytes) */
} normalized_text;

/* Makes *t an empty view with no storage (text == NULL, length 0). */
void normalized_text_init(normalized_text *t);
/* Frees the storage of *t and leaves it as after normalized_text_init. */
void normalized_text_free(normalized_text *t);

/* Main view of input[0..length) into *out (previous content replaced).
 * Returns 0, or -1 if length > NORMALIZE_MAX_INPUT, n is NULL or memory ran
 * out (out->length is then 0). Invalid UTF-8 bytes are separators, one per
 * byte, and counted in *invalid_bytes if it is not NULL. Thread-safe with
 * distinct outputs; never calls utf8proc. */
int normalize_text(const normalizer *n, const char *input, size_t length,
                   normalized_text *out, size_t *invalid_bytes);

/* normalize_text without its SSE4.1 path (what a CPU without SSE4.1 runs):
 * the same result, for tests and benchmarks. Same contract. */
/* normalize_text with the SSE4.1 blocks but not their AVX2 form (what a CPU
 * without AVX2 runs; without SSE4.1 it is normalize_text_portable): the same
 * result, for tests. Same contract. */
int normalize_text_sse41(const normalizer *n, const char *input, size_t length,
                         normalized_text *out, size_t *invalid_bytes);
int normalize_text_portable(const normalizer *n, const char *input, size_t length,
                            normalized_text *out, size_t *invalid_bytes);

/* Joined view of a main view: every run of >= 3 tokens of exactly one
 * character each, separated by single spaces, becomes one word ("g u c c i"
 * -> "gucci"), and the digit/symbol folding (rule 3 below) is applied again
 * to each joined word. Other tokens are copied. Offsets still point into the
 * original text. Returns 0, or -1 when memory ran out. main_view and out must
 * be distinct. Thread-safe with distinct outputs. */
int normalize_joined(const normalized_text *main_view, normalized_text *out);

/* The same, reading the separators from the original text the main view
 * came from (docs/rules.md, "Joined letters"): a run is one-character
 * tokens split by ONE repeated separator ("z-o-r-v-i-k", "l⭐u⭐m⭐o⭐r⭐a",
 * "K.A.V.E.S.S.I"), so a lone letter or digit before or after it with another
 * separator is not pulled in ("A K.A.V.E.S.S.I", "z-o-r-v-i-k 1"), and two
 * letters join when their separator is not a space ("Q-V", "Q✨V"). A word
 * written in short pieces (2-3 characters, then 1-3) with one repeated
 * separator and no space joins as well ("fa-ke", "lu.mo.ra"). With
 * original NULL it is normalize_joined (which calls it). */
int normalize_joined_runs(const normalized_text *main_view, const char *original, size_t original_length,
                          normalized_text *out);

/* normalize_joined_runs, and into *variants (when not NULL) the trimmed
 * forms of its runs: a lone character with a run's own separator is pulled
 * in ("K A V E S S I x 2" is "kavessix2"), so each run of four or more
 * characters (the first four runs of the view) is written again without up
 * to two of its first and last characters, one word per variant, variants
 * separated by '\n' ("kavessi\nkavessix\navessix2..."): a term then ends or
 * starts at any of those token boundaries. The variants view is not a
 * normalized view: its offsets start again at each variant (each byte's
 * range non-empty and inside the original, a '\n' pointing at the word
 * after it), and it holds at most 8 times the run bytes. Empty when there is
 * no such run. main_view, out and variants must be distinct. */
int normalize_joined_runs_variants(const normalized_text *main_view, const char *original, size_t original_length,
                                   normalized_text *out, normalized_text *variants);

/* Reference implementation of normalize_text: the same result, computed by
 * calling utf8proc_map on every code point (slow; for tests and benchmarks).
 * Same return values; needs no normalizer. Thread-safe with distinct outputs. */
int normalize_text_reference(const char *input, size_t length,
                             normalized_text *out, size_t *invalid_bytes);

/* Normalizes a short NUL-terminated string (a rule term) into a malloc'd
 * NUL-terminated string that the caller frees; NULL on error (n or input
 * NULL, too long, out of memory). Thread-safe. */
char *normalize_string(const normalizer *n, const char *input);

/* ---------------------------------------------------------------------------
 * The rules (the fast path and the reference apply exactly these).
 *
 * 1. Per code point of the input:
 *    a. Greek capitals that look like Latin capitals map straight to a Latin
 *       letter (before case folding, because their lowercase forms look like
 *       other letters):
 *         Α Β Ε Ζ Η Ι Κ Μ Ν Ο Ρ Τ Υ Χ -> a b e z h i k m n o p t y x
 *    b. Otherwise utf8proc_map with COMPAT|COMPOSE|CASEFOLD|STRIPMARK|IGNORE:
 *       NFKC (so full-width forms become ASCII), full case folding, every
 *       mark removed (Mn, Mc, Me: utf8proc decomposes first, so NFC and NFD
 *       give the same letters), default-ignorable code points removed.
 *    c. Each resulting code point is then looked at:
 *       - look-alikes folded to a Latin letter:
 *           d: đ (U+0111, so also Đ), ð (U+00F0, also Ð which Vietnamese
 *              legacy text uses for Đ), ɖ (U+0256, also Ɖ)
 *           Cyrillic (capitals arrive case-folded):
 *              а в е к м н о р с т у х і ј ѕ -> a b e k m h o p c t y x i j s
 *              һ ԁ ӏ ԛ ԝ ү -> h d l q w y
 *           Greek lowercase: α β ε ι κ ν ο ρ τ υ χ -> a b e i k v o p t u x
 *              (μ, η, ζ ... are kept as they are)
 *           Latin: ı (dotless i) -> i, ɡ (script g) -> g, ɑ (alpha) -> a
 *         Look-alikes reached only through compatibility mappings (for
 *         instance mathematical bold Greek capitals) are folded by the
 *         lowercase table, as they arrive lowercase;
 *       - ASCII letters and digits, and any letter or number of another
 *         script (general category L* or N*) are kept as UTF-8;
 *       - '@' and '$' are kept for rule 3;
 *       - format characters (Cf: U+200B..U+200F, U+2060, U+FEFF, U+00AD,
 *         U+202A..U+202E...) are removed entirely ("Ni\u200bke" -> "nike");
 *       - everything else (white space, punctuation, symbols, controls,
 *         emoji, unassigned and private-use code points) is a separator.
 *    Invalid UTF-8 (as utf8proc_iterate judges it: overlong forms,
 *    surrogates, > U+10FFFF, truncated sequences) is a separator per byte.
 * 2. Runs of separators collapse to one ASCII space; no leading or trailing
 *    space.
 * 3. A token is a maximal run of non-space bytes. In a token with at least 3
 *    ASCII letters, a run of ASCII digits of length exactly 1 whose digit is
 *    0 1 3 4 5 becomes o i e a s, and a run of '@'/'$' of length exactly 1
 *    becomes a (for '@') or s (for '$'): "n1ke" -> "nike", "ch@nel" ->
 *    "chanel", "$amsung" -> "samsung"; "iphone15", "ps5", "4k", "2tr5" stay.
 *    Every '@'/'$' not folded becomes a separator (spaces re-collapsed).
 *    Note that this also changes real tokens: "ddr4" -> "ddra", "3pcs" ->
 *    "epcs"; rule terms go through the same folding, so matching agrees.
 * 4. Offsets: every output byte records the original byte range of the code
 *    point it came from (all bytes of a multi-byte output share it). A mark
 *    (Mn, Mc, Me: removed by rule 1) right after a code point whose output
 *    was kept extends that output's range, so NFD "e" + U+0302 + U+0301 is
 *    covered whole by a hit. A space maps to the range of the first
 *    separator of the run it replaced.
 *
 * Implementation: normalizer_create runs rule 1 through utf8proc for every
 * code point U+0000..U+10FFFF (supplementary planes included, about 0.1 s)
 * into a two-level table (blocks of 256 code points, identical blocks shared),
 * and derives two flat tables for the hot path: one indexed by the first two
 * bytes of a UTF-8 sequence, one by code point / three-byte prefix and third
 * byte (about 3.7 MB in all, shared by every thread). normalize_text decodes,
 * validates and folds one- to three-byte sequences with table loads and no
 * data-dependent branch; four-byte sequences, invalid bytes, marks and
 * outputs longer than their input (rare) go through a slower branch that
 * still only reads the tables. It never calls utf8proc. On a CPU with
 * SSE4.1 (checked once by normalizer_create) whole 16-byte blocks of ASCII
 * and of two- and three-byte sequences that fold to one byte (Vietnamese
 * letters) are folded at once, compacted with a shuffle (with AVX2 the
 * offsets are stored eight at a time); anything else in a
 * block leaves it to the paths above (normalize_text_portable uses only
 * those). Rule 3 is a second pass over the output, run only when a
 * candidate byte was produced. A differential test checks normalize_text,
 * normalize_text_sse41 and normalize_text_portable against normalize_text_reference on every
 * code point, on random bytes, on hostile mixtures and on real Vietnamese
 * text, and rule 3 against a plain implementation on ASCII.
 * ------------------------------------------------------------------------- */

#endif
