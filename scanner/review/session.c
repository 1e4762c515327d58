/* session: see session.h. Small tables, searched linearly: a department
 * has tens of reviewers, and the bound keeps a flood of logins from
 * growing them. */
#include "scanner/review/session.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

typedef struct session {
    char token[SESSION_TOKEN_HEX], csrf[SESSION_TOKEN_HEX];
    char name[65];
    int64_t started, used;
    bool live;
} session;

struct session_store {
    pthread_mutex_t lock;       /* guards table */
    session *table;
    size_t max;
    int64_t lifetime, idle;
};

static void random_hex(char out[SESSION_TOKEN_HEX])
{
    unsigned char bytes[32];
    randombytes_buf(bytes, sizeof bytes);
    sodium_bin2hex(out, SESSION_TOKEN_HEX, bytes, sizeof bytes);
    sodium_memzero(bytes, sizeof bytes);
}

session_store *session_store_create(const session_options *o)
{
    if (sodium_init() < 0)
        return NULL;
    session_store *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->max = o && o->max_sessions ? o->max_sessions : 10000;
    s->lifetime = o && o->lifetime_ms ? o->lifetime_ms : 12LL * 3600 * 1000;
    s->idle = o && o->idle_ms ? o->idle_ms : 3600LL * 1000;
    s->table = calloc(s->max, sizeof *s->table);
    if (!s->table) {
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    return s;
}

void session_store_destroy(session_store *s)
{
    if (!s)
        return;
    sodium_memzero(s->table, s->max * sizeof *s->table);
    free(s->table);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static bool expired(const session_store *s, const session *e, int64_t now)
{
    return !e->live || now - e->started >= s->lifetime || now - e->used >= s->idle;
}

int session_begin(session_store *s, const account *who, int64_t now_ms, char token[SESSION_TOKEN_HEX],
                  char csrf[SESSION_TOKEN_HEX])
{
    pthread_mutex_lock(&s->lock);
    /* a free or expired slot, else the least recently used one */
    size_t pick = 0;
    for (size_t i = 0; i < s->max; i++) {
        if (expired(s, &s->table[i], now_ms)) {
            pick = i;
            break;
        }
        if (s->table[i].used < s->table[pick].used)
            pick = i;
    }
    session *e = &s->table[pick];
    memset(e, 0, sizeof *e);
    random_hex(e->token);
    random_hex(e->csrf);
    snprintf(e->name, sizeof e->name, "%s", who->name);
    e->started = e->used = now_ms;
    e->live = true;
    memcpy(token, e->token, SESSION_TOKEN_HEX);
    memcpy(csrf, e->csrf, SESSION_TOKEN_HEX);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

bool session_token_equal(const char *a, const char *b)
{
    if (!a || !b || strlen(a) != SESSION_TOKEN_HEX - 1 || strlen(b) != SESSION_TOKEN_HEX - 1)
        return false;
    return sodium_memcmp(a, b, SESSION_TOKEN_HEX - 1) == 0;
}

bool session_find(session_store *s, const char *token, int64_t now_ms, char name[65], char csrf[SESSION_TOKEN_HEX])
{
    if (!token || strlen(token) != SESSION_TOKEN_HEX - 1)
        return false;
    bool found = false;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->max; i++) {
        session *e = &s->table[i];
        if (e->live && sodium_memcmp(e->token, token, SESSION_TOKEN_HEX - 1) == 0) {
            if (expired(s, e, now_ms)) {
                e->live = false;
                break;
            }
            e->used = now_ms;
            memcpy(name, e->name, sizeof e->name);
            memcpy(csrf, e->csrf, SESSION_TOKEN_HEX);
            found = true;
            break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return found;
}

void session_end(session_store *s, const char *token)
{
    if (!token || strlen(token) != SESSION_TOKEN_HEX - 1)
        return;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->max; i++)
        if (s->table[i].live && sodium_memcmp(s->table[i].token, token, SESSION_TOKEN_HEX - 1) == 0)
            memset(&s->table[i], 0, sizeof s->table[i]);
    pthread_mutex_unlock(&s->lock);
}

void session_end_all(session_store *s, const char *name)
{
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->max; i++)
        if (s->table[i].live && !strcmp(s->table[i].name, name))
            memset(&s->table[i], 0, sizeof s->table[i]);
    pthread_mutex_unlock(&s->lock);
}

/* ---- the login limiter ---- */

#define LIMITER_SLOTS 32   /* failures remembered per key: more than any limit */

typedef struct limiter_entry {
    char key[130];          /* "a:ADDRESS" or "n:NAME" */
    int64_t failures[LIMITER_SLOTS];
    unsigned count, next;
    int64_t last;
} limiter_entry;

struct login_limiter {
    pthread_mutex_t lock;   /* guards table */
    limiter_entry *table;
    size_t max;
    unsigned per_name, per_address;
    int64_t window;
};

login_limiter *login_limiter_create(const limiter_options *o)
{
    login_limiter *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->max = o && o->max_entries ? o->max_entries : 10000;
    l->per_name = o && o->per_name ? o->per_name : 5;
    l->per_address = o && o->per_address ? o->per_address : 20;
    if (l->per_name > LIMITER_SLOTS)
        l->per_name = LIMITER_SLOTS;
    if (l->per_address > LIMITER_SLOTS)
        l->per_address = LIMITER_SLOTS;
    l->window = o && o->window_ms ? o->window_ms : 15LL * 60 * 1000;
    l->table = calloc(l->max, sizeof *l->table);
    if (!l->table) {
        free(l);
        return NULL;
    }
    pthread_mutex_init(&l->lock, NULL);
    return l;
}

void login_limiter_destroy(login_limiter *l)
{
    if (!l)
        return;
    free(l->table);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

static limiter_entry *entry(login_limiter *l, char kind, const char *value, bool create, int64_t now)
{
    char key[130];
    snprintf(key, sizeof key, "%c:%.120s", kind, value ? value : "");
    size_t free_slot = l->max, oldest = 0;
    for (size_t i = 0; i < l->max; i++) {
        limiter_entry *e = &l->table[i];
        if (e->key[0] && !strcmp(e->key, key))
            return e;
        if (!e->key[0] || now - e->last >= l->window) {
            if (free_slot == l->max)
                free_slot = i;
        } else if (e->last < l->table[oldest].last) {
            oldest = i;
        }
    }
    if (!create)
        return NULL;
    limiter_entry *e = &l->table[free_slot < l->max ? free_slot : oldest];
    memset(e, 0, sizeof *e);
    snprintf(e->key, sizeof e->key, "%s", key);
    return e;
}

/* How long until `e` has fewer than `limit` failures in the window. */
static int64_t wait_for(const login_limiter *l, const limiter_entry *e, unsigned limit, int64_t now)
{
    if (!e)
        return 0;
    unsigned recent = 0;
    int64_t times[LIMITER_SLOTS];
    for (unsigned i = 0; i < e->count && i < LIMITER_SLOTS; i++)
        if (now - e->failures[i] < l->window)
            times[recent++] = e->failures[i];
    if (recent < limit)
        return 0;
    /* the (recent - limit + 1)-th oldest failure must leave the window */
    for (unsigned i = 1; i < recent; i++)
        for (unsigned k = i; k > 0 && times[k - 1] > times[k]; k--) {
            int64_t t = times[k];
            times[k] = times[k - 1];
            times[k - 1] = t;
        }
    int64_t wait = times[recent - limit] + l->window - now;
    return wait > 0 ? wait : 1;
}

int64_t login_limiter_wait_ms(login_limiter *l, const char *address, const char *name, int64_t now_ms)
{
    pthread_mutex_lock(&l->lock);
    int64_t a = wait_for(l, entry(l, 'a', address, false, now_ms), l->per_address, now_ms);
    int64_t n = wait_for(l, entry(l, 'n', name, false, now_ms), l->per_name, now_ms);
    pthread_mutex_unlock(&l->lock);
    return a > n ? a : n;
}

static void add_failure(limiter_entry *e, int64_t now)
{
    e->failures[e->next] = now;
    e->next = (e->next + 1) % LIMITER_SLOTS;
    if (e->count < LIMITER_SLOTS)
        e->count++;
    e->last = now;
}

void login_limiter_failed(login_limiter *l, const char *address, const char *name, int64_t now_ms)
{
    pthread_mutex_lock(&l->lock);
    add_failure(entry(l, 'a', address, true, now_ms), now_ms);
    add_failure(entry(l, 'n', name, true, now_ms), now_ms);
    pthread_mutex_unlock(&l->lock);
}

void login_limiter_succeeded(login_limiter *l, const char *name)
{
    pthread_mutex_lock(&l->lock);
    limiter_entry *e = entry(l, 'n', name, false, 0);
    if (e)
        memset(e, 0, sizeof *e);
    pthread_mutex_unlock(&l->lock);
}
