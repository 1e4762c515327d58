#include "workers/metrics.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct metrics_server {
    struct MHD_Daemon *daemon;
    metrics_writer write;
    void *ctx;
    uint16_t port;
};

static enum MHD_Result answer(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)version;
    (void)upload_data;
    metrics_server *m = cls;
    if (!*con_cls) { /* headers first; answer on the next call (keep-alive) */
        *con_cls = m;
        return MHD_YES;
    }
    *upload_size = 0;
    int status = 200;
    bytebuf body;
    bytebuf_init(&body, 4 << 20);
    if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
        status = 405;
        bytebuf_append_string(&body, "method not allowed\n");
    } else if (strcmp(url, "/metrics")) {
        status = 404;
        bytebuf_append_string(&body, "see /metrics\n");
    } else {
        m->write(m->ctx, &body);
    }
    size_t length;
    char *data = bytebuf_detach(&body, &length);
    struct MHD_Response *r = MHD_create_response_from_buffer(length, data ? data : "",
                                                             data ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(data);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
    enum MHD_Result rc = MHD_queue_response(connection, (unsigned)status, r);
    MHD_destroy_response(r);
    return rc;
}

metrics_server *metrics_start(const char *address, metrics_writer write, void *ctx, char *error, size_t error_size)
{
    char host[64];
    const char *colon = strrchr(address, ':');
    if (!colon || (size_t)(colon - address) >= sizeof host || colon == address) {
        snprintf(error, error_size, "'%s': expected IP:PORT, e.g. 127.0.0.1:9464", address);
        return NULL;
    }
    memcpy(host, address, (size_t)(colon - address));
    host[colon - address] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    if (*end || port < 0 || port > 65535 || inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        snprintf(error, error_size, "'%s': expected an IPv4 address and a port", address);
        return NULL;
    }
    sa.sin_port = htons((uint16_t)port);
    metrics_server *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(error, error_size, "out of memory");
        return NULL;
    }
    m->write = write;
    m->ctx = ctx;
    m->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, (uint16_t)port, NULL, NULL, answer,
                                 m, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT,
                                 (unsigned)64, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    if (!m->daemon) {
        snprintf(error, error_size, "cannot listen on %s", address);
        free(m);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
    m->port = info ? info->port : (uint16_t)port;
    return m;
}

uint16_t metrics_port(const metrics_server *m)
{
    return m->port;
}

void metrics_stop(metrics_server *m)
{
    if (!m)
        return;
    MHD_stop_daemon(m->daemon);
    free(m);
}
