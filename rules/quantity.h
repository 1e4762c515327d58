/* quantity: per-unit prices (docs/rules.md, "Per-unit and per-model
 * prices"). A rule's reference_price is for a unit ("800 g", "1 month",
 * "100 viên", "item"); the quantity a listing sells is read from its
 * normalized text (weights, volumes, multipacks "combo 3", "x2", "thùng 6
 * lon", blister and box counts, subscription durations, "12tr/kg"
 * notations), so that the price is compared per unit.
 *
 * Pure functions over caller-owned data: no allocation, thread-safe. */
#ifndef LSCAN_QUANTITY_H
#define LSCAN_QUANTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/text/normalize.h"

typedef enum quantity_dimension {
    QUANTITY_NONE = 0,   /* no unit: the reference is for whatever the listing sells (today's behaviour) */
    QUANTITY_ITEM,       /* per item: multipacks multiply */
    QUANTITY_MASS,       /* amounts in grams */
    QUANTITY_VOLUME,     /* millilitres */
    QUANTITY_COUNT,      /* pieces of one kind (viên, gói, ống...) */
    QUANTITY_MONTHS      /* subscriptions: months */
} quantity_dimension;

typedef struct price_unit {
    quantity_dimension dimension;
    double amount;       /* the unit in base amounts: "800 g" is 800, "1 năm" 12, "item" 1 */
    char noun[12];       /* QUANTITY_COUNT: the counted noun, folded ("vien"); "" for "pack of N": any piece */
} price_unit;

/* Reads a unit as a pack writes it: "item", "800 g", "1.7 kg", "100 ml",
 * "1 l", "30 viên", "pack of 30", "month", "12 months", "1 năm". Returns 0,
 * or -1 when it is not a unit (out is then zeroed). */
int price_unit_parse(const char *text, price_unit *out);

/* "800 g", "1 month", "100 viên", "item" into buf (always NUL-terminated). */
void price_unit_describe(const price_unit *unit, char *buf, size_t size);

/* What a listing's text says it sells, in the unit's dimension. */
typedef struct quantity_found {
    bool found;
    double amount;           /* in base amounts (grams, ml, pieces, months; items for QUANTITY_ITEM) */
    bool per_unit_price;     /* a "12tr/kg" notation: `price` is the price of `amount` */
    double price;
    uint32_t start, end;     /* where in the original text it was read */
    char text[64];           /* how it was read: "6 × 800 g = 4800 g", "12 months", "12000000 per 1000 g" */
} quantity_found;

/* Reads the quantity sold from one field's main view (`original` is the
 * field's original text, for decimal separators and "/kg"). The first
 * statement in the unit's dimension decides, multiplied by the pack counts
 * written before it ("combo 3", "thùng 6 lon", "2 hộp x", "x2"). Returns
 * whether one was found. A "pack of N" unit (any piece) also takes a
 * multipack with no piece count ("set 4") as that many pieces. */
bool quantity_read(const normalized_text *view, const char *original, size_t original_length, const price_unit *unit,
                   quantity_found *out);

/* A genuine price the seller states ("giá hãng 3.500.000đ", "giá niêm yết
 * 3tr5", "giá chính hãng: 3,5 triệu", "giá store 1200k"), read from one
 * field's main view (the cue) and its original text (the amount): the
 * first such statement, in VND, or 0. "giá hàng" (the goods' price) is no
 * "giá hãng": the cue's "hãng" must carry its tilde, or be "chính hãng". */
double stated_genuine_price(const normalized_text *view, const char *original, size_t original_length);

#endif
