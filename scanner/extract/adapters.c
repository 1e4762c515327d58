/* Site adapters: Shopee-like, Tiki-like, storefront HTML, social feeds and
 * a configurable JSON adapter. Field names follow the real sites' public
 * JSON; see docs/fixture-market.md for the shapes. */
#include "scanner/extract/adapters.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/base/bytebuf.h"
#include "rules/base/json_arena.h"
#include "rules/base/json_repair.h"
#include "rules/base/url.h"
#include "scanner/extract/adapter_shared.h"


void adapter_result_init(adapter_result *r)
{
    memset(r, 0, sizeof *r);
    r->listings = cJSON_CreateArray();
}

void adapter_result_reset(adapter_result *r)
{
    for (size_t i = 0; i < r->link_count; i++)
        free(r->links[i].url);
    r->link_count = 0;
    r->record_count = 0;
    arena_reset(r->arena);
    r->parse_failed = false;
    r->json_repairs = 0;
    r->embedded_errors = 0;
    memset(r->dropped, 0, sizeof r->dropped);
    cJSON_Delete(r->listings);
    r->listings = cJSON_CreateArray();
}

void adapter_result_free(adapter_result *r)
{
    adapter_result_reset(r);
    cJSON_Delete(r->listings);
    free(r->links);
    free(r->records);
    arena_destroy(r->arena);
    memset(r, 0, sizeof *r);
}

/* ---- the registry ---------------------------------------------------------------- */

static const adapter_shape *const shapes[ADAPTER_COUNT] = {&adapter_shopee, &adapter_tiki,   &adapter_storefront,
                                                           &adapter_social, &adapter_json,   &adapter_lazada,
                                                           &adapter_sendo,  &adapter_tiktok};

int adapter_seed(const campaign_target *t, const char *const *keywords, size_t keyword_count, adapter_result *out)
{
    if ((unsigned)t->adapter >= ADAPTER_COUNT)
        return -1;
    const adapter_shape *shape = shapes[t->adapter];
    const char *const *words = t->keywords_from_rules ? keywords : (const char *const *)t->keywords.items;
    size_t word_count = t->keywords_from_rules ? keyword_count : t->keywords.count;
    for (size_t i = 0; shape->search && i < word_count; i++) {
        bytebuf path;
        bytebuf_init(&path, 4096);
        bytebuf_append_string(&path, shape->search);
        url_encode_component(&path, words[i]);
        bytebuf_append_string(&path, shape->search_suffix);
        add_link_owned(out, path.overflow ? NULL : url_join(t->base_url, path.data), shape->start_kind);
        bytebuf_free(&path);
    }
    if (t->categories && shape->categories)
        add_link_owned(out, url_join(t->base_url, shape->categories),
                       shape->start_kind == PAGE_HTML ? PAGE_HTML : PAGE_CATEGORIES);
    /* start URLs are absolute, or paths under base_url (which may itself
     * have a path: "http://host/social" + "/api/feed") */
    for (size_t i = 0; i < t->start_urls.count; i++) {
        const char *start = t->start_urls.items[i];
        char *url;
        if (!strncmp(start, "http://", 7) || !strncmp(start, "https://", 8)) {
            url = strdup(start);
        } else {
            bytebuf path;
            bytebuf_init(&path, 4096);
            if (start[0] != '/')
                bytebuf_append_char(&path, '/');
            bytebuf_append_string(&path, start);
            url = path.overflow ? NULL : url_join(t->base_url, path.data);
            bytebuf_free(&path);
        }
        add_link_owned(out, url, shape->start_kind);
    }
    if (out->link_count == 0 && shape->fallback)
        add_link_owned(out, url_join(t->base_url, shape->fallback), shape->start_kind);
    return 0;
}

int adapter_parse(const campaign_target *t, page_kind kind, const char *url, const char *body, size_t length,
                  adapter_result *out, char *error, size_t error_size)
{
    int rc;
    if ((unsigned)t->adapter >= ADAPTER_COUNT) {
        snprintf(error, error_size, "unknown adapter");
        out->parse_failed = true;
        return -1;
    }
    if (t->adapter == ADAPTER_STOREFRONT || kind == PAGE_HTML) {
        rc = adapter_storefront.html_page(t, url, body, length, out, error, error_size);
    } else {
        /* one bad string (a lone surrogate escape, a NUL) must not lose the page */
        bytebuf repaired;
        bytebuf_init(&repaired, length * 3 + 64);
        size_t repairs = json_repair(body, length, &repaired);
        if (repairs && !repaired.overflow) {
            body = repaired.data;
            length = repaired.length;
            out->json_repairs += repairs;
        }
        /* the tree lives in the page's arena, with the page's records */
        if (!out->arena && !(out->arena = arena_create())) {
            bytebuf_free(&repaired);
            snprintf(error, error_size, "out of memory");
            out->parse_failed = true;
            return -1;
        }
        cJSON *root = json_arena_parse(out->arena, body, length);
        bytebuf_free(&repaired);
        if (!root) {
            snprintf(error, error_size, "not valid JSON");
            out->parse_failed = true;
            return -1;
        }
        const adapter_shape *shape = shapes[t->adapter];
        rc = shape->json_page ? shape->json_page(t, kind, url, root, out) : -1;
        if (rc < 0)
            snprintf(error, error_size, "not the %s page shape this adapter reads", adapter_name(t->adapter));
    }
    if (rc < 0)
        out->parse_failed = true;
    return rc;
}
