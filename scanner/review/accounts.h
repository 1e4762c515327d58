/* accounts: the console's local accounts (docs/console.md, "Accounts"):
 * names, roles, units, Argon2id password hashes (libsodium's
 * crypto_pwhash_str, memory-hard), and the audit trail of logins and
 * account changes. One SQLite file (default lscan-state/accounts.sqlite,
 * beside the register), WAL, synchronous=FULL, schema versioned by
 * user_version.
 *
 * A handle is one connection guarded by its own mutex (`lock`): the
 * functions are thread-safe. Password checks run outside the lock (they
 * take ~0.1 s and 64 MiB each, by design). */
#ifndef LSCAN_ACCOUNTS_H
#define LSCAN_ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/base/bytebuf.h"

typedef enum account_role { ROLE_REVIEWER = 0, ROLE_LEAD, ROLE_POLICE, ROLE_ADMIN, ROLE_COUNT } account_role;

typedef enum accounts_error {
    ACCOUNTS_OK = 0,
    ACCOUNTS_ERROR_DATABASE,       /* SQLite failed */
    ACCOUNTS_ERROR_SCHEMA,         /* a file of a newer lscan, or not an accounts file */
    ACCOUNTS_ERROR_EXISTS,         /* the name is taken */
    ACCOUNTS_ERROR_NOT_FOUND,      /* no such account */
    ACCOUNTS_ERROR_BAD_INPUT,      /* a name, password, role or unit that is not acceptable (the message says why) */
    ACCOUNTS_ERROR_WRONG_PASSWORD, /* wrong name or password (one answer for both) */
    ACCOUNTS_ERROR_DISABLED,       /* the account is disabled */
    ACCOUNTS_ERROR_CRYPTO,         /* libsodium could not start or hash (out of memory) */
    ACCOUNTS_ERROR_MEMORY
} accounts_error;

const char *accounts_strerror(accounts_error e);
const char *account_role_name(account_role r);          /* "reviewer", "lead", "police", "admin" */
account_role account_role_named(const char *name);      /* or ROLE_COUNT */

#define ACCOUNT_MIN_PASSWORD 10
#define ACCOUNT_MAX_PASSWORD 1024

typedef struct account {
    char name[65];
    account_role role;
    char unit[301];              /* police: the unit cases are transferred to ("PC03 Công an tỉnh Bắc Ninh") */
    bool disabled;
} account;

typedef struct accounts accounts;

/* Opens (creating) the accounts file. NULL with a message. */
accounts *accounts_open(const char *path, char *error, size_t error_size);
void accounts_close(accounts *a);

/* Adds an account. Names are 1..64 of [a-z0-9._-]; passwords at least
 * ACCOUNT_MIN_PASSWORD bytes of UTF-8; police need a unit. `actor` (who
 * did it, for the audit) may be NULL (the command line). */
accounts_error accounts_add(accounts *a, const char *name, const char *password, account_role role, const char *unit,
                            const char *actor, char *error, size_t error_size);
accounts_error accounts_set_password(accounts *a, const char *name, const char *password, const char *actor,
                                     char *error, size_t error_size);
accounts_error accounts_set_disabled(accounts *a, const char *name, bool disabled, const char *actor, char *error,
                                     size_t error_size);

/* Checks a login. ACCOUNTS_OK fills *out; WRONG_PASSWORD for an unknown name
 * too (the same work is done, so the time does not tell which). Records the
 * attempt in the audit trail with `address`. */
accounts_error accounts_login(accounts *a, const char *name, const char *password, const char *address, account *out,
                              char *error, size_t error_size);

/* The account now (roles and disabling take effect on the next request). */
accounts_error accounts_get(accounts *a, const char *name, account *out, char *error, size_t error_size);

/* Appends {"users": [{"name","role","unit","disabled"}]} (never a hash). */
accounts_error accounts_list_json(accounts *a, bytebuf *out, char *error, size_t error_size);

/* Appends an event to the audit trail: what ("login", "login_failed",
 * "logout", "locked_out", "user_added", ...), who, from where, details. */
accounts_error accounts_audit(accounts *a, const char *event, const char *actor, const char *address,
                              const char *details);
/* Appends {"events": [{"at","event","actor","address","details"}]}, newest first. */
accounts_error accounts_audit_json(accounts *a, size_t limit, bytebuf *out, char *error, size_t error_size);

#endif
