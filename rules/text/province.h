/* province: where a seller's free-text location is, as the plans report
 * it: one of the 34 provinces and cities after the 1 July 2025 merger
 * (Resolution 202/2025/QH15), with every pre-merger province name, the
 * usual spellings and abbreviations ("TP.HCM", "Sài Gòn", "HN", "tp hcm",
 * unaccented forms) and the districts of the big cities mapped onto them;
 * "abroad" for places outside Vietnam; "unknown" for the rest. The raw text
 * is the caller's to keep.
 *
 * A table is built once from the normalizer (the same folding the rules
 * use) and is then immutable: threads share it read-only. */
#ifndef LSCAN_PROVINCE_H
#define LSCAN_PROVINCE_H

#include <stddef.h>

#include "rules/text/normalize.h"

#define PROVINCE_COUNT 34
#define PROVINCE_ABROAD "abroad"
#define PROVINCE_UNKNOWN "unknown"

typedef struct province_table province_table;

/* 0, or -1 out of memory. */
int province_table_create(const normalizer *n, province_table **out);
void province_table_destroy(province_table *t);

/* The province of a location ("Quận 7, TP. Hồ Chí Minh" gives "TP. Hồ Chí
 * Minh", "Lục Ngạn, Bắc Giang" gives "Bắc Ninh"), PROVINCE_ABROAD, or
 * PROVINCE_UNKNOWN (also for NULL or ""). The string is static. When the
 * text names several places, the longest name found wins ("Thành phố Hải
 * Dương" over "Hải"), then the first. Thread-safe. */
const char *province_of(const province_table *t, const char *location);

/* The same for text already normalized (rules/text/normalize.h), as the
 * matcher's views are: no allocation, no second normalization. `length`
 * above 256 bytes gives PROVINCE_UNKNOWN. Thread-safe. */
const char *province_of_normalized(const province_table *t, const char *normalized, size_t length);

/* The 34 names, in the order of the official list; i < PROVINCE_COUNT. */
const char *province_name(size_t i);
/* The post-merger province of a pre-merger (or current) province name
 * written exactly as in the list ("Bắc Giang" -> "Bắc Ninh"), or NULL. */
const char *province_after_merger(const char *name);

#endif
