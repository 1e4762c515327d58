/* accounts: see accounts.h. */
#include "scanner/review/accounts.h"

#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utf8proc.h>

#include "rules/base/error_message.h"

#define SCHEMA_VERSION 1

struct accounts {
    pthread_mutex_t lock;       /* guards db */
    sqlite3 *db;
    char dummy_hash[crypto_pwhash_STRBYTES]; /* verified against for unknown names (same time) */
};

static const char *const role_names[ROLE_COUNT] = {"reviewer", "lead", "police", "admin"};

const char *account_role_name(account_role r) { return (unsigned)r < ROLE_COUNT ? role_names[r] : "unknown"; }

account_role account_role_named(const char *name)
{
    for (int r = 0; name && r < ROLE_COUNT; r++)
        if (!strcmp(role_names[r], name))
            return (account_role)r;
    return ROLE_COUNT;
}

const char *accounts_strerror(accounts_error e)
{
    switch (e) {
    case ACCOUNTS_OK: return "ok";
    case ACCOUNTS_ERROR_DATABASE: return "the accounts database failed";
    case ACCOUNTS_ERROR_SCHEMA: return "not an accounts file of this version of lscan";
    case ACCOUNTS_ERROR_EXISTS: return "the name is taken";
    case ACCOUNTS_ERROR_NOT_FOUND: return "no such account";
    case ACCOUNTS_ERROR_BAD_INPUT: return "not acceptable";
    case ACCOUNTS_ERROR_WRONG_PASSWORD: return "wrong name or password";
    case ACCOUNTS_ERROR_DISABLED: return "the account is disabled";
    case ACCOUNTS_ERROR_CRYPTO: return "the password hash could not be computed";
    case ACCOUNTS_ERROR_MEMORY: return "out of memory";
    }
    return "unknown error";
}

static accounts_error db_error(accounts *a, char *error, size_t error_size, const char *what)
{
    error_message_set(error, error_size, "accounts: %s: %s", what, sqlite3_errmsg(a->db));
    return ACCOUNTS_ERROR_DATABASE;
}

static int exec(accounts *a, const char *sql) { return sqlite3_exec(a->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1; }

static const char *const schema_v1[] = {
    "CREATE TABLE users (name TEXT PRIMARY KEY, role TEXT NOT NULL, unit TEXT NOT NULL DEFAULT '',"
    " hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL, changed TEXT NOT NULL)",
    "CREATE TABLE audit (id INTEGER PRIMARY KEY, at TEXT NOT NULL, event TEXT NOT NULL, actor TEXT,"
    " address TEXT, details TEXT NOT NULL DEFAULT '')",
};

static void now_text(char out[32])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

accounts *accounts_open(const char *path, char *error, size_t error_size)
{
    if (sodium_init() < 0) {
        error_message_set(error, error_size, "accounts: libsodium cannot start");
        return NULL;
    }
    accounts *a = calloc(1, sizeof *a);
    if (!a) {
        error_message_set(error, error_size, "accounts: out of memory");
        return NULL;
    }
    pthread_mutex_init(&a->lock, NULL);
    if (sqlite3_open_v2(path, &a->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        error_message_set(error, error_size, "accounts %s: %s", path, a->db ? sqlite3_errmsg(a->db) : "out of memory");
        accounts_close(a);
        return NULL;
    }
    sqlite3_busy_timeout(a->db, 10000);
    sqlite3_stmt *st = NULL;
    int version = -1;
    if (exec(a, "PRAGMA journal_mode = WAL") == 0 && exec(a, "PRAGMA synchronous = FULL") == 0 &&
        sqlite3_prepare_v2(a->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version < 0 || version > SCHEMA_VERSION) {
        error_message_set(error, error_size, "accounts %s: %s", path,
                          version < 0 ? "not an SQLite database" : "written by a newer lscan");
        accounts_close(a);
        return NULL;
    }
    if (version < SCHEMA_VERSION) {
        bool ok = exec(a, "BEGIN IMMEDIATE") == 0;
        for (size_t i = 0; ok && i < sizeof schema_v1 / sizeof *schema_v1; i++)
            ok = exec(a, schema_v1[i]) == 0;
        char set[64];
        snprintf(set, sizeof set, "PRAGMA user_version = %d", SCHEMA_VERSION);
        ok = ok && exec(a, set) == 0 && exec(a, "COMMIT") == 0;
        if (!ok) {
            db_error(a, error, error_size, "cannot create the schema");
            exec(a, "ROLLBACK");
            accounts_close(a);
            return NULL;
        }
    }
    /* a hash to check unknown names against, so a wrong name costs what a wrong password does */
    char salt_password[32];
    randombytes_buf(salt_password, sizeof salt_password - 1);
    for (size_t i = 0; i < sizeof salt_password - 1; i++)
        salt_password[i] = (char)('a' + (unsigned char)salt_password[i] % 26);
    salt_password[sizeof salt_password - 1] = '\0';
    if (crypto_pwhash_str(a->dummy_hash, salt_password, strlen(salt_password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        error_message_set(error, error_size, "accounts: cannot hash a password (out of memory)");
        accounts_close(a);
        return NULL;
    }
    return a;
}

void accounts_close(accounts *a)
{
    if (!a)
        return;
    if (a->db)
        sqlite3_close(a->db);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

/* ---- checks ---- */

static bool valid_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n < 1 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static bool valid_utf8(const char *s, size_t max)
{
    size_t length = s ? strlen(s) : 0;
    if (length > max)
        return false;
    for (utf8proc_ssize_t at = 0, n; at < (utf8proc_ssize_t)length; at += n) {
        utf8proc_int32_t cp;
        n = utf8proc_iterate((const utf8proc_uint8_t *)s + at, (utf8proc_ssize_t)length - at, &cp);
        if (n <= 0 || cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
            return false;
    }
    return true;
}

static const char *password_problem(const char *password)
{
    size_t n = password ? strlen(password) : 0;
    if (n < ACCOUNT_MIN_PASSWORD)
        return "a password needs at least 10 characters";
    if (n > ACCOUNT_MAX_PASSWORD || !valid_utf8(password, ACCOUNT_MAX_PASSWORD))
        return "a password is UTF-8 text without control characters, at most 1024 bytes";
    return NULL;
}

static accounts_error hash_password(const char *password, char out[crypto_pwhash_STRBYTES], char *error,
                                    size_t error_size)
{
    if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        error_message_set(error, error_size, "cannot hash the password (out of memory)");
        return ACCOUNTS_ERROR_CRYPTO;
    }
    return ACCOUNTS_OK;
}

/* ---- the audit trail (called with the lock held) ---- */

static int audit_locked(accounts *a, const char *event, const char *actor, const char *address, const char *details)
{
    char at[32];
    now_text(at);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(a->db, "INSERT INTO audit (at, event, actor, address, details) VALUES (?, ?, ?, ?, ?)", -1,
                           &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, at, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, event, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, actor, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, address, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, details ? details : "", -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

accounts_error accounts_audit(accounts *a, const char *event, const char *actor, const char *address,
                              const char *details)
{
    pthread_mutex_lock(&a->lock);
    int rc = audit_locked(a, event, actor, address, details);
    pthread_mutex_unlock(&a->lock);
    return rc == 0 ? ACCOUNTS_OK : ACCOUNTS_ERROR_DATABASE;
}

/* ---- changes ---- */

accounts_error accounts_add(accounts *a, const char *name, const char *password, account_role role, const char *unit,
                            const char *actor, char *error, size_t error_size)
{
    if (!valid_name(name)) {
        error_message_set(error, error_size, "a name is 1 to 64 of a-z, 0-9, '.', '_' and '-'");
        return ACCOUNTS_ERROR_BAD_INPUT;
    }
    if ((unsigned)role >= ROLE_COUNT) {
        error_message_set(error, error_size, "the role is reviewer, lead, police or admin");
        return ACCOUNTS_ERROR_BAD_INPUT;
    }
    if (!valid_utf8(unit, 300) || (role == ROLE_POLICE && (!unit || !*unit))) {
        error_message_set(error, error_size, "%s", role == ROLE_POLICE && (!unit || !*unit)
                                                       ? "a police account needs its unit (--unit)"
                                                       : "the unit is UTF-8 text, at most 300 bytes");
        return ACCOUNTS_ERROR_BAD_INPUT;
    }
    const char *problem = password_problem(password);
    if (problem) {
        error_message_set(error, error_size, "%s", problem);
        return ACCOUNTS_ERROR_BAD_INPUT;
    }
    char hash[crypto_pwhash_STRBYTES];
    accounts_error e = hash_password(password, hash, error, error_size);
    if (e != ACCOUNTS_OK)
        return e;
    char at[32];
    now_text(at);
    pthread_mutex_lock(&a->lock);
    sqlite3_stmt *st;
    e = ACCOUNTS_OK;
    if (sqlite3_prepare_v2(a->db, "INSERT INTO users (name, role, unit, hash, created, changed) VALUES (?, ?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK) {
        e = db_error(a, error, error_size, "cannot add the account");
    } else {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, account_role_name(role), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, unit ? unit : "", -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, hash, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 5, at, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 6, at, -1, SQLITE_TRANSIENT);
        int step = sqlite3_step(st);
        if (step == SQLITE_CONSTRAINT) {
            error_message_set(error, error_size, "there is already an account named %s", name);
            e = ACCOUNTS_ERROR_EXISTS;
        } else if (step != SQLITE_DONE) {
            e = db_error(a, error, error_size, "cannot add the account");
        }
        sqlite3_finalize(st);
    }
    if (e == ACCOUNTS_OK) {
        char details[400];
        snprintf(details, sizeof details, "%s %s%s%s", name, account_role_name(role), unit && *unit ? " " : "",
                 unit ? unit : "");
        audit_locked(a, "user_added", actor, NULL, details);
    }
    pthread_mutex_unlock(&a->lock);
    sodium_memzero(hash, sizeof hash);
    return e;
}

/* UPDATE users SET <set> WHERE name = ?; NOT_FOUND when no row changed. */
static accounts_error update_user(accounts *a, const char *name, const char *sql, const char *text, int number,
                                  const char *event, const char *actor, char *error, size_t error_size)
{
    char at[32];
    now_text(at);
    pthread_mutex_lock(&a->lock);
    accounts_error e = ACCOUNTS_OK;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(a->db, sql, -1, &st, NULL) != SQLITE_OK) {
        e = db_error(a, error, error_size, "cannot change the account");
    } else {
        if (text)
            sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_int(st, 1, number);
        sqlite3_bind_text(st, 2, at, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_DONE)
            e = db_error(a, error, error_size, "cannot change the account");
        else if (sqlite3_changes(a->db) == 0) {
            error_message_set(error, error_size, "there is no account named %s", name ? name : "?");
            e = ACCOUNTS_ERROR_NOT_FOUND;
        }
        sqlite3_finalize(st);
    }
    if (e == ACCOUNTS_OK)
        audit_locked(a, event, actor, NULL, name);
    pthread_mutex_unlock(&a->lock);
    return e;
}

accounts_error accounts_set_password(accounts *a, const char *name, const char *password, const char *actor,
                                     char *error, size_t error_size)
{
    const char *problem = password_problem(password);
    if (problem) {
        error_message_set(error, error_size, "%s", problem);
        return ACCOUNTS_ERROR_BAD_INPUT;
    }
    char hash[crypto_pwhash_STRBYTES];
    accounts_error e = hash_password(password, hash, error, error_size);
    if (e == ACCOUNTS_OK)
        e = update_user(a, name, "UPDATE users SET hash = ?1, changed = ?2 WHERE name = ?3", hash, 0, "password_changed",
                        actor, error, error_size);
    sodium_memzero(hash, sizeof hash);
    return e;
}

accounts_error accounts_set_disabled(accounts *a, const char *name, bool disabled, const char *actor, char *error,
                                     size_t error_size)
{
    return update_user(a, name, "UPDATE users SET disabled = ?1, changed = ?2 WHERE name = ?3", NULL, disabled,
                       disabled ? "user_disabled" : "user_enabled", actor, error, error_size);
}

/* ---- reading ---- */

/* Reads name's row: 1 found (hash copied when wanted), 0 not, -1 error. */
static int read_user(accounts *a, const char *name, account *out, char hash[crypto_pwhash_STRBYTES])
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(a->db, "SELECT name, role, unit, disabled, hash FROM users WHERE name = ?", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, name ? name : "", -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(st), found = step == SQLITE_ROW ? 1 : step == SQLITE_DONE ? 0 : -1;
    if (found == 1) {
        memset(out, 0, sizeof *out);
        snprintf(out->name, sizeof out->name, "%s", (const char *)sqlite3_column_text(st, 0));
        out->role = account_role_named((const char *)sqlite3_column_text(st, 1));
        snprintf(out->unit, sizeof out->unit, "%s", (const char *)sqlite3_column_text(st, 2));
        out->disabled = sqlite3_column_int(st, 3) != 0;
        if (hash)
            snprintf(hash, crypto_pwhash_STRBYTES, "%s", (const char *)sqlite3_column_text(st, 4));
    }
    sqlite3_finalize(st);
    return found;
}

accounts_error accounts_get(accounts *a, const char *name, account *out, char *error, size_t error_size)
{
    pthread_mutex_lock(&a->lock);
    int found = read_user(a, name, out, NULL);
    accounts_error e = found == 1 ? ACCOUNTS_OK : found == 0 ? ACCOUNTS_ERROR_NOT_FOUND
                                                             : db_error(a, error, error_size, "cannot read the account");
    pthread_mutex_unlock(&a->lock);
    if (e == ACCOUNTS_ERROR_NOT_FOUND)
        error_message_set(error, error_size, "there is no account named %s", name ? name : "?");
    return e;
}

accounts_error accounts_login(accounts *a, const char *name, const char *password, const char *address, account *out,
                              char *error, size_t error_size)
{
    char hash[crypto_pwhash_STRBYTES];
    account found_account;
    pthread_mutex_lock(&a->lock);
    int found = valid_name(name) ? read_user(a, name, &found_account, hash) : 0;
    pthread_mutex_unlock(&a->lock);
    if (found < 0) {
        pthread_mutex_lock(&a->lock);
        accounts_error e = db_error(a, error, error_size, "cannot read the account");
        pthread_mutex_unlock(&a->lock);
        return e;
    }
    size_t length = password ? strlen(password) : 0;
    /* the same work whether the name exists or not */
    bool right = crypto_pwhash_str_verify(found == 1 ? hash : a->dummy_hash, password ? password : "", length) == 0 &&
                 found == 1 && length <= ACCOUNT_MAX_PASSWORD;
    sodium_memzero(hash, sizeof hash);
    accounts_error e = !right ? ACCOUNTS_ERROR_WRONG_PASSWORD
                              : found_account.disabled ? ACCOUNTS_ERROR_DISABLED : ACCOUNTS_OK;
    pthread_mutex_lock(&a->lock);
    audit_locked(a, e == ACCOUNTS_OK ? "login" : e == ACCOUNTS_ERROR_DISABLED ? "login_disabled" : "login_failed",
                 valid_name(name) ? name : "(invalid name)", address, NULL);
    pthread_mutex_unlock(&a->lock);
    if (e == ACCOUNTS_OK)
        *out = found_account;
    else
        error_message_set(error, error_size, "%s", accounts_strerror(e));
    return e;
}

static void json_text(bytebuf *out, const char *name, const char *value)
{
    bytebuf_printf(out, "\"%s\":", name);
    if (value)
        bytebuf_append_json_string(out, value, strlen(value));
    else
        bytebuf_append_string(out, "null");
}

accounts_error accounts_list_json(accounts *a, bytebuf *out, char *error, size_t error_size)
{
    pthread_mutex_lock(&a->lock);
    sqlite3_stmt *st;
    accounts_error e = ACCOUNTS_OK;
    if (sqlite3_prepare_v2(a->db, "SELECT name, role, unit, disabled FROM users ORDER BY name", -1, &st, NULL) !=
        SQLITE_OK) {
        e = db_error(a, error, error_size, "cannot list the accounts");
    } else {
        bytebuf_append_string(out, "{\"users\":[");
        for (int n = 0; sqlite3_step(st) == SQLITE_ROW; n++) {
            bytebuf_append_string(out, n ? ",{" : "{");
            json_text(out, "name", (const char *)sqlite3_column_text(st, 0));
            bytebuf_append_char(out, ',');
            json_text(out, "role", (const char *)sqlite3_column_text(st, 1));
            bytebuf_append_char(out, ',');
            json_text(out, "unit", (const char *)sqlite3_column_text(st, 2));
            bytebuf_printf(out, ",\"disabled\":%s}", sqlite3_column_int(st, 3) ? "true" : "false");
        }
        bytebuf_append_string(out, "]}");
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&a->lock);
    return e;
}

accounts_error accounts_audit_json(accounts *a, size_t limit, bytebuf *out, char *error, size_t error_size)
{
    pthread_mutex_lock(&a->lock);
    sqlite3_stmt *st;
    accounts_error e = ACCOUNTS_OK;
    if (sqlite3_prepare_v2(a->db, "SELECT at, event, actor, address, details FROM audit ORDER BY id DESC LIMIT ?", -1,
                           &st, NULL) != SQLITE_OK) {
        e = db_error(a, error, error_size, "cannot read the audit trail");
    } else {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)(limit ? limit : 100));
        bytebuf_append_string(out, "{\"events\":[");
        static const char *const names[] = {"at", "event", "actor", "address", "details"};
        for (int n = 0; sqlite3_step(st) == SQLITE_ROW; n++) {
            bytebuf_append_string(out, n ? ",{" : "{");
            for (int i = 0; i < 5; i++) {
                if (i)
                    bytebuf_append_char(out, ',');
                json_text(out, names[i], (const char *)sqlite3_column_text(st, i));
            }
            bytebuf_append_char(out, '}');
        }
        bytebuf_append_string(out, "]}");
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&a->lock);
    return e;
}
