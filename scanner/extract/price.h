/* price: the one reader of money for captions, JSON fields and structured
 * data alike. A price is an amount AND a currency; lscan never assumes VND.
 *
 * Numbers: the separators are read the way the locale most likely meant
 * them. Both '.' and ',' -> the last one is the decimal mark ("1.250.000,50",
 * "1,250,000.00"); one kind repeated -> thousands ("1.250.000"); once,
 * followed by exactly three digits and not after a lone 0 -> thousands
 * ("1,250", "99.000"), otherwise the decimal mark ("5.29", "1,5", "0.500").
 * Spaces (also U+00A0, U+2009, U+202F) and apostrophes group thousands only
 * before exactly three digits ("1 234,56", "1'234.50"). Thousands groups must
 * have three digits: "192.168.1.1" and "1.2.3" are not amounts. More than 15
 * integer digits is not a price (hostile or a phone number run together).
 * Multipliers follow: "350k"/"450K" thousands, "nghìn"/"ngàn" thousands,
 * "2 triệu"/"2tr"/"1,2 triệu" millions, "2tr5" 2.5 million ("1tr250" 1.25
 * million), "1,2 tỷ" billions. A range ("100.000 - 200.000đ", "100-200k",
 * "1 ~ 2 triệu", "từ 99.000đ đến 150.000đ") gives its lowest amount and its
 * highest. A number written right after a minus sign is negative: no price.
 *
 * Currencies are ISO 4217 codes: symbols, local names and legacy codes are
 * normalized (₫ đ vnđ VND dong -> VND, US$ USD $ -> USD, € -> EUR, ¥ -> JPY
 * or CNY by context, ₩ -> KRW, ฿ -> THB, RMB -> CNY, ...). A bare "$" or
 * "¥" is read with the region hint (a country code, see price_region):
 * "$" is SGD in "sg", AUD in "au", ... and USD elsewhere; "¥" is CNY in "cn",
 * JPY in "jp", and unknown without a hint.
 *
 * Everything here is pure (no allocation, no global state): thread-safe. */
#ifndef LSCAN_PRICE_H
#define LSCAN_PRICE_H

#include <stdbool.h>
#include <stddef.h>

/* ISO 4217 code for "no currency": what a listing's currency is when its
 * price is known and its currency is not (records.md: an absent currency
 * means VND, so unknown must be written). */
#define PRICE_CURRENCY_UNKNOWN "XXX"

typedef struct price_reading {
    double amount;        /* the price, or the lowest of a range: finite, >= 0 */
    double high;          /* the highest of a range; == amount when one amount */
    char currency[4];     /* ISO 4217 named by the text ("" when it names none) */
    bool vietnamese;      /* read with Vietnamese words (tr, triệu, nghìn, tỷ, the label "giá") */
} price_reading;

/* A price field ("1.250.000 ₫", "$179.99", "từ 99.000đ", "350k",
 * "VND 2.000.000 - 3.000.000"): its first amount (or range). The currency is
 * the one written next to the amount, else anywhere in the text; a
 * Vietnamese multiplier (tr, triệu, nghìn, tỷ) alone means VND. `region` is a
 * two-letter country hint for "$" and "¥" (NULL: none). False when there is
 * no amount (NULL, "", "Liên hệ", "NaN", "-5", "1.2.3.4"). */
bool price_read(const char *text, const char *region, price_reading *out);

/* A price in free text (a caption, a post): the amount after "giá" first
 * (any case, with or without its mark; such an amount without a written
 * currency is VND), else the first amount that carries a money unit (a
 * currency or a multiplier) or is at least a million (its currency then
 * unknown unless written). Amounts under 1,000 in VND or in no named
 * currency are not prices here (sizes, counts, years). */
bool price_find_in_text(const char *text, const char *region, price_reading *out);

/* The ISO 4217 code of a currency as written: a code ("vnd", "USD"), a
 * symbol ("₫", "US$", "€"), a local name ("đồng", "円", "บาท") or a legacy
 * code ("RMB", "NTD", "RUR"); surrounding spaces are ignored. Any other three
 * ASCII letters are taken as a code (upper-cased). Writes the code to
 * out[4] and returns true, or false (out untouched) when `text` names no
 * currency. Thread-safe (the last answer is remembered per thread). */
bool currency_normalize(const char *text, const char *region, char out[4]);

/* The two-letter country a URL's host belongs to by its top-level domain
 * ("https://shop.example.com.sg/x" -> "sg"), written into out[3]; false for
 * generic domains (.com, .net, ...) and for no URL. */
bool price_region(const char *url, char out[3]);

/* Amount-only wrappers kept for callers that need no currency:
 * price_parse = price_read(text, NULL).amount, price_find =
 * price_find_in_text(text, NULL).amount. */
bool price_parse(const char *text, double *value);
bool price_find(const char *text, double *value);

#endif
