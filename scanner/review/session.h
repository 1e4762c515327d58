/* session: the console's logins in memory (docs/console.md, "Sessions"):
 * session tokens and their CSRF tokens, expiry (absolute and idle), and the
 * login limiter (failures per address and per name in a sliding window).
 * Bounded: at most `max` sessions and limiter entries; the oldest go first.
 * Tokens are 32 random bytes (libsodium's randombytes_buf), as 64 hex digits.
 *
 * Thread-safe: each store has one mutex (`lock`) guarding its table. */
#ifndef LSCAN_SESSION_H
#define LSCAN_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/review/accounts.h"

#define SESSION_TOKEN_HEX 65

typedef struct session_options {
    size_t max_sessions;       /* 0: 10,000 */
    int64_t lifetime_ms;       /* 0: 12 hours */
    int64_t idle_ms;           /* 0: 1 hour */
} session_options;

typedef struct session_store session_store;

/* NULL when out of memory. */
session_store *session_store_create(const session_options *o);
void session_store_destroy(session_store *s);

/* A new session for `who`: its token (the cookie) and its CSRF token. 0, or -1 out of memory. */
int session_begin(session_store *s, const account *who, int64_t now_ms, char token[SESSION_TOKEN_HEX],
                  char csrf[SESSION_TOKEN_HEX]);
/* The session of a token, touched (idle time restarts): true with its
 * account name and CSRF token; false when unknown or expired. */
bool session_find(session_store *s, const char *token, int64_t now_ms, char name[65], char csrf[SESSION_TOKEN_HEX]);
/* Ends one session; ends every session of a name (disabled, password changed). */
void session_end(session_store *s, const char *token);
void session_end_all(session_store *s, const char *name);

/* Compares two tokens in constant time (CSRF checks). */
bool session_token_equal(const char *a, const char *b);

typedef struct login_limiter login_limiter;

typedef struct limiter_options {
    unsigned per_name;          /* failures allowed per name in the window (0: 5) */
    unsigned per_address;       /* ... per client address (0: 20; a reverse proxy's address is shared) */
    int64_t window_ms;          /* 0: 15 minutes */
    size_t max_entries;         /* 0: 10,000 */
} limiter_options;

login_limiter *login_limiter_create(const limiter_options *o);
void login_limiter_destroy(login_limiter *l);
/* How long the next attempt for this name from this address must wait
 * (0: it may go ahead). */
int64_t login_limiter_wait_ms(login_limiter *l, const char *address, const char *name, int64_t now_ms);
/* Counts a failed attempt against both. */
void login_limiter_failed(login_limiter *l, const char *address, const char *name, int64_t now_ms);
/* A success clears the name's failures (not the address's). */
void login_limiter_succeeded(login_limiter *l, const char *name);

#endif
