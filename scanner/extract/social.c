/* Social feeds (Graph-API-like): posts whose caption holds the title (its
 * first line) and the price; topics lead to feeds; cursor paging. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/base/bytebuf.h"
#include "rules/base/url.h"
#include "scanner/extract/adapter_shared.h"
#include "scanner/extract/price.h"

static int social_page(const campaign_target *t, page_kind kind, const char *url, const cJSON *root,
                       adapter_result *out)
{
    const cJSON *data = json_member(root, "data");
    if (!cJSON_IsArray(data))
        return -1;
    if (kind == PAGE_CATEGORIES) {
        const cJSON *topic;
        cJSON_ArrayForEach(topic, data)
        {
            const cJSON *feed = json_member(topic, "feed");
            if (cJSON_IsString(feed))
                add_link_owned(out, url_resolve_dup(url, feed->valuestring), PAGE_LISTING);
        }
        return 0;
    }
    const cJSON *post;
    cJSON_ArrayForEach(post, data)
    {
        const cJSON *message = json_member(post, "message"), *from = json_member(post, "from");
        if (!cJSON_IsString(message)) { /* a post without a caption (a photo, a share) has no title: counted */
            drop_item(out, cJSON_IsObject(post) ? ITEM_DROP_NO_TITLE : ITEM_DROP_NOT_OBJECT);
            continue;
        }
        /* the title is the caption's first line */
        size_t first = strcspn(message->valuestring, "\n");
        char *title_text = strndup(message->valuestring, first > 1024 ? 1024 : first);
        cJSON *title = cJSON_CreateString(title_text ? title_text : "");
        free(title_text);
        const cJSON *permalink = json_member(post, "permalink_url");
        char *person = cJSON_IsString(permalink) ? url_resolve_dup(url, permalink->valuestring) : NULL;
        /* the caption is the price text (price_find_in_text via add_listing) */
        listing_fields f = {json_member(post, "id"), title, message, message, NULL,
                            json_member(from, "id"), json_member(from, "name"),
                            json_member(from, "location"), json_member(from, "verified"),
                            json_member(post, "topic"), json_member(post, "is_live"), 1, person, NULL, NULL, false, NULL, 0};
        add_listing(out, t, &f);
        free(person);
        cJSON_Delete(title);
    }
    const cJSON *next = json_path(root, "paging.next");
    if (cJSON_IsString(next))
        add_link_owned(out, url_resolve_dup(url, next->valuestring), PAGE_LISTING);
    return 0;
}

const adapter_shape adapter_social = {"/api/search?q=", "", "/api/topics", "/api/feed?limit=20", PAGE_LISTING,
                                      social_page, NULL};
