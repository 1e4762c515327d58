/* screenshot: a PNG of a listing's page, rendered by Debian's Chromium
 * headless (docs/evidence.md, "Screenshots"). Courts and police are used
 * to screenshots; the WARC records are the proof behind them.
 *
 * Each call starts one Chromium process with a fresh, empty profile in a
 * private temporary directory (no cookies, no cache shared between pages),
 * waits at most timeout_s, kills it when it overruns, and removes the
 * directory. The binary is `chromium` on PATH, or $LSCAN_CHROMIUM. Running as
 * root, Chromium needs --no-sandbox; the docs say to run scans as a normal
 * user so the sandbox stays on. Thread-safe (no shared state; each call has
 * its own process and directory). */
#ifndef LSCAN_SCREENSHOT_H
#define LSCAN_SCREENSHOT_H

#include <stdbool.h>
#include <stddef.h>

#include "rules/base/bytebuf.h"

typedef enum screenshot_error {
    SCREENSHOT_OK = 0,
    SCREENSHOT_ERROR_START,     /* Chromium could not be started (not installed?) */
    SCREENSHOT_ERROR_TIMEOUT,   /* it did not finish in time (killed) */
    SCREENSHOT_ERROR_FAILED,    /* it ended without writing a PNG */
    SCREENSHOT_ERROR_IO
} screenshot_error;

const char *screenshot_strerror(screenshot_error e);

#define SCREENSHOT_MAX_BYTES ((size_t)32 << 20)

/* Renders url (http or https only) at 1280x2000 and appends the PNG to png
 * (at most SCREENSHOT_MAX_BYTES). detail (may be NULL) says what failed. */
screenshot_error screenshot_take(const char *url, unsigned timeout_s, bytebuf *png, char *detail, size_t detail_size);

#endif
