/* metrics: a Prometheus text endpoint (GET /metrics) on a loopback or
 * given IPv4 address, served by libmicrohttpd's own thread. The page is
 * written by a callback at each request; the callback must be thread-safe. */
#ifndef LSCAN_METRICS_H
#define LSCAN_METRICS_H

#include <stdint.h>

#include "rules/base/bytebuf.h"

typedef void (*metrics_writer)(void *ctx, bytebuf *out);
typedef struct metrics_server metrics_server;

/* Listens on "IP:PORT" (PORT 0 picks a free one). NULL with a message. */
metrics_server *metrics_start(const char *address, metrics_writer write, void *ctx, char *error, size_t error_size);
uint16_t metrics_port(const metrics_server *m);
/* Stops serving; NULL is a no-op. */
void metrics_stop(metrics_server *m);

#endif
