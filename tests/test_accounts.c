/* The console's accounts (Argon2id hashes in a real SQLite file), its
 * sessions (expiry by clock, CSRF tokens) and its login limiter. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "scanner/review/accounts.h"
#include "scanner/review/session.h"
#include "tests/harness.h"

static harness_process scratch;

static void stop_all(void) { harness_stop(&scratch); }

TestSuite(accounts, .fini = stop_all, .timeout = 120);

static accounts *fresh(char *path, size_t size)
{
    const char *argv[] = {"true", NULL};
    cr_assert_eq(harness_start_command(&scratch, argv), 0);
    harness_wait_exit(&scratch, 5000);
    snprintf(path, size, "%s/accounts.sqlite", scratch.dir);
    char error[512];
    accounts *a = accounts_open(path, error, sizeof error);
    cr_assert_not_null(a, "%s", error);
    return a;
}

Test(accounts, passwords_are_argon2id_hashes_and_logins_check_them)
{
    char path[1024], error[512];
    accounts *a = fresh(path, sizeof path);
    cr_assert_eq(accounts_add(a, "lan", "correct horse battery", ROLE_REVIEWER, NULL, "admin", error, sizeof error),
                 ACCOUNTS_OK, "%s", error);
    cr_expect_eq(accounts_add(a, "lan", "another password", ROLE_LEAD, NULL, NULL, error, sizeof error),
                 ACCOUNTS_ERROR_EXISTS);
    cr_expect_eq(accounts_add(a, "Lan Anh", "another password", ROLE_LEAD, NULL, NULL, error, sizeof error),
                 ACCOUNTS_ERROR_BAD_INPUT);
    cr_expect_eq(accounts_add(a, "short", "too short", ROLE_LEAD, NULL, NULL, error, sizeof error),
                 ACCOUNTS_ERROR_BAD_INPUT);
    cr_expect_eq(accounts_add(a, "pc03", "police password", ROLE_POLICE, NULL, NULL, error, sizeof error),
                 ACCOUNTS_ERROR_BAD_INPUT, "a police account without its unit");
    cr_expect_eq(accounts_add(a, "pc03", "police password", ROLE_POLICE, "PC03 Công an tỉnh Bắc Ninh", NULL, error,
                              sizeof error),
                 ACCOUNTS_OK, "%s", error);
    account who;
    cr_expect_eq(accounts_login(a, "lan", "correct horse battery", "127.0.0.1", &who, error, sizeof error), ACCOUNTS_OK);
    cr_expect_str_eq(who.name, "lan");
    cr_expect_eq(who.role, ROLE_REVIEWER);
    /* a wrong password and an unknown name answer alike */
    cr_expect_eq(accounts_login(a, "lan", "wrong horse battery", "127.0.0.1", &who, error, sizeof error),
                 ACCOUNTS_ERROR_WRONG_PASSWORD);
    char wrong_password[512];
    snprintf(wrong_password, sizeof wrong_password, "%s", error);
    cr_expect_eq(accounts_login(a, "nobody", "correct horse battery", "127.0.0.1", &who, error, sizeof error),
                 ACCOUNTS_ERROR_WRONG_PASSWORD);
    cr_expect_str_eq(error, wrong_password);
    /* a new password replaces the old; a disabled account cannot log in */
    cr_expect_eq(accounts_set_password(a, "lan", "a brand new password", "admin", error, sizeof error), ACCOUNTS_OK);
    cr_expect_eq(accounts_login(a, "lan", "correct horse battery", "127.0.0.1", &who, error, sizeof error),
                 ACCOUNTS_ERROR_WRONG_PASSWORD);
    cr_expect_eq(accounts_set_disabled(a, "lan", true, "admin", error, sizeof error), ACCOUNTS_OK);
    cr_expect_eq(accounts_login(a, "lan", "a brand new password", "127.0.0.1", &who, error, sizeof error),
                 ACCOUNTS_ERROR_DISABLED);
    cr_expect_eq(accounts_set_disabled(a, "nobody", true, "admin", error, sizeof error), ACCOUNTS_ERROR_NOT_FOUND);
    /* the list never carries a hash; the audit trail has every step */
    bytebuf json;
    bytebuf_init(&json, 0);
    cr_assert_eq(accounts_list_json(a, &json, error, sizeof error), ACCOUNTS_OK);
    cr_expect(!strstr(json.data, "argon2"), "a hash in the list: %s", json.data);
    cr_expect(strstr(json.data, "\"unit\":\"PC03 Công an tỉnh Bắc Ninh\""), "%s", json.data);
    bytebuf_reset(&json);
    cr_assert_eq(accounts_audit_json(a, 100, &json, error, sizeof error), ACCOUNTS_OK);
    static const char *const events[] = {"user_added", "login", "login_failed", "password_changed", "user_disabled",
                                         "login_disabled"};
    for (size_t i = 0; i < sizeof events / sizeof *events; i++) {
        char needle[64];
        snprintf(needle, sizeof needle, "\"event\":\"%s\"", events[i]);
        cr_expect(strstr(json.data, needle), "no %s in the audit trail", events[i]);
    }
    bytebuf_free(&json);
    accounts_close(a);
    /* what is on disk is an Argon2id hash, not the password */
    sqlite3 *db;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT hash FROM users WHERE name = 'lan'", -1, &st, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    const char *hash = (const char *)sqlite3_column_text(st, 0);
    cr_expect(!strncmp(hash, "$argon2id$", 10), "%s", hash);
    cr_expect(!strstr(hash, "brand new"));
    sqlite3_finalize(st);
    sqlite3_close(db);
}

Test(accounts, sessions_expire_idle_and_old_and_end_with_their_account)
{
    session_options o = {.max_sessions = 4, .lifetime_ms = 10000, .idle_ms = 3000};
    session_store *s = session_store_create(&o);
    cr_assert_not_null(s);
    account lan = {.name = "lan", .role = ROLE_REVIEWER};
    char token[SESSION_TOKEN_HEX], csrf[SESSION_TOKEN_HEX], name[65], seen_csrf[SESSION_TOKEN_HEX];
    cr_assert_eq(session_begin(s, &lan, 1000, token, csrf), 0);
    cr_expect_eq(strlen(token), 64);
    cr_expect_neq(strcmp(token, csrf), 0);
    cr_expect(session_find(s, token, 3900, name, seen_csrf));
    cr_expect_str_eq(name, "lan");
    cr_expect(session_token_equal(seen_csrf, csrf));
    cr_expect(!session_token_equal(seen_csrf, token));
    cr_expect(!session_token_equal(seen_csrf, "short"));
    /* used at 3900: idle until 6900 */
    cr_expect(session_find(s, token, 6800, name, seen_csrf));
    cr_expect(!session_find(s, token, 9900, name, seen_csrf), "idle for 3.1 s, still alive");
    /* a session used all the time still ends at its lifetime */
    cr_assert_eq(session_begin(s, &lan, 20000, token, csrf), 0);
    for (int64_t t = 22000; t < 30000; t += 2000)
        cr_expect(session_find(s, token, t, name, seen_csrf), "at %lld", (long long)t);
    cr_expect(!session_find(s, token, 30001, name, seen_csrf), "alive past its lifetime");
    /* logout, and every session of a disabled account */
    char other[SESSION_TOKEN_HEX];
    cr_assert_eq(session_begin(s, &lan, 40000, token, csrf), 0);
    cr_assert_eq(session_begin(s, &lan, 40000, other, csrf), 0);
    session_end(s, token);
    cr_expect(!session_find(s, token, 40001, name, seen_csrf));
    cr_expect(session_find(s, other, 40001, name, seen_csrf));
    session_end_all(s, "lan");
    cr_expect(!session_find(s, other, 40002, name, seen_csrf));
    /* bounded: the fifth session pushes out the least recently used */
    char tokens[5][SESSION_TOKEN_HEX];
    for (int i = 0; i < 5; i++)
        cr_assert_eq(session_begin(s, &lan, 50000 + i, tokens[i], csrf), 0);
    cr_expect(!session_find(s, tokens[0], 50010, name, seen_csrf));
    cr_expect(session_find(s, tokens[4], 50010, name, seen_csrf));
    session_store_destroy(s);
}

Test(accounts, the_limiter_counts_failures_per_name_and_per_address_in_a_window)
{
    limiter_options o = {.per_name = 5, .per_address = 8, .window_ms = 60000};
    login_limiter *l = login_limiter_create(&o);
    cr_assert_not_null(l);
    for (int i = 0; i < 5; i++) {
        cr_expect_eq(login_limiter_wait_ms(l, "10.0.0.1", "lan", 1000 + i), 0, "attempt %d", i + 1);
        login_limiter_failed(l, "10.0.0.1", "lan", 1000 + i);
    }
    /* the sixth waits until the first failure leaves the window, from any address */
    cr_expect_eq(login_limiter_wait_ms(l, "10.0.0.1", "lan", 2000), 60000 - 1000);
    cr_expect_gt(login_limiter_wait_ms(l, "10.0.0.99", "lan", 2000), 0);
    cr_expect_eq(login_limiter_wait_ms(l, "10.0.0.1", "minh", 2000), 0, "another name from the same address");
    cr_expect_eq(login_limiter_wait_ms(l, "10.0.0.1", "lan", 61000), 0, "the window passed");
    /* one address trying many names */
    for (int i = 0; i < 8; i++) {
        char name[16];
        snprintf(name, sizeof name, "user%d", i);
        login_limiter_failed(l, "10.0.0.2", name, 100000);
    }
    cr_expect_gt(login_limiter_wait_ms(l, "10.0.0.2", "someone", 100001), 0);
    /* a success clears the name, not the address */
    login_limiter_succeeded(l, "user1");
    cr_expect_gt(login_limiter_wait_ms(l, "10.0.0.2", "user1", 100002), 0);
    cr_expect_eq(login_limiter_wait_ms(l, "10.0.0.3", "user1", 100002), 0);
    login_limiter_destroy(l);
}
