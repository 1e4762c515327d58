/* Storefront HTML: schema.org / OpenGraph / microdata products
 * (scanner/extract/extract_html.c) and the links worth following. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/base/bytebuf.h"
#include "rules/base/url.h"
#include "scanner/extract/adapter_shared.h"
#include "scanner/extract/price.h"

#include "scanner/extract/extract_html.h"

/* A link on a storefront page worth following: within the target (its
 * base_url's scope or one of its hosts; other links on a page are ordinary
 * off-site anchors, not followed and not counted) and, with `follow:`,
 * containing one of those strings in its path. */
static bool follows(const campaign_target *t, const char *link)
{
    if (!campaign_target_allows(t, link))
        return false;
    if (!t->follow.count)
        return true;
    url_parts p;
    if (!url_parse(link, &p))
        return false;
    for (size_t i = 0; i < t->follow.count; i++)
        if (memmem(p.path, p.path_length + (p.query ? 1 + p.query_length : 0), t->follow.items[i],
                   strlen(t->follow.items[i])))
            return true;
    return false;
}

static int storefront_page(const campaign_target *t, const char *url, const char *body, size_t length,
                           adapter_result *out, char *error, size_t error_size)
{
    html_page page;
    int rc = extract_html(body, length, url, &page, error, error_size);
    if (rc < 0)
        return -1;
    /* the page's listings: the JSON it renders from, read with the target's
     * field paths (fields.items ...), else its structured data, else its
     * heading and the price next to it (marked "extraction": "fallback") */
    int embedded = 0;
    for (size_t i = 0; t->fields.items && i < page.embedded_count; i++) {
        cJSON *root = cJSON_Parse(page.embedded_json[i]);
        if (!root) {
            out->embedded_errors++;
            continue;
        }
        int added = read_json_items(t, url, root, out);
        if (added > 0)
            embedded += added;
        cJSON_Delete(root);
    }
    if (!embedded && !html_page_listings(&page, t->platform, url, t->currency, out->listings))
        html_page_fallback_listing(&page, t->platform, url, out->listings);
    for (size_t i = 0; i < page.link_count; i++)
        if (follows(t, page.links[i]))
            add_link_owned(out, strdup(page.links[i]), PAGE_HTML);
    html_page_free(&page);
    return 0;
}

const adapter_shape adapter_storefront = {"/search?q=", "", "/", NULL, PAGE_HTML, NULL, storefront_page};
