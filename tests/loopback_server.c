/* loopback_server: see loopback_server.h. */
#include "tests/loopback_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct loopback_server {
    struct MHD_Daemon *daemon;
    loopback_handler handler;
    void *ctx;
    int port;
    atomic_uint requests;
};

typedef struct query_text {
    char text[2048];
    size_t length;
} query_text;

static enum MHD_Result add_argument(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    query_text *q = cls;
    int n = snprintf(q->text + q->length, sizeof q->text - q->length, "%c%s%s%s", q->length ? '&' : '?', key,
                     value ? "=" : "", value ? value : "");
    if (n > 0 && (size_t)n < sizeof q->text - q->length)
        q->length += (size_t)n;
    return MHD_YES;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_size, void **state)
{
    (void)method;
    (void)version;
    (void)upload_data;
    (void)upload_size;
    loopback_server *s = cls;
    if (!*state) { /* the first call only announces the request */
        *state = s;
        return MHD_YES;
    }
    query_text q = {.length = 0};
    q.text[0] = '\0';
    MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, add_argument, &q);
    char target[4096];
    snprintf(target, sizeof target, "%s%s", url, q.text);
    loopback_reply reply;
    memset(&reply, 0, sizeof reply);
    s->handler(s->ctx, target, &reply);
    atomic_fetch_add(&s->requests, 1);
    struct MHD_Response *r = MHD_create_response_from_buffer(reply.length, (void *)(reply.body ? reply.body : ""),
                                                             MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", reply.content_type ? reply.content_type : "application/json");
    if (reply.location)
        MHD_add_response_header(r, "Location", reply.location);
    if (reply.retry_after)
        MHD_add_response_header(r, "Retry-After", reply.retry_after);
    enum MHD_Result rc = MHD_queue_response(connection, (unsigned)(reply.status ? reply.status : 200), r);
    MHD_destroy_response(r);
    return rc;
}

loopback_server *loopback_start(const char *ip, loopback_handler handler, void *ctx)
{
    loopback_server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->handler = handler;
    s->ctx = ctx;
    atomic_init(&s->requests, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    if (inet_pton(AF_INET, ip, &address.sin_addr) != 1) {
        free(s);
        return NULL;
    }
    s->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, answer, s,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address, MHD_OPTION_THREAD_POOL_SIZE, 8,
                                 MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    if (!s->daemon) {
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : 0;
    return s;
}

int loopback_port(const loopback_server *s)
{
    return s->port;
}

unsigned loopback_requests(const loopback_server *s)
{
    return atomic_load(&((loopback_server *)s)->requests);
}

void loopback_stop(loopback_server *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->daemon);
    free(s);
}
