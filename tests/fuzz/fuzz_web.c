/* libFuzzer target: what a web server says about its pages, read before
 * anything else of them (docs/campaigns.md, "Character sets", "robots.txt"):
 * a robots.txt parsed and asked about paths made of its own bytes, and a
 * page decoded to UTF-8 by a Content-Type and the page's own <meta> (the
 * first line of the input is the header's value), and the same bytes as a
 * JSON response. The decoded text must be valid UTF-8 and within the
 * decoder's bound. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workers/charset.h"
#include "workers/robots.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    robots_rules *r = robots_parse(text, size, "lscan");
    if (r) {
        char path[256] = "/";
        for (size_t at = 0; at < size && at < 4096; at += 97) {
            size_t n = size - at < sizeof path - 2 ? size - at : sizeof path - 2;
            memcpy(path + 1, text + at, n);
            path[n + 1] = 0;
            robots_rules_allow(r, path);
        }
        robots_rules_allow(r, "/");
        robots_rules_crawl_delay_ms(r);
        robots_rules_free(r);
    }
    const uint8_t *newline = memchr(data, '\n', size < 200 ? size : 200);
    char content_type[201] = "";
    size_t skip = 0;
    if (newline) {
        skip = (size_t)(newline - data) + 1;
        memcpy(content_type, data, skip - 1);
        content_type[skip - 1] = 0;
    }
    charset_decoder *d = NULL;
    if (charset_decoder_create(1 << 16, &d) != CHARSET_OK)
        return 0;
    charset_result out;
    if (charset_decode(d, content_type, text + skip, size - skip, &out) == CHARSET_OK) {
        if (out.length > (1 << 16) && out.converted)
            abort(); /* past the bound */
        if (out.converted && !charset_valid_utf8(out.text, out.length))
            abort(); /* converted text that is not UTF-8 */
    }
    /* the same bytes as a JSON response: always UTF-8 out, within the bound */
    if (charset_decode_json(d, content_type, text + skip, size - skip, &out) == CHARSET_OK) {
        if (out.length > (1 << 16) && out.converted)
            abort();
        if (!charset_valid_utf8(out.text, out.length))
            abort();
    }
    charset_decoder_destroy(d);
    return 0;
}
