/* abbrev: extra views of chat writing (docs/rules.md, "Hashtags and
 * abbreviations"), built from a field's main normalized view with offsets
 * into the original text kept:
 *
 * - the abbreviation view: the main view with each chat abbreviation of a
 *   small, versioned table replaced by what it stands for ("ko" is
 *   "khong", "hg" is "hang", "sc" is "sieu cap", "dc" is "duoc", but not
 *   before a number: "SC-1200", "SC 300" are model codes, "DC 12V" direct
 *   current), so terms, cues and patterns written in full hit text written
 *   in chat;
 * - the hashtag view: each #tag split where its writer split it
 *   (#LumoraLipCare is "lumora lip care", #hangF1 "hang f1"), and then each
 *   tag once more with one space at every inner position ("kavessi ninon"
 *   among "kavessininon"'s), for names run together with another word.
 *
 * Pure functions; the caller owns every normalized_text (reused across
 * calls, buffers grow). Thread-safe (a prefix bitmap of the table is built
 * once, under pthread_once). */
#ifndef LSCAN_ABBREV_H
#define LSCAN_ABBREV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/text/normalize.h"

/* The table's version: a change of the table changes what rules match. */
#define ABBREV_TABLE_VERSION "2026.12.3"

/* What `word` (folded, n bytes) stands for, or NULL when it is no abbreviation. */
const char *abbrev_lookup(const char *word, size_t n);

/* Writes into *out the words around each abbreviation of the main view (6
 * on each side, windows joined by a line break no term can span), each
 * abbreviation expanded; each byte of an expansion points at the
 * abbreviation's original span. Reads the first 512 words of the view.
 * `spaces` lists the offsets of the view's spaces in order (space_count of
 * them), as the matcher already has them; NULL: found here.
 * Returns the number of words expanded (0: out is left empty, nothing to
 * search), or -1 out of memory. */
long abbrev_expand(const normalized_text *main_view, const uint32_t *spaces, size_t space_count,
                   normalized_text *out);

/* abbrev_expand, with the field's original text (NULL: as abbrev_expand):
 * then the forms only the original tells apart are read too, the chat "k"
 * (a lone lower-case k, not next to a number: "k phải", not "50 k") and the
 * southern "hông" (with its circumflex and no tone, not after "đeo", "bên",
 * "vòng"...: the hip), both as "khong". Same return and ownership. */
long abbrev_expand_text(const normalized_text *main_view, const uint32_t *spaces, size_t space_count,
                        const char *original, normalized_text *out);

/* Is original[from, to) "hông" (h, ô with no tone, n, g; NFC or NFD, any
 * case of h/n/g and ô)? "hồng" (pink) and "hong" are not. Pure. */
bool abbrev_written_hong(const char *original, uint32_t from, uint32_t to);

/* Is original[from, to) a word of at least 2 bytes written in capitals (an
 * ASCII capital, no ASCII lower-case letter: "PHẢI", "HÀNG")? In text in
 * capitals a "K" is the chat "k". Pure. */
bool abbrev_capitals_after(const char *original, uint32_t from, uint32_t to);

/* Is the folded word (n bytes) one before which "hông" is the hip ("túi
 * đeo hông", "bên hông", "vòng hông"), not "không"? Pure. */
bool abbrev_hip_word(const char *word, size_t n);

#define HASHTAG_MAX 64            /* hashtags read per field */

typedef struct hashtag_spans {
    uint32_t start[HASHTAG_MAX], end[HASHTAG_MAX]; /* original spans of the tags, '#' included */
    size_t count;
} hashtag_spans;

/* Finds the #tags of `original` (a '#' right before a letter or digit, not
 * after one), and writes the hashtag view into *out: first each tag split
 * at its case and letter/digit changes, then, from *variants_from on, each
 * tag of 4 to 40 bytes with one space inserted at every inner position.
 * Returns the number of tags (0: out is empty), or -1 out of memory. */
long hashtag_view(const normalized_text *main_view, const char *original, size_t length, hashtag_spans *spans,
                  normalized_text *out, size_t *variants_from);

#endif
