/* redis: one Redis connection as every lscan front end needs it (the sink
 * today; the case register's intake, the console and lscan worker next):
 * the URL, connecting with a timeout, AUTH (password or ACL user), SELECT,
 * a command timeout, telling an outage from a refusal that waiting will not
 * mend, loading a script, and the backoff between reconnects.
 *
 * A link is one connection, owned by one thread (not thread-safe). Failing
 * calls return -1 or NULL and leave a message naming host:port in
 * redis_link_error(); the password never appears in one. */
#ifndef LSCAN_REDIS_H
#define LSCAN_REDIS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hiredis.h>

#define REDIS_DEFAULT_URL "redis://127.0.0.1:6379"

/* Parses "redis://HOST[:PORT][/DB]" (HOST may be "[v6]"; PORT defaults to
 * 6379, DB to 0). Credentials, query strings, TLS ("rediss://") and unix
 * sockets are refused. Writes host (NUL-terminated, at most host_size - 1
 * bytes), port and db; returns 0, or -1 with a message in error (which may
 * be NULL). Pure; thread-safe. */
int redis_parse_url(const char *url, char *host, size_t host_size, int *port, int *db, char *error, size_t error_size);

/* The Redis password, looked up where lscan documents it: the environment
 * variable LSCAN_REDIS_PASSWORD, else the first line of `file`, else the
 * environment variable `env_name` (both may be NULL). NULL when none is
 * configured (*failed false) or when a named one cannot be read (*failed
 * true, the message in error). The caller frees it with redis_secret_free,
 * which wipes it. Thread-safe. */
char *redis_password_find(const char *file, const char *env_name, bool *failed, char *error, size_t error_size);
void redis_secret_free(char *secret);

typedef struct redis_options {
    const char *url;               /* NULL: REDIS_DEFAULT_URL */
    const char *username;          /* ACL user for AUTH, or NULL ("default") */
    const char *password;          /* AUTH after each connect when not NULL (copied; wiped on destroy) */
    unsigned connect_timeout_ms;   /* 0: 2000 */
    unsigned command_timeout_ms;   /* 0: 5000 */
} redis_options;

typedef struct redis_link redis_link;

/* A link (not connected yet). 0, or -1 with a message (a bad URL). */
int redis_link_create(const redis_options *o, redis_link **out, char *error, size_t error_size);
void redis_link_destroy(redis_link *l);

/* Connects (dropping a connection there was), authenticates and selects the
 * database. 0, or -1: redis_link_error says why, redis_link_permanent
 * whether it was a refusal rather than an outage. */
int redis_link_connect(redis_link *l);
/* Closes the connection. */
void redis_link_disconnect(redis_link *l);
/* The hiredis context while connected, else NULL. */
redisContext *redis_link_context(redis_link *l);

/* One command, waiting for its reply. NULL (message set) when the
 * connection failed; an error reply is returned (and judged: see
 * redis_link_permanent). `what` names the command in messages. */
redisReply *redis_link_command(redis_link *l, const char *what, int argc, const char **argv);
/* SCRIPT LOAD: 0 with the SHA-1 in sha, or -1. */
int redis_link_load_script(redis_link *l, const char *script, char sha[41]);

/* True when the last failure was a refusal that waiting will not mend:
 * NOAUTH, WRONGPASS, NOPERM, a database that does not exist, WRONGTYPE. */
bool redis_link_permanent(const redis_link *l);
/* Judges an error reply (sets what redis_link_permanent says). */
void redis_link_judge(redis_link *l, const char *error_reply);
/* True for an error reply that is such a refusal. Pure. */
bool redis_refusal(const char *error_reply);

const char *redis_link_error(const redis_link *l);
/* Sets the link's message (printf); for callers that add what they know. */
void redis_link_set_error(redis_link *l, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* "host:port" (brackets around an IPv6 literal). */
const char *redis_link_address(const redis_link *l);

/* The wait before reconnect attempt `attempt` (0, 1, ...): min_ms doubling
 * to max_ms, jittered to [d/2, d] with the caller's generator state. */
unsigned redis_backoff_ms(unsigned attempt, unsigned min_ms, unsigned max_ms, uint64_t *random_state);

/* hiredis writes with write(2): a peer that closed the connection raises
 * SIGPIPE, which would kill the process. Like libpq, block SIGPIPE in this
 * thread while talking to Redis and swallow one we caused; the process's
 * signal dispositions are left alone. */
typedef struct redis_sigpipe_guard {
    sigset_t old;
    bool was_pending;
} redis_sigpipe_guard;
void redis_sigpipe_block(redis_sigpipe_guard *g);
void redis_sigpipe_restore(redis_sigpipe_guard *g);

#endif
