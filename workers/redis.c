/* redis: see redis.h. */
#include "workers/redis.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "rules/base/error_message.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 2000
#define DEFAULT_COMMAND_TIMEOUT_MS 5000

struct redis_link {
    char host[256];
    int port, db;
    char address[300];
    char *username, *password;
    unsigned connect_timeout_ms, command_timeout_ms;
    redisContext *c;          /* NULL while disconnected */
    bool permanent;
    char error[512];
};

/* ---- the URL ---- */

static int parse_number(const char *p, size_t n, long max, long *out)
{
    if (n == 0 || n > 10)
        return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

int redis_parse_url(const char *url, char *host, size_t host_size, int *port, int *db, char *error, size_t error_size)
{
    static const char scheme[] = "redis://";
    if (!url || !host || !host_size || !port || !db) {
        error_message_set(error, error_size, "redis URL: missing argument");
        return -1;
    }
    if (!strncasecmp(url, "rediss://", 9)) {
        error_message_set(error, error_size, "redis URL '%s': TLS (rediss://) is not supported", url);
        return -1;
    }
    if (strncasecmp(url, scheme, sizeof scheme - 1)) {
        error_message_set(error, error_size, "redis URL '%s': must start with redis://", url);
        return -1;
    }
    const char *p = url + sizeof scheme - 1;
    size_t rest = strcspn(p, "/");
    const char *path = p + rest;          /* "" or "/..." */
    if (memchr(p, '@', rest)) {
        error_message_set(error, error_size, "redis URL '%s': credentials are not supported", url);
        return -1;
    }
    if (strpbrk(url, "?#")) {
        error_message_set(error, error_size, "redis URL '%s': query strings and fragments are not supported", url);
        return -1;
    }
    const char *host_start, *host_end, *port_text = NULL;
    if (*p == '[') {
        host_start = p + 1;
        host_end = memchr(host_start, ']', (size_t)(path - host_start));
        if (!host_end) {
            error_message_set(error, error_size, "redis URL '%s': unclosed '[' in host", url);
            return -1;
        }
        if (host_end + 1 < path) {
            if (host_end[1] != ':') {
                error_message_set(error, error_size, "redis URL '%s': unexpected text after ']'", url);
                return -1;
            }
            port_text = host_end + 2;
        }
    } else {
        host_start = p;
        host_end = memchr(p, ':', rest);
        if (host_end)
            port_text = host_end + 1;
        else
            host_end = path;
    }
    size_t host_length = (size_t)(host_end - host_start);
    if (host_length == 0) {
        error_message_set(error, error_size, "redis URL '%s': empty host", url);
        return -1;
    }
    for (const char *h = host_start; h < host_end; h++) {
        unsigned char ch = (unsigned char)*h;
        if (ch <= ' ' || ch >= 0x7f || ch == '[' || ch == ']' || (ch == ':' && *p != '[')) {
            error_message_set(error, error_size, "redis URL '%s': invalid character in host", url);
            return -1;
        }
    }
    if (host_length >= host_size) {
        error_message_set(error, error_size, "redis URL '%s': host is too long", url);
        return -1;
    }
    long port_value = 6379, db_value = 0;
    if (port_text && (parse_number(port_text, (size_t)(path - port_text), 65535, &port_value) < 0 || port_value == 0)) {
        error_message_set(error, error_size, "redis URL '%s': port must be a number from 1 to 65535", url);
        return -1;
    }
    if (*path) {
        const char *d = path + 1;
        size_t n = strlen(d);
        if (n && parse_number(d, n, INT_MAX, &db_value) < 0) {
            error_message_set(error, error_size, "redis URL '%s': database must be a number (e.g. /0)", url);
            return -1;
        }
    }
    memcpy(host, host_start, host_length);
    host[host_length] = '\0';
    *port = (int)port_value;
    *db = (int)db_value;
    if (error && error_size)
        error[0] = '\0';
    return 0;
}

/* ---- SIGPIPE ---- */

void redis_sigpipe_block(redis_sigpipe_guard *g)
{
    sigset_t set, pending;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigemptyset(&pending);
    g->was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &set, &g->old);
}

void redis_sigpipe_restore(redis_sigpipe_guard *g)
{
    if (!g->was_pending) {
        sigset_t set, pending;
        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        sigemptyset(&pending);
        if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
            struct timespec zero = {0, 0};
            while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR)
                ;
        }
    }
    pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/* ---- the link ---- */

static struct timeval to_timeval(unsigned ms)
{
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
    return tv;
}

void redis_link_set_error(redis_link *l, const char *format, ...)
{
    char message[512];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    snprintf(l->error, sizeof l->error, "%s", message);
}

int redis_link_create(const redis_options *o, redis_link **out, char *error, size_t error_size)
{
    *out = NULL;
    redis_link *l = calloc(1, sizeof *l);
    if (!l) {
        error_message_set(error, error_size, "redis: out of memory");
        return -1;
    }
    if (redis_parse_url(o && o->url ? o->url : REDIS_DEFAULT_URL, l->host, sizeof l->host, &l->port, &l->db, error,
                        error_size) < 0) {
        free(l);
        return -1;
    }
    if (strchr(l->host, ':'))
        snprintf(l->address, sizeof l->address, "[%s]:%d", l->host, l->port);
    else
        snprintf(l->address, sizeof l->address, "%s:%d", l->host, l->port);
    l->connect_timeout_ms = o && o->connect_timeout_ms ? o->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
    l->command_timeout_ms = o && o->command_timeout_ms ? o->command_timeout_ms : DEFAULT_COMMAND_TIMEOUT_MS;
    if ((o && o->username && !(l->username = strdup(o->username))) ||
        (o && o->password && !(l->password = strdup(o->password)))) {
        error_message_set(error, error_size, "redis: out of memory");
        redis_link_destroy(l);
        return -1;
    }
    *out = l;
    return 0;
}

void redis_link_destroy(redis_link *l)
{
    if (!l)
        return;
    redis_link_disconnect(l);
    free(l->username);
    if (l->password) {
        for (volatile char *p = l->password; *p; p++)
            *p = '\0';
        free(l->password);
    }
    free(l);
}

void redis_link_disconnect(redis_link *l)
{
    if (l->c) {
        redisFree(l->c);
        l->c = NULL;
    }
}

redisContext *redis_link_context(redis_link *l)
{
    return l->c;
}

const char *redis_link_error(const redis_link *l)
{
    return l ? l->error : "redis: no link";
}

const char *redis_link_address(const redis_link *l)
{
    return l->address;
}

bool redis_link_permanent(const redis_link *l)
{
    return l && l->permanent;
}

bool redis_refusal(const char *text)
{
    static const char *const prefixes[] = {"NOAUTH", "WRONGPASS", "NOPERM", "ERR AUTH", "ERR invalid password",
                                           "ERR Client sent AUTH", "ERR DB index", "ERR invalid DB index",
                                           "WRONGTYPE"};
    for (size_t i = 0; text && i < sizeof prefixes / sizeof *prefixes; i++)
        if (!strncmp(text, prefixes[i], strlen(prefixes[i])))
            return true;
    return false;
}

void redis_link_judge(redis_link *l, const char *error_reply)
{
    l->permanent = redis_refusal(error_reply);
}

redisReply *redis_link_command(redis_link *l, const char *what, int argc, const char **argv)
{
    if (!l->c) {
        redis_link_set_error(l, "redis %s: %s: not connected", l->address, what);
        return NULL;
    }
    redisReply *r = redisCommandArgv(l->c, argc, argv, NULL);
    if (!r)
        redis_link_set_error(l, "redis %s: %s: %s", l->address, what, l->c->errstr[0] ? l->c->errstr : "no reply");
    else if (r->type == REDIS_REPLY_ERROR)
        redis_link_judge(l, r->str);
    return r;
}

int redis_link_connect(redis_link *l)
{
    redis_link_disconnect(l);
    l->permanent = false;
    redisContext *c = redisConnectWithTimeout(l->host, l->port, to_timeval(l->connect_timeout_ms));
    if (!c) {
        redis_link_set_error(l, "cannot connect to redis %s: out of memory", l->address);
        return -1;
    }
    if (c->err) {
        redis_link_set_error(l, "cannot connect to redis %s: %s", l->address, c->errstr);
        redisFree(c);
        return -1;
    }
    if (redisSetTimeout(c, to_timeval(l->command_timeout_ms)) != REDIS_OK) {
        redis_link_set_error(l, "redis %s: cannot set the command timeout: %s", l->address, c->errstr);
        redisFree(c);
        return -1;
    }
    l->c = c;
    redisReply *r;
    if (l->password) {
        const char *argv[] = {"AUTH", l->username ? l->username : l->password, l->password};
        if (!(r = redis_link_command(l, "AUTH", l->username ? 3 : 2, argv)))
            goto fail;
        bool ok = r->type == REDIS_REPLY_STATUS;
        if (!ok) {
            /* never the password itself in a message */
            redis_link_set_error(l, "redis %s: AUTH%s%s: %s", l->address, l->username ? " as " : "",
                                 l->username ? l->username : "", r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
            l->permanent = true;
        }
        freeReplyObject(r);
        if (!ok)
            goto fail;
    }
    if (l->db != 0) {
        char db_text[16];
        snprintf(db_text, sizeof db_text, "%d", l->db);
        const char *argv[] = {"SELECT", db_text};
        if (!(r = redis_link_command(l, "SELECT", 2, argv)))
            goto fail;
        bool ok = r->type == REDIS_REPLY_STATUS;
        if (!ok) {
            redis_link_set_error(l, "redis %s: SELECT %d: %s", l->address, l->db,
                                 r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
            l->permanent = r->type == REDIS_REPLY_ERROR;
        }
        freeReplyObject(r);
        if (!ok)
            goto fail;
    }
    return 0;
fail:
    redis_link_disconnect(l);
    return -1;
}

int redis_link_load_script(redis_link *l, const char *script, char sha[41])
{
    const char *load[] = {"SCRIPT", "LOAD", script};
    redisReply *r = redis_link_command(l, "SCRIPT LOAD", 3, load);
    if (!r)
        return -1;
    bool ok = r->type == REDIS_REPLY_STRING && r->len == 40;
    if (ok)
        memcpy(sha, r->str, 41);
    else
        redis_link_set_error(l, "redis %s: SCRIPT LOAD: %s%s", l->address,
                             r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply",
                             r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "NOAUTH", 6)
                                 ? " (give the password with password_env/password_file or LSCAN_REDIS_PASSWORD)"
                                 : "");
    freeReplyObject(r);
    return ok ? 0 : -1;
}

unsigned redis_backoff_ms(unsigned attempt, unsigned min_ms, unsigned max_ms, uint64_t *state)
{
    unsigned shift = attempt < 16 ? attempt : 16;
    unsigned long delay = (unsigned long)min_ms << shift;
    if (delay > max_ms)
        delay = max_ms;
    /* splitmix64 */
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (unsigned)(delay / 2 + z % (delay / 2 + 1));
}

/* ---- the password ---- */

void redis_secret_free(char *secret)
{
    if (!secret)
        return;
    for (volatile char *p = secret; *p; p++)
        *p = '\0';
    free(secret);
}

/* The first line of a file, without its line end; NULL with a message. */
static char *read_secret_file(const char *path, char *error, size_t error_size)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        error_message_set(error, error_size, "cannot read the Redis password file %s: %s", path, strerror(errno));
        return NULL;
    }
    char line[1024];
    char *got = fgets(line, sizeof line, f);
    fclose(f);
    size_t n = got ? strcspn(line, "\r\n") : 0;
    line[n] = '\0';
    if (!n) {
        error_message_set(error, error_size, "the Redis password file %s is empty", path);
        return NULL;
    }
    char *secret = strdup(line);
    for (volatile char *p = line; p < line + sizeof line; p++)
        *p = '\0';
    if (!secret)
        error_message_set(error, error_size, "out of memory");
    return secret;
}

char *redis_password_find(const char *file, const char *env_name, bool *failed, char *error, size_t error_size)
{
    *failed = false;
    const char *env = getenv("LSCAN_REDIS_PASSWORD");
    if (env && *env)
        return strdup(env);
    if (file) {
        char *secret = read_secret_file(file, error, error_size);
        *failed = !secret;
        return secret;
    }
    if (env_name) {
        const char *value = getenv(env_name);
        if (!value || !*value) {
            error_message_set(error, error_size, "the Redis password is to come from $%s, which is not set", env_name);
            *failed = true;
            return NULL;
        }
        return strdup(value);
    }
    return NULL;
}
