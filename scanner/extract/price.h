/* price: the one reader of prices written as text, for captions, JSON
 * fields and structured data alike (the layout issue merged two readers
 * that disagreed: "350k" read as 350 in one and 350,000 in the other).
 *
 * A number is its digits with the separators read the way the locale most
 * likely meant them: both '.' and ',' -> the last one is the decimal point
 * ("1.250.000,50", "1,250,000.00"); one kind repeated -> thousands
 * ("1.250.000"); once, followed by exactly three digits -> thousands
 * ("1,250", "99.000"), otherwise a decimal point ("5.29", "1,5"). Vietnamese
 * multipliers follow: "350k"/"450K" thousands, "2 triệu"/"2tr"/"1,2 triệu"
 * millions, "2tr5" 2.5 million ("1tr250" 1.25 million). Pure; thread-safe. */
#ifndef LSCAN_PRICE_H
#define LSCAN_PRICE_H

#include <stdbool.h>

/* The first price in a price field ("1.250.000 ₫", "$179.99", "350k",
 * "VND 2.000.000 - 3.000.000" gives the first). False when there is no
 * number (NULL, "", "Liên hệ"). */
bool price_parse(const char *text, double *value);

/* A price in free text (a caption, a post): the amount after "giá" first (any
 * case, with or without its mark), else the first amount that carries a
 * money unit (đ, ₫, VND, a k/tr/triệu multiplier) or is at least a
 * million. Amounts under 1,000 are not prices here (sizes, counts, years).
 * False when there is none. */
bool price_find(const char *text, double *vnd);

#endif
