/* bodies: what each fuzz target does with one input, shared by the libFuzzer
 * entry points (tests/fuzz/fuzz_X.c) and tests/test_fuzz_regressions.c, so
 * a finding is replayed through exactly the code that found it. Each body
 * abort()s when an invariant breaks (a crash for libFuzzer and Criterion
 * alike). State that is costly to build (a normalizer, the shipped rules)
 * is the caller's. static inline: each user takes only the bodies it calls. */
#ifndef LSCAN_FUZZ_BODIES_H
#define LSCAN_FUZZ_BODIES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/extract/adapters.h"
#include "scanner/extract/price.h"
#include "rules/base/bytebuf.h"
#include "rules/base/url.h"
#include "scanner/pipeline/campaign.h"
#include "scanner/extract/extract_html.h"
#include "scanner/record/flag.h"
#include "scanner/record/listing.h"
#include "rules/text/normalize.h"
#include "rules/pack.h"
#include "rules/ruleset.h"
#include "scanner/output/spool.h"
#include "scanner/cli/terminal.h"
#include "rules/base/json_repair.h"
#include <fcntl.h>
#include <unistd.h>

/* utf8proc's largest expansion of one code point is U+FDFA: 3 bytes in, 33
 * bytes out; every other byte becomes at most one separator. */
#define FUZZ_NORMALIZE_EXPANSION 11

/* The documented invariants of a normalized view (normalize.h): bounded,
 * NUL-free, valid UTF-8, single-spaced, every source range inside the input,
 * non-empty and not going backwards. */
static inline void fuzz_check_view(const char *what, const normalized_text *t, size_t input_length, size_t bound)
{
    if (t->length > bound) {
        fprintf(stderr, "%s: %zu bytes out of %zu in (bound %zu)\n", what, t->length, input_length, bound);
        abort();
    }
    if (t->length == 0)
        return;
    if (t->text[t->length] != '\0' || memchr(t->text, 0, t->length)) {
        fprintf(stderr, "%s: not NUL-terminated, or a NUL inside\n", what);
        abort();
    }
    if (t->text[0] == ' ' || t->text[t->length - 1] == ' ' || strstr(t->text, "  ")) {
        fprintf(stderr, "%s: leading, trailing or double space\n", what);
        abort();
    }
    for (size_t i = 0; i < t->length;) {
        size_t k = utf8_sequence_length((const unsigned char *)t->text + i, t->length - i);
        if (k == 0) {
            fprintf(stderr, "%s: invalid UTF-8 at output byte %zu\n", what, i);
            abort();
        }
        i += k;
    }
    for (size_t i = 0; i < t->length; i++) {
        uint32_t s = t->source_start[i], e = t->source_end[i];
        if (!(s < e) || e > input_length) {
            fprintf(stderr, "%s: output byte %zu maps to [%u,%u) of %zu input bytes\n", what, i, s, e, input_length);
            abort();
        }
        if (i > 0 && s < t->source_start[i - 1]) {
            fprintf(stderr, "%s: output byte %zu starts at %u, before byte %zu at %u\n", what, i, s, i - 1,
                    t->source_start[i - 1]);
            abort();
        }
    }
}

/* normalize_text and normalize_joined; inputs up to 256 bytes also against
 * normalize_text_reference (the utf8proc oracle). The views are reused. */
static inline void fuzz_normalize_one(const normalizer *n, normalized_text *main_view, normalized_text *joined,
                                      normalized_text *reference, const uint8_t *data, size_t size)
{
    const char *input = (const char *)data;
    size_t invalid = 0;
    if (normalize_text(n, input, size, main_view, &invalid) != 0) {
        if (size <= NORMALIZE_MAX_INPUT) {
            fprintf(stderr, "normalize_text failed on %zu bytes\n", size);
            abort();
        }
        return;
    }
    if (invalid > size)
        abort();
    fuzz_check_view("main", main_view, size, size * FUZZ_NORMALIZE_EXPANSION);
    if (normalize_joined(main_view, joined) != 0) {
        fprintf(stderr, "normalize_joined failed\n");
        abort();
    }
    fuzz_check_view("joined", joined, size, main_view->length);
    /* the runs read from the original separators: the same invariants */
    if (normalize_joined_runs(main_view, input, size, joined) != 0) {
        fprintf(stderr, "normalize_joined_runs failed\n");
        abort();
    }
    fuzz_check_view("joined runs", joined, size, main_view->length);
    /* and the trimmed variants of its runs: bounded, NUL-free, valid UTF-8, every byte's range inside the input */
    normalized_text variants;
    normalized_text_init(&variants);
    if (normalize_joined_runs_variants(main_view, input, size, joined, &variants) != 0) {
        fprintf(stderr, "normalize_joined_runs_variants failed\n");
        abort();
    }
    fuzz_check_view("joined runs (with variants)", joined, size, main_view->length);
    if (variants.length > 8 * main_view->length + 8 || (variants.length && memchr(variants.text, 0, variants.length))) {
        fprintf(stderr, "variants: %zu bytes out of a %zu-byte view, or a NUL inside\n", variants.length,
                main_view->length);
        abort();
    }
    for (size_t i = 0; i < variants.length;) {
        size_t k = utf8_sequence_length((const unsigned char *)variants.text + i, variants.length - i);
        if (k == 0) {
            fprintf(stderr, "variants: invalid UTF-8 at output byte %zu\n", i);
            abort();
        }
        i += k;
    }
    for (size_t i = 0; i < variants.length; i++)
        if (!(variants.source_start[i] < variants.source_end[i]) || variants.source_end[i] > size) {
            fprintf(stderr, "variants: output byte %zu maps to [%u,%u) of %zu input bytes\n", i,
                    variants.source_start[i], variants.source_end[i], size);
            abort();
        }
    normalized_text_free(&variants);
    if (size > 256)
        return;
    size_t ref_invalid = 0;
    if (normalize_text_reference(input, size, reference, &ref_invalid) != 0)
        abort();
    if (reference->length != main_view->length || ref_invalid != invalid ||
        memcmp(reference->text, main_view->text, main_view->length) != 0 ||
        memcmp(reference->source_start, main_view->source_start, main_view->length * sizeof(uint32_t)) != 0 ||
        memcmp(reference->source_end, main_view->source_end, main_view->length * sizeof(uint32_t)) != 0) {
        fprintf(stderr, "normalize_text differs from normalize_text_reference:\n  fast: %s\n  ref:  %s\n",
                main_view->text ? main_view->text : "", reference->text ? reference->text : "");
        abort();
    }
}

/* extract_html and html_page_listings, with and without a page URL
 * (extract_html_init must have run). */
static inline void fuzz_extract_html_one(const uint8_t *data, size_t size)
{
    static const char *const urls[] = {"http://shop.test/c/giay/index.html?page=2", NULL};
    for (size_t u = 0; u < sizeof urls / sizeof urls[0]; u++) {
        html_page page = {0};
        char error[256];
        if (extract_html((const char *)data, size, urls[u], &page, error, sizeof error) < 0)
            continue;
        cJSON *listings = cJSON_CreateArray();
        if (!listings)
            abort();
        html_page_listings(&page, "storefront", urls[u], NULL, listings);
        free(cJSON_PrintUnformatted(listings));
        cJSON_Delete(listings);
        html_page_free(&page);
    }
}

#define FUZZ_ADAPTER_TARGETS 8

/* One target per adapter; the json one with field paths. */
static inline void fuzz_adapter_targets(campaign_target targets[FUZZ_ADAPTER_TARGETS])
{
    targets[0] = (campaign_target){.name = "shopee", .adapter = ADAPTER_SHOPEE, .platform = "shopee",
                                   .base_url = "http://a.test/shopee", .details = true};
    targets[1] = (campaign_target){.name = "tiki", .adapter = ADAPTER_TIKI, .platform = "tiki",
                                   .base_url = "http://a.test/tiki", .details = true};
    targets[2] = (campaign_target){.name = "social", .adapter = ADAPTER_SOCIAL, .platform = "social",
                                   .base_url = "http://a.test/social"};
    targets[3] = (campaign_target){
        .name = "json", .adapter = ADAPTER_JSON, .platform = "json", .base_url = "http://a.test/api",
        .fields = {.items = "data.products", .listing_id = "id", .title = "title", .description = "body",
                   .url = "url", .price = "price.amount", .currency = "price.currency", .seller_id = "shop.id",
                   .seller_name = "shop.name", .seller_location = "shop.province",
                   .seller_official = "shop.verified", .category = "category.name", .next_url = "links.next",
                   .price_divisor = 100}};
    targets[4] = (campaign_target){.name = "storefront", .adapter = ADAPTER_STOREFRONT, .platform = "storefront",
                                   .base_url = "http://a.test/shop"};
    targets[5] = (campaign_target){.name = "lazada", .adapter = ADAPTER_LAZADA, .platform = "lazada",
                                   .base_url = "http://a.test/lazada"};
    targets[6] = (campaign_target){.name = "sendo", .adapter = ADAPTER_SENDO, .platform = "sendo",
                                   .base_url = "http://a.test/sendo"};
    targets[7] = (campaign_target){.name = "tiktok", .adapter = ADAPTER_TIKTOK, .platform = "tiktok",
                                   .base_url = "http://a.test/tiktok"};
}

/* adapter_parse for every adapter and page kind; the bytes as a caption
 * price and as a link. */
static inline void fuzz_adapters_one(const campaign_target targets[FUZZ_ADAPTER_TARGETS], const uint8_t *data,
                                     size_t size)
{
    adapter_result r;
    adapter_result_init(&r);
    char error[256];
    for (size_t i = 0; i < FUZZ_ADAPTER_TARGETS; i++) {
        const campaign_target *t = &targets[i];
        int first = t->adapter == ADAPTER_STOREFRONT ? PAGE_HTML : PAGE_LISTING;
        int last = t->adapter == ADAPTER_STOREFRONT ? PAGE_HTML : PAGE_DETAIL;
        for (int kind = first; kind <= last; kind++) {
            adapter_parse(t, (page_kind)kind, "http://a.test/page?offset=0&newest=0", (const char *)data, size, &r,
                          error, sizeof error);
            adapter_result_reset(&r);
        }
    }
    adapter_result_free(&r);
    char *text = malloc(size + 1);
    if (!text)
        return;
    memcpy(text, data, size);
    text[size] = '\0';
    double vnd = 0;
    price_find(text, &vnd);
    free(url_resolve_dup("http://a.test/dir/page?x=1", text));
    free(text);
}

/* listing_parse, then ruleset_match and flag_to_json in both languages. */
static inline void fuzz_listing_one(const ruleset *rs, ruleset_scratch *scratch, const uint8_t *data, size_t size)
{
    static arena lines; /* the same line parsed into an arena must give the same flag */
    listing l, in_arena;
    char error[256], arena_error[256];
    int rc = listing_parse((const char *)data, size, &l, error, sizeof error);
    arena_reset(&lines);
    int arena_rc = listing_parse_in(&lines, (const char *)data, size, &in_arena, arena_error, sizeof arena_error);
    if (rc != arena_rc || (rc != 0 && strcmp(error, arena_error)))
        abort();
    if (rc != 0)
        return;
    match_result result;
    if (ruleset_match(rs, scratch, &l.facts, &result) == 0 && result.rule_count > 0) {
        bytebuf first;
        bytebuf_init(&first, 0);
        for (int language = FLAG_LANGUAGE_VIETNAMESE; language <= FLAG_LANGUAGE_ENGLISH; language++) {
            bytebuf out;
            bytebuf_init(&out, 0);
            flag_to_json(rs, &l, &result, (flag_language)language, NULL, NULL, &out);
            if (language == FLAG_LANGUAGE_VIETNAMESE)
                bytebuf_append(&first, out.data, out.length);
            bytebuf_free(&out);
        }
        bytebuf other;
        bytebuf_init(&other, 0);
        if (ruleset_match(rs, scratch, &in_arena.facts, &result) != 0 || result.rule_count == 0)
            abort();
        flag_to_json(rs, &in_arena, &result, FLAG_LANGUAGE_VIETNAMESE, NULL, NULL, &other);
        if (other.length != first.length || memcmp(other.data, first.data, first.length))
            abort();
        bytebuf_free(&first);
        bytebuf_free(&other);
    }
    listing_free(&l);
    listing_free(&in_arena);
}

/* pack_load_string; a pack that loads is compiled and runs its own tests. */
static inline void fuzz_pack_one(const uint8_t *data, size_t size)
{
    diagnostics diag;
    diagnostics_init(&diag);
    pack *p = pack_load_string("fuzz.yaml", (const char *)data, size, &diag);
    if (p) {
        ruleset *rs = NULL;
        pack *packs[] = {p};
        if (ruleset_compile(packs, 1, NULL, &rs, &diag) == 0) {
            size_t total = 0;
            bytebuf report;
            bytebuf_init(&report, 1 << 20);
            ruleset_run_tests(rs, &report, &total);
            bytebuf_free(&report);
            ruleset_destroy(rs);
        } else {
            pack_free(p);
        }
    }
    diagnostics_free(&diag);
}

/* campaign_load_string; its mistakes go to `diag` (the caller's). */
static inline void fuzz_campaign_one(const uint8_t *data, size_t size, diagnostics *diag)
{
    campaign_free(campaign_load_string("fuzz.yaml", (const char *)data, size, diag));
}

/* terminal_safe_append: whatever the bytes, the output is valid UTF-8 with no
 * C0 or C1 control, no DEL, no bidirectional override or isolate, no
 * invisible format character and no line or paragraph separator. */
static inline uint32_t fuzz_code_point(const unsigned char *s, size_t n)
{
    switch (n) {
    case 2: return (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
    case 3: return (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
    case 4: return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 | (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
    default: return s[0];
    }
}

static inline void fuzz_terminal_one(const uint8_t *data, size_t size)
{
    bytebuf out;
    bytebuf_init(&out, 0);
    terminal_safe_append(&out, (const char *)data, size);
    const unsigned char *s = (const unsigned char *)out.data;
    for (size_t i = 0; i < out.length;) {
        size_t n = utf8_sequence_length(s + i, out.length - i);
        if (!n) {
            fprintf(stderr, "terminal: invalid UTF-8 at %zu\n", i);
            abort();
        }
        uint32_t c = fuzz_code_point(s + i, n);
        bool bad = c < 0x20 || (c >= 0x7F && c < 0xA0) || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) ||
                   c == 0x2028 || c == 0x2029 || (c >= 0x200B && c <= 0x200F) || c == 0xFEFF || c == 0x061C ||
                   (c >= 0xE0000 && c <= 0xE007F);
        if (bad) {
            fprintf(stderr, "terminal: U+%04X survived at %zu\n", (unsigned)c, i);
            abort();
        }
        i += n;
    }
    bytebuf_free(&out);
    /* json_repair: a repaired text is valid for cJSON whenever the original's only fault was a repaired escape */
    bytebuf repaired;
    bytebuf_init(&repaired, size * 3 + 64); /* the documented bound */
    size_t repairs = json_repair((const char *)data, size, &repaired);
    if (repairs && (repaired.overflow || !repaired.data || memchr(repaired.data, 0, repaired.length))) {
        fprintf(stderr, "json_repair: %zu repairs but the output is missing or holds a NUL\n", repairs);
        abort();
    }
    bytebuf_free(&repaired);
}

/* spool_open and spool_for_each on any file: a torn tail is cut, damage is
 * refused, and nothing crashes or reads outside the file. The input is
 * written to `path` first. */
static inline int fuzz_spool_record(void *context, const char *id, size_t id_length, const char *flag, size_t flag_length)
{
    size_t *records = context;
    if (strlen(id) != id_length || id_length == 0 || id_length > SPOOL_MAX_ID || flag_length > SPOOL_MAX_FLAG ||
        flag[flag_length] != '\0') {
        fprintf(stderr, "spool: a record out of its bounds\n");
        abort();
    }
    (*records)++;
    return 0;
}

static inline void fuzz_spool_one(const char *path, const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return;
    ssize_t written = write(fd, data, size);
    close(fd);
    if (written != (ssize_t)size)
        return;
    spool *sp = NULL;
    char error[512];
    if (spool_open(path, &sp, error, sizeof error) != 0)
        return;
    size_t records = 0;
    if (spool_for_each(sp, fuzz_spool_record, &records) == 0 && records != spool_records(sp)) {
        fprintf(stderr, "spool: %zu records read, %llu counted\n", records, (unsigned long long)spool_records(sp));
        abort();
    }
    spool_close(sp);
}

#endif
