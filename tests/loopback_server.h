/* loopback_server: a small HTTP server inside a test process, on a loopback
 * address, whose every answer the test decides: hostile redirects, huge
 * bodies, long Retry-After, bad JSON. Built on libmicrohttpd with a pool of
 * threads, so several transfers are served at once. */
#ifndef LSCAN_LOOPBACK_SERVER_H
#define LSCAN_LOOPBACK_SERVER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct loopback_reply {
    int status;                 /* default 200 */
    const char *content_type;   /* default "application/json" */
    const char *location;       /* a Location header, or NULL */
    const char *retry_after;    /* a Retry-After header, or NULL */
    const char *body;           /* borrowed: must live as long as the server (static, or owned by ctx) */
    size_t length;
} loopback_reply;

/* Called from the server's threads for every request: `target` is the path
 * with its query ("/api?page=2"). Fill *reply; it starts zeroed. */
typedef void (*loopback_handler)(void *ctx, const char *target, loopback_reply *reply);

typedef struct loopback_server loopback_server;

/* Listens on ip:0 (a free port; ip such as "127.0.0.1" or "127.0.0.2").
 * NULL on failure. */
loopback_server *loopback_start(const char *ip, loopback_handler handler, void *ctx);
int loopback_port(const loopback_server *s);
/* Requests answered so far (all threads). */
unsigned loopback_requests(const loopback_server *s);
/* Stops and frees; NULL is a no-op. */
void loopback_stop(loopback_server *s);

#endif
