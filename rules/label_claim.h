/* label_claim: claims of a rated label's level ("OCOP 4 sao", "5 sao OCOP",
 * "OCOP 3-4 sao", "ocop 4, 5 sao", "OCOP ★★★★") told apart from mentions of
 * the label that claim nothing ("đang đăng ký OCOP", "chưa được xếp hạng
 * OCOP", a book or a fair about the programme, a display shelf, "khách sạn
 * 4 sao"). docs/rules.md, "Rated labels: claims and mentions".
 *
 * Public API first. The scan reads a field's main normalized view (folded
 * words, offsets into the original) and the original bytes (star symbols,
 * which normalization drops, and the horn of "chưa"). It allocates nothing:
 * results go into a caller's fixed array, so hostile text cannot grow it.
 * Thread safety: pure functions of their arguments; safe from any thread. */
#ifndef LSCAN_LABEL_CLAIM_H
#define LSCAN_LABEL_CLAIM_H

#include <stddef.h>
#include <stdint.h>

#include "rules/text/normalize.h"

#define LABEL_CLAIM_MAX 16      /* label occurrences read per field; later ones are not read */
#define LABEL_LEVEL_MAX 20      /* a number above this next to the label is no level ("OCOP 2023") */

/* What an occurrence of the label next to a level is. */
typedef enum label_claim_kind {
    LABEL_CLAIM = 0,            /* the seller claims the level */
    LABEL_MENTION_NOT_RATED,    /* negated, applied for, waiting, aiming: "chưa được xếp hạng", "đang đăng ký" */
    LABEL_MENTION_PROGRAMME,    /* a book, a guide, the programme's criteria: "sách", "chương trình OCOP" */
    LABEL_MENTION_SHELF,        /* a display shelf or stand for such products: "kệ trưng bày", "điểm bán" */
    LABEL_MENTION_FAIR,         /* a fair or exhibition notice: "hội chợ", "triển lãm" */
    LABEL_MENTION_OTHER_STARS,  /* stars of something else: "khách sạn 4 sao", "khách đánh giá 5 sao" */
    LABEL_MENTION_NO_LEVEL      /* the label with no level next to it */
} label_claim_kind;

/* The council a claim says rated it: "3 sao cấp tỉnh", "5 sao cấp quốc gia" / "cấp trung ương". */
typedef enum label_scope {
    LABEL_SCOPE_NONE = 0,       /* not said */
    LABEL_SCOPE_PROVINCIAL,     /* "cấp tỉnh", "cấp thành phố" */
    LABEL_SCOPE_NATIONAL        /* "cấp quốc gia", "quốc gia", "cấp trung ương", "trung ương", "cấp TW" */
} label_scope;

typedef struct label_claim {
    label_claim_kind kind;
    label_scope scope;          /* the qualifier next to the level or the label, if any */
    int low, high;              /* the lowest and highest level named (a single level: low == high) */
    uint32_t levels;            /* bit N set: level N named (1..LABEL_LEVEL_MAX); a range sets every level in it */
    uint32_t start, end;        /* byte span in the original text: the label and its level */
} label_claim;

/* Scans one field. `view` is the main normalized view of original[0..length)
 * (rules/text/normalize.h); `label` is the label word as normalized (lower
 * case ASCII letters and digits, e.g. "ocop"). Writes at most `max` entries
 * into out (one per occurrence of the label, in text order, mentions
 * included) and returns how many. `listing_title`, when not NULL, is the
 * main view of the listing's title: a title that is a fair notice, a book or
 * a shelf makes every occurrence in the listing a mention. */
size_t label_claim_scan(const normalized_text *view, const char *original, size_t length, const char *label,
                        const normalized_text *listing_title, label_claim *out, size_t max);

/* "claim", "not rated", "programme", "shelf", "fair", "other stars", "no level": for traces. */
const char *label_claim_kind_name(label_claim_kind kind);

/* "", "provincial", "national": for traces and signals. */
const char *label_scope_name(label_scope scope);

#endif
