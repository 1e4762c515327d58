/* fetch: the HTTP transfers of a crawl. A fetcher is one curl multi handle
 * and its easy handles, owned by one worker thread (not thread-safe); the
 * body budget is shared by every fetcher of a scan (thread-safe).
 *
 * A transfer is one logical fetch: redirects are followed here, by hand, each
 * hop checked by the caller's policy (so a redirect never leaves the
 * target's hosts) and recorded; every connection's address is checked before
 * connect (a private, loopback or link-local address only when it is one the
 * policy names as the target's own). What comes back keeps everything an
 * archive of the exchange needs: the request headers as sent, every
 * response header line as received, the body exactly as received on the
 * wire and its SHA-256, the server's IP address, and the body decoded (gzip
 * by lscan itself, with the same bound, so a bomb stops at the bound). */
#ifndef LSCAN_FETCH_H
#define LSCAN_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef enum fetch_error {
    FETCH_TIMEOUT = 0, FETCH_CONNECT, FETCH_RESET, FETCH_TRUNCATED, FETCH_HTTP_5XX, FETCH_HTTP_429,
    FETCH_HTTP_4XX, FETCH_REDIRECTS, FETCH_TOO_BIG, FETCH_DECODE, FETCH_PARSE, FETCH_OTHER,
    FETCH_OFFSITE,        /* a redirect off the target's hosts (refused, not retried) */
    FETCH_BLOCKED,        /* a private address that is not the target's own (refused, not retried) */
    FETCH_RETRY_AFTER,    /* Retry-After longer than allowed (given up, not waited for) */
    FETCH_ERROR_COUNT
} fetch_error;

/* "timeout", "http_5xx", ... (the names the summary and the metrics use). */
const char *fetch_error_name(fetch_error e);

/* The response-body budget shared by a scan's fetchers: every transfer may
 * hold `small` bytes; one that grows past that takes a large-body slot
 * (room for max_body_bytes) and is paused while none is free. Holders of a
 * slot never wait for anything, so they finish and give it back. */
typedef struct fetch_budget fetch_budget;
/* total_bytes for all bodies in flight; transfers in all; fetchers (each
 * keeps a decode buffer of up to max_body_bytes). */
fetch_budget *fetch_budget_create(size_t total_bytes, size_t max_body_bytes, size_t transfers, unsigned fetchers);
void fetch_budget_destroy(fetch_budget *b);

/* Where a transfer may go: `allow` says whether a redirect to `url` stays
 * on the target's hosts; `own` lists the addresses of the target's own host
 * (a private address is connected to only when it is one of them). Called
 * from the fetcher's thread. */
typedef struct fetch_policy {
    bool (*allow)(void *ctx, uint32_t target, const char *url);
    const struct sockaddr_storage *(*own)(void *ctx, uint32_t target, size_t *count);
    void *ctx;
} fetch_policy;

typedef struct fetch_options {
    unsigned transfers;            /* at once (default 32) */
    size_t max_body_bytes;         /* as received and decoded */
    unsigned connect_timeout_ms, timeout_ms, max_redirects;
    bool gzip;                     /* ask for gzip (decoded here, after hashing) */
    const char *user_agent;        /* default "lscan/0.2 (market surveillance)" */
    fetch_budget *budget;          /* shared; NULL: no shared budget (max_body_bytes each) */
    fetch_policy policy;           /* NULL callbacks: every redirect allowed, every address allowed */
} fetch_options;

typedef struct fetch_hop {
    long status;
    const char *location;          /* absolute */
} fetch_hop;

/* A finished transfer. Everything is owned by the fetcher and valid until
 * fetcher_release. */
typedef struct fetch_result {
    void *user;                    /* as given to fetcher_start */
    uint32_t target;
    bool failed;                   /* error says why (and error_text) */
    fetch_error error;
    long status;                   /* of the final response (0 when none) */
    unsigned long retry_after_s;   /* Retry-After of a 429/503 (seconds; an HTTP date converted), 0 when absent */
    const char *requested_url;     /* the URL first asked for */
    const char *url;               /* the URL that answered (after redirects) */
    const fetch_hop *hops;
    size_t hop_count;
    const char *fetched_at;        /* RFC 3339 UTC, when the final request started */
    char sha256[65];               /* hex, of the body as received */
    const char *raw;               /* the body as received (maybe gzip) */
    size_t raw_length;
    const char *body;              /* decoded */
    size_t body_length;
    const char *request_headers;   /* the final request's header block as sent */
    size_t request_headers_length;
    const char *response_headers;  /* the final response's status line and header lines as received */
    size_t response_headers_length;
    char ip[64];                   /* the server's address */
    const char *content_type;      /* the final response's Content-Type ("" when absent) */
    char error_text[256];
} fetch_result;

typedef struct fetcher fetcher;

int fetcher_create(const fetch_options *options, fetcher **out);
void fetcher_destroy(fetcher *f);
/* Transfers started and not yet released. */
unsigned fetcher_active(const fetcher *f);
/* True when a transfer can be started. */
bool fetcher_has_room(const fetcher *f);
/* Starts fetching url for `target`; `user` comes back in the result. 0, or
 * -1 when there is no room or curl refused (then nothing was started). */
int fetcher_start(fetcher *f, const char *url, uint32_t target, void *user);
/* Moves the transfers on (curl_multi_perform), waiting at most timeout_ms
 * for something to happen. */
void fetcher_run(fetcher *f, int timeout_ms);
/* A finished transfer, if any: true with *out filled. Hand it back with
 * fetcher_release before the slot is used again. */
bool fetcher_next(fetcher *f, fetch_result *out);
/* Done with a result: its memory and body slot go back. */
void fetcher_release(fetcher *f, const fetch_result *result);

#endif
