/* assets: the console's page, style and script (scanner/review/console/),
 * built into the binary by scanner/review/embed-assets at build time, so
 * `lscan serve` needs no files beside it. Immutable; thread-safe. */
#ifndef LSCAN_ASSETS_H
#define LSCAN_ASSETS_H

#include <stddef.h>

typedef struct console_asset {
    const char *path;           /* "/index.html", "/console.css", "/console.js"; NULL ends the table */
    const char *content_type;
    const char *data;           /* NUL-terminated */
    size_t length;
} console_asset;

extern const console_asset console_assets[];

/* The asset served at `path` ("/" is /index.html), or NULL. */
const console_asset *console_asset_find(const char *path);

#endif
