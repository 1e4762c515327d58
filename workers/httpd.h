/* httpd: an HTTP server for lscan's own endpoints (the Prometheus
 * /metrics of a scan; the review console's pages and JSON API), built on
 * libmicrohttpd with a pool of threads and a table of routes.
 *
 * A route's handler is called from the server's threads, one request at a
 * time per connection but many at once across connections: it must be
 * thread-safe. It reads the request (method, path, query, headers, cookies,
 * the body, which is bounded) and fills the response (status, content type,
 * body, extra headers); it never writes to the socket itself. */
#ifndef LSCAN_HTTPD_H
#define LSCAN_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/base/bytebuf.h"

typedef struct httpd_request httpd_request;

#define HTTPD_MAX_HEADERS 12

typedef struct httpd_response {
    int status;                               /* default 200 */
    const char *content_type;                 /* default "text/plain; charset=utf-8" */
    bytebuf body;                             /* what the handler writes (bounded by the server) */
    const char *static_body;                  /* or a body that outlives the server (a page served as is) */
    size_t static_length;
    const char *header_names[HTTPD_MAX_HEADERS];
    char *header_values[HTTPD_MAX_HEADERS];   /* owned (httpd_add_header copies) */
    size_t header_count;
} httpd_response;

typedef void (*httpd_handler)(void *ctx, const httpd_request *request, httpd_response *response);

typedef struct httpd_route {
    const char *method;      /* "GET", "POST", ...; NULL: any */
    const char *path;        /* "/metrics"; with prefix, every path that starts with it */
    bool prefix;
    httpd_handler handler;
    void *ctx;
} httpd_route;

typedef struct httpd_options {
    const char *address;         /* "IP:PORT" (IPv4; port 0 picks a free one) */
    unsigned threads;            /* 0: 4 */
    size_t max_body_bytes;       /* request bodies larger are answered 413 (0: 1 MiB) */
    size_t max_response_bytes;   /* 0: 64 MiB */
    const httpd_route *routes;   /* borrowed: must outlive the server; the first that fits answers */
    size_t route_count;
} httpd_options;

typedef struct httpd httpd;

/* Listens and serves. NULL with a message (a bad address, a port in use). */
httpd *httpd_start(const httpd_options *options, char *error, size_t error_size);
uint16_t httpd_port(const httpd *h);
/* Stops serving (waits for handlers in progress) and frees; NULL is a no-op. */
void httpd_stop(httpd *h);

/* The request's parts; strings are valid during the handler call. */
const char *httpd_method(const httpd_request *r);
const char *httpd_path(const httpd_request *r);
/* A query parameter, a header (any letter case), a cookie; NULL when absent. */
const char *httpd_query(const httpd_request *r, const char *name);
const char *httpd_header(const httpd_request *r, const char *name);
const char *httpd_cookie(const httpd_request *r, const char *name);
/* The request body (NUL-terminated; length without the NUL). */
const char *httpd_body(const httpd_request *r, size_t *length);
/* The client's IP address as text. */
const char *httpd_client(const httpd_request *r);

/* Adds a response header (the value is copied); false when there are
 * already HTTPD_MAX_HEADERS or memory ran out. */
bool httpd_add_header(httpd_response *response, const char *name, const char *value);

#endif
