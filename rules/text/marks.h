/* marks: Vietnamese diacritics on words that already match folded
 * (docs/rules.md, "Marks"). Terms match folded ("lụa" is "lua") because
 * sellers often type without marks; when both the term's word and the
 * text's word carry marks, the marks must agree: "lúa" (rice) is not "lụa"
 * (silk). Used by the matcher (marks_agree) and by `lscan rules check
 * --collisions` (marks_compare). Pure functions of their arguments:
 * thread-safe (a code point table is built once, under pthread_once). */
#ifndef LSCAN_MARKS_H
#define LSCAN_MARKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether a hit of the NUL-terminated `term` on text[0, length) keeps its
 * marks: word by word, a word marked on both sides must be the same word.
 * Words that do not line up (a joined N.I.K.E) count as agreeing. */
bool marks_agree(const char *term, const char *text, size_t length);

/* marks_agree and marks_dropped in one pass: returns marks_agree, and
 * (when `dropped` is not NULL) sets *dropped as marks_dropped would. */
bool marks_judge(const char *term, const char *text, size_t length, bool *dropped);

/* Whether a hit of `term` on text[0, length) writes without marks a word
 * the term writes with them while another of its words carries marks
 * ("hàng cho" for "hàng chợ": its writer types marks), the letters lining
 * up. A hit typed without any marks ("hang cho") is not. */
bool marks_dropped(const char *term, const char *text, size_t length);

/* A term's words read once, for marks_judge_words: per word a header (its
 * code points without combining marks, whether it is ASCII, marked, or
 * unreadable), its letter count, and its letters' mark codes. Writes at
 * most `max` values to `out` and returns how many, or SIZE_MAX when `max`
 * is too small. Thread-safe. */
size_t marks_term_words(const char *term, uint32_t *out, size_t max);

/* marks_judge with the term's words read by marks_term_words (`words`,
 * `count` values): the same answer and the same *dropped, reading only
 * the text's words. Thread-safe. */
bool marks_judge_words(const uint32_t *words, size_t count, const char *text, size_t length, bool *dropped);

typedef enum marks_relation {
    MARKS_SAME = 0,        /* every word written with the same marks (or case only differs) */
    MARKS_REFUSED,         /* a word marked on both sides, differently: the matcher refuses the hit */
    MARKS_UNMARKED_SIDE    /* a word marked on one side only: the matcher keeps the hit (it cannot tell) */
} marks_relation;

/* How the words of `term` and of text[0, length) relate by their marks
 * (the worst word decides: REFUSED over UNMARKED_SIDE over SAME). */
marks_relation marks_compare(const char *term, size_t term_length, const char *text, size_t length);

#endif
