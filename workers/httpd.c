/* httpd: see httpd.h. */
#include "workers/httpd.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/base/error_message.h"

struct httpd {
    struct MHD_Daemon *daemon;
    httpd_options options;
    uint16_t port;
};

struct httpd_request {
    struct MHD_Connection *connection;
    const char *method, *path;
    bytebuf body;
    bool too_big;
    char client[64];
};

const char *httpd_method(const httpd_request *r) { return r->method; }
const char *httpd_path(const httpd_request *r) { return r->path; }

const char *httpd_query(const httpd_request *r, const char *name)
{
    return MHD_lookup_connection_value(r->connection, MHD_GET_ARGUMENT_KIND, name);
}

const char *httpd_header(const httpd_request *r, const char *name)
{
    return MHD_lookup_connection_value(r->connection, MHD_HEADER_KIND, name);
}

const char *httpd_cookie(const httpd_request *r, const char *name)
{
    return MHD_lookup_connection_value(r->connection, MHD_COOKIE_KIND, name);
}

const char *httpd_body(const httpd_request *r, size_t *length)
{
    if (length)
        *length = r->body.length;
    return r->body.data ? r->body.data : "";
}

const char *httpd_client(const httpd_request *r)
{
    return r->client;
}

bool httpd_add_header(httpd_response *response, const char *name, const char *value)
{
    if (response->header_count == HTTPD_MAX_HEADERS)
        return false;
    char *copy = strdup(value);
    if (!copy)
        return false;
    response->header_names[response->header_count] = name;
    response->header_values[response->header_count++] = copy;
    return true;
}

static void request_free(void *cls, struct MHD_Connection *connection, void **state,
                         enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)connection;
    (void)code;
    httpd_request *r = *state;
    if (r) {
        bytebuf_free(&r->body);
        free(r);
        *state = NULL;
    }
}

static const httpd_route *find_route(const httpd *h, const char *method, const char *path, bool *wrong_method)
{
    *wrong_method = false;
    for (size_t i = 0; i < h->options.route_count; i++) {
        const httpd_route *route = &h->options.routes[i];
        bool fits = route->prefix ? !strncmp(path, route->path, strlen(route->path)) : !strcmp(path, route->path);
        if (!fits)
            continue;
        if (route->method && strcmp(route->method, method) && !(!strcmp(method, "HEAD") && !strcmp(route->method, "GET"))) {
            *wrong_method = true;
            continue;
        }
        return route;
    }
    return NULL;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_size, void **state)
{
    (void)version;
    httpd *h = cls;
    httpd_request *r = *state;
    if (!r) { /* headers first: set up the request, answer once the body is in */
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        bytebuf_init(&r->body, h->options.max_body_bytes);
        r->connection = connection;
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (info && info->client_addr && info->client_addr->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)info->client_addr)->sin_addr, r->client, sizeof r->client);
        *state = r;
        return MHD_YES;
    }
    if (*upload_size) {
        if (bytebuf_append(&r->body, upload_data, *upload_size) < 0)
            r->too_big = true;
        *upload_size = 0;
        return MHD_YES;
    }
    r->method = method;
    r->path = url;
    httpd_response response;
    memset(&response, 0, sizeof response);
    response.status = 200;
    bytebuf_init(&response.body, h->options.max_response_bytes);
    bool wrong_method;
    const httpd_route *route = find_route(h, method, url, &wrong_method);
    if (r->too_big) {
        response.status = 413;
        bytebuf_append_string(&response.body, "request body too large\n");
    } else if (!route) {
        response.status = wrong_method ? 405 : 404;
        bytebuf_append_string(&response.body, wrong_method ? "method not allowed\n" : "not found\n");
    } else {
        route->handler(route->ctx, r, &response);
    }
    struct MHD_Response *m;
    if (response.static_body) {
        m = MHD_create_response_from_buffer(response.static_length, (void *)response.static_body,
                                            MHD_RESPMEM_PERSISTENT);
    } else if (response.body.overflow) {
        m = MHD_create_response_from_buffer(strlen("response too large\n"), (void *)"response too large\n",
                                            MHD_RESPMEM_PERSISTENT);
        response.status = 500;
    } else {
        size_t length;
        char *data = bytebuf_detach(&response.body, &length);
        m = MHD_create_response_from_buffer(length, data ? data : (void *)"",
                                            data ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
        if (!m)
            free(data);
    }
    enum MHD_Result rc = MHD_NO;
    if (m) {
        MHD_add_response_header(m, MHD_HTTP_HEADER_CONTENT_TYPE,
                                response.content_type ? response.content_type : "text/plain; charset=utf-8");
        MHD_add_response_header(m, "X-Content-Type-Options", "nosniff");
        for (size_t i = 0; i < response.header_count; i++)
            MHD_add_response_header(m, response.header_names[i], response.header_values[i]);
        rc = MHD_queue_response(connection, (unsigned)response.status, m);
        MHD_destroy_response(m);
    }
    for (size_t i = 0; i < response.header_count; i++)
        free(response.header_values[i]);
    bytebuf_free(&response.body);
    return rc;
}

httpd *httpd_start(const httpd_options *options, char *error, size_t error_size)
{
    const char *address = options->address;
    char host[64];
    const char *colon = address ? strrchr(address, ':') : NULL;
    if (!colon || (size_t)(colon - address) >= sizeof host || colon == address) {
        error_message_set(error, error_size, "'%s': expected IP:PORT, e.g. 127.0.0.1:8080", address ? address : "");
        return NULL;
    }
    memcpy(host, address, (size_t)(colon - address));
    host[colon - address] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    if (*end || !colon[1] || port < 0 || port > 65535 || inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        error_message_set(error, error_size, "'%s': expected an IPv4 address and a port", address);
        return NULL;
    }
    sa.sin_port = htons((uint16_t)port);
    httpd *h = calloc(1, sizeof *h);
    if (!h) {
        error_message_set(error, error_size, "out of memory");
        return NULL;
    }
    h->options = *options;
    if (!h->options.threads)
        h->options.threads = 4;
    if (!h->options.max_body_bytes)
        h->options.max_body_bytes = (size_t)1 << 20;
    if (!h->options.max_response_bytes)
        h->options.max_response_bytes = (size_t)64 << 20;
    h->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, (uint16_t)port, NULL, NULL, answer, h,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE,
                                 h->options.threads, MHD_OPTION_CONNECTION_LIMIT, (unsigned)1024,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_NOTIFY_COMPLETED, request_free,
                                 NULL, MHD_OPTION_END);
    if (!h->daemon) {
        error_message_set(error, error_size, "cannot listen on %s", address);
        free(h);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : (uint16_t)port;
    return h;
}

uint16_t httpd_port(const httpd *h)
{
    return h->port;
}

void httpd_stop(httpd *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->daemon);
    free(h);
}
