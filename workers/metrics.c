/* metrics: see metrics.h; one route on workers/httpd.c. */
#include "workers/metrics.h"

#include <stdlib.h>

#include "workers/httpd.h"

struct metrics_server {
    httpd *server;
    httpd_route route;
    metrics_writer write;
    void *ctx;
};

static void serve(void *ctx, const httpd_request *request, httpd_response *response)
{
    (void)request;
    metrics_server *m = ctx;
    response->content_type = "text/plain; version=0.0.4; charset=utf-8";
    m->write(m->ctx, &response->body);
}

metrics_server *metrics_start(const char *address, metrics_writer write, void *ctx, char *error, size_t error_size)
{
    metrics_server *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->write = write;
    m->ctx = ctx;
    m->route = (httpd_route){"GET", "/metrics", false, serve, m};
    httpd_options options = {.address = address, .threads = 1, .routes = &m->route, .route_count = 1};
    if (!(m->server = httpd_start(&options, error, error_size))) {
        free(m);
        return NULL;
    }
    return m;
}

uint16_t metrics_port(const metrics_server *m)
{
    return httpd_port(m->server);
}

void metrics_stop(metrics_server *m)
{
    if (!m)
        return;
    httpd_stop(m->server);
    free(m);
}
