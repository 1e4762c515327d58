#include "workers/frontier.h"
#include "rules/base/url.h"
#include "rules/base/hash_set.h"

#include <ctype.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#define MAX_HOSTS 4096

typedef struct entry {
    struct entry *next;
    struct entry *prev;     /* in the in-flight list only */
    char *url;
    uint32_t target;
    uint16_t kind, attempt;
    uint64_t due_ns;        /* delayed entries: when they may run */
    uint32_t host;
} entry;

typedef struct host {
    char origin[256];
    entry *head, *tail;
    unsigned in_flight;
    uint64_t next_allowed_ns;   /* politeness clock */
    uint64_t min_interval_ns;   /* robots.txt Crawl-delay: spacing at least this */
} host;

struct frontier {
    pthread_mutex_t lock;       /* guards everything below */
    frontier_options options;
    uint64_t interval_ns;
    host *hosts;
    size_t host_count;
    size_t next_host;           /* round robin */
    entry *delayed;             /* unordered; small */
    entry *in_flight;           /* popped, not finished: doubly linked */
    hash_set seen;              /* XXH3 of every URL ever pushed */
    frontier_stats stats;
    bool stopped;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int frontier_create(const frontier_options *options, frontier **out)
{
    frontier *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->options = *options;
    if (!f->options.per_host_concurrency)
        f->options.per_host_concurrency = 1;
    if (!f->options.max_attempts)
        f->options.max_attempts = 1;
    f->interval_ns = options->requests_per_second > 0 ? (uint64_t)(1e9 / options->requests_per_second) : 0;
    f->hosts = calloc(MAX_HOSTS, sizeof *f->hosts);
    if (!f->hosts || hash_set_init(&f->seen, 1 << 16) < 0) {
        frontier_destroy(f);
        return -1;
    }
    pthread_mutex_init(&f->lock, NULL);
    *out = f;
    return 0;
}

static void free_entries(entry *e)
{
    while (e) {
        entry *next = e->next;
        free(e->url);
        free(e);
        e = next;
    }
}

void frontier_destroy(frontier *f)
{
    if (!f)
        return;
    for (size_t i = 0; f->hosts && i < f->host_count; i++)
        free_entries(f->hosts[i].head);
    free_entries(f->delayed);
    free_entries(f->in_flight);
    free(f->hosts);
    hash_set_free(&f->seen);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

static long host_index(frontier *f, const char *origin)
{
    for (size_t i = 0; i < f->host_count; i++)
        if (!strcmp(f->hosts[i].origin, origin))
            return (long)i;
    if (f->host_count == MAX_HOSTS)
        return -1;
    host *h = &f->hosts[f->host_count];
    memset(h, 0, sizeof *h);
    snprintf(h->origin, sizeof h->origin, "%s", origin);
    f->stats.hosts = f->host_count + 1;
    return (long)f->host_count++;
}

static void enqueue(host *h, entry *e)
{
    e->next = NULL;
    if (h->tail)
        h->tail->next = e;
    else
        h->head = e;
    h->tail = e;
}

/* Queues a new entry for url at the back of its origin's host; false when out
 * of hosts or memory. The caller holds f->lock. */
static bool queue_new_entry(frontier *f, const char *origin, const char *url, uint32_t target, uint16_t kind,
                            uint16_t attempt)
{
    long h = host_index(f, origin);
    entry *e = h >= 0 ? calloc(1, sizeof *e) : NULL;
    char *copy = e ? strdup(url) : NULL;
    if (!copy) {
        free(e);
        return false;
    }
    e->url = copy;
    e->target = target;
    e->kind = kind;
    e->attempt = attempt;
    e->host = (uint32_t)h;
    enqueue(&f->hosts[h], e);
    f->stats.queued++;
    return true;
}

int frontier_push(frontier *f, const char *url, uint32_t target, uint16_t kind)
{
    char origin[256];
    if (!url_origin(url, origin, sizeof origin)) {
        pthread_mutex_lock(&f->lock);
        f->stats.refused++;
        pthread_mutex_unlock(&f->lock);
        return -1;
    }
    uint64_t key = XXH3_64bits(url, strlen(url));
    pthread_mutex_lock(&f->lock);
    int rc = -1;
    if (f->stats.queued + f->stats.delayed >= f->options.max_entries) {
        f->stats.refused++;
    } else if ((rc = hash_set_insert(&f->seen, key)) <= 0) {
        if (rc < 0)
            f->stats.refused++;
    } else if (!queue_new_entry(f, origin, url, target, kind, 0)) {
        f->stats.refused++;
        rc = -1;
    }
    pthread_mutex_unlock(&f->lock);
    return rc;
}

int frontier_mark_seen(frontier *f, const char *url)
{
    uint64_t key = XXH3_64bits(url, strlen(url));
    pthread_mutex_lock(&f->lock);
    int rc = hash_set_insert(&f->seen, key);
    pthread_mutex_unlock(&f->lock);
    return rc;
}

/* Moves due retries back to the front of their hosts' queues. */
static uint64_t release_delayed(frontier *f, uint64_t now)
{
    uint64_t next_due = UINT64_MAX;
    entry **link = &f->delayed;
    while (*link) {
        entry *e = *link;
        if (e->due_ns <= now) {
            *link = e->next;
            host *h = &f->hosts[e->host];
            e->next = h->head;
            h->head = e;
            if (!h->tail)
                h->tail = e;
            f->stats.delayed--;
            f->stats.queued++;
        } else {
            if (e->due_ns < next_due)
                next_due = e->due_ns;
            link = &e->next;
        }
    }
    return next_due;
}

int frontier_pop(frontier *f, crawl_request *out, int *wait_ms)
{
    pthread_mutex_lock(&f->lock);
    *wait_ms = 1000;
    bool over = f->stopped || (f->options.max_pages && f->stats.popped >= f->options.max_pages);
    if (over || (f->stats.queued == 0 && f->stats.delayed == 0)) {
        bool done = f->stats.in_flight == 0 || over;
        pthread_mutex_unlock(&f->lock);
        return done ? -1 : 0;
    }
    uint64_t now = now_ns();
    uint64_t next_due = release_delayed(f, now);
    uint64_t soonest = next_due;
    for (size_t k = 0; k < f->host_count; k++) {
        size_t i = (f->next_host + k) % f->host_count;
        host *h = &f->hosts[i];
        if (!h->head || h->in_flight >= f->options.per_host_concurrency)
            continue;
        if (h->next_allowed_ns > now) {
            if (h->next_allowed_ns < soonest)
                soonest = h->next_allowed_ns;
            continue;
        }
        entry *e = h->head;
        h->head = e->next;
        if (!h->head)
            h->tail = NULL;
        h->in_flight++;
        h->next_allowed_ns = now + (h->min_interval_ns > f->interval_ns ? h->min_interval_ns : f->interval_ns);
        f->stats.queued--;
        f->stats.in_flight++;
        f->stats.popped++;
        f->next_host = (i + 1) % f->host_count;
        char *copy = strdup(e->url); /* the worker's; the entry keeps its own for checkpoints */
        if (!copy) {
            e->next = h->head; /* put it back */
            h->head = e;
            if (!h->tail)
                h->tail = e;
            h->in_flight--;
            f->stats.queued++;
            f->stats.in_flight--;
            f->stats.popped--;
            break;
        }
        e->prev = NULL;
        e->next = f->in_flight;
        if (f->in_flight)
            f->in_flight->prev = e;
        f->in_flight = e;
        out->url = copy;
        out->target = e->target;
        out->kind = e->kind;
        out->attempt = e->attempt;
        out->host = e->host;
        out->entry = e;
        pthread_mutex_unlock(&f->lock);
        return 1;
    }
    if (soonest != UINT64_MAX) {
        uint64_t wait = (soonest - now) / 1000000 + 1;
        *wait_ms = wait < 1000 ? (int)wait : 1000;
    } else {
        *wait_ms = 20; /* every host busy: a finish will free one */
    }
    pthread_mutex_unlock(&f->lock);
    return 0;
}

/* Takes a finished request's record out of the in-flight list. */
static entry *unlink_in_flight(frontier *f, crawl_request *r)
{
    entry *e = r->entry;
    if (!e)
        return NULL;
    if (e->prev)
        e->prev->next = e->next;
    else
        f->in_flight = e->next;
    if (e->next)
        e->next->prev = e->prev;
    e->next = e->prev = NULL;
    r->entry = NULL;
    return e;
}

static void hold_host(frontier *f, uint32_t index, unsigned retry_after_ms)
{
    host *h = &f->hosts[index];
    if (h->in_flight)
        h->in_flight--;
    f->stats.in_flight--;
    if (retry_after_ms) {
        uint64_t until = now_ns() + (uint64_t)retry_after_ms * 1000000ull;
        if (until > h->next_allowed_ns)
            h->next_allowed_ns = until;
    }
}

void frontier_finish(frontier *f, crawl_request *r, unsigned retry_after_ms)
{
    pthread_mutex_lock(&f->lock);
    hold_host(f, r->host, retry_after_ms);
    entry *e = unlink_in_flight(f, r);
    pthread_mutex_unlock(&f->lock);
    if (e) {
        free(e->url);
        free(e);
    }
    free(r->url);
    r->url = NULL;
}

bool frontier_retry(frontier *f, crawl_request *r, unsigned delay_ms, unsigned retry_after_ms)
{
    pthread_mutex_lock(&f->lock);
    hold_host(f, r->host, retry_after_ms);
    entry *record = unlink_in_flight(f, r);
    bool again = (unsigned)r->attempt + 1 < f->options.max_attempts && !f->stopped;
    entry *e = again ? (record ? record : calloc(1, sizeof *e)) : NULL;
    if (record && !e) {
        free(record->url);
        free(record);
    }
    if (e) {
        if (e->url != r->url) {
            free(e->url);
            e->url = r->url;
        }
        e->target = r->target;
        e->kind = r->kind;
        e->attempt = (uint16_t)(r->attempt + 1);
        e->host = r->host;
        e->due_ns = now_ns() + (uint64_t)delay_ms * 1000000ull;
        e->next = f->delayed;
        f->delayed = e;
        f->stats.delayed++;
        f->stats.retried++;
        r->url = NULL;
    }
    pthread_mutex_unlock(&f->lock);
    if (!e) {
        free(r->url);
        r->url = NULL;
    }
    return e != NULL;
}

int frontier_set_host_interval(frontier *f, const char *url, unsigned interval_ms)
{
    char origin[256];
    if (!url_origin(url, origin, sizeof origin))
        return -1;
    pthread_mutex_lock(&f->lock);
    long h = host_index(f, origin);
    if (h >= 0)
        f->hosts[h].min_interval_ns = (uint64_t)interval_ms * 1000000ull;
    pthread_mutex_unlock(&f->lock);
    return h >= 0 ? 0 : -1;
}

void frontier_stop(frontier *f)
{
    pthread_mutex_lock(&f->lock);
    f->stopped = true;
    pthread_mutex_unlock(&f->lock);
}

void frontier_get_stats(frontier *f, frontier_stats *out)
{
    pthread_mutex_lock(&f->lock);
    *out = f->stats;
    out->seen = f->seen.count;
    pthread_mutex_unlock(&f->lock);
}

void frontier_snapshot(frontier *f, frontier_url_visitor url, frontier_key_visitor key, void *ctx)
{
    pthread_mutex_lock(&f->lock);
    for (size_t h = 0; h < f->host_count; h++)
        for (entry *e = f->hosts[h].head; e; e = e->next)
            url(ctx, e->url, e->target, e->kind, e->attempt);
    for (entry *e = f->delayed; e; e = e->next)
        url(ctx, e->url, e->target, e->kind, e->attempt);
    for (entry *e = f->in_flight; e; e = e->next)
        url(ctx, e->url, e->target, e->kind, e->attempt);
    for (size_t i = 0; i < f->seen.capacity; i++)
        if (f->seen.slots[i])
            key(ctx, f->seen.slots[i]);
    pthread_mutex_unlock(&f->lock);
}

int frontier_restore_key(frontier *f, uint64_t key)
{
    pthread_mutex_lock(&f->lock);
    int rc = hash_set_insert(&f->seen, key) < 0 ? -1 : 0;
    pthread_mutex_unlock(&f->lock);
    return rc;
}

int frontier_restore_url(frontier *f, const char *url, uint32_t target, uint16_t kind, uint16_t attempt)
{
    char origin[256];
    if (!url_origin(url, origin, sizeof origin))
        return -1;
    pthread_mutex_lock(&f->lock);
    hash_set_insert(&f->seen, XXH3_64bits(url, strlen(url)));
    int rc = queue_new_entry(f, origin, url, target, kind, attempt) ? 0 : -1;
    pthread_mutex_unlock(&f->lock);
    return rc;
}
