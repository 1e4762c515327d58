/* target: see target.h. */
#include "scanner/extract/target.h"

#include <string.h>
#include <xxhash.h>

#include "rules/base/url.h"

static const char *const adapter_names[ADAPTER_COUNT] = {"shopee", "tiki", "storefront", "social", "json",
                                                                 "lazada", "sendo", "tiktok"};
static const char *const adapter_platforms[ADAPTER_COUNT] = {"shopee", "tiki", "web", "facebook", "web",
                                                                     "lazada", "sendo", "tiktok"};

const char *adapter_name(adapter_kind k) { return (unsigned)k < ADAPTER_COUNT ? adapter_names[k] : "unknown"; }
const char *adapter_platform(adapter_kind k) { return (unsigned)k < ADAPTER_COUNT ? adapter_platforms[k] : "web"; }

adapter_kind adapter_named(const char *name)
{
    for (int k = 0; k < ADAPTER_COUNT; k++)
        if (!strcmp(adapter_names[k], name))
            return (adapter_kind)k;
    return ADAPTER_COUNT;
}

void campaign_target_prepare(campaign_target *t)
{
    t->base_prefix = 0;
    url_parts p;
    if (!t->base_url || !url_parse(t->base_url, &p) || strpbrk(t->base_url, "?#@\\"))
        return;
    size_t n = strlen(t->base_url);
    while (n && t->base_url[n - 1] == '/')
        n--;
    t->base_prefix = n;
}

bool campaign_target_allows(const campaign_target *t, const char *url)
{
    if (!url)
        return false;
    /* the same bytes as a valid base_url up to its path's end, then a segment,
     * query or fragment boundary: the same scheme, host, port and path prefix
     * that url_within would parse out of both (a listing URL per listing
     * makes the parse show in profiles) */
    size_t n = t->base_prefix;
    if (n && t->base_url && !strncmp(url, t->base_url, n) &&
        (url[n] == '\0' || url[n] == '/' || url[n] == '?' || url[n] == '#') && strnlen(url, URL_MAX + 1) <= URL_MAX)
        return true;
    if (t->base_url && url_within(url, t->base_url))
        return true;
    for (size_t i = 0; i < t->hosts.count; i++)
        if (url_same_origin(url, t->hosts.items[i]))
            return true;
    return false;
}

uint64_t campaign_target_fingerprint(const campaign_target *t)
{
    XXH3_state_t *state = XXH3_createState();
    if (!state)
        return 0;
    XXH3_64bits_reset(state);
    uint32_t adapter = (uint32_t)t->adapter;
    XXH3_64bits_update(state, &adapter, sizeof adapter);
    const json_fields *f = &t->fields;
    const char *parts[] = {t->platform, t->base_url, f->items, f->listing_id, f->title, f->description, f->url,
                           f->price, f->currency, f->seller_id, f->seller_name, f->seller_location,
                           f->seller_official, f->category, f->next_url};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        XXH3_64bits_update(state, parts[i] ? parts[i] : "", parts[i] ? strlen(parts[i]) + 1 : 1);
    for (size_t i = 0; i < t->hosts.count; i++)
        XXH3_64bits_update(state, t->hosts.items[i], strlen(t->hosts.items[i]) + 1);
    /* added later: hashed only when set, so older checkpoints keep their fingerprint */
    const char *later[][2] = {{"url_template", f->url_template}, {"currency", t->currency}, {"site_url", t->site_url}};
    for (size_t i = 0; i < sizeof later / sizeof later[0]; i++)
        if (later[i][1]) {
            XXH3_64bits_update(state, later[i][0], strlen(later[i][0]) + 1);
            XXH3_64bits_update(state, later[i][1], strlen(later[i][1]) + 1);
        }
    uint64_t h = XXH3_64bits_digest(state);
    XXH3_freeState(state);
    return h;
}
