/* serve: the review console (docs/console.md): the page (scanner/review/
 * console/, built in), its JSON API on the case register and the accounts,
 * sessions with CSRF tokens, roles checked on every request, and intake
 * from the Redis streams in a background thread, so starting it is all a
 * department needs.
 *
 * The server's threads call the register (thread-safe) and the accounts
 * (thread-safe); the session store and the login limiter have their own
 * locks; the dashboard cache is guarded by `cache_lock`. */
#ifndef LSCAN_SERVE_H
#define LSCAN_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/text/normalize.h"

typedef struct serve_options {
    const char *listen;            /* "IP:PORT" (default 127.0.0.1:8080; port 0 picks one) */
    const char *register_path;     /* default lscan-state/register.sqlite */
    const char *accounts_path;     /* default: accounts.sqlite beside the register */
    bool intake;                   /* take flags from Redis in the background (default on: set no_intake to stop) */
    bool no_intake;
    const char *redis_url, *redis_user, *redis_password, *prefix;
    int64_t retention_ms;          /* as intake_options (0: 24 h; < 0: never trim) */
    unsigned threads;              /* HTTP threads (0: 8) */
    int claim_minutes;             /* 0: 30 */
    bool secure_cookie;            /* mark the cookie Secure (the console is behind TLS) */
    bool trust_proxy;              /* the client address from X-Forwarded-For (behind a reverse proxy) */
    int peak_start_month, peak_start_day, peak_end_month, peak_end_day; /* 0: 7-30 May */
    const char *evidence_dir;      /* the scans' WARC files (default: evidence/ beside the register) */
    const char *campaign_path;     /* re-checks from the console fetch within this campaign's targets (NULL: off) */
    const char *signing_key;       /* signs case packages (default: keys/signing.key beside the register, when there) */
    /* intake's troubles, one line each (from the intake thread); may be NULL */
    void (*log)(void *ctx, const char *line);
    void *log_ctx;
} serve_options;

typedef struct lscan_server lscan_server;

/* Opens the register and the accounts, connects to Redis (for intake),
 * listens. NULL with a message. `n` (borrowed) folds locations and text. */
lscan_server *serve_start(const serve_options *o, const normalizer *n, char *error, size_t error_size);
uint16_t serve_port(const lscan_server *s);
/* Stops listening, ends the intake thread, closes the files. NULL is a no-op. */
void serve_stop(lscan_server *s);

#endif
